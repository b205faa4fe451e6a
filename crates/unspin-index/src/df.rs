//! Document frequencies of word keys, for the reporting score ([`crate::score`]).
//!
//! `DIR/df.bin` holds a count-min sketch (two rows of 2^21 saturating 16-bit counters, 8 MB)
//! of the number of documents containing each exact word form and each synonym class key,
//! plus the number of documents and of their content words. Every commit adds its batch;
//! removals and replacements are not subtracted (counts only grow, which makes words look
//! commoner, never rarer, so that the score errs towards caution). An index without the
//! file (written before it existed) scores matches by kind of word instead.
//!
//! Layout (little-endian): magic `USDF`, version u32, docs u64, words u64, rows × slots u16,
//! CRC-32 of everything before it (u32).

use crate::error::IndexError;
use crate::features::WordFeat;
use crate::hash::mix64;
use std::path::Path;

const MAGIC: &[u8; 4] = b"USDF";
const VERSION: u32 = 1;
/// Counters per row.
const SLOTS: usize = 1 << 21;
const ROWS: usize = 2;
/// File name inside the index directory.
pub const DF_FILE: &str = "df.bin";

/// The sketch.
#[derive(Clone)]
pub struct DocFreq {
    /// Documents counted.
    pub docs: u64,
    /// Content words of those documents.
    pub words: u64,
    rows: Vec<u16>,
}

impl std::fmt::Debug for DocFreq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocFreq")
            .field("docs", &self.docs)
            .field("words", &self.words)
            .finish()
    }
}

impl Default for DocFreq {
    fn default() -> Self {
        DocFreq {
            docs: 0,
            words: 0,
            rows: vec![0; ROWS * SLOTS],
        }
    }
}

#[inline]
fn slot(key: u64, row: usize) -> usize {
    let h = mix64(key ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(row as u64 + 1)));
    row * SLOTS + (h as usize & (SLOTS - 1))
}

/// The keys a document is counted under: exact forms and class keys of its content words,
/// each once.
pub fn doc_terms(words: &[WordFeat]) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::with_capacity(words.len() * 2);
    for w in words.iter().filter(|w| w.is_content()) {
        v.push(w.exact);
        if w.key != w.exact {
            v.push(w.key);
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

impl DocFreq {
    /// Counts one document (its [`doc_terms`] and number of content words).
    pub fn add(&mut self, terms: &[u64], content_words: usize) {
        self.docs += 1;
        self.words += content_words as u64;
        for &t in terms {
            for r in 0..ROWS {
                let s = slot(t, r);
                self.rows[s] = self.rows[s].saturating_add(1);
            }
        }
    }

    /// Documents containing `key` (an over-estimate; saturates at 65,535).
    pub fn get(&self, key: u64) -> u32 {
        (0..ROWS)
            .map(|r| u32::from(self.rows[slot(key, r)]))
            .min()
            .unwrap_or(0)
    }

    /// Mean content words per document.
    pub fn mean_words(&self) -> f64 {
        if self.docs == 0 {
            0.0
        } else {
            self.words as f64 / self.docs as f64
        }
    }

    /// Number of counters of the sketch (rows × slots).
    pub const COUNTERS: usize = ROWS * SLOTS;

    /// The counters (one per row) a term is counted in, as indexes into [`DocFreq::rows`].
    pub fn counters(key: u64) -> [usize; ROWS] {
        std::array::from_fn(|r| slot(key, r))
    }

    /// The counters, row after row ([`DocFreq::COUNTERS`] of them).
    pub fn rows(&self) -> &[u16] {
        &self.rows
    }

    /// A sketch from its parts (a shared store keeps the counters itself); `None` unless
    /// `rows` holds [`DocFreq::COUNTERS`] counters.
    pub fn from_parts(docs: u64, words: u64, rows: Vec<u16>) -> Option<DocFreq> {
        (rows.len() == Self::COUNTERS).then_some(DocFreq { docs, words, rows })
    }

    /// Reads `DIR/df.bin`; `None` when absent.
    pub fn read(dir: &Path) -> Result<Option<DocFreq>, IndexError> {
        let path = dir.join(DF_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(IndexError::io(&path, e)),
        };
        let want = 4 + 4 + 8 + 8 + ROWS * SLOTS * 2 + 4;
        if bytes.len() != want || &bytes[..4] != MAGIC {
            return Err(IndexError::corrupt(&path, "not a document-frequency file"));
        }
        let body = &bytes[..want - 4];
        let crc = u32::from_le_bytes(bytes[want - 4..].try_into().unwrap_or([0; 4]));
        if crc32fast::hash(body) != crc {
            return Err(IndexError::corrupt(&path, "checksum mismatch"));
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or([0; 8]));
        if u32_at(4) != VERSION {
            return Err(IndexError::corrupt(
                &path,
                "unknown document-frequency version",
            ));
        }
        let rows = bytes[24..want - 4]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Some(DocFreq {
            docs: u64_at(8),
            words: u64_at(16),
            rows,
        }))
    }

    /// Writes `DIR/df.bin` atomically (temp file, fsync, rename).
    pub fn write(&self, dir: &Path) -> Result<(), IndexError> {
        use std::io::Write;
        let mut out = Vec::with_capacity(28 + self.rows.len() * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.docs.to_le_bytes());
        out.extend_from_slice(&self.words.to_le_bytes());
        for c in &self.rows {
            out.extend_from_slice(&c.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        let tmp = dir.join(format!("{DF_FILE}.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(|e| IndexError::io(&tmp, e))?;
        f.write_all(&out).map_err(|e| IndexError::io(&tmp, e))?;
        f.sync_all().map_err(|e| IndexError::io(&tmp, e))?;
        let path = dir.join(DF_FILE);
        std::fs::rename(&tmp, &path).map_err(|e| IndexError::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DocFreq::read(dir.path()).unwrap().is_none());
        let mut d = DocFreq::default();
        d.add(&[1, 2, 3], 10);
        d.add(&[2, 3], 20);
        d.add(&[3], 30);
        d.write(dir.path()).unwrap();
        let r = DocFreq::read(dir.path()).unwrap().unwrap();
        assert_eq!((r.get(1), r.get(2), r.get(3), r.get(99)), (1, 2, 3, 0));
        assert_eq!((r.docs, r.words), (3, 60));
        assert!((r.mean_words() - 20.0).abs() < 1e-9);
        // a damaged file is an error, not a panic
        let p = dir.path().join(DF_FILE);
        let mut b = std::fs::read(&p).unwrap();
        b[30] ^= 1;
        std::fs::write(&p, &b).unwrap();
        assert!(DocFreq::read(dir.path()).is_err());
        std::fs::write(&p, b"USDF").unwrap();
        assert!(DocFreq::read(dir.path()).is_err());
    }
}
