//! A dictionary spinner that works as commercial spinning tools do.
//!
//! The dictionary is a list of lines `entry|alt|alt|…` (most entries phrases). Every
//! whole-word occurrence of a line's entry, in lower case or capitalised at a sentence start,
//! that no earlier line already claimed is a spot; so an earlier line wins over a later one,
//! and one phrase is treated alike wherever it stands. Each spot is then resolved on its own:
//! spun with probability `rate` to one of its alternatives picked uniformly (given the spot's
//! case), else left as written. Names (capitalised words inside a sentence), numbers and
//! anything not in the dictionary are never touched.

use std::collections::HashMap;
use std::path::Path;

use unspin_text::{Token, TokenKind, apply_case, case_of, normalize, tokenize};

use super::{Splicer, SplitMix, Spun};
use crate::error::LexiconError;

/// Longest entry (in words) a dictionary may hold.
pub const MAX_ENTRY_WORDS: usize = 6;

#[derive(Debug, Clone)]
struct Line {
    alts: Vec<String>,
}

/// A fixed-dictionary spinner (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct DictSpinner {
    lines: Vec<Line>,
    /// Normalised entry → its line (the first line wins when an entry repeats).
    index: HashMap<String, u32>,
    max_words: usize,
}

/// One claimed spot: tokens `first..first + words`, by dictionary line `line`.
#[derive(Debug, Clone, Copy)]
struct Spot {
    line: u32,
    first: usize,
    words: usize,
}

impl DictSpinner {
    /// Reads a dictionary file of `entry|alt|alt` lines.
    pub fn from_file(path: &Path) -> Result<DictSpinner, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|e| LexiconError::io(path, e))?;
        Self::from_str(&text).map_err(|(line, p)| LexiconError::source(path, line, p))
    }

    /// Parses dictionary text; errors carry the 1-based line. Blank lines and lines starting
    /// with `#` are skipped; alternatives equal to the entry are dropped.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<DictSpinner, (usize, String)> {
        let mut sp = DictSpinner::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split('|');
            let entry = crate::sources::norm_entry(parts.next().unwrap_or(""));
            let alts: Vec<String> = parts
                .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|a| !a.is_empty() && crate::sources::norm_entry(a) != entry)
                .collect();
            if entry.is_empty() {
                return Err((i + 1, "expected entry|alt|alt…".into()));
            }
            let words = entry.split(' ').count();
            if words > MAX_ENTRY_WORDS {
                return Err((i + 1, format!("entry longer than {MAX_ENTRY_WORDS} words")));
            }
            if alts.is_empty() || sp.index.contains_key(&entry) {
                continue;
            }
            sp.index.insert(entry, sp.lines.len() as u32);
            sp.lines.push(Line { alts });
            sp.max_words = sp.max_words.max(words);
        }
        Ok(sp)
    }

    /// Number of dictionary lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every spot of the text the dictionary claims, in text order (see the module docs).
    fn spots(&self, text: &str, toks: &[Token]) -> Vec<Spot> {
        let mut found = Vec::new();
        let mut key = String::new();
        for i in 0..toks.len() {
            key.clear();
            for n in 1..=self.max_words.min(toks.len() - i) {
                let t = &toks[i + n - 1];
                if !super::spinnable(t, text, n == 1) {
                    break;
                }
                // words of an entry are adjacent, separated by spaces only
                if n > 1 && !text[toks[i + n - 2].end..t.start].chars().all(|c| c == ' ') {
                    break;
                }
                if n > 1 {
                    key.push(' ');
                }
                key.push_str(&normalize(t.text(text)));
                if let Some(&line) = self.index.get(&key) {
                    found.push(Spot {
                        line,
                        first: i,
                        words: n,
                    });
                }
            }
        }
        // earlier lines claim first; a spot overlapping a claimed one is dropped
        found.sort_by_key(|s| (s.line, s.first));
        let mut taken = vec![false; toks.len()];
        let mut kept = Vec::new();
        for s in found {
            let range = s.first..s.first + s.words;
            if taken[range.clone()].iter().any(|&t| t) {
                continue;
            }
            taken[range].iter_mut().for_each(|t| *t = true);
            kept.push(s);
        }
        kept.sort_by_key(|s| s.first);
        kept
    }

    /// Spins `text`: every claimed spot is replaced with probability `rate` (clamped to
    /// [0, 1]) by one of its line's alternatives. Deterministic for a given seed.
    pub fn spin(&self, text: &str, rate: f64, seed: u64) -> Spun {
        let rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut rng = SplitMix(seed);
        let toks = tokenize(text);
        let mut out = Splicer::new(text);
        for s in self.spots(text, &toks) {
            // draw both numbers for every spot, so a spot's fate does not depend on the rate
            // of the spots before it
            let (u, k) = (rng.unit(), rng.next_u64());
            if u >= rate {
                continue;
            }
            let line = &self.lines[s.line as usize];
            let alt = &line.alts[(k % line.alts.len() as u64) as usize];
            let (start, end) = (toks[s.first].start, toks[s.first + s.words - 1].end);
            let case = case_of(toks[s.first].text(text));
            out.replace(start, end, apply_case(alt, case));
        }
        out.finish()
    }

    /// Share of the words of `text` that lie in a spot the dictionary claims (what a rate of
    /// 1.0 would change at most).
    pub fn coverage(&self, text: &str) -> f64 {
        let toks = tokenize(text);
        let words = toks.iter().filter(|t| t.kind == TokenKind::Word).count();
        let covered: usize = self.spots(text, &toks).iter().map(|s| s.words).sum();
        covered as f64 / words.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DICT: &str = "# a comment\n\
        due to the fact that|because|since\n\
        the result of|the end result of|the outcome of\n\
        said|stated|mentioned\n\
        result|outcome\n\
        new|brand new\n\
        at all times|always\n\
        may|could\n";

    fn sp() -> DictSpinner {
        DictSpinner::from_str(DICT).unwrap()
    }

    #[test]
    fn parses_lines_and_skips_comments() {
        let s = sp();
        assert_eq!(s.len(), 7);
        assert_eq!(s.max_words, 5);
        assert!(DictSpinner::from_str("|x\n").is_err());
        assert!(DictSpinner::from_str("a b c d e f g|x\n").is_err());
        // an entry whose only alternative is itself is no line at all
        assert!(DictSpinner::from_str("same|Same\n").unwrap().is_empty());
    }

    #[test]
    fn earlier_lines_claim_first_and_phrases_stay_whole() {
        let s = sp();
        let text = "The result of the vote was new. She said it at all times. The result stood.";
        let spun = s.spin(text, 1.0, 3);
        let originals: Vec<&str> = spun.edits.iter().map(|e| e.original.as_str()).collect();
        assert_eq!(
            originals,
            ["The result of", "new", "said", "at all times", "result"]
        );
        for e in &spun.edits {
            assert_eq!(&spun.text[e.start..e.end], e.spun);
            assert_eq!(&text[e.orig_start..e.orig_end], e.original);
        }
        assert!(
            spun.edits[0].spun.starts_with("The "),
            "{:?}",
            spun.edits[0]
        );
        assert_eq!(spun.undo(), text);
    }

    #[test]
    fn names_and_mid_sentence_capitals_are_left_alone() {
        let s = sp();
        let spun = s.spin("We met in May. May we go? It may rain.", 1.0, 1);
        let originals: Vec<&str> = spun.edits.iter().map(|e| e.original.as_str()).collect();
        assert_eq!(originals, ["May", "may"]);
        assert_eq!(spun.edits[0].spun, "Could");
    }

    #[test]
    fn rate_sets_the_share_of_spots_spun() {
        let s = sp();
        let text = "He said it was new. ".repeat(500);
        let spots = s.spin(&text, 1.0, 5).edits.len();
        assert_eq!(spots, 1000);
        assert!(s.spin(&text, 0.0, 5).edits.is_empty());
        let quarter = s.spin(&text, 0.25, 5).edits.len() as f64 / spots as f64;
        assert!((quarter - 0.25).abs() < 0.05, "{quarter}");
        assert!(s.spin(&text, f64::NAN, 5).edits.is_empty());
        assert!((s.coverage(&text) - 0.4).abs() < 1e-9);
    }

    proptest::proptest! {
        #[test]
        fn undo_restores_any_text(text in "[A-Za-z ,.'\n2]{0,80}", seed in 0u64..1000, rate in 0.0f64..1.0) {
            let spun = sp().spin(&text, rate, seed);
            for e in &spun.edits {
                proptest::prop_assert_eq!(&spun.text[e.start..e.end], e.spun.as_str());
                proptest::prop_assert_eq!(&text[e.orig_start..e.orig_end], e.original.as_str());
            }
            proptest::prop_assert_eq!(spun.undo(), text);
        }
    }
}
