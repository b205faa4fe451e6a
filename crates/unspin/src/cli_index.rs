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
use unspin_core::answers::{NearMiss, compare_json, fmt_evalue};
use unspin_index::LearnedLexicon as Lexicon;
use unspin_index::SynClasses;
use unspin_index::{AlignParams, Comparison, compare};
use unspin_index::{FindOptions, find, find_all};
use unspin_index::{Index, IndexWriter, Location, default_index_dir};

/// Reads a suspect or source text (`-` is standard input) with the same checks as `check`
/// (size limit, directories, binary data, invalid UTF-8); HTML (by name or content) becomes
/// its visible text.
fn read_text(path: &std::path::Path) -> Result<String> {
    let name = path.to_string_lossy();
    if name != "-" && (unspin_input::is_pdf_name(&name) || starts_like_pdf(path)) {
        // one document: the text layer
        let items = unspin_input::read_items(&name, &unspin_input::Options::default())?;
        return Ok(items
            .into_iter()
            .filter_map(|i| match i {
                unspin_input::Item::Doc(d) => Some(d.into_visible_text()),
                unspin_input::Item::Bad(_) => None,
            })
            .collect());
    }
    let text = unspin_input::read_text(&name, unspin_input::DEFAULT_MAX_BYTES)?;
    let format = unspin_input::sniff(unspin_input::Format::Auto, &name, text.as_bytes(), true);
    Ok(if format == unspin_input::Format::Html {
        unspin_text::html::visible_text(&text).text
    } else {
        text
    })
}

/// True when the file at `path` starts with `%PDF-`.
fn starts_like_pdf(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| unspin_input::pdf::looks_like_pdf(&head[..n]))
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
$XDG_DATA_HOME/unspin/index, else ~/.local/share/unspin/index. A redis:// URL \
(redis://HOST:PORT[,HOST:PORT...][/NAME]) is a shared index on Redis Cluster: every add is \
seen at once by every find and serve using the URL (verify and optimize are for directories).";

/// True when `dir` is a directory without an index (a Redis URL is checked on open).
fn no_index_here(dir: &std::path::Path) -> bool {
    matches!(Location::parse(dir), Location::Dir(_)) && !dir.join("MANIFEST.json").exists()
}

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
        after_help = "Examples:\n  unspin index add archive/ --index ./idx\n  zstdcat docs.jsonl.zst | unspin index add - --index ./idx\n\nFormats are told by name and content. Only text is added: binary files, invalid UTF-8, empty documents, documents over --max-bytes and JSONL lines that are not {\"id\",\"text\"} records are each reported on stderr (`unspin: PATH: skipped: REASON`) and skipped; the rest is added and committed.\n\nExit status: 0 ok, 2 some inputs were skipped (the others were added) or an error."
    )]
    Add(AddArgs),
    /// Show document, segment and size counts.
    Stats(StatsArgs),
    /// Remove documents by id (exit status 1 when an id is not in the index; the others are
    /// still removed).
    Remove(RemoveArgs),
    /// Merge the segments left by many `add`s into as few as possible, dropping removed and
    /// replaced documents (find gets faster; safe to interrupt; readers keep working).
    Optimize(OptimizeArgs),
    /// Check every segment's checksums (header and body) and its counts against the manifest.
    /// With --repair, damaged or missing segments are dropped from the index (one manifest
    /// swap; the other segments are not touched; their files are kept as damaged-<name>); add
    /// their documents again.
    #[command(
        after_help = "Examples:\n  unspin index verify --index ./idx\n  unspin index verify --repair --index ./idx\n\nExit status: 0 every segment is sound (or was dropped with --repair), 1 damage found (without --repair), 2 error."
    )]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Drop damaged or missing segments from the index.
    #[arg(long)]
    repair: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `unspin index verify [--repair]`.
fn verify(a: VerifyArgs) -> Result<i32> {
    use unspin_index::SegmentStatus;
    let dir = index_dir(&a.index);
    if let Location::Redis(url) = Location::parse(&dir) {
        bail!("{url}: a Redis index has no segment files to verify (Redis replication keeps it)");
    }
    let checks = unspin_index::verify(&dir)?;
    let damaged: Vec<String> = checks
        .iter()
        .filter(|c| matches!(c.status, SegmentStatus::Damaged(_)))
        .map(|c| c.name.clone())
        .collect();
    let lost = if a.repair && !damaged.is_empty() {
        let mut w = IndexWriter::open(&dir)?;
        Some(w.drop_segments(&damaged)?)
    } else {
        None
    };
    match a.format {
        Format::Json => {
            let v = serde_json::json!({
                "index": dir.display().to_string(),
                "segments": checks,
                "damaged": damaged.len(),
                "repaired": lost.is_some(),
                "documents_dropped": lost.unwrap_or(0),
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Text => {
            for c in &checks {
                match &c.status {
                    SegmentStatus::Ok => println!(
                        "{}: ok ({})",
                        c.name,
                        plural(c.docs.into(), "document", "documents")
                    ),
                    SegmentStatus::Unchecked => println!(
                        "{}: unchecked: format 1 has no checksums (`unspin index optimize` rewrites it with them)",
                        c.name
                    ),
                    SegmentStatus::Damaged(why) => println!("{}: DAMAGED: {why}", c.name),
                }
            }
            let n = plural(checks.len() as u64, "segment", "segments");
            match (damaged.len(), lost) {
                (0, _) => println!("{}: {n}, no damage found", dir.display()),
                (k, None) => println!(
                    "{}: {k} of {n} damaged; `unspin index verify --repair` drops them from the index",
                    dir.display()
                ),
                (k, Some(lost)) => println!(
                    "{}: dropped {k} damaged of {n} ({} lost: add them again); the others were not touched",
                    dir.display(),
                    plural(lost, "document", "documents")
                ),
            }
        }
    }
    Ok(if damaged.is_empty() || lost.is_some() {
        0
    } else {
        1
    })
}

#[derive(Debug, Args)]
struct OptimizeArgs {
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Files, directories or `-`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Documents per committed batch (a crash loses at most the batch in flight).
    #[arg(long, default_value_t = 100_000, value_name = "N", value_parser = crate::parse_count)]
    batch: usize,
    /// Merge the small segments (under half a batch) once more than N of them have piled up
    /// from small adds; 0 never merges (see `index optimize`).
    #[arg(long, default_value_t = 10, value_name = "N")]
    merge_after: usize,
    /// Refuse documents larger than this many bytes (a file, or one JSONL line; they are
    /// reported and skipped).
    #[arg(long, default_value_t = unspin_input::DEFAULT_MAX_BYTES, value_name = "BYTES", value_parser = crate::parse_count_u64)]
    max_bytes: u64,
    /// No progress bar and no summary (skipped inputs are still reported).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
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
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
}

impl IndexArgs {
    /// Runs the subcommand; returns the exit code.
    pub fn run(self) -> Result<i32> {
        match self.cmd {
            IndexCmd::Add(a) => add(a),
            IndexCmd::Verify(a) => verify(a),
            IndexCmd::Stats(a) => {
                let dir = index_dir(&a.index);
                let ix = Index::open(&dir)?;
                let s = ix.stats();
                match a.format {
                    Format::Json => println!("{}", serde_json::to_string_pretty(&s)?),
                    Format::Text => {
                        // the JSON's names, one per line
                        println!("index      {}", s.dir.display());
                        println!("format     {}", s.format);
                        println!("generation {}", s.generation);
                        println!("documents  {}", s.docs);
                        println!("deleted    {}", s.deleted);
                        println!("chunks     {}", s.chunks);
                        println!("segments   {}", s.segments);
                        println!("bytes      {} ({:.1} MB)", s.bytes, s.bytes as f64 / 1e6);
                    }
                }
                Ok(0)
            }
            IndexCmd::Optimize(a) => {
                let dir = index_dir(&a.index);
                if no_index_here(&dir) {
                    bail!("{}: no unspin index here", dir.display());
                }
                let mut w = IndexWriter::open(&dir)?;
                let t = Instant::now();
                let m = w.merge()?;
                match a.format {
                    Format::Json => println!("{}", serde_json::to_string_pretty(&m)?),
                    Format::Text => println!(
                        "{}: {} -> {}, {} kept, {} removed or replaced dropped, \
                         {:.1} MB -> {:.1} MB in {:.1} s",
                        dir.display(),
                        plural(m.segments_before as u64, "segment", "segments"),
                        m.segments_after,
                        plural(m.docs, "document", "documents"),
                        m.dropped,
                        m.bytes_before as f64 / 1e6,
                        m.bytes_after as f64 / 1e6,
                        t.elapsed().as_secs_f64()
                    ),
                }
                Ok(0)
            }
            IndexCmd::Remove(a) => {
                let dir = index_dir(&a.index);
                if no_index_here(&dir) {
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

/// A source or record `index add` could not use (the run goes on without it).
fn skip(skipped: &mut u64, pb: &ProgressBar, what: &str, reason: &str) {
    *skipped += 1;
    pb.suspend(|| eprintln!("unspin: {what}: skipped: {reason}"));
}

fn add(a: AddArgs) -> Result<i32> {
    let dir = index_dir(&a.index);
    let sources = unspin_input::expand(&a.paths);
    let total: u64 = sources
        .iter()
        .flatten()
        .map(|p| unspin_input::size_of(p))
        .sum();
    let mut w = IndexWriter::open(&dir)?;
    w.batch_docs = a.batch.max(1);
    w.merge_after = a.merge_after;
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
    let opts = unspin_input::Options {
        format: unspin_input::Format::Auto,
        max_bytes: a.max_bytes,
        allow_empty: false,
    };
    let start = Instant::now();
    let (mut docs, mut skipped) = (0u64, 0u64);
    let mut done_bytes = 0u64;
    /// Why reading a source stopped: the source itself, or the index.
    enum Stop {
        Input(unspin_input::InputError),
        Index(unspin_index::IndexError),
    }
    impl From<unspin_input::InputError> for Stop {
        fn from(e: unspin_input::InputError) -> Self {
            Stop::Input(e)
        }
    }
    for src in &sources {
        let path = match src {
            Ok(p) => p,
            Err(e) => {
                skip(&mut skipped, &pb, e.path(), &e.reason());
                continue;
            }
        };
        let mut last = 0u64;
        let r = unspin_input::read_each::<Stop>(path, &opts, &mut |item, consumed| {
            pb.inc(consumed.saturating_sub(last));
            last = consumed;
            let d = match item {
                unspin_input::Item::Doc(d) => d,
                unspin_input::Item::Bad(b) => {
                    skip(
                        &mut skipped,
                        &pb,
                        &format!("{}: line {}", b.path, b.line),
                        &b.error,
                    );
                    return Ok(());
                }
            };
            let line = d.line;
            match unspin_index::new_doc(d) {
                Ok(nd) => {
                    w.add(nd).map_err(Stop::Index)?;
                    docs += 1;
                }
                Err(reason) => {
                    let what = format!("{path}: line {}", line.unwrap_or(0));
                    skip(&mut skipped, &pb, &what, &reason);
                }
            }
            if docs.is_multiple_of(1000) {
                let rate = docs as f64 / start.elapsed().as_secs_f64().max(1e-3);
                pb.set_message(format!("{docs} docs, {rate:.0} docs/s"));
            }
            Ok(())
        });
        match r {
            Ok(()) => {}
            Err(Stop::Input(e)) => skip(&mut skipped, &pb, e.path(), &e.reason()),
            Err(Stop::Index(e)) => return Err(e).with_context(|| format!("adding {path}")),
        }
        done_bytes += unspin_input::size_of(path);
        pb.set_position(done_bytes);
    }
    pb.set_message(format!("{docs} docs, committing"));
    w.commit()?;
    pb.finish_and_clear();
    drop(w);
    if !a.quiet || skipped > 0 {
        let s = Index::open(&dir)?.stats();
        let skipped_note = if skipped > 0 {
            format!(
                "; skipped {} (see above)",
                plural(skipped, "input", "inputs")
            )
        } else {
            String::new()
        };
        eprintln!(
            "added {} in {:.1}s{skipped_note}; index {} now has {}, {:.1} MB",
            plural(docs, "document", "documents"),
            start.elapsed().as_secs_f64(),
            dir.display(),
            plural(s.docs, "document", "documents"),
            s.bytes as f64 / 1e6
        );
    }
    Ok(if skipped > 0 { 2 } else { 0 })
}

/// `1 document`, `2 documents`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
    after_help = "Examples:\n  unspin find suspect.txt --index ./idx\n  unspin find --format json - < suspect.txt\n  unspin find --input jsonl --format jsonl crawl.jsonl --index ./idx   many suspects, all cores\n\nExit status: 0 ok (1 with --fail-if-found when a source is found), 2 error (a suspect that cannot be read, or a JSONL line that is not a record, is reported and the others are still searched; in JSON/JSONL output a bad line's place holds an error record {\"path\",\"line\",\"id\",\"error\"}).\n\nIndex location: --index DIR, else $UNSPIN_INDEX, else $XDG_DATA_HOME/unspin/index, else ~/.local/share/unspin/index."
)]
pub struct FindArgs {
    /// Suspect texts (text, HTML or JSONL files), or `-` for standard input.
    #[arg(default_value = "-")]
    files: Vec<PathBuf>,
    /// How to read the suspects (JSONL: lines of {"id", "text"}).
    #[arg(long, value_enum, default_value_t = crate::input::InputFormat::Auto)]
    input: crate::input::InputFormat,
    /// Index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index on
    /// Redis Cluster.
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Most sources to list.
    #[arg(long, short = 'n', default_value_t = 10, value_parser = crate::parse_count)]
    limit: usize,
    /// Least share of the suspect a source must cover.
    #[arg(long, default_value_t = 0.05, value_name = "F", value_parser = crate::parse_unit)]
    min_coverage: f64,
    /// Largest E-value of a reported source: the number of unrelated documents expected to
    /// show a passage as strong by chance in an index of this size (the reporting threshold;
    /// see BENCHMARKS.md for how it was set).
    #[arg(long, default_value_t = unspin_index::DEFAULT_MAX_EVALUE, value_name = "E", value_parser = parse_evalue)]
    max_evalue: f64,
    /// Least number of matching words in a source's strongest passage (a floor besides the
    /// E-value).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = crate::parse_count)]
    min_passage: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: FindFormat,
    /// Exit with status 1 when at least one source is found.
    #[arg(long)]
    fail_if_found: bool,
    /// Worker threads for many suspects (default: one per core).
    #[arg(long, short = 'j', value_parser = crate::parse_count)]
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
        // the output stream in input order: a suspect (by number) or a bad JSONL line
        let mut entries: Vec<Result<usize, crate::input::BadLine>> = Vec::new();
        for f in &self.files {
            let name = f.to_string_lossy();
            match crate::input::read_items(&name, self.input, crate::input::DEFAULT_MAX_BYTES) {
                Ok(items) => {
                    for item in items {
                        match item {
                            crate::input::Item::Doc(d) => {
                                entries.push(Ok(suspects.len()));
                                let id = d.id.clone().or_else(|| d.line.map(|l| l.to_string()));
                                suspects.push(Suspect {
                                    name: d.path.clone(),
                                    id,
                                    text: d.into_visible_text(),
                                });
                            }
                            crate::input::Item::Bad(b) => entries.push(Err(b)),
                        }
                    }
                }
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
            max_evalue: self.max_evalue,
            ..FindOptions::default()
        };
        let search = |s: &Suspect| {
            let t = Instant::now();
            let hits = find_all(&ix, &s.text, &opt);
            (hits, t.elapsed().as_secs_f64() * 1e3)
        };
        let results: Vec<_> = match self.jobs {
            Some(j) => rayon::ThreadPoolBuilder::new()
                .num_threads(j.max(1))
                .build()?
                .install(|| suspects.par_iter().map(search).collect()),
            None => suspects.par_iter().map(search).collect(),
        };
        let threshold = serde_json::json!({ "max_evalue": self.max_evalue, "min_coverage": self.min_coverage, "min_passage": self.min_passage });
        // one write per buffer, not per line (stdout is line-buffered)
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut found = false;
        let mut objects = Vec::new();
        let mut results: Vec<Option<_>> = results.into_iter().map(Some).collect();
        for entry in &entries {
            let k = match entry {
                Ok(k) => *k,
                Err(b) => {
                    failed = true;
                    out.flush()?;
                    crate::input::report_bad_line(b);
                    match self.format {
                        FindFormat::Json => objects.push(serde_json::to_value(b)?),
                        FindFormat::Jsonl => writeln!(out, "{}", serde_json::to_string(b)?)?,
                        FindFormat::Text => {}
                    }
                    continue;
                }
            };
            let s = &suspects[k];
            let Some((hits, ms)) = results[k].take() else {
                continue;
            };
            let label = match &s.id {
                Some(id) => format!("{}#{id}", s.name),
                None => s.name.clone(),
            };
            let (hits, near) = match hits {
                Ok(f) => (f.hits, f.near_miss),
                Err(e) => {
                    eprintln!("unspin: error: {label}: {e:#}");
                    failed = true;
                    continue;
                }
            };
            found |= !hits.is_empty();
            let near = near.map(|h| NearMiss::new(h, &opt));
            match self.format {
                FindFormat::Json | FindFormat::Jsonl => {
                    let mut v = serde_json::json!({ "suspect": s.name, "sources": hits, "threshold": threshold });
                    if let Some(id) = &s.id {
                        v["id"] = serde_json::json!(id);
                    }
                    if let Some(n) = &near {
                        v["near_miss"] = serde_json::to_value(n)?;
                    }
                    if self.format == FindFormat::Jsonl {
                        writeln!(out, "{}", serde_json::to_string(&v)?)?;
                    } else {
                        objects.push(v);
                    }
                }
                FindFormat::Text => {
                    write_hits_text(&mut out, &label, &hits, ms)?;
                    if let Some(n) = &near {
                        out.flush()?;
                        eprintln!("unspin: {label}: {}", n.describe());
                    }
                }
            }
        }
        if self.format == FindFormat::Json {
            let v = if objects.len() == 1 && entries.len() == 1 && entries[0].is_ok() {
                objects.pop().unwrap_or_default()
            } else {
                serde_json::Value::Array(objects)
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        out.flush()?;
        Ok(if failed {
            2
        } else if self.fail_if_found && found {
            1
        } else {
            0
        })
    }
}

/// `--max-evalue`: a positive number.
fn parse_evalue(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?}: expected a positive number, e.g. 1e-6")),
    }
}

fn write_hits_text(
    out: &mut impl Write,
    name: &str,
    hits: &[unspin_index::Hit],
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
    // the id column is as wide as the longest id, up to ID_WIDTH; a longer id is shown by
    // its end (where file names differ), after an ellipsis, so the columns stay in line
    let w = hits
        .iter()
        .map(|h| h.id.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(2, ID_WIDTH);
    writeln!(
        out,
        "{:>3}  {:<w$} {:>7} {:>10} {:>8} {:>7} {:>8}  title",
        "#", "id", "E-value", "similarity", "coverage", "matched", "passages"
    )?;
    for (k, h) in hits.iter().enumerate() {
        writeln!(
            out,
            "{:>3}  {:<w$} {:>7} {:>10.2} {:>8.2} {:>7} {:>8}  {}",
            k + 1,
            fit_id(&h.id, w),
            fmt_evalue(h.evalue),
            h.similarity,
            h.coverage,
            h.matched,
            h.passages,
            h.title
        )?;
        if hits.len() > 1 && !h.ranges.is_empty() {
            let r: Vec<String> = h
                .ranges
                .iter()
                .map(|s| format!("{}..{}", s.suspect.0, s.suspect.1))
                .collect();
            writeln!(out, "     {:<w$} covers suspect bytes {}", "", r.join(", "))?;
        }
    }
    Ok(())
}

/// Widest id column of the `find` table.
const ID_WIDTH: usize = 48;

/// `id` in at most `w` characters: a longer one as `…` and its last `w - 1` characters.
fn fit_id(id: &str, w: usize) -> String {
    let n = id.chars().count();
    if n <= w {
        return id.to_string();
    }
    let tail: String = id.chars().skip(n - (w - 1)).collect();
    format!("…{tail}")
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
    /// Width of the side-by-side view, 40 to 1000 (default: terminal width or 100).
    #[arg(long, value_parser = parse_width)]
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
                let v = compare_json(
                    &self.suspect.display().to_string(),
                    &self.source.display().to_string(),
                    &c,
                );
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

/// `--width`: 40 to 1000 columns.
fn parse_width(s: &str) -> Result<usize, String> {
    let v = crate::parse_count(s)?;
    if (40..=1000).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 40 and 1000 columns"))
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// A word of the side-by-side view and whether it follows the previous one without a space
/// (punctuation: *budget.*).
type Word<'a> = (&'a str, bool);

/// The words of `text[a..b]`, the first marked when no whitespace precedes it in `text` (the
/// passage's first word, at `start`, never is).
fn words_in(text: &str, (a, b): (usize, usize), start: usize) -> Vec<Word<'_>> {
    let Some(part) = text.get(a..b) else {
        return Vec::new();
    };
    let glued = a > start
        && !part.starts_with(char::is_whitespace)
        && text[..a]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace());
    part.split_whitespace()
        .enumerate()
        .map(|(i, w)| (w, glued && i == 0))
        .collect()
}

/// One unit of the side-by-side view: the source's words and the suspect's words that stand
/// for each other (a matched word, or a substitution when `sub`).
#[derive(Debug, PartialEq)]
struct Cell<'a> {
    src: Vec<Word<'a>>,
    sus: Vec<Word<'a>>,
    sub: bool,
}

/// The passage `p` as cells in reading order: the substitutions inside it, and between them
/// the matched text, word for word when both sides have as many words (else as one cell).
/// A substitution out of order with the ones before it (overlapping them on one side) is
/// shown as matched text.
fn cells<'a>(
    src: &'a str,
    sus: &'a str,
    p: &unspin_index::Passage,
    subs: &[unspin_index::Substitution],
) -> Vec<Cell<'a>> {
    let (s0, s1) = p.source_bytes;
    let (t0, t1) = p.suspect_bytes;
    let mut inside: Vec<&unspin_index::Substitution> = subs
        .iter()
        .filter(|x| {
            x.source_bytes.0 >= s0
                && x.source_bytes.1 <= s1
                && x.spun_bytes.0 >= t0
                && x.spun_bytes.1 <= t1
        })
        .collect();
    inside.sort_by_key(|x| x.source_bytes);
    let mut out = Vec::new();
    let (mut a, mut b) = (s0, t0);
    let gap = |out: &mut Vec<Cell<'a>>, x: (usize, usize), y: (usize, usize)| {
        let (xs, ys) = (words_in(src, x, s0), words_in(sus, y, t0));
        if xs.len() == ys.len() {
            out.extend(xs.into_iter().zip(ys).map(|(x, y)| Cell {
                src: vec![x],
                sus: vec![y],
                sub: false,
            }));
        } else if !xs.is_empty() || !ys.is_empty() {
            out.push(Cell {
                src: xs,
                sus: ys,
                sub: false,
            });
        }
    };
    for x in inside {
        let (sa, sb) = x.source_bytes;
        let (ta, tb) = x.spun_bytes;
        if sa < a || ta < b {
            continue;
        }
        gap(&mut out, (a, sa), (b, ta));
        out.push(Cell {
            src: words_in(src, (sa, sb), s0),
            sus: words_in(sus, (ta, tb), t0),
            sub: true,
        });
        (a, b) = (sb, tb);
    }
    gap(&mut out, (a, s1), (b, t1));
    out
}

/// A rendered line and its visible width.
type Line = (String, usize);

/// Lays cells out in rows of at most `col` visible characters per side, keeping every cell's
/// two sides on the same row (so the columns never drift apart); a cell too wide for one row
/// gets rows of its own.
fn sync_rows(cells: &[Cell], col: usize, color: bool) -> Vec<(Line, Line)> {
    // (rendered, visible width, glued to the previous word); a substitution is bracketed as
    // a whole without colour, highlighted word by word with it
    let style = |ws: &[Word], sub: bool| -> Vec<(String, usize, bool)> {
        let n = ws.len();
        ws.iter()
            .enumerate()
            .map(|(i, &(w, glued))| {
                let shown = match (sub && !color, i == 0, i + 1 == n) {
                    (true, true, true) => format!("[{w}]"),
                    (true, true, false) => format!("[{w}"),
                    (true, false, true) => format!("{w}]"),
                    _ => w.to_string(),
                };
                let width = shown.chars().count();
                if sub && color {
                    (format!("\x1b[1;33m{shown}\x1b[0m"), width, glued)
                } else {
                    (shown, width, glued)
                }
            })
            .collect()
    };
    // width with a space before every word that is not glued on
    let width = |ws: &[(String, usize, bool)]| -> usize {
        ws.iter().map(|w| w.1 + usize::from(!w.2)).sum::<usize>()
    };
    let push = |line: &mut Line, ws: &[(String, usize, bool)]| {
        for (w, n, glued) in ws {
            if line.1 > 0 && !glued {
                line.0.push(' ');
                line.1 += 1;
            }
            line.0.push_str(w);
            line.1 += n;
        }
    };
    let mut rows: Vec<(Line, Line)> = Vec::new();
    let mut cur: (Line, Line) = Default::default();
    for c in cells {
        let (l, r) = (style(&c.src, c.sub), style(&c.sus, c.sub));
        let (lw, rw) = (width(&l), width(&r));
        // on an empty line the first space is not printed
        let fits = |line: &Line, w: usize| w == 0 || line.1 + w <= col + usize::from(line.1 == 0);
        if fits(&cur.0, lw) && fits(&cur.1, rw) {
            push(&mut cur.0, &l);
            push(&mut cur.1, &r);
            continue;
        }
        if cur.0.1 > 0 || cur.1.1 > 0 {
            rows.push(std::mem::take(&mut cur));
        }
        if lw <= col + 1 && rw <= col + 1 {
            push(&mut cur.0, &l);
            push(&mut cur.1, &r);
            continue;
        }
        // wider than a row: each side word-wrapped on rows of its own
        let wrap_side = |ws: &[(String, usize, bool)]| -> Vec<Line> {
            let mut lines: Vec<Line> = Vec::new();
            let mut line: Line = Default::default();
            for w in ws {
                if line.1 > 0 && line.1 + 1 + w.1 > col {
                    lines.push(std::mem::take(&mut line));
                }
                push(&mut line, std::slice::from_ref(w));
            }
            if line.1 > 0 {
                lines.push(line);
            }
            lines
        };
        let (ll, rl) = (wrap_side(&l), wrap_side(&r));
        for i in 0..ll.len().max(rl.len()) {
            rows.push((
                ll.get(i).cloned().unwrap_or_default(),
                rl.get(i).cloned().unwrap_or_default(),
            ));
        }
    }
    if cur.0.1 > 0 || cur.1.1 > 0 {
        rows.push(cur);
    }
    rows
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
        "{} passage{}, coverage {:.2}, similarity {:.2}, {}",
        c.passages.len(),
        if c.passages.len() == 1 { "" } else { "s" },
        c.coverage,
        c.similarity,
        plural(
            c.substitutions.len() as u64,
            "substitution",
            "substitutions"
        )
    )?;
    let col = (width - 3) / 2;
    for (k, p) in c.passages.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "passage {}: source chars {}..{}  suspect chars {}..{}",
            k + 1,
            p.source_offset,
            p.source_offset + p.source_length,
            p.suspect_offset,
            p.suspect_offset + p.suspect_length
        )?;
        writeln!(out, "{:<col$} | SUSPECT", "SOURCE")?;
        for ((ls, ll), (rs, _)) in sync_rows(&cells(src, sus, p, &c.substitutions), col, color) {
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
    /// Index directory or redis:// URL (with --from-index).
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Drop pairs seen fewer times than this (over the whole lexicon).
    #[arg(long, default_value_t = 1, value_parser = crate::parse_count_u64)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sus: &str, src: &str, col: usize) -> Vec<(String, String)> {
        let c = unspin_index::compare(
            sus,
            src,
            unspin_index::SynClasses::embedded(),
            &unspin_index::AlignParams::default(),
        );
        let p = &c.passages[0];
        sync_rows(&cells(src, sus, p, &c.substitutions), col, false)
            .into_iter()
            .map(|((l, _), (r, _))| (l, r))
            .collect()
    }

    /// Regression: the two columns were wrapped each on its own, so a long spun phrase pushed
    /// the suspect column lines behind the source column.
    #[test]
    fn side_by_side_columns_stay_in_step() {
        let src = "The council will meet on May 15 to discuss the new budget. Road repairs are \
            high on their agenda, and the mayor said the plan would therefore be ready before \
            the summer. The council has always said that safety comes first in every project.";
        let sus = "The council will meet on Could 15 to debate the new budget. Road repairs are \
            excessive on their agenda, and the mayor stated the plan would due to this fact be \
            ready before the summer. The council has at all times stated that security comes \
            first in every project.";
        for col in [20, 30, 48] {
            let rows = view(sus, src, col);
            for (l, r) in &rows {
                assert!(
                    l.chars().count() <= col && r.chars().count() <= col,
                    "{l} | {r}"
                );
            }
            // every row holds the same matched words on both sides (a substitution may
            // continue on the next row: bracket depth carries over)
            let plain = |s: &str, depth: &mut i32| -> Vec<String> {
                let mut out = String::new();
                for ch in s.chars() {
                    match ch {
                        '[' => *depth += 1,
                        ']' => *depth -= 1,
                        _ if *depth == 0 => out.push(ch),
                        _ => out.push(' '),
                    }
                }
                out.split_whitespace().map(str::to_string).collect()
            };
            let (mut dl, mut dr) = (0, 0);
            for (l, r) in &rows {
                assert_eq!(plain(l, &mut dl), plain(r, &mut dr), "{rows:#?}");
            }
            let row = rows
                .iter()
                .find(|(l, _)| l.contains("[therefore]"))
                .expect("the substitution is shown");
            assert!(row.1.contains("[due to this fact]"), "{row:?}");
        }
    }

    /// Regression: an id longer than its column pushed the other columns of its row out of
    /// line with the header.
    #[test]
    fn find_table_columns_stay_in_line_with_long_ids() {
        let hit = |id: &str| unspin_index::Hit {
            id: id.to_string(),
            title: "T".into(),
            url: String::new(),
            coverage: 0.0,
            similarity: 0.0,
            matched: 30,
            evalue: 1e-12,
            bits: 60.0,
            total_bits: 60.0,
            passages: 1,
            best_passage: 30,
            band_hits: 3,
            ranges: Vec::new(),
            doc: unspin_index::DocRef { seg: 0, doc: 0 },
        };
        let long = format!("archive/{}/article.txt", "very-long-folder-name".repeat(5));
        let hits = [hit("a"), hit(&long), hit("b/short.txt")];
        let mut out = Vec::new();
        write_hits_text(&mut out, "s", &hits, 1.0).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        let col = rows[0].find("similarity").unwrap() + "similarity".len();
        for r in &rows[1..] {
            // the similarity figure ends where its header does
            let end = r
                .char_indices()
                .nth(col - 1)
                .map(|(i, c)| i + c.len_utf8())
                .unwrap();
            assert!(r[..end].ends_with("0.00"), "{text}");
            assert!(r.chars().count() < 120, "{text}");
        }
        assert!(text.contains("…") && text.contains("article.txt"), "{text}");
        assert_eq!(fit_id("abcdef", 4), "…def");
        assert_eq!(fit_id("abc", 4), "abc");
    }

    #[test]
    fn punctuation_stays_on_its_word() {
        let tail = " Then the members of the council left the old town hall together and walked \
            along the river to the station, where a crowd of residents was waiting for them.";
        let rows = view(
            &format!("The council met to debate the finances.{tail}"),
            &format!("The council met to discuss the budget.{tail}"),
            40,
        );
        let text: String = rows
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("[budget]."), "{rows:?}");
        assert!(!text.contains(" ."), "{rows:?}");
    }
}
