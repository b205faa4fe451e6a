//! Query speed of `Model::log10_prob` and the state API.
//!
//! Uses the model at `$UNSPIN_LM_BENCH_MODEL` or `model/en/lm.bin` (workspace root) when
//! present, otherwise a small model estimated from synthetic text.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unspin_lm::{
    BinaryOptions, BuildOptions, Model, binary_bytes, estimate_from_texts, lm_sentences,
};

const TEXT: &str = "The committee said on Monday that the new bridge over the river would open in \
    May. It was designed by a local firm and cost about 5.5 million dollars, according to the \
    city council. Critics argued that the money should have been spent on schools and roads \
    instead, but the mayor defended the project as a long-term investment in the region.";

fn model() -> Model {
    let path = std::env::var_os("UNSPIN_LM_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../model/en/lm.bin"));
    if let Ok(m) = Model::open(&path) {
        return m;
    }
    let texts: Vec<String> = (0..200)
        .map(|i| format!("{TEXT} Item {i} was noted."))
        .collect();
    let opts = BuildOptions {
        order: 4,
        min_word_count: 1,
        cutoffs: vec![],
        prune_threshold: 0.0,
        ..Default::default()
    };
    let (data, _) =
        estimate_from_texts(texts.iter().map(String::as_str), &opts).expect("toy model");
    Model::from_bytes(
        binary_bytes(&data, &BinaryOptions::default(), "bench".as_ref()).expect("toy bytes"),
    )
    .expect("toy model opens")
}

fn bench(c: &mut Criterion) {
    let m = model();
    let sentences: Vec<Vec<u32>> = lm_sentences(TEXT)
        .iter()
        .map(|s| s.iter().map(|w| m.id(w)).collect())
        .collect();
    let tokens: usize = sentences.iter().map(|s| s.len() + 1).sum();
    let mut g = c.benchmark_group("lm");
    g.throughput(Throughput::Elements(tokens as u64));
    g.bench_function("log10_prob", |b| {
        let mut ctx = Vec::with_capacity(64);
        b.iter(|| {
            let mut total = 0f32;
            for s in &sentences {
                ctx.clear();
                ctx.push(m.bos());
                for &w in s.iter().chain([m.eos()].iter()) {
                    total += m.log10_prob(black_box(&ctx), black_box(w));
                    ctx.push(w);
                }
            }
            total
        })
    });
    g.bench_function("state_score", |b| {
        b.iter(|| {
            sentences
                .iter()
                .map(|s| m.sentence_log10(black_box(s)))
                .sum::<f32>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
