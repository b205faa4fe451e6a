//! Reading documents to index: text and HTML files, directories (recursive), JSONL with
//! `id`, `text` and optional `title`/`url`, and standard input (`-`, JSONL or plain text).

use crate::error::IndexError;
use crate::html::{html_to_text, looks_like_html};
use crate::index::NewDoc;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// One input source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file (text, HTML, or JSONL by extension `.jsonl`/`.ndjson`).
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// Expands paths (directories recursively, sorted) into sources; `-` is standard input.
/// Hidden files and directories are skipped.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Source>, IndexError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
        } else if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(Source::File(p.clone()));
        } else {
            return Err(IndexError::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Source>) -> Result<(), IndexError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IndexError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_indexable(&p) {
            out.push(Source::File(p));
        }
    }
    Ok(())
}

fn ext(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_indexable(p: &Path) -> bool {
    matches!(
        ext(p).as_str(),
        "txt" | "text" | "md" | "html" | "htm" | "xhtml" | "jsonl" | "ndjson" | ""
    )
}

/// Size in bytes of a source (0 for stdin), for progress.
pub fn size_of(s: &Source) -> u64 {
    match s {
        Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        Source::Stdin => 0,
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum JsonId {
    Str(String),
    Num(serde_json::Number),
}

#[derive(serde::Deserialize)]
struct JsonDoc {
    id: Option<JsonId>,
    text: Option<String>,
    title: Option<String>,
    url: Option<String>,
}

/// Parses one JSONL line into a document.
pub fn parse_jsonl_line(
    line: &str,
    path: &Path,
    lineno: usize,
) -> Result<Option<NewDoc>, IndexError> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = |m: String| IndexError::BadInput {
        path: path.to_path_buf(),
        problem: format!("line {lineno}: {m}"),
    };
    let v: JsonDoc = serde_json::from_str(t).map_err(|e| bad(e.to_string()))?;
    let id = match v.id {
        Some(JsonId::Str(s)) => s,
        Some(JsonId::Num(n)) => n.to_string(),
        None => return Err(bad("missing string `id`".into())),
    };
    let text = v.text.ok_or_else(|| bad("missing string `text`".into()))?;
    let text = if looks_like_html(&text) {
        html_to_text(&text)
    } else {
        text
    };
    Ok(Some(NewDoc {
        id,
        title: v.title.unwrap_or_default(),
        url: v.url.unwrap_or_default(),
        text,
    }))
}

/// Reads the documents of one source, calling `f` with each and the bytes consumed so far.
pub fn read_source(
    src: &Source,
    f: &mut dyn FnMut(NewDoc, u64) -> Result<(), IndexError>,
) -> Result<(), IndexError> {
    match src {
        Source::File(p) => {
            let e = ext(p);
            let file = std::fs::File::open(p).map_err(|er| IndexError::io(p, er))?;
            if e == "jsonl" || e == "ndjson" {
                read_jsonl(std::io::BufReader::with_capacity(1 << 20, file), p, f)
            } else {
                let mut bytes = Vec::new();
                std::io::BufReader::new(file)
                    .read_to_end(&mut bytes)
                    .map_err(|er| IndexError::io(p, er))?;
                let text = String::from_utf8_lossy(&bytes);
                let is_html =
                    matches!(e.as_str(), "html" | "htm" | "xhtml") || looks_like_html(&text);
                let text = if is_html {
                    html_to_text(&text)
                } else {
                    text.into_owned()
                };
                let id = p.to_string_lossy().into_owned();
                f(
                    NewDoc {
                        id,
                        title: String::new(),
                        url: String::new(),
                        text,
                    },
                    bytes.len() as u64,
                )
            }
        }
        Source::Stdin => {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            let buf = lock.fill_buf().map_err(|e| IndexError::io("-", e))?;
            if buf.first() == Some(&b'{') {
                read_jsonl(lock, Path::new("-"), f)
            } else {
                let mut s = String::new();
                lock.read_to_string(&mut s)
                    .map_err(|e| IndexError::io("-", e))?;
                let text = if looks_like_html(&s) {
                    html_to_text(&s)
                } else {
                    s
                };
                let n = text.len() as u64;
                f(
                    NewDoc {
                        id: "-".into(),
                        title: String::new(),
                        url: String::new(),
                        text,
                    },
                    n,
                )
            }
        }
    }
}

fn read_jsonl(
    r: impl BufRead,
    p: &Path,
    f: &mut dyn FnMut(NewDoc, u64) -> Result<(), IndexError>,
) -> Result<(), IndexError> {
    let mut consumed = 0u64;
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| IndexError::io(p, e))?;
        consumed += line.len() as u64 + 1;
        if let Some(d) = parse_jsonl_line(&line, p, i + 1)? {
            f(d, consumed)?;
        }
    }
    Ok(())
}
