//! `unspin`: detect and undo article spinning.
//!
//! Exit codes: 0 success; 1 a document scored at or above `--fail-over`; 2 an error (bad
//! arguments, unreadable input, a bad JSONL line, an input `index add` skipped, missing
//! model). The other inputs are still processed.

// Doc comments on the argument types are clap's help text, printed as written: their
// `[/NAME]` and `<TEI>` are for the terminal, not rustdoc links or HTML.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod args;
mod cmd;
mod input;
mod report;

use cmd::{check, compare, eval, find, index, learn, model, restore, serve, spin};

use unspin_core::{from_source, models};

use anyhow::Result;
use clap::{Parser, Subcommand};

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
    Check(check::CheckArgs),
    /// Print the restored text only (lines preserved exactly).
    #[command(after_help = "Example:\n  unspin restore spun.txt > restored.txt")]
    Restore(restore::RestoreArgs),
    /// Build, inspect, import or export models.
    #[command(subcommand)]
    Model(model::ModelCmd),
    /// Measure detection and restoration on a labelled set (see `unspin spin`).
    Eval(eval::EvalArgs),
    /// Spin text with a dictionary, logging the truth (to make evaluation sets).
    #[command(after_help = "Examples:\n  \
        unspin spin --dict data/dicts/wordnet.tsv --every 4 clean.jsonl > spun.jsonl\n  \
        unspin spin --dict data/dicts/mythes-dev.txt --rate 0.25 clean.jsonl > spun.jsonl\n  \
        unspin eval spun.jsonl")]
    Spin(spin::SpinArgs),
    /// Build and maintain the index of originals for `find`.
    Index(index::IndexArgs),
    /// Find the sources a (spun) copy came from in the index.
    Find(find::FindArgs),
    /// Align a suspect with a source: passages and the substitution table.
    Compare(compare::CompareArgs),
    /// Turn aligned substitutions into a user lexicon for `check --lexicon`.
    Learn(learn::LearnArgs),
    /// Serve the web page and the JSON API (check, restore, find, compare).
    Serve(serve::ServeArgs),
}

fn run() -> Result<i32> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Check(a) => check::run(a),
        Cmd::Restore(a) => restore::run(a),
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
