//! The name prior: a capitalised word inside a sentence is likely a name, which spinners
//! leave alone (and whose odd fit the LM would mistake for a substitution).

use super::{EdgeFeature, FeatureCtx};
use crate::decode::Params;
use crate::decode::lattice::Edge;

/// 1 when the span holds a likely name, weighted by [`Params::name_penalty`].
pub(crate) struct NamePrior;

impl EdgeFeature for NamePrior {
    fn name(&self) -> &'static str {
        "name_penalty"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.name_penalty
    }
    fn span(&self, ctx: &FeatureCtx<'_>, i: usize, j: usize) -> f64 {
        if ctx.doc.toks[i..j].iter().any(|t| t.name_like) {
            1.0
        } else {
            0.0
        }
    }
    fn value(&self, _: &FeatureCtx<'_>, _: &Edge, span: f64) -> f64 {
        span
    }
}
