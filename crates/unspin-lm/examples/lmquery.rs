//! Query tool for unspin language models (used by `bench/lm/lm_vs_kenlm.py`).
//!
//! ```text
//! lmquery info MODEL                      sizes, counts, open time
//! lmquery arpa MODEL OUT.arpa             export ARPA
//! lmquery compile IN.arpa OUT.bin         import ARPA
//! lmquery score MODEL "tok tok …"         per-token log10 scores
//! lmquery eval MODEL CORPUS.jsonl.zst [--paragraphs N] [--sentences-out FILE] [--repeat R]
//! ```
//! `eval` takes up to N paragraphs (default 2000; at most 2 per article, at least 8 tokens)
//! from the corpus, reports perplexity (every token and `</s>` predicted, `<unk>` included)
//! and query speed, and can write each sentence as `log10score<TAB>space-separated tokens`
//! (out-of-vocabulary tokens written as `<unk>`) for comparison with other toolkits.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use unspin_lm::{Model, WordId, lm_sentences};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn rss_kb() -> u64 {
    proc_kb("/proc/self/status", "VmRSS:")
}

/// A `kB` field of a /proc file (0 where there is none).
fn proc_kb(file: &str, field: &str) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|x| x.parse().ok()))
        })
        .unwrap_or(0)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("");
    let arg = |i: usize| {
        args.get(i)
            .map(String::as_str)
            .ok_or(format!("{cmd}: missing argument {i}"))
    };
    match cmd {
        "info" => {
            let t = Instant::now();
            let m = Model::open(Path::new(arg(1)?))?;
            let open = t.elapsed();
            println!("open_ms\t{:.3}", open.as_secs_f64() * 1e3);
            println!("order\t{}", m.order());
            println!("vocab\t{}", m.vocab_size());
            println!("counts\t{:?}", m.counts());
            println!("bytes\t{}", m.size_bytes());
            for (k, (slots, fp, width, probe)) in m.table_layout().iter().enumerate() {
                println!(
                    "table\t{}\tslots {slots}\tfingerprint bits {fp}\tbits/slot {width}\tmax probe {probe}",
                    k + 1
                );
            }
            for (name, order, len) in m.section_sizes() {
                println!("section\t{name}\t{order}\t{len}");
            }
        }
        "arpa" => {
            let m = Model::open(Path::new(arg(1)?))?;
            let f = std::fs::File::create(arg(2)?)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            m.write_arpa(&mut w)?;
            w.flush()?;
        }
        "compile" => {
            let stats = unspin_lm::compile_arpa(Path::new(arg(1)?), Path::new(arg(2)?))?;
            println!("{stats:#?}");
        }
        "eval" => eval(&args)?,
        "score" => {
            // Per-token scores of space-separated, already normalised tokens.
            let m = Model::open(Path::new(arg(1)?))?;
            let toks: Vec<&str> = arg(2)?.split(' ').collect();
            let mut st = m.begin_sentence();
            let mut next = st;
            let mut total = 0f32;
            for t in toks.iter().copied().chain(["</s>"]) {
                let p = m.score(&st, m.id(t), &mut next);
                total += p;
                println!("{t}\t{p}\t{}", next.words().len());
                st = next;
            }
            println!("total\t{total}");
        }
        _ => return Err("usage: lmquery info|arpa|compile|eval …".into()),
    }
    Ok(())
}

fn held_out(
    corpus: &Path,
    paragraphs: usize,
) -> Result<Vec<Vec<String>>, Box<dyn std::error::Error>> {
    let f = std::fs::File::open(corpus)?;
    let r = std::io::BufReader::new(zstd::stream::read::Decoder::new(f)?);
    let mut sentences = Vec::new();
    let mut taken = 0usize;
    for line in r.lines() {
        let line = line?;
        let doc: serde_json::Value = serde_json::from_str(&line)?;
        let text = doc.get("text").and_then(|t| t.as_str()).unwrap_or("");
        let mut per_doc = 0;
        for para in text.split('\n') {
            let s = lm_sentences(para);
            if s.iter().map(Vec::len).sum::<usize>() < 8 {
                continue;
            }
            sentences.extend(s);
            taken += 1;
            per_doc += 1;
            if per_doc == 2 || taken == paragraphs {
                break;
            }
        }
        if taken == paragraphs {
            break;
        }
    }
    Ok(sentences)
}

fn eval(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let mut paragraphs = 2000usize;
    let mut out: Option<String> = None;
    let mut repeat = 20usize;
    let mut mmap = false;
    let mut pos = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--paragraphs" => paragraphs = it.next().ok_or("--paragraphs N")?.parse()?,
            "--sentences-out" => out = Some(it.next().ok_or("--sentences-out FILE")?.clone()),
            "--repeat" => repeat = it.next().ok_or("--repeat R")?.parse()?,
            "--mmap" => mmap = true,
            _ => pos.push(a.clone()),
        }
    }
    let (model, corpus) = match pos.as_slice() {
        [m, c] => (m, c),
        _ => {
            return Err(
                "eval MODEL CORPUS [--paragraphs N] [--sentences-out FILE] [--repeat R]".into(),
            );
        }
    };
    let rss0 = rss_kb();
    let t = Instant::now();
    let m = if mmap {
        Model::open(Path::new(model))?
    } else {
        Model::load(Path::new(model))?
    };
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let sentences = held_out(Path::new(corpus), paragraphs)?;
    let ids: Vec<Vec<WordId>> = sentences
        .iter()
        .map(|s| s.iter().map(|w| m.id(w)).collect())
        .collect();
    let mut total = 0f64;
    let mut predicted = 0usize;
    let mut oov = 0usize;
    let mut w = match &out {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    for (s, sid) in sentences.iter().zip(&ids) {
        let score = m.sentence_log10(sid);
        total += f64::from(score);
        predicted += sid.len() + 1;
        oov += sid.iter().filter(|&&x| x == m.unk()).count();
        if let Some(w) = w.as_mut() {
            let toks: Vec<&str> = s
                .iter()
                .zip(sid)
                .map(|(t, &i)| if i == m.unk() { "<unk>" } else { t.as_str() })
                .collect();
            writeln!(w, "{score}\t{}", toks.join(" "))?;
        }
    }
    if let Some(mut w) = w {
        w.flush()?;
    }
    let ppl = 10f64.powf(-total / predicted as f64);
    println!("sentences\t{}", sentences.len());
    println!("predicted_tokens\t{predicted}");
    println!("oov_tokens\t{oov}");
    println!("log10_total\t{total:.4}");
    println!("perplexity\t{ppl:.3}");
    println!("open_ms\t{open_ms:.3}");
    // Speed (best single pass of `repeat`, the machine may be shared): the state API,
    // full-context log10_prob at every position, and the state API including word -> id.
    let mut sink = 0f32;
    let best = |f: &mut dyn FnMut() -> f32, sink: &mut f32| -> f64 {
        let mut best = f64::MAX;
        for _ in 0..repeat.max(1) {
            let t = Instant::now();
            *sink += f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        predicted as f64 / best
    };
    let state = best(
        &mut || ids.iter().map(|sid| m.sentence_log10(sid)).sum(),
        &mut sink,
    );
    println!("state_lookups_per_s\t{state:.0}");
    let mut ctx: Vec<WordId> = Vec::with_capacity(512);
    let full = best(
        &mut || {
            let mut total = 0f32;
            for sid in &ids {
                ctx.clear();
                ctx.push(m.bos());
                for &x in sid.iter().chain([m.eos()].iter()) {
                    total += m.log10_prob(&ctx, x);
                    ctx.push(x);
                }
            }
            total
        },
        &mut sink,
    );
    println!("log10_prob_per_s\t{full:.0}");
    let with_vocab = best(
        &mut || {
            let mut total = 0f32;
            for s in &sentences {
                let mut st = m.begin_sentence();
                let mut next = st;
                for x in s.iter().map(|w| m.id(w)).chain([m.eos()]) {
                    total += m.score(&st, x, &mut next);
                    st = next;
                }
            }
            total
        },
        &mut sink,
    );
    println!("with_vocab_lookups_per_s\t{with_vocab:.0}");
    let vocab_only = best(
        &mut || {
            let mut total = 0u32;
            for s in &sentences {
                for w in s {
                    total = total.wrapping_add(m.id(w));
                }
            }
            total as f32
        },
        &mut sink,
    );
    println!("vocab_only_per_s\t{vocab_only:.0}");
    let batched = best(
        &mut || {
            let mut total = 0f32;
            for s in &sentences {
                total += m.sentence_log10_words(s);
            }
            total
        },
        &mut sink,
    );
    println!("sentence_words_per_s\t{batched:.0}");
    println!("rss_delta_kb\t{}", rss_kb().saturating_sub(rss0));
    println!(
        "anon_huge_kb\t{}",
        proc_kb("/proc/self/smaps_rollup", "AnonHugePages:")
    );
    if sink == 1.2345 {
        println!();
    }
    Ok(())
}
