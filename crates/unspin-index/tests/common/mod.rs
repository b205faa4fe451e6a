//! Synthetic documents and a spinner for integration tests (no corpus needed).
#![allow(dead_code)]

use std::collections::HashMap;
use unspin_lexicon::spin::{Spinner, SplitMix as Rng};

/// Vocabulary of real English words: content words from a fixed list (all known to the
/// thesauri) plus function words.
pub const CONTENT: &[&str] = &[
    "village",
    "river",
    "council",
    "harvest",
    "engine",
    "market",
    "bridge",
    "museum",
    "forest",
    "signal",
    "teacher",
    "garden",
    "winter",
    "battle",
    "letter",
    "island",
    "doctor",
    "castle",
    "painting",
    "railway",
    "library",
    "mountain",
    "festival",
    "soldier",
    "factory",
    "church",
    "harbor",
    "contract",
    "pressure",
    "season",
    "ancient",
    "quiet",
    "rapid",
    "heavy",
    "bright",
    "narrow",
    "famous",
    "modern",
    "strange",
    "gentle",
    "build",
    "carry",
    "discover",
    "explain",
    "follow",
    "gather",
    "improve",
    "launch",
    "measure",
    "protect",
    "study",
    "travel",
    "visit",
    "wander",
    "write",
    "destroy",
    "celebrate",
    "collect",
    "design",
    "defend",
    "large",
    "small",
    "quickly",
    "often",
    "early",
    "later",
    "strong",
    "weak",
    "poor",
    "rich",
];
const FUNCTION: &[&str] = &[
    "the", "of", "and", "in", "to", "a", "was", "with", "for", "on", "by", "that",
];

/// A pseudo-article: `n` words with names and numbers mixed in, sentences of 12–20 words,
/// paragraphs of about 60 words.
pub fn article(seed: u64, n: usize) -> String {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9) + 1);
    let mut out = String::new();
    let mut in_sentence = 0;
    let mut sent_len = 12 + r.below(9);
    let mut in_para = 0;
    for _ in 0..n {
        let roll = r.below(100);
        let w: String = if roll < 8 {
            // a name
            let syl = [
                "Kor", "Mal", "Ves", "Tar", "Quin", "Bel", "Dros", "Hal", "Zen", "Or", "Pim",
                "Sul", "Rak", "Ny", "Fel", "Gor", "Ith", "Lom", "Brun", "Cae",
            ];
            format!(
                "{}{}{}{}",
                syl[r.below(20)],
                syl[r.below(20)].to_lowercase(),
                syl[r.below(20)].to_lowercase(),
                ["a", "o", "in", "us", ""][r.below(5)]
            )
        } else if roll < 12 {
            format!("{}", 1800 + r.below(220))
        } else if roll < 45 {
            FUNCTION[r.below(FUNCTION.len())].to_string()
        } else {
            CONTENT[r.below(CONTENT.len())].to_string()
        };
        if in_sentence == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push_str(&w);
        }
        in_sentence += 1;
        in_para += 1;
        if in_sentence >= sent_len {
            out.push('.');
            in_sentence = 0;
            sent_len = 12 + r.below(9);
            if in_para >= 60 {
                out.push('\n');
                in_para = 0;
                continue;
            }
        }
        out.push(' ');
    }
    out.trim().to_string()
}

/// A spinner over [`CONTENT`]: each word gets two synonyms from the thesaurus-like pairs
/// below and one unrelated word (so not every swap keeps the synonym class).
pub fn spinner() -> Spinner {
    let pairs: &[(&str, &[&str])] = &[
        ("village", &["hamlet", "town", "settlement"]),
        ("river", &["stream", "waterway", "creek"]),
        ("council", &["assembly", "board", "committee"]),
        ("harvest", &["crop", "yield", "reaping"]),
        ("engine", &["motor", "machine", "turbine"]),
        ("market", &["bazaar", "mart", "fair"]),
        ("ancient", &["old", "antique", "bygone"]),
        ("quiet", &["silent", "calm", "hushed"]),
        ("rapid", &["fast", "swift", "speedy"]),
        ("build", &["construct", "erect", "make"]),
        ("carry", &["bear", "convey", "transport"]),
        ("discover", &["find", "uncover", "detect"]),
        ("explain", &["clarify", "describe", "account for"]),
        ("follow", &["pursue", "trail", "come after"]),
        ("large", &["big", "huge", "great"]),
        ("small", &["little", "tiny", "minor"]),
        ("quickly", &["fast", "swiftly", "in no time"]),
        ("often", &["frequently", "repeatedly", "many times"]),
        ("strong", &["powerful", "sturdy", "robust"]),
        ("famous", &["renowned", "celebrated", "well known"]),
        ("battle", &["fight", "combat", "clash"]),
        ("teacher", &["instructor", "tutor", "educator"]),
        ("bridge", &["span", "viaduct", "overpass"]),
        ("forest", &["wood", "woodland", "timberland"]),
        ("protect", &["guard", "shield", "defend"]),
        ("improve", &["better", "enhance", "upgrade"]),
        ("travel", &["journey", "voyage", "tour"]),
        ("gather", &["collect", "assemble", "amass"]),
    ];
    Spinner::from_entries(pairs)
}

/// Index of test corpus: `n` articles of `words` words each, ids `doc-{i}`.
pub fn corpus(n: usize, words: usize) -> HashMap<String, String> {
    (0..n)
        .map(|i| (format!("doc-{i}"), article(i as u64, words)))
        .collect()
}
