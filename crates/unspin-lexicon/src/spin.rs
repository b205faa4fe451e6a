//! The evaluation spinner: produces labelled spun text from a forward dictionary.
//!
//! It reads a dictionary written by [`crate::write_spinner_dict`] (or any file of
//! `root<TAB>syn1|syn2|…[<TAB>pos]` lines) and never consults the compiled lexicon, so the
//! evaluation sets it generates are an honest test of the lexicon.

use std::collections::HashMap;
use std::path::Path;

use unspin_text::{Case, TokenKind, apply_case, case_of, normalize, tokenize};

use crate::error::LexiconError;
use crate::morph::{Form, Morphology, Pos};

/// One substitution made by the spinner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpinEdit {
    /// Byte offset of the replacement in the spun text.
    pub start: usize,
    /// Byte offset one past the replacement in the spun text.
    pub end: usize,
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

impl Spun {
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

#[derive(Debug, Clone)]
struct Entry {
    pos: Option<Pos>,
    syns: Vec<String>,
}

/// A dictionary-driven article spinner (see the module docs).
#[derive(Debug, Clone)]
pub struct Spinner {
    dict: HashMap<String, Vec<Entry>>,
    morph: Morphology,
    max_words: usize,
}

/// splitmix64: a tiny, well-mixed deterministic generator.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

impl Spinner {
    /// Reads a forward dictionary (`root<TAB>syn1|syn2|…[<TAB>pos]`); `morph` re-inflects
    /// synonyms to the replaced word's form.
    pub fn from_dict(path: &Path, morph: Morphology) -> Result<Spinner, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|e| LexiconError::io(path, e))?;
        Self::from_str(&text, morph).map_err(|(line, p)| LexiconError::source(path, line, p))
    }

    /// Parses dictionary text; errors carry the 1-based line.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, morph: Morphology) -> Result<Spinner, (usize, String)> {
        let mut dict: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut max_words = 1;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 2 || f.len() > 3 {
                return Err((i + 1, "expected root<TAB>syn|syn[<TAB>pos]".into()));
            }
            let pos = match f.get(2) {
                Some(t) => Some(
                    t.chars()
                        .next()
                        .and_then(Pos::from_tag)
                        .ok_or_else(|| (i + 1, format!("unknown part of speech {t:?}")))?,
                ),
                None => None,
            };
            let root = crate::sources::norm_entry(f[0]);
            let syns: Vec<String> = f[1]
                .split('|')
                .map(crate::sources::norm_entry)
                .filter(|s| !s.is_empty() && *s != root)
                .collect();
            if root.is_empty() || syns.is_empty() {
                continue;
            }
            max_words = max_words.max(root.split(' ').count());
            dict.entry(root).or_default().push(Entry { pos, syns });
        }
        Ok(Spinner {
            dict,
            morph,
            max_words: max_words.min(3),
        })
    }

    /// Number of roots.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when the dictionary is empty.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// The (entry, part of speech, form) that spins `key`, if any: the key itself as a root,
    /// else a lemma of it whose entry has a matching (or no) part of speech.
    fn lookup(&self, key: &str) -> Option<(&Entry, Option<Pos>, Form)> {
        if let Some(e) = self.dict.get(key).and_then(|v| v.first()) {
            return Some((e, e.pos, Form::Base));
        }
        for a in self.morph.lemmatize(key) {
            if a.form == Form::Base {
                continue;
            }
            if let Some(entries) = self.dict.get(&a.lemma)
                && let Some(e) = entries.iter().find(|e| e.pos.is_none_or(|p| p == a.pos))
            {
                return Some((e, Some(a.pos), a.form));
            }
        }
        None
    }

    /// Replaces every `every_nth` eligible word or phrase (longest dictionary match of up to 3
    /// words; not numbers, not capitalised words inside a sentence) with a synonym chosen
    /// uniformly at random, re-inflected to the original's form and given its case.
    /// Deterministic for a given seed; `every_nth` of 0 is treated as 1.
    pub fn spin(&self, text: &str, every_nth: usize, seed: u64) -> Spun {
        let every = every_nth.max(1);
        let mut rng = SplitMix(seed);
        let phase = rng.below(every);
        let toks = tokenize(text);
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut edits = Vec::new();
        let mut copied = 0;
        let mut eligible = 0usize;
        let mut i = 0;
        while i < toks.len() {
            let mut matched = None;
            for n in (1..=self.max_words.min(toks.len() - i)).rev() {
                let span = &toks[i..i + n];
                let ok = span.iter().enumerate().all(|(k, t)| {
                    t.kind == TokenKind::Word
                        && match case_of(t.text(text)) {
                            Case::Lower => true,
                            Case::Title => k == 0 && t.sentence_start,
                            _ => false,
                        }
                });
                if !ok {
                    continue;
                }
                let key: Vec<String> = span.iter().map(|t| normalize(t.text(text))).collect();
                let key = key.join(" ");
                if let Some(found) = self.lookup(&key) {
                    matched = Some((n, key, found));
                    break;
                }
            }
            let Some((n, key, (entry, pos, form))) = matched else {
                i += 1;
                continue;
            };
            eligible += 1;
            if !(eligible + phase).is_multiple_of(every) {
                i += n;
                continue;
            }
            let options: Vec<String> = entry
                .syns
                .iter()
                .filter_map(|s| match (form, pos) {
                    (Form::Base, _) => Some(s.clone()),
                    (_, Some(p)) => {
                        // An untagged dictionary (Moby) mixes parts of speech: only re-inflect
                        // synonyms that can be this part of speech (or are unknown single words).
                        let mask = self.morph.pos_mask(s);
                        let fits = if entry.pos.is_some() {
                            true
                        } else if mask == 0 {
                            !s.contains(' ')
                        } else {
                            mask & (1 << p as u8) != 0
                        };
                        if fits {
                            self.morph.inflect(s, p, form)
                        } else {
                            None
                        }
                    }
                    (_, None) => None,
                })
                .filter(|s| *s != key)
                .collect();
            if options.is_empty() {
                i += n;
                continue;
            }
            let choice = &options[rng.below(options.len())];
            let (start, end) = (toks[i].start, toks[i + n - 1].end);
            let spun = apply_case(choice, case_of(toks[i].text(text)));
            out.push_str(&text[copied..start]);
            let s = out.len();
            out.push_str(&spun);
            edits.push(SpinEdit {
                start: s,
                end: out.len(),
                original: text[start..end].to_string(),
                spun,
            });
            copied = end;
            i += n;
        }
        out.push_str(&text[copied..]);
        Spun { text: out, edits }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spinner() -> Spinner {
        let morph = Morphology::from_lists(
            &[
                (Pos::Noun, "point"),
                (Pos::Noun, "gain"),
                (Pos::Noun, "good point"),
                (Pos::Verb, "make"),
                (Pos::Verb, "build"),
                (Pos::Verb, "produce"),
                (Pos::Adj, "big"),
                (Pos::Adj, "large"),
                (Pos::Noun, "building"),
            ],
            &[
                (Pos::Verb, "made", "make"),
                (Pos::Verb, "built", "build"),
                (Pos::Adj, "bigger", "big"),
            ],
        );
        let dict = "therefore\tdue to this fact|hence\n\
                    gain\tgood point|advantage\tn\n\
                    make\tbuild|produce\tv\n\
                    big\tlarge\n\
                    build\tmake|building\n\
                    high on\texcessive on\n\
                    two\tpair\n\
                    may\tcould\n";
        Spinner::from_str(dict, morph).unwrap()
    }

    const TEXT: &str = "Therefore the big gains were made in May. The two sides made bigger gains, \
                        therefore we may go; and big things made two high on gains. It was built and built again.";

    #[test]
    fn edits_match_text_and_undo_exactly() {
        let s = spinner();
        for seed in 0..50 {
            for every in 1..4 {
                let spun = s.spin(TEXT, every, seed);
                for e in &spun.edits {
                    assert_eq!(&spun.text[e.start..e.end], e.spun);
                }
                assert_eq!(spun.undo(), TEXT);
            }
        }
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        let s = spinner();
        assert_eq!(s.spin(TEXT, 1, 42), s.spin(TEXT, 1, 42));
        let distinct: std::collections::HashSet<String> =
            (0..20).map(|seed| s.spin(TEXT, 1, seed).text).collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn inflects_keeps_case_and_skips_names() {
        let s = spinner();
        let spun = s.spin(TEXT, 1, 3);
        let originals: Vec<&str> = spun.edits.iter().map(|e| e.original.as_str()).collect();
        // "May" mid-sentence is a name; numbers in digits never appear; every eligible unit is spun
        assert!(!originals.contains(&"May"));
        assert!(originals.contains(&"may"));
        assert!(originals.contains(&"Therefore"));
        assert!(originals.contains(&"high on"), "{originals:?}");
        for e in &spun.edits {
            match e.original.as_str() {
                "Therefore" => assert!(e.spun == "Due to this fact" || e.spun == "Hence"),
                "gains" => assert!(e.spun == "good points" || e.spun == "advantages", "{e:?}"),
                "made" => assert!(e.spun == "built" || e.spun == "produced", "{e:?}"),
                "bigger" => assert_eq!(e.spun, "larger"),
                // the noun "building" is never given a verb ending
                "built" => assert_eq!(e.spun, "made"),
                _ => {}
            }
        }
    }

    #[test]
    fn every_nth_spins_a_fraction() {
        let s = spinner();
        let all = s.spin(TEXT, 1, 9).edits.len();
        let third = s.spin(TEXT, 3, 9).edits.len();
        assert!(all >= 10, "{all}");
        assert!(
            third * 3 <= all + 3 && third * 3 + 3 >= all,
            "{third} vs {all}"
        );
    }

    #[test]
    fn bad_dictionary_line_is_an_error() {
        assert_eq!(
            Spinner::from_str("a\tb|c\tq\n", Morphology::default())
                .unwrap_err()
                .0,
            1
        );
        assert!(Spinner::from_str("oops\n", Morphology::default()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn undo_restores_any_text(text in "[A-Za-z ,.'\n2]{0,80}", seed in 0u64..1000, every in 1usize..4) {
            let s = spinner();
            let spun = s.spin(&text, every, seed);
            for e in &spun.edits {
                proptest::prop_assert_eq!(&spun.text[e.start..e.end], e.spun.as_str());
            }
            proptest::prop_assert_eq!(spun.undo(), text);
        }
    }
}
