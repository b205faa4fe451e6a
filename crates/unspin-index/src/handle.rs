//! The one entry point to an index, whichever store holds it: [`Index`] (read) and
//! [`IndexWriter`] (write) open an index [`Location`] (a directory, the embedded store, or a
//! `redis://` URL, a shared index on Redis Cluster) and hold its store behind the
//! [`IndexStore`] / [`IndexSink`] traits.

use crate::classes::SynClasses;
use crate::df::DocFreq;
use crate::error::IndexError;
use crate::index::{DirIndex, DirWriter, DocRef, MergeStats, NewDoc, Stats};
use crate::minhash::BANDS;
use crate::segment::StoredDoc;
use crate::store::{BucketStore, ChunkRef, IndexSink, IndexStore, Limits};
use std::path::{Path, PathBuf};

/// Where an index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded store: a directory of segment files.
    Dir(PathBuf),
    /// A shared index on Redis Cluster: `redis://host:port[,host:port...][/name]`.
    Redis(String),
}

impl Location {
    /// A `redis://` URL is a Redis Cluster index, anything else a directory.
    pub fn parse(loc: &Path) -> Location {
        match loc.to_str() {
            Some(s) if s.starts_with("redis://") => Location::Redis(s.to_string()),
            _ => Location::Dir(loc.to_path_buf()),
        }
    }
}

#[cfg(not(feature = "redis"))]
fn no_redis(url: &str) -> IndexError {
    IndexError::Redis {
        url: url.to_string(),
        problem: "this build of unspin has no Redis support (cargo feature `redis`)".into(),
    }
}

/// A read-only view of an index.
pub struct Index {
    store: Box<dyn IndexStore>,
    classes: &'static SynClasses,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.store.fmt(f)
    }
}

impl Index {
    /// Opens the index at `loc` (a directory or a `redis://` URL) with the embedded synonym
    /// classes.
    pub fn open(loc: &Path) -> Result<Self, IndexError> {
        Self::open_with(loc, SynClasses::embedded())
    }

    /// Opens the index at `loc` with the given synonym classes (must be the ones it was
    /// built with).
    pub fn open_with(loc: &Path, classes: &'static SynClasses) -> Result<Self, IndexError> {
        let store: Box<dyn IndexStore> = match Location::parse(loc) {
            Location::Dir(d) => Box::new(DirIndex::open_with(&d, classes)?),
            #[cfg(feature = "redis")]
            Location::Redis(url) => Box::new(crate::redis::RedisIndex::open(&url, classes)?),
            #[cfg(not(feature = "redis"))]
            Location::Redis(url) => return Err(no_redis(&url)),
        };
        Ok(Index { store, classes })
    }

    /// The synonym classes used by this index.
    pub fn classes(&self) -> &'static SynClasses {
        self.classes
    }
    /// Document frequencies of word keys (absent in indexes written before they existed).
    pub fn doc_freq(&self) -> Option<&DocFreq> {
        self.store.doc_freq()
    }
    /// Statistics.
    pub fn stats(&self) -> Stats {
        self.store.stats()
    }
    /// Document behind a chunk reference, unless deleted.
    pub fn chunk_doc(&self, c: ChunkRef) -> Result<Option<DocRef>, IndexError> {
        self.store.chunk_doc(c)
    }
    /// A stored document.
    pub fn doc(&self, r: DocRef) -> Result<StoredDoc, IndexError> {
        self.store.doc(r)
    }
    /// (id, title, url) of a stored document.
    pub fn meta(&self, r: DocRef) -> Result<(String, String, String), IndexError> {
        self.store.meta(r)
    }
    /// Text of a stored document.
    pub fn text(&self, r: DocRef) -> Result<String, IndexError> {
        self.store.text(r)
    }
    /// True when a shared index changed since it was opened (reopen it for fresh counts; its
    /// documents and buckets are read live). The embedded store always says false: its
    /// readers watch `DIR/MANIFEST.json`.
    pub fn is_stale(&self) -> bool {
        self.store.is_stale()
    }
    /// Finds a live document by id.
    pub fn find_id(&self, id: &str) -> Result<Option<DocRef>, IndexError> {
        self.store.find_id(id)
    }
}

impl BucketStore for Index {
    fn get(&self, band: usize, key: u32, f: &mut dyn FnMut(ChunkRef)) -> Result<(), IndexError> {
        self.store.get(band, key, f)
    }
    fn get_bands(
        &self,
        keys: &[u32; BANDS],
        skip: u32,
        f: &mut dyn FnMut(usize, ChunkRef),
    ) -> Result<(), IndexError> {
        self.store.get_bands(keys, skip, f)
    }
}

/// The single writer of an index (of an embedded one: holds `DIR/LOCK`; a Redis index takes
/// adds from any number of writers).
pub struct IndexWriter {
    sink: Box<dyn IndexSink>,
    /// Documents per committed batch.
    pub batch_docs: usize,
    /// Uncompressed text bytes per committed batch.
    pub batch_bytes: usize,
    /// Merge the small segments (under half a batch) when a commit leaves more than this many
    /// (0: never; see [`IndexWriter::merge`]; embedded store only).
    pub merge_after: usize,
}

impl std::fmt::Debug for IndexWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.sink.fmt(f)
    }
}

impl IndexWriter {
    /// Opens (creating if needed) the index at `loc` for writing. An embedded index fails
    /// with [`IndexError::Locked`] when another writer holds the lock.
    pub fn open(loc: &Path) -> Result<Self, IndexError> {
        let sink: Box<dyn IndexSink> = match Location::parse(loc) {
            Location::Dir(d) => Box::new(DirWriter::open(&d)?),
            #[cfg(feature = "redis")]
            Location::Redis(url) => Box::new(crate::redis::RedisWriter::open(&url)?),
            #[cfg(not(feature = "redis"))]
            Location::Redis(url) => return Err(no_redis(&url)),
        };
        Ok(IndexWriter {
            sink,
            batch_docs: 100_000,
            batch_bytes: 128 << 20,
            merge_after: 10,
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            batch_docs: self.batch_docs,
            batch_bytes: self.batch_bytes,
            merge_after: self.merge_after,
        }
    }

    /// Queues a document; commits a batch when it is full. Returns true when a batch was
    /// committed (every document queued before is then acknowledged: durable, and found).
    pub fn add(&mut self, doc: NewDoc) -> Result<bool, IndexError> {
        let l = self.limits();
        self.sink.add(doc, &l)
    }

    /// Commits the queued documents.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        let l = self.limits();
        self.sink.commit(&l)
    }

    /// Removes a document by id (committed immediately). Returns whether it existed.
    pub fn remove(&mut self, id: &str) -> Result<bool, IndexError> {
        self.sink.remove(id)
    }

    /// Documents queued and not yet committed.
    pub fn pending(&self) -> usize {
        self.sink.pending()
    }

    /// Rewrites an embedded index as few segments as the batch limits allow, leaving out
    /// removed and replaced documents (crash-safe; readers keep working). A Redis index has
    /// nothing to merge (removals delete at once): an error says so.
    pub fn merge(&mut self) -> Result<MergeStats, IndexError> {
        let l = self.limits();
        self.sink.merge(&l)
    }

    /// Drops the named segments of an embedded index (one manifest swap) and renames their
    /// files `damaged-<name>`. Returns the live documents dropped.
    pub fn drop_segments(&mut self, names: &[String]) -> Result<u64, IndexError> {
        let l = self.limits();
        self.sink.drop_segments(names, &l)
    }
}
