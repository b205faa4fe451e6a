//! PDF: the text layer, page by page, through `pdf-extract` (pure Rust, over `lopdf`).
//!
//! The text of each page comes in reading order as `pdf-extract` lays it out; then:
//! - **running heads and feet** are dropped: a line among the first or last two of a page
//!   that recurs (digits aside) at the top or bottom of at least half of the pages (and of
//!   two pages at least), and a line that is only a page number (`7`, `- 7 -`, `Page 7`,
//!   `7 of 12`) at the top or bottom of a page;
//! - **hyphenation at line ends is undone**: `spin-` at the end of a line followed by a line
//!   starting with a lower-case letter joins up as one word;
//! - **lines wrapped in a paragraph are joined** with a space (a phrase broken over two
//!   lines is still one phrase): a line break is kept only after a line shorter than 80 % of
//!   the page's longest (the last line of a paragraph, a heading); pages follow each other
//!   after a line break; [`PdfText::pages`] says where each page starts in the text.
//!
//! A PDF whose pages hold no text at all (a scan without OCR) is an error
//! ([`InputError::NoTextLayer`]), never an empty document. `pdf-extract` panics on some
//! malformed files: the panic is caught (and its message kept off standard error) and
//! becomes [`InputError::Pdf`].

use crate::InputError;
use std::cell::Cell;
use std::sync::Once;

/// The text layer of a PDF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfText {
    /// The text of all pages.
    pub text: String,
    /// Byte offset in `text` where each page starts (the first is 0), one per page.
    pub pages: Vec<usize>,
}

/// True when `start` (the beginning of a file) is a PDF: it starts with `%PDF-` (after white
/// space, if any). A file named `.pdf` is read as PDF whatever it starts with.
pub fn looks_like_pdf(start: &[u8]) -> bool {
    start.trim_ascii_start().starts_with(b"%PDF-")
}

thread_local! {
    /// Set while `pdf-extract` runs on this thread: its panics are not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that stays silent for panics inside `pdf-extract` and hands
/// every other panic to the hook that was there before.
fn quiet_panics_in_extract() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                prev(info);
            }
        }));
    });
}

/// The text of each page, as `pdf-extract` gives it.
fn pages_of(path: &str, bytes: &[u8]) -> Result<Vec<String>, InputError> {
    quiet_panics_in_extract();
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    QUIET.with(|q| q.set(false));
    let bad = |reason: String| InputError::Pdf {
        path: path.into(),
        reason,
    };
    match r {
        Ok(Ok(pages)) => Ok(pages),
        Ok(Err(e)) => Err(bad(e.to_string())),
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(bad(if why.is_empty() {
                "the PDF reader could not make sense of this file".into()
            } else {
                format!("the PDF reader could not make sense of this file ({why})")
            }))
        }
    }
}

/// Extracts the text layer of the PDF `bytes` of the file `path` (see the module docs).
pub fn extract(path: &str, bytes: &[u8]) -> Result<PdfText, InputError> {
    let raw = pages_of(path, bytes)?;
    if raw.is_empty() {
        return Err(InputError::Pdf {
            path: path.into(),
            reason: "no pages".into(),
        });
    }
    let text = text_of_pages(&raw);
    if text.text.trim().is_empty() {
        return Err(InputError::NoTextLayer {
            path: path.into(),
            pages: raw.len(),
        });
    }
    Ok(text)
}

/// The lines of a page: trimmed at the end, control characters made spaces, blank lines at
/// the top and bottom dropped.
fn lines_of(page: &str) -> Vec<String> {
    let mut lines: Vec<String> = page
        .lines()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    lines.drain(..first);
    lines
}

/// A line with its digits and spacing made alike, to recognise running heads and feet.
fn shape(line: &str) -> String {
    let mut s = String::new();
    for w in line.split_whitespace() {
        if !s.is_empty() {
            s.push(' ');
        }
        s.extend(w.chars().map(|c| {
            if c.is_ascii_digit() {
                '#'
            } else {
                c.to_ascii_lowercase()
            }
        }));
    }
    s
}

/// True for a line that is only a page number: `7`, `- 7 -`, `Page 7`, `7 of 12`, `vii`.
fn is_page_number(line: &str) -> bool {
    let t = line
        .trim()
        .trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    let t = t
        .strip_prefix("Page ")
        .or_else(|| t.strip_prefix("page "))
        .unwrap_or(t);
    let mut parts = t.split(" of ");
    let num = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && s.len() <= 6
            && (s.chars().all(|c| c.is_ascii_digit())
                || s.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l')))
    };
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, _) => num(a),
        (Some(a), Some(b), None) => num(a) && num(b),
        _ => false,
    }
}

/// How many lines at the top and bottom of a page can be running heads or feet.
const EDGE: usize = 2;

/// Indexes of the lines of `lines` at its top or bottom edge.
fn edges(n: usize) -> impl Iterator<Item = usize> {
    (0..n.min(EDGE)).chain(n.saturating_sub(EDGE).max(EDGE.min(n))..n)
}

/// Drops running heads, feet and page numbers from the pages' lines.
fn drop_running(pages: &mut [Vec<String>]) {
    let mut count: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for lines in pages.iter() {
        let mut seen: Vec<String> = edges(lines.len()).map(|i| shape(&lines[i])).collect();
        seen.sort();
        seen.dedup();
        for s in seen {
            *count.entry(s).or_default() += 1;
        }
    }
    let need = (pages.len() / 2).max(2);
    for lines in pages.iter_mut() {
        let drop: Vec<usize> = edges(lines.len())
            .filter(|&i| {
                let l = &lines[i];
                !l.trim().is_empty()
                    && (is_page_number(l) || count.get(&shape(l)).is_some_and(|&c| c >= need))
            })
            .collect();
        for i in drop.into_iter().rev() {
            lines.remove(i);
        }
        // blank lines left at the edges
        let kept = lines_of(&lines.join("\n"));
        *lines = kept;
    }
}

/// True when a line ending in `prev` and the next starting with `next` split a word with a
/// hyphen: a letter before the hyphen, a lower-case letter after it.
fn hyphen_split(prev: &str, next: &str) -> bool {
    let Some(stem) = prev.strip_suffix('-') else {
        return false;
    };
    stem.chars().last().is_some_and(char::is_alphabetic)
        && next
            .trim_start()
            .chars()
            .next()
            .is_some_and(char::is_lowercase)
}

/// The pages' text: running heads and feet dropped, hyphenation undone, a line break
/// between pages.
pub fn text_of_pages(raw: &[String]) -> PdfText {
    let mut pages: Vec<Vec<String>> = raw.iter().map(|p| lines_of(p)).collect();
    drop_running(&mut pages);
    let mut out = PdfText::default();
    // whether the last line written runs on (into the next page)
    let mut soft_break = false;
    for (n, lines) in pages.iter().enumerate() {
        // a word split by a hyphen across the page break: its end stays on the page before
        let mut skip_first = false;
        let prev_last = n.checked_sub(1).and_then(|p| pages[p].last());
        if let (Some(prev), Some(first)) = (prev_last, lines.first())
            && hyphen_split(prev, first)
            && out.text.ends_with('-')
        {
            out.text.pop();
            let first = first.trim_start();
            let (tail, rest) =
                first.split_at(first.find(char::is_whitespace).unwrap_or(first.len()));
            out.text.push_str(tail);
            out.text.push(' ');
            out.pages.push(out.text.len());
            out.text.push_str(rest.trim_start());
            skip_first = true;
        } else {
            if !out.text.is_empty() {
                out.text.push(if soft_break { ' ' } else { '\n' });
            }
            out.pages.push(out.text.len());
        }
        let mut join = false;
        let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for (i, line) in lines.iter().enumerate() {
            if i == 0 && skip_first {
                // written above
            } else if join {
                out.text.push_str(line.trim_start());
            } else {
                if i > 0 {
                    let ends = lines[i - 1].chars().count() * 5 < longest * 4;
                    out.text.push(if ends { '\n' } else { ' ' });
                }
                out.text
                    .push_str(if i > 0 { line.trim_start() } else { line });
            }
            soft_break = line.chars().count() * 5 >= longest * 4;
            join = lines.get(i + 1).is_some_and(|n| hyphen_split(line, n));
            if join {
                out.text.pop(); // the hyphen
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lines: &[&str]) -> String {
        lines.join("\n")
    }

    #[test]
    fn running_heads_feet_and_page_numbers_go() {
        let raw: Vec<String> = (1..=4)
            .map(|n| {
                page(&[
                    "Journal of Things, Vol. 12",
                    "",
                    &format!("Body text of page {n} goes on."),
                    ["Alpha.", "Beta.", "Gamma.", "Delta."][n - 1],
                    &format!("{n}"),
                ])
            })
            .collect();
        let t = text_of_pages(&raw);
        assert!(!t.text.contains("Journal"), "{}", t.text);
        assert_eq!(t.pages.len(), 4);
        for (n, &s) in t.pages.iter().enumerate() {
            let want = format!("Body text of page {} goes on. ", n + 1);
            assert!(t.text[s..].starts_with(&want), "{:?}", &t.text[s..]);
        }
        assert!(!t.text.trim_end().ends_with('4'));
    }

    #[test]
    fn a_line_seen_on_one_page_only_stays() {
        let raw = vec![
            page(&["Introduction", "text one"]),
            page(&["Methods", "text two"]),
        ];
        let t = text_of_pages(&raw);
        assert_eq!(t.text, "Introduction text one\nMethods text two");
        assert_eq!(t.pages, [0, 22]);
    }

    #[test]
    fn hyphenation_is_undone_only_inside_words() {
        let raw = vec![page(&[
            "a well-known spin-",
            "ning tool and the state-",
            "Of-the-art, 1990-",
            "2000 ends",
        ])];
        let t = text_of_pages(&raw);
        assert_eq!(
            t.text,
            "a well-known spinning tool and the state- Of-the-art, 1990-\n2000 ends"
        );
    }

    #[test]
    fn hyphenation_across_a_page_break() {
        let raw = vec![
            page(&["the study fol-"]),
            page(&["lowed two hundred women"]),
        ];
        let t = text_of_pages(&raw);
        assert_eq!(t.text, "the study followed two hundred women");
        assert_eq!(&t.text[t.pages[1]..], "two hundred women");
    }

    #[test]
    fn page_numbers() {
        for s in ["7", " - 7 - ", "Page 7", "7 of 12", "xii"] {
            assert!(is_page_number(s), "{s}");
        }
        for s in ["7 cats", "Page seven", "Results", "", "2021 of the"] {
            assert!(!is_page_number(s), "{s}");
        }
    }

    #[test]
    fn not_a_pdf_is_an_error_naming_the_file() {
        let e = extract("x.pdf", b"%PDF-1.4 nonsense").unwrap_err();
        assert!(e.to_string().starts_with("x.pdf: "), "{e}");
        assert!(looks_like_pdf(b"%PDF-1.7\n"));
        assert!(!looks_like_pdf(b"plain text"));
    }
}
