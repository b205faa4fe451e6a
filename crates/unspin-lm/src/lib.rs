//! Language model of unspin.
//!
//! * Estimation of interpolated modified Kneser–Ney n-gram models from a corpus
//!   ([`build_from_corpus`]), with count-cutoff pruning that keeps every context normalised.
//! * A compact binary format: vocabulary hash table, per-order linear-probing hash tables of
//!   bit-packed fingerprints and quantised log10 probabilities/backoffs, read in place from
//!   a memory map or from `include_bytes!` ([`Model`]).
//! * ARPA import ([`compile_arpa`]) and export ([`Model::write_arpa`]).
//!
//! # The shipped model
//!
//! `model/en/lm.bin` (51.0 MB, CC BY-SA 3.0, see `MODEL_NOTICE.md`) is rebuilt from the
//! repository root with
//!
//! ```text
//! cargo run --release -p unspin-lm --example build_lm -- --out model/en/lm.bin
//! ```
//!
//! i.e. [`build_from_corpus`] on `../shared/corpora/enwiki2015.jsonl.zst` with
//! [`BuildOptions::default`]: order 4, 164,494-word vocabulary, count cutoffs then
//! weighted-difference pruning; deterministic (same bytes on every run).
//!
//! # Tokens
//!
//! Text must be turned into tokens with [`lm_sentences`], the function the model was
//! trained with:
//!
//! ```no_run
//! # fn main() -> Result<(), unspin_lm::LmError> {
//! let model = unspin_lm::Model::open(std::path::Path::new("model/en/lm.bin"))?;
//! for sentence in unspin_lm::lm_sentences("The cat sat on the mat.") {
//!     let ids: Vec<u32> = sentence.iter().map(|w| model.id(w)).collect();
//!     println!("{}", model.sentence_log10(&ids));
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod arpa;
mod binary;
mod build;
mod data;
mod error;
mod hash;
mod quant;
mod text;

pub use arpa::{read_arpa, write_arpa_data};
pub use binary::{
    BinaryOptions, FORMAT_VERSION, Model, State, binary_bytes, compile_arpa, compile_arpa_with,
    write_binary,
};
pub use build::{
    BuildOptions, BuildStats, Discounts, build_from_corpus, build_variants, estimate_from_texts,
};
pub use data::{NgramData, OrderData, RefQuery};
pub use error::LmError;
pub use text::lm_sentences;

/// A word id of a [`Model`].
pub type WordId = u32;

/// Largest supported model order.
pub const MAX_ORDER: usize = 6;

#[cfg(test)]
mod tests;
