//! The thesaurus spinner: every `n`-th eligible word or phrase replaced by a synonym picked
//! uniformly, re-inflected to the replaced form.
//!
//! It reads a dictionary written by [`crate::write_spinner_dict`] (or any file of
//! `root<TAB>syn1|syn2|…[<TAB>pos]` lines) and never consults the compiled lexicon, so the
//! evaluation sets it generates are an honest test of the lexicon.

use std::collections::HashMap;
use std::path::Path;

use unspin_text::{TokenKind, apply_case, case_of, normalize, tokenize};

use super::{Splicer, SplitMix, Spun};

use crate::error::LexiconError;
use crate::morph::{Form, Morphology, Pos};

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

    /// A spinner from explicit `(root, synonyms)` entries (no part of speech, no inflection):
    /// for tests and benchmarks.
    pub fn from_entries(entries: &[(&str, &[&str])]) -> Spinner {
        let text: String = entries
            .iter()
            .map(|(r, s)| format!("{r}\t{}\n", s.join("|")))
            .collect();
        // every line has a root and synonyms and no tag, so parsing cannot fail
        Self::from_str(&text, Morphology::default()).unwrap_or_else(|_| Spinner {
            dict: HashMap::new(),
            morph: Morphology::default(),
            max_words: 1,
        })
    }

    /// A spinner from Moby Thesaurus text (`root,syn,syn,…` per line), single-word roots
    /// only, no inflection: the index's benchmarks spin with it.
    pub fn from_moby(text: &str) -> Spinner {
        let mut dict: HashMap<String, Vec<Entry>> = HashMap::new();
        for line in text.lines() {
            let mut parts = line.split(',');
            let Some(root) = parts.next().map(crate::sources::norm_entry) else {
                continue;
            };
            if root.is_empty() || root.contains(' ') {
                continue;
            }
            let syns: Vec<String> = parts
                .map(crate::sources::norm_entry)
                .filter(|s| {
                    !s.is_empty()
                        && *s != root
                        && s.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '-')
                })
                .collect();
            if !syns.is_empty() {
                dict.entry(root)
                    .or_default()
                    .push(Entry { pos: None, syns });
            }
        }
        Spinner {
            dict,
            morph: Morphology::default(),
            max_words: 1,
        }
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
        self.spin_counting(text, every_nth, seed, false)
    }

    /// Like [`Spinner::spin`], but counts every word token, eligible or not: the `n`-th,
    /// `2n`-th, … word is replaced when the dictionary has it (so about one word in `n`
    /// times the dictionary's coverage is spun).
    pub fn spin_words(&self, text: &str, every_nth: usize, seed: u64) -> Spun {
        self.spin_counting(text, every_nth, seed, true)
    }

    fn spin_counting(&self, text: &str, every_nth: usize, seed: u64, all_words: bool) -> Spun {
        let every = every_nth.max(1);
        let mut rng = SplitMix(seed);
        let phase = if all_words { 0 } else { rng.below(every) };
        let toks = tokenize(text);
        let mut out = Splicer::new(text);
        let mut counted = 0usize;
        let mut i = 0;
        while i < toks.len() {
            if all_words && toks[i].kind == TokenKind::Word {
                counted += 1;
                if !counted.is_multiple_of(every) {
                    i += 1;
                    continue;
                }
            }
            let Some((n, key, (entry, pos, form))) = self.match_at(text, &toks, i) else {
                i += 1;
                continue;
            };
            if !all_words {
                counted += 1;
                if !(counted + phase).is_multiple_of(every) {
                    i += n;
                    continue;
                }
            }
            let options = self.options(entry, pos, form, &key);
            if options.is_empty() {
                i += n;
                continue;
            }
            let choice = &options[rng.below(options.len())];
            let (start, end) = (toks[i].start, toks[i + n - 1].end);
            out.replace(start, end, apply_case(choice, case_of(toks[i].text(text))));
            i += n;
        }
        out.finish()
    }

    /// The longest dictionary match starting at token `i`: its length, key and entry.
    #[allow(clippy::type_complexity)]
    fn match_at(
        &self,
        text: &str,
        toks: &[unspin_text::Token],
        i: usize,
    ) -> Option<(usize, String, (&Entry, Option<Pos>, Form))> {
        for n in (1..=self.max_words.min(toks.len() - i)).rev() {
            let span = &toks[i..i + n];
            if !span
                .iter()
                .enumerate()
                .all(|(k, t)| super::spinnable(t, text, k == 0))
            {
                continue;
            }
            let key: Vec<String> = span.iter().map(|t| normalize(t.text(text))).collect();
            let key = key.join(" ");
            if let Some(found) = self.lookup(&key) {
                return Some((n, key, found));
            }
        }
        None
    }

    /// The entry's synonyms in the replaced word's form (other than the key itself).
    fn options(&self, entry: &Entry, pos: Option<Pos>, form: Form, key: &str) -> Vec<String> {
        entry
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
            .filter(|s| s != key)
            .collect()
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
