//! Skip-gram with negative sampling (word2vec's SGNS) on a JSON-lines corpus, two passes:
//! one reads and interns every paragraph's words (kept as ids in memory), one trains.
//!
//! Training is lock-free across threads (Hogwild: each thread updates the shared matrices
//! without locks; the rare lost update on a shared row is harmless for SGD, which is how
//! word2vec itself trains). Deterministic for a given seed with one thread.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use rustc_hash::FxHashMap;
use unspin_text::{TokenKind, normalize_into, tokenize};

use crate::VectorsError;

/// Training options (the defaults are word2vec's, with a smaller dimension).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Vector dimension.
    pub dim: usize,
    /// Largest context window (a window of 1..=window is drawn per word).
    pub window: usize,
    /// Negative samples per context word.
    pub negative: usize,
    /// Words seen fewer times are left out.
    pub min_count: u64,
    /// At most this many words (the most frequent).
    pub max_words: usize,
    /// Subsampling threshold of frequent words.
    pub sample: f64,
    /// Passes over the corpus.
    pub epochs: usize,
    /// Starting learning rate (decays linearly to 1e-4 of it).
    pub alpha: f32,
    /// Threads.
    pub threads: usize,
    /// Read at most this many documents.
    pub max_docs: Option<usize>,
    /// Random seed.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            dim: 64,
            window: 5,
            negative: 5,
            min_count: 10,
            max_words: 120_000,
            sample: 1e-4,
            epochs: 1,
            alpha: 0.025,
            threads: 2,
            max_docs: None,
            seed: 1,
        }
    }
}

/// What a training run did.
#[derive(Debug, Clone)]
pub struct TrainStats {
    /// Word tokens read.
    pub tokens: u64,
    /// Words kept in the vocabulary.
    pub words: usize,
    /// Seconds spent reading.
    pub read_seconds: f64,
    /// Seconds spent training.
    pub train_seconds: f64,
}

/// Paragraphs as word ids (provisional, interned in reading order), `SEP` between them.
struct Read1 {
    seq: Vec<u32>,
    words: Vec<String>,
    counts: Vec<u64>,
}

const SEP: u32 = u32::MAX;

fn read_corpus(path: &Path, max_docs: Option<usize>) -> Result<Read1, VectorsError> {
    let file = std::fs::File::open(path).map_err(|e| VectorsError::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "zst") {
        Box::new(zstd::Decoder::new(file).map_err(|e| VectorsError::io(path, e))?)
    } else {
        Box::new(file)
    };
    #[derive(serde::Deserialize)]
    struct Doc {
        text: String,
    }
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut r = Read1 {
        seq: Vec::new(),
        words: Vec::new(),
        counts: Vec::new(),
    };
    let mut buf = String::new();
    for (n, line) in BufReader::with_capacity(1 << 20, reader)
        .lines()
        .enumerate()
    {
        if max_docs.is_some_and(|m| n >= m) {
            break;
        }
        let line = line.map_err(|e| VectorsError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Doc = serde_json::from_str(&line).map_err(|e| VectorsError::Corpus {
            path: path.display().to_string(),
            line: n + 1,
            msg: e.to_string(),
        })?;
        for para in doc.text.split('\n') {
            for t in tokenize(para) {
                if t.kind != TokenKind::Word {
                    continue;
                }
                normalize_into(t.text(para), &mut buf);
                let id = match ids.get(buf.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = r.words.len() as u32;
                        ids.insert(buf.clone(), id);
                        r.words.push(buf.clone());
                        r.counts.push(0);
                        id
                    }
                };
                r.counts[id as usize] += 1;
                r.seq.push(id);
            }
            r.seq.push(SEP);
        }
    }
    Ok(r)
}

/// Shared matrices written by several threads at once (see the module docs).
struct Shared(*mut f32);
// SAFETY: Hogwild SGD: threads race on rows by design; every index is in bounds (checked by
// construction: rows < vocabulary size, each row `dim` long), and f32 writes cannot tear into
// invalid values that would matter for training.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

impl Shared {
    /// # Safety
    /// `row * dim + dim` must be within the allocation.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize, dim: usize) -> &mut [f32] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(row * dim), dim) }
    }
}

/// Trains vectors on `corpus` (see the module docs) and returns the file's bytes.
pub fn train(
    corpus: &Path,
    opts: &TrainOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<u8>, TrainStats), VectorsError> {
    let t0 = Instant::now();
    let raw = read_corpus(corpus, opts.max_docs)?;
    let tokens = raw.counts.iter().sum::<u64>();
    // vocabulary: the most frequent words, then map the sequence to final ids
    let mut order: Vec<u32> = (0..raw.words.len() as u32)
        .filter(|&i| raw.counts[i as usize] >= opts.min_count)
        .collect();
    order.sort_by(|&a, &b| {
        raw.counts[b as usize]
            .cmp(&raw.counts[a as usize])
            .then(a.cmp(&b))
    });
    order.truncate(opts.max_words);
    let mut map = vec![SEP; raw.words.len()];
    for (new, &old) in order.iter().enumerate() {
        map[old as usize] = new as u32;
    }
    let counts: Vec<u64> = order.iter().map(|&o| raw.counts[o as usize]).collect();
    let words: Vec<&str> = order
        .iter()
        .map(|&o| raw.words[o as usize].as_str())
        .collect();
    // out-of-vocabulary words are dropped (as word2vec does); paragraph breaks stay
    let seq: Vec<u32> = raw
        .seq
        .iter()
        .filter_map(|&w| {
            if w == SEP {
                Some(SEP)
            } else {
                (map[w as usize] != SEP).then(|| map[w as usize])
            }
        })
        .collect();
    let read_seconds = t0.elapsed().as_secs_f64();
    progress(&format!(
        "vectors: {tokens} tokens, {} words kept, read in {read_seconds:.0}s",
        words.len()
    ));
    let flat = sgns(&seq, &counts, opts, progress);
    let train_seconds = t0.elapsed().as_secs_f64() - read_seconds;
    let bytes = crate::encode(&words, &flat, opts.dim);
    Ok((
        bytes,
        TrainStats {
            tokens,
            words: words.len(),
            read_seconds,
            train_seconds,
        },
    ))
}

/// splitmix64 step.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit(s: &mut u64) -> f64 {
    (next(s) >> 11) as f64 / (1u64 << 53) as f64
}

/// The unigram^0.75 table negatives are drawn from.
fn negative_table(counts: &[u64], size: usize) -> Vec<u32> {
    let pow: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
    let total: f64 = pow.iter().sum();
    let mut table = Vec::with_capacity(size);
    let mut cum = 0.0;
    for (i, p) in pow.iter().enumerate() {
        cum += p / total;
        while (table.len() as f64) < cum * size as f64 && table.len() < size {
            table.push(i as u32);
        }
    }
    table.resize(size, counts.len().saturating_sub(1) as u32);
    table
}

/// Trains the input vectors (returned row-major, `counts.len() * dim`).
fn sgns(seq: &[u32], counts: &[u64], o: &TrainOptions, progress: &mut dyn FnMut(&str)) -> Vec<f32> {
    let (v, dim) = (counts.len(), o.dim.max(1));
    if v == 0 {
        return Vec::new();
    }
    let mut rng = o.seed;
    let mut syn0: Vec<f32> = (0..v * dim)
        .map(|_| ((unit(&mut rng) - 0.5) / dim as f64) as f32)
        .collect();
    let mut syn1 = vec![0f32; v * dim];
    let table = negative_table(counts, 10_000_000.min(v * 100).max(1000));
    let total: u64 = counts.iter().sum();
    let keep: Vec<f32> = counts
        .iter()
        .map(|&c| {
            let f = c as f64 / total as f64;
            let t = o.sample;
            if t <= 0.0 {
                1.0
            } else {
                (((f / t).sqrt() + 1.0) * t / f).min(1.0) as f32
            }
        })
        .collect();
    let threads = o.threads.max(1);
    let budget = seq.len() as u64 * o.epochs.max(1) as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let (p0, p1) = (Shared(syn0.as_mut_ptr()), Shared(syn1.as_mut_ptr()));
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let (p0, p1, table, keep, done) = (&p0, &p1, &table, &keep, &done);
            let shard = &seq[seq.len() * th / threads..seq.len() * (th + 1) / threads];
            s.spawn(move || {
                let mut rng = o.seed ^ (0x5151 + th as u64 * 0x9e37);
                let mut neu1e = vec![0f32; dim];
                let mut sent: Vec<u32> = Vec::with_capacity(1024);
                for _ in 0..o.epochs.max(1) {
                    let mut local = 0u64;
                    for piece in shard.split(|&w| w == SEP) {
                        local += piece.len() as u64 + 1;
                        sent.clear();
                        sent.extend(piece.iter().copied().filter(|&w| {
                            keep[w as usize] >= 1.0 || (unit(&mut rng) as f32) < keep[w as usize]
                        }));
                        let progress_words =
                            done.load(std::sync::atomic::Ordering::Relaxed) + local;
                        let frac = (progress_words as f64 / budget as f64).min(1.0) as f32;
                        let alpha = o.alpha * (1.0 - frac).max(1e-4);
                        for (i, &w) in sent.iter().enumerate() {
                            let b = 1 + (next(&mut rng) % o.window.max(1) as u64) as usize;
                            let lo = i.saturating_sub(b);
                            let hi = (i + b + 1).min(sent.len());
                            for (j, &c) in sent.iter().enumerate().take(hi).skip(lo) {
                                if j == i {
                                    continue;
                                }
                                // SAFETY: ids < v, rows of `dim` floats (see Shared)
                                let l1 = unsafe { p0.row(c as usize, dim) };
                                neu1e.iter_mut().for_each(|x| *x = 0.0);
                                for d in 0..=o.negative {
                                    let (target, label) = if d == 0 {
                                        (w, 1.0f32)
                                    } else {
                                        let t =
                                            table[(next(&mut rng) % table.len() as u64) as usize];
                                        if t == w {
                                            continue;
                                        }
                                        (t, 0.0)
                                    };
                                    let l2 = unsafe { p1.row(target as usize, dim) };
                                    let f: f32 = l1.iter().zip(l2.iter()).map(|(a, b)| a * b).sum();
                                    let g =
                                        (label - 1.0 / (1.0 + (-f.clamp(-6.0, 6.0)).exp())) * alpha;
                                    for k in 0..dim {
                                        neu1e[k] += g * l2[k];
                                        l2[k] += g * l1[k];
                                    }
                                }
                                for k in 0..dim {
                                    l1[k] += neu1e[k];
                                }
                            }
                        }
                        if local > 1_000_000 {
                            done.fetch_add(local, std::sync::atomic::Ordering::Relaxed);
                            local = 0;
                        }
                    }
                    done.fetch_add(local, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    progress(&format!(
        "vectors: trained {} epochs in {:.0}s",
        o.epochs.max(1),
        t0.elapsed().as_secs_f64()
    ));
    syn0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two topics that never share a paragraph: words of one topic end up closer to each
    /// other than to the other topic's.
    #[test]
    fn words_sharing_contexts_come_out_close() {
        let dir = std::env::temp_dir().join(format!("unspin-vec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.jsonl");
        let mut s = 1u64;
        let a = ["cat", "dog", "pet", "fur", "paw", "tail"];
        let b = ["tax", "bank", "loan", "debt", "fund", "cash"];
        let mut lines = String::new();
        for n in 0..800 {
            let topic = if n % 2 == 0 { &a } else { &b };
            let para: Vec<&str> = (0..30)
                .map(|_| topic[(next(&mut s) % 6) as usize])
                .collect();
            lines.push_str(&serde_json::json!({"text": para.join(" ")}).to_string());
            lines.push('\n');
        }
        std::fs::write(&path, lines).unwrap();
        let opts = TrainOptions {
            dim: 16,
            min_count: 1,
            sample: 0.0,
            threads: 1,
            epochs: 3,
            ..Default::default()
        };
        let (bytes, st) = train(&path, &opts, &mut |_| {}).unwrap();
        assert_eq!(st.words, 12);
        let v = crate::Vectors::from_bytes(bytes).unwrap();
        let within = v.similarity("cat", "dog").unwrap();
        let across = v.similarity("cat", "tax").unwrap();
        assert!(within > across + 0.3, "{within} vs {across}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
