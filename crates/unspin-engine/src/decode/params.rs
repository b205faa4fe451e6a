//! The decoder's parameters: rates and priors of the document model, the pruning and search
//! settings, the features' weights (each feature reads its own; see
//! [`super::features`]) and the calibration of confidences.

/// Tunable parameters of the decoder. The defaults are what `unspin` ships with.
#[derive(Debug, Clone)]
pub struct Params {
    /// Spin rate of a text that was not run through a spinner (the "as written" hypothesis):
    /// near zero, but not zero, so that a single glaring substitution can still be found.
    /// 0.0005 (from 0.002) since the lexicon proposes WordNet's related terms too: on the dev
    /// suite the macro restoration F1 0.562 → 0.566 with false alarms on the clean sets 0.47 →
    /// 0.21 and 0.86 → 0.83 per 1k words (BENCHMARKS.md).
    pub clean_rate: f64,
    /// Prior mean of the spin rate of a spun text, before seeing it: the share of the words a
    /// dictionary would replace (see `Decoder::eligible`) that were replaced; spinners replace
    /// every 4th to every 2nd word they can. The estimate from the text alone runs low,
    /// because substitutions without the right candidate look written as is.
    pub prior_rate: f64,
    /// Strength of the Beta prior on the spun rate, in pseudo-words (chosen on the development
    /// and calibration sets, BENCHMARKS.md).
    pub prior_strength: f64,
    /// Prior probability that a text is spun.
    pub prior_spun: f64,
    /// Texts of at least this many words get the full prior against "spun" (see
    /// [`Params::prior_log_odds`]).
    pub prior_words: f64,
    /// EM iterations for the spun rate.
    pub em_iterations: usize,
    /// Edges whose LLR (nats) is below this are not considered at all.
    pub gate: f64,
    /// At most this many candidates per observed key.
    pub max_candidates: usize,
    /// Candidates per observed key read from the lexicon before the cut to
    /// `max_candidates`: the pool is ranked by the channel (ln s(Y|X) plus the weighted
    /// meaning feature), not by the lexicon's order, so an original the lexicon lists late
    /// but that means what the spun word means is kept (equal to `max_candidates`: no
    /// re-ranking).
    pub candidate_pool: usize,
    /// Beam width of the joint decoder.
    pub beam: usize,
    /// Log-prior (nats) added to edits of capitalised words inside a sentence (likely names):
    /// the weight of the name prior feature.
    pub name_penalty: f64,
    /// At most this many candidates per observed key get their whole window scored (the
    /// best by the first-word bound).
    pub max_scored: usize,
    /// Weight of the language model's evidence against the channel and priors (log-linear
    /// scaling, as in speech recognition): n-gram estimates for rare words in unseen contexts
    /// are overconfident, so their log-ratio is scaled down. The weight of the LM window
    /// feature, and of the LM in the beam.
    pub lm_weight: f64,
    /// Weight of the channel ln s(Y|X) (1: the noisy-channel model as it stands).
    pub channel_weight: f64,
    /// Weight of the meaning feature: the cosine of the word vectors of the spun span and of
    /// the original, less `meaning_offset` (0 when the engine has no vectors or either side
    /// has no vector).
    pub meaning_weight: f64,
    /// Weight of the meaning feature within the span: moves the choice among a span's
    /// originals toward those close in meaning without changing the span's odds.
    pub meaning_choice_weight: f64,
    /// The cosine the meaning feature counts as neutral (about that of a thesaurus pair).
    pub meaning_offset: f64,
    /// ln P(word | `<unk>`): the LM gives the probability of *some* unknown word; a specific
    /// one is far less likely. Added (nats) for every unknown word the text is scored with.
    pub unk_penalty: f64,
    /// Words whose ln P(word | context) is above this are not considered spun.
    pub likely: f64,
    /// How much (nats) the rest of a candidate's window may gain over the observed one, at
    /// most, for the pruning bound (see the lattice's first stage).
    pub prune_margin: f64,
    /// Weight of the words without edges in the document likelihood ratio (1 = exact: each
    /// was left alone with probability 1-ρ; 0 = ignore them, as before).
    pub kept_weight: f64,
    /// Log-prior (nats) for an edit that completes a known term (and against one that breaks
    /// a term standing in the text); see [`crate::Terms`].
    pub term_bonus: f64,
    /// Calibration of confidences: confidence = σ(scale·logit + shift), with `logit` the
    /// decoder's log-odds that the span was substituted. Fitted by logistic regression on the
    /// development sets' findings (spun texts and their clean originals, half each;
    /// BENCHMARKS.md): the raw log-odds are overconfident.
    pub calib_scale: f64,
    /// See `calib_scale`.
    pub calib_shift: f64,
    /// Strength (in spin events) of the prior that a document's spinner draws evenly on Moby
    /// and WordNet; 0 turns the per-document dictionary weighting off (see `DictWeights`).
    pub dict_prior: f64,
    /// Weight of the document cache among the originals proposed for one span: each gets
    /// `cache_weight · ln(1 + c)` nats, `c` the times its words stand elsewhere in the text
    /// (at most 3), renormalised so the span's total odds of being spun do not change (see
    /// the document cache feature). 0 turns it off.
    pub cache_weight: f64,
    /// Spin rate of edits learned from tortured phrases, when the document's estimated rate is
    /// lower (0: off, the default; [`Params::for_papers`] sets it): a paper is rarely spun
    /// throughout, yet may carry a few tortured phrases, which the document's low rate would
    /// otherwise hide.
    pub learned_rate: f64,
    /// Beta prior (`coverage_a`, `coverage_b`) on the share of a spun document's passages
    /// that were spun (see the decoder's `coverage` module): (1, 1), uniform, makes no
    /// difference between a copy spun throughout and one spun in part; the default (4, 1)
    /// leans to whole copies, as spinners work (chosen on the development sets of whole
    /// articles, spun throughout and in part, BENCHMARKS.md).
    pub coverage_a: f64,
    /// See `coverage_a`.
    pub coverage_b: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            clean_rate: 0.0005,
            prior_rate: 0.35,
            prior_strength: 100.0,
            prior_spun: 0.0005,
            prior_words: 15.0,
            em_iterations: 4,
            gate: -3.0,
            max_candidates: 16,
            candidate_pool: 16,
            beam: 6,
            name_penalty: -2.0,
            max_scored: 8,
            lm_weight: 0.9,
            channel_weight: 1.0,
            meaning_weight: 0.0,
            meaning_choice_weight: 0.0,
            meaning_offset: 0.3,
            unk_penalty: -10.0,
            prune_margin: 8.0,
            likely: -1.0,
            term_bonus: 3.0,
            kept_weight: 1.0,
            calib_scale: 0.63,
            calib_shift: -0.31,
            dict_prior: 2.0,
            cache_weight: 2.0,
            learned_rate: 0.0,
            coverage_a: 4.0,
            coverage_b: 1.0,
        }
    }
}

/// [`Params::learned_rate`] of [`Params::for_papers`], chosen on the tortured phrases in
/// context (`bench/check/tortured-context.py`) and dev false alarms.
pub const PAPERS_LEARNED_RATE: f64 = 0.03;

impl Params {
    /// Parameters for screening scientific papers for tortured phrases: substitutions learned
    /// from them get [`PAPERS_LEARNED_RATE`] (unless a learned rate is set already); more found
    /// in otherwise clean text, at more false alarms on clean prose.
    pub fn for_papers(mut self) -> Self {
        if self.learned_rate == 0.0 {
            self.learned_rate = PAPERS_LEARNED_RATE;
        }
        self
    }

    /// Prior log-odds that a text of `words` words is spun. The prior against "spun" absorbs
    /// the chance preferences of the language model that any clean text shows, and those grow
    /// with length: so it scales with the number of words up to `prior_words`, and a short
    /// snippet (a phrase, a sentence) is judged mostly on its own evidence.
    pub fn prior_log_odds(&self, words: usize) -> f64 {
        let full = (self.prior_spun / (1.0 - self.prior_spun)).ln();
        full * (words as f64 / self.prior_words.max(1.0)).min(1.0)
    }

    /// The edge features' weights with their names (as [`Params::set`] knows them), in the
    /// order the decoder sums the features (see the `features` module of the decoder).
    pub fn feature_weights(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        super::features::FEATURES
            .iter()
            .map(|f| (f.name(), f.weight(self)))
    }

    /// Sets a parameter by name (for experiments: `unspin eval --set name=value`).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
        match name {
            "clean_rate" => self.clean_rate = value,
            "prior_rate" => self.prior_rate = value,
            "prior_strength" => self.prior_strength = value,
            "prior_spun" => self.prior_spun = value,
            "prior_words" => self.prior_words = value,
            "em_iterations" => self.em_iterations = value as usize,
            "gate" => self.gate = value,
            "max_candidates" => self.max_candidates = value as usize,
            "candidate_pool" => self.candidate_pool = value as usize,
            "beam" => self.beam = value as usize,
            "name_penalty" => self.name_penalty = value,
            "max_scored" => self.max_scored = value as usize,
            "lm_weight" => self.lm_weight = value,
            "channel_weight" => self.channel_weight = value,
            "meaning_weight" => self.meaning_weight = value,
            "meaning_choice_weight" => self.meaning_choice_weight = value,
            "meaning_offset" => self.meaning_offset = value,
            "unk_penalty" => self.unk_penalty = value,
            "prune_margin" => self.prune_margin = value,
            "likely" => self.likely = value,
            "term_bonus" => self.term_bonus = value,
            "kept_weight" => self.kept_weight = value,
            "calib_scale" => self.calib_scale = value,
            "calib_shift" => self.calib_shift = value,
            "dict_prior" => self.dict_prior = value,
            "cache_weight" => self.cache_weight = value,
            "learned_rate" => self.learned_rate = value,
            "coverage_a" => self.coverage_a = value,
            "coverage_b" => self.coverage_b = value,
            _ => return Err(format!("unknown parameter `{name}`")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_against_spun_grows_with_length_then_caps() {
        let p = Params::default();
        let full = (p.prior_spun / (1.0 - p.prior_spun)).ln();
        assert!(full < 0.0);
        let short = p.prior_log_odds(2);
        let mid = p.prior_log_odds(p.prior_words as usize / 2);
        assert!(short > mid && mid > full, "{short} {mid} {full}");
        assert_eq!(p.prior_log_odds(p.prior_words as usize), full);
        assert_eq!(p.prior_log_odds(10_000), full);
        assert_eq!(p.prior_log_odds(0), 0.0);
    }
}
