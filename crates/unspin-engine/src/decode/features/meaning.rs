//! Meaning: how close the original is in meaning to the spun words it would replace, as the
//! cosine of their word vectors (a phrase is the mean of its words' vectors). A spinner swaps
//! a word for a synonym of *some* sense of it, so the true original is close to the spun word;
//! a candidate that merely fits the n-gram window (a particle for a noun) is not.

use super::{EdgeFeature, FeatureCtx, Scope};
use crate::WordId;
use crate::decode::Params;
use crate::decode::lattice::Edge;

/// Cosine of the word vectors less [`Params::meaning_offset`], weighted by
/// [`Params::meaning_weight`]; 0 without vectors.
pub(crate) struct Meaning;

/// The same value, weighted by [`Params::meaning_choice_weight`] and applied within the span
/// (like the document cache): it moves the choice among one span's originals toward those
/// close in meaning, without making the span look more or less spun.
pub(crate) struct MeaningChoice;

/// The feature's value for the observed words `observed` and an original's `words`.
pub(crate) fn value_of(ctx: &FeatureCtx<'_>, observed: &[WordId], words: &[WordId]) -> f64 {
    match ctx.meaning.and_then(|m| m.similarity(observed, words)) {
        Some(c) => c as f64 - ctx.meaning_offset,
        None => 0.0,
    }
}

impl EdgeFeature for Meaning {
    fn name(&self) -> &'static str {
        "meaning_weight"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.meaning_weight
    }
    fn value(&self, ctx: &FeatureCtx<'_>, edge: &Edge, _: f64) -> f64 {
        let observed: smallvec::SmallVec<[WordId; 8]> =
            ctx.doc.toks[edge.i..edge.j].iter().map(|t| t.id).collect();
        value_of(ctx, &observed, &edge.words)
    }
}

impl EdgeFeature for MeaningChoice {
    fn name(&self) -> &'static str {
        "meaning_choice_weight"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.meaning_choice_weight
    }
    fn scope(&self) -> Scope {
        Scope::WithinSpan
    }
    fn value(&self, ctx: &FeatureCtx<'_>, edge: &Edge, span: f64) -> f64 {
        Meaning.value(ctx, edge, span)
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, Engine, LanguageModel, Params, WordId, toy};

    /// Vectors that put *sofa* next to *carpet* and *mat* far from it.
    struct SofaLikeCarpet(WordId, WordId, WordId);

    impl crate::Meaning for SofaLikeCarpet {
        fn similarity(&self, a: &[WordId], b: &[WordId]) -> Option<f32> {
            let (carpet, mat, sofa) = (self.0, self.1, self.2);
            match (a, b) {
                ([x], [y]) if *x == carpet && *y == sofa => Some(0.9),
                ([x], [y]) if *x == carpet && *y == mat => Some(-0.5),
                _ => None,
            }
        }
    }

    fn suggestion(params: Params) -> String {
        let lm = toy::lm();
        let meaning = SofaLikeCarpet(lm.id("carpet"), lm.id("mat"), lm.id("sofa"));
        let engine = Engine::new(Box::new(lm), Box::new(toy::lexicon()), params)
            .with_meaning(Box::new(meaning));
        let opts = CheckOptions {
            threshold: 0.01,
            ..Default::default()
        };
        let r = engine.check("the cat sat on the carpet .", &opts);
        r.findings
            .first()
            .map(|f| f.suggestion.clone())
            .unwrap_or_default()
    }

    #[test]
    fn meaning_moves_the_choice_toward_the_close_original() {
        // off by default: the n-gram window and the channel pick *mat*
        assert_eq!(suggestion(Params::default()), "mat");
        let mut p = Params::default();
        p.set("meaning_choice_weight", 8.0).unwrap();
        assert_eq!(suggestion(p), "sofa");
        let mut p = Params::default();
        p.set("meaning_weight", 8.0).unwrap();
        assert_eq!(suggestion(p), "sofa");
    }
}
