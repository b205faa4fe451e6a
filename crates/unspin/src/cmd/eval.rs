//! `unspin eval`: detection and restoration measured on a labelled set.

use anyhow::{Context, Result};
use clap::Args;
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;
use unspin_engine::eval::{Counts, Labelled, count_words};
use unspin_engine::{CheckOptions, DEFAULT_THRESHOLD};

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
        let params = crate::args::params_with(&self.overrides)?;
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
