//! Compact synonym-class map: every single word of the thesauri gets one class id such that
//! a word and the synonym a spinner is likely to put in its place usually share the id.
//!
//! Transitive closure over synonym links would put nearly the whole vocabulary in one class,
//! so classes are built by *hub assignment* instead: every word points to the member of its
//! synonym neighbourhood (itself included) with the highest degree in the synonym graph, and
//! then follows that pointer once more. Two synonyms usually share a common hub ("large",
//! "huge" and "enormous" all point to "big"). The builder reports how often a word and a random
//! synonym of it share a class ([`ClassStats`]).
//!
//! The compiled map is an [`fst::Map`] from lowercase word to class id, read directly from
//! (possibly unaligned) bytes: [`SynClasses::from_static`] for an `include_bytes!` copy,
//! [`SynClasses::open`] for a file.

use crate::error::IndexError;
use std::collections::HashMap;
use std::path::Path;

/// Magic prefix of a classes file, followed by a little-endian u32 format version.
const MAGIC: &[u8; 8] = b"USPNCLS\0";
/// Version of the classes file format.
pub const CLASSES_VERSION: u32 = 1;

enum Bytes {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            Bytes::Static(b) => b,
            Bytes::Owned(v) => v,
        }
    }
}

/// Word → synonym-class id map.
pub struct SynClasses {
    map: fst::Map<Bytes>,
    common: u32,
    /// word hash → class, filled from the map on first use (a hash probe is several times
    /// faster than an FST walk, and lookups dominate indexing)
    fast: std::sync::OnceLock<HashMap<u64, u32, BuildMix>>,
}

/// Identity-style hasher for keys that are already good 64-bit hashes.
#[derive(Default, Clone, Copy)]
struct BuildMix;
struct MixHasher(u64);
impl std::hash::BuildHasher for BuildMix {
    type Hasher = MixHasher;
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}
impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).rotate_left(5);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl std::fmt::Debug for SynClasses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SynClasses")
            .field("words", &self.map.len())
            .finish()
    }
}

fn check_header(b: &[u8], what: &str) -> Result<(usize, u32), IndexError> {
    if b.len() < 16 || &b[..8] != MAGIC {
        return Err(IndexError::corrupt(what, "not a classes file"));
    }
    let v = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
    if v != CLASSES_VERSION {
        return Err(IndexError::Version {
            path: what.into(),
            found: v,
            expected: CLASSES_VERSION,
        });
    }
    Ok((16, u32::from_le_bytes([b[12], b[13], b[14], b[15]])))
}

impl SynClasses {
    /// Loads a classes map from static bytes (e.g. `include_bytes!`). The bytes need no
    /// alignment.
    pub fn from_static(bytes: &'static [u8]) -> Result<Self, IndexError> {
        let (off, common) = check_header(bytes, "<embedded classes>")?;
        let map = fst::Map::new(Bytes::Static(&bytes[off..])).map_err(|e| IndexError::Corrupt {
            path: "<embedded classes>".into(),
            problem: e.to_string(),
        })?;
        Ok(SynClasses {
            map,
            common,
            fast: std::sync::OnceLock::new(),
        })
    }

    /// Loads a classes map from a file written by [`SynClasses::to_bytes`].
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let bytes = std::fs::read(path).map_err(|e| IndexError::io(path, e))?;
        Self::from_bytes(bytes, &path.display().to_string())
    }

    fn from_bytes(mut bytes: Vec<u8>, what: &str) -> Result<Self, IndexError> {
        let (off, common) = check_header(&bytes, what)?;
        bytes.drain(..off);
        let map = fst::Map::new(Bytes::Owned(bytes))
            .map_err(|e| IndexError::corrupt(what, e.to_string()))?;
        Ok(SynClasses {
            map,
            common,
            fast: std::sync::OnceLock::new(),
        })
    }

    /// The class map compiled into this crate (`model/en/classes.fst`, built from Moby
    /// Thesaurus II and WordNet 3.0).
    pub fn embedded() -> &'static SynClasses {
        static CELL: std::sync::OnceLock<SynClasses> = std::sync::OnceLock::new();
        CELL.get_or_init(|| {
            SynClasses::from_static(EMBEDDED).unwrap_or_else(|_| SynClasses::empty())
        })
    }

    /// A map with no words (every word is then treated as immutable).
    pub fn empty() -> Self {
        SynClasses {
            map: unreachable_empty(),
            common: 0,
            fast: std::sync::OnceLock::new(),
        }
    }

    /// Class id of a lowercase word, if the thesauri know it.
    pub fn class(&self, word: &str) -> Option<u32> {
        self.class_by_hash(crate::hash::hash_str(word))
    }

    /// Class id of a lowercase word given its [`crate::hash::hash_str`] hash.
    pub fn class_by_hash(&self, h: u64) -> Option<u32> {
        let fast = self.fast.get_or_init(|| {
            use fst::Streamer;
            let mut m = HashMap::with_capacity_and_hasher(self.map.len(), BuildMix);
            let mut st = self.map.stream();
            while let Some((k, v)) = st.next() {
                m.insert(crate::hash::hash_bytes(k), v as u32);
            }
            m
        });
        fast.get(&h).copied()
    }

    /// Builds the hash table behind [`SynClasses::class_by_hash`] (tens of milliseconds) in the
    /// background, on the rayon pool, so that it is ready when the caller has read its input
    /// instead of holding up the first document or query.
    pub fn warm_up(&'static self) {
        if self.fast.get().is_none() {
            rayon::spawn(move || {
                self.class_by_hash(0);
            });
        }
    }

    /// True when `class` is one of the large classes (more than `COMMON_CLASS_SIZE`
    /// words): such a class says little about a text and is ignored by fingerprints and seeds.
    pub fn is_common(&self, class: u32) -> bool {
        class < self.common
    }

    /// Number of words in the map.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the map has no words.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Serialises (word, class) pairs into the file format; classes with ids below `common`
    /// are the common ones (see [`SynClasses::is_common`]).
    pub fn to_bytes(pairs: &[(String, u32)], common: u32) -> Result<Vec<u8>, IndexError> {
        let mut sorted: Vec<&(String, u32)> = pairs.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        sorted.dedup_by(|a, b| a.0 == b.0);
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&CLASSES_VERSION.to_le_bytes());
        out.extend_from_slice(&common.to_le_bytes());
        let mut b = fst::MapBuilder::new(out)
            .map_err(|e| IndexError::corrupt("<classes>", e.to_string()))?;
        for (w, c) in sorted {
            b.insert(w.as_bytes(), u64::from(*c))
                .map_err(|e| IndexError::corrupt("<classes>", e.to_string()))?;
        }
        b.into_inner()
            .map_err(|e| IndexError::corrupt("<classes>", e.to_string()))
    }
}

fn unreachable_empty() -> fst::Map<Bytes> {
    // fst::Map::default() is an empty map over Vec<u8>; rebuild over Bytes.
    let v = fst::Map::default().into_fst().into_inner();
    match fst::Map::new(Bytes::Owned(v)) {
        Ok(m) => m,
        Err(_) => unreachable!("fst's own empty map parses"),
    }
}

static EMBEDDED: &[u8] = include_bytes!("../../../model/en/classes.fst");

/// Statistics printed by the builder.
#[derive(Debug, Clone, Default)]
pub struct ClassStats {
    /// Words in the map.
    pub words: usize,
    /// Distinct class ids.
    pub classes: usize,
    /// Share of (Moby root, random single-word Moby synonym) pairs whose classes are equal.
    pub same_class_rate: f64,
    /// Size of the largest class.
    pub largest_class: usize,
    /// Probability that two words drawn uniformly from the vocabulary share a class.
    pub random_collision: f64,
    /// Number of common classes (ids `0..common`).
    pub common: u32,
}

/// Classes with more words than this are "common" (see [`SynClasses::is_common`]).
pub const COMMON_CLASS_SIZE: usize = 200;

fn simple_word(w: &str) -> bool {
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && w.len() < 40
}

/// Number of hub hops used for the shipped map: measured on enwiki2018 paragraphs spun at
/// every 2nd word, 3 hops gives the best separation of spun copies from unrelated text (median
/// window Jaccard 0.84 vs 0.03; 1 hop: 0.68 vs 0.04).
pub const DEFAULT_HOPS: usize = 3;

/// Builds the word → class list from Moby Thesaurus II text (`root,syn,syn,...` lines) and
/// the WordNet 3.0 `dict` directory (`data.noun` etc.; may be `None`).
pub fn build_classes(
    moby: &str,
    wordnet_dir: Option<&Path>,
    hops: usize,
) -> Result<(Vec<(String, u32)>, ClassStats), IndexError> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut adj: Vec<Vec<u32>> = Vec::new();
    let intern = |w: &str,
                  ids: &mut HashMap<String, u32>,
                  names: &mut Vec<String>,
                  adj: &mut Vec<Vec<u32>>|
     -> u32 {
        if let Some(&i) = ids.get(w) {
            return i;
        }
        let i = names.len() as u32;
        ids.insert(w.to_string(), i);
        names.push(w.to_string());
        adj.push(Vec::new());
        i
    };
    let mut moby_pairs: Vec<(u32, Vec<u32>)> = Vec::new();
    for line in moby.lines() {
        let mut parts = line.split(',');
        let Some(root) = parts.next() else { continue };
        let root = root.trim().to_lowercase();
        if !simple_word(&root) {
            continue;
        }
        let r = intern(&root, &mut ids, &mut names, &mut adj);
        let mut syns = Vec::new();
        for s in parts {
            let s = s.trim().to_lowercase();
            if !simple_word(&s) || s == root {
                continue;
            }
            let j = intern(&s, &mut ids, &mut names, &mut adj);
            adj[r as usize].push(j);
            adj[j as usize].push(r);
            syns.push(j);
        }
        moby_pairs.push((r, syns));
    }
    if let Some(dir) = wordnet_dir {
        for pos in ["noun", "verb", "adj", "adv"] {
            let p = dir.join(format!("data.{pos}"));
            let text = std::fs::read_to_string(&p).map_err(|e| IndexError::io(&p, e))?;
            for line in text.lines() {
                if line.starts_with("  ") {
                    continue;
                }
                let f: Vec<&str> = line.split(' ').collect();
                if f.len() < 5 {
                    continue;
                }
                let Ok(n) = usize::from_str_radix(f[3], 16) else {
                    continue;
                };
                let mut members = Vec::new();
                for k in 0..n {
                    let Some(w) = f.get(4 + 2 * k) else { break };
                    let w = w.split('(').next().unwrap_or("").to_lowercase();
                    if simple_word(&w) {
                        members.push(intern(&w, &mut ids, &mut names, &mut adj));
                    }
                }
                for a in 0..members.len() {
                    for b in 0..members.len() {
                        if a != b {
                            adj[members[a] as usize].push(members[b]);
                        }
                    }
                }
            }
        }
    }
    for a in adj.iter_mut() {
        a.sort_unstable();
        a.dedup();
    }
    let n = names.len();
    let deg: Vec<usize> = adj.iter().map(Vec::len).collect();
    let key = |i: u32| (deg[i as usize], crate::hash::hash_str(&names[i as usize]));
    // hop 1: highest-degree member of the closed neighbourhood
    let hub1: Vec<u32> = (0..n as u32)
        .map(|i| {
            adj[i as usize]
                .iter()
                .copied()
                .chain(std::iter::once(i))
                .max_by_key(|&j| key(j))
                .unwrap_or(i)
        })
        .collect();
    // further hops: the hub's hub (degree grows along pointers, so chains are acyclic)
    let class: Vec<u32> = (0..n)
        .map(|i| {
            let mut c = i as u32;
            for _ in 0..hops {
                c = hub1[c as usize];
            }
            c
        })
        .collect();
    // renumber classes densely, largest first
    let mut size_of: HashMap<u32, usize> = HashMap::new();
    for &c in &class {
        *size_of.entry(c).or_insert(0) += 1;
    }
    let mut order: Vec<(usize, u32)> = size_of.iter().map(|(&c, &s)| (s, c)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let dense: HashMap<u32, u32> = order
        .iter()
        .enumerate()
        .map(|(k, &(_, c))| (c, k as u32))
        .collect();
    let sizes: Vec<usize> = order.iter().map(|&(s, _)| s).collect();
    let common = sizes.iter().take_while(|&&s| s > COMMON_CLASS_SIZE).count() as u32;
    let out: Vec<(String, u32)> = (0..n)
        .map(|i| (names[i].clone(), dense[&class[i]]))
        .collect();
    let (mut same, mut total) = (0.0f64, 0.0f64);
    for (r, syns) in &moby_pairs {
        if syns.is_empty() {
            continue;
        }
        let s = syns
            .iter()
            .filter(|&&j| class[j as usize] == class[*r as usize])
            .count();
        same += s as f64 / syns.len() as f64;
        total += 1.0;
    }
    let random_collision = sizes
        .iter()
        .map(|&s| (s as f64 / n.max(1) as f64).powi(2))
        .sum();
    let stats = ClassStats {
        words: n,
        classes: sizes.len(),
        same_class_rate: if total > 0.0 { same / total } else { 0.0 },
        largest_class: sizes.iter().copied().max().unwrap_or(0),
        random_collision,
        common,
    };
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_hubs() {
        let moby = "big,large,huge,great,enormous\nlarge,big,huge,ample\nhuge,big,large,enormous\nenormous,big,huge\nsmall,little,tiny\ntiny,small,little\n";
        let (pairs, stats) = build_classes(moby, None, DEFAULT_HOPS).unwrap();
        let bytes = SynClasses::to_bytes(&pairs, stats.common).unwrap();
        let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let c = SynClasses::from_static(leaked).unwrap();
        assert_eq!(c.class("large"), c.class("huge"));
        assert_eq!(c.class("big"), c.class("enormous"));
        assert_ne!(c.class("big"), c.class("tiny"));
        assert_eq!(c.class("nonexistent"), None);
        assert!(stats.same_class_rate > 0.5);
    }

    #[test]
    fn rejects_garbage() {
        assert!(SynClasses::from_static(b"nonsense").is_err());
        assert!(SynClasses::from_static(b"USPNCLS\0\x09\0\0\0\0\0\0\0").is_err());
        assert!(SynClasses::from_static(b"USPNCLS\0\x01\0\0\0\0\0\0\0garbage").is_err());
    }

    #[test]
    fn embedded_map_loads() {
        let c = SynClasses::embedded();
        assert!(c.len() > 10_000);
        assert!(c.class("large").is_some());
    }
}
