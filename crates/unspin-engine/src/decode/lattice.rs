//! The lattice: every span of up to `max_key_words` words that the lexicon knows gets an edge
//! per candidate original, scored by the [`features`]. Candidates are pruned
//! in two stages: a bound from the first word's LM score (the `max_scored` best survive), then
//! the whole window, scored in batch for all of a span's survivors.

use super::features::{
    self, CHANNEL, Chain, FeatureCtx, LM_WINDOW, MEANING, MEANING_CHOICE, NAME, Values, meaning,
};
use super::observed::Observed;
use super::term_edges::TermOption;
use super::tokens::{Prepared, WordCounts, joiner};
use super::{Decoder, LN10, MAX_RATE};
use crate::model::{Candidate, LanguageModel, LmState, WordId};

/// An edge's original, as LM word ids.
pub(super) type EdgeWords = smallvec::SmallVec<[WordId; 4]>;

/// One candidate edit: tokens `i..j` were spun from `words`.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    pub i: usize,
    pub j: usize,
    /// The original's words (inline up to four: no allocation for nearly every edge).
    pub words: EdgeWords,
    pub cand: Candidate,
    /// For an edge that completes a known term word by word: per token, the candidate put in
    /// its place (`None`: kept). Empty for ordinary edges.
    pub parts: Box<[Option<Candidate>]>,
    /// The edge's feature values, unweighted (see [`features::FEATURES`]). The LM window
    /// ratio (`values[LM_WINDOW]`) comes from the lattice's batch, before the others are
    /// scored.
    pub values: Values,
    /// The weighted sum of the features, without the ρ terms (nats).
    pub base: f64,
    /// `base` plus the ρ terms at the current rate and the document's dictionary weighting
    /// (see `docmodel::set_rate`).
    pub llr: f64,
    /// The dictionaries that propose the edit (OR of its candidates' flags).
    pub dicts: u8,
    /// Spin events the edit undoes (1, or the replaced words of a term edge).
    pub events: u32,
    /// Tokens those events replaced.
    pub covered: u32,
}

impl Edge {
    /// The edge that replaces tokens `i..j` by `words` (`cand`, or the `parts` of a term
    /// edge), with the LM window ratio `window` from the lattice's batch; `events` spin events
    /// replaced `covered` tokens. Its features are still to be scored ([`features::score`]).
    pub fn new(
        (i, j): (usize, usize),
        words: EdgeWords,
        cand: Candidate,
        parts: Box<[Option<Candidate>]>,
        window: f64,
        events: u32,
        covered: u32,
    ) -> Edge {
        let dicts = if parts.is_empty() {
            cand.dicts
        } else {
            parts.iter().flatten().fold(0, |m, c| m | c.dicts)
        };
        let mut values = [0.0; features::N];
        values[LM_WINDOW] = window;
        Edge {
            i,
            j,
            words,
            cand,
            parts,
            values,
            base: 0.0,
            llr: 0.0,
            dicts,
            events,
            covered,
        }
    }

    /// The edge's log-odds but for the LM window ratio, which the beam replaces by its own
    /// LM scoring (`lm_weight`: the ratio's weight).
    pub fn without_lm(&self, lm_weight: f64) -> f64 {
        self.llr - lm_weight * self.values[LM_WINDOW]
    }
}

/// The indefinite article's two forms. *a* and *an* are one word spelled by the sound that
/// follows, not synonyms: spinners leave the article alone (which is why *an crucial step*
/// betrays a substitution), so the article is never the restored edit.
pub(super) struct Articles {
    pub a: WordId,
    pub an: WordId,
}

impl Articles {
    pub fn new(lm: &dyn LanguageModel) -> Self {
        Articles {
            a: lm.id("a"),
            an: lm.id("an"),
        }
    }

    /// Whether `x` and `y` are the two forms of the article.
    pub fn swaps(&self, x: WordId, y: WordId) -> bool {
        self.a != self.an && ((x == self.a && y == self.an) || (x == self.an && y == self.a))
    }
}

/// A candidate after stage one of the lattice: (pruning bound, candidate index, its words'
/// range in the word buffer, ln P(first word | left context), LM state after it).
type Scored = (f64, usize, (usize, usize), f64, LmState);

/// The lattice being built, with its buffers (reused from span to span).
pub(super) struct Builder<'d> {
    pub dec: &'d Decoder<'d>,
    pub doc: &'d Prepared,
    pub obs: &'d Observed,
    pub ctx: FeatureCtx<'d>,
    pub weights: Values,
    pub edges: Vec<Edge>,
    /// Per token, the candidate words that occur in some known term (for term edges).
    pub term_options: Vec<(usize, TermOption)>,
    pub right: Vec<WordId>,
    want_terms: bool,
    max_words: usize,
    articles: Articles,
    key: String,
    key_ids: Vec<WordId>,
    cands: Vec<Candidate>,
    scored: Vec<Scored>,
    wbuf: Vec<WordId>,
    ranges: Vec<(usize, usize)>,
    chains: Vec<Chain>,
}

impl Decoder<'_> {
    /// The scored edges of a passage (in start order), with the document cache applied from
    /// `counts`.
    pub(super) fn lattice(&self, doc: &Prepared, obs: &Observed, counts: &WordCounts) -> Vec<Edge> {
        let mut b = Builder::new(self, doc, obs, counts);
        for i in 0..doc.toks.len() {
            // a cancelled check stops here too (its caller drops the partial result)
            if i % 256 == 0 && crate::cancel_requested() {
                break;
            }
            b.spans_from(i);
        }
        if b.want_terms {
            b.term_edges();
        }
        features::within_spans(&b.weights, &mut b.edges);
        b.edges
    }
}

impl<'d> Builder<'d> {
    fn new(
        dec: &'d Decoder<'d>,
        doc: &'d Prepared,
        obs: &'d Observed,
        counts: &'d WordCounts,
    ) -> Self {
        let n_ctx = dec.n_ctx();
        let max_words = dec.lex.max_key_words().clamp(1, 6);
        Builder {
            dec,
            doc,
            obs,
            ctx: FeatureCtx {
                doc,
                terms: dec.terms,
                counts,
                meaning: dec.meaning,
                meaning_offset: dec.params.meaning_offset,
            },
            weights: features::weights(dec.params),
            // Prose has about four edges per token (4.5 on the dev mix of spun and clean text):
            // reserved, the vector need not be copied as it grows.
            edges: Vec::with_capacity(4 * doc.toks.len()),
            term_options: Vec::new(),
            right: Vec::with_capacity(n_ctx + 1),
            want_terms: dec.terms.is_some_and(|t| !t.is_empty()) && dec.params.term_bonus > 0.0,
            max_words,
            articles: Articles::new(dec.lm),
            key: String::new(),
            key_ids: Vec::with_capacity(max_words),
            cands: Vec::new(),
            scored: Vec::new(),
            wbuf: Vec::new(),
            ranges: Vec::new(),
            chains: Vec::new(),
        }
    }

    /// The edges of the spans that start at token `i`: the key grows a word at a time while
    /// the lexicon has longer keys that extend it.
    fn spans_from(&mut self, i: usize) {
        let (dec, doc, obs) = (self.dec, self.doc, self.obs);
        let toks = &doc.toks;
        // A word the language model finds likely where it stands was almost surely
        // written that way: spinners' choices rarely fit that well.
        if !toks[i].spinnable || obs.lp[i] > dec.params.likely {
            return;
        }
        // Left context: the observed text of the sentence so far.
        let left = obs.before(i, doc, dec.lm);
        self.key.clear();
        self.key_ids.clear();
        let mut j = i;
        while self.key_ids.len() < self.max_words && j < toks.len() {
            // A hyphen or slash between two words (*tip-top*, *and/or*) is part of the
            // span but not of the key: the lexicon keys such entries by their words.
            if !self.key_ids.is_empty() && joiner(doc, j) {
                j += 1;
                continue;
            }
            let t = &toks[j];
            if !t.spinnable || (j > i && t.sentence_start) {
                break;
            }
            if !self.key_ids.is_empty() {
                self.key.push(' ');
            }
            self.key.push_str(doc.norm(j));
            self.key_ids.push(t.id);
            j += 1;
            self.cands.clear();
            let p = dec.params;
            dec.lex.candidates_up_to(
                &self.key,
                p.candidate_pool.max(p.max_candidates),
                &mut self.cands,
            );
            if self.cands.len() > p.max_candidates {
                self.rank_pool();
            }
            // No longer key starts with this one: the span stops growing here.
            let more = dec.lex.extends(&self.key);
            if self.cands.is_empty() {
                if more {
                    continue;
                }
                break;
            }
            self.span(i, j, left);
            if !more {
                break;
            }
        }
    }

    /// Cuts the key's candidate pool to `max_candidates`, ranked by the weighted channel and
    /// meaning (the lexicon's order breaks ties).
    fn rank_pool(&mut self) {
        let (dec, p) = (self.dec, self.dec.params);
        let mut ranked: Vec<(f64, usize)> = Vec::with_capacity(self.cands.len());
        for (n, c) in self.cands.iter().enumerate() {
            self.wbuf.clear();
            dec.lex.words(c, dec.lm, &mut self.wbuf);
            let wm = self.weights[MEANING] + self.weights[MEANING_CHOICE];
            let meaning = if wm != 0.0 {
                wm * meaning::value_of(&self.ctx, &self.key_ids, &self.wbuf)
            } else {
                0.0
            };
            ranked.push((self.weights[CHANNEL] * c.ln_channel as f64 + meaning, n));
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(p.max_candidates);
        ranked.sort_by_key(|r| r.1);
        let kept: Vec<Candidate> = ranked.iter().map(|r| self.cands[r.1]).collect();
        self.cands.clear();
        self.cands.extend(kept);
    }

    /// The edges of span `i..j` from the candidates of its key.
    fn span(&mut self, i: usize, j: usize, left: LmState) {
        let (dec, doc, obs) = (self.dec, self.doc, self.obs);
        dec.right_context(doc, j, &mut self.right);
        // The joiners' own LM cost is spelling, not evidence: *tip-top* and *tip top*
        // are one dictionary entry, so the observed side is not charged for them.
        let joined: f64 = (i + 1..j)
            .filter(|&k| joiner(doc, k))
            .map(|k| obs.lp[k])
            .sum();
        let spans = features::span_values(&self.ctx, &self.weights, i, j);
        self.first_words(i, j, left, &spans);
        self.windows(i, j, joined, &spans);
    }

    /// Stage one: the candidate's first word against the observed one, in the left context.
    /// The pruning bound assumes the rest of the window gains at most `prune_margin` nats, at
    /// the highest spin rate, with the channel and the name prior; only the `max_scored` best
    /// by this bound are kept (in `scored`) to get their whole window scored.
    fn first_words(&mut self, i: usize, j: usize, left: LmState, spans: &Values) {
        let (dec, p) = (self.dec, self.dec.params);
        let (lm, lex) = (dec.lm, dec.lex);
        let obs_first = self.obs.lp[i];
        let name = self.weights[NAME] * spans[NAME];
        self.scored.clear();
        self.wbuf.clear();
        // The candidates' words first, and a prefetch of each first word's n-grams,
        // so that the lookups below overlap instead of waiting for each other.
        self.ranges.clear();
        for c in &self.cands {
            let from = self.wbuf.len();
            lex.words(c, lm, &mut self.wbuf);
            if let Some(&w) = self.wbuf.get(from) {
                lm.prefetch(&left, w);
            }
            self.ranges.push((from, self.wbuf.len()));
        }
        let observed = &self.key_ids;
        for (ci, c) in self.cands.iter().enumerate() {
            let (from, to) = self.ranges[ci];
            let words = &self.wbuf[from..to];
            if words.is_empty()
                || words.contains(&lm.unk())
                || words == observed.as_slice()
                || (observed.len() == 1
                    && words.len() == 1
                    && self.articles.swaps(observed[0], words[0]))
            {
                continue;
            }
            if self.want_terms
                && j == i + 1
                && words.len() == 1
                && dec.terms.is_some_and(|t| t.has_word(words[0]))
            {
                self.term_options.push((i, (words[0], Some(*c))));
            }
            let mut st = LmState::default();
            let first = lm.score(&left, words[0], &mut st) as f64 * LN10;
            let wm = self.weights[MEANING] + self.weights[MEANING_CHOICE];
            let sense = if wm != 0.0 {
                wm * meaning::value_of(&self.ctx, observed, words)
            } else {
                0.0
            };
            let bound = self.weights[LM_WINDOW] * (first - obs_first + p.prune_margin)
                + self.weights[CHANNEL] * c.ln_channel as f64
                + name
                + sense
                + (MAX_RATE / (1.0 - MAX_RATE)).ln();
            if bound >= p.gate {
                self.scored.push((bound, ci, (from, to), first, st));
            }
        }
        self.scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.scored.truncate(p.max_scored);
    }

    /// Stage two: the whole window of every candidate kept by stage one, continuing from the
    /// first word's state; all the windows at once, a word of each per step, so that their
    /// LM lookups overlap. Each becomes an edge, scored by the features.
    fn windows(&mut self, i: usize, j: usize, joined: f64, spans: &Values) {
        self.chains.clear();
        self.chains.extend(
            self.scored
                .iter()
                .map(|&(_, _, (from, to), first, st)| Chain::new(st, first, (from + 1, to))),
        );
        let span = (i, j);
        self.dec
            .window_diffs(&mut self.chains, &self.wbuf, span, &self.right, self.obs);
        for (n, (_, ci, (from, to), _, _)) in self.scored.drain(..).enumerate() {
            let c = self.cands[ci];
            let mut edge = Edge::new(
                span,
                EdgeWords::from_slice(&self.wbuf[from..to]),
                c,
                Box::default(),
                self.chains[n].diff() + joined,
                1,
                self.key_ids.len() as u32,
            );
            features::score(&self.ctx, &self.weights, spans, &mut edge);
            self.edges.push(edge);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::testutil::toy_edges;
    use crate::model::CandidateSource;

    /// A lexicon with one hyphenated entry: *door-mat* (keyed by its words) for *mat*.
    struct Hyphenated;

    impl CandidateSource for Hyphenated {
        fn max_key_words(&self) -> usize {
            2
        }
        fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
            if key == "door mat" {
                out.push(Candidate {
                    id: 3,
                    source: 0,
                    ln_channel: -1.0,
                    dicts: crate::model::DICT_MOBY,
                });
            }
        }
        fn original(&self, _: &Candidate) -> String {
            "mat".into()
        }
    }

    #[test]
    fn hyphen_joined_words_are_one_key() {
        let params = crate::decode::Params::default();
        let joined = |text: &str| {
            let (doc, edges) = toy_edges(text, &Hyphenated, &params, None);
            edges
                .iter()
                .filter(|e| doc.norm(e.i) == "door")
                .map(|e| (&text[doc.toks[e.i].start..doc.toks[e.j - 1].end], e.covered))
                .map(|(s, c)| (s.to_string(), c))
                .collect::<Vec<_>>()
        };
        // The span runs over the hyphen; two words were replaced, not three tokens.
        assert_eq!(
            joined("the cat sat on the door-mat ."),
            [("door-mat".to_string(), 2)]
        );
        assert_eq!(
            joined("the cat sat on the door/mat ."),
            [("door/mat".to_string(), 2)]
        );
        // A dash between spaced words, or a hyphen at a word's edge, joins nothing.
        assert!(joined("the cat sat on the door - mat .").is_empty());
        assert!(joined("the cat sat on the door -mat .").is_empty());
        assert!(joined("the cat sat on the door- mat .").is_empty());
    }

    #[test]
    fn articles_are_one_word() {
        let lm = crate::toy::lm();
        let art = Articles {
            a: lm.id("a"),
            an: 99_999,
        };
        assert!(art.swaps(art.a, art.an) && art.swaps(art.an, art.a));
        assert!(!art.swaps(art.a, lm.id("the")) && !art.swaps(art.a, art.a));
        // A model that knows neither form (both unknown) swaps nothing.
        let none = Articles { a: 0, an: 0 };
        assert!(!none.swaps(0, 0));
    }
}
