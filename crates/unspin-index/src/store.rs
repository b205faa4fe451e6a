//! Index storage behind small traits, so that a shared backend (Redis Cluster: one set per
//! `(band, key)`, `SADD` to insert, pipelined `SMEMBERS` to look up; see [`crate::redis`])
//! can replace the embedded segment files ([`crate::index`]).
//!
//! - [`BucketStore`] / [`BucketSink`]: LSH buckets only;
//! - [`IndexStore`]: everything `find`, `compare` and `check --index` read (buckets, stored
//!   documents, document frequencies, counts);
//! - [`IndexSink`]: everything `index add` and `index remove` write.
//!
//! [`crate::index::Index`] and [`crate::index::IndexWriter`] hold one of each behind a box:
//! the rest of unspin never asks which store it has.

use crate::df::DocFreq;
use crate::error::IndexError;
use crate::index::{DocRef, MergeStats, NewDoc, Stats};
use crate::minhash::BANDS;
use crate::segment::StoredDoc;
use std::collections::HashMap;

/// The read side of a whole index (a snapshot of its counts and document frequencies; the
/// buckets and documents of a shared store are read live).
pub trait IndexStore: BucketStore + std::fmt::Debug {
    /// Counts for `index stats` (and the collection size of the E-value).
    fn stats(&self) -> Stats;
    /// Document frequencies of word keys (absent in old embedded indexes).
    fn doc_freq(&self) -> Option<&DocFreq>;
    /// Document behind a chunk reference, unless deleted.
    fn chunk_doc(&self, c: ChunkRef) -> Result<Option<DocRef>, IndexError>;
    /// A stored document.
    fn doc(&self, r: DocRef) -> Result<StoredDoc, IndexError>;
    /// (id, title, url) of a stored document.
    fn meta(&self, r: DocRef) -> Result<(String, String, String), IndexError> {
        let d = self.doc(r)?;
        Ok((d.id, d.title, d.url))
    }
    /// Text of a stored document.
    fn text(&self, r: DocRef) -> Result<String, IndexError> {
        Ok(self.doc(r)?.text)
    }
    /// A live document by id.
    fn find_id(&self, id: &str) -> Result<Option<DocRef>, IndexError>;
    /// True when another writer committed since the open and the counts and document
    /// frequencies are worth reading again (stores whose readers find out otherwise, like
    /// the embedded one through its manifest file, say false).
    fn is_stale(&self) -> bool {
        false
    }
}

/// Batch limits of a writer (set by the caller after opening).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Documents per committed batch.
    pub batch_docs: usize,
    /// Uncompressed text bytes per committed batch.
    pub batch_bytes: usize,
    /// Merge small segments once more than this many piled up (embedded store; 0: never).
    pub merge_after: usize,
}

/// The write side of a whole index.
pub trait IndexSink: Send + std::fmt::Debug {
    /// Queues a document; commits a batch when `limits` say it is full. Returns true when a
    /// batch was committed (every document queued before is then acknowledged).
    fn add(&mut self, doc: NewDoc, limits: &Limits) -> Result<bool, IndexError>;
    /// Commits the queued documents.
    fn commit(&mut self, limits: &Limits) -> Result<(), IndexError>;
    /// Removes a document by id (committed immediately). Returns whether it existed.
    fn remove(&mut self, id: &str) -> Result<bool, IndexError>;
    /// Documents queued and not yet committed.
    fn pending(&self) -> usize;
    /// Compacts the store (`index optimize`).
    fn merge(&mut self, limits: &Limits) -> Result<MergeStats, IndexError>;
    /// Drops damaged segments (`index verify --repair`; embedded store only).
    fn drop_segments(&mut self, names: &[String], limits: &Limits) -> Result<u64, IndexError>;
}

/// A chunk of an indexed document: `(segment number << 32) | chunk number in the segment`.
pub type ChunkRef = u64;

/// One posting: LSH band, bucket key, chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Posting {
    /// Band number.
    pub band: u16,
    /// Bucket key within the band.
    pub key: u32,
    /// The chunk filed under the key.
    pub chunk: ChunkRef,
}

/// Read side of a bucket store.
pub trait BucketStore: Send + Sync {
    /// Calls `f` with every chunk filed under `key` in `band`.
    fn get(&self, band: usize, key: u32, f: &mut dyn FnMut(ChunkRef)) -> Result<(), IndexError>;

    /// Calls `f(band, chunk)` with every chunk filed under `keys[band]`, for every band
    /// whose bit in `skip` is clear, band by band. Stores may batch the look-ups.
    fn get_bands(
        &self,
        keys: &[u32; BANDS],
        skip: u32,
        f: &mut dyn FnMut(usize, ChunkRef),
    ) -> Result<(), IndexError> {
        for (b, &k) in keys.iter().enumerate() {
            if skip >> b & 1 == 0 {
                self.get(b, k, &mut |c| f(b, c))?;
            }
        }
        Ok(())
    }
}

/// Write side of a bucket store.
pub trait BucketSink {
    /// Files a batch of postings. Durable once the call returns (for stores that write
    /// through) or at the next commit of the owning index.
    fn insert(&mut self, postings: &[Posting]) -> Result<(), IndexError>;
}

/// In-memory bucket store (tests, and the pending batch of a writer).
#[derive(Debug, Default, Clone)]
pub struct MemBuckets {
    map: HashMap<(u16, u32), Vec<ChunkRef>>,
}

impl MemBuckets {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of postings.
    pub fn len(&self) -> usize {
        self.map.values().map(Vec::len).sum()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl BucketStore for MemBuckets {
    fn get(&self, band: usize, key: u32, f: &mut dyn FnMut(ChunkRef)) -> Result<(), IndexError> {
        if let Some(v) = self.map.get(&(band as u16, key)) {
            v.iter().for_each(|&c| f(c));
        }
        Ok(())
    }
}

impl BucketSink for MemBuckets {
    fn insert(&mut self, postings: &[Posting]) -> Result<(), IndexError> {
        for p in postings {
            self.map.entry((p.band, p.key)).or_default().push(p.chunk);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_roundtrip() {
        let mut m = MemBuckets::new();
        m.insert(&[
            Posting {
                band: 1,
                key: 7,
                chunk: 3,
            },
            Posting {
                band: 1,
                key: 7,
                chunk: 5,
            },
            Posting {
                band: 2,
                key: 7,
                chunk: 9,
            },
        ])
        .unwrap();
        let mut got = Vec::new();
        m.get(1, 7, &mut |c| got.push(c)).unwrap();
        assert_eq!(got, [3, 5]);
        assert_eq!(m.len(), 3);
    }
}
