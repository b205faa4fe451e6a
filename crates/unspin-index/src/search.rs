//! Source search: LSH candidates from query windows, then exact re-scoring by passage
//! detection against each candidate's stored text.

use crate::align::{AlignParams, coverage, passages};
use crate::error::IndexError;
use crate::features::{content_positions, query_windows, window_features, word_features};
use crate::index::{DocRef, Index};
use crate::minhash::{band_keys, signature};
use crate::store::BucketStore;
use serde::Serialize;
use std::collections::HashMap;

/// Search options.
#[derive(Debug, Clone)]
pub struct FindOptions {
    /// Most sources to return.
    pub limit: usize,
    /// Candidates re-scored per query (best band-hit counts overall).
    pub candidates: usize,
    /// Candidates re-scored per query window (best of each window, for stitched copies).
    pub per_window: usize,
    /// Least number of matching words (seeds in passages) for a reported source.
    pub min_matched: usize,
    /// Least share of the suspect covered for a reported source.
    pub min_coverage: f64,
    /// Passage detection parameters.
    pub align: AlignParams,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions { limit: 10, candidates: 24, per_window: 3, min_matched: 10, min_coverage: 0.05, align: AlignParams::default() }
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
    let mut total: HashMap<DocRef, u32> = HashMap::new();
    let mut chosen: Vec<DocRef> = Vec::new();
    let mut feats = Vec::new();
    let mut per: HashMap<DocRef, u32> = HashMap::new();
    let mut resolved: HashMap<u64, Option<DocRef>> = HashMap::new();
    for (a, b) in query_windows(pos.len()) {
        window_features(&q, &pos[a..b], &mut feats);
        let Some(sig) = signature(&feats) else { continue };
        per.clear();
        let mut err = None;
        for (band, key) in band_keys(&sig).into_iter().enumerate() {
            index.get(band, key, &mut |c| {
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
                    *per.entry(d).or_insert(0) += 1;
                }
            })?;
        }
        if let Some(e) = err {
            return Err(e);
        }
        let mut v: Vec<(u32, DocRef)> = per.iter().map(|(d, n)| (*n, *d)).collect();
        v.sort_unstable_by(|x, y| y.cmp(x));
        chosen.extend(v.iter().take(opt.per_window).map(|x| x.1));
        for (d, n) in &per {
            *total.entry(*d).or_insert(0) += n;
        }
    }
    let mut v: Vec<(u32, DocRef)> = total.iter().map(|(d, n)| (*n, *d)).collect();
    v.sort_unstable_by(|x, y| y.cmp(x));
    chosen.extend(v.iter().take(opt.candidates).map(|x| x.1));
    chosen.sort_unstable();
    chosen.dedup();
    let mut hits = Vec::new();
    for d in chosen {
        let src_text = index.text(d)?;
        let src = word_features(&src_text, classes);
        let ms = passages(&q, &src, &opt.align);
        let (cov, sim) = coverage(&q, &ms);
        let matched: usize = ms.iter().map(|m| m.seeds).sum();
        if matched < opt.min_matched || cov < opt.min_coverage {
            continue;
        }
        let doc = index.doc(d)?;
        hits.push(Hit {
            id: doc.id,
            title: doc.title,
            url: doc.url,
            coverage: cov,
            similarity: sim,
            matched,
            passages: ms.len(),
            band_hits: total.get(&d).copied().unwrap_or(0),
            doc: d,
        });
    }
    hits.sort_by(|a, b| b.matched.cmp(&a.matched).then(b.similarity.total_cmp(&a.similarity)).then(a.id.cmp(&b.id)));
    hits.truncate(opt.limit);
    Ok(hits)
}
