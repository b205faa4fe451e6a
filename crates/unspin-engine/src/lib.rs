//! unspin's source-free engine: find the words and phrases a spinner substituted, propose the
//! originals, score the document.
//!
//! The engine is a noisy-channel decoder (see [`decode`]) over two models: an n-gram
//! [`LanguageModel`] and a [`CandidateSource`] giving, for an observed word or phrase, the
//! originals a spinner could have replaced with it and how likely that substitution is.
//! Optional [`Terms`] (known multi-word terms) let it restore a term whose words were each
//! swapped.
//!
//! ```
//! use unspin_engine::{CheckOptions, Engine, Params, restore};
//! // `lm()` and `lexicon()`: a bigram model of six sentences about cats and mats, and a
//! // hand-written candidate list (*carpet* may stand for *mat*); defined below, hidden.
//! let engine = Engine::new(Box::new(lm()), Box::new(lexicon()), Params::default());
//! let text = "the cat sat on the carpet .";
//! let report = engine.check(text, &CheckOptions { threshold: 0.5, ..Default::default() });
//! assert_eq!(report.findings.len(), 1);
//! assert_eq!(report.findings[0].text, "carpet");
//! assert_eq!(report.findings[0].suggestion, "mat");
//! assert_eq!(restore(text, &report.findings), "the cat sat on the mat .");
//! # use unspin_engine::{Candidate, CandidateSource, LanguageModel, WordId};
//! # use std::collections::HashMap;
//! #
//! # /// A bigram model with add-one smoothing (normalised over its vocabulary).
//! # pub struct ToyLm {
//! #     vocab: HashMap<String, WordId>,
//! #     uni: Vec<f64>,
//! #     bi: HashMap<(WordId, WordId), f64>,
//! # }
//! #
//! # const CORPUS: &str = "the cat sat on the mat .\nthe dog sat on the mat .\nthe cat ate the fish .\n\
//! # the dog lay on the mat .\na cat sat on a mat .\nthe cat sat on the sofa .";
//! #
//! # /// The toy language model.
//! # pub fn lm() -> ToyLm {
//! #     let mut vocab: HashMap<String, WordId> = HashMap::new();
//! #     for w in ["<unk>", "<s>", "</s>"] {
//! #         let n = vocab.len() as WordId;
//! #         vocab.insert(w.to_string(), n);
//! #     }
//! #     let mut uni = vec![0.0; 3];
//! #     let mut bi = HashMap::new();
//! #     // Each sentence counts 20 times, so that the toy model has firm opinions.
//! #     for line in CORPUS.lines().flat_map(|l| std::iter::repeat_n(l, 20)) {
//! #         let mut prev = 1;
//! #         for w in line.split(' ').chain(["</s>"]) {
//! #             let n = vocab.len() as WordId;
//! #             let id = *vocab.entry(w.to_string()).or_insert(n);
//! #             if id as usize >= uni.len() {
//! #                 uni.push(0.0);
//! #             }
//! #             uni[id as usize] += 1.0;
//! #             *bi.entry((prev, id)).or_insert(0.0) += 1.0;
//! #             prev = id;
//! #         }
//! #     }
//! #     uni[1] = 20.0 * CORPUS.lines().count() as f64;
//! #     ToyLm { vocab, uni, bi }
//! # }
//! #
//! # impl LanguageModel for ToyLm {
//! #     fn order(&self) -> usize {
//! #         2
//! #     }
//! #     fn id(&self, word: &str) -> WordId {
//! #         self.vocab.get(word).copied().unwrap_or(0)
//! #     }
//! #     fn unk(&self) -> WordId {
//! #         0
//! #     }
//! #     fn bos(&self) -> WordId {
//! #         1
//! #     }
//! #     fn eos(&self) -> WordId {
//! #         2
//! #     }
//! #     fn log10_prob(&self, context: &[WordId], word: WordId) -> f32 {
//! #         let v = self.uni.len() as f64;
//! #         let prev = context.last().copied().unwrap_or(1);
//! #         let c = self.bi.get(&(prev, word)).copied().unwrap_or(0.0);
//! #         let n = self.uni.get(prev as usize).copied().unwrap_or(0.0);
//! #         ((c + 1.0) / (n + v)).log10() as f32
//! #     }
//! # }
//! #
//! # /// A hand-written candidate list: `carpet`/`rug` may stand for `mat`, `feline` for `cat`.
//! # pub struct ToyLexicon;
//! #
//! # /// The toy lexicon.
//! # pub fn lexicon() -> ToyLexicon {
//! #     ToyLexicon
//! # }
//! #
//! # const TOY_ORIGINALS: [&str; 5] = ["mat", "sofa", "cat", "carpet", "a cat"];
//! #
//! # impl CandidateSource for ToyLexicon {
//! #     fn max_key_words(&self) -> usize {
//! #         2
//! #     }
//! #     fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
//! #         let list: &[(u32, f32)] = match key {
//! #             "carpet" | "rug" => &[(0, -1.0), (1, -2.0)],
//! #             "feline" => &[(2, -0.5)],
//! #             "mat" => &[(3, -1.0)],
//! #             "the feline" => &[(4, -1.0)],
//! #             _ => &[],
//! #         };
//! #         out.extend(list.iter().map(|&(id, l)| Candidate {
//! #             id,
//! #             source: 0,
//! #             ln_channel: l,
//! #             dicts: unspin_engine::model::DICT_MOBY,
//! #         }));
//! #     }
//! #     fn original(&self, c: &Candidate) -> String {
//! #         TOY_ORIGINALS
//! #             .get(c.id as usize)
//! #             .map(|s| s.to_string())
//! #             .unwrap_or_default()
//! #     }
//! # }
//! ```

#![warn(missing_docs)]

pub mod decode;
pub mod eval;
pub mod model;
pub mod terms;
#[cfg(any(test, feature = "toy"))]
#[doc(hidden)]
pub mod toy;

pub use decode::Params;
pub use model::{
    Candidate, CandidateSource, LM_STATE_WORDS, LanguageModel, LmState, Meaning, Sources,
    UserLexicon, WordId,
};
pub use terms::Terms;

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A user lexicon line could not be read.
    #[error("{path}: line {line}: {msg}")]
    UserLexicon {
        /// File name.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        msg: String,
    },
    /// An evaluation file could not be read.
    #[error("{path}: {msg}")]
    Eval {
        /// File name.
        path: String,
        /// What was wrong.
        msg: String,
    },
}

/// A way to stop a check early ([`Engine::check_with`]): called off by [`Cancel::cancel`]
/// (from any thread; clones share it) or by its deadline passing. The check looks at it
/// between passages (a paragraph or a few, [`CHUNK_WORDS`] words), so it stops within one
/// passage's work of being cancelled.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A token that is not cancelled and has no deadline.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// The token with a deadline: it counts as cancelled from `at` on.
    pub fn with_deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Calls the work off (it stops at its next check).
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether the work should stop: called off, or past the deadline.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

thread_local! {
    /// The token of the check running on this thread, for the decoder's inner loops (set by
    /// [`Engine::check_with`] for its duration).
    static CURRENT: std::cell::RefCell<Option<Cancel>> = const { std::cell::RefCell::new(None) };
}

/// Whether the check running on this thread has been cancelled: the decoder's search looks
/// at it per sentence, so a long passage stops early too (its partial result is dropped).
pub(crate) fn cancel_requested() -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(Cancel::is_cancelled))
}

/// Makes `cancel` this thread's current token until dropped (then the one before it again).
struct CurrentCancel(Option<Cancel>);

impl CurrentCancel {
    fn set(cancel: &Cancel) -> Self {
        CurrentCancel(CURRENT.with(|c| c.borrow_mut().replace(cancel.clone())))
    }
}

impl Drop for CurrentCancel {
    fn drop(&mut self) {
        let before = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = before);
    }
}

/// A check stopped by its [`Cancel`] token before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the check was cancelled before it finished (called off, or its deadline passed)")]
pub struct Cancelled;

/// One substitution found in a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// UTF-8 byte offset of the spun span in the input as given.
    pub start: usize,
    /// UTF-8 byte offset one past the end of the span.
    pub end: usize,
    /// The spun text as it appears in the input.
    pub text: String,
    /// The most likely original, in the case of the spun text.
    pub suggestion: String,
    /// Other plausible originals, best first.
    pub alternatives: Vec<String>,
    /// Calibrated probability that the span was substituted, in [0, 1].
    pub confidence: f64,
}

/// The analysis of one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// How spun the document is, in [0, 1]: the share of its words in passages judged spun
    /// (each passage, a paragraph or a few, is judged written as is or spun on its own).
    pub score: f64,
    /// Findings at or above the threshold, in text order.
    pub findings: Vec<Finding>,
    /// Number of words that could have been spun.
    pub words: usize,
    /// Estimated share of substituted words.
    pub rate: f64,
}

/// Options of one check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Report findings whose confidence is at least this; lower finds more, higher is surer.
    pub threshold: f64,
    /// Screening a scientific paper for tortured phrases: the check runs with
    /// [`Params::for_papers`] (finds more lone tortured phrases in clean text, at more false
    /// alarms on clean prose).
    pub papers: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            threshold: DEFAULT_THRESHOLD,
            papers: false,
        }
    }
}

/// The default confidence threshold (chosen on clean text to keep false alarms rare; see
/// BENCHMARKS.md).
pub const DEFAULT_THRESHOLD: f64 = 0.7;

/// A text with fewer words than this (words that could have been spun, as
/// [`Analysis::words`] counts them) is too short to judge: its score is computed but says
/// little (one word of clean text scores anywhere from 0.1 to 0.8), so reports call it "too
/// short to judge" instead of giving a verdict.
pub const MIN_JUDGED_WORDS: usize = 8;

/// Texts are analysed in chunks of about this many bytes, cut at line ends where possible,
/// so memory stays bounded whatever the input's shape.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The engine: models plus parameters. Cheap to share between threads (`&Engine` is `Sync`).
pub struct Engine {
    lm: Box<dyn LanguageModel>,
    lex: Box<dyn CandidateSource>,
    params: Params,
    terms: Option<Terms>,
    meaning: Option<Box<dyn Meaning>>,
}

impl Engine {
    /// An engine over the given models.
    pub fn new(lm: Box<dyn LanguageModel>, lex: Box<dyn CandidateSource>, params: Params) -> Self {
        Engine {
            lm,
            lex,
            params,
            terms: None,
            meaning: None,
        }
    }

    /// The engine with a set of known terms (see [`Terms`]).
    pub fn with_terms(mut self, terms: Terms) -> Self {
        self.terms = Some(terms);
        self
    }

    /// Adds word vectors: the meaning feature (`Params::meaning_weight`) and the ranking of
    /// each key's candidate pool use them.
    pub fn with_meaning(mut self, meaning: Box<dyn Meaning>) -> Self {
        self.meaning = Some(meaning);
        self
    }

    /// The originals the engine's candidate sources propose for an observed word or phrase
    /// (a normalised key: lower case, words joined by single spaces), as the decoder sees them:
    /// the first `Params::max_candidates`. For diagnostics (`unspin eval` reports whether
    /// the true original is among them).
    pub fn candidate_originals(&self, key: &str) -> Vec<String> {
        let mut c = Vec::new();
        self.lex
            .candidates_up_to(key, self.params.max_candidates, &mut c);
        c.iter().map(|c| self.lex.original(c)).collect()
    }

    /// The parameters in use.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The language model.
    pub fn lm(&self) -> &dyn LanguageModel {
        self.lm.as_ref()
    }

    /// Finds substitutions in `text`.
    pub fn check(&self, text: &str, opts: &CheckOptions) -> Analysis {
        // a token nobody cancels and without a deadline never stops the check
        self.check_with(text, opts, &Cancel::new())
            .unwrap_or_default()
    }

    /// [`Engine::check`] that stops with [`Cancelled`] once `cancel` is cancelled (looked at
    /// before each passage is tokenized, before each is decoded, and by the search per
    /// sentence).
    pub fn check_with(
        &self,
        text: &str,
        opts: &CheckOptions,
        cancel: &Cancel,
    ) -> Result<Analysis, Cancelled> {
        let t = opts.threshold.clamp(1e-6, 1.0 - 1e-6);
        // the decoder works with raw log-odds: the threshold's, through the calibration
        let papers;
        let p = if opts.papers {
            papers = self.params.clone().for_papers();
            &papers
        } else {
            &self.params
        };
        let raw = ((t / (1.0 - t)).ln() - p.calib_shift) / p.calib_scale.max(1e-6);
        let bias = -raw;
        let dec = decode::Decoder {
            lm: self.lm.as_ref(),
            lex: self.lex.as_ref(),
            params: p,
            terms: self.terms.as_ref(),
            meaning: self.meaning.as_deref(),
        };
        let mut out = Analysis::default();
        let mut rate_words = 0.0;

        let mut spun_words = 0.0;
        // The document cache counts the words of the whole text; each passage is then judged
        // on its own evidence, the passages' P(spun) together (a spinner spins documents), and
        // each passage decoded at its P(spun). A passage is tokenized once (beyond
        // `PREPARED_BYTES` of text, so that memory stays bounded, a passage is counted from
        // its text and prepared again when it is judged).
        let mut counts = decode::WordCounts::default();
        let mut passages = Vec::new();
        let mut held = 0;
        for (base, chunk) in paragraphs(text, CHUNK_WORDS, CHUNK_BYTES) {
            cancel.check()?;
            let doc = (held < PREPARED_BYTES).then(|| dec.prepare(chunk));
            match &doc {
                Some(doc) => {
                    held += chunk.len();
                    dec.add_word_counts(doc, &mut counts);
                }
                None => dec.word_counts(chunk, &mut counts),
            }
            passages.push((base, chunk, doc));
        }
        let _current = CurrentCancel::set(cancel);
        // Passages are judged together a block at a time (a document of up to
        // `DOCUMENT_BYTES`: nearly every article whole), so that memory stays bounded.
        let mut passages = passages.into_iter().peekable();
        while passages.peek().is_some() {
            let mut block = Vec::new();
            let mut bytes = 0;
            while let Some((_, chunk, _)) = passages.peek() {
                if !block.is_empty() && bytes + chunk.len() > DOCUMENT_BYTES {
                    break;
                }
                bytes += chunk.len();
                let (base, chunk, doc) = passages.next().expect("peeked");
                cancel.check()?;
                let doc = doc.unwrap_or_else(|| dec.prepare(chunk));
                let judged = dec.judge(&doc, Some(&counts));
                block.push((base, chunk, doc, judged));
            }
            let llrs: Vec<f64> = block.iter().map(|b| b.3.llr()).collect();
            let words = block.iter().map(|b| b.3.words()).sum();
            let p_spun = dec.passage_posteriors(&llrs, words);
            for ((base, chunk, doc, judged), p_spun) in block.into_iter().zip(p_spun) {
                cancel.check()?;
                let r = dec.finish(&doc, judged, p_spun, bias);
                // (a search stopped early by the token returns a partial result)
                cancel.check()?;
                spun_words += r.p_spun * r.words as f64;
                out.words += r.words;
                rate_words += r.rate * r.words as f64;
                push_findings(&mut out.findings, base, chunk, r.findings, opts.threshold);
            }
        }
        if out.words > 0 {
            out.rate = rate_words / out.words as f64;
            // The share of the text's words in passages judged spun: each passage (a paragraph
            // or a few) is judged on its own, so a long clean text does not add up the chance
            // preferences of the LM into "spun", and a copy spun only in part scores that part.
            out.score = ((spun_words / out.words as f64) * 1000.0).round() / 1000.0;
        }
        Ok(out)
    }
}

/// The findings of a passage at `base` (its text `chunk`) at or above `threshold`, in the
/// case of the text.
fn push_findings(
    out: &mut Vec<Finding>,
    base: usize,
    chunk: &str,
    found: Vec<decode::RawFinding>,
    threshold: f64,
) {
    for f in found {
        if f.confidence < threshold {
            continue;
        }
        let spun = &chunk[f.start..f.end];
        let case = unspin_text::case_of(spun.split(' ').next().unwrap_or(spun));
        out.push(Finding {
            start: base + f.start,
            end: base + f.end,
            text: spun.to_string(),
            suggestion: unspin_text::apply_case(&f.suggestion, case),
            alternatives: f
                .alternatives
                .iter()
                .map(|a| unspin_text::apply_case(a, case))
                .collect(),
            confidence: (f.confidence * 1000.0).round() / 1000.0,
        });
    }
}

/// `text` with every finding replaced by its suggestion; the rest is byte-identical.
pub fn restore(text: &str, findings: &[Finding]) -> String {
    let edits: Vec<(usize, usize, &str)> = findings
        .iter()
        .map(|f| (f.start, f.end, f.suggestion.as_str()))
        .collect();
    unspin_text::apply_edits(text, &edits)
}

/// Bytes of text whose passages [`Engine::check`] judges together as one document (see the
/// decoder's passage posteriors): longer texts are judged in blocks of this size, so that the
/// lattices held stay bounded (about 200 bytes a byte of text).
pub const DOCUMENT_BYTES: usize = 64 * 1024;

/// Bytes of a text whose passages [`Engine::check`] keeps tokenized between counting the
/// text's words and decoding them (about eight times as much memory as the text: 32 bytes a
/// token and the normalised words); the passages after them are tokenized again.
pub const PREPARED_BYTES: usize = 4 << 20;

/// Texts are judged in passages of whole lines (paragraphs) holding at least this many words
/// (or the rest of the text): each passage is either written as is or spun (see
/// [`decode::Decoder::analyze`]).
pub const CHUNK_WORDS: usize = 100;

/// Splits `text` into passages of whole lines with at least `min_words` words each (the last
/// may have fewer), each inside one piece of [`chunks`]`(text, max)`. Yields (byte offset,
/// passage); the passages cover the text exactly.
pub fn paragraphs(text: &str, min_words: usize, max: usize) -> impl Iterator<Item = (usize, &str)> {
    chunks(text, max).flat_map(move |(base, piece)| {
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= piece.len() {
                return None;
            }
            let rest = &piece[pos..];
            let mut words = 0;
            let mut take = rest.len();
            let mut at = 0;
            for line in rest.split_inclusive('\n') {
                // (counting no further than the passage needs: lines can be long)
                let n = line.split_whitespace().take(min_words - words).count();
                if words + n >= min_words {
                    // A long line (a paragraph of a few hundred words) is cut at the first
                    // sentence end once the passage has its words, if enough of it remains.
                    take = at + line.len();
                    if let Some(cut) = sentence_cut(line, min_words.saturating_sub(words))
                        && line[cut..].split_whitespace().take(min_words / 2).count()
                            >= min_words / 2
                    {
                        take = at + cut;
                    }
                    break;
                }
                words += n;
                at += line.len();
            }
            // A short tail joins the passage before it: nothing left under min_words alone
            // unless the whole piece is.
            let tail = &rest[take..];
            if !tail.is_empty()
                && tail.split_whitespace().take(min_words / 2).count() < min_words / 2
            {
                take = rest.len();
            }
            let out = (base + pos, &rest[..take]);
            pos += take;
            Some(out)
        })
    })
}

/// The byte offset of the first sentence start in `line` after at least `need` words: after a
/// word ending in `.`, `!` or `?` (closing quotes or brackets may follow) and before one that
/// starts with an uppercase letter, a digit or an opening quote.
fn sentence_cut(line: &str, need: usize) -> Option<usize> {
    let words = line
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - line.as_ptr() as usize, w));
    let mut prev: Option<&str> = None;
    for (count, (at, w)) in words.enumerate() {
        if count >= need.max(1)
            && let Some(p) = prev
        {
            let end = p.trim_end_matches(['"', '\'', ')', ']', '\u{201d}', '\u{2019}']);
            let starts = w.chars().next().is_some_and(|c| {
                c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '\u{201c}' | '(')
            });
            if end.ends_with(['.', '!', '?']) && starts {
                return Some(at);
            }
        }
        prev = Some(w);
    }
    None
}

/// Splits `text` into pieces of at most about `max` bytes, at line ends when possible, else
/// at whitespace, else at a character boundary. Yields (byte offset, piece).
pub fn chunks(text: &str, max: usize) -> impl Iterator<Item = (usize, &str)> {
    let max = max.max(16);
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let rest = &text[pos..];
        let take = if rest.len() <= max {
            rest.len()
        } else {
            let mut lim = max;
            while !rest.is_char_boundary(lim) {
                lim -= 1;
            }
            let window = &rest[..lim];
            window
                .rfind('\n')
                .filter(|&p| p > max / 4)
                .or_else(|| window.rfind(char::is_whitespace).filter(|&p| p > max / 4))
                .map(|p| p + 1)
                .unwrap_or(lim)
                .max(1)
        };
        let mut take = take;
        while !rest.is_char_boundary(take) {
            take += 1;
        }
        let piece = (pos, &rest[..take]);
        pos += take;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_check_stops_with_cancelled() {
        let engine = Engine::new(
            Box::new(toy::lm()),
            Box::new(toy::lexicon()),
            Params::default(),
        );
        let text = "the cat sat on the carpet .\n".repeat(50);
        let opts = CheckOptions::default();
        let whole = engine.check(&text, &opts);
        assert_eq!(
            engine.check_with(&text, &opts, &Cancel::new()).as_ref(),
            Ok(&whole)
        );
        let called_off = Cancel::new();
        called_off.clone().cancel();
        assert!(called_off.is_cancelled());
        assert_eq!(engine.check_with(&text, &opts, &called_off), Err(Cancelled));
        let past = Cancel::new().with_deadline(Instant::now());
        assert_eq!(engine.check_with(&text, &opts, &past), Err(Cancelled));
        let later =
            Cancel::new().with_deadline(Instant::now() + std::time::Duration::from_secs(3600));
        assert_eq!(engine.check_with(&text, &opts, &later), Ok(whole));
    }

    #[test]
    fn passages_are_whole_lines_of_enough_words() {
        let para = |n: usize| format!("{}\n", vec!["w"; n].join(" "));
        let text = [para(60), para(60), para(10), para(120), para(30)].concat();
        let got: Vec<(usize, usize)> = paragraphs(&text, 100, CHUNK_BYTES)
            .map(|(b, p)| (b, p.split_whitespace().count()))
            .collect();
        // 60 + 60, then 10 + 120, and the last 30 (under half of 100) joins the passage before.
        assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), [120, 160]);
        assert_eq!(got[1].0, para(60).len() * 2);
        // A long line is cut at the first sentence start after the minimum, if enough remains.
        let s1 = format!("{}. ", vec!["w"; 110].join(" "));
        let long = format!("{s1}Then {}. And then more.\n", vec!["v"; 70].join(" "));
        let got: Vec<&str> = paragraphs(&long, 100, CHUNK_BYTES).map(|p| p.1).collect();
        assert_eq!(got, [s1.as_str(), &long[s1.len()..]]);
        let short_rest = format!("{s1}Only a few.\n");
        assert_eq!(paragraphs(&short_rest, 100, CHUNK_BYTES).count(), 1);
        assert_eq!(sentence_cut("a b. c d. E f", 2), Some(10));
        assert_eq!(sentence_cut("Dr. Who said \"Go.\" Then (x).", 3), Some(19));
        assert_eq!(sentence_cut("no end here", 0), None);
        // A text shorter than the minimum is one passage.
        assert_eq!(paragraphs("a b c", 100, CHUNK_BYTES).count(), 1);
        assert_eq!(paragraphs("", 100, CHUNK_BYTES).count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn passages_cover_text_exactly(text in "([a-zé]{0,3}[ \n]{0,2}){0,80}", min in 0usize..12, max in 16usize..64) {
            let mut joined = String::new();
            for (base, p) in paragraphs(&text, min, max) {
                proptest::prop_assert_eq!(base, joined.len());
                proptest::prop_assert!(!p.is_empty());
                joined.push_str(p);
            }
            proptest::prop_assert_eq!(joined, text);
        }
    }

    #[test]
    fn chunks_cover_text_exactly() {
        let text = "ab cd\nef gh ij\nklmnopqrstuvwxyz é\n".repeat(50);
        let mut joined = String::new();
        let mut expect = 0;
        for (base, c) in chunks(&text, 40) {
            assert_eq!(base, expect);
            assert!(c.len() <= 48, "{}", c.len());
            joined.push_str(c);
            expect += c.len();
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn toy_engine_restores_rug_to_mat() {
        let engine = Engine::new(
            Box::new(toy::lm()),
            Box::new(toy::lexicon()),
            Params::default(),
        );
        let text = "the cat sat on the carpet .";
        let r = engine.check(
            text,
            &CheckOptions {
                threshold: 0.5,
                ..Default::default()
            },
        );
        assert_eq!(r.findings.len(), 1, "{r:?}");
        assert_eq!(r.findings[0].text, "carpet");
        assert_eq!(r.findings[0].suggestion, "mat");
        assert_eq!(restore(text, &r.findings), "the cat sat on the mat .");
    }

    #[test]
    fn known_term_is_restored_whole() {
        let lm = toy::lm();
        let terms = Terms::parse("cat sat on the mat\n", &lm);
        let engine = Engine::new(Box::new(lm), Box::new(toy::lexicon()), Params::default())
            .with_terms(terms);
        let text = "the feline sat on the rug .";
        let r = engine.check(
            text,
            &CheckOptions {
                threshold: 0.5,
                ..Default::default()
            },
        );
        assert_eq!(r.findings.len(), 1, "one edit for the whole term: {r:?}");
        assert_eq!(r.findings[0].text, "feline sat on the rug");
        assert_eq!(r.findings[0].suggestion, "cat sat on the mat");
        assert_eq!(restore(text, &r.findings), "the cat sat on the mat .");
        // The same term standing in clean text is left alone.
        let clean = engine.check("the cat sat on the mat .", &CheckOptions::default());
        assert!(clean.findings.is_empty(), "{clean:?}");
    }

    #[test]
    fn toy_engine_leaves_fitting_words() {
        let engine = Engine::new(
            Box::new(toy::lm()),
            Box::new(toy::lexicon()),
            Params::default(),
        );
        let r = engine.check("the cat sat on the mat .", &CheckOptions::default());
        assert!(r.findings.is_empty(), "{r:?}");
    }
}
