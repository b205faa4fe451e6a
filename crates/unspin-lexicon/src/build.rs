//! Building the compiled lexicon: the channel model.
//!
//! # The channel model
//!
//! A spinner that replaces an original `X` looks `X` up in its dictionary and picks one entry
//! `Y`. We do not know the spinner's dictionary, so `s(Y|X)` is a mixture over the
//! dictionaries `d` that have an entry for `X`, each equally likely:
//!
//! ```text
//! s(Y|X) = Σ_{d ∋ X} (1/|D(X)|) · q_d(Y|X)
//! q_d(Y|X) = b_d(Y|X) · e(X,Y) / Σ_{Y'} b_d(Y'|X) · e(X,Y')
//! ```
//!
//! with the base choice probabilities `b_d`:
//!
//! * **Moby**: uniform over `X`'s list, `1/|syn(X)|`.
//! * **WordNet**: pick a sense with probability `(c_i+1)/Σ(c_j+1)` (SemCor tag counts), then
//!   a lemma of that synset uniformly; parts of speech are mixed by their total tag mass.
//! * **Learned**: relative frequency of `X → Y` among the substitutions aligned from the
//!   tortured-phrases CSV (word by word for equal-length phrases, plus the whole phrase).
//! * **Number**: number words ↔ digits, uniform over the spellings.
//!
//! and the evidence factor `e(X,Y)` sharpening the distribution toward pairs that other
//! signals support. Every candidate pair falls in one of seven categories by three signals
//! (X's Moby list has Y; Y's Moby list has X; X and Y share a WordNet synset), and
//! `e(X,Y) = P(category | real substitution) / P(category | any candidate pair)`, the likelihood
//! ratio measured on the substitutions learned from the tortured phrases versus all candidate
//! pairs, with add-one smoothing, then tempered: `e^γ` with `γ = 0.5`
//! ([`BuildOptions::evidence_weight`]).
//! The ratios are measured on one spinner family (the generator of the tortured phrases);
//! trusted fully (`γ = 1`) they over-penalise pairs that only one thesaurus lists, which other
//! spinners use freely. γ was chosen on the development sets (Moby and WordNet spinners, every
//! 4th word: restoration F1 +0.018 / +0.002 against γ = 1, same false alarms on the calibration
//! set, same held-out tortured-phrase results). Optionally (`moby_reverse`, off by default
//! because the extra pairs cost more candidate budget than they recover) Moby's reverse
//! listings (Y lists X but not the other way) enter the Moby dictionary of X through the same
//! factor, as for a spinner whose synonym dictionary is symmetric.
//!
//! Pairs carry through inflection: when `X` and `Y` share a part of speech, every inflected form
//! pair (`plural X`, `plural Y`), (`past X`, `past Y`), … gets the same `s`.
//!
//! # Pruning
//!
//! Originals are restricted to the `vocab_size` most frequent corpus words and to phrases seen at
//! least `min_phrase_count` times. For each observed key the candidates are ranked by
//! `ln s(Y|X) + ln P(X)` and the best `top_k` kept; when the file would exceed `max_bytes`,
//! candidates are dropped until it fits, in the order given by [`Prune`]. The default,
//! [`Prune::Joint`], keeps the pairs with the highest joint probability `P(X)·s(Y|X)` of being
//! a spin event over all keys: the expected fraction of spin events whose original is among the
//! candidates is the sum of the kept joints, so this order maximises expected candidate recall
//! per stored pair (measured: it beats per-key rank and posterior-share pruning on all three
//! evaluations).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::LexiconError;
use crate::format::{self, KeyEntry};
use crate::morph::{Morphology, Pos};
use crate::sources::{Moby, TorturedRow, WordNet};
use crate::{LEARNED, MOBY, NUMBER, WORDNET, corpus, numbers, sources};

/// Which forward dictionary [`write_spinner_dict`] exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictSource {
    /// Moby Thesaurus II (no parts of speech).
    Moby,
    /// WordNet 3.0 synsets (one line per lemma and part of speech).
    WordNet,
}

/// A deterministic hold-out split of the tortured CSV (for measuring generalisation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holdout {
    /// Fraction of rows held out from learning.
    pub fraction: f64,
    /// Seed of the split.
    pub seed: u64,
}

/// Inputs and limits of a build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Moby Thesaurus II text (`root,syn,…`).
    pub moby: PathBuf,
    /// WordNet 3.0 `dict` directory.
    pub wordnet_dir: PathBuf,
    /// Tortured-phrases CSV (`tortured,expected,papers,query_guard`).
    pub tortured_csv: Option<PathBuf>,
    /// JSON-lines corpus for frequencies (`.zst` or plain).
    pub corpus: PathBuf,
    /// Where to cache corpus counts between builds (None: no cache).
    pub counts_cache: Option<PathBuf>,
    /// Only read this many corpus documents (None: all).
    pub max_docs: Option<usize>,
    /// Number of most frequent corpus words allowed as originals.
    pub vocab_size: usize,
    /// Minimum corpus count of a multi-word original.
    pub min_phrase_count: u64,
    /// Most candidates kept per observed key (≤ 255).
    pub top_k: usize,
    /// Longest observed key, in words (≤ 4 recommended).
    pub max_key_words: usize,
    /// Size limit of the compiled file in bytes.
    pub max_bytes: usize,
    /// Hold part of the CSV out of learning.
    pub holdout: Option<Holdout>,
    /// Which candidates size pruning drops first.
    pub prune: Prune,
    /// Let Moby's reverse listings (Y lists X) propose X → Y too, as a spinner with a
    /// symmetric synonym dictionary would.
    pub moby_reverse: bool,
    /// Exponent of the prior in the ranking score `ln s(Y|X) + prior_weight · ln P(X)`
    /// (1 = posterior).
    pub prior_weight: f64,
    /// Exponent of the evidence factor: `e(X,Y)^evidence_weight` (1 = the measured
    /// likelihood ratio, 0 = no sharpening: every dictionary entry as likely as its
    /// dictionary makes it).
    pub evidence_weight: f64,
    /// Weight of WordNet's more general and similar terms (`WordNet::related_terms`) in
    /// its dictionary, against its synonyms' 1 (0: synonyms only). 0.3 was chosen on the dev
    /// suite (`scripts/eval-suite.sh`, macro mean): one-word candidate recall on
    /// dictionary-spun text 0.73 → 0.78, at 0.71 instead of 0.69 false alarms per 1k words on
    /// the calibration set (BENCHMARKS.md).
    pub related_weight: f64,
    /// Evidence factor of a pair that neither Moby lists (either way) nor WordNet holds in one
    /// synset: only WordNet's more general or similar terms propose it (*in* → *successful*,
    /// what a sense-blind spinner takes from a thesaurus's first lines). 1 (the default) is
    /// neutral: no measured likelihood ratio exists for such pairs, since the tortured pairs
    /// that measure the others are counted only where a dictionary lists them. 0 drops them
    /// (the behaviour before 2026-12-03, when the unset ratio was read as 0). On the dev suite
    /// 0 → 1 took one-word candidate recall on dictionary-spun text 0.77 → 0.88, phrase
    /// recall 0.61 → 0.80, the macro restoration F1 0.526 → 0.562 (BENCHMARKS.md).
    pub unlisted_evidence: f64,
}

impl BuildOptions {
    /// Default inputs relative to the workspace root: `data/sources/moby.txt`,
    /// `data/sources/wordnet`, `../shared/lexicons/tortured_phrases_train.csv`,
    /// `../shared/corpora/enwiki2015.jsonl.zst`, counts cached in `data/cache/`.
    pub fn with_root(root: &Path) -> BuildOptions {
        BuildOptions {
            moby: root.join("data/sources/moby.txt"),
            wordnet_dir: root.join("data/sources/wordnet"),
            tortured_csv: Some(root.join("../shared/lexicons/tortured_phrases_train.csv")),
            corpus: root.join("../shared/corpora/enwiki2015.jsonl.zst"),
            counts_cache: Some(root.join("data/cache/lexicon-counts-enwiki2015.tsv.zst")),
            max_docs: None,
            vocab_size: 100_000,
            min_phrase_count: 3,
            top_k: 32,
            max_key_words: 4,
            max_bytes: 10_000_000,
            holdout: None,
            prune: Prune::Joint,
            prior_weight: 1.0,
            evidence_weight: 0.5,
            moby_reverse: false,
            related_weight: 0.3,
            unlisted_evidence: 1.0,
        }
    }
}

/// What a build produced.
#[derive(Debug, Clone, Default)]
pub struct BuildStats {
    /// Observed keys in the file.
    pub keys: usize,
    /// (key, original) pairs in the file.
    pub pairs: usize,
    /// Pairs in the file that each source contributed to (a pair can have several).
    pub pairs_moby: usize,
    /// See `pairs_moby`.
    pub pairs_wordnet: usize,
    /// See `pairs_moby`.
    pub pairs_learned: usize,
    /// See `pairs_moby`.
    pub pairs_number: usize,
    /// Distinct originals.
    pub originals: usize,
    /// Pairs before pruning to top-k and size.
    pub pairs_before_pruning: usize,
    /// File size in bytes.
    pub bytes: usize,
    /// Learned word/phrase substitution pairs (before inflection).
    pub learned_pairs: usize,
    /// Known terms written next to the lexicon ([`TERMS_FILE`]).
    pub terms: usize,
    /// Estimated evidence likelihood ratio per pair category (bit 1: X's Moby list has Y;
    /// bit 2: Y's Moby list has X; bit 4: X and Y share a WordNet synset).
    pub evidence_lr: [f64; 8],
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Splits the CSV rows deterministically: (rows for learning, held-out rows).
pub fn holdout_split(rows: &[TorturedRow], h: Holdout) -> (Vec<TorturedRow>, Vec<TorturedRow>) {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for r in rows {
        // splitmix64 of (seed, FNV-1a of the phrase)
        let mut x = h.seed
            ^ r.tortured.bytes().fold(0xcbf29ce484222325u64, |a, b| {
                (a ^ b as u64).wrapping_mul(0x100000001b3)
            });
        x = x.wrapping_add(0x9e3779b97f4a7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
        x ^= x >> 31;
        if ((x >> 11) as f64 / (1u64 << 53) as f64) < h.fraction {
            test.push(r.clone());
        } else {
            train.push(r.clone());
        }
    }
    (train, test)
}

/// String interner.
#[derive(Default)]
struct Interner {
    map: HashMap<String, u32>,
    strs: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.strs.len() as u32;
        self.map.insert(s.to_string(), i);
        self.strs.push(s.to_string());
        i
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }
}

/// The lookup key of a dictionary entry: as the decoder builds keys from text (tokenised,
/// punctuation such as hyphens dropped, normalised, single spaces). Borrowed when unchanged.
pub fn key_of(entry: &str) -> std::borrow::Cow<'_, str> {
    if entry
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ')
        && !entry.starts_with(' ')
        && !entry.ends_with(' ')
        && !entry.contains("  ")
    {
        std::borrow::Cow::Borrowed(entry)
    } else {
        std::borrow::Cow::Owned(sources::phrase_key(entry))
    }
}

/// Shared parts of speech of a substitution pair (mask). When one single-word side is unknown
/// to WordNet, the pair is assumed to share the other side's parts of speech.
fn shared_pos(m: &Morphology, x: &str, y: &str) -> u8 {
    let (mx, my) = (m.pos_mask(x), m.pos_mask(y));
    match (mx, my) {
        (0, _) if !x.contains(' ') => my,
        (_, 0) if !y.contains(' ') => mx,
        _ => mx & my,
    }
}

/// Learned substitutions: original lemma → (observed lemma → (count, pos mask)).
type Learned = HashMap<String, HashMap<String, (f64, u8)>>;

/// Aligns tortured/expected rows into substitution pairs (word by word when the lengths are
/// equal, plus the whole phrase), reduced to lemmas when both sides are the same form.
pub fn learn_pairs(
    m: &Morphology,
    rows: &[TorturedRow],
    max_words: usize,
) -> Vec<(String, String, u8)> {
    let mut out = Vec::new();
    let mut add = |x: &str, y: &str| {
        if x == y || x.is_empty() || y.is_empty() {
            return;
        }
        // same inflection on both sides → lemma pair with that part of speech
        let ax = m.lemmatize(x);
        let ay = m.lemmatize(y);
        let mut mask = 0u8;
        let mut lemmas: Option<(String, String)> = None;
        for a in &ax {
            for b in &ay {
                if a.pos == b.pos && a.form == b.form {
                    if lemmas.is_none() {
                        lemmas = Some((a.lemma.clone(), b.lemma.clone()));
                    }
                    if lemmas
                        .as_ref()
                        .is_some_and(|(lx, ly)| *lx == a.lemma && *ly == b.lemma)
                    {
                        mask |= 1 << a.pos as u8;
                    }
                }
            }
        }
        match lemmas {
            Some((lx, ly)) if lx != ly => out.push((lx, ly, mask)),
            _ => out.push((x.to_string(), y.to_string(), 0)),
        }
    };
    for r in rows {
        let t: Vec<&str> = r.tortured.split(' ').collect();
        let e: Vec<&str> = r.expected.split(' ').collect();
        if t.len() <= max_words && e.len() <= max_words {
            add(&r.expected, &r.tortured);
        }
        if t.len() == e.len() && t.len() > 1 {
            for (x, y) in e.iter().zip(&t) {
                add(x, y);
            }
        }
    }
    out
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LexiconError> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| LexiconError::io(dir, e))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| LexiconError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| LexiconError::io(path, e))
}

/// Estimates the likelihood ratio (present, absent) of a binary signal from counts among true
/// pairs (`k1` of `n1`) and among all pairs (`k0` of `n0`), with add-one smoothing.
pub fn likelihood_ratio(k1: usize, n1: usize, k0: usize, n0: usize) -> (f64, f64) {
    let p1 = (k1 as f64 + 1.0) / (n1 as f64 + 2.0);
    let p0 = (k0 as f64 + 1.0) / (n0 as f64 + 2.0);
    (p1 / p0, (1.0 - p1) / (1.0 - p0))
}

/// One dictionary's weighted list for an original: (source flag, [(observed id, weight, pos mask)]).
type DictList = (u8, Vec<(u32, f64, u8)>);
/// Ranked candidates of one key: (original id, ln s, sources, ln s + ln P(X)).
type Ranked = (String, Vec<(u32, f32, u8, f64)>);

/// One lemma-level channel entry.
#[derive(Clone, Copy)]
struct Pair {
    y: u32,
    s: f64,
    src: u8,
    pos: u8,
}

/// Combines per-dictionary weight lists into `s(Y|X)` (see the module docs).
fn mix(dicts: &[DictList]) -> Vec<Pair> {
    let present: Vec<&DictList> = dicts
        .iter()
        .filter(|d| d.1.iter().any(|e| e.1 > 0.0))
        .collect();
    let pi = 1.0 / present.len().max(1) as f64;
    let mut out: Vec<Pair> = Vec::new();
    let mut at: HashMap<u32, usize> = HashMap::new();
    for (src, list) in present {
        let total: f64 = list.iter().map(|e| e.1).sum();
        for &(y, w, pos) in list {
            if w <= 0.0 {
                continue;
            }
            let s = pi * w / total;
            match at.get(&y) {
                Some(&i) => {
                    out[i].s += s;
                    out[i].src |= src;
                    out[i].pos |= pos;
                }
                None => {
                    at.insert(y, out.len());
                    out.push(Pair {
                        y,
                        s,
                        src: *src,
                        pos,
                    });
                }
            }
        }
    }
    out
}

/// Builds the compiled lexicon into `out` (written atomically), reporting progress.
pub fn build(
    opts: &BuildOptions,
    out: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildStats, LexiconError> {
    let t0 = std::time::Instant::now();
    let mut stats = BuildStats::default();
    if opts.top_k == 0 || opts.top_k > format::MAX_PER_KEY {
        return Err(LexiconError::Build(format!(
            "top_k must be 1..={}",
            format::MAX_PER_KEY
        )));
    }
    progress("loading WordNet");
    let morph = Morphology::load(&opts.wordnet_dir)?;
    let wn = WordNet::load(&opts.wordnet_dir)?;
    progress("loading Moby");
    let moby = Moby::load(&opts.moby)?;
    let mut rows = match &opts.tortured_csv {
        Some(p) => sources::load_tortured(p)?,
        None => Vec::new(),
    };
    if let Some(h) = opts.holdout {
        rows = holdout_split(&rows, h).0;
    }
    let learned_list = learn_pairs(&morph, &rows, opts.max_key_words);
    stats.learned_pairs = learned_list.len();
    let mut learned: Learned = HashMap::new();
    for (x, y, mask) in &learned_list {
        let e = learned
            .entry(x.clone())
            .or_default()
            .entry(y.clone())
            .or_insert((0.0, 0));
        e.0 += 1.0;
        e.1 |= mask;
    }
    let mut number: HashMap<String, Vec<String>> = HashMap::new();
    for (w, d) in numbers::pairs() {
        number.entry(w.clone()).or_default().push(d.clone());
        number.entry(d).or_default().push(w);
    }

    // ---- intern everything, Moby pair set for the mutual-listing signal
    let mut int = Interner::default();
    let mut moby_pairs: HashSet<(u32, u32)> = HashSet::new();
    let mut moby_ids: HashMap<u32, Vec<u32>> = HashMap::new();
    for (root, list) in &moby.lists {
        let r = int.id(root);
        let ids: Vec<u32> = list.iter().map(|s| int.id(s)).collect();
        for &y in &ids {
            moby_pairs.insert((r, y));
        }
        moby_ids.insert(r, ids);
    }
    progress(&format!(
        "Moby: {} roots, {} pairs",
        moby.lists.len(),
        moby_pairs.len()
    ));

    // ---- originals: every lemma any dictionary has an entry for, plus inflected forms
    let mut x_lemmas: Vec<String> = moby.lists.keys().cloned().collect();
    x_lemmas.extend(wn.senses.keys().map(|(l, _)| l.clone()));
    x_lemmas.extend(learned.keys().cloned());
    x_lemmas.extend(number.keys().cloned());
    x_lemmas.sort();
    x_lemmas.dedup();
    let mut wanted_phrases: HashSet<String> = HashSet::new();
    for x in &x_lemmas {
        let mut forms = vec![x.clone()];
        for pos in Pos::ALL {
            if morph.pos_mask(x) & (1 << pos as u8) != 0 {
                forms.extend(pos.forms().iter().filter_map(|&f| morph.inflect(x, pos, f)));
            }
        }
        for f in forms {
            let k = key_of(&f);
            if k.contains(' ') && k.split(' ').count() <= opts.max_key_words {
                wanted_phrases.insert(k.into_owned());
            }
        }
    }
    progress(&format!(
        "counting corpus ({} phrases wanted)",
        wanted_phrases.len()
    ));
    let counts = corpus::count(
        &opts.corpus,
        &wanted_phrases,
        opts.max_docs,
        opts.counts_cache.as_deref(),
        progress,
    )?;
    let mut by_freq: Vec<(&String, &u64)> = counts.words.iter().collect();
    by_freq.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let vocab: HashMap<&str, u64> = by_freq
        .iter()
        .take(opts.vocab_size)
        .map(|(w, c)| (w.as_str(), **c))
        .collect();
    let total = counts.total.max(1) as f64;
    let count_of = |x: &str| -> u64 {
        let x = key_of(x);
        if x.contains(' ') {
            let c = counts.get(&x);
            if c >= opts.min_phrase_count { c } else { 0 }
        } else {
            vocab.get(x.as_ref()).copied().unwrap_or(0)
        }
    };
    progress(&format!(
        "corpus: {} words, vocabulary {}",
        counts.total,
        vocab.len()
    ));

    // ---- Moby's reverse listings: Y lists X but X does not list Y
    let mut moby_rev: HashMap<u32, Vec<u32>> = HashMap::new();
    if opts.moby_reverse {
        for (&r, ids) in &moby_ids {
            for &y in ids {
                if !moby_pairs.contains(&(y, r)) {
                    moby_rev.entry(y).or_default().push(r);
                }
            }
        }
        for v in moby_rev.values_mut() {
            v.sort_unstable();
        }
    }

    // ---- evidence likelihood ratios: candidate pairs (Moby either way, or WordNet mates) by
    // category, among the learned (real) substitutions versus among all candidate pairs
    let synset_mates = |x: &str| -> HashSet<&str> {
        let mut s = HashSet::new();
        for pos in Pos::ALL {
            if let Some(senses) = wn.senses.get(&(x.to_string(), pos)) {
                for &(id, _) in senses {
                    for w in &wn.synsets[id as usize] {
                        s.insert(w.as_str());
                    }
                }
            }
        }
        s
    };
    let category = |xi: u32, yi: u32, mate: bool| -> usize {
        usize::from(moby_pairs.contains(&(xi, yi)))
            | usize::from(moby_pairs.contains(&(yi, xi))) << 1
            | usize::from(mate) << 2
    };
    {
        let mut k0 = [0usize; 8];
        for x in &x_lemmas {
            let Some(xi) = int.get(x) else { continue };
            let mates = synset_mates(x);
            let mut ys: HashSet<u32> = HashSet::new();
            ys.extend(moby_ids.get(&xi).into_iter().flatten());
            ys.extend(moby_rev.get(&xi).into_iter().flatten());
            ys.extend(
                mates
                    .iter()
                    .filter(|m| **m != x.as_str())
                    .filter_map(|m| int.get(m)),
            );
            for yi in ys {
                k0[category(xi, yi, mates.contains(int.strs[yi as usize].as_str()))] += 1;
            }
        }
        let mut k1 = [0usize; 8];
        for (x, ys) in &learned {
            let Some(xi) = int.get(x) else { continue };
            let mates = synset_mates(x);
            for y in ys.keys() {
                let Some(yi) = int.get(y) else { continue };
                let c = category(xi, yi, mates.contains(y.as_str()));
                let reverse_ok = opts.moby_reverse || c & 1 != 0;
                if c != 0 && (reverse_ok || c & 4 != 0) {
                    k1[c] += 1;
                }
            }
        }
        let (n0, n1) = (k0.iter().sum::<usize>(), k1.iter().sum::<usize>());
        for c in 1..8 {
            // a category without candidate pairs never occurs: neutral
            stats.evidence_lr[c] = if k0[c] == 0 {
                1.0
            } else {
                likelihood_ratio(k1[c], n1, k0[c], n0).0
            };
        }
        progress(&format!(
            "evidence (category: real/all → LR; bit 1 X lists Y, 2 Y lists X, 4 WordNet mates): {}",
            (1..8)
                .map(|c| format!("{c}: {}/{} → {:.2}", k1[c], k0[c], stats.evidence_lr[c]))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    stats.evidence_lr[0] = opts.unlisted_evidence;
    let lr = stats.evidence_lr.map(|x| x.powf(opts.evidence_weight));

    // ---- lemma-level channel and inflection expansion
    progress("channel model");
    let mut emitted: HashMap<(u32, u32), (f32, u8)> = HashMap::new();
    let mut x_ids: Vec<u32> = Vec::new();
    for x in &x_lemmas {
        x_ids.push(int.id(x));
    }
    let emit = |emitted: &mut HashMap<(u32, u32), (f32, u8)>, y: u32, x: u32, ln: f32, src: u8| {
        let e = emitted.entry((y, x)).or_insert((f32::NEG_INFINITY, 0));
        if ln > e.0 {
            e.0 = ln;
        }
        e.1 |= src;
    };
    let max_words = opts.max_key_words;
    let words_ok = |s: &str| !s.is_empty() && s.split(' ').count() <= max_words;
    for (n, x) in x_lemmas.iter().enumerate() {
        let xi = x_ids[n];
        let mates = synset_mates(x);
        let evidence = |yi: u32, y: &str| -> f64 { lr[category(xi, yi, mates.contains(y))] };
        let mut dicts: Vec<DictList> = Vec::new();
        let forward = moby.lists.get(x).map(|l| l.as_slice()).unwrap_or_default();
        let reverse = moby_rev.get(&xi).map(|l| l.as_slice()).unwrap_or_default();
        if !forward.is_empty() || !reverse.is_empty() {
            let mut v = Vec::with_capacity(forward.len() + reverse.len());
            for y in forward {
                let yi = int.id(y);
                v.push((yi, evidence(yi, y), shared_pos(&morph, x, y)));
            }
            for &yi in reverse {
                let y = int.strs[yi as usize].as_str();
                v.push((yi, evidence(yi, y), shared_pos(&morph, x, y)));
            }
            dicts.push((MOBY, v));
        }
        let pos_total: f64 = Pos::ALL.iter().map(|&p| wn.pos_weight(x, p)).sum();
        if pos_total > 0.0 {
            let mut v = Vec::new();
            for p in Pos::ALL {
                let pw = wn.pos_weight(x, p) / pos_total;
                for (y, q) in wn.synonyms(x, p) {
                    let yi = int.id(&y);
                    v.push((yi, pw * q * evidence(yi, &y), 1u8 << p as u8));
                }
                if opts.related_weight > 0.0 {
                    for (y, q) in wn.related_terms(x, p) {
                        let yi = int.id(&y);
                        let s = opts.related_weight * pw * q * evidence(yi, &y);
                        v.push((yi, s, 1u8 << p as u8));
                    }
                }
            }
            dicts.push((WORDNET, v));
        }
        if let Some(ys) = learned.get(x) {
            let v = ys
                .iter()
                .map(|(y, &(c, mask))| (int.id(y), c, mask))
                .collect();
            dicts.push((LEARNED, v));
        }
        if let Some(ys) = number.get(x) {
            let v = ys.iter().map(|y| (int.id(y), 1.0, 0u8)).collect();
            dicts.push((NUMBER, v));
        }
        let xk = key_of(x);
        for pair in mix(&dicts) {
            let y = int.strs[pair.y as usize].clone();
            let ln = pair.s.ln() as f32;
            let yk = key_of(&y);
            if count_of(x) > 0 && words_ok(&yk) && yk != xk {
                let yki = int.id(&yk);
                emit(&mut emitted, yki, xi, ln, pair.src);
            }
            for pos in Pos::ALL {
                if pair.pos & (1 << pos as u8) == 0 {
                    continue;
                }
                for &f in pos.forms() {
                    let (Some(xf), Some(yf)) =
                        (morph.inflect(x, pos, f), morph.inflect(&y, pos, f))
                    else {
                        continue;
                    };
                    let yfk = key_of(&yf);
                    if key_of(&xf) == yfk || count_of(&xf) == 0 || !words_ok(&yfk) {
                        continue;
                    }
                    let (yfi, xfi) = (int.id(&yfk), int.id(&xf));
                    emit(&mut emitted, yfi, xfi, ln, pair.src);
                }
            }
        }
        if n % 20000 == 0 {
            progress(&format!(
                "channel: {n}/{} originals, {} pairs",
                x_lemmas.len(),
                emitted.len()
            ));
        }
    }
    stats.pairs_before_pruning = emitted.len();
    progress(&format!(
        "{} (observed, original) pairs before pruning",
        emitted.len()
    ));

    // ---- rank per key by ln s + ln P(X)
    let mut by_key: HashMap<u32, Vec<(u32, f32, u8, f64)>> = HashMap::new();
    for (&(y, x), &(ln, src)) in &emitted {
        let lp = (count_of(&int.strs[x as usize]) as f64 / total).ln();
        by_key
            .entry(y)
            .or_default()
            .push((x, ln, src, ln as f64 + opts.prior_weight * lp));
    }
    drop(emitted);
    let mut keys: Vec<Ranked> = by_key
        .into_iter()
        .map(|(y, mut v)| {
            // ties by the original's text, not its interned id (which follows hash order)
            v.sort_by(|a, b| {
                b.3.total_cmp(&a.3)
                    .then_with(|| int.strs[a.0 as usize].cmp(&int.strs[b.0 as usize]))
            });
            v.truncate(opts.top_k);
            (int.strs[y as usize].clone(), v)
        })
        .collect();
    keys.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    // size pruning: keep a prefix of every key's ranked list; estimate the number of pairs
    // that fits from the bytes per record, then bisect to within 0.5% of the limit
    let total_pairs: usize = keys.iter().map(|(_, v)| v.len()).sum();
    let mut target = total_pairs;
    let (mut lo, mut hi): (Option<usize>, Option<usize>) = (None, None);
    let mut best: Option<(Vec<u8>, usize, Vec<KeyEntry>)> = None;
    for _ in 0..10 {
        if target < keys.len() && opts.prune != Prune::Joint || target == 0 {
            return Err(LexiconError::Build(format!(
                "cannot fit in {} bytes even with one candidate per key",
                opts.max_bytes
            )));
        }
        let lens = if target == total_pairs {
            keys.iter().map(|(_, v)| v.len()).collect()
        } else {
            prefix_lengths(&keys, target, opts.prune)
        };
        let (bytes, originals, entries) =
            serialise(&keys, &int, &lens, &|x| count_of(&int.strs[x as usize]))?;
        let size = bytes.len();
        let cand_bytes = format::Header::parse(&bytes)
            .map_err(|e| LexiconError::Build(format!("own output unreadable: {e}")))?
            .sections[1]
            .1 as f64;
        progress(&format!(
            "{target} of {total_pairs} pairs: {size} bytes (limit {})",
            opts.max_bytes
        ));
        if size <= opts.max_bytes {
            lo = Some(target);
            best = Some((bytes, originals, entries));
            if hi.is_none() || size as f64 >= 0.995 * opts.max_bytes as f64 {
                break;
            }
        } else {
            hi = Some(target);
        }
        target = match (lo, hi) {
            (Some(l), Some(h)) if h - l > 1000 => (l + h) / 2,
            (Some(_), Some(_)) => break,
            _ => {
                let over = size.saturating_sub(opts.max_bytes);
                let per = (cand_bytes / target.max(1) as f64).max(2.0);
                target.saturating_sub((over as f64 / per).ceil() as usize)
            }
        };
    }
    let Some((bytes, originals, entries)) = best else {
        return Err(LexiconError::Build(format!(
            "could not fit in {} bytes",
            opts.max_bytes
        )));
    };
    stats.bytes = bytes.len();
    stats.keys = entries.len();
    stats.originals = originals;
    for (_, list) in &entries {
        stats.pairs += list.len();
        for &(_, _, src) in list {
            stats.pairs_moby += usize::from(src & MOBY != 0);
            stats.pairs_wordnet += usize::from(src & WORDNET != 0);
            stats.pairs_learned += usize::from(src & LEARNED != 0);
            stats.pairs_number += usize::from(src & NUMBER != 0);
        }
    }
    write_atomic(out, &bytes)?;
    let terms = terms_text(&rows);
    stats.terms = terms.lines().filter(|l| !l.starts_with('#')).count();
    write_atomic(&out.with_file_name(TERMS_FILE), terms.as_bytes())?;
    stats.seconds = t0.elapsed().as_secs_f64();
    Ok(stats)
}

/// Name of the known-terms file [`build()`] writes next to the lexicon.
pub const TERMS_FILE: &str = "terms.txt";

/// The known terms: the established multi-word terms that tortured phrases replaced (the
/// `expected` column of the rows learned from), normalised, one per line, sorted.
fn terms_text(rows: &[TorturedRow]) -> String {
    let mut terms: Vec<&str> = rows
        .iter()
        .map(|r| r.expected.as_str())
        .filter(|t| t.split(' ').count() >= 2)
        .collect();
    terms.sort_unstable();
    terms.dedup();
    let mut out = format!(
        "# unspin known terms: {} established multi-word terms that tortured phrases replaced,\n\
         # from the rows of the tortured-phrases list the lexicon learned from. One per line.\n",
        terms.len()
    );
    for t in terms {
        out.push_str(t);
        out.push('\n');
    }
    out
}

fn logsumexp(it: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = it.clone().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + it.map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// How size pruning chooses which candidates to drop (a key's best is always kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prune {
    /// Drop by rank first: every key keeps its best `r` before any key gets an `r+1`-th;
    /// within a rank, higher posterior share `s·P / Σ s·P` first.
    Rank,
    /// Drop the candidates with the lowest posterior share within their key.
    Posterior,
    /// Keep the pairs with the highest joint probability `P(X)·s(Y|X)` of being a spin event,
    /// over all keys (which maximises the expected candidate recall per stored pair); keys can
    /// lose all their candidates and disappear. Learned pairs (seen in real spun text) are
    /// always kept.
    Joint,
}

/// Per-key prefix lengths keeping `n_keep` candidates in total under `by`.
fn prefix_lengths(keys: &[Ranked], n_keep: usize, by: Prune) -> Vec<usize> {
    if by == Prune::Joint {
        let mut items: Vec<(f64, u32, u32)> = Vec::new();
        for (k, (_, v)) in keys.iter().enumerate() {
            for (i, c) in v.iter().enumerate() {
                items.push((c.3, k as u32, i as u32));
            }
        }
        items.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut lens = vec![0usize; keys.len()];
        for &(_, k, _) in items.iter().take(n_keep) {
            lens[k as usize] += 1;
        }
        // substitutions observed in real spun text are kept whatever their estimated joint
        // (the prefix grows to include them, so lists stay best first)
        for (k, (_, v)) in keys.iter().enumerate() {
            if let Some(last) = v.iter().rposition(|c| c.2 & LEARNED != 0) {
                lens[k] = lens[k].max(last + 1);
            }
        }
        return lens;
    }
    let mut items: Vec<(u32, f64, u32)> = Vec::new();
    for (k, (_, v)) in keys.iter().enumerate() {
        let z = logsumexp(v.iter().map(|c| c.3));
        for (i, c) in v.iter().enumerate().skip(1) {
            items.push((i as u32, (c.3 - z).exp(), k as u32));
        }
    }
    match by {
        Prune::Rank => {
            items.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)))
        }
        Prune::Posterior | Prune::Joint => {
            items.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).then(a.2.cmp(&b.2)))
        }
    }
    let mut lens = vec![1usize; keys.len()];
    for &(_, _, k) in items.iter().take(n_keep.saturating_sub(keys.len())) {
        lens[k as usize] += 1;
    }
    lens
}

/// Serialises the first `lens[i]` candidates of every key. Returns (bytes, number of
/// originals, entries).
fn serialise(
    keys: &[Ranked],
    int: &Interner,
    lens: &[usize],
    freq: &dyn Fn(u32) -> u64,
) -> Result<(Vec<u8>, usize, Vec<KeyEntry>), LexiconError> {
    // originals numbered by descending frequency: frequent ones get short varints
    let mut used: Vec<u32> = keys
        .iter()
        .zip(lens)
        .flat_map(|((_, v), &len)| v.iter().take(len).map(|c| c.0))
        .collect();
    used.sort_unstable();
    used.dedup();
    used.sort_by_cached_key(|&x| (std::cmp::Reverse(freq(x)), int.strs[x as usize].clone()));
    let orig_id: HashMap<u32, u32> = used
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, i as u32))
        .collect();
    let originals: Vec<String> = used.iter().map(|&x| int.strs[x as usize].clone()).collect();
    let mut entries: Vec<KeyEntry> = Vec::with_capacity(keys.len());
    for ((k, v), &len) in keys.iter().zip(lens) {
        if len == 0 {
            continue;
        }
        // every original taken here was collected into `used` above
        let list = v
            .iter()
            .take(len)
            .filter_map(|c| Some((*orig_id.get(&c.0)?, c.1, c.2)))
            .collect();
        entries.push((k.clone(), list));
    }
    let bytes = format::write(&entries, &originals)?;
    Ok((bytes, originals.len(), entries))
}

/// Writes a forward dictionary for the evaluation spinner: `root<TAB>syn1|syn2|…[<TAB>pos]`
/// per line, lemma level, sorted. Moby lines have no part of speech; WordNet writes one line per
/// lemma and part of speech (`n`, `v`, `a`, `r`), synonyms in sense order.
pub fn write_spinner_dict(
    source: DictSource,
    moby_or_wordnet: &Path,
    out: &Path,
) -> Result<usize, LexiconError> {
    let mut lines: Vec<String> = Vec::new();
    match source {
        DictSource::Moby => {
            let moby = Moby::load(moby_or_wordnet)?;
            for (root, list) in &moby.lists {
                let syns: Vec<&str> = list
                    .iter()
                    .map(|s| s.as_str())
                    .filter(|s| !s.contains(['|', '\t']))
                    .collect();
                if !syns.is_empty() {
                    lines.push(format!("{root}\t{}", syns.join("|")));
                }
            }
        }
        DictSource::WordNet => {
            let wn = WordNet::load(moby_or_wordnet)?;
            for (lemma, pos) in wn.senses.keys() {
                let mut syns: Vec<(String, f64)> = wn.synonyms(lemma, *pos);
                syns.retain(|(s, _)| !s.contains(['|', '\t']));
                if !syns.is_empty() {
                    let list: Vec<String> = syns.into_iter().map(|s| s.0).collect();
                    lines.push(format!("{lemma}\t{}\t{}", list.join("|"), pos.tag()));
                }
            }
        }
    }
    lines.sort();
    let mut buf = Vec::new();
    for l in &lines {
        writeln!(buf, "{l}").map_err(|e| LexiconError::io(out, e))?;
    }
    write_atomic(out, &buf)?;
    Ok(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::Pos;

    #[test]
    fn mixture_is_normalised() {
        let dicts = vec![
            (MOBY, vec![(1, 1.0, 0), (2, 1.0, 0), (3, 2.0, 0)]),
            (WORDNET, vec![(1, 0.3, 1), (4, 0.7, 1)]),
            (LEARNED, vec![]),
        ];
        let out = mix(&dicts);
        let total: f64 = out.iter().map(|p| p.s).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let p1 = out.iter().find(|p| p.y == 1).unwrap();
        assert!((p1.s - (0.5 * 0.25 + 0.5 * 0.3)).abs() < 1e-12);
        assert_eq!(p1.src, MOBY | WORDNET);
        let p3 = out.iter().find(|p| p.y == 3).unwrap();
        assert!((p3.s - 0.25).abs() < 1e-12);
    }

    #[test]
    fn pruning_orders_keep_prefixes() {
        let keys: Vec<Ranked> = vec![
            (
                "a".into(),
                vec![
                    (0, -1.0, MOBY, -1.0),
                    (1, -1.0, MOBY, -2.0),
                    (2, -1.0, MOBY, -9.0),
                ],
            ),
            (
                "b".into(),
                vec![(0, -1.0, MOBY, -8.0), (1, -1.0, MOBY, -8.5)],
            ),
            ("c".into(), vec![(0, -1.0, MOBY, -3.0)]),
        ];
        // joint: the 3 best joints overall are a0, a1, c0; key b disappears
        assert_eq!(prefix_lengths(&keys, 3, Prune::Joint), vec![2, 0, 1]);
        // a learned pair is kept with the prefix before it
        let mut learned = keys.clone();
        learned[1].1[1].2 = LEARNED;
        assert_eq!(prefix_lengths(&learned, 3, Prune::Joint), vec![2, 2, 1]);
        // rank: every key keeps its best first
        assert_eq!(
            prefix_lengths(&keys, 4, Prune::Rank)
                .iter()
                .filter(|&&l| l >= 1)
                .count(),
            3
        );
        assert_eq!(prefix_lengths(&keys, 6, Prune::Rank), vec![3, 2, 1]);
        assert_eq!(
            prefix_lengths(&keys, 5, Prune::Posterior)
                .iter()
                .sum::<usize>(),
            5
        );
    }

    #[test]
    fn likelihood_ratios_favour_enriched_signals() {
        let (present, absent) = likelihood_ratio(80, 100, 100, 1000);
        assert!(present > 1.0 && absent < 1.0);
        let (present, absent) = likelihood_ratio(10, 100, 100, 1000);
        assert!((present - 1.0).abs() < 0.2 && (absent - 1.0).abs() < 0.1);
    }

    #[test]
    fn learning_aligns_words_and_lemmatises() {
        let m = Morphology::from_lists(
            &[
                (Pos::Noun, "network"),
                (Pos::Noun, "system"),
                (Pos::Adj, "neural"),
                (Pos::Noun, "organization"),
                (Pos::Noun, "intelligence"),
                (Pos::Noun, "consciousness"),
            ],
            &[],
        );
        let rows = vec![
            TorturedRow {
                tortured: "neural systems".into(),
                expected: "neural networks".into(),
                papers: 1,
            },
            TorturedRow {
                tortured: "counterfeit consciousness".into(),
                expected: "artificial intelligence".into(),
                papers: 1,
            },
            TorturedRow {
                tortured: "flag to commotion".into(),
                expected: "signal to noise ratio".into(),
                papers: 1,
            },
        ];
        let pairs = learn_pairs(&m, &rows, 4);
        assert!(
            pairs.contains(&("network".into(), "system".into(), 1 << Pos::Noun as u8)),
            "{pairs:?}"
        );
        assert!(pairs.contains(&(
            "neural network".into(),
            "neural system".into(),
            1 << Pos::Noun as u8
        )));
        assert!(pairs.contains(&("artificial".into(), "counterfeit".into(), 0)));
        assert!(pairs.contains(&(
            "intelligence".into(),
            "consciousness".into(),
            1 << Pos::Noun as u8
        )));
        assert!(pairs.contains(&(
            "signal to noise ratio".into(),
            "flag to commotion".into(),
            0
        )));
        // unequal lengths give no word pairs
        assert!(!pairs.iter().any(|p| p.0 == "signal" || p.0 == "noise"));
    }

    #[test]
    fn holdout_is_deterministic_and_roughly_sized() {
        let rows: Vec<TorturedRow> = (0..2000)
            .map(|i| TorturedRow {
                tortured: format!("t{i}"),
                expected: format!("e{i}"),
                papers: 1,
            })
            .collect();
        let h = Holdout {
            fraction: 0.2,
            seed: 7,
        };
        let (a, b) = holdout_split(&rows, h);
        let (a2, b2) = holdout_split(&rows, h);
        assert_eq!(a, a2);
        assert_eq!(b, b2);
        assert_eq!(a.len() + b.len(), 2000);
        assert!((300..500).contains(&b.len()), "{}", b.len());
    }
}

#[cfg(test)]
mod end_to_end {
    use super::*;
    use crate::{Candidate, Lexicon};

    /// A tiny but complete set of sources: build, open, look up.
    #[test]
    fn builds_a_lexicon_from_small_sources() {
        let dir = std::env::temp_dir().join(format!("unspin-lex-e2e-{}", std::process::id()));
        let wn = dir.join("wordnet");
        std::fs::create_dir_all(&wn).unwrap();
        let w = |name: &str, text: &str| std::fs::write(wn.join(name), text).unwrap();
        w(
            "data.noun",
            "00000001 03 n 02 peril 0 danger 0 000 | x\n00000002 03 n 01 breast 0 000 | x\n\
             00000003 03 n 01 cancer 0 001 @ 00000004 n 0000 | x\n\
             00000004 03 n 01 malady 0 000 | x\n",
        );
        w(
            "index.noun",
            "danger n 1 0 1 0 00000001\nperil n 1 0 1 0 00000001\nbreast n 1 0 1 0 00000002\n\
             cancer n 1 1 @ 1 0 00000003\nmalady n 1 0 1 0 00000004\n",
        );
        for pos in ["verb", "adj", "adv"] {
            w(&format!("data.{pos}"), "");
            w(&format!("index.{pos}"), "");
        }
        for pos in ["noun", "verb", "adj", "adv"] {
            w(&format!("{pos}.exc"), "");
        }
        w("cntlist.rev", "");
        std::fs::write(
            dir.join("moby.txt"),
            "danger,peril,risk,hazard\nbreast,bosom,chest\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("t.csv"),
            "tortured,expected,papers,query_guard\nbosom peril,breast cancer,10,\n",
        )
        .unwrap();
        let text =
            "The dangers of breast cancer are a risk. Two dangers, 2 risks, a danger, cancer.";
        std::fs::write(
            dir.join("c.jsonl"),
            format!("{{\"id\":\"1\",\"title\":\"t\",\"text\":\"{text}\"}}\n"),
        )
        .unwrap();
        let opts = BuildOptions {
            moby: dir.join("moby.txt"),
            wordnet_dir: wn.clone(),
            tortured_csv: Some(dir.join("t.csv")),
            corpus: dir.join("c.jsonl"),
            counts_cache: None,
            max_docs: None,
            vocab_size: 1000,
            min_phrase_count: 1,
            top_k: 8,
            max_key_words: 4,
            max_bytes: 1_000_000,
            holdout: None,
            prune: Prune::Rank,
            prior_weight: 1.0,
            evidence_weight: 1.0,
            moby_reverse: false,
            related_weight: 0.3,
            unlisted_evidence: 1.0,
        };
        let out = dir.join("lex.bin");
        let stats = build(&opts, &out, &mut |_| {}).unwrap();
        assert!(stats.pairs > 0 && stats.bytes as u64 == std::fs::metadata(&out).unwrap().len());
        // Byte-reproducible: ties are broken by text, not by hash order (regression: the
        // shipped lexicon could not be rebuilt byte for byte).
        let again = dir.join("lex-again.bin");
        build(&opts, &again, &mut |_| {}).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
        let lex = Lexicon::open_verified(&out).unwrap();
        let mut c: Vec<Candidate> = Vec::new();
        let has = |lex: &Lexicon, c: &mut Vec<Candidate>, key: &str, orig: &str| {
            lex.candidates(key, c);
            c.iter().any(|x| x.original == orig && x.ln_channel <= 0.0)
        };
        assert!(has(&lex, &mut c, "peril", "danger"));
        // inflection carries through: (dangers, perils) is a noun plural pair
        assert!(has(&lex, &mut c, "perils", "dangers"));
        assert!(has(&lex, &mut c, "hazards", "dangers"));
        // learned from the CSV, word by word and as a phrase
        assert!(has(&lex, &mut c, "bosom", "breast"));
        assert!(has(&lex, &mut c, "peril", "cancer"));
        assert!(has(&lex, &mut c, "bosom peril", "breast cancer"));
        // numbers both ways
        assert!(has(&lex, &mut c, "2", "two"));
        assert!(has(&lex, &mut c, "two", "2"));
        // originals must be corpus words: "hazard" never occurs, so it is nobody's original
        assert!(!has(&lex, &mut c, "danger", "hazard"));
        // a more general term that no dictionary lists as a synonym: proposed at the neutral
        // evidence, dropped at 0 (regression: the unmeasured ratio was read as 0)
        assert!(has(&lex, &mut c, "malady", "cancer"));
        let strict = dir.join("lex-strict.bin");
        let opts0 = BuildOptions {
            unlisted_evidence: 0.0,
            ..opts.clone()
        };
        build(&opts0, &strict, &mut |_| {}).unwrap();
        let lex0 = Lexicon::open_verified(&strict).unwrap();
        assert!(!has(&lex0, &mut c, "malady", "cancer"));
        assert!(has(&lex0, &mut c, "peril", "danger"));
        // Σ_Y s(Y|X) ≤ 1 over the kept Y for X = danger (quantisation tolerance)
        let total: f64 = lex
            .keys()
            .iter()
            .map(|k| {
                lex.candidates(k, &mut c);
                c.iter()
                    .filter(|x| x.original == "danger")
                    .map(|x| (x.ln_channel as f64).exp())
                    .sum::<f64>()
            })
            .sum();
        assert!(total > 0.2 && total <= 1.0 + 0.15, "{total}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
