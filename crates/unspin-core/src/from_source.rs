//! Restoration from a source: `check --index`, `restore --index`, `eval --index` and the
//! server's check and restore when it has an index.
//!
//! The text's sources are searched for in the index (`find` with its default threshold).
//! Where a passage of the text comes from a source, its findings are the substitutions of
//! the alignment with that source (what `compare` lists), each marked with the source's id
//! and the byte range of the original words in it; the words of such a passage that the
//! alignment leaves alone are taken as written. The rest of the text (no source found, or
//! outside every passage) is restored without a source, as `check` does.

use serde::Serialize;
use unspin_engine::{Analysis, CheckOptions, Engine, Finding};
use unspin_index::Index;
use unspin_index::{AlignParams, compare};
use unspin_index::{FindOptions, find};

/// Confidence given to a substitution read off the alignment with a found source.
pub const SOURCE_CONFIDENCE: f64 = 0.99;

/// Where a finding's suggestion comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceMark {
    /// Id of the indexed source.
    pub source: String,
    /// Byte offset of the original words in the source.
    pub source_start: usize,
    /// Byte offset one past them.
    pub source_end: usize,
}

/// A source that restored part of the text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsedSource {
    /// Id of the indexed source.
    pub id: String,
    /// Its title (may be empty).
    pub title: String,
    /// The E-value of the source (see `unspin find`).
    pub evalue: f64,
    /// Byte ranges of the text restored from it.
    pub ranges: Vec<(usize, usize)>,
}

/// The analysis of a text with the help of an index: findings in text order, with the
/// source mark of each (`None`: found without a source), and the sources used.
#[derive(Debug, Clone, Default)]
pub struct SourcedAnalysis {
    /// The analysis (findings from sources and from the engine, merged in text order).
    pub analysis: Analysis,
    /// One entry per finding of `analysis`.
    pub marks: Vec<Option<SourceMark>>,
    /// Sources used, best first.
    pub sources: Vec<UsedSource>,
}

/// Checks `text`, restoring from sources found in `index` where there are some.
pub fn check_with_index(
    engine: &Engine,
    index: &Index,
    text: &str,
    opts: &CheckOptions,
) -> Result<SourcedAnalysis, unspin_index::IndexError> {
    let hits = find(index, text, &FindOptions::default())?;
    let mut claimed: Vec<(usize, usize)> = Vec::new();
    let mut from_src: Vec<(Finding, SourceMark)> = Vec::new();
    let mut sources = Vec::new();
    for h in &hits {
        let src = index.text(h.doc)?;
        let c = compare(text, &src, index.classes(), &AlignParams::default());
        // each substitution belongs to its nearest passage (the alignment reaches a few words
        // past a passage's first and last matching words), which it widens
        let dist = |a: (usize, usize), b: (usize, usize)| {
            if a.1 <= b.0 {
                b.0 - a.1
            } else {
                a.0.saturating_sub(b.1)
            }
        };
        let mut spans: Vec<((usize, usize), Vec<&unspin_index::Substitution>)> = c
            .passages
            .iter()
            .map(|p| (p.suspect_bytes, Vec::new()))
            .collect();
        for sub in &c.substitutions {
            if let Some(k) = (0..spans.len()).min_by_key(|&k| dist(sub.spun_bytes, spans[k].0)) {
                let (r, subs) = &mut spans[k];
                *r = (r.0.min(sub.spun_bytes.0), r.1.max(sub.spun_bytes.1));
                subs.push(sub);
            }
        }
        let mut ranges = Vec::new();
        for (r, subs) in spans {
            if r.0 >= r.1 || claimed.iter().any(|c| c.0 < r.1 && r.0 < c.1) {
                continue;
            }
            claimed.push(r);
            ranges.push(r);
            for s in subs {
                for (sp, so) in word_pairs(text, s.spun_bytes, &src, s.source_bytes) {
                    let (Some(spun), Some(orig)) = (text.get(sp.0..sp.1), src.get(so.0..so.1))
                    else {
                        continue;
                    };
                    from_src.push((
                        Finding {
                            start: sp.0,
                            end: sp.1,
                            text: spun.to_string(),
                            suggestion: orig.to_string(),
                            alternatives: Vec::new(),
                            confidence: SOURCE_CONFIDENCE,
                        },
                        SourceMark {
                            source: h.id.clone(),
                            source_start: so.0,
                            source_end: so.1,
                        },
                    ));
                }
            }
        }
        if !ranges.is_empty() {
            sources.push(UsedSource {
                id: h.id.clone(),
                title: h.title.clone(),
                evalue: h.evalue,
                ranges,
            });
        }
    }
    let mut analysis = engine.check(text, opts);
    let own = std::mem::take(&mut analysis.findings);
    let mut all: Vec<(Finding, Option<SourceMark>)> = own
        .into_iter()
        .filter(|f| {
            !claimed
                .iter()
                .any(|c| c.0 < f.end.max(f.start + 1) && f.start < c.1)
        })
        .map(|f| (f, None))
        .collect();
    all.extend(from_src.into_iter().map(|(f, m)| (f, Some(m))));
    all.sort_by_key(|(f, _)| (f.start, f.end));
    // a passage restored from a source is spun where it has substitutions
    if !sources.is_empty() {
        let words = unspin_engine::eval::count_words(text).max(1) as f64;
        let spun_words: usize = sources
            .iter()
            .flat_map(|s| &s.ranges)
            .filter(|r| {
                all.iter()
                    .any(|(f, m)| m.is_some() && f.start >= r.0 && f.end <= r.1)
            })
            .map(|r| unspin_engine::eval::count_words(text.get(r.0..r.1).unwrap_or("")))
            .sum();
        analysis.score = analysis.score.max((spun_words as f64 / words).min(1.0));
    }
    let (findings, marks) = all.into_iter().unzip();
    analysis.findings = findings;
    Ok(SourcedAnalysis {
        analysis,
        marks,
        sources,
    })
}

/// A char boundary at most 64 bytes before `i` (where the word before `i` starts, unless it
/// is longer).
fn back(text: &str, i: usize) -> usize {
    let mut s = i.saturating_sub(64);
    while s > 0 && !text.is_char_boundary(s) {
        s -= 1;
    }
    s
}

/// Byte ranges of the whitespace-separated words of `text[r.0..r.1]`.
fn words_at(text: &str, r: (usize, usize)) -> Vec<(usize, usize)> {
    let Some(part) = text.get(r.0..r.1) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in part.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(a)) => {
                out.push((r.0 + a, r.0 + i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(a) = start {
        out.push((r.0 + a, r.1));
    }
    out
}

/// A substitution as findings: one per word pair when both sides have as many words (a run
/// of single-word swaps the alignment joined; words equal on both sides are left out), else
/// the whole phrase.
fn word_pairs(
    text: &str,
    spun: (usize, usize),
    src: &str,
    orig: (usize, usize),
) -> Vec<((usize, usize), (usize, usize))> {
    let (a, b) = (words_at(text, spun), words_at(src, orig));
    if a.len() > 1 && a.len() == b.len() {
        let same = |x: (usize, usize), y: (usize, usize)| {
            text.get(x.0..x.1).map(str::to_lowercase) == src.get(y.0..y.1).map(str::to_lowercase)
        };
        return a.into_iter().zip(b).filter(|&(x, y)| !same(x, y)).collect();
    }
    // words dropped before a kept word (*of year* for *of the year*): the substitution is
    // the phrase from the word before, as a spinner's phrase entry would have made it
    if a.len() == 1 && b.len() > 1 {
        let last = b[b.len() - 1];
        let kept = text.get(spun.0..spun.1).map(str::to_lowercase)
            == src.get(last.0..last.1).map(str::to_lowercase);
        let pa = words_at(text, (back(text, spun.0), spun.0)).pop();
        let pb = words_at(src, (back(src, orig.0), orig.0)).pop();
        if let (true, Some(pa), Some(pb)) = (kept, pa, pb)
            && text.get(pa.0..pa.1).map(str::to_lowercase)
                == src.get(pb.0..pb.1).map(str::to_lowercase)
        {
            return vec![((pa.0, spun.1), (pb.0, orig.1))];
        }
    }
    vec![(spun, orig)]
}
