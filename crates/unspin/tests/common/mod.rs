//! Shared helpers of the integration tests: run the real binary (built-in model, no
//! `UNSPIN_MODEL`/`UNSPIN_INDEX` from the environment, no colour) and read its output.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `unspin` with `args`, feeding `stdin` when given (else stdin is empty).
pub fn unspin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unspin"));
    cmd.args(args)
        .env_remove("UNSPIN_MODEL")
        .env_remove("UNSPIN_INDEX")
        .env("NO_COLOR", "1");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("unspin runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    child.wait_with_output().expect("unspin finishes")
}

/// A file of the repository's `examples/`.
pub fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard output as one JSON value.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// `unspin index add --quiet --index IDX DOCS`, which must succeed.
pub fn index_add(idx: &std::path::Path, docs: &std::path::Path) {
    let o = unspin(
        &[
            "index",
            "add",
            "--quiet",
            "--index",
            idx.to_str().unwrap(),
            docs.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
