//! End-to-end tests of the on-disk index: add, find, replace, remove, concurrency, crash
//! safety, corruption, and the checked-in format fixture.

mod common;

use common::{article, corpus, spinner};
use std::path::Path;
use unspin_index::IndexError;
use unspin_index::{FindOptions, find};
use unspin_index::{Index, IndexWriter, NewDoc};

fn build(dir: &Path, docs: &[(String, String)], batch: usize) {
    let mut w = IndexWriter::open(dir).unwrap();
    w.batch_docs = batch;
    for (id, text) in docs {
        w.add(NewDoc {
            id: id.clone(),
            title: format!("title of {id}"),
            url: String::new(),
            text: text.clone(),
        })
        .unwrap();
    }
    w.commit().unwrap();
}

fn sorted_corpus(n: usize, words: usize) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = corpus(n, words).into_iter().collect();
    v.sort();
    v
}

#[test]
fn finds_whole_paragraph_and_stitched_copies() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(300, 400);
    build(dir.path(), &docs, 64);
    let ix = Index::open(dir.path()).unwrap();
    assert_eq!(ix.stats().docs, 300);
    assert_eq!(ix.stats().segments, 5);
    let sp = spinner();
    let opt = FindOptions::default();
    let (mut whole_ok, mut para_ok) = (0, 0);
    for (k, (id, text)) in docs.iter().enumerate().take(40) {
        let (spun, log) = sp.spin_words(text, 2, k as u64).into_parts();
        assert!(!log.is_empty());
        let hits = find(&ix, &spun, &opt).unwrap();
        whole_ok += usize::from(hits.first().is_some_and(|h| &h.id == id));
        // one paragraph out of the middle of the article
        let para = text.split('\n').nth(2).unwrap();
        let (spun_p, _) = sp.spin_words(para, 2, 100 + k as u64).into_parts();
        let hits = find(&ix, &spun_p, &opt).unwrap();
        para_ok += usize::from(hits.first().is_some_and(|h| &h.id == id));
    }
    assert_eq!(whole_ok, 40);
    assert!(para_ok >= 38, "{para_ok}/40");
    // stitched from two sources: both reported
    let a = docs[5].1.split('\n').take(2).collect::<Vec<_>>().join("\n");
    let b = docs[9].1.split('\n').take(2).collect::<Vec<_>>().join("\n");
    let stitched = format!(
        "{}\n{}",
        sp.spin_words(&a, 2, 1).text,
        sp.spin_words(&b, 2, 2).text
    );
    let hits = find(&ix, &stitched, &opt).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert!(
        ids.contains(&docs[5].0.as_str()) && ids.contains(&docs[9].0.as_str()),
        "{ids:?}"
    );
    for h in &hits[..2] {
        assert!(h.coverage > 0.3, "{h:?}");
    }
    // unrelated texts: nothing
    for s in 0..20u64 {
        let other = article(1_000_000 + s, 300);
        let hits = find(&ix, &other, &opt).unwrap();
        assert!(hits.is_empty(), "{hits:?}");
    }
}

#[test]
fn replace_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(50, 200);
    build(dir.path(), &docs, 1000);
    let new_text = article(777, 200);
    {
        let mut w = IndexWriter::open(dir.path()).unwrap();
        w.add(NewDoc {
            id: docs[3].0.clone(),
            text: new_text.clone(),
            ..Default::default()
        })
        .unwrap();
        w.commit().unwrap();
    }
    let ix = Index::open(dir.path()).unwrap();
    assert_eq!(ix.stats().docs, 50);
    assert_eq!(ix.stats().deleted, 1);
    let r = ix.find_id(&docs[3].0).unwrap().unwrap();
    assert_eq!(ix.text(r).unwrap(), new_text);
    let opt = FindOptions::default();
    assert!(
        find(&ix, &docs[3].1, &opt)
            .unwrap()
            .iter()
            .all(|h| h.id != docs[3].0)
    );
    assert_eq!(find(&ix, &new_text, &opt).unwrap()[0].id, docs[3].0);
    {
        let mut w = IndexWriter::open(dir.path()).unwrap();
        assert!(w.remove(&docs[3].0).unwrap());
        assert!(!w.remove("no-such-id").unwrap());
    }
    let ix = Index::open(dir.path()).unwrap();
    assert_eq!(ix.stats().docs, 49);
    assert!(ix.find_id(&docs[3].0).unwrap().is_none());
    assert!(find(&ix, &new_text, &opt).unwrap().is_empty());
}

#[test]
fn one_writer_many_readers() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(20, 150);
    build(dir.path(), &docs[..10], 100);
    let mut w = IndexWriter::open(dir.path()).unwrap();
    assert!(matches!(
        IndexWriter::open(dir.path()),
        Err(IndexError::Locked { .. })
    ));
    // readers work while the writer is open and committing
    let before = Index::open(dir.path()).unwrap();
    for (id, text) in &docs[10..] {
        w.add(NewDoc {
            id: id.clone(),
            text: text.clone(),
            ..Default::default()
        })
        .unwrap();
    }
    w.commit().unwrap();
    assert_eq!(before.stats().docs, 10);
    assert_eq!(Index::open(dir.path()).unwrap().stats().docs, 20);
    assert_eq!(
        find(&before, &docs[2].1, &FindOptions::default()).unwrap()[0].id,
        docs[2].0
    );
    drop(w);
    assert!(IndexWriter::open(dir.path()).is_ok());
}

#[test]
fn missing_and_corrupt_indexes_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Index::open(dir.path()),
        Err(IndexError::NoIndex { .. })
    ));
    build(dir.path(), &sorted_corpus(10, 100), 100);
    let seg = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "useg"))
        .unwrap();
    let bytes = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &bytes[..bytes.len() / 2]).unwrap();
    let e = Index::open(dir.path()).unwrap_err();
    assert!(e.to_string().contains(".useg"), "{e}");
    std::fs::write(&seg, &bytes).unwrap();
    let m = dir.path().join("MANIFEST.json");
    std::fs::write(&m, b"{not json").unwrap();
    assert!(matches!(
        Index::open(dir.path()),
        Err(IndexError::Corrupt { .. })
    ));
    std::fs::write(
        &m,
        br#"{"format": 99, "generation": 1, "next_segment": 2, "segments": []}"#,
    )
    .unwrap();
    assert!(matches!(
        Index::open(dir.path()),
        Err(IndexError::Version { found: 99, .. })
    ));
}

/// Child half of `kill_during_add_loses_at_most_the_batch_in_flight`: adds documents in small
/// batches forever (run only when UNSPIN_CRASH_DIR is set).
/// Runs the ignored test `name` of this binary as a child process writing into `dir` (to be
/// killed).
fn spawn_crash_child(name: &str, dir: &Path) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("UNSPIN_CRASH_DIR", dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn merge_keeps_every_live_document_and_drops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(120, 250);
    build(dir.path(), &docs, 16); // 8 segments
    let replaced = article(4242, 250);
    {
        let mut w = IndexWriter::open(dir.path()).unwrap();
        assert!(w.remove(&docs[7].0).unwrap());
        w.add(NewDoc {
            id: docs[8].0.clone(),
            title: "new title".into(),
            url: "https://example.org/8".into(),
            text: replaced.clone(),
        })
        .unwrap();
        w.commit().unwrap();
    }
    let sp = spinner();
    let opt = FindOptions::default();
    let queries: Vec<String> = (0..30)
        .map(|k| sp.spin_words(&docs[k * 4].1, 2, k as u64).text)
        .chain([replaced.clone(), docs[7].1.clone()])
        .collect();
    let ids = |ix: &Index| -> Vec<Vec<(String, usize)>> {
        queries
            .iter()
            .map(|q| {
                find(ix, q, &opt)
                    .unwrap()
                    .into_iter()
                    .map(|h| (h.id, h.matched))
                    .collect()
            })
            .collect()
    };
    let before_ix = Index::open(dir.path()).unwrap();
    let before = ids(&before_ix);
    let s0 = before_ix.stats();
    assert_eq!((s0.docs, s0.deleted, s0.segments), (119, 2, 9));
    let m = IndexWriter::open(dir.path()).unwrap().merge().unwrap();
    assert_eq!((m.segments_before, m.segments_after), (9, 1));
    assert_eq!((m.docs, m.dropped), (119, 2));
    // a reader opened before the merge keeps working on the old segments
    assert_eq!(ids(&before_ix), before);
    let ix = Index::open(dir.path()).unwrap();
    let s = ix.stats();
    assert_eq!((s.docs, s.deleted, s.segments), (119, 0, 1));
    assert_eq!(ids(&ix), before);
    assert!(ix.find_id(&docs[7].0).unwrap().is_none());
    let r = ix.find_id(&docs[8].0).unwrap().unwrap();
    let d = ix.doc(r).unwrap();
    assert_eq!(
        (d.text.as_str(), d.title.as_str(), d.url.as_str()),
        (replaced.as_str(), "new title", "https://example.org/8")
    );
    // only the new segment is left on disk, and merging again changes nothing
    let segs = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("seg-"))
        .count();
    assert_eq!(segs, 1);
    let again = IndexWriter::open(dir.path()).unwrap().merge().unwrap();
    assert_eq!((again.segments_before, again.segments_after), (1, 1));
    assert_eq!(again.bytes_before, again.bytes_after);
}

/// Adds `docs` five at a time, one writer (and so at least one commit) per five.
fn add_in_fives(
    dir: &Path,
    docs: &[(String, String)],
    merge_after: usize,
    mut after: impl FnMut(usize),
) {
    for (k, chunk) in docs.chunks(5).enumerate() {
        let mut w = IndexWriter::open(dir).unwrap();
        w.batch_docs = 100; // segments under 50 documents are small
        w.merge_after = merge_after;
        for (id, text) in chunk {
            w.add(NewDoc {
                id: id.clone(),
                text: text.clone(),
                ..Default::default()
            })
            .unwrap();
        }
        w.commit().unwrap();
        after(k);
    }
}

#[test]
fn small_adds_are_merged_as_they_pile_up() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(60, 120);
    add_in_fives(dir.path(), &docs, 3, |k| {
        let s = Index::open(dir.path()).unwrap().stats();
        assert!(s.segments <= 3, "after add {k}: {s:?}");
        assert_eq!(s.docs, 5 * (k as u64 + 1));
    });
    let ix = Index::open(dir.path()).unwrap();
    for (id, text) in &docs {
        let r = ix.find_id(id).unwrap().unwrap();
        assert_eq!(&ix.text(r).unwrap(), text);
    }
    // with merging off, every add stays a segment
    let off = tempfile::tempdir().unwrap();
    add_in_fives(off.path(), &docs, 0, |_| {});
    assert_eq!(Index::open(off.path()).unwrap().stats().segments, 12);
}

#[test]
#[ignore]
fn merge_crash_child() {
    let Some(dir) = std::env::var_os("UNSPIN_CRASH_DIR") else {
        return;
    };
    let mut w = IndexWriter::open(Path::new(&dir)).unwrap();
    w.batch_docs = 10; // many small segments: a slow merge to be killed in
    loop {
        w.merge().unwrap();
    }
}

#[test]
fn kill_during_merge_leaves_a_whole_index() {
    let dir = tempfile::tempdir().unwrap();
    let docs = sorted_corpus(200, 300);
    build(dir.path(), &docs, 10);
    {
        let mut w = IndexWriter::open(dir.path()).unwrap();
        assert!(w.remove(&docs[0].0).unwrap());
    }
    for wait_ms in [5u64, 40, 150] {
        let mut child = spawn_crash_child("merge_crash_child", dir.path());
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // before or after the swap, never in between
        let ix = Index::open(dir.path()).unwrap();
        let s = ix.stats();
        assert_eq!(s.docs, 199, "{s:?}");
        for (id, text) in docs.iter().skip(1).step_by(37) {
            let r = ix.find_id(id).unwrap().unwrap();
            assert_eq!(&ix.text(r).unwrap(), text);
        }
        // the next writer removes what the killed merge left behind
        drop(IndexWriter::open(dir.path()).unwrap());
        let listed: std::collections::HashSet<String> = {
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.path().join("MANIFEST.json")).unwrap(),
            )
            .unwrap();
            m["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect()
        };
        for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{name}");
            if name.starts_with("seg-") {
                assert!(listed.contains(&name), "{name} not in the manifest");
            }
        }
    }
}

#[test]
#[ignore]
fn crash_child() {
    let Some(dir) = std::env::var_os("UNSPIN_CRASH_DIR") else {
        return;
    };
    let mut w = IndexWriter::open(Path::new(&dir)).unwrap();
    w.batch_docs = 25;
    for i in 0.. {
        w.add(NewDoc {
            id: format!("c{i}"),
            text: article(i, 150),
            ..Default::default()
        })
        .unwrap();
    }
}

#[test]
fn kill_during_add_loses_at_most_the_batch_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3u64 {
        let mut child = spawn_crash_child("crash_child", dir.path());
        // wait until a few batches are committed, then SIGKILL
        let target = 2 + round;
        for _ in 0..600 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            if Index::open(dir.path()).is_ok_and(|ix| ix.stats().segments as u64 >= target) {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let ix = Index::open(dir.path()).unwrap();
        let s = ix.stats();
        assert!(s.segments as u64 >= target);
        // every committed batch is whole (ids restart at c0 each round and replace; one
        // extra document "after" exists from the second round on)
        assert_eq!((s.docs - u64::from(round > 0)) % 25, 0, "{s:?}");
        let r = ix.find_id("c0").unwrap().unwrap();
        assert_eq!(ix.text(r).unwrap(), article(0, 150));
        // a new writer cleans up and works
        let mut w = IndexWriter::open(dir.path()).unwrap();
        w.add(NewDoc {
            id: "after".into(),
            text: article(99_999, 100),
            ..Default::default()
        })
        .unwrap();
        w.commit().unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

/// The checked-in fixture was written by format version 1 (`tests/fixtures/index-v1`, built
/// by `tests/fixtures/make-fixture.sh`); this build must keep reading it.
#[test]
fn opens_format_v1_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-v1");
    let ix = Index::open(&dir).unwrap();
    let s = ix.stats();
    assert_eq!((s.format, s.docs, s.segments), (1, 30, 2));
    let r = ix.find_id("doc-7").unwrap().unwrap();
    let text = ix.text(r).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(dir.join("doc-7.txt")).unwrap()
    );
    let (spun, _) = spinner().spin_words(&text, 2, 5).into_parts();
    assert_eq!(
        find(&ix, &spun, &FindOptions::default()).unwrap()[0].id,
        "doc-7"
    );
}

/// The fixture of segment format 2 (checksums; `tests/fixtures/index-v2`): read, and every
/// segment checks out.
#[test]
fn opens_format_v2_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-v2");
    let ix = Index::open(&dir).unwrap();
    assert_eq!((ix.stats().docs, ix.stats().segments), (30, 2));
    let r = ix.find_id("doc-7").unwrap().unwrap();
    assert_eq!(
        ix.text(r).unwrap(),
        std::fs::read_to_string(dir.join("doc-7.txt")).unwrap()
    );
    let checks = unspin_index::verify(&dir).unwrap();
    assert!(
        checks
            .iter()
            .all(|c| c.status == unspin_index::SegmentStatus::Ok)
    );
    // format 1 has no checksums to check
    let v1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/index-v1");
    let checks = unspin_index::verify(&v1).unwrap();
    assert!(
        checks
            .iter()
            .all(|c| c.status == unspin_index::SegmentStatus::Unchecked)
    );
}

/// Writes `tests/fixtures/index-v1` (run by `tests/fixtures/make-fixture.sh`; only when a
/// format change is intended, together with a new fixture directory and version).
#[test]
#[ignore]
fn write_fixture() {
    let Some(dir) = std::env::var_os("UNSPIN_WRITE_FIXTURE") else {
        return;
    };
    let dir = Path::new(&dir);
    let docs: Vec<(String, String)> = (0..30)
        .map(|i| (format!("doc-{i}"), article(i, 120)))
        .collect();
    build(dir, &docs, 15);
    let _ = std::fs::remove_file(dir.join("LOCK"));
    std::fs::write(dir.join("doc-7.txt"), &docs[7].1).unwrap();
}

#[test]
fn writer_inside_a_one_thread_rayon_pool() {
    // the writer fingerprints batches on the current rayon pool; used from the pool's only
    // thread it must not wait for a job that needs that thread
    let dir = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let mut w = IndexWriter::open(dir.path()).unwrap();
        for i in 0..5000 {
            w.add(NewDoc {
                id: format!("d{i}"),
                title: String::new(),
                url: String::new(),
                text: format!("document number {i} about rivers and mountains"),
            })
            .unwrap();
        }
        w.commit().unwrap();
    });
    assert_eq!(Index::open(dir.path()).unwrap().stats().docs, 5000);
}
