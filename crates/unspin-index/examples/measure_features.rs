//! Measures fingerprint robustness: Jaccard of window features between a paragraph and its
//! spun copy, and between unrelated paragraphs.
use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use unspin_index::SynClasses;
use unspin_index::scheme::{CHUNK, content_positions, window_features, word_features};
use unspin_lexicon::spin::Spinner;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let classes = SynClasses::open(Path::new(&a[1]))?;
    let spinner = Spinner::from_moby(&std::fs::read_to_string("data/sources/moby.txt")?);
    let every: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let f = std::fs::File::open("../shared/corpora/enwiki2018.jsonl.zst")?;
    let r = std::io::BufReader::new(zstd::Decoder::new(f)?);
    let mut paras = Vec::new();
    for line in r.lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        for p in v["text"].as_str().unwrap_or("").split('\n') {
            if p.split_whitespace().count() >= 120 {
                paras.push(p.to_string());
            }
        }
        if paras.len() >= 2000 {
            break;
        }
    }
    let feats = |t: &str| -> HashSet<u64> {
        let w = word_features(t, &classes);
        let pos = content_positions(&w);
        let mut out = Vec::new();
        window_features(&w, &pos[..pos.len().min(CHUNK)], &mut out);
        out.into_iter().collect()
    };
    let j = |a: &HashSet<u64>, b: &HashSet<u64>| {
        a.intersection(b).count() as f64 / a.union(b).count().max(1) as f64
    };
    let (mut js, mut jr) = (Vec::new(), Vec::new());
    for (i, p) in paras.iter().enumerate() {
        let (spun, _) = spinner.spin_words(p, every, i as u64).into_parts();
        let fo = feats(p);
        js.push(j(&fo, &feats(&spun)));
        jr.push(j(&fo, &feats(&paras[(i + 7) % paras.len()])));
    }
    js.sort_by(f64::total_cmp);
    jr.sort_by(f64::total_cmp);
    let q = |v: &Vec<f64>, p: f64| v[((v.len() - 1) as f64 * p) as usize];
    println!(
        "spun: p1 {:.3} p5 {:.3} p50 {:.3}; random: p50 {:.3} p99 {:.3} max {:.3}",
        q(&js, 0.01),
        q(&js, 0.05),
        q(&js, 0.5),
        q(&jr, 0.5),
        q(&jr, 0.99),
        q(&jr, 1.0)
    );
    Ok(())
}
