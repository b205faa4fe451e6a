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

struct SectionOut {
    kind: u32,
    order: u32,
    bytes: Vec<u8>,
}

/// Checks that every n-gram's prefix and suffix are stored one order lower.
fn check_closed(data: &NgramData, path: &Path) -> Result<(), LmError> {
    for k in 2..=data.order() {
        let (lo, hi) = (&data.orders[k - 2], &data.orders[k - 1]);
        let set: std::collections::HashSet<&[u32]> = (0..lo.len()).map(|i| lo.entry(i)).collect();
        for i in 0..hi.len() {
            let e = hi.entry(i);
            for part in [&e[..k - 1], &e[1..]] {
                if !set.contains(part) {
                    let words: Vec<&str> = part
                        .iter()
                        .map(|&x| {
                            data.vocab
                                .get(x as usize)
                                .map(String::as_str)
                                .unwrap_or("?")
                        })
                        .collect();
                    return Err(LmError::build(
                        path,
                        format!(
                            "{k}-gram #{i} needs the {}-gram {words:?}, which is missing",
                            k - 1
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Writes `data` as a binary model to `out`; returns the file size.
pub fn write_binary(data: &NgramData, out: &Path, opts: &BinaryOptions) -> Result<u64, LmError> {
    let bytes = binary_bytes(data, opts, out)?;
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, &bytes).map_err(|e| LmError::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| LmError::io(out, e))?;
    Ok(bytes.len() as u64)
}

/// Serialises `data` as a binary model (`path` names the destination in errors).
pub fn binary_bytes(
    data: &NgramData,
    opts: &BinaryOptions,
    path: &Path,
) -> Result<Vec<u8>, LmError> {
    let n = data.order();
    let v = data.vocab.len();
    if n == 0 || n > MAX_ORDER {
        return Err(LmError::build(
            path,
            format!("order {n} not in 1..={MAX_ORDER}"),
        ));
    }
    if v < 3
        || data.vocab.get(UNK as usize).map(String::as_str) != Some("<unk>")
        || data.vocab.get(BOS as usize).map(String::as_str) != Some("<s>")
        || data.vocab.get(EOS as usize).map(String::as_str) != Some("</s>")
    {
        return Err(LmError::build(
            path,
            "vocabulary must start with <unk>, <s>, </s>",
        ));
    }
    if data.orders[0].len() != v || (0..v).any(|i| data.orders[0].ids[i] != i as u32) {
        return Err(LmError::build(
            path,
            "unigrams must list every vocabulary id in order",
        ));
    }
    for b in [opts.prob_bits, opts.backoff_bits, opts.unigram_bits] {
        if !(1..=16).contains(&b) {
            return Err(LmError::build(
                path,
                format!("codebook bits must be 1..=16, got {b}"),
            ));
        }
    }
    if !(0.3..=0.97).contains(&opts.load_factor) {
        return Err(LmError::build(
            path,
            format!("load factor {} out of range", opts.load_factor),
        ));
    }
    check_closed(data, path)?;
    let mut sections: Vec<SectionOut> = Vec::new();
    let mut meta: Vec<u8> = Vec::new();

    // Vocabulary: strings by id, their offsets, and a probing table word -> id + 1.
    let mut seen = std::collections::HashSet::with_capacity(v);
    let mut blob = Vec::new();
    let mut offs = Vec::with_capacity(4 * (v + 1));
    for w in &data.vocab {
        if !seen.insert(w.as_str()) {
            return Err(LmError::build(
                path,
                format!("duplicate vocabulary word {w:?}"),
            ));
        }
        offs.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        blob.extend_from_slice(w.as_bytes());
    }
    offs.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    let vslots = (v as u64 * 4).div_ceil(3) + 1;
    let mut vt = vec![0u64; vslots as usize];
    let mut vmax = 0u32;
    let idb = id_bits(v as u32);
    let mut tags = std::collections::HashSet::with_capacity(v);
    for (id, w) in data.vocab.iter().enumerate() {
        let h = hash_bytes(w.as_bytes());
        if !tags.insert(word_tag(h, idb)) {
            return Err(LmError::build(
                path,
                format!("vocabulary hash tags collide at {w:?}"),
            ));
        }
        let mut s = home(h, vslots);
        let mut dist = 0u32;
        while vt[s as usize] != 0 {
            s = if s + 1 == vslots { 0 } else { s + 1 };
            dist += 1;
        }
        vt[s as usize] = (id as u64 + 1) | word_tag(h, idb);
        vmax = vmax.max(dist);
    }
    let mut vhash = vmax.to_le_bytes().to_vec();
    vhash.extend_from_slice(&[0; 4]);
    vhash.extend(vt.iter().flat_map(|x| x.to_le_bytes()));
    sections.push(SectionOut {
        kind: K_VSTR,
        order: 0,
        bytes: blob,
    });
    sections.push(SectionOut {
        kind: K_VOFF,
        order: 0,
        bytes: offs,
    });
    sections.push(SectionOut {
        kind: K_VHASH,
        order: 0,
        bytes: vhash,
    });

    for k in 1..=n {
        let o = &data.orders[k - 1];
        let (pb, bb) = if k == 1 {
            (opts.unigram_bits, if n > 1 { opts.unigram_bits } else { 0 })
        } else {
            (opts.prob_bits, if k < n { opts.backoff_bits } else { 0 })
        };
        let pcodes = build_codebook(&o.prob, pb, &[-99.0, 0.0]);
        let bcodes = if bb > 0 {
            build_codebook(&o.backoff, bb, &[0.0])
        } else {
            vec![0.0]
        };
        let pidx: Vec<u64> = o
            .prob
            .iter()
            .map(|&x| u64::from(encode(&pcodes, x)))
            .collect();
        let bidx: Vec<u64> = if bb > 0 {
            o.backoff
                .iter()
                .map(|&x| u64::from(encode(&bcodes, x)))
                .collect()
        } else {
            vec![0; o.len()]
        };
        let (table, slots, fpb, max_probe, rot) = if k == 1 {
            let width = pb + bb;
            let mut t = vec![0u8; (v as u64 * u64::from(width)).div_ceil(8) as usize + 8];
            for i in 0..v {
                put_bits(
                    &mut t,
                    i as u64 * u64::from(width),
                    width,
                    pidx[i] | (bidx[i] << pb),
                );
            }
            (t, v as u64, 0u32, 0u32, 0u32)
        } else {
            build_table(o, &pidx, &bidx, pb, bb, opts, path)?
        };
        for (val, width) in [(o.len() as u64, 8), (slots, 8), (u64::from(max_probe), 4)] {
            meta.extend_from_slice(&val.to_le_bytes()[..width]);
        }
        meta.extend_from_slice(&[fpb as u8, pb as u8, bb as u8, rot as u8]);
        meta.extend_from_slice(&(pcodes.len() as u32).to_le_bytes());
        meta.extend_from_slice(&(bcodes.len() as u32).to_le_bytes());
        let f32s = |c: &[f32]| c.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        sections.push(SectionOut {
            kind: K_PCODES,
            order: k as u32,
            bytes: f32s(&pcodes),
        });
        sections.push(SectionOut {
            kind: K_BCODES,
            order: k as u32,
            bytes: f32s(&bcodes),
        });
        sections.push(SectionOut {
            kind: K_TABLE,
            order: k as u32,
            bytes: table,
        });
        if k >= 2 && opts.store_ngram_list {
            sections.push(SectionOut {
                kind: K_NGRAMS,
                order: k as u32,
                bytes: ngram_list(data, k, path)?,
            });
        }
    }
    sections.insert(
        0,
        SectionOut {
            kind: K_META,
            order: 0,
            bytes: meta,
        },
    );

    // Assemble.
    let header_len = 32 + 8 * n + DIR_REC * sections.len();
    let mut out =
        Vec::with_capacity(header_len + sections.iter().map(|s| s.bytes.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    for x in [FORMAT_VERSION, n as u32, v as u32, sections.len() as u32] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&[0u8; 8]);
    for o in &data.orders {
        out.extend_from_slice(&(o.len() as u64).to_le_bytes());
    }
    let mut off = header_len as u64;
    for s in &sections {
        out.extend_from_slice(&s.kind.to_le_bytes());
        out.extend_from_slice(&s.order.to_le_bytes());
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&(s.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&checksum(&s.bytes).to_le_bytes());
        off += s.bytes.len() as u64;
    }
    let hc = header_checksum(&out[..header_len]);
    out[24..32].copy_from_slice(&hc.to_le_bytes());
    for s in &sections {
        out.extend_from_slice(&s.bytes);
    }
    Ok(out)
}

fn header_checksum(header: &[u8]) -> u64 {
    let a = checksum(header.get(..24).unwrap_or(&[]));
    let b = checksum(header.get(32..).unwrap_or(&[]));
    crate::hash::mix(a ^ b.rotate_left(17))
}

#[allow(clippy::type_complexity)]
fn build_table(
    o: &OrderData,
    pidx: &[u64],
    bidx: &[u64],
    pb: u32,
    bb: u32,
    opts: &BinaryOptions,
    path: &Path,
) -> Result<(Vec<u8>, u64, u32, u32, u32), LmError> {
    let count = o.len() as u64;
    let slots = ((count as f64 / opts.load_factor).ceil() as u64).max(count + 1);
    let keys: Vec<u64> = (0..o.len()).map(|i| key_of(o.entry(i))).collect();
    let max_fp = 57 - pb - bb;
    let mut fpb = opts.fingerprint_bits.clamp(8, max_fp);
    let mut slot_of: Vec<u32> = vec![u32::MAX; slots as usize];
    let mut fps: Vec<u64> = vec![0; slots as usize];
    loop {
        // Try several rotations of the hash (different bits for home slot and fingerprint)
        // before spending another fingerprint bit.
        for attempt in 0..16u32 {
            let rot = attempt * 5 % 64;
            let fmask = low_mask(fpb);
            slot_of.fill(u32::MAX);
            fps.fill(0);
            let mut ok = true;
            // Ordered hashing (Amble & Knuth): along every probe path fingerprints
            // decrease, so a lookup stops at the first smaller fingerprint (or an empty
            // slot, fingerprint 0) instead of scanning to the end of the cluster.
            'outer: for (i, &h) in keys.iter().enumerate() {
                let h = h.rotate_left(rot);
                let mut cur = i as u32;
                let mut fp = fingerprint(h, fmask);
                let mut s = home(h, slots);
                loop {
                    let su = s as usize;
                    if slot_of[su] == u32::MAX {
                        slot_of[su] = cur;
                        fps[su] = fp;
                        break;
                    }
                    if fps[su] == fp {
                        // Two n-grams would be confused on this probe path.
                        ok = false;
                        break 'outer;
                    }
                    if fps[su] < fp {
                        std::mem::swap(&mut slot_of[su], &mut cur);
                        std::mem::swap(&mut fps[su], &mut fp);
                    }
                    s += 1;
                    if s == slots {
                        s = 0;
                    }
                }
            }
            let mut max_probe = 0u32;
            if ok {
                for (s, &i) in slot_of.iter().enumerate() {
                    if let Some(&h) = keys.get(i as usize) {
                        let home = home(h.rotate_left(rot), slots);
                        let d = (s as u64 + slots - home) % slots;
                        max_probe = max_probe.max(d as u32);
                    }
                }
            }
            if ok {
                let width = fpb + pb + bb;
                let mut t = vec![0u8; (slots * u64::from(width)).div_ceil(8) as usize + 8];
                for (s, &i) in slot_of.iter().enumerate() {
                    if i != u32::MAX {
                        let i = i as usize;
                        let val = fps[s] | (pidx[i] << fpb) | (bidx[i] << (fpb + pb));
                        put_bits(&mut t, s as u64 * u64::from(width), width, val);
                    }
                }
                return Ok((t, slots, fpb, max_probe, rot));
            }
        }
        if fpb >= max_fp {
            return Err(LmError::build(
                path,
                format!(
                    "{}-gram hash fingerprints collide even with {fpb} bits",
                    o.n
                ),
            ));
        }
        fpb += 1;
    }
}

/// Encodes the k-grams as, for each (k-1)-gram in order, its number of extensions and the
/// gaps between their last word ids (varints), compressed with zstd.
fn ngram_list(data: &NgramData, k: usize, path: &Path) -> Result<Vec<u8>, LmError> {
    let (lo, hi) = (&data.orders[k - 2], &data.orders[k - 1]);
    let mut raw = Vec::with_capacity(hi.len() * 2 + lo.len());
    let mut j = 0usize;
    for i in 0..lo.len() {
        let prefix = lo.entry(i);
        let start_j = j;
        while j < hi.len() && &hi.entry(j)[..k - 1] == prefix {
            j += 1;
        }
        varint(&mut raw, (j - start_j) as u64);
        let mut prev: Option<u32> = None;
        for e in start_j..j {
            let w = hi.entry(e)[k - 1];
            varint(
                &mut raw,
                u64::from(match prev {
                    None => w,
                    Some(p) => w - p - 1,
                }),
            );
            prev = Some(w);
        }
    }
    if j != hi.len() {
        return Err(LmError::build(
            path,
            format!("{k}-grams are not sorted or lack their contexts"),
        ));
    }
    let mut out = (raw.len() as u64).to_le_bytes().to_vec();
    let z = zstd::bulk::compress(&raw, 19).map_err(|e| LmError::io(path, e))?;
    out.extend_from_slice(&z);
    Ok(out)
}

/// Where the model bytes live.
enum Backing {
    Mmap(memmap2::Mmap),
    Static(&'static [u8]),
    Owned(Vec<u8>),
    /// A private copy in anonymous memory, 2 MiB-aligned and advised as huge pages.
    Resident {
        map: memmap2::Mmap,
        start: usize,
        len: usize,
    },
}

/// Size of a transparent huge page on x86-64 and most aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

impl Backing {
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mmap(m) => m,
            Backing::Static(s) => s,
            Backing::Owned(v) => v,
            Backing::Resident { map, start, len } => map.get(*start..*start + *len).unwrap_or(&[]),
        }
    }

    /// Anonymous memory of `len` bytes, backed by huge pages where the kernel allows (Linux
    /// transparent huge pages in `madvise` or `always` mode; elsewhere plain pages), filled
    /// by `fill`. A lookup touches a few random slots of tables tens of MB large: with 4 KiB
    /// pages nearly each is also a TLB miss, with 2 MiB pages the whole model fits the TLB.
    fn resident(
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> std::io::Result<()>,
    ) -> std::io::Result<Backing> {
        let total = len
            .checked_add(HUGE_PAGE)
            .ok_or_else(|| std::io::Error::other("model too large"))?;
        let mut map = memmap2::MmapMut::map_anon(total)?;
        let start = map.as_ptr().align_offset(HUGE_PAGE).min(HUGE_PAGE);
        #[cfg(target_os = "linux")]
        {
            // Only a hint: without THP the pages stay small and everything still works.
            let span = len.next_multiple_of(HUGE_PAGE).min(map.len() - start);
            let _ = map.advise_range(memmap2::Advice::HugePage, start, span);
        }
        fill(&mut map[start..start + len])?;
        Ok(Backing::Resident {
            map: map.make_read_only()?,
            start,
            len,
        })
    }
}

/// One order's table as found in the file.
#[derive(Debug, Clone, Copy, Default)]
struct Table {
    off: usize,
    len: usize,
    count: u64,
    slots: u64,
    width: u32,
    fp_mask: u64,
    p_shift: u32,
    p_mask: u64,
    b_shift: u32,
    b_mask: u64,
    max_probe: u32,
    rot: u32,
}

/// Address of the first model byte. The bytes belong to the model's `backing` (kept alive
/// by the same `Model`), are never written after open and never move: a memory map, a
/// static slice, or a `Vec` that is not touched again.
#[derive(Clone, Copy)]
struct Base(*const u8);

// SAFETY: `Base` only points into immutable bytes that the owning `Model` keeps alive; the
// model is read-only, so sharing or sending it between threads is as safe as sharing `&[u8]`.
unsafe impl Send for Base {}
// SAFETY: as above.
unsafe impl Sync for Base {}

/// Codebook indices of one entry.
#[derive(Clone, Copy)]
struct Hit {
    p: usize,
    b: usize,
}

/// A read-only n-gram language model in the binary format (memory-mapped or embedded).
///
/// Opening only validates the header and checksums; queries read the mapped bytes
/// directly. `Model` is `Send + Sync` and cheap to share behind an `Arc`.
pub struct Model {
    backing: Arc<Backing>,
    path: PathBuf,
    order: usize,
    vocab_size: u32,
    /// (offset, end) of the word strings, of the u32 offsets, of the hash slots.
    vstr: (usize, usize),
    voff: (usize, usize),
    vhash: (usize, usize),
    vslots: u64,
    vmax_probe: u32,
    vid_mask: u64,
    /// tables[k-1] is the table of k-grams (`order` of them in use).
    tables: [Table; MAX_ORDER],
    /// Codebooks per order, each padded to `1 << bits` entries so that a masked index is
    /// always inside.
    pcodes: [Box<[f32]>; MAX_ORDER],
    bcodes: [Box<[f32]>; MAX_ORDER],
    /// Start of the model bytes, for the unchecked reads of the query path.
    base: Base,
    lists: Vec<Option<(usize, usize)>>,
    /// (kind, order, offset, end, checksum) of every section.
    sections: Vec<(u32, u32, usize, usize, u64)>,
}

/// A KenLM-style query state: the context words that can still extend an n-gram (most
/// recent first) with their backoffs, so that scoring the next word needs no backoff lookups.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct State {
    words: [WordId; MAX_ORDER],
    backoff: [f32; MAX_ORDER],
    len: u8,
}

impl State {
    /// The context words, most recent first.
    pub fn words(&self) -> &[WordId] {
        self.words.get(..self.len as usize).unwrap_or(&[])
    }

    /// The raw parts (words most recent first, their backoffs, the number in use), for
    /// callers that keep states in their own type.
    pub fn into_parts(self) -> ([WordId; MAX_ORDER], [f32; MAX_ORDER], u8) {
        (self.words, self.backoff, self.len)
    }

    /// A state from parts made by [`State::into_parts`]. Parts that did not come from this
    /// model give wrong scores, never a panic.
    pub fn from_parts(words: [WordId; MAX_ORDER], backoff: [f32; MAX_ORDER], len: u8) -> State {
        State {
            words,
            backoff,
            len: len.min(MAX_ORDER as u8),
        }
    }
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

impl Model {
    /// Opens a binary model by memory-mapping `path`.
    pub fn open(path: &Path) -> Result<Model, LmError> {
        let file = std::fs::File::open(path).map_err(|e| LmError::io(path, e))?;
        // SAFETY: the mapping is read-only; the model file must not be modified while open
        // (as with any memory-mapped file). All reads are bounds-checked.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| LmError::io(path, e))?;
        Model::from_backing(Backing::Mmap(map), path.to_path_buf())
    }

    /// Reads the model at `path` into private memory backed by huge pages where the OS
    /// allows: lookups are faster than through [`Model::open`]'s mapping (fewer TLB misses
    /// on the large tables), at the cost of reading the whole file at open and holding it
    /// in the process's own memory rather than in the shared page cache.
    pub fn load(path: &Path) -> Result<Model, LmError> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|e| LmError::io(path, e))?;
        let len = file.metadata().map_err(|e| LmError::io(path, e))?.len();
        let len = usize::try_from(len).map_err(|_| LmError::corrupt(path, "file too large"))?;
        let backing =
            Backing::resident(len, |buf| file.read_exact(buf)).map_err(|e| LmError::io(path, e))?;
        Model::from_backing(backing, path.to_path_buf())
    }

    /// Copies `bytes` (e.g. a model embedded with `include_bytes!`) into private memory
    /// backed by huge pages where the OS allows, as [`Model::load`] does with a file.
    pub fn load_bytes(bytes: &[u8]) -> Result<Model, LmError> {
        let path = PathBuf::from("<memory>");
        let backing = Backing::resident(bytes.len(), |buf| {
            buf.copy_from_slice(bytes);
            Ok(())
        })
        .map_err(|e| LmError::io(&path, e))?;
        Model::from_backing(backing, path)
    }

    /// Uses a model embedded in the binary (e.g. with `include_bytes!`).
    pub fn from_static(bytes: &'static [u8]) -> Result<Model, LmError> {
        Model::from_backing(Backing::Static(bytes), PathBuf::from("<embedded>"))
    }

    /// Uses a model held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model, LmError> {
        Model::from_backing(Backing::Owned(bytes), PathBuf::from("<memory>"))
    }

    fn from_backing(backing: Backing, path: PathBuf) -> Result<Model, LmError> {
        let b = backing.bytes();
        let bad = |what: String| LmError::corrupt(&path, what);
        if b.len() < 32 {
            return if b.get(..b.len().min(8)) == MAGIC.get(..b.len().min(8)) {
                Err(bad(format!("only {} bytes", b.len())))
            } else {
                Err(LmError::BadMagic { path: path.clone() })
            };
        }
        if b.get(..8) != Some(&MAGIC[..]) {
            return Err(LmError::BadMagic { path: path.clone() });
        }
        let version = rd_u32(b, 8).unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(LmError::Version {
                path: path.clone(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let order = rd_u32(b, 12).unwrap_or(0) as usize;
        let vocab_size = rd_u32(b, 16).unwrap_or(0);
        let nsec = rd_u32(b, 20).unwrap_or(0) as usize;
        if order == 0 || order > MAX_ORDER {
            return Err(bad(format!("order {order} not in 1..={MAX_ORDER}")));
        }
        if vocab_size < 3 {
            return Err(bad(format!("vocabulary size {vocab_size}")));
        }
        if nsec > 4 * MAX_ORDER + 4 {
            return Err(bad(format!("{nsec} sections")));
        }
        let header_len = 32 + 8 * order + DIR_REC * nsec;
        let header = b
            .get(..header_len)
            .ok_or_else(|| bad(format!("header needs {header_len} bytes")))?;
        if rd_u64(b, 24) != Some(header_checksum(header)) {
            return Err(bad("header checksum mismatch".into()));
        }
        let mut counts = Vec::with_capacity(order);
        for k in 0..order {
            counts.push(rd_u64(b, 32 + 8 * k).unwrap_or(0));
        }
        // Directory.
        let mut found: HashMap<(u32, u32), (usize, usize)> = HashMap::new();
        let mut dir = Vec::with_capacity(nsec);
        for s in 0..nsec {
            let at = 32 + 8 * order + DIR_REC * s;
            let (kind, ord) = (rd_u32(b, at).unwrap_or(0), rd_u32(b, at + 4).unwrap_or(0));
            let (off, len, sum) = (
                rd_u64(b, at + 8).unwrap_or(0),
                rd_u64(b, at + 16).unwrap_or(0),
                rd_u64(b, at + 24).unwrap_or(0),
            );
            let end = off
                .checked_add(len)
                .filter(|&e| e <= b.len() as u64)
                .ok_or_else(|| {
                    bad(format!(
                        "section {s} (kind {kind}) spans bytes {off}..{} of a {}-byte file",
                        off.saturating_add(len),
                        b.len()
                    ))
                })?;
            let (off, end) = (off as usize, end as usize);
            // The big hash tables and n-gram lists are checked by `verify` (and the lists
            // also when decoded); everything else is checked here.
            let deferred = (kind == K_TABLE && ord >= 2) || kind == K_NGRAMS;
            if !deferred && checksum(b.get(off..end).unwrap_or(&[])) != sum {
                return Err(bad(format!(
                    "checksum mismatch in section {s} (kind {kind}, order {ord})"
                )));
            }
            dir.push((kind, ord, off, end, sum));
            if found.insert((kind, ord), (off, end)).is_some() {
                return Err(bad(format!("duplicate section kind {kind} order {ord}")));
            }
        }
        let get = |kind: u32, ord: u32| -> Result<(usize, usize), LmError> {
            found
                .get(&(kind, ord))
                .copied()
                .ok_or_else(|| bad(format!("missing section kind {kind} for order {ord}")))
        };
        let (moff, mend) = get(K_META, 0)?;
        if mend - moff != META_REC * order {
            return Err(bad(format!(
                "META section has {} bytes, expected {}",
                mend - moff,
                META_REC * order
            )));
        }
        let mut tables = [Table::default(); MAX_ORDER];
        let mut pcodes: [Box<[f32]>; MAX_ORDER] = Default::default();
        let mut bcodes: [Box<[f32]>; MAX_ORDER] = Default::default();
        let mut lists = Vec::with_capacity(order);
        for k in 1..=order {
            let at = moff + META_REC * (k - 1);
            let count = rd_u64(b, at).unwrap_or(0);
            let slots = rd_u64(b, at + 8).unwrap_or(0);
            let max_probe = rd_u32(b, at + 16).unwrap_or(0);
            let [fpb, pb, bb, rot] = b
                .get(at + 20..at + 24)
                .and_then(|s| <[u8; 4]>::try_from(s).ok())
                .unwrap_or([0; 4])
                .map(u32::from);
            if rot >= 64 || (k == 1 && rot != 0) {
                return Err(bad(format!("order {k}: bad hash rotation {rot}")));
            }
            let np = rd_u32(b, at + 24).unwrap_or(0) as usize;
            let nb = rd_u32(b, at + 28).unwrap_or(0) as usize;
            let width = fpb + pb + bb;
            if count != counts[k - 1] {
                return Err(bad(format!(
                    "order {k}: META count {count} differs from header {}",
                    counts[k - 1]
                )));
            }
            if pb == 0
                || pb > 16
                || bb > 16
                || width > 57
                || (k > 1 && fpb == 0)
                || (k == 1 && fpb != 0)
            {
                return Err(bad(format!("order {k}: bad bit widths {fpb}/{pb}/{bb}")));
            }
            if k == 1 && (slots != u64::from(vocab_size) || count != slots) {
                return Err(bad(format!(
                    "unigram table has {slots} slots for {vocab_size} words"
                )));
            }
            if k > 1 && (slots <= count || slots > (1u64 << 40)) {
                return Err(bad(format!("order {k}: {slots} slots for {count} entries")));
            }
            if max_probe as u64 >= slots.max(1) {
                return Err(bad(format!("order {k}: max probe {max_probe}")));
            }
            let (toff, tend) = get(K_TABLE, k as u32)?;
            let need = (slots * u64::from(width)).div_ceil(8) + 8;
            if (tend - toff) as u64 != need {
                return Err(bad(format!(
                    "order {k}: table has {} bytes, expected {need}",
                    tend - toff
                )));
            }
            let codes = |kind: u32, nc: usize, bits: u32| -> Result<Vec<f32>, LmError> {
                let (o, e) = get(kind, k as u32)?;
                if e - o != 4 * nc || nc == 0 || nc > (1usize << bits.max(1)) {
                    return Err(bad(format!(
                        "order {k}: codebook kind {kind} has {} bytes for {nc} codes",
                        e - o
                    )));
                }
                let mut c: Vec<f32> = (0..nc)
                    .map(|i| {
                        f32::from_le_bytes(
                            b.get(o + 4 * i..o + 4 * i + 4)
                                .and_then(|s| s.try_into().ok())
                                .unwrap_or([0; 4]),
                        )
                    })
                    .collect();
                if c.iter().any(|x| !x.is_finite()) {
                    return Err(bad(format!("order {k}: non-finite codebook value")));
                }
                let last = c.last().copied().unwrap_or(0.0);
                c.resize(1usize << bits.max(1), last);
                Ok(c)
            };
            pcodes[k - 1] = codes(K_PCODES, np, pb)?.into_boxed_slice();
            bcodes[k - 1] = codes(K_BCODES, nb, bb)?.into_boxed_slice();
            lists.push(found.get(&(K_NGRAMS, k as u32)).copied());
            tables[k - 1] = Table {
                off: toff,
                len: tend - toff,
                count,
                slots,
                width,
                fp_mask: low_mask(fpb),
                p_shift: fpb,
                p_mask: low_mask(pb),
                b_shift: fpb + pb,
                b_mask: low_mask(bb),
                max_probe,
                rot,
            };
        }
        let vstr = get(K_VSTR, 0)?;
        let voff = get(K_VOFF, 0)?;
        let vhash = get(K_VHASH, 0)?;
        if voff.1 - voff.0 != 4 * (vocab_size as usize + 1) {
            return Err(bad(format!(
                "word offsets: {} bytes for {vocab_size} words",
                voff.1 - voff.0
            )));
        }
        let hlen = vhash.1 - vhash.0;
        if hlen < 16 || hlen % 8 != 0 || (hlen / 8 - 1) as u64 <= u64::from(vocab_size) {
            return Err(bad(format!("word hash table has {hlen} bytes")));
        }
        let vslots = (hlen / 8 - 1) as u64;
        let vmax_probe = rd_u32(b, vhash.0).unwrap_or(0);
        if u64::from(vmax_probe) >= vslots {
            return Err(bad(format!("word hash table max probe {vmax_probe}")));
        }
        let backing = Arc::new(backing);
        let base = Base(backing.bytes().as_ptr());
        let m = Model {
            backing,
            base,
            path,
            order,
            vocab_size,
            vstr,
            voff,
            vhash: (vhash.0 + 8, vhash.1),
            vslots,
            vmax_probe,
            vid_mask: low_mask(id_bits(vocab_size)),
            tables,
            pcodes,
            bcodes,
            lists,
            sections: dir,
        };
        for (name, want) in [("<unk>", UNK), ("<s>", BOS), ("</s>", EOS)] {
            if m.id(name) != want || m.word(want) != Some(name) {
                return Err(LmError::corrupt(
                    &m.path,
                    format!("{name} does not have id {want}"),
                ));
            }
        }
        Ok(m)
    }

    /// Model order.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Number of words in the vocabulary (with `<unk>`, `<s>`, `</s>`).
    pub fn vocab_size(&self) -> usize {
        self.vocab_size as usize
    }

    /// Number of n-grams stored per order (`[unigrams, bigrams, …]`).
    pub fn counts(&self) -> Vec<u64> {
        self.tables
            .iter()
            .take(self.order)
            .map(|t| t.count)
            .collect()
    }

    /// Layout of each order's table: (slots, fingerprint bits, bits per slot, longest probe).
    pub fn table_layout(&self) -> Vec<(u64, u32, u32, u32)> {
        self.tables
            .iter()
            .take(self.order)
            .map(|t| (t.slots, t.fp_mask.count_ones(), t.width, t.max_probe))
            .collect()
    }

    /// Bytes per section, as (name, order, bytes), sorted.
    pub fn section_sizes(&self) -> Vec<(&'static str, usize, usize)> {
        let mut v: Vec<_> = self
            .sections
            .iter()
            .map(|&(k, o, a, z, _)| {
                let name = match k {
                    K_META => "meta",
                    K_VSTR => "vocab-strings",
                    K_VOFF => "vocab-offsets",
                    K_VHASH => "vocab-hash",
                    K_PCODES => "prob-codebook",
                    K_BCODES => "backoff-codebook",
                    K_TABLE => "table",
                    K_NGRAMS => "ngram-list",
                    _ => "unknown",
                };
                (name, o as usize, z - a)
            })
            .collect();
        v.sort();
        v
    }

    /// Checks the checksums of the sections that opening does not check (the hash tables of
    /// orders ≥ 2 and the n-gram lists), i.e. reads the whole file. Opening already rejects
    /// truncated files and damage anywhere else; damage inside a table would only yield
    /// wrong scores, never a panic.
    pub fn verify(&self) -> Result<(), LmError> {
        let b = self.bytes();
        for &(kind, ord, a, z, sum) in &self.sections {
            if checksum(b.get(a..z).unwrap_or(&[])) != sum {
                return Err(LmError::corrupt(
                    &self.path,
                    format!("checksum mismatch in section kind {kind}, order {ord}"),
                ));
            }
        }
        Ok(())
    }

    /// Size in bytes of the model data.
    pub fn size_bytes(&self) -> usize {
        self.backing.bytes().len()
    }

    /// Id of a normalised word (see [`crate::lm_sentences`]); [`Model::unk`] when absent.
    pub fn id(&self, normalized_word: &str) -> WordId {
        let bytes = self.bytes();
        let table = bytes.get(self.vhash.0..self.vhash.1).unwrap_or(&[]);
        let h = hash_bytes(normalized_word.as_bytes());
        let tag = word_tag(h, id_bits(self.vocab_size));
        let mut s = home(h, self.vslots);
        for _ in 0..=self.vmax_probe {
            let e = rd_u64(table, 8 * s as usize).unwrap_or(0);
            if e == 0 {
                return UNK;
            }
            // The tag holds the hash bits above the id (≥ 40 bits for any realistic
            // vocabulary), so like KenLM the string itself is not compared.
            if e & !self.vid_mask == tag {
                let id = (e & self.vid_mask).wrapping_sub(1);
                return if id < u64::from(self.vocab_size) {
                    id as WordId
                } else {
                    UNK
                };
            }
            s += 1;
            if s == self.vslots {
                s = 0;
            }
        }
        UNK
    }

    fn word_bytes<'a>(&self, bytes: &'a [u8], id: WordId) -> Option<&'a [u8]> {
        if id >= self.vocab_size {
            return None;
        }
        let offs = bytes.get(self.voff.0..self.voff.1)?;
        let a = rd_u32(offs, 4 * id as usize)? as usize;
        let z = rd_u32(offs, 4 * id as usize + 4)? as usize;
        bytes.get(self.vstr.0..self.vstr.1)?.get(a..z)
    }

    /// The word of `id` (`None` for ids outside the vocabulary).
    pub fn word(&self, id: WordId) -> Option<&str> {
        std::str::from_utf8(self.word_bytes(self.bytes(), id)?).ok()
    }

    /// Id of `<unk>`.
    pub fn unk(&self) -> WordId {
        UNK
    }
    /// Id of `<s>`.
    pub fn bos(&self) -> WordId {
        BOS
    }
    /// Id of `</s>`.
    pub fn eos(&self) -> WordId {
        EOS
    }

    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        self.backing.bytes()
    }

    #[inline(always)]
    fn clamp_id(&self, w: WordId) -> WordId {
        if w < self.vocab_size { w } else { UNK }
    }

    /// The 8 bytes at `at` (little-endian).
    ///
    /// # Safety
    /// `at + 8` must not exceed the model's length.
    #[inline(always)]
    unsafe fn read_u64(&self, at: usize) -> u64 {
        // SAFETY: the caller keeps `at + 8` within the bytes `base` points to (see `Base`).
        u64::from_le(unsafe { self.base.0.add(at).cast::<u64>().read_unaligned() })
    }

    /// The raw entry of slot `slot` of `t` (its low `t.width` bits; the bits above are
    /// neighbouring slots', which every field mask drops). `slot < t.slots` is all it needs:
    /// open checked that the table holds `ceil(slots * width / 8) + 8` bytes.
    #[inline(always)]
    fn entry(&self, t: &Table, slot: u64) -> u64 {
        debug_assert!(slot < t.slots && (slot * u64::from(t.width)) / 8 + 8 <= t.len as u64);
        let bit = slot.min(t.slots.saturating_sub(1)) * u64::from(t.width);
        // SAFETY: bit / 8 + 8 <= ceil(slots * width / 8) + 8 = t.len, and the table lies
        // inside the model (both checked at open).
        unsafe { self.read_u64(t.off + (bit >> 3) as usize) >> (bit & 7) }
    }

    #[inline(always)]
    fn unigram(&self, w: WordId) -> Hit {
        // `w` is clamped below vocab_size, which is the unigram table's slot count.
        let t = &self.tables[0];
        let e = self.entry(t, u64::from(w));
        Hit {
            p: (e & t.p_mask) as usize,
            b: ((e >> t.b_shift) & t.b_mask) as usize,
        }
    }

    /// Looks up the n-gram of order `k ≥ 2` with key `h`.
    #[inline(always)]
    fn find(&self, k: usize, h: u64) -> Option<Hit> {
        let t = self.tables.get(k - 1)?;
        let h = h.rotate_left(t.rot);
        let fp = fingerprint(h, t.fp_mask);
        let mut s = home(h, t.slots);
        for _ in 0..=t.max_probe {
            let e = self.entry(t, s);
            let f = e & t.fp_mask;
            if f == fp {
                return Some(Hit {
                    p: ((e >> t.p_shift) & t.p_mask) as usize,
                    b: ((e >> t.b_shift) & t.b_mask) as usize,
                });
            }
            if f < fp {
                return None;
            }
            s += 1;
            if s == t.slots {
                s = 0;
            }
        }
        None
    }

    /// Asks the CPU to start loading the home slot of key `h` in the order-`k` table.
    #[inline(always)]
    fn prefetch_slot(&self, k: usize, h: u64) {
        if let Some(t) = self.tables.get(k - 1) {
            let byte =
                t.off + ((home(h.rotate_left(t.rot), t.slots) * u64::from(t.width)) >> 3) as usize;
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the home slot is inside the table (see `entry`); a prefetch never faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    self.base.0.add(byte).cast::<i8>(),
                )
            };
            #[cfg(not(target_arch = "x86_64"))]
            let _ = byte;
        }
    }

    #[inline(always)]
    fn p(&self, k: usize, hit: Hit) -> f32 {
        // Indices are masked to the codebook's bits and codebooks are padded to 1 << bits.
        self.pcodes
            .get(k - 1)
            .and_then(|c| c.get(hit.p))
            .copied()
            .unwrap_or(0.0)
    }

    #[inline(always)]
    fn b(&self, k: usize, hit: Hit) -> f32 {
        self.bcodes
            .get(k - 1)
            .and_then(|c| c.get(hit.b))
            .copied()
            .unwrap_or(0.0)
    }

    /// log10 P(word | context). `context` holds the preceding ids, most recent last; any
    /// length is accepted and only the last `order - 1` are used. Backoff semantics are the
    /// standard (ARPA/KenLM) ones: the longest stored n-gram ending in `word` gives the
    /// probability, plus the backoffs of every longer stored context.
    #[inline]
    pub fn log10_prob(&self, context: &[WordId], word: WordId) -> f32 {
        let keep = context.len().min(self.order - 1);
        let ctx = context.get(context.len() - keep..).unwrap_or(&[]);
        let word = self.clamp_id(word);
        let mut p = self.p(1, self.unigram(word));
        // Keys of the candidate n-grams (w with 1, 2, … context words) and of the contexts,
        // with the n-gram slots prefetched so the table reads overlap.
        let mut nkeys = [0u64; MAX_ORDER];
        let mut ckeys = [0u64; MAX_ORDER];
        let mut h = start(word);
        let mut hc = 0u64;
        for (i, ((&c, nk), ck)) in ctx
            .iter()
            .rev()
            .zip(nkeys.iter_mut())
            .zip(ckeys.iter_mut())
            .enumerate()
        {
            let c = self.clamp_id(c);
            hc = if i == 0 { start(c) } else { extend(hc, c) };
            h = extend(h, c);
            *nk = h;
            *ck = hc;
            self.prefetch_slot(i + 2, h);
        }
        let mut extending = true;
        let mut backoff = 0f32;
        for (i, ((&c, &nk), &ck)) in ctx
            .iter()
            .rev()
            .zip(nkeys.iter())
            .zip(ckeys.iter())
            .enumerate()
        {
            if extending {
                if let Some(hit) = self.find(i + 2, nk) {
                    p = self.p(i + 2, hit);
                    continue;
                }
                extending = false;
            }
            // The (i+2)-gram is missing: add the backoff of the (i+1)-word context.
            if i == 0 {
                backoff += self.b(1, self.unigram(self.clamp_id(c)));
            } else {
                match self.find(i + 1, ck) {
                    Some(hit) => backoff += self.b(i + 1, hit),
                    None => break,
                }
            }
        }
        p + backoff
    }

    /// The state at the start of a sentence (context `<s>`).
    pub fn begin_sentence(&self) -> State {
        let mut s = State::default();
        if self.order > 1 {
            s.words[0] = BOS;
            s.backoff[0] = self.b(1, self.unigram(BOS));
            s.len = 1;
        }
        s
    }

    /// An empty state (no context).
    pub fn null_state(&self) -> State {
        State::default()
    }

    /// Starts loading (CPU prefetch) the table slots that [`Model::score`] of `word` after
    /// `state` will read first, without waiting for them: issue it for several queries, then
    /// score them, and their memory reads overlap. Only a hint; results never change.
    #[inline]
    pub fn prefetch(&self, state: &State, word: WordId) {
        self.prefetch_parts(&state.words, state.len, word);
    }

    /// [`Model::prefetch`] on a state's raw parts (see [`State::into_parts`]).
    #[inline]
    pub fn prefetch_parts(&self, words: &[WordId; MAX_ORDER], len: u8, word: WordId) {
        let word = self.clamp_id(word);
        let len = (len as usize).min(self.order - 1).min(MAX_ORDER - 1);
        let mut h = start(word);
        for (i, &c) in words.iter().enumerate().take(len) {
            h = extend(h, c);
            self.prefetch_slot(i + 2, h);
        }
    }

    /// Scores `word` after `state` (log10 probability, as [`Model::log10_prob`]) and writes
    /// the following state to `out`.
    #[inline]
    pub fn score(&self, state: &State, word: WordId, out: &mut State) -> f32 {
        let (p, len) = self.score_parts(
            &state.words,
            &state.backoff,
            state.len,
            word,
            &mut out.words,
            &mut out.backoff,
        );
        out.len = len;
        p
    }

    /// [`Model::score`] on raw state parts (see [`State::into_parts`]), for callers that keep
    /// states in their own type: reads the state's words, backoffs and length, writes the next
    /// state's words and backoffs, returns the log10 probability and the next state's length.
    /// Entries of `out_words`/`out_backoff` past that length are left as they were.
    #[inline]
    pub fn score_parts(
        &self,
        words: &[WordId; MAX_ORDER],
        backoff: &[f32; MAX_ORDER],
        len: u8,
        word: WordId,
        out_words: &mut [WordId; MAX_ORDER],
        out_backoff: &mut [f32; MAX_ORDER],
    ) -> (f32, u8) {
        let word = self.clamp_id(word);
        let uni = self.unigram(word);
        let mut p = self.p(1, uni);
        let n = self.order;
        // At most MAX_ORDER - 1 context words: every index below is in bounds.
        let len = (len as usize).min(n - 1).min(MAX_ORDER - 1);
        let mut out_len = 0u8;
        if n > 1 {
            out_words[0] = word;
            out_backoff[0] = self.b(1, uni);
            out_len = 1;
        }
        // Hash every candidate n-gram first and prefetch their slots, so that the table
        // reads of all orders overlap instead of waiting for each other.
        let mut keys = [0u64; MAX_ORDER];
        let mut h = start(word);
        for i in 0..len {
            h = extend(h, words[i]);
            keys[i] = h;
            self.prefetch_slot(i + 2, h);
        }
        let mut matched = 0usize;
        for i in 0..len {
            let k = i + 2;
            let Some(hit) = self.find(k, keys[i]) else {
                break;
            };
            p = self.p(k, hit);
            matched = i + 1;
            if k < n {
                out_words[k - 1] = words[i];
                out_backoff[k - 1] = self.b(k, hit);
                out_len = k as u8;
            }
        }
        for &b in &backoff[matched..len] {
            p += b;
        }
        (p, out_len)
    }

    /// log10 probability of a sentence of ids (without `<s>`/`</s>`, which are added).
    pub fn sentence_log10(&self, ids: &[WordId]) -> f32 {
        let mut st = self.begin_sentence();
        let mut next = State::default();
        let mut total = 0f32;
        let n = ids.len();
        let word_at = |j: usize| -> WordId {
            match j.cmp(&n) {
                std::cmp::Ordering::Less => self.clamp_id(ids[j]),
                std::cmp::Ordering::Equal => EOS,
                std::cmp::Ordering::Greater => BOS,
            }
        };
        for j in 0..=n {
            // The words before a position are known before its lookups are, so the slots
            // of the next word's n-grams (with its full context) are requested now and load
            // while this word is scored.
            if j < n {
                let mut h = start(word_at(j + 1));
                for (i, back) in (0..(self.order - 1).min(j + 2)).enumerate() {
                    // Context word `back` positions before j + 1 (j + 1 - 1 - back), `<s>`
                    // in front of the sentence.
                    let c = if back <= j { word_at(j - back) } else { BOS };
                    h = extend(h, c);
                    self.prefetch_slot(i + 2, h);
                }
            }
            total += self.score(&st, word_at(j), &mut next);
            st = next;
        }
        total
    }

    /// log10 probability of a sentence of normalised words (see [`crate::lm_sentences`];
    /// `<s>`/`</s>` are added): [`Model::id`] of every word, then [`Model::sentence_log10`].
    /// Mapping the words first lets their vocabulary reads overlap.
    pub fn sentence_log10_words<S: AsRef<str>>(&self, words: &[S]) -> f32 {
        let mut ids = [0 as WordId; 64];
        if words.len() <= ids.len() {
            for (id, w) in ids.iter_mut().zip(words) {
                *id = self.id(w.as_ref());
            }
            self.sentence_log10(ids.get(..words.len()).unwrap_or(&[]))
        } else {
            let ids: Vec<WordId> = words.iter().map(|w| self.id(w.as_ref())).collect();
            self.sentence_log10(&ids)
        }
    }

    /// Decodes the model back into an in-memory [`NgramData`] (dequantised values).
    /// Needs the n-gram lists, which [`BinaryOptions::store_ngram_list`] controls.
    pub fn to_data(&self) -> Result<NgramData, LmError> {
        let bytes = self.bytes();
        let bad = |what: String| LmError::corrupt(&self.path, what);
        let v = self.vocab_size as usize;
        let mut vocab = Vec::with_capacity(v);
        for id in 0..v as u32 {
            let w = self
                .word(id)
                .filter(|w| !w.is_empty())
                .ok_or_else(|| bad(format!("no word for id {id}")))?;
            vocab.push(w.to_string());
        }
        let mut orders = Vec::with_capacity(self.order);
        let mut uni = OrderData {
            n: 1,
            ..Default::default()
        };
        for id in 0..v as u32 {
            let hit = self.unigram(id);
            uni.ids.push(id);
            uni.prob.push(self.p(1, hit));
            uni.backoff
                .push(if self.order > 1 { self.b(1, hit) } else { 0.0 });
        }
        orders.push(uni);
        for k in 2..=self.order {
            let (off, end) = self.lists.get(k - 1).copied().flatten().ok_or_else(|| {
                bad(format!(
                    "the model was built without n-gram lists; cannot list {k}-grams"
                ))
            })?;
            let sec = bytes.get(off..end).unwrap_or(&[]);
            let sum = self
                .sections
                .iter()
                .find(|x| x.0 == K_NGRAMS && x.1 == k as u32)
                .map(|x| x.4);
            if sum != Some(checksum(sec)) {
                return Err(bad(format!("checksum mismatch in the {k}-gram list")));
            }
            let raw_len =
                rd_u64(sec, 0).ok_or_else(|| bad(format!("{k}-gram list truncated")))? as usize;
            let prev = orders.last().ok_or_else(|| bad("no lower order".into()))?;
            let count = self.tables[k - 1].count as usize;
            let limit = 10 * (count + prev.len()) + 16;
            if raw_len > limit {
                return Err(bad(format!("{k}-gram list claims {raw_len} bytes")));
            }
            let raw = zstd::bulk::decompress(sec.get(8..).unwrap_or(&[]), raw_len)
                .map_err(|e| bad(format!("{k}-gram list: {e}")))?;
            let mut o = OrderData {
                n: k,
                ..Default::default()
            };
            let mut pos = 0usize;
            let mut gram: Vec<u32> = Vec::with_capacity(k);
            for i in 0..prev.len() {
                let nchild = read_varint(&raw, &mut pos)
                    .ok_or_else(|| bad(format!("{k}-gram list truncated")))?;
                if nchild > v as u64 {
                    return Err(bad(format!("{k}-gram list: {nchild} extensions")));
                }
                let mut w: u64 = 0;
                for c in 0..nchild {
                    let gap = read_varint(&raw, &mut pos)
                        .ok_or_else(|| bad(format!("{k}-gram list truncated")))?;
                    w = if c == 0 { gap } else { w + 1 + gap };
                    if w >= v as u64 {
                        return Err(bad(format!("{k}-gram list: word id {w} out of range")));
                    }
                    gram.clear();
                    gram.extend_from_slice(prev.entry(i));
                    gram.push(w as u32);
                    let hit = self
                        .find(k, key_of(&gram))
                        .ok_or_else(|| bad(format!("listed {k}-gram not in its table")))?;
                    o.ids.extend_from_slice(&gram);
                    o.prob.push(self.p(k, hit));
                    o.backoff
                        .push(if k < self.order { self.b(k, hit) } else { 0.0 });
                }
            }
            if o.len() != count {
                return Err(bad(format!(
                    "{k}-gram list has {} entries, header says {count}",
                    o.len()
                )));
            }
            orders.push(o);
        }
        Ok(NgramData { vocab, orders })
    }

    /// Writes the model in ARPA format (dequantised values).
    pub fn write_arpa(&self, w: &mut dyn Write) -> Result<(), LmError> {
        let data = self.to_data()?;
        crate::arpa::write_arpa_data(&data, w)
    }
}

/// Converts an ARPA file (e.g. from KenLM) into a binary model with default options.
pub fn compile_arpa(arpa: &Path, out: &Path) -> Result<crate::BuildStats, LmError> {
    compile_arpa_with(arpa, out, &BinaryOptions::default())
}

/// Converts an ARPA file into a binary model with the given layout options.
pub fn compile_arpa_with(
    arpa: &Path,
    out: &Path,
    opts: &BinaryOptions,
) -> Result<crate::BuildStats, LmError> {
    let t0 = std::time::Instant::now();
    let data = crate::arpa::read_arpa(arpa)?;
    let file_bytes = write_binary(&data, out, opts)?;
    Ok(crate::BuildStats {
        vocab_size: data.vocab.len(),
        ngrams: data.orders.iter().map(|o| o.len() as u64).collect(),
        ngrams_before_pruning: data.orders.iter().map(|o| o.len() as u64).collect(),
        file_bytes,
        seconds: t0.elapsed().as_secs_f64(),
        ..Default::default()
    })
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

#[cfg(test)]
mod unchecked_reads {
    use super::*;

    /// Every slot read by the query path's unchecked `entry` equals the bounds-checked
    /// reference read, in every table, for default and lossless layouts.
    #[test]
    fn entry_equals_checked_read_in_every_slot() {
        let data = crate::estimate_from_texts(
            ["the cat sat on the mat . the dog sat on the log . a cat and a dog ."],
            &crate::BuildOptions {
                order: 4,
                min_word_count: 1,
                prune_threshold: 0.0,
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        for opts in [
            BinaryOptions::default(),
            BinaryOptions {
                prob_bits: 16,
                backoff_bits: 16,
                unigram_bits: 16,
                fingerprint_bits: 33,
                ..Default::default()
            },
        ] {
            let bytes = binary_bytes(&data, &opts, Path::new("x")).unwrap();
            let m = Model::load_bytes(&bytes).unwrap();
            for t in m.tables.iter().take(m.order) {
                let table = &bytes[t.off..t.off + t.len];
                for s in 0..t.slots {
                    let mask = low_mask(t.width);
                    let want = get_bits(table, s * u64::from(t.width), t.width);
                    assert_eq!(m.entry(t, s) & mask, want, "slot {s} of {t:?}");
                }
            }
        }
    }
}
