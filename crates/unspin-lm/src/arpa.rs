//! ARPA text format: reading into and writing from [`NgramData`].

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;

use crate::data::{BOS, EOS, NgramData, OrderData, UNK};
use crate::error::LmError;

/// Writes `data` in ARPA format.
pub fn write_arpa_data(data: &NgramData, w: &mut dyn Write) -> Result<(), LmError> {
    let err = |e| LmError::io("<output>", e);
    let n = data.order();
    writeln!(w, "\\data\\").map_err(err)?;
    for o in &data.orders {
        writeln!(w, "ngram {}={}", o.n, o.len()).map_err(err)?;
    }
    for o in &data.orders {
        writeln!(w, "\n\\{}-grams:", o.n).map_err(err)?;
        for i in 0..o.len() {
            write_line(w, data, o, i, o.n < n).map_err(err)?;
        }
    }
    writeln!(w, "\n\\end\\").map_err(err)?;
    Ok(())
}

fn write_line(
    w: &mut dyn Write,
    data: &NgramData,
    o: &OrderData,
    i: usize,
    with_backoff: bool,
) -> std::io::Result<()> {
    write!(w, "{}", o.prob[i])?;
    for (j, &id) in o.entry(i).iter().enumerate() {
        let word = data
            .vocab
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("<unk>");
        write!(w, "{}{}", if j == 0 { '\t' } else { ' ' }, word)?;
    }
    if with_backoff {
        write!(w, "\t{}", o.backoff[i])?;
    }
    writeln!(w)
}

/// Reads an ARPA file (e.g. one written by KenLM's `lmplz` or by [`write_arpa_data`]).
///
/// The vocabulary is renumbered so that `<unk>`, `<s>`, `</s>` get ids 0, 1, 2; a missing
/// `<unk>` is added with log10 probability -100 (as KenLM does); missing `<s>` or `</s>` is
/// an error. Entries are sorted.
pub fn read_arpa(path: &Path) -> Result<NgramData, LmError> {
    let file = std::fs::File::open(path).map_err(|e| LmError::io(path, e))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    read_arpa_from(reader, path)
}

/// Reads ARPA text from `reader`; `path` is used in error messages.
pub fn read_arpa_from(reader: impl BufRead, path: &Path) -> Result<NgramData, LmError> {
    let bad = |line: usize, what: String| LmError::Arpa {
        path: path.to_path_buf(),
        line,
        what,
    };
    let mut counts: Vec<usize> = Vec::new();
    let mut state = 0usize; // 0 = before \data\, 1 = in header, k+1 = in k-grams, usize::MAX end
    let mut words: HashMap<String, u32> = HashMap::new();
    let mut vocab: Vec<String> = Vec::new();
    let mut orders: Vec<OrderData> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let mut lineno = 0usize;
    let mut buf = String::new();
    let mut reader = reader;
    loop {
        buf.clear();
        let got = reader
            .read_line(&mut buf)
            .map_err(|e| LmError::io(path, e))?;
        if got == 0 {
            break;
        }
        lineno += 1;
        let line = buf.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if state == 0 {
            if trimmed == "\\data\\" {
                state = 1;
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if trimmed == "\\end\\" {
            state = usize::MAX;
            break;
        }
        if let Some(rest) = trimmed.strip_prefix('\\') {
            let k: usize = rest
                .strip_suffix("-grams:")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad(lineno, format!("unexpected section header {trimmed:?}")))?;
            if k == 0 || k > counts.len() {
                return Err(bad(
                    lineno,
                    format!("section {k}-grams not announced in \\data\\"),
                ));
            }
            if k != orders.len() + 1 {
                return Err(bad(lineno, format!("section {k}-grams out of order")));
            }
            if let Some(prev) = orders.last() {
                let want = counts.get(prev.n - 1).copied().unwrap_or(0);
                if prev.len() != want {
                    return Err(bad(
                        lineno,
                        format!("{}-grams: header says {want}, found {}", prev.n, prev.len()),
                    ));
                }
            }
            let cap = counts.get(k - 1).copied().unwrap_or(0).min(1 << 26);
            orders.push(OrderData {
                n: k,
                ids: Vec::with_capacity(cap * k),
                prob: Vec::with_capacity(cap),
                backoff: Vec::with_capacity(cap),
            });
            state = k + 1;
            continue;
        }
        if state == 1 {
            let rest = trimmed
                .strip_prefix("ngram ")
                .ok_or_else(|| bad(lineno, format!("expected 'ngram N=count', got {trimmed:?}")))?;
            let (k, c) = rest
                .split_once('=')
                .and_then(|(a, b)| {
                    Some((
                        a.trim().parse::<usize>().ok()?,
                        b.trim().parse::<usize>().ok()?,
                    ))
                })
                .ok_or_else(|| bad(lineno, format!("bad count line {trimmed:?}")))?;
            if k != counts.len() + 1 || k > crate::MAX_ORDER {
                return Err(bad(
                    lineno,
                    format!(
                        "unexpected order {k} (orders must be 1..={} in sequence)",
                        crate::MAX_ORDER
                    ),
                ));
            }
            counts.push(c);
            continue;
        }
        // An n-gram line of order k.
        let k = state - 1;
        let toks: Vec<&str> = trimmed.split_ascii_whitespace().collect();
        let with_b = if toks.len() == k + 2 {
            true
        } else if toks.len() == k + 1 {
            false
        } else {
            return Err(bad(
                lineno,
                format!(
                    "expected {k} words with probability and optional backoff, got {} fields",
                    toks.len()
                ),
            ));
        };
        let p: f32 = toks[0]
            .parse()
            .map_err(|_| bad(lineno, format!("bad probability {:?}", toks[0])))?;
        let b: f32 = if with_b {
            toks[k + 1]
                .parse()
                .map_err(|_| bad(lineno, format!("bad backoff {:?}", toks[k + 1])))?
        } else {
            0.0
        };
        if !p.is_finite() || p > 0.0 || !b.is_finite() {
            return Err(bad(lineno, format!("log10 values out of range: {p} {b}")));
        }
        ids.clear();
        for &t in &toks[1..=k] {
            let id = if k == 1 {
                if words.contains_key(t) {
                    return Err(bad(lineno, format!("duplicate unigram {t:?}")));
                }
                let id = vocab.len() as u32;
                words.insert(t.to_string(), id);
                vocab.push(t.to_string());
                id
            } else {
                *words
                    .get(t)
                    .ok_or_else(|| bad(lineno, format!("word {t:?} is not in the unigrams")))?
            };
            ids.push(id);
        }
        if let Some(o) = orders.last_mut() {
            o.ids.extend_from_slice(&ids);
            o.prob.push(p);
            o.backoff.push(b);
        }
    }
    if state != usize::MAX {
        return Err(bad(lineno, "missing \\end\\ (file truncated?)".to_string()));
    }
    if orders.len() != counts.len() || orders.is_empty() {
        return Err(bad(
            0,
            format!("announced {} orders, found {}", counts.len(), orders.len()),
        ));
    }
    for o in &orders {
        if counts.get(o.n - 1).copied() != Some(o.len()) {
            return Err(bad(
                0,
                format!(
                    "{}-grams: header count differs from entries ({})",
                    o.n,
                    o.len()
                ),
            ));
        }
    }
    // Renumber so that <unk>, <s>, </s> are 0, 1, 2.
    if !words.contains_key("<unk>") {
        words.insert("<unk>".into(), vocab.len() as u32);
        vocab.push("<unk>".into());
        if let Some(o) = orders.first_mut() {
            o.ids.push(vocab.len() as u32 - 1);
            o.prob.push(-100.0);
            o.backoff.push(0.0);
        }
    }
    let mut perm: Vec<u32> = vec![u32::MAX; vocab.len()];
    let mut next = 3u32;
    for (name, fixed) in [("<unk>", UNK), ("<s>", BOS), ("</s>", EOS)] {
        let old = *words
            .get(name)
            .ok_or_else(|| bad(0, format!("vocabulary lacks {name}")))?;
        perm[old as usize] = fixed;
    }
    for p in perm.iter_mut() {
        if *p == u32::MAX {
            *p = next;
            next += 1;
        }
    }
    let mut new_vocab = vec![String::new(); vocab.len()];
    for (old, w) in vocab.into_iter().enumerate() {
        new_vocab[perm[old] as usize] = w;
    }
    for o in &mut orders {
        for id in &mut o.ids {
            *id = perm[*id as usize];
        }
    }
    let mut data = NgramData {
        vocab: new_vocab,
        orders,
    };
    data.sort();
    add_missing_contexts(&mut data);
    for o in &data.orders {
        for i in 1..o.len() {
            if o.entry(i - 1) == o.entry(i) {
                return Err(bad(
                    0,
                    format!(
                        "duplicate {}-gram {:?}",
                        o.n,
                        o.entry(i)
                            .iter()
                            .map(|&x| data.vocab[x as usize].as_str())
                            .collect::<Vec<_>>()
                    ),
                ));
            }
        }
    }
    Ok(data)
}

/// Adds the lower-order n-grams that some ARPA files leave out (a prefix or suffix of a
/// stored n-gram), as SRILM/KenLM do: each gets the probability the backoff rule gives it
/// and a backoff of 0, so scores do not change. Entries must be sorted; they stay sorted.
fn add_missing_contexts(data: &mut NgramData) {
    use std::collections::{BTreeSet, HashSet};
    let n = data.order();
    let mut added: Vec<BTreeSet<Vec<u32>>> = vec![BTreeSet::new(); n];
    for k in (2..=n).rev() {
        let lower: HashSet<&[u32]> = {
            let o = &data.orders[k - 2];
            (0..o.len()).map(|i| o.entry(i)).collect()
        };
        let mut missing: BTreeSet<Vec<u32>> = BTreeSet::new();
        let o = &data.orders[k - 1];
        let grams = (0..o.len())
            .map(|i| o.entry(i))
            .chain(added[k - 1].iter().map(Vec::as_slice));
        for g in grams {
            for part in [&g[..k - 1], &g[1..]] {
                if !lower.contains(part) {
                    missing.insert(part.to_vec());
                }
            }
        }
        added[k - 2] = missing;
    }
    if added.iter().all(BTreeSet::is_empty) {
        return;
    }
    // Values bottom-up, each order seeing the completed lower orders.
    for k in 1..n {
        let set = std::mem::take(&mut added[k - 1]);
        if set.is_empty() {
            continue;
        }
        let vals: Vec<f32> = {
            let q = crate::data::RefQuery::new(data);
            set.iter()
                .map(|g| q.log10_prob(&g[..k - 1], g[k - 1]))
                .collect()
        };
        let o = &mut data.orders[k - 1];
        for (g, p) in set.iter().zip(vals) {
            o.ids.extend_from_slice(g);
            o.prob.push(p);
            o.backoff.push(0.0);
        }
        data.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOY: &str = "\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1.0\t</s>\n-99\t<s>\t-0.5\n-0.5\ta\t-0.25\n-1.5\t<unk>\n\n\\2-grams:\n-0.2\t<s> a\n-0.1\ta </s>\n\n\\end\\\n";

    #[test]
    fn reads_and_writes() {
        let d = read_arpa_from(TOY.as_bytes(), Path::new("toy.arpa")).unwrap();
        assert_eq!(&d.vocab[..3], ["<unk>", "<s>", "</s>"]);
        assert_eq!(d.orders[1].len(), 2);
        let mut out = Vec::new();
        write_arpa_data(&d, &mut out).unwrap();
        let d2 = read_arpa_from(out.as_slice(), Path::new("x")).unwrap();
        assert_eq!(d, d2);
    }

    #[test]
    fn missing_contexts_are_added_without_changing_scores() {
        // "<s> a b" is stored but neither "<s> a"'s suffix chain nor "a b" is complete.
        let arpa = "\\data\\\nngram 1=5\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1.0\t</s>\n-99\t<s>\t-0.5\n-0.5\ta\t-0.25\n-0.7\tb\t-0.1\n-1.5\t<unk>\n\n\\2-grams:\n-0.2\t<s> a\t-0.3\n\n\\3-grams:\n-0.05\t<s> a b\n\n\\end\\\n";
        let d = read_arpa_from(arpa.as_bytes(), Path::new("t.arpa")).unwrap();
        assert_eq!(d.orders[1].len(), 2);
        let q = crate::data::RefQuery::new(&d);
        let (a, b) = (3u32, 4u32);
        // p(b | a) by backoff: b(a) + p(b) = -0.25 - 0.7.
        assert!((q.log10_prob(&[a], b) - (-0.95)).abs() < 1e-6);
        assert!((q.log10_prob(&[1, a], b) - (-0.05)).abs() < 1e-6);
        let bytes =
            crate::binary_bytes(&d, &crate::BinaryOptions::default(), Path::new("x")).unwrap();
        let m = crate::Model::from_bytes(bytes).unwrap();
        assert!((m.log10_prob(&[1, a], b) - (-0.05)).abs() < 1e-3);
    }

    #[test]
    fn truncated_is_an_error() {
        for cut in 0..TOY.len() - 1 {
            let r = read_arpa_from(&TOY.as_bytes()[..cut], Path::new("toy.arpa"));
            assert!(r.is_err(), "cut at {cut}");
        }
    }
}
