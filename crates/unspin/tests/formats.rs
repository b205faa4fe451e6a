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

fn warc_record(kind: &str, uri: &str, id: &str, http: &str) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Record-ID: {id}\r\n\
         Content-Type: application/http; msgtype={kind}\r\nContent-Length: {}\r\n\r\n",
        http.len()
    )
    .into_bytes();
    r.extend_from_slice(http.as_bytes());
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// A crawl: a spun HTML page, a request, an image, a broken record, a clean text page.
fn crawl() -> Vec<u8> {
    let spun = std::fs::read_to_string(common::example("spun-paper.txt")).unwrap();
    let clean = std::fs::read_to_string(common::example("clean-news.txt")).unwrap();
    let mut w = warc_record(
        "response",
        "http://a.example/paper",
        "<urn:uuid:a>",
        &format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>{spun}</p></body></html>"
        ),
    );
    w.extend(warc_record(
        "request",
        "http://a.example/paper",
        "<urn:uuid:r>",
        "GET /paper HTTP/1.1\r\n\r\n",
    ));
    w.extend(warc_record(
        "response",
        "http://a.example/logo.png",
        "<urn:uuid:i>",
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\nPNG",
    ));
    w.extend_from_slice(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:broken>\r\n\r\nno length here\r\n\r\n");
    w.extend(warc_record(
        "response",
        "http://b.example/news",
        "<urn:uuid:b>",
        &format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{clean}"),
    ));
    w
}

#[test]
fn warc_responses_are_documents_and_a_broken_record_is_skipped() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("crawl.warc");
    std::fs::write(&plain, crawl()).unwrap();
    let gz = dir.path().join("crawl.warc.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&crawl()).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    for p in [&plain, &gz] {
        let name = p.to_str().unwrap();
        let o = unspin(&["check", "--format", "jsonl", name], None);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let lines: Vec<serde_json::Value> = common::stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0]["url"], "http://a.example/paper");
        assert_eq!(lines[0]["id"], "<urn:uuid:a>");
        assert!(
            lines[0]["findings"].as_array().unwrap().len() >= 3,
            "{}",
            lines[0]
        );
        assert_in_schema(&lines[0], "DocReport");
        assert_eq!(lines[1]["id"], "<urn:uuid:broken>");
        assert!(
            lines[1]["error"]
                .as_str()
                .unwrap()
                .contains("Content-Length")
        );
        assert_eq!(lines[2]["url"], "http://b.example/news");
        assert!(stderr(&o).contains("<urn:uuid:broken>") || stderr(&o).contains(name));
    }
    // index add reads it (the broken record skipped) and find finds the page's source
    let idx = dir.path().join("idx");
    let o = unspin(
        &[
            "index",
            "add",
            "--quiet",
            "--index",
            idx.to_str().unwrap(),
            gz.to_str().unwrap(),
        ],
        None,
    );
    // a skipped record is an error (exit 2), the others are added
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("line 37: skipped: WARC record without"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("added 2 documents"), "{}", stderr(&o));
    let o = unspin(
        &[
            "find",
            "--format",
            "json",
            "--index",
            idx.to_str().unwrap(),
            &common::example("spun-paper.txt"),
        ],
        None,
    );
    let v = json(&o);
    assert!(v.to_string().contains("<urn:uuid:a>"), "{v}");
}

#[test]
fn a_directory_screened_as_csv_one_row_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::copy(fixture("spun-paper.pdf"), d.join("a.pdf")).unwrap();
    std::fs::copy(common::example("clean-news.txt"), d.join("sub/b.txt")).unwrap();
    std::fs::copy(fixture("spun-paper.tei.xml"), d.join("c.xml")).unwrap();
    let o = unspin(&["check", "--format", "csv", d.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = common::stdout(&o);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(
        rows[0],
        "path,id,url,score,verdict,words,findings,pages,phrases,error"
    );
    assert_eq!(rows.len(), 4, "{out}");
    let pdf: Vec<&str> = rows[1].split(',').collect();
    assert!(pdf[0].ends_with("a.pdf"), "{out}");
    assert_eq!((pdf[4], pdf[6], pdf[7]), ("spun", "4", "2"), "{out}");
    assert!(pdf[8].contains("bosom peril → breast cancer"), "{out}");
    assert!(
        rows[2].ends_with("c.xml") || rows[2].contains("c.xml,"),
        "{out}"
    );
    assert!(
        rows[3].contains("sub/b.txt") && rows[3].contains("looks clean"),
        "{out}"
    );
}

#[test]
fn a_batch_report_page_lists_every_document_and_links_their_highlighted_views() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("batch");
    std::fs::create_dir(&d).unwrap();
    std::fs::copy(fixture("spun-paper.pdf"), d.join("a.pdf")).unwrap();
    std::fs::copy(common::example("clean-news.txt"), d.join("b.txt")).unwrap();
    std::fs::copy(fixture("scan.pdf"), d.join("c.pdf")).unwrap();
    let page = dir.path().join("report.html");
    let o = unspin(
        &[
            "check",
            "--format",
            "csv",
            "--report",
            page.to_str().unwrap(),
            d.to_str().unwrap(),
        ],
        None,
    );
    // the scan is an error (exit 2); the others are on the page
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains("2 documents checked, 1 with findings, 1 not readable"),
        "{html}"
    );
    assert!(html.contains("the PDF has no text layer"), "{html}");
    // the spun PDF's row links to its highlighted view; the clean text has none
    assert!(html.contains("<a href=\"#d0\">"), "{html}");
    assert!(html.contains("<section id=\"d0\">"), "{html}");
    assert!(!html.contains("<section id=\"d1\">"), "{html}");
    assert!(
        html.contains("<mark title=\"→ breast cancer\">bosom peril</mark>"),
        "{html}"
    );
    assert!(html.contains("bosom peril → breast cancer"), "{html}");
    // self-contained: no external resources
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "{html}"
    );
}
