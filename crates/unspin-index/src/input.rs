//! Documents from `unspin-input`, the one reader of unspin: the index takes documents, not
//! paths (files, directories, formats, limits and their errors are `unspin-input`'s).

use crate::error::IndexError;
use crate::index::NewDoc;
use std::path::Path;

/// The document to index for a document read by `unspin-input`: HTML becomes its visible
/// text; a JSONL record keeps its id, title and URL, and a whole file is known by its path.
/// A JSONL record without an `id` cannot be indexed (its reason is returned).
pub fn new_doc(d: unspin_input::Doc) -> Result<NewDoc, String> {
    let id = match (&d.id, d.line) {
        (Some(id), _) => id.clone(),
        (None, Some(_)) => return Err("missing \"id\" (string or number)".into()),
        (None, None) => d.path.clone(),
    };
    let (title, url) = (d.title.clone(), d.url.clone());
    Ok(NewDoc {
        id,
        title,
        url,
        text: d.into_visible_text(),
    })
}

/// Parses one JSONL line of `path` (`lineno` from 1) into a document to index (`None` for a
/// blank line), by `unspin-input`'s rules.
pub fn parse_jsonl_line(
    line: &str,
    path: &Path,
    lineno: usize,
) -> Result<Option<NewDoc>, IndexError> {
    let name = path.to_string_lossy();
    let bad = |problem: String| IndexError::BadInput {
        path: path.to_path_buf(),
        problem: format!("line {lineno}: {problem}"),
    };
    match unspin_input::parse_line(&name, lineno, line, true) {
        Ok(None) => Ok(None),
        Ok(Some(d)) => new_doc(d).map(Some).map_err(bad),
        Err(b) => Err(bad(b.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_files_become_documents() {
        let p = Path::new("d.jsonl");
        let d = parse_jsonl_line(
            r#"{"id":7,"text":"<html><p>Fish &amp; chips</p>","title":"T","url":"u"}"#,
            p,
            3,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (d.id.as_str(), d.title.as_str(), d.url.as_str()),
            ("7", "T", "u")
        );
        assert_eq!(d.text, "Fish & chips");
        let e = parse_jsonl_line(r#"{"text":"x"}"#, p, 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.jsonl: line 4: missing \"id\" (string or number)"
        );
        assert!(parse_jsonl_line("  ", p, 5).unwrap().is_none());
        let file = unspin_input::Doc {
            path: "a/b.txt".into(),
            text: "hello".into(),
            ..Default::default()
        };
        assert_eq!(new_doc(file).unwrap().id, "a/b.txt");
    }
}
