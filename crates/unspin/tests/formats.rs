//! Documents in PDF, JATS/TEI XML and WARC through the real binary.

mod common;

use common::{json, stderr, unspin};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn openapi() -> serde_json::Value {
    let path = format!("{}/web/openapi.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The keys of `v` are all named by the OpenAPI schema `name`.
fn assert_in_schema(v: &serde_json::Value, name: &str) {
    let api = openapi();
    let props = api["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap();
    for k in v.as_object().unwrap().keys() {
        assert!(props.contains_key(k), "{name} has no {k}: {v}");
    }
}

#[test]
fn pdf_findings_carry_pages_and_offsets_into_the_extracted_text() {
    let pdf = fixture("spun-paper.pdf");
    let o = unspin(&["check", "--format", "json", &pdf], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let rep = &v[0];
    assert_eq!(rep["pages"], 2, "{rep}");
    assert_in_schema(rep, "DocReport");
    let restored = rep["restored"].as_str().unwrap();
    assert!(!restored.contains("Journal of Generated"), "{restored}");
    assert!(restored.contains("breast cancer"), "{restored}");
    let findings = rep["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{rep}");
    let mut last_page = 1;
    for f in findings {
        assert_in_schema(f, "Finding");
        let page = f["page"].as_u64().unwrap();
        assert!((1..=2).contains(&page) && page >= last_page, "{f}");
        last_page = page;
    }
    // the same document as plain text: the same findings
    let txt = common::example("spun-paper.txt");
    let t = json(&unspin(&["check", "--format", "json", &txt], None));
    let words = |v: &serde_json::Value| -> Vec<String> {
        v[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(words(&v), words(&t));
    // --input pdf on a file without the name
    let dir = tempfile::tempdir().unwrap();
    let noname = dir.path().join("paper");
    std::fs::copy(&pdf, &noname).unwrap();
    let o = unspin(
        &[
            "check",
            "--input",
            "pdf",
            "--format",
            "json",
            noname.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(json(&o)[0]["pages"], 2, "{}", stderr(&o));
}

#[test]
fn a_scanned_pdf_is_an_error_naming_the_file_and_others_still_checked() {
    let scan = fixture("scan.pdf");
    let txt = common::example("spun-paper.txt");
    let o = unspin(&["check", "--format", "jsonl", &scan, &txt], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{scan}: the PDF has no text layer")),
        "{err}"
    );
    assert_eq!(common::stdout(&o).lines().count(), 1);
    // a broken PDF: named, not "binary"
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pdf");
    std::fs::write(&bad, b"%PDF-1.4\n\0\0 not really").unwrap();
    let o = unspin(&["check", bad.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a readable PDF"), "{}", stderr(&o));
}

#[test]
fn find_and_compare_read_pdf() {
    let pdf = fixture("spun-paper.pdf");
    let txt = common::example("spun-paper.txt");
    let o = unspin(&["compare", "--format", "json", &pdf, &txt], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn jats_and_tei_findings_are_offsets_into_the_xml() {
    for (name, flag) in [
        ("spun-paper.jats.xml", "jats"),
        ("spun-paper.tei.xml", "tei"),
    ] {
        let path = fixture(name);
        let xml = std::fs::read_to_string(&path).unwrap();
        for args in [
            vec!["check", "--format", "json", &path],
            vec!["check", "--format", "json", "--input", flag, &path],
        ] {
            let o = unspin(&args, None);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let rep = &json(&o)[0];
            assert_in_schema(rep, "DocReport");
            let found: Vec<&str> = rep["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let (s, e) = (f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap());
                    assert_eq!(&xml[s as usize..e as usize], f["text"].as_str().unwrap());
                    f["text"].as_str().unwrap()
                })
                .collect();
            assert!(
                found.contains(&"counterfeit consciousness"),
                "{name}: {found:?}"
            );
            assert!(found.contains(&"exactness and review"), "{name}: {found:?}");
            // the reference list and the table are not checked: each phrase once in the
            // abstract/title... and the table's and the reference's never
            let n = |p: &str| found.iter().filter(|f| f.eq_ignore_ascii_case(p)).count();
            assert_eq!(n("counterfeit consciousness"), 1, "{name}: {found:?}");
            // the restored XML is still the XML, with the originals in place
            let restored = rep["restored"].as_str().unwrap();
            assert!(restored.contains("uses artificial intelligence to classify"));
            assert!(restored.contains("Counterfeit consciousness and bosom peril"));
        }
    }
}
