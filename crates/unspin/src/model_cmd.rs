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
    /// Build the English model (lm.bin, vectors.bin, lexicon.bin) from the corpus and thesauri.
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
    /// Export a spinner dictionary for `unspin spin`: `root<TAB>syn|syn…` (moby, wordnet) for
    /// `--every`, or a commercial spinner's `entry|alt|alt` lines (mythes, tortured) for `--rate`.
    #[command(after_help = "Examples:\n  \
        unspin model spinner-dict --source wordnet --out wordnet.tsv\n  \
        unspin model spinner-dict --source mythes --seed 3 --phrases-from clean.jsonl --out dict.txt\n  \
        unspin model spinner-dict --source tortured --out tortured.txt")]
    SpinnerDict(SpinnerDictArgs),
}

/// `unspin model spinner-dict`.
#[derive(Args)]
pub struct SpinnerDictArgs {
    /// moby, wordnet (thesaurus spinners), mythes or tortured (dictionary spinners).
    #[arg(long)]
    source: String,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    /// Directory with moby.txt and wordnet/ (from scripts/fetch-sources.sh).
    #[arg(long, default_value = "data/sources")]
    sources: PathBuf,
    /// MyThes thesaurus (mythes): Debian's mythes-en-us.
    #[arg(long, default_value = "/usr/share/mythes/th_en_US_v2.dat")]
    mythes: PathBuf,
    /// Tortured-phrase pairs (tortured): CSV tortured,expected,papers.
    #[arg(long, default_value = "../shared/lexicons/tortured_phrases_train.csv")]
    tortured: PathBuf,
    /// Seed of the dictionary's choices (mythes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Most alternatives per entry (mythes, tortured).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10))]
    max_alts: u64,
    /// Clean JSONL ({"id","text"}) whose commonest phrases become phrase lines (mythes).
    #[arg(long, value_name = "JSONL")]
    phrases_from: Option<String>,
    /// How many everyday phrases to add (mythes, with --phrases-from).
    #[arg(long, default_value_t = 3000)]
    phrases: usize,
}

impl SpinnerDictArgs {
    fn run(self) -> Result<i32> {
        use unspin_lexicon::spin::build as sb;
        let max_alts = self.max_alts as usize;
        let lines = match self.source.as_str() {
            "moby" | "wordnet" => {
                let (src, path) = if self.source == "moby" {
                    (
                        unspin_lexicon::DictSource::Moby,
                        self.sources.join("moby.txt"),
                    )
                } else {
                    (
                        unspin_lexicon::DictSource::WordNet,
                        self.sources.join("wordnet"),
                    )
                };
                let n = unspin_lexicon::write_spinner_dict(src, &path, &self.out)?;
                eprintln!("wrote {n} entries to {}", self.out.display());
                return Ok(0);
            }
            "mythes" => {
                let text = std::fs::read_to_string(&self.mythes).with_context(|| {
                    format!(
                        "{}: cannot read (Debian package mythes-en-us)",
                        self.mythes.display()
                    )
                })?;
                let morph = unspin_lexicon::Morphology::load(&self.sources.join("wordnet"))?;
                let words = sb::from_mythes(&text, &morph, self.seed, max_alts);
                let sample = match &self.phrases_from {
                    Some(p) => input::read_docs(p, input::InputFormat::Jsonl, u64::MAX >> 1)?,
                    None => Vec::new(),
                };
                let texts: Vec<&str> = sample.iter().map(|d| d.text.as_str()).collect();
                let mut lines = sb::everyday_phrases(&texts, &words, self.seed, self.phrases, 3);
                lines.extend(words);
                lines
            }
            "tortured" => {
                let rows = unspin_lexicon::load_tortured(&self.tortured)?;
                sb::from_tortured(&rows, max_alts)
            }
            s => bail!("--source {s}: expected moby, wordnet, mythes or tortured"),
        };
        let n = sb::write(&lines, &self.out)?;
        eprintln!("wrote {n} lines to {}", self.out.display());
        Ok(0)
    }
}

#[derive(Args)]
pub struct BuildArgs {
    /// Output directory (required, so that the shipped model/en is never overwritten by
    /// accident: `scripts/build-model.sh` passes `--out model/en`).
    #[arg(long)]
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
    #[arg(long, value_parser = ["lm", "lexicon", "vectors"])]
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
            ModelCmd::SpinnerDict(a) => a.run(),
        }
    }
}

fn build(a: BuildArgs) -> Result<i32> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let mut progress = |m: &str| eprintln!("  {m}");
    let only = a.only.as_deref();
    if only.is_none() || only == Some("vectors") {
        eprintln!("word vectors from {}", a.corpus.display());
        let opts = unspin_vectors::TrainOptions {
            max_docs: a.max_docs,
            threads: rayon::current_num_threads(),
            ..Default::default()
        };
        let (bytes, st) = unspin_vectors::train(&a.corpus, &opts, &mut progress)?;
        let path = a.out.join("vectors.bin");
        std::fs::write(&path, &bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        eprintln!(
            "  wrote vectors.bin: {} words, {} ({:.0}s reading, {:.0}s training)",
            st.words,
            input::human_bytes(bytes.len() as u64),
            st.read_seconds,
            st.train_seconds
        );
        if only.is_some() {
            return Ok(0);
        }
    }
    if only != Some("lexicon") {
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
    if only != Some("lm") {
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
    /// Spinner dictionary: `root<TAB>syn|syn…` with --every, `entry|alt|alt` with --rate (from
    /// `unspin model spinner-dict`).
    #[arg(long)]
    dict: PathBuf,
    /// WordNet dict directory (for inflecting replacements; --every).
    #[arg(long, default_value = "data/sources/wordnet")]
    wordnet: PathBuf,
    /// Thesaurus spinner: replace every Nth eligible word (default 4).
    #[arg(long, conflicts_with = "rate", value_parser = clap::value_parser!(u64).range(1..))]
    every: Option<u64>,
    /// Dictionary spinner: spin this share of the spots the dictionary claims (0 to 1).
    #[arg(long, value_parser = crate::parse_unit)]
    rate: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

enum AnySpinner {
    Thesaurus(Box<unspin_lexicon::spin::Spinner>, usize),
    Dictionary(unspin_lexicon::spin::DictSpinner, f64),
}

impl SpinArgs {
    pub fn run(self) -> Result<i32> {
        let spinner = match self.rate {
            Some(rate) => AnySpinner::Dictionary(
                unspin_lexicon::spin::DictSpinner::from_file(&self.dict)?,
                rate,
            ),
            None => {
                let morph = unspin_lexicon::Morphology::load(&self.wordnet)?;
                AnySpinner::Thesaurus(
                    Box::new(unspin_lexicon::spin::Spinner::from_dict(&self.dict, morph)?),
                    self.every.unwrap_or(4) as usize,
                )
            }
        };
        let docs = input::read_docs(&self.input, input::InputFormat::Jsonl, u64::MAX >> 1)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for (n, d) in docs.into_iter().enumerate() {
            let seed = self.seed.wrapping_add(n as u64);
            let spun = match &spinner {
                AnySpinner::Thesaurus(s, every) => s.spin(&d.text, *every, seed),
                AnySpinner::Dictionary(s, rate) => s.spin(&d.text, *rate, seed),
            };
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
    /// Source index: check as `check --index DIR` does (restoring from the sources found
    /// in it), on the spun texts and on the originals.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
}

impl EvalArgs {
    pub fn run(self) -> Result<i32> {
        let params = params_with(&self.overrides)?;
        let engine = crate::models::load_engine(&self.model, params)?;
        let index = match &self.index {
            Some(d) => Some(
                unspin_index::Index::open(d)
                    .with_context(|| format!("{}: cannot open the index", d.display()))?,
            ),
            None => None,
        };
        let check = |text: &str, opts: &CheckOptions| -> Result<unspin_engine::Analysis> {
            Ok(match &index {
                Some(ix) => crate::from_source::check_with_index(&engine, ix, text, opts)?.analysis,
                None => engine.check(text, opts),
            })
        };
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
        #[allow(clippy::type_complexity)]
        let per_t: Vec<(f64, Counts, [usize; 4], [usize; 4], Vec<serde_json::Value>)> = thresholds
            .iter()
            .map(|&t| -> Result<_> {
                let opts = CheckOptions {
                    threshold: t,
                    papers: self.papers,
                };
                #[allow(clippy::type_complexity)]
                let parts: Vec<(Counts, [usize; 4], [usize; 4], Vec<serde_json::Value>)> = set
                    .par_iter()
                    .map(|r| -> Result<_> {
                        let mut c = Counts::default();
                        let spun = if r.has_spun() {
                            check(&r.text, &opts)?
                        } else {
                            Default::default()
                        };
                        c.add_spun(&r.edits, &spun.findings);
                        let clean = check(&r.original, &opts)?;
                        // candidate recall: the true original among the candidates of its span
                        // (one-word substitutions; phrase ones, where either side has more)
                        let mut recall = [0usize; 4];
                        let mut misses = Vec::new();
                        if (t - low).abs() < 1e-12 {
                            for e in &r.edits {
                                let (s, end, core) = e.core();
                                let (key, orig) = (word_key(&r.text[s..end]), word_key(&core));
                                let phrase = key.contains(' ') || orig.contains(' ');
                                let hit = engine
                                    .candidate_originals(&key)
                                    .iter()
                                    .any(|c| word_key(c) == orig);
                                let k = if phrase { 2 } else { 0 };
                                recall[k] += 1;
                                recall[k + 1] += hit as usize;
                                if !hit && self.dump.is_some() {
                                    misses.push(serde_json::json!({"id": r.id, "kind": "candidate_miss",
                                        "spun": key, "original": orig}));
                                }
                            }
                        }
                        // documents called spun (score >= 0.5): spun ones, clean ones
                        let docs = [
                            r.has_spun() as usize,
                            (r.has_spun() && spun.score >= 0.5) as usize,
                            1,
                            (clean.score >= 0.5) as usize,
                        ];
                        c.add_clean(count_words(&r.original), clean.findings.len());
                        let mut dump = misses;
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
                        Ok((c, docs, recall, dump))
                    })
                    .collect::<Result<_>>()?;
                let mut total = Counts::default();
                let mut docs = [0usize; 4];
                let mut recall = [0usize; 4];
                let mut dump = Vec::new();
                for (c, n, rc, d) in parts {
                    total.merge(&c);
                    for k in 0..4 {
                        docs[k] += n[k];
                        recall[k] += rc[k];
                    }
                    dump.extend(d);
                }
                Ok((t, total, docs, recall, dump))
            })
            .collect::<Result<_>>()?;
        let secs = t0.elapsed().as_secs_f64();
        if let Some(p) = &self.dump {
            let mut w = std::io::BufWriter::new(
                std::fs::File::create(p)
                    .with_context(|| format!("{}: cannot create", p.display()))?,
            );
            for (_, _, _, _, d) in &per_t {
                for v in d {
                    writeln!(w, "{v}")?;
                }
            }
        }
        let results: Vec<serde_json::Value> = per_t
            .iter()
            .map(|(t, c, d, _, _)| {
                serde_json::json!({"threshold": t, "metrics": c.metrics(),
                    "spun_docs_called_spun": share(d[1], d[0]),
                    "clean_docs_called_spun": share(d[3], d[2])})
            })
            .collect();
        let rc = per_t[0].3;
        let recall = serde_json::json!({
            "one_word": share(rc[1], rc[0]), "one_word_edits": rc[0],
            "phrase": share(rc[3], rc[2]), "phrase_edits": rc[2],
        });
        if self.json {
            let mut results = results;
            if let Some(first) = results.first_mut() {
                first["candidate_recall"] = recall;
            }
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
            println!(
                "threshold  det-P  det-R  det-F1  rest-P  rest-R  rest-F1  FA/1k-words  spun-docs-called-spun  clean-docs-called-spun"
            );
            for (t, c, d, _, _) in &per_t {
                let m = c.metrics();
                let pct = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{v:.3}"));
                // undefined where nothing was found (precision) or nothing was spun (recall)
                let (found, spun) = (c.findings > 0, c.truths > 0);
                let p = |v: f64, ok: bool| pct(ok.then_some(v));
                let fa = (c.clean_words > 0).then_some(m.false_alarms_per_1000_words);
                println!(
                    "{t:>9.2}  {:>5}  {:>5}  {:>6}   {:>5}   {:>5}   {:>6}    {:>5}         {}                  {}",
                    p(m.detection_precision, found),
                    p(m.detection_recall, spun),
                    p(m.detection_f1, found && spun),
                    p(m.restoration_precision, found),
                    p(m.restoration_recall, spun),
                    p(m.restoration_f1, found && spun),
                    fa.map_or("n/a".to_string(), |v| format!("{v:.2}")),
                    pct(share(d[1], d[0])),
                    pct(share(d[3], d[2])),
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
            .trim()
            .parse()
            .with_context(|| format!("--set {kv}: not a number"))?;
        if !v.is_finite() {
            bail!("--set {kv}: not a finite number");
        }
        params.set(k, v).map_err(anyhow::Error::msg)?;
    }
    Ok(params)
}

/// `part / whole`, undefined (None) when `whole` is 0.
fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The normalised words of a text joined by single spaces (punctuation left out).
fn word_key(s: &str) -> String {
    let mut out = String::new();
    for t in unspin_text::tokenize(s) {
        if matches!(
            t.kind,
            unspin_text::TokenKind::Word | unspin_text::TokenKind::Number
        ) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&unspin_text::normalize(t.text(s)));
        }
    }
    out
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
