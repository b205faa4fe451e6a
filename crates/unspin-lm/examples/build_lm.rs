//! Builds a binary language model from a `.jsonl.zst` corpus.
//!
//! ```text
//! cargo run --release -p unspin-lm --example build_lm -- \
//!     --corpus ../shared/corpora/enwiki2015.jsonl.zst --out model/en/lm.bin
//! ```
//! Options: `--order N`, `--min-count C`, `--cutoffs 0,1,2,3`, `--prune THRESHOLD`
//! (weighted-difference pruning), `--max-docs D`,
//! `--arpa FILE` (also write the unquantised ARPA), `--prob-bits B`, `--backoff-bits B`,
//! `--fp-bits B`, `--load F`, `--no-ngram-list`, `--variant OUT=CUTOFFS[@THRESHOLD]` (repeatable: one
//! counting pass, one model per cutoff list; replaces `--out`/`--cutoffs`).

use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut opts = unspin_lm::BuildOptions::default();
    // Defaults: the shipped model (run from the repository root).
    let mut corpus = PathBuf::from("../shared/corpora/enwiki2015.jsonl.zst");
    let mut out = PathBuf::from("model/en/lm.bin");
    let mut variants: Vec<(PathBuf, Vec<u64>, f64)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--corpus" => corpus = val()?.into(),
            "--out" => out = val()?.into(),
            "--order" => opts.order = val()?.parse()?,
            "--min-count" => opts.min_word_count = val()?.parse()?,
            "--cutoffs" => {
                opts.cutoffs = val()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--prune" => opts.prune_threshold = val()?.parse()?,
            "--max-docs" => opts.max_docs = Some(val()?.parse()?),
            "--arpa" => opts.arpa_out = Some(val()?.into()),
            "--prob-bits" => opts.binary.prob_bits = val()?.parse()?,
            "--backoff-bits" => opts.binary.backoff_bits = val()?.parse()?,
            "--unigram-bits" => opts.binary.unigram_bits = val()?.parse()?,
            "--fp-bits" => opts.binary.fingerprint_bits = val()?.parse()?,
            "--load" => opts.binary.load_factor = val()?.parse()?,
            "--no-ngram-list" => opts.binary.store_ngram_list = false,
            "--variant" => {
                let v = val()?;
                let (path, spec) = v
                    .split_once('=')
                    .ok_or("--variant OUT=c1,c2,…[@threshold]")?;
                let (cuts, theta) = spec.split_once('@').unwrap_or((spec, "0"));
                let cuts = cuts
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<Vec<u64>, _>>()?;
                variants.push((PathBuf::from(path), cuts, theta.parse()?));
            }
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let t0 = std::time::Instant::now();
    let mut progress = |m: &str| eprintln!("[{:7.1}s] {m}", t0.elapsed().as_secs_f64());
    if variants.is_empty() {
        let stats = unspin_lm::build_from_corpus(&corpus, &out, &opts, &mut progress)?;
        println!("{stats:#?}");
    } else {
        for st in unspin_lm::build_variants(&corpus, &variants, &opts, &mut progress)? {
            println!("{st:#?}");
        }
    }
    Ok(())
}
