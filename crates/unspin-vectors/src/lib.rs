//! Word vectors for unspin: how close two words or phrases are in meaning.
//!
//! A spinner replaces a word by a synonym of *some* sense of it; the original the decoder
//! proposes should therefore be close in meaning to the spun word, which an n-gram window
//! cannot tell. [`train`] learns skip-gram vectors with negative sampling (word2vec's SGNS,
//! Mikolov et al. 2013) from a JSON-lines corpus; [`Vectors`] stores them unit-normalised and
//! quantised to one byte per dimension, read in place from bytes (embedded or mapped), and
//! answers [`Vectors::similarity`] (cosine) for words and for phrases (the mean of their
//! words' vectors).
//!
//! ```
//! use unspin_vectors::Vectors;
//! let v = Vectors::from_rows(&[("cat", vec![1.0, 0.1]), ("dog", vec![0.9, 0.2]), ("tax", vec![-0.2, 1.0])]);
//! let v = Vectors::from_bytes(v.to_bytes()).unwrap();
//! assert!(v.similarity("cat", "dog").unwrap() > v.similarity("cat", "tax").unwrap());
//! assert!(v.similarity("cat", "unknown").is_none());
//! ```
//!
//! File format (`vectors.bin`, little-endian): magic `UNSPVEC\0`, format version (u32),
//! dimension (u32), number of words (u32), CRC-32 of everything after the header (u32), then
//! the words (UTF-8, each followed by `\n`, in row order), padding to 4 bytes, and one row of
//! `dim` signed bytes per word (the unit vector times 127).

#![warn(missing_docs)]

mod train;

pub use train::{TrainOptions, TrainStats, train};

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::path::Path;

/// File magic.
pub const MAGIC: &[u8; 8] = b"UNSPVEC\0";
/// Format version written and read.
pub const VERSION: u32 = 1;
const HEADER: usize = 24;

/// Errors reading or building vectors.
#[derive(Debug, thiserror::Error)]
pub enum VectorsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File name.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a vectors file this version reads.
    #[error("not a vectors file: {0}")]
    Format(String),
    /// The corpus could not be read.
    #[error("{path}: line {line}: {msg}")]
    Corpus {
        /// File name.
        path: String,
        /// 1-based line.
        line: usize,
        /// What was wrong.
        msg: String,
    },
}

impl VectorsError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        VectorsError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Quantised unit word vectors (see the crate docs).
pub struct Vectors {
    bytes: Cow<'static, [u8]>,
    dim: usize,
    rows_at: usize,
    index: FxHashMap<Box<str>, u32>,
}

impl std::fmt::Debug for Vectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vectors")
            .field("words", &self.len())
            .field("dim", &self.dim)
            .finish()
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Vectors {
    /// Reads a vectors file.
    pub fn open(path: &Path) -> Result<Vectors, VectorsError> {
        let bytes = std::fs::read(path).map_err(|e| VectorsError::io(path, e))?;
        Self::from_bytes(bytes)
            .map_err(|e| VectorsError::Format(format!("{}: {e}", path.display())))
    }

    /// Vectors over bytes embedded in the binary.
    pub fn from_static(bytes: &'static [u8]) -> Result<Vectors, VectorsError> {
        Self::parse(Cow::Borrowed(bytes))
    }

    /// Vectors over owned bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Vectors, VectorsError> {
        Self::parse(Cow::Owned(bytes))
    }

    fn parse(bytes: Cow<'static, [u8]>) -> Result<Vectors, VectorsError> {
        let b: &[u8] = &bytes;
        let bad = |m: &str| Err(VectorsError::Format(m.to_string()));
        if b.len() < HEADER || &b[..8] != MAGIC {
            return bad("bad magic");
        }
        let version = u32_at(b, 8);
        if version != VERSION {
            return bad(&format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        let (dim, n, crc) = (
            u32_at(b, 12) as usize,
            u32_at(b, 16) as usize,
            u32_at(b, 20),
        );
        if crc32fast::hash(&b[HEADER..]) != crc {
            return bad("checksum mismatch (damaged file)");
        }
        let mut index = FxHashMap::default();
        if n > b.len() {
            return bad("word count does not fit the file");
        }
        index.reserve(n);
        let mut at = HEADER;
        for row in 0..n {
            let Some(len) = b[at..].iter().position(|&c| c == b'\n') else {
                return bad("truncated word list");
            };
            let Ok(w) = std::str::from_utf8(&b[at..at + len]) else {
                return bad("word list is not UTF-8");
            };
            index.insert(w.into(), row as u32);
            at += len + 1;
        }
        let rows_at = at.next_multiple_of(4);
        if dim == 0 || b.len() != rows_at + n * dim {
            return bad("size does not match the header");
        }
        Ok(Vectors {
            bytes,
            dim,
            rows_at,
            index,
        })
    }

    /// Builds vectors from float rows (normalised and quantised here); for tests and tools.
    pub fn from_rows(rows: &[(&str, Vec<f32>)]) -> Vectors {
        let dim = rows.first().map_or(1, |r| r.1.len().max(1));
        let words: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let flat: Vec<f32> = rows
            .iter()
            .flat_map(|r| (0..dim).map(|k| r.1.get(k).copied().unwrap_or(0.0)))
            .collect();
        let bytes = encode(&words, &flat, dim);
        // encode writes exactly what parse reads
        Self::from_bytes(bytes).unwrap_or_else(|_| unreachable!("encode/parse disagree"))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when there are no words.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row of a word (normalised, lower case), if known.
    pub fn row(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    fn row_bytes(&self, row: u32) -> &[u8] {
        let at = self.rows_at + row as usize * self.dim;
        &self.bytes[at..at + self.dim]
    }

    /// Cosine of two rows.
    pub fn cosine_rows(&self, a: u32, b: u32) -> f32 {
        let (x, y) = (self.row_bytes(a), self.row_bytes(b));
        let dot: i32 = x
            .iter()
            .zip(y)
            .map(|(&p, &q)| p as i8 as i32 * q as i8 as i32)
            .sum();
        dot as f32 / (127.0 * 127.0)
    }

    /// The rows of the known words of `phrase` (space-separated).
    fn rows_of(&self, phrase: &str) -> Vec<u32> {
        phrase.split(' ').filter_map(|w| self.row(w)).collect()
    }

    /// Every word with its row.
    pub fn words(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.index.iter().map(|(w, &r)| (&**w, r))
    }

    /// Cosine similarity of two sets of rows, each the mean of its rows' unit vectors, or
    /// `None` when either is empty.
    pub fn similarity_rows(&self, a: &[u32], b: &[u32]) -> Option<f32> {
        match (a, b) {
            ([], _) | (_, []) => None,
            ([x], [y]) => Some(self.cosine_rows(*x, *y)),
            _ => {
                let mut va = vec![0f32; self.dim];
                let mut vb = vec![0f32; self.dim];
                self.add_rows(a, &mut va);
                self.add_rows(b, &mut vb);
                Some(cosine(&va, &vb))
            }
        }
    }

    fn add_rows(&self, rows: &[u32], acc: &mut [f32]) {
        for &r in rows {
            for (a, &q) in acc.iter_mut().zip(self.row_bytes(r)) {
                *a += q as i8 as f32;
            }
        }
    }

    /// Cosine similarity of two words or phrases (normalised, lower case, words separated by
    /// single spaces; a phrase is the mean of its known words), or `None` when either has no
    /// known word.
    pub fn similarity(&self, a: &str, b: &str) -> Option<f32> {
        self.similarity_rows(&self.rows_of(a), &self.rows_of(b))
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(p, q)| p * q).sum();
    let na: f32 = a.iter().map(|p| p * p).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|p| p * p).sum::<f32>().sqrt();
    if na > 0.0 && nb > 0.0 {
        dot / (na * nb)
    } else {
        0.0
    }
}

/// Serialises words and their float rows (`flat.len() == words.len() * dim`).
pub(crate) fn encode(words: &[&str], flat: &[f32], dim: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for w in words {
        body.extend_from_slice(w.as_bytes());
        body.push(b'\n');
    }
    while !(HEADER + body.len()).is_multiple_of(4) {
        body.push(0);
    }
    for row in flat.chunks(dim) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        for &x in row {
            let q = if norm > 0.0 { x / norm * 127.0 } else { 0.0 };
            body.push(q.round().clamp(-127.0, 127.0) as i8 as u8);
        }
    }
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    for v in [
        VERSION,
        dim as u32,
        words.len() as u32,
        crc32fast::hash(&body),
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vectors {
        Vectors::from_rows(&[
            ("big", vec![1.0, 0.0, 0.2]),
            ("large", vec![0.9, 0.1, 0.25]),
            ("tax", vec![0.0, 1.0, 0.0]),
            ("brand", vec![0.1, 0.2, 1.0]),
            ("new", vec![0.2, 0.0, 1.0]),
        ])
    }

    #[test]
    fn round_trip_and_similarity() {
        let v = Vectors::from_bytes(toy().to_bytes()).unwrap();
        assert_eq!((v.len(), v.dim()), (5, 3));
        let s = v.similarity("big", "large").unwrap();
        assert!(s > 0.95 && s <= 1.0, "{s}");
        assert!(v.similarity("big", "tax").unwrap() < 0.1);
        assert!((v.similarity("tax", "tax").unwrap() - 1.0).abs() < 0.02);
        // phrases: the mean of the known words
        assert!(v.similarity("brand new", "new").unwrap() > 0.9);
        assert!(v.similarity("brand zzz", "brand").unwrap() > 0.99);
        assert!(v.similarity("zzz", "big").is_none());
    }

    #[test]
    fn damage_is_refused() {
        let bytes = toy().to_bytes();
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x40;
            assert!(Vectors::from_bytes(b).is_err(), "flip at {at} not detected");
        }
        assert!(Vectors::from_bytes(bytes[..bytes.len() - 1].to_vec()).is_err());
        assert!(Vectors::from_bytes(Vec::new()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_cleanly(b in proptest::collection::vec(0u8..=255, 0..200)) {
            let _ = Vectors::from_bytes(b);
        }
    }
}
