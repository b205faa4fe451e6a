//! Embeds the default model when `model/en/lm.bin` and `model/en/lexicon.bin` exist.
use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_model)");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../model/en");
    for f in ["lm.bin", "lexicon.bin"] {
        println!("cargo::rerun-if-changed={}", dir.join(f).display());
    }
    let embed = std::env::var_os("CARGO_FEATURE_EMBEDDED_MODEL").is_some();
    if embed && dir.join("lm.bin").is_file() && dir.join("lexicon.bin").is_file() {
        println!("cargo::rustc-cfg=embedded_model");
    }
}
