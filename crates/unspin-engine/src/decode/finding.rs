//! Findings: a chosen edge becomes a [`RawFinding`] with its span, its suggestion, the other
//! originals proposed for the span, and its calibrated confidence.

use super::lattice::Edge;
use super::tokens::Prepared;
use super::{Decoder, RawFinding, sigmoid};

impl Decoder<'_> {
    /// The original an edge proposes (normalised).
    fn suggestion(&self, ed: &Edge, doc: &Prepared) -> String {
        if ed.parts.is_empty() {
            return self.lex.original(&ed.cand);
        }
        let words: Vec<String> = ed
            .parts
            .iter()
            .enumerate()
            .map(|(n, p)| match p {
                Some(c) => self.lex.original(c),
                None => doc.norm(ed.i + n).to_string(),
            })
            .collect();
        words.join(" ")
    }

    /// The finding of chosen edge `k` (`by_start`: per token, the edges starting there that
    /// the search considered).
    pub(super) fn finding(
        &self,
        edges: &[Edge],
        by_start: &[Vec<usize>],
        k: usize,
        doc: &Prepared,
    ) -> RawFinding {
        let ed = &edges[k];
        // Posterior that this span was spun, against every original proposed for it.
        let same: Vec<&Edge> = by_start[ed.i]
            .iter()
            .map(|&x| &edges[x])
            .filter(|x| x.j == ed.j)
            .collect();
        // P(spun) = Σ e^llr / (1 + Σ e^llr), so its logit is ln Σ e^llr.
        let m = same.iter().map(|x| x.llr).fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = same.iter().map(|x| (x.llr - m).exp()).sum();
        let logit = m + sum.ln();
        let conf = sigmoid(self.params.calib_scale * logit + self.params.calib_shift);
        let mut alts: Vec<&Edge> = same
            .iter()
            .copied()
            .filter(|x| x.words != ed.words)
            .collect();
        alts.sort_by(|a, b| b.llr.total_cmp(&a.llr));
        RawFinding {
            start: doc.toks[ed.i].start,
            end: doc.toks[ed.j - 1].end,
            suggestion: self.suggestion(ed, doc),
            alternatives: alts
                .iter()
                .take(3)
                .map(|x| self.suggestion(x, doc))
                .collect(),
            confidence: conf,
            llr: ed.llr,
        }
    }
}
