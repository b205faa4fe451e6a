//! Numeric options are validated with a clear message (finite, in range) before any work.

mod common;
use std::process::Output;

fn unspin(args: &[&str]) -> Output {
    common::unspin(args, None)
}

/// Every case: exit status 2, a message naming the flag and the reason, nothing on stdout.
#[test]
fn bad_numbers_are_refused_with_the_flag_and_the_reason() {
    let ex = format!(
        "{}/../../examples/spun-news.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let ex = ex.as_str();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["check", "--set", "prior_spun=NaN", ex],
            "--set",
            "not a finite number",
        ),
        (
            &["check", "--set", "gate=inf", ex],
            "--set",
            "not a finite number",
        ),
        (
            &["check", "--set", "prior_spun=1.5", ex],
            "--set",
            "not a rate in [0, 1)",
        ),
        (
            &["check", "--set", "beam=0", ex],
            "--set",
            "not a whole number of at least 1",
        ),
        (
            &["check", "--set", "beam=2.5", ex],
            "--set",
            "not a whole number of at least 1",
        ),
        (
            &["check", "--set", "no_such=1", ex],
            "--set",
            "unknown parameter `no_such`",
        ),
        (
            &["check", "--set", "prior_spun", ex],
            "--set",
            "expected NAME=VALUE",
        ),
        (
            &["restore", "--set", "lm_weight=NaN", ex],
            "--set",
            "not a finite number",
        ),
        (
            &["check", "--threshold", "NaN", ex],
            "--threshold",
            "not a finite number",
        ),
        (
            &["check", "--threshold", "1.5", ex],
            "--threshold",
            "not between 0 and 1",
        ),
        (
            &["check", "--fail-over=-0.1", ex],
            "--fail-over",
            "not between 0 and 1",
        ),
        (&["check", "-j", "0", ex], "--jobs", "must be at least 1"),
        (
            &["check", "--max-bytes", "0", ex],
            "--max-bytes",
            "must be at least 1",
        ),
        (&["find", "-n", "0", ex], "--limit", "must be at least 1"),
        (
            &["find", "--min-coverage", "2", ex],
            "--min-coverage",
            "not between 0 and 1",
        ),
        (
            &["find", "--min-coverage", "NaN", ex],
            "--min-coverage",
            "not a finite number",
        ),
        (
            &["find", "--min-passage", "0", ex],
            "--min-passage",
            "must be at least 1",
        ),
        (&["find", "-j", "0", ex], "--jobs", "must be at least 1"),
        (
            &["index", "add", "--batch", "0", ex],
            "--batch",
            "must be at least 1",
        ),
        (
            &["index", "add", "--max-bytes", "0", ex],
            "--max-bytes",
            "must be at least 1",
        ),
        (
            &["index", "add", "--max-bytes=-5", ex],
            "--max-bytes",
            "not a whole number",
        ),
        (
            &["compare", "--width", "10", ex, ex],
            "--width",
            "not between 40 and 1000",
        ),
        (
            &["learn", "--out", "x.tsv", "--min-count", "0", ex, ex],
            "--min-count",
            "must be at least 1",
        ),
        (
            &["serve", "--workers", "0"],
            "--workers",
            "must be at least 1",
        ),
        (
            &["serve", "--max-body", "0"],
            "--max-body",
            "must be at least 1",
        ),
        (
            &["serve", "--max-pending", "0"],
            "--max-pending",
            "must be at least 1",
        ),
        (
            &["serve", "--threshold", "nan"],
            "--threshold",
            "not a finite number",
        ),
        (
            &["serve", "--timeout", "NaN"],
            "--timeout",
            "not between 0 and 86400",
        ),
    ];
    for (args, flag, why) in cases {
        let o = unspin(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(why), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // a valid override still works
    let o = unspin(&["check", "--set", "prior_spun=0.05", ex]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
