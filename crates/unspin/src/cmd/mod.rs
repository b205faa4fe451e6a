//! The commands of `unspin`, one file each; helpers the source-finding commands share.
//!
//! The index lives in `--index DIR`, else `$UNSPIN_INDEX`, else `$XDG_DATA_HOME/unspin/index`,
//! else `~/.local/share/unspin/index`.

pub mod check;
pub mod compare;
pub mod eval;
pub mod find;
pub mod index;
pub mod learn;
pub mod model;
pub mod restore;
pub mod serve;
pub mod spin;

use anyhow::Result;
use clap::ValueEnum;
use std::path::PathBuf;
use unspin_index::{Location, default_index_dir};

/// Reads a suspect or source text (`-` is standard input) with the same checks as `check`
/// (size limit, directories, binary data, invalid UTF-8); HTML (by name or content) becomes
/// its visible text.
fn read_text(path: &std::path::Path) -> Result<String> {
    let name = path.to_string_lossy();
    if name != "-" && (unspin_input::is_pdf_name(&name) || starts_like_pdf(path)) {
        // one document: the text layer
        let items = unspin_input::read_items(&name, &unspin_input::Options::default())?;
        return Ok(items
            .into_iter()
            .filter_map(|i| match i {
                unspin_input::Item::Doc(d) => Some(d.into_visible_text()),
                unspin_input::Item::Bad(_) => None,
            })
            .collect());
    }
    let text = unspin_input::read_text(&name, unspin_input::DEFAULT_MAX_BYTES)?;
    let format = unspin_input::sniff(unspin_input::Format::Auto, &name, text.as_bytes(), true);
    Ok(if format == unspin_input::Format::Html {
        unspin_text::html::visible_text(&text).text
    } else {
        text
    })
}

/// True when the file at `path` starts with `%PDF-`.
fn starts_like_pdf(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| unspin_input::pdf::looks_like_pdf(&head[..n]))
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON.
    Json,
}

fn index_dir(flag: &Option<PathBuf>) -> PathBuf {
    flag.clone().unwrap_or_else(default_index_dir)
}

const INDEX_HELP: &str = "Index location: --index DIR, else $UNSPIN_INDEX, else \
$XDG_DATA_HOME/unspin/index, else ~/.local/share/unspin/index. A redis:// URL \
(redis://HOST:PORT[,HOST:PORT...][/NAME]) is a shared index on Redis Cluster: every add is \
seen at once by every find and serve using the URL (verify and optimize are for directories).";

/// True when `dir` is a directory without an index (a Redis URL is checked on open).
fn no_index_here(dir: &std::path::Path) -> bool {
    matches!(Location::parse(dir), Location::Dir(_)) && !dir.join("MANIFEST.json").exists()
}

/// `1 document`, `2 documents`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
