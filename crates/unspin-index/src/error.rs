//! Errors of the index crate. Every variant names the file or index it concerns.

use std::path::{Path, PathBuf};

/// An error reading, writing or querying an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {err}")]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error (shown in the message, so not chained as a source).
        err: std::io::Error,
    },
    /// A file exists but its content is not what the format requires.
    #[error("{path}: corrupt index data: {problem}")]
    Corrupt {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file was written by an incompatible format version.
    #[error("{path}: format version {found}, this build reads version {expected}")]
    Version {
        /// File concerned.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
    /// No index at the given directory.
    #[error("{path}: no unspin index here (run `unspin index add` first)")]
    NoIndex {
        /// Index directory.
        path: PathBuf,
    },
    /// Another process holds the writer lock.
    #[error("{path}: index is locked by another writer")]
    Locked {
        /// Lock file.
        path: PathBuf,
    },
    /// Input that cannot be indexed (e.g. a JSONL line without `id`/`text`).
    #[error("{path}: {problem}")]
    BadInput {
        /// Input file (or `-`).
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A Redis Cluster index (named by its URL) failed or refused an operation.
    #[error("{url}: {problem}")]
    Redis {
        /// The index URL (`redis://host:port,.../name`).
        url: String,
        /// What was wrong.
        problem: String,
    },
    /// A batch of `index add` into a Redis Cluster index failed after its retries: the
    /// documents of earlier batches are in the index, this batch's may be partly.
    #[error(
        "{url}: batch {batch} (documents {first}..{last}) not acknowledged after {tries} tries: {problem}; the documents of earlier batches are in the index, add this batch and the rest again (adds are idempotent)"
    )]
    RedisBatch {
        /// The index URL.
        url: String,
        /// Batch number (from 1) of this writer.
        batch: u64,
        /// First document id of the batch.
        first: String,
        /// Last document id of the batch.
        last: String,
        /// Tries made.
        tries: u32,
        /// The last error.
        problem: String,
    },
}

impl IndexError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.as_ref().to_path_buf(),
            err: source,
        }
    }

    /// A corruption error for `path`.
    pub fn corrupt(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        IndexError::Corrupt {
            path: path.as_ref().to_path_buf(),
            problem: problem.into(),
        }
    }
}
