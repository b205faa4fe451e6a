//! `unspin index add|stats|remove|verify|optimize`: build and maintain the source index.

use super::*;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;
use unspin_index::{Index, IndexWriter, Location};

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
    #[arg(long, default_value_t = 100_000, value_name = "N", value_parser = crate::args::parse_count)]
    batch: usize,
    /// Merge the small segments (under half a batch) once more than N of them have piled up
    /// from small adds; 0 never merges (see `index optimize`).
    #[arg(long, default_value_t = 10, value_name = "N")]
    merge_after: usize,
    /// Refuse documents larger than this many bytes (a file, or one JSONL line; they are
    /// reported and skipped).
    #[arg(long, default_value_t = unspin_input::DEFAULT_MAX_BYTES, value_name = "BYTES", value_parser = crate::args::parse_count_u64)]
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
