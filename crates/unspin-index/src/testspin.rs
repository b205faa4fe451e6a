//! A small deterministic article spinner for tests and benchmarks.
//!
//! Every `n`-th word (counting word tokens) that is lowercase (or capitalised at a sentence
//! start) and has a thesaurus entry is replaced by a random synonym of it (possibly a
//! multi-word one), chosen with a seeded generator. Every substitution is logged with byte
//! offsets in the original and in the spun text, so alignment can be scored against it.

use std::collections::HashMap;
use unspin_text::{Case, TokenKind, apply_case, case_of, tokenize};

/// One logged substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// Byte range of the replaced word in the original.
    pub orig: (usize, usize),
    /// Byte range of the replacement in the spun text.
    pub spun: (usize, usize),
    /// Replaced word, lowercase.
    pub from: String,
    /// Replacement, lowercase.
    pub to: String,
}

/// Thesaurus-driven test spinner.
#[derive(Debug, Clone, Default)]
pub struct Spinner {
    syns: HashMap<String, Vec<String>>,
}

/// SplitMix64 generator: small, seeded, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::hash::mix64(self.0)
    }
    /// Uniform integer below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

impl Spinner {
    /// Builds a spinner from Moby Thesaurus text (`root,syn,syn,...` per line).
    pub fn from_moby(text: &str) -> Self {
        let mut syns = HashMap::new();
        for line in text.lines() {
            let mut parts = line.split(',');
            let Some(root) = parts.next() else { continue };
            if root.contains(' ') || root.is_empty() {
                continue;
            }
            let list: Vec<String> = parts
                .map(|s| s.trim().to_lowercase())
                .filter(|s| {
                    !s.is_empty()
                        && s != root
                        && s.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '-')
                })
                .collect();
            if !list.is_empty() {
                syns.insert(root.to_lowercase(), list);
            }
        }
        Spinner { syns }
    }

    /// Builds a spinner from explicit (word, synonyms) entries.
    pub fn from_entries(entries: &[(&str, &[&str])]) -> Self {
        let syns = entries
            .iter()
            .map(|(w, s)| (w.to_string(), s.iter().map(|x| x.to_string()).collect()))
            .collect();
        Spinner { syns }
    }

    /// Spins `text`, replacing every `n`-th word that can be replaced. Returns the spun
    /// text and the substitution log.
    pub fn spin(&self, text: &str, n: usize, seed: u64) -> (String, Vec<Substitution>) {
        let mut rng = Rng(seed);
        let mut out = String::with_capacity(text.len() + text.len() / 4);
        let mut log = Vec::new();
        let mut pos = 0;
        let mut k = 0usize;
        for t in tokenize(text) {
            if t.kind != TokenKind::Word {
                continue;
            }
            k += 1;
            if !k.is_multiple_of(n.max(1)) {
                continue;
            }
            let raw = &text[t.start..t.end];
            let case = case_of(raw);
            let ok_case = case == Case::Lower || (case == Case::Title && t.sentence_start);
            if !ok_case {
                continue;
            }
            let lower = raw.to_lowercase();
            let Some(list) = self.syns.get(&lower) else {
                continue;
            };
            let pick = &list[rng.below(list.len())];
            out.push_str(&text[pos..t.start]);
            let s = out.len();
            out.push_str(&apply_case(pick, case));
            log.push(Substitution {
                orig: (t.start, t.end),
                spun: (s, out.len()),
                from: lower,
                to: pick.clone(),
            });
            pos = t.end;
        }
        out.push_str(&text[pos..]);
        (out, log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spins_every_second_word_and_logs() {
        let sp = Spinner::from_entries(&[
            ("big", &["large"]),
            ("ran", &["sprinted quickly"]),
            ("dog", &["hound"]),
        ]);
        let text = "The big dog ran home.";
        let (spun, log) = sp.spin(text, 2, 1);
        assert_eq!(spun, "The large dog sprinted quickly home.");
        assert_eq!(log.len(), 2);
        for s in &log {
            assert_eq!(&text[s.orig.0..s.orig.1], s.from);
            assert_eq!(&spun[s.spun.0..s.spun.1], s.to);
        }
    }
}
