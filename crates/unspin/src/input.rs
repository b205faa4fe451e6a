//! Reading documents: files, standard input, HTML, JSONL; every error names its source.

use anyhow::{Context, Result, anyhow, bail};
use std::io::Read;
use std::path::Path;

/// How to read inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// By file extension: .html/.htm as HTML, .jsonl as JSONL, anything else as text.
    Auto,
    /// Plain UTF-8 text.
    Text,
    /// HTML: visible text is checked, offsets refer to the HTML.
    Html,
    /// One JSON object per line with "id" and "text".
    Jsonl,
}

/// One document to check.
#[derive(Debug)]
pub struct Doc {
    /// File name (or `-`), for messages and the `path` field.
    pub path: String,
    /// Record id for JSONL input.
    pub id: Option<String>,
    /// The text as given.
    pub text: String,
    /// True when `text` is HTML.
    pub html: bool,
}

/// Reads all of `path` (`-` is standard input), refusing directories, binary data, invalid
/// UTF-8 and anything larger than `max_bytes`.
pub fn read_source(path: &str, max_bytes: u64) -> Result<String> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .lock()
            .take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .context("standard input: cannot read")?;
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| anyhow!("{path}: {}", io_reason(&e)))?;
        if meta.is_dir() {
            bail!("{path}: is a directory (give files, or use `unspin index add` for folders)");
        }
        if meta.len() > max_bytes {
            bail!(
                "{path}: {} is larger than the limit of {} (raise it with --max-bytes)",
                human_bytes(meta.len()),
                human_bytes(max_bytes)
            );
        }
        let f = std::fs::File::open(p).map_err(|e| anyhow!("{path}: {}", io_reason(&e)))?;
        // one allocation of the right size (no regrowth and copying of large inputs)
        bytes.reserve_exact(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
        f.take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow!("{path}: {}", io_reason(&e)))?;
    }
    if bytes.len() as u64 > max_bytes {
        bail!(
            "{path}: input is larger than the limit of {} (raise it with --max-bytes)",
            human_bytes(max_bytes)
        );
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        bail!("{path}: looks like a binary file (it contains NUL bytes); unspin reads UTF-8 text");
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{path}: not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// `1.5 MB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} bytes")
    }
}

/// The default `--max-bytes`: inputs larger than this are refused.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// True for `.html`, `.htm` and `.xhtml` file names.
pub fn is_html_name(path: &str) -> bool {
    let l = path.to_ascii_lowercase();
    l.ends_with(".html") || l.ends_with(".htm") || l.ends_with(".xhtml")
}

/// Reads `path` as documents according to `format`.
pub fn read_docs(path: &str, format: InputFormat, max_bytes: u64) -> Result<Vec<Doc>> {
    let text = read_source(path, max_bytes)?;
    let fmt = match format {
        InputFormat::Auto if path.to_ascii_lowercase().ends_with(".jsonl") => InputFormat::Jsonl,
        InputFormat::Auto if is_html_name(path) => InputFormat::Html,
        InputFormat::Auto => InputFormat::Text,
        f => f,
    };
    match fmt {
        InputFormat::Jsonl => parse_jsonl(path, &text),
        f => Ok(vec![Doc {
            path: path.to_string(),
            id: None,
            text,
            html: f == InputFormat::Html,
        }]),
    }
}

#[derive(serde::Deserialize)]
struct Record {
    #[serde(default)]
    id: Option<serde_json::Value>,
    text: String,
    #[serde(default)]
    html: bool,
}

fn parse_jsonl(path: &str, text: &str) -> Result<Vec<Doc>> {
    use rayon::prelude::*;
    // parsed on all cores (a crawl's JSONL is large); the first bad line, in file order, is
    // the error reported
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let parsed: Vec<Result<Doc>> = lines
        .par_iter()
        .map(|&(n, line)| {
            let r: Record = serde_json::from_str(line).map_err(|e| {
                anyhow!(
                    "{path}: line {}: not a JSON object with a \"text\" string: {e}",
                    n + 1
                )
            })?;
            let id = match r.id {
                Some(serde_json::Value::String(s)) => s,
                Some(v) => v.to_string(),
                None => (n + 1).to_string(),
            };
            Ok(Doc {
                path: path.to_string(),
                id: Some(id),
                text: r.text,
                html: r.html,
            })
        })
        .collect();
    parsed.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_errors_name_line() {
        let e = parse_jsonl("p.jsonl", "{\"id\":1,\"text\":\"a\"}\n{\"id\":2}\n").unwrap_err();
        assert!(e.to_string().contains("p.jsonl: line 2"), "{e}");
        let ok = parse_jsonl("p.jsonl", "{\"id\":7,\"text\":\"a\"}\n\n").unwrap();
        assert_eq!(ok[0].id.as_deref(), Some("7"));
    }
}
