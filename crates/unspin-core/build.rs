//! Embeds the default model when `model/en/{lm.bin,lexicon.bin,terms.txt,function-words.tsv,vectors.bin}`
//! exist.
use std::path::Path;

const MODEL_FILES: [&str; 5] = [
    "lm.bin",
    "lexicon.bin",
    "terms.txt",
    "function-words.tsv",
    "vectors.bin",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(embedded_model)");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../model/en");
    for f in MODEL_FILES {
        println!("cargo::rerun-if-changed={}", dir.join(f).display());
    }
    let embed = std::env::var_os("CARGO_FEATURE_EMBEDDED_MODEL").is_some();
    if embed && MODEL_FILES.iter().all(|f| dir.join(f).is_file()) {
        println!("cargo::rustc-cfg=embedded_model");
    }
}
