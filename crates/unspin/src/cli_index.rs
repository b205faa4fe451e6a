//! Source finding subcommands: `index add|stats|remove`, `find`, `compare`, `learn`.
//!
//! The index lives in `--index DIR`, else `$UNSPIN_INDEX`, else `$XDG_DATA_HOME/unspin/index`,
//! else `~/.local/share/unspin/index`.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;
use unspin_index::SynClasses;
use unspin_index::align::{AlignParams, Comparison, compare};
use unspin_index::index::{Index, IndexWriter, default_index_dir};
use unspin_index::input::{Source, expand, read_source, size_of};
use unspin_index::lexicon::Lexicon;
use unspin_index::search::{FindOptions, find};

/// Reads a suspect or source text (`-` is standard input) with the same checks as `check`
/// (size limit, directories, binary data, invalid UTF-8); HTML becomes its visible text.
fn read_text(path: &std::path::Path) -> Result<String> {
    let name = path.to_string_lossy();
    let text = crate::input::read_source(&name, crate::input::DEFAULT_MAX_BYTES)?;
    Ok(visible_text(&name, text, false))
}

/// The text to search or align: HTML (by `html`, the file name or the content) becomes its
/// visible text.
fn visible_text(name: &str, text: String, html: bool) -> String {
    if html || crate::input::is_html_name(name) || unspin_index::html::looks_like_html(&text) {
        unspin_index::html::html_to_text(&text)
    } else {
        text
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON.
    Json,
}

fn index_dir(flag: &Option<PathBuf>) -> PathBuf {
    flag.clone().unwrap_or_else(default_index_dir)
}

const INDEX_HELP: &str = "Index location: --index DIR, else $UNSPIN_INDEX, else \
$XDG_DATA_HOME/unspin/index, else ~/.local/share/unspin/index.";

/// `unspin index`: build and maintain the source index.
#[derive(Debug, Args)]
#[command(after_help = INDEX_HELP)]
pub struct IndexArgs {
    #[command(subcommand)]
    cmd: IndexCmd,
}

#[derive(Debug, Subcommand)]
enum IndexCmd {
    /// Add text/HTML files, directories (recursively) and JSONL files ({"id","text"[,"title","url"]}) or `-` (stdin).
    /// Re-adding an id replaces the document.
    #[command(
        after_help = "Examples:\n  unspin index add archive/ --index ./idx\n  zstdcat docs.jsonl.zst | unspin index add - --index ./idx"
    )]
    Add(AddArgs),
    /// Show document, segment and size counts.
    Stats(StatsArgs),
    /// Remove documents by id.
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Files, directories or `-`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Index directory.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Documents per committed batch (a crash loses at most the batch in flight).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    batch: usize,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Index directory.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
struct RemoveArgs {
    /// Document ids.
    #[arg(required = true)]
    ids: Vec<String>,
    /// Index directory.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
}

impl IndexArgs {
    /// Runs the subcommand; returns the exit code.
    pub fn run(self) -> Result<i32> {
        match self.cmd {
            IndexCmd::Add(a) => add(a),
            IndexCmd::Stats(a) => {
                let dir = index_dir(&a.index);
                let ix = Index::open(&dir)?;
                let s = ix.stats();
                match a.format {
                    Format::Json => println!("{}", serde_json::to_string_pretty(&s)?),
                    Format::Text => {
                        println!("index      {}", s.dir.display());
                        println!("format     {}", s.format);
                        println!("generation {}", s.generation);
                        println!("documents  {}", s.docs);
                        println!("deleted    {}", s.deleted);
                        println!("chunks     {}", s.chunks);
                        println!("segments   {}", s.segments);
                        println!("size       {:.1} MB", s.bytes as f64 / 1e6);
                    }
                }
                Ok(0)
            }
            IndexCmd::Remove(a) => {
                let dir = index_dir(&a.index);
                if !dir.join("MANIFEST.json").exists() {
                    bail!("{}: no unspin index here", dir.display());
                }
                let mut w = IndexWriter::open(&dir)?;
                let mut missing = 0;
                for id in &a.ids {
                    if !w.remove(id)? {
                        eprintln!("unspin: {id}: not in the index");
                        missing += 1;
                    }
                }
                Ok(if missing > 0 { 1 } else { 0 })
            }
        }
    }
}

fn add(a: AddArgs) -> Result<i32> {
    let dir = index_dir(&a.index);
    let sources = expand(&a.paths)?;
    let total: u64 = sources.iter().map(size_of).sum();
    let mut w = IndexWriter::open(&dir)?;
    w.batch_docs = a.batch.max(1);
    let pb = ProgressBar::new(total);
    if a.quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = if total > 0 {
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}  {msg}",
        )
    } else {
        ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}  {msg}")
    };
    if let Ok(s) = style {
        pb.set_style(s);
    }
    let start = Instant::now();
    let mut docs = 0u64;
    let mut done_bytes = 0u64;
    for src in &sources {
        let mut last = 0u64;
        read_source(src, &mut |d, consumed| {
            w.add(d)?;
            docs += 1;
            pb.inc(consumed.saturating_sub(last));
            last = consumed;
            if docs.is_multiple_of(1000) {
                let rate = docs as f64 / start.elapsed().as_secs_f64().max(1e-3);
                pb.set_message(format!("{docs} docs, {rate:.0} docs/s"));
            }
            Ok(())
        })
        .with_context(|| match src {
            Source::File(p) => format!("reading {}", p.display()),
            Source::Stdin => "reading standard input".to_string(),
        })?;
        done_bytes += size_of(src);
        pb.set_position(done_bytes);
    }
    pb.set_message(format!("{docs} docs, committing"));
    w.commit()?;
    pb.finish_and_clear();
    drop(w);
    if !a.quiet {
        let s = Index::open(&dir)?.stats();
        eprintln!(
            "added {docs} documents in {:.1}s; index {} now has {} documents, {:.1} MB",
            start.elapsed().as_secs_f64(),
            dir.display(),
            s.docs,
            s.bytes as f64 / 1e6
        );
    }
    Ok(0)
}

/// Output format of `find`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FindFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON: one object for one suspect, an array for several.
    Json,
    /// One JSON object per line and suspect (pipelines).
    Jsonl,
}

/// `unspin find`: ranked sources of suspect texts.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  unspin find suspect.txt --index ./idx\n  unspin find --format json - < suspect.txt\n  unspin find --input jsonl --format jsonl crawl.jsonl --index ./idx   many suspects, all cores\n\nExit status: 0 ok (1 with --fail-if-found when a source is found), 2 error (a suspect that cannot be read is reported and the others are still searched).\n\nIndex location: --index DIR, else $UNSPIN_INDEX, else $XDG_DATA_HOME/unspin/index, else ~/.local/share/unspin/index."
)]
pub struct FindArgs {
    /// Suspect texts (text, HTML or JSONL files), or `-` for standard input.
    #[arg(default_value = "-")]
    files: Vec<PathBuf>,
    /// How to read the suspects (JSONL: lines of {"id", "text"}).
    #[arg(long, value_enum, default_value_t = crate::input::InputFormat::Auto)]
    input: crate::input::InputFormat,
    /// Index directory.
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Most sources to list.
    #[arg(long, short = 'n', default_value_t = 10)]
    limit: usize,
    /// Least share of the suspect a source must cover.
    #[arg(long, default_value_t = 0.05, value_name = "F")]
    min_coverage: f64,
    /// Least number of matching words in a source's strongest passage (the reporting
    /// threshold; see BENCHMARKS.md for how it was set).
    #[arg(long, default_value_t = 21, value_name = "N")]
    min_passage: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: FindFormat,
    /// Exit with status 1 when at least one source is found.
    #[arg(long)]
    fail_if_found: bool,
    /// Worker threads for many suspects (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
}

/// One suspect to search for: its name for the report and its text (HTML already reduced).
struct Suspect {
    name: String,
    id: Option<String>,
    text: String,
}

impl FindArgs {
    /// Runs `find`; returns the exit code.
    pub fn run(self) -> Result<i32> {
        use rayon::prelude::*;
        let dir = index_dir(&self.index);
        let ix = Index::open(&dir)?;
        let mut failed = false;
        let mut suspects = Vec::new();
        for f in &self.files {
            let name = f.to_string_lossy();
            match crate::input::read_docs(&name, self.input, crate::input::DEFAULT_MAX_BYTES) {
                Ok(docs) => suspects.extend(docs.into_iter().map(|d| Suspect {
                    // JSONL records are HTML only when they say so
                    text: if d.id.is_some() {
                        if d.html {
                            unspin_index::html::html_to_text(&d.text)
                        } else {
                            d.text
                        }
                    } else {
                        visible_text(&d.path, d.text, d.html)
                    },
                    name: d.path,
                    id: d.id,
                })),
                Err(e) => {
                    eprintln!("unspin: error: {e:#}");
                    failed = true;
                }
            }
        }
        let opt = FindOptions {
            limit: self.limit,
            min_coverage: self.min_coverage,
            min_passage: self.min_passage,
            ..FindOptions::default()
        };
        let search = |s: &Suspect| {
            let t = Instant::now();
            let hits = find(&ix, &s.text, &opt);
            (hits, t.elapsed().as_secs_f64() * 1e3)
        };
        let results: Vec<_> = match self.jobs {
            Some(j) => rayon::ThreadPoolBuilder::new()
                .num_threads(j.max(1))
                .build()?
                .install(|| suspects.par_iter().map(search).collect()),
            None => suspects.par_iter().map(search).collect(),
        };
        let threshold = serde_json::json!({ "min_coverage": self.min_coverage, "min_passage": self.min_passage });
        let mut out = std::io::stdout().lock();
        let mut found = false;
        let mut objects = Vec::new();
        for (s, (hits, ms)) in suspects.iter().zip(results) {
            let label = match &s.id {
                Some(id) => format!("{}#{id}", s.name),
                None => s.name.clone(),
            };
            let hits = match hits {
                Ok(h) => h,
                Err(e) => {
                    eprintln!("unspin: error: {label}: {e:#}");
                    failed = true;
                    continue;
                }
            };
            found |= !hits.is_empty();
            match self.format {
                FindFormat::Json | FindFormat::Jsonl => {
                    let mut v = serde_json::json!({ "suspect": s.name, "sources": hits, "threshold": threshold });
                    if let Some(id) = &s.id {
                        v["id"] = serde_json::json!(id);
                    }
                    if self.format == FindFormat::Jsonl {
                        writeln!(out, "{}", serde_json::to_string(&v)?)?;
                    } else {
                        objects.push(v);
                    }
                }
                FindFormat::Text => write_hits_text(&mut out, &label, &hits, ms)?,
            }
        }
        if self.format == FindFormat::Json {
            let v = if objects.len() == 1 && suspects.len() == 1 {
                objects.pop().unwrap_or_default()
            } else {
                serde_json::Value::Array(objects)
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Ok(if failed {
            2
        } else if self.fail_if_found && found {
            1
        } else {
            0
        })
    }
}

fn write_hits_text(
    out: &mut impl Write,
    name: &str,
    hits: &[unspin_index::search::Hit],
    ms: f64,
) -> Result<()> {
    if hits.is_empty() {
        writeln!(out, "{name}: no source found ({ms:.1} ms)")?;
        return Ok(());
    }
    writeln!(
        out,
        "{name}: {} source{} ({ms:.1} ms)",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" }
    )?;
    writeln!(
        out,
        "{:>3}  {:<28} {:>10} {:>8} {:>7} {:>8}  title",
        "#", "id", "similarity", "coverage", "matched", "passages"
    )?;
    for (k, h) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>3}  {:<28} {:>10.2} {:>8.2} {:>7} {:>8}  {}",
            k + 1,
            h.id,
            h.similarity,
            h.coverage,
            h.matched,
            h.passages,
            h.title
        )?;
    }
    Ok(())
}

/// `unspin compare`: aligned passages and the substitution table.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  unspin compare suspect.txt original.txt\n  unspin compare --format json suspect.txt original.txt\n  unspin compare suspect.txt original.txt --learn my-lexicon.tsv\n\nOffsets are in characters (PAN text-alignment style); JSON also gives byte ranges. For HTML input they refer to the extracted text."
)]
pub struct CompareArgs {
    /// The suspect (spun) text.
    suspect: PathBuf,
    /// The source (original) text.
    source: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Width of the side-by-side view (default: terminal width or 100).
    #[arg(long)]
    width: Option<usize>,
    /// Also add the substitution table to this lexicon file (TSV spun, original, count).
    #[arg(long, value_name = "FILE")]
    learn: Option<PathBuf>,
}

impl CompareArgs {
    /// Runs `compare`; returns the exit code.
    pub fn run(self) -> Result<i32> {
        let sus = read_text(&self.suspect)?;
        let src = read_text(&self.source)?;
        let c = compare(&sus, &src, SynClasses::embedded(), &AlignParams::default());
        if let Some(p) = &self.learn {
            let mut lx = Lexicon::read(p)?;
            lx.add_table(&c.table);
            lx.write(p, 1)?;
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            Format::Json => {
                let v = serde_json::json!({
                    "suspect": self.suspect.display().to_string(),
                    "source": self.source.display().to_string(),
                    "coverage": c.coverage,
                    "similarity": c.similarity,
                    "passages": c.passages,
                    "substitutions": c.substitutions,
                    "table": c.table,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            }
            Format::Text => {
                let width = self.width.unwrap_or_else(terminal_width).max(40);
                let color =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                render_text(&mut out, &sus, &src, &c, width, color)?;
            }
        }
        Ok(0)
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Splits `text[range]` into display pieces: (piece, highlighted).
fn pieces<'a>(
    text: &'a str,
    range: (usize, usize),
    marks: &[(usize, usize)],
) -> Vec<(&'a str, bool)> {
    let mut v = Vec::new();
    let mut pos = range.0;
    for &(a, b) in marks {
        if a < pos || b > range.1 {
            continue;
        }
        if a > pos {
            v.push((&text[pos..a], false));
        }
        v.push((&text[a..b], true));
        pos = b;
    }
    if pos < range.1 {
        v.push((&text[pos..range.1], false));
    }
    v
}

/// Word-wraps highlighted pieces into lines of at most `w` visible characters; each line is
/// returned as (rendered, visible length).
fn wrap(ps: &[(&str, bool)], w: usize, color: bool) -> Vec<(String, usize)> {
    let mut lines = Vec::new();
    let (mut cur, mut len) = (String::new(), 0usize);
    for (piece, hi) in ps {
        for word in piece.split_whitespace() {
            let shown = if *hi && !color {
                format!("[{word}]")
            } else {
                word.to_string()
            };
            let wl = shown.chars().count();
            let sep = usize::from(len > 0);
            if len + sep + wl > w && len > 0 {
                lines.push((std::mem::take(&mut cur), len));
                len = 0;
            }
            if len > 0 {
                cur.push(' ');
                len += 1;
            }
            if *hi && color {
                cur.push_str("\x1b[1;33m");
                cur.push_str(&shown);
                cur.push_str("\x1b[0m");
            } else {
                cur.push_str(&shown);
            }
            len += wl;
        }
    }
    if len > 0 {
        lines.push((cur, len));
    }
    lines
}

fn render_text(
    out: &mut impl Write,
    sus: &str,
    src: &str,
    c: &Comparison,
    width: usize,
    color: bool,
) -> Result<()> {
    writeln!(
        out,
        "{} passage{}, coverage {:.2}, similarity {:.2}, {} substitutions",
        c.passages.len(),
        if c.passages.len() == 1 { "" } else { "s" },
        c.coverage,
        c.similarity,
        c.substitutions.len()
    )?;
    let col = (width - 3) / 2;
    let src_marks: Vec<(usize, usize)> = {
        let mut v: Vec<(usize, usize)> = c.substitutions.iter().map(|s| s.source_bytes).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let sus_marks: Vec<(usize, usize)> = c.substitutions.iter().map(|s| s.spun_bytes).collect();
    for (k, p) in c.passages.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "passage {}: source chars {}..{}  suspect chars {}..{}",
            k + 1,
            p.source_offset,
            p.source_offset + p.source_length,
            p.this_offset,
            p.this_offset + p.this_length
        )?;
        writeln!(out, "{:<col$} | SUSPECT", "SOURCE")?;
        let l = wrap(&pieces(src, p.source_bytes, &src_marks), col, color);
        let r = wrap(&pieces(sus, p.this_bytes, &sus_marks), col, color);
        for i in 0..l.len().max(r.len()) {
            let (ls, ll) = l.get(i).cloned().unwrap_or_default();
            let rs = r.get(i).map(|x| x.0.as_str()).unwrap_or("");
            writeln!(out, "{ls}{} | {rs}", " ".repeat(col.saturating_sub(ll)))?;
        }
    }
    if !c.table.is_empty() {
        writeln!(out)?;
        writeln!(out, "substitution table (source → spun, count):")?;
        for r in &c.table {
            writeln!(out, "  {:>4}  {} → {}", r.count, r.source, r.spun)?;
        }
    }
    Ok(())
}

/// `unspin learn`: turn aligned substitutions into a user lexicon.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  unspin learn --out lexicon.tsv spun1.txt orig1.txt spun2.txt orig2.txt\n  unspin learn --out lexicon.tsv --from-index --index ./idx spun/*.txt\n\nThe lexicon (TSV: spun<TAB>original<TAB>count, lowercase) is merged into --out if it exists; check and restore read it."
)]
pub struct LearnArgs {
    /// SUSPECT SOURCE pairs; with --from-index, suspects only.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Lexicon file to create or extend.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Find each suspect's best source in the index instead of naming it.
    #[arg(long)]
    from_index: bool,
    /// Index directory (with --from-index).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Drop pairs seen fewer times than this (over the whole lexicon).
    #[arg(long, default_value_t = 1)]
    min_count: u64,
}

impl LearnArgs {
    /// Runs `learn`; returns the exit code.
    pub fn run(self) -> Result<i32> {
        let mut lx = Lexicon::read(&self.out)?;
        let before = lx.pairs.len();
        let classes = SynClasses::embedded();
        let p = AlignParams::default();
        let mut learned = 0usize;
        let mut add = |sus: &str, src: &str, lx: &mut Lexicon| {
            let c = compare(sus, src, classes, &p);
            learned += c.substitutions.len();
            lx.add_table(&c.table);
        };
        if self.from_index {
            let ix = Index::open(&index_dir(&self.index))?;
            for f in &self.files {
                let sus = read_text(f)?;
                let hits = find(&ix, &sus, &FindOptions::default())?;
                let Some(h) = hits.first() else {
                    eprintln!("unspin: {}: no source found, skipped", f.display());
                    continue;
                };
                let src = ix.text(h.doc)?;
                add(&sus, &src, &mut lx);
            }
        } else {
            if !self.files.len().is_multiple_of(2) {
                bail!(
                    "learn expects SUSPECT SOURCE pairs (got {} files); use --from-index to look sources up",
                    self.files.len()
                );
            }
            for pair in self.files.chunks(2) {
                let sus = read_text(&pair[0])?;
                let src = read_text(&pair[1])?;
                add(&sus, &src, &mut lx);
            }
        }
        lx.write(&self.out, self.min_count)?;
        eprintln!(
            "learned {learned} substitutions; {} now has {} pairs ({} new)",
            self.out.display(),
            lx.pairs.len(),
            lx.pairs.len().saturating_sub(before)
        );
        Ok(0)
    }
}
