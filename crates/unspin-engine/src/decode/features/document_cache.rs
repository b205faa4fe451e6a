//! The document cache: a text keeps to its own words (*she* throughout, *were* for a plural
//! subject), so among the originals proposed for one span those whose words stand elsewhere
//! in the text are likelier. An edge's value is `ln(1 + c)`, `c` the fewest times one of its
//! words occurs outside the span (at most [`CACHE_CAP`]); it moves the choice among the
//! span's originals, not the span's total odds of being spun (so clean text gets no more
//! findings): see [`super::within_spans`].

use super::{EdgeFeature, FeatureCtx, Scope};
use crate::decode::Params;
use crate::decode::lattice::Edge;

/// Uses elsewhere in the text beyond which the document cache gives no more credit: a word the
/// text uses a few times is its word; counting further would make the cache a unigram model of
/// long texts (*to* against *for*), which the LM already is, in context.
pub(in crate::decode) const CACHE_CAP: usize = 3;

/// `ln(1 + uses elsewhere)`, within the span, weighted by [`Params::cache_weight`].
pub(crate) struct DocumentCache;

impl EdgeFeature for DocumentCache {
    fn name(&self) -> &'static str {
        "cache_weight"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.cache_weight
    }
    fn scope(&self) -> Scope {
        Scope::WithinSpan
    }
    fn value(&self, ctx: &FeatureCtx<'_>, e: &Edge, _: f64) -> f64 {
        let count = |w| ctx.counts.get(&w).map_or(0, |&c| c as usize);
        let toks = &ctx.doc.toks[e.i..e.j];
        let uses = e
            .words
            .iter()
            .map(|&w| {
                let inside = toks.iter().filter(|t| t.id == w).count();
                count(w).saturating_sub(inside).min(CACHE_CAP)
            })
            .min()
            .unwrap_or(0);
        (uses as f64).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testutil::toy_edges;
    use crate::model::CandidateSource;

    #[test]
    fn document_cache_moves_the_choice_not_the_odds() {
        let off = Params {
            cache_weight: 0.0,
            ..Params::default()
        };
        let on = Params::default();
        assert!(on.cache_weight > 0.0);
        let lex = crate::toy::lexicon();
        // *rug* may stand for *mat* or *sofa*; the text has *sofa* elsewhere, not *mat*.
        let text = "the cat sat on the rug . the cat sat on the sofa .";
        // The base scores of *mat* and *sofa* for *rug* in `text`.
        let at_rug = |text: &str, p: &Params| {
            let (doc, edges) = toy_edges(text, &lex, p, None);
            let pick = |w: &str| {
                edges
                    .iter()
                    .find(|e| doc.norm(e.i) == "rug" && lex.original(&e.cand) == w)
                    .map(|e| e.base)
                    .unwrap()
            };
            (pick("mat"), pick("sofa"))
        };
        let (m0, s0) = at_rug(text, &off);
        let (m1, s1) = at_rug(text, &on);
        // *sofa* gains cache_weight · ln 2 on *mat* (which stands nowhere else) ...
        let gain = (s1 - m1) - (s0 - m0);
        assert!((gain - on.cache_weight * 2f64.ln()).abs() < 1e-9, "{gain}");
        // ... and the span's total odds of being spun are unchanged.
        let lse = |a: f64, b: f64| a.max(b) + (-(a - b).abs()).exp().ln_1p();
        assert!((lse(m0, s0) - lse(m1, s1)).abs() < 1e-9);
        // Uses beyond the cap add nothing: five more *sofa*s give what three give.
        let gain_with = |more: usize| {
            let text = format!("the cat sat on the rug .{}", " the sofa .".repeat(more));
            let (mat, sofa) = at_rug(&text, &on);
            sofa - mat
        };
        let (g3, g8) = (gain_with(CACHE_CAP), gain_with(CACHE_CAP + 5));
        assert!((g3 - g8).abs() < 1e-9, "{g3} vs {g8}");
        assert!(g3 > gain_with(1) + 0.5);
    }
}
