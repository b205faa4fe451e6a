//! LSH bucket storage behind two small traits, so that a shared backend (e.g. Redis Cluster:
//! one set per `(band, key)`, `SADD` to insert, pipelined `SMEMBERS` to look up) can replace
//! the embedded segment files.

use crate::error::IndexError;
use crate::minhash::BANDS;
use std::collections::HashMap;

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
