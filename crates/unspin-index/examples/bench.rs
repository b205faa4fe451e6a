//! Benchmark data generation and measurement for the source index (driven by
//! `bench/index/*.sh`).
//!
//! ```text
//! bench gen-retrieval --out DIR [--targets 1000] [--unrelated 1000] [--stitched 200]
//!     DIR/docs.jsonl     paragraphs (>= 20 words) of enwiki2015 + enwiki2018, minus the held-out
//!                        articles, plus the target articles whole
//!     DIR/queries.jsonl  {"qid","kind","text","expect":[ids]}: whole copies and single
//!                        paragraphs of targets spun at every 2nd word, stitched copies of two
//!                        targets, unrelated held-out articles (expect [])
//! bench gen-scale --out FILE --n 1000000      ~200-word documents (originals + spun variants)
//! bench gen-short --out DIR --n 100000 [--per 250] [--dict FILE]   short paragraphs spun by the
//!                        dictionary spinner (25 %, 40 %), 3-source stitched copies, unrelated texts;
//!                        DIR/labelled.jsonl: the spun paragraphs with their logged edits (eval)
//! bench queries --index DIR --queries FILE [--limit N]   recall@1, false sources, latency
//! bench align --n 2000 [--every 2]            substitution-table precision/recall vs spinner log
//! ```
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;
use unspin_index::Index;
use unspin_index::SynClasses;
use unspin_index::scheme::hash_str;
use unspin_index::{AlignParams, compare, phrase_key};
use unspin_index::{FindOptions, find};
use unspin_lexicon::spin::{Spinner, SplitMix as Rng};

type R<T> = Result<T, Box<dyn std::error::Error>>;

const CORPORA: [&str; 2] = [
    "../shared/corpora/enwiki2015.jsonl.zst",
    "../shared/corpora/enwiki2018.jsonl.zst",
];

fn articles(path: &str, f: &mut dyn FnMut(&str, &str, &str) -> R<bool>) -> R<()> {
    let file = std::fs::File::open(path)?;
    let r = std::io::BufReader::with_capacity(1 << 20, zstd::Decoder::new(file)?);
    for line in r.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().unwrap_or("");
        let title = v["title"].as_str().unwrap_or("");
        let text = v["text"].as_str().unwrap_or("");
        if !f(id, title, text)? {
            break;
        }
    }
    Ok(())
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn arg(a: &[String], name: &str) -> Option<String> {
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

fn spinner() -> R<Spinner> {
    Ok(Spinner::from_moby(&std::fs::read_to_string(
        "data/sources/moby.txt",
    )?))
}

/// Keeps the first ~`max_words` words of an article (whole paragraphs).
fn head(text: &str, max_words: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for p in text.split('\n') {
        if n >= max_words {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(p);
        n += words(p);
    }
    out
}

fn gen_retrieval(a: &[String]) -> R<()> {
    let out = PathBuf::from(arg(a, "--out").ok_or("--out DIR")?);
    let n_targets: usize = arg(a, "--targets").map_or(Ok(1000), |s| s.parse())?;
    let n_unrel: usize = arg(a, "--unrelated").map_or(Ok(1000), |s| s.parse())?;
    let n_stitch: usize = arg(a, "--stitched").map_or(Ok(200), |s| s.parse())?;
    std::fs::create_dir_all(&out)?;
    let sp = spinner()?;
    // targets and held-out texts: enwiki2018 articles with >= 300 words, chosen by id hash
    let mut targets: Vec<(String, String, String)> = Vec::new();
    let mut unrelated: Vec<(String, String)> = Vec::new();
    let n_unrel_wanted = n_unrel;
    let n_unrel = n_unrel * 3; // candidates; those sharing 8 words verbatim with the index are dropped
    articles(CORPORA[1], &mut |id, title, text| {
        let h = hash_str(id) % 100;
        if words(text) >= 300 && h < 20 && targets.len() < n_targets {
            targets.push((id.into(), title.into(), text.into()));
        } else if words(text) >= 200 && (40..80).contains(&h) && unrelated.len() < n_unrel {
            unrelated.push((id.into(), head(text, 250)));
        }
        Ok(true)
    })?;
    let skip: HashSet<String> = targets
        .iter()
        .map(|t| t.0.clone())
        .chain(unrelated.iter().map(|u| u.0.clone()))
        .collect();
    let mut docs = BufWriter::new(std::fs::File::create(out.join("docs.jsonl"))?);
    let mut n_docs = 0usize;
    for t in &targets {
        writeln!(docs, "{}", json!({"id": t.0, "title": t.1, "text": t.2}))?;
        n_docs += 1;
    }
    for c in CORPORA {
        articles(c, &mut |id, title, text| {
            if skip.contains(id) {
                return Ok(true);
            }
            for (k, p) in text.split('\n').enumerate() {
                if words(p) >= 20 {
                    writeln!(
                        docs,
                        "{}",
                        json!({"id": format!("{id}#{k}"), "title": title, "text": p})
                    )?;
                    n_docs += 1;
                }
            }
            Ok(true)
        })?;
    }
    docs.flush()?;
    drop(docs);
    // "unrelated" must mean unrelated: drop held-out texts that share any 8-word sequence
    // verbatim with an indexed document (Wikipedia reuses text across articles)
    let grams = indexed_grams(&out.join("docs.jsonl"))?;
    let before = unrelated.len();
    unrelated.retain(|u| {
        let mut clean = true;
        eight_grams(&u.1, &mut |h| {
            clean = !grams.contains(&h);
            clean
        });
        clean
    });
    eprintln!(
        "unrelated candidates: {before}, sharing no 8-word sequence with the index: {}",
        unrelated.len()
    );
    unrelated.truncate(n_unrel_wanted);
    drop(grams);
    let mut q = BufWriter::new(std::fs::File::create(out.join("queries.jsonl"))?);
    let mut rng = Rng(42);
    for (i, t) in targets.iter().enumerate() {
        let (spun, _) = sp.spin_words(&t.2, 2, i as u64).into_parts();
        writeln!(
            q,
            "{}",
            json!({"qid": format!("whole-{i}"), "kind": "whole", "text": spun, "expect": [t.0]})
        )?;
        let paras: Vec<&str> = t.2.split('\n').filter(|p| words(p) >= 50).collect();
        if !paras.is_empty() {
            let p = paras[rng.below(paras.len())];
            let (spun, _) = sp.spin_words(p, 2, 1000 + i as u64).into_parts();
            writeln!(
                q,
                "{}",
                json!({"qid": format!("para-{i}"), "kind": "paragraph", "text": spun, "expect": [t.0]})
            )?;
        }
    }
    for i in 0..n_stitch.min(targets.len() / 2) {
        let (a, b) = (&targets[2 * i], &targets[2 * i + 1]);
        let ha = head(&a.2, 150);
        let hb = head(&b.2, 150);
        let (sa, _) = sp.spin_words(&ha, 2, 5000 + i as u64).into_parts();
        let (sb, _) = sp.spin_words(&hb, 2, 6000 + i as u64).into_parts();
        writeln!(
            q,
            "{}",
            json!({"qid": format!("stitched-{i}"), "kind": "stitched", "text": format!("{sa}\n{sb}"), "expect": [a.0, b.0]})
        )?;
    }
    for (i, u) in unrelated.iter().enumerate() {
        writeln!(
            q,
            "{}",
            json!({"qid": format!("unrelated-{i}"), "kind": "unrelated", "text": u.1, "expect": []})
        )?;
    }
    q.flush()?;
    eprintln!(
        "{n_docs} documents ({} targets), {} unrelated held out",
        targets.len(),
        unrelated.len()
    );
    Ok(())
}

/// Calls `f` with the hash of every 8-word window (lowercase alphanumeric words) until it
/// returns false.
/// The hashes of every 8-word sequence of the texts of a JSONL file of documents.
fn indexed_grams(docs: &std::path::Path) -> Result<HashSet<u64>, Box<dyn std::error::Error>> {
    let mut grams: HashSet<u64> = HashSet::new();
    let f = std::io::BufReader::new(std::fs::File::open(docs)?);
    for line in f.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        eight_grams(v["text"].as_str().unwrap_or(""), &mut |h| {
            grams.insert(h);
            true
        });
    }
    Ok(grams)
}

fn eight_grams(text: &str, f: &mut dyn FnMut(u64) -> bool) {
    let w: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|x| !x.is_empty())
        .map(|x| hash_str(&x.to_lowercase()))
        .collect();
    for win in w.windows(8) {
        let h = win
            .iter()
            .fold(0u64, |a, &b| unspin_index::scheme::combine(a, b));
        if !f(h) {
            return;
        }
    }
}

fn gen_scale(a: &[String]) -> R<()> {
    let out = PathBuf::from(arg(a, "--out").ok_or("--out FILE")?);
    let n: usize = arg(a, "--n").map_or(Ok(1_000_000), |s| s.parse())?;
    let sp = spinner()?;
    // originals: ~200-word pieces of articles, cut at paragraph or sentence ends
    let mut base: Vec<String> = Vec::new();
    for c in CORPORA {
        articles(c, &mut |_, _, text| {
            let mut cur = String::new();
            let mut cw = 0;
            for sent in text.split_inclusive(['.', '\n']) {
                cur.push_str(sent);
                cw += words(sent);
                if cw >= 200 {
                    base.push(std::mem::take(&mut cur).trim().to_string());
                    cw = 0;
                }
            }
            if cw >= 100 {
                base.push(cur.trim().to_string());
            }
            Ok(base.len() < n)
        })?;
    }
    let mut w = BufWriter::new(std::fs::File::create(&out)?);
    let mut k = 0usize;
    'outer: for round in 0.. {
        for (i, t) in base.iter().enumerate() {
            if k >= n {
                break 'outer;
            }
            let text = if round == 0 {
                t.clone()
            } else {
                sp.spin_words(t, 2 + round % 2, (round * 10_000_000 + i) as u64)
                    .text
            };
            writeln!(
                w,
                "{}",
                json!({"id": format!("s{round}-{i}"), "text": text})
            )?;
            k += 1;
        }
    }
    w.flush()?;
    // queries: 1000 originals spun at every 2nd word; any document made from the same
    // original (s0-i, s1-i, s2-i, ...) is a correct source
    let qpath = out.with_extension("queries.jsonl");
    let mut q = BufWriter::new(std::fs::File::create(&qpath)?);
    let mut rng = Rng(7);
    let rounds = n.div_ceil(base.len().max(1));
    for j in 0..1000.min(base.len()) {
        let i = rng.below(base.len());
        let (spun, _) = sp.spin_words(&base[i], 2, 999_000 + j as u64).into_parts();
        let expect: Vec<String> = (0..rounds).map(|r| format!("s{r}-{i}")).collect();
        writeln!(
            q,
            "{}",
            json!({"qid": format!("scale-{j}"), "kind": "whole", "text": spun, "expect": expect})
        )?;
    }
    q.flush()?;
    eprintln!(
        "{k} documents ({} distinct originals); queries in {}",
        base.len(),
        qpath.display()
    );
    Ok(())
}

/// Short-paragraph source finding (issue 15): paragraphs of 20–30 and 30–60 words of
/// held-in enwiki2018 articles spun by the dictionary spinner at 25 % and 40 %, stitched
/// copies of three paragraphs from three articles, unrelated held-out texts; the index is
/// every other paragraph (>= 20 words) of enwiki2018 + enwiki2015, topped up to `--n` with
/// copies of non-target paragraphs spun by the test spinner.
fn gen_short(a: &[String]) -> R<()> {
    use unspin_lexicon::spin::DictSpinner;
    let out = PathBuf::from(arg(a, "--out").ok_or("--out DIR")?);
    let n: usize = arg(a, "--n").map_or(Ok(100_000), |s| s.parse())?;
    let per: usize = arg(a, "--per").map_or(Ok(250), |s| s.parse())?;
    let n_stitch: usize = arg(a, "--stitched").map_or(Ok(200), |s| s.parse())?;
    let n_unrel: usize = arg(a, "--unrelated").map_or(Ok(1000), |s| s.parse())?;
    let dict = arg(a, "--dict").unwrap_or_else(|| "data/dicts/mythes-test.txt".into());
    let ds = DictSpinner::from_file(std::path::Path::new(&dict))?;
    let sp = spinner()?;
    std::fs::create_dir_all(&out)?;
    // target articles (hash < 20) and held-out ones (hash 40..80), from enwiki2018
    let mut targets: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut held: Vec<(String, String)> = Vec::new();
    articles(CORPORA[1], &mut |id, title, text| {
        let h = hash_str(id) % 100;
        if h < 20 && targets.len() < 4 * per + 3 * n_stitch + 200 {
            let paras: Vec<String> = text.split('\n').map(str::to_string).collect();
            targets.push((id.into(), title.into(), paras));
        } else if (40..80).contains(&h) && words(text) >= 60 && held.len() < 3 * n_unrel {
            held.push((id.into(), text.into()));
        }
        Ok(true)
    })?;
    let skip: HashSet<String> = targets
        .iter()
        .map(|t| t.0.clone())
        .chain(held.iter().map(|h| h.0.clone()))
        .collect();
    // the chosen paragraphs: (doc id, text), one per article and bucket
    let pick = |lo: usize, hi: usize, from: &[(String, String, Vec<String>)]| {
        let mut v = Vec::new();
        for t in from {
            if let Some((k, p)) = t.2.iter().enumerate().find(|(_, p)| {
                let w = words(p);
                (lo..hi).contains(&w)
            }) {
                v.push((format!("{}#{k}", t.0), p.clone()));
            }
        }
        v
    };
    let (t_a, rest) = targets.split_at(targets.len().min(2 * per + 50));
    let (t_b, t_c) = rest.split_at(rest.len().min(2 * per + 50));
    let mut short = pick(20, 30, t_a);
    short.truncate(per);
    let mut mid = pick(30, 61, t_b);
    mid.truncate(per);
    let mut stitch_pool = pick(20, 61, t_c);
    stitch_pool.truncate(3 * n_stitch);
    // documents: every paragraph (>= 20 words) of the target articles first, then the others
    let mut docs = BufWriter::new(std::fs::File::create(out.join("docs.jsonl"))?);
    let mut n_docs = 0usize;
    let mut by_text: std::collections::HashMap<u64, Vec<String>> = Default::default();
    let wanted: HashSet<u64> = short
        .iter()
        .chain(&mid)
        .chain(&stitch_pool)
        .map(|p| hash_str(p.1.trim()))
        .collect();
    let mut others: Vec<String> = Vec::new();
    let mut put =
        |id: String, title: &str, p: &str, docs: &mut BufWriter<std::fs::File>| -> R<()> {
            let h = hash_str(p.trim());
            if wanted.contains(&h) {
                by_text.entry(h).or_default().push(id.clone());
            }
            writeln!(docs, "{}", json!({"id": id, "title": title, "text": p}))?;
            Ok(())
        };
    for t in &targets {
        for (k, p) in t.2.iter().enumerate() {
            if words(p) >= 20 && n_docs < n {
                put(format!("{}#{k}", t.0), &t.1, p, &mut docs)?;
                n_docs += 1;
            }
        }
    }
    'corpora: for c in CORPORA {
        let mut stop = false;
        articles(c, &mut |id, title, text| {
            if skip.contains(id) {
                return Ok(true);
            }
            for (k, p) in text.split('\n').enumerate() {
                if words(p) >= 20 {
                    if n_docs >= n {
                        stop = true;
                        return Ok(false);
                    }
                    put(format!("{id}#{k}"), title, p, &mut docs)?;
                    n_docs += 1;
                    if others.len() < 400_000 && words(p) >= 30 {
                        others.push(p.to_string());
                    }
                }
            }
            Ok(true)
        })?;
        if stop {
            break 'corpora;
        }
    }
    // top up with test-spinner copies of non-target paragraphs
    let mut round = 0u64;
    while n_docs < n && !others.is_empty() {
        for (i, p) in others.iter().enumerate() {
            if n_docs >= n {
                break;
            }
            let text = sp
                .spin_words(p, 2 + (round as usize % 2), round * 10_000_000 + i as u64)
                .text;
            writeln!(
                docs,
                "{}",
                json!({"id": format!("spun{round}-{i}"), "text": text})
            )?;
            n_docs += 1;
        }
        round += 1;
    }
    docs.flush()?;
    drop(docs);
    // unrelated: held-out paragraphs (20–60 words) and article heads (~250 words) that share
    // no 8-word sequence verbatim with an indexed document
    let grams = indexed_grams(&out.join("docs.jsonl"))?;
    let clean = |t: &str| {
        let mut ok = true;
        eight_grams(t, &mut |h| {
            ok = !grams.contains(&h);
            ok
        });
        ok
    };
    let mut unrel: Vec<(String, String)> = Vec::new();
    for (i, (id, text)) in held.iter().enumerate() {
        if unrel.len() >= n_unrel {
            break;
        }
        let t = if i % 2 == 0 {
            match text.split('\n').find(|p| (20..61).contains(&words(p))) {
                Some(p) => p.to_string(),
                None => continue,
            }
        } else {
            head(text, 250)
        };
        if clean(&t) {
            unrel.push((id.clone(), t));
        }
    }
    drop(grams);
    let mut q = BufWriter::new(std::fs::File::create(out.join("queries.jsonl"))?);
    let mut labelled = BufWriter::new(std::fs::File::create(out.join("labelled.jsonl"))?);
    let expect = |p: &(String, String)| -> Vec<String> {
        let mut e = by_text
            .get(&hash_str(p.1.trim()))
            .cloned()
            .unwrap_or_default();
        if !e.contains(&p.0) {
            e.push(p.0.clone());
        }
        e
    };
    for (bucket, set) in [("20-30", &short), ("30-60", &mid)] {
        for rate in [25u64, 40] {
            for (i, p) in set.iter().enumerate() {
                let s = ds.spin(&p.1, rate as f64 / 100.0, rate * 1_000_003 + i as u64);
                let qid = format!("w{bucket}-r{rate}-{i}");
                writeln!(
                    q,
                    "{}",
                    json!({"qid": qid, "kind": format!("w{bucket}-r{rate}"), "text": s.text, "expect": expect(p)})
                )?;
                let edits: Vec<serde_json::Value> = s
                    .edits
                    .iter()
                    .map(|e| json!({"start": e.start, "end": e.end, "original": e.original, "spun": e.spun}))
                    .collect();
                writeln!(
                    labelled,
                    "{}",
                    json!({"id": qid, "text": s.text, "original": p.1, "edits": edits})
                )?;
            }
        }
    }
    for i in 0..n_stitch.min(stitch_pool.len() / 3) {
        let parts = &stitch_pool[3 * i..3 * i + 3];
        let rate = if i % 2 == 0 { 0.25 } else { 0.40 };
        let text: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                ds.spin(&p.1, rate, 7_000_000 + 3 * i as u64 + k as u64)
                    .text
            })
            .collect();
        let exp: Vec<String> = parts.iter().map(|p| p.0.clone()).collect();
        writeln!(
            q,
            "{}",
            json!({"qid": format!("stitched3-{i}"), "kind": "stitched", "text": text.join("\n"), "expect": exp})
        )?;
    }
    for (i, u) in unrel.iter().enumerate() {
        let kind = if words(&u.1) <= 60 {
            "unrelated-short"
        } else {
            "unrelated"
        };
        writeln!(
            q,
            "{}",
            json!({"qid": format!("unrelated-{i}"), "kind": kind, "text": u.1, "expect": []})
        )?;
    }
    q.flush()?;
    labelled.flush()?;
    eprintln!(
        "{n_docs} documents; {} + {} target paragraphs x 2 rates, {} stitched, {} unrelated",
        short.len(),
        mid.len(),
        n_stitch.min(stitch_pool.len() / 3),
        unrel.len()
    );
    Ok(())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else {
        v[((v.len() - 1) as f64 * p).round() as usize]
    }
}

fn queries(a: &[String]) -> R<()> {
    let dir = PathBuf::from(arg(a, "--index").ok_or("--index DIR")?);
    let qpath = PathBuf::from(arg(a, "--queries").ok_or("--queries FILE")?);
    let ix = Index::open(&dir)?;
    let mut opt = FindOptions::default();
    if let Some(m) = arg(a, "--min-passage") {
        opt.min_passage = m.parse()?;
    }
    if let Some(m) = arg(a, "--max-candidates") {
        opt.max_candidates = m.parse()?;
    }
    for (name, field) in [
        ("--miss", &mut opt.score.miss),
        ("--imm-miss", &mut opt.score.immutable_miss),
        ("--max-seed", &mut opt.score.max_seed),
        ("--name-run", &mut opt.score.name_run),
        ("--place", &mut opt.score.place),
    ] {
        if let Some(v) = arg(a, name) {
            *field = v.parse()?;
        }
    }
    if let Some(m) = arg(a, "--max-evalue") {
        opt.max_evalue = m.parse()?;
    }
    if a.iter().any(|x| x == "--no-threshold") {
        opt.min_passage = 0;
        opt.min_coverage = 0.0;
        opt.max_evalue = f64::INFINITY;
    }
    let qs: Vec<serde_json::Value> = std::fs::read_to_string(&qpath)?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    // warm-up pass
    for q in &qs {
        find(&ix, q["text"].as_str().unwrap_or(""), &opt)?;
    }
    let mut lat: Vec<f64> = Vec::new();
    let mut kind_s: std::collections::BTreeMap<String, f64> = Default::default();
    let mut per_kind: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut false_src = 0usize;
    let mut max_false_cov = 0.0f64;
    let mut unrel = 0usize;
    let mut misses = Vec::new();
    let mut dump = match arg(a, "--dump") {
        Some(p) => Some(BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    for q in &qs {
        let text = q["text"].as_str().unwrap_or("");
        let kind = q["kind"].as_str().unwrap_or("").to_string();
        let expect: Vec<&str> = q["expect"]
            .as_array()
            .map(|v| v.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let t = Instant::now();
        let hits = find(&ix, text, &opt)?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        *kind_s
            .entry(q["kind"].as_str().unwrap_or("").to_string())
            .or_default() += t.elapsed().as_secs_f64();
        if let Some(dump) = dump.as_mut() {
            for (rank, h) in hits.iter().enumerate() {
                let correct = expect.contains(&h.id.as_str());
                writeln!(
                    dump,
                    "{}\t{kind}\t{rank}\t{correct}\t{:.3}\t{:.3}\t{}\t{}\t{:.3e}\t{:.1}\t{:.1}\t{}",
                    q["qid"].as_str().unwrap_or(""),
                    h.coverage,
                    h.similarity,
                    h.matched,
                    h.best_passage,
                    h.evalue,
                    h.bits,
                    h.total_bits,
                    h.id
                )?;
            }
        }
        let e = per_kind.entry(kind.clone()).or_default();
        e.1 += 1;
        match kind.as_str() {
            k if k.starts_with("unrelated") => {
                unrel += 1;
                if let Some(h) = hits.first() {
                    false_src += 1;
                    e.0 += 1;
                    max_false_cov = max_false_cov.max(h.coverage);
                    misses.push(format!(
                        "{} -> {} cov {:.2} matched {}",
                        q["qid"], h.id, h.coverage, h.matched
                    ));
                }
            }
            "stitched" => {
                let ok = expect
                    .iter()
                    .all(|x| hits.iter().take(opt.limit).any(|h| h.id == *x));
                if ok {
                    e.0 += 1;
                } else {
                    misses.push(format!(
                        "{} -> {:?}",
                        q["qid"],
                        hits.iter().map(|h| &h.id).collect::<Vec<_>>()
                    ));
                }
            }
            _ => {
                if hits
                    .first()
                    .is_some_and(|h| expect.contains(&h.id.as_str()))
                {
                    e.0 += 1;
                } else {
                    misses.push(format!(
                        "{} -> {:?}",
                        q["qid"],
                        hits.iter()
                            .take(3)
                            .map(|h| (&h.id, h.matched))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    let st = ix.stats();
    println!(
        "index: {} docs, {} chunks, {} segments, {:.1} MB",
        st.docs,
        st.chunks,
        st.segments,
        st.bytes as f64 / 1e6
    );
    for (k, (ok, n)) in &per_kind {
        if k.starts_with("unrelated") {
            println!("{k}: {ok}/{n} with a reported source (max coverage {max_false_cov:.2})");
        } else if k == "stitched" {
            println!(
                "stitched: both sources reported for {ok}/{n} = {:.3}",
                *ok as f64 / *n as f64
            );
        } else {
            println!("{k}: recall@1 {ok}/{n} = {:.4}", *ok as f64 / *n as f64);
        }
    }
    let _ = (unrel, false_src);
    let total_s: f64 = lat.iter().sum::<f64>() / 1e3;
    println!("find total {:.2} s for {} queries", total_s, lat.len());
    let by_kind: Vec<String> = kind_s
        .iter()
        .map(|(k, s)| format!("{k} {s:.3} s"))
        .collect();
    println!("find total by kind: {}", by_kind.join(", "));
    println!(
        "find latency (warm, single thread): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.9),
        pct(&mut lat, 0.99),
        pct(&mut lat, 1.0)
    );
    if a.iter().any(|x| x == "--show-misses") {
        for m in misses.iter().take(40) {
            println!("  miss: {m}");
        }
    }
    Ok(())
}

fn align(a: &[String]) -> R<()> {
    let n: usize = arg(a, "--n").map_or(Ok(2000), |s| s.parse())?;
    let every: usize = arg(a, "--every").map_or(Ok(2), |s| s.parse())?;
    let sp = spinner()?;
    let classes = SynClasses::embedded();
    let p = AlignParams::default();
    let mut paras = Vec::new();
    articles(CORPORA[1], &mut |id, _, text| {
        if hash_str(id) % 100 >= 10 {
            for para in text.split('\n') {
                if words(para) >= 50 {
                    paras.push(para.to_string());
                }
            }
        }
        Ok(paras.len() < n)
    })?;
    let (mut tp_i, mut pred_i, mut gold_i) = (0usize, 0usize, 0usize);
    let (mut tp_t, mut pred_t, mut gold_t) = (0usize, 0usize, 0usize);
    let t = Instant::now();
    let mut shown = 0;
    for (i, para) in paras.iter().enumerate() {
        let (spun, log) = sp.spin_words(para, every, 77 + i as u64).into_parts();
        let c = compare(&spun, para, classes, &p);
        let gold: HashSet<((usize, usize), (usize, usize))> = log
            .iter()
            .map(|s| (s.orig_range(), s.spun_range()))
            .collect();
        let pred: HashSet<((usize, usize), (usize, usize))> = c
            .substitutions
            .iter()
            .map(|s| (s.source_bytes, s.spun_bytes))
            .collect();
        tp_i += gold.intersection(&pred).count();
        gold_i += gold.len();
        pred_i += pred.len();
        let gt: HashSet<(String, String)> = log
            .iter()
            .map(|s| (phrase_key(&s.original), phrase_key(&s.spun)))
            .collect();
        let pt: HashSet<(String, String)> = c
            .table
            .iter()
            .map(|r| (r.source.clone(), r.spun.clone()))
            .collect();
        tp_t += gt.intersection(&pt).count();
        gold_t += gt.len();
        pred_t += pt.len();
        if a.iter().any(|x| x == "--show") && shown < 30 {
            for x in pt.difference(&gt) {
                println!("  false: {} -> {}", x.0, x.1);
                shown += 1;
            }
            for x in gt.difference(&pt) {
                println!("  missed: {} -> {}", x.0, x.1);
                shown += 1;
            }
        }
    }
    let f = |tp: usize, d: usize| if d == 0 { 0.0 } else { tp as f64 / d as f64 };
    println!(
        "{} spun paragraphs (spun at every {every}. word, {} substitutions logged), {:.1} ms per compare",
        paras.len(),
        gold_i,
        t.elapsed().as_secs_f64() * 1e3 / paras.len().max(1) as f64
    );
    println!(
        "instances (byte ranges): precision {:.4} recall {:.4}",
        f(tp_i, pred_i),
        f(tp_i, gold_i)
    );
    println!(
        "table (per-pair types, per document): precision {:.4} recall {:.4}",
        f(tp_t, pred_t),
        f(tp_t, gold_t)
    );
    Ok(())
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("RssFile") || l.starts_with("RssAnon"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Memory probe: RSS after opening, after band lookups, after a full find.
fn probe(a: &[String]) -> R<()> {
    use unspin_index::BucketStore;
    let dir = PathBuf::from(arg(a, "--index").ok_or("--index DIR")?);
    let text = std::fs::read_to_string(arg(a, "--text").ok_or("--text FILE")?)?;
    println!("start: {}", rss());
    let ix = Index::open(&dir)?;
    println!("open: {}", rss());
    let mut n = 0;
    for b in 0..unspin_index::scheme::BANDS {
        ix.get(b, 12345, &mut |_| n += 1)?;
    }
    println!("lookups: {} ({n})", rss());
    let hits = find(&ix, &text, &FindOptions::default())?;
    println!("find: {} ({} hits)", rss(), hits.len());
    Ok(())
}

/// Time of each indexing phase on a JSONL file (single thread unless noted).
fn phases(a: &[String]) -> R<()> {
    use unspin_index::scheme::chunk_keys;
    let path = PathBuf::from(arg(a, "--docs").ok_or("--docs FILE")?);
    let t = Instant::now();
    let mut docs = Vec::new();
    for (i, line) in std::io::BufReader::new(std::fs::File::open(&path)?)
        .lines()
        .enumerate()
    {
        if let Some(d) = unspin_index::parse_jsonl_line(&line?, &path, i + 1)? {
            docs.push(d);
        }
    }
    println!(
        "parse jsonl: {:.2} s ({} docs)",
        t.elapsed().as_secs_f64(),
        docs.len()
    );
    let classes = SynClasses::embedded();
    let t = Instant::now();
    let mut n = 0usize;
    for d in &docs {
        n += unspin_index::scheme::word_features(&d.text, classes).len();
    }
    println!(
        "word features: {:.2} s ({n} words)",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut c = 0usize;
    for d in &docs {
        c += chunk_keys(&d.text, classes).len();
    }
    println!(
        "features + minhash + bands: {:.2} s ({c} chunks)",
        t.elapsed().as_secs_f64()
    );
    // texts in blocks, cut as the segment writer cuts them (--block BYTES, default the
    // writer's block size)
    let block_bytes: usize =
        arg(a, "--block").map_or(Ok(unspin_index::scheme::BLOCK_BYTES), |s| s.parse())?;
    let mut blocks: Vec<Vec<u8>> = vec![Vec::new()];
    for d in &docs {
        let last = blocks.last_mut().expect("one block");
        if !last.is_empty() && last.len() + d.text.len() > block_bytes {
            blocks.push(Vec::new());
        }
        blocks
            .last_mut()
            .expect("one block")
            .extend_from_slice(d.text.as_bytes());
    }
    let raw: usize = blocks.iter().map(Vec::len).sum();
    for level in [1, 2, 3, 4, 5, 6] {
        let t = Instant::now();
        let mut c = zstd::bulk::Compressor::new(level)?;
        let mut frames = Vec::with_capacity(blocks.len());
        for b in &blocks {
            frames.push(c.compress(b)?);
        }
        let secs = t.elapsed().as_secs_f64();
        let bytes: usize = frames.iter().map(Vec::len).sum();
        let t = Instant::now();
        let mut d = zstd::bulk::Decompressor::new()?;
        for (f, b) in frames.iter().zip(&blocks) {
            d.decompress(f, b.len())?;
        }
        println!(
            "zstd level {level}, {} blocks of <= {block_bytes} bytes: {secs:.2} s, {bytes} bytes \
             ({:.3} of {raw}); decompressing all {:.2} s",
            blocks.len(),
            bytes as f64 / raw as f64,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn main() -> R<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match a.first().map(String::as_str) {
        Some("gen-retrieval") => gen_retrieval(&a),
        Some("gen-scale") => gen_scale(&a),
        Some("gen-short") => gen_short(&a),
        Some("queries") => queries(&a),
        Some("align") => align(&a),
        Some("probe") => probe(&a),
        Some("spin") => {
            // test spinner on stdin → stdout; the substitution log goes to stderr as JSON
            let every: usize = arg(&a, "--every").map_or(Ok(2), |s| s.parse())?;
            let seed: u64 = arg(&a, "--seed").map_or(Ok(1), |s| s.parse())?;
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            let (spun, log) = spinner()?.spin_words(&text, every, seed).into_parts();
            print!("{spun}");
            for s in log {
                eprintln!(
                    "{}",
                    json!({"orig": s.orig_range(), "spun": s.spun_range(), "from": s.original.to_lowercase(), "to": s.spun.to_lowercase()})
                );
            }
            Ok(())
        }
        Some("phases") => phases(&a),
        _ => Err("usage: bench gen-retrieval|gen-scale|queries|align ... (see source)".into()),
    }
}
