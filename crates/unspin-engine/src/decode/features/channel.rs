//! The channel: ln s(Y|X), how likely a spinner that replaced the original X wrote the
//! observed Y (from the lexicon). A term edge replaces several words: the sum of their
//! channels.

use super::{EdgeFeature, FeatureCtx};
use crate::decode::Params;
use crate::decode::lattice::Edge;

/// ln s(Y|X), weighted by [`Params::channel_weight`].
pub(crate) struct Channel;

impl EdgeFeature for Channel {
    fn name(&self) -> &'static str {
        "channel_weight"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.channel_weight
    }
    fn value(&self, _: &FeatureCtx<'_>, edge: &Edge, _: f64) -> f64 {
        if edge.parts.is_empty() {
            edge.cand.ln_channel as f64
        } else {
            edge.parts
                .iter()
                .flatten()
                .map(|c| c.ln_channel as f64)
                .sum()
        }
    }
}
