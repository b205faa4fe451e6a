//! English morphology from WordNet: lemmatisation and inflection.
//!
//! Lemmatisation follows WordNet's *morphy*: a word is looked up in the exception lists
//! (`noun.exc`, `verb.exc`, `adj.exc`), and the regular detachment rules (`-ies → -y`,
//! `-es → ∅`, `-ed → -e`, …) are applied; a rule only yields a lemma that is in WordNet's index
//! for that part of speech. Inflection is the inverse: irregular forms come from the exception
//! lists, regular forms from spelling rules (sibilant `-es`, `-y → -ies`, silent `-e`, consonant
//! doubling in one-syllable words). Multi-word entries inflect their head: the last word of a
//! noun (*good point* → *good points*), the first word of a verb (*set up* → *sets up*).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::error::LexiconError;

/// Part of speech, as in WordNet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pos {
    /// Noun.
    Noun,
    /// Verb.
    Verb,
    /// Adjective (including satellites).
    Adj,
    /// Adverb.
    Adv,
}

impl Pos {
    /// All parts of speech, in index order.
    pub const ALL: [Pos; 4] = [Pos::Noun, Pos::Verb, Pos::Adj, Pos::Adv];

    fn idx(self) -> usize {
        self as usize
    }

    /// WordNet's file suffix for this part of speech (`noun`, `verb`, `adj`, `adv`).
    pub fn file_name(self) -> &'static str {
        match self {
            Pos::Noun => "noun",
            Pos::Verb => "verb",
            Pos::Adj => "adj",
            Pos::Adv => "adv",
        }
    }

    /// One-letter tag (`n`, `v`, `a`, `r`), used in spinner dictionaries.
    pub fn tag(self) -> char {
        match self {
            Pos::Noun => 'n',
            Pos::Verb => 'v',
            Pos::Adj => 'a',
            Pos::Adv => 'r',
        }
    }

    /// Inverse of [`Pos::tag`].
    pub fn from_tag(c: char) -> Option<Pos> {
        match c {
            'n' => Some(Pos::Noun),
            'v' => Some(Pos::Verb),
            'a' | 's' => Some(Pos::Adj),
            'r' => Some(Pos::Adv),
            _ => None,
        }
    }

    /// The inflected forms (besides [`Form::Base`]) that words of this part of speech take.
    pub fn forms(self) -> &'static [Form] {
        match self {
            Pos::Noun => &[Form::Plural],
            Pos::Verb => &[Form::ThirdSg, Form::Past, Form::PastPart, Form::Ing],
            Pos::Adj => &[Form::Comparative, Form::Superlative, Form::Ly],
            Pos::Adv => &[],
        }
    }
}

/// An inflected form of a lemma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// The lemma itself.
    Base,
    /// Noun plural.
    Plural,
    /// Verb third person singular present.
    ThirdSg,
    /// Verb simple past.
    Past,
    /// Verb past participle.
    PastPart,
    /// Verb present participle / gerund.
    Ing,
    /// Adjective comparative.
    Comparative,
    /// Adjective superlative.
    Superlative,
    /// Adverb derived from an adjective with `-ly` (only where WordNet lists the adverb).
    Ly,
}

/// One reading of a word: its lemma, part of speech and form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Analysis {
    /// The lemma (multi-word lemmas use single spaces).
    pub lemma: String,
    /// Part of speech.
    pub pos: Pos,
    /// Which form of the lemma the word is.
    pub form: Form,
}

/// Lemmatiser and inflector backed by WordNet's index and exception lists.
#[derive(Debug, Default, Clone)]
pub struct Morphology {
    index: [HashSet<String>; 4],
    /// inflected form → lemmas
    exc: [HashMap<String, Vec<String>>; 4],
    /// lemma → irregular inflected forms (sorted)
    irregular: [HashMap<String, Vec<String>>; 4],
}

fn read_to_string(path: &Path) -> Result<String, LexiconError> {
    std::fs::read_to_string(path).map_err(|e| LexiconError::io(path, e))
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Number of vowel groups (a rough syllable count; `y` after a consonant counts as a vowel).
fn syllables(w: &str) -> usize {
    let b = w.as_bytes();
    let mut n = 0;
    let mut prev_vowel = false;
    for (i, &c) in b.iter().enumerate() {
        let v = is_vowel(c) || (c == b'y' && i > 0 && !is_vowel(b[i - 1]));
        if v && !prev_vowel {
            n += 1;
        }
        prev_vowel = v;
    }
    // silent final e
    if n > 1 && w.ends_with('e') && !w.ends_with("le") && !w.ends_with("ee") {
        n -= 1;
    }
    n
}

/// True for a one-syllable word ending consonant-vowel-consonant (not w, x, y): `stop`, `big`.
fn doubles_final(w: &str) -> bool {
    let b = w.as_bytes();
    if b.len() < 3 || syllables(w) != 1 {
        return false;
    }
    let (c1, v, c2) = (b[b.len() - 3], b[b.len() - 2], b[b.len() - 1]);
    let qu = c1 == b'q' && v == b'u';
    !is_vowel(c1)
        && is_vowel(v)
        && !is_vowel(c2)
        && !matches!(c2, b'w' | b'x' | b'y')
        && c2.is_ascii_lowercase()
        && !qu
}

fn ends_consonant_y(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 2 && b[b.len() - 1] == b'y' && !is_vowel(b[b.len() - 2])
}

fn sibilant(w: &str) -> bool {
    w.ends_with('s')
        || w.ends_with('x')
        || w.ends_with('z')
        || w.ends_with("ch")
        || w.ends_with("sh")
}

fn regular_s(w: &str) -> String {
    if ends_consonant_y(w) {
        format!("{}ies", &w[..w.len() - 1])
    } else if sibilant(w) {
        format!("{w}es")
    } else {
        format!("{w}s")
    }
}

fn regular_ed(w: &str) -> String {
    if w.ends_with('e') {
        format!("{w}d")
    } else if ends_consonant_y(w) {
        format!("{}ied", &w[..w.len() - 1])
    } else if doubles_final(w) {
        format!("{w}{}ed", &w[w.len() - 1..])
    } else {
        format!("{w}ed")
    }
}

fn regular_ing(w: &str) -> String {
    if let Some(stem) = w.strip_suffix("ie") {
        format!("{stem}ying")
    } else if w.ends_with('e')
        && !w.ends_with("ee")
        && !w.ends_with("ye")
        && !w.ends_with("oe")
        && w.len() > 2
    {
        format!("{}ing", &w[..w.len() - 1])
    } else if doubles_final(w) {
        format!("{w}{}ing", &w[w.len() - 1..])
    } else {
        format!("{w}ing")
    }
}

fn regular_er(w: &str, suffix: &str) -> Option<String> {
    // Only short adjectives take -er/-est; longer ones use "more"/"most".
    let syl = syllables(w);
    if !(syl == 1 || (syl == 2 && (w.ends_with('y') || w.ends_with("le") || w.ends_with("ow")))) {
        return None;
    }
    Some(if w.ends_with('e') {
        format!("{w}{}", &suffix[1..])
    } else if ends_consonant_y(w) {
        format!("{}i{suffix}", &w[..w.len() - 1])
    } else if doubles_final(w) {
        format!("{w}{}{suffix}", &w[w.len() - 1..])
    } else {
        format!("{w}{suffix}")
    })
}

fn regular_ly(w: &str) -> String {
    if w.ends_with("le") && w.len() > 3 {
        format!("{}y", &w[..w.len() - 1])
    } else if ends_consonant_y(w) {
        format!("{}ily", &w[..w.len() - 1])
    } else if w.ends_with("ic") {
        format!("{w}ally")
    } else if w.ends_with("ll") {
        format!("{w}y")
    } else {
        format!("{w}ly")
    }
}

/// Morphy's detachment rules: (suffix, replacement) per part of speech.
fn detach_rules(pos: Pos) -> &'static [(&'static str, &'static str)] {
    match pos {
        Pos::Noun => &[
            ("s", ""),
            ("ses", "s"),
            ("xes", "x"),
            ("zes", "z"),
            ("ches", "ch"),
            ("shes", "sh"),
            ("men", "man"),
            ("ies", "y"),
        ],
        Pos::Verb => &[
            ("s", ""),
            ("ies", "y"),
            ("es", "e"),
            ("es", ""),
            ("ed", "e"),
            ("ed", ""),
            ("ing", "e"),
            ("ing", ""),
            // consonant doubling (morphy relies on the exception list for these)
            ("bbed", "b"),
            ("dded", "d"),
            ("gged", "g"),
            ("mmed", "m"),
            ("nned", "n"),
            ("pped", "p"),
            ("rred", "r"),
            ("tted", "t"),
            ("bbing", "b"),
            ("dding", "d"),
            ("gging", "g"),
            ("mming", "m"),
            ("nning", "n"),
            ("pping", "p"),
            ("rring", "r"),
            ("tting", "t"),
            ("ying", "ie"),
            ("ied", "y"),
        ],
        Pos::Adj => &[
            ("er", ""),
            ("est", ""),
            ("er", "e"),
            ("est", "e"),
            ("ier", "y"),
            ("iest", "y"),
        ],
        Pos::Adv => &[],
    }
}

impl Morphology {
    /// Loads `index.{noun,verb,adj,adv}` and `{noun,verb,adj,adv}.exc` from a WordNet 3.0
    /// `dict` directory.
    pub fn load(wordnet_dir: &Path) -> Result<Morphology, LexiconError> {
        let mut m = Morphology::default();
        for pos in Pos::ALL {
            let path = wordnet_dir.join(format!("index.{}", pos.file_name()));
            let text = read_to_string(&path)?;
            for (i, line) in text.lines().enumerate() {
                if line.starts_with(' ') || line.is_empty() {
                    continue;
                }
                let lemma = line
                    .split(' ')
                    .next()
                    .ok_or_else(|| LexiconError::source(&path, i + 1, "empty index line"))?;
                m.index[pos.idx()].insert(lemma.replace('_', " "));
            }
            let path = wordnet_dir.join(format!("{}.exc", pos.file_name()));
            let text = read_to_string(&path)?;
            for line in text.lines() {
                let mut it = line.split(' ');
                let (Some(infl), rest) = (it.next(), it) else {
                    continue;
                };
                for lemma in rest {
                    if !lemma.is_empty() {
                        m.add_exception(pos, &infl.replace('_', " "), &lemma.replace('_', " "));
                    }
                }
            }
        }
        m.finish();
        Ok(m)
    }

    /// Builds a morphology from explicit lists (for tests and small tools): `index` holds
    /// `(pos, lemma)`, `exceptions` holds `(pos, inflected, lemma)`.
    pub fn from_lists(index: &[(Pos, &str)], exceptions: &[(Pos, &str, &str)]) -> Morphology {
        let mut m = Morphology::default();
        for &(pos, lemma) in index {
            m.index[pos.idx()].insert(lemma.to_string());
        }
        for &(pos, infl, lemma) in exceptions {
            m.add_exception(pos, infl, lemma);
        }
        m.finish();
        m
    }

    fn add_exception(&mut self, pos: Pos, infl: &str, lemma: &str) {
        if infl == lemma {
            return;
        }
        self.exc[pos.idx()]
            .entry(infl.to_string())
            .or_default()
            .push(lemma.to_string());
        self.irregular[pos.idx()]
            .entry(lemma.to_string())
            .or_default()
            .push(infl.to_string());
    }

    fn finish(&mut self) {
        for map in &mut self.irregular {
            for v in map.values_mut() {
                v.sort();
                v.dedup();
            }
        }
    }

    /// True when `lemma` (spaces between words) is in WordNet's index for `pos`.
    pub fn is_lemma(&self, lemma: &str, pos: Pos) -> bool {
        self.index[pos.idx()].contains(lemma)
    }

    /// Parts of speech under which `lemma` is in the index.
    pub fn pos_of(&self, lemma: &str) -> Vec<Pos> {
        Pos::ALL
            .into_iter()
            .filter(|&p| self.is_lemma(lemma, p))
            .collect()
    }

    /// Parts of speech of a dictionary entry as a bit mask (`1 << pos as u8`): WordNet's when it
    /// is a lemma; for an unknown phrase, noun when its last word is a noun and verb when its
    /// first word is a verb; 0 when nothing is known.
    pub fn pos_mask(&self, entry: &str) -> u8 {
        let mut mask = 0u8;
        for p in self.pos_of(entry) {
            mask |= 1 << p as u8;
        }
        if mask == 0 && entry.contains(' ') {
            let words: Vec<&str> = entry.split(' ').collect();
            if words.last().is_some_and(|l| self.is_lemma(l, Pos::Noun)) {
                mask |= 1 << Pos::Noun as u8;
            }
            if self.is_lemma(words[0], Pos::Verb) {
                mask |= 1 << Pos::Verb as u8;
            }
        }
        mask
    }

    /// All lemmas of a part of speech (unordered).
    pub fn lemmas(&self, pos: Pos) -> impl Iterator<Item = &str> {
        self.index[pos.idx()].iter().map(|s| s.as_str())
    }

    /// Irregular forms of a single-word verb classified as (3sg, past, past participle, -ing).
    fn irregular_verb(&self, lemma: &str, form: Form) -> Option<String> {
        let forms = self.irregular[Pos::Verb.idx()].get(lemma)?;
        let mut ing = Vec::new();
        let mut s3 = Vec::new();
        let mut past = Vec::new();
        for f in forms {
            if f.ends_with("ing") && !lemma.ends_with("ing") {
                ing.push(f);
            } else if f.ends_with('s')
                && !f.ends_with("ss")
                && f.as_bytes().first() == lemma.as_bytes().first()
                && f.len() <= lemma.len() + 2
            {
                s3.push(f);
            } else {
                past.push(f);
            }
        }
        let pick = |v: &Vec<&String>| v.first().map(|s| s.to_string());
        match form {
            Form::Ing => pick(&ing),
            Form::ThirdSg => pick(&s3),
            Form::Past | Form::PastPart => {
                if past.len() <= 1 {
                    return pick(&past);
                }
                // Two or more forms: the participle ends in -n (given, taken, gone) or has
                // `u` where the simple past has `a` (began/begun, sang/sung).
                let n_rule = |f: &str| f.ends_with('n') || f.ends_with("ne");
                let n_count = past.iter().filter(|f| n_rule(f)).count();
                let use_n = n_count > 0 && n_count < past.len();
                let is_pp = |f: &str| {
                    (use_n && n_rule(f))
                        || past.iter().any(|g| {
                            g.len() == f.len()
                                && g.bytes().zip(f.bytes()).filter(|(a, b)| a != b).count() == 1
                                && g.bytes()
                                    .zip(f.bytes())
                                    .any(|(a, b)| a == b'a' && b == b'u')
                        })
                };
                let pps: Vec<&String> = past.iter().copied().filter(|f| is_pp(f)).collect();
                let pasts: Vec<&String> = past.iter().copied().filter(|f| !is_pp(f)).collect();
                match form {
                    Form::PastPart if !pps.is_empty() => pick(&pps),
                    Form::Past if !pasts.is_empty() => pick(&pasts),
                    _ => pick(&past),
                }
            }
            _ => None,
        }
    }

    fn irregular_adj(&self, lemma: &str, form: Form) -> Option<String> {
        let forms = self.irregular[Pos::Adj.idx()].get(lemma)?;
        let suffix = if form == Form::Superlative {
            "est"
        } else {
            "er"
        };
        forms
            .iter()
            .find(|f| f.ends_with(suffix))
            .cloned()
            .or_else(|| {
                // suppletive forms (better, best, worse, worst)
                forms
                    .iter()
                    .find(|f| (form == Form::Superlative) == f.ends_with('t'))
                    .cloned()
            })
    }

    fn inflect_word(&self, w: &str, pos: Pos, form: Form) -> Option<String> {
        if w.is_empty()
            || !w
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'\'')
        {
            return if form == Form::Base {
                Some(w.to_string())
            } else {
                None
            };
        }
        match (pos, form) {
            (_, Form::Base) => Some(w.to_string()),
            (Pos::Noun, Form::Plural) => Some(
                self.irregular[Pos::Noun.idx()]
                    .get(w)
                    .and_then(|v| v.first().cloned())
                    .unwrap_or_else(|| regular_s(w)),
            ),
            (Pos::Verb, Form::ThirdSg) => {
                if w == "be" {
                    return Some("is".into());
                }
                Some(self.irregular_verb(w, form).unwrap_or_else(|| {
                    let b = w.as_bytes();
                    if b.len() >= 2 && b[b.len() - 1] == b'o' && !is_vowel(b[b.len() - 2]) {
                        format!("{w}es")
                    } else {
                        regular_s(w)
                    }
                }))
            }
            (Pos::Verb, Form::Past | Form::PastPart) => {
                if w == "be" {
                    return Some(if form == Form::Past { "was" } else { "been" }.into());
                }
                Some(
                    self.irregular_verb(w, form)
                        .unwrap_or_else(|| regular_ed(w)),
                )
            }
            (Pos::Verb, Form::Ing) => Some(
                self.irregular_verb(w, form)
                    .unwrap_or_else(|| regular_ing(w)),
            ),
            (Pos::Adj, Form::Comparative) => {
                self.irregular_adj(w, form).or_else(|| regular_er(w, "er"))
            }
            (Pos::Adj, Form::Superlative) => {
                self.irregular_adj(w, form).or_else(|| regular_er(w, "est"))
            }
            (Pos::Adj, Form::Ly) => {
                let ly = regular_ly(w);
                self.is_lemma(&ly, Pos::Adv).then_some(ly)
            }
            _ => None,
        }
    }

    /// Inflects `lemma` (one word or several joined by spaces) to `form` as a `pos`.
    ///
    /// Returns `None` when the form does not apply (a noun has no past tense, a long
    /// adjective has no `-er` comparative, an adjective's `-ly` adverb is not in WordNet, a
    /// multi-word adjective has no comparative).
    pub fn inflect(&self, lemma: &str, pos: Pos, form: Form) -> Option<String> {
        if form == Form::Base {
            return Some(lemma.to_string());
        }
        if !lemma.contains(' ') {
            return self.inflect_word(lemma, pos, form);
        }
        let words: Vec<&str> = lemma.split(' ').collect();
        match pos {
            Pos::Noun => {
                let (last, init) = words.split_last()?;
                let head = self.inflect_word(last, pos, form)?;
                Some(format!("{} {head}", init.join(" ")))
            }
            Pos::Verb => {
                let (first, rest) = words.split_first()?;
                let head = self.inflect_word(first, pos, form)?;
                Some(format!("{head} {}", rest.join(" ")))
            }
            _ => None,
        }
    }

    /// Lemma candidates of a single word for `pos`: exceptions plus detachment rules whose
    /// result is in the index.
    fn lemma_candidates(&self, w: &str, pos: Pos) -> Vec<String> {
        let mut out: Vec<String> = self.exc[pos.idx()].get(w).cloned().unwrap_or_default();
        for &(suf, rep) in detach_rules(pos) {
            if let Some(stem) = w.strip_suffix(suf) {
                if stem.is_empty() {
                    continue;
                }
                let cand = format!("{stem}{rep}");
                if cand != w && self.is_lemma(&cand, pos) && !out.contains(&cand) {
                    out.push(cand);
                }
            }
        }
        if pos == Pos::Adj {
            // -ly adverbs back to their adjective
            for (suf, rep) in [
                ("ly", ""),
                ("ily", "y"),
                ("ally", ""),
                ("ly", "le"),
                ("y", ""),
            ] {
                if let Some(stem) = w.strip_suffix(suf) {
                    let cand = format!("{stem}{rep}");
                    if !stem.is_empty() && self.is_lemma(&cand, Pos::Adj) && !out.contains(&cand) {
                        out.push(cand);
                    }
                }
            }
        }
        out
    }

    fn analyse_word(&self, w: &str, out: &mut Vec<Analysis>) {
        for pos in Pos::ALL {
            if self.is_lemma(w, pos) {
                out.push(Analysis {
                    lemma: w.to_string(),
                    pos,
                    form: Form::Base,
                });
            }
            for lemma in self.lemma_candidates(w, pos) {
                for &form in pos.forms() {
                    if self.inflect_word(&lemma, pos, form).as_deref() == Some(w) {
                        out.push(Analysis {
                            lemma: lemma.clone(),
                            pos,
                            form,
                        });
                    }
                }
                // An exception form our classifier did not reproduce (e.g. a doublet such as
                // `learnt`): still a valid reading; guess the form from its ending.
                if !out.iter().any(|a| a.lemma == lemma && a.pos == pos)
                    && self.exc[pos.idx()].contains_key(w)
                {
                    let form = match pos {
                        Pos::Noun => Form::Plural,
                        Pos::Verb if w.ends_with("ing") => Form::Ing,
                        Pos::Verb if w.ends_with('s') => Form::ThirdSg,
                        Pos::Verb => Form::Past,
                        Pos::Adj if w.ends_with("st") => Form::Superlative,
                        Pos::Adj => Form::Comparative,
                        Pos::Adv => continue,
                    };
                    out.push(Analysis { lemma, pos, form });
                }
            }
        }
    }

    /// All readings of a word or phrase, base readings first.
    ///
    /// A single word is analysed with the exception lists and detachment rules; only lemmas in
    /// WordNet's index are returned. A phrase is read as a base form when it is in the index,
    /// as a noun form when its last word is an inflected noun, and as a verb form when its first
    /// word is an inflected verb (the phrase with its head lemmatised is returned even when the
    /// phrase itself is not in WordNet, so callers can check it against their own dictionary).
    pub fn lemmatize(&self, word: &str) -> Vec<Analysis> {
        let mut out = Vec::new();
        if !word.contains(' ') {
            self.analyse_word(word, &mut out);
        } else {
            for pos in Pos::ALL {
                if self.is_lemma(word, pos) {
                    out.push(Analysis {
                        lemma: word.to_string(),
                        pos,
                        form: Form::Base,
                    });
                }
            }
            let words: Vec<&str> = word.split(' ').collect();
            let mut heads = Vec::new();
            if let Some((last, init)) = words.split_last() {
                self.analyse_word(last, &mut heads);
                for a in heads.drain(..) {
                    if a.pos == Pos::Noun && a.form == Form::Plural {
                        out.push(Analysis {
                            lemma: format!("{} {}", init.join(" "), a.lemma),
                            ..a
                        });
                    }
                }
            }
            if let Some((first, rest)) = words.split_first() {
                self.analyse_word(first, &mut heads);
                for a in heads.drain(..) {
                    if a.pos == Pos::Verb && a.form != Form::Base {
                        out.push(Analysis {
                            lemma: format!("{} {}", a.lemma, rest.join(" ")),
                            ..a
                        });
                    }
                }
            }
        }
        out.sort_by_key(|a| a.form != Form::Base);
        let mut seen = HashSet::new();
        out.retain(|a| seen.insert(a.clone()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Morphology {
        Morphology::from_lists(
            &[
                (Pos::Noun, "point"),
                (Pos::Noun, "good point"),
                (Pos::Noun, "box"),
                (Pos::Noun, "city"),
                (Pos::Noun, "child"),
                (Pos::Noun, "church"),
                (Pos::Noun, "key"),
                (Pos::Noun, "run"),
                (Pos::Verb, "run"),
                (Pos::Verb, "set up"),
                (Pos::Verb, "set"),
                (Pos::Verb, "walk"),
                (Pos::Verb, "make"),
                (Pos::Verb, "stop"),
                (Pos::Verb, "try"),
                (Pos::Verb, "give"),
                (Pos::Verb, "begin"),
                (Pos::Verb, "die"),
                (Pos::Verb, "visit"),
                (Pos::Verb, "see"),
                (Pos::Verb, "go"),
                (Pos::Verb, "have"),
                (Pos::Adj, "big"),
                (Pos::Adj, "good"),
                (Pos::Adj, "happy"),
                (Pos::Adj, "quick"),
                (Pos::Adj, "large"),
                (Pos::Adj, "beautiful"),
                (Pos::Adj, "simple"),
                (Pos::Adv, "quickly"),
                (Pos::Adv, "happily"),
                (Pos::Adv, "simply"),
            ],
            &[
                (Pos::Noun, "children", "child"),
                (Pos::Verb, "ran", "run"),
                (Pos::Verb, "running", "run"),
                (Pos::Verb, "made", "make"),
                (Pos::Verb, "gave", "give"),
                (Pos::Verb, "given", "give"),
                (Pos::Verb, "began", "begin"),
                (Pos::Verb, "begun", "begin"),
                (Pos::Verb, "beginning", "begin"),
                (Pos::Verb, "dying", "die"),
                (Pos::Verb, "went", "go"),
                (Pos::Verb, "gone", "go"),
                (Pos::Verb, "had", "have"),
                (Pos::Verb, "has", "have"),
                (Pos::Verb, "saw", "see"),
                (Pos::Verb, "seen", "see"),
                (Pos::Verb, "set", "set"),
                (Pos::Adj, "bigger", "big"),
                (Pos::Adj, "biggest", "big"),
                (Pos::Adj, "better", "good"),
                (Pos::Adj, "best", "good"),
            ],
        )
    }

    #[test]
    fn inflection_table() {
        let m = m();
        use Form::*;
        use Pos::*;
        let table: &[(&str, Pos, Form, Option<&str>)] = &[
            ("point", Noun, Plural, Some("points")),
            ("good point", Noun, Plural, Some("good points")),
            ("box", Noun, Plural, Some("boxes")),
            ("church", Noun, Plural, Some("churches")),
            ("city", Noun, Plural, Some("cities")),
            ("key", Noun, Plural, Some("keys")),
            ("child", Noun, Plural, Some("children")),
            ("set up", Verb, ThirdSg, Some("sets up")),
            ("set up", Verb, Ing, Some("setting up")),
            ("walk", Verb, ThirdSg, Some("walks")),
            ("walk", Verb, Past, Some("walked")),
            ("walk", Verb, PastPart, Some("walked")),
            ("walk", Verb, Ing, Some("walking")),
            ("try", Verb, ThirdSg, Some("tries")),
            ("try", Verb, Past, Some("tried")),
            ("try", Verb, Ing, Some("trying")),
            ("stop", Verb, Past, Some("stopped")),
            ("stop", Verb, Ing, Some("stopping")),
            ("visit", Verb, Past, Some("visited")),
            ("make", Verb, Past, Some("made")),
            ("make", Verb, Ing, Some("making")),
            ("give", Verb, Past, Some("gave")),
            ("give", Verb, PastPart, Some("given")),
            ("begin", Verb, Past, Some("began")),
            ("begin", Verb, PastPart, Some("begun")),
            ("begin", Verb, Ing, Some("beginning")),
            ("go", Verb, Past, Some("went")),
            ("go", Verb, PastPart, Some("gone")),
            ("go", Verb, ThirdSg, Some("goes")),
            ("have", Verb, ThirdSg, Some("has")),
            ("have", Verb, Past, Some("had")),
            ("see", Verb, Ing, Some("seeing")),
            ("die", Verb, Ing, Some("dying")),
            ("big", Adj, Comparative, Some("bigger")),
            ("big", Adj, Superlative, Some("biggest")),
            ("good", Adj, Comparative, Some("better")),
            ("good", Adj, Superlative, Some("best")),
            ("happy", Adj, Comparative, Some("happier")),
            ("happy", Adj, Superlative, Some("happiest")),
            ("large", Adj, Comparative, Some("larger")),
            ("quick", Adj, Superlative, Some("quickest")),
            ("beautiful", Adj, Comparative, None),
            ("quick", Adj, Ly, Some("quickly")),
            ("happy", Adj, Ly, Some("happily")),
            ("simple", Adj, Ly, Some("simply")),
            ("large", Adj, Ly, None),
            ("point", Noun, Past, None),
        ];
        for &(lemma, pos, form, want) in table {
            assert_eq!(
                m.inflect(lemma, pos, form).as_deref(),
                want,
                "{lemma} {pos:?} {form:?}"
            );
        }
    }

    #[test]
    fn lemmatize_table() {
        let m = m();
        let has = |w: &str, lemma: &str, pos: Pos, form: Form| {
            let a = m.lemmatize(w);
            assert!(
                a.contains(&Analysis {
                    lemma: lemma.into(),
                    pos,
                    form
                }),
                "{w}: wanted {lemma} {pos:?} {form:?}, got {a:?}"
            );
        };
        has("points", "point", Pos::Noun, Form::Plural);
        has("cities", "city", Pos::Noun, Form::Plural);
        has("boxes", "box", Pos::Noun, Form::Plural);
        has("children", "child", Pos::Noun, Form::Plural);
        has("ran", "run", Pos::Verb, Form::Past);
        has("running", "run", Pos::Verb, Form::Ing);
        has("runs", "run", Pos::Verb, Form::ThirdSg);
        has("runs", "run", Pos::Noun, Form::Plural);
        has("walked", "walk", Pos::Verb, Form::Past);
        has("walked", "walk", Pos::Verb, Form::PastPart);
        has("tried", "try", Pos::Verb, Form::Past);
        has("stopped", "stop", Pos::Verb, Form::Past);
        has("given", "give", Pos::Verb, Form::PastPart);
        has("better", "good", Pos::Adj, Form::Comparative);
        has("happiest", "happy", Pos::Adj, Form::Superlative);
        has("quickly", "quick", Pos::Adj, Form::Ly);
        has("quickly", "quickly", Pos::Adv, Form::Base);
        has("good points", "good point", Pos::Noun, Form::Plural);
        has("sets up", "set up", Pos::Verb, Form::ThirdSg);
        // rules only yield real lemmas
        assert!(m.lemmatize("boxs").is_empty());
        assert!(m.lemmatize("walkeds").is_empty());
        assert!(
            !m.lemmatize("happiness")
                .iter()
                .any(|a| a.lemma == "happines")
        );
        // base readings come first
        assert_eq!(m.lemmatize("run")[0].form, Form::Base);
    }

    #[test]
    fn inflect_then_lemmatize_round_trips() {
        let m = m();
        for pos in Pos::ALL {
            let lemmas: Vec<String> = m.lemmas(pos).map(str::to_string).collect();
            for lemma in lemmas {
                for &form in pos.forms() {
                    if let Some(w) = m.inflect(&lemma, pos, form) {
                        let a = m.lemmatize(&w);
                        assert!(
                            a.iter().any(|a| a.lemma == lemma && a.pos == pos),
                            "{lemma} {pos:?} {form:?} -> {w} -> {a:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn syllable_counts() {
        assert_eq!(syllables("big"), 1);
        assert_eq!(syllables("happy"), 2);
        assert_eq!(syllables("large"), 1);
        assert_eq!(syllables("beautiful"), 3);
        assert_eq!(syllables("simple"), 2);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(w in "[a-z' -]{0,12}") {
            let m = m();
            let _ = m.lemmatize(&w);
            for pos in Pos::ALL {
                for &f in pos.forms() {
                    let _ = m.inflect(&w, pos, f);
                }
            }
        }
    }
}
