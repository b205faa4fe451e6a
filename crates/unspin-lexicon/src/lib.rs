//! Candidate lexicon and channel model for unspin.
//!
//! For an observed word or phrase `Y` (normalised lowercase words joined by single spaces,
//! at most [`Lexicon::max_key_words`] words), the lexicon lists the originals `X` a spinner
//! could have replaced with `Y`, each with the channel log-probability `ln s(Y | X)`: how likely
//! a spinner that replaced `X` produced `Y`. The decoder combines it with a language model.
//! The observed key itself is never listed as a candidate (keeping a word is the decoder's
//! business).
//!
//! The channel model, built by [`build()`], is a mixture over dictionaries a spinner might use
//! (Moby Thesaurus, WordNet, substitutions learned from real tortured phrases, number words ↔
//! digits); see [`build`](mod@build) for the formula. [`spin`] holds the evaluation spinner
//! (which never consults the compiled lexicon), [`morph`] the WordNet morphology both share.
//!
//! # Building
//!
//! [`build_default`] builds `model/en/lexicon.bin` from the workspace root's default inputs
//! (`data/sources/moby.txt`, `data/sources/wordnet`, `../shared/lexicons/…csv`,
//! `../shared/corpora/enwiki2015.jsonl.zst`); the `unspin-lexicon build` binary does the same.
//!
//! # Provenance of a built lexicon
//!
//! Moby Thesaurus II (public domain); WordNet 3.0 (WordNet licence, Princeton University);
//! substitutions learned from the Problematic Paper Screener's tortured-phrases list (CC BY
//! 4.0); word and phrase frequencies from English Wikipedia (CC BY-SA 3.0) used to choose and
//! rank originals. Ship these notices with the model.
//!
//! ```no_run
//! use unspin_lexicon::{Candidate, Lexicon};
//! let lex = Lexicon::open("model/en/lexicon.bin".as_ref())?;
//! let mut out: Vec<Candidate> = Vec::new();
//! lex.candidates("counterfeit consciousness", &mut out);
//! for c in &out {
//!     println!("{} {:.2}", c.original, c.ln_channel);
//! }
//! # Ok::<(), unspin_lexicon::LexiconError>(())
//! ```

pub mod build;
pub mod corpus;
mod error;
pub mod format;
pub mod morph;
pub mod numbers;
pub mod sources;
pub mod spin;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use build::{
    BuildOptions, BuildStats, DictSource, Holdout, Prune, TERMS_FILE, build, holdout_split, key_of,
    learn_pairs, write_spinner_dict,
};
pub use error::LexiconError;
use format::Header;

/// Builds the default lexicon of a workspace: inputs from [`BuildOptions::with_root`], output
/// `root/model/en/lexicon.bin`.
pub fn build_default(
    root: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildStats, LexiconError> {
    build(
        &BuildOptions::with_root(root),
        &root.join("model/en/lexicon.bin"),
        progress,
    )
}

/// Source flag: the pair comes from Moby Thesaurus II.
pub const MOBY: u8 = 1;
/// Source flag: the pair comes from WordNet synsets.
pub const WORDNET: u8 = 2;
/// Source flag: the pair was learned from real tortured phrases.
pub const LEARNED: u8 = 4;
/// Source flag: number word ↔ digits.
pub const NUMBER: u8 = 8;

/// One candidate original for an observed key.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The original word or phrase (normalised, lowercase; an owned copy from the string table).
    pub original: String,
    /// Id of the original in the lexicon's string table (stable within one file; see
    /// [`Lexicon::original`]).
    pub original_id: u32,
    /// ln s(observed | original), quantised to steps of 16/63 nat (≈ 0.25) over [-16, 0].
    pub ln_channel: f32,
    /// Bit flags: [`MOBY`], [`WORDNET`], [`LEARNED`], [`NUMBER`].
    pub sources: u8,
}

enum Backing {
    Static(&'static [u8]),
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Static(b) => b,
            Backing::Mmap(m) => m,
            Backing::Owned(v) => v,
        }
    }
}

/// A byte range of the shared backing, so the fst can own its view.
#[derive(Clone)]
struct Slice {
    backing: Arc<Backing>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.backing.bytes()[self.start..self.end]
    }
}

/// A compiled lexicon, memory-mapped or static. Cheap to open (only the header is checked),
/// `Send + Sync`, lookups do not allocate except for the returned strings.
pub struct Lexicon {
    backing: Arc<Backing>,
    header: Header,
    map: fst::Map<Slice>,
    path: PathBuf,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

impl Lexicon {
    /// Memory-maps a compiled lexicon. O(1): checks the header, section bounds and the fst
    /// header; use [`Lexicon::verify`] (or [`Lexicon::open_verified`]) to check the body's
    /// checksum too.
    pub fn open(path: &Path) -> Result<Lexicon, LexiconError> {
        let file = std::fs::File::open(path).map_err(|e| LexiconError::io(path, e))?;
        // SAFETY: the map is read-only; a lexicon file is not modified while in use (the
        // builder writes a temporary file and renames it into place).
        let mmap = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| LexiconError::io(path, e))?;
        Self::from_backing(Backing::Mmap(mmap), path.to_path_buf())
    }

    /// [`Lexicon::open`] followed by [`Lexicon::verify`].
    pub fn open_verified(path: &Path) -> Result<Lexicon, LexiconError> {
        let lex = Self::open(path)?;
        lex.verify()?;
        Ok(lex)
    }

    /// Opens a lexicon embedded with `include_bytes!` (no alignment needed).
    pub fn from_static(bytes: &'static [u8]) -> Result<Lexicon, LexiconError> {
        Self::from_backing(Backing::Static(bytes), PathBuf::from("<static>"))
    }

    /// Opens a lexicon from owned bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Lexicon, LexiconError> {
        Self::from_backing(Backing::Owned(bytes), PathBuf::from("<memory>"))
    }

    fn from_backing(backing: Backing, path: PathBuf) -> Result<Lexicon, LexiconError> {
        let header = Header::parse(backing.bytes()).map_err(|p| LexiconError::corrupt(&path, p))?;
        let backing = Arc::new(backing);
        let (off, len) = header.sections[0];
        let slice = Slice {
            backing: backing.clone(),
            start: off as usize,
            end: (off + len) as usize,
        };
        let map =
            fst::Map::new(slice).map_err(|e| LexiconError::corrupt(&path, format!("fst: {e}")))?;
        if map.len() as u64 != header.n_keys {
            return Err(LexiconError::corrupt(
                &path,
                "key count does not match the header",
            ));
        }
        Ok(Lexicon {
            backing,
            header,
            map,
            path,
        })
    }

    /// Checks the CRC-32 of the whole body (reads every byte once).
    pub fn verify(&self) -> Result<(), LexiconError> {
        let b = self.backing.bytes();
        if crc32fast::hash(&b[format::HEADER_LEN..]) != self.header.body_crc {
            return Err(LexiconError::corrupt(&self.path, "body checksum mismatch"));
        }
        Ok(())
    }

    /// Longest observed key, in words.
    pub fn max_key_words(&self) -> usize {
        self.header.max_key_words as usize
    }

    /// Number of observed keys.
    pub fn len(&self) -> usize {
        self.header.n_keys as usize
    }

    /// True when the lexicon has no keys.
    pub fn is_empty(&self) -> bool {
        self.header.n_keys == 0
    }

    /// Number of distinct originals.
    pub fn num_originals(&self) -> usize {
        self.header.n_originals as usize
    }

    /// Total number of (key, original) pairs.
    pub fn num_pairs(&self) -> usize {
        self.header.n_cands as usize
    }

    fn section(&self, i: usize) -> &[u8] {
        let (off, len) = self.header.sections[i];
        // bounds were checked against the file length when opening
        &self.backing.bytes()[off as usize..(off + len) as usize]
    }

    /// The original with string-table id `id` (None when out of range or corrupt).
    pub fn original(&self, id: u32) -> Option<&str> {
        let offs = self.section(2);
        let blob = self.section(3);
        let a = format::read_u32(offs, id as usize * 4)? as usize;
        let b = format::read_u32(offs, id as usize * 4 + 4)? as usize;
        std::str::from_utf8(blob.get(a..b)?).ok()
    }

    /// True when the observed key has candidates.
    pub fn contains_key(&self, observed_key: &str) -> bool {
        self.map.contains_key(observed_key)
    }

    /// Candidate originals for an observed key (normalised words joined by `' '`), best first
    /// (by ln s(Y|X) + ln P(X) at build time). Clears `out` first; leaves it empty when the key
    /// is unknown. Records that fail to decode (corrupt file) are skipped.
    pub fn candidates(&self, observed_key: &str, out: &mut Vec<Candidate>) {
        out.clear();
        let mut ids = Vec::new();
        self.candidate_ids(observed_key, &mut ids);
        for (id, ln_channel, sources) in ids {
            let Some(original) = self.original(id) else {
                continue;
            };
            out.push(Candidate {
                original: original.to_string(),
                original_id: id,
                ln_channel,
                sources,
            });
        }
    }

    /// Like [`Lexicon::candidates`] without building strings: appends `(original id, ln s,
    /// source flags)`, best first; resolve ids with [`Lexicon::original`]. Allocation-free.
    pub fn candidate_ids(&self, observed_key: &str, out: &mut Vec<(u32, f32, u8)>) {
        let Some(v) = self.map.get(observed_key) else {
            return;
        };
        let (mut at, count) = ((v >> 8) as usize, (v & 0xff) as usize);
        let cands = self.section(1);
        for _ in 0..count {
            let Some((id, q, sources)) = format::decode_candidate(cands, &mut at) else {
                break;
            };
            out.push((
                id,
                format::dequantise(q, self.header.q_lo, self.header.q_step),
                sources,
            ));
        }
    }

    /// All keys in byte order (for statistics and tests).
    pub fn keys(&self) -> Vec<String> {
        use fst::Streamer;
        let mut s = self.map.stream();
        let mut out = Vec::with_capacity(self.len());
        while let Some((k, _)) = s.next() {
            out.push(String::from_utf8_lossy(k).into_owned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let originals: Vec<String> = [
            "artificial",
            "intelligence",
            "therefore",
            "artificial intelligence",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let keys: Vec<format::KeyEntry> = vec![
            (
                "consciousness".into(),
                vec![(1, -0.5, LEARNED), (2, -9.0, MOBY)],
            ),
            ("counterfeit".into(), vec![(0, -0.25, LEARNED | MOBY)]),
            ("counterfeit consciousness".into(), vec![(3, 0.0, LEARNED)]),
            ("due to this fact".into(), vec![(2, -3.0, MOBY | WORDNET)]),
        ];
        format::write(&keys, &originals).unwrap()
    }

    #[test]
    fn round_trip() {
        let lex = Lexicon::from_bytes(sample()).unwrap();
        lex.verify().unwrap();
        assert_eq!(lex.max_key_words(), 4);
        assert_eq!(lex.len(), 4);
        assert_eq!(lex.num_pairs(), 5);
        let mut out = Vec::new();
        lex.candidates("consciousness", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].original, "intelligence");
        assert!((out[0].ln_channel + 0.5).abs() < 0.13);
        assert_eq!(out[0].sources, LEARNED);
        assert_eq!(out[1].original, "therefore");
        assert!((out[1].ln_channel + 9.0).abs() < 0.13);
        lex.candidates("due to this fact", &mut out);
        assert_eq!(out[0].original, "therefore");
        assert_eq!(out[0].sources, MOBY | WORDNET);
        lex.candidates("nothing here", &mut out);
        assert!(out.is_empty());
        assert!(lex.contains_key("counterfeit"));
        assert!(!lex.contains_key("counterfei"));
        assert_eq!(lex.keys().len(), 4);
    }

    #[test]
    fn opens_from_unaligned_static_and_file() {
        let bytes = sample();
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&bytes);
        let leaked: &'static [u8] = Box::leak(shifted.into_boxed_slice());
        let lex = Lexicon::from_static(&leaked[1..]).unwrap();
        let mut out = Vec::new();
        lex.candidates("counterfeit", &mut out);
        assert_eq!(out[0].original, "artificial");

        let path = std::env::temp_dir().join(format!("unspin-lex-{}.bin", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let lex = Lexicon::open_verified(&path).unwrap();
        lex.candidates("counterfeit consciousness", &mut out);
        assert_eq!(out[0].original, "artificial intelligence");
        std::fs::remove_file(&path).unwrap();
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<Lexicon>();
    }

    #[test]
    fn missing_file_names_path() {
        let err = Lexicon::open(Path::new("/nonexistent/lexicon.bin")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/lexicon.bin"));
    }

    proptest::proptest! {
        #[test]
        fn truncation_is_an_error(cut in 0usize..400) {
            let bytes = sample();
            let cut = cut.min(bytes.len() - 1);
            proptest::prop_assert!(Lexicon::from_bytes(bytes[..cut].to_vec()).is_err());
        }

        #[test]
        fn bit_flips_are_detected(pos in 0usize..10_000, bit in 0u8..8) {
            let mut bytes = sample();
            let pos = pos % bytes.len();
            bytes[pos] ^= 1 << bit;
            let r = Lexicon::from_bytes(bytes).and_then(|l| l.verify().map(|_| l));
            proptest::prop_assert!(r.is_err());
        }

        #[test]
        fn flipped_string_or_candidate_sections_never_panic(pos in 0usize..10_000, byte in 0u8..=255) {
            // Damage only our own tables (candidates, offsets, strings): lookups must not panic.
            let mut bytes = sample();
            let h = Header::parse(&bytes).unwrap();
            let start = h.sections[1].0 as usize;
            let pos = start + pos % (bytes.len() - start);
            bytes[pos] = byte;
            // fix the body CRC so open succeeds; lookups then read the damaged records
            let lex = Lexicon::from_bytes(bytes).unwrap();
            let mut out = Vec::new();
            for k in ["consciousness", "counterfeit", "counterfeit consciousness", "due to this fact"] {
                lex.candidates(k, &mut out);
            }
        }
    }
}
