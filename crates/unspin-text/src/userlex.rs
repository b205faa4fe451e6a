//! The user-lexicon file, in one place: TSV lines `spun<TAB>original[<TAB>count]`, phrases
//! normalised with [`normalize_phrase`] (lowercase, words joined by single spaces).
//!
//! `unspin learn` and `compare --learn` write it (through the index crate); `check` and
//! `restore` read it (through the engine). Both go through [`parse`] and [`write_line`], so
//! the grammar has one owner.
//!
//! ```
//! let rows = unspin_text::userlex::parse("# learned\nDue to this fact\ttherefore\t3\n").unwrap();
//! assert_eq!(rows[0].spun, "due to this fact");
//! assert_eq!(rows[0].original, "therefore");
//! assert_eq!(rows[0].count, 3.0);
//! let mut out = String::new();
//! unspin_text::userlex::write_line(&mut out, &rows[0].spun, &rows[0].original, 3);
//! assert_eq!(out, "due to this fact\ttherefore\t3\n");
//! ```

use std::fmt;

/// One entry of a user lexicon.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The spun word or phrase, normalised.
    pub spun: String,
    /// Its original, normalised.
    pub original: String,
    /// How often the pair was seen (1 when the line has no count); always positive.
    pub count: f64,
}

/// A line of a user lexicon that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub msg: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for LineError {}

/// Lowercases a phrase and joins its words (tokens of [`crate::tokenize`]) with single spaces.
pub fn normalize_phrase(s: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for t in crate::tokenize(s) {
        if !out.is_empty() {
            out.push(' ');
        }
        crate::normalize_into(t.text(s), &mut word);
        out.push_str(&word);
    }
    out
}

/// Parses the text of a user lexicon. Blank lines and lines starting with `#` are skipped, and
/// so are pairs whose sides are empty or equal once normalised.
pub fn parse(text: &str) -> Result<Vec<Row>, LineError> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| LineError { line: n + 1, msg };
        let mut f = line.split('\t');
        let (Some(spun), Some(orig)) = (f.next(), f.next()) else {
            return Err(err("expected `spun<TAB>original[<TAB>count]`".into()));
        };
        let count = match f.next() {
            Some(c) => c
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|c| c.is_finite() && *c > 0.0)
                .ok_or_else(|| err(format!("count `{c}` is not a positive number")))?,
            None => 1.0,
        };
        if f.next().is_some() {
            return Err(err("more than three fields".into()));
        }
        let (spun, original) = (normalize_phrase(spun), normalize_phrase(orig));
        if spun.is_empty() || original.is_empty() || spun == original {
            continue;
        }
        rows.push(Row {
            spun,
            original,
            count,
        });
    }
    Ok(rows)
}

/// Appends one line `spun<TAB>original<TAB>count` (sides as given: normalise them first).
pub fn write_line(out: &mut String, spun: &str, original: &str, count: u64) {
    use std::fmt::Write;
    let _ = writeln!(out, "{spun}\t{original}\t{count}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_comments_and_crlf() {
        let rows = parse("# c\n\nBosom  Peril\tbreast cancer\t2\r\nx\ty\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].spun, "bosom peril");
        assert_eq!(rows[0].count, 2.0);
        assert_eq!(rows[1].count, 1.0);
    }

    #[test]
    fn skips_empty_and_identical_pairs() {
        assert!(parse("a\tA\n\tb\n").unwrap().is_empty());
    }

    #[test]
    fn bad_lines_name_their_number() {
        for (text, want) in [
            ("ok\tfine\nno tab here\n", 2),
            ("a\tb\tmany\n", 1),
            ("a\tb\t-1\n", 1),
            ("a\tb\tNaN\n", 1),
            ("a\tb\t1\textra\n", 1),
        ] {
            assert_eq!(parse(text).unwrap_err().line, want, "{text:?}");
        }
    }

    #[test]
    fn written_lines_parse_back() {
        let mut out = String::new();
        write_line(&mut out, "due to this fact", "therefore", 7);
        let rows = parse(&out).unwrap();
        assert_eq!(
            rows,
            vec![Row {
                spun: "due to this fact".into(),
                original: "therefore".into(),
                count: 7.0
            }]
        );
    }
}
