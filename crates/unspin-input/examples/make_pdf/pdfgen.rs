//! Writes simple PDFs with a text layer (Helvetica, WinAnsi), for tests and benchmarks:
//! text wrapped into lines, long words hyphenated at line ends, a running head and a page
//! number on every page. Shared by `examples/make_pdf` and the tests (`#[path]`).
#![allow(dead_code)]

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

/// How to lay a text out.
pub struct Layout {
    /// Most characters on a line.
    pub width: usize,
    /// Lines of body text on a page.
    pub lines: usize,
    /// The running head on every page (none when empty).
    pub head: String,
    /// Page numbers at the foot of every page.
    pub numbers: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            width: 80,
            lines: 40,
            head: "Journal of Generated Papers, Vol. 3".into(),
            numbers: true,
        }
    }
}

/// Wraps `text` (paragraphs apart by blank lines) into lines of at most `width` characters;
/// a word that does not fit and is 8 letters or longer is split with a hyphen.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let room = width.saturating_sub(line.chars().count() + usize::from(!line.is_empty()));
            if word.chars().count() <= room {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                continue;
            }
            let mut rest = word.to_string();
            if rest.chars().count() >= 8 && rest.chars().all(char::is_alphabetic) && room >= 4 {
                let head: String = rest.chars().take(room - 1).collect();
                let tail: String = rest.chars().skip(room - 1).collect();
                if tail.chars().count() >= 2 {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(&head);
                    line.push('-');
                    rest = tail;
                }
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            line = rest;
        }
        if !line.is_empty() {
            out.push(line);
        }
        out.push(String::new());
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// WinAnsi (Latin-1 for the most part) bytes of `s`; other characters become `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '\u{2019}' => 0x92,
            '\u{2018}' => 0x91,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            c if (c as u32) < 256 => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

fn show(ops: &mut Vec<Operation>, x: i64, y: i64, size: i64, s: &str) {
    ops.push(Operation::new("BT", vec![]));
    ops.push(Operation::new("Tf", vec!["F1".into(), size.into()]));
    ops.push(Operation::new("Td", vec![x.into(), y.into()]));
    ops.push(Operation::new(
        "Tj",
        vec![Object::String(win_ansi(s), lopdf::StringFormat::Literal)],
    ));
    ops.push(Operation::new("ET", vec![]));
}

/// A PDF of `text` laid out by `layout`; with `text_layer` false, the pages hold only a
/// drawn rectangle (like a scan without OCR).
pub fn pdf(text: &str, layout: &Layout, text_layer: bool) -> Vec<u8> {
    let lines = wrap(text, layout.width);
    let pages: Vec<&[String]> = if lines.is_empty() {
        vec![&[][..]]
    } else {
        lines.chunks(layout.lines.max(1)).collect()
    };
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for (n, body) in pages.iter().enumerate() {
        let mut ops = Vec::new();
        if text_layer {
            if !layout.head.is_empty() {
                show(&mut ops, 72, 800, 9, &layout.head);
            }
            for (i, l) in body.iter().enumerate() {
                show(&mut ops, 72, 770 - 16 * i as i64, 11, l);
            }
            if layout.numbers {
                show(&mut ops, 290, 40, 9, &(n + 1).to_string());
            }
        } else {
            ops.push(Operation::new(
                "re",
                vec![72.into(), 72.into(), 400.into(), 600.into()],
            ));
            ops.push(Operation::new("f", vec![]));
        }
        let content = Content { operations: ops };
        let bytes = content.encode().unwrap_or_default();
        let content_id = doc.add_object(Stream::new(dictionary! {}, bytes));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::from(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    // writing into a Vec does not fail
    let _ = doc.save_to(&mut out);
    out
}
