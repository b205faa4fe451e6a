//! The observed text as the language model sees it: every token's log-probability in its
//! observed context and the LM state after it, scored once per passage and shared by the
//! lattice's windows and the beam.

use super::tokens::Prepared;
use super::{Decoder, LN10};
use crate::model::{LanguageModel, LmState};

/// The observed text as the language model sees it.
pub(super) struct Observed {
    /// ln P(token | observed context), with the unknown-word penalty.
    pub lp: Vec<f64>,
    /// ln P(`</s>` | context) after a sentence's last token (0 elsewhere).
    pub eos: Vec<f64>,
    /// The LM state after each token.
    pub after: Vec<LmState>,
}

impl Observed {
    /// The LM state before token `i`: the sentence start, or the state after the previous token.
    pub fn before(&self, i: usize, doc: &Prepared, lm: &dyn LanguageModel) -> LmState {
        if i == 0 || doc.toks[i].sentence_start {
            lm.begin_sentence()
        } else {
            self.after[i - 1]
        }
    }
}

impl Decoder<'_> {
    /// ln P(token | observed context) for every token, ln P(`</s>` | context) at every
    /// sentence's last token (both with the unknown-word penalty), and the LM state after
    /// every token.
    pub(super) fn observed_scores(&self, doc: &Prepared) -> Observed {
        let toks = &doc.toks;
        let mut lp = vec![0.0; toks.len()];
        let mut eos = vec![0.0; toks.len()];
        let mut after = Vec::with_capacity(toks.len());
        let mut state = self.lm.begin_sentence();
        let mut next = LmState::default();
        for k in 0..toks.len() {
            if toks[k].sentence_start || k == 0 {
                state = self.lm.begin_sentence();
            }
            let w = toks[k].id;
            lp[k] = self.lm.score(&state, w, &mut next) as f64 * LN10
                + if w == self.lm.unk() {
                    self.params.unk_penalty
                } else {
                    0.0
                };
            state = next;
            after.push(state);
            if k + 1 == toks.len() || toks[k + 1].sentence_start {
                eos[k] = self.lm.score(&state, self.lm.eos(), &mut next) as f64 * LN10;
            }
        }
        Observed { lp, eos, after }
    }
}
