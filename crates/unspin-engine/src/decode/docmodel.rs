//! The document model: a passage is written as is (spin rate `clean_rate`) or spun at a rate
//! ρ₁ estimated by EM under a Beta prior, with per-document weights of the thesauri the
//! spinner drew on ([`DictWeights`]). It adds each edge's rate terms to its features' sum
//! ([`set_rate`]): `events · (ln ρ + ln dictionary factor) − covered · ln(1 − ρ)`.

use super::lattice::Edge;
use super::tokens::Prepared;
use super::{Decoder, MAX_RATE};
use crate::model::{DICT_LEARNED, DICT_MOBY, DICT_WORDNET};

impl Decoder<'_> {
    /// Words a spinner could have replaced: those with edges, and those some dictionary would
    /// replace (the rest are left alone by any spinner, under either hypothesis).
    pub(super) fn eligible(&self, doc: &Prepared, edges: &[Edge]) -> usize {
        let toks = &doc.toks;
        let mut has_edge = vec![false; toks.len()];
        for e in edges {
            has_edge[e.i] = true;
        }
        toks.iter()
            .zip(&has_edge)
            .enumerate()
            .filter(|(k, (t, e))| {
                t.spinnable && (**e || self.lex.is_original(doc.norm(*k), t.id, self.lm))
            })
            .count()
    }

    /// Two hypotheses about the passage: written as is (spin rate `clean_rate`), or spun at a
    /// rate ρ₁ (a share of the `eligible` words) estimated by EM under a Beta prior, along with
    /// the dictionary weights. Returns ρ₁, the weights and the log-likelihood ratio of spun
    /// against clean; [`Decoder::apply_rate`] then sets the edges' odds once P(spun) is known.
    pub(super) fn estimate_rate(&self, edges: &mut [Edge], eligible: usize) -> RateEstimate {
        let p = self.params;
        let a = p.prior_rate * p.prior_strength;
        let b = (1.0 - p.prior_rate) * p.prior_strength;
        let mut rate = p.prior_rate;
        let mut dw = DictWeights::NEUTRAL;
        for _ in 0..p.em_iterations {
            set_rate(edges, rate, 0.0, &dw);
            let post = edge_posteriors(edges);
            let expected: f64 = post.iter().sum();
            rate = ((expected + a) / (eligible as f64 + a + b)).clamp(p.clean_rate * 2.0, MAX_RATE);
            if p.dict_prior > 0.0 {
                dw = dw.update(edges, &post, p.dict_prior);
            }
        }
        // Words with no edge were left alone: probability 1-ρ under each hypothesis.
        let with_edges = edges
            .iter()
            .enumerate()
            .filter(|(k, e)| *k == 0 || edges[k - 1].i != e.i)
            .count();
        let kept = eligible.saturating_sub(with_edges) as f64;
        let llr = doc_llr(edges, rate, &dw) - doc_llr(edges, p.clean_rate, &DictWeights::NEUTRAL)
            + p.kept_weight * kept * ((1.0 - rate).ln() - (1.0 - p.clean_rate).ln());
        RateEstimate { rate, llr, dw }
    }

    /// Sets every edge's `llr` at the effective rate of a passage spun with probability
    /// `p_spun` (the posterior mixture of ρ₁ and `clean_rate`), which it returns.
    pub(super) fn apply_rate(&self, edges: &mut [Edge], est: &RateEstimate, p_spun: f64) -> f64 {
        let p = self.params;
        let eff = p_spun * est.rate + (1.0 - p_spun) * p.clean_rate;
        // A text as written has no spinner whose dictionary could be favoured.
        let dw = est.dw.toward_even(p_spun);
        // Tortured phrases stand in otherwise clean papers: an edit learned from them is judged
        // at a rate of its own when the document's is lower.
        set_rate(edges, eff, p.learned_rate, &dw);
        eff
    }
}

/// What the document model learned of one passage from its own words.
#[derive(Debug, Clone)]
pub(super) struct RateEstimate {
    /// ρ₁, the spin rate if the passage was spun.
    pub rate: f64,
    /// ln P(passage | spun at ρ₁) − ln P(passage | as written).
    pub llr: f64,
    dw: DictWeights,
}

/// How much a document's spinner favours each broad thesaurus, relative to the lexicon's even
/// mixture. A spinner uses one dictionary: in a text spun from Moby the edits Moby proposes
/// keep turning out likely and WordNet's do not, and the other way round. The weights are the
/// mixture proportions of the two thesauri among the document's spin events, estimated by EM
/// along with the spin rate (each event shared among the dictionaries that propose it, in
/// proportion to their weights) under a symmetric Dirichlet prior of `dict_prior` events, and
/// scaled so that the even mixture is 1 each. A pair proposed by a set of dictionaries has its
/// channel multiplied by their mean weight (other dictionaries count 1).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DictWeights {
    moby: f64,
    wordnet: f64,
    /// Per edge, the weights without the evidence of its own position (leave-one-out: an
    /// edit must not vouch for itself, or a short text's single edit would boost its own
    /// dictionary). Empty: `moby`/`wordnet` for every edge.
    own: Vec<(f64, f64)>,
}

impl DictWeights {
    const NEUTRAL: DictWeights = DictWeights {
        moby: 1.0,
        wordnet: 1.0,
        own: Vec::new(),
    };

    /// The weights that apply to edge `k`.
    fn of(&self, k: usize) -> (f64, f64) {
        self.own
            .get(k)
            .copied()
            .unwrap_or((self.moby, self.wordnet))
    }

    /// ln of the factor on the channel of edge `k`, proposed by `mask`.
    fn ln_factor(&self, k: usize, mask: u8) -> f64 {
        let (m, w, others) = parts(self.of(k), mask);
        let n = mask.count_ones() as f64;
        if n == 0.0 {
            0.0
        } else {
            ((m + w + others) / n).ln()
        }
    }

    /// Mixes the weights with even ones: `a` of these, `1 - a` neutral.
    fn toward_even(&self, a: f64) -> DictWeights {
        let mix = |(m, w): (f64, f64)| (a * m + (1.0 - a), a * w + (1.0 - a));
        let (moby, wordnet) = mix((self.moby, self.wordnet));
        DictWeights {
            moby,
            wordnet,
            own: self.own.iter().map(|&x| mix(x)).collect(),
        }
    }

    /// One EM step from the edges' posteriors.
    fn update(&self, edges: &[Edge], post: &[f64], prior: f64) -> DictWeights {
        // Expected spin events per thesaurus, per start position.
        let mut at: Vec<(f64, f64)> = Vec::with_capacity(edges.len());
        let (mut nm, mut nw) = (0.0, 0.0);
        for (k, (e, p)) in edges.iter().zip(post).enumerate() {
            let (m, w, others) = parts(self.of(k), e.dicts);
            let total = m + w + others;
            let c = if total > 0.0 {
                (p * m / total, p * w / total)
            } else {
                (0.0, 0.0)
            };
            nm += c.0;
            nw += c.1;
            at.push(c);
        }
        let weights = |m: f64, w: f64| {
            let (m, w) = (m.max(0.0), w.max(0.0));
            let moby = 2.0 * (m + prior / 2.0) / (m + w + prior);
            (moby, 2.0 - moby)
        };
        let mut own = vec![(1.0, 1.0); edges.len()];
        let mut k = 0;
        while k < edges.len() {
            let from = k;
            let (mut sm, mut sw) = (0.0, 0.0);
            while k < edges.len() && edges[k].i == edges[from].i {
                sm += at[k].0;
                sw += at[k].1;
                k += 1;
            }
            for o in &mut own[from..k] {
                *o = weights(nm - sm, nw - sw);
            }
        }
        let (moby, wordnet) = weights(nm, nw);
        DictWeights { moby, wordnet, own }
    }
}

/// The weights of the thesauri in `mask` (Moby, WordNet) and how many other dictionaries.
fn parts((moby, wordnet): (f64, f64), mask: u8) -> (f64, f64, f64) {
    let m = if mask & DICT_MOBY != 0 { moby } else { 0.0 };
    let w = if mask & DICT_WORDNET != 0 {
        wordnet
    } else {
        0.0
    };
    let others = (mask & !(DICT_MOBY | DICT_WORDNET)).count_ones() as f64;
    (m, w, others)
}

/// Sets every edge's `llr` at spin rate `rate`; edits learned from tortured phrases use
/// `learned` instead where it is higher (see [`super::Params::learned_rate`]; 0: off).
pub(super) fn set_rate(edges: &mut [Edge], rate: f64, learned: f64, dw: &DictWeights) {
    let terms = |r: f64| (r.ln(), (1.0 - r).ln());
    let (ln_rate, ln_kept) = terms(rate);
    let (ln_learned, ln_learned_kept) = terms(learned.max(rate));
    let mut factor = FactorMemo::default();
    for (k, e) in edges.iter_mut().enumerate() {
        let (r, kept) = if e.dicts & DICT_LEARNED != 0 {
            (ln_learned, ln_learned_kept)
        } else {
            (ln_rate, ln_kept)
        };
        e.llr =
            e.base + e.events as f64 * (r + factor.get(dw, k, e.dicts)) - e.covered as f64 * kept;
    }
}

/// [`DictWeights::ln_factor`] of the last (weights, dictionaries) asked for: neighbouring
/// edges share both (one start's edges have the same leave-one-out weights), so most calls
/// reuse the last logarithm.
struct FactorMemo {
    key: (f64, f64, u8),
    value: f64,
}

impl Default for FactorMemo {
    fn default() -> Self {
        FactorMemo {
            key: (f64::NAN, f64::NAN, 0),
            value: 0.0,
        }
    }
}

impl FactorMemo {
    fn get(&mut self, dw: &DictWeights, k: usize, mask: u8) -> f64 {
        let (m, w) = dw.of(k);
        if (m, w, mask) != self.key {
            self.key = (m, w, mask);
            self.value = dw.ln_factor(k, mask);
        }
        self.value
    }
}

/// Posterior probability of each edge: e^llr / (1 + Σ e^llr over the edges at its start).
pub(super) fn edge_posteriors(edges: &[Edge]) -> Vec<f64> {
    let mut out = Vec::with_capacity(edges.len());
    let mut k = 0;
    while k < edges.len() {
        let i = edges[k].i;
        let from = k;
        let mut sum = 0.0;
        while k < edges.len() && edges[k].i == i {
            let odds = edges[k].llr.min(50.0).exp();
            out.push(odds);
            sum += odds;
            k += 1;
        }
        for p in &mut out[from..k] {
            *p /= 1.0 + sum;
        }
    }
    out
}

/// ln P(text | spun at `rate`) − ln P(text | as written), position by position.
pub(super) fn doc_llr(edges: &[Edge], rate: f64, dw: &DictWeights) -> f64 {
    let ln_rate = rate.ln();
    let mut factor = FactorMemo::default();
    let mut total = 0.0;
    let mut k = 0;
    while k < edges.len() {
        let i = edges[k].i;
        let mut sum = 0.0;
        while k < edges.len() && edges[k].i == i {
            let e = &edges[k];
            sum += (e.base + e.events as f64 * (ln_rate + factor.get(dw, k, e.dicts)))
                .min(50.0)
                .exp();
            k += 1;
        }
        total += ((1.0 - rate) + sum).ln();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Params;
    use crate::decode::testutil::{Known, edge, with_dicts};
    use crate::model::CandidateSource;

    #[test]
    fn dictionary_weights_follow_the_edits_that_fit() {
        use crate::model::{DICT_LEARNED, DICT_USER};
        let n = DictWeights::NEUTRAL;
        for mask in [
            DICT_MOBY,
            DICT_WORDNET,
            DICT_MOBY | DICT_WORDNET,
            DICT_USER,
            0,
        ] {
            assert_eq!(
                n.ln_factor(0, mask),
                0.0,
                "neutral weights change nothing ({mask})"
            );
        }
        // Likely edits proposed by Moby alone, unlikely ones by WordNet alone.
        let mut edges: Vec<Edge> = (0..6)
            .map(|i| with_dicts(edge(2 * i, 4.0), DICT_MOBY))
            .chain((0..6).map(|i| with_dicts(edge(2 * i + 1, -6.0), DICT_WORDNET)))
            .collect();
        edges.sort_by_key(|e| e.i);
        let mut dw = n.clone();
        for _ in 0..5 {
            set_rate(&mut edges, 0.25, 0.0, &dw);
            dw = dw.update(&edges, &edge_posteriors(&edges), 1.0);
        }
        assert!(dw.moby > 1.8 && dw.wordnet < 0.2, "{dw:?}");
        assert!((dw.moby + dw.wordnet - 2.0).abs() < 1e-9);
        // Each edge is weighted by the evidence of the others: still Moby's way.
        assert!(dw.ln_factor(0, DICT_MOBY) > 0.5);
        assert!(dw.ln_factor(1, DICT_WORDNET) < -1.5);
        // A pair both thesauri list keeps the mean of their weights; other dictionaries count 1.
        assert!(dw.ln_factor(0, DICT_MOBY | DICT_WORDNET).abs() < 1e-9);
        assert_eq!(dw.ln_factor(0, DICT_LEARNED), 0.0);
        // Under "as written" (posterior 0 of spun) the weights are even.
        assert_eq!(dw.toward_even(0.0).ln_factor(0, DICT_MOBY), 0.0);
        // A lone edit does not vouch for itself: with no other evidence its weight stays even.
        let mut one = vec![with_dicts(edge(0, 4.0), DICT_MOBY)];
        let mut w = n.clone();
        for _ in 0..5 {
            set_rate(&mut one, 0.25, 0.0, &w);
            w = w.update(&one, &edge_posteriors(&one), 2.0);
        }
        assert!(w.moby > 1.2, "the document as a whole leans to Moby: {w:?}");
        assert_eq!(w.ln_factor(0, DICT_MOBY), 0.0);
    }

    #[test]
    fn only_words_a_dictionary_would_replace_are_eligible() {
        let lm = crate::toy::lm();
        let toy = crate::toy::lexicon();
        let params = Params::default();
        let text = "the cat sat on the carpet .";
        let count = |lex: &dyn CandidateSource| {
            let dec = Decoder {
                lm: &lm,
                lex,
                params: &params,
                terms: None,
                meaning: None,
            };
            let doc = dec.prepare(text);
            let obs = dec.observed_scores(&doc);
            let edges = dec.lattice(&doc, &obs, &dec.count_words(&doc));
            assert!(edges.iter().any(|e| doc.norm(e.i) == "carpet"));
            dec.eligible(&doc, &edges)
        };
        // Every word counts when the source cannot tell (the trait's default).
        assert_eq!(count(&toy), 6);
        // Otherwise: the word with edges, and the words a dictionary has.
        assert_eq!(count(&Known(&toy, &[])), 1);
        assert_eq!(count(&Known(&toy, &["cat", "sat"])), 3);
    }

    #[test]
    fn words_left_alone_count_against_spun() {
        let lm = crate::toy::lm();
        let lex = crate::toy::lexicon();
        let params = Params::default();
        let dec = Decoder::new(&lm, &lex, &params);
        // The same two suspicious positions in a short text and in a long one: the long
        // text's many words without edges are evidence that it was written as is.
        let mut short = vec![edge(0, 4.0), edge(3, 4.0)];
        let mut long = short.clone();
        let llr_short = dec.estimate_rate(&mut short, 10).llr;
        let llr_long = dec.estimate_rate(&mut long, 400).llr;
        assert!(llr_long < llr_short - 1.0, "{llr_long} vs {llr_short}");
        // Without the kept words' term the two would be scored alike.
        let flat = Params {
            kept_weight: 0.0,
            em_iterations: 0,
            ..Params::default()
        };
        let dec = Decoder {
            params: &flat,
            ..dec
        };
        let a = dec.estimate_rate(&mut short.clone(), 10).llr;
        let b = dec.estimate_rate(&mut short.clone(), 400).llr;
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
}
