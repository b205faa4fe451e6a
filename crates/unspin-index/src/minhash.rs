//! One-permutation MinHash with optimal densification (Shrivastava 2017) and LSH banding.

use crate::hash::{combine, mix64};

/// Signature length (bins).
pub const K: usize = 72;
/// Rows per LSH band.
pub const ROWS: usize = 3;
/// LSH bands (`BANDS * ROWS == K`).
pub const BANDS: usize = K / ROWS;

/// A MinHash signature.
pub type Signature = [u32; K];

const SEED: u64 = 0x6d69_6e68_6173_6831;

/// Computes the densified one-permutation signature of a feature set (duplicates allowed).
/// Returns `None` for an empty set.
pub fn signature(features: &[u64]) -> Option<Signature> {
    if features.is_empty() {
        return None;
    }
    let mut bins = [u32::MAX; K];
    let mut filled = [false; K];
    for &f in features {
        let h = mix64(f ^ SEED);
        let bin = (((h >> 32) * K as u64) >> 32) as usize; // multiply-shift into 0..K
        let v = h as u32;
        if !filled[bin] || v < bins[bin] {
            bins[bin] = v;
            filled[bin] = true;
        }
    }
    let mut out = bins;
    for i in 0..K {
        if filled[i] {
            continue;
        }
        // optimal densification: probe bins with a per-bin hash sequence until a filled one
        let mut attempt = 0u64;
        loop {
            let j = (mix64(combine(i as u64, attempt) ^ SEED) % K as u64) as usize;
            if filled[j] {
                out[i] = bins[j];
                break;
            }
            attempt += 1;
        }
    }
    Some(out)
}

/// The LSH bucket keys of a signature, one per band.
pub fn band_keys(sig: &Signature) -> [u32; BANDS] {
    let mut keys = [0u32; BANDS];
    for (b, key) in keys.iter_mut().enumerate() {
        let mut h = b as u64;
        for r in 0..ROWS {
            h = combine(h, u64::from(sig[b * ROWS + r]));
        }
        *key = (h >> 32) as u32;
    }
    keys
}

/// Estimated Jaccard similarity of two signatures.
pub fn estimate(a: &Signature, b: &Signature) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / K as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn identical_sets_identical_signatures(v in proptest::collection::vec(any::<u64>(), 1..200)) {
            let mut w = v.clone();
            w.reverse();
            prop_assert_eq!(signature(&v), signature(&w));
        }
    }

    #[test]
    fn estimates_jaccard() {
        // |A ∩ B| = 500, |A ∪ B| = 1500 → J = 1/3; average over shifted universes
        let mut sum = 0.0;
        for t in 0..50u64 {
            let a: Vec<u64> = (0..1000).map(|i| i + t * 10_000).collect();
            let b: Vec<u64> = (500..1500).map(|i| i + t * 10_000).collect();
            sum += estimate(&signature(&a).unwrap(), &signature(&b).unwrap());
        }
        let avg = sum / 50.0;
        assert!((avg - 1.0 / 3.0).abs() < 0.05, "{avg}");
        assert!(signature(&[]).is_none());
    }
}
