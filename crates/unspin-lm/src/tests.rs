//! Tests of the whole pipeline on toy corpora.

use std::path::Path;

use proptest::prelude::*;

use crate::data::{BOS, RefQuery};
use crate::{
    BinaryOptions, BuildOptions, Model, NgramData, binary_bytes, estimate_from_texts, read_arpa,
};

const TOY: &[&str] = &[
    "The cat sat on the mat. The dog sat on the log.",
    "A cat and a dog met on the mat! The cat ran.",
    "The dog ran to the log, and the cat sat.\nThe mat was red. A red cat sat on a red mat.",
    "Dogs and cats: the dog, the cat, the mat, the log. The end.",
    "On the mat the cat sat; on the log the dog sat. The cat and the dog.",
];

fn toy(order: usize, cutoffs: Vec<u64>, min: u64) -> NgramData {
    let opts = BuildOptions {
        order,
        cutoffs,
        min_word_count: min,
        prune_threshold: 0.0,
        ..Default::default()
    };
    estimate_from_texts(TOY.iter().copied(), &opts).unwrap().0
}

/// Lossless layout for toy models (few distinct values).
fn exact() -> BinaryOptions {
    BinaryOptions {
        prob_bits: 16,
        backoff_bits: 16,
        unigram_bits: 16,
        ..Default::default()
    }
}

/// All contexts (up to order-1 words) occurring in the training sentences.
fn contexts(data: &NgramData) -> Vec<Vec<u32>> {
    let mut out = std::collections::BTreeSet::new();
    let ids: std::collections::HashMap<&str, u32> = data
        .vocab
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_str(), i as u32))
        .collect();
    for t in TOY {
        for s in crate::lm_sentences(t) {
            let mut seq = vec![BOS];
            seq.extend(s.iter().map(|w| ids.get(w.as_str()).copied().unwrap_or(0)));
            for end in 1..=seq.len() {
                for len in 0..data.order() {
                    if len <= end {
                        out.insert(seq[end - len..end].to_vec());
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

fn check_normalised(data: &NgramData) {
    let q = RefQuery::new(data);
    for ctx in contexts(data) {
        let sum: f64 = (0..data.vocab.len() as u32)
            .filter(|&w| w != BOS)
            .map(|w| 10f64.powf(f64::from(q.log10_prob(&ctx, w))))
            .sum();
        assert!(
            (sum - 1.0).abs() < 1e-4,
            "order {} context {ctx:?} sums to {sum}",
            data.order()
        );
    }
}

#[test]
fn normalised_before_and_after_pruning() {
    for order in 1..=4 {
        check_normalised(&toy(order, vec![], 1));
        check_normalised(&toy(order, vec![0, 1, 1, 1], 1));
        check_normalised(&toy(order, vec![0, 1, 2, 3], 2));
        let opts = BuildOptions {
            order,
            cutoffs: vec![],
            min_word_count: 1,
            prune_threshold: 2.0,
            ..Default::default()
        };
        let pruned = estimate_from_texts(TOY.iter().copied(), &opts).unwrap().0;
        check_normalised(&pruned);
        if order > 1 {
            assert!(pruned.orders[1].len() < toy(order, vec![], 1).orders[1].len());
        }
    }
}

#[test]
fn pruning_removes_ngrams_but_keeps_closure() {
    let full = toy(4, vec![], 1);
    let pruned = toy(4, vec![0, 1, 1, 1], 1);
    for k in 1..4 {
        assert!(
            pruned.orders[k].len() < full.orders[k].len(),
            "order {}",
            k + 1
        );
    }
    // Closure is checked by the binary writer.
    binary_bytes(&pruned, &exact(), Path::new("x")).unwrap();
}

fn ids(data: &NgramData, words: &[&str]) -> Vec<u32> {
    words
        .iter()
        .map(|w| data.vocab.iter().position(|v| v == w).unwrap() as u32)
        .collect()
}

#[test]
fn hand_checked_mkn() {
    let opts = BuildOptions {
        order: 2,
        cutoffs: vec![],
        min_word_count: 1,
        prune_threshold: 0.0,
        ..Default::default()
    };
    let (data, stats) = estimate_from_texts(["a b\na b\na c"], &opts).unwrap();
    // Order-2 counts of counts: n1=2, n2=2, n3=1, n4=0 => Y=1/3, D1=1/3, D2=1.5, D3=3.
    let d = stats.discounts[1];
    assert!(
        (d.d1 - 1.0 / 3.0).abs() < 1e-12
            && (d.d2 - 1.5).abs() < 1e-12
            && (d.d3 - 3.0).abs() < 1e-12
    );
    let q = RefQuery::new(&data);
    let p = |ctx: &[&str], w: &str| {
        10f64.powf(f64::from(
            q.log10_prob(&ids(&data, ctx), ids(&data, &[w])[0]),
        ))
    };
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    // Unigrams: continuation counts a=1 b=1 c=1 </s>=2, fallback discounts 0.5/1/1.5,
    // gamma = 2.5/5, uniform over 5 words.
    close(p(&[], "a"), 0.2);
    close(p(&[], "</s>"), 0.3);
    close(p(&[], "<unk>"), 0.1);
    // Context "a": b (2), c (1); gamma = (1.5 + 1/3) / 3.
    let g = (1.5 + 1.0 / 3.0) / 3.0;
    close(p(&["a"], "b"), 0.5 / 3.0 + g * 0.2);
    close(p(&["a"], "c"), (2.0 / 3.0) / 3.0 + g * 0.2);
    close(p(&["a"], "</s>"), g * 0.3);
    close(p(&["<s>"], "a"), 0.2);

    // Pruning singletons moves their discounted mass into the backoff.
    let opts = BuildOptions {
        cutoffs: vec![0, 1],
        ..opts
    };
    let (data, _) = estimate_from_texts(["a b\na b\na c"], &opts).unwrap();
    let q = RefQuery::new(&data);
    let p = |ctx: &[&str], w: &str| {
        10f64.powf(f64::from(
            q.log10_prob(&ids(&data, ctx), ids(&data, &[w])[0]),
        ))
    };
    let g2 = g + (2.0 / 3.0) / 3.0;
    close(p(&["a"], "b"), 0.5 / 3.0 + g2 * 0.2);
    close(p(&["a"], "c"), g2 * 0.2);
    close(p(&["a"], "</s>"), g2 * 0.3);
    assert_eq!(data.orders[1].len(), 3);
}

/// Equal up to f32 rounding of sums (scores of `<s>` are near -100).
fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(1.0)
}

fn all_queries(data: &NgramData) -> Vec<(Vec<u32>, u32)> {
    let mut out = Vec::new();
    for ctx in contexts(data) {
        for w in 0..data.vocab.len() as u32 {
            out.push((ctx.clone(), w));
        }
    }
    out
}

#[test]
fn binary_matches_reference_and_round_trips() {
    for cutoffs in [vec![], vec![0, 1, 1, 1]] {
        let data = toy(4, cutoffs, 1);
        let bytes = binary_bytes(&data, &exact(), Path::new("x")).unwrap();
        let m = Model::from_bytes(bytes).unwrap();
        assert_eq!(m.order(), 4);
        assert_eq!(m.vocab_size(), data.vocab.len());
        let q = RefQuery::new(&data);
        for (ctx, w) in all_queries(&data) {
            let (a, b) = (m.log10_prob(&ctx, w), q.log10_prob(&ctx, w));
            assert!(close(a, b), "{ctx:?} {w}: {a} vs {b}");
        }
        for (i, w) in data.vocab.iter().enumerate() {
            assert_eq!(m.id(w), i as u32);
            assert_eq!(m.word(i as u32), Some(w.as_str()));
        }
        assert_eq!(m.id("no-such-word"), m.unk());
        assert_eq!(m.to_data().unwrap(), data);
    }
}

#[test]
fn arpa_export_import_gives_identical_scores() {
    let data = toy(3, vec![0, 1, 1], 1);
    let m =
        Model::from_bytes(binary_bytes(&data, &BinaryOptions::default(), Path::new("x")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let arpa = dir.path().join("m.arpa");
    let mut f = std::fs::File::create(&arpa).unwrap();
    m.write_arpa(&mut f).unwrap();
    drop(f);
    let back = read_arpa(&arpa).unwrap();
    let bin = dir.path().join("m.bin");
    crate::compile_arpa(&arpa, &bin).unwrap();
    let m2 = Model::open(&bin).unwrap();
    let q = RefQuery::new(&back);
    for (ctx, w) in all_queries(&data) {
        let (a, b, c) = (
            m.log10_prob(&ctx, w),
            m2.log10_prob(&ctx, w),
            q.log10_prob(&ctx, w),
        );
        assert_eq!(a, b, "{ctx:?} {w}");
        assert!(close(a, c), "{a} vs {c}");
    }
}

/// The toy corpus's 4-gram model, unpruned and unquantised.
fn toy_model() -> Model {
    let data = toy(4, vec![0, 1, 1, 1], 1);
    Model::from_bytes(binary_bytes(&data, &exact(), Path::new("x")).unwrap()).unwrap()
}

#[test]
fn state_api_matches_log10_prob() {
    let m = toy_model();
    for t in TOY {
        for s in crate::lm_sentences(t) {
            let ids: Vec<u32> = s.iter().map(|w| m.id(w)).collect();
            let mut ctx = vec![m.bos()];
            let mut total = 0f32;
            let mut st = m.begin_sentence();
            let mut next = st;
            for &w in ids.iter().chain([m.eos()].iter()) {
                let p = m.log10_prob(&ctx, w);
                assert!(close(p, m.score(&st, w, &mut next)), "{ctx:?} {w}");
                st = next;
                total += p;
                ctx.push(w);
            }
            assert!((total - m.sentence_log10(&ids)).abs() < 1e-4);
            assert_eq!(m.sentence_log10_words(&s), m.sentence_log10(&ids));
        }
    }
}

#[test]
fn raw_parts_score_in_place_like_states() {
    let m = toy_model();
    for t in TOY {
        for s in crate::lm_sentences(t) {
            let mut st = m.begin_sentence();
            let (mut words, mut backoff, mut len) = st.into_parts();
            for w in s
                .iter()
                .map(|w| m.id(w))
                .chain([m.eos(), m.vocab_size() as u32 + 7])
            {
                let mut next = st;
                let p = m.score(&st, w, &mut next);
                // Outputs start as garbage: only the first `len` entries are the state's.
                let (mut ow, mut ob) = ([u32::MAX; crate::MAX_ORDER], [f32::NAN; crate::MAX_ORDER]);
                m.prefetch_parts(&words, len, w);
                let (q, n) = m.score_parts(&words, &backoff, len, w, &mut ow, &mut ob);
                assert_eq!(p.to_bits(), q.to_bits(), "{s:?} {w}");
                assert_eq!(next.words(), &ow[..n as usize]);
                let (_, nb, nl) = next.into_parts();
                assert_eq!(nl, n);
                assert_eq!(nb[..n as usize], ob[..n as usize]);
                assert!(ow[n as usize..].iter().all(|&x| x == u32::MAX));
                st = next;
                (words, backoff, len) = st.into_parts();
            }
        }
    }
}

#[test]
fn sentence_of_words_longer_than_the_stack_buffer() {
    let m = toy_model();
    let words: Vec<String> = TOY
        .iter()
        .flat_map(|t| crate::lm_sentences(t).into_iter().flatten())
        .collect();
    assert!(words.len() > 64, "{} words", words.len());
    for n in [0, 1, 2, 3, 63, 64, 65, words.len()] {
        let ids: Vec<u32> = words[..n].iter().map(|w| m.id(w)).collect();
        let mut st = m.begin_sentence();
        let mut next = st;
        let mut total = 0f32;
        for &w in ids.iter().chain([m.eos()].iter()) {
            total += m.score(&st, w, &mut next);
            st = next;
        }
        assert_eq!(m.sentence_log10(&ids), total, "{n} words");
        assert_eq!(m.sentence_log10_words(&words[..n]), total, "{n} words");
    }
}

#[test]
fn loaded_model_answers_like_the_mapped_one() {
    let data = toy(4, vec![0, 1, 1, 1], 1);
    let bytes = binary_bytes(&data, &BinaryOptions::default(), Path::new("x")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.bin");
    std::fs::write(&path, &bytes).unwrap();
    let mapped = Model::open(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    let copied = Model::load_bytes(&bytes).unwrap();
    for (ctx, w) in all_queries(&data) {
        let a = mapped.log10_prob(&ctx, w);
        assert_eq!(a, loaded.log10_prob(&ctx, w), "{ctx:?} {w}");
        assert_eq!(a, copied.log10_prob(&ctx, w), "{ctx:?} {w}");
    }
    loaded.verify().unwrap();
    assert!(matches!(
        Model::load(&dir.path().join("missing.bin")),
        Err(crate::LmError::Io { .. })
    ));
}

#[test]
fn out_of_range_ids_are_unk() {
    let data = toy(3, vec![], 1);
    let m = Model::from_bytes(binary_bytes(&data, &exact(), Path::new("x")).unwrap()).unwrap();
    assert_eq!(
        m.log10_prob(&[u32::MAX, 7], u32::MAX),
        m.log10_prob(&[0, 7], 0)
    );
    assert!(m.word(u32::MAX).is_none());
}

#[test]
fn every_truncation_is_an_error() {
    let data = toy(3, vec![0, 1, 1], 1);
    let bytes = binary_bytes(&data, &BinaryOptions::default(), Path::new("x")).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            Model::from_bytes(bytes[..cut].to_vec()).is_err(),
            "cut {cut}"
        );
    }
    let mut bad = bytes.clone();
    bad[0] ^= 1;
    assert!(matches!(
        Model::from_bytes(bad),
        Err(crate::LmError::BadMagic { .. })
    ));
    let mut bad = bytes;
    bad[8] = 9;
    assert!(matches!(
        Model::from_bytes(bad),
        Err(crate::LmError::Version { .. })
    ));
}

fn small_model() -> &'static [u8] {
    static B: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        binary_bytes(
            &toy(3, vec![0, 1, 1], 1),
            &BinaryOptions::default(),
            Path::new("x"),
        )
        .unwrap()
    })
}

fn exercise(m: &Model) {
    let v = m.vocab_size() as u32;
    for w in 0..v + 2 {
        let _ = m.log10_prob(&[1, w, 3], w);
        let _ = m.word(w);
    }
    let _ = m.id("cat");
    let _ = m.sentence_log10(&[1, v, v + 1, 3, 0, 2]);
    let _ = m.sentence_log10_words(&["the", "cat", "", "no-such-word"]);
    let mut st = m.begin_sentence();
    let mut next = st;
    for w in [0, 1, 2, v, 3] {
        m.prefetch(&st, w);
        let _ = m.score(&st, w, &mut next);
        st = next;
    }
    let _ = m.to_data();
    let _ = m.write_arpa(&mut std::io::sink());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_damage_never_panics(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let mut b = small_model().to_vec();
        let len = b.len();
        for (pos, x) in flips {
            b[pos % len] ^= x | 1;
        }
        b.truncate(len - cut % (len / 4 + 1));
        if let Ok(m) = Model::load_bytes(&b) {
            exercise(&m);
        }
        match Model::from_bytes(b) {
            Ok(m) => exercise(&m),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn damage_behind_valid_checksums_never_panics(pos in any::<usize>(), x in 1u8..) {
        // Re-seal the checksums after damaging a section so the reader has to cope with
        // inconsistent content, not only reject it.
        let mut b = small_model().to_vec();
        let len = b.len();
        b[pos % len] ^= x;
        crate::binary::reseal(&mut b);
        if let Ok(m) = Model::from_bytes(b) {
            exercise(&m);
        }
    }
}

#[test]
fn every_byte_flip_is_caught_by_open_or_verify() {
    let bytes = small_model();
    for pos in 0..bytes.len() {
        let mut b = bytes.to_vec();
        b[pos] ^= 0x10;
        if let Ok(m) = Model::from_bytes(b) {
            assert!(m.verify().is_err(), "flip at {pos} undetected");
        }
    }
    Model::from_bytes(bytes.to_vec()).unwrap().verify().unwrap();
}

#[test]
fn from_static_and_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
    let bytes: &'static [u8] = Box::leak(small_model().to_vec().into_boxed_slice());
    let m = Model::from_static(bytes).unwrap();
    let m2 = Model::from_bytes(small_model().to_vec()).unwrap();
    let cat = m.id("cat");
    assert_ne!(cat, m.unk());
    assert_eq!(
        m.log10_prob(&[m.bos(), m.id("the")], cat),
        m2.log10_prob(&[m.bos(), m.id("the")], cat)
    );
}
