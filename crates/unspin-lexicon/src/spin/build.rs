//! Writing dictionaries for [`DictSpinner`](super::DictSpinner), as commercial spinners'
//! dictionaries are made.
//!
//! - [`from_mythes`]: a thesaurus in the MyThes format (LibreOffice's English thesaurus,
//!   Debian `mythes-en-us`, which unspin's lexicon does not use): for every entry, the first
//!   synonym of each of its first senses, whatever the sense or part of speech, one to three
//!   of them, re-inflected into a line per inflected form.
//! - [`everyday_phrases`]: frequent two- and three-word phrases of a sample text that hold a
//!   function word, each with a substitute made the way spinners' phrase lines read: a word of
//!   the phrase swapped by its dictionary alternative, a function word swapped, or an article
//!   dropped; plus [`FUNCTION_LINES`], function words and connectives one way and the other
//!   (one word into two and two into one).
//! - [`from_tortured`]: the word and phrase pairs of tortured-phrase rows (a real spinner's
//!   dictionary), reversed into `original|spun` lines.
//!
//! [`write()`] orders the lines as the tools do (longer entries first) and writes them.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use unspin_text::{TokenKind, normalize, tokenize};

use super::SplitMix;
use crate::error::LexiconError;
use crate::morph::{Form, Morphology, Pos};
use crate::sources::{TorturedRow, norm_entry};

/// One dictionary line: an entry and its alternatives (lower case).
pub type DictLine = (String, Vec<String>);

/// Function words and connectives as a commercial spinner's dictionary swaps them, written
/// for this spinner (independently of the model's `function-words.sets`): one word into two,
/// two into one, and closed-class words into each other.
pub const FUNCTION_LINES: &str = "\
therefore|due to this fact|for that reason|thus
however|nonetheless|nevertheless|but
because|as a result of|since|due to the fact that
also|additionally|moreover|as well
always|at all times|all the time|consistently
before|earlier than|prior to|previous to
after|after that|following|subsequent to
but|however|nevertheless|however
may|could|might|can
might|may|could
can|could|may be able to
will|will certainly|shall|will definitely
would|might|could
should|must|ought to|need to
must|have to|need to|should
both|each|the two
each|every|each and every
many|numerous|a lot of|plenty of
some|several|a few|certain
most|the majority of|many of the
more|extra|further|additional
against|towards|in opposition to|versus
since|because|as|considering that
about|regarding|concerning|approximately|round
around|about|round|close to
during|throughout|in the course of|all through
through|via|by means of|by way of
within|inside|inside of|in
among|amongst|amid|between
near|close to|near to|close by
under|beneath|below|underneath
often|usually|typically|regularly|continuously
usually|typically|normally|often
now|at present|presently|right now|currently
then|subsequently|afterward|after that
later|afterward|in a while|subsequently
still|nonetheless|nevertheless|even so
yet|however|nonetheless|but
while|whereas|whilst|although
although|though|even though|whereas
if|in case|supplied that|assuming that
whether|if|whether or not
very|extremely|really|highly|quite
just|simply|merely|only
only|solely|merely|simply
almost|practically|nearly|virtually
so|so that|therefore|thus
how to|how you can|tips on how to|the way to
in order to|so as to|to|with a view to
as well as|in addition to|and also|together with
a lot of|plenty of|many|loads of
a number of|a variety of|numerous|several
in addition|moreover|furthermore|additionally
as a result|consequently|because of this|in consequence
for example|for instance|as an example|similar to
such as|like|similar to|akin to
at least|no less than|at the least|not less than
at the same time|concurrently|simultaneously|on the same time
in the past|previously|prior to now|up to now
one of the|one of many|among the|considered one of the
the majority of|most of|many of
be able to|have the ability to|be capable of|manage to
is able to|is ready to|can|is capable of
in fact|in reality|truly|actually
of course|in fact|naturally|after all
each other|one another|every other
even though|although|regardless that|even if
due to|because of|on account of|owing to
according to|in accordance with|in line with|based on
so that|in order that|so|in order to
rather than|instead of|somewhat than|not
as well|too|additionally|also
";

/// Function words of [`FUNCTION_LINES`] and articles: the words an everyday phrase holds.
static FUNCTION_WORDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        const EXTRA: &[&str] = &[
            "the", "a", "an", "of", "to", "in", "on", "for", "with", "by", "at", "from", "as",
            "is", "are", "was", "were", "be", "been", "it", "this", "that", "these", "those",
            "and", "or", "has", "have", "had", "their", "its", "his", "her", "they", "which",
            "who", "into",
        ];
        let heads = FUNCTION_LINES.lines().filter_map(|l| l.split('|').next());
        EXTRA.iter().copied().chain(heads).collect()
    });

fn is_function_word(w: &str) -> bool {
    FUNCTION_WORDS.contains(w)
}

/// Parses `entry|alt|…` text (such as [`FUNCTION_LINES`]) into lines.
pub fn parse_lines(text: &str) -> Vec<DictLine> {
    text.lines()
        .filter_map(|l| {
            let mut p = l.split('|').map(norm_entry);
            let entry = p.next()?;
            let alts: Vec<String> = p.filter(|a| !a.is_empty() && *a != entry).collect();
            (!entry.is_empty() && !alts.is_empty()).then_some((entry, alts))
        })
        .collect()
}

/// One MyThes sense: its part of speech and its terms with their annotations.
struct Sense {
    pos: Option<Pos>,
    terms: Vec<(String, &'static str)>,
}

fn parse_sense(line: &str) -> Sense {
    let mut parts = line.split('|');
    let pos = match parts.next().unwrap_or("") {
        "(noun)" => Some(Pos::Noun),
        "(verb)" => Some(Pos::Verb),
        "(adj)" => Some(Pos::Adj),
        "(adv)" => Some(Pos::Adv),
        _ => None,
    };
    let terms = parts
        .map(|t| {
            for (tag, kind) in [
                (" (generic term)", "generic"),
                (" (similar term)", "similar"),
                (" (related term)", "related"),
                (" (antonym)", "antonym"),
            ] {
                if let Some(s) = t.strip_suffix(tag) {
                    return (s.to_string(), kind);
                }
            }
            (t.to_string(), "")
        })
        .collect();
    Sense { pos, terms }
}

/// A term a spinner's dictionary would hold: lower-case words and spaces, hyphens or
/// apostrophes only (no names, no digits).
fn plain_term(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '-' || c == '\'')
}

/// Dictionary lines from MyThes text (see the module docs). `max_alts` (1–3 typical) caps the
/// alternatives per entry; each entry keeps a seeded count of one to `max_alts`.
pub fn from_mythes(text: &str, morph: &Morphology, seed: u64, max_alts: usize) -> Vec<DictLine> {
    let mut rng = SplitMix(seed ^ 0x6d79_7468);
    let mut out = Vec::new();
    let mut lines = text.lines().skip(1);
    while let Some(head) = lines.next() {
        let Some((entry, n)) = head.rsplit_once('|') else {
            continue;
        };
        let n: usize = n.trim().parse().unwrap_or(0);
        let senses: Vec<Sense> = (&mut lines).take(n).map(parse_sense).collect();
        let entry = entry.trim();
        if !plain_term(entry) || entry.split(' ').count() > 4 {
            continue;
        }
        // the first usable term of each sense, in sense order: a synonym where the sense has
        // one, else a similar or more general term; never an antonym or a related term
        let mut alts: Vec<(String, Option<Pos>)> = Vec::new();
        for s in &senses {
            let pick = |kinds: &[&str]| {
                s.terms
                    .iter()
                    .find(|(t, k)| kinds.contains(k) && plain_term(t) && t != entry)
                    .map(|(t, _)| t.clone())
            };
            if let Some(t) = pick(&[""]).or_else(|| pick(&["similar", "generic"]))
                && !alts.iter().any(|(a, _)| *a == t)
            {
                alts.push((t, s.pos));
            }
        }
        let keep = 1 + rng.below(max_alts.max(1));
        alts.truncate(keep);
        if alts.is_empty() {
            continue;
        }
        out.push((
            entry.to_string(),
            alts.iter().map(|(a, _)| a.clone()).collect(),
        ));
        push_inflected(&mut out, morph, entry, &alts);
    }
    out
}

/// Lines for the inflected forms of a one-word entry: each alternative inflected alike where
/// it can be (as the entry's part of speech, which a blind spinner assumes for all of them).
fn push_inflected(
    out: &mut Vec<DictLine>,
    morph: &Morphology,
    entry: &str,
    alts: &[(String, Option<Pos>)],
) {
    if entry.contains(' ') {
        return;
    }
    for pos in morph.pos_of(entry) {
        for &form in pos.forms() {
            if form == Form::Base || form == Form::Ly {
                continue;
            }
            let Some(word) = morph.inflect(entry, pos, form) else {
                continue;
            };
            if word == entry {
                continue;
            }
            let forms: Vec<String> = alts
                .iter()
                .filter(|(a, _)| morph.is_lemma(a, pos) || morph.pos_of(a).is_empty())
                .filter_map(|(a, _)| morph.inflect(a, pos, form))
                .collect();
            if !forms.is_empty() {
                out.push((word, forms));
            }
        }
    }
}

/// Everyday phrases of `texts` and [`FUNCTION_LINES`] (see the module docs): the `max`
/// commonest two- and three-word phrases seen at least `min_count` times that hold a function
/// word, each given one or two substitutes.
pub fn everyday_phrases(
    texts: &[&str],
    words: &[DictLine],
    seed: u64,
    max: usize,
    min_count: usize,
) -> Vec<DictLine> {
    let mut rng = SplitMix(seed ^ 0x7068_7261);
    let function = parse_lines(FUNCTION_LINES);
    let fw: HashMap<&str, &[String]> = function
        .iter()
        .filter(|(e, _)| !e.contains(' '))
        .map(|(e, a)| (e.as_str(), a.as_slice()))
        .collect();
    let word_alts: HashMap<&str, &[String]> = words
        .iter()
        .filter(|(e, _)| !e.contains(' '))
        .map(|(e, a)| (e.as_str(), a.as_slice()))
        .collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in texts {
        let toks = tokenize(text);
        let w: Vec<String> = toks
            .iter()
            .map(|t| match t.kind {
                TokenKind::Word if t.text(text).chars().all(|c| c.is_lowercase()) => {
                    normalize(t.text(text))
                }
                _ => String::new(),
            })
            .collect();
        for n in 2..=3 {
            for g in w.windows(n) {
                if g.iter().all(|x| !x.is_empty()) && g.iter().any(|x| is_function_word(x)) {
                    *counts.entry(g.join(" ")).or_default() += 1;
                }
            }
        }
    }
    let mut common: Vec<(String, usize)> = counts
        .into_iter()
        .filter(|(_, c)| *c >= min_count)
        .collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = function.clone();
    for (phrase, _) in common.into_iter().take(max) {
        let ws: Vec<&str> = phrase.split(' ').collect();
        let mut alts = Vec::new();
        for _ in 0..1 + rng.below(2) {
            if let Some(a) = phrase_variant(&ws, &fw, &word_alts, &mut rng)
                && a != phrase
                && !alts.contains(&a)
            {
                alts.push(a);
            }
        }
        if !alts.is_empty() {
            out.push((phrase, alts));
        }
    }
    out
}

/// One substitute of an everyday phrase: a content word swapped for its dictionary
/// alternative, a function word for another, or an article dropped.
fn phrase_variant(
    ws: &[&str],
    fw: &HashMap<&str, &[String]>,
    word_alts: &HashMap<&str, &[String]>,
    rng: &mut SplitMix,
) -> Option<String> {
    let mut choices: Vec<(usize, String)> = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let table = if is_function_word(w) { fw } else { word_alts };
        if let Some(alts) = table.get(w) {
            choices.push((i, alts[rng.below(alts.len())].clone()));
        }
        if ws.len() == 3 && i > 0 && matches!(*w, "the" | "a" | "an") {
            choices.push((i, String::new()));
        }
    }
    let (i, with) = choices.get(rng.below(choices.len()))?.clone();
    let mut v: Vec<&str> = ws.to_vec();
    v[i] = &with;
    Some(
        v.into_iter()
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Dictionary lines from tortured-phrase rows: each established term with its tortured forms
/// (the most frequent first, at most `max_alts`), and the word pairs of rows whose two sides
/// have as many words (the words that differ, weighted by the rows' paper counts).
pub fn from_tortured(rows: &[TorturedRow], max_alts: usize) -> Vec<DictLine> {
    let mut phrases: HashMap<&str, Vec<(&str, u64)>> = HashMap::new();
    let mut words: HashMap<String, HashMap<String, u64>> = HashMap::new();
    for r in rows {
        let (ne, nt) = (r.expected.split(' ').count(), r.tortured.split(' ').count());
        // acronym expansions (`me` for maximum entropy) and run-on rows are no dictionary line
        if (ne == 1 && r.expected.len() < 3) || nt > ne + 2 {
            continue;
        }
        phrases
            .entry(r.expected.as_str())
            .or_default()
            .push((r.tortured.as_str(), r.papers as u64));
        let (e, t): (Vec<&str>, Vec<&str>) = (
            r.expected.split(' ').collect(),
            r.tortured.split(' ').collect(),
        );
        if e.len() != t.len() || e.len() < 2 {
            continue;
        }
        for (a, b) in e.iter().zip(&t) {
            if a != b && a.len() >= 3 && !is_function_word(a) && plain_term(a) && plain_term(b) {
                *words
                    .entry(a.to_string())
                    .or_default()
                    .entry(b.to_string())
                    .or_default() += r.papers.max(1) as u64;
            }
        }
    }
    let top = |mut v: Vec<(String, u64)>| {
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter()
            .take(max_alts.max(1))
            .map(|(s, _)| s)
            .collect::<Vec<_>>()
    };
    let mut out: Vec<DictLine> = phrases
        .into_iter()
        .filter(|(e, _)| {
            plain_term(e) && e.split(' ').count() <= super::dictionary::MAX_ENTRY_WORDS
        })
        .map(|(e, v)| {
            let v = v.into_iter().map(|(s, n)| (s.to_string(), n)).collect();
            (e.to_string(), top(v))
        })
        .collect();
    out.extend(
        words
            .into_iter()
            .map(|(e, m)| (e, top(m.into_iter().collect()))),
    );
    out
}

/// Writes lines as `entry|alt|alt`, longer entries first (they claim their words before the
/// shorter ones inside them), then alphabetically; a repeated entry keeps its first line.
pub fn write(lines: &[DictLine], path: &Path) -> Result<usize, LexiconError> {
    let mut order: Vec<&DictLine> = lines.iter().filter(|(_, a)| !a.is_empty()).collect();
    order.sort_by(|a, b| {
        b.0.split(' ')
            .count()
            .cmp(&a.0.split(' ').count())
            .then_with(|| a.0.cmp(&b.0))
    });
    order.dedup_by(|a, b| a.0 == b.0);
    let mut buf = Vec::new();
    for (e, alts) in &order {
        writeln!(buf, "{e}|{}", alts.join("|")).map_err(|e| LexiconError::io(path, e))?;
    }
    std::fs::write(path, buf).map_err(|e| LexiconError::io(path, e))?;
    Ok(order.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MYTHES: &str = "UTF-8\n\
        say|2\n\
        (noun)|opportunity (generic term)|chance (generic term)\n\
        (verb)|state|tell|express (generic term)\n\
        high|2\n\
        (adj)|advanced (similar term)|low (antonym)\n\
        (adj)|eminent|superior (similar term)\n\
        Paris|1\n\
        (noun)|City of Light|capital (generic term)\n";

    fn morph() -> Morphology {
        Morphology::from_lists(
            &[
                (Pos::Verb, "say"),
                (Pos::Noun, "say"),
                (Pos::Verb, "state"),
                (Pos::Noun, "opportunity"),
                (Pos::Adj, "high"),
            ],
            &[(Pos::Verb, "said", "say")],
        )
    }

    #[test]
    fn mythes_takes_each_senses_first_term_blind_to_pos() {
        let lines = from_mythes(MYTHES, &morph(), 1, 3);
        let get = |e: &str| lines.iter().find(|(x, _)| x == e).map(|(_, a)| a.clone());
        let say = get("say").unwrap();
        // the noun sense's general term comes first, then the verb sense's synonym
        assert_eq!(say[0], "opportunity");
        assert!(say.len() == 1 || say[1] == "state", "{say:?}");
        assert_eq!(get("high").unwrap()[0], "advanced");
        assert!(get("paris").is_none(), "names are not entries");
        // inflected line: said -> stated (the verb form of the entry; "opportunity" has none)
        if say.len() > 1 {
            assert_eq!(get("said").unwrap(), vec!["stated".to_string()]);
        }
    }

    #[test]
    fn tortured_rows_give_phrase_and_word_lines() {
        let row = |t: &str, e: &str, p| TorturedRow {
            tortured: t.into(),
            expected: e.into(),
            papers: p,
        };
        let rows = [
            row("counterfeit consciousness", "artificial intelligence", 10),
            row("fake intelligence", "artificial intelligence", 2),
            row("profound learning", "deep learning", 5),
        ];
        let lines = from_tortured(&rows, 3);
        let get = |e: &str| lines.iter().find(|(x, _)| x == e).map(|(_, a)| a.clone());
        assert_eq!(
            get("artificial intelligence").unwrap(),
            ["counterfeit consciousness", "fake intelligence"]
        );
        assert_eq!(get("artificial").unwrap(), ["counterfeit", "fake"]);
        assert_eq!(get("deep").unwrap(), ["profound"]);
        assert_eq!(get("intelligence").unwrap(), ["consciousness"]);
    }

    #[test]
    fn everyday_phrases_vary_one_part() {
        let words = vec![("result".to_string(), vec!["outcome".to_string()])];
        let text = "the result of the vote. the result of it. the result of that.";
        let lines = everyday_phrases(&[text], &words, 3, 10, 3);
        let (_, alts) = lines.iter().find(|(e, _)| e == "the result of").unwrap();
        for a in alts {
            assert_ne!(a, "the result of");
            // one word swapped or one article dropped: two or three words remain
            let n = a.split(' ').count();
            assert!((2..=3).contains(&n), "{a}");
        }
        assert!(lines.iter().any(|(e, _)| e == "therefore"));
    }

    #[test]
    fn written_longest_first_and_read_back() {
        let dir = std::env::temp_dir().join(format!("unspin-dict-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("d.txt");
        let lines = vec![
            ("said".to_string(), vec!["stated".to_string()]),
            (
                "the result of".to_string(),
                vec!["the outcome of".to_string()],
            ),
            ("said".to_string(), vec!["told".to_string()]),
        ];
        assert_eq!(write(&lines, &p).unwrap(), 2);
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "the result of|the outcome of\nsaid|stated\n");
        assert_eq!(super::super::DictSpinner::from_file(&p).unwrap().len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
