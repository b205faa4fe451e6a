//! HTML to visible text, with a map back to the HTML source.
//!
//! [`visible_text`] extracts the text a reader would see, keeping for every character of the
//! result the byte range of the HTML it came from, so that findings on the text can be
//! reported against the HTML and edits can be spliced back into it.
//!
//! The extractor is a small, forgiving scanner modelled on the HTML tokenizer: it never
//! panics, runs in linear time and uses memory linear in the input. It does not build a tree.
//!
//! Rules:
//! * the contents of `<script>`, `<style>`, `<noscript>`, `<template>`, `<head>` (and the other
//!   raw-text elements `xmp`, `iframe`, `noembed`, `noframes`) are dropped, as are comments,
//!   doctypes, processing instructions and CDATA sections;
//! * start and end tags of block elements (`p`, `div`, `br`, `li`, `h1`–`h6`, `tr`, `td`,
//!   `section`, `article`, `blockquote`, `pre`, `hr`, `title`, …) produce a line break;
//!   inline elements produce nothing;
//! * runs of whitespace (including whitespace produced by entities such as `&nbsp;`) collapse
//!   to one space, or to one `\n` when the run contains a block boundary; whitespace at the
//!   start and end of the text is dropped;
//! * named entities (the common ones) and numeric entities are decoded; invalid code points
//!   become U+FFFD, and `&#128;`–`&#159;` are read as Windows-1252 as browsers do;
//! * soft hyphens, zero-width spaces and byte-order marks are dropped.
//!
//! `<title>` outside `<head>` is visible (as a block); inside `<head>` it is not. A `<head>`
//! without `</head>` ends at `<body>`, at the first element that does not belong in a head,
//! or at the first visible character.

use std::ops::Range;

/// Visible text extracted from HTML by [`visible_text`], with a map back to the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlText {
    /// The visible text.
    pub text: String,
    /// Byte ranges of [`text`](Self::text) that are link anchor text (`<a …>…</a>`), in order
    /// and non-empty.
    pub links: Vec<Range<usize>>,
    /// Offset map: consecutive pieces of `text`, in text and source order.
    pieces: Vec<Piece>,
}

/// A stretch of `text` starting at `text_start` (and ending where the next piece starts).
///
/// A verbatim piece is a copy of `src[src_start..src_end]`, byte for byte. Any other piece is a
/// single character that stands for all of `src[src_start..src_end]`: a decoded entity or a
/// collapsed whitespace run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    text_start: usize,
    src_start: usize,
    src_end: usize,
    verbatim: bool,
}

impl HtmlText {
    /// Index of the piece containing text byte `k` (`k < text.len()`).
    fn piece_at(&self, k: usize) -> &Piece {
        let i = self.pieces.partition_point(|p| p.text_start <= k);
        &self.pieces[i.saturating_sub(1)]
    }

    /// Maps a byte offset in [`text`](Self::text) to the byte offset in the HTML where the
    /// character at that offset starts.
    ///
    /// Use it for the start of a range. An offset inside a character produced by an entity or
    /// by a collapsed whitespace run maps to the start of that entity or run. An offset at or
    /// past the end of the text maps to the end of the last visible character (0 when the text
    /// is empty). The map is monotone.
    pub fn to_source(&self, text_offset: usize) -> usize {
        let Some(last) = self.pieces.last() else {
            return 0;
        };
        if text_offset >= self.text.len() {
            return last.src_end;
        }
        let p = self.piece_at(text_offset);
        if p.verbatim {
            p.src_start + (text_offset - p.text_start)
        } else {
            p.src_start
        }
    }

    /// Maps a byte offset in [`text`](Self::text) to the byte offset in the HTML just after
    /// the character that ends there.
    ///
    /// Use it for the end of a range: an end offset just after (or inside) a character produced
    /// by an entity maps to the end of the entity, so `to_source(s)..to_source_end(e)` covers
    /// the whole source of `text[s..e]` (plus any markup inside). Offset 0 maps like
    /// [`to_source`](Self::to_source); offsets past the end are clamped. The map is monotone.
    pub fn to_source_end(&self, end_offset: usize) -> usize {
        let Some(first) = self.pieces.first() else {
            return 0;
        };
        if end_offset == 0 {
            return first.src_start;
        }
        let k = end_offset.min(self.text.len());
        let p = self.piece_at(k - 1);
        if p.verbatim {
            p.src_start + (k - p.text_start)
        } else {
            p.src_end
        }
    }

    /// The HTML byte range holding exactly the text range `r`, if there is one.
    ///
    /// Returns `Some` only when `text[r]` appears verbatim and contiguously in the HTML (no
    /// tags, entities or collapsed whitespace inside), so that `html[result] == text[r]` and
    /// replacing `html[result]` performs the same edit on the HTML. An empty range maps to the
    /// empty range at [`to_source`](Self::to_source)`(r.start)`. Returns `None` for ranges out
    /// of bounds, reversed or off character boundaries.
    pub fn source_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        if r.start > r.end
            || r.end > self.text.len()
            || !self.text.is_char_boundary(r.start)
            || !self.text.is_char_boundary(r.end)
        {
            return None;
        }
        if r.start == r.end {
            let s = self.to_source(r.start);
            return Some(s..s);
        }
        let i = self
            .pieces
            .partition_point(|p| p.text_start <= r.start)
            .saturating_sub(1);
        let p = self.pieces.get(i)?;
        let piece_end = self
            .pieces
            .get(i + 1)
            .map_or(self.text.len(), |n| n.text_start);
        if !p.verbatim || r.end > piece_end {
            return None;
        }
        let s = p.src_start + (r.start - p.text_start);
        Some(s..s + (r.end - r.start))
    }
}

/// Extracts the visible text of an HTML document or fragment.
///
/// See the [module documentation](self) for the rules. Never panics; unclosed tags, stray
/// `<`, broken entities and `>` inside quoted attribute values are all handled the way a
/// browser would (an unterminated tag or comment swallows the rest of the input).
///
/// ```
/// use unspin_text::html::visible_text;
///
/// let html = "<head><title>T</title></head><p>Fish &amp; chips</p><script>x()</script>\
///             <p>See <a href='/menu'>our menu</a>.</p>";
/// let v = visible_text(html);
/// assert_eq!(v.text, "Fish & chips\nSee our menu.");
///
/// // Anchor text of links, as byte ranges of the text.
/// assert_eq!(&v.text[v.links[0].clone()], "our menu");
///
/// // Map text positions back to the HTML: "&" came from "&amp;".
/// let amp = v.text.find('&').unwrap();
/// assert_eq!(&html[v.to_source(amp)..v.to_source_end(amp + 1)], "&amp;");
///
/// // Ranges without markup inside can be spliced into the HTML directly.
/// let chips = v.text.find("chips").unwrap();
/// let r = v.source_range(chips..chips + 5).unwrap();
/// assert_eq!(&html[r], "chips");
/// // Ranges that cross an entity or a tag cannot.
/// assert_eq!(v.source_range(0..8), None);
/// ```
pub fn visible_text(html: &str) -> HtmlText {
    let mut b = Builder {
        src: html,
        out: HtmlText::default(),
        ws: None,
        link: None,
        in_head: false,
        template_depth: 0,
    };
    b.run();
    b.out
}

/// A pending whitespace run (whitespace characters and block boundaries).
#[derive(Debug, Clone, Copy)]
struct Ws {
    start: usize,
    end: usize,
    /// Source offset of the run's first character if it is a literal `' '`.
    space_at: Option<usize>,
    block: bool,
}

struct Builder<'a> {
    src: &'a str,
    out: HtmlText,
    ws: Option<Ws>,
    /// `Some(start)` inside `<a>`; `start` is set at the first visible character.
    link: Option<Option<usize>>,
    in_head: bool,
    template_depth: usize,
}

/// What a `<` starts.
enum Markup<'a> {
    /// Comment, doctype, CDATA, processing instruction, `</>`: skip to this offset.
    Skip(usize),
    /// A start or end tag ending before `next`.
    Tag {
        name: &'a str,
        end_tag: bool,
        next: usize,
    },
}

const RAW_TEXT: &[&str] = &[
    "script", "style", "noscript", "xmp", "iframe", "noembed", "noframes",
];
const RCDATA: &[&str] = &["title", "textarea"];
const HEAD_CONTENT: &[&str] = &[
    "title", "meta", "link", "style", "script", "noscript", "base", "template", "basefont",
    "bgsound",
];
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "plaintext",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn is_html_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Characters that take no space and are dropped from the text.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}' | '\u{feff}')
}

impl Builder<'_> {
    fn visible(&self) -> bool {
        !self.in_head && self.template_depth == 0
    }

    fn run(&mut self) {
        let src = self.src;
        let bytes = src.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        // End of the current RCDATA content (`<title>`, `<textarea>`): no tags before it.
        let mut rcdata_end: Option<usize> = None;
        while i < n {
            if rcdata_end.is_some_and(|e| i >= e) {
                rcdata_end = None;
            }
            let in_rcdata = rcdata_end.is_some();
            if bytes[i] == b'<'
                && !in_rcdata
                && let Some(m) = parse_markup(src, i)
            {
                i = match m {
                    Markup::Skip(next) => next,
                    Markup::Tag {
                        name,
                        end_tag,
                        next,
                    } => {
                        let next = self.tag(name, end_tag, i, next);
                        if !end_tag && (is_one_of(name, RAW_TEXT) || is_one_of(name, RCDATA)) {
                            let close = find_end_tag(bytes, next, name);
                            if is_one_of(name, RCDATA) {
                                rcdata_end = Some(close);
                                next
                            } else {
                                close
                            }
                        } else {
                            next
                        }
                    }
                };
                continue;
            }
            // `verbatim`: the character is its own source (not an entity that happens to be as
            // long as its UTF-8 form, like `&#0` for U+FFFD).
            let (c, next, verbatim) = if bytes[i] == b'&' {
                match decode_entity(src, i) {
                    Some((c, next)) => (c, next, false),
                    None => ('&', i + 1, true),
                }
            } else {
                match src.get(i..).and_then(|s| s.chars().next()) {
                    Some(c) => (c, i + c.len_utf8(), true),
                    None => break, // not reachable: `i` is always a char boundary
                }
            };
            if c.is_whitespace() {
                self.space(i, next, verbatim && c == ' ');
            } else if !is_invisible(c) {
                if self.in_head && !in_rcdata {
                    // Text cannot live in <head>: the browser closes it.
                    self.in_head = false;
                }
                self.push_char(c, i, next, verbatim);
            }
            i = next;
        }
        self.close_link();
    }

    /// Handles a tag at `start..next`; returns where scanning continues.
    fn tag(&mut self, name: &str, end_tag: bool, start: usize, next: usize) -> usize {
        let lower = |n: &str| name.eq_ignore_ascii_case(n);
        if end_tag {
            if lower("head") {
                self.in_head = false;
            } else if lower("template") {
                self.template_depth = self.template_depth.saturating_sub(1);
            }
        } else if lower("head") {
            self.in_head = true;
        } else if lower("body") {
            self.in_head = false;
        } else if lower("template") {
            self.template_depth += 1;
        } else if self.in_head && !is_one_of(name, HEAD_CONTENT) && !lower("html") {
            self.in_head = false;
        }
        if !self.visible() {
            return next;
        }
        if lower("a") {
            self.close_link();
            if !end_tag {
                self.link = Some(None);
            }
        } else if is_one_of(name, BLOCK) {
            self.boundary(start, next);
        }
        next
    }

    fn space(&mut self, start: usize, end: usize, literal_space: bool) {
        if !self.visible() {
            return;
        }
        match &mut self.ws {
            Some(ws) => ws.end = end,
            None => {
                self.ws = Some(Ws {
                    start,
                    end,
                    space_at: literal_space.then_some(start),
                    block: false,
                })
            }
        }
    }

    fn boundary(&mut self, start: usize, end: usize) {
        match &mut self.ws {
            Some(ws) => {
                ws.end = end;
                ws.block = true;
            }
            None => {
                self.ws = Some(Ws {
                    start,
                    end,
                    space_at: None,
                    block: true,
                })
            }
        }
    }

    fn push_char(&mut self, c: char, start: usize, end: usize, verbatim: bool) {
        if !self.visible() {
            return;
        }
        if let Some(ws) = self.ws.take()
            && !self.out.text.is_empty()
        {
            if ws.block {
                self.push_piece('\n', ws.start, ws.end, false);
            } else if let Some(p) = ws.space_at {
                self.push_piece(' ', p, p + 1, true);
            } else {
                self.push_piece(' ', ws.start, ws.end, false);
            }
        }
        if let Some(None) = self.link {
            self.link = Some(Some(self.out.text.len()));
        }
        self.push_piece(c, start, end, verbatim);
    }

    fn push_piece(&mut self, c: char, src_start: usize, src_end: usize, verbatim: bool) {
        let text_start = self.out.text.len();
        self.out.text.push(c);
        if verbatim
            && let Some(last) = self.out.pieces.last_mut()
            && last.verbatim
            && last.src_end == src_start
        {
            last.src_end = src_end;
            return;
        }
        self.out.pieces.push(Piece {
            text_start,
            src_start,
            src_end,
            verbatim,
        });
    }

    fn close_link(&mut self) {
        if let Some(Some(start)) = self.link.take() {
            let end = self.out.text.len();
            if end > start {
                self.out.links.push(start..end);
            }
        }
    }
}

/// Parses the markup starting with the `<` at `i`, or `None` if this `<` is plain text.
fn parse_markup(src: &str, i: usize) -> Option<Markup<'_>> {
    let b = src.as_bytes();
    let n = b.len();
    let rest = &b[i..];
    let find = |from: usize, pat: &str| -> usize {
        match src.get(from..).and_then(|s| s.find(pat)) {
            Some(p) => from + p + pat.len(),
            None => n,
        }
    };
    match rest.get(1).copied()? {
        b'!' => {
            if rest.starts_with(b"<!--") {
                let k = i + 4;
                if b.get(k) == Some(&b'>') {
                    Some(Markup::Skip(k + 1))
                } else if b[k..].starts_with(b"->") {
                    Some(Markup::Skip(k + 2))
                } else {
                    Some(Markup::Skip(find(k, "-->")))
                }
            } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<![CDATA[") {
                Some(Markup::Skip(find(i + 9, "]]>")))
            } else {
                Some(Markup::Skip(find(i + 2, ">")))
            }
        }
        b'?' => Some(Markup::Skip(find(i + 2, ">"))),
        b'/' => match rest.get(2).copied() {
            None => None,
            Some(b'>') => Some(Markup::Skip(i + 3)),
            Some(c) if c.is_ascii_alphabetic() => Some(tag(src, i + 2, true)),
            Some(_) => Some(Markup::Skip(find(i + 2, ">"))),
        },
        c if c.is_ascii_alphabetic() => Some(tag(src, i + 1, false)),
        _ => None,
    }
}

/// Parses a tag whose name starts at `j`: the name, then attributes up to the closing `>`
/// (quoted values may contain `>`). An unterminated tag runs to the end of the input.
fn tag(src: &str, mut j: usize, end_tag: bool) -> Markup<'_> {
    let b = src.as_bytes();
    let n = b.len();
    let name_start = j;
    while j < n && !is_html_ws(b[j]) && b[j] != b'/' && b[j] != b'>' {
        j += 1;
    }
    // `j` is at an ASCII byte or at the end, so this is a char boundary.
    let name = src.get(name_start..j).unwrap_or("");
    let done = |next| Markup::Tag {
        name,
        end_tag,
        next,
    };
    loop {
        while j < n && (is_html_ws(b[j]) || b[j] == b'/') {
            j += 1;
        }
        if j >= n {
            return done(n);
        }
        if b[j] == b'>' {
            return done(j + 1);
        }
        // Attribute name (its first character may be anything, even `=`).
        j += 1;
        while j < n && !is_html_ws(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        while j < n && is_html_ws(b[j]) {
            j += 1;
        }
        if j < n && b[j] == b'=' {
            j += 1;
            while j < n && is_html_ws(b[j]) {
                j += 1;
            }
            if j < n && (b[j] == b'"' || b[j] == b'\'') {
                let q = b[j];
                match b[j + 1..].iter().position(|&c| c == q) {
                    Some(p) => j = j + 1 + p + 1,
                    None => return done(n),
                }
            } else {
                while j < n && !is_html_ws(b[j]) && b[j] != b'>' {
                    j += 1;
                }
            }
        }
    }
}

/// Offset of the `</name` (ASCII case-insensitive, followed by whitespace, `/`, `>` or the end)
/// that closes a raw-text element whose content starts at `from`, or the end of the input.
fn find_end_tag(b: &[u8], mut from: usize, name: &str) -> usize {
    let name = name.as_bytes();
    while from < b.len() {
        let Some(p) = b[from..].windows(2).position(|w| w == b"</") else {
            break;
        };
        let p = from + p;
        let after = p + 2 + name.len();
        if b.len() >= after
            && b[p + 2..after].eq_ignore_ascii_case(name)
            && b.get(after)
                .is_none_or(|&c| is_html_ws(c) || c == b'/' || c == b'>')
        {
            return p;
        }
        from = p + 2;
    }
    b.len()
}

/// Decodes the character reference at `i` (which holds `&`): the character and the offset
/// just past the reference, or `None` when this `&` is a literal ampersand.
fn decode_entity(src: &str, i: usize) -> Option<(char, usize)> {
    let b = src.as_bytes();
    let n = b.len();
    let mut j = i + 1;
    if b.get(j) == Some(&b'#') {
        j += 1;
        let hex = matches!(b.get(j), Some(b'x' | b'X'));
        if hex {
            j += 1;
        }
        let radix = if hex { 16 } else { 10 };
        let digits_start = j;
        let mut value: u32 = 0;
        while j < n && (b[j] as char).is_digit(radix) {
            let d = (b[j] as char).to_digit(radix).unwrap_or(0);
            value = value.saturating_mul(radix).saturating_add(d).min(0x11_0000);
            j += 1;
        }
        if j == digits_start {
            return None;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        return Some((numeric_char(value), j));
    }
    while j < n && j - i <= 32 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    let name = src.get(i + 1..j)?;
    if name.is_empty() {
        return None;
    }
    if b.get(j) == Some(&b';')
        && let Some(c) = named_entity(name)
    {
        return Some((c, j + 1));
    }
    // A few legacy entities are recognised without the semicolon.
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "nbsp" | "copy" | "reg") {
        return named_entity(name).map(|c| (c, j));
    }
    None
}

/// The character for a numeric character reference, as the HTML spec maps it.
fn numeric_char(v: u32) -> char {
    const CP1252: [char; 32] = [
        '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}',
        '\u{8f}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}',
        '\u{178}',
    ];
    match v {
        0 => '\u{fffd}',
        0x80..=0x9f => CP1252[(v - 0x80) as usize],
        _ => char::from_u32(v).unwrap_or('\u{fffd}'),
    }
}

/// Common named character references (case-sensitive, without `&` and `;`).
fn named_entity(name: &str) -> Option<char> {
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        "lrm" => '\u{200e}',
        "rlm" => '\u{200f}',
        "shy" => '\u{ad}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "hellip" => '\u{2026}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "sbquo" => '\u{201a}',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "bdquo" => '\u{201e}',
        "laquo" => '\u{ab}',
        "raquo" => '\u{bb}',
        "lsaquo" => '\u{2039}',
        "rsaquo" => '\u{203a}',
        "bull" => '\u{2022}',
        "middot" => '\u{b7}',
        "dagger" => '\u{2020}',
        "Dagger" => '\u{2021}',
        "permil" => '\u{2030}',
        "prime" => '\u{2032}',
        "Prime" => '\u{2033}',
        "copy" | "COPY" => '\u{a9}',
        "reg" | "REG" => '\u{ae}',
        "trade" => '\u{2122}',
        "deg" => '\u{b0}',
        "plusmn" => '\u{b1}',
        "times" => '\u{d7}',
        "divide" => '\u{f7}',
        "minus" => '\u{2212}',
        "frac12" => '\u{bd}',
        "frac14" => '\u{bc}',
        "frac34" => '\u{be}',
        "sup1" => '\u{b9}',
        "sup2" => '\u{b2}',
        "sup3" => '\u{b3}',
        "micro" => '\u{b5}',
        "para" => '\u{b6}',
        "sect" => '\u{a7}',
        "cent" => '\u{a2}',
        "pound" => '\u{a3}',
        "euro" => '\u{20ac}',
        "yen" => '\u{a5}',
        "curren" => '\u{a4}',
        "iexcl" => '\u{a1}',
        "iquest" => '\u{bf}',
        "brvbar" => '\u{a6}',
        "uml" => '\u{a8}',
        "ordf" => '\u{aa}',
        "ordm" => '\u{ba}',
        "not" => '\u{ac}',
        "macr" => '\u{af}',
        "acute" => '\u{b4}',
        "cedil" => '\u{b8}',
        "circ" => '\u{2c6}',
        "tilde" => '\u{2dc}',
        "larr" => '\u{2190}',
        "uarr" => '\u{2191}',
        "rarr" => '\u{2192}',
        "darr" => '\u{2193}',
        "harr" => '\u{2194}',
        "hearts" => '\u{2665}',
        "fnof" => '\u{192}',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Igrave" => 'Ì',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "ETH" => 'Ð',
        "Ntilde" => 'Ñ',
        "Ograve" => 'Ò',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Ugrave" => 'Ù',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "Yacute" => 'Ý',
        "THORN" => 'Þ',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "eth" => 'ð',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "thorn" => 'þ',
        "yuml" => 'ÿ',
        "OElig" => 'Œ',
        "oelig" => 'œ',
        "Scaron" => 'Š',
        "scaron" => 'š',
        "Yuml" => 'Ÿ',
        "alpha" => 'α',
        "beta" => 'β',
        "gamma" => 'γ',
        "delta" => 'δ',
        "epsilon" => 'ε',
        "lambda" => 'λ',
        "mu" => 'μ',
        "pi" => 'π',
        "sigma" => 'σ',
        "omega" => 'ω',
        "Delta" => 'Δ',
        "Omega" => 'Ω',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(html: &str) -> String {
        visible_text(html).text
    }

    #[test]
    fn drops_hidden_elements() {
        assert_eq!(t("a<script>if (x < y) { '</p>' }</script>b"), "ab");
        assert_eq!(t("a<SCRIPT type=x>var s = '</scripty>';</Script >b"), "ab");
        assert_eq!(t("a<style>p { color: red }</style>b"), "ab");
        assert_eq!(t("a<noscript><p>enable js</p></noscript>b"), "ab");
        assert_eq!(
            t("a<template><p>x<template>y</template>z</p></template>b"),
            "ab"
        );
        assert_eq!(
            t("<html><head><title>T</title><meta x></head><body>b</body></html>"),
            "b"
        );
        assert_eq!(t("a<!-- c <p> -->b<!---->c<!-->d<!--->e"), "abcde");
        assert_eq!(
            t("<!DOCTYPE html>a<![CDATA[ x > y ]]>b<?php echo 1 ?>c"),
            "abc"
        );
        assert_eq!(t("a<script>never closed"), "a");
        assert_eq!(t("a<!-- never closed"), "a");
    }

    #[test]
    fn head_ends_implicitly() {
        assert_eq!(t("<head><title>T</title><p>x</p>"), "x");
        assert_eq!(t("<head><title>T</title>plain"), "plain");
        assert_eq!(t("<head><title>T</title><body>y"), "y");
        // A title outside <head> is visible, as its own line.
        assert_eq!(
            t("<title>Tom &amp; Jerry <b></title>text"),
            "Tom & Jerry <b>\ntext"
        );
    }

    #[test]
    fn block_elements_break_lines() {
        assert_eq!(t("<p>One.</p><p>Two.</p>"), "One.\nTwo.");
        assert_eq!(t("a<br>b<br/>c<BR />d"), "a\nb\nc\nd");
        assert_eq!(t("<ul><li>x</li><li>y</li></ul>"), "x\ny");
        assert_eq!(t("<h1>Title</h1>Text<hr>more"), "Title\nText\nmore");
        assert_eq!(t("<table><tr><td>1</td><td>2</td></tr></table>"), "1\n2");
        assert_eq!(
            t("<div>a<blockquote>b</blockquote><pre>c</pre></div>"),
            "a\nb\nc"
        );
        assert_eq!(t("<section><article>a</article></section>"), "a");
        let toks = crate::tokenize(&t("<p>first para</p><p>second para</p>"));
        assert_eq!(toks.iter().filter(|t| t.sentence_start).count(), 2);
    }

    #[test]
    fn inline_elements_produce_nothing() {
        assert_eq!(t("un<b>believ</b><i>able</i>"), "unbelievable");
        assert_eq!(t("a <span> b </span> c"), "a b c");
    }

    /// Regression (found by the `visible_text_maps_back_to_source` property test): `&#0` is three
    /// bytes like the U+FFFD it stands for, and was taken for a verbatim copy of it, so
    /// `source_range` sliced `&#0` out of the HTML for the text `\u{fffd}`.
    #[test]
    fn entity_as_long_as_its_character_is_not_verbatim() {
        for html in ["&#0.", "&#0;.", "x&#0y"] {
            let v = visible_text(html);
            let at = v.text.find('\u{fffd}').expect("decoded");
            assert_eq!(v.source_range(at..at + 3), None, "{html}");
            let (s, e) = (v.to_source(at), v.to_source_end(at + 3));
            assert!(html[s..e].starts_with("&#0"), "{html}: {s}..{e}");
        }
        // A verbatim U+FFFD is still verbatim.
        let v = visible_text("a\u{fffd}b");
        assert_eq!(v.source_range(1..4), Some(1..4));
    }

    #[test]
    fn whitespace_collapses() {
        assert_eq!(t("  a \t\r\n b  "), "a b");
        assert_eq!(t("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(t("\n<p>\n  a  \n</p>\n\n<p>  b</p>\n"), "a\nb");
        assert_eq!(t("a <br> b"), "a\nb");
        assert_eq!(t("a\u{2003}b"), "a b");
        assert_eq!(t("soft&shy;hyphen\u{ad}ated"), "softhyphenated");
    }

    #[test]
    fn entities() {
        assert_eq!(t("&lt;a&gt; &amp; &quot;q&quot; &apos;s"), "<a> & \"q\" 's");
        assert_eq!(
            t("&mdash;&ndash;&hellip;&lsquo;&rsquo;&ldquo;&rdquo;"),
            "—–…‘’“”"
        );
        assert_eq!(t("&copy;&reg;&trade;&eacute;&Eacute;&euro;"), "©®™éÉ€");
        assert_eq!(t("&#65;&#x42;&#X43;&#0068;"), "ABCD");
        assert_eq!(t("&#146;&#x97;"), "’—");
        assert_eq!(
            t("&#0;&#xD800;&#x110000;&#99999999999999999999;"),
            "\u{fffd}".repeat(4)
        );
        assert_eq!(t("&#65 B"), "A B");
        assert_eq!(t("&amp &lt"), "& <");
        // Not entities: left as they are.
        assert_eq!(
            t("AT&T &bogus; & &; &#; &#x; a&b"),
            "AT&T &bogus; & &; &#; &#x; a&b"
        );
        assert_eq!(t("&AMP;&eacute"), "&&eacute");
    }

    #[test]
    fn broken_markup() {
        assert_eq!(t("1 < 2 and 3 <= 4"), "1 < 2 and 3 <= 4");
        assert_eq!(t("a <b"), "a");
        assert_eq!(t("x</"), "x</");
        assert_eq!(t("x</>y</ 3>z"), "xyz");
        assert_eq!(
            t("<a title='x > y' href=\"p>q\">link</a> after"),
            "link after"
        );
        assert_eq!(t("<img alt=a>b<p class=x>c"), "b\nc");
        assert_eq!(t("<p \"odd>text"), "text");
        assert_eq!(t("x<p title=\"unclosed>text"), "x");
        assert_eq!(t("<"), "<");
        assert_eq!(t("&"), "&");
        assert_eq!(t("&#"), "&#");
        assert_eq!(t("<é>x"), "<é>x");
        assert_eq!(t("<dïv>x</dïv>"), "x");
    }

    #[test]
    fn links() {
        let v = visible_text("See <a href=x> the <b>menu</b> </a> and <A>prices</a>. <a></a>");
        assert_eq!(v.text, "See the menu and prices.");
        let anchors: Vec<&str> = v.links.iter().map(|r| &v.text[r.clone()]).collect();
        assert_eq!(anchors, ["the menu", "prices"]);
        // An <a> inside an open <a> closes it; an unclosed <a> ends at the end of the input.
        let v = visible_text("<a>one<a>two");
        let anchors: Vec<&str> = v.links.iter().map(|r| &v.text[r.clone()]).collect();
        assert_eq!(anchors, ["one", "two"]);
    }

    #[test]
    fn offsets_map_back() {
        let html = "<p>Caf&eacute; <b>bar</b></p>\n<p>x&amp;y</p>";
        let v = visible_text(html);
        assert_eq!(v.text, "Café bar\nx&y");
        // Verbatim characters map to themselves.
        assert_eq!(v.to_source(0), 3);
        assert_eq!(&html[v.to_source(6)..v.to_source_end(9)], "bar");
        // Entity: every offset inside it maps to its start; ends to its end.
        let e = v.text.find('é').unwrap();
        assert_eq!(v.to_source(e), 6);
        assert_eq!(v.to_source(e + 1), 6);
        assert_eq!(v.to_source_end(e + 1), 14);
        assert_eq!(v.to_source_end(e + 2), 14);
        assert_eq!(&html[v.to_source(0)..v.to_source_end(e + 2)], "Caf&eacute;");
        // The synthetic newline stands for `</p>\n<p>`.
        let nl = v.text.find('\n').unwrap();
        assert_eq!(&html[v.to_source(nl)..v.to_source_end(nl + 1)], "</p>\n<p>");
        // End of text maps to the end of the last character.
        assert_eq!(v.to_source(v.text.len()), html.len() - 4);
        assert_eq!(v.to_source_end(v.text.len() + 10), html.len() - 4);
        let empty = visible_text("<p></p>");
        assert_eq!((empty.to_source(0), empty.to_source_end(0)), (0, 0));
    }

    #[test]
    fn source_ranges() {
        let html = "<p>The quick  brown fox &amp; <i>dog</i></p>";
        let v = visible_text(html);
        assert_eq!(v.text, "The quick brown fox & dog");
        let r = v.source_range(0..9).unwrap();
        assert_eq!(&html[r], "The quick");
        assert_eq!(v.source_range(4..15), None); // collapsed double space
        let r = v.source_range(10..19).unwrap();
        assert_eq!(&html[r], "brown fox");
        assert_eq!(v.source_range(16..21), None); // entity
        assert_eq!(v.source_range(20..25), None); // tag
        let r = v.source_range(22..25).unwrap();
        assert_eq!(&html[r], "dog");
        assert_eq!(v.source_range(3..3), Some(6..6));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..4;
        assert_eq!(v.source_range(reversed), None);
        assert_eq!(v.source_range(0..100), None);
        let v = visible_text("<p>é</p>");
        assert_eq!(v.source_range(0..1), None); // not a char boundary
        // Splicing an edit through source_range.
        let html = "<p>Due to this fact, <em>it</em> works.</p>";
        let v = visible_text(html);
        let r = v.source_range(0..16).unwrap();
        let edited = format!("{}Therefore{}", &html[..r.start], &html[r.end..]);
        assert_eq!(visible_text(&edited).text, "Therefore, it works.");
    }

    #[test]
    fn linear_on_pathological_input() {
        let html = "<a b='".repeat(20_000) + &"<!--".repeat(20_000) + &"&#".repeat(20_000);
        let v = visible_text(&html);
        assert!(v.text.len() <= html.len());
        let html = "<script>".repeat(50_000);
        assert_eq!(visible_text(&html).text, "");
    }
}
