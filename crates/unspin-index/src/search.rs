//! Source search: LSH candidates from query windows, then exact re-scoring by passage
//! detection against each candidate's stored text.

use crate::align::{AlignParams, coverage, passages};
use crate::error::IndexError;
use crate::features::{content_positions, query_windows, window_features, word_features};
use crate::hash::FxMap;
use crate::index::{DocRef, Index};
use crate::minhash::{BANDS, band_keys, signature};
use crate::score::{Evidence, ScoreParams, evidence};
use crate::store::BucketStore;
use serde::Serialize;

/// Search options.
#[derive(Debug, Clone)]
pub struct FindOptions {
    /// Most sources to return.
    pub limit: usize,
    /// Candidates re-scored per query (best band-hit counts overall).
    pub candidates: usize,
    /// Candidates re-scored per query window (best of each window, for stitched copies).
    pub per_window: usize,
    /// Least band hits in one window for that window's best documents to be re-scored.
    pub min_window_hits: u32,
    /// Least band hits in one paragraph window (see [`FindOptions::per_paragraph`]).
    pub min_paragraph_hits: u32,
    /// Candidates re-scored per paragraph window: every short paragraph of a suspect with
    /// several is also searched on its own (a stitched copy's paragraphs come whole from
    /// their sources).
    pub per_paragraph: usize,
    /// Documents with at most `1 / hit_ratio` of the best document's band hits are skipped
    /// (unless they are a window's best).
    pub hit_ratio: u32,
    /// Most candidates re-scored in all.
    pub max_candidates: usize,
    /// Largest E-value of a reported source: the expected number of unrelated documents
    /// with a passage as strong in a collection of this size (see the `score` module).
    pub max_evalue: f64,
    /// Least number of matching words in the strongest passage for a reported source (a
    /// floor besides the E-value).
    pub min_passage: usize,
    /// Least share of the suspect covered for a reported source.
    pub min_coverage: f64,
    /// Passage detection parameters.
    pub align: AlignParams,
    /// Evidence of each kind of matching word.
    pub score: ScoreParams,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            limit: 10,
            candidates: 16,
            per_window: 2,
            min_window_hits: 3,
            min_paragraph_hits: 1,
            per_paragraph: 3,
            hit_ratio: 4,
            max_candidates: 40,
            max_evalue: DEFAULT_MAX_EVALUE,
            min_passage: 1,
            min_coverage: 0.05,
            align: AlignParams::default(),
            score: ScoreParams::default(),
        }
    }
}

/// One source found for a suspect text.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Document id.
    pub id: String,
    /// Title (may be empty).
    pub title: String,
    /// URL (may be empty).
    pub url: String,
    /// Share of the suspect's content words inside passages from this source.
    pub coverage: f64,
    /// Share of the suspect's content words in those passages that match the source exactly
    /// or by synonym class.
    pub similarity: f64,
    /// Matching words (seeds) in those passages.
    pub matched: usize,
    /// Expected number of unrelated documents with a passage as strong as this source's
    /// strongest in a collection of this size: the reporting score (smaller is stronger).
    pub evalue: f64,
    /// Bits of evidence of the strongest passage (see the `score` module).
    pub bits: f64,
    /// Bits of all passages: the ranking score.
    pub total_bits: f64,
    /// Number of passages.
    pub passages: usize,
    /// Seeds of the strongest passage.
    pub best_passage: usize,
    /// LSH band hits that made this document a candidate.
    pub band_hits: u32,
    /// The passages: byte ranges in the suspect and in the source, in suspect order (the
    /// parts of a stitched suspect that each source covers).
    pub ranges: Vec<Span>,
    #[serde(skip)]
    /// Where the document is in the index.
    pub doc: DocRef,
}

/// Default largest E-value of a reported source (see [`FindOptions::max_evalue`]).
pub const DEFAULT_MAX_EVALUE: f64 = 1e-8;

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Sources above the reporting threshold, best first.
    pub hits: Vec<Hit>,
    /// When no source passed: the strongest candidate that had a passage (with its
    /// evidence), to say what a looser threshold would admit.
    pub near_miss: Option<Hit>,
}

/// Finds the sources of `text` in `index`, best first, and the best near miss when no
/// source passes the threshold.
pub fn find_all(index: &Index, text: &str, opt: &FindOptions) -> Result<Found, IndexError> {
    let classes = index.classes();
    let q = word_features(text, classes);
    let pos = content_positions(&q);
    let mut total: FxMap<DocRef, u32> = FxMap::default();
    let mut chosen: Vec<DocRef> = Vec::new();
    let mut feats = Vec::new();
    let mut per: FxMap<DocRef, u32> = FxMap::default();
    let mut resolved: FxMap<u64, Option<DocRef>> = FxMap::default();
    let mut windows = query_windows(pos.len());
    let n_sliding = windows.len();
    // a stitched copy's paragraphs each come whole from a source: each short paragraph is
    // also a window of its own (sliding windows straddle the joins)
    windows.extend(paragraph_windows(text, &q, &pos));
    let n_windows = windows.len();
    // documents behind each band's last key: consecutive windows share many band keys, and
    // a key looked up for the previous window is not looked up again
    let mut last_keys = [0u32; BANDS];
    let mut last_docs: Vec<Vec<DocRef>> = vec![Vec::new(); BANDS];
    let mut first = true;
    for (w, (a, b)) in windows.into_iter().enumerate() {
        // a paragraph window is short: its source shows fewer band hits
        let (min_hits, take) = if w >= n_sliding {
            (opt.min_paragraph_hits, opt.per_paragraph)
        } else {
            (opt.min_window_hits, opt.per_window)
        };
        window_features(&q, &pos[a..b], &mut feats);
        let Some(sig) = signature(&feats) else {
            continue;
        };
        let keys = band_keys(&sig);
        let mut skip = 0u32;
        for (band, docs) in last_docs.iter_mut().enumerate() {
            if !first && keys[band] == last_keys[band] {
                skip |= 1 << band;
            } else {
                docs.clear();
            }
        }
        first = false;
        last_keys = keys;
        let mut err = None;
        index.get_bands(&keys, skip, &mut |band, c| {
            let r = match resolved.get(&c) {
                Some(r) => *r,
                None => {
                    let r = index.chunk_doc(c).unwrap_or_else(|e| {
                        err = Some(e);
                        None
                    });
                    resolved.insert(c, r);
                    r
                }
            };
            if let Some(d) = r {
                last_docs[band].push(d);
            }
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        per.clear();
        for d in last_docs.iter().flatten() {
            *per.entry(*d).or_insert(0) += 1;
        }
        let mut v: Vec<(u32, DocRef)> = per
            .iter()
            .filter(|(_, n)| **n >= min_hits)
            .map(|(d, n)| (*n, *d))
            .collect();
        v.sort_unstable_by(|x, y| y.cmp(x));
        chosen.extend(v.iter().take(take).map(|x| x.1));
        for (d, n) in &per {
            *total.entry(*d).or_insert(0) += n;
        }
    }
    let mut v: Vec<(u32, DocRef)> = total.iter().map(|(d, n)| (*n, *d)).collect();
    v.sort_unstable_by(|x, y| y.cmp(x));
    // documents with a tenth of the best document's band hits or fewer are noise, and with
    // several windows a single band hit is chance
    let floor = v
        .first()
        .map_or(0, |x| x.0 / opt.hit_ratio)
        .max(u32::from(n_windows > 1));
    chosen.extend(
        v.iter()
            .take(opt.candidates)
            .filter(|x| x.0 > floor || x.0 == v[0].0)
            .map(|x| x.1),
    );
    // re-score the most promising first, at most max_candidates
    chosen.sort_unstable();
    chosen.dedup();
    chosen.sort_by_key(|d| std::cmp::Reverse(total.get(d).copied().unwrap_or(0)));
    chosen.truncate(opt.max_candidates);
    let docs = index.stats().docs;
    let mut hits = Vec::new();
    let mut near: Option<Hit> = None;
    for d in chosen {
        let src_text = index.text(d)?;
        let src = word_features(&src_text, classes);
        let ms = passages(&q, &src, &opt.align);
        if ms.is_empty() {
            continue;
        }
        let (cov, sim) = coverage(&q, &ms);
        let matched: usize = ms.iter().map(|m| m.seeds).sum();
        let best_passage = ms.iter().map(|m| m.seeds).max().unwrap_or(0);
        let Evidence {
            bits,
            total_bits,
            evalue,
        } = evidence(
            &q,
            &src,
            &ms,
            docs,
            &opt.align,
            &opt.score,
            index.doc_freq(),
        );
        let pass = best_passage >= opt.min_passage.max(1)
            && cov >= opt.min_coverage
            && evalue <= opt.max_evalue;
        if !pass && near.as_ref().is_some_and(|n| n.total_bits >= total_bits) {
            continue;
        }
        let (id, title, url) = index.meta(d)?;
        let hit = Hit {
            id,
            title,
            url,
            coverage: cov,
            similarity: sim,
            matched,
            evalue,
            bits,
            total_bits,
            passages: ms.len(),
            best_passage,
            band_hits: total.get(&d).copied().unwrap_or(0),
            ranges: ms
                .iter()
                .map(|m| Span {
                    suspect: bytes_of(&q, m.suspect),
                    source: bytes_of(&src, m.source),
                })
                .collect(),
            doc: d,
        };
        if pass {
            hits.push(hit);
        } else {
            near = Some(hit);
        }
    }
    hits.sort_by(|a, b| {
        b.total_bits
            .total_cmp(&a.total_bits)
            .then(b.similarity.total_cmp(&a.similarity))
            .then(a.id.cmp(&b.id))
    });
    hits.truncate(opt.limit);
    Ok(Found {
        near_miss: if hits.is_empty() { near } else { None },
        hits,
    })
}

/// Windows `[a, b)` over the content positions `pos` of the paragraphs of `text` (lines)
/// with at least [`AlignParams::min_seeds`]-many and at most [`crate::features::CHUNK`]
/// content words, when there are several paragraphs.
fn paragraph_windows(
    text: &str,
    words: &[crate::features::WordFeat],
    pos: &[u32],
) -> Vec<(usize, usize)> {
    let min = AlignParams::default().min_seeds;
    let mut out = Vec::new();
    let mut start = 0usize;
    for k in 1..=pos.len() {
        let brk = k == pos.len() || {
            let (a, b) = (
                words[pos[k - 1] as usize].end as usize,
                words[pos[k] as usize].start as usize,
            );
            text.get(a..b).is_some_and(|gap| gap.contains('\n'))
        };
        if brk {
            let n = k - start;
            if n >= min && n <= crate::features::CHUNK && n < pos.len() {
                out.push((start, k));
            }
            start = k;
        }
    }
    out
}

/// One passage of a hit: where it is in the suspect and in the source (byte ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte range in the suspect.
    pub suspect: (usize, usize),
    /// Byte range in the source.
    pub source: (usize, usize),
}

/// Byte range of the word range `r` (half-open, non-empty) of `words`.
fn bytes_of(words: &[crate::features::WordFeat], r: (u32, u32)) -> (usize, usize) {
    let a = words.get(r.0 as usize).map_or(0, |w| w.start as usize);
    let b =
        r.1.checked_sub(1)
            .and_then(|i| words.get(i as usize))
            .map_or(a, |w| w.end as usize);
    (a, b.max(a))
}

/// Finds the sources of `text` in `index`, best first.
pub fn find(index: &Index, text: &str, opt: &FindOptions) -> Result<Vec<Hit>, IndexError> {
    Ok(find_all(index, text, opt)?.hits)
}
