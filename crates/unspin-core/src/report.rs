//! A checked document's report: what `check --format json` prints for it, what the server's
//! `/v1/check` answers and what the Python package's `check` returns.

use crate::from_source::{SourceMark, SourcedAnalysis, UsedSource, check_with_index};
use serde::Serialize;
use unspin_engine::{Analysis, Cancel, Cancelled, CheckOptions, Engine, Finding, MIN_JUDGED_WORDS};
use unspin_index::Index;
use unspin_input::Doc;

/// The JSON shape of one checked document.
#[derive(Debug, Default, Serialize)]
pub struct DocReport {
    /// Record id (JSONL input only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// File name or `-`.
    pub path: String,
    /// The record's URL (a WARC record's `WARC-Target-URI`, a JSONL record's `url`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Spin score in [0, 1]: the share of words in passages judged spun.
    pub score: f64,
    /// What the score says: `spun`, `possibly spun`, `partly spun`, `mostly clean`, `looks
    /// clean`, or `too short to judge` (fewer than [`MIN_JUDGED_WORDS`] words).
    pub verdict: &'static str,
    /// Words that could have been spun (the score's denominator).
    pub words: usize,
    /// Findings with byte offsets into the input as given (with `--index`, those restored
    /// from a source carry `source`, `source_start` and `source_end`).
    pub findings: Vec<ReportFinding>,
    /// For a PDF: its number of pages (the findings' offsets are into the extracted text,
    /// which `restored` is the restoration of, and each finding has its `page`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    /// With `--index`: the sources parts of the text were restored from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<UsedSource>,
    /// The input with every finding replaced by its suggestion.
    pub restored: String,
    /// The text that was checked (not serialised: the report page highlights it).
    #[serde(skip)]
    pub text: String,
}

/// A finding of a report, and where its suggestion comes from when it was restored from
/// a source.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// The source it was restored from (`check --index`).
    #[serde(flatten)]
    pub from: Option<SourceMark>,
    /// The page (from 1) it is on, for a PDF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
}

impl std::ops::Deref for ReportFinding {
    type Target = Finding;
    fn deref(&self) -> &Finding {
        &self.finding
    }
}

/// The analysis of `text`, from the sources found in `index` where there is one; stops with
/// [`Cancelled`] once `cancel` is cancelled (the source-free check; finding the source is not
/// stopped midway).
fn analyse(
    engine: &Engine,
    text: &str,
    opts: &CheckOptions,
    index: Option<&Index>,
    cancel: &Cancel,
) -> Result<SourcedAnalysis, Cancelled> {
    if let Some(ix) = index {
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        match check_with_index(engine, ix, text, opts) {
            Ok(a) => return Ok(a),
            Err(e) => eprintln!("unspin: index: {e}; checking without sources"),
        }
    }
    let analysis = engine.check_with(text, opts, cancel)?;
    Ok(SourcedAnalysis {
        marks: vec![None; analysis.findings.len()],
        analysis,
        sources: Vec::new(),
    })
}

/// Checks one document (plain text or HTML), restoring from the sources found in `index`
/// where there are some.
pub fn check_doc(
    engine: &Engine,
    doc: Doc,
    opts: &CheckOptions,
    index: Option<&Index>,
) -> DocReport {
    check_doc_with(engine, doc, opts, index, &Cancel::new()).unwrap_or_else(|Cancelled| {
        // a token nobody cancels and without a deadline never stops the check
        DocReport::default()
    })
}

/// [`check_doc`] that stops with [`Cancelled`] once `cancel` is cancelled.
pub fn check_doc_with(
    engine: &Engine,
    doc: Doc,
    opts: &CheckOptions,
    index: Option<&Index>,
    cancel: &Cancel,
) -> Result<DocReport, Cancelled> {
    let (findings, restored, a, sources) = if doc.html {
        let ht = unspin_text::html::visible_text(doc.markup());
        let sa = analyse(engine, &ht.text, opts, index, cancel)?;
        let a = sa.analysis;
        let mut edits = Vec::new();
        let mut findings = Vec::new();
        for (f, m) in a.findings.iter().zip(&sa.marks) {
            // Spinners leave link anchor text alone; so do we.
            if ht.links.iter().any(|l| l.start < f.end && f.start < l.end) {
                continue;
            }
            let Some(src) = ht.source_range(f.start..f.end) else {
                continue;
            };
            edits.push((src.start, src.end, f.suggestion.clone()));
            findings.push(ReportFinding {
                finding: Finding {
                    start: src.start,
                    end: src.end,
                    text: doc.text[src.clone()].to_string(),
                    ..f.clone()
                },
                from: m.clone(),
                page: None,
            });
        }
        let e: Vec<(usize, usize, &str)> =
            edits.iter().map(|(s, e, t)| (*s, *e, t.as_str())).collect();
        let restored = unspin_text::apply_edits(&doc.text, &e);
        // the sources' ranges refer to the visible text: mapped to the HTML
        let sources = sa
            .sources
            .into_iter()
            .map(|mut s| {
                s.ranges = s
                    .ranges
                    .iter()
                    .filter_map(|r| ht.source_range(r.0..r.1).map(|x| (x.start, x.end)))
                    .collect();
                s
            })
            .collect();
        (findings, restored, a, sources)
    } else {
        let sa = analyse(engine, &doc.text, opts, index, cancel)?;
        let a = sa.analysis;
        let restored = unspin_engine::restore(&doc.text, &a.findings);
        let findings = a
            .findings
            .iter()
            .zip(sa.marks)
            .map(|(f, m)| ReportFinding {
                finding: f.clone(),
                from: m,
                page: doc.page_at(f.start),
            })
            .collect();
        (findings, restored, a, sa.sources)
    };
    let Analysis { score, words, .. } = a;
    Ok(DocReport {
        // a JSONL record without an id is known by its line number
        id: doc.id.or_else(|| doc.line.map(|l| l.to_string())),
        pages: (!doc.pages.is_empty()).then_some(doc.pages.len()),
        path: doc.path,
        url: doc.url,
        score,
        verdict: verdict(score, findings.len(), words),
        words,
        findings,
        sources,
        restored,
        text: doc.text,
    })
}

/// The verdict on a text of fewer than [`MIN_JUDGED_WORDS`] words.
pub const TOO_SHORT: &str = "too short to judge";

/// The score is the share of the text's words in passages judged spun; a text that scores
/// low but has findings (a lone tortured phrase in a clean paper) is not called clean, and
/// one of fewer than [`MIN_JUDGED_WORDS`] words is [`TOO_SHORT`] (its findings are still
/// reported).
pub fn verdict(score: f64, findings: usize, words: usize) -> &'static str {
    if words < MIN_JUDGED_WORDS {
        TOO_SHORT
    } else if score >= 0.8 {
        "spun"
    } else if score >= 0.4 {
        "possibly spun"
    } else if score >= 0.1 {
        "partly spun"
    } else if findings > 0 {
        "mostly clean"
    } else {
        "looks clean"
    }
}
