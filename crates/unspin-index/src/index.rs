//! The embedded on-disk index: a directory of immutable segment files plus a manifest.
//!
//! ```text
//! DIR/MANIFEST.json     {"format": 1, "generation": n, "segments": [{"name", "docs", "chunks", "deleted": [...]}]}
//! DIR/seg-000001.useg   immutable segment files with checksums (see [`crate::segment`]),
//!                       checked on open; [`verify`] checks them all, and
//!                       [`IndexWriter::drop_segments`] drops damaged ones
//! DIR/LOCK              held (advisory lock) by the one writer
//! ```
//!
//! Crash safety: a writer writes a segment under a temporary name, fsyncs it, renames it,
//! then writes the new manifest the same way and fsyncs the directory. A crash at any point
//! leaves the previous manifest (and every segment it names) intact; files no manifest names
//! are removed by the next writer. Readers never lock: they read the manifest (replaced
//! atomically) and map the segments it lists, so `find` works while another process adds.

use crate::classes::SynClasses;
use crate::df::DocFreq;
use crate::error::IndexError;
use crate::features::{content_positions, doc_chunks, window_features, word_features};
pub use crate::handle::Index;
use crate::minhash::{BANDS, band_keys, signature};
use crate::segment::{PreparedDoc, Segment, StoredDoc, write_segment};
use crate::store::{BucketStore, ChunkRef};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Index format version (manifest + segments).
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "MANIFEST.json";
const LOCK: &str = "LOCK";
/// Queued documents are fingerprinted in parallel groups of this size.
const PREPARE_CHUNK: usize = 4096;

/// Default index directory: `$UNSPIN_INDEX`, else `$XDG_DATA_HOME/unspin/index`, else
/// `~/.local/share/unspin/index`.
pub fn default_index_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("UNSPIN_INDEX").filter(|s| !s.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_DATA_HOME").filter(|s| !s.is_empty()) {
        return PathBuf::from(p).join("unspin/index");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/unspin/index")
}

/// One segment entry of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SegmentEntry {
    /// File name inside the index directory.
    pub name: String,
    /// Documents in the segment.
    pub docs: u32,
    /// Chunks in the segment.
    pub chunks: u32,
    /// Local numbers of deleted (removed or replaced) documents, sorted.
    #[serde(default)]
    pub deleted: Vec<u32>,
}

/// The manifest: which segments make up the index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Format version.
    pub format: u32,
    /// Incremented on every commit.
    pub generation: u64,
    /// Next segment number.
    pub next_segment: u64,
    /// Segments, oldest first.
    pub segments: Vec<SegmentEntry>,
}

impl Manifest {
    fn empty() -> Self {
        Manifest {
            format: FORMAT_VERSION,
            generation: 0,
            next_segment: 1,
            segments: Vec::new(),
        }
    }

    fn read(dir: &Path) -> Result<Option<Self>, IndexError> {
        let p = dir.join(MANIFEST);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(IndexError::io(&p, e)),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| IndexError::corrupt(&p, e.to_string()))?;
        let format = v.get("format").and_then(|f| f.as_u64()).unwrap_or(0) as u32;
        if format != FORMAT_VERSION {
            return Err(IndexError::Version {
                path: p,
                found: format,
                expected: FORMAT_VERSION,
            });
        }
        let m: Manifest =
            serde_json::from_value(v).map_err(|e| IndexError::corrupt(&p, e.to_string()))?;
        Ok(Some(m))
    }

    fn write(&self, dir: &Path) -> Result<(), IndexError> {
        let p = dir.join(MANIFEST);
        let tmp = dir.join("MANIFEST.json.tmp");
        let bytes = serde_json::to_vec(self).map_err(|e| IndexError::corrupt(&p, e.to_string()))?;
        {
            let mut f = File::create(&tmp).map_err(|e| IndexError::io(&tmp, e))?;
            std::io::Write::write_all(&mut f, &bytes).map_err(|e| IndexError::io(&tmp, e))?;
            f.sync_all().map_err(|e| IndexError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &p).map_err(|e| IndexError::io(&p, e))?;
        sync_dir(dir)
    }
}

fn sync_dir(dir: &Path) -> Result<(), IndexError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IndexError::io(dir, e))
}

/// A document to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDoc {
    /// External id (re-adding an id replaces the document).
    pub id: String,
    /// Optional title.
    pub title: String,
    /// Optional URL.
    pub url: String,
    /// Text.
    pub text: String,
}

/// Band keys of the indexed chunks of a text.
pub fn chunk_keys(text: &str, classes: &SynClasses) -> Vec<[u32; BANDS]> {
    chunk_keys_of(&word_features(text, classes))
}

/// Band keys of the indexed chunks of a text's word features.
fn chunk_keys_of(words: &[crate::features::WordFeat]) -> Vec<[u32; BANDS]> {
    let pos = content_positions(words);
    let mut feats = Vec::new();
    let mut out = Vec::new();
    for (a, b) in doc_chunks(pos.len()) {
        window_features(words, &pos[a..b], &mut feats);
        if let Some(sig) = signature(&feats) {
            out.push(band_keys(&sig));
        }
    }
    out
}

fn prepare_doc(d: NewDoc, classes: &SynClasses) -> PreparedDoc {
    let words = word_features(&d.text, classes);
    let chunks = chunk_keys_of(&words);
    PreparedDoc {
        id: d.id,
        title: d.title,
        url: d.url,
        text: d.text,
        chunks,
        terms: crate::df::doc_terms(&words),
        content_words: words.iter().filter(|w| w.is_content()).count(),
    }
}

pub(crate) fn prepare_docs(docs: Vec<NewDoc>, classes: &'static SynClasses) -> Vec<PreparedDoc> {
    docs.into_par_iter()
        .map(|d| prepare_doc(d, classes))
        .collect()
}

struct OpenSegment {
    seg: Segment,
    deleted: HashSet<u32>,
}

/// A read-only view of an index (a snapshot of one manifest generation).
pub struct DirIndex {
    dir: PathBuf,
    manifest: Manifest,
    segs: Vec<OpenSegment>,
    classes: &'static SynClasses,
    df: Option<DocFreq>,
}

impl std::fmt::Debug for DirIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirIndex")
            .field("dir", &self.dir)
            .field("generation", &self.manifest.generation)
            .finish()
    }
}

/// Counts reported by `index stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Index directory (`index` in JSON, as in the text output).
    #[serde(rename = "index")]
    pub dir: PathBuf,
    /// Format version.
    pub format: u32,
    /// Manifest generation.
    pub generation: u64,
    /// Live documents (`documents` in JSON, as in the text output).
    #[serde(rename = "documents")]
    pub docs: u64,
    /// Deleted (removed or replaced) documents still in segments.
    pub deleted: u64,
    /// Chunks (LSH entries per band).
    pub chunks: u64,
    /// Segment files.
    pub segments: usize,
    /// Bytes on disk.
    pub bytes: u64,
}

impl DirIndex {
    /// Opens the index at `dir` with the embedded synonym classes.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        Self::open_with(dir, SynClasses::embedded())
    }

    /// Opens the index at `dir` with the given synonym classes (must be the ones it was built
    /// with).
    pub fn open_with(dir: &Path, classes: &'static SynClasses) -> Result<Self, IndexError> {
        // a writer may replace the manifest and drop segments between our reads: retry
        let mut last = None;
        for _ in 0..5 {
            let Some(manifest) = Manifest::read(dir)? else {
                return Err(IndexError::NoIndex {
                    path: dir.to_path_buf(),
                });
            };
            match Self::open_segments(dir, &manifest) {
                Ok(segs) => {
                    classes.warm_up();
                    let df = DocFreq::read(dir)?;
                    return Ok(DirIndex {
                        dir: dir.to_path_buf(),
                        manifest,
                        segs,
                        classes,
                        df,
                    });
                }
                Err(IndexError::Io { path, err }) if err.kind() == std::io::ErrorKind::NotFound => {
                    last = Some(IndexError::Io { path, err });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(IndexError::NoIndex {
            path: dir.to_path_buf(),
        }))
    }

    fn open_segments(dir: &Path, m: &Manifest) -> Result<Vec<OpenSegment>, IndexError> {
        // every segment's checksums are checked (the files are read once, on all cores)
        m.segments
            .par_iter()
            .map(|e| {
                Ok(OpenSegment {
                    seg: open_listed(dir, e, true)?,
                    deleted: e.deleted.iter().copied().collect(),
                })
            })
            .collect()
    }

    /// The synonym classes used by this index.
    pub fn classes(&self) -> &'static SynClasses {
        self.classes
    }

    /// Document frequencies of word keys (absent in indexes written before they existed).
    pub fn doc_freq(&self) -> Option<&DocFreq> {
        self.df.as_ref()
    }

    /// Statistics.
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            dir: self.dir.clone(),
            format: self.manifest.format,
            generation: self.manifest.generation,
            docs: 0,
            deleted: 0,
            chunks: 0,
            segments: self.segs.len(),
            bytes: 0,
        };
        for o in &self.segs {
            s.docs += u64::from(o.seg.docs()) - o.deleted.len() as u64;
            s.deleted += o.deleted.len() as u64;
            s.chunks += u64::from(o.seg.chunks());
            s.bytes += o.seg.bytes() as u64;
        }
        s
    }

    /// Segment-local document behind a chunk reference, unless deleted.
    pub fn chunk_doc(&self, c: ChunkRef) -> Result<Option<DocRef>, IndexError> {
        let (s, chunk) = ((c >> 32) as usize, c as u32);
        let Some(o) = self.segs.get(s) else {
            return Ok(None);
        };
        let d = o.seg.chunk_doc(chunk)?;
        Ok((!o.deleted.contains(&d)).then_some(DocRef {
            seg: s as u32,
            doc: d,
        }))
    }

    /// The segment a document reference points into.
    fn segment(&self, r: DocRef) -> Result<&Segment, IndexError> {
        self.segs
            .get(r.seg as usize)
            .map(|o| &o.seg)
            .ok_or_else(|| IndexError::corrupt(&self.dir, "segment number out of range"))
    }

    /// A stored document.
    pub fn doc(&self, r: DocRef) -> Result<StoredDoc, IndexError> {
        self.segment(r)?.doc(r.doc)
    }

    /// (id, title, url) of a stored document.
    pub fn meta(&self, r: DocRef) -> Result<(String, String, String), IndexError> {
        self.segment(r)?.meta(r.doc)
    }

    /// Text of a stored document.
    pub fn text(&self, r: DocRef) -> Result<String, IndexError> {
        self.segment(r)?.text(r.doc)
    }

    /// Finds a live document by id.
    pub fn find_id(&self, id: &str) -> Result<Option<DocRef>, IndexError> {
        for (s, o) in self.segs.iter().enumerate().rev() {
            for d in o.seg.find_id(id)? {
                if !o.deleted.contains(&d) {
                    return Ok(Some(DocRef {
                        seg: s as u32,
                        doc: d,
                    }));
                }
            }
        }
        Ok(None)
    }
}

impl BucketStore for DirIndex {
    fn get(&self, band: usize, key: u32, f: &mut dyn FnMut(ChunkRef)) -> Result<(), IndexError> {
        for (s, o) in self.segs.iter().enumerate() {
            o.seg
                .lookup(band, key, &mut |c| f(((s as u64) << 32) | u64::from(c)))?;
        }
        Ok(())
    }

    fn get_bands(
        &self,
        keys: &[u32; BANDS],
        skip: u32,
        f: &mut dyn FnMut(usize, ChunkRef),
    ) -> Result<(), IndexError> {
        for (s, o) in self.segs.iter().enumerate() {
            o.seg.lookup_bands(keys, skip, &mut |b, c| {
                f(b, ((s as u64) << 32) | u64::from(c))
            })?;
        }
        Ok(())
    }
}

/// Opens the segment of a manifest entry and checks that it is the one listed (checksums
/// too when `full`).
fn open_listed(dir: &Path, e: &SegmentEntry, full: bool) -> Result<Segment, IndexError> {
    let path = dir.join(&e.name);
    let seg = if full {
        Segment::open(&path)?
    } else {
        Segment::open_header_checked(&path)?
    };
    if seg.docs() != e.docs || seg.chunks() != e.chunks {
        return Err(IndexError::corrupt(
            seg.path(),
            "segment does not match the manifest (`unspin index verify --repair` drops it from the index)",
        ));
    }
    Ok(seg)
}

/// The state of one segment found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "problem")]
pub enum SegmentStatus {
    /// Checksums match.
    Ok,
    /// A version 1 segment: no checksums to check (`index optimize` rewrites it with them).
    Unchecked,
    /// Missing, unreadable, damaged or not the segment the manifest lists.
    Damaged(String),
}

/// One segment of the manifest as [`verify`] found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentCheck {
    /// File name inside the index directory.
    pub name: String,
    /// Documents it holds according to the manifest (live ones: without deleted;
    /// `documents` in JSON, as in the text output).
    #[serde(rename = "documents")]
    pub docs: u32,
    /// What was found.
    #[serde(flatten)]
    pub status: SegmentStatus,
}

/// Checks every segment the manifest of the index at `dir` lists: present, readable, its
/// header and body checksums, and its counts against the manifest.
pub fn verify(dir: &Path) -> Result<Vec<SegmentCheck>, IndexError> {
    let Some(m) = Manifest::read(dir)? else {
        return Err(IndexError::NoIndex {
            path: dir.to_path_buf(),
        });
    };
    Ok(m.segments
        .par_iter()
        .map(|e| SegmentCheck {
            name: e.name.clone(),
            docs: e.docs - e.deleted.len() as u32,
            status: match open_listed(dir, e, true) {
                Ok(s) if s.version() < 2 => SegmentStatus::Unchecked,
                Ok(_) => SegmentStatus::Ok,
                Err(err) => SegmentStatus::Damaged(err.to_string()),
            },
        })
        .collect())
}

/// A document in an open index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocRef {
    /// Segment position in the manifest.
    pub seg: u32,
    /// Document number in the segment.
    pub doc: u32,
}

/// Writes `docs` as the next segment of `m` (named from `m.next_segment`, written and synced)
/// and lists it in `m` (in memory; the caller writes the manifest). Returns its path.
fn add_segment(dir: &Path, m: &mut Manifest, docs: &[PreparedDoc]) -> Result<PathBuf, IndexError> {
    let name = format!("seg-{:06}.useg", m.next_segment);
    let path = dir.join(&name);
    let chunks = write_segment(&path, docs)?;
    m.segments.push(SegmentEntry {
        name,
        docs: docs.len() as u32,
        chunks,
        deleted: Vec::new(),
    });
    m.next_segment += 1;
    Ok(path)
}

/// Bytes on disk of the listed segments.
fn segment_bytes(dir: &Path, segments: &[SegmentEntry]) -> u64 {
    segments
        .iter()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|m| m.len())
        .sum()
}

/// What [`crate::IndexWriter::merge`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeStats {
    /// Segments before.
    pub segments_before: usize,
    /// Segments after.
    pub segments_after: usize,
    /// Live documents (all kept; `documents` in JSON, as in the text output).
    #[serde(rename = "documents")]
    pub docs: u64,
    /// Removed or replaced documents left out.
    pub dropped: u64,
    /// Segment bytes before.
    pub bytes_before: u64,
    /// Segment bytes after.
    pub bytes_after: u64,
}

/// The single writer of an index (holds `DIR/LOCK`).
pub struct DirWriter {
    dir: PathBuf,
    _lock: File,
    manifest: Manifest,
    pending: Vec<NewDoc>,
    preparing: Vec<std::sync::mpsc::Receiver<Vec<PreparedDoc>>>,
    prepared: Vec<PreparedDoc>,
    pending_bytes: usize,
    /// Documents per segment batch.
    pub batch_docs: usize,
    /// Uncompressed text bytes per segment batch.
    pub batch_bytes: usize,
    /// Merge the small segments (under half a batch) when a commit leaves more than this many
    /// (0: never; see [`crate::IndexWriter::merge`]).
    pub merge_after: usize,
    classes: &'static SynClasses,
}

impl std::fmt::Debug for DirWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirWriter")
            .field("dir", &self.dir)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl DirWriter {
    /// Opens (creating if needed) the index at `dir` for writing. Fails with
    /// [`IndexError::Locked`] when another writer holds the lock.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let lp = dir.join(LOCK);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lp)
            .map_err(|e| IndexError::io(&lp, e))?;
        // A lock can outlive its writer for a moment: a process that forks (to run another
        // program) holds a copy of every open file until it execs. So a busy lock is retried
        // for a short while before it counts as another writer's.
        let mut tries = 0;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if tries < 25 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(IndexError::Locked { path: lp });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(IndexError::io(&lp, e)),
            }
        }
        let manifest = match Manifest::read(dir)? {
            Some(m) => m,
            None => {
                let m = Manifest::empty();
                m.write(dir)?;
                m
            }
        };
        // remove leftovers of crashed writers: temp files and unlisted segments
        let listed: HashSet<&str> = manifest.segments.iter().map(|s| s.name.as_str()).collect();
        let rd = std::fs::read_dir(dir).map_err(|e| IndexError::io(dir, e))?;
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stale = name.ends_with(".tmp")
                || (name.starts_with("seg-") && !listed.contains(name.as_str()));
            if stale {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let classes = SynClasses::embedded();
        classes.warm_up();
        Ok(DirWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            manifest,
            pending: Vec::new(),
            preparing: Vec::new(),
            prepared: Vec::new(),
            pending_bytes: 0,
            batch_docs: 100_000,
            batch_bytes: 128 << 20,
            merge_after: 10,
            classes,
        })
    }

    /// Queues a document; writes a segment when the batch is full. Returns true when a
    /// batch was committed.
    pub fn add(&mut self, doc: NewDoc) -> Result<bool, IndexError> {
        self.pending_bytes += doc.text.len();
        self.pending.push(doc);
        if self.pending.len() >= PREPARE_CHUNK {
            // fingerprint in the background (on the rayon pool: one thread per core, so few
            // malloc arenas and no lock convoys) while the caller reads more input
            let classes = self.classes;
            let docs = std::mem::take(&mut self.pending);
            let (tx, rx) = std::sync::mpsc::channel();
            rayon::spawn(move || {
                // a panic drops `tx`: `prepare` then reports the job as failed
                let v = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    docs.into_iter()
                        .map(|d| prepare_doc(d, classes))
                        .collect::<Vec<_>>()
                }));
                if let Ok(v) = v {
                    let _ = tx.send(v);
                }
            });
            self.preparing.push(rx);
        }
        if self.pending() >= self.batch_docs || self.pending_bytes >= self.batch_bytes {
            self.commit()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Waits for background fingerprinting and fingerprints what is still queued.
    fn prepare(&mut self) -> Result<(), IndexError> {
        let failed = || IndexError::corrupt(&self.dir, "fingerprinting job failed");
        for rx in std::mem::take(&mut self.preparing) {
            let v = loop {
                match rx.try_recv() {
                    Ok(v) => break v,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => return Err(failed()),
                    Err(std::sync::mpsc::TryRecvError::Empty) => {}
                }
                // called from a rayon worker, the job may be queued behind us: run queued
                // work instead of blocking the worker (with one thread it would never run)
                if rayon::yield_now() == Some(rayon::Yield::Executed) {
                    continue;
                }
                break rx.recv().map_err(|_| failed())?;
            };
            self.prepared.extend(v);
        }
        let docs = std::mem::take(&mut self.pending);
        self.prepared.extend(prepare_docs(docs, self.classes));
        Ok(())
    }

    /// Documents queued and not yet committed.
    pub fn pending(&self) -> usize {
        self.pending.len() + self.preparing.len() * PREPARE_CHUNK + self.prepared.len()
    }

    /// Removes a document by id (committed immediately). Returns whether it existed.
    pub fn remove(&mut self, id: &str) -> Result<bool, IndexError> {
        self.prepare()?;
        let before = self.pending();
        self.pending.retain(|d| d.id != id);
        self.prepared.retain(|d| d.id != id);
        let mut found = before != self.pending();
        let mut m = self.manifest.clone();
        found |= self.mark_deleted(&mut m, &[id.to_string()])?;
        if found {
            m.generation += 1;
            m.write(&self.dir)?;
            self.manifest = m;
        }
        Ok(found)
    }

    /// Drops the named segments from the index (one manifest swap; the other segments are
    /// not touched) and renames their files `damaged-<name>` (kept for inspection; nothing
    /// reads or removes them). Returns the live documents dropped.
    pub fn drop_segments(&mut self, names: &[String]) -> Result<u64, IndexError> {
        self.commit()?;
        let mut m = self.manifest.clone();
        let mut lost = 0u64;
        m.segments.retain(|e| {
            let drop = names.contains(&e.name);
            if drop {
                lost += u64::from(e.docs) - e.deleted.len() as u64;
            }
            !drop
        });
        if m.segments.len() == self.manifest.segments.len() {
            return Ok(0);
        }
        m.generation += 1;
        m.write(&self.dir)?;
        self.manifest = m;
        for n in names {
            let _ = std::fs::rename(self.dir.join(n), self.dir.join(format!("damaged-{n}")));
        }
        sync_dir(&self.dir)?;
        Ok(lost)
    }

    fn mark_deleted(&self, m: &mut Manifest, ids: &[String]) -> Result<bool, IndexError> {
        let mut any = false;
        for e in m.segments.iter_mut() {
            // header checks only: a commit must not read the whole index (readers and merges
            // check every byte)
            let seg = open_listed(&self.dir, e, false)?;
            let mut del: HashSet<u32> = e.deleted.iter().copied().collect();
            for id in ids {
                for d in seg.find_id(id)? {
                    any |= del.insert(d);
                }
            }
            let mut v: Vec<u32> = del.into_iter().collect();
            v.sort_unstable();
            e.deleted = v;
        }
        Ok(any)
    }

    /// Rewrites the index as few segments as the batch limits allow, leaving out removed and
    /// replaced documents: after many small `add`s, `find` looks up one segment instead of
    /// many. Queued documents are committed first.
    ///
    /// Crash-safe like `add`: the new segments are written and synced before one manifest
    /// swap makes them the index; until then the old segments are the index, and a crash
    /// leaves only unlisted files, which the next writer removes. Readers that have the old
    /// segments open keep reading them; the old files are removed after the swap.
    pub fn merge(&mut self) -> Result<MergeStats, IndexError> {
        self.commit()?;
        self.merge_where(|_| true)
    }

    /// Merges the segments that `pick` selects (the others stay as they are); see
    /// [`IndexWriter::merge`]. Statistics count the whole index before and after, and the
    /// documents of the merged segments.
    fn merge_where(
        &mut self,
        pick: impl Fn(&SegmentEntry) -> bool,
    ) -> Result<MergeStats, IndexError> {
        let old = self.manifest.clone();
        let (chosen, kept): (Vec<SegmentEntry>, Vec<SegmentEntry>) =
            old.segments.iter().cloned().partition(|e| pick(e));
        let mut stats = MergeStats {
            segments_before: old.segments.len(),
            ..MergeStats::default()
        };
        stats.dropped = chosen.iter().map(|e| e.deleted.len() as u64).sum();
        stats.bytes_before = segment_bytes(&self.dir, &old.segments);
        // a version 1 segment (no checksums) is rewritten even when alone
        let old_format = chosen.iter().any(|e| {
            crate::segment::file_version(&self.dir.join(&e.name))
                .is_ok_and(|v| v < crate::segment::SEGMENT_VERSION)
        });
        if chosen.len() <= 1 && stats.dropped == 0 && !old_format {
            stats.docs = chosen.iter().map(|e| u64::from(e.docs)).sum();
            stats.segments_after = old.segments.len();
            stats.bytes_after = stats.bytes_before;
            return Ok(stats);
        }
        let mut m = old.clone();
        m.segments = kept;
        let mut batch: Vec<NewDoc> = Vec::new();
        let mut batch_bytes = 0usize;
        let mut written: Vec<PathBuf> = Vec::new();
        // on any error, the new segments are not in a manifest: remove them
        let result = (|| -> Result<(), IndexError> {
            let mut flush = |batch: &mut Vec<NewDoc>, m: &mut Manifest| -> Result<(), IndexError> {
                if batch.is_empty() {
                    return Ok(());
                }
                let prepared = prepare_docs(std::mem::take(batch), self.classes);
                written.push(add_segment(&self.dir, m, &prepared)?);
                Ok(())
            };
            for e in &chosen {
                // checked in full: a damaged segment is never copied into a new one
                let seg = open_listed(&self.dir, e, true)?;
                let deleted: HashSet<u32> = e.deleted.iter().copied().collect();
                for d in (0..seg.docs()).filter(|d| !deleted.contains(d)) {
                    let mut doc = seg.doc(d)?;
                    // the text comes back in its decompression buffer (up to a whole block):
                    // a batch holds thousands of them
                    doc.text.shrink_to_fit();
                    batch_bytes += doc.text.len();
                    batch.push(NewDoc {
                        id: doc.id,
                        title: doc.title,
                        url: doc.url,
                        text: doc.text,
                    });
                    stats.docs += 1;
                    if batch.len() >= self.batch_docs || batch_bytes >= self.batch_bytes {
                        flush(&mut batch, &mut m)?;
                        batch_bytes = 0;
                    }
                }
            }
            flush(&mut batch, &mut m)
        })();
        if let Err(e) = result {
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        sync_dir(&self.dir)?;
        m.generation += 1;
        m.write(&self.dir)?;
        self.manifest = m;
        for e in &chosen {
            let _ = std::fs::remove_file(self.dir.join(&e.name));
        }
        stats.segments_after = self.manifest.segments.len();
        stats.bytes_after = segment_bytes(&self.dir, &self.manifest.segments);
        Ok(stats)
    }

    /// Writes the queued documents as a new segment and commits a new manifest.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        self.prepare()?;
        if self.prepared.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut self.prepared);
        self.pending_bytes = 0;
        // within a batch the last copy of an id wins
        let mut last: crate::hash::FxMap<&str, usize> =
            crate::hash::FxMap::with_capacity_and_hasher(batch.len(), Default::default());
        for (i, d) in batch.iter().enumerate() {
            last.insert(d.id.as_str(), i);
        }
        if last.len() < batch.len() {
            let mut keep = vec![false; batch.len()];
            for i in last.into_values() {
                keep[i] = true;
            }
            let mut i = 0;
            batch.retain(|_| {
                let k = keep[i];
                i += 1;
                k
            });
        }
        let prepared = batch;
        let mut m = self.manifest.clone();
        let ids: Vec<String> = prepared.iter().map(|d| d.id.clone()).collect();
        // older copies of these ids are deleted (before the new segment is listed)
        self.mark_deleted(&mut m, &ids)?;
        add_segment(&self.dir, &mut m, &prepared)?;
        // document frequencies: started with an empty index, then grown by every batch (an
        // index written before they existed goes on without them)
        let was_empty = self.manifest.segments.iter().all(|e| e.docs == 0);
        let df = match DocFreq::read(&self.dir)? {
            Some(df) => Some(df),
            None if was_empty => Some(DocFreq::default()),
            None => None,
        };
        if let Some(mut df) = df {
            for d in &prepared {
                df.add(&d.terms, d.content_words);
            }
            df.write(&self.dir)?;
        }
        sync_dir(&self.dir)?;
        m.generation += 1;
        m.write(&self.dir)?;
        self.manifest = m;
        self.merge_small()
    }

    /// After a commit: when more than [`IndexWriter::merge_after`] segments hold fewer than
    /// half a batch each (left by small `add`s), merges them, so that `find` does not slow down
    /// as a collection grows by small additions. Each such merge rewrites less than
    /// `merge_after` half batches; full segments are never rewritten.
    fn merge_small(&mut self) -> Result<(), IndexError> {
        let half = self.batch_docs / 2;
        let small = move |e: &SegmentEntry| (e.docs as usize) < half;
        let n = self.manifest.segments.iter().filter(|e| small(e)).count();
        if self.merge_after == 0 || n <= self.merge_after {
            return Ok(());
        }
        self.merge_where(small).map(|_| ())
    }
}

impl crate::store::IndexStore for DirIndex {
    fn stats(&self) -> Stats {
        DirIndex::stats(self)
    }
    fn doc_freq(&self) -> Option<&DocFreq> {
        DirIndex::doc_freq(self)
    }
    fn chunk_doc(&self, c: ChunkRef) -> Result<Option<DocRef>, IndexError> {
        DirIndex::chunk_doc(self, c)
    }
    fn doc(&self, r: DocRef) -> Result<StoredDoc, IndexError> {
        DirIndex::doc(self, r)
    }
    fn meta(&self, r: DocRef) -> Result<(String, String, String), IndexError> {
        DirIndex::meta(self, r)
    }
    fn text(&self, r: DocRef) -> Result<String, IndexError> {
        DirIndex::text(self, r)
    }
    fn find_id(&self, id: &str) -> Result<Option<DocRef>, IndexError> {
        DirIndex::find_id(self, id)
    }
}

impl DirWriter {
    fn set_limits(&mut self, l: &crate::store::Limits) {
        self.batch_docs = l.batch_docs;
        self.batch_bytes = l.batch_bytes;
        self.merge_after = l.merge_after;
    }
}

impl crate::store::IndexSink for DirWriter {
    fn add(&mut self, doc: NewDoc, l: &crate::store::Limits) -> Result<bool, IndexError> {
        self.set_limits(l);
        DirWriter::add(self, doc)
    }
    fn commit(&mut self, l: &crate::store::Limits) -> Result<(), IndexError> {
        self.set_limits(l);
        DirWriter::commit(self)
    }
    fn remove(&mut self, id: &str) -> Result<bool, IndexError> {
        DirWriter::remove(self, id)
    }
    fn pending(&self) -> usize {
        DirWriter::pending(self)
    }
    fn merge(&mut self, l: &crate::store::Limits) -> Result<MergeStats, IndexError> {
        self.set_limits(l);
        DirWriter::merge(self)
    }
    fn drop_segments(
        &mut self,
        names: &[String],
        l: &crate::store::Limits,
    ) -> Result<u64, IndexError> {
        self.set_limits(l);
        DirWriter::drop_segments(self, names)
    }
}
