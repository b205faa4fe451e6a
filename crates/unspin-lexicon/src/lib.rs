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
//! digits); see [`build()`] for the formula. [`spin`] holds the evaluation spinner
//! (which never consults the compiled lexicon), [`Morphology`] the WordNet morphology both share.
//! [`lexicon_bytes`] writes a lexicon from hand-made entries (tests and tools).
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

#![warn(missing_docs)]

mod build;
mod corpus;
mod error;
mod format;
mod morph;
mod numbers;
mod sources;
pub mod spin;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use build::{
    BuildOptions, BuildStats, DictSource, Holdout, Prune, TERMS_FILE, build, holdout_split, key_of,
    learn_pairs, write_spinner_dict,
};
pub use error::LexiconError;
use format::Header;
pub use format::{KeyEntry, write as lexicon_bytes};
pub use morph::{Analysis, Form, Morphology, Pos};
pub use sources::{TorturedRow, load_tortured, phrase_key};

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

/// Where the last key looked up by [`Lexicon::candidate_ids_walk`] ended in the lexicon's
/// `fst`: a walk that the next, longer key continues. Start with `Walk::default()`; one per
/// thread (it is plain data).
#[derive(Debug, Clone)]
pub struct Walk {
    /// The lexicon the walk belongs to (its unique id; 0: none).
    owner: u64,
    /// The bytes walked: the last key, or, when `dead`, its shortest prefix without a path.
    key: Vec<u8>,
    dead: bool,
    addr: fst::raw::CompiledAddr,
    out: fst::raw::Output,
    /// Where the walks of one-word keys from the root ended (the walk's fields after each),
    /// so that a word seen before is not walked again: text repeats its words.
    words: rustc_hash::FxHashMap<Box<[u8]>, WalkEnd>,
}

/// A remembered walk: (dead, bytes walked, node, output so far).
type WalkEnd = (bool, usize, fst::raw::CompiledAddr, fst::raw::Output);

/// Most one-word walks a [`Walk`] remembers (then it forgets them all and starts over).
const WALK_WORDS: usize = 1 << 16;

impl Default for Walk {
    fn default() -> Self {
        Walk {
            owner: 0,
            key: Vec::new(),
            dead: false,
            addr: 0,
            out: fst::raw::Output::zero(),
            words: Default::default(),
        }
    }
}

/// A compiled lexicon, memory-mapped or static. Cheap to open (only the header is checked),
/// `Send + Sync`, lookups do not allocate except for the returned strings.
pub struct Lexicon {
    backing: Arc<Backing>,
    header: Header,
    map: fst::Map<Slice>,
    path: PathBuf,
    /// Unique per opened lexicon (for [`Walk`]s).
    id: u64,
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
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Ok(Lexicon {
            backing,
            header,
            map,
            path,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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
        if let Some(v) = self.map.get(observed_key) {
            self.decode_value(v, usize::MAX, out);
        }
    }

    /// [`Lexicon::candidate_ids`] for keys that grow word by word (*due*, *due to*, *due to
    /// this*): `walk` remembers where the previous key's path through the `fst` ended, so a key
    /// that extends it walks only its new bytes, and a key whose prefix has no path is answered
    /// at once. Any key may be given (a key that does not extend the walk starts over); the
    /// answers are those of [`Lexicon::candidate_ids`].
    pub fn candidate_ids_walk(
        &self,
        walk: &mut Walk,
        observed_key: &str,
        out: &mut Vec<(u32, f32, u8)>,
    ) {
        self.candidate_ids_walk_up_to(walk, observed_key, usize::MAX, out);
    }

    /// The first `limit` answers of [`Lexicon::candidate_ids_walk`] (the rest are not
    /// decoded).
    pub fn candidate_ids_walk_up_to(
        &self,
        walk: &mut Walk,
        observed_key: &str,
        limit: usize,
        out: &mut Vec<(u32, f32, u8)>,
    ) {
        if let Some(node) = self.walk_to(walk, observed_key)
            && node.is_final()
        {
            self.decode_value(walk.out.cat(node.final_output()).value(), limit, out);
        }
    }

    /// False when no key starts with `observed_key` followed by a space (so no longer key
    /// that grows it word by word exists). Continues `walk` like
    /// [`Lexicon::candidate_ids_walk`]: right after that call for the same key it reads one
    /// node.
    pub fn extends_walk(&self, walk: &mut Walk, observed_key: &str) -> bool {
        self.walk_to(walk, observed_key)
            .is_some_and(|node| node.find_input(b' ').is_some())
    }

    /// The `fst` node of `observed_key`, continuing `walk` (see
    /// [`Lexicon::candidate_ids_walk`]); `None` when no key has it as a prefix. On return,
    /// `walk` holds the key, and its output so far when found.
    fn walk_to(&self, walk: &mut Walk, observed_key: &str) -> Option<fst::raw::Node<'_>> {
        let fst = self.map.as_fst();
        let owner = self.id;
        let key = observed_key.as_bytes();
        if walk.owner != owner {
            walk.words.clear(); // remembered in another lexicon's fst
        }
        let resume = walk.owner == owner && !walk.key.is_empty() && key.starts_with(&walk.key);
        if resume && walk.dead {
            return None; // a prefix of the key has no path
        }
        let one_word = !resume && key.len() <= 32 && !key.contains(&b' ');
        if one_word && let Some(&(dead, len, addr, out)) = walk.words.get(key) {
            walk.owner = owner;
            walk.key.clear();
            walk.key.extend_from_slice(&key[..len]);
            (walk.dead, walk.addr, walk.out) = (dead, addr, out);
            return (!dead).then(|| fst.node(addr));
        }
        let (mut node, mut acc, from) = if resume {
            (fst.node(walk.addr), walk.out, walk.key.len())
        } else {
            (fst.root(), fst::raw::Output::zero(), 0)
        };
        walk.owner = owner;
        walk.key.clear();
        let mut found = true;
        for (n, &b) in key.iter().enumerate().skip(from) {
            match node.find_input(b) {
                Some(t) => {
                    let t = node.transition(t);
                    acc = acc.cat(t.out);
                    node = fst.node(t.addr);
                }
                None => {
                    walk.key.extend_from_slice(&key[..=n]);
                    found = false;
                    break;
                }
            }
        }
        if found {
            walk.key.extend_from_slice(key);
            walk.addr = node.addr();
            walk.out = acc;
        }
        walk.dead = !found;
        if one_word {
            if walk.words.len() >= WALK_WORDS {
                walk.words.clear();
            }
            let end = (walk.dead, walk.key.len(), walk.addr, walk.out);
            walk.words.insert(key.into(), end);
        }
        found.then_some(node)
    }

    fn decode_value(&self, v: u64, limit: usize, out: &mut Vec<(u32, f32, u8)>) {
        let (mut at, count) = ((v >> 8) as usize, (v & 0xff) as usize);
        let cands = self.section(1);
        for _ in 0..count.min(limit) {
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

    /// Keys built from the sample's words and near misses, in any order: whatever the walk
    /// remembers, it answers as a fresh lookup does.
    fn walk_matches_lookup(lexicons: &[Lexicon], picks: &[(usize, usize, usize)]) {
        let words = [
            "counterfeit",
            "consciousness",
            "due",
            "to",
            "this",
            "fact",
            "counterfei",
            "",
            "t",
        ];
        let mut walk = Walk::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for &(l, start, len) in picks {
            let lex = &lexicons[l % lexicons.len()];
            let key = (0..len % 5)
                .map(|k| words[(start + k) % words.len()])
                .collect::<Vec<_>>()
                .join(" ");
            a.clear();
            b.clear();
            lex.candidate_ids(&key, &mut a);
            lex.candidate_ids_walk(&mut walk, &key, &mut b);
            assert_eq!(a, b, "key {key:?}");
            // Exactly when some key grows this one by a word (asked on the same walk).
            let grown = format!("{key} ");
            let expected = lex.keys().iter().any(|k| k.starts_with(&grown));
            assert_eq!(
                lex.extends_walk(&mut walk, &key),
                expected,
                "extends {key:?}"
            );
        }
    }

    #[test]
    fn walk_continues_growing_keys() {
        let lex = Lexicon::from_bytes(sample()).unwrap();
        let mut walk = Walk::default();
        let mut out = Vec::new();
        for key in ["due", "due to", "due to this", "due to this fact"] {
            out.clear();
            lex.candidate_ids_walk(&mut walk, key, &mut out);
            assert_eq!(out.len(), usize::from(key == "due to this fact"), "{key}");
            assert_eq!(
                lex.extends_walk(&mut walk, key),
                key != "due to this fact",
                "{key}"
            );
        }
        // A dead prefix answers at once; a key that does not extend the walk starts over.
        for key in [
            "consciousness x",
            "consciousness x y",
            "counterfeit",
            "counterfeit consciousness",
        ] {
            out.clear();
            lex.candidate_ids_walk(&mut walk, key, &mut out);
            assert_eq!(out.len(), usize::from(!key.contains(" x")), "{key}");
        }
        // Two lexicons never share a walk (each keys its own fst).
        walk_matches_lookup(
            &[lex, Lexicon::from_bytes(sample()).unwrap()],
            &[(0, 0, 2), (1, 0, 2), (0, 2, 4), (1, 2, 4), (0, 2, 3)],
        );
    }

    #[test]
    fn remembered_words_stay_bounded_and_right() {
        let lex = Lexicon::from_bytes(sample()).unwrap();
        let mut walk = Walk::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for n in 0..WALK_WORDS + 10 {
            let key = if n % 1000 == 0 {
                "counterfeit".to_string()
            } else {
                format!("w{n}")
            };
            a.clear();
            b.clear();
            lex.candidate_ids(&key, &mut a);
            lex.candidate_ids_walk(&mut walk, &key, &mut b);
            assert_eq!(a, b, "{key}");
            assert!(walk.words.len() <= WALK_WORDS);
        }
        // A remembered word still continues into a phrase.
        for key in ["counterfeit", "counterfeit", "counterfeit consciousness"] {
            b.clear();
            lex.candidate_ids_walk(&mut walk, key, &mut b);
            assert_eq!(b.len(), 1, "{key}");
        }
    }

    #[test]
    fn missing_file_names_path() {
        let err = Lexicon::open(Path::new("/nonexistent/lexicon.bin")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/lexicon.bin"));
    }

    proptest::proptest! {
        #[test]
        fn walk_answers_as_lookup(picks in proptest::collection::vec((0usize..2, 0usize..9, 0usize..5), 0..40)) {
            let lexicons = [
                Lexicon::from_bytes(sample()).unwrap(),
                Lexicon::from_bytes(sample()).unwrap(),
            ];
            walk_matches_lookup(&lexicons, &picks);
        }

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
