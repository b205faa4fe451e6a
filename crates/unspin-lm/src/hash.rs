//! Hashing of id sequences and checksums.
//!
//! An n-gram `w1 … wk` is hashed from its *last* word backwards:
//! `key = extend(…extend(start(wk), wk-1)…, w1)`, so a query walks the context from the
//! most recent word outwards and gets the key of every longer n-gram with one step each.

/// Finaliser of SplitMix64: a bijective 64-bit mixer with good avalanche.
#[inline(always)]
pub(crate) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of the one-word sequence `w`.
#[inline(always)]
pub(crate) fn start(w: u32) -> u64 {
    mix(u64::from(w) ^ 0x9e37_79b9_7f4a_7c15)
}

/// Hash of the sequence `w` followed by the sequence hashed as `h`.
#[inline(always)]
pub(crate) fn extend(h: u64, w: u32) -> u64 {
    mix(h.rotate_left(23)
        ^ u64::from(w).wrapping_mul(0xff51_afd7_ed55_8ccd)
        ^ 0x2545_f491_4f6c_dd1d)
}

/// Key of the n-gram `ids` (natural order, oldest first). `ids` must not be empty.
pub(crate) fn key_of(ids: &[u32]) -> u64 {
    let mut it = ids.iter().rev();
    let mut h = match it.next() {
        Some(&w) => start(w),
        None => return 0,
    };
    for &w in it {
        h = extend(h, w);
    }
    h
}

/// Hash of a byte string (for the vocabulary table).
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = 0x51_7cc1_b727_220a ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h ^ u64::from_le_bytes(w));
    }
    mix(h ^ tail_le(chunks.remainder()) ^ 0xa076_1d64_78bd_642f)
}

/// The 0–7 bytes `t` as a little-endian integer (zero-padded), without a `memcpy` call:
/// most words are shorter than 8 bytes, so this is the whole hash input of a lookup.
#[inline(always)]
fn tail_le(t: &[u8]) -> u64 {
    let n = t.len();
    let byte = |i: usize| t.get(i).copied().map_or(0, u64::from);
    if n >= 4 {
        // Two overlapping 4-byte reads cover 4..=7 bytes.
        let lo = t.get(..4).map_or(0, |s| {
            u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        });
        let hi = t.get(n - 4..).map_or(0, |s| {
            u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        });
        lo | (hi << (8 * (n - 4)))
    } else if n > 0 {
        byte(0) | (byte(n / 2) << (8 * (n / 2))) | (byte(n - 1) << (8 * (n - 1)))
    } else {
        0
    }
}

/// Fast non-cryptographic checksum of a byte slice (four independent lanes).
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut lanes = [1u64, 2, 3, 4];
    let mut chunks = bytes.chunks_exact(32);
    for c in &mut chunks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&c[i * 8..i * 8 + 8]);
            *lane = (*lane ^ u64::from_le_bytes(w))
                .wrapping_mul(K)
                .rotate_left(29);
        }
    }
    let mut h = bytes.len() as u64;
    for lane in lanes {
        h = mix(h ^ lane);
    }
    for &b in chunks.remainder() {
        h = mix(h ^ u64::from(b));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: the tail zero-padded into 8 bytes.
    fn tail_ref(t: &[u8]) -> u64 {
        let mut w = [0u8; 8];
        w[..t.len()].copy_from_slice(t);
        u64::from_le_bytes(w)
    }

    #[test]
    fn tail_le_equals_zero_padded_bytes() {
        let data: Vec<u8> = (0u8..8)
            .map(|i| 0x81u8.wrapping_mul(i + 3) ^ 0x5a)
            .collect();
        for n in 0..8 {
            assert_eq!(tail_le(&data[..n]), tail_ref(&data[..n]), "length {n}");
            assert_eq!(
                tail_le(&data[8 - n..]),
                tail_ref(&data[8 - n..]),
                "suffix {n}"
            );
        }
    }

    #[test]
    fn key_is_incremental_from_the_end() {
        let ids = [5u32, 7, 9];
        let h = extend(extend(start(9), 7), 5);
        assert_eq!(key_of(&ids), h);
        assert_ne!(key_of(&[5, 7, 9]), key_of(&[9, 7, 5]));
    }

    #[test]
    fn checksum_sees_every_byte() {
        let a = vec![0u8; 100];
        let base = checksum(&a);
        for i in 0..100 {
            let mut b = a.clone();
            b[i] = 1;
            assert_ne!(checksum(&b), base, "byte {i}");
        }
        assert_ne!(checksum(&a[..99]), base);
    }
}
