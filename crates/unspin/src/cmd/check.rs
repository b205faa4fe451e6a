//! `unspin check` and `unspin restore`.

use crate::input::{self, BadLine, InputFormat, Item};
use crate::report::Report;
use anyhow::{Context, Result};
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{IsTerminal, Write};
pub use unspin_core::report::{DocReport, TOO_SHORT, check_doc, check_doc_with};
use unspin_engine::{CheckOptions, Engine};
use unspin_index::Index;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A readable report.
    Human,
    /// A JSON array with one object per input.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// A CSV table for screening a batch: one row per document (path, id, url, score,
    /// verdict, words, findings, pages, the phrases found, error).
    Csv,
}

/// When to colour the human report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Whether to colour standard output.
pub fn use_color(c: ColorChoice) -> bool {
    match c {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Everything `check` needs.
pub struct CheckRun<'a> {
    pub engine: &'a Engine,
    /// `--index`: restore from the sources found in it.
    pub index: Option<&'a Index>,
    pub opts: CheckOptions,
    pub format: OutputFormat,
    pub input: InputFormat,
    pub color: bool,
    pub max_bytes: u64,
    pub fail_over: Option<f64>,
    /// `--report FILE`: write the batch's screening page there.
    pub report: Option<std::path::PathBuf>,
}

/// One entry of the output stream: a document's report, or the error record of a JSONL line
/// that could not be read (`{"path", "line", "id", "error"}`).
#[derive(Serialize)]
#[serde(untagged)]
enum Out {
    Report(Box<DocReport>),
    Bad(BadLine),
}

/// Runs `check` over `paths`; returns the exit code.
pub fn run_check(run: &CheckRun, paths: &[String]) -> Result<i32> {
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut errors = 0;
    let mut flagged = false;
    let mut json_items: Vec<Out> = Vec::new();
    input::hint_if_terminal(paths.iter().map(String::as_str));
    // a directory is the files under it (sorted, hidden ones skipped)
    let mut files = Vec::new();
    for p in paths {
        let found = unspin_input::expand(&[p.into()]);
        if found.is_empty() {
            errors += 1;
            eprintln!("unspin: error: {p}: is a directory without files to check");
        }
        for e in found {
            match e {
                Ok(p) => files.push(p),
                Err(e) => {
                    errors += 1;
                    eprintln!("unspin: error: {e}");
                }
            }
        }
    }
    let paths = &files[..];
    let pb = progress(paths.len());
    let mut report = run.report.as_ref().map(|_| Report::default());
    if run.format == OutputFormat::Csv {
        writeln!(out, "{CSV_HEADER}")?;
    }
    // Files are read and checked in parallel, reported in the order given.
    let streamed = |p: &str| {
        p != "-" && unspin_input::sniff_file(run.input.into(), p) == unspin_input::Format::Warc
    };
    let results: Vec<Result<Vec<Out>>> = paths
        .par_iter()
        .map(|p| {
            if streamed(p) {
                // read and checked below, in order, batch by batch
                return Ok(Vec::new());
            }
            let _tick = Tick(&pb);
            let items = input::read_items(p, run.input, run.max_bytes)?;
            if let [Item::Doc(d)] = &items[..]
                && d.text.trim().is_empty()
                && d.line.is_none()
            {
                eprintln!("unspin: {p}: empty input, nothing to check");
            }
            Ok(items
                .into_par_iter()
                .map(|i| match i {
                    Item::Doc(d) => {
                        Out::Report(Box::new(check_doc(run.engine, d, &run.opts, run.index)))
                    }
                    Item::Bad(b) => Out::Bad(b),
                })
                .collect())
        })
        .collect();
    if !paths.iter().any(|p| streamed(p)) {
        pb.finish_and_clear();
    }
    for (p, r) in paths.iter().zip(results) {
        if streamed(p) {
            let mut emit = |item: Out| -> Result<()> {
                emit_item(
                    run,
                    &mut out,
                    item,
                    &mut errors,
                    &mut flagged,
                    &mut json_items,
                    &mut report,
                )
            };
            pb.set_message(format!("streaming {p}"));
            let r = check_stream(run, p, &mut emit);
            pb.inc(1);
            if let Err(e) = r {
                file_failed(&mut out, &mut errors, &mut report, p, &e)?;
            }
            continue;
        }
        match r {
            Err(e) => file_failed(&mut out, &mut errors, &mut report, p, &e)?,
            Ok(items) => {
                for item in items {
                    emit_item(
                        run,
                        &mut out,
                        item,
                        &mut errors,
                        &mut flagged,
                        &mut json_items,
                        &mut report,
                    )?;
                }
            }
        }
    }
    pb.finish_and_clear();
    if let (Some(page), Some(file)) = (&report, &run.report) {
        std::fs::write(file, page.html())
            .with_context(|| format!("{}: cannot write the report", file.display()))?;
    }
    if run.format == OutputFormat::Json {
        serde_json::to_writer_pretty(&mut out, &json_items)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if errors > 0 {
        2
    } else if flagged {
        1
    } else {
        0
    })
}

/// A file that could not be read or checked: counted, told on standard error (after what was
/// written so far), and listed on the screening page.
fn file_failed(
    out: &mut impl Write,
    errors: &mut usize,
    report: &mut Option<Report>,
    path: &str,
    e: &anyhow::Error,
) -> Result<()> {
    *errors += 1;
    out.flush()?;
    eprintln!("unspin: error: {e:#}");
    if let Some(page) = report {
        page.fail(path.to_string(), format!("{e:#}"));
    }
    Ok(())
}

/// A progress bar over `n` files on standard error, drawn only when it is a terminal and
/// there is more than one file.
fn progress(n: usize) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(n as u64);
    if n < 2 || !std::io::stderr().is_terminal() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Ok(s) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} documents {per_sec} ETA {eta}  {msg}",
    ) {
        pb.set_style(s);
    }
    pb
}

/// Counts one file done on the progress bar when dropped (also when reading failed).
struct Tick<'a>(&'a indicatif::ProgressBar);

impl Drop for Tick<'_> {
    fn drop(&mut self) {
        self.0.inc(1);
    }
}

/// Writes one entry of the output stream (or keeps it, for `--format json`), counting
/// errors and documents over `--fail-over`.
fn emit_item(
    run: &CheckRun,
    out: &mut impl Write,
    item: Out,
    errors: &mut usize,
    flagged: &mut bool,
    json_items: &mut Vec<Out>,
    report: &mut Option<Report>,
) -> Result<()> {
    if let Some(page) = report {
        match &item {
            Out::Report(r) => page.add(r),
            Out::Bad(b) => page.fail(format!("{}: line {}", b.path, b.line), b.error.clone()),
        }
    }
    match &item {
        Out::Report(rep) => {
            if run.fail_over.is_some_and(|t| rep.score >= t) && rep.verdict != TOO_SHORT {
                *flagged = true;
            }
        }
        Out::Bad(b) => {
            *errors += 1;
            out.flush()?;
            input::report_bad_line(b);
        }
    }
    match run.format {
        OutputFormat::Human => {
            if let Out::Report(rep) = &item {
                write_human(out, rep, run.color)?;
            }
        }
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut *out, &item)?;
            writeln!(out)?;
        }
        OutputFormat::Json => json_items.push(item),
        OutputFormat::Csv => write_csv_row(out, &item)?,
    }
    Ok(())
}

/// The header of `--format csv`.
const CSV_HEADER: &str = "path,id,url,score,verdict,words,findings,pages,phrases,error";

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row of `--format csv`: a document, or a record that could not be read.
fn write_csv_row(out: &mut impl Write, item: &Out) -> Result<()> {
    let row: Vec<String> = match item {
        Out::Report(r) => {
            let phrases: Vec<String> = r
                .findings
                .iter()
                .map(|f| format!("{} → {}", f.text, f.suggestion))
                .collect();
            vec![
                r.path.clone(),
                r.id.clone().unwrap_or_default(),
                r.url.clone(),
                format!("{:.3}", r.score),
                r.verdict.to_string(),
                r.words.to_string(),
                r.findings.len().to_string(),
                r.pages.map_or(String::new(), |p| p.to_string()),
                phrases.join("; "),
                String::new(),
            ]
        }
        Out::Bad(b) => vec![
            b.path.clone(),
            b.id.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("line {}: {}", b.line, b.error),
        ],
    };
    let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
    writeln!(out, "{}", row.join(","))?;
    Ok(())
}

/// Documents checked at once from a streamed source (one batch in memory at a time).
const STREAM_BATCH: usize = 256;

/// Checks a source read as a stream (a WARC crawl): batches of records are read, checked on
/// all cores and handed to `emit` in order, so memory stays bounded by one batch.
fn check_stream(run: &CheckRun, path: &str, emit: &mut dyn FnMut(Out) -> Result<()>) -> Result<()> {
    let opts = unspin_input::Options {
        format: run.input.into(),
        max_bytes: run.max_bytes,
        allow_empty: true,
    };
    let mut batch: Vec<Item> = Vec::with_capacity(STREAM_BATCH);
    let flush = |batch: &mut Vec<Item>, emit: &mut dyn FnMut(Out) -> Result<()>| {
        let outs: Vec<Out> = std::mem::take(batch)
            .into_par_iter()
            .map(|i| match i {
                Item::Doc(d) => {
                    Out::Report(Box::new(check_doc(run.engine, d, &run.opts, run.index)))
                }
                Item::Bad(b) => Out::Bad(b),
            })
            .collect();
        outs.into_iter().try_for_each(&mut *emit)
    };
    /// Why the stream stopped.
    enum Stop {
        Input(unspin_input::InputError),
        Out(anyhow::Error),
    }
    impl From<unspin_input::InputError> for Stop {
        fn from(e: unspin_input::InputError) -> Self {
            Stop::Input(e)
        }
    }
    let r = unspin_input::read_each::<Stop>(path, &opts, &mut |item, _| {
        batch.push(item);
        if batch.len() >= STREAM_BATCH {
            flush(&mut batch, emit).map_err(Stop::Out)?;
        }
        Ok(())
    });
    // what was read before a failure is still reported
    flush(&mut batch, emit)?;
    match r {
        Ok(()) => Ok(()),
        Err(Stop::Input(e)) => Err(e.into()),
        Err(Stop::Out(e)) => Err(e),
    }
}

/// The readable report of one document.
pub fn write_human(out: &mut dyn Write, rep: &DocReport, color: bool) -> Result<()> {
    let (b, r, y, g, d, z) = if color {
        (
            "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m",
        )
    } else {
        ("", "", "", "", "", "")
    };
    let name = match &rep.id {
        Some(id) => format!("{}#{id}", rep.path),
        None => rep.path.clone(),
    };
    let sc = if rep.verdict == TOO_SHORT {
        d
    } else if rep.score >= 0.8 {
        r
    } else if rep.score >= 0.4 {
        y
    } else {
        g
    };
    writeln!(
        out,
        "{b}{name}{z}: score {sc}{:.2}{z} ({}), {} finding{} in {} word{}",
        rep.score,
        rep.verdict,
        rep.findings.len(),
        if rep.findings.len() == 1 { "" } else { "s" },
        rep.words,
        if rep.words == 1 { "" } else { "s" }
    )?;
    for s in &rep.sources {
        let r: Vec<String> = s
            .ranges
            .iter()
            .map(|r| format!("{}..{}", r.0, r.1))
            .collect();
        let title = if s.title.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.title)
        };
        writeln!(
            out,
            "  {d}source{z} {}{title}, E-value {}: restored from it at bytes {}",
            s.id,
            unspin_core::answers::fmt_evalue(s.evalue),
            r.join(", ")
        )?;
    }
    // Findings are in text order: count lines and columns incrementally.
    let (mut line, mut line_start, mut pos) = (1usize, 0usize, 0usize);
    for f in &rep.findings {
        let upto = f.start.min(rep.text.len());
        if upto >= pos {
            for (k, b) in rep.text.as_bytes()[pos..upto].iter().enumerate() {
                if *b == b'\n' {
                    line += 1;
                    line_start = pos + k + 1;
                }
            }
            pos = upto;
        }
        let col = rep
            .text
            .get(line_start..upto)
            .map_or(1, |s| s.chars().count() + 1);
        let alts = if f.alternatives.is_empty() {
            String::new()
        } else {
            format!("  {d}also: {}{z}", f.alternatives.join(", "))
        };
        let c = if f.confidence >= 0.8 { r } else { y };
        let from = match &f.from {
            Some(m) => format!(
                "  {d}[from {} at {}..{}]{z}",
                m.source, m.source_start, m.source_end
            ),
            None => String::new(),
        };
        let page = f.page.map_or(String::new(), |p| format!("p.{p} "));
        writeln!(
            out,
            "  {d}{page}{line}:{col}{z}\t{c}{}{z} → {g}{}{z}  {d}({:.0}%){z}{alts}{from}",
            f.text,
            f.suggestion,
            f.confidence * 100.0
        )?;
    }
    Ok(())
}

#[derive(Args)]
pub struct CheckArgs {
    /// Files to check; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    files: Vec<String>,
    #[command(flatten)]
    engine: crate::args::EngineOpts,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Exit with status 1 when a document's score is at or above SCORE (a document too short
    /// to judge, of fewer than 8 words, never counts).
    #[arg(long, value_name = "SCORE", value_parser = crate::args::parse_unit)]
    fail_over: Option<f64>,
    /// Colour the report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_parser = crate::args::parse_count)]
    jobs: Option<usize>,
    /// Also write a screening page for the batch to FILE: one self-contained HTML page with a
    /// sortable table (score, verdict, findings, phrases found) and each document with
    /// findings highlighted, linked from its row.
    #[arg(long, value_name = "FILE")]
    report: Option<std::path::PathBuf>,
}

/// `unspin check`.
pub fn run(a: CheckArgs) -> Result<i32> {
    if let Some(j) = a.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .ok();
    }
    let engine = crate::args::engine(&a.engine)?;
    let ix = crate::args::open_index(&a.engine)?;
    let run = CheckRun {
        engine: &engine,
        index: ix.as_ref(),
        opts: CheckOptions {
            threshold: a.engine.threshold,
            papers: a.engine.papers,
        },
        format: a.format,
        input: a.engine.input,
        color: use_color(a.color),
        max_bytes: a.engine.max_bytes,
        fail_over: a.fail_over,
        report: a.report,
    };
    run_check(&run, &a.files)
}
