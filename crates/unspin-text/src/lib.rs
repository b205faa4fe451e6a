//! Text layer of unspin.
//!
//! Every token keeps the UTF-8 byte range it covers in the input, so that findings can be
//! reported against the text exactly as the user gave it and edits can be spliced back in
//! without touching anything else.
//!
//! ```
//! use unspin_text::{tokenize, TokenKind};
//! let text = "Due to this fact, it's 5.5 million.";
//! let toks = tokenize(text);
//! let words: Vec<&str> = toks.iter().map(|t| &text[t.start..t.end]).collect();
//! assert_eq!(words, ["Due", "to", "this", "fact", ",", "it's", "5.5", "million", "."]);
//! assert_eq!(toks[6].kind, TokenKind::Number);
//! ```

#![warn(missing_docs)]

pub mod html;
pub mod userlex;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters, possibly with internal apostrophes (`it's`) or digits (`mp3`).
    Word,
    /// Digits, possibly with internal `.` or `,` (`5.5`, `1,000`).
    Number,
    /// A single punctuation or symbol character.
    Punct,
}

/// One token: a byte range into the input and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Kind of token.
    pub kind: TokenKind,
    /// True when this token starts a sentence.
    pub sentence_start: bool,
}

impl Token {
    /// The token's text in `src`.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }
}

/// Whether the joiner `d` (an apostrophe, `.` or `,`) inside a word continues it, given the
/// character after it and whether the word so far is all digits: letters after apostrophes
/// (*don't*), digits after `.` and `,` in numbers (*3.5*, *1,000*).
#[inline]
pub fn joins(d: char, next: Option<char>, all_digits: bool) -> bool {
    match next {
        Some(n) if is_apostrophe(d) => n.is_alphabetic() && !all_digits,
        Some(n) => all_digits && n.is_ascii_digit(),
        None => false,
    }
}

/// A straight or typographic apostrophe (joins letters inside a word: *don't*, *O’Brien*).
pub fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Splits `text` into word, number and punctuation tokens with byte offsets.
///
/// Whitespace is not a token. A sentence starts at the first token, after a newline, and
/// after `.`, `!` or `?` (possibly followed by closing quotes/brackets) when the next token
/// starts with an uppercase letter, a digit or an opening quote. A `"` directly after the
/// terminal (no space between) is taken as closing the quotation, not opening a sentence.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(text.len() / 5 + 1);
    for_each_token(text, |t| out.push(t));
    out
}

/// Calls `f` with every token of `text`, in order: the tokens of [`tokenize`] without
/// building a list (the index's feature scan uses it). ASCII letters and digits, most of
/// every word, are scanned without decoding UTF-8.
#[inline]
pub fn for_each_token(text: &str, mut f: impl FnMut(Token)) {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut sentences = SentenceState::new();
    while let Some((c, len)) = char_at(text, i) {
        if c.is_whitespace() {
            sentences.whitespace(c);
            i += len;
            continue;
        }
        let start = i;
        let (end, kind) = if c.is_alphanumeric() {
            let mut end = i + len;
            let mut all_digits = c.is_numeric();
            loop {
                if let Some(&b) = bytes.get(end)
                    && b.is_ascii_alphanumeric()
                {
                    all_digits &= b.is_ascii_digit();
                    end += 1;
                    continue;
                }
                match char_at(text, end) {
                    Some((d, dl)) if d.is_alphanumeric() => {
                        all_digits &= d.is_numeric();
                        end += dl;
                    }
                    Some((d, dl)) if is_apostrophe(d) || d == '.' || d == ',' => {
                        let next = char_at(text, end + dl).map(|(n, _)| n);
                        if !joins(d, next, all_digits) {
                            break;
                        }
                        end += dl;
                    }
                    _ => break,
                }
            }
            let kind = if all_digits {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
            (end, kind)
        } else {
            (i + len, TokenKind::Punct)
        };
        let sentence_start = sentences.token(c, start, end, kind);
        f(Token {
            start,
            end,
            kind,
            sentence_start,
        });
        i = end;
    }
}

/// The character at byte `i` of `text` and its length (ASCII without decoding).
#[inline]
fn char_at(text: &str, i: usize) -> Option<(char, usize)> {
    let b = *text.as_bytes().get(i)?;
    if b < 0x80 {
        Some((b as char, 1))
    } else {
        let c = text.get(i..)?.chars().next()?;
        Some((c, c.len_utf8()))
    }
}

/// The plain `char_indices` tokenizer that [`for_each_token`] must equal (tests only).
#[cfg(test)]
pub(crate) fn tokenize_reference(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(text.len() / 5 + 1);
    let mut it = text.char_indices().peekable();
    let mut sentences = SentenceState::new();
    while let Some((i, c)) = it.next() {
        if c.is_whitespace() {
            sentences.whitespace(c);
            continue;
        }
        let (end, kind) = if c.is_alphanumeric() {
            let mut end = i + c.len_utf8();
            let mut all_digits = c.is_numeric();
            loop {
                match it.peek().copied() {
                    Some((j, d)) if d.is_alphanumeric() => {
                        all_digits &= d.is_numeric();
                        it.next();
                        end = j + d.len_utf8();
                    }
                    Some((j, d)) if is_apostrophe(d) || d == '.' || d == ',' => {
                        let next = text[j + d.len_utf8()..].chars().next();
                        if !joins(d, next, all_digits) {
                            break;
                        }
                        it.next();
                        end = j + d.len_utf8();
                    }
                    _ => break,
                }
            }
            (
                end,
                if all_digits {
                    TokenKind::Number
                } else {
                    TokenKind::Word
                },
            )
        } else {
            (i + c.len_utf8(), TokenKind::Punct)
        };
        let starts = sentences.token(c, i, end, kind);
        out.push(Token {
            start: i,
            end,
            kind,
            sentence_start: starts,
        });
    }
    out
}

/// Sentence-start detection as tokens go by, for tokenizers that scan text their own way
/// (the rules of [`tokenize`], which uses it too).
#[derive(Debug, Clone)]
pub struct SentenceState {
    /// The next token starts a sentence.
    pending_break: bool,
    /// Saw `.`, `!`, `?` and only closers since.
    after_terminal: bool,
    newline_seen: bool,
    /// End of the previous token.
    last_end: Option<usize>,
}

impl Default for SentenceState {
    fn default() -> Self {
        SentenceState::new()
    }
}

impl SentenceState {
    /// The state at the start of a text.
    pub fn new() -> Self {
        SentenceState {
            pending_break: true,
            after_terminal: false,
            newline_seen: false,
            last_end: None,
        }
    }

    /// Notes a whitespace character between tokens.
    #[inline]
    pub fn whitespace(&mut self, c: char) {
        if c == '\n' || c == '\u{2029}' {
            self.newline_seen = true;
        }
    }

    /// Notes a token of `kind` at `start..end` whose first character is `c`; returns whether
    /// it starts a sentence.
    #[inline]
    pub fn token(&mut self, c: char, start: usize, end: usize, kind: TokenKind) -> bool {
        // A straight double quote glued to the `.` before it closes the sentence's quotation
        // (`"Yes." Then`); it only opens the next sentence when it follows whitespace.
        let closing_quote = c == '"' && self.last_end == Some(start);
        let starts = self.pending_break
            || self.newline_seen
            || (self.after_terminal
                && !closing_quote
                && (c.is_uppercase() || c.is_numeric() || is_open_quote(c)));
        self.pending_break = false;
        self.newline_seen = false;
        if kind == TokenKind::Punct {
            if matches!(c, '.' | '!' | '?' | '\u{2026}') {
                self.after_terminal = true;
            } else if starts || !(self.after_terminal && is_closer(c)) {
                self.after_terminal = false;
            }
        } else {
            self.after_terminal = false;
        }
        self.last_end = Some(end);
        starts
    }
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201c}' | '\u{2018}' | '(' | '[')
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']')
}

/// Normalises a word for lookups: lowercase, typographic apostrophes as `'`.
pub fn normalize(word: &str) -> String {
    let mut s = String::with_capacity(word.len());
    normalize_into(word, &mut s);
    s
}

/// [`normalize`] into a buffer that is cleared first (no allocation once it is big enough).
pub fn normalize_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        // The common case: ASCII lowercasing, and `'` is already the apostrophe.
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    for c in word.chars() {
        if is_apostrophe(c) {
            out.push('\'');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// The case pattern of a word, used to give a suggestion the case of the text it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// all lowercase (or no letters)
    Lower,
    /// First letter uppercase, the rest lowercase
    Title,
    /// Every letter uppercase (and at least two letters)
    Upper,
    /// Anything else (`iPhone`, `McDonald`)
    Mixed,
}

/// Classifies the case pattern of `word`.
pub fn case_of(word: &str) -> Case {
    // ASCII words, nearly all of them, take the byte loop.
    if word.is_ascii() {
        case_from(
            word.bytes()
                .filter(u8::is_ascii_alphabetic)
                .map(|b| (b.is_ascii_lowercase(), b.is_ascii_uppercase())),
        )
    } else {
        case_from(
            word.chars()
                .filter(|c| c.is_alphabetic())
                .map(|c| (c.is_lowercase(), c.is_uppercase())),
        )
    }
}

/// The case pattern of a word's letters, given as (lowercase, uppercase) flags.
fn case_from(mut letters: impl Iterator<Item = (bool, bool)>) -> Case {
    let Some((first_lower, _)) = letters.next() else {
        return Case::Lower;
    };
    let (mut rest_upper, mut rest_lower, mut rest) = (false, false, false);
    for (lower, upper) in letters {
        rest_upper |= upper;
        rest_lower |= lower;
        rest = true;
    }
    if first_lower {
        if rest_upper { Case::Mixed } else { Case::Lower }
    } else if !rest_upper {
        Case::Title
    } else if !rest_lower && rest {
        Case::Upper
    } else {
        Case::Mixed
    }
}

/// Applies a case pattern to a lowercase suggestion.
pub fn apply_case(suggestion: &str, case: Case) -> String {
    match case {
        Case::Lower | Case::Mixed => suggestion.to_string(),
        Case::Upper => suggestion.to_uppercase(),
        Case::Title => {
            let mut c = suggestion.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        }
    }
}

/// Replaces byte ranges of `text`; everything outside the ranges is copied unchanged.
///
/// Edits must be sorted by start and must not overlap; edits that overlap an earlier one or
/// fall outside the text or off a character boundary are skipped.
pub fn apply_edits(text: &str, edits: &[(usize, usize, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut pos = 0;
    for &(s, e, rep) in edits {
        if s < pos
            || e < s
            || e > text.len()
            || !text.is_char_boundary(s)
            || !text.is_char_boundary(e)
        {
            continue;
        }
        out.push_str(&text[pos..s]);
        out.push_str(rep);
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

/// 1-based line and column (in characters) of byte offset `pos` in `text`.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text that exercises the tokenizer: joiners, quotes after terminals, newlines,
    /// non-ASCII letters, digits and marks.
    const TRICKY: &[&str] = &[
        "The committee's \"plan.\" Then 5.5 million, 1,000 and 3.x; it\u{2019}s O\u{2019}Brien (Z\u{fc}rich).",
        "Stop. \"Quote\" and 'single' \u{201c}curly\u{201d} [x] \u{2026} Next\nline\u{2029}para  tab\there.",
        "ends with joiner. 5. 6, a' b' 'c d\u{2019} 12'3 x.y 1.2.3 4,5,6, \u{0663}\u{0664} \u{2163} I\u{0307}stanbul STRASSE \u{1e9e}",
        "",
        "   ",
        "\u{a0}nbsp\u{a0}. \u{3000}ideo \u{85}nel. \u{feff}bom",
    ];

    #[test]
    fn fast_scan_equals_reference_on_tricky_text() {
        for t in TRICKY {
            assert_eq!(tokenize(t), tokenize_reference(t), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_scan_equals_reference_on_random_text(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "B", "z", "Q", "7", "0", " ", "  ", "\n", "\t", ".", ",", "'", "\"",
                    "!", "?", "(", ")", "[", "]", "-", ";", "\u{2019}", "\u{2018}", "\u{201c}",
                    "\u{201d}", "\u{2026}", "\u{2029}", "\u{e9}", "\u{c9}", "\u{df}", "\u{663}",
                    "\u{2163}", "\u{a0}", "\u{3000}", "\u{85}", "\u{4e2d}", "\u{1f600}", "x1", "ab", "Cd",
                ]),
                0..60,
            )
        ) {
            let t: String = parts.concat();
            proptest::prop_assert_eq!(tokenize(&t), tokenize_reference(&t));
        }
    }

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).iter().map(|t| t.text(s)).collect()
    }

    #[test]
    fn words_numbers_punct() {
        assert_eq!(
            texts("It's 1,000 km—well-known."),
            ["It's", "1,000", "km", "—", "well", "-", "known", "."]
        );
        assert_eq!(texts("five.5 million"), ["five", ".", "5", "million"]);
        assert_eq!(texts("end. "), ["end", "."]);
    }

    #[test]
    fn sentences() {
        let s = "One two. Three four? \"Five\" six.\nseven";
        let starts: Vec<&str> = tokenize(s)
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.text(s))
            .collect();
        assert_eq!(starts, ["One", "Three", "\"", "seven"]);
        let s = "He said \"Stop.\" Then he left. \"Go.\"";
        let starts: Vec<usize> = tokenize(s)
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.start)
            .collect();
        assert_eq!(
            starts,
            [0, s.find("Then").unwrap(), s.rfind("\"Go").unwrap()]
        );
    }

    #[test]
    fn case_round_trip() {
        assert_eq!(apply_case("therefore", case_of("Due")), "Therefore");
        assert_eq!(apply_case("may", case_of("COULD")), "MAY");
        assert_eq!(case_of("iPhone"), Case::Mixed);
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncé d", 6), (2, 3));
    }
}
