//! Evaluation spinners: labelled spun text whose every substitution is logged.
//!
//! Two spinners share one output type ([`Spun`], a text and its [`SpinEdit`] log, which
//! [`Spun::undo`] turns back into the original exactly):
//!
//! - [`thesaurus::Spinner`] replaces every `n`-th eligible word or phrase by a synonym picked
//!   uniformly from a thesaurus (`root<TAB>syn|syn`), re-inflected. It is the spinner of the
//!   Moby and WordNet evaluation sets and of the index's tests and benchmarks.
//! - [`dictionary::DictSpinner`] works as commercial spinners do: a fixed dictionary of
//!   `entry|alt|alt` lines (mostly phrases), claimed line by line over the text (earlier,
//!   longer lines win), each occurrence resolved by a random pick at a chosen rate.
//!   [`build`] writes such dictionaries from a thesaurus's first synonyms (blind to sense and
//!   part of speech, re-inflected) plus everyday phrases, or from tortured-phrase pairs.
//!
//! Neither consults the compiled lexicon, so the sets they generate are an honest test of it.
//!
//! ```
//! use unspin_lexicon::spin::dictionary::DictSpinner;
//! let sp = DictSpinner::from_str("due to the fact that|because\nsaid|stated|mentioned\n").unwrap();
//! let spun = sp.spin("He said it was late due to the fact that it rained.", 1.0, 7);
//! assert_eq!(spun.edits.len(), 2);
//! assert_eq!(spun.undo(), "He said it was late due to the fact that it rained.");
//! ```

pub mod build;
pub mod dictionary;
pub mod thesaurus;

pub use dictionary::DictSpinner;
pub use thesaurus::Spinner;

/// One substitution made by a spinner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinEdit {
    /// Byte offset of the replacement in the spun text.
    pub start: usize,
    /// Byte offset one past the replacement in the spun text.
    pub end: usize,
    /// Byte offset of the replaced span in the original text.
    pub orig_start: usize,
    /// Byte offset one past the replaced span in the original text.
    pub orig_end: usize,
    /// The original text of the replaced span (exactly as it was).
    pub original: String,
    /// The replacement (equal to `spun_text[start..end]`).
    pub spun: String,
}

/// Spun text and the log of its edits (in text order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spun {
    /// The spun text.
    pub text: String,
    /// Every substitution, in order.
    pub edits: Vec<SpinEdit>,
}

impl SpinEdit {
    /// Byte range of the replaced span in the original.
    pub fn orig_range(&self) -> (usize, usize) {
        (self.orig_start, self.orig_end)
    }
    /// Byte range of the replacement in the spun text.
    pub fn spun_range(&self) -> (usize, usize) {
        (self.start, self.end)
    }
}

impl Spun {
    /// The spun text and the edit log.
    pub fn into_parts(self) -> (String, Vec<SpinEdit>) {
        (self.text, self.edits)
    }

    /// Undoes all edits, giving back the original text.
    pub fn undo(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut pos = 0;
        for e in &self.edits {
            out.push_str(&self.text[pos..e.start]);
            out.push_str(&e.original);
            pos = e.end;
        }
        out.push_str(&self.text[pos..]);
        out
    }
}

/// Whether a spinner may replace token `t`: a word in lower case anywhere, or capitalised only
/// as the `first` word of a replaced span at a sentence start (names inside a sentence, numbers
/// and other capitalisations are left alone). Both spinners follow this rule.
fn spinnable(t: &unspin_text::Token, text: &str, first: bool) -> bool {
    t.kind == unspin_text::TokenKind::Word
        && match unspin_text::case_of(t.text(text)) {
            unspin_text::Case::Lower => true,
            unspin_text::Case::Title => first && t.sentence_start,
            _ => false,
        }
}

/// Builds a [`Spun`] from left-to-right, non-overlapping replacements of an original.
struct Splicer<'a> {
    text: &'a str,
    out: String,
    edits: Vec<SpinEdit>,
    copied: usize,
}

impl<'a> Splicer<'a> {
    fn new(text: &'a str) -> Self {
        Splicer {
            text,
            out: String::with_capacity(text.len() + text.len() / 8),
            edits: Vec::new(),
            copied: 0,
        }
    }

    /// Replaces `text[start..end]` (at or after the previous replacement) by `spun`.
    fn replace(&mut self, start: usize, end: usize, spun: String) {
        debug_assert!(start >= self.copied && end >= start);
        self.out.push_str(&self.text[self.copied..start]);
        let s = self.out.len();
        self.out.push_str(&spun);
        self.edits.push(SpinEdit {
            start: s,
            end: self.out.len(),
            orig_start: start,
            orig_end: end,
            original: self.text[start..end].to_string(),
            spun,
        });
        self.copied = end;
    }

    fn finish(mut self) -> Spun {
        self.out.push_str(&self.text[self.copied..]);
        Spun {
            text: self.out,
            edits: self.edits,
        }
    }
}

/// splitmix64: a tiny, well-mixed deterministic generator.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    /// Uniform integer below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Uniform float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
