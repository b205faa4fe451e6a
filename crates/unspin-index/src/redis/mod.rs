//! A shared index on Redis Cluster: `--index redis://host:port[,host:port...][/name]`.
//!
//! Several `unspin serve` instances and `find` processes read one index, and any number of
//! `index add` processes write it: a batch is visible to every reader once acknowledged.
//!
//! Key layout (`N` is the index name, `unspin` unless the URL names one; format
//! [`REDIS_FORMAT`]):
//!
//! ```text
//! N:format          the format version (checked on every open)
//! N:d:{T}:H         hash of one document: id, t(itle), u(rl), x (zstd text), k (chunks)
//!                   H = 63-bit hash of the id (the document number), T = H mod 1024
//! N:n:{T}           hash: docs, chunks, bytes of the documents of tag T (updated with the
//!                   document by one script, so that a retried add counts a document once)
//! N:p:B:K           set of the document numbers filed under key K of LSH band B
//! N:df:I            64 strings of 65,536 saturating u16 counters (BITFIELD): the
//!                   document-frequency sketch of [`crate::df`], counter I·65,536 + j at #j
//! N:dfn             hash: docs, words (the sketch's totals)
//! N:gen             incremented by every batch (readers that cache counts re-read them)
//! ```
//!
//! The postings (most of the keys) spread over all slots; a document and its tag's counters
//! share a hash tag (one script updates both atomically); the 1,024 tags spread documents
//! over 1,024 slots of every primary. Adds are idempotent by document id: the document number
//! is a hash of the id, postings are sets, and the script counts a document only when its
//! hash did not hold it. A retried batch neither loses nor duplicates documents (the
//! document-frequency counters, which only grow, may count it twice: scores err towards
//! caution, as with the embedded store's replaced documents).
//!
//! Faults: every batch is retried with backoff (a fresh connection, hence a fresh slot map)
//! on connection errors, `MOVED`, `CLUSTERDOWN`, `TRYAGAIN`, `READONLY` (a failover in
//! progress) for up to [`RETRY_SECS`] seconds, then fails with an error naming the batch. A
//! batch is acknowledged after `WAIT 1` on every primary: when a primary dies, its replica
//! (promoted) holds every acknowledged document.

mod read;
mod write;

pub use read::RedisIndex;
pub use write::RedisWriter;

use crate::error::IndexError;
use redis::cluster::{ClusterClient, ClusterConnection};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Format version of the key layout.
pub const REDIS_FORMAT: u32 = 1;
/// Documents are spread over this many hash tags.
pub const TAGS: u64 = 1024;
/// Document-frequency counter strings.
pub const DF_KEYS: usize = 64;
/// A failing batch is retried for this many seconds (`UNSPIN_REDIS_RETRY_SECS` overrides).
pub const RETRY_SECS: u64 = 30;

/// A parsed index URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// The URL as given (named in every error).
    pub url: String,
    /// `redis://host:port` of each seed node.
    pub nodes: Vec<String>,
    /// Index name (key prefix).
    pub name: String,
}

impl RedisUrl {
    /// Parses `redis://host:port[,host:port...][/name]`.
    pub fn parse(url: &str) -> Result<RedisUrl, IndexError> {
        let bad = |problem: String| IndexError::Redis {
            url: url.to_string(),
            problem,
        };
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| bad("not a redis:// URL".into()))?;
        let (hosts, name) = match rest.split_once('/') {
            Some((h, n)) => (h, n),
            None => (rest, ""),
        };
        let name = if name.is_empty() { "unspin" } else { name };
        if name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(format!(
                "index name `{name}`: use up to 64 letters, digits, `-`, `_`, `.`"
            )));
        }
        let mut nodes = Vec::new();
        for h in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let ok = h
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !ok {
                return Err(bad(format!("`{h}` is not host:port")));
            }
            nodes.push(format!("redis://{h}"));
        }
        if nodes.is_empty() {
            return Err(bad("no host:port given".into()));
        }
        Ok(RedisUrl {
            url: url.to_string(),
            nodes,
            name: name.to_string(),
        })
    }
}

/// The document number of an id (63 bits: Redis stores small sets of them as integers).
pub fn doc_number(id: &str) -> u64 {
    crate::hash::mix64(crate::hash::hash_str(id) ^ 0x5245_4449_5355_4e53) >> 1
}

/// Keys of an index.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    name: String,
}

impl Keys {
    pub(crate) fn format(&self) -> String {
        format!("{}:format", self.name)
    }
    pub(crate) fn doc(&self, h: u64) -> String {
        format!("{}:d:{{{}}}:{h}", self.name, h % TAGS)
    }
    pub(crate) fn counts(&self, tag: u64) -> String {
        format!("{}:n:{{{tag}}}", self.name)
    }
    pub(crate) fn posting(&self, band: usize, key: u32) -> String {
        format!("{}:p:{band}:{key}", self.name)
    }
    pub(crate) fn df(&self, i: usize) -> String {
        format!("{}:df:{i}", self.name)
    }
    pub(crate) fn df_totals(&self) -> String {
        format!("{}:dfn", self.name)
    }
    pub(crate) fn generation(&self) -> String {
        format!("{}:gen", self.name)
    }
}

/// A connection pool over one cluster (connections are not shared between threads).
pub(crate) struct Cluster {
    pub(crate) url: RedisUrl,
    pub(crate) keys: Keys,
    client: ClusterClient,
    pool: Mutex<Vec<ClusterConnection>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCluster")
            .field("url", &self.url.url)
            .finish()
    }
}

/// Whether an error may go away on retry (a node lost, a failover, a slot moved).
pub(crate) fn transient(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_cluster_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(
            e.code(),
            Some(
                "READONLY"
                    | "CLUSTERDOWN"
                    | "TRYAGAIN"
                    | "MOVED"
                    | "ASK"
                    | "MASTERDOWN"
                    | "LOADING"
            )
        )
}

impl Cluster {
    /// Connects (one connection, to check the cluster answers).
    pub(crate) fn connect(url: &str) -> Result<Cluster, IndexError> {
        let url = RedisUrl::parse(url)?;
        let client = ClusterClient::builder(url.nodes.clone())
            .connection_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(10))
            .retries(4)
            .min_retry_wait(50)
            .max_retry_wait(1000)
            .build()
            .map_err(|e| IndexError::Redis {
                url: url.url.clone(),
                problem: format!("bad cluster address: {e}"),
            })?;
        let c = Cluster {
            keys: Keys {
                name: url.name.clone(),
            },
            url,
            client,
            pool: Mutex::new(Vec::new()),
        };
        let conn = c.new_conn()?;
        c.put(conn);
        Ok(c)
    }

    fn new_conn(&self) -> Result<ClusterConnection, IndexError> {
        self.client.get_connection().map_err(|e| {
            self.err(format!(
                "cannot reach the Redis Cluster (is it running, in cluster mode?): {e}"
            ))
        })
    }

    fn put(&self, c: ClusterConnection) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(c);
        }
    }

    /// An error about this index.
    pub(crate) fn err(&self, problem: impl Into<String>) -> IndexError {
        IndexError::Redis {
            url: self.url.url.clone(),
            problem: problem.into(),
        }
    }

    /// Runs `f` on a pooled connection (a connection that failed is dropped).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut ClusterConnection) -> redis::RedisResult<T>,
    ) -> Result<T, redis::RedisError> {
        let conn = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut conn = match conn {
            Some(c) => c,
            None => self.client.get_connection()?,
        };
        let r = f(&mut conn);
        if r.is_ok() {
            self.put(conn);
        }
        r
    }

    /// Runs `f`, retrying transient errors with backoff for up to `secs` seconds.
    pub(crate) fn retry<T>(
        &self,
        secs: u64,
        mut f: impl FnMut(&mut ClusterConnection) -> redis::RedisResult<T>,
    ) -> Result<T, (redis::RedisError, u32)> {
        let start = Instant::now();
        let mut wait = Duration::from_millis(50);
        let mut tries = 0u32;
        loop {
            tries += 1;
            match self.with(&mut f) {
                Ok(v) => return Ok(v),
                Err(e) if transient(&e) && start.elapsed() < Duration::from_secs(secs) => {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err((e, tries)),
            }
        }
    }

    /// Reads the format key: `None` when the index does not exist.
    pub(crate) fn format(&self) -> Result<Option<u32>, IndexError> {
        let key = self.keys.format();
        let v: Option<String> = self
            .retry(5, |c| redis::cmd("GET").arg(&key).query(c))
            .map_err(|(e, _)| self.err(format!("reading {key}: {e}")))?;
        match v {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| self.err(format!("{key} holds `{s}`, not a format version"))),
        }
    }

    /// Fails unless the format key holds [`REDIS_FORMAT`].
    pub(crate) fn check_format(&self, found: u32) -> Result<(), IndexError> {
        if found == REDIS_FORMAT {
            Ok(())
        } else {
            Err(IndexError::Version {
                path: format!("{} ({})", self.url.url, self.keys.format()).into(),
                found,
                expected: REDIS_FORMAT,
            })
        }
    }
}

/// Seconds a failing batch is retried.
pub(crate) fn retry_secs() -> u64 {
    std::env::var("UNSPIN_REDIS_RETRY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(RETRY_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = RedisUrl::parse("redis://127.0.0.1:7000,127.0.0.1:7001/docs-1").unwrap();
        assert_eq!(
            u.nodes,
            ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
        assert_eq!(u.name, "docs-1");
        assert_eq!(RedisUrl::parse("redis://h:1").unwrap().name, "unspin");
        for bad in [
            "redis://",
            "redis://host",
            "redis://host:port",
            "redis://h:1/a{b}",
            "http://h:1",
        ] {
            let e = RedisUrl::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with(bad), "{e}");
        }
    }

    #[test]
    fn keys_tag_documents_with_their_counters() {
        let k = Keys { name: "n".into() };
        let h = doc_number("some id");
        assert!(h < 1 << 63);
        let tag = |s: &str| s[s.find('{').unwrap()..=s.find('}').unwrap()].to_string();
        assert_eq!(tag(&k.doc(h)), tag(&k.counts(h % TAGS)));
        assert!(!k.posting(3, 99).contains('{'));
    }
}
