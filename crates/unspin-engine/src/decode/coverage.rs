//! The document over its passages: a long text is judged passage by passage, but a spinner
//! spins a document, not a paragraph. A document is written as is, or spun (prior `q`); a
//! spun document has a share `c` of its passages spun (its coverage: about all of them for a
//! wholly spun article, a few for a copy spun in part), with a Beta prior on `c`; under "as
//! written" no passage is spun. Each passage `i` brings the likelihood ratio `Lᵢ` of "spun at
//! its estimated rate" against "as written" (`docmodel`), so
//!
//! ```text
//! P(text | spun) / P(text | as written) = ∫ p(c) Πᵢ (c·Lᵢ + 1 − c) dc
//! P(passage i spun | text) = q ∫ p(c) c·Lᵢ Π_{j≠i} (c·Lⱼ + 1 − c) dc / Z
//! ```
//!
//! (`Z` the normaliser over both hypotheses), integrated on a grid in log space. Many weakly
//! spun passages add up to a plainly spun document, and every passage is then judged in that
//! light; a lone passage that looks spun among many that do not is judged with the evidence
//! of the others that the text was written as is. For one passage the formula is exactly the
//! passage's own posterior, σ(ln L + ln(π / (1 − π))) with `π = q·E[c]` the passage prior.

use super::sigmoid;

/// Points of the grid over the coverage `c` (midpoints of equal cells of (0, 1): exact for
/// the uniform prior on the single-passage case, where the integrands are linear in `c`).
const GRID: usize = 64;

/// The coverage prior Beta(`a`, `b`) on the grid: ln c, ln(1 − c) and ln weight (the weights
/// sum to 1), and E[c].
fn grid(a: f64, b: f64) -> (Vec<(f64, f64, f64)>, f64) {
    let a = if a.is_finite() && a > 0.0 { a } else { 1.0 };
    let b = if b.is_finite() && b > 0.0 { b } else { 1.0 };
    let pts: Vec<(f64, f64, f64)> = (0..GRID)
        .map(|g| {
            let c = (g as f64 + 0.5) / GRID as f64;
            let (lc, l1c) = (c.ln(), (1.0 - c).ln());
            (lc, l1c, (a - 1.0) * lc + (b - 1.0) * l1c)
        })
        .collect();
    let norm = log_sum_exp(pts.iter().map(|p| p.2));
    let pts: Vec<_> = pts
        .into_iter()
        .map(|(lc, l1c, w)| (lc, l1c, w - norm))
        .collect();
    let mean = pts.iter().map(|(lc, _, w)| (lc + w).exp()).sum();
    (pts, mean)
}

/// P(spun) of each passage of a document whose passages have log-likelihood ratios `llrs`
/// (nats, spun against as written), under a passage prior of log-odds `prior` (see
/// [`super::Params::prior_log_odds`]) and the coverage prior Beta(`a`, `b`).
pub(super) fn passage_posteriors(llrs: &[f64], prior: f64, (a, b): (f64, f64)) -> Vec<f64> {
    let llrs: Vec<f64> = llrs
        .iter()
        .map(|l| {
            if l.is_finite() {
                l.clamp(-1e4, 1e4)
            } else {
                0.0
            }
        })
        .collect();
    if llrs.len() <= 1 {
        return llrs.iter().map(|l| sigmoid(l + prior)).collect();
    }
    let (pts, mean_c) = grid(a, b);
    // π = q·E[c]: the passage prior of a document of one passage.
    let pi = sigmoid(prior);
    let q = (pi / mean_c).min(1.0 - 1e-12);
    let (ln_q, ln_not_q) = (q.ln(), (1.0 - q).ln());
    // t[i][g] = ln(c·Lᵢ + 1 − c), and T[g] = Σᵢ t[i][g].
    let t = |l: f64, (lc, l1c, _): (f64, f64, f64)| log_add_exp(l1c, lc + l);
    let total: Vec<f64> = pts
        .iter()
        .map(|&p| llrs.iter().map(|&l| t(l, p)).sum())
        .collect();
    let spun = ln_q + log_sum_exp(pts.iter().zip(&total).map(|(p, tt)| p.2 + tt));
    let z = log_add_exp(spun, ln_not_q);
    llrs.iter()
        .map(|&l| {
            let num = ln_q
                + log_sum_exp(
                    pts.iter()
                        .zip(&total)
                        .map(|(&p, tt)| p.2 + tt - t(l, p) + p.0 + l),
                );
            (num - z).exp().clamp(0.0, 1.0)
        })
        .collect()
}

fn log_add_exp(x: f64, y: f64) -> f64 {
    let m = x.max(y);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((x - m).exp() + (y - m).exp()).ln()
}

fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.map(|x| (x - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UNIFORM: (f64, f64) = (1.0, 1.0);
    const PRIOR: f64 = -7.6;

    #[test]
    fn one_passage_is_its_own_posterior() {
        for l in [-20.0, -3.0, 0.0, 5.0, 7.6, 12.0] {
            let p = passage_posteriors(&[l], PRIOR, UNIFORM)[0];
            assert!((p - sigmoid(l + PRIOR)).abs() < 1e-12, "{l}: {p}");
        }
    }

    #[test]
    fn the_grid_agrees_with_the_closed_form_for_one_passage() {
        // Force the grid path with a second passage that carries no evidence either way
        // (L = 1 for every c): the first passage's posterior must be its own.
        for l in [-5.0, 0.0, 4.0, 9.0] {
            let p = passage_posteriors(&[l, 0.0], PRIOR, UNIFORM)[0];
            let want = sigmoid(l + PRIOR);
            assert!(
                (p - want).abs() < 1e-9 * want.max(1e-300) + 1e-12,
                "{l}: {p} vs {want}"
            );
        }
    }

    #[test]
    fn weak_evidence_in_every_passage_adds_up() {
        // Thirty passages, each short of being called spun on its own.
        let alone = sigmoid(4.0 + PRIOR);
        let ps = passage_posteriors(&[4.0; 30], PRIOR, UNIFORM);
        assert!(alone < 0.05);
        assert!(ps.iter().all(|&p| p > 0.95), "{ps:?}");
    }

    #[test]
    fn a_lone_outlier_among_clean_passages_is_doubted() {
        let mut llrs = vec![-4.0; 29];
        llrs.push(8.0);
        let ps = passage_posteriors(&llrs, PRIOR, UNIFORM);
        let alone = sigmoid(8.0 + PRIOR);
        assert!(ps[29] < alone / 3.0, "{} vs {alone}", ps[29]);
        assert!(ps[..29].iter().all(|&p| p < 1e-3));
    }

    #[test]
    fn a_copy_spun_in_part_keeps_its_spun_passages() {
        // Five plainly spun passages among twenty-five clean ones.
        let mut llrs = vec![-4.0; 25];
        llrs.extend([15.0; 5]);
        let ps = passage_posteriors(&llrs, PRIOR, UNIFORM);
        assert!(ps[25..].iter().all(|&p| p > 0.99), "{ps:?}");
        assert!(ps[..25].iter().all(|&p| p < 0.05), "{ps:?}");
    }

    proptest! {
        #[test]
        fn posteriors_are_probabilities(llrs in proptest::collection::vec(-1e5f64..1e5, 0..40),
                                        prior in -20f64..0.0, a in 0.1f64..5.0, b in 0.1f64..5.0) {
            let ps = passage_posteriors(&llrs, prior, (a, b));
            prop_assert_eq!(ps.len(), llrs.len());
            for p in ps {
                prop_assert!((0.0..=1.0).contains(&p), "{}", p);
            }
        }

        #[test]
        fn more_evidence_never_lowers_a_posterior(llrs in proptest::collection::vec(-30f64..30.0, 2..20),
                                                  k in 0usize..20, extra in 0.0f64..10.0) {
            let k = k % llrs.len();
            let before = passage_posteriors(&llrs, PRIOR, UNIFORM);
            let mut more = llrs.clone();
            more[k] += extra;
            let after = passage_posteriors(&more, PRIOR, UNIFORM);
            prop_assert!(after[k] >= before[k] - 1e-12, "{} < {}", after[k], before[k]);
        }
    }
}
