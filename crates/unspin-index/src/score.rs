//! The reporting score of a source: how surprising its passages are by chance.
//!
//! Every seed (matching word) of a passage carries *bits* of evidence: how unlikely it is that
//! a word of the suspect finds that match at that place in an unrelated document. A rare kind
//! of word (a number, a name, a word the synonym classes do not know, a long word matched
//! exactly) carries more than a common one or a match by synonym class only, and every seed
//! pays for the places near the passage's diagonal where a chance match could have fallen.
//! The strongest passage's bits `S` give an *E-value*:
//!
//! `E = N × n × m × 2^(−S)`
//!
//! with `N` documents in the collection, `n` content words in the suspect and `m` in the
//! source: the number of unrelated documents expected to show a passage this strong in a
//! collection of that size. The same 25 matching words make a smaller E-value in a 30-word
//! paragraph than in a 2,000-word text (`n` is larger there), and the same passage is less
//! surprising in a larger collection. A word's rarity comes from the index's document
//! frequencies ([`crate::df`]); an index without them scores by kind of word
//! ([`ScoreParams`]). The default threshold ([`crate::search::DEFAULT_MAX_EVALUE`]) was
//! calibrated on unrelated enwiki texts against 100,000 and 1,000,000 indexed paragraphs
//! (`bench/index/short.sh`): chance alone does not explain templated Wikipedia stubs, which
//! share real phrasing.

use crate::align::{AlignParams, PassageMatch};
use crate::df::DocFreq;
use crate::features::{COMMON, IMM, NUM, WordFeat};
use crate::hash::FxMap;
use serde::Serialize;

/// Bits of one seed by kind of word, before the positional cost.
#[derive(Debug, Clone, Copy)]
pub struct ScoreParams {
    /// A number matched exactly.
    pub number: f64,
    /// A name or a word the synonym classes do not know, matched exactly.
    pub immutable: f64,
    /// A word of a synonym class matched exactly (plus `per_letter` per letter beyond 6,
    /// up to `max_letters`).
    pub exact: f64,
    /// Extra bits per letter of an exactly matched class word beyond 6 letters.
    pub per_letter: f64,
    /// Most letters counted for `per_letter`.
    pub max_letters: usize,
    /// A word of a common class matched exactly.
    pub common: f64,
    /// A match by synonym class only (a different word of the same class).
    pub class_only: f64,
    /// Most bits of one seed (matching words are not independent: names come in groups).
    pub max_seed: f64,
    /// Cost of a suspect word inside a passage that matches nothing.
    pub miss: f64,
    /// Cost of a number or a name inside a passage that matches nothing: spinners leave
    /// them alone, so a different name in the same place speaks against a copy (templated
    /// texts share their phrasing, not their names).
    pub immutable_miss: f64,
    /// Most bits of a matched name or number right after another one: a multi-word name
    /// (*Recording Industry Association of Japan*) is one piece of evidence, not five.
    pub name_run: f64,
    /// Cost of a seed's place on the diagonal of the one before it (one more bit per
    /// doubling of the distance from it).
    pub place: f64,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            number: 10.0,
            immutable: 12.0,
            exact: 9.0,
            per_letter: 0.5,
            max_letters: 14,
            common: 6.0,
            class_only: 6.0,
            max_seed: 11.0,
            miss: 2.0,
            immutable_miss: 12.0,
            name_run: 4.0,
            place: 1.0,
        }
    }
}

/// The evidence for one source.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Evidence {
    /// Bits of the strongest passage.
    pub bits: f64,
    /// Bits of all passages together (the ranking score).
    pub total_bits: f64,
    /// Expected number of unrelated documents with a passage this strong in a collection
    /// of this size (smaller is stronger).
    pub evalue: f64,
}

/// Bits of one seed (suspect word `s` matched by source word `t`), before the positional
/// cost. With document frequencies: `log2(D × L / df)` for `D` documents of `L` content
/// words on average, `df` of them containing the word (exact match) or a word of its class
/// (class match): the chance that a random place of a random document holds the match.
///
/// A small collection says little about how rare a word is (in an index of one document every
/// word stands in every document), so the frequencies' bits are blended with the rarity by
/// kind of word, the frequencies weighing `D / (D + DF_PRIOR_DOCS)`.
fn seed_bits(s: &WordFeat, t: &WordFeat, sp: &ScoreParams, df: Option<&DocFreq>) -> f64 {
    let prior = kind_bits(s, t, sp);
    if let Some(df) = df.filter(|d| d.docs > 0) {
        let key = if s.exact == t.exact { s.exact } else { s.key };
        let n = df.get(key).max(1) as f64;
        let bits = (df.docs as f64 * df.mean_words().max(1.0) / n).log2();
        let w = df.docs as f64 / (df.docs as f64 + DF_PRIOR_DOCS);
        return w * bits + (1.0 - w) * prior;
    }
    prior
}

/// Documents' worth of weight of the rarity by kind of word against the collection's
/// frequencies (see [`seed_bits`]).
const DF_PRIOR_DOCS: f64 = 1000.0;

/// Bits of a seed by kind of word alone (an index without frequencies).
fn kind_bits(s: &WordFeat, t: &WordFeat, sp: &ScoreParams) -> f64 {
    if s.exact != t.exact {
        return sp.class_only;
    }
    if s.flags & NUM != 0 {
        sp.number
    } else if s.flags & IMM != 0 {
        sp.immutable
    } else if s.flags & COMMON != 0 {
        sp.common
    } else {
        let letters = ((s.end - s.start) as usize).min(sp.max_letters);
        sp.exact + sp.per_letter * letters.saturating_sub(6) as f64
    }
}

/// Bits of one passage: every suspect content word inside it that matches a source word
/// inside it (exactly, or by a non-common synonym class) scores its rarity, less the cost of
/// the `2 × max_drift + 1` places where a chance match could have fallen; every one that
/// matches nothing costs [`ScoreParams::miss`] (a name or a number:
/// [`ScoreParams::immutable_miss`]).
pub fn passage_bits(
    sus: &[WordFeat],
    src: &[WordFeat],
    m: &PassageMatch,
    ap: &AlignParams,
    sp: &ScoreParams,
    df: Option<&DocFreq>,
) -> f64 {
    let _ = ap;
    let (a, b) = (m.source.0 as usize, (m.source.1 as usize).min(src.len()));
    let window = src.get(a..b).unwrap_or(&[]);
    let mut bits = 0.0;
    let mut used = vec![false; window.len()];
    // positions of each exact form and of each class key in the source passage
    let mut by_exact: FxMap<u64, Vec<usize>> = FxMap::default();
    let mut by_key: FxMap<u64, Vec<usize>> = FxMap::default();
    for (k, t) in window.iter().enumerate().filter(|(_, t)| t.is_content()) {
        by_exact.entry(t.exact).or_default().push(k);
        if t.flags & (IMM | COMMON) == 0 {
            by_key.entry(t.key).or_default().push(k);
        }
    }
    let (sa, sb) = (m.suspect.0 as usize, (m.suspect.1 as usize).min(sus.len()));
    let mut prev_name = false;
    // the previous seed (suspect index, window index): the next one is expected on its
    // diagonal
    let mut prev: Option<(usize, usize)> = None;
    for (i, s) in sus.get(sa..sb).unwrap_or(&[]).iter().enumerate() {
        if !s.is_content() {
            prev_name = false;
            continue;
        }
        let name = s.flags & IMM != 0;
        let classed = s.flags & (IMM | COMMON) == 0;
        let expect = prev.map(|(pi, pk)| pk + (i - pi));
        let off = |k: usize| expect.map_or(0, |e| k.abs_diff(e));
        // an exact match nearest the diagonal first, else one by class; each source word
        // is used once
        let nearest = |ks: Option<&Vec<usize>>| {
            ks.and_then(|ks| {
                ks.iter()
                    .copied()
                    .filter(|&k| !used[k])
                    .min_by_key(|&k| off(k))
            })
        };
        let pick = nearest(by_exact.get(&s.exact))
            .or_else(|| classed.then(|| nearest(by_key.get(&s.key))).flatten());
        match pick {
            Some(k) => {
                used[k] = true;
                // the place: free on the diagonal, dearer the further off it
                let cost = sp.place + (1.0 + 2.0 * off(k) as f64).log2();
                let b = (seed_bits(s, &window[k], sp, df).min(sp.max_seed) - cost).max(0.0);
                bits += if name && prev_name {
                    b.min(sp.name_run)
                } else {
                    b
                };
                prev_name = name;
                prev = Some((i, k));
            }
            None => {
                bits -= if name { sp.immutable_miss } else { sp.miss };
                prev_name = false;
            }
        }
    }
    bits.max(0.0)
}

/// The evidence of a source's passages for a suspect of `sus` against a collection of
/// `docs` documents.
pub fn evidence(
    sus: &[WordFeat],
    src: &[WordFeat],
    ms: &[PassageMatch],
    docs: u64,
    ap: &AlignParams,
    sp: &ScoreParams,
    df: Option<&DocFreq>,
) -> Evidence {
    let n = sus.iter().filter(|w| w.is_content()).count().max(1) as f64;
    let m = src.iter().filter(|w| w.is_content()).count().max(1) as f64;
    let mut best: f64 = 0.0;
    let mut total = 0.0;
    for p in ms {
        let b = passage_bits(sus, src, p, ap, sp, df);
        best = best.max(b);
        total += b;
    }
    let log2_e = (docs.max(1) as f64).log2() + n.log2() + m.log2() - best;
    Evidence {
        bits: best,
        total_bits: total,
        evalue: log2_e.exp2(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SynClasses;
    use crate::align::passages;
    use crate::features::word_features;

    const SRC: &str = "The 2018 Asian Cup was a table tennis competition that took place \
        from 6 to 8 April in Yokohama, Japan. The event was organised by the Japan Table \
        Tennis Association under the authority of the International Table Tennis Federation.";

    fn ev(sus: &str, src: &str, docs: u64) -> Evidence {
        let c = SynClasses::embedded();
        let (a, b) = (word_features(sus, c), word_features(src, c));
        let ap = AlignParams::default();
        let ms = passages(&a, &b, &ap);
        evidence(&a, &b, &ms, docs, &ap, &ScoreParams::default(), None)
    }

    #[test]
    fn copy_is_strong_and_larger_collections_weaken_it() {
        let e1 = ev(SRC, SRC, 1000);
        let e2 = ev(SRC, SRC, 1_000_000);
        assert!(e1.evalue < 1e-10, "{e1:?}");
        assert!(e2.evalue > e1.evalue);
        assert_eq!(e1.bits, e2.bits);
    }

    #[test]
    fn same_passage_in_a_longer_suspect_is_weaker() {
        let filler = "Other words about rivers, mountains, valleys and weather fill this \
            long text. "
            .repeat(40);
        let short = ev(SRC, SRC, 1_000_000);
        let long = ev(&format!("{filler}{SRC}"), SRC, 1_000_000);
        assert!(long.evalue > short.evalue, "{short:?} {long:?}");
    }

    #[test]
    fn unrelated_text_has_no_evidence() {
        let e = ev(
            "Rivers of the northern plains freeze in winter and flood in spring.",
            SRC,
            1_000_000,
        );
        assert!(e.evalue > 1.0, "{e:?}");
        let empty = ev("", SRC, 10);
        assert_eq!(empty.bits, 0.0);
    }
}
