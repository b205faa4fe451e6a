//! Known terms: multi-word units (technical terms, fixed expressions) whose presence a general
//! n-gram model underrates. A candidate edit that completes a known term gains
//! [`crate::Params::term_bonus`] nats; one that breaks a term standing in the text loses as
//! much.

use crate::model::{LanguageModel, WordId};
use rustc_hash::FxHashSet as HashSet;

/// Longest term, in words.
pub const MAX_TERM_WORDS: usize = 6;

/// A set of known terms, as sequences of language-model word ids.
#[derive(Debug, Default)]
pub struct Terms {
    set: HashSet<Box<[WordId]>>,
    /// Every proper prefix of a term.
    prefixes: HashSet<Box<[WordId]>>,
    /// Bit set over word ids: the words that occur in some term.
    words: Vec<u64>,
    /// Every pair of consecutive words in a term (`first << 32 | second`).
    bigrams: HashSet<u64>,
    /// Bit set over word ids: the words that begin some term.
    firsts: Vec<u64>,
    max_words: usize,
}

impl Terms {
    /// Parses a terms file: one term per line (words separated by spaces, matched after the
    /// tokenizer's normalisation), `#` starts a comment line. Single words, terms longer than
    /// [`MAX_TERM_WORDS`] and terms with a word the language model does not know are skipped.
    pub fn parse(text: &str, lm: &dyn LanguageModel) -> Terms {
        let mut t = Terms::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let ids: Vec<WordId> = unspin_text::tokenize(line)
                .iter()
                .filter(|k| k.kind != unspin_text::TokenKind::Punct)
                .map(|k| lm.id(&unspin_text::normalize(k.text(line))))
                .collect();
            if ids.len() < 2 || ids.len() > MAX_TERM_WORDS || ids.contains(&lm.unk()) {
                continue;
            }
            t.max_words = t.max_words.max(ids.len());
            for k in 1..ids.len() {
                t.prefixes.insert(ids[..k].into());
            }
            set_bit(&mut t.firsts, ids[0]);
            for p in ids.windows(2) {
                t.bigrams.insert(bigram(p[0], p[1]));
            }
            for &w in &ids {
                set_bit(&mut t.words, w);
            }
            t.set.insert(ids.into_boxed_slice());
        }
        t
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Longest term, in words (0 when empty).
    pub fn max_words(&self) -> usize {
        self.max_words
    }

    /// Whether `word` occurs in some term (a cheap test that rules most lookups out).
    #[inline]
    pub fn has_word(&self, word: WordId) -> bool {
        get_bit(&self.words, word)
    }

    /// Whether `words` is a known term.
    pub fn contains(&self, words: &[WordId]) -> bool {
        match words {
            [.., x, y] => self.bigrams.contains(&bigram(*x, *y)) && self.set.contains(words),
            _ => false,
        }
    }

    /// Whether `words` begins some known term (and is not all of it).
    /// Whether `a b` stands in some term.
    #[inline]
    pub fn is_bigram(&self, a: WordId, b: WordId) -> bool {
        self.bigrams.contains(&bigram(a, b))
    }

    /// Whether `words` are a proper prefix of some known term (the empty list always is).
    pub fn is_prefix(&self, words: &[WordId]) -> bool {
        match words {
            [] => true,
            [w] => get_bit(&self.firsts, *w),
            [.., x, y] => self.bigrams.contains(&bigram(*x, *y)) && self.prefixes.contains(words),
        }
    }

    /// Whether some known term in `window` overlaps `window[a..b]`.
    pub fn overlapping(&self, window: &[WordId], a: usize, b: usize) -> bool {
        if self.set.is_empty() || a >= b || b > window.len() {
            return false;
        }
        // A term overlapping the span has two consecutive words of which one is in the span:
        // rule most spans out with those pairs.
        if !(a.saturating_sub(1)..b).any(|x| {
            x + 1 < window.len() && self.bigrams.contains(&bigram(window[x], window[x + 1]))
        }) {
            return false;
        }
        let n = self.max_words;
        // Terms start at or before the span's last word and end after its first.
        for s in a.saturating_sub(n - 1)..b {
            for e in (s + 2).max(a + 1)..=(s + n).min(window.len()) {
                if self.set.contains(&window[s..e]) {
                    return true;
                }
            }
        }
        false
    }
}

fn set_bit(bits: &mut Vec<u64>, w: WordId) {
    let q = w as usize / 64;
    if bits.len() <= q {
        bits.resize(q + 1, 0);
    }
    bits[q] |= 1 << (w % 64);
}

#[inline]
fn get_bit(bits: &[u64], w: WordId) -> bool {
    bits.get(w as usize / 64)
        .is_some_and(|b| b & (1 << (w % 64)) != 0)
}

fn bigram(a: WordId, b: WordId) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy;

    #[test]
    fn finds_terms_overlapping_the_span_only() {
        let lm = toy::lm();
        let terms = Terms::parse("# comment\nthe cat\nsat\nthe unknownword\n", &lm);
        assert_eq!(terms.len(), 1, "single words and unknown words are skipped");
        let w: Vec<WordId> = ["a", "the", "cat", "sat"]
            .iter()
            .map(|x| lm.id(x))
            .collect();
        assert!(
            terms.overlapping(&w, 2, 3),
            "span `cat` is inside `the cat`"
        );
        assert!(
            terms.overlapping(&w, 1, 2),
            "span `the` is inside `the cat`"
        );
        assert!(!terms.overlapping(&w, 3, 4), "`sat` is not in a term");
        assert!(!terms.overlapping(&w, 0, 1), "`a` is not in a term");
        assert!(
            !terms.overlapping(&w, 2, 9),
            "out of range is false, not a panic"
        );
        assert!(terms.contains(&w[1..3]) && !terms.contains(&w[1..2]));
        assert!(terms.is_prefix(&w[1..2]) && !terms.is_prefix(&w[1..3]));
    }
}
