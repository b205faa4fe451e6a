//! What the `unspin` CLI, its server (`unspin serve`) and its Python package share, so that
//! the three give the same answers in the same shape:
//!
//! - [`models`]: finding and loading the model (the built-in English model is embedded here
//!   with the `embedded-model` feature) and adapting it to the engine;
//! - [`report`]: a checked document's report ([`report::DocReport`], the JSON of
//!   `check --format json`);
//! - [`from_source`]: restoration from a source found in an index (`check --index`);
//! - [`answers`]: the JSON answers of `find` and `compare`, and the checks of their options.

#![warn(missing_docs)]

pub mod answers;
pub mod from_source;
pub mod models;
pub mod report;
