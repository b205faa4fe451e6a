//! `check --index` / `restore --index` (restoration from a found source) and `find`'s near
//! miss.

mod common;

use common::{json, stderr, stdout, unspin};

const ORIGINAL: &str = "The old stone bridge over the river Malven was built in 1872 by the \
    engineer Tomas Varga, and it carried the main road to the market town of Dellbrook until \
    a modern concrete bridge replaced it in 1961. Varga also designed the railway station at \
    Orsk and the water tower of Kemeny, both of which still stand today.";
const SPUN: &str = "The ancient stone bridge over the river Malven was constructed in 1872 by \
    the engineer Tomas Varga, and it carried the principal road to the market town of \
    Dellbrook until a contemporary concrete bridge substituted it in 1961. Varga also \
    designed the railway station at Orsk and the water tower of Kemeny, both of which still \
    stand today.";

fn index_with_original(dir: &std::path::Path) -> String {
    let docs = dir.join("docs.jsonl");
    std::fs::write(
        &docs,
        format!(
            "{}\n{}\n",
            serde_json::json!({"id": "bridge", "title": "Malven bridge", "text": ORIGINAL}),
            serde_json::json!({"id": "other", "text": "A short note about the weather in the mountains, which was cold and bright all week, with fresh snow on the higher paths."}),
        ),
    )
    .unwrap();
    let idx = dir.join("idx");
    common::index_add(&idx, &docs);
    idx.to_str().unwrap().to_string()
}

#[test]
fn check_with_an_index_restores_from_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let idx = index_with_original(dir.path());
    let o = unspin(
        &["check", "--format", "json", "--index", &idx, "-"],
        Some(SPUN.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let rep = &v[0];
    assert_eq!(rep["sources"][0]["id"], "bridge");
    let findings = rep["findings"].as_array().unwrap();
    let from: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["source"] == "bridge")
        .map(|f| {
            (
                f["text"].as_str().unwrap(),
                f["suggestion"].as_str().unwrap(),
            )
        })
        .collect();
    for pair in [
        ("ancient", "old"),
        ("constructed", "built"),
        ("principal", "main"),
    ] {
        assert!(from.contains(&pair), "{pair:?} not in {from:?}");
    }
    // the source offsets point at the original words
    for f in findings.iter().filter(|f| f["source"] == "bridge") {
        let (a, b) = (
            f["source_start"].as_u64().unwrap() as usize,
            f["source_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&ORIGINAL[a..b], f["suggestion"].as_str().unwrap());
    }
    assert_eq!(rep["restored"], ORIGINAL);
    // restore --index writes the original back
    let o = unspin(&["restore", "--index", &idx, "-"], Some(SPUN.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), ORIGINAL);
    // the readable report names the source and marks its findings
    let o = unspin(
        &["check", "--color", "never", "--index", &idx, "-"],
        Some(SPUN.as_bytes()),
    );
    let out = stdout(&o);
    assert!(out.contains("source bridge (Malven bridge)"), "{out}");
    assert!(out.contains("[from bridge at "), "{out}");
    // the original itself: its source is itself, nothing to restore
    let o = unspin(
        &["check", "--format", "json", "--index", &idx, "-"],
        Some(ORIGINAL.as_bytes()),
    );
    assert_eq!(json(&o)[0]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn find_says_when_only_a_near_miss_exists() {
    let dir = tempfile::tempdir().unwrap();
    let idx = index_with_original(dir.path());
    let o = unspin(
        &["find", "--index", &idx, "--max-evalue", "1e-300", "-"],
        Some(SPUN.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("no source found"), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("bridge") && err.contains("--max-evalue"),
        "{err}"
    );
    let o = unspin(
        &[
            "find",
            "--format",
            "json",
            "--index",
            &idx,
            "--max-evalue",
            "1e-300",
            "-",
        ],
        Some(SPUN.as_bytes()),
    );
    let v = json(&o);
    assert_eq!(v["sources"].as_array().unwrap().len(), 0);
    assert_eq!(v["near_miss"]["id"], "bridge");
    assert!(
        v["near_miss"]["admit_with"]
            .as_str()
            .unwrap()
            .starts_with("--max-evalue ")
    );
    // found with the default threshold, with its E-value
    let o = unspin(
        &["find", "--format", "json", "--index", &idx, "-"],
        Some(SPUN.as_bytes()),
    );
    let v = json(&o);
    assert_eq!(v["sources"][0]["id"], "bridge");
    assert!(v["sources"][0]["evalue"].as_f64().unwrap() < 1e-8);
    assert!(v.get("near_miss").is_none());
}
