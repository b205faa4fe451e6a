//! The two models the decoder needs, as small traits so that the decoder can be tested with
//! toy models and so that other implementations (a KenLM-backed LM, a user lexicon) plug in.

/// Identifier of a word in a [`LanguageModel`]'s vocabulary.
pub type WordId = u32;

/// A normalised n-gram language model (log10 probabilities, ARPA convention).
pub trait LanguageModel: Send + Sync {
    /// Order of the model (3 for a trigram model).
    fn order(&self) -> usize;
    /// Id of a normalised (lowercase) word; the unknown-word id when absent.
    fn id(&self, word: &str) -> WordId;
    /// Id of the unknown word.
    fn unk(&self) -> WordId;
    /// Id of the sentence-start marker `<s>`.
    fn bos(&self) -> WordId;
    /// Id of the sentence-end marker `</s>`.
    fn eos(&self) -> WordId;
    /// log10 P(word | context), context most recent last.
    fn log10_prob(&self, context: &[WordId], word: WordId) -> f32;
    /// The state at the start of a sentence (context `<s>`).
    fn begin_sentence(&self) -> LmState {
        let mut s = LmState::default();
        if self.order() > 1 {
            s.words[0] = self.bos();
            s.len = 1;
        }
        s
    }
    /// A hint that [`LanguageModel::score`] of `word` after `state` will follow soon: models
    /// whose lookups wait on memory start loading what it reads. The default does nothing.
    fn prefetch(&self, _state: &LmState, _word: WordId) {}

    /// log10 P(word | state) — the same number as [`LanguageModel::log10_prob`] with the
    /// state's words as context — and the state after `word` in `out`. Models override this
    /// to keep only the context that can still matter and the backoffs they need (KenLM's
    /// state), which saves lookups; the default keeps the last `order - 1` words.
    fn score(&self, state: &LmState, word: WordId, out: &mut LmState) -> f32 {
        let ctx = state.context();
        let mut rev = [0 as WordId; LM_STATE_WORDS];
        for (r, &w) in rev.iter_mut().zip(ctx.iter().rev()) {
            *r = w;
        }
        let p = self.log10_prob(&rev[..ctx.len()], word);
        let keep = self.order().saturating_sub(1).min(LM_STATE_WORDS);
        let mut next = LmState::default();
        if keep > 0 {
            next.words[0] = word;
            let n = ctx.len().min(keep - 1);
            next.words[1..=n].copy_from_slice(&ctx[..n]);
            next.len = (n + 1) as u8;
        }
        *out = next;
        p
    }
}

/// Most context words an [`LmState`] holds (models up to 7-grams).
pub const LM_STATE_WORDS: usize = 6;

/// A language model's query state: the context words that can still matter, most recent
/// first, with model-specific numbers (backoff weights) that make the next lookup cheaper.
/// Two states are equal when their context words are: what follows scores the same.
#[derive(Debug, Clone, Copy, Default)]
pub struct LmState {
    /// Context words, most recent first; only the first `len` are meaningful.
    pub words: [WordId; LM_STATE_WORDS],
    /// Per-word numbers the model keeps (for n-gram models: backoff weights, log10).
    pub aux: [f32; LM_STATE_WORDS],
    /// Number of words in use.
    pub len: u8,
}

impl LmState {
    /// The context words in use, most recent first.
    pub fn context(&self) -> &[WordId] {
        &self.words[..(self.len as usize).min(LM_STATE_WORDS)]
    }
}

impl PartialEq for LmState {
    fn eq(&self, other: &Self) -> bool {
        self.context() == other.context()
    }
}

/// A candidate original for an observed word or phrase: an id that its source resolves (see
/// [`CandidateSource::original`] and [`CandidateSource::words`]), so that the hot path handles
/// no strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Id of the original within its source.
    pub id: u32,
    /// Which source (index in a [`Sources`]; 0 for a single source).
    pub source: u32,
    /// ln s(observed | original): the probability that a spinner which replaced the original
    /// wrote the observed text.
    pub ln_channel: f32,
    /// Which spinner dictionaries propose the pair (the lexicon's flags: [`DICT_MOBY`],
    /// [`DICT_WORDNET`], …; [`DICT_USER`] for user lexicons).
    pub dicts: u8,
}

/// How close two words or phrases are in meaning (word vectors), keyed by the language
/// model's word ids. Optional: an engine without it scores no meaning feature.
pub trait Meaning: Send + Sync {
    /// Cosine similarity in [-1, 1] of the two word sequences (each the mean of its words'
    /// vectors), or `None` when either has no word with a vector.
    fn similarity(&self, a: &[WordId], b: &[WordId]) -> Option<f32>;
}

/// Candidate flag: Moby Thesaurus lists the pair.
pub const DICT_MOBY: u8 = 1;
/// Candidate flag: the pair shares a WordNet synset.
pub const DICT_WORDNET: u8 = 2;
/// Candidate flag: learned from the tortured-phrases list.
pub const DICT_LEARNED: u8 = 4;
/// Candidate flag: a number word and its digits.
pub const DICT_NUMBER: u8 = 8;
/// Candidate flag: from a user lexicon (including the function-word pairs).
pub const DICT_USER: u8 = 16;

/// Where candidate originals come from (a compiled lexicon, a user lexicon, or both).
pub trait CandidateSource: Send + Sync {
    /// The longest observed key, in words.
    fn max_key_words(&self) -> usize;
    /// Appends the candidates for `observed_key` (normalised words joined by single spaces).
    fn candidates(&self, observed_key: &str, out: &mut Vec<Candidate>);
    /// Appends the first `limit` of what [`CandidateSource::candidates`] would, in the same
    /// order. Sources that can stop early (decoding fewer entries) override it.
    fn candidates_up_to(&self, observed_key: &str, limit: usize, out: &mut Vec<Candidate>) {
        let from = out.len();
        self.candidates(observed_key, out);
        out.truncate(from.saturating_add(limit));
    }
    /// False when no key of the source starts with `observed_key` followed by a space: the
    /// decoder then stops growing the key. Must never be false when such a key exists; the
    /// default (for sources that cannot tell) is true.
    fn extends(&self, observed_key: &str) -> bool {
        let _ = observed_key;
        true
    }
    /// The original's text: normalised words joined by single spaces.
    fn original(&self, c: &Candidate) -> String;
    /// Appends the original's word ids in `lm`. Sources with a fixed vocabulary override this
    /// with a precomputed table.
    fn words(&self, c: &Candidate, lm: &dyn LanguageModel, out: &mut Vec<WordId>) {
        out.extend(self.original(c).split(' ').map(|w| lm.id(w)));
    }
    /// True when the word (normalised text `norm`, id `id` in `lm`) is an original the source
    /// can restore, i.e. a word its spinner dictionaries would replace. Words no dictionary
    /// has are left alone by any spinner. The default (for sources that cannot tell) is true.
    fn is_original(&self, norm: &str, id: WordId, lm: &dyn LanguageModel) -> bool {
        let _ = (norm, id, lm);
        true
    }
}

/// Several candidate sources consulted together; for an original proposed by more than one
/// source the channel probabilities add (a mixture over spinner dictionaries).
pub struct Sources(pub Vec<Box<dyn CandidateSource>>);

impl CandidateSource for Sources {
    fn max_key_words(&self) -> usize {
        self.0.iter().map(|s| s.max_key_words()).max().unwrap_or(1)
    }

    fn candidates(&self, observed_key: &str, out: &mut Vec<Candidate>) {
        self.collect(observed_key, usize::MAX, out);
    }

    fn candidates_up_to(&self, observed_key: &str, limit: usize, out: &mut Vec<Candidate>) {
        let from = out.len();
        self.collect(observed_key, limit, out);
        out.truncate(from.saturating_add(limit));
    }

    fn extends(&self, observed_key: &str) -> bool {
        self.0.iter().any(|s| s.extends(observed_key))
    }

    fn original(&self, c: &Candidate) -> String {
        self.0
            .get(c.source as usize)
            .map(|s| s.original(c))
            .unwrap_or_default()
    }

    fn words(&self, c: &Candidate, lm: &dyn LanguageModel, out: &mut Vec<WordId>) {
        if let Some(s) = self.0.get(c.source as usize) {
            s.words(c, lm, out);
        }
    }

    fn is_original(&self, norm: &str, id: WordId, lm: &dyn LanguageModel) -> bool {
        self.0.iter().any(|s| s.is_original(norm, id, lm))
    }
}

impl Sources {
    /// The merged candidates, with at most `first_limit` from the first source. Merging keeps
    /// an original's first proposal and folds later ones into it, so the first source's
    /// entries lead the list: past `first_limit` of them nothing of the list's first
    /// `first_limit` entries depends on the rest (which is what makes
    /// [`CandidateSource::candidates_up_to`] exact).
    fn collect(&self, observed_key: &str, first_limit: usize, out: &mut Vec<Candidate>) {
        let start = out.len();
        let mut sources = 0;
        for (k, s) in self.0.iter().enumerate() {
            let from = out.len();
            if k == 0 {
                s.candidates_up_to(observed_key, first_limit, out);
            } else {
                s.candidates(observed_key, out);
            }
            for c in &mut out[from..] {
                c.source = k as u32;
            }
            sources += usize::from(out.len() > from);
        }
        if sources < 2 {
            return;
        }
        // A key known to several sources (function words are also in the thesauri): an
        // original proposed by more than one is merged into its first proposal. Each
        // original's text is built once.
        let texts: Vec<String> = out[start..].iter().map(|c| self.original(c)).collect();
        let mut keep = vec![true; texts.len()];
        for i in 0..texts.len() {
            let ci = out[start + i];
            let first = (0..i)
                .find(|&j| keep[j] && out[start + j].source != ci.source && texts[j] == texts[i]);
            if let Some(j) = first {
                let p = &mut out[start + j];
                p.ln_channel = log_add(p.ln_channel, ci.ln_channel);
                p.dicts |= ci.dicts;
                keep[i] = false;
            }
        }
        let mut i = 0;
        out.retain(|_| {
            let stay = i < start || keep[i - start];
            i += 1;
            stay
        });
    }
}

/// ln(e^a + e^b) without overflow.
pub fn log_add(a: f32, b: f32) -> f32 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f32::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// A lexicon learned from evidence (`unspin learn`): lines `spun<TAB>original<TAB>count`.
#[derive(Debug, Default)]
pub struct UserLexicon {
    map: rustc_hash::FxHashMap<String, Vec<Candidate>>,
    originals: Vec<String>,
    /// The one-word originals.
    words: rustc_hash::FxHashSet<String>,
    /// Every key's proper prefixes of whole words (*due*, *due to*, *due to this* for *due to
    /// this fact*).
    prefixes: rustc_hash::FxHashSet<String>,
    max_words: usize,
}

impl UserLexicon {
    /// Parses the TSV text of a user lexicon. Lines starting with `#` and blank lines are
    /// ignored; `name` is used in error messages.
    pub fn parse(text: &str, name: &str) -> Result<Self, crate::EngineError> {
        let rows =
            unspin_text::userlex::parse(text).map_err(|e| crate::EngineError::UserLexicon {
                path: name.to_string(),
                line: e.line,
                msg: e.msg,
            })?;
        let mut counts: std::collections::HashMap<String, Vec<(String, f64)>> = Default::default();
        let mut totals: std::collections::HashMap<String, f64> = Default::default();
        for r in rows {
            *totals.entry(r.original.clone()).or_default() += r.count;
            counts
                .entry(r.spun)
                .or_default()
                .push((r.original, r.count));
        }
        let mut map = rustc_hash::FxHashMap::default();
        let mut originals: Vec<String> = Vec::new();
        let mut ids: std::collections::HashMap<String, u32> = Default::default();
        let mut max_words = 1;
        let mut prefixes = rustc_hash::FxHashSet::default();
        for (spun, origs) in counts {
            max_words = max_words.max(spun.split(' ').count());
            for (at, _) in spun.match_indices(' ') {
                prefixes.insert(spun[..at].to_string());
            }
            let cands = origs
                .into_iter()
                .map(|(o, c)| {
                    // Add-one smoothing over what this original was seen spun into.
                    let t = totals.get(&o).copied().unwrap_or(c);
                    let id = *ids.entry(o.clone()).or_insert_with(|| {
                        originals.push(o);
                        (originals.len() - 1) as u32
                    });
                    Candidate {
                        id,
                        source: 0,
                        ln_channel: (c / (t + 1.0)).ln() as f32,
                        dicts: DICT_USER,
                    }
                })
                .collect();
            map.insert(spun, cands);
        }
        let words = originals
            .iter()
            .filter(|o| !o.contains(' '))
            .cloned()
            .collect();
        Ok(UserLexicon {
            map,
            originals,
            words,
            prefixes,
            max_words,
        })
    }

    /// Number of observed keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the lexicon has no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Lowercases and joins the words of a phrase with single spaces.
pub use unspin_text::userlex::normalize_phrase as normalize_key;

impl CandidateSource for UserLexicon {
    fn max_key_words(&self) -> usize {
        self.max_words
    }
    fn candidates(&self, observed_key: &str, out: &mut Vec<Candidate>) {
        if let Some(c) = self.map.get(observed_key) {
            out.extend(c.iter().copied());
        }
    }
    fn extends(&self, observed_key: &str) -> bool {
        self.prefixes.contains(observed_key)
    }
    fn original(&self, c: &Candidate) -> String {
        self.originals
            .get(c.id as usize)
            .cloned()
            .unwrap_or_default()
    }
    fn is_original(&self, norm: &str, _id: WordId, _lm: &dyn LanguageModel) -> bool {
        self.words.contains(norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_lexicon_extends_only_its_keys_prefixes() {
        let u = UserLexicon::parse("due to this fact\ttherefore\nin order to\tto\n", "u.tsv")
            .expect("parses");
        for key in ["due", "due to", "due to this", "in", "in order"] {
            assert!(u.extends(key), "{key}");
        }
        for key in [
            "due to this fact",
            "in order to",
            "du",
            "due t",
            "order",
            "to",
        ] {
            assert!(!u.extends(key), "{key}");
        }
        let both = Sources(vec![
            Box::new(u),
            Box::new(UserLexicon::parse("a b\tc\n", "v").unwrap()),
        ]);
        assert!(both.extends("a") && both.extends("due") && !both.extends("b"));
    }

    #[test]
    fn candidates_up_to_is_the_merged_list_cut() {
        // The first source proposes five originals for `x`, the others repeat some of them
        // (merged into the first proposal) and add their own.
        let first =
            UserLexicon::parse("x\ta\t5\nx\tb\t4\nx\tc\t3\nx\td\t2\nx\te\t1\n", "1").unwrap();
        let second = UserLexicon::parse("x\te\nx\tf\nx\ta\n", "2").unwrap();
        let third = UserLexicon::parse("x\tf\nx\tg\n", "3").unwrap();
        let all = Sources(vec![Box::new(first), Box::new(second), Box::new(third)]);
        let mut full = Vec::new();
        all.candidates("x", &mut full);
        let texts: Vec<String> = full.iter().map(|c| all.original(c)).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e", "f", "g"]);
        for limit in 0..=full.len() + 1 {
            let mut cut = vec![full[0]]; // appends after what is there
            all.candidates_up_to("x", limit, &mut cut);
            assert_eq!(&cut[1..], &full[..limit.min(full.len())], "limit {limit}");
        }
    }

    #[test]
    fn user_lexicon_parses_and_mixes() {
        let u = UserLexicon::parse(
            "# x\nDue to this fact\ttherefore\t3\nbosom\tbreast\n",
            "u.tsv",
        )
        .expect("parses");
        assert_eq!(u.max_key_words(), 4);
        let mut out = vec![];
        u.candidates("due to this fact", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(u.original(&out[0]), "therefore");
        assert!((out[0].ln_channel - (3.0f32 / 4.0).ln()).abs() < 1e-5);
        let both = Sources(vec![
            Box::new(u),
            Box::new(UserLexicon::parse("bosom\tbreast\t1", "v").unwrap()),
        ]);
        let mut out = vec![];
        both.candidates("bosom", &mut out);
        assert_eq!(out.len(), 1);
        assert!((out[0].ln_channel - (0.5f32 + 0.5).ln()).abs() < 1e-5);
        assert_eq!(out[0].dicts, DICT_USER);
        // One-word originals are words the lexicon's spinner would replace.
        let lm = crate::toy::lm();
        let unk = lm.unk();
        assert!(both.is_original("therefore", unk, &lm));
        assert!(both.is_original("breast", unk, &lm));
        assert!(!both.is_original("bosom", unk, &lm));
        assert!(!both.is_original("due", unk, &lm));
    }

    #[test]
    fn user_lexicon_bad_count_names_line() {
        let e = UserLexicon::parse("a\tb\tmany\n", "learned.tsv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("learned.tsv") && e.contains("line 1"), "{e}");
    }
}
