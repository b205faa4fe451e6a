//! Word and phrase counts from a JSON-lines corpus (`{"id","title","text"}`, zstd or plain).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use crate::error::LexiconError;

/// Unigram counts of all words and counts of a chosen set of phrases (2–4 words).
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Normalised word → count.
    pub words: HashMap<String, u64>,
    /// Phrase (normalised words joined by ' ') → count; only phrases that were asked for.
    pub phrases: HashMap<String, u64>,
    /// Total number of word tokens.
    pub total: u64,
}

impl Counts {
    /// Count of a word or phrase (0 when unseen or not counted).
    pub fn get(&self, key: &str) -> u64 {
        if key.contains(' ') {
            self.phrases.get(key).copied().unwrap_or(0)
        } else {
            self.words.get(key).copied().unwrap_or(0)
        }
    }
}

/// Bumped whenever the counting rules change, to invalidate caches.
const COUNTING_VERSION: u32 = 2;

#[derive(serde::Deserialize)]
struct Doc {
    text: String,
}

fn fingerprint(phrases: &HashSet<String>, max_docs: Option<usize>) -> u64 {
    let mut v: Vec<&String> = phrases.iter().collect();
    v.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    max_docs.hash(&mut h);
    COUNTING_VERSION.hash(&mut h);
    h.finish()
}

/// Counts words (tokenised with `unspin_text::tokenize`, number and word tokens, `normalize`d)
/// and the given phrases in a corpus. Phrases do not cross punctuation other than hyphens.
///
/// With `cache`, the counts are stored there and reused while the phrase set and `max_docs`
/// stay the same.
pub fn count(
    corpus: &Path,
    phrases: &HashSet<String>,
    max_docs: Option<usize>,
    cache: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<Counts, LexiconError> {
    let fp = fingerprint(phrases, max_docs);
    if let Some(cache) = cache
        && let Ok(c) = read_cache(cache, fp)
    {
        progress(&format!("corpus counts from cache {}", cache.display()));
        return Ok(c);
    }
    let file = std::fs::File::open(corpus).map_err(|e| LexiconError::io(corpus, e))?;
    let reader: Box<dyn Read> = if corpus.extension().is_some_and(|e| e == "zst") {
        Box::new(zstd::Decoder::new(file).map_err(|e| LexiconError::io(corpus, e))?)
    } else {
        Box::new(file)
    };
    // every proper prefix of a wanted phrase, to stop extending early
    let mut prefixes: HashSet<String> = HashSet::new();
    for p in phrases {
        let mut end = 0;
        for (i, _) in p.match_indices(' ') {
            end = i;
            prefixes.insert(p[..end].to_string());
        }
        let _ = end;
    }
    let mut c = Counts::default();
    let mut buf = String::new();
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        if max_docs.is_some_and(|m| n >= m) {
            break;
        }
        let line = line.map_err(|e| LexiconError::io(corpus, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Doc = serde_json::from_str(&line)
            .map_err(|e| LexiconError::source(corpus, n + 1, format!("bad JSON: {e}")))?;
        let toks = unspin_text::tokenize(&doc.text);
        // runs of words between punctuation
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, c: &mut Counts, buf: &mut String| {
            for i in 0..run.len() {
                buf.clear();
                buf.push_str(&run[i]);
                for w in &run[i + 1..run.len().min(i + 4)] {
                    if !prefixes.contains(buf.as_str()) {
                        break;
                    }
                    buf.push(' ');
                    buf.push_str(w);
                    if let Some(v) = c.phrases.get_mut(buf.as_str()) {
                        *v += 1;
                    } else if phrases.contains(buf.as_str()) {
                        c.phrases.insert(buf.clone(), 1);
                    }
                }
            }
            run.clear();
        };
        for t in &toks {
            // a hyphen joins the words of a compound (`well-known` counts as `well known`)
            if t.kind == unspin_text::TokenKind::Punct && t.text(&doc.text) == "-" {
                continue;
            }
            if t.kind == unspin_text::TokenKind::Punct || t.sentence_start {
                flush(&mut run, &mut c, &mut buf);
            }
            if t.kind != unspin_text::TokenKind::Punct {
                let w = unspin_text::normalize(t.text(&doc.text));
                c.total += 1;
                if let Some(v) = c.words.get_mut(&w) {
                    *v += 1;
                } else {
                    c.words.insert(w.clone(), 1);
                }
                run.push(w);
            }
        }
        flush(&mut run, &mut c, &mut buf);
        if n % 2000 == 0 {
            progress(&format!("corpus: {n} documents, {} words", c.total));
        }
    }
    if let Some(cache) = cache {
        write_cache(cache, fp, &c)?;
    }
    Ok(c)
}

fn write_cache(path: &Path, fp: u64, c: &Counts) -> Result<(), LexiconError> {
    let io = |e| LexiconError::io(path, e);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let f = std::fs::File::create(path).map_err(io)?;
    let mut w = zstd::Encoder::new(f, 3).map_err(io)?.auto_finish();
    writeln!(w, "#unspin-counts {fp} {}", c.total).map_err(io)?;
    for (k, v) in c.words.iter().chain(c.phrases.iter()) {
        if !k.contains('\t') && !k.contains('\n') {
            writeln!(w, "{k}\t{v}").map_err(io)?;
        }
    }
    Ok(())
}

fn read_cache(path: &Path, fp: u64) -> Result<Counts, LexiconError> {
    let f = std::fs::File::open(path).map_err(|e| LexiconError::io(path, e))?;
    let r = BufReader::new(zstd::Decoder::new(f).map_err(|e| LexiconError::io(path, e))?);
    let mut c = Counts::default();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| LexiconError::io(path, e))?;
        if i == 0 {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 3 || f[0] != "#unspin-counts" || f[1] != fp.to_string() {
                return Err(LexiconError::source(path, 1, "cache is for other inputs"));
            }
            c.total = f[2]
                .parse()
                .map_err(|_| LexiconError::source(path, 1, "bad total"))?;
            continue;
        }
        let (k, v) = line
            .split_once('\t')
            .ok_or_else(|| LexiconError::source(path, i + 1, "no tab"))?;
        let v: u64 = v
            .parse()
            .map_err(|_| LexiconError::source(path, i + 1, "bad count"))?;
        if k.contains(' ') {
            c.phrases.insert(k.to_string(), v);
        } else {
            c.words.insert(k.to_string(), v);
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_and_phrases() {
        let dir = std::env::temp_dir().join(format!("unspin-lex-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("c.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"1\",\"title\":\"t\",\"text\":\"Due to this fact, the fact is due. Due to this fact it rains; a well-known fact.\"}\n",
        )
        .unwrap();
        let phrases: HashSet<String> =
            ["due to this fact", "fact is", "this fact it", "well known"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let cache = dir.join("cache.zst");
        let _ = std::fs::remove_file(&cache);
        let c = count(&p, &phrases, None, Some(&cache), &mut |_| {}).unwrap();
        assert_eq!(c.get("due"), 3);
        assert_eq!(c.get("fact"), 4);
        assert_eq!(c.get("due to this fact"), 2);
        assert_eq!(c.get("fact is"), 1);
        assert_eq!(c.get("this fact it"), 1);
        assert_eq!(c.get("well known"), 1);
        assert_eq!(c.total, 18);
        let c2 = count(&p, &phrases, None, Some(&cache), &mut |_| {}).unwrap();
        assert_eq!(c2.get("due to this fact"), 2);
        assert_eq!(c2.total, 18);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
