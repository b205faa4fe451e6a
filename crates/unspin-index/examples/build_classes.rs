//! Builds `model/en/classes.fst` from Moby Thesaurus II and WordNet 3.0.
//!
//! `cargo run --release -p unspin-index --example build_classes -- data/sources/moby.txt data/sources/wordnet model/en/classes.fst`
use std::path::Path;
use unspin_index::{DEFAULT_HOPS, SynClasses, build_classes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 4 {
        return Err("usage: build_classes MOBY.txt WORDNET_DIR OUT.fst".into());
    }
    let moby = std::fs::read_to_string(&a[1])?;
    let (pairs, stats) = build_classes(&moby, Some(Path::new(&a[2])), DEFAULT_HOPS)?;
    let bytes = SynClasses::to_bytes(&pairs, stats.common)?;
    std::fs::write(&a[3], &bytes)?;
    eprintln!("{stats:?}; {} bytes", bytes.len());
    Ok(())
}
