//! Integration tests of reading input with the real binary: bad JSONL lines become error
//! records and the other lines are processed, a byte order mark is accepted, and `index add`
//! skips (and names) what is not text.

mod common;
use common::{stderr, unspin};
use std::path::Path;
use std::process::Output;

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

const SENTENCES: [&str; 5] = [
    "The council will meet on Could 15 to debate the brand new finances.",
    "Street repairs are excessive on their agenda, and the mayor stated so.",
    "Farmers in the valley harvested their wheat before the storm arrived.",
    "The museum opened a new wing for paintings of the northern coast.",
    "A small boat carried the letters across the lake every morning.",
];

/// `n` JSONL records (`{"id": "r<i>", "text": ...}`), the one at `bad` (0-based) broken.
fn jsonl(n: usize, bad: usize) -> String {
    let mut s = String::with_capacity(n * 100);
    for i in 0..n {
        if i == bad {
            s.push_str(&format!("{{\"id\": \"r{i}\", \"text\": \"cut off\n"));
        } else {
            let t = SENTENCES[i % SENTENCES.len()];
            s.push_str(&format!("{{\"id\": \"r{i}\", \"text\": \"{t} ({i})\"}}\n"));
        }
    }
    s
}

/// Checks the output of a command over `jsonl(n, bad)`: every good line's result in order,
/// the error record in the bad line's place, exit status 2, and the file and line on stderr.
fn assert_one_error_record(o: &Output, n: usize, bad: usize, file: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let out = lines(o);
    assert_eq!(out.len(), n, "one output line per input line");
    let errors: Vec<usize> = (0..n).filter(|&i| out[i].get("error").is_some()).collect();
    assert_eq!(
        errors,
        [bad],
        "exactly one error record, in the bad line's place"
    );
    let rec = &out[bad];
    let mut keys: Vec<&str> = rec
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(keys, ["error", "id", "line", "path"], "{rec}");
    assert_eq!(rec["line"], bad + 1);
    assert_eq!(rec["path"], file);
    assert!(
        rec["error"].as_str().unwrap().contains("not valid JSON"),
        "{rec}"
    );
    for (i, v) in out.iter().enumerate().filter(|&(i, _)| i != bad) {
        assert_eq!(v["id"], format!("r{i}"), "{v}");
    }
    let err = stderr(o);
    assert!(
        err.contains(&format!("{file}: line {}: not valid JSON", bad + 1)),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The target of issue 16: a JSONL file with 1 bad line in 10,000 gives 9,999 results plus
/// one error record.
#[test]
fn check_jsonl_one_bad_line_in_ten_thousand() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crawl.jsonl");
    std::fs::write(&p, jsonl(10_000, 4_321)).unwrap();
    let file = p.to_str().unwrap();
    let o = unspin(&["check", "--format", "jsonl", file], None);
    assert_one_error_record(&o, 10_000, 4_321, file);
    let results = lines(&o)
        .iter()
        .filter(|v| v.get("score").is_some())
        .count();
    assert_eq!(results, 9_999);
    // JSON output: the error record is an element of the array
    let o = unspin(
        &["check", "--format", "json", "--input", "jsonl", "-"],
        Some(jsonl(20, 3).as_bytes()),
    );
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 20);
    assert_eq!(a[3]["line"], 4);
    assert_eq!(a[3]["path"], "-");
    // the human report names the line on stderr and reports the rest
    let o = unspin(&["check", file], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 4322"), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.lines().filter(|l| l.contains(": score ")).count(),
        9_999
    );
}

#[test]
fn restore_and_find_jsonl_keep_going_past_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in.jsonl");
    std::fs::write(&p, jsonl(200, 17)).unwrap();
    let file = p.to_str().unwrap();
    let o = unspin(&["restore", file], None);
    assert_one_error_record(&o, 200, 17, file);
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let doc = dir.path().join("orig.txt");
    std::fs::write(&doc, SENTENCES.join(" ").repeat(3)).unwrap();
    let o = unspin(
        &["index", "add", "-q", "--index", idx, doc.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = unspin(&["find", "--format", "jsonl", "--index", idx, file], None);
    assert_one_error_record(&o, 200, 17, file);
}

#[test]
fn index_add_jsonl_adds_every_good_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("docs.jsonl");
    std::fs::write(&p, jsonl(10_000, 9_000)).unwrap();
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let file = p.to_str().unwrap();
    let o = unspin(&["index", "add", "--index", idx, file], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{file}: line 9001: skipped: not valid JSON")),
        "{err}"
    );
    assert!(err.contains("added 9999 documents"), "{err}");
    let o = unspin(
        &["index", "stats", "--format", "json", "--index", idx],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 9_999);
}

#[test]
fn byte_order_mark_is_accepted() {
    let recs = "\u{feff}{\"id\":\"a\",\"text\":\"The mayor stated the plan would be prepared.\"}\n\
                {\"id\":\"b\",\"text\":\"Another line.\"}\n";
    // by name, by content (stdin) and by flag
    for (args, input) in [
        (vec!["check", "--format", "jsonl", "-"], recs),
        (
            vec!["check", "--format", "jsonl", "--input", "jsonl", "-"],
            recs,
        ),
    ] {
        let o = unspin(&args, Some(input.as_bytes()));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let ids: Vec<_> = lines(&o).iter().map(|v| v["id"].clone()).collect();
        assert_eq!(ids, ["a", "b"]);
    }
    // a text file keeps its BOM: restore gives the bytes back as they were
    let o = unspin(&["restore", "-"], Some("\u{feff}Hello there.\n".as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(o.stdout, "\u{feff}Hello there.\n".as_bytes());
}

/// The target of issue 16: a folder with 100 texts, 20 binaries and 5 empty files gives 100
/// added and 25 reported skipped.
#[test]
fn index_add_skips_binaries_and_empty_files_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("nested")).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(docs.join(name), bytes).unwrap();
    for i in 0..100 {
        // some without an extension, some HTML, some in a subfolder
        let name = match i % 4 {
            0 => format!("text-{i}.txt"),
            1 => format!("text-{i}"),
            2 => format!("nested/text-{i}.md"),
            _ => format!("page-{i}.html"),
        };
        let body = format!("{} Number {i}.", SENTENCES[i % SENTENCES.len()]);
        let body = if i % 4 == 3 {
            format!("<!DOCTYPE html><html><body><p>{body}</p></body></html>")
        } else {
            body
        };
        write(&name, body.as_bytes());
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut binaries = Vec::new();
    for i in 0..20 {
        let mut b: Vec<u8> = (0..2000).map(|_| rnd() as u8).collect();
        // half of them have no NUL byte at all: refused as invalid UTF-8
        if i % 2 == 0 {
            for x in &mut b {
                *x |= 0x80;
            }
        } else {
            b[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
        }
        let name = if i % 3 == 0 {
            format!("blob-{i}")
        } else {
            format!("image-{i}.txt")
        };
        write(&name, &b);
        binaries.push(name);
    }
    for i in 0..5 {
        write(
            &format!("empty-{i}.txt"),
            if i % 2 == 0 { b"" } else { b"  \n\t\n" },
        );
    }
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let o = unspin(
        &["index", "add", "--index", idx, docs.to_str().unwrap()],
        None,
    );
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "skipped inputs set the status: {err}"
    );
    let skipped: Vec<&str> = err.lines().filter(|l| l.contains(": skipped: ")).collect();
    assert_eq!(skipped.len(), 25, "{err}");
    for name in &binaries {
        let line = skipped
            .iter()
            .find(|l| l.contains(&format!("/{name}: skipped: ")))
            .unwrap_or_else(|| panic!("{name} reported: {err}"));
        assert!(line.contains("binary") || line.contains("UTF-8"), "{line}");
    }
    assert_eq!(
        skipped.iter().filter(|l| l.contains("empty input")).count(),
        5
    );
    assert!(err.contains("added 100 documents"), "{err}");
    assert!(err.contains("skipped 25 inputs"), "{err}");
    let o = unspin(
        &["index", "stats", "--format", "json", "--index", idx],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 100);
    // HTML was indexed as its visible text
    let page = docs.join("page-3.html");
    let o = unspin(
        &[
            "find",
            "--format",
            "json",
            "--min-passage",
            "5",
            "--index",
            idx,
            page.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["sources"].as_array().unwrap().iter().any(|s| s["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("page-3.html"))),
        "{v}"
    );
}

#[test]
fn index_add_size_limit_and_empty_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let big = dir.path().join("big.txt");
    std::fs::write(&big, "word ".repeat(1000)).unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "A short text.").unwrap();
    let o = unspin(
        &[
            "index",
            "add",
            "-q",
            "--max-bytes",
            "1000",
            "--index",
            idx,
            path(&big),
            path(&small),
        ],
        None,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "big.txt: skipped: input is larger than the limit of 1.0 kB (raise it with --max-bytes)"
        ),
        "{err}"
    );
    assert!(err.contains("added 1 document in"), "{err}");
    let o = unspin(&["index", "add", "-q", "--index", idx, "-"], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("-: skipped: empty input"),
        "{}",
        stderr(&o)
    );
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
