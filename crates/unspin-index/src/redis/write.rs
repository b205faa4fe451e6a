//! The write side of a Redis Cluster index: pipelined, idempotent batches, retried through
//! failovers.

use super::read::unpack_text;
use super::{Cluster, DF_KEYS, REDIS_FORMAT, TAGS, doc_number, retry_secs};
use crate::classes::SynClasses;
use crate::df::DocFreq;
use crate::error::IndexError;
use crate::hash::FxMap;
use crate::index::{MergeStats, NewDoc, chunk_keys};
use crate::segment::PreparedDoc;
use crate::store::{IndexSink, Limits};
use rayon::prelude::*;
use redis::cluster::{ClusterConnection, cluster_pipe};

/// How long a batch waits for the replicas (milliseconds): on loopback or a LAN a replica
/// answers in well under a millisecond; a primary without a replica costs every batch this.
const WAIT_MS: u64 = 500;

/// Most documents per pipelined batch (a larger `--batch` is written in batches of this size).
pub const REDIS_BATCH: usize = 2000;

/// Stores one document and updates its tag's counts, atomically: a document already there
/// (a retried batch, or a replacement) is not counted again.
const ADD_SCRIPT: &str = "local o=redis.call('HGET',KEYS[1],'id') \
if o and o~=ARGV[1] then return redis.error_reply('ERR document number collision: '..o..' and '..ARGV[1]) end \
local k=tonumber(redis.call('HGET',KEYS[1],'k') or '0') \
local b=redis.call('HSTRLEN',KEYS[1],'x') \
redis.call('HSET',KEYS[1],'id',ARGV[1],'t',ARGV[2],'u',ARGV[3],'x',ARGV[4],'k',ARGV[5]) \
if not o then redis.call('HINCRBY',KEYS[2],'docs',1) end \
redis.call('HINCRBY',KEYS[2],'chunks',tonumber(ARGV[5])-k) \
redis.call('HINCRBY',KEYS[2],'bytes',string.len(ARGV[4])-b) \
if o then return 0 else return 1 end";

/// Deletes one document and uncounts it (nothing when absent).
const REMOVE_SCRIPT: &str = "local o=redis.call('HGET',KEYS[1],'id') \
if not o then return 0 end \
local k=tonumber(redis.call('HGET',KEYS[1],'k') or '0') \
local b=redis.call('HSTRLEN',KEYS[1],'x') \
redis.call('DEL',KEYS[1]) \
redis.call('HINCRBY',KEYS[2],'docs',-1) \
redis.call('HINCRBY',KEYS[2],'chunks',-k) \
redis.call('HINCRBY',KEYS[2],'bytes',-b) \
return 1";

/// A writer of a Redis Cluster index (any number may write one index at once).
#[derive(Debug)]
pub struct RedisWriter {
    cluster: Cluster,
    pending: Vec<NewDoc>,
    pending_bytes: usize,
    batches: u64,
    classes: &'static SynClasses,
}

/// A batch ready to be written.
struct Batch {
    docs: Vec<PreparedDoc>,
    /// Document numbers.
    numbers: Vec<u64>,
    /// zstd texts.
    packed: Vec<Vec<u8>>,
}

impl RedisWriter {
    /// Opens the index at `url` for writing, creating it when the cluster has none. Fails
    /// when the cluster is unreachable, refuses writes, or holds another format version.
    pub fn open(url: &str) -> Result<Self, IndexError> {
        let cluster = Cluster::connect(url)?;
        let key = cluster.keys.format();
        // a probe write: a read-only cluster (or one out of memory) says so here
        cluster
            .retry(5, |c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(REDIS_FORMAT)
                    .arg("NX")
                    .query::<Option<String>>(c)
            })
            .map_err(|(e, _)| cluster.err(format!("the cluster refuses writes ({key}): {e}")))?;
        match cluster.format()? {
            Some(f) => cluster.check_format(f)?,
            None => return Err(cluster.err(format!("{key} vanished after it was written"))),
        }
        let classes = SynClasses::embedded();
        classes.warm_up();
        Ok(RedisWriter {
            cluster,
            pending: Vec::new(),
            pending_bytes: 0,
            batches: 0,
            classes,
        })
    }

    fn flush(&mut self) -> Result<(), IndexError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut docs = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        // within a batch the last copy of an id wins
        let mut last: FxMap<String, usize> = FxMap::default();
        for (i, d) in docs.iter().enumerate() {
            last.insert(d.id.clone(), i);
        }
        if last.len() < docs.len() {
            let mut i = 0;
            docs.retain(|d| {
                let keep = last.get(&d.id) == Some(&i);
                i += 1;
                keep
            });
        }
        self.batches += 1;
        let (first, last_id) = (
            docs.first().map(|d| d.id.clone()).unwrap_or_default(),
            docs.last().map(|d| d.id.clone()).unwrap_or_default(),
        );
        let classes = self.classes;
        let prepared = crate::index::prepare_docs(docs, classes);
        let packed: Vec<Vec<u8>> = prepared
            .par_iter()
            .map(|d| zstd::bulk::compress(d.text.as_bytes(), 3))
            .collect::<Result<_, _>>()
            .map_err(|e| self.cluster.err(format!("compressing a text: {e}")))?;
        let batch = Batch {
            numbers: prepared.iter().map(|d| doc_number(&d.id)).collect(),
            docs: prepared,
            packed,
        };
        let cluster = &self.cluster;
        cluster
            .retry(retry_secs(), |c| write_batch(cluster, classes, &batch, c))
            .map_err(|(e, tries)| IndexError::RedisBatch {
                url: cluster.url.url.clone(),
                batch: self.batches,
                first,
                last: last_id,
                tries,
                problem: e.to_string(),
            })
    }
}

/// The postings of a batch's documents, grouped by key.
fn postings(docs: &[PreparedDoc], numbers: &[u64]) -> FxMap<(usize, u32), Vec<u64>> {
    let mut m: FxMap<(usize, u32), Vec<u64>> = FxMap::default();
    for (d, &h) in docs.iter().zip(numbers) {
        for keys in &d.chunks {
            for (b, &k) in keys.iter().enumerate() {
                let v = m.entry((b, k)).or_default();
                if v.last() != Some(&h) {
                    v.push(h);
                }
            }
        }
    }
    m
}

/// Document-frequency increments of a batch: (counter string, [(counter in it, count)]).
fn df_increments(docs: &[PreparedDoc]) -> Vec<Vec<(usize, u32)>> {
    let per = DocFreq::COUNTERS / DF_KEYS;
    let mut m: FxMap<usize, u32> = FxMap::default();
    for d in docs {
        for &t in &d.terms {
            for c in DocFreq::counters(t) {
                *m.entry(c).or_insert(0) += 1;
            }
        }
    }
    let mut out = vec![Vec::new(); DF_KEYS];
    for (c, n) in m {
        out[c / per].push((c % per, n));
    }
    out
}

/// Writes one batch (every step idempotent but the document-frequency counts): documents
/// first, then their postings, so that a posting never names a missing document; then waits
/// for every primary's replica.
fn write_batch(
    cluster: &Cluster,
    classes: &'static SynClasses,
    b: &Batch,
    c: &mut ClusterConnection,
) -> redis::RedisResult<()> {
    let keys = &cluster.keys;
    // replaced documents: their postings that the new text does not have go
    let mut p = cluster_pipe();
    for &h in &b.numbers {
        p.cmd("HGET").arg(keys.doc(h)).arg("x");
    }
    let old: Vec<Option<Vec<u8>>> = p.query(c)?;
    let new_posts = postings(&b.docs, &b.numbers);
    let mut stale: FxMap<(usize, u32), Vec<u64>> = FxMap::default();
    for ((d, &h), x) in b.docs.iter().zip(&b.numbers).zip(&old) {
        let Some(x) = x else { continue };
        let key = keys.doc(h);
        let Ok(old_text) = unpack_text(cluster, &key, x) else {
            continue;
        };
        if old_text == d.text {
            continue;
        }
        for ks in chunk_keys(&old_text, classes) {
            for (band, &k) in ks.iter().enumerate() {
                if !new_posts.get(&(band, k)).is_some_and(|v| v.contains(&h)) {
                    stale.entry((band, k)).or_default().push(h);
                }
            }
        }
    }
    let mut p = cluster_pipe();
    for ((d, &h), x) in b.docs.iter().zip(&b.numbers).zip(&b.packed) {
        p.cmd("EVAL")
            .arg(ADD_SCRIPT)
            .arg(2)
            .arg(keys.doc(h))
            .arg(keys.counts(h % TAGS))
            .arg(&d.id)
            .arg(&d.title)
            .arg(&d.url)
            .arg(x.as_slice())
            .arg(d.chunks.len())
            .ignore();
    }
    for ((band, k), hs) in &stale {
        p.cmd("SREM").arg(keys.posting(*band, *k)).arg(hs).ignore();
    }
    p.exec(c)?;
    let mut p = cluster_pipe();
    for ((band, k), hs) in &new_posts {
        p.cmd("SADD").arg(keys.posting(*band, *k)).arg(hs).ignore();
    }
    for (i, incs) in df_increments(&b.docs).into_iter().enumerate() {
        if incs.is_empty() {
            continue;
        }
        let cmd = p.cmd("BITFIELD").arg(keys.df(i)).arg("OVERFLOW").arg("SAT");
        for (j, n) in incs {
            cmd.arg("INCRBY").arg("u16").arg(format!("#{j}")).arg(n);
        }
        cmd.ignore();
    }
    let words: usize = b.docs.iter().map(|d| d.content_words).sum();
    p.cmd("HINCRBY")
        .arg(keys.df_totals())
        .arg("docs")
        .arg(b.docs.len())
        .ignore();
    p.cmd("HINCRBY")
        .arg(keys.df_totals())
        .arg("words")
        .arg(words)
        .ignore();
    p.cmd("INCR").arg(keys.generation()).ignore();
    p.exec(c)?;
    wait_replicas(c)
}

/// `WAIT 1` on every primary: the batch is on a replica before it is acknowledged (a primary
/// without a replica, e.g. after a failover, answers 0 after [`WAIT_MS`]: the batch is then as
/// durable as that primary).
fn wait_replicas(c: &mut ClusterConnection) -> redis::RedisResult<()> {
    redis::cmd("WAIT")
        .arg(1)
        .arg(WAIT_MS)
        .query::<i64>(c)
        .map(|_| ())
}

impl IndexSink for RedisWriter {
    fn add(&mut self, doc: NewDoc, l: &Limits) -> Result<bool, IndexError> {
        self.pending_bytes += doc.text.len();
        self.pending.push(doc);
        let full = self.pending.len() >= l.batch_docs.clamp(1, REDIS_BATCH)
            || self.pending_bytes >= l.batch_bytes;
        if full {
            self.flush()?;
        }
        Ok(full)
    }

    fn commit(&mut self, _: &Limits) -> Result<(), IndexError> {
        self.flush()
    }

    fn remove(&mut self, id: &str) -> Result<bool, IndexError> {
        let before = self.pending.len();
        self.pending.retain(|d| d.id != id);
        let queued = before != self.pending.len();
        let h = doc_number(id);
        let cluster = &self.cluster;
        let keys = &cluster.keys;
        let key = keys.doc(h);
        let got: (Option<String>, Option<Vec<u8>>) = cluster
            .retry(retry_secs(), |c| {
                redis::cmd("HMGET").arg(&key).arg("id").arg("x").query(c)
            })
            .map_err(|(e, _)| cluster.err(format!("reading {key}: {e}")))?;
        let (Some(stored), Some(x)) = got else {
            return Ok(queued);
        };
        if stored != id {
            return Ok(queued);
        }
        let text = unpack_text(cluster, &key, &x)?;
        let chunks = chunk_keys(&text, self.classes);
        cluster
            .retry(retry_secs(), |c| {
                // postings first: a posting never names a missing document
                let mut p = cluster_pipe();
                for ks in &chunks {
                    for (band, &k) in ks.iter().enumerate() {
                        p.cmd("SREM").arg(keys.posting(band, k)).arg(h).ignore();
                    }
                }
                p.exec(c)?;
                let mut p = cluster_pipe();
                p.cmd("EVAL")
                    .arg(REMOVE_SCRIPT)
                    .arg(2)
                    .arg(&key)
                    .arg(keys.counts(h % TAGS))
                    .ignore();
                p.cmd("INCR").arg(keys.generation()).ignore();
                p.exec(c)?;
                wait_replicas(c)
            })
            .map_err(|(e, _)| cluster.err(format!("removing {id}: {e}")))?;
        Ok(true)
    }

    fn pending(&self) -> usize {
        self.pending.len()
    }

    fn merge(&mut self, _: &Limits) -> Result<MergeStats, IndexError> {
        self.flush()?;
        Err(self.cluster.err(
            "nothing to optimize: a Redis index has no segments (removed documents are deleted at once)",
        ))
    }

    fn drop_segments(&mut self, _: &[String], _: &Limits) -> Result<u64, IndexError> {
        Err(self
            .cluster
            .err("a Redis index has no segment files to verify or repair"))
    }
}
