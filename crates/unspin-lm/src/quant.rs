//! Scalar quantisation of log-probabilities and backoffs with per-order codebooks.

/// Builds a codebook of at most `2^bits` sorted centres for `values`.
///
/// Every value in `exact` that occurs in `values` gets a centre of its own holding it
/// exactly (e.g. a backoff of `0.0`, the `-99` of `<s>`). When the values have few enough
/// distinct members they are all kept exactly; otherwise the remaining values are split in
/// equal-count bins whose means are refined with a few Lloyd iterations (1-D k-means).
pub(crate) fn build_codebook(values: &[f32], bits: u32, exact: &[f32]) -> Vec<f32> {
    let cap = 1usize << bits.min(24);
    let mut specials: Vec<f32> = exact
        .iter()
        .copied()
        .filter(|e| values.contains(e))
        .collect();
    specials.sort_by(f32::total_cmp);
    specials.dedup();
    let mut rest: Vec<f32> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && !specials.contains(v))
        .collect();
    rest.sort_by(f32::total_cmp);
    let mut distinct = rest.clone();
    distinct.dedup();
    let room = cap.saturating_sub(specials.len()).max(1);
    let mut centres: Vec<f32> = if distinct.len() <= room {
        distinct
    } else {
        lloyd(&rest, room)
    };
    centres.extend(specials);
    if centres.is_empty() {
        centres.push(0.0);
    }
    centres.sort_by(f32::total_cmp);
    centres.dedup();
    centres
}

/// Equal-count initialisation followed by Lloyd iterations on sorted `v`.
fn lloyd(v: &[f32], k: usize) -> Vec<f32> {
    let n = v.len();
    let mut prefix = Vec::with_capacity(n + 1);
    let mut acc = 0f64;
    prefix.push(0.0);
    for &x in v {
        acc += f64::from(x);
        prefix.push(acc);
    }
    let mean = |a: usize, b: usize| (prefix[b] - prefix[a]) / (b - a) as f64;
    let mut c: Vec<f64> = (0..k)
        .filter_map(|i| {
            let (a, b) = (i * n / k, (i + 1) * n / k);
            (b > a).then(|| mean(a, b))
        })
        .collect();
    for _ in 0..8 {
        let mut next = Vec::with_capacity(c.len());
        let mut a = 0usize;
        for i in 0..c.len() {
            let b = if i + 1 == c.len() {
                n
            } else {
                let mid = (c[i] + c[i + 1]) / 2.0;
                a + v[a..].partition_point(|&x| f64::from(x) <= mid)
            };
            if b > a {
                next.push(mean(a, b));
            }
            a = b;
        }
        next.dedup();
        c = next;
    }
    c.into_iter().map(|x| x as f32).collect()
}

/// Index of the centre nearest to `v` in the sorted codebook `centres` (non-empty).
pub(crate) fn encode(centres: &[f32], v: f32) -> u32 {
    let i = centres.partition_point(|&c| c < v);
    let best = if i == 0 {
        0
    } else if i >= centres.len() {
        centres.len() - 1
    } else if (v - centres[i - 1]).abs() <= (centres[i] - v).abs() {
        i - 1
    } else {
        i
    };
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_are_exact() {
        let v = [-1.0f32, -2.0, -1.0, 0.0, -99.0];
        let cb = build_codebook(&v, 8, &[0.0, -99.0]);
        for x in v {
            assert_eq!(cb[encode(&cb, x) as usize], x);
        }
    }

    #[test]
    fn many_values_small_error() {
        let v: Vec<f32> = (0..100_000)
            .map(|i| -(i as f32) * 7.0 / 100_000.0)
            .collect();
        let cb = build_codebook(&v, 8, &[0.0]);
        assert!(cb.len() <= 256);
        let max = v
            .iter()
            .map(|&x| (cb[encode(&cb, x) as usize] - x).abs())
            .fold(0f32, f32::max);
        assert!(max < 0.03, "{max}");
        assert_eq!(cb[encode(&cb, 0.0) as usize], 0.0);
    }
}
