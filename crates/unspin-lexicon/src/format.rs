//! The compiled lexicon file.
//!
//! Layout (all integers little-endian, no alignment assumed anywhere):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `UNSPNLEX` |
//! | 8 | 4 | format version ([`VERSION`]) |
//! | 12 | 4 | longest key in words |
//! | 16 | 8 | number of keys |
//! | 24 | 8 | number of candidates |
//! | 32 | 8 | number of originals |
//! | 40 | 4 | `q_lo` (f32): ln s of quantum 0 |
//! | 44 | 4 | `q_step` (f32): ln s step per quantum |
//! | 48 | 4×16 | sections (offset u64, length u64): fst, candidates, string offsets, string bytes |
//! | 112 | 4 | CRC-32 of bytes 0..112 |
//! | 116 | 4 | CRC-32 of everything after the header (checked by [`crate::Lexicon::verify`]) |
//! | 120 | … | sections |
//!
//! * **fst**: an `fst::Map` from observed key to `(byte offset of its first candidate << 8) |
//!   count`.
//! * **candidates**: a byte stream; a key's candidates are contiguous, best first. Each is the
//!   original id as a LEB128 varint (originals are numbered by descending corpus frequency, so
//!   frequent ones take 1–2 bytes), then one byte `q << 2 | code` with `q` the 6-bit quantised
//!   ln s and `code` the sources: 0 Moby, 1 WordNet, 2 Moby+WordNet, 3 = a further byte holds
//!   the source flags.
//! * **string offsets**: `n_originals + 1` `u32` offsets into the string bytes.
//! * **string bytes**: UTF-8 originals, concatenated.

use crate::error::LexiconError;

/// File magic.
pub const MAGIC: &[u8; 8] = b"UNSPNLEX";
/// Current format version.
pub const VERSION: u32 = 2;
/// Header size in bytes.
pub const HEADER_LEN: usize = 120;
/// Largest original id that fits a candidate record.
pub const MAX_ORIGINALS: usize = 1 << 20;
/// Most candidates per key.
pub const MAX_PER_KEY: usize = 255;

/// The quantisation of ln s: 64 steps over `[Q_LO, 0]`.
pub const Q_LO: f32 = -16.0;
/// Number of quantisation steps above `Q_LO`.
const Q_MAX: f32 = 63.0;

/// Header fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    /// Longest key in words.
    pub max_key_words: u32,
    /// Number of keys.
    pub n_keys: u64,
    /// Number of candidate records.
    pub n_cands: u64,
    /// Number of originals.
    pub n_originals: u64,
    /// ln s of quantum 0.
    pub q_lo: f32,
    /// ln s step per quantum.
    pub q_step: f32,
    /// (offset, length) of fst, candidates, string offsets, string bytes.
    pub sections: [(u64, u64); 4],
    /// CRC-32 of the body.
    pub body_crc: u32,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads a little-endian `u32` at `at` (None when out of range).
pub(crate) fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    u32_at(b, at)
}

impl Header {
    /// Parses and checks the header of `b` (O(1)): magic, version, header CRC, section bounds
    /// and the total length.
    pub fn parse(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN {
            return Err(format!(
                "file is {} bytes, shorter than the {HEADER_LEN}-byte header",
                b.len()
            ));
        }
        if &b[0..8] != MAGIC {
            return Err("bad magic (not an unspin lexicon)".into());
        }
        let version = u32_at(b, 8).ok_or("short header")?;
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        let crc = u32_at(b, 112).ok_or("short header")?;
        if crc32fast::hash(&b[..112]) != crc {
            return Err("header checksum mismatch".into());
        }
        let mut sections = [(0u64, 0u64); 4];
        for (i, s) in sections.iter_mut().enumerate() {
            *s = (
                u64_at(b, 48 + 16 * i).ok_or("short header")?,
                u64_at(b, 56 + 16 * i).ok_or("short header")?,
            );
        }
        let h = Header {
            max_key_words: u32_at(b, 12).ok_or("short header")?,
            n_keys: u64_at(b, 16).ok_or("short header")?,
            n_cands: u64_at(b, 24).ok_or("short header")?,
            n_originals: u64_at(b, 32).ok_or("short header")?,
            q_lo: f32::from_le_bytes(b[40..44].try_into().map_err(|_| "short header")?),
            q_step: f32::from_le_bytes(b[44..48].try_into().map_err(|_| "short header")?),
            sections,
            body_crc: u32_at(b, 116).ok_or("short header")?,
        };
        let mut end = HEADER_LEN as u64;
        for (off, len) in h.sections {
            if off != end {
                return Err("sections are not contiguous".into());
            }
            end = off.checked_add(len).ok_or("section length overflows")?;
        }
        if end != b.len() as u64 {
            return Err(format!(
                "file is {} bytes, header says {end} (truncated or padded)",
                b.len()
            ));
        }
        if h.sections[1].1 < h.n_cands.checked_mul(2).ok_or("overflow")? {
            return Err("candidate section smaller than its count allows".into());
        }
        if h.sections[2].1
            != h.n_originals
                .checked_add(1)
                .and_then(|n| n.checked_mul(4))
                .ok_or("overflow")?
        {
            return Err("string offset section size does not match the count".into());
        }
        if !(h.q_step.is_finite() && h.q_step > 0.0 && h.q_lo.is_finite()) {
            return Err("bad quantisation parameters".into());
        }
        Ok(h)
    }
}

/// One key with its candidates (original id, ln s, source flags), best first.
pub type KeyEntry = (String, Vec<(u32, f32, u8)>);

/// Quantises ln s to 6 bits.
pub fn quantise(ln: f32) -> u8 {
    let step = -Q_LO / Q_MAX;
    ((ln.clamp(Q_LO, 0.0) - Q_LO) / step).round() as u8
}

const CODES: [u8; 3] = [crate::MOBY, crate::WORDNET, crate::MOBY | crate::WORDNET];

fn encode_candidate(out: &mut Vec<u8>, id: u32, ln: f32, src: u8) {
    let mut v = id;
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    let src = src & 0xf;
    match CODES.iter().position(|&c| c == src) {
        Some(code) => out.push(quantise(ln) << 2 | code as u8),
        None => {
            out.push(quantise(ln) << 2 | 3);
            out.push(src);
        }
    }
}

/// Decodes the candidate at `*at` (advancing it): (original id, quantum, source flags).
/// `None` on a truncated or malformed record.
pub(crate) fn decode_candidate(b: &[u8], at: &mut usize) -> Option<(u32, u8, u8)> {
    let mut id: u32 = 0;
    for shift in [0, 7, 14] {
        let byte = *b.get(*at)?;
        *at += 1;
        id |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let qb = *b.get(*at)?;
            *at += 1;
            let code = qb & 3;
            let src = if code == 3 {
                let s = *b.get(*at)?;
                *at += 1;
                s & 0xf
            } else {
                CODES[code as usize]
            };
            return Some((id, qb >> 2, src));
        }
    }
    None
}

/// Inverse of [`quantise`].
pub fn dequantise(q: u8, q_lo: f32, q_step: f32) -> f32 {
    q_lo + q as f32 * q_step
}

/// Serialises a lexicon. `keys` must be sorted by key bytes with unique keys; ids index
/// `originals`.
pub fn write(keys: &[KeyEntry], originals: &[String]) -> Result<Vec<u8>, LexiconError> {
    if originals.len() >= MAX_ORIGINALS {
        return Err(LexiconError::Build(format!(
            "{} originals, at most {MAX_ORIGINALS}",
            originals.len()
        )));
    }
    let mut cands: Vec<u8> = Vec::new();
    let mut builder = fst::MapBuilder::memory();
    if keys.iter().map(|k| k.1.len()).sum::<usize>() > 0 && originals.is_empty() {
        return Err(LexiconError::Build("candidates without originals".into()));
    }
    let mut n_cands: u64 = 0;
    let mut max_words = 0u32;
    for (key, list) in keys {
        if list.is_empty() || list.len() > MAX_PER_KEY {
            return Err(LexiconError::Build(format!(
                "key {key:?} has {} candidates",
                list.len()
            )));
        }
        max_words = max_words.max(key.split(' ').count() as u32);
        let value = ((cands.len() as u64) << 8) | list.len() as u64;
        builder
            .insert(key, value)
            .map_err(|e| LexiconError::Build(format!("fst: {e}")))?;
        for &(id, ln, src) in list {
            if id as usize >= originals.len() {
                return Err(LexiconError::Build(format!(
                    "original id {id} out of range"
                )));
            }
            encode_candidate(&mut cands, id, ln, src);
            n_cands += 1;
        }
    }
    let fst_bytes = builder
        .into_inner()
        .map_err(|e| LexiconError::Build(format!("fst: {e}")))?;
    let mut offsets: Vec<u8> = Vec::with_capacity((originals.len() + 1) * 4);
    let mut blob: Vec<u8> = Vec::new();
    for s in originals {
        offsets.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        blob.extend_from_slice(s.as_bytes());
    }
    offsets.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    if blob.len() > u32::MAX as usize {
        return Err(LexiconError::Build("string table over 4 GB".into()));
    }
    let mut out = vec![0u8; HEADER_LEN];
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&max_words.to_le_bytes());
    out[16..24].copy_from_slice(&(keys.len() as u64).to_le_bytes());
    out[24..32].copy_from_slice(&n_cands.to_le_bytes());
    out[32..40].copy_from_slice(&(originals.len() as u64).to_le_bytes());
    out[40..44].copy_from_slice(&Q_LO.to_le_bytes());
    out[44..48].copy_from_slice(&(-Q_LO / Q_MAX).to_le_bytes());
    let mut off = HEADER_LEN as u64;
    for (i, sec) in [&fst_bytes, &cands, &offsets, &blob].iter().enumerate() {
        out[48 + 16 * i..56 + 16 * i].copy_from_slice(&off.to_le_bytes());
        out[56 + 16 * i..64 + 16 * i].copy_from_slice(&(sec.len() as u64).to_le_bytes());
        off += sec.len() as u64;
    }
    for sec in [&fst_bytes, &cands, &offsets, &blob] {
        out.extend_from_slice(sec);
    }
    let body_crc = crc32fast::hash(&out[HEADER_LEN..]);
    out[116..120].copy_from_slice(&body_crc.to_le_bytes());
    let head_crc = crc32fast::hash(&out[..112]);
    out[112..116].copy_from_slice(&head_crc.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_error_is_small() {
        for i in 0..1000 {
            let ln = -16.0 * i as f32 / 1000.0;
            let back = dequantise(quantise(ln), Q_LO, -Q_LO / Q_MAX);
            assert!(
                (back - ln).abs() <= 0.5 * -Q_LO / Q_MAX + 1e-5,
                "{ln} {back}"
            );
        }
        assert_eq!(quantise(-100.0), 0);
        assert_eq!(quantise(1.0), 63);
    }

    #[test]
    fn header_rejects_truncation_and_bad_magic() {
        let bytes = write(&[("a".into(), vec![(0, -1.0, 1)])], &["b".into()]).unwrap();
        assert!(Header::parse(&bytes).is_ok());
        assert!(Header::parse(&bytes[..bytes.len() - 1]).is_err());
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(Header::parse(&bad).is_err());
        let mut bad = bytes;
        bad[13] ^= 1;
        assert!(Header::parse(&bad).unwrap_err().contains("checksum"));
    }
}
