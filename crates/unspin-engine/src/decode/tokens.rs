//! The text prepared for decoding: each token's span, LM word id, normalised form and the
//! flags the lattice asks about, made once per passage by [`Decoder::prepare`] (the only place
//! the decoder tokenizes).

use super::Decoder;
use crate::model::WordId;
use unspin_text::{Case, Token, TokenKind};

/// A passage tokenized and prepared for decoding ([`Decoder::prepare`]): what
/// [`Decoder::analyze_prepared`] decodes and [`Decoder::add_word_counts`] counts, so that a
/// text's passages are tokenized once for both.
#[derive(Debug, Default)]
pub struct Prepared {
    pub(super) toks: Vec<Tok>,
    /// Every token's normalised text, one after the other (see [`Tok::norm`]).
    norms: String,
}

impl Prepared {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// Whether the passage has no tokens.
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// Token `k`'s normalised text (lowercase), for lexicon keys.
    pub(super) fn norm(&self, k: usize) -> &str {
        let end = self.toks.get(k + 1).map_or(self.norms.len(), |t| t.norm);
        &self.norms[self.toks[k].norm..end]
    }
}

/// One token as the decoder sees it.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub start: usize,
    pub end: usize,
    pub id: WordId,
    /// Can start or be part of a spun key.
    pub spinnable: bool,
    pub name_like: bool,
    /// Starts a sentence (the tokenizer's flag).
    pub sentence_start: bool,
    /// Where its normalised text starts in [`Prepared`]'s buffer (it ends where the next
    /// token's starts: see [`Prepared::norm`]).
    norm: usize,
}

/// How often each word stands in a text (see [`Decoder::word_counts`]).
pub type WordCounts = rustc_hash::FxHashMap<WordId, u32>;

/// Whether a token (its text `raw`, of case `case`) can be part of a spun key: words and
/// numbers, except all-capital acronyms of two letters or more.
pub(super) fn spinnable(t: &Token, raw: &str, case: Case) -> bool {
    t.kind != TokenKind::Punct && case != Case::Upper
        || (case == Case::Upper && raw.chars().count() == 1)
}

/// Adds the words a spinner could touch to `counts`.
pub(super) fn add_counts(toks: &[Tok], counts: &mut WordCounts) {
    for t in toks.iter().filter(|t| t.spinnable) {
        *counts.entry(t.id).or_default() += 1;
    }
}

/// Whether token `k` is a hyphen or slash that joins the words on either side with no space
/// (*tip-top*, *and/or*).
pub(super) fn joiner(doc: &Prepared, k: usize) -> bool {
    let toks = &doc.toks;
    k > 0
        && k + 1 < toks.len()
        && matches!(doc.norm(k), "-" | "\u{2010}" | "\u{2011}" | "/")
        && toks[k - 1].end == toks[k].start
        && toks[k].end == toks[k + 1].start
        && toks[k - 1].spinnable
        && toks[k + 1].spinnable
}

impl Decoder<'_> {
    /// Tokenizes `text` and prepares its tokens for decoding (LM ids, normalised forms,
    /// flags).
    pub fn prepare(&self, text: &str) -> Prepared {
        self.prepare_tokens(text, &unspin_text::tokenize(text))
    }

    /// [`Decoder::prepare`] of `text` tokenized as `tokens`.
    pub(super) fn prepare_tokens(&self, text: &str, tokens: &[Token]) -> Prepared {
        let mut toks = Vec::with_capacity(tokens.len());
        let mut norms = String::with_capacity(text.len());
        let mut norm = String::new();
        for (k, t) in tokens.iter().enumerate() {
            let raw = t.text(text);
            unspin_text::normalize_into(raw, &mut norm);
            let id = self.lm.id(&norm);
            let case = unspin_text::case_of(raw);
            let prev_open = k > 0 && tokens[k - 1].kind == TokenKind::Punct && {
                let p = tokens[k - 1].text(text);
                matches!(p, "\"" | "\u{201c}" | "'" | "\u{2018}" | "(")
            };
            let spinnable = spinnable(t, raw, case);
            let name_like = t.kind == TokenKind::Word
                && matches!(case, Case::Title | Case::Mixed)
                && !t.sentence_start
                && !prev_open;
            let from = norms.len();
            norms.push_str(&norm);
            toks.push(Tok {
                start: t.start,
                end: t.end,
                id,
                spinnable,
                name_like,
                sentence_start: t.sentence_start,
                norm: from,
            });
        }
        Prepared { toks, norms }
    }

    /// Adds the words of a prepared passage a spinner could touch to `counts`, for the
    /// document cache (nothing when the cache is off): [`Decoder::word_counts`] without
    /// tokenizing again.
    pub fn add_word_counts(&self, doc: &Prepared, counts: &mut WordCounts) {
        if self.params.cache_weight != 0.0 {
            add_counts(&doc.toks, counts);
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

    /// The passage's own word counts (empty when the cache is off).
    pub(super) fn count_words(&self, doc: &Prepared) -> WordCounts {
        let mut counts = WordCounts::default();
        self.add_word_counts(doc, &mut counts);
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Params;

    #[test]
    fn prepared_tokens_keep_their_normalised_text() {
        let lm = crate::toy::lm();
        let lex = crate::toy::lexicon();
        let params = Params::default();
        let dec = Decoder::new(&lm, &lex, &params);
        let text = "The Cat sat on the MAT. (Rug) door-mat";
        let doc = dec.prepare(text);
        let norms: Vec<&str> = (0..doc.len()).map(|k| doc.norm(k)).collect();
        let want: Vec<String> = unspin_text::tokenize(text)
            .iter()
            .map(|t| unspin_text::normalize(t.text(text)))
            .collect();
        assert_eq!(norms, want);
        assert_eq!(norms[1], "cat");
        assert!(doc.toks[1].name_like && !doc.toks[0].name_like);
        assert!(!doc.toks[5].spinnable, "an all-capital word is an acronym");
        assert!(!doc.toks[8].name_like, "after an opening bracket");
        assert!(joiner(&doc, 11) && !joiner(&doc, 7));
        // The counts of a prepared passage are those of its text.
        let (mut a, mut b) = (WordCounts::default(), WordCounts::default());
        dec.word_counts(text, &mut a);
        dec.add_word_counts(&doc, &mut b);
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }
}
