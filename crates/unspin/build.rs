//! Embeds the default model when `model/en/{lm.bin,lexicon.bin,terms.txt}` exist.
use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_model)");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../model/en");
    for f in ["lm.bin", "lexicon.bin", "terms.txt"] {
        println!("cargo::rerun-if-changed={}", dir.join(f).display());
    }
    let embed = std::env::var_os("CARGO_FEATURE_EMBEDDED_MODEL").is_some();
    if embed
        && ["lm.bin", "lexicon.bin", "terms.txt"]
            .iter()
            .all(|f| dir.join(f).is_file())
    {
        println!("cargo::rustc-cfg=embedded_model");
    }
}
