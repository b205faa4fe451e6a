//! Estimation: counting, interpolated modified Kneser–Ney, count-cutoff pruning.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::binary::{BinaryOptions, write_binary};
use crate::data::{BOS, EOS, NgramData, OrderData, UNK};
use crate::error::LmError;
use crate::text::lm_sentences;

/// Bits per word id in packed n-gram keys.
const BITS: u32 = 21;
/// Largest vocabulary the estimator can pack.
const MAX_VOCAB: usize = (1 << BITS) - 1;
/// Separator between sentences in the token stream.
const SEP: u32 = u32::MAX;

/// Options of [`build_from_corpus`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Model order (1..=6).
    pub order: usize,
    /// Tokens seen fewer times than this in the corpus become `<unk>`.
    pub min_word_count: u64,
    /// Count cutoffs per order, `cutoffs[k-1]` for k-grams: a k-gram (k ≥ 2) whose
    /// adjusted count (raw count for the highest order and for n-grams starting with `<s>`,
    /// continuation count otherwise) is `<=` the cutoff is pruned, unless it is the prefix
    /// or suffix of a kept longer n-gram. Missing entries repeat the last one; `cutoffs[0]`
    /// is ignored (unigrams are never pruned). Empty = no pruning.
    pub cutoffs: Vec<u64>,
    /// Weighted-difference pruning threshold (0 = off): an n-gram of order ≥ 2 that passes
    /// the cutoffs is still pruned when `count · log10(P(w|h) / (γ(h)·P(w|h')))` in the
    /// unpruned model (the training log-likelihood its removal would cost, Seymore &
    /// Rosenfeld 1996) is below this value. Closure and renormalisation are as for cutoffs.
    pub prune_threshold: f64,
    /// Read at most this many documents.
    pub max_docs: Option<usize>,
    /// Layout of the binary model.
    pub binary: BinaryOptions,
    /// Also write the (unquantised) model in ARPA format here.
    pub arpa_out: Option<PathBuf>,
}

impl Default for BuildOptions {
    /// The settings of the shipped default model (`model/en/lm.bin`, from enwiki2015): order
    /// 4, vocabulary of tokens seen at least 5 times (164,494 types), bigrams seen once and
    /// trigrams/4-grams seen at most twice dropped, then weighted-difference pruning at 2.0
    /// (51 MB). Chosen on the dev suite: against pruning at 5.15 (27.6 MB) it lifts macro
    /// restoration F1 from 0.566 to 0.580 at the same speed; at 1.0 with bigram cutoff 1
    /// (96.8 MB) F1 is 0.588 but `check` is 28 % slower.
    fn default() -> Self {
        BuildOptions {
            order: 4,
            min_word_count: 5,
            cutoffs: vec![0, 1, 2, 2],
            prune_threshold: 2.0,
            max_docs: None,
            binary: BinaryOptions::default(),
            arpa_out: None,
        }
    }
}

/// Modified Kneser–Ney discounts of one order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Discounts {
    /// Discount of n-grams with adjusted count 1.
    pub d1: f64,
    /// Discount of n-grams with adjusted count 2.
    pub d2: f64,
    /// Discount of n-grams with adjusted count 3 or more.
    pub d3: f64,
}

impl Discounts {
    fn of(&self, c: u32) -> f64 {
        match c {
            0 => 0.0,
            1 => self.d1,
            2 => self.d2,
            _ => self.d3,
        }
    }
}

/// What a build produced.
#[derive(Debug, Clone, Default)]
pub struct BuildStats {
    /// Documents read.
    pub docs: usize,
    /// Sentences read.
    pub sentences: u64,
    /// Tokens read (without `<s>`/`</s>`).
    pub tokens: u64,
    /// Tokens mapped to `<unk>`.
    pub oov_tokens: u64,
    /// Vocabulary size (with `<unk>`, `<s>`, `</s>`).
    pub vocab_size: usize,
    /// Distinct n-grams per order before pruning.
    pub ngrams_before_pruning: Vec<u64>,
    /// Per order k (index k-1), the number of k-grams whose adjusted count exceeds t, for
    /// t = 0..16 (helps choosing cutoffs).
    pub above_count: Vec<Vec<u64>>,
    /// n-grams per order in the model.
    pub ngrams: Vec<u64>,
    /// Discounts per order.
    pub discounts: Vec<Discounts>,
    /// Size of the binary model in bytes.
    pub file_bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

#[derive(serde::Deserialize)]
struct Doc {
    text: String,
}

/// Token stream of a corpus with a provisional vocabulary.
struct Interned {
    words: Vec<String>,
    counts: Vec<u64>,
    stream: Vec<u32>,
    sentences: u64,
    docs: usize,
}

impl Interned {
    fn new() -> Self {
        Interned {
            words: Vec::new(),
            counts: Vec::new(),
            stream: Vec::new(),
            sentences: 0,
            docs: 0,
        }
    }
    fn add(&mut self, map: &mut HashMap<String, u32>, sentences: Vec<Vec<String>>) {
        for s in sentences {
            for w in s {
                let id = match map.get(&w) {
                    Some(&id) => id,
                    None => {
                        let id = self.words.len() as u32;
                        self.words.push(w.clone());
                        self.counts.push(0);
                        map.insert(w, id);
                        id
                    }
                };
                self.counts[id as usize] += 1;
                self.stream.push(id);
            }
            self.stream.push(SEP);
            self.sentences += 1;
        }
    }
}

fn read_corpus(
    corpus: &Path,
    max_docs: Option<usize>,
    progress: &mut dyn FnMut(&str),
) -> Result<Interned, LmError> {
    let file = std::fs::File::open(corpus).map_err(|e| LmError::io(corpus, e))?;
    let dec = zstd::stream::read::Decoder::new(file).map_err(|e| LmError::io(corpus, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, dec);
    let mut map: HashMap<String, u32> = HashMap::new();
    let mut out = Interned::new();
    let limit = max_docs.unwrap_or(usize::MAX);
    let mut lineno = 0usize;
    let mut batch: Vec<(usize, String)> = Vec::new();
    let mut done = false;
    while !done {
        batch.clear();
        while batch.len() < 256 && out.docs + batch.len() < limit {
            let mut line = String::new();
            let got = reader.read_line(&mut line).map_err(|e| LmError::Corpus {
                path: corpus.to_path_buf(),
                line: lineno + 1,
                what: format!("read/decompress error: {e}"),
            })?;
            if got == 0 {
                done = true;
                break;
            }
            lineno += 1;
            if !line.trim().is_empty() {
                batch.push((lineno, line));
            }
        }
        if out.docs + batch.len() >= limit {
            done = true;
        }
        let parsed: Vec<Result<Vec<Vec<String>>, LmError>> = batch
            .par_iter()
            .map(|(ln, line)| {
                let doc: Doc = serde_json::from_str(line).map_err(|e| LmError::Corpus {
                    path: corpus.to_path_buf(),
                    line: *ln,
                    what: format!("not a JSON object with a \"text\" string: {e}"),
                })?;
                Ok(lm_sentences(&doc.text))
            })
            .collect();
        for p in parsed {
            out.add(&mut map, p?);
            out.docs += 1;
        }
        if out.docs % 2048 < 256 {
            progress(&format!(
                "read {} documents, {} tokens",
                out.docs,
                out.stream.len()
            ));
        }
    }
    Ok(out)
}

/// Builds a model from a `.jsonl.zst` corpus (`{"text": …}` per line) and writes the
/// binary model to `out`.
pub fn build_from_corpus(
    corpus: &Path,
    out: &Path,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildStats, LmError> {
    let mut v = build_variants(
        corpus,
        &[(
            out.to_path_buf(),
            opts.cutoffs.clone(),
            opts.prune_threshold,
        )],
        opts,
        progress,
    )?;
    v.pop().ok_or_else(|| LmError::build(out, "no model built"))
}

/// Like [`build_from_corpus`] but writes one model per `(output, cutoffs, prune_threshold)`
/// from a single counting pass (to compare pruning settings); `opts.cutoffs` and
/// `opts.prune_threshold` are ignored and
/// `opts.arpa_out` applies to the first variant.
pub fn build_variants(
    corpus: &Path,
    variants: &[(PathBuf, Vec<u64>, f64)],
    opts: &BuildOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<BuildStats>, LmError> {
    let t0 = Instant::now();
    let first = variants.first().map(|v| v.0.clone()).unwrap_or_default();
    let interned = read_corpus(corpus, opts.max_docs, progress)?;
    progress(&format!(
        "read {} documents, {} sentences, {} tokens, {} types in {:.1}s",
        interned.docs,
        interned.sentences,
        interned.stream.len() as u64 - interned.sentences,
        interned.words.len(),
        t0.elapsed().as_secs_f64()
    ));
    let cutoffs: Vec<(Vec<u64>, f64)> = variants.iter().map(|v| (v.1.clone(), v.2)).collect();
    let (datas, stats) = estimate_interned(interned, opts, &first, progress, &cutoffs)?;
    let mut out = Vec::new();
    for (i, (data, (path, _, _))) in datas.into_iter().zip(variants).enumerate() {
        if let (0, Some(arpa)) = (i, &opts.arpa_out) {
            let f = std::fs::File::create(arpa).map_err(|e| LmError::io(arpa, e))?;
            let mut w = std::io::BufWriter::new(f);
            crate::arpa::write_arpa_data(&data, &mut w)?;
            std::io::Write::flush(&mut w).map_err(|e| LmError::io(arpa, e))?;
        }
        progress(&format!("writing {}", path.display()));
        let mut st = stats.clone();
        st.ngrams = data.orders.iter().map(|o| o.len() as u64).collect();
        st.file_bytes = write_binary(&data, path, &opts.binary)?;
        st.seconds = t0.elapsed().as_secs_f64();
        progress(&format!(
            "{}: {} bytes, n-grams {:?}",
            path.display(),
            st.file_bytes,
            st.ngrams
        ));
        out.push(st);
    }
    Ok(out)
}

/// Estimates a model from plain texts (each is tokenized like the corpus documents).
pub fn estimate_from_texts<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    opts: &BuildOptions,
) -> Result<(NgramData, BuildStats), LmError> {
    let mut map = HashMap::new();
    let mut it = Interned::new();
    for t in texts {
        it.add(&mut map, lm_sentences(t));
        it.docs += 1;
    }
    let (mut datas, mut stats) = estimate_interned(
        it,
        opts,
        Path::new("<memory>"),
        &mut |_| {},
        &[(opts.cutoffs.clone(), opts.prune_threshold)],
    )?;
    let data = datas
        .pop()
        .ok_or_else(|| LmError::build("<memory>", "no model built"))?;
    stats.ngrams = data.orders.iter().map(|o| o.len() as u64).collect();
    Ok((data, stats))
}

fn estimate_interned(
    it: Interned,
    opts: &BuildOptions,
    path: &Path,
    progress: &mut dyn FnMut(&str),
    cutoffs: &[(Vec<u64>, f64)],
) -> Result<(Vec<NgramData>, BuildStats), LmError> {
    let n = opts.order;
    if n == 0 || n > crate::MAX_ORDER {
        return Err(LmError::build(
            path,
            format!("order must be 1..={}, got {n}", crate::MAX_ORDER),
        ));
    }
    // Vocabulary: specials, then words by descending count (ties by spelling).
    let mut chosen: Vec<u32> = (0..it.words.len() as u32)
        .filter(|&i| it.counts[i as usize] >= opts.min_word_count.max(1))
        .collect();
    chosen.sort_by(|&a, &b| {
        it.counts[b as usize]
            .cmp(&it.counts[a as usize])
            .then_with(|| it.words[a as usize].cmp(&it.words[b as usize]))
    });
    if chosen.len() + 3 > MAX_VOCAB {
        return Err(LmError::build(
            path,
            format!(
                "vocabulary of {} words exceeds {MAX_VOCAB}; raise min_word_count",
                chosen.len() + 3
            ),
        ));
    }
    let mut remap = vec![UNK; it.words.len()];
    let mut vocab: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    for (i, &old) in chosen.iter().enumerate() {
        remap[old as usize] = i as u32 + 3;
        vocab.push(it.words[old as usize].clone());
    }
    let mut stats = BuildStats {
        docs: it.docs,
        sentences: it.sentences,
        vocab_size: vocab.len(),
        ..Default::default()
    };
    let mut stream = it.stream;
    drop(it.words);
    for t in stream.iter_mut() {
        if *t != SEP {
            stats.tokens += 1;
            *t = remap[*t as usize];
            if *t == UNK {
                stats.oov_tokens += 1;
            }
        }
    }
    drop(remap);
    progress(&format!(
        "vocabulary {} types; {} of {} tokens are <unk>",
        vocab.len(),
        stats.oov_tokens,
        stats.tokens
    ));
    let datas = estimate_stream(&stream, vocab, opts.order, &mut stats, progress, cutoffs);
    Ok((datas, stats))
}

#[inline]
fn pack(ids: &[u32]) -> u128 {
    ids.iter().fold(0u128, |k, &w| (k << BITS) | u128::from(w))
}

#[inline]
fn mask(k: usize) -> u128 {
    if k as u32 * BITS >= 128 {
        u128::MAX
    } else {
        (1u128 << (k as u32 * BITS)) - 1
    }
}

fn unpack(key: u128, k: usize, out: &mut Vec<u32>) {
    for j in (0..k).rev() {
        out.push(((key >> (j as u32 * BITS)) & ((1 << BITS) - 1)) as u32);
    }
}

/// Sorts keys and collapses equal ones into (key, count).
fn sort_count(mut v: Vec<u128>) -> (Vec<u128>, Vec<u32>) {
    v.par_sort_unstable();
    let mut keys = Vec::with_capacity(v.len() / 2);
    let mut counts: Vec<u32> = Vec::with_capacity(v.len() / 2);
    for k in v {
        if keys.last() == Some(&k) {
            if let Some(c) = counts.last_mut() {
                *c = c.saturating_add(1);
            }
        } else {
            keys.push(k);
            counts.push(1);
        }
    }
    keys.shrink_to_fit();
    counts.shrink_to_fit();
    (keys, counts)
}

/// Counts-of-counts discounts (Chen & Goodman), with a fallback when a count is missing.
fn discounts(counts: &[u32], skip: impl Fn(usize) -> bool) -> Discounts {
    let mut t = [0f64; 5];
    for (i, &c) in counts.iter().enumerate() {
        if (1..=4).contains(&c) && !skip(i) {
            t[c as usize] += 1.0;
        }
    }
    let fallback = Discounts {
        d1: 0.5,
        d2: 1.0,
        d3: 1.5,
    };
    if t[1] == 0.0 || t[2] == 0.0 || t[3] == 0.0 {
        return fallback;
    }
    let y = t[1] / (t[1] + 2.0 * t[2]);
    let d = Discounts {
        d1: 1.0 - 2.0 * y * t[2] / t[1],
        d2: 2.0 - 3.0 * y * t[3] / t[2],
        d3: 3.0 - 4.0 * y * t[4] / t[3],
    };
    let ok = |x: f64, hi: f64| x > 0.0 && x <= hi;
    if ok(d.d1, 1.0) && ok(d.d2, 2.0) && ok(d.d3, 3.0) {
        d
    } else {
        fallback
    }
}

/// Per-order sorted keys with adjusted counts.
struct Level {
    keys: Vec<u128>,
    counts: Vec<u32>,
}

impl Level {
    fn find(&self, key: u128) -> Option<usize> {
        self.keys.binary_search(&key).ok()
    }
}

fn estimate_stream(
    stream: &[u32],
    vocab: Vec<String>,
    n: usize,
    stats: &mut BuildStats,
    progress: &mut dyn FnMut(&str),
    cutoff_sets: &[(Vec<u64>, f64)],
) -> Vec<NgramData> {
    let t0 = Instant::now();
    // Windows of length n everywhere, and of every shorter length at sentence starts.
    let mut top: Vec<u128> = Vec::with_capacity(stream.len());
    let mut starts: Vec<Vec<u128>> = vec![Vec::new(); n];
    let mut seq: Vec<u32> = Vec::with_capacity(256);
    for sentence in stream.split(|&t| t == SEP) {
        if sentence.is_empty() {
            continue;
        }
        seq.clear();
        seq.push(BOS);
        seq.extend_from_slice(sentence);
        seq.push(EOS);
        for w in seq.windows(n) {
            top.push(pack(w));
        }
        for (k, s) in starts.iter_mut().enumerate().take(n).skip(1) {
            if seq.len() >= k {
                s.push(pack(&seq[..k]));
            }
        }
    }
    let (keys, counts) = sort_count(top);
    progress(&format!(
        "counted {} distinct {n}-grams in {:.1}s",
        keys.len(),
        t0.elapsed().as_secs_f64()
    ));
    let mut levels: Vec<Level> = Vec::with_capacity(n);
    levels.push(Level { keys, counts });
    for k in (1..n).rev() {
        let upper = levels.last().map(|l| &l.keys[..]).unwrap_or(&[]);
        let m = mask(k);
        let mut v2: Vec<u128> = upper.par_iter().map(|&key| key & m).collect();
        v2.append(&mut starts[k]);
        let (keys, counts) = sort_count(v2);
        progress(&format!(
            "adjusted counts of {} distinct {k}-grams",
            keys.len()
        ));
        levels.push(Level { keys, counts });
    }
    levels.reverse(); // levels[k-1] = k-grams
    stats.ngrams_before_pruning = levels.iter().map(|l| l.keys.len() as u64).collect();
    stats.above_count = levels
        .iter()
        .map(|l| {
            let mut h = vec![0u64; 16];
            for &c in &l.counts {
                for (t, slot) in h.iter_mut().enumerate() {
                    if c as usize > t {
                        *slot += 1;
                    }
                }
            }
            h
        })
        .collect();

    // Discounts per order.
    let disc: Vec<Discounts> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                discounts(&l.counts, |j| l.keys[j] == u128::from(BOS))
            } else {
                discounts(&l.counts, |_| false)
            }
        })
        .collect();
    stats.discounts = disc.clone();

    let scores = if cutoff_sets.iter().any(|c| c.1 > 0.0) {
        let s = wd_scores(&levels, &disc, vocab.len());
        progress(&format!(
            "weighted-difference scores in {:.1}s",
            t0.elapsed().as_secs_f64()
        ));
        s
    } else {
        Vec::new()
    };
    cutoff_sets
        .iter()
        .map(|(cutoffs, theta)| {
            let wd = (*theta > 0.0).then_some((scores.as_slice(), *theta));
            let kept = prune(&levels, cutoffs, wd);
            progress(&format!(
                "pruned with cutoffs {cutoffs:?}, weighted-difference threshold {theta} in {:.1}s",
                t0.elapsed().as_secs_f64()
            ));
            interpolate(&levels, &kept, &disc, vocab.clone())
        })
        .collect()
}

/// Marks the n-grams that survive `cutoffs`, closed under prefixes and suffixes of kept
/// longer n-grams (longest first, so the closure propagates down).
fn prune(levels: &[Level], cutoffs: &[u64], wd: Option<(&[Vec<f32>], f64)>) -> Vec<Vec<bool>> {
    let n = levels.len();
    let cut = |k: usize| -> u64 {
        if k <= 1 || cutoffs.is_empty() {
            0
        } else {
            cutoffs.get(k - 1).or(cutoffs.last()).copied().unwrap_or(0)
        }
    };
    let mut kept: Vec<Vec<bool>> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let c = cut(i + 1);
            let score = |e: usize| match wd {
                Some((sc, theta)) => sc
                    .get(i)
                    .and_then(|o| o.get(e))
                    .is_none_or(|&x| f64::from(x) >= theta),
                None => true,
            };
            l.counts
                .iter()
                .enumerate()
                .map(|(e, &x)| i == 0 || (u64::from(x) > c && score(e)))
                .collect()
        })
        .collect();
    for k in (3..=n).rev() {
        let (lower, upper) = kept.split_at_mut(k - 1);
        let low_flags = &mut lower[k - 2];
        let low = &levels[k - 2];
        for (i, &f) in upper[0].iter().enumerate() {
            if f {
                let key = levels[k - 1].keys[i];
                if let Some(j) = low.find(key >> BITS) {
                    low_flags[j] = true;
                }
                if let Some(j) = low.find(key & mask(k - 1)) {
                    low_flags[j] = true;
                }
            }
        }
    }
    kept
}

/// Computes interpolated modified Kneser–Ney probabilities of the kept n-grams and the
/// backoffs that normalise every context after pruning.
fn interpolate(
    levels: &[Level],
    kept: &[Vec<bool>],
    disc: &[Discounts],
    vocab: Vec<String>,
) -> NgramData {
    let (plin, back, _) = compute(levels, kept, disc, vocab.len(), false);
    collect(levels, kept, &plin, &back, vocab)
}

/// Weighted-difference pruning scores (Seymore & Rosenfeld) of every n-gram of order ≥ 2 in
/// the unpruned model: `count · log10(P(w|h) / (γ(h)·P(w|h')))`, i.e. how much log-likelihood
/// the training data loses if the n-gram is replaced by its backoff estimate.
fn wd_scores(levels: &[Level], disc: &[Discounts], v: usize) -> Vec<Vec<f32>> {
    let all: Vec<Vec<bool>> = levels.iter().map(|l| vec![true; l.keys.len()]).collect();
    compute(levels, &all, disc, v, true).2
}

type Computed = (Vec<Vec<f64>>, Vec<Vec<f32>>, Vec<Vec<f32>>);

/// Linear probabilities of the kept n-grams, log10 backoffs of contexts, and (optionally)
/// weighted-difference scores.
fn compute(
    levels: &[Level],
    kept: &[Vec<bool>],
    disc: &[Discounts],
    v: usize,
    want_scores: bool,
) -> Computed {
    let n = levels.len();
    // Unigrams: interpolate with the uniform distribution over all words but <s>.
    let mut a1 = vec![0u32; v];
    for (&key, &c) in levels[0].keys.iter().zip(&levels[0].counts) {
        if let Some(slot) = a1.get_mut(key as usize) {
            *slot = c;
        }
    }
    let d = disc[0];
    let (mut total, mut gamma) = (0f64, 0f64);
    for (w, &c) in a1.iter().enumerate() {
        if w as u32 != BOS && c > 0 {
            total += f64::from(c);
            gamma += d.of(c);
        }
    }
    let uniform = 1.0 / (v.saturating_sub(1)).max(1) as f64;
    let mut p1 = vec![0f64; v];
    for (w, &c) in a1.iter().enumerate() {
        p1[w] = if w as u32 == BOS {
            0.0
        } else if total > 0.0 {
            (f64::from(c) - d.of(c)) / total + gamma / total * uniform
        } else {
            uniform
        };
    }
    // plin[k-1][i]: linear probability of k-gram i (kept ones only); back[k-1][i]: log10 backoff.
    let mut plin: Vec<Vec<f64>> = vec![p1];
    let mut scores: Vec<Vec<f32>> = vec![Vec::new()];
    let mut back: Vec<Vec<f32>> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                0f32;
                if i == 0 {
                    v
                } else if i + 1 < n {
                    l.keys.len()
                } else {
                    0
                }
            ]
        })
        .collect();
    for k in 2..=n {
        let lv = &levels[k - 1];
        let low = &levels[k - 2];
        let d = disc[k - 1];
        let mut pk = vec![0f64; lv.keys.len()];
        let mut sk = if want_scores {
            vec![0f32; lv.keys.len()]
        } else {
            Vec::new()
        };
        let mut i = 0usize;
        while i < lv.keys.len() {
            let ctx = lv.keys[i] >> BITS;
            let mut j = i;
            let (mut total, mut gsum, mut pruned) = (0f64, 0f64, 0f64);
            while j < lv.keys.len() && lv.keys[j] >> BITS == ctx {
                let c = lv.counts[j];
                total += f64::from(c);
                gsum += d.of(c);
                if !kept[k - 1][j] {
                    pruned += f64::from(c) - d.of(c);
                }
                j += 1;
            }
            let gamma = (gsum + pruned) / total;
            let ci = if k == 2 {
                Some(ctx as usize)
            } else {
                low.find(ctx)
            };
            if let Some(b) = ci.and_then(|ci| back[k - 2].get_mut(ci)) {
                *b = gamma.log10() as f32;
            }
            for e in i..j {
                if kept[k - 1][e] {
                    let key = lv.keys[e];
                    let suffix = key & mask(k - 1);
                    let si = if k == 2 {
                        Some(suffix as usize)
                    } else {
                        low.find(suffix)
                    };
                    let lower = si
                        .and_then(|si| plin[k - 2].get(si))
                        .copied()
                        .unwrap_or(0.0);
                    let c = lv.counts[e];
                    let u = (f64::from(c) - d.of(c)) / total;
                    pk[e] = u + gamma * lower;
                    if let Some(slot) = sk.get_mut(e) {
                        let backed = gamma * lower;
                        *slot = if backed > 0.0 {
                            (f64::from(c) * (pk[e] / backed).log10()) as f32
                        } else {
                            f32::MAX
                        };
                    }
                }
            }
            i = j;
        }
        plin.push(pk);
        scores.push(sk);
    }
    (plin, back, scores)
}

/// The kept entries as [`NgramData`].
fn collect(
    levels: &[Level],
    kept: &[Vec<bool>],
    plin: &[Vec<f64>],
    back: &[Vec<f32>],
    vocab: Vec<String>,
) -> NgramData {
    let n = levels.len();
    // Collect the kept entries.
    let mut orders = Vec::with_capacity(n);
    let mut scratch = Vec::with_capacity(n);
    for k in 1..=n {
        let mut o = OrderData {
            n: k,
            ..Default::default()
        };
        if k == 1 {
            for (w, &p) in plin[0].iter().enumerate() {
                o.ids.push(w as u32);
                o.prob.push(if w as u32 == BOS {
                    -99.0
                } else {
                    p.log10() as f32
                });
                o.backoff.push(back[0].get(w).copied().unwrap_or(0.0));
            }
        } else {
            let lv = &levels[k - 1];
            for (e, &key) in lv.keys.iter().enumerate() {
                if kept[k - 1][e] {
                    scratch.clear();
                    unpack(key, k, &mut scratch);
                    o.ids.extend_from_slice(&scratch);
                    o.prob.push(plin[k - 1][e].log10() as f32);
                    o.backoff.push(back[k - 1].get(e).copied().unwrap_or(0.0));
                }
            }
        }
        orders.push(o);
    }
    NgramData { vocab, orders }
}
