//! The read side of a Redis Cluster index: live bucket and document reads, counts and
//! document frequencies as of the open.

use super::{Cluster, DF_KEYS, TAGS, doc_number};
use crate::classes::SynClasses;
use crate::df::DocFreq;
use crate::error::IndexError;
use crate::index::{DocRef, Stats};
use crate::minhash::BANDS;
use crate::segment::StoredDoc;
use crate::store::{BucketStore, ChunkRef, IndexStore};
use redis::cluster::cluster_pipe;

/// A Redis Cluster index opened for reading.
#[derive(Debug)]
pub struct RedisIndex {
    cluster: Cluster,
    stats: Stats,
    df: DocFreq,
    /// When [`IndexStore::is_stale`] last asked the cluster.
    checked: std::sync::Mutex<std::time::Instant>,
}

/// [`IndexStore::is_stale`] asks the cluster at most this often.
const STALE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

fn doc_ref(h: u64) -> DocRef {
    DocRef {
        seg: (h >> 32) as u32,
        doc: h as u32,
    }
}

fn number(r: DocRef) -> u64 {
    (u64::from(r.seg) << 32) | u64::from(r.doc)
}

impl RedisIndex {
    /// Opens the index at `url`: checks its format version, reads its counts and document
    /// frequencies.
    pub fn open(url: &str, classes: &'static SynClasses) -> Result<Self, IndexError> {
        let cluster = Cluster::connect(url)?;
        match cluster.format()? {
            None => {
                return Err(IndexError::NoIndex {
                    path: format!("{} (no {} key)", cluster.url.url, cluster.keys.format()).into(),
                });
            }
            Some(f) => cluster.check_format(f)?,
        }
        classes.warm_up();
        let stats = read_stats(&cluster)?;
        let df = read_df(&cluster)?;
        Ok(RedisIndex {
            cluster,
            stats,
            df,
            checked: std::sync::Mutex::new(std::time::Instant::now()),
        })
    }

    fn doc_fields(&self, r: DocRef, fields: &[&str]) -> Result<Vec<Option<Vec<u8>>>, IndexError> {
        let h = number(r);
        let key = self.cluster.keys.doc(h);
        let v: Vec<Option<Vec<u8>>> = self
            .cluster
            .retry(5, |c| redis::cmd("HMGET").arg(&key).arg(fields).query(c))
            .map_err(|(e, _)| self.cluster.err(format!("reading {key}: {e}")))?;
        if v.first().is_none_or(|id| id.is_none()) {
            return Err(self.cluster.err(format!(
                "{key}: no such document (removed while searching?)"
            )));
        }
        Ok(v)
    }
}

/// Counts of all tags (one pipelined read of the 1,024 counter hashes).
pub(crate) fn read_stats(cluster: &Cluster) -> Result<Stats, IndexError> {
    let mut p = cluster_pipe();
    for t in 0..TAGS {
        p.cmd("HMGET")
            .arg(cluster.keys.counts(t))
            .arg(&["docs", "chunks", "bytes"]);
    }
    p.cmd("GET").arg(cluster.keys.generation());
    let (rows, generation): (Vec<Vec<Option<i64>>>, Option<u64>) = cluster
        .retry(5, |c| {
            let mut v: Vec<redis::Value> = p.query(c)?;
            let g = v.pop().unwrap_or(redis::Value::Nil);
            Ok((
                redis::from_redis_value(redis::Value::Array(v))?,
                redis::from_redis_value(g)?,
            ))
        })
        .map_err(|(e, _)| cluster.err(format!("reading the document counts: {e}")))?;
    let mut s = Stats {
        dir: cluster.url.url.clone().into(),
        format: super::REDIS_FORMAT,
        generation: generation.unwrap_or(0),
        docs: 0,
        deleted: 0,
        chunks: 0,
        segments: 0,
        bytes: 0,
    };
    for r in rows {
        let at = |i: usize| r.get(i).copied().flatten().unwrap_or(0).max(0) as u64;
        s.docs += at(0);
        s.chunks += at(1);
        s.bytes += at(2);
    }
    Ok(s)
}

/// The document-frequency sketch (64 strings of big-endian u16 counters, and the totals).
fn read_df(cluster: &Cluster) -> Result<DocFreq, IndexError> {
    let mut p = cluster_pipe();
    for i in 0..DF_KEYS {
        p.cmd("GET").arg(cluster.keys.df(i));
    }
    p.cmd("HMGET")
        .arg(cluster.keys.df_totals())
        .arg(&["docs", "words"]);
    let v: Vec<redis::Value> = cluster
        .retry(5, |c| p.query(c))
        .map_err(|(e, _)| cluster.err(format!("reading the document frequencies: {e}")))?;
    let per = DocFreq::COUNTERS / DF_KEYS;
    let mut rows = vec![0u16; DocFreq::COUNTERS];
    let bad = |e: redis::ParsingError| cluster.err(format!("document frequencies: {e}"));
    for (i, val) in v.iter().take(DF_KEYS).enumerate() {
        let bytes: Option<Vec<u8>> = redis::from_redis_value_ref(val).map_err(bad)?;
        let bytes = bytes.unwrap_or_default();
        for (j, c) in bytes.chunks_exact(2).take(per).enumerate() {
            rows[i * per + j] = u16::from_be_bytes([c[0], c[1]]);
        }
    }
    let totals: Vec<Option<u64>> = match v.get(DF_KEYS) {
        Some(t) => redis::from_redis_value_ref(t).map_err(bad)?,
        None => Vec::new(),
    };
    let at = |i: usize| totals.get(i).copied().flatten().unwrap_or(0);
    DocFreq::from_parts(at(0), at(1), rows)
        .ok_or_else(|| cluster.err("document-frequency sketch of the wrong size"))
}

/// Decompresses a stored text.
pub(crate) fn unpack_text(cluster: &Cluster, key: &str, x: &[u8]) -> Result<String, IndexError> {
    let raw = zstd::stream::decode_all(x)
        .map_err(|e| cluster.err(format!("{key}: text does not decompress: {e}")))?;
    String::from_utf8(raw).map_err(|_| cluster.err(format!("{key}: text is not UTF-8")))
}

impl BucketStore for RedisIndex {
    fn get(&self, band: usize, key: u32, f: &mut dyn FnMut(ChunkRef)) -> Result<(), IndexError> {
        let k = self.cluster.keys.posting(band, key);
        let v: Vec<u64> = self
            .cluster
            .retry(5, |c| redis::cmd("SMEMBERS").arg(&k).query(c))
            .map_err(|(e, _)| self.cluster.err(format!("reading {k}: {e}")))?;
        v.into_iter().for_each(f);
        Ok(())
    }

    fn get_bands(
        &self,
        keys: &[u32; BANDS],
        skip: u32,
        f: &mut dyn FnMut(usize, ChunkRef),
    ) -> Result<(), IndexError> {
        let bands: Vec<usize> = (0..BANDS).filter(|b| skip >> b & 1 == 0).collect();
        if bands.is_empty() {
            return Ok(());
        }
        let mut p = cluster_pipe();
        for &b in &bands {
            p.cmd("SMEMBERS").arg(self.cluster.keys.posting(b, keys[b]));
        }
        let v: Vec<Vec<u64>> = self
            .cluster
            .retry(5, |c| p.query(c))
            .map_err(|(e, _)| self.cluster.err(format!("reading LSH buckets: {e}")))?;
        for (&b, docs) in bands.iter().zip(v) {
            let mut docs = docs;
            // set order is arbitrary: sorted, so that every reader sees the same order
            docs.sort_unstable();
            docs.into_iter().for_each(|c| f(b, c));
        }
        Ok(())
    }
}

impl IndexStore for RedisIndex {
    fn stats(&self) -> Stats {
        self.stats.clone()
    }

    fn doc_freq(&self) -> Option<&DocFreq> {
        Some(&self.df)
    }

    fn chunk_doc(&self, c: ChunkRef) -> Result<Option<DocRef>, IndexError> {
        // postings hold document numbers; removals delete postings before documents
        Ok(Some(doc_ref(c)))
    }

    fn doc(&self, r: DocRef) -> Result<StoredDoc, IndexError> {
        let v = self.doc_fields(r, &["id", "t", "u", "x"])?;
        let key = self.cluster.keys.doc(number(r));
        let s =
            |i: usize| String::from_utf8_lossy(v[i].as_deref().unwrap_or_default()).into_owned();
        let text = unpack_text(&self.cluster, &key, v[3].as_deref().unwrap_or_default())?;
        Ok(StoredDoc {
            id: s(0),
            title: s(1),
            url: s(2),
            text,
        })
    }

    fn meta(&self, r: DocRef) -> Result<(String, String, String), IndexError> {
        let v = self.doc_fields(r, &["id", "t", "u"])?;
        let s =
            |i: usize| String::from_utf8_lossy(v[i].as_deref().unwrap_or_default()).into_owned();
        Ok((s(0), s(1), s(2)))
    }

    fn text(&self, r: DocRef) -> Result<String, IndexError> {
        let v = self.doc_fields(r, &["id", "x"])?;
        let key = self.cluster.keys.doc(number(r));
        unpack_text(&self.cluster, &key, v[1].as_deref().unwrap_or_default())
    }

    fn find_id(&self, id: &str) -> Result<Option<DocRef>, IndexError> {
        let h = doc_number(id);
        let key = self.cluster.keys.doc(h);
        let got: Option<String> = self
            .cluster
            .retry(5, |c| redis::cmd("HGET").arg(&key).arg("id").query(c))
            .map_err(|(e, _)| self.cluster.err(format!("reading {key}: {e}")))?;
        Ok((got.as_deref() == Some(id)).then_some(doc_ref(h)))
    }

    fn is_stale(&self) -> bool {
        let Ok(mut t) = self.checked.lock() else {
            return false;
        };
        if t.elapsed() < STALE_CHECK {
            return false;
        }
        *t = std::time::Instant::now();
        let key = self.cluster.keys.generation();
        let g: Result<Option<u64>, _> = self.cluster.with(|c| redis::cmd("GET").arg(&key).query(c));
        g.is_ok_and(|g| g.unwrap_or(0) != self.stats.generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_refs_round_trip() {
        for h in [0u64, 1, u64::MAX >> 1, doc_number("x")] {
            assert_eq!(number(doc_ref(h)), h);
        }
    }
}
