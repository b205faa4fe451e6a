//! `unspin`: detect and undo article spinning.
//!
//! Exit codes: 0 success; 1 a document scored at or above `--fail-over`; 2 an error (bad
//! arguments, unreadable input, a bad JSONL line, an input `index add` skipped, missing
//! model). The other inputs are still processed.

// Doc comments on the argument types are clap's help text, printed as written: their
// `[/NAME]` and `<TEI>` are for the terminal, not rustdoc links or HTML.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod check;
mod cli_index;
mod input;
mod model_cmd;
mod report;
mod serve;

use unspin_core::{from_source, models};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use unspin_engine::{CheckOptions, DEFAULT_THRESHOLD};

// mimalloc: `index add` allocates per document on worker threads and frees on others; with
// glibc's malloc, 100,000 documents took 1.02–1.06 s, with mimalloc 0.55–0.57 s (`check`: +7 %
// on one thread, +15 % on two). Built with `no_thp`: with transparent huge pages every fresh
// 2 MB page was zeroed in the kernel (a third of the build's time). See bench/index/RESULTS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: &str = "\
Examples:
  unspin check article.txt                      report: score and every finding
  unspin check --format json a.txt b.html       one JSON object per input
  cat pages.jsonl | unspin check --input jsonl --format jsonl -
  unspin restore article.txt > restored.txt     the restored text, nothing else
  unspin check --fail-over 0.8 drafts/*.txt     exit 1 when a document looks spun
  unspin check --papers paper.txt               screening a paper for tortured phrases
  unspin check paper.pdf                        a PDF's text layer; findings give their page
  unspin check --format json article.xml        JATS or TEI XML: offsets into the XML
  unspin check --format jsonl crawl.warc.gz     every HTML/text response of a crawl, streamed
  unspin check --report report.html papers/     a sortable screening page for a folder
  unspin check --format csv papers/ > batch.csv one row per document

A text of fewer than 8 words is too short to judge: its score is given but its verdict
is \"too short to judge\" (JSON: \"verdict\": \"too short to judge\").

Exit status: 0 ok, 1 a document scored at or above --fail-over, 2 error: an input could
not be read, or a JSONL line is not a record (then it gets an error record
{\"path\",\"line\",\"id\",\"error\"} in the output and a message on stderr naming
the file and line, and the other lines are still checked).";

/// Detect and undo article spinning.
#[derive(Parser)]
#[command(name = "unspin", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Find substituted words and phrases, suggest the originals, score each document.
    #[command(after_help = EXAMPLES)]
    Check(CheckArgs),
    /// Print the restored text only (lines preserved exactly).
    #[command(after_help = "Example:\n  unspin restore spun.txt > restored.txt")]
    Restore(RestoreArgs),
    /// Build, inspect, import or export models.
    #[command(subcommand)]
    Model(model_cmd::ModelCmd),
    /// Measure detection and restoration on a labelled set (see `unspin spin`).
    Eval(model_cmd::EvalArgs),
    /// Spin text with a dictionary, logging the truth (to make evaluation sets).
    #[command(after_help = "Examples:\n  \
        unspin spin --dict data/dicts/wordnet.tsv --every 4 clean.jsonl > spun.jsonl\n  \
        unspin spin --dict data/dicts/mythes-dev.txt --rate 0.25 clean.jsonl > spun.jsonl\n  \
        unspin eval spun.jsonl")]
    Spin(model_cmd::SpinArgs),
    /// Build and maintain the index of originals for `find`.
    Index(cli_index::IndexArgs),
    /// Find the sources a (spun) copy came from in the index.
    Find(cli_index::FindArgs),
    /// Align a suspect with a source: passages and the substitution table.
    Compare(cli_index::CompareArgs),
    /// Turn aligned substitutions into a user lexicon for `check --lexicon`.
    Learn(cli_index::LearnArgs),
    /// Serve the web page and the JSON API (check, restore, find, compare).
    Serve(serve::ServeArgs),
}

/// Options shared by `check` and `restore`.
#[derive(Args, Clone)]
struct EngineOpts {
    #[command(flatten)]
    model: models::ModelArgs,
    /// Act on findings with confidence at least this, 0 to 1: `check` reports them, `restore`
    /// replaces them (lower finds more, higher is surer).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = parse_unit)]
    threshold: f64,
    /// How to read inputs.
    #[arg(long, value_enum, default_value_t = input::InputFormat::Auto)]
    input: input::InputFormat,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, default_value_t = input::DEFAULT_MAX_BYTES, value_name = "BYTES", value_parser = parse_count_u64)]
    max_bytes: u64,
    /// Screening scientific papers: substitutions learned from tortured phrases (*bosom
    /// peril* → *breast cancer*) are judged at a rate of their own, since a paper is rarely
    /// spun throughout but may carry a few of them. Finds more tortured phrases in otherwise
    /// clean text, at more false alarms on clean prose.
    #[arg(long)]
    papers: bool,
    /// Override a decoder parameter (experts; see `Params` in unspin-engine), e.g.
    /// `--set prior_spun=0.05`.
    #[arg(long = "set", value_name = "NAME=VALUE", hide_short_help = true, value_parser = parse_set)]
    overrides: Vec<String>,
    /// Source index: where a passage's source is found in it, restore that passage from
    /// the alignment with the source (findings marked with the source id and offsets); the
    /// rest is restored without a source.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct CheckArgs {
    /// Files to check; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    files: Vec<String>,
    #[command(flatten)]
    engine: EngineOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t = check::OutputFormat::Human)]
    format: check::OutputFormat,
    /// Exit with status 1 when a document's score is at or above SCORE (a document too short
    /// to judge, of fewer than 8 words, never counts).
    #[arg(long, value_name = "SCORE", value_parser = parse_unit)]
    fail_over: Option<f64>,
    /// Colour the report.
    #[arg(long, value_enum, default_value_t = check::ColorChoice::Auto)]
    color: check::ColorChoice,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_parser = parse_count)]
    jobs: Option<usize>,
    /// Also write a screening page for the batch to FILE: one self-contained HTML page with a
    /// sortable table (score, verdict, findings, phrases found) and each document with
    /// findings highlighted, linked from its row.
    #[arg(long, value_name = "FILE")]
    report: Option<std::path::PathBuf>,
}

#[derive(Args)]
struct RestoreArgs {
    /// File to restore; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    file: String,
    #[command(flatten)]
    engine: EngineOpts,
}

/// A finite number (NaN and infinities are refused).
fn parse_finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{s}` is not a finite number"))
    }
}

/// A number between 0 and 1 (a threshold, a score, a share).
pub(crate) fn parse_unit(s: &str) -> Result<f64, String> {
    unspin_core::answers::check_unit(parse_finite(s)?)
}

/// A whole number of at least 1 (a count of threads, results, documents, bytes).
pub(crate) fn parse_count(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if v == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(v)
    }
}

/// Like [`parse_count`], for byte sizes.
pub(crate) fn parse_count_u64(s: &str) -> Result<u64, String> {
    parse_count(s).map(|v| v as u64)
}

/// Parameters of the decoder that are probabilities (in [0, 1)) and counts (at least 1).
const RATE_PARAMS: [&str; 4] = ["clean_rate", "prior_rate", "prior_spun", "learned_rate"];
const COUNT_PARAMS: [&str; 4] = ["em_iterations", "max_candidates", "beam", "max_scored"];

/// `--set NAME=VALUE`: a known parameter and a finite value in its range.
fn parse_set(s: &str) -> Result<String, String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE"))?;
    let x = parse_finite(v).map_err(|e| format!("{k}: {e}"))?;
    unspin_engine::Params::default().set(k, x)?;
    if RATE_PARAMS.contains(&k) && !(0.0..1.0).contains(&x) {
        return Err(format!("{k}: {x} is not a rate in [0, 1)"));
    }
    if COUNT_PARAMS.contains(&k) && (x < 1.0 || x.fract() != 0.0) {
        return Err(format!("{k}: {x} is not a whole number of at least 1"));
    }
    if ["prior_words", "coverage_a", "coverage_b"].contains(&k) && x <= 0.0 {
        return Err(format!("{k}: {x} is not above 0"));
    }
    Ok(s.to_string())
}

/// The index of `--index`, opened.
fn open_index(o: &EngineOpts) -> Result<Option<unspin_index::Index>> {
    o.index
        .as_deref()
        .map(|d| {
            unspin_index::Index::open(d)
                .with_context(|| format!("{}: cannot open the index", d.display()))
        })
        .transpose()
}

fn engine(o: &EngineOpts) -> Result<unspin_engine::Engine> {
    let params = model_cmd::params_with(&o.overrides)?;
    models::load_engine(&o.model, params)
}

fn run() -> Result<i32> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check(a) => {
            if let Some(j) = a.jobs {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(j.max(1))
                    .build_global()
                    .ok();
            }
            let engine = engine(&a.engine)?;
            let ix = open_index(&a.engine)?;
            let run = check::CheckRun {
                engine: &engine,
                index: ix.as_ref(),
                opts: CheckOptions {
                    threshold: a.engine.threshold,
                    papers: a.engine.papers,
                },
                format: a.format,
                input: a.engine.input,
                color: check::use_color(a.color),
                max_bytes: a.engine.max_bytes,
                fail_over: a.fail_over,
                report: a.report,
            };
            check::run_check(&run, &a.files)
        }
        Cmd::Restore(a) => {
            let engine = engine(&a.engine)?;
            input::hint_if_terminal([a.file.as_str()]);
            let ix = open_index(&a.engine)?;
            let items = input::read_items(&a.file, a.engine.input, a.engine.max_bytes)?;
            let opts = CheckOptions {
                threshold: a.engine.threshold,
                papers: a.engine.papers,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut errors = 0;
            use std::io::Write;
            for item in items {
                let d = match item {
                    input::Item::Doc(d) => d,
                    input::Item::Bad(b) => {
                        // the error record takes the line's place in the output
                        errors += 1;
                        writeln!(out, "{}", serde_json::to_string(&b)?)?;
                        out.flush()?;
                        input::report_bad_line(&b);
                        continue;
                    }
                };
                let jsonl = d.line.is_some();
                let rep = check::check_doc(&engine, d, &opts, ix.as_ref());
                if jsonl {
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"id": rep.id, "text": rep.restored})
                    )?;
                } else {
                    out.write_all(rep.restored.as_bytes())?;
                }
            }
            out.flush()?;
            Ok(if errors > 0 { 2 } else { 0 })
        }
        Cmd::Model(m) => m.run(),
        Cmd::Eval(a) => a.run(),
        Cmd::Spin(a) => a.run(),
        Cmd::Serve(a) => serve::run(a),
        Cmd::Index(a) => a.run(),
        Cmd::Find(a) => a.run(),
        Cmd::Compare(a) => a.run(),
        Cmd::Learn(a) => a.run(),
    }
}

fn main() {
    let code = match run() {
        Ok(c) => c,
        Err(e) => {
            if let Some(ioe) = e.downcast_ref::<std::io::Error>()
                && ioe.kind() == std::io::ErrorKind::BrokenPipe
            {
                std::process::exit(0);
            }
            eprintln!("unspin: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
