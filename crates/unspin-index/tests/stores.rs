//! One index test suite, run against every store: the embedded directory always, and Redis
//! Cluster when `UNSPIN_REDIS_CLUSTER` names one (e.g. `redis://127.0.0.1:7000,...`, as
//! `.ci/run` sets after `scripts/redis-cluster.sh start`; without it the Redis runs print a
//! note and pass). Both stores must give the same results.

mod common;

use common::{article, corpus, spinner};
use std::path::{Path, PathBuf};
use unspin_index::{FindOptions, find};
use unspin_index::{Index, IndexWriter, NewDoc};

/// A fresh index location in `store`: a directory under `tmp`, or a uniquely named index on
/// the cluster.
fn location(store: &str, tmp: &Path, name: &str) -> Option<PathBuf> {
    match store {
        "dir" => Some(tmp.join(name)),
        _ => {
            let Some(url) = std::env::var("UNSPIN_REDIS_CLUSTER")
                .ok()
                .filter(|s| !s.is_empty())
            else {
                eprintln!(
                    "note: UNSPIN_REDIS_CLUSTER is not set: the Redis Cluster run is skipped"
                );
                return None;
            };
            let unique = format!(
                "{name}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            );
            Some(PathBuf::from(format!(
                "{}/{unique}",
                url.trim_end_matches('/')
            )))
        }
    }
}

fn sorted_corpus(n: usize, words: usize) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = corpus(n, words).into_iter().collect();
    v.sort();
    v
}

fn add_all(loc: &Path, docs: &[(String, String)], batch: usize) {
    let mut w = IndexWriter::open(loc).unwrap();
    w.batch_docs = batch;
    for (id, text) in docs {
        w.add(NewDoc {
            id: id.clone(),
            title: format!("title of {id}"),
            url: format!("https://example.org/{id}"),
            text: text.clone(),
        })
        .unwrap();
    }
    w.commit().unwrap();
}

/// What a store answered: (query, top-1 id, E-value rounded to 3 significant digits) and
/// the counts after each step.
#[derive(Debug, PartialEq)]
struct Answers {
    top1: Vec<(String, Option<String>, String)>,
    counts: Vec<u64>,
}

fn top1(ix: &Index, name: &str, text: &str, out: &mut Answers) {
    let hits = find(ix, text, &FindOptions::default()).unwrap();
    out.top1.push((
        name.to_string(),
        hits.first().map(|h| h.id.clone()),
        hits.first()
            .map_or(String::new(), |h| format!("{:.2e}", h.evalue)),
    ));
}

/// The suite: add in batches, find spun whole and paragraph copies, a retried batch, a
/// replacement, a removal.
fn suite(loc: &Path) -> Answers {
    let docs = sorted_corpus(120, 250);
    let sp = spinner();
    let mut out = Answers {
        top1: Vec::new(),
        counts: Vec::new(),
    };
    add_all(loc, &docs, 32);
    let ix = Index::open(loc).unwrap();
    out.counts.push(ix.stats().docs);
    let r = ix.find_id(&docs[7].0).unwrap().unwrap();
    let d = ix.doc(r).unwrap();
    assert_eq!(
        (d.id.as_str(), d.text.as_str()),
        (docs[7].0.as_str(), docs[7].1.as_str())
    );
    assert_eq!(
        ix.meta(r).unwrap().2,
        format!("https://example.org/{}", docs[7].0)
    );
    assert!(ix.find_id("no-such-id").unwrap().is_none());
    for (k, (id, text)) in docs.iter().enumerate().take(30) {
        let (spun, _) = sp.spin_words(text, 2, k as u64).into_parts();
        top1(&ix, &format!("whole {id}"), &spun, &mut out);
        let para = text.split('\n').nth(1).unwrap_or(text);
        let (spun_p, _) = sp.spin_words(para, 2, 100 + k as u64).into_parts();
        top1(&ix, &format!("paragraph {id}"), &spun_p, &mut out);
    }
    top1(&ix, "unrelated", &article(999_999, 250), &mut out);
    // a retried batch (the same documents again) neither loses nor duplicates documents
    add_all(loc, &docs[40..80], 16);
    out.counts.push(Index::open(loc).unwrap().stats().docs);
    // a replacement: the new text is found under the id, the old one no longer
    let new_text = article(4242, 250);
    add_all(loc, &[(docs[3].0.clone(), new_text.clone())], 10);
    let ix = Index::open(loc).unwrap();
    out.counts.push(ix.stats().docs);
    top1(&ix, "replaced: new text", &new_text, &mut out);
    top1(&ix, "replaced: old text", &docs[3].1, &mut out);
    // a removal
    {
        let mut w = IndexWriter::open(loc).unwrap();
        assert!(w.remove(&docs[5].0).unwrap());
        assert!(!w.remove("no-such-id").unwrap());
    }
    let ix = Index::open(loc).unwrap();
    out.counts.push(ix.stats().docs);
    assert!(ix.find_id(&docs[5].0).unwrap().is_none());
    top1(&ix, "removed", &docs[5].1, &mut out);
    out
}

#[test]
fn both_stores_give_the_same_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = location("dir", tmp.path(), "suite").unwrap();
    let embedded = suite(&dir);
    // the suite's expectations, on the embedded store
    assert_eq!(embedded.counts, [120, 120, 120, 119]);
    let found = embedded
        .top1
        .iter()
        .filter(|(q, id, _)| {
            q.split_once(' ')
                .is_some_and(|(_, want)| id.as_deref() == Some(want))
        })
        .count();
    assert!(
        found >= 58,
        "{found} of 60 spun copies found: {:?}",
        embedded.top1
    );
    let last = |name: &str| {
        embedded
            .top1
            .iter()
            .find(|t| t.0 == name)
            .map(|t| t.1.clone())
    };
    assert_eq!(last("unrelated"), Some(None));
    assert!(last("replaced: new text").flatten().is_some());
    assert_eq!(last("removed"), Some(None));
    let Some(url) = location("redis", tmp.path(), "suite") else {
        return;
    };
    let redis = suite(&url);
    assert_eq!(redis, embedded);
}

#[test]
fn unreachable_cluster_is_a_clear_error() {
    let url = Path::new("redis://127.0.0.1:1/nothing");
    let e = Index::open(url).unwrap_err().to_string();
    assert!(
        e.starts_with("redis://127.0.0.1:1/nothing: cannot reach"),
        "{e}"
    );
    let e = IndexWriter::open(url).unwrap_err().to_string();
    assert!(
        e.starts_with("redis://127.0.0.1:1/nothing: cannot reach"),
        "{e}"
    );
    let e = Index::open(Path::new("redis://127.0.0.1"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not host:port"), "{e}");
}

#[test]
fn missing_and_other_format_indexes_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(loc) = location("redis", tmp.path(), "format") else {
        return;
    };
    let e = Index::open(&loc).unwrap_err().to_string();
    assert!(
        e.contains("no unspin index") && e.contains(":format key"),
        "{e}"
    );
    add_all(&loc, &sorted_corpus(3, 100), 10);
    // another build's format version in the format key
    let s = loc.to_string_lossy().into_owned();
    let name = s.rsplit('/').next().unwrap();
    let first = s
        .trim_start_matches("redis://")
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let (host, port) = first.rsplit_once(':').unwrap();
    let ok = std::process::Command::new("redis-cli")
        .args([
            "-c",
            "-h",
            host,
            "-p",
            port,
            "SET",
            &format!("{name}:format"),
            "99",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "redis-cli SET failed");
    let e = Index::open(&loc).unwrap_err().to_string();
    assert!(
        e.contains("format version 99, this build reads version 1"),
        "{e}"
    );
    let e = IndexWriter::open(&loc).unwrap_err().to_string();
    assert!(e.contains("format version 99"), "{e}");
}
