//! Integration tests: run the real `unspin` binary with the built-in model.

mod common;
use common::{example, json, stderr, stdout, unspin};
use std::process::Output;

#[test]
fn check_json_has_exact_shape_and_valid_offsets() {
    let path = example("spun-news.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let o = unspin(&["check", "--format", "json", &path], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let doc = &v.as_array().expect("array")[0];
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["findings", "path", "restored", "score", "verdict", "words"]
    );
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "the spun example has findings");
    for f in findings {
        let mut fk: Vec<&str> = f.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        fk.sort();
        assert_eq!(
            fk,
            [
                "alternatives",
                "confidence",
                "end",
                "start",
                "suggestion",
                "text"
            ]
        );
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[s..e], f["text"].as_str().unwrap());
        let c = f["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }
    let score = doc["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
}

#[test]
fn spun_example_scores_higher_than_its_clean_original() {
    let o = unspin(
        &[
            "check",
            "--format",
            "json",
            &example("spun-news.txt"),
            &example("clean-news.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let spun = v[0]["score"].as_f64().unwrap();
    let clean = v[1]["score"].as_f64().unwrap();
    assert!(spun > clean, "spun {spun} vs clean {clean}");
    assert!(
        v[1]["findings"].as_array().unwrap().len() < v[0]["findings"].as_array().unwrap().len()
    );
}

#[test]
fn restore_keeps_lines_and_untouched_bytes() {
    let path = example("spun-news.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let o = unspin(&["restore", &path], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let restored = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(restored.lines().count(), text.lines().count());
    assert_eq!(restored.ends_with('\n'), text.ends_with('\n'));
    // Same as the JSON report's `restored`, which splices findings into the input.
    let j = json(&unspin(&["check", "--format", "json", &path], None));
    assert_eq!(j[0]["restored"].as_str().unwrap(), restored);
    let mut rebuilt = String::new();
    let mut pos = 0;
    for f in j[0]["findings"].as_array().unwrap() {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        rebuilt.push_str(&text[pos..s]);
        rebuilt.push_str(f["suggestion"].as_str().unwrap());
        pos = e;
    }
    rebuilt.push_str(&text[pos..]);
    assert_eq!(rebuilt, restored);
}

#[test]
fn jsonl_pipeline_keeps_ids_and_order() {
    let input = b"{\"id\":\"a\",\"text\":\"Street repairs are excessive on their agenda.\"}\n{\"id\":\"b\",\"text\":\"\"}\n";
    let o = unspin(
        &["check", "--input", "jsonl", "--format", "jsonl", "-"],
        Some(input),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn fail_over_sets_exit_status() {
    let o = unspin(
        &["check", "--fail-over", "0.01", &example("spun-news.txt")],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = unspin(
        &["check", "--fail-over", "1", &example("clean-news.txt")],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn human_report_has_no_colour_with_no_color() {
    let o = unspin(&["check", &example("spun-news.txt")], None);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("score"), "{out}");
    assert!(!out.contains('\x1b'));
    assert!(out.contains("→"));
}

#[test]
fn html_offsets_point_into_the_html() {
    let html = "<html><head><title>t</title><style>p{}</style></head><body><p>Street repairs are \
                excessive on their agenda, and the mayor stated the plan would due to this fact be \
                prepared earlier than the summer time.</p><p>See <a href=\"/x\">excessive bridge</a>.</p></body></html>";
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("page.html");
    std::fs::write(&p, html).unwrap();
    let o = unspin(&["check", "--format", "json", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    for f in v[0]["findings"].as_array().unwrap() {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&html[s..e], f["text"].as_str().unwrap());
        assert!(s < html.find("<a ").unwrap(), "anchor text is left alone");
    }
    let restored = v[0]["restored"].as_str().unwrap();
    assert!(restored.starts_with("<html><head><title>t</title>"));
}

// Bad input: every case gives a message naming the file, exit status 2, and no panic.

fn assert_clean_error(o: &Output, name: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(name) && err.contains(what), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_missing_file() {
    let o = unspin(&["check", "/nonexistent/dir/a.txt"], None);
    assert_clean_error(&o, "/nonexistent/dir/a.txt", "no such file");
}

#[test]
fn bad_input_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // an empty directory (a directory is the files under it)
    assert_clean_error(
        &unspin(&["check", d], None),
        d,
        "is a directory without files",
    );
}

#[test]
fn bad_input_binary_and_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("x.bin");
    std::fs::write(&bin, b"\x7fELF\x00\x00\x01binary").unwrap();
    assert_clean_error(
        &unspin(&["check", bin.to_str().unwrap()], None),
        "x.bin",
        "binary",
    );
    let bad = dir.path().join("latin1.txt");
    std::fs::write(&bad, b"caf\xe9 au lait").unwrap();
    assert_clean_error(
        &unspin(&["restore", bad.to_str().unwrap()], None),
        "latin1.txt",
        "UTF-8",
    );
}

#[test]
fn bad_input_empty_file_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.txt");
    std::fs::write(&p, "").unwrap();
    let o = unspin(&["check", "--format", "json", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("empty.txt"));
    assert_eq!(json(&o)[0]["findings"].as_array().unwrap().len(), 0);
    let o = unspin(&["restore", p.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_input_one_gigabyte_single_line_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.txt");
    // A sparse file: 1 GB on paper, nothing on disk.
    std::fs::File::create(&p).unwrap().set_len(1 << 30).unwrap();
    assert_clean_error(
        &unspin(&["check", p.to_str().unwrap()], None),
        "huge.txt",
        "larger than",
    );
}

#[test]
fn bad_input_long_single_line_within_limit_is_checked() {
    // 2 MB on one line: analysed in bounded chunks, offsets stay valid.
    let line = "Street repairs are excessive on their agenda and the plan would be prepared. "
        .repeat(27_000);
    let o = unspin(&["check", "--format", "jsonl", "-"], Some(line.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&line[s..e], f["text"].as_str().unwrap());
    }
}

#[test]
fn bad_input_one_bad_file_does_not_stop_the_others() {
    let o = unspin(
        &[
            "check",
            "--format",
            "jsonl",
            "/nonexistent.txt",
            &example("clean-news.txt"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[test]
fn bad_arguments_exit_2() {
    let o = unspin(&["check", "--threshold", "7", "x"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_input_compare_reads_like_check() {
    // `compare` once read suspects lossily and without a size limit; it now shares `check`'s reader.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("latin1.txt");
    std::fs::write(&bad, b"caf\xe9 au lait").unwrap();
    let clean = example("clean-news.txt");
    let o = unspin(&["compare", bad.to_str().unwrap(), &clean], None);
    assert_clean_error(&o, "latin1.txt", "UTF-8");
    let d = dir.path().to_str().unwrap();
    assert_clean_error(&unspin(&["compare", &clean, d], None), d, "is a directory");
}

#[test]
fn eval_counts_clean_only_records_as_clean_text() {
    let dir = std::env::temp_dir().join(format!("unspin-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let set = dir.join("set.jsonl");
    // One labelled record (spun text, original, the logged edit) and one clean-only record.
    std::fs::write(
        &set,
        concat!(
            r#"{"id":"a","text":"The metropolis council will meet on Tuesday.","original":"The city council will meet on Tuesday.","edits":[{"start":4,"end":14,"original":"city","spun":"metropolis"}]}"#,
            "\n",
            r#"{"id":"b","text":"The city council will meet on Tuesday to discuss the budget."}"#,
            "\n"
        ),
    )
    .unwrap();
    let o = unspin(&["eval", "--json", set.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let c = &v[0]["metrics"]["counts"];
    assert_eq!(c["truths"], 1, "{v}");
    // 7 words of the first original + 11 of the clean-only text; the clean-only text is not
    // also checked as a spun text.
    assert_eq!(c["clean_words"], 18, "{v}");
    assert!(c["findings"].as_u64().unwrap() <= 1, "{v}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn find_searches_many_suspects_and_reports_each() {
    let dir = std::env::temp_dir().join(format!("unspin-find-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let river = "The river authority opened the new flood barrier on Monday after six years of \
                 building work along the estuary. Engineers said the gates can close in under \
                 twenty minutes when a storm surge is forecast, protecting thousands of homes and \
                 the old harbour district from the highest tides recorded in the last century.";
    let garden = "Volunteers planted more than four hundred fruit trees in the community garden \
                  this spring, choosing old local varieties of apple, pear and plum that had \
                  almost disappeared from the valley. The harvest will be shared among the \
                  families who look after the orchard and the school kitchen next door.";
    let archive = dir.join("archive.jsonl");
    std::fs::write(
        &archive,
        format!(
            "{}\n{}\n",
            serde_json::json!({"id": "river", "text": river}),
            serde_json::json!({"id": "garden", "text": garden})
        ),
    )
    .unwrap();
    let idx = dir.join("idx");
    common::index_add(&idx, &archive);
    let queries = dir.join("queries.jsonl");
    let unrelated = "A short note about the weather in the mountains, which was cold and bright \
                     all week, with fresh snow on the higher paths and clear skies at night.";
    std::fs::write(
        &queries,
        format!(
            "{}\n{}\n",
            serde_json::json!({"id": "q1", "text": garden}),
            serde_json::json!({"id": "q2", "text": unrelated})
        ),
    )
    .unwrap();
    let missing = dir.join("missing.txt");
    let o = unspin(
        &[
            "find",
            "--index",
            idx.to_str().unwrap(),
            "--input",
            "jsonl",
            "--format",
            "jsonl",
            queries.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        None,
    );
    // The unreadable suspect is an error (exit 2) but the others are still searched.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.txt"), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["id"], "q1");
    assert_eq!(lines[0]["sources"][0]["id"], "garden", "{lines:?}");
    assert_eq!(lines[1]["id"], "q2");
    assert_eq!(
        lines[1]["sources"].as_array().map(Vec::len),
        Some(0),
        "{lines:?}"
    );
    // a second `add` re-adds one id (a second segment, one replaced document); `optimize`
    // merges them and `find` answers the same
    let again = dir.join("again.jsonl");
    std::fs::write(
        &again,
        format!("{}\n", serde_json::json!({"id": "river", "text": river})),
    )
    .unwrap();
    let idx_s = idx.to_str().unwrap();
    let o = unspin(
        &[
            "index",
            "add",
            "--quiet",
            "--index",
            idx_s,
            again.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = unspin(
        &["index", "optimize", "--index", idx_s, "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = json(&o);
    assert_eq!(
        (
            &m["segments_before"],
            &m["segments_after"],
            &m["documents"],
            &m["dropped"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(2),
            &serde_json::json!(1)
        ),
        "{m}"
    );
    let o = unspin(
        &[
            "find",
            "--index",
            idx_s,
            "--format",
            "json",
            queries.to_str().unwrap(),
            "--input",
            "jsonl",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)[0]["sources"][0]["id"], "garden", "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn function_word_pairs_are_on_by_default_and_can_be_left_out() {
    let count = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let spun = example("spun-news.txt");
        args.push(&spun);
        let o = unspin(&args, None);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v = json(&o);
        v[0]["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|x| x["text"].as_str().unwrap_or("").to_lowercase())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let with = count(&[]);
    let without = count(&["--no-function-words"]);
    // the example's connective swap is found only with the pairs
    assert!(with.iter().any(|t| t == "due to this fact"), "{with:?}");
    assert!(
        !without.iter().any(|t| t == "due to this fact"),
        "{without:?}"
    );
    assert!(with.len() > without.len(), "{with:?} vs {without:?}");
}

/// Regression: a long text was judged as one passage, so the LM's chance preferences over
/// thousands of clean words added up to "spun" (14 of 60 clean Wikipedia articles scored 0.6 or
/// more). Passages are judged on their own and the score is the share of words in spun ones.
#[test]
fn long_text_is_judged_passage_by_passage() {
    let clean = std::fs::read_to_string(example("clean-news.txt")).unwrap();
    let spun = std::fs::read_to_string(example("spun-news.txt")).unwrap();
    // Three clean copies, then the spun one (passages hold 100 words or more, so the last
    // passage holds the spun copy and part of the clean one before it).
    let text = format!("{clean}\n{clean}\n{clean}\n{spun}");
    let o = unspin(&["check", "--format", "json", "-"], Some(text.as_bytes()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mixed = json(&o)[0].clone();
    let o = unspin(
        &["check", "--format", "json", &example("spun-news.txt")],
        None,
    );
    let alone = json(&o)[0].clone();
    let (m, a) = (
        mixed["score"].as_f64().unwrap(),
        alone["score"].as_f64().unwrap(),
    );
    assert!(a > 0.9, "the spun example alone: {a}");
    assert!(m > 0.1 && m < a - 0.3, "a quarter of the text is spun: {m}");
    // Every finding is in the spun part and is one found there when it is checked alone; the
    // clean words sharing its last passage may cost a borderline finding, not most of them.
    let spun_from = 3 * (clean.len() + 1);
    let findings = mixed["findings"].as_array().unwrap();
    let alone_findings = alone["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let start = f["start"].as_u64().unwrap() as usize;
        assert!(start >= spun_from, "{f}");
        assert!(
            alone_findings
                .iter()
                .any(
                    |g| g["start"].as_u64().unwrap() as usize == start - spun_from
                        && g["text"] == f["text"]
                ),
            "{f} is not a finding of the spun text alone"
        );
    }
    assert!(
        findings.len() * 10 >= alone_findings.len() * 8,
        "{} of {} findings",
        findings.len(),
        alone_findings.len()
    );
}

#[test]
fn papers_mode_finds_a_lone_tortured_phrase_in_clean_text() {
    // One tortured phrase in an otherwise clean paragraph: the document's spin rate is low,
    // which hides it by default; `--papers` judges learned substitutions at their own rate.
    let path = example("paper-tortured.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find("bosom peril").unwrap();
    let on_phrase = |v: &serde_json::Value| -> Vec<String> {
        v[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["start"].as_u64() == Some(at as u64))
            .map(|f| f["suggestion"].as_str().unwrap().to_string())
            .collect()
    };
    let plain = unspin(&["check", "--format", "json", &path], None);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    assert!(on_phrase(&json(&plain)).is_empty());
    let papers = unspin(&["check", "--papers", "--format", "json", &path], None);
    assert_eq!(papers.status.code(), Some(0), "{}", stderr(&papers));
    assert_eq!(on_phrase(&json(&papers)), ["breast cancer"]);
    // The report does not call a text with findings clean, however low it scores.
    let human = unspin(&["check", "--papers", &path], None);
    let first = String::from_utf8_lossy(&human.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        first.contains("score 0.00 (mostly clean), 1 finding"),
        "{first}"
    );
    let plain = unspin(&["check", &path], None);
    let first = String::from_utf8_lossy(&plain.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    assert!(first.contains("(looks clean), 0 findings"), "{first}");
}

/// The dictionary spinner end to end: a tortured-phrase CSV becomes `entry|alt` lines, the
/// spinner applies them to JSONL at a rate, and `eval` scores the labelled set it writes
/// (with candidate recall and documents called spun).
#[test]
fn dictionary_spinner_writes_a_labelled_set_eval_reads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(
        &csv,
        "tortured,expected,papers,query_guard\n\
         bosom peril,breast cancer,100,\n\
         counterfeit consciousness,artificial intelligence,50,\n\
         profound learning,deep learning,40,\n",
    )
    .unwrap();
    let dict = dir.path().join("d.txt");
    let o = unspin(
        &[
            "model",
            "spinner-dict",
            "--source",
            "tortured",
            "--tortured",
            csv.to_str().unwrap(),
            "--out",
            dict.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = std::fs::read_to_string(&dict).unwrap();
    assert!(
        lines.lines().next().unwrap().contains(' '),
        "phrases first: {lines}"
    );
    assert!(lines.contains("breast cancer|bosom peril\n"), "{lines}");
    assert!(lines.contains("deep|profound\n"), "{lines}");
    let clean = dir.path().join("c.jsonl");
    let text = "Deep learning helps breast cancer screening. Artificial intelligence is deep.";
    std::fs::write(
        &clean,
        format!("{}\n", serde_json::json!({"id": "a", "text": text})),
    )
    .unwrap();
    let o = unspin(
        &[
            "spin",
            "--dict",
            dict.to_str().unwrap(),
            "--rate",
            "1",
            clean.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rec: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let spun = rec["text"].as_str().unwrap();
    assert!(
        spun.contains("bosom peril") && spun.contains("Counterfeit consciousness"),
        "{spun}"
    );
    assert_eq!(rec["original"], text);
    let set = dir.path().join("s.jsonl");
    std::fs::write(&set, &o.stdout).unwrap();
    let o = unspin(&["eval", "--json", set.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert!(
        v[0]["candidate_recall"]["phrase_edits"].as_u64().unwrap() >= 2,
        "{v}"
    );
    assert!(v[0]["spun_docs_called_spun"].is_number(), "{v}");
    // a rate outside [0, 1] is refused
    let o = unspin(
        &["spin", "--dict", dict.to_str().unwrap(), "--rate", "2", "-"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `check` and `restore` reading a terminal say so on stderr instead of waiting silently (run
/// under `script`, which gives the command a pseudo-terminal; skipped where it is missing).
#[test]
fn reading_a_terminal_prints_a_hint() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` to run the command on a terminal");
        return;
    }
    for cmd in ["check", "restore"] {
        let line = format!("{} {cmd}", env!("CARGO_BIN_EXE_unspin"));
        // the text, then Ctrl-D (end of input on a terminal)
        let o = unspin_script(&line, b"The cat sat on the mat.\n\x04");
        assert!(
            o.contains("reading from stdin; paste text and press Ctrl-D, or pass a file"),
            "{cmd}: {o}"
        );
    }
    // not on a pipe
    let o = unspin(&["check", "-"], Some(b"The cat sat on the mat.\n"));
    assert!(!stderr(&o).contains("reading from stdin"), "{}", stderr(&o));
}

/// Runs `line` under `script` with `input` typed on its terminal; returns what it printed.
fn unspin_script(line: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .args(["-qec", line, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("type the input");
    let o = child.wait_with_output().expect("script finishes");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Below the minimum length the score says "too short to judge", not a verdict; `--fail-over`
/// does not count such a text; the minimum is the one documented in `--help`.
#[test]
fn very_short_texts_are_too_short_to_judge() {
    let n = unspin_engine::MIN_JUDGED_WORDS;
    let o = unspin(&["check", "-"], Some(b"Hello\n"));
    assert!(
        stdout(&o).contains("(too short to judge), 0 findings in 1 word\n"),
        "{}",
        stdout(&o)
    );
    let o = unspin(
        &["check", "--format", "json", "--fail-over", "0.01", "-"],
        Some(b"Hello\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v[0]["verdict"], "too short to judge", "{v}");
    assert_eq!(v[0]["words"], 1, "{v}");
    assert!(v[0]["score"].is_number(), "{v}");
    // a text of n words is judged
    let text = "The council will meet on Monday to discuss the new budget for the town.";
    assert!(text.split_whitespace().count() >= n);
    let v = json(&unspin(
        &["check", "--format", "json", "-"],
        Some(text.as_bytes()),
    ));
    assert_ne!(v[0]["verdict"], "too short to judge", "{v}");
    let help = stdout(&unspin(&["check", "--help"], None));
    assert!(help.contains(&format!("fewer than {n} words")), "{help}");
}
