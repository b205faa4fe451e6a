//! Source search: LSH candidates from query windows, then exact re-scoring by passage
//! detection against each candidate's stored text.

use crate::align::{AlignParams, coverage, passages};
use crate::error::IndexError;
use crate::features::{content_positions, query_windows, window_features, word_features};
use crate::hash::FxMap;
use crate::index::{DocRef, Index};
use crate::minhash::{BANDS, band_keys, signature};
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
    /// Documents with at most `1 / hit_ratio` of the best document's band hits are skipped
    /// (unless they are a window's best).
    pub hit_ratio: u32,
    /// Most candidates re-scored in all.
    pub max_candidates: usize,
    /// Least number of matching words in the strongest passage for a reported source.
    pub min_passage: usize,
    /// Least share of the suspect covered for a reported source.
    pub min_coverage: f64,
    /// Passage detection parameters.
    pub align: AlignParams,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            limit: 10,
            candidates: 16,
            per_window: 2,
            min_window_hits: 3,
            hit_ratio: 4,
            max_candidates: 40,
            min_passage: 21,
            min_coverage: 0.05,
            align: AlignParams::default(),
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
    /// Matching words (seeds) in those passages: the ranking score.
    pub matched: usize,
    /// Number of passages.
    pub passages: usize,
    /// Seeds of the strongest passage.
    pub best_passage: usize,
    /// LSH band hits that made this document a candidate.
    pub band_hits: u32,
    #[serde(skip)]
    /// Where the document is in the index.
    pub doc: DocRef,
}

/// Finds the sources of `text` in `index`, best first.
pub fn find(index: &Index, text: &str, opt: &FindOptions) -> Result<Vec<Hit>, IndexError> {
    let classes = index.classes();
    let q = word_features(text, classes);
    let pos = content_positions(&q);
    let mut total: FxMap<DocRef, u32> = FxMap::default();
    let mut chosen: Vec<DocRef> = Vec::new();
    let mut feats = Vec::new();
    let mut per: FxMap<DocRef, u32> = FxMap::default();
    let mut resolved: FxMap<u64, Option<DocRef>> = FxMap::default();
    let windows = query_windows(pos.len());
    let n_windows = windows.len();
    // documents behind each band's last key: consecutive windows share many band keys, and
    // a key looked up for the previous window is not looked up again
    let mut last_keys = [0u32; BANDS];
    let mut last_docs: Vec<Vec<DocRef>> = vec![Vec::new(); BANDS];
    let mut first = true;
    for (a, b) in windows {
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
            .filter(|(_, n)| **n >= opt.min_window_hits)
            .map(|(d, n)| (*n, *d))
            .collect();
        v.sort_unstable_by(|x, y| y.cmp(x));
        chosen.extend(v.iter().take(opt.per_window).map(|x| x.1));
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
    let mut hits = Vec::new();
    for d in chosen {
        let src_text = index.text(d)?;
        let src = word_features(&src_text, classes);
        let ms = passages(&q, &src, &opt.align);
        let (cov, sim) = coverage(&q, &ms);
        let matched: usize = ms.iter().map(|m| m.seeds).sum();
        let best_passage = ms.iter().map(|m| m.seeds).max().unwrap_or(0);
        if best_passage < opt.min_passage.max(1) || cov < opt.min_coverage {
            continue;
        }
        let (id, title, url) = index.meta(d)?;
        hits.push(Hit {
            id,
            title,
            url,
            coverage: cov,
            similarity: sim,
            matched,
            passages: ms.len(),
            best_passage,
            band_hits: total.get(&d).copied().unwrap_or(0),
            doc: d,
        });
    }
    hits.sort_by(|a, b| {
        b.matched
            .cmp(&a.matched)
            .then(b.similarity.total_cmp(&a.similarity))
            .then(a.id.cmp(&b.id))
    });
    hits.truncate(opt.limit);
    Ok(hits)
}
