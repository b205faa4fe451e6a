//! The language model's evidence: ln P_LM(window with the edit) − ln P_LM(window as
//! written), the window covering the span and the LM's context on each side (exact for an
//! isolated edit). The windows of a span are scored in batch by [`Decoder::window_diffs`]
//! while the lattice is built (their lookups overlap), which leaves the result on the edge
//! (`Edge::values[LM_WINDOW]`); the feature returns it.

use super::{EdgeFeature, FeatureCtx};
use crate::decode::lattice::Edge;
use crate::decode::observed::Observed;
use crate::decode::tokens::Prepared;
use crate::decode::{Decoder, LN10, Params};
use crate::model::{LmState, WordId};

/// The LM window log-ratio, weighted by [`Params::lm_weight`].
pub(crate) struct LmWindow;

impl EdgeFeature for LmWindow {
    fn name(&self) -> &'static str {
        "lm_weight"
    }
    fn weight(&self, p: &Params) -> f64 {
        p.lm_weight
    }
    fn value(&self, _: &FeatureCtx<'_>, edge: &Edge, _: f64) -> f64 {
        edge.values[super::LM_WINDOW]
    }
}

/// One candidate's window being scored by [`Decoder::window_diffs`].
#[derive(Debug, Clone, Copy)]
pub(in crate::decode) struct Chain {
    /// LM state after the words scored so far.
    state: LmState,
    /// ln P of the candidate's words and the right context scored so far.
    lp: f64,
    /// The candidate's words after the first, as a range of the word buffer.
    rest: (usize, usize),
    /// ln P of the observed tokens those stand against.
    seen: f64,
    /// Finished: its state met the observed one, or the window ended.
    done: bool,
}

impl Chain {
    /// A window whose first words are scored (`lp`, ending in `state`); `rest` of its words
    /// are still to come.
    pub fn new(state: LmState, lp: f64, rest: (usize, usize)) -> Chain {
        Chain {
            state,
            lp,
            rest,
            seen: 0.0,
            done: false,
        }
    }

    /// The window difference, once [`Decoder::window_diffs`] has run.
    pub fn diff(&self) -> f64 {
        self.lp - self.seen
    }
}

impl Decoder<'_> {
    /// ln P(window with the edit) − ln P(window as written), nats, for span `i..j` replaced by
    /// each chain's candidate: a chain holds its state and log-probability after the words
    /// already scored, and the rest of its words in `wbuf`; then come the right context
    /// `right` (from [`Decoder::right_context`]). On return `lp - seen` is the chain's window
    /// difference. Exact, and stops early: once a chain's LM state after a right-context token
    /// equals the observed state there, every later term is the same on both sides. The chains
    /// of one span advance a word per step, every lookup of a step prefetched before any is
    /// scored, so their memory reads overlap.
    pub(in crate::decode) fn window_diffs(
        &self,
        chains: &mut [Chain],
        wbuf: &[WordId],
        (i, j): (usize, usize),
        right: &[WordId],
        obs: &Observed,
    ) {
        let observed: f64 = obs.lp[i..j].iter().sum();
        let ends = right.last() == Some(&self.lm.eos());
        let real = right.len() - usize::from(ends);
        // The word chain `c` scores at step `t`, and the observed token it stands against
        // (`None` for the candidate's own words, `Some(None)` for the sentence end).
        let word_at = |c: &Chain, t: usize| -> Option<(WordId, Option<Option<usize>>)> {
            let own = c.rest.1 - c.rest.0;
            if t < own {
                return Some((wbuf[c.rest.0 + t], None));
            }
            let m = t - own;
            if m < real {
                Some((right[m], Some(Some(j + m))))
            } else if m == real && ends {
                Some((self.lm.eos(), Some(None)))
            } else {
                None
            }
        };
        for c in chains.iter_mut() {
            c.seen = observed;
            c.done = false;
        }
        let mut next = LmState::default();
        for t in 0.. {
            let mut any = false;
            for c in chains.iter().filter(|c| !c.done) {
                if let Some((w, _)) = word_at(c, t) {
                    self.lm.prefetch(&c.state, w);
                    any = true;
                }
            }
            if !any {
                break;
            }
            for c in chains.iter_mut().filter(|c| !c.done) {
                let Some((w, against)) = word_at(c, t) else {
                    c.done = true;
                    continue;
                };
                c.lp += self.lm.score(&c.state, w, &mut next) as f64 * LN10;
                if w == self.lm.unk() {
                    c.lp += self.params.unk_penalty;
                }
                c.state = next;
                match against {
                    None => {}
                    Some(Some(k)) => {
                        c.seen += obs.lp[k];
                        // Once the state meets the observed one, the rest scores the same.
                        if obs.after.get(k) == Some(&c.state) {
                            c.done = true;
                        }
                    }
                    Some(None) => {
                        c.seen += obs.eos[j + real - 1];
                        c.done = true;
                    }
                }
            }
        }
    }

    /// Fills `right` with the right context of a span ending before token `j`: up to
    /// `order - 1` following tokens of the sentence, then `</s>` if the sentence ends first.
    pub(in crate::decode) fn right_context(
        &self,
        doc: &Prepared,
        j: usize,
        right: &mut Vec<WordId>,
    ) {
        let toks = &doc.toks;
        let n_ctx = self.n_ctx();
        right.clear();
        let mut k = j;
        while right.len() < n_ctx {
            if k >= toks.len() || toks[k].sentence_start {
                right.push(self.lm.eos());
                break;
            }
            right.push(toks[k].id);
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LanguageModel;

    #[test]
    fn window_diffs_are_the_whole_window_differences() {
        let lm = crate::toy::lm();
        let lex = crate::toy::lexicon();
        let params = Params::default();
        let dec = Decoder::new(&lm, &lex, &params);
        let text = "the cat sat on the carpet . a dog lay on a mat .";
        let doc = dec.prepare(text);
        let toks = &doc.toks;
        let obs = dec.observed_scores(&doc);
        // ln P of `words` after `state` with the unknown-word penalty, word by word, without
        // stopping early.
        let full = |mut state: LmState, words: &[WordId]| {
            let mut lp = 0.0;
            let mut next = LmState::default();
            for &w in words {
                lp += lm.score(&state, w, &mut next) as f64 * LN10;
                if w == lm.unk() {
                    lp += params.unk_penalty;
                }
                state = next;
            }
            lp
        };
        let mut right = Vec::new();
        let cands: [&[&str]; 3] = [&["mat"], &["cat", "sat"], &["sofa", "on", "the"]];
        for i in 0..toks.len() {
            for j in i + 1..(i + 3).min(toks.len()) {
                if toks[i + 1..j].iter().any(|t| t.sentence_start) {
                    continue;
                }
                dec.right_context(&doc, j, &mut right);
                let real = right.len() - usize::from(right.last() == Some(&lm.eos()));
                let mut seen: f64 = obs.lp[i..j + real].iter().sum();
                if real < right.len() {
                    seen += obs.eos[j + real - 1];
                }
                let left = obs.before(i, &doc, &lm);
                let (mut wbuf, mut chains, mut wants) = (Vec::new(), Vec::new(), Vec::new());
                for c in cands {
                    let words: Vec<WordId> = c.iter().map(|w| lm.id(w)).collect();
                    let all: Vec<WordId> = words.iter().chain(&right).copied().collect();
                    let want = full(left, &all) - seen;
                    let mut st = LmState::default();
                    let first = lm.score(&left, words[0], &mut st) as f64 * LN10;
                    // Alone, from the sentence's state (as for a term edge) ...
                    let mut alone = [Chain::new(left, 0.0, (0, words.len()))];
                    dec.window_diffs(&mut alone, &words, (i, j), &right, &obs);
                    let got = alone[0].diff();
                    assert!((got - want).abs() < 1e-9, "{i}..{j} {c:?}: {got} vs {want}");
                    let from = wbuf.len();
                    wbuf.extend_from_slice(&words);
                    chains.push(Chain::new(st, first, (from + 1, wbuf.len())));
                    wants.push(want);
                }
                // ... and all windows at once after their first words, as the lattice scores
                // them: the same numbers.
                dec.window_diffs(&mut chains, &wbuf, (i, j), &right, &obs);
                for (c, want) in chains.iter().zip(&wants) {
                    let got = c.diff();
                    assert!(
                        (got - want).abs() < 1e-9,
                        "{i}..{j} batched: {got} vs {want}"
                    );
                }
            }
        }
    }
}
