//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while building, reading or writing a language model.
///
/// Every variant names the file involved (`<embedded>` for models given as bytes,
/// `<output>` for writers) and says what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum LmError {
    /// Reading or writing a file failed.
    #[error("{path}: I/O error: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the model magic bytes.
    #[error("{path}: not an unspin language model (bad magic bytes)")]
    BadMagic {
        /// The file.
        path: PathBuf,
    },
    /// The file has a format version this build cannot read.
    #[error(
        "{path}: unsupported model format version {found} (this build reads version {expected})"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The binary model is truncated or corrupt.
    #[error("{path}: corrupt or truncated model: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// An ARPA file could not be parsed.
    #[error("{path}:{line}: bad ARPA file: {what}")]
    Arpa {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the problem is not tied to a line).
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// A corpus file could not be read.
    #[error("{path}: bad corpus (line {line}): {what}")]
    Corpus {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// Build options or input data cannot produce a model.
    #[error("cannot build model for {path}: {what}")]
    Build {
        /// The output (or input) file concerned.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
}

impl LmError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LmError::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn corrupt(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        LmError::Corrupt {
            path: path.into(),
            what: what.into(),
        }
    }
    pub(crate) fn build(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        LmError::Build {
            path: path.into(),
            what: what.into(),
        }
    }
}
