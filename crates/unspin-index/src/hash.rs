//! Small, fast, stable 64-bit hashing (the on-disk format depends on these values: never
//! change them without bumping the format version).

/// Mixes a 64-bit value (splitmix64 finaliser).
#[inline]
pub const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Stable hash of bytes (FNV-1a 64 followed by a mix).
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    hash_byte_iter(b.iter().copied())
}

/// [`hash_bytes`] of the bytes `bytes` yields, for hashing a transformed form (a word's ASCII
/// lowercase) without building it.
#[inline]
pub fn hash_byte_iter(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in bytes {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// Stable hash of a string.
#[inline]
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// Combines two hashes (order-sensitive).
#[inline]
pub const fn combine(a: u64, b: u64) -> u64 {
    mix64(a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// A fast non-cryptographic hasher for in-memory maps (FxHash-style); keys are ours, not an
/// attacker's, so HashDoS resistance is not needed.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxBuild;

/// Hasher state of [`FxBuild`].
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_K: u64 = 0xf135_7aea_2e62_a9c5;

impl std::hash::BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(FX_K);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

/// A `HashMap` with [`FxBuild`].
pub type FxMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
