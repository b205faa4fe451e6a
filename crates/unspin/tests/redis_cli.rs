//! The CLI on a shared index on Redis Cluster: `index add|stats|remove`, `find`,
//! `check --index` with `--index redis://...` (runs when `UNSPIN_REDIS_CLUSTER` names a
//! cluster, as `.ci/run` sets; otherwise prints a note and passes).

mod common;

use common::{index_add, json, stderr, unspin};

fn cluster_index(name: &str) -> Option<String> {
    let Some(url) = std::env::var("UNSPIN_REDIS_CLUSTER")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("note: UNSPIN_REDIS_CLUSTER is not set: the Redis CLI test is skipped");
        return None;
    };
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Some(format!("{url}/{name}-{}-{t}", std::process::id()))
}

#[test]
fn index_find_check_remove_through_a_cluster() {
    let Some(url) = cluster_index("cli") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs.jsonl");
    let clean = std::fs::read_to_string(common::example("clean-news.txt")).unwrap();
    let mut lines =
        vec![serde_json::json!({"id": "news", "title": "The news", "text": clean}).to_string()];
    for k in 0..20 {
        let text = format!(
            "Filler document number {k} talks about gardens, rivers and the price of {k} apples in a market town."
        );
        lines.push(serde_json::json!({"id": format!("filler-{k}"), "text": text}).to_string());
    }
    std::fs::write(&docs, lines.join("\n") + "\n").unwrap();
    index_add(std::path::Path::new(&url), &docs);
    let o = unspin(
        &["index", "stats", "--format", "json", "--index", &url],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = json(&o);
    assert_eq!(s["documents"], 21);
    assert_eq!(s["index"], url.as_str());
    let spun = common::example("spun-news.txt");
    let clean_path = common::example("clean-news.txt");
    let o = unspin(
        &["find", "--format", "json", "--index", &url, &clean_path],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["sources"][0]["id"], "news");
    // the same answers as the embedded store, for find and check
    let dir = tmp.path().join("idx");
    index_add(&dir, &docs);
    let dir = dir.to_str().unwrap();
    for args in [["find", "--format", "json"], ["check", "--format", "json"]] {
        for text in [&spun, &clean_path] {
            let run = |ix: &str| {
                let mut a: Vec<&str> = args.to_vec();
                a.extend(["--index", ix, text.as_str()]);
                let o = unspin(&a, None);
                assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
                let mut v = json(&o);
                // timings differ
                if let Some(m) = v.as_object_mut() {
                    m.remove("ms");
                    m.remove("elapsed_ms");
                }
                v
            };
            assert_eq!(run(&url), run(dir), "{args:?} {text}");
        }
    }
    let o = unspin(&["index", "remove", "--index", &url, "news", "nope"], None);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope: not in the index"));
    let o = unspin(
        &["find", "--format", "json", "--index", &url, &clean_path],
        None,
    );
    assert_eq!(json(&o)["sources"].as_array().map(Vec::len), Some(0));
    // verify is for directories; a Redis index says so
    let o = unspin(&["index", "verify", "--index", &url], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no segment files"), "{}", stderr(&o));
}

#[test]
fn an_unreachable_cluster_is_a_clear_error() {
    let o = unspin(
        &["find", "--index", "redis://127.0.0.1:1/x", "-"],
        Some(b"some text"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("redis://127.0.0.1:1/x: cannot reach the Redis Cluster"),
        "{}",
        stderr(&o)
    );
}
