//! Errors of the lexicon crate.

use std::path::PathBuf;

/// Everything that can go wrong while building, opening or reading a lexicon or a source.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// An I/O error on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A compiled lexicon is malformed (bad magic, version, truncated, checksum, …).
    #[error("{path}: corrupt lexicon: {problem}")]
    Corrupt {
        /// The file (or `<static>` for `from_static`).
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A source file (thesaurus, WordNet, CSV, corpus, dictionary) could not be parsed.
    #[error("{path}:{line}: {problem}")]
    Source {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when not known).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The build could not produce a lexicon within its constraints.
    #[error("build: {0}")]
    Build(String),
}

impl LexiconError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LexiconError::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn corrupt(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        LexiconError::Corrupt {
            path: path.into(),
            problem: problem.into(),
        }
    }
    pub(crate) fn source(
        path: impl Into<PathBuf>,
        line: usize,
        problem: impl Into<String>,
    ) -> Self {
        LexiconError::Source {
            path: path.into(),
            line,
            problem: problem.into(),
        }
    }
}
