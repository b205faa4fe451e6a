//! Tiny models for the tests (the crate example carries a copy): a bigram model with add-one smoothing
//! counted from a few sentences, and a hand-written candidate list.

use crate::model::{Candidate, CandidateSource, LanguageModel, WordId};
use std::collections::HashMap;

/// A bigram model with add-one smoothing (normalised over its vocabulary).
pub struct ToyLm {
    vocab: HashMap<String, WordId>,
    uni: Vec<f64>,
    bi: HashMap<(WordId, WordId), f64>,
}

const CORPUS: &str = "the cat sat on the mat .\nthe dog sat on the mat .\nthe cat ate the fish .\n\
the dog lay on the mat .\na cat sat on a mat .\nthe cat sat on the sofa .";

/// The toy language model.
pub fn lm() -> ToyLm {
    let mut vocab: HashMap<String, WordId> = HashMap::new();
    for w in ["<unk>", "<s>", "</s>"] {
        let n = vocab.len() as WordId;
        vocab.insert(w.to_string(), n);
    }
    let mut uni = vec![0.0; 3];
    let mut bi = HashMap::new();
    // Each sentence counts 20 times, so that the toy model has firm opinions.
    for line in CORPUS.lines().flat_map(|l| std::iter::repeat_n(l, 20)) {
        let mut prev = 1;
        for w in line.split(' ').chain(["</s>"]) {
            let n = vocab.len() as WordId;
            let id = *vocab.entry(w.to_string()).or_insert(n);
            if id as usize >= uni.len() {
                uni.push(0.0);
            }
            uni[id as usize] += 1.0;
            *bi.entry((prev, id)).or_insert(0.0) += 1.0;
            prev = id;
        }
    }
    uni[1] = 20.0 * CORPUS.lines().count() as f64;
    ToyLm { vocab, uni, bi }
}

impl LanguageModel for ToyLm {
    fn order(&self) -> usize {
        2
    }
    fn id(&self, word: &str) -> WordId {
        self.vocab.get(word).copied().unwrap_or(0)
    }
    fn unk(&self) -> WordId {
        0
    }
    fn bos(&self) -> WordId {
        1
    }
    fn eos(&self) -> WordId {
        2
    }
    fn log10_prob(&self, context: &[WordId], word: WordId) -> f32 {
        let v = self.uni.len() as f64;
        let prev = context.last().copied().unwrap_or(1);
        let c = self.bi.get(&(prev, word)).copied().unwrap_or(0.0);
        let n = self.uni.get(prev as usize).copied().unwrap_or(0.0);
        ((c + 1.0) / (n + v)).log10() as f32
    }
}

/// A hand-written candidate list: `carpet`/`rug` may stand for `mat`, `feline` for `cat`.
pub struct ToyLexicon;

/// The toy lexicon.
pub fn lexicon() -> ToyLexicon {
    ToyLexicon
}

const TOY_ORIGINALS: [&str; 5] = ["mat", "sofa", "cat", "carpet", "a cat"];

impl CandidateSource for ToyLexicon {
    fn max_key_words(&self) -> usize {
        2
    }
    fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
        let list: &[(u32, f32)] = match key {
            "carpet" | "rug" => &[(0, -1.0), (1, -2.0)],
            "feline" => &[(2, -0.5)],
            "mat" => &[(3, -1.0)],
            "the feline" => &[(4, -1.0)],
            _ => &[],
        };
        out.extend(list.iter().map(|&(id, l)| Candidate {
            id,
            source: 0,
            ln_channel: l,
            dicts: crate::model::DICT_MOBY,
        }));
    }
    fn original(&self, c: &Candidate) -> String {
        TOY_ORIGINALS
            .get(c.id as usize)
            .map(|s| s.to_string())
            .unwrap_or_default()
    }
}
