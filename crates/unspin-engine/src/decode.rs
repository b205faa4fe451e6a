//! The noisy-channel decoder.
//!
//! A spinner is modelled as a process that walks the original text and, for each word or
//! phrase X its dictionary knows, replaces it with probability ρ by an entry Y of its list for
//! X, chosen with probability s(Y|X) (the channel, from the lexicon). Restoration looks for the
//! original sequence X̂ that maximises
//!
//! ```text
//! P_LM(X) · Π_positions [ (1-ρ) if kept  |  ρ · s(Y|X) if spun ]
//! ```
//!
//! It works in three steps over each chunk of text:
//!
//! 1. **Lattice**: every span of up to `max_key_words` words that the lexicon knows gets an edge
//!    per candidate original. Each edge is scored *locally*: the LM log-probability of the
//!    window `left context · X · right context` minus that of the observed window, plus the
//!    channel and prior terms. This log-likelihood ratio (LLR) is exact for an isolated edit.
//!    Edges far below even odds are dropped (the gate).
//! 2. **Spin rate**: ρ is estimated per chunk by a few EM steps over the edges' posteriors, with
//!    a Beta prior, so clean text drives ρ (and with it every edge's odds) down, and heavily
//!    spun text up. ρ is a share of the words some dictionary would replace (words no
//!    dictionary has are left alone under both hypotheses). The same steps estimate which
//!    thesaurus the chunk's spinner drew on (`DictWeights`) and reweight the channel.
//! 3. **Joint decoding**: a beam search over the lattice with full LM scoring, recombining
//!    hypotheses on their LM state, so that neighbouring edits are decided together and phrase
//!    edits (*due to this fact* → *therefore*) compete whole against word edits.

use crate::model::{
    Candidate, CandidateSource, DICT_LEARNED, DICT_MOBY, DICT_WORDNET, LM_STATE_WORDS,
    LanguageModel, LmState, WordId,
};
use unspin_text::{Token, TokenKind};

const LN10: f64 = std::f64::consts::LN_10;
/// Highest spin rate the EM may estimate.
const MAX_RATE: f64 = 0.6;
/// Longest run of tokens decoded as one unit; longer sentences are cut (context carries over).
const MAX_SEGMENT: usize = 256;

/// Uses elsewhere in the text beyond which the document cache gives no more credit: a word the
/// text uses a few times is its word; counting further would make the cache a unigram model of
/// long texts (*to* against *for*), which the LM already is, in context.
const CACHE_CAP: usize = 3;

/// Tunable parameters of the decoder. The defaults are what `unspin` ships with.
#[derive(Debug, Clone)]
pub struct Params {
    /// Spin rate of a text that was not run through a spinner (the "as written" hypothesis):
    /// near zero, but not zero, so that a single glaring substitution can still be found.
    pub clean_rate: f64,
    /// Prior mean of the spin rate of a spun text, before seeing it: the share of the words a
    /// dictionary would replace (see `Decoder::eligible`) that were replaced; spinners replace
    /// every 4th to every 2nd word they can. The estimate from the text alone runs low,
    /// because substitutions without the right candidate look written as is.
    pub prior_rate: f64,
    /// Strength of the Beta prior on the spun rate, in pseudo-words (chosen on the development
    /// and calibration sets, BENCHMARKS.md).
    pub prior_strength: f64,
    /// Prior probability that a text is spun.
    pub prior_spun: f64,
    /// Texts of at least this many words get the full prior against "spun" (see
    /// [`Params::prior_log_odds`]).
    pub prior_words: f64,
    /// EM iterations for the spun rate.
    pub em_iterations: usize,
    /// Edges whose LLR (nats) is below this are not considered at all.
    pub gate: f64,
    /// At most this many candidates per observed key.
    pub max_candidates: usize,
    /// Beam width of the joint decoder.
    pub beam: usize,
    /// Log-prior (nats) added to edits of capitalised words inside a sentence (likely names).
    pub name_penalty: f64,
    /// At most this many candidates per observed key get their whole window scored (the
    /// best by the first-word bound).
    pub max_scored: usize,
    /// Weight of the language model's evidence against the channel and priors (log-linear
    /// scaling, as in speech recognition): n-gram estimates for rare words in unseen contexts
    /// are overconfident, so their log-ratio is scaled down.
    pub lm_weight: f64,
    /// ln P(word | `<unk>`): the LM gives the probability of *some* unknown word; a specific
    /// one is far less likely. Added (nats) for every unknown word the text is scored with.
    pub unk_penalty: f64,
    /// Words whose ln P(word | context) is above this are not considered spun.
    pub likely: f64,
    /// How much (nats) the rest of a candidate's window may gain over the observed one, at
    /// most, for the pruning bound (see `Decoder::lattice`).
    pub prune_margin: f64,
    /// Weight of the words without edges in the document likelihood ratio (1 = exact: each
    /// was left alone with probability 1-ρ; 0 = ignore them, as before).
    pub kept_weight: f64,
    /// Log-prior (nats) for an edit that completes a known term (and against one that breaks
    /// a term standing in the text); see [`crate::Terms`].
    pub term_bonus: f64,
    /// Calibration of confidences: confidence = σ(scale·logit + shift), with `logit` the
    /// decoder's log-odds that the span was substituted. Fitted by logistic regression on the
    /// development sets' findings (spun texts and their clean originals, half each;
    /// BENCHMARKS.md): the raw log-odds are overconfident.
    pub calib_scale: f64,
    /// See `calib_scale`.
    pub calib_shift: f64,
    /// Strength (in spin events) of the prior that a document's spinner draws evenly on Moby
    /// and WordNet; 0 turns the per-document dictionary weighting off (see `DictWeights`).
    pub dict_prior: f64,
    /// Weight of the document cache among the originals proposed for one span: each gets
    /// `cache_weight · ln(1 + c)` nats, `c` the times its words stand elsewhere in the text
    /// (at most 3), renormalised so the span's total odds of being spun do not change (see
    /// `Decoder::document_cache`). 0 turns it off.
    pub cache_weight: f64,
    /// Spin rate of edits learned from tortured phrases, when the document's estimated rate is
    /// lower (0: off, the default; [`Params::for_papers`] sets it): a paper is rarely spun
    /// throughout, yet may carry a few tortured phrases, which the document's low rate would
    /// otherwise hide.
    pub learned_rate: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            clean_rate: 0.002,
            prior_rate: 0.35,
            prior_strength: 100.0,
            prior_spun: 0.0005,
            prior_words: 15.0,
            em_iterations: 4,
            gate: -3.0,
            max_candidates: 16,
            beam: 6,
            name_penalty: -2.0,
            max_scored: 8,
            lm_weight: 0.9,
            unk_penalty: -10.0,
            prune_margin: 8.0,
            likely: -1.0,
            term_bonus: 3.0,
            kept_weight: 1.0,
            calib_scale: 0.63,
            calib_shift: -0.31,
            dict_prior: 2.0,
            cache_weight: 2.0,
            learned_rate: 0.0,
        }
    }
}

/// [`Params::learned_rate`] of [`Params::for_papers`], chosen on the tortured phrases in
/// context (`bench/check/tortured-context.py`) and dev false alarms.
pub const PAPERS_LEARNED_RATE: f64 = 0.03;

impl Params {
    /// Parameters for screening scientific papers for tortured phrases: substitutions learned
    /// from them get [`PAPERS_LEARNED_RATE`] (unless a learned rate is set already); more found
    /// in otherwise clean text, at more false alarms on clean prose.
    pub fn for_papers(mut self) -> Self {
        if self.learned_rate == 0.0 {
            self.learned_rate = PAPERS_LEARNED_RATE;
        }
        self
    }

    /// Prior log-odds that a text of `words` words is spun. The prior against "spun" absorbs
    /// the chance preferences of the language model that any clean text shows, and those grow
    /// with length: so it scales with the number of words up to `prior_words`, and a short
    /// snippet (a phrase, a sentence) is judged mostly on its own evidence.
    pub fn prior_log_odds(&self, words: usize) -> f64 {
        let full = (self.prior_spun / (1.0 - self.prior_spun)).ln();
        full * (words as f64 / self.prior_words.max(1.0)).min(1.0)
    }

    /// Sets a parameter by name (for experiments: `unspin eval --set name=value`).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
        match name {
            "clean_rate" => self.clean_rate = value,
            "prior_rate" => self.prior_rate = value,
            "prior_strength" => self.prior_strength = value,
            "prior_spun" => self.prior_spun = value,
            "prior_words" => self.prior_words = value,
            "em_iterations" => self.em_iterations = value as usize,
            "gate" => self.gate = value,
            "max_candidates" => self.max_candidates = value as usize,
            "beam" => self.beam = value as usize,
            "name_penalty" => self.name_penalty = value,
            "max_scored" => self.max_scored = value as usize,
            "lm_weight" => self.lm_weight = value,
            "unk_penalty" => self.unk_penalty = value,
            "prune_margin" => self.prune_margin = value,
            "likely" => self.likely = value,
            "term_bonus" => self.term_bonus = value,
            "kept_weight" => self.kept_weight = value,
            "calib_scale" => self.calib_scale = value,
            "calib_shift" => self.calib_shift = value,
            "dict_prior" => self.dict_prior = value,
            "cache_weight" => self.cache_weight = value,
            "learned_rate" => self.learned_rate = value,
            _ => return Err(format!("unknown parameter `{name}`")),
        }
        Ok(())
    }
}

/// A finding inside a chunk, before it is turned into a user-facing [`crate::Finding`].
#[derive(Debug, Clone)]
pub struct RawFinding {
    /// Byte offset of the spun span (chunk-relative).
    pub start: usize,
    /// End byte offset of the spun span.
    pub end: usize,
    /// The chosen original (normalised).
    pub suggestion: String,
    /// Other originals, best first (normalised).
    pub alternatives: Vec<String>,
    /// Calibrated confidence that the span was spun.
    pub confidence: f64,
    /// The edge's log-likelihood ratio (nats) at the estimated spin rate.
    pub llr: f64,
}

/// What analysing a chunk produced.
#[derive(Debug, Default)]
pub struct ChunkResult {
    /// Decoded findings, in text order, not filtered by threshold.
    pub findings: Vec<RawFinding>,
    /// Number of word tokens.
    pub words: usize,
    /// Log-likelihood ratio (nats) of "spun at the estimated rate" against "as written".
    pub doc_llr: f64,
    /// Posterior probability that the chunk was spun.
    pub p_spun: f64,
    /// Effective spin rate used for decoding.
    pub rate: f64,
}

/// An edge's original, as LM word ids.
type EdgeWords = smallvec::SmallVec<[WordId; 4]>;

#[derive(Debug, Clone)]
struct Edge {
    i: usize,
    j: usize,
    /// The original's words (inline up to four: no allocation for nearly every edge).
    words: EdgeWords,
    cand: Candidate,
    /// For an edge that completes a known term word by word: per token, the candidate put in
    /// its place (`None`: kept). Empty for ordinary edges.
    parts: Vec<Option<Candidate>>,
    /// Local LM gain of the edit (nats).
    gain: f64,
    /// LM gain + channel + name penalty, without the ρ terms (nats).
    base: f64,
    /// `base` plus the ρ terms at the current rate and the document's dictionary weighting
    /// (see [`DictWeights`]).
    llr: f64,
    /// The dictionaries that propose the edit (OR of its candidates' flags).
    dicts: u8,
    /// Spin events the edit undoes (1, or the replaced words of a term edge).
    events: u32,
    /// Tokens those events replaced.
    covered: u32,
}

struct Tok {
    start: usize,
    end: usize,
    id: WordId,
    /// Can start or be part of a spun key.
    spinnable: bool,
    name_like: bool,
    /// Normalised text (lowercase), for lexicon keys.
    norm: String,
}

/// The indefinite article's two forms. *a* and *an* are one word spelled by the sound that
/// follows, not synonyms: spinners leave the article alone (which is why *an crucial step*
/// betrays a substitution), so the article is never the restored edit.
struct Articles {
    a: WordId,
    an: WordId,
}

impl Articles {
    fn new(lm: &dyn LanguageModel) -> Self {
        Articles {
            a: lm.id("a"),
            an: lm.id("an"),
        }
    }

    /// Whether `x` and `y` are the two forms of the article.
    fn swaps(&self, x: WordId, y: WordId) -> bool {
        self.a != self.an && ((x == self.a && y == self.an) || (x == self.an && y == self.a))
    }
}

/// How often each word stands in a text (see [`Decoder::word_counts`]).
pub type WordCounts = rustc_hash::FxHashMap<WordId, u32>;

/// One candidate's window being scored by [`Decoder::window_diffs`].
#[derive(Debug, Clone, Copy)]
struct Chain {
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
    fn new(state: LmState, lp: f64, rest: (usize, usize)) -> Chain {
        Chain {
            state,
            lp,
            rest,
            seen: 0.0,
            done: false,
        }
    }

    /// The window difference, once [`Decoder::window_diffs`] has run.
    fn diff(&self) -> f64 {
        self.lp - self.seen
    }
}

/// A candidate after stage one of the lattice: (pruning bound, candidate index, its words'
/// range in the word buffer, ln P(first word | left context), LM state after it).
type Scored = (f64, usize, (usize, usize), f64, LmState);

/// A word that may stand at a token inside a term: the observed word (`None`) or a candidate.
type TermOption = (WordId, Option<Candidate>);

/// Per token, the [`TermOption`]s that may stand there, flat: token `k`'s are
/// `items[start[k]..start[k + 1]]`.
struct TermOptions {
    items: Vec<TermOption>,
    start: Vec<usize>,
}

impl TermOptions {
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

/// The observed text as the language model sees it.
struct Observed {
    /// ln P(token | observed context), with the unknown-word penalty.
    lp: Vec<f64>,
    /// ln P(`</s>` | context) after a sentence's last token (0 elsewhere).
    eos: Vec<f64>,
    /// The LM state after each token.
    after: Vec<LmState>,
}

impl Observed {
    /// The LM state before token `i`: the sentence start, or the state after the previous token.
    fn before(&self, i: usize, tokens: &[Token], lm: &dyn LanguageModel) -> LmState {
        if i == 0 || tokens[i].sentence_start {
            lm.begin_sentence()
        } else {
            self.after[i - 1]
        }
    }
}

/// The decoder: a language model, a candidate source and parameters.
pub struct Decoder<'a> {
    /// Language model.
    pub lm: &'a dyn LanguageModel,
    /// Candidate originals.
    pub lex: &'a dyn CandidateSource,
    /// Parameters.
    pub params: &'a Params,
    /// Known terms, if any.
    pub terms: Option<&'a crate::Terms>,
}

/// Whether a token (its text `raw`, of case `case`) can be part of a spun key: words and
/// numbers, except all-capital acronyms of two letters or more.
fn spinnable(t: &Token, raw: &str, case: unspin_text::Case) -> bool {
    t.kind != TokenKind::Punct && case != unspin_text::Case::Upper
        || (case == unspin_text::Case::Upper && raw.chars().count() == 1)
}

/// Adds the words a spinner could touch to `counts`.
fn add_counts(toks: &[Tok], counts: &mut WordCounts) {
    for t in toks.iter().filter(|t| t.spinnable) {
        *counts.entry(t.id).or_default() += 1;
    }
}

/// Whether token `k` is a hyphen or slash that joins the words on either side with no space
/// (*tip-top*, *and/or*).
fn joiner(toks: &[Tok], k: usize) -> bool {
    k > 0
        && k + 1 < toks.len()
        && matches!(toks[k].norm.as_str(), "-" | "\u{2010}" | "\u{2011}" | "/")
        && toks[k - 1].end == toks[k].start
        && toks[k].end == toks[k + 1].start
        && toks[k - 1].spinnable
        && toks[k + 1].spinnable
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Decoder<'_> {
    /// Analyses one chunk of text (any size; callers split very large texts).
    ///
    /// `bias` is added to every edit's log-odds (nats): positive values find more.
    pub fn analyze(&self, text: &str, bias: f64) -> ChunkResult {
        self.analyze_in(text, bias, None)
    }

    /// [`Decoder::analyze`] for one passage of a longer text whose word counts
    /// ([`Decoder::word_counts`] of the whole text) feed the document cache; `None`: the
    /// passage's own.
    pub fn analyze_in(&self, text: &str, bias: f64, counts: Option<&WordCounts>) -> ChunkResult {
        let tokens = unspin_text::tokenize(text);
        let toks = self.prepare(text, &tokens);
        let words = toks.iter().filter(|t| t.spinnable).count();
        let obs = self.observed_scores(&toks, &tokens);
        let mut edges = self.lattice(&toks, &tokens, &obs);
        match counts {
            Some(c) => self.document_cache(&toks, c, &mut edges),
            None => self.document_cache(&toks, &self.count_words(&toks), &mut edges),
        }
        let eligible = self.eligible(&toks, &edges);
        let (rate, doc_llr, p_spun) = self.estimate_rate(&mut edges, eligible, words);
        let mut findings = Vec::new();
        // Decode sentence by sentence (segments of bounded length).
        let mut by_start: Vec<Vec<usize>> = vec![Vec::new(); toks.len()];
        for (k, e) in edges.iter().enumerate() {
            if e.llr + bias > self.params.gate {
                by_start[e.i].push(k);
            }
        }
        let mut s = 0;
        while s < toks.len() {
            let mut e = s + 1;
            while e < toks.len() && !tokens[e].sentence_start && e - s < MAX_SEGMENT {
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
            let sentence_end = e >= toks.len() || tokens[e].sentence_start;
            let init = obs.before(s, &tokens, self.lm);
            let chosen = self.beam(
                &toks,
                &edges,
                &by_start,
                (s, e, init),
                (bias, sentence_end),
                &obs,
            );
            for k in chosen {
                findings.push(self.finding(&edges, &by_start, k, &toks));
            }
            s = e;
        }
        ChunkResult {
            findings,
            words,
            doc_llr,
            p_spun,
            rate,
        }
    }

    /// The document cache: a text keeps to its own words (*she* throughout, *were* for a plural
    /// subject), so among the originals proposed for one span those whose words stand
    /// elsewhere in the text are likelier. Each edge of a span gets `cache_weight · ln(1 + c)`
    /// nats, `c` the fewest times one of its words occurs outside the span (at most
    /// [`CACHE_CAP`]), less the
    /// posterior-weighted mean of that bonus over the span's edges: the choice among the
    /// originals moves, the span's total odds of being spun stay (so clean text gets no more
    /// findings).
    fn document_cache(&self, toks: &[Tok], counts: &WordCounts, edges: &mut [Edge]) {
        let weight = self.params.cache_weight;
        if weight == 0.0 || edges.is_empty() {
            return;
        }
        let count = |w: WordId| counts.get(&w).map_or(0, |&c| c as usize);
        // ln(1 + c) · weight and its exponential, for c up to the cap.
        let ln_bonus: [f64; CACHE_CAP + 1] = std::array::from_fn(|c| (c as f64).ln_1p() * weight);
        let factor: [f64; CACHE_CAP + 1] = std::array::from_fn(|c| ln_bonus[c].exp());
        let bonus: Vec<usize> = edges
            .iter()
            .map(|e| {
                e.words
                    .iter()
                    .map(|&w| {
                        let inside = toks[e.i..e.j].iter().filter(|t| t.id == w).count();
                        count(w).saturating_sub(inside).min(CACHE_CAP)
                    })
                    .min()
                    .unwrap_or(0)
            })
            .collect();
        // Edges come in start order; a span's edges are those of one start with one end.
        let (mut members, mut ends): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        let mut from = 0;
        while from < edges.len() {
            let mut to = from + 1;
            while to < edges.len() && edges[to].i == edges[from].i {
                to += 1;
            }
            ends.clear();
            for e in &edges[from..to] {
                if !ends.contains(&e.j) {
                    ends.push(e.j);
                }
            }
            for &j in &ends {
                members.clear();
                members.extend((from..to).filter(|&x| edges[x].j == j));
                if members.iter().all(|&x| bonus[x] == 0) {
                    continue; // no bonus anywhere: nothing moves
                }
                let m = members
                    .iter()
                    .map(|&x| edges[x].base)
                    .fold(f64::NEG_INFINITY, f64::max);
                let (mut z, mut zb) = (0.0, 0.0);
                for &x in &members {
                    let p = (edges[x].base - m).exp();
                    z += p;
                    zb += p * factor[bonus[x]];
                }
                let norm = (zb / z).ln();
                for &x in &members {
                    edges[x].base += ln_bonus[bonus[x]] - norm;
                    edges[x].llr = edges[x].base;
                }
            }
            from = to;
        }
    }

    /// How often each word stands in `text` (the words a spinner could touch), for the
    /// document cache of [`Decoder::analyze_in`]. Add the counts of a long text's pieces.
    pub fn word_counts(&self, text: &str, counts: &mut WordCounts) {
        if self.params.cache_weight == 0.0 {
            return;
        }
        // `add_counts(&self.prepare(..))` without building the tokens' other fields.
        let mut norm = String::new();
        for t in &unspin_text::tokenize(text) {
            let raw = t.text(text);
            if spinnable(t, raw, unspin_text::case_of(raw)) {
                unspin_text::normalize_into(raw, &mut norm);
                *counts.entry(self.lm.id(&norm)).or_default() += 1;
            }
        }
    }

    fn count_words(&self, toks: &[Tok]) -> WordCounts {
        let mut counts = WordCounts::default();
        if self.params.cache_weight != 0.0 {
            add_counts(toks, &mut counts);
        }
        counts
    }

    /// Words a spinner could have replaced: those with edges, and those some dictionary would
    /// replace (the rest are left alone by any spinner, under either hypothesis).
    fn eligible(&self, toks: &[Tok], edges: &[Edge]) -> usize {
        let mut has_edge = vec![false; toks.len()];
        for e in edges {
            has_edge[e.i] = true;
        }
        toks.iter()
            .zip(&has_edge)
            .filter(|(t, e)| t.spinnable && (**e || self.lex.is_original(&t.norm, t.id, self.lm)))
            .count()
    }

    fn prepare(&self, text: &str, tokens: &[Token]) -> Vec<Tok> {
        let mut out = Vec::with_capacity(tokens.len());
        for (k, t) in tokens.iter().enumerate() {
            let raw = t.text(text);
            let norm = unspin_text::normalize(raw);
            let id = self.lm.id(&norm);
            let case = unspin_text::case_of(raw);
            let prev_open = k > 0 && tokens[k - 1].kind == TokenKind::Punct && {
                let p = tokens[k - 1].text(text);
                matches!(p, "\"" | "\u{201c}" | "'" | "\u{2018}" | "(")
            };
            let spinnable = spinnable(t, raw, case);
            let name_like = t.kind == TokenKind::Word
                && matches!(case, unspin_text::Case::Title | unspin_text::Case::Mixed)
                && !t.sentence_start
                && !prev_open;
            out.push(Tok {
                start: t.start,
                end: t.end,
                id,
                spinnable,
                name_like,
                norm,
            });
        }
        out
    }

    /// ln P(window with the edit) − ln P(window as written), nats, for span `i..j` replaced by
    /// each chain's candidate: a chain holds its state and log-probability after the words
    /// already scored, and the rest of its words in `wbuf`; then come the right context
    /// `right` (from [`Decoder::right_context`]). On return `lp - seen` is the chain's window
    /// difference. Exact, and stops early: once a chain's LM state after a right-context token
    /// equals the observed state there, every later term is the same on both sides. The chains
    /// of one span advance a word per step, every lookup of a step prefetched before any is
    /// scored, so their memory reads overlap.
    fn window_diffs(
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

    /// ln P(token | observed context) for every token, ln P(`</s>` | context) at every
    /// sentence's last token (both with the unknown-word penalty), and the LM state after
    /// every token.
    fn observed_scores(&self, toks: &[Tok], tokens: &[Token]) -> Observed {
        let mut lp = vec![0.0; toks.len()];
        let mut eos = vec![0.0; toks.len()];
        let mut after = Vec::with_capacity(toks.len());
        let mut state = self.lm.begin_sentence();
        let mut next = LmState::default();
        for k in 0..toks.len() {
            if tokens[k].sentence_start || k == 0 {
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
            if k + 1 == toks.len() || tokens[k + 1].sentence_start {
                eos[k] = self.lm.score(&state, self.lm.eos(), &mut next) as f64 * LN10;
            }
        }
        Observed { lp, eos, after }
    }

    fn lattice(&self, toks: &[Tok], tokens: &[Token], obs: &Observed) -> Vec<Edge> {
        let n_ctx = self.lm.order().clamp(1, LM_STATE_WORDS + 1) - 1;
        let max_words = self.lex.max_key_words().clamp(1, 6);
        let mut edges = Vec::new();
        let mut key = String::new();
        let mut cands: Vec<Candidate> = Vec::new();
        let mut scored: Vec<Scored> = Vec::new();
        let mut wbuf: Vec<WordId> = Vec::new();
        let mut key_ids: Vec<WordId> = Vec::with_capacity(max_words);
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut chains: Vec<Chain> = Vec::new();
        let articles = Articles::new(self.lm);
        let mut right: Vec<WordId> = Vec::with_capacity(n_ctx + 1);
        let want_terms = self.terms.is_some_and(|t| !t.is_empty()) && self.params.term_bonus > 0.0;
        // Per token, the candidate words that occur in some known term (for term edges).
        let mut term_options: Vec<(usize, TermOption)> = Vec::new();
        for i in 0..toks.len() {
            // A word the language model finds likely where it stands was almost surely
            // written that way: spinners' choices rarely fit that well.
            if !toks[i].spinnable || obs.lp[i] > self.params.likely {
                continue;
            }
            // Left context: the observed text of the sentence so far.
            let left = obs.before(i, tokens, self.lm);
            key.clear();
            key_ids.clear();
            let mut j = i;
            while key_ids.len() < max_words && j < toks.len() {
                // A hyphen or slash between two words (*tip-top*, *and/or*) is part of the
                // span but not of the key: the lexicon keys such entries by their words.
                if !key_ids.is_empty() && joiner(toks, j) {
                    j += 1;
                    continue;
                }
                let t = &toks[j];
                if !t.spinnable || (j > i && tokens[j].sentence_start) {
                    break;
                }
                if !key_ids.is_empty() {
                    key.push(' ');
                }
                key.push_str(&t.norm);
                key_ids.push(t.id);
                j += 1;
                cands.clear();
                self.lex
                    .candidates_up_to(&key, self.params.max_candidates, &mut cands);
                // No longer key starts with this one: the span stops growing here.
                let more = self.lex.extends(&key);
                if cands.is_empty() {
                    if more {
                        continue;
                    }
                    break;
                }
                self.right_context(toks, tokens, j, &mut right);
                let obs_first = obs.lp[i];
                // The joiners' own LM cost is spelling, not evidence: *tip-top* and *tip top*
                // are one dictionary entry, so the observed side is not charged for them.
                let joined: f64 = (i + 1..j)
                    .filter(|&k| joiner(toks, k))
                    .map(|k| obs.lp[k])
                    .sum();
                let name = self.name_prior(toks, i, j);
                // Stage one: the candidate's first word against the observed one, in the left
                // context. The pruning bound assumes the rest of the window gains at most
                // `prune_margin` nats, at the highest spin rate; only the `max_scored` best by
                // this bound get their whole window scored.
                scored.clear();
                let observed = &key_ids;
                wbuf.clear();
                // The candidates' words first, and a prefetch of each first word's n-grams,
                // so that the lookups below overlap instead of waiting for each other.
                ranges.clear();
                for c in &cands {
                    let from = wbuf.len();
                    self.lex.words(c, self.lm, &mut wbuf);
                    if let Some(&w) = wbuf.get(from) {
                        self.lm.prefetch(&left, w);
                    }
                    ranges.push((from, wbuf.len()));
                }
                for (ci, c) in cands.iter().enumerate() {
                    let (from, to) = ranges[ci];
                    let words = &wbuf[from..to];
                    if words.is_empty()
                        || words.contains(&self.lm.unk())
                        || words == observed.as_slice()
                        || (observed.len() == 1
                            && words.len() == 1
                            && articles.swaps(observed[0], words[0]))
                    {
                        continue;
                    }
                    if want_terms
                        && j == i + 1
                        && words.len() == 1
                        && self.terms.is_some_and(|t| t.has_word(words[0]))
                    {
                        term_options.push((i, (words[0], Some(*c))));
                    }
                    let mut st = LmState::default();
                    let first = self.lm.score(&left, words[0], &mut st) as f64 * LN10;
                    let bound = self.params.lm_weight
                        * (first - obs_first + self.params.prune_margin)
                        + c.ln_channel as f64
                        + name
                        + (MAX_RATE / (1.0 - MAX_RATE)).ln();
                    if bound >= self.params.gate {
                        scored.push((bound, ci, (from, to), first, st));
                    }
                }
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                scored.truncate(self.params.max_scored);
                let obs_term = self.term_feature(toks, tokens, i, j, None);
                // Stage two: the whole window, continuing from the first word's state.
                // All the windows at once, a word of each per step, so that their LM lookups
                // overlap.
                chains.clear();
                chains.extend(
                    scored.iter().map(|&(_, _, (from, to), first, st)| {
                        Chain::new(st, first, (from + 1, to))
                    }),
                );
                self.window_diffs(&mut chains, &wbuf, (i, j), &right, obs);
                for (n, (_, ci, (from, to), _, _)) in scored.drain(..).enumerate() {
                    let c = &cands[ci];
                    let words = EdgeWords::from_slice(&wbuf[from..to]);
                    let gain = self.params.lm_weight * (chains[n].diff() + joined);
                    let term = self.term_feature(toks, tokens, i, j, Some(&words)) - obs_term;
                    let base = gain + c.ln_channel as f64 + name + term;
                    edges.push(Edge {
                        i,
                        j,
                        words,
                        cand: *c,
                        dicts: c.dicts,
                        parts: Vec::new(),
                        gain,
                        base,
                        llr: base,
                        events: 1,
                        covered: key_ids.len() as u32,
                    });
                }
                if !more {
                    break;
                }
            }
        }
        if want_terms {
            self.term_edges(toks, tokens, obs, &term_options, &mut edges);
        }
        edges
    }

    /// Edges that turn a span into a known term by replacing some of its words with their
    /// candidates (*patient gathering* → *patient group*, *picture grouping* → *image
    /// classification*): the term as one edit, with the channel of each replaced word.
    fn term_edges(
        &self,
        toks: &[Tok],
        tokens: &[Token],
        obs: &Observed,
        candidates: &[(usize, TermOption)],
        edges: &mut Vec<Edge>,
    ) {
        let Some(terms) = self.terms else { return };
        let n_ctx = self.lm.order().clamp(1, LM_STATE_WORDS + 1) - 1;
        // Per token, the words that could stand there inside a term: the observed one (when
        // in some term) first, then the candidates collected by the lattice (in token order).
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
        let options = &options;
        let mut found: Vec<TermMatch> = Vec::new();
        let mut pre: Vec<WordId> = Vec::new();
        let mut parts: Vec<Option<Candidate>> = Vec::new();
        for i in 0..toks.len() {
            self.extend_terms(terms, tokens, options, i, &mut pre, &mut parts, &mut found);
        }
        let mut right: Vec<WordId> = Vec::with_capacity(n_ctx + 1);
        let ordinary = edges.len();
        for (i, words, parts) in found {
            let j = i + words.len();
            // Already an ordinary edge with the same words (a phrase candidate)? Keep that one.
            // The ordinary edges are in start order (term edges, appended below, come later).
            let from = edges[..ordinary].partition_point(|e| e.i < i);
            if edges[from..ordinary]
                .iter()
                .take_while(|e| e.i == i)
                .any(|e| e.j == j && e.words.as_slice() == words.as_slice())
            {
                continue;
            }
            self.right_context(toks, tokens, j, &mut right);
            let left = obs.before(i, tokens, self.lm);
            let mut chain = [Chain::new(left, 0.0, (0, words.len()))];
            self.window_diffs(&mut chain, &words, (i, j), &right, obs);
            let gain = self.params.lm_weight * chain[0].diff();
            let channel: f64 = parts.iter().flatten().map(|c| c.ln_channel as f64).sum();
            let name = self.name_prior(toks, i, j);
            let term = self.params.term_bonus - self.term_feature(toks, tokens, i, j, None);
            // Each replaced word is a spin event: the ρ terms count them (see `set_rate`).
            let base = gain + channel + name + term;
            let cand = parts.iter().flatten().next().copied().unwrap_or(Candidate {
                id: u32::MAX,
                source: u32::MAX,
                ln_channel: 0.0,
                dicts: 0,
            });
            let events = parts.iter().flatten().count() as u32;
            edges.push(Edge {
                i,
                j,
                dicts: parts.iter().flatten().fold(0, |m, c| m | c.dicts),
                words: words.into(),
                cand,
                parts,
                gain,
                base,
                llr: base,
                events,
                covered: events,
            });
        }
        edges.sort_by_key(|e| e.i);
    }

    /// Fills `right` with the right context of a span ending before token `j`: up to
    /// `order - 1` following tokens of the sentence, then `</s>` if the sentence ends first.
    fn right_context(&self, toks: &[Tok], tokens: &[Token], j: usize, right: &mut Vec<WordId>) {
        let n_ctx = self.lm.order().clamp(1, LM_STATE_WORDS + 1) - 1;
        right.clear();
        let mut k = j;
        while right.len() < n_ctx {
            if k >= toks.len() || tokens[k].sentence_start {
                right.push(self.lm.eos());
                break;
            }
            right.push(toks[k].id);
            k += 1;
        }
    }

    /// The name penalty when the span holds a likely name, else 0.
    fn name_prior(&self, toks: &[Tok], i: usize, j: usize) -> f64 {
        if toks[i..j].iter().any(|t| t.name_like) {
            self.params.name_penalty
        } else {
            0.0
        }
    }

    /// Depth-first search for terms starting at token `i`, given the words chosen so far.
    #[allow(clippy::too_many_arguments)]
    fn extend_terms(
        &self,
        terms: &crate::Terms,
        tokens: &[Token],
        options: &TermOptions,
        i: usize,
        pre: &mut Vec<WordId>,
        parts: &mut Vec<Option<Candidate>>,
        found: &mut Vec<TermMatch>,
    ) {
        let k = i + pre.len();
        if k >= options.len() || (k > i && tokens[k].sentence_start) {
            return;
        }
        for &(w, c) in options.at(k) {
            pre.push(w);
            parts.push(c);
            if parts.iter().any(Option::is_some) && terms.contains(pre) {
                found.push((i, pre.clone(), parts.clone()));
            }
            if terms.is_prefix(pre) {
                self.extend_terms(terms, tokens, options, i, pre, parts, found);
            }
            pre.pop();
            parts.pop();
        }
    }

    /// `term_bonus` if a known term overlaps tokens `i..j` — replaced by `words` when given —
    /// within their sentence; else 0.
    fn term_feature(
        &self,
        toks: &[Tok],
        tokens: &[Token],
        i: usize,
        j: usize,
        words: Option<&[WordId]>,
    ) -> f64 {
        let Some(terms) = self
            .terms
            .filter(|t| !t.is_empty() && self.params.term_bonus != 0.0)
        else {
            return 0.0;
        };
        // A term overlapping the span contains one of the span's words.
        let in_terms = match words {
            Some(w) => w.iter().any(|&x| terms.has_word(x)),
            None => toks[i..j].iter().any(|t| terms.has_word(t.id)),
        };
        if !in_terms {
            return 0.0;
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
            return 0.0;
        }
        let before = (i > 0 && !tokens[i].sentence_start).then(|| toks[i - 1].id);
        let after = (j < toks.len() && !tokens[j].sentence_start).then(|| toks[j].id);
        let first = at(i);
        let last = at(i + len - 1);
        let paired = before.is_some_and(|b| terms.is_bigram(b, first))
            || (i..i + len - 1).any(|k| terms.is_bigram(at(k), at(k + 1)))
            || after.is_some_and(|a| terms.is_bigram(last, a));
        if !paired {
            return 0.0;
        }
        let reach = terms.max_words().saturating_sub(1);
        let mut lo = i;
        while lo > 0 && i - lo < reach && !tokens[lo].sentence_start {
            lo -= 1;
        }
        let mut hi = j;
        while hi < toks.len() && hi - j < reach && !tokens[hi].sentence_start {
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
        if terms.overlapping(&buf[..n], a, b.min(n)) {
            self.params.term_bonus
        } else {
            0.0
        }
    }

    /// Two hypotheses about the chunk: written as is (spin rate `clean_rate`), or spun at a rate
    /// ρ₁ estimated by EM under a Beta prior. Returns the effective rate (the posterior mixture
    /// of the two), the log-likelihood ratio of spun against clean, and P(spun); leaves every
    /// edge's `llr` set at the effective rate.
    /// EM for the spin rate (a share of the `eligible` words) and the dictionary weights; the
    /// document's log-likelihood ratio and posterior of "spun" (the prior scales with its
    /// length in `words`).
    fn estimate_rate(&self, edges: &mut [Edge], eligible: usize, words: usize) -> (f64, f64, f64) {
        let p = self.params;
        let a = p.prior_rate * p.prior_strength;
        let b = (1.0 - p.prior_rate) * p.prior_strength;
        let mut rate = p.prior_rate;
        let mut dw = DictWeights::NEUTRAL;
        for _ in 0..p.em_iterations {
            set_rate(edges, rate, 0.0, &dw);
            let post = edge_posteriors(edges);
            let expected: f64 = post.iter().sum();
            rate = ((expected + a) / (eligible as f64 + a + b)).clamp(p.clean_rate * 2.0, MAX_RATE);
            if p.dict_prior > 0.0 {
                dw = dw.update(edges, &post, p.dict_prior);
            }
        }
        // Words with no edge were left alone: probability 1-ρ under each hypothesis.
        let with_edges = edges
            .iter()
            .enumerate()
            .filter(|(k, e)| *k == 0 || edges[k - 1].i != e.i)
            .count();
        let kept = eligible.saturating_sub(with_edges) as f64;
        let llr = doc_llr(edges, rate, &dw) - doc_llr(edges, p.clean_rate, &DictWeights::NEUTRAL)
            + p.kept_weight * kept * ((1.0 - rate).ln() - (1.0 - p.clean_rate).ln());
        let prior = p.prior_log_odds(words);
        let p_spun = sigmoid(llr + prior);
        let eff = p_spun * rate + (1.0 - p_spun) * p.clean_rate;
        // A text as written has no spinner whose dictionary could be favoured.
        let dw = dw.toward_even(p_spun);
        // Tortured phrases stand in otherwise clean papers: an edit learned from them is judged
        // at a rate of its own when the document's is lower.
        set_rate(edges, eff, p.learned_rate, &dw);
        (eff, llr, p_spun)
    }

    /// Decodes tokens `s..e` (`span`, with the LM state before `s`): the best sequence of
    /// edits by full LM score plus the edits' other terms. Returns the chosen edges.
    fn beam(
        &self,
        toks: &[Tok],
        edges: &[Edge],
        by_start: &[Vec<usize>],
        span: (usize, usize, LmState),
        (bias, sentence_end): (f64, bool),
        obs: &Observed,
    ) -> Vec<usize> {
        #[derive(Clone, Copy)]
        struct Hyp {
            score: f64,
            state: LmState,
            back: u32,
        }
        struct Back {
            prev: u32,
            edge: u32,
        }
        let (s, e, init) = span;
        // Every hypothesis extension leaves a node: a few per token and hypothesis.
        let mut arena: Vec<Back> = Vec::with_capacity(1 + (e - s) * 4 * self.params.beam.max(1));
        arena.push(Back {
            prev: u32::MAX,
            edge: u32::MAX,
        });
        let mut at: Vec<Vec<Hyp>> = vec![Vec::new(); e - s + 1];
        at[0].push(Hyp {
            score: 0.0,
            state: init,
            back: 0,
        });
        // Buffers of positions already decoded, for positions still to come: one
        // position's hypotheses grow to dozens, and growing a fresh vector each time costs.
        let mut spare: Vec<Vec<Hyp>> = Vec::new();
        // Hypotheses in the same LM state score the same from here on: keep the better.
        let push = |v: &mut Vec<Hyp>, spare: &mut Vec<Vec<Hyp>>, h: Hyp| {
            if let Some(x) = v.iter_mut().find(|x| x.state == h.state) {
                if h.score > x.score {
                    *x = h;
                }
            } else {
                if v.capacity() == 0
                    && let Some(buf) = spare.pop()
                {
                    *v = buf;
                }
                v.push(h);
            }
        };
        let advance = |h: &Hyp, w: WordId| -> (Hyp, f64) {
            let mut nh = *h;
            let mut lp = self.lm.score(&h.state, w, &mut nh.state) as f64 * LN10;
            if w == self.lm.unk() {
                lp += self.params.unk_penalty;
            }
            (nh, lp * self.params.lm_weight)
        };
        for pos in s..e {
            let mut cur = std::mem::take(&mut at[pos - s]);
            if cur.is_empty() {
                continue;
            }
            cur.sort_by(|a, b| b.score.total_cmp(&a.score));
            cur.truncate(self.params.beam.max(1));
            // The LM state of a hypothesis on the observed path (the observed text since the
            // segment's start, or since its last edit's context ran out).
            let observed_before = if pos == s { init } else { obs.after[pos - 1] };
            // Every first lookup of this position, prefetched before any is scored.
            for h in &cur {
                if h.state != observed_before {
                    self.lm.prefetch(&h.state, toks[pos].id);
                }
                for &k in &by_start[pos] {
                    if let Some(&w) = edges[k].words.first() {
                        self.lm.prefetch(&h.state, w);
                    }
                }
            }
            for h in &cur {
                // Keep the observed token: on the observed path its score is known already.
                let (mut nh, lp) = if h.state == observed_before {
                    let mut nh = *h;
                    nh.state = obs.after[pos];
                    (nh, obs.lp[pos] * self.params.lm_weight)
                } else {
                    advance(h, toks[pos].id)
                };
                nh.score += lp;
                nh.back = arena.len() as u32;
                arena.push(Back {
                    prev: h.back,
                    edge: u32::MAX,
                });
                push(&mut at[pos + 1 - s], &mut spare, nh);
                // Or undo one of the edits starting here.
                for &k in &by_start[pos] {
                    let ed = &edges[k];
                    if ed.j > e {
                        continue;
                    }
                    let mut x = *h;
                    let mut score = h.score;
                    for &w in &ed.words {
                        let (y, lp) = advance(&x, w);
                        x = y;
                        score += lp;
                    }
                    // The beam scores the LM itself: add only the edit's other terms.
                    x.score = score + (ed.llr - ed.gain) + bias;
                    x.back = arena.len() as u32;
                    arena.push(Back {
                        prev: h.back,
                        edge: k as u32,
                    });
                    push(&mut at[ed.j - s], &mut spare, x);
                }
            }
            cur.clear();
            spare.push(cur);
        }
        let last = std::mem::take(&mut at[e - s]);
        let best = last
            .iter()
            .map(|h| {
                let end = if sentence_end {
                    advance(h, self.lm.eos()).1
                } else {
                    0.0
                };
                (h.score + end, h.back)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let mut chosen = Vec::new();
        if let Some((_, mut b)) = best {
            while b != u32::MAX && (b as usize) < arena.len() {
                let node = &arena[b as usize];
                if node.edge != u32::MAX {
                    chosen.push(node.edge as usize);
                }
                b = node.prev;
            }
        }
        chosen.reverse();
        chosen
    }

    /// The original an edge proposes (normalised).
    fn suggestion(&self, ed: &Edge, toks: &[Tok]) -> String {
        if ed.parts.is_empty() {
            return self.lex.original(&ed.cand);
        }
        let words: Vec<String> = ed
            .parts
            .iter()
            .zip(&toks[ed.i..ed.j])
            .map(|(p, t)| match p {
                Some(c) => self.lex.original(c),
                None => t.norm.clone(),
            })
            .collect();
        words.join(" ")
    }

    fn finding(
        &self,
        edges: &[Edge],
        by_start: &[Vec<usize>],
        k: usize,
        toks: &[Tok],
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
            start: toks[ed.i].start,
            end: toks[ed.j - 1].end,
            suggestion: self.suggestion(ed, toks),
            alternatives: alts
                .iter()
                .take(3)
                .map(|x| self.suggestion(x, toks))
                .collect(),
            confidence: conf,
            llr: ed.llr,
        }
    }
}

/// How much a document's spinner favours each broad thesaurus, relative to the lexicon's even
/// mixture. A spinner uses one dictionary: in a text spun from Moby the edits Moby proposes
/// keep turning out likely and WordNet's do not, and the other way round. The weights are the
/// mixture proportions of the two thesauri among the document's spin events, estimated by EM
/// along with the spin rate (each event shared among the dictionaries that propose it, in
/// proportion to their weights) under a symmetric Dirichlet prior of `dict_prior` events, and
/// scaled so that the even mixture is 1 each. A pair proposed by a set of dictionaries has its
/// channel multiplied by their mean weight (other dictionaries count 1).
#[derive(Debug, Clone, PartialEq)]
struct DictWeights {
    moby: f64,
    wordnet: f64,
    /// Per edge, the weights without the evidence of its own position (leave-one-out: an
    /// edit must not vouch for itself, or a short text's single edit would boost its own
    /// dictionary). Empty: `moby`/`wordnet` for every edge.
    own: Vec<(f64, f64)>,
}

impl DictWeights {
    const NEUTRAL: DictWeights = DictWeights {
        moby: 1.0,
        wordnet: 1.0,
        own: Vec::new(),
    };

    /// The weights that apply to edge `k`.
    fn of(&self, k: usize) -> (f64, f64) {
        self.own
            .get(k)
            .copied()
            .unwrap_or((self.moby, self.wordnet))
    }

    /// ln of the factor on the channel of edge `k`, proposed by `mask`.
    fn ln_factor(&self, k: usize, mask: u8) -> f64 {
        let (m, w, others) = parts(self.of(k), mask);
        let n = mask.count_ones() as f64;
        if n == 0.0 {
            0.0
        } else {
            ((m + w + others) / n).ln()
        }
    }

    /// Mixes the weights with even ones: `a` of these, `1 - a` neutral.
    fn toward_even(&self, a: f64) -> DictWeights {
        let mix = |(m, w): (f64, f64)| (a * m + (1.0 - a), a * w + (1.0 - a));
        let (moby, wordnet) = mix((self.moby, self.wordnet));
        DictWeights {
            moby,
            wordnet,
            own: self.own.iter().map(|&x| mix(x)).collect(),
        }
    }

    /// One EM step from the edges' posteriors.
    fn update(&self, edges: &[Edge], post: &[f64], prior: f64) -> DictWeights {
        // Expected spin events per thesaurus, per start position.
        let mut at: Vec<(f64, f64)> = Vec::with_capacity(edges.len());
        let (mut nm, mut nw) = (0.0, 0.0);
        for (k, (e, p)) in edges.iter().zip(post).enumerate() {
            let (m, w, others) = parts(self.of(k), e.dicts);
            let total = m + w + others;
            let c = if total > 0.0 {
                (p * m / total, p * w / total)
            } else {
                (0.0, 0.0)
            };
            nm += c.0;
            nw += c.1;
            at.push(c);
        }
        let weights = |m: f64, w: f64| {
            let (m, w) = (m.max(0.0), w.max(0.0));
            let moby = 2.0 * (m + prior / 2.0) / (m + w + prior);
            (moby, 2.0 - moby)
        };
        let mut own = vec![(1.0, 1.0); edges.len()];
        let mut k = 0;
        while k < edges.len() {
            let from = k;
            let (mut sm, mut sw) = (0.0, 0.0);
            while k < edges.len() && edges[k].i == edges[from].i {
                sm += at[k].0;
                sw += at[k].1;
                k += 1;
            }
            for o in &mut own[from..k] {
                *o = weights(nm - sm, nw - sw);
            }
        }
        let (moby, wordnet) = weights(nm, nw);
        DictWeights { moby, wordnet, own }
    }
}

/// The weights of the thesauri in `mask` (Moby, WordNet) and how many other dictionaries.
fn parts((moby, wordnet): (f64, f64), mask: u8) -> (f64, f64, f64) {
    let m = if mask & DICT_MOBY != 0 { moby } else { 0.0 };
    let w = if mask & DICT_WORDNET != 0 {
        wordnet
    } else {
        0.0
    };
    let others = (mask & !(DICT_MOBY | DICT_WORDNET)).count_ones() as f64;
    (m, w, others)
}

/// Sets every edge's `llr` at spin rate `rate`; edits learned from tortured phrases use
/// `learned` instead where it is higher (see [`Params::learned_rate`]; 0: off).
fn set_rate(edges: &mut [Edge], rate: f64, learned: f64, dw: &DictWeights) {
    let terms = |r: f64| (r.ln(), (1.0 - r).ln());
    let (ln_rate, ln_kept) = terms(rate);
    let (ln_learned, ln_learned_kept) = terms(learned.max(rate));
    let mut factor = FactorMemo::default();
    for (k, e) in edges.iter_mut().enumerate() {
        let (r, kept) = if e.dicts & DICT_LEARNED != 0 {
            (ln_learned, ln_learned_kept)
        } else {
            (ln_rate, ln_kept)
        };
        e.llr =
            e.base + e.events as f64 * (r + factor.get(dw, k, e.dicts)) - e.covered as f64 * kept;
    }
}

/// [`DictWeights::ln_factor`] of the last (weights, dictionaries) asked for: neighbouring
/// edges share both (one start's edges have the same leave-one-out weights), so most calls
/// reuse the last logarithm.
struct FactorMemo {
    key: (f64, f64, u8),
    value: f64,
}

impl Default for FactorMemo {
    fn default() -> Self {
        FactorMemo {
            key: (f64::NAN, f64::NAN, 0),
            value: 0.0,
        }
    }
}

impl FactorMemo {
    fn get(&mut self, dw: &DictWeights, k: usize, mask: u8) -> f64 {
        let (m, w) = dw.of(k);
        if (m, w, mask) != self.key {
            self.key = (m, w, mask);
            self.value = dw.ln_factor(k, mask);
        }
        self.value
    }
}

/// Posterior probability of each edge: e^llr / (1 + Σ e^llr over the edges at its start).
fn edge_posteriors(edges: &[Edge]) -> Vec<f64> {
    let mut out = Vec::with_capacity(edges.len());
    let mut k = 0;
    while k < edges.len() {
        let i = edges[k].i;
        let from = k;
        let mut sum = 0.0;
        while k < edges.len() && edges[k].i == i {
            let odds = edges[k].llr.min(50.0).exp();
            out.push(odds);
            sum += odds;
            k += 1;
        }
        for p in &mut out[from..k] {
            *p /= 1.0 + sum;
        }
    }
    out
}

/// ln P(text | spun at `rate`) − ln P(text | as written), position by position.
fn doc_llr(edges: &[Edge], rate: f64, dw: &DictWeights) -> f64 {
    let ln_rate = rate.ln();
    let mut factor = FactorMemo::default();
    let mut total = 0.0;
    let mut k = 0;
    while k < edges.len() {
        let i = edges[k].i;
        let mut sum = 0.0;
        while k < edges.len() && edges[k].i == i {
            let e = &edges[k];
            sum += (e.base + e.events as f64 * (ln_rate + factor.get(dw, k, e.dicts)))
                .min(50.0)
                .exp();
            k += 1;
        }
        total += ((1.0 - rate) + sum).ln();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(i: usize, base: f64) -> Edge {
        Edge {
            i,
            j: i + 1,
            words: smallvec::smallvec![1],
            cand: Candidate {
                id: 0,
                source: 0,
                ln_channel: 0.0,
                dicts: crate::model::DICT_MOBY,
            },
            dicts: crate::model::DICT_MOBY,
            parts: Vec::new(),
            gain: base,
            base,
            llr: base,
            events: 1,
            covered: 1,
        }
    }

    fn with_dicts(mut e: Edge, dicts: u8) -> Edge {
        e.dicts = dicts;
        e
    }

    #[test]
    fn dictionary_weights_follow_the_edits_that_fit() {
        use crate::model::{DICT_LEARNED, DICT_USER};
        let n = DictWeights::NEUTRAL;
        for mask in [
            DICT_MOBY,
            DICT_WORDNET,
            DICT_MOBY | DICT_WORDNET,
            DICT_USER,
            0,
        ] {
            assert_eq!(
                n.ln_factor(0, mask),
                0.0,
                "neutral weights change nothing ({mask})"
            );
        }
        // Likely edits proposed by Moby alone, unlikely ones by WordNet alone.
        let mut edges: Vec<Edge> = (0..6)
            .map(|i| with_dicts(edge(2 * i, 4.0), DICT_MOBY))
            .chain((0..6).map(|i| with_dicts(edge(2 * i + 1, -6.0), DICT_WORDNET)))
            .collect();
        edges.sort_by_key(|e| e.i);
        let mut dw = n.clone();
        for _ in 0..5 {
            set_rate(&mut edges, 0.25, 0.0, &dw);
            dw = dw.update(&edges, &edge_posteriors(&edges), 1.0);
        }
        assert!(dw.moby > 1.8 && dw.wordnet < 0.2, "{dw:?}");
        assert!((dw.moby + dw.wordnet - 2.0).abs() < 1e-9);
        // Each edge is weighted by the evidence of the others: still Moby's way.
        assert!(dw.ln_factor(0, DICT_MOBY) > 0.5);
        assert!(dw.ln_factor(1, DICT_WORDNET) < -1.5);
        // A pair both thesauri list keeps the mean of their weights; other dictionaries count 1.
        assert!(dw.ln_factor(0, DICT_MOBY | DICT_WORDNET).abs() < 1e-9);
        assert_eq!(dw.ln_factor(0, DICT_LEARNED), 0.0);
        // Under "as written" (posterior 0 of spun) the weights are even.
        assert_eq!(dw.toward_even(0.0).ln_factor(0, DICT_MOBY), 0.0);
        // A lone edit does not vouch for itself: with no other evidence its weight stays even.
        let mut one = vec![with_dicts(edge(0, 4.0), DICT_MOBY)];
        let mut w = n.clone();
        for _ in 0..5 {
            set_rate(&mut one, 0.25, 0.0, &w);
            w = w.update(&one, &edge_posteriors(&one), 2.0);
        }
        assert!(w.moby > 1.2, "the document as a whole leans to Moby: {w:?}");
        assert_eq!(w.ln_factor(0, DICT_MOBY), 0.0);
    }

    /// The toy lexicon, with only some words known as originals.
    struct Known<'a>(&'a dyn CandidateSource, &'static [&'static str]);

    impl CandidateSource for Known<'_> {
        fn max_key_words(&self) -> usize {
            self.0.max_key_words()
        }
        fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
            self.0.candidates(key, out)
        }
        fn original(&self, c: &Candidate) -> String {
            self.0.original(c)
        }
        fn is_original(&self, norm: &str, _: WordId, _: &dyn LanguageModel) -> bool {
            self.1.contains(&norm)
        }
    }

    /// Edges of `text` under the toy LM with `lex` and `params`, with the decoder's tokens.
    fn toy_edges(text: &str, lex: &dyn CandidateSource, params: &Params) -> (Vec<Tok>, Vec<Edge>) {
        let lm = crate::toy::lm();
        let dec = Decoder {
            lm: &lm,
            lex,
            params,
            terms: None,
        };
        let tokens = unspin_text::tokenize(text);
        let toks = dec.prepare(text, &tokens);
        let obs = dec.observed_scores(&toks, &tokens);
        let mut edges = dec.lattice(&toks, &tokens, &obs);
        dec.document_cache(&toks, &dec.count_words(&toks), &mut edges);
        (toks, edges)
    }

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
        let params = Params::default();
        let joined = |text: &str| {
            let (toks, edges) = toy_edges(text, &Hyphenated, &params);
            edges
                .iter()
                .filter(|e| toks[e.i].norm == "door")
                .map(|e| (&text[toks[e.i].start..toks[e.j - 1].end], e.covered))
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
    fn document_cache_moves_the_choice_not_the_odds() {
        let off = Params {
            cache_weight: 0.0,
            ..Params::default()
        };
        let on = Params::default();
        assert!(on.cache_weight > 0.0);
        let lex = crate::toy::lexicon();
        // *rug* may stand for *mat* or *sofa*; the text has *sofa* elsewhere, not *mat*.
        let text = "the cat sat on the rug . the cat sat on the sofa .";
        // The base scores of *mat* and *sofa* for *rug* in `text`.
        let at_rug = |text: &str, p: &Params| {
            let (toks, edges) = toy_edges(text, &lex, p);
            let pick = |w: &str| {
                edges
                    .iter()
                    .find(|e| toks[e.i].norm == "rug" && lex.original(&e.cand) == w)
                    .map(|e| e.base)
                    .unwrap()
            };
            (pick("mat"), pick("sofa"))
        };
        let (m0, s0) = at_rug(text, &off);
        let (m1, s1) = at_rug(text, &on);
        // *sofa* gains cache_weight · ln 2 on *mat* (which stands nowhere else) ...
        let gain = (s1 - m1) - (s0 - m0);
        assert!((gain - on.cache_weight * 2f64.ln()).abs() < 1e-9, "{gain}");
        // ... and the span's total odds of being spun are unchanged.
        let lse = |a: f64, b: f64| a.max(b) + (-(a - b).abs()).exp().ln_1p();
        assert!((lse(m0, s0) - lse(m1, s1)).abs() < 1e-9);
        // Uses beyond the cap add nothing: five more *sofa*s give what three give.
        let gain_with = |more: usize| {
            let text = format!("the cat sat on the rug .{}", " the sofa .".repeat(more));
            let (mat, sofa) = at_rug(&text, &on);
            sofa - mat
        };
        let (g3, g8) = (gain_with(CACHE_CAP), gain_with(CACHE_CAP + 5));
        assert!((g3 - g8).abs() < 1e-9, "{g3} vs {g8}");
        assert!(g3 > gain_with(1) + 0.5);
    }

    #[test]
    fn only_words_a_dictionary_would_replace_are_eligible() {
        let lm = crate::toy::lm();
        let toy = crate::toy::lexicon();
        let params = Params::default();
        let text = "the cat sat on the carpet .";
        let tokens = unspin_text::tokenize(text);
        let count = |lex: &dyn CandidateSource| {
            let dec = Decoder {
                lm: &lm,
                lex,
                params: &params,
                terms: None,
            };
            let toks = dec.prepare(text, &tokens);
            let obs = dec.observed_scores(&toks, &tokens);
            let edges = dec.lattice(&toks, &tokens, &obs);
            assert!(edges.iter().any(|e| toks[e.i].norm == "carpet"));
            dec.eligible(&toks, &edges)
        };
        // Every word counts when the source cannot tell (the trait's default).
        assert_eq!(count(&toy), 6);
        // Otherwise: the word with edges, and the words a dictionary has.
        assert_eq!(count(&Known(&toy, &[])), 1);
        assert_eq!(count(&Known(&toy, &["cat", "sat"])), 3);
    }

    #[test]
    fn words_left_alone_count_against_spun() {
        let lm = crate::toy::lm();
        let lex = crate::toy::lexicon();
        let params = Params::default();
        let dec = Decoder {
            lm: &lm,
            lex: &lex,
            params: &params,
            terms: None,
        };
        // The same two suspicious positions in a short text and in a long one: the long
        // text's many words without edges are evidence that it was written as is.
        let mut short = vec![edge(0, 4.0), edge(3, 4.0)];
        let mut long = short.clone();
        let (_, llr_short, _) = dec.estimate_rate(&mut short, 10, 10);
        let (_, llr_long, _) = dec.estimate_rate(&mut long, 400, 400);
        assert!(llr_long < llr_short - 1.0, "{llr_long} vs {llr_short}");
        // Without the kept words' term the two would be scored alike.
        let flat = Params {
            kept_weight: 0.0,
            em_iterations: 0,
            ..Params::default()
        };
        let dec = Decoder {
            params: &flat,
            ..dec
        };
        let (_, a, _) = dec.estimate_rate(&mut short.clone(), 10, 10);
        let (_, b, _) = dec.estimate_rate(&mut short.clone(), 400, 10);
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }

    #[test]
    fn window_diffs_are_the_whole_window_differences() {
        let lm = crate::toy::lm();
        let lex = crate::toy::lexicon();
        let params = Params::default();
        let dec = Decoder {
            lm: &lm,
            lex: &lex,
            params: &params,
            terms: None,
        };
        let text = "the cat sat on the carpet . a dog lay on a mat .";
        let tokens = unspin_text::tokenize(text);
        let toks = dec.prepare(text, &tokens);
        let obs = dec.observed_scores(&toks, &tokens);
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
                if tokens[i + 1..j].iter().any(|t| t.sentence_start) {
                    continue;
                }
                dec.right_context(&toks, &tokens, j, &mut right);
                let real = right.len() - usize::from(right.last() == Some(&lm.eos()));
                let mut seen: f64 = obs.lp[i..j + real].iter().sum();
                if real < right.len() {
                    seen += obs.eos[j + real - 1];
                }
                let left = obs.before(i, &tokens, &lm);
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

    #[test]
    fn prior_against_spun_grows_with_length_then_caps() {
        let p = Params::default();
        let full = (p.prior_spun / (1.0 - p.prior_spun)).ln();
        assert!(full < 0.0);
        let short = p.prior_log_odds(2);
        let mid = p.prior_log_odds(p.prior_words as usize / 2);
        assert!(short > mid && mid > full, "{short} {mid} {full}");
        assert_eq!(p.prior_log_odds(p.prior_words as usize), full);
        assert_eq!(p.prior_log_odds(10_000), full);
        assert_eq!(p.prior_log_odds(0), 0.0);
    }
}
