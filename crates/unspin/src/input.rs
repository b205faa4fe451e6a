//! The CLI's side of reading documents: the `--input` choice and adapters over
//! `unspin-input`, the one reader of every command (and of `index add`).

use anyhow::Result;
pub use unspin_input::{BadLine, DEFAULT_MAX_BYTES, Doc, Item, human_bytes};

/// How to read inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// By name, then content: .jsonl/.ndjson or a first line that is a JSON object as JSONL,
    /// .pdf or %PDF- as PDF, XML with a JATS <article> or a <TEI> root as JATS or TEI,
    /// .html/.htm/.xhtml or a text that starts like HTML as HTML, anything else as text.
    Auto,
    /// Plain UTF-8 text.
    Text,
    /// HTML: visible text is checked, offsets refer to the HTML.
    Html,
    /// One JSON object per line with "id" and "text".
    Jsonl,
    /// PDF (also by .pdf or a %PDF- start): the text layer, without running heads, feet and
    /// page numbers, hyphenation at line ends undone; offsets refer to that text, findings
    /// carry their page.
    Pdf,
    /// JATS XML (also by its root <article> naming JATS/NLM): title, abstract, body and
    /// figure captions are checked, offsets refer to the XML.
    Jats,
    /// TEI XML, as GROBID writes it (also by its root <TEI>): like JATS.
    Tei,
    /// A WARC crawl (also by .warc, .warc.gz or a WARC/1. start), read as a stream: every
    /// HTML or text response is a document with its url and record id.
    Warc,
}

impl From<InputFormat> for unspin_input::Format {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Auto => unspin_input::Format::Auto,
            InputFormat::Text => unspin_input::Format::Text,
            InputFormat::Html => unspin_input::Format::Html,
            InputFormat::Jsonl => unspin_input::Format::Jsonl,
            InputFormat::Pdf => unspin_input::Format::Pdf,
            InputFormat::Jats => unspin_input::Format::Jats,
            InputFormat::Tei => unspin_input::Format::Tei,
            InputFormat::Warc => unspin_input::Format::Warc,
        }
    }
}

/// Reads `path` as documents and bad JSONL lines, in order (`-` is standard input).
pub fn read_items(
    path: &str,
    format: InputFormat,
    max_bytes: u64,
) -> Result<Vec<Item>, unspin_input::InputError> {
    let opts = unspin_input::Options {
        format: format.into(),
        max_bytes,
        allow_empty: true,
    };
    unspin_input::read_items(path, &opts)
}

/// Reads `path` as documents; the first bad JSONL line is an error (for `eval` and `spin`,
/// whose labelled sets must be whole).
pub fn read_docs(path: &str, format: InputFormat, max_bytes: u64) -> Result<Vec<Doc>> {
    read_items(path, format, max_bytes)?
        .into_iter()
        .map(|i| match i {
            Item::Doc(mut d) => {
                // a record without an id is known by its line number
                if d.id.is_none() {
                    d.id = d.line.map(|l| l.to_string());
                }
                Ok(d)
            }
            Item::Bad(b) => Err(anyhow::anyhow!("{b}")),
        })
        .collect()
}

/// When one of `paths` is `-` (standard input) and standard input is a terminal, says so on
/// standard error: otherwise the command seems to hang, waiting for text.
pub fn hint_if_terminal<'a>(paths: impl IntoIterator<Item = &'a str>) {
    use std::io::IsTerminal;
    if paths.into_iter().any(|p| p == "-") && std::io::stdin().is_terminal() {
        eprintln!(
            "unspin: reading from stdin; paste text and press Ctrl-D, or pass a file; see --help"
        );
    }
}

/// Reports a bad JSONL line on standard error.
pub fn report_bad_line(b: &BadLine) {
    eprintln!("unspin: error: {b}");
}
