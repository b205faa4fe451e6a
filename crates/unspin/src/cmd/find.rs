//! `unspin find`: the ranked sources of suspect texts.

use super::*;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use unspin_core::answers::{NearMiss, fmt_evalue};
use unspin_index::Index;
use unspin_index::{FindOptions, find_all};

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
    #[arg(long, short = 'n', default_value_t = 10, value_parser = crate::args::parse_count)]
    limit: usize,
    /// Least share of the suspect a source must cover.
    #[arg(long, default_value_t = 0.05, value_name = "F", value_parser = crate::args::parse_unit)]
    min_coverage: f64,
    /// Largest E-value of a reported source: the number of unrelated documents expected to
    /// show a passage as strong by chance in an index of this size (the reporting threshold;
    /// see BENCHMARKS.md for how it was set).
    #[arg(long, default_value_t = unspin_index::DEFAULT_MAX_EVALUE, value_name = "E", value_parser = parse_evalue)]
    max_evalue: f64,
    /// Least number of matching words in a source's strongest passage (a floor besides the
    /// E-value).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = crate::args::parse_count)]
    min_passage: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: FindFormat,
    /// Exit with status 1 when at least one source is found.
    #[arg(long)]
    fail_if_found: bool,
    /// Worker threads for many suspects (default: one per core).
    #[arg(long, short = 'j', value_parser = crate::args::parse_count)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
