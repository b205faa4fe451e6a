//! tmp
pub mod align;
pub mod classes;
pub mod error;
pub mod features;
pub mod hash;
pub mod minhash;
pub mod testspin;
pub use classes::SynClasses;
pub use error::IndexError;
