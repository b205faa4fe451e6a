//! Known terms ([`crate::Terms`]): a general n-gram model underrates multi-word terms, so an
//! edit that completes one is favoured and an edit that breaks one standing in the text is
//! not. A term edge (which makes its span a term word by word) completes its term unless the
//! span was one already.

use super::{EdgeFeature, FeatureCtx};
use crate::decode::Params;
use crate::decode::lattice::Edge;
use crate::decode::tokens::Prepared;
use crate::model::WordId;

/// +1 when the edit completes a known term, −1 when it breaks one, weighted by
/// [`Params::term_bonus`].
pub(crate) struct KnownTerm;

impl EdgeFeature for KnownTerm {
    fn name(&self) -> &'static str {
        "term_bonus"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.term_bonus
    }
    /// Whether a known term overlaps the span as written.
    fn span(&self, ctx: &FeatureCtx<'_>, i: usize, j: usize) -> f64 {
        indicator(overlaps_term(ctx, i, j, None))
    }
    fn value(&self, ctx: &FeatureCtx<'_>, edge: &Edge, span: f64) -> f64 {
        if edge.parts.is_empty() {
            indicator(overlaps_term(ctx, edge.i, edge.j, Some(&edge.words))) - span
        } else {
            1.0 - span
        }
    }
}

fn indicator(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Whether a known term overlaps tokens `i..j` — replaced by `words` when given — within
/// their sentence.
fn overlaps_term(ctx: &FeatureCtx<'_>, i: usize, j: usize, words: Option<&[WordId]>) -> bool {
    let Some(terms) = ctx.terms.filter(|t| !t.is_empty()) else {
        return false;
    };
    let toks = &ctx.doc.toks;
    // A term overlapping the span contains one of the span's words.
    let in_terms = match words {
        Some(w) => w.iter().any(|&x| terms.has_word(x)),
        None => toks[i..j].iter().any(|t| terms.has_word(t.id)),
    };
    if !in_terms {
        return false;
    }
    // A term overlapping the span has two neighbouring words of which one is in it:
    // without such a pair among the span and its two neighbours, no window is needed.
    let at = |k: usize| -> WordId {
        match words {
            Some(w) => w[k - i],
            None => toks[k].id,
        }
    };
    let len = words.map_or(j - i, <[WordId]>::len);
    if len == 0 {
        return false;
    }
    let before = (i > 0 && !toks[i].sentence_start).then(|| toks[i - 1].id);
    let after = (j < toks.len() && !toks[j].sentence_start).then(|| toks[j].id);
    let first = at(i);
    let last = at(i + len - 1);
    let paired = before.is_some_and(|b| terms.is_bigram(b, first))
        || (i..i + len - 1).any(|k| terms.is_bigram(at(k), at(k + 1)))
        || after.is_some_and(|a| terms.is_bigram(last, a));
    if !paired {
        return false;
    }
    in_window(ctx.doc, terms, (i, j), words)
}

/// Whether a known term overlaps the span `i..j` (replaced by `words` when given) in its
/// window: the span with up to a term's length of context each side, within the sentence.
fn in_window(
    doc: &Prepared,
    terms: &crate::Terms,
    (i, j): (usize, usize),
    words: Option<&[WordId]>,
) -> bool {
    let toks = &doc.toks;
    let reach = terms.max_words().saturating_sub(1);
    let mut lo = i;
    while lo > 0 && i - lo < reach && !toks[lo].sentence_start {
        lo -= 1;
    }
    let mut hi = j;
    while hi < toks.len() && hi - j < reach && !toks[hi].sentence_start {
        hi += 1;
    }
    // The window (sentence-bounded), on the stack: left context, span, right context.
    let mut buf = [0 as WordId; 4 * crate::terms::MAX_TERM_WORDS];
    let mut n = 0;
    let mut put = |w: WordId| {
        if let Some(x) = buf.get_mut(n) {
            *x = w;
            n += 1;
        }
    };
    toks[lo..i].iter().for_each(|t| put(t.id));
    let a = i - lo;
    match words {
        Some(w) => w.iter().for_each(|&x| put(x)),
        None => toks[i..j].iter().for_each(|t| put(t.id)),
    }
    let b = a + words.map_or(j - i, <[WordId]>::len);
    toks[j..hi].iter().for_each(|t| put(t.id));
    terms.overlapping(&buf[..n], a, b.min(n))
}
