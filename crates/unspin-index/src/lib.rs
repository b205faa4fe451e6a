//! Source finding for unspin: which original was a spun copy made from, how much of it, and
//! which substitutions were made.
//!
//! The public face is at the crate root:
//!
//! - [`Index`] / [`IndexWriter`]: open or create an index at a [`Location`] (an embedded
//!   directory of immutable segment files with an atomic manifest, or a Redis Cluster with the
//!   cargo feature `redis`, on by default); [`NewDoc`] to add, [`verify`] to check the files;
//! - [`find`] / [`find_all`] with [`FindOptions`]: candidates by MinHash LSH over spin-robust
//!   word keys (immutables by exact form, other words by synonym class, [`SynClasses`]), then
//!   passages re-scored by bits of evidence and an E-value ([`Hit`]);
//! - [`compare`] with [`AlignParams`]: passages and the token alignment of a suspect with a
//!   source, and the substitution table ([`Comparison`]);
//! - [`LearnedLexicon`]: aligned substitutions merged into a user lexicon for `check`;
//! - the store traits ([`IndexStore`], [`IndexSink`], [`BucketStore`]) for other back ends.
//!
//! [`scheme`] exposes the fingerprint scheme's building blocks for the measurement examples
//! and benchmarks; it follows the on-disk format, not a stability promise.

#![warn(missing_docs)]

mod align;
mod classes;
mod df;
mod error;
mod features;
mod handle;
mod hash;
mod index;
mod input;
mod lexicon;
mod minhash;
#[cfg(feature = "redis")]
mod redis;
mod score;
mod search;
mod segment;
mod store;

pub use align::{
    AlignParams, Comparison, Passage, PassageMatch, SubPair, Substitution, TableRow, compare,
    coverage, passages, phrase_key, substitutions,
};
pub use classes::{DEFAULT_HOPS, SynClasses, build_classes};
pub use error::IndexError;
pub use handle::{Index, IndexWriter, Location};
pub use index::{
    DirIndex, DirWriter, DocRef, FORMAT_VERSION, Manifest, MergeStats, NewDoc, SegmentCheck,
    SegmentEntry, SegmentStatus, Stats, default_index_dir, verify,
};
pub use input::{new_doc, parse_jsonl_line};
pub use lexicon::Lexicon as LearnedLexicon;
#[cfg(feature = "redis")]
pub use redis::{RedisIndex, RedisUrl, RedisWriter};
pub use search::{DEFAULT_MAX_EVALUE, FindOptions, Found, Hit, Span, find, find_all};
pub use store::{
    BucketSink, BucketStore, ChunkRef, IndexSink, IndexStore, Limits, MemBuckets, Posting,
};

/// Building blocks of the fingerprint scheme (word keys, windows, bands, chunk keys, hashes),
/// for the measurement examples and benchmarks.
pub mod scheme {
    pub use crate::features::{CHUNK, WordFeat, content_positions, window_features, word_features};
    pub use crate::hash::{combine, hash_str};
    pub use crate::index::chunk_keys;
    pub use crate::minhash::BANDS;
    pub use crate::segment::BLOCK_BYTES;
}
