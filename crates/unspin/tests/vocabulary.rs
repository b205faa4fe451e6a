//! One vocabulary: the CLI's JSON (check, restore, find, compare) uses the field names of the
//! OpenAPI document `unspin serve` publishes (the API answers with the same shapes), and
//! `index stats` prints the names its JSON has. A field renamed on one side only fails here.

mod common;
use common::{example, json, stdout, unspin};
use std::collections::BTreeSet;

const OPENAPI: &str = include_str!("../web/openapi.json");

fn openapi() -> serde_json::Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
}

/// The names of an object schema's properties and its required ones.
fn names(schema: &serde_json::Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let props = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no properties in {schema}"))
        .keys()
        .cloned()
        .collect();
    let required = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|v| v.as_str().expect("a name").to_string())
                .collect()
        })
        .unwrap_or_default();
    (props, required)
}

/// `value`'s keys are properties of `schema` (by the same names), and it has every required
/// property but those in `api_only` (fields only the server can give).
fn assert_shape(
    what: &str,
    value: &serde_json::Value,
    schema: &serde_json::Value,
    api_only: &[&str],
) {
    let keys: BTreeSet<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    let (props, required) = names(schema);
    let unknown: Vec<&String> = keys.difference(&props).collect();
    assert!(
        unknown.is_empty(),
        "{what}: the CLI's JSON has {unknown:?}, which the OpenAPI schema does not name (it has {props:?})"
    );
    let missing: Vec<&String> = required
        .difference(&keys)
        .filter(|k| !api_only.contains(&k.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: the OpenAPI schema requires {missing:?}, which the CLI's JSON lacks: {value}"
    );
}

fn schema<'a>(api: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let s = &api["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name}");
    s
}

/// Every element of the array `value[field]` against `schema` (the array must not be empty,
/// so that its elements are really compared).
fn assert_items(what: &str, value: &serde_json::Value, field: &str, schema: &serde_json::Value) {
    let items = value[field]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no array {field}: {value}"));
    assert!(!items.is_empty(), "{what}: {field} is empty: {value}");
    for item in items {
        assert_shape(&format!("{what}.{field}[]"), item, schema, &[]);
    }
}

#[test]
fn check_and_restore_json_match_the_openapi_schemas() {
    let api = openapi();
    let spun = example("spun-news.txt");
    let o = unspin(&["check", "--format", "json", &spun], None);
    let v = json(&o);
    let rep = &v[0];
    assert_shape("check", rep, schema(&api, "DocReport"), &[]);
    assert_items("check", rep, "findings", schema(&api, "Finding"));

    // JSONL: the record's id too
    let o = unspin(
        &["check", "--input", "jsonl", "--format", "jsonl", "-"],
        Some(br#"{"id":"a1","text":"The cat sat on the mat by the door of the house."}"#),
    );
    let rep: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSONL");
    assert_eq!(rep["id"], "a1");
    assert_shape("check (JSONL)", &rep, schema(&api, "DocReport"), &[]);

    let o = unspin(
        &["restore", "--input", "jsonl", "-"],
        Some(br#"{"id":"a1","text":"The cat sat on the mat."}"#),
    );
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSONL");
    assert_shape("restore (JSONL)", &r, schema(&api, "RestoreResponse"), &[]);
}

#[test]
fn find_and_compare_json_match_the_openapi_schemas() {
    let api = openapi();
    let (spun, clean) = (example("spun-news.txt"), example("clean-news.txt"));
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let o = unspin(&["index", "add", "--quiet", "--index", idx, &clean], None);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));

    let o = unspin(
        &[
            "find",
            "--format",
            "json",
            "--max-evalue",
            "1e-3",
            "--index",
            idx,
            &spun,
        ],
        None,
    );
    let v = json(&o);
    let find = schema(&api, "FindResponse");
    assert_shape("find", &v, find, &[]);
    assert_shape(
        "find.threshold",
        &v["threshold"],
        &find["properties"]["threshold"],
        &[],
    );
    assert_items("find", &v, "sources", schema(&api, "Hit"));

    let o = unspin(&["compare", "--format", "json", &spun, &clean], None);
    let v = json(&o);
    // the server names the indexed source by its id and adds what the index holds of it
    assert_shape(
        "compare",
        &v,
        schema(&api, "CompareResponse"),
        &["title", "url", "source_text"],
    );
    assert_items("compare", &v, "passages", schema(&api, "Passage"));
    assert_items("compare", &v, "substitutions", schema(&api, "Substitution"));
    assert_items("compare", &v, "table", schema(&api, "TableRow"));
}

#[test]
fn index_stats_prints_the_names_of_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let idx = idx.to_str().unwrap();
    let o = unspin(
        &[
            "index",
            "add",
            "--quiet",
            "--index",
            idx,
            &example("clean-news.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let text = stdout(&unspin(&["index", "stats", "--index", idx], None));
    let labels: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let v = json(&unspin(
        &["index", "stats", "--format", "json", "--index", idx],
        None,
    ));
    let keys: BTreeSet<String> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(labels, keys, "{text}\n{v}");
    assert_eq!(v["documents"], 1);
}
