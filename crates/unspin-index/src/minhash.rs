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

/// Densification probes precomputed per bin: `PROBES[i][a]` is the bin tried by attempt `a`
/// for empty bin `i` (attempts beyond the table are computed).
const PROBE_LEN: usize = 48;
const PROBES: [[u8; PROBE_LEN]; K] = {
    let mut t = [[0u8; PROBE_LEN]; K];
    let mut i = 0;
    while i < K {
        let mut a = 0;
        while a < PROBE_LEN {
            t[i][a] = probe(i, a as u64) as u8;
            a += 1;
        }
        i += 1;
    }
    t
};

/// The bin tried by densification attempt `attempt` for empty bin `i`.
#[inline]
const fn probe(i: usize, attempt: u64) -> usize {
    (mix64(combine(i as u64, attempt) ^ SEED) % K as u64) as usize
}

/// Computes the densified one-permutation signature of a feature set (duplicates allowed).
/// Returns `None` for an empty set.
pub fn signature(features: &[u64]) -> Option<Signature> {
    if features.is_empty() {
        return None;
    }
    let mut bins = [u32::MAX; K];
    let mut filled = [0u8; K]; // 1 for a filled bin
    for &f in features {
        let h = mix64(f ^ SEED);
        let bin = (((h >> 32) * K as u64) >> 32) as usize; // multiply-shift into 0..K
        bins[bin] = bins[bin].min(h as u32);
        filled[bin] = 1;
    }
    let mut out = bins;
    for i in 0..K {
        if filled[i] != 0 {
            continue;
        }
        // optimal densification: probe bins with a per-bin hash sequence until a filled one;
        // the table's probes are tested 8 at a time without branching
        let mut found = None;
        for group in PROBES[i].chunks_exact(8) {
            let mut hits = 0u32;
            for (a, &j) in group.iter().enumerate() {
                hits |= u32::from(filled[j as usize]) << a;
            }
            if hits != 0 {
                found = Some(group[hits.trailing_zeros() as usize] as usize);
                break;
            }
        }
        let j = match found {
            Some(j) => j,
            None => {
                let mut attempt = PROBE_LEN as u64;
                loop {
                    let j = probe(i, attempt);
                    if filled[j] != 0 {
                        break j;
                    }
                    attempt += 1;
                }
            }
        };
        out[i] = bins[j];
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

/// Estimated Jaccard similarity of two signatures (tests measure the scheme with it).
#[cfg(test)]
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

    /// The signature as first written (densification probes computed one by one).
    fn signature_reference(features: &[u64]) -> Option<Signature> {
        if features.is_empty() {
            return None;
        }
        let mut bins = [u32::MAX; K];
        let mut filled = [false; K];
        for &f in features {
            let h = mix64(f ^ SEED);
            let bin = (((h >> 32) * K as u64) >> 32) as usize;
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

    proptest! {
        #[test]
        fn probe_table_changes_nothing(v in proptest::collection::vec(any::<u64>(), 0..120)) {
            prop_assert_eq!(signature(&v), signature_reference(&v));
        }
    }

    #[test]
    fn sparse_sets_use_computed_probes() {
        for n in 1..4u64 {
            for t in 0..200u64 {
                let v: Vec<u64> = (0..n).map(|i| i * 7919 + t * 104_729).collect();
                assert_eq!(signature(&v), signature_reference(&v));
            }
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
