//! The binary model: writer and memory-mapped reader.
//!
//! Layout (all integers little-endian, no alignment assumed anywhere):
//!
//! ```text
//! 0   magic "UNSPINLM"
//! 8   u32 format version
//! 12  u32 order N
//! 16  u32 vocabulary size V
//! 20  u32 number of sections S
//! 24  u64 checksum of the rest of the header (bytes 0..24 and 32..end of directory)
//! 32  N × u64 n-gram counts per order
//! ..  S × (u32 kind, u32 order, u64 offset, u64 length, u64 checksum)  section directory
//! ```
//!
//! Sections: `META` (per order: count, slots, max probe length, fingerprint/prob/backoff bit
//! widths, codebook sizes), the vocabulary (word strings by id, their u32 offsets, and a
//! linear-probing table of u64 slots: `id + 1` in the low bits, the word hash's other bits
//! above), per order a probability and
//! a backoff codebook (f32 bin centres), per order a `TABLE` and, for orders ≥ 2, an
//! optional zstd-compressed `NGRAMS` list (the n-gram identities, only needed to export ARPA).
//!
//! The unigram table is a bit-packed array indexed by word id holding codebook indices of
//! (prob, backoff). The table of order k ≥ 2 is a linear-probing hash table of bit-packed
//! slots `fingerprint | prob index | backoff index` (no backoff for the highest order); the
//! n-gram `w1…wk` lives at home slot `⌊hash·slots/2^64⌋` where `hash` is the 64-bit key of
//! [`crate::hash`] rotated left by a per-table amount, and its fingerprint is the low
//! `fp_bits` bits of that (0 = empty). The writer picks the smallest fingerprint width (and a
//! rotation) with which no stored n-gram is shadowed by another one on its probe path.
//! Slots are kept in Amble–Knuth order (fingerprints decrease along every probe path), so a
//! lookup stops at the first smaller fingerprint: absent n-grams cost as few probes as
//! present ones, which also keeps the false-positive rate of fingerprints low.

mod export;
mod model;
mod query;
mod write;

pub use export::{compile_arpa, compile_arpa_with};
use model::{Hit, Table};
pub use model::{Model, State};
pub use write::{binary_bytes, write_binary};

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::{BOS, EOS, NgramData, OrderData, UNK};
use crate::error::LmError;
use crate::hash::{checksum, extend, hash_bytes, key_of, start};
use crate::quant::{build_codebook, encode};
use crate::{MAX_ORDER, WordId};

const MAGIC: &[u8; 8] = b"UNSPINLM";
/// Format version written and read by this build.
pub const FORMAT_VERSION: u32 = 1;

const K_META: u32 = 1;
const K_VSTR: u32 = 2;
const K_VOFF: u32 = 7;
const K_VHASH: u32 = 8;
const K_PCODES: u32 = 3;
const K_BCODES: u32 = 4;
const K_TABLE: u32 = 5;
const K_NGRAMS: u32 = 6;
const META_REC: usize = 32;
const DIR_REC: usize = 32;

/// Layout choices of the binary model.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryOptions {
    /// Bits of the probability codebook index for orders ≥ 2 (≤ 16).
    pub prob_bits: u32,
    /// Bits of the backoff codebook index for orders ≥ 2 (≤ 16).
    pub backoff_bits: u32,
    /// Bits of both codebook indices of unigrams (≤ 16).
    pub unigram_bits: u32,
    /// Minimum fingerprint bits; raised per order until stored n-grams never shadow each other.
    pub fingerprint_bits: u32,
    /// Target load factor of the hash tables (0.5..0.95).
    pub load_factor: f64,
    /// Store the n-gram identities so that [`Model::write_arpa`] works.
    pub store_ngram_list: bool,
}

impl Default for BinaryOptions {
    fn default() -> Self {
        BinaryOptions {
            prob_bits: 8,
            backoff_bits: 8,
            unigram_bits: 12,
            fingerprint_bits: 20,
            load_factor: 0.8,
            store_ngram_list: true,
        }
    }
}

#[inline(always)]
fn home(h: u64, slots: u64) -> u64 {
    ((u128::from(h) * u128::from(slots)) >> 64) as u64
}

#[inline(always)]
fn fingerprint(h: u64, mask: u64) -> u64 {
    let f = h & mask;
    if f == 0 { 1 } else { f }
}

/// Bits of a vocabulary hash slot holding `id + 1` (the rest hold a tag of the word hash).
#[inline(always)]
fn id_bits(vocab_size: u32) -> u32 {
    32 - vocab_size.leading_zeros()
}

/// Tag of a word hash: its bits above `idb` (the slot's low `idb` bits hold `id + 1`).
#[inline(always)]
fn word_tag(h: u64, idb: u32) -> u64 {
    h & !low_mask(idb)
}

#[inline(always)]
fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Reads `width` (≤ 57) bits at bit offset `bit` of `data`; 0 when out of range. The
/// reference for the query path's unchecked reads.
#[cfg(test)]
fn get_bits(data: &[u8], bit: u64, width: u32) -> u64 {
    let byte = (bit >> 3) as usize;
    match data.get(byte..byte.wrapping_add(8)) {
        Some(chunk) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(chunk);
            (u64::from_le_bytes(a) >> (bit & 7)) & low_mask(width)
        }
        None => 0,
    }
}

fn put_bits(data: &mut [u8], bit: u64, width: u32, value: u64) {
    let byte = (bit >> 3) as usize;
    if let Some(chunk) = data.get_mut(byte..byte + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(chunk);
        let mut x = u64::from_le_bytes(a);
        let shift = bit & 7;
        x &= !(low_mask(width) << shift);
        x |= (value & low_mask(width)) << shift;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
}

fn varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn read_varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut x = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        x |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(x);
        }
    }
    None
}

fn header_checksum(header: &[u8]) -> u64 {
    let a = checksum(header.get(..24).unwrap_or(&[]));
    let b = checksum(header.get(32..).unwrap_or(&[]));
    crate::hash::mix(a ^ b.rotate_left(17))
}

fn rd_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn rd_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// Recomputes the section and header checksums in place (for damage tests).
#[cfg(test)]
pub(crate) fn reseal(b: &mut [u8]) {
    let (Some(order), Some(nsec)) = (rd_u32(b, 12), rd_u32(b, 20)) else {
        return;
    };
    let (order, nsec) = (order as usize, nsec as usize);
    if order > MAX_ORDER || nsec > 4 * MAX_ORDER + 4 {
        return;
    }
    let header_len = 32 + 8 * order + DIR_REC * nsec;
    if b.len() < header_len {
        return;
    }
    for s in 0..nsec {
        let at = 32 + 8 * order + DIR_REC * s;
        let (Some(off), Some(len)) = (rd_u64(b, at + 8), rd_u64(b, at + 16)) else {
            return;
        };
        let Some(sec) = b.get(off as usize..(off as usize).saturating_add(len as usize)) else {
            continue;
        };
        let sum = checksum(sec);
        b[at + 24..at + 32].copy_from_slice(&sum.to_le_bytes());
    }
    let hc = header_checksum(&b[..header_len]);
    b[24..32].copy_from_slice(&hc.to_le_bytes());
}
