//! Edge features: the evidence for an edge, one scorer per file, each with one weight.
//!
//! An edge's local log-odds (`Edge::base`, nats) is the weighted sum of its feature values,
//! `Σ_f weight_f · value_f`, over the features of [`Scope::Edge`]; the document model then
//! adds its rate terms (`docmodel::set_rate`). Features of [`Scope::WithinSpan`] (the
//! document cache) only move the choice among one span's originals: their weighted values
//! are added less their posterior-weighted mean over the span (see [`within_spans`]).
//!
//! | feature | file | value | weight (`Params`) |
//! |---|---|---|---|
//! | [`LmWindow`] | `lm_window.rs` | ln P_LM(window with X) − ln P_LM(window as written) | `lm_weight` |
//! | [`Channel`] | `channel.rs` | ln s(Y\|X) (summed over a term edge's words) | `channel_weight` |
//! | [`NamePrior`] | `name_prior.rs` | 1 if the span holds a likely name | `name_penalty` |
//! | [`KnownTerm`] | `known_term.rs` | +1 completes a known term, −1 breaks one | `term_bonus` |
//! | [`DocumentCache`] | `document_cache.rs` | ln(1 + uses of X elsewhere, ≤ 3), within span | `cache_weight` |
//! | [`Meaning`] | `meaning.rs` | cosine of the word vectors of Y and X, less `meaning_offset` | `meaning_weight` |
//! | [`MeaningChoice`] | `meaning.rs` | the same, within span | `meaning_choice_weight` |
//!
//! # Adding a feature
//!
//! 1. A new file here, say `embedding.rs`, with a unit struct implementing [`EdgeFeature`]:
//!    `name` returns the weight's name (`"embedding_weight"`), `weight` reads it from
//!    [`Params`], `value` computes the feature from the [`FeatureCtx`] (the prepared tokens,
//!    the known terms, the document's word counts) and the edge (its span `i..j`, its
//!    original's LM word ids `words`, its candidate `cand`; `parts` for a term edge). What
//!    every edge of one span shares goes in `span`, computed once per span and handed to
//!    `value`. No allocation, no strings: it runs for every edge.
//! 2. A field `embedding_weight` in [`Params`] (its doc, its default in `Default`, an arm
//!    in `Params::set`); a default of 0 keeps the decoder's output as it was.
//! 3. `mod embedding;` below and the struct appended to [`FEATURES`] (and `N` raised).
//!
//! A feature whose weight is 0 is not evaluated (its value is 0). The weights can be fitted
//! on the development sets like any logistic model over the edges' values (`Edge::values`):
//! the confidence is a logistic map of the summed log-odds.

mod channel;
mod document_cache;
mod known_term;
pub(super) mod lm_window;
pub(super) mod meaning;
mod name_prior;

pub(super) use channel::Channel;
pub(super) use document_cache::DocumentCache;
pub(super) use known_term::KnownTerm;
pub(super) use lm_window::{Chain, LmWindow};
pub(super) use meaning::{Meaning, MeaningChoice};
pub(super) use name_prior::NamePrior;

use super::Params;
use super::lattice::Edge;
use super::tokens::{Prepared, WordCounts};

/// What a feature may look at besides the edge: the passage and the document.
pub(crate) struct FeatureCtx<'a> {
    /// The passage's tokens.
    pub doc: &'a Prepared,
    /// Known terms, if any.
    pub terms: Option<&'a crate::Terms>,
    /// How often each word stands in the whole document (for the document cache; empty when
    /// the cache is off).
    pub counts: &'a WordCounts,
    /// Word vectors, if the engine has them.
    pub meaning: Option<&'a dyn crate::Meaning>,
    /// [`Params::meaning_offset`].
    pub meaning_offset: f64,
}

/// How a feature's weighted value enters an edge's log-odds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Added to the edge's local log-odds.
    Edge,
    /// Added, less its posterior-weighted mean over the edges of the edge's span (`i..j`), so
    /// that it moves the choice among the span's originals but not the span's total odds of
    /// being spun (see [`within_spans`]).
    WithinSpan,
}

/// One feature of an edge, with one weight in [`Params`].
pub(crate) trait EdgeFeature: Sync {
    /// The name of its weight, as [`Params::set`] knows it.
    fn name(&self) -> &'static str;
    /// Its weight.
    fn weight(&self, p: &Params) -> f64;
    /// How its weighted value enters the log-odds.
    fn scope(&self) -> Scope {
        Scope::Edge
    }
    /// What the edges of span `i..j` share (computed once per span, passed to `value`).
    fn span(&self, _ctx: &FeatureCtx<'_>, _i: usize, _j: usize) -> f64 {
        0.0
    }
    /// The feature's value on `edge` (unweighted), given its span's `span` value.
    fn value(&self, ctx: &FeatureCtx<'_>, edge: &Edge, span: f64) -> f64;
}

/// Number of features.
pub(super) const N: usize = 7;

/// One number per feature, in the order of [`FEATURES`].
pub(super) type Values = [f64; N];

/// Every feature, in the order their weighted values are summed.
pub(super) static FEATURES: [&dyn EdgeFeature; N] = [
    &LmWindow,
    &Channel,
    &NamePrior,
    &KnownTerm,
    &DocumentCache,
    &Meaning,
    &MeaningChoice,
];

/// Index in [`FEATURES`] of the LM window ratio (which the beam replaces by full LM scoring).
pub(super) const LM_WINDOW: usize = 0;
/// Index of the channel (in the lattice's pruning bound).
pub(super) const CHANNEL: usize = 1;
/// Index of the name prior (in the lattice's pruning bound).
pub(super) const NAME: usize = 2;
/// Index of the meaning feature (in the lattice's pruning bound and candidate ranking).
pub(super) const MEANING: usize = 5;
/// Index of the meaning feature applied within the span.
pub(super) const MEANING_CHOICE: usize = 6;

/// The features' weights under `p`.
pub(super) fn weights(p: &Params) -> Values {
    std::array::from_fn(|f| FEATURES[f].weight(p))
}

/// The features' span values for span `i..j` (0 for features weighted 0).
pub(super) fn span_values(ctx: &FeatureCtx<'_>, weights: &Values, i: usize, j: usize) -> Values {
    std::array::from_fn(|f| {
        if weights[f] == 0.0 {
            0.0
        } else {
            FEATURES[f].span(ctx, i, j)
        }
    })
}

/// Fills `edge.values` and sets its `base` and `llr` (the weighted sum of its [`Scope::Edge`]
/// features), from its span's `spans`.
pub(super) fn score(ctx: &FeatureCtx<'_>, weights: &Values, spans: &Values, edge: &mut Edge) {
    // -0.0 is the exact identity of addition: the sum is the first term, then the next, ...
    let mut base = -0.0;
    for (f, feature) in FEATURES.iter().enumerate() {
        let v = if weights[f] == 0.0 {
            0.0
        } else {
            feature.value(ctx, edge, spans[f])
        };
        edge.values[f] = v;
        if feature.scope() == Scope::Edge {
            base += weights[f] * v;
        }
    }
    edge.base = base;
    edge.llr = base;
}

/// Applies the [`Scope::WithinSpan`] features to the edges (in start order, as the lattice
/// leaves them): each edge of a span gets `weight · value`, less ln of the posterior-weighted
/// mean of `e^(weight · value)` over the span's edges, so the choice among the span's
/// originals moves and the span's total odds of being spun stay (clean text gets no more
/// findings).
pub(super) fn within_spans(weights: &Values, edges: &mut [Edge]) {
    for (f, feature) in FEATURES.iter().enumerate() {
        if feature.scope() == Scope::WithinSpan && weights[f] != 0.0 && !edges.is_empty() {
            renormalise(f, weights[f], edges);
        }
    }
}

/// [`within_spans`] for feature `f` of weight `w`.
fn renormalise(f: usize, w: f64, edges: &mut [Edge]) {
    // Edges come in start order; a span's edges are those of one start with one end.
    let (mut members, mut ends): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut exp = ExpMemo::default();
    let mut from = 0;
    while from < edges.len() {
        let mut to = from + 1;
        while to < edges.len() && edges[to].i == edges[from].i {
            to += 1;
        }
        ends.clear();
        for e in &edges[from..to] {
            if !ends.contains(&e.j) {
                ends.push(e.j);
            }
        }
        for &j in &ends {
            members.clear();
            members.extend((from..to).filter(|&x| edges[x].j == j));
            if members.iter().all(|&x| edges[x].values[f] == 0.0) {
                continue; // no value anywhere: nothing moves
            }
            let m = members
                .iter()
                .map(|&x| edges[x].base)
                .fold(f64::NEG_INFINITY, f64::max);
            let (mut z, mut zb) = (0.0, 0.0);
            for &x in &members {
                let p = (edges[x].base - m).exp();
                z += p;
                zb += p * exp.of(w * edges[x].values[f]);
            }
            let norm = (zb / z).ln();
            for &x in &members {
                let e = &mut edges[x];
                e.base += w * e.values[f] - norm;
                e.llr = e.base;
            }
        }
        from = to;
    }
}

/// `e^x` of the last few `x` asked for: a feature takes few distinct values (the document
/// cache four), so most calls find theirs.
#[derive(Default)]
struct ExpMemo {
    seen: [(u64, f64); 4],
    next: usize,
}

impl ExpMemo {
    fn of(&mut self, x: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        if let Some(&(_, e)) = self.seen.iter().find(|s| s.0 == x.to_bits()) {
            return e;
        }
        let e = x.exp();
        self.seen[self.next] = (x.to_bits(), e);
        self.next = (self.next + 1) % self.seen.len();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testutil::toy_edges;

    #[test]
    fn every_weight_is_a_parameter() {
        for (f, feature) in FEATURES.iter().enumerate() {
            let mut p = Params::default();
            p.set(feature.name(), 0.125).unwrap();
            assert_eq!(feature.weight(&p), 0.125, "{}", feature.name());
            assert_eq!(weights(&p)[f], 0.125);
            let others = weights(&Params::default());
            for g in (0..N).filter(|&g| g != f) {
                assert_eq!(weights(&p)[g], others[g], "{} moved {g}", feature.name());
            }
        }
    }

    /// For each feature of the edge's own log-odds: weight 0 (set by name) takes exactly its
    /// weighted value out of every edge's base, and leaves the other features' values.
    #[test]
    fn a_weight_of_zero_removes_the_feature() {
        let lex = crate::toy::lexicon();
        let terms = crate::Terms::parse("cat sat on the mat\n", &crate::toy::lm());
        // *rug* for *mat* completes the term, *mat* for *carpet* breaks it, and *Carpet*
        // inside a sentence is name-like: every local feature is non-zero somewhere.
        let text = "the cat sat on the rug . the cat sat on the mat . the dog lay on the Carpet .";
        let mut on = Params::default();
        on.set("cache_weight", 0.0).unwrap();
        let w = weights(&on);
        let (_, edges) = toy_edges(text, &lex, &on, Some(&terms));
        for (f, feature) in FEATURES.iter().enumerate() {
            // features off by default (the meaning features, which also need vectors the toy
            // engine lacks) are tested in their own files
            if feature.scope() != Scope::Edge || w[f] == 0.0 {
                continue;
            }
            let mut off = on.clone();
            off.set(feature.name(), 0.0).unwrap();
            let (_, without) = toy_edges(text, &lex, &off, Some(&terms));
            let (mut moved, mut compared) = (false, 0);
            for e in &edges {
                let Some(o) = without
                    .iter()
                    .find(|o| (o.i, o.j, &o.words) == (e.i, e.j, &e.words))
                else {
                    continue;
                };
                compared += 1;
                let contribution = w[f] * e.values[f];
                moved |= contribution != 0.0;
                assert!(
                    (e.base - o.base - contribution).abs() < 1e-9,
                    "{}: {} - {} vs {contribution}",
                    feature.name(),
                    e.base,
                    o.base
                );
                assert_eq!(o.values[f], 0.0);
                for g in (0..N).filter(|&g| g != f) {
                    assert_eq!(
                        o.values[g],
                        e.values[g],
                        "{} moved feature {g}",
                        feature.name()
                    );
                }
            }
            assert!(
                compared >= 3,
                "{}: {compared} edges compared",
                feature.name()
            );
            assert!(
                moved,
                "{} contributes nothing on the test text",
                feature.name()
            );
        }
    }
}
