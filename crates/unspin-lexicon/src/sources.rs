//! Readers for the lexical sources: Moby Thesaurus II, WordNet 3.0 synsets and sense counts,
//! and the tortured-phrases CSV.

use std::collections::HashMap;
use std::path::Path;

use crate::error::LexiconError;
use crate::morph::Pos;

fn read(path: &Path) -> Result<String, LexiconError> {
    let bytes = std::fs::read(path).map_err(|e| LexiconError::io(path, e))?;
    // Moby is mostly ASCII but has a few Latin-1 bytes; decode leniently.
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
    })
}

/// Normalises a dictionary entry to a lookup key: lowercase, single spaces, `'` apostrophes.
pub fn norm_entry(s: &str) -> String {
    let lower = unspin_text::normalize(s.trim());
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Moby Thesaurus II: root → synonyms, in file order, keys normalised.
#[derive(Debug, Default, Clone)]
pub struct Moby {
    /// Root entry → its synonym list (deduplicated, without the root itself).
    pub lists: HashMap<String, Vec<String>>,
}

impl Moby {
    /// Reads `moby.txt` (`root,syn,syn,…` per line).
    pub fn load(path: &Path) -> Result<Moby, LexiconError> {
        let text = read(path)?;
        let mut lists: HashMap<String, Vec<String>> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let mut it = line.split(',');
            let Some(root) = it.next() else { continue };
            let root = norm_entry(root);
            if root.is_empty() {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(LexiconError::source(path, i + 1, "line without a root"));
            }
            let list = lists.entry(root.clone()).or_default();
            for syn in it {
                let syn = norm_entry(syn);
                if !syn.is_empty() && syn != root && !list.contains(&syn) {
                    list.push(syn);
                }
            }
        }
        Ok(Moby { lists })
    }
}

/// WordNet synsets and the senses of each lemma, in WordNet's sense order, with tag counts.
#[derive(Debug, Default, Clone)]
pub struct WordNet {
    /// Synset id → member lemmas (normalised, spaces for multi-word lemmas).
    pub synsets: Vec<Vec<String>>,
    /// (lemma, pos) → senses as (synset id, tag count from `cntlist.rev`), sense 1 first.
    pub senses: HashMap<(String, Pos), Vec<(u32, u32)>>,
    /// Synset id → the synsets it points to as more general (hypernym, `@`) or similar
    /// (adjective clusters, `&`).
    pub related: Vec<Vec<u32>>,
}

fn clean_wn_word(w: &str) -> String {
    // strip adjective position markers: "galore(ip)", "elect(p)", "big(a)"
    let w = match w.find('(') {
        Some(i) if w.ends_with(')') => &w[..i],
        _ => w,
    };
    norm_entry(&w.replace('_', " "))
}

impl WordNet {
    /// Reads `data.*`, `index.*` and `cntlist.rev` from a WordNet 3.0 `dict` directory.
    pub fn load(dir: &Path) -> Result<WordNet, LexiconError> {
        let mut wn = WordNet::default();
        let mut by_offset: HashMap<(Pos, u64), u32> = HashMap::new();
        let mut pointers: Vec<Vec<(Pos, u64)>> = Vec::new();
        for pos in Pos::ALL {
            let path = dir.join(format!("data.{}", pos.file_name()));
            let text = read(&path)?;
            for (i, line) in text.lines().enumerate() {
                if line.starts_with(' ') || line.is_empty() {
                    continue;
                }
                let bad = |p: &str| LexiconError::source(&path, i + 1, p.to_string());
                let f: Vec<&str> = line.split(' ').collect();
                if f.len() < 4 {
                    return Err(bad("short synset line"));
                }
                let offset: u64 = f[0].parse().map_err(|_| bad("bad synset offset"))?;
                let n = usize::from_str_radix(f[3], 16).map_err(|_| bad("bad word count"))?;
                if f.len() < 4 + 2 * n {
                    return Err(bad("synset line shorter than its word count"));
                }
                let mut words: Vec<String> = Vec::with_capacity(n);
                for k in 0..n {
                    let w = clean_wn_word(f[4 + 2 * k]);
                    if !w.is_empty() && !words.contains(&w) {
                        words.push(w);
                    }
                }
                let id = u32::try_from(wn.synsets.len()).map_err(|_| bad("too many synsets"))?;
                wn.synsets.push(words);
                by_offset.insert((pos, offset), id);
                pointers.push(related_pointers(&f[4 + 2 * n..]));
            }
        }
        wn.related = pointers
            .into_iter()
            .map(|ps| {
                ps.iter()
                    .filter_map(|k| by_offset.get(k).copied())
                    .collect()
            })
            .collect();
        // tag counts: (lemma, pos, sense number) → count
        let path = dir.join("cntlist.rev");
        let text = read(&path)?;
        let mut tags: HashMap<(String, Pos, u32), u32> = HashMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 3 {
                continue;
            }
            let Some((lemma, rest)) = f[0].split_once('%') else {
                continue;
            };
            let pos = match rest.as_bytes().first() {
                Some(b'1') => Pos::Noun,
                Some(b'2') => Pos::Verb,
                Some(b'3') | Some(b'5') => Pos::Adj,
                Some(b'4') => Pos::Adv,
                _ => continue,
            };
            if let (Ok(sense), Ok(cnt)) = (f[1].parse::<u32>(), f[2].parse::<u32>()) {
                tags.insert((norm_entry(&lemma.replace('_', " ")), pos, sense), cnt);
            }
        }
        for pos in Pos::ALL {
            let path = dir.join(format!("index.{}", pos.file_name()));
            let text = read(&path)?;
            for (i, line) in text.lines().enumerate() {
                if line.starts_with(' ') || line.is_empty() {
                    continue;
                }
                let bad = |p: &str| LexiconError::source(&path, i + 1, p.to_string());
                let f: Vec<&str> = line.split(' ').filter(|s| !s.is_empty()).collect();
                if f.len() < 4 {
                    return Err(bad("short index line"));
                }
                let lemma = norm_entry(&f[0].replace('_', " "));
                let synset_cnt: usize = f[2].parse().map_err(|_| bad("bad synset count"))?;
                let p_cnt: usize = f[3].parse().map_err(|_| bad("bad pointer count"))?;
                let first = 4 + p_cnt + 2;
                if f.len() < first + synset_cnt {
                    return Err(bad("index line shorter than its synset count"));
                }
                let mut senses = Vec::with_capacity(synset_cnt);
                for (k, off) in f[first..first + synset_cnt].iter().enumerate() {
                    let off: u64 = off.parse().map_err(|_| bad("bad synset offset"))?;
                    let Some(&id) = by_offset.get(&(pos, off)) else {
                        return Err(bad("index points to a missing synset"));
                    };
                    let cnt = tags
                        .get(&(lemma.clone(), pos, k as u32 + 1))
                        .copied()
                        .unwrap_or(0);
                    senses.push((id, cnt));
                }
                wn.senses.insert((lemma, pos), senses);
            }
        }
        Ok(wn)
    }

    /// The WordNet "dictionary" of a lemma: each other lemma of its synsets with the probability
    /// that a spinner picking a sense by frequency, then a synonym uniformly, picks it.
    ///
    /// Sense `i` gets weight `(c_i + 1) / Σ_j (c_j + 1)` with `c_i` its SemCor tag count (add-one
    /// smoothing keeps untagged senses possible). Returned weights sum to 1 over the synonyms
    /// (senses without other lemmas are dropped and the rest renormalised).
    pub fn synonyms(&self, lemma: &str, pos: Pos) -> Vec<(String, f64)> {
        let Some(senses) = self.senses.get(&(lemma.to_string(), pos)) else {
            return Vec::new();
        };
        let mut out: Vec<(String, f64)> = Vec::new();
        for &(id, cnt) in senses {
            let members: Vec<&String> = self.synsets[id as usize]
                .iter()
                .filter(|w| w.as_str() != lemma)
                .collect();
            if members.is_empty() {
                continue;
            }
            let w = (cnt as f64 + 1.0) / members.len() as f64;
            for m in members {
                match out.iter_mut().find(|(s, _)| s == m) {
                    Some(e) => e.1 += w,
                    None => out.push((m.clone(), w)),
                }
            }
        }
        let total: f64 = out.iter().map(|e| e.1).sum();
        for e in &mut out {
            e.1 /= total;
        }
        out
    }

    /// The lemmas of the synsets more general than or similar to the lemma's senses (WordNet's
    /// hypernym and similar-to pointers: what a thesaurus lists as "generic term" and "similar
    /// term", and what blind spinners swap in: *people* → *group*), weighted as in
    /// [`WordNet::synonyms`] (sense by tag count, then uniformly over the related synsets and
    /// their members); weights sum to 1. The lemma's own synonyms are left out.
    pub fn related_terms(&self, lemma: &str, pos: Pos) -> Vec<(String, f64)> {
        let Some(senses) = self.senses.get(&(lemma.to_string(), pos)) else {
            return Vec::new();
        };
        let own: Vec<&String> = senses
            .iter()
            .flat_map(|&(id, _)| self.synsets[id as usize].iter())
            .collect();
        let mut out: Vec<(String, f64)> = Vec::new();
        for &(id, cnt) in senses {
            let rel = &self.related[id as usize];
            for &r in rel {
                let members: Vec<&String> = self.synsets[r as usize]
                    .iter()
                    .filter(|w| w.as_str() != lemma && !own.contains(w))
                    .collect();
                for m in &members {
                    let w = (cnt as f64 + 1.0) / rel.len() as f64 / members.len() as f64;
                    match out.iter_mut().find(|(s, _)| s == *m) {
                        Some(e) => e.1 += w,
                        None => out.push(((*m).clone(), w)),
                    }
                }
            }
        }
        let total: f64 = out.iter().map(|e| e.1).sum();
        for e in &mut out {
            e.1 /= total;
        }
        out
    }

    /// Total SemCor tag count (+1 per sense) of a lemma under `pos`; 0 when not a lemma.
    pub fn pos_weight(&self, lemma: &str, pos: Pos) -> f64 {
        self.senses
            .get(&(lemma.to_string(), pos))
            .map(|s| s.iter().map(|&(_, c)| c as f64 + 1.0).sum())
            .unwrap_or(0.0)
    }

    /// True when `a` and `b` share a synset (under any part of speech; tests check the loader).
    #[cfg(test)]
    pub fn share_synset(&self, a: &str, b: &str) -> bool {
        Pos::ALL.iter().any(|&pos| {
            self.senses
                .get(&(a.to_string(), pos))
                .is_some_and(|senses| {
                    senses
                        .iter()
                        .any(|&(id, _)| self.synsets[id as usize].iter().any(|w| w == b))
                })
        })
    }
}

/// The hypernym (`@`) and similar-to (`&`) pointers of a synset line, from its pointer count
/// on (`p_cnt`, then `symbol offset pos source/target` per pointer).
fn related_pointers(rest: &[&str]) -> Vec<(Pos, u64)> {
    let Some(n) = rest.first().and_then(|c| c.parse::<usize>().ok()) else {
        return Vec::new();
    };
    rest[1..]
        .chunks(4)
        .take(n)
        .filter(|p| p.len() == 4 && (p[0] == "@" || p[0] == "&"))
        .filter_map(|p| {
            let pos = match p[2] {
                "n" => Pos::Noun,
                "v" => Pos::Verb,
                "a" | "s" => Pos::Adj,
                "r" => Pos::Adv,
                _ => return None,
            };
            Some((pos, p[1].parse().ok()?))
        })
        .collect()
}

/// One row of the tortured-phrases CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorturedRow {
    /// The spun phrase, normalised.
    pub tortured: String,
    /// The established term it replaced, normalised.
    pub expected: String,
    /// Number of papers the screener found with it.
    pub papers: u32,
}

/// Splits one CSV line with `"…"` quoting and `""` escapes.
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

/// Normalises a phrase the way the decoder builds keys: tokenise, keep word and number
/// tokens, `normalize`, join with single spaces.
pub fn phrase_key(s: &str) -> String {
    unspin_text::tokenize(s)
        .iter()
        .filter(|t| t.kind != unspin_text::TokenKind::Punct)
        .map(|t| unspin_text::normalize(t.text(s)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the tortured-phrases CSV (`tortured,expected,papers,query_guard` with a header).
pub fn load_tortured(path: &Path) -> Result<Vec<TorturedRow>, LexiconError> {
    let text = read(path)?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let f = csv_fields(line)
            .ok_or_else(|| LexiconError::source(path, i + 1, "unbalanced quotes"))?;
        if f.len() < 3 {
            return Err(LexiconError::source(
                path,
                i + 1,
                "expected at least 3 columns",
            ));
        }
        let papers = f[2].trim().parse().unwrap_or(0);
        let (tortured, expected) = (phrase_key(&f[0]), phrase_key(&f[1]));
        if tortured.is_empty() || expected.is_empty() || tortured == expected {
            continue;
        }
        rows.push(TorturedRow {
            tortured,
            expected,
            papers,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(
            csv_fields(r#"a b,c,12,"AND ""x y""""#).unwrap(),
            vec!["a b", "c", "12", r#"AND "x y""#]
        );
        assert!(csv_fields(r#"a,"b"#).is_none());
    }

    #[test]
    fn keys_are_normalised() {
        assert_eq!(
            phrase_key("Signal-to-Noise  ratio"),
            "signal to noise ratio"
        );
        assert_eq!(norm_entry("  Due To  this fact "), "due to this fact");
    }

    #[test]
    fn wordnet_weights_sum_to_one() {
        let wn = WordNet {
            synsets: vec![
                vec!["big".into(), "large".into()],
                vec!["big".into(), "heavy".into(), "great".into()],
            ],
            senses: [(("big".to_string(), Pos::Adj), vec![(0, 3), (1, 0)])]
                .into_iter()
                .collect(),
            related: vec![vec![], vec![]],
        };
        let syn = wn.synonyms("big", Pos::Adj);
        let total: f64 = syn.iter().map(|s| s.1).sum();
        assert!((total - 1.0).abs() < 1e-9);
        // sense 1 has weight 4/5, all to "large"
        assert!((syn[0].1 - 0.8).abs() < 1e-9, "{syn:?}");
        assert!(wn.share_synset("big", "heavy"));
        assert!(!wn.share_synset("large", "heavy"));
    }

    #[test]
    fn related_terms_follow_hypernym_and_similar_pointers() {
        // a data.noun line: offset lex_filenum ss_type w_cnt (word lex_id)* p_cnt (ptr)*
        let line =
            "07942152 14 n 01 people 0 003 @ 07950920 n 0000 ~ 07942451 n 0000 & 01234567 a 0000";
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            related_pointers(&f[6..]),
            vec![(Pos::Noun, 7950920), (Pos::Adj, 1234567)],
            "hypernym and similar-to kept, hyponym (~) left out"
        );
        assert!(related_pointers(&["x"]).is_empty());
        let wn = WordNet {
            synsets: vec![
                vec!["people".into()],
                vec!["group".into(), "grouping".into()],
                vec!["people".into(), "citizenry".into()],
                vec!["citizenry".into(), "body".into()],
            ],
            senses: [(("people".to_string(), Pos::Noun), vec![(0, 3), (2, 0)])]
                .into_iter()
                .collect(),
            related: vec![vec![1], vec![], vec![3], vec![]],
        };
        let rel = wn.related_terms("people", Pos::Noun);
        let get = |w: &str| rel.iter().find(|r| r.0 == w).map(|r| r.1);
        // sense 1 (weight 4) to group/grouping, sense 2 (weight 1) to body; citizenry is a
        // synonym of one of its senses, so not a related term
        assert!((get("group").unwrap() - 0.4).abs() < 1e-9, "{rel:?}");
        assert!((get("body").unwrap() - 0.2).abs() < 1e-9, "{rel:?}");
        assert!(get("citizenry").is_none());
        assert!(wn.related_terms("nobody", Pos::Noun).is_empty());
    }
}
