//! `unspin model …`, `unspin spin` and `unspin eval`: building models and measuring them.

use crate::input;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;
use unspin_engine::eval::{Counts, Labelled, TrueEdit, count_words};
use unspin_engine::{CheckOptions, DEFAULT_THRESHOLD, Params};

#[derive(Subcommand)]
pub enum ModelCmd {
    /// Build the English model (lm.bin + lexicon.bin) from the corpus and thesauri.
    #[command(
        after_help = "Example (from the repository root, after scripts/fetch-sources.sh):\n  \
        unspin model build --out model/en"
    )]
    Build(BuildArgs),
    /// Show what a model contains.
    Info {
        /// Model directory (default: the built-in model).
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
    },
    /// Write the language model in ARPA format (e.g. to load it in KenLM).
    ExportArpa {
        /// Model directory (default: the built-in model).
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// Output file (`-` for standard output).
        out: String,
    },
    /// Compile an ARPA language model (e.g. from KenLM's lmplz) into DIR/lm.bin.
    ImportArpa {
        /// ARPA file.
        arpa: PathBuf,
        /// Model directory to write lm.bin into (add a lexicon.bin to use it with check).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Export a spinner dictionary (`root<TAB>syn|syn…`) for `unspin spin`.
    SpinnerDict {
        /// moby or wordnet.
        #[arg(long)]
        source: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Directory with moby.txt and wordnet/ (from scripts/fetch-sources.sh).
        #[arg(long, default_value = "data/sources")]
        sources: PathBuf,
    },
}

#[derive(Args)]
pub struct BuildArgs {
    /// Output directory.
    #[arg(long, default_value = "model/en")]
    out: PathBuf,
    /// Corpus (JSONL, zstd-compressed or plain) for the language model and word counts.
    #[arg(long, default_value = "../shared/corpora/enwiki2015.jsonl.zst")]
    corpus: PathBuf,
    /// Directory with moby.txt and wordnet/ (from scripts/fetch-sources.sh).
    #[arg(long, default_value = "data/sources")]
    sources: PathBuf,
    /// Tortured-phrase pairs (CSV: tortured,expected,...).
    #[arg(long, default_value = "../shared/lexicons/tortured_phrases_train.csv")]
    tortured: PathBuf,
    /// Only read this many corpus documents (for quick experiments).
    #[arg(long)]
    max_docs: Option<usize>,
    /// Build only one part.
    #[arg(long, value_parser = ["lm", "lexicon"])]
    only: Option<String>,
    /// Also write the language model in ARPA format here.
    #[arg(long)]
    arpa: Option<PathBuf>,
}

impl ModelCmd {
    pub fn run(self) -> Result<i32> {
        match self {
            ModelCmd::Build(a) => build(a),
            ModelCmd::Info { model } => {
                let t = Instant::now();
                let (lm, lex) = crate::models::load_parts(model.as_deref())?;
                let terms = crate::models::load_terms(model.as_deref(), &lm)?;
                let fw = crate::models::load_function_words(model.as_deref())?;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                println!("model: {}", crate::models::describe(model.as_deref()));
                println!("loaded in {ms:.1} ms");
                println!(
                    "language model: order {}, {} words, n-grams per order {:?}, {}",
                    lm.0.order(),
                    lm.0.vocab_size(),
                    lm.0.counts(),
                    input::human_bytes(lm.0.size_bytes() as u64)
                );
                println!(
                    "lexicon: {} keys up to {} words, {} pairs, {} originals",
                    lex.inner().len(),
                    lex.inner().max_key_words(),
                    lex.inner().num_pairs(),
                    lex.inner().num_originals()
                );
                println!(
                    "known terms: {} (up to {} words)",
                    terms.len(),
                    terms.max_words()
                );
                match fw {
                    Some(f) => println!("function-word pairs: {} keys", f.len()),
                    None => println!("function-word pairs: none"),
                }
                Ok(0)
            }
            ModelCmd::ExportArpa { model, out } => {
                let (lm, _) = crate::models::load_parts(model.as_deref())?;
                if out == "-" {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    lm.0.write_arpa(&mut w)?;
                    w.flush()?;
                } else {
                    let f = std::fs::File::create(&out)
                        .with_context(|| format!("{out}: cannot create"))?;
                    let mut w = std::io::BufWriter::new(f);
                    lm.0.write_arpa(&mut w)
                        .with_context(|| format!("{out}: cannot write"))?;
                    w.flush()?;
                }
                Ok(0)
            }
            ModelCmd::ImportArpa { arpa, out } => {
                std::fs::create_dir_all(&out)
                    .with_context(|| format!("{}: cannot create", out.display()))?;
                let st = unspin_lm::compile_arpa(&arpa, &out.join("lm.bin"))?;
                eprintln!(
                    "wrote {} ({})",
                    out.join("lm.bin").display(),
                    input::human_bytes(st.file_bytes)
                );
                Ok(0)
            }
            ModelCmd::SpinnerDict {
                source,
                out,
                sources,
            } => {
                let (src, path) = match source.as_str() {
                    "moby" => (unspin_lexicon::DictSource::Moby, sources.join("moby.txt")),
                    "wordnet" => (unspin_lexicon::DictSource::WordNet, sources.join("wordnet")),
                    s => bail!("--source {s}: expected moby or wordnet"),
                };
                let n = unspin_lexicon::write_spinner_dict(src, &path, &out)?;
                eprintln!("wrote {n} entries to {}", out.display());
                Ok(0)
            }
        }
    }
}

fn build(a: BuildArgs) -> Result<i32> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let mut progress = |m: &str| eprintln!("  {m}");
    if a.only.as_deref() != Some("lexicon") {
        eprintln!("language model from {}", a.corpus.display());
        let opts = unspin_lm::BuildOptions {
            max_docs: a.max_docs,
            arpa_out: a.arpa.clone(),
            ..Default::default()
        };
        let st =
            unspin_lm::build_from_corpus(&a.corpus, &a.out.join("lm.bin"), &opts, &mut progress)?;
        eprintln!(
            "  wrote lm.bin: {} in {:.0}s",
            input::human_bytes(st.file_bytes),
            st.seconds
        );
    }
    if a.only.as_deref() != Some("lm") {
        eprintln!("lexicon from {}", a.sources.display());
        let root = std::env::current_dir()?;
        let mut opts = unspin_lexicon::BuildOptions::with_root(&root);
        opts.moby = a.sources.join("moby.txt");
        opts.wordnet_dir = a.sources.join("wordnet");
        opts.tortured_csv = Some(a.tortured.clone());
        opts.corpus = a.corpus.clone();
        opts.max_docs = a.max_docs;
        let st = unspin_lexicon::build(&opts, &a.out.join("lexicon.bin"), &mut progress)?;
        eprintln!("  wrote lexicon.bin: {} keys", st.keys);
    }
    Ok(0)
}

/// `unspin spin`.
#[derive(Args)]
pub struct SpinArgs {
    /// Clean documents: JSONL with "id" and "text" (`-` for standard input).
    input: String,
    /// Spinner dictionary (`root<TAB>syn|syn…`, from `unspin model spinner-dict`).
    #[arg(long)]
    dict: PathBuf,
    /// WordNet dict directory (for inflecting replacements).
    #[arg(long, default_value = "data/sources/wordnet")]
    wordnet: PathBuf,
    /// Replace every Nth eligible word.
    #[arg(long, default_value_t = 4)]
    every: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl SpinArgs {
    pub fn run(self) -> Result<i32> {
        let morph = unspin_lexicon::morph::Morphology::load(&self.wordnet)?;
        let spinner = unspin_lexicon::spin::Spinner::from_dict(&self.dict, morph)?;
        let docs = input::read_docs(&self.input, input::InputFormat::Jsonl, u64::MAX >> 1)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for (n, d) in docs.into_iter().enumerate() {
            let spun = spinner.spin(&d.text, self.every.max(1), self.seed.wrapping_add(n as u64));
            let rec = Labelled {
                id: d.id.unwrap_or_default(),
                text: spun.text,
                original: d.text,
                edits: spun
                    .edits
                    .into_iter()
                    .map(|e| TrueEdit {
                        start: e.start,
                        end: e.end,
                        original: e.original,
                        spun: e.spun,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &rec)?;
            writeln!(out)?;
        }
        out.flush()?;
        Ok(0)
    }
}

/// `unspin eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Labelled set (JSONL from `unspin spin`).
    set: PathBuf,
    #[command(flatten)]
    model: crate::models::ModelArgs,
    /// Confidence threshold.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,
    /// Also print the metrics at these thresholds (comma-separated).
    #[arg(long, value_delimiter = ',')]
    sweep: Vec<f64>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    /// Write each finding with its truth here (JSONL), for error analysis.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Screening scientific papers: judge substitutions learned from tortured phrases at a
    /// rate of their own (see `unspin check --help`).
    #[arg(long)]
    papers: bool,
    /// Override a decoder parameter (experiments), e.g. `--set lm_weight=0.8`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    overrides: Vec<String>,
}

impl EvalArgs {
    pub fn run(self) -> Result<i32> {
        let params = params_with(&self.overrides)?;
        let engine = crate::models::load_engine(&self.model, params)?;
        let name = self.set.display().to_string();
        let f = std::fs::File::open(&self.set).with_context(|| format!("{name}: cannot open"))?;
        let mut set = Vec::new();
        for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.with_context(|| format!("{name}: cannot read"))?;
            if line.trim().is_empty() {
                continue;
            }
            let rec: Labelled = serde_json::from_str(&line)
                .with_context(|| format!("{name}: line {}: not a labelled record", n + 1))?;
            set.push(rec.normalize());
        }
        let mut thresholds = vec![self.threshold];
        thresholds.extend(self.sweep.iter().copied());
        let low = thresholds.iter().copied().fold(1.0f64, f64::min);
        let t0 = Instant::now();
        let bytes: usize = set.iter().map(|r| r.text.len() + r.original.len()).sum();
        // Check once at the lowest threshold; higher thresholds are subsets only approximately
        // (the decoder's bias changes), so each threshold is decoded on its own.
        let per_t: Vec<(f64, Counts, Vec<serde_json::Value>)> = thresholds
            .iter()
            .map(|&t| {
                let opts = CheckOptions {
                    threshold: t,
                    papers: self.papers,
                };
                let parts: Vec<(Counts, Vec<serde_json::Value>)> = set
                    .par_iter()
                    .map(|r| {
                        let mut c = Counts::default();
                        let spun = if r.has_spun() {
                            engine.check(&r.text, &opts)
                        } else {
                            Default::default()
                        };
                        c.add_spun(&r.edits, &spun.findings);
                        let clean = engine.check(&r.original, &opts);
                        c.add_clean(count_words(&r.original), clean.findings.len());
                        let mut dump = Vec::new();
                        if self.dump.is_some() && (t - low).abs() < 1e-12 {
                            for f in &spun.findings {
                                let truth = r.edits.iter().find(|e| e.start < f.end && f.start < e.end);
                                dump.push(serde_json::json!({"id": r.id, "kind": "spun", "finding": f, "truth": truth}));
                            }
                            for e in &r.edits {
                                if !spun.findings.iter().any(|f| e.start < f.end && f.start < e.end) {
                                    dump.push(serde_json::json!({"id": r.id, "kind": "missed", "truth": e,
                                        "context": context(&r.text, e.start, e.end)}));
                                }
                            }
                            for f in &clean.findings {
                                dump.push(serde_json::json!({"id": r.id, "kind": "false_alarm", "finding": f,
                                    "context": context(&r.original, f.start, f.end)}));
                            }
                        }
                        (c, dump)
                    })
                    .collect();
                let mut total = Counts::default();
                let mut dump = Vec::new();
                for (c, d) in parts {
                    total.merge(&c);
                    dump.extend(d);
                }
                (t, total, dump)
            })
            .collect();
        let secs = t0.elapsed().as_secs_f64();
        if let Some(p) = &self.dump {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(p)
                    .with_context(|| format!("{}: cannot create", p.display()))?,
            );
            for (_, _, d) in &per_t {
                for v in d {
                    writeln!(w, "{v}")?;
                }
            }
        }
        let results: Vec<serde_json::Value> = per_t
            .iter()
            .map(|(t, c, _)| serde_json::json!({"threshold": t, "metrics": c.metrics()}))
            .collect();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&results)?);
        } else {
            println!(
                "{name}: {} documents, {} substitutions, {} clean words ({:.1} MB/s over {} runs)",
                set.len(),
                per_t[0].1.truths,
                per_t[0].1.clean_words,
                bytes as f64 * per_t.len() as f64 / secs / 1e6,
                per_t.len()
            );
            println!("threshold  det-P  det-R  det-F1  rest-P  rest-R  rest-F1  FA/1k-words");
            for (t, c, _) in &per_t {
                let m = c.metrics();
                println!(
                    "{t:>9.2}  {:.3}  {:.3}  {:.3}   {:.3}   {:.3}   {:.3}    {:.2}",
                    m.detection_precision,
                    m.detection_recall,
                    m.detection_f1,
                    m.restoration_precision,
                    m.restoration_recall,
                    m.restoration_f1,
                    m.false_alarms_per_1000_words
                );
            }
        }
        Ok(0)
    }
}

/// Default parameters with `NAME=VALUE` overrides applied.
pub fn params_with(overrides: &[String]) -> Result<Params> {
    let mut params = Params::default();
    for kv in overrides {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--set {kv}: expected NAME=VALUE"))?;
        let v: f64 = v
            .parse()
            .with_context(|| format!("--set {kv}: not a number"))?;
        params.set(k, v).map_err(anyhow::Error::msg)?;
    }
    Ok(params)
}

fn context(text: &str, start: usize, end: usize) -> String {
    let mut a = start.saturating_sub(60);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (end + 60).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    format!(
        "{}[{}]{}",
        &text[a..start],
        &text[start..end],
        &text[end..b]
    )
}
