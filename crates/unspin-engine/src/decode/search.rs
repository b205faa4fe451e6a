//! The joint decoder: a beam search over the lattice, sentence by sentence, with full LM
//! scoring, recombining hypotheses on their LM state, so that neighbouring edits are decided
//! together and phrase edits (*due to this fact* → *therefore*) compete whole against word
//! edits. The beam scores the LM itself; from each edge it adds only the other terms of its
//! log-odds (`Edge::without_lm`).

use super::lattice::Edge;
use super::observed::Observed;
use super::tokens::Prepared;
use super::{Decoder, LN10, RawFinding};
use crate::model::{LmState, WordId};

/// Longest run of tokens decoded as one unit; longer sentences are cut (context carries over).
const MAX_SEGMENT: usize = 256;

/// A hypothesis: its score so far, the LM state it ends in, and its node in the arena.
#[derive(Clone, Copy)]
struct Hyp {
    score: f64,
    state: LmState,
    back: u32,
}

/// A hypothesis extension: the node before, and the edge taken (`u32::MAX`: a kept token).
struct Back {
    prev: u32,
    edge: u32,
}

impl Decoder<'_> {
    /// Decodes the passage segment by segment (sentences, at most [`MAX_SEGMENT`] tokens but
    /// never cut inside an edge) over the edges whose log-odds plus `bias` pass the gate;
    /// returns the chosen edits as findings, in text order.
    pub(super) fn search(
        &self,
        doc: &Prepared,
        edges: &[Edge],
        obs: &Observed,
        bias: f64,
    ) -> Vec<RawFinding> {
        let toks = &doc.toks;
        let mut findings = Vec::new();
        let mut by_start: Vec<Vec<usize>> = vec![Vec::new(); toks.len()];
        for (k, e) in edges.iter().enumerate() {
            if e.llr + bias > self.params.gate {
                by_start[e.i].push(k);
            }
        }
        let mut s = 0;
        // a cancelled check stops between sentences (its caller drops the partial result)
        while s < toks.len() && !crate::cancel_requested() {
            let mut e = s + 1;
            while e < toks.len() && !toks[e].sentence_start && e - s < MAX_SEGMENT {
                e += 1;
            }
            // Do not cut inside an edge: extend the segment to cover edges starting in it.
            let mut reach = e;
            for starts in &by_start[s..e] {
                for &k in starts {
                    reach = reach.max(edges[k].j);
                }
            }
            let e = reach.min(toks.len());
            let sentence_end = e >= toks.len() || toks[e].sentence_start;
            let mut beam = Beam {
                dec: self,
                doc,
                edges,
                by_start: &by_start,
                obs,
                span: (s, e, obs.before(s, doc, self.lm)),
                bias,
                arena: Vec::new(),
                at: Vec::new(),
                spare: Vec::new(),
            };
            for k in beam.run(sentence_end) {
                findings.push(self.finding(edges, &by_start, k, doc));
            }
            s = e;
        }
        findings
    }
}

/// The beam over one segment.
struct Beam<'b> {
    dec: &'b Decoder<'b>,
    doc: &'b Prepared,
    edges: &'b [Edge],
    /// Per token, the edges (that pass the gate) starting there.
    by_start: &'b [Vec<usize>],
    obs: &'b Observed,
    /// Tokens `s..e` with the LM state before `s`.
    span: (usize, usize, LmState),
    /// Added to every edit's log-odds.
    bias: f64,
    /// Every hypothesis extension leaves a node here.
    arena: Vec<Back>,
    /// Per position of the segment, the hypotheses that reach it.
    at: Vec<Vec<Hyp>>,
    /// Buffers of positions already decoded, for positions still to come: one
    /// position's hypotheses grow to dozens, and growing a fresh vector each time costs.
    spare: Vec<Vec<Hyp>>,
}

impl Beam<'_> {
    /// The best sequence of edits over the segment by full LM score plus the edits' other
    /// terms (and `</s>` when `sentence_end`). Returns the chosen edges.
    fn run(&mut self, sentence_end: bool) -> Vec<usize> {
        let (s, e, init) = self.span;
        // A few nodes per token and hypothesis.
        self.arena = Vec::with_capacity(1 + (e - s) * 4 * self.dec.params.beam.max(1));
        self.arena.push(Back {
            prev: u32::MAX,
            edge: u32::MAX,
        });
        self.at = vec![Vec::new(); e - s + 1];
        self.at[0].push(Hyp {
            score: 0.0,
            state: init,
            back: 0,
        });
        for pos in s..e {
            self.step(pos);
        }
        self.best(sentence_end)
    }

    /// Hypotheses in the same LM state score the same from here on: keep the better.
    fn push(&mut self, at: usize, h: Hyp) {
        let v = &mut self.at[at];
        if let Some(x) = v.iter_mut().find(|x| x.state == h.state) {
            if h.score > x.score {
                *x = h;
            }
        } else {
            if v.capacity() == 0
                && let Some(buf) = self.spare.pop()
            {
                *v = buf;
            }
            v.push(h);
        }
    }

    /// `h` continued by word `w`, and the weighted LM log-probability of `w`.
    fn advance(&self, h: &Hyp, w: WordId) -> (Hyp, f64) {
        let (lm, p) = (self.dec.lm, self.dec.params);
        let mut nh = *h;
        let mut lp = lm.score(&h.state, w, &mut nh.state) as f64 * LN10;
        if w == lm.unk() {
            lp += p.unk_penalty;
        }
        (nh, lp * p.lm_weight)
    }

    /// Extends the best hypotheses at token `pos` by the observed token and by every edit
    /// starting there.
    fn step(&mut self, pos: usize) {
        let (s, e, init) = self.span;
        let (toks, obs, lm_weight) = (&self.doc.toks, self.obs, self.dec.params.lm_weight);
        let (by_start, edges) = (self.by_start, self.edges);
        let mut cur = std::mem::take(&mut self.at[pos - s]);
        if cur.is_empty() {
            return;
        }
        cur.sort_by(|a, b| b.score.total_cmp(&a.score));
        cur.truncate(self.dec.params.beam.max(1));
        // The LM state of a hypothesis on the observed path (the observed text since the
        // segment's start, or since its last edit's context ran out).
        let observed_before = if pos == s { init } else { obs.after[pos - 1] };
        self.prefetch(&cur, pos, observed_before);
        for h in &cur {
            // Keep the observed token: on the observed path its score is known already.
            let (mut nh, lp) = if h.state == observed_before {
                let mut nh = *h;
                nh.state = obs.after[pos];
                (nh, obs.lp[pos] * lm_weight)
            } else {
                self.advance(h, toks[pos].id)
            };
            nh.score += lp;
            nh.back = self.arena.len() as u32;
            self.arena.push(Back {
                prev: h.back,
                edge: u32::MAX,
            });
            self.push(pos + 1 - s, nh);
            // Or undo one of the edits starting here.
            for &k in &by_start[pos] {
                let ed = &edges[k];
                if ed.j > e {
                    continue;
                }
                let mut x = *h;
                let mut score = h.score;
                for &w in &ed.words {
                    let (y, lp) = self.advance(&x, w);
                    x = y;
                    score += lp;
                }
                // The beam scores the LM itself: add only the edit's other terms.
                x.score = score + ed.without_lm(self.dec.params.lm_weight) + self.bias;
                x.back = self.arena.len() as u32;
                self.arena.push(Back {
                    prev: h.back,
                    edge: k as u32,
                });
                self.push(ed.j - s, x);
            }
        }
        cur.clear();
        self.spare.push(cur);
    }

    /// Every first lookup of position `pos`, prefetched before any is scored.
    fn prefetch(&self, cur: &[Hyp], pos: usize, observed_before: LmState) {
        let lm = self.dec.lm;
        for h in cur {
            if h.state != observed_before {
                lm.prefetch(&h.state, self.doc.toks[pos].id);
            }
            for &k in &self.by_start[pos] {
                if let Some(&w) = self.edges[k].words.first() {
                    lm.prefetch(&h.state, w);
                }
            }
        }
    }

    /// The edges on the best hypothesis at the segment's end, in text order.
    fn best(&mut self, sentence_end: bool) -> Vec<usize> {
        let (s, e, _) = self.span;
        let last = std::mem::take(&mut self.at[e - s]);
        let best = last
            .iter()
            .map(|h| {
                let end = if sentence_end {
                    self.advance(h, self.dec.lm.eos()).1
                } else {
                    0.0
                };
                (h.score + end, h.back)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let mut chosen = Vec::new();
        if let Some((_, mut b)) = best {
            while b != u32::MAX && (b as usize) < self.arena.len() {
                let node = &self.arena[b as usize];
                if node.edge != u32::MAX {
                    chosen.push(node.edge as usize);
                }
                b = node.prev;
            }
        }
        chosen.reverse();
        chosen
    }
}
