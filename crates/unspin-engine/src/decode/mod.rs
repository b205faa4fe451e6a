//! The noisy-channel decoder.
//!
//! A spinner is modelled as a process that walks the original text and, for each word or
//! phrase X its dictionary knows, replaces it with probability ρ by an entry Y of its list for
//! X, chosen with probability s(Y|X) (the channel, from the lexicon). Restoration looks for the
//! original sequence X̂ that maximises
//!
//! ```text
//! P_LM(X) · Π_positions [ (1-ρ) if kept  |  ρ · s(Y|X) if spun ]
//! ```
//!
//! A passage is tokenized once ([`Decoder::prepare`], `tokens.rs`; its LM scores as written
//! in `observed.rs`) and then goes through four stages, a module each:
//!
//! 1. **Lattice** (`lattice.rs`, `term_edges.rs`): every span of up to `max_key_words` words
//!    that the lexicon knows gets an edge per candidate original; extra edges turn a span
//!    into a known term word by word. Candidates far below even odds are pruned.
//! 2. **Features** (`features/`): each edge's local log-odds is the weighted sum of its
//!    features — the LM window ratio (`ln P_LM(window with X) − ln P_LM(window as written)`,
//!    exact for an isolated edit), the channel ln s(Y|X), the name prior, the known-term
//!    feature — and the document cache moves each span's choice among its originals. Each
//!    feature is one file implementing `features::EdgeFeature`, with one weight in
//!    [`Params`]; the module's docs say how to add one.
//! 3. **Document model** (`docmodel.rs`): ρ is estimated per passage by a few EM steps over
//!    the edges' posteriors, with a Beta prior, so clean text drives ρ (and with it every
//!    edge's odds) down, and heavily spun text up. ρ is a share of the words some dictionary
//!    would replace (words no dictionary has are left alone under both hypotheses). The same
//!    steps estimate which thesaurus the passage's spinner drew on (`DictWeights`) and
//!    reweight the channel. It adds each edge's rate terms to its features' sum.
//! 4. **Search** (`search.rs`, then `finding.rs`): a beam search over the lattice with full LM
//!    scoring, recombining hypotheses on their LM state, so that neighbouring edits are
//!    decided together and phrase edits (*due to this fact* → *therefore*) compete whole
//!    against word edits; each chosen edit becomes a finding with a calibrated confidence.

mod coverage;
mod docmodel;
mod features;
mod finding;
mod lattice;
mod observed;
mod params;
mod search;
mod term_edges;
#[cfg(test)]
mod testutil;
mod tokens;

pub use params::{PAPERS_LEARNED_RATE, Params};
pub use tokens::{Prepared, WordCounts};

use crate::model::{CandidateSource, LM_STATE_WORDS, LanguageModel};

const LN10: f64 = std::f64::consts::LN_10;
/// Highest spin rate the EM may estimate.
const MAX_RATE: f64 = 0.6;

/// A finding inside a chunk, before it is turned into a user-facing [`crate::Finding`].
#[derive(Debug, Clone)]
pub struct RawFinding {
    /// Byte offset of the spun span (chunk-relative).
    pub start: usize,
    /// End byte offset of the spun span.
    pub end: usize,
    /// The chosen original (normalised).
    pub suggestion: String,
    /// Other originals, best first (normalised).
    pub alternatives: Vec<String>,
    /// Calibrated confidence that the span was spun.
    pub confidence: f64,
    /// The edge's log-likelihood ratio (nats) at the estimated spin rate.
    pub llr: f64,
}

/// What analysing a chunk produced.
#[derive(Debug, Default)]
pub struct ChunkResult {
    /// Decoded findings, in text order, not filtered by threshold.
    pub findings: Vec<RawFinding>,
    /// Number of word tokens.
    pub words: usize,
    /// Log-likelihood ratio (nats) of "spun at the estimated rate" against "as written".
    pub doc_llr: f64,
    /// Posterior probability that the chunk was spun.
    pub p_spun: f64,
    /// Effective spin rate used for decoding.
    pub rate: f64,
}

/// A passage judged on its own evidence, waiting for its P(spun) to be decoded
/// ([`Decoder::judge`], [`Decoder::finish`]).
pub struct Judged {
    edges: Vec<lattice::Edge>,
    obs: observed::Observed,
    est: docmodel::RateEstimate,
    words: usize,
}

impl Judged {
    /// ln P(passage | spun at its estimated rate) − ln P(passage | as written), nats.
    pub fn llr(&self) -> f64 {
        self.est.llr
    }

    /// Word tokens of the passage.
    pub fn words(&self) -> usize {
        self.words
    }
}

/// The decoder: a language model, a candidate source and parameters.
pub struct Decoder<'a> {
    /// Language model.
    pub lm: &'a dyn LanguageModel,
    /// Candidate originals.
    pub lex: &'a dyn CandidateSource,
    /// Parameters.
    pub params: &'a Params,
    /// Known terms, if any.
    pub terms: Option<&'a crate::Terms>,
    /// Word vectors for the meaning feature, if any.
    pub meaning: Option<&'a dyn crate::Meaning>,
}

impl<'a> Decoder<'a> {
    /// A decoder over a language model and candidates, with no known terms and no vectors.
    pub fn new(
        lm: &'a dyn LanguageModel,
        lex: &'a dyn CandidateSource,
        params: &'a Params,
    ) -> Self {
        Decoder {
            lm,
            lex,
            params,
            terms: None,
            meaning: None,
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Decoder<'_> {
    /// Analyses one chunk of text (any size; callers split very large texts).
    ///
    /// `bias` is added to every edit's log-odds (nats): positive values find more.
    pub fn analyze(&self, text: &str, bias: f64) -> ChunkResult {
        self.analyze_in(text, bias, None)
    }

    /// [`Decoder::analyze`] for one passage of a longer text whose word counts
    /// ([`Decoder::word_counts`] of the whole text) feed the document cache; `None`: the
    /// passage's own.
    pub fn analyze_in(&self, text: &str, bias: f64, counts: Option<&WordCounts>) -> ChunkResult {
        self.analyze_prepared(&self.prepare(text), bias, counts)
    }

    /// [`Decoder::analyze_in`] of a passage prepared already ([`Decoder::prepare`]), judged
    /// on its own (a document of one passage).
    pub fn analyze_prepared(
        &self,
        doc: &Prepared,
        bias: f64,
        counts: Option<&WordCounts>,
    ) -> ChunkResult {
        let judged = self.judge(doc, counts);
        let p_spun = sigmoid(judged.llr() + self.params.prior_log_odds(judged.words));
        self.finish(doc, judged, p_spun, bias)
    }

    /// The first half of [`Decoder::analyze_prepared`]: the passage's lattice and its spin
    /// rate if spun, with the evidence that it was ([`Judged::llr`]); [`Decoder::finish`]
    /// decodes it once P(spun) is known (from the passage alone, or from the whole document:
    /// [`Decoder::passage_posteriors`]).
    pub fn judge(&self, doc: &Prepared, counts: Option<&WordCounts>) -> Judged {
        let words = doc.toks.iter().filter(|t| t.spinnable).count();
        let obs = self.observed_scores(doc);
        let own;
        let counts = match counts {
            Some(c) => c,
            None => {
                own = self.count_words(doc);
                &own
            }
        };
        let mut edges = self.lattice(doc, &obs, counts);
        let eligible = self.eligible(doc, &edges);
        let est = self.estimate_rate(&mut edges, eligible);
        Judged {
            edges,
            obs,
            est,
            words,
        }
    }

    /// Decodes a judged passage (of `doc`) spun with probability `p_spun`.
    pub fn finish(&self, doc: &Prepared, judged: Judged, p_spun: f64, bias: f64) -> ChunkResult {
        let Judged {
            mut edges,
            obs,
            est,
            words,
        } = judged;
        let rate = self.apply_rate(&mut edges, &est, p_spun);
        let findings = self.search(doc, &edges, &obs, bias);
        ChunkResult {
            findings,
            words,
            doc_llr: est.llr,
            p_spun,
            rate,
        }
    }

    /// P(spun) of each passage of one document, from their evidence ([`Judged::llr`]) and
    /// their words: a spinner spins documents, so the passages are judged together (see the
    /// `coverage` module). For one passage, its own posterior.
    pub fn passage_posteriors(&self, llrs: &[f64], words: usize) -> Vec<f64> {
        let p = self.params;
        coverage::passage_posteriors(llrs, p.prior_log_odds(words), (p.coverage_a, p.coverage_b))
    }

    /// Tokens of context the LM's states keep (order − 1, at most [`LM_STATE_WORDS`]).
    fn n_ctx(&self) -> usize {
        self.lm.order().clamp(1, LM_STATE_WORDS + 1) - 1
    }
}
