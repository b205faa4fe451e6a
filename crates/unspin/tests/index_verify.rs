//! Damaged index segments are detected (on open and by `index verify`), named, and
//! `index verify --repair` drops them without touching the others.

use std::path::{Path, PathBuf};
mod common;
use common::{stderr, stdout};
use std::process::Output;

fn unspin(args: &[&str]) -> Output {
    common::unspin(args, None)
}

const TEXTS: [&str; 3] = [
    "The council will meet on May 15 to discuss the new budget. Road repairs are high on their \
     agenda, and the mayor said the plan would therefore be ready before the summer.",
    "Farmers in the valley harvested their wheat before the storm arrived, and the old mill by \
     the river ground it into flour for the winter markets of the northern towns.",
    "The museum opened a new wing for paintings of the northern coast, with light from tall \
     windows falling on the harbour scenes that the painter made in his last years.",
];

/// An index of three segments (one `add` each), and its segment files.
fn three_segments(dir: &Path) -> (String, Vec<PathBuf>) {
    let idx = dir.join("idx");
    for (i, t) in TEXTS.iter().enumerate() {
        let f = dir.join(format!("doc{i}.txt"));
        std::fs::write(&f, t.repeat(3)).unwrap();
        let o = unspin(&[
            "index",
            "add",
            "-q",
            "--merge-after",
            "0",
            "--index",
            idx.to_str().unwrap(),
            f.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&idx)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "useg"))
        .collect();
    segs.sort();
    assert_eq!(segs.len(), 3);
    (idx.to_string_lossy().into_owned(), segs)
}

/// The target of issue 16 on a small index: 200 random byte flips in a segment (1 to 3 bytes
/// each, header or body), every one detected by `index verify`, which names the file.
#[test]
fn random_byte_flips_are_all_detected_by_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, segs) = three_segments(dir.path());
    let o = unspin(&["index", "verify", "--index", &idx]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("3 segments, no damage found"),
        "{}",
        stdout(&o)
    );
    let target = &segs[1];
    let name = target.file_name().unwrap().to_str().unwrap();
    let good = std::fs::read(target).unwrap();
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for k in 0..200 {
        let mut b = good.clone();
        for _ in 0..=(k % 3) {
            let i = rnd() as usize % b.len();
            b[i] ^= (rnd() % 255 + 1) as u8;
        }
        std::fs::write(target, &b).unwrap();
        let o = unspin(&["index", "verify", "--index", &idx]);
        let out = stdout(&o);
        assert_eq!(
            o.status.code(),
            Some(1),
            "flip {k} not detected: {out}{}",
            stderr(&o)
        );
        assert!(out.contains(&format!("{name}: DAMAGED: ")), "{out}");
        assert_eq!(out.matches("DAMAGED").count(), 1, "{out}");
    }
    std::fs::write(target, &good).unwrap();
    assert_eq!(
        unspin(&["index", "verify", "--index", &idx]).status.code(),
        Some(0)
    );
}

#[test]
fn a_damaged_segment_is_a_clear_error_and_repair_drops_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, segs) = three_segments(dir.path());
    let suspect = dir.path().join("doc0.txt");
    let suspect = suspect.to_str().unwrap();
    // damage the middle segment's body
    let mut b = std::fs::read(&segs[1]).unwrap();
    let n = b.len();
    b[n - 10] ^= 0x01;
    std::fs::write(&segs[1], &b).unwrap();
    let name = segs[1].to_str().unwrap();
    // on open: find and stats refuse, naming the file and the way out
    for args in [
        vec!["find", "--index", &idx, suspect],
        vec!["index", "stats", "--index", &idx],
    ] {
        let o = unspin(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(name) && err.contains("checksum mismatch"),
            "{err}"
        );
        assert!(err.contains("index verify --repair"), "{err}");
    }
    let o = unspin(&["index", "verify", "--format", "json", "--index", &idx]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let status: Vec<&str> = v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["ok", "damaged", "ok"]);
    // repair: the damaged one leaves the manifest, the others are byte for byte the same
    let before: Vec<Vec<u8>> = [&segs[0], &segs[2]]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let o = unspin(&["index", "verify", "--repair", "--index", &idx]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("dropped 1 damaged of 3 segments (1 document lost"),
        "{}",
        stdout(&o)
    );
    let after: Vec<Vec<u8>> = [&segs[0], &segs[2]]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(before, after);
    let kept = segs[1].with_file_name(format!(
        "damaged-{}",
        segs[1].file_name().unwrap().to_str().unwrap()
    ));
    assert!(kept.exists(), "the damaged file is kept for inspection");
    let o = unspin(&["index", "verify", "--index", &idx]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = unspin(&["index", "stats", "--format", "json", "--index", &idx]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 2);
    // and the index still answers
    let o = unspin(&["find", "--format", "json", "--index", &idx, suspect]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["sources"][0]["id"]
            .as_str()
            .unwrap()
            .ends_with("doc0.txt"),
        "{v}"
    );
    // a missing segment is damage too
    std::fs::remove_file(&segs[2]).unwrap();
    let o = unspin(&["index", "verify", "--index", &idx]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("DAMAGED"), "{}", stdout(&o));
}

/// Format 1 segments (no checksums) are read, listed as unchecked, and `index optimize`
/// rewrites them with checksums.
#[test]
fn format_1_segments_are_unchecked_until_optimized() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../unspin-index/tests/fixtures/index-v1");
    let idx = dir.path().join("idx");
    std::fs::create_dir(&idx).unwrap();
    for f in ["MANIFEST.json", "seg-000001.useg", "seg-000002.useg"] {
        std::fs::copy(fixture.join(f), idx.join(f)).unwrap();
    }
    let idx = idx.to_str().unwrap();
    let o = unspin(&["index", "verify", "--index", idx]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o)
            .matches("unchecked: format 1 has no checksums")
            .count(),
        2,
        "{}",
        stdout(&o)
    );
    let o = unspin(&["index", "optimize", "--index", idx]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = unspin(&["index", "verify", "--index", idx]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains(": ok (30 documents)") && !out.contains("unchecked"),
        "{out}"
    );
}

/// `index remove` of an id that is not in the index: exit status 1 (documented), the message
/// names it, and the ids that are there are still removed.
#[test]
fn index_remove_of_a_missing_id_exits_1_and_removes_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _) = three_segments(dir.path());
    let present = dir.path().join("doc1.txt");
    let present = present.to_str().unwrap();
    let o = unspin(&["index", "remove", "--index", &idx, "no-such-id", present]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no-such-id: not in the index"),
        "{}",
        stderr(&o)
    );
    let o = unspin(&["index", "stats", "--format", "json", "--index", &idx]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 2);
    let help = unspin(&["index", "remove", "--help"]);
    assert!(stdout(&help).contains("exit status 1 when an id is not in the index"));
}
