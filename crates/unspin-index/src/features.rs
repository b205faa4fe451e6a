//! Spin-robust word features.
//!
//! Every word token of a text becomes a [`WordFeat`]:
//! - *stop words* (a short list of function words) carry no feature: spinners swap them
//!   freely and they are in every document;
//! - *immutables* — numbers, capitalised words inside a sentence (names), and words the
//!   synonym classes do not know (rare words, words a spinner's dictionary lacks) — are keyed
//!   by their exact lowercase form, since spinners leave them alone;
//! - every other word is keyed by its synonym class, so that a synonym swap usually keeps the
//!   key.
//!
//! MinHash features of a window of content words are the keys themselves plus bigrams of
//! consecutive immutables (skipping everything between them): the immutable skeleton of a
//! text is identical in its spun copies and distinctive across documents.

use crate::classes::SynClasses;
use crate::hash::{combine, hash_byte_iter, hash_str};
use unspin_text::TokenKind;

/// Flag: the word is a stop word (no feature).
pub const STOP: u8 = 1;
/// Flag: the word is immutable (keyed by its exact form).
pub const IMM: u8 = 2;
/// Flag: the word is a number.
pub const NUM: u8 = 4;
/// Flag: the word's synonym class is a common one (no fingerprint feature, no class seed).
pub const COMMON: u8 = 8;

/// One word of a text with its features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordFeat {
    /// Byte offset of the word in the text.
    pub start: u32,
    /// Byte offset one past the word.
    pub end: u32,
    /// Hash of the lowercase form.
    pub exact: u64,
    /// Spin-robust key: the exact hash for immutables, the class hash otherwise.
    pub key: u64,
    /// `STOP`, `IMM`, `NUM` bits.
    pub flags: u8,
}

impl WordFeat {
    /// True for words that carry a feature (not stop words).
    #[inline]
    pub fn is_content(&self) -> bool {
        self.flags & STOP == 0
    }
    /// True for immutables.
    #[inline]
    pub fn is_immutable(&self) -> bool {
        self.flags & IMM != 0
    }
}

/// Function words ignored by fingerprints and seeds.
pub const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "although",
    "am",
    "among",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "neither",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "therefore",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "toward",
    "towards",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
];

const STOP_SLOTS: usize = 1024;

/// Open-addressed table of the hashes of [`STOPWORDS`] (one or two probes per word).
fn stop_table() -> &'static [u64; STOP_SLOTS] {
    static CELL: std::sync::OnceLock<[u64; STOP_SLOTS]> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let mut t = [0u64; STOP_SLOTS];
        for w in STOPWORDS {
            let h = hash_str(w);
            let mut i = (h as usize) % STOP_SLOTS;
            while t[i] != 0 {
                i = (i + 1) % STOP_SLOTS;
            }
            t[i] = h;
        }
        t
    })
}

fn is_stop_hash(h: u64) -> bool {
    let t = stop_table();
    let mut i = (h as usize) % STOP_SLOTS;
    loop {
        match t[i] {
            0 => return false,
            x if x == h => return true,
            _ => i = (i + 1) % STOP_SLOTS,
        }
    }
}

const CLASS_SALT: u64 = 0x5c1a_55e5_0000_0001;
const NUM_SALT: u64 = 0x0a11_0000_0000_0003;

/// Computes the word features of `text`.
///
/// Scans the tokens of [`unspin_text::for_each_token`] (those of `unspin_text::tokenize`,
/// without building the token list).
pub fn word_features(text: &str, classes: &SynClasses) -> Vec<WordFeat> {
    // about one word per 5-6 bytes of English: room for more, so that the list is rarely
    // grown (and copied)
    let mut out = Vec::with_capacity(text.len() / 4 + 16);
    let mut buf = String::new();
    unspin_text::for_each_token(text, |t| {
        if t.kind == TokenKind::Punct {
            return;
        }
        let raw = &text[t.start..t.end];
        let exact = if raw.is_ascii() {
            hash_byte_iter(raw.bytes().map(|c| c.to_ascii_lowercase()))
        } else {
            unspin_text::normalize_into(raw, &mut buf);
            hash_str(&buf)
        };
        let (key, flags) = if t.kind == TokenKind::Number {
            (combine(NUM_SALT, exact), IMM | NUM)
        } else if is_stop_hash(exact) {
            (exact, STOP)
        } else {
            let capitalised = raw.chars().next().is_some_and(char::is_uppercase);
            if !capitalised || t.sentence_start {
                (exact, CLASS_PENDING) // keyed by its class if the thesauri know it
            } else {
                (exact, IMM) // a name
            }
        };
        out.push(WordFeat {
            start: t.start as u32,
            end: t.end as u32,
            exact,
            key,
            flags,
        });
    });
    // class look-ups in a second pass: they are independent of each other, so their cache
    // misses overlap
    for w in out.iter_mut().filter(|w| w.flags == CLASS_PENDING) {
        (w.key, w.flags) = match classes.class_by_hash(w.exact) {
            Some(c) => (
                combine(CLASS_SALT, u64::from(c)),
                if classes.is_common(c) { COMMON } else { 0 },
            ),
            None => (w.exact, IMM),
        };
    }
    out
}

/// Internal flag of [`word_features`]: class not looked up yet.
const CLASS_PENDING: u8 = 0x80;

/// Indices (into `words`) of the content words.
pub fn content_positions(words: &[WordFeat]) -> Vec<u32> {
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_content())
        .map(|(i, _)| i as u32)
        .collect()
}

/// MinHash features of a window of content words (`pos` indexes `words`).
pub fn window_features(words: &[WordFeat], pos: &[u32], out: &mut Vec<u64>) {
    out.clear();
    let mut prev_imm: Option<u64> = None;
    for &p in pos {
        let w = &words[p as usize];
        if w.flags & COMMON != 0 {
            continue;
        }
        out.push(w.key);
        if w.is_immutable() {
            if let Some(a) = prev_imm {
                out.push(combine(a, w.key));
            }
            prev_imm = Some(w.key);
        }
    }
}

/// Content words per indexed chunk of a document.
pub const CHUNK: usize = 40;
/// Stride of query windows, in content words.
pub const STRIDE: usize = 8;

/// Stride of indexed chunks, in content words (chunks overlap by `CHUNK - DOC_STRIDE`, so
/// that a short passage lies mostly inside one chunk wherever it starts). Measured: 20
/// gives +1.5 points of single-paragraph recall over non-overlapping chunks; 30 keeps most
/// of that at two thirds of the index size.
pub const DOC_STRIDE: usize = 30;

/// Indexed chunks `[a, b)` over `n` content positions: [`CHUNK`] words every
/// [`DOC_STRIDE`], the last one ending at `n`. An empty document has no chunk.
pub fn doc_chunks(n: usize) -> Vec<(usize, usize)> {
    if n <= CHUNK {
        return if n == 0 { Vec::new() } else { vec![(0, n)] };
    }
    let mut v = Vec::new();
    let mut a = 0;
    while a + CHUNK < n {
        v.push((a, a + CHUNK));
        a += DOC_STRIDE;
    }
    v.push((n - CHUNK, n));
    v
}

/// Most query windows: long queries use a longer stride.
pub const MAX_WINDOWS: usize = 64;

/// Query windows `[a, b)` over `n` content positions: [`CHUNK`] words every [`STRIDE`]
/// (or a longer stride, so that there are at most about [`MAX_WINDOWS`]).
pub fn query_windows(n: usize) -> Vec<(usize, usize)> {
    if n <= CHUNK {
        return if n == 0 { Vec::new() } else { vec![(0, n)] };
    }
    let stride = STRIDE.max((n - CHUNK).div_ceil(MAX_WINDOWS - 1));
    let mut v = Vec::new();
    let mut a = 0;
    loop {
        let b = a + CHUNK;
        if b >= n {
            v.push((n - CHUNK, n));
            break;
        }
        v.push((a, b));
        a += stride;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_hash_is_hash_of_the_normalised_word() {
        let classes = SynClasses::embedded();
        for w in [
            "River",
            "it's",
            "5.5",
            "1,000",
            "MP3",
            "O\u{2019}Brien",
            "Z\u{fc}rich",
        ] {
            let f = word_features(&format!("x {w}"), classes);
            let want = hash_str(&unspin_text::normalize(w));
            assert_eq!(f.last().map(|f| f.exact), Some(want), "{w}");
        }
    }

    #[test]
    fn stopwords_sorted() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOPWORDS.iter().all(|w| is_stop_hash(hash_str(w))));
        assert!(!is_stop_hash(hash_str("river")));
    }

    #[test]
    fn flags() {
        let c = SynClasses::embedded();
        let t = "The big dog met Zyxwv in 1990 near Paris.";
        let w = word_features(t, c);
        let get = |s: &str| {
            w.iter()
                .find(|x| &t[x.start as usize..x.end as usize] == s)
                .unwrap()
        };
        assert!(!get("The").is_content());
        assert!(!get("big").is_immutable());
        assert!(get("Zyxwv").is_immutable());
        assert!(get("1990").flags & NUM != 0);
        assert!(get("Paris").is_immutable());
        assert_eq!(get("big").key, word_features("Big", c)[0].key);
        assert_eq!(
            get("big").key,
            combine(CLASS_SALT, u64::from(c.class("big").unwrap()))
        );
    }

    #[test]
    fn chunks_cover() {
        for n in (0..300).chain([1000, 5000]) {
            let c = doc_chunks(n);
            // every position covered, chunks full-size unless the document is short
            for p in 0..n {
                assert!(c.iter().any(|&(a, b)| a <= p && p < b));
            }
            assert!(c.iter().all(|(a, b)| b - a == CHUNK.min(n)));
            // any span of CHUNK - DOC_STRIDE words lies inside one chunk
            let span = CHUNK - DOC_STRIDE;
            for s in 0..n.saturating_sub(span) {
                assert!(c.iter().any(|&(a, b)| a <= s && s + span <= b), "{n} {s}");
            }
            let q = query_windows(n);
            assert!(q.len() <= MAX_WINDOWS + 1);
            if n > 0 {
                assert_eq!(q.last().unwrap().1, n);
                assert_eq!(q[0].0, 0);
            }
        }
    }
}
