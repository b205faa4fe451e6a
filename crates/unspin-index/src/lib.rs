//! Source finding for unspin: which original was a spun copy made from, how much of it, and
//! which substitutions were made.
//!
//! - [`features`]: spin-robust word keys (immutables by exact form, other words by synonym
//!   class) over the `unspin-text` tokenizer;
//! - [`minhash`]: densified one-permutation MinHash and LSH banding;
//! - [`align`]: passage detection and token alignment, with the substitution table;
//! - [`index`]: the embedded on-disk index (immutable segment files + atomic manifest);
//! - [`handle`]: [`index::Index`] and [`index::IndexWriter`], over either store;
//! - `redis`: a shared index on Redis Cluster (cargo feature `redis`, on by default);
//! - [`store`]: the traits behind which an index's store lives ([`store::IndexStore`],
//!   [`store::IndexSink`], [`store::BucketStore`]);
//! - [`score`]: the reporting score (bits of evidence, E-value);
//! - [`search`]: candidates and re-scoring; [`input`]: documents read by `unspin-input`
//!   (the one reader of unspin) as documents to index.

pub mod align;
pub mod classes;
pub mod df;
pub mod error;
pub mod features;
pub mod handle;
pub mod hash;
pub mod index;
pub mod input;
pub mod lexicon;
pub mod minhash;
#[cfg(feature = "redis")]
pub mod redis;
pub mod score;
pub mod search;
pub mod segment;
pub mod store;

pub use classes::SynClasses;
pub use error::IndexError;
