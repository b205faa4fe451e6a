//! Term edges: edges that turn a span into a known term by replacing some of its words with
//! their candidates (*patient gathering* → *patient group*, *picture grouping* → *image
//! classification*): the term as one edit, with the channel of each replaced word.

use super::features::{self, Chain};
use super::lattice::{Builder, Edge};
use super::tokens::Prepared;
use crate::model::{Candidate, WordId};

/// A word that may stand at a token inside a term: the observed word (`None`) or a candidate.
pub(super) type TermOption = (WordId, Option<Candidate>);

/// Per token, the [`TermOption`]s that may stand there, flat: token `k`'s are
/// `items[start[k]..start[k + 1]]`.
struct TermOptions {
    items: Vec<TermOption>,
    start: Vec<usize>,
}

impl TermOptions {
    /// Per token of `doc`, the words that could stand there inside a term: the observed one
    /// (when in some term) first, then the `candidates` collected by the lattice (in token
    /// order).
    fn new(doc: &Prepared, terms: &crate::Terms, candidates: &[(usize, TermOption)]) -> Self {
        let toks = &doc.toks;
        let mut options = TermOptions {
            items: Vec::with_capacity(candidates.len() + toks.len()),
            start: Vec::with_capacity(toks.len() + 1),
        };
        let mut next = candidates.iter().peekable();
        for (k, t) in toks.iter().enumerate() {
            options.start.push(options.items.len());
            if t.spinnable && terms.has_word(t.id) {
                options.items.push((t.id, None));
            }
            while let Some(&(_, o)) = next.next_if(|c| c.0 == k) {
                options.items.push(o);
            }
        }
        options.start.push(options.items.len());
        options
    }

    /// Number of tokens.
    fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    fn at(&self, k: usize) -> &[TermOption] {
        match (self.start.get(k), self.start.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.items[a..b],
            _ => &[],
        }
    }
}

/// A known term found at a token: (start, the term's words, per token the candidate put in
/// its place or `None` where the observed word stays).
type TermMatch = (usize, Vec<WordId>, Vec<Option<Candidate>>);

/// A depth-first search for the terms that can be made at one token.
struct TermSearch<'a> {
    terms: &'a crate::Terms,
    doc: &'a Prepared,
    options: &'a TermOptions,
    pre: Vec<WordId>,
    parts: Vec<Option<Candidate>>,
    found: Vec<TermMatch>,
}

impl TermSearch<'_> {
    /// Depth-first search for terms starting at token `i`, given the words chosen so far.
    fn extend(&mut self, i: usize) {
        let k = i + self.pre.len();
        if k >= self.options.len() || (k > i && self.doc.toks[k].sentence_start) {
            return;
        }
        for &(w, c) in self.options.at(k) {
            self.pre.push(w);
            self.parts.push(c);
            if self.parts.iter().any(Option::is_some) && self.terms.contains(&self.pre) {
                self.found.push((i, self.pre.clone(), self.parts.clone()));
            }
            if self.terms.is_prefix(&self.pre) {
                self.extend(i);
            }
            self.pre.pop();
            self.parts.pop();
        }
    }
}

impl Builder<'_> {
    /// Adds the term edges to the lattice's (ordinary) edges and sorts them by start.
    pub(super) fn term_edges(&mut self) {
        let Some(terms) = self.dec.terms else { return };
        let doc = self.doc;
        let options = TermOptions::new(doc, terms, &self.term_options);
        let mut search = TermSearch {
            terms,
            doc,
            options: &options,
            pre: Vec::new(),
            parts: Vec::new(),
            found: Vec::new(),
        };
        for i in 0..doc.toks.len() {
            search.extend(i);
        }
        let ordinary = self.edges.len();
        for (i, words, parts) in search.found {
            let j = i + words.len();
            // Already an ordinary edge with the same words (a phrase candidate)? Keep that one.
            // The ordinary edges are in start order (term edges, appended below, come later).
            let from = self.edges[..ordinary].partition_point(|e| e.i < i);
            if self.edges[from..ordinary]
                .iter()
                .take_while(|e| e.i == i)
                .any(|e| e.j == j && e.words.as_slice() == words.as_slice())
            {
                continue;
            }
            let edge = self.term_edge(i, words, parts);
            self.edges.push(edge);
        }
        self.edges.sort_by_key(|e| e.i);
    }

    /// The edge that makes tokens `i..` the term `words` (`parts`: per token, the candidate
    /// put in its place).
    fn term_edge(&mut self, i: usize, words: Vec<WordId>, parts: Vec<Option<Candidate>>) -> Edge {
        let j = i + words.len();
        self.dec.right_context(self.doc, j, &mut self.right);
        let left = self.obs.before(i, self.doc, self.dec.lm);
        let mut chain = [Chain::new(left, 0.0, (0, words.len()))];
        self.dec
            .window_diffs(&mut chain, &words, (i, j), &self.right, self.obs);
        let cand = parts.iter().flatten().next().copied().unwrap_or(Candidate {
            id: u32::MAX,
            source: u32::MAX,
            ln_channel: 0.0,
            dicts: 0,
        });
        // Each replaced word is a spin event: the ρ terms count them (see `set_rate`).
        let events = parts.iter().flatten().count() as u32;
        let window = chain[0].diff();
        let mut edge = Edge::new(
            (i, j),
            words.into(),
            cand,
            parts.into_boxed_slice(),
            window,
            events,
            events,
        );
        let spans = features::span_values(&self.ctx, &self.weights, i, j);
        features::score(&self.ctx, &self.weights, &spans, &mut edge);
        edge
    }
}
