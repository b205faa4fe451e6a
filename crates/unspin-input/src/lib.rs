//! Reading documents for unspin: the one reader behind `check`, `restore`, `find`, `compare`,
//! `learn` and `index add`.
//!
//! - **Sources**: files, standard input (`-`), directories (recursively, hidden entries
//!   skipped, sorted: [`expand`]).
//! - **Formats**, told by content ([`sniff`]) unless the caller fixes one: JSONL when the name
//!   ends in `.jsonl`/`.ndjson` or the first non-blank line is a JSON object; HTML when the name
//!   ends in `.html`/`.htm`/`.xhtml` or the text starts with a doctype, `<html`, `<head`,
//!   `<body` or `<?xml`; plain text otherwise. Before those: WARC (`.warc`, `.warc.gz` or a
//!   `WARC/1.` start; [`warc`], streamed), PDF (`.pdf` or a `%PDF-` start, before the NUL
//!   byte check; [`pdf`]) and JATS or TEI XML (by the root element; [`xml`]).
//! - **Refused**, with an [`InputError`] that names the source: directories where a file is
//!   wanted, binary data (a NUL byte), invalid UTF-8, anything over the size limit, and (when
//!   asked: [`Options::allow_empty`]) empty or blank input.
//! - **JSONL**: one object per line, `{"id", "text"}` plus optional `"title"`, `"url"` and
//!   `"html"` (a boolean; when absent, the text is HTML if it looks like HTML). A UTF-8 byte
//!   order mark before the first line is skipped, blank lines are skipped, and a line that is
//!   not such an object becomes a [`BadLine`] (file, line number, id when readable, reason)
//!   while the other lines are read: one bad line never loses the file.
//!
//! Two ways to read: [`read_items`] reads a whole source (parsing JSONL on all cores), for
//! commands that need every document at once; [`read_each`] streams, with the size limit
//! applied to each document (a JSONL line) rather than to the file, for `index add`.

#![warn(missing_docs)]

pub mod pdf;
pub mod warc;
pub mod xml;

use serde::Serialize;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The default size limit (`--max-bytes`): 64 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// How to read a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Told by name and content (see [`sniff`]).
    #[default]
    Auto,
    /// Plain UTF-8 text.
    Text,
    /// HTML.
    Html,
    /// One JSON object per line.
    Jsonl,
    /// PDF: the text layer ([`pdf`]).
    Pdf,
    /// JATS XML ([`xml`]).
    Jats,
    /// TEI XML ([`xml`]).
    Tei,
    /// A WARC crawl, plain or gzipped ([`warc`]): one document per HTML or text response.
    Warc,
}

/// Limits and rules of one reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Format, or [`Format::Auto`].
    pub format: Format,
    /// Largest input accepted, in bytes: a whole source for [`read_items`], one document (a
    /// file, or a JSONL line) for [`read_each`].
    pub max_bytes: u64,
    /// Accept empty or blank documents (a file, or a JSONL record's text).
    pub allow_empty: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Auto,
            max_bytes: DEFAULT_MAX_BYTES,
            allow_empty: true,
        }
    }
}

/// One document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    /// The source's name (a file name, or `-`).
    pub path: String,
    /// Line number (from 1) of a JSONL record.
    pub line: Option<usize>,
    /// The record's `id` (JSONL only; a number is given as written).
    pub id: Option<String>,
    /// The record's `title` (may be empty).
    pub title: String,
    /// The record's `url` (may be empty).
    pub url: String,
    /// The text as given (for HTML, the HTML).
    pub text: String,
    /// True when `text` is markup: HTML, or XML (then with its [`Doc::view`]).
    pub html: bool,
    /// JATS or TEI XML only: `text` as HTML of the same length, everything not to check
    /// blanked ([`xml::view`]); the visible text of the view is checked, and offsets into it
    /// are offsets into the XML.
    pub view: Option<String>,
    /// PDF only: byte offset in `text` (the extracted text) where each page starts, one per
    /// page (see [`Doc::page_at`]); empty for other formats.
    pub pages: Vec<usize>,
}

impl Doc {
    /// The page (from 1) holding byte `offset` of `text`, for a PDF.
    pub fn page_at(&self, offset: usize) -> Option<usize> {
        if self.pages.is_empty() {
            return None;
        }
        Some(self.pages.partition_point(|&s| s <= offset).max(1))
    }

    /// The markup whose visible text is checked: the view of XML, else the HTML itself.
    pub fn markup(&self) -> &str {
        self.view.as_deref().unwrap_or(&self.text)
    }

    /// The text to read: HTML (or XML) reduced to its visible text, plain text as it is.
    pub fn visible_text(&self) -> String {
        if self.html {
            unspin_text::html::visible_text(self.markup()).text
        } else {
            self.text.clone()
        }
    }

    /// Like [`Doc::visible_text`], consuming the document.
    pub fn into_visible_text(self) -> String {
        if self.html {
            unspin_text::html::visible_text(self.markup()).text
        } else {
            self.text
        }
    }
}

/// A JSONL line that could not be read. Serialises as the error record that every command
/// writes into its output stream in place of the line's result:
/// `{"path": "crawl.jsonl", "line": 7, "id": "p7" (or null), "error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// The source's name.
    pub path: String,
    /// Line number, from 1.
    pub line: usize,
    /// The record's id, when it could be read.
    pub id: Option<String>,
    /// What is wrong.
    pub error: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: line {}: {}", self.path, self.line, self.error)
    }
}

/// What reading yields: a document, or a line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A document.
    Doc(Doc),
    /// A JSONL line that is not a document (the others are still read).
    Bad(BadLine),
}

/// A source that cannot be read at all. Every message starts with the source's name.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file does not exist.
    #[error("{path}: no such file")]
    NotFound {
        /// Source.
        path: String,
    },
    /// A directory where a file was expected.
    #[error("{path}: is a directory (give files, or use `unspin index add` for folders)")]
    Directory {
        /// Source.
        path: String,
    },
    /// Larger than the limit.
    #[error("{path}: {} is larger than the limit of {} (raise it with --max-bytes)",
        .size.map_or_else(|| "input".to_string(), human_bytes), human_bytes(*.limit))]
    TooLarge {
        /// Source.
        path: String,
        /// Its size, when known before reading.
        size: Option<u64>,
        /// The limit.
        limit: u64,
    },
    /// Binary data.
    #[error("{path}: looks like a binary file (it contains NUL bytes); unspin reads UTF-8 text")]
    Binary {
        /// Source.
        path: String,
    },
    /// Not UTF-8.
    #[error("{path}: not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Source.
        path: String,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Empty or blank (refused where [`Options::allow_empty`] is false).
    #[error("{path}: empty input, nothing to read")]
    Empty {
        /// Source.
        path: String,
    },
    /// A PDF that cannot be read.
    #[error("{path}: not a readable PDF: {reason}")]
    Pdf {
        /// Source.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// JATS or TEI XML that is not well-formed.
    #[error("{path}: not well-formed XML: {reason}")]
    Xml {
        /// Source.
        path: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// A PDF without a text layer.
    #[error("{path}: the PDF has no text layer ({pages} page{}, no text: a scan? run OCR on it first)",
        if *.pages == 1 { "" } else { "s" })]
    NoTextLayer {
        /// Source.
        path: String,
        /// Its number of pages.
        pages: usize,
    },
    /// Any other I/O failure.
    #[error("{path}: {reason}")]
    Io {
        /// Source.
        path: String,
        /// What the system said.
        reason: String,
    },
}

impl InputError {
    /// The source's name.
    pub fn path(&self) -> &str {
        match self {
            InputError::NotFound { path }
            | InputError::Directory { path }
            | InputError::TooLarge { path, .. }
            | InputError::Binary { path }
            | InputError::NotUtf8 { path, .. }
            | InputError::Empty { path }
            | InputError::Pdf { path, .. }
            | InputError::Xml { path, .. }
            | InputError::NoTextLayer { path, .. }
            | InputError::Io { path, .. } => path,
        }
    }

    /// The reason without the source's name (for "skipped: ..." lines).
    pub fn reason(&self) -> String {
        let full = self.to_string();
        let p = self.path();
        full.strip_prefix(p)
            .and_then(|s| s.strip_prefix(": "))
            .map_or(full.clone(), str::to_string)
    }

    fn io(path: &str, e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => InputError::NotFound { path: path.into() },
            std::io::ErrorKind::PermissionDenied => InputError::Io {
                path: path.into(),
                reason: "permission denied".into(),
            },
            std::io::ErrorKind::IsADirectory => InputError::Directory { path: path.into() },
            _ => InputError::Io {
                path: path.into(),
                reason: e.to_string(),
            },
        }
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

fn lower_ext(path: &str) -> String {
    Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// True for `.html`, `.htm` and `.xhtml` file names.
pub fn is_html_name(path: &str) -> bool {
    matches!(lower_ext(path).as_str(), "html" | "htm" | "xhtml")
}

/// True for `.pdf` file names.
pub fn is_pdf_name(path: &str) -> bool {
    lower_ext(path) == "pdf"
}

/// True for `.jsonl` and `.ndjson` file names.
pub fn is_jsonl_name(path: &str) -> bool {
    matches!(lower_ext(path).as_str(), "jsonl" | "ndjson")
}

/// True when `text` looks like HTML: after a byte order mark and white space it starts with
/// `<!` (a doctype or comment), `<html`, `<head`, `<body` or `<?xml` (in any case).
pub fn looks_like_html(text: &str) -> bool {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let head: String = t.chars().take(6).collect::<String>().to_ascii_lowercase();
    head.starts_with("<!")
        || head.starts_with("<html")
        || head.starts_with("<head")
        || head.starts_with("<body")
        || head.starts_with("<?xml")
}

/// True when the first non-blank line of `start` (the beginning of a source, a BOM
/// allowed) is a JSON object: a JSONL file, whatever its name. When that line is cut off by
/// the end of `start` and `complete` is false (more input follows), its opening brace is
/// taken as the answer.
fn looks_like_jsonl(start: &[u8], complete: bool) -> bool {
    let s = start.strip_prefix(BOM).unwrap_or(start);
    let s = &s[s.len() - s.trim_ascii_start().len()..];
    if s.first() != Some(&b'{') {
        return false;
    }
    match s.iter().position(|&b| b == b'\n') {
        Some(end) => serde_json::from_slice::<serde::de::IgnoredAny>(&s[..end]).is_ok(),
        None if complete => serde_json::from_slice::<serde::de::IgnoredAny>(s).is_ok(),
        None => true,
    }
}

/// The format of a source named `path` whose content starts with `start` (all of it when
/// `complete`), for [`Format::Auto`] (a fixed format is returned as it is).
pub fn sniff(format: Format, path: &str, start: &[u8], complete: bool) -> Format {
    if format != Format::Auto {
        return format;
    }
    if is_jsonl_name(path) {
        return Format::Jsonl;
    }
    if is_html_name(path) {
        return Format::Html;
    }
    if warc::is_warc_name(path) || warc::looks_like_warc(start) {
        return Format::Warc;
    }
    if is_pdf_name(path) || pdf::looks_like_pdf(start) {
        return Format::Pdf;
    }
    if looks_like_jsonl(start, complete) {
        return Format::Jsonl;
    }
    match xml::dialect_of(start) {
        Some(xml::Dialect::Jats) => return Format::Jats,
        Some(xml::Dialect::Tei) => return Format::Tei,
        None => {}
    }
    let head = &start[..start.len().min(1024)];
    // a cut UTF-8 sequence at the end of `head` does not matter here
    let text = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
    };
    if looks_like_html(text) {
        Format::Html
    } else {
        Format::Text
    }
}

/// Checks that `bytes` are text and makes them a string: NUL bytes are binary data, and
/// invalid UTF-8 is refused with the offset of its first bad byte.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    if bytes.contains(&0) {
        return Err(InputError::Binary { path: path.into() });
    }
    String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        path: path.into(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Reads all of `path` (`-` is standard input), refusing directories, binary data, invalid
/// UTF-8 and anything larger than `max_bytes` (a file larger than that is not read at all).
pub fn read_text(path: &str, max_bytes: u64) -> Result<String, InputError> {
    let bytes = read_bytes(path, max_bytes)?;
    decode(path, bytes)
}

fn read_bytes(path: &str, max_bytes: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .lock()
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::io("standard input", &e))?;
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| InputError::io(path, &e))?;
        if meta.is_dir() {
            return Err(InputError::Directory { path: path.into() });
        }
        if meta.len() > max_bytes {
            return Err(InputError::TooLarge {
                path: path.into(),
                size: Some(meta.len()),
                limit: max_bytes,
            });
        }
        let f = std::fs::File::open(p).map_err(|e| InputError::io(path, &e))?;
        // one allocation of the right size (no regrowth and copying of large inputs)
        bytes.reserve_exact(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
        f.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::io(path, &e))?;
    }
    if bytes.len() as u64 > max_bytes {
        return Err(InputError::TooLarge {
            path: path.into(),
            size: None,
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum JsonId {
    Str(String),
    Num(serde_json::Number),
}

impl JsonId {
    fn into_string(self) -> String {
        match self {
            JsonId::Str(s) => s,
            JsonId::Num(n) => n.to_string(),
        }
    }
}

#[derive(serde::Deserialize)]
struct Record {
    #[serde(default)]
    id: Option<JsonId>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    html: Option<bool>,
}

/// Parses one JSONL line (`line` counts from 1) of the source `path`: `Ok(None)` for a blank
/// line, the document, or the reason it is not one. The one JSONL rule of unspin.
pub fn parse_line(
    path: &str,
    line: usize,
    text: &str,
    allow_empty: bool,
) -> Result<Option<Doc>, BadLine> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = |id: Option<String>, error: String| BadLine {
        path: path.to_string(),
        line,
        id,
        error,
    };
    // the id of a bad line, when the line is JSON at all
    let id_of = || {
        serde_json::from_str::<serde_json::Value>(t)
            .ok()
            .and_then(|v| match v.get("id")? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    if !t.starts_with('{') {
        return Err(bad(None, "not a JSON object".into()));
    }
    let r: Record = serde_json::from_str(t).map_err(|e| {
        // serde_json counts lines within the record: only its column tells anything here
        let why = e.to_string();
        let why = match why.rsplit_once(" at line 1 column ") {
            Some((w, col)) => format!("{w} at column {col}"),
            None => why,
        };
        let msg = if e.is_syntax() || e.is_eof() {
            format!("not valid JSON: {why}")
        } else {
            format!("not a record of {{\"id\", \"text\"}}: {why}")
        };
        bad(id_of(), msg)
    })?;
    let id = r.id.map(JsonId::into_string);
    let Some(body) = r.text else {
        return Err(bad(id, "missing string \"text\"".into()));
    };
    if !allow_empty && body.trim().is_empty() {
        return Err(bad(id, "empty \"text\"".into()));
    }
    if body.contains('\0') {
        return Err(bad(
            id,
            "\"text\" contains NUL characters (binary data)".into(),
        ));
    }
    let html = r.html.unwrap_or_else(|| looks_like_html(&body));
    Ok(Some(Doc {
        path: path.to_string(),
        line: Some(line),
        id,
        title: r.title.unwrap_or_default(),
        url: r.url.unwrap_or_default(),
        text: body,
        html,
        ..Doc::default()
    }))
}

/// Parses a whole JSONL text (a leading byte order mark allowed), on all cores, keeping the
/// order of the lines.
pub fn parse_jsonl(path: &str, text: &str, allow_empty: bool) -> Vec<Item> {
    use rayon::prelude::*;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    lines
        .par_iter()
        .filter_map(
            |&(n, line)| match parse_line(path, n + 1, line, allow_empty) {
                Ok(Some(d)) => Some(Item::Doc(d)),
                Ok(None) => None,
                Err(b) => Some(Item::Bad(b)),
            },
        )
        .collect()
}

/// The document of a PDF file: its text layer, with where each page starts.
fn pdf_doc(path: &str, bytes: &[u8]) -> Result<Doc, InputError> {
    let t = pdf::extract(path, bytes)?;
    Ok(Doc {
        path: path.to_string(),
        text: t.text,
        pages: t.pages,
        ..Doc::default()
    })
}

fn one_doc(path: &str, text: String, format: Format, allow_empty: bool) -> Result<Doc, InputError> {
    if !allow_empty && text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(InputError::Empty { path: path.into() });
    }
    let dialect = match format {
        Format::Jats => Some(xml::Dialect::Jats),
        Format::Tei => Some(xml::Dialect::Tei),
        _ => None,
    };
    let view = match dialect {
        Some(d) => Some(xml::view(path, d, &text)?),
        None => None,
    };
    Ok(Doc {
        path: path.to_string(),
        html: format == Format::Html || view.is_some(),
        text,
        view,
        ..Doc::default()
    })
}

/// Reads all of the source `path` (`-` is standard input) as documents: one for a text or
/// HTML source, one item per non-blank line for JSONL. The size limit applies to the whole
/// source. A text document keeps its bytes exactly (a byte order mark included).
pub fn read_items(path: &str, opts: &Options) -> Result<Vec<Item>, InputError> {
    if path != "-" && sniff_file(opts.format, path) == Format::Warc {
        // one record at a time, the limit applying to each
        let mut items = Vec::new();
        read_each::<InputError>(path, opts, &mut |i, _| {
            items.push(i);
            Ok(())
        })?;
        return Ok(items);
    }
    let bytes = read_bytes(path, opts.max_bytes)?;
    let format = sniff(opts.format, path, &bytes, true);
    if format == Format::Pdf {
        return Ok(vec![Item::Doc(pdf_doc(path, &bytes)?)]);
    }
    let text = decode(path, bytes)?;
    Ok(match format {
        Format::Jsonl => parse_jsonl(path, &text, opts.allow_empty),
        f => vec![Item::Doc(one_doc(path, text, f, opts.allow_empty)?)],
    })
}

/// The format of the file `path` by its name and first bytes (for [`Format::Auto`]).
pub fn sniff_file(format: Format, path: &str) -> Format {
    if format != Format::Auto {
        return format;
    }
    let mut head = Vec::new();
    let _ = std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head));
    sniff(format, path, &head, (head.len() as u64) < 4096)
}

/// Expands paths into sources: `-` stays, a directory becomes the files under it
/// (recursively, sorted, hidden files and directories skipped), a file stays. A path that
/// does not exist, or a directory that cannot be listed, is returned as an error in its
/// place, and the others are still expanded.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<String, InputError>> {
    let mut out = Vec::new();
    for p in paths {
        let name = p.to_string_lossy().into_owned();
        if name == "-" {
            out.push(Ok(name));
        } else if p.is_dir() {
            walk(p, &mut out);
        } else if p.exists() {
            out.push(Ok(name));
        } else {
            out.push(Err(InputError::NotFound { path: name }));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Result<String, InputError>>) {
    let name = dir.to_string_lossy();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.push(Err(InputError::io(&name, &e)));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(Ok(p.to_string_lossy().into_owned()));
        }
    }
}

/// Size in bytes of a source (0 for standard input or when unknown), for progress.
pub fn size_of(path: &str) -> u64 {
    if path == "-" {
        return 0;
    }
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Streams the documents of the source `path` (`-` is standard input) to `f`, with the bytes
/// of the source consumed so far. A text or HTML source is one document, refused when over
/// `opts.max_bytes`; a JSONL source is read line by line and each line over `opts.max_bytes`
/// becomes a [`BadLine`] (its bytes are skipped, never held). `f`'s error stops the reading
/// and is returned; a source that cannot be read gives `Err(InputError)` through `E`.
pub fn read_each<E: From<InputError>>(
    path: &str,
    opts: &Options,
    f: &mut dyn FnMut(Item, u64) -> Result<(), E>,
) -> Result<(), E> {
    if path == "-" {
        let stdin = std::io::stdin();
        read_each_from(path, stdin.lock(), opts, f)
    } else {
        let meta = std::fs::metadata(path).map_err(|e| InputError::io(path, &e))?;
        if meta.is_dir() {
            return Err(InputError::Directory { path: path.into() }.into());
        }
        let file = std::fs::File::open(path).map_err(|e| InputError::io(path, &e))?;
        let r = std::io::BufReader::with_capacity(1 << 20, file);
        read_each_from(path, r, opts, f)
    }
}

/// [`read_each`] over any buffered reader; `path` names it in messages.
pub fn read_each_from<E: From<InputError>>(
    path: &str,
    mut r: impl BufRead,
    opts: &Options,
    f: &mut dyn FnMut(Item, u64) -> Result<(), E>,
) -> Result<(), E> {
    let start = r.fill_buf().map_err(|e| InputError::io(path, &e))?;
    let format = sniff(opts.format, path, start, start.is_empty());
    if format == Format::Warc {
        let gz = warc::is_gzip(start);
        let count = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let counted = warc::Counting {
            inner: r,
            count: count.clone(),
        };
        let consumed = || count.get();
        return if gz {
            let d = flate2::read::MultiGzDecoder::new(counted);
            let br = std::io::BufReader::with_capacity(1 << 20, d);
            warc::read(path, br, opts, &consumed, f)
        } else {
            let br = std::io::BufReader::with_capacity(1 << 20, counted);
            warc::read(path, br, opts, &consumed, f)
        };
    }
    if format != Format::Jsonl {
        let mut bytes = Vec::new();
        (&mut r)
            .take(opts.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| InputError::io(path, &e))?;
        if bytes.len() as u64 > opts.max_bytes {
            return Err(InputError::TooLarge {
                path: path.into(),
                size: None,
                limit: opts.max_bytes,
            }
            .into());
        }
        let n = bytes.len() as u64;
        if format == Format::Pdf {
            return f(Item::Doc(pdf_doc(path, &bytes)?), n);
        }
        let text = decode(path, bytes)?;
        return f(Item::Doc(one_doc(path, text, format, opts.allow_empty)?), n);
    }
    let mut consumed = 0u64;
    let mut line = Vec::new();
    let mut lineno = 0usize;
    loop {
        line.clear();
        lineno += 1;
        let n = (&mut r)
            .take(opts.max_bytes.saturating_add(1))
            .read_until(b'\n', &mut line)
            .map_err(|e| InputError::io(path, &e))?;
        if n == 0 {
            return Ok(());
        }
        consumed += n as u64;
        if lineno == 1 && line.starts_with(BOM) {
            line.drain(..3);
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        if body.len() as u64 > opts.max_bytes {
            // skip the rest of the line without holding it
            if line.last() != Some(&b'\n') {
                consumed += skip_line(&mut r).map_err(|e| InputError::io(path, &e))?;
            }
            let bad = BadLine {
                path: path.into(),
                line: lineno,
                id: None,
                error: format!(
                    "line is larger than the limit of {} (raise it with --max-bytes)",
                    human_bytes(opts.max_bytes)
                ),
            };
            f(Item::Bad(bad), consumed)?;
            continue;
        }
        let item = match std::str::from_utf8(body) {
            Err(e) => Some(Item::Bad(BadLine {
                path: path.into(),
                line: lineno,
                id: None,
                error: format!(
                    "not valid UTF-8 (first bad byte at offset {} of the line)",
                    e.valid_up_to()
                ),
            })),
            Ok(s) => match parse_line(path, lineno, s, opts.allow_empty) {
                Ok(Some(d)) => Some(Item::Doc(d)),
                Ok(None) => None,
                Err(b) => Some(Item::Bad(b)),
            },
        };
        if let Some(item) = item {
            f(item, consumed)?;
        }
    }
}

/// Reads up to and including the next newline, discarding it; returns the bytes read.
fn skip_line(r: &mut impl BufRead) -> std::io::Result<u64> {
    let mut n = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(n + i as u64 + 1);
            }
            None => {
                let l = buf.len();
                r.consume(l);
                n += l as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Item> {
        parse_jsonl("p.jsonl", text, true)
    }

    #[test]
    fn jsonl_bad_lines_are_items_and_the_others_are_read() {
        let v = items(
            "{\"id\":1,\"text\":\"a\"}\n{\"id\":2}\nnot json\n\n{\"id\":\"x\",\"text\":\"b\"}\n",
        );
        assert_eq!(v.len(), 4);
        let Item::Doc(d) = &v[0] else { panic!() };
        assert_eq!((d.id.as_deref(), d.line), (Some("1"), Some(1)));
        let Item::Bad(b) = &v[1] else { panic!() };
        assert_eq!((b.line, b.id.as_deref()), (2, Some("2")));
        assert!(b.error.contains("missing string \"text\""), "{b}");
        assert_eq!(b.to_string(), "p.jsonl: line 2: missing string \"text\"");
        let Item::Bad(b) = &v[2] else { panic!() };
        assert_eq!((b.line, b.id.as_deref()), (3, None));
        let Item::Doc(d) = &v[3] else { panic!() };
        assert_eq!((d.id.as_deref(), d.line), (Some("x"), Some(5)));
        // the error record's shape
        let j = serde_json::to_value(BadLine {
            path: "p".into(),
            line: 3,
            id: None,
            error: "e".into(),
        })
        .unwrap();
        assert_eq!(
            j,
            serde_json::json!({"path": "p", "line": 3, "id": null, "error": "e"})
        );
    }

    #[test]
    fn jsonl_bom_is_skipped_and_wrong_types_are_named() {
        let v = items(
            "\u{feff}{\"id\":1,\"text\":\"a\"}\n{\"id\":[1],\"text\":\"b\"}\n{\"id\":3,\"text\":5}\n",
        );
        assert!(matches!(&v[0], Item::Doc(d) if d.text == "a"));
        assert!(matches!(&v[1], Item::Bad(b) if b.error.contains("not a record")));
        assert!(matches!(&v[2], Item::Bad(b) if b.id.as_deref() == Some("3")));
        // streaming: the same
        let mut got = Vec::new();
        read_each_from::<InputError>(
            "s",
            "\u{feff}{\"id\":1,\"text\":\"a\"}\n".as_bytes(),
            &Options::default(),
            &mut |i, _| {
                got.push(i);
                Ok(())
            },
        )
        .unwrap();
        assert!(matches!(&got[..], [Item::Doc(d)] if d.id.as_deref() == Some("1")));
    }

    #[test]
    fn html_in_jsonl_by_flag_or_content() {
        let v = items(
            "{\"text\":\"<!DOCTYPE html><p>x</p>\"}\n{\"text\":\"<p>y</p>\"}\n{\"text\":\"<html>z\",\"html\":false}\n",
        );
        let html: Vec<bool> = v
            .iter()
            .map(|i| matches!(i, Item::Doc(d) if d.html))
            .collect();
        assert_eq!(html, [true, false, false]);
    }

    #[test]
    fn sniffing_by_name_then_content() {
        assert_eq!(
            sniff(Format::Auto, "a.txt", b"{\"id\":1,\"text\":\"x\"}\n", true),
            Format::Jsonl
        );
        assert_eq!(
            sniff(Format::Auto, "a.txt", b"{not json}\n", true),
            Format::Text
        );
        assert_eq!(
            sniff(Format::Auto, "a.jsonl", b"hello", true),
            Format::Jsonl
        );
        assert_eq!(
            sniff(Format::Auto, "a", b"\xef\xbb\xbf  <!doctype html>", true),
            Format::Html
        );
        assert_eq!(sniff(Format::Auto, "a", b"<HTML>", true), Format::Html);
        assert_eq!(sniff(Format::Auto, "a.htm", b"plain", true), Format::Html);
        assert_eq!(sniff(Format::Auto, "a", b"I <3 it", true), Format::Text);
        assert_eq!(sniff(Format::Text, "a.jsonl", b"{}", true), Format::Text);
    }

    #[test]
    fn streaming_limits_empty_and_binary() {
        let opts = Options {
            max_bytes: 30,
            allow_empty: false,
            ..Options::default()
        };
        let long = format!("{{\"id\":1,\"text\":\"{}\"}}\n", "x".repeat(100));
        let input = format!("{long}{{\"id\":2,\"text\":\" \"}}\n{{\"id\":3,\"text\":\"ok\"}}\n");
        let mut got = Vec::new();
        read_each_from::<InputError>("s.jsonl", input.as_bytes(), &opts, &mut |i, c| {
            got.push((i, c));
            Ok(())
        })
        .unwrap();
        assert_eq!(got.len(), 3);
        assert!(matches!(&got[0].0, Item::Bad(b) if b.line == 1 && b.error.contains("limit")));
        assert!(matches!(&got[1].0, Item::Bad(b) if b.line == 2 && b.error.contains("empty")));
        assert!(matches!(&got[2].0, Item::Doc(d) if d.line == Some(3)));
        assert_eq!(got[2].1, input.len() as u64);
        let one = |bytes: &[u8]| {
            read_each_from::<InputError>("f", bytes, &opts, &mut |_, _| Ok(()))
                .map_err(|e| e.reason())
        };
        assert!(one(b"  \n").unwrap_err().contains("empty"));
        assert!(one(b"a\0b").unwrap_err().contains("binary"));
        assert!(one(b"a\xffb").unwrap_err().contains("UTF-8"));
        assert!(one(&[b'a'; 31]).unwrap_err().contains("larger than"));
        assert!(one(b"fine").is_ok());
    }

    #[test]
    fn files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/b.txt"), "b").unwrap();
        std::fs::write(d.join("a"), "a").unwrap();
        std::fs::write(d.join(".hidden"), "h").unwrap();
        let got: Vec<String> = expand(&[d.to_path_buf(), d.join("missing")])
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| format!("ERR {}", e.reason())))
            .collect();
        let name = |s: &str| d.join(s).to_string_lossy().into_owned();
        assert_eq!(
            got,
            [name("a"), name("sub/b.txt"), "ERR no such file".into()]
        );
        let e = read_items(&d.to_string_lossy(), &Options::default()).unwrap_err();
        assert!(matches!(e, InputError::Directory { .. }));
        // a text file keeps its byte order mark (offsets are into the input as given)
        std::fs::write(d.join("bom.txt"), "\u{feff}Hello").unwrap();
        let v = read_items(&name("bom.txt"), &Options::default()).unwrap();
        assert!(matches!(&v[..], [Item::Doc(d)] if d.text == "\u{feff}Hello" && !d.html));
    }
}
