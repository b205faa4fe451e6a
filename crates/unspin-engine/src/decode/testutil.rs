//! Helpers shared by the decoder's unit tests.

use super::lattice::Edge;
use super::tokens::Prepared;
use super::{Decoder, Params};
use crate::model::{Candidate, CandidateSource, LanguageModel, WordId};

/// An edge at token `i` (one word long, proposed by Moby) with local log-odds `base`.
pub(super) fn edge(i: usize, base: f64) -> Edge {
    let mut e = Edge::new(
        (i, i + 1),
        smallvec::smallvec![1],
        Candidate {
            id: 0,
            source: 0,
            ln_channel: 0.0,
            dicts: crate::model::DICT_MOBY,
        },
        Box::default(),
        0.0,
        1,
        1,
    );
    e.base = base;
    e.llr = base;
    e
}

/// `e` proposed by the dictionaries `dicts`.
pub(super) fn with_dicts(mut e: Edge, dicts: u8) -> Edge {
    e.dicts = dicts;
    e
}

/// The toy lexicon, with only some words known as originals.
pub(super) struct Known<'a>(pub &'a dyn CandidateSource, pub &'static [&'static str]);

impl CandidateSource for Known<'_> {
    fn max_key_words(&self) -> usize {
        self.0.max_key_words()
    }
    fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
        self.0.candidates(key, out)
    }
    fn original(&self, c: &Candidate) -> String {
        self.0.original(c)
    }
    fn is_original(&self, norm: &str, _: WordId, _: &dyn LanguageModel) -> bool {
        self.1.contains(&norm)
    }
}

/// Edges of `text` under the toy LM with `lex`, `params` and `terms` (the document cache
/// from the text's own counts), with the decoder's tokens.
pub(super) fn toy_edges(
    text: &str,
    lex: &dyn CandidateSource,
    params: &Params,
    terms: Option<&crate::Terms>,
) -> (Prepared, Vec<Edge>) {
    let lm = crate::toy::lm();
    let dec = Decoder {
        lm: &lm,
        lex,
        params,
        terms,
        meaning: None,
    };
    let doc = dec.prepare(text);
    let obs = dec.observed_scores(&doc);
    let edges = dec.lattice(&doc, &obs, &dec.count_words(&doc));
    (doc, edges)
}
