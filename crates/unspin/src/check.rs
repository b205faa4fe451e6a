//! `unspin check` and `unspin restore`.

use crate::input::{self, BadLine, InputFormat, Item};
use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;
use std::io::{IsTerminal, Write};
pub use unspin_core::report::{DocReport, TOO_SHORT, check_doc, check_doc_with};
use unspin_engine::{CheckOptions, Engine};
use unspin_index::index::Index;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A readable report.
    Human,
    /// A JSON array with one object per input.
    Json,
    /// One JSON object per line.
    Jsonl,
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
    // Files are read and checked in parallel, reported in the order given.
    let results: Vec<Result<Vec<Out>>> = paths
        .par_iter()
        .map(|p| {
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
    for r in results {
        match r {
            Err(e) => {
                errors += 1;
                out.flush()?;
                eprintln!("unspin: error: {e:#}");
            }
            Ok(items) => {
                for item in items {
                    match &item {
                        Out::Report(rep) => {
                            if run.fail_over.is_some_and(|t| rep.score >= t)
                                && rep.verdict != TOO_SHORT
                            {
                                flagged = true;
                            }
                        }
                        Out::Bad(b) => {
                            errors += 1;
                            out.flush()?;
                            input::report_bad_line(b);
                        }
                    }
                    match run.format {
                        OutputFormat::Human => {
                            if let Out::Report(rep) = &item {
                                write_human(&mut out, rep, run.color)?;
                            }
                        }
                        OutputFormat::Jsonl => {
                            serde_json::to_writer(&mut out, &item)?;
                            writeln!(out)?;
                        }
                        OutputFormat::Json => json_items.push(item),
                    }
                }
            }
        }
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
        writeln!(
            out,
            "  {d}{line}:{col}{z}\t{c}{}{z} → {g}{}{z}  {d}({:.0}%){z}{alts}{from}",
            f.text,
            f.suggestion,
            f.confidence * 100.0
        )?;
    }
    Ok(())
}
