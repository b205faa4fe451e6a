//! JATS XML (PubMed Central, most publishers) and TEI XML (GROBID's output).
//!
//! What is checked: the title, the abstract, the body's sections and the captions of
//! figures. Left out: references, formulas, tables (with their captions), front matter
//! other than the title and abstract, back matter, comments and processing instructions.
//!
//! The XML is tokenised with `quick-xml`. The result is a **view** of the XML, of exactly
//! its length: everything left out is blanked (made spaces), and every tag is rewritten in
//! place as `<p  …>` (elements that are blocks of text: paragraphs, titles, sections,
//! captions…) or `<i  …>` (inline elements). The view is HTML whose visible text
//! ([`unspin_text::html::visible_text`]) is the text to check, and since the view keeps every
//! byte of that text where it is in the XML, its offsets are offsets into the XML, exactly as
//! for HTML: findings and edits refer to the XML as given.

use crate::InputError;
use quick_xml::events::{BytesStart, Event};

/// Which XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// JATS (`<article>` of the JATS/NLM DTDs).
    Jats,
    /// TEI (`<TEI>`, as GROBID writes it).
    Tei,
}

/// The dialect of an XML document starting with `start`, told by its root element:
/// `<TEI` is TEI; `<article` is JATS when the start names JATS or NLM (a doctype or a
/// namespace) or has JATS's `dtd-version` or `article-type` attributes.
pub fn dialect_of(start: &[u8]) -> Option<Dialect> {
    let head = &start[..start.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}');
    // skip the declaration, comments, doctype and processing instructions
    loop {
        rest = rest.trim_start();
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = if rest.starts_with("<!--") {
                rest.find("-->").map(|i| i + 3)
            } else {
                rest.find('>').map(|i| i + 1)
            };
            match end {
                Some(e) => rest = &rest[e..],
                None => return None,
            }
        } else {
            break;
        }
    }
    let root: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        .collect();
    let local = root.rsplit(':').next().unwrap_or("");
    if local == "TEI" {
        return Some(Dialect::Tei);
    }
    let lower = text.to_ascii_lowercase();
    (local == "article"
        && ["jats", "nlm", "dtd-version", "article-type"]
            .iter()
            .any(|k| lower.contains(k)))
    .then_some(Dialect::Jats)
}

/// Whether an element's text is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vis {
    /// Not checked, but an element inside may be (the front matter, a figure).
    Hidden,
    /// Checked.
    Shown,
    /// Not checked, nor anything inside (references, formulas, tables).
    Dropped,
}

/// Elements written as blocks (a line break around them).
const BLOCKS: &[&[u8]] = &[
    b"article-title",
    b"trans-title",
    b"subtitle",
    b"title",
    b"p",
    b"sec",
    b"abstract",
    b"trans-abstract",
    b"caption",
    b"label",
    b"list",
    b"list-item",
    b"def-list",
    b"fig",
    b"fig-group",
    b"boxed-text",
    b"disp-quote",
    b"body",
    b"front",
    b"back",
    b"head",
    b"div",
    b"figDesc",
    b"figure",
    b"note",
    b"item",
    b"lb",
    b"table-wrap",
    b"ref-list",
    b"listBibl",
    b"formula",
    b"disp-formula",
];

/// Elements dropped with all they hold.
fn dropped(d: Dialect, name: &[u8], tag: &BytesStart) -> bool {
    match d {
        Dialect::Jats => matches!(
            name,
            b"ref-list"
                | b"back"
                | b"table-wrap"
                | b"table"
                | b"disp-formula"
                | b"inline-formula"
                | b"math"
                | b"tex-math"
                | b"table-wrap-foot"
        ),
        Dialect::Tei => {
            matches!(name, b"back" | b"listBibl" | b"formula" | b"table")
                || (name == b"figure"
                    && tag
                        .try_get_attribute("type")
                        .ok()
                        .flatten()
                        .is_some_and(|a| a.value.as_ref() == b"table"))
        }
    }
}

/// Elements whose text is checked wherever they are (unless inside a dropped element).
fn shown(d: Dialect, parent: &[u8], name: &[u8]) -> bool {
    match d {
        Dialect::Jats => {
            matches!(
                name,
                b"article-title" | b"abstract" | b"trans-abstract" | b"body"
            ) || (name == b"trans-title" && parent == b"trans-title-group")
                || (name == b"caption" && matches!(parent, b"fig" | b"fig-group"))
        }
        Dialect::Tei => {
            matches!(name, b"abstract" | b"body")
                || (name == b"title" && parent == b"titleStmt")
                || (name == b"figDesc" && parent == b"figure")
        }
    }
}

/// The visibility of an element `name` inside `parent` (of visibility `pv`).
fn decide(d: Dialect, pv: Vis, parent: &[u8], name: &[u8], tag: &BytesStart) -> Vis {
    if pv == Vis::Dropped || dropped(d, name, tag) {
        Vis::Dropped
    } else if shown(d, parent, name) {
        Vis::Shown
    } else if matches!(name, b"fig" | b"fig-group" | b"figure") {
        Vis::Hidden
    } else {
        pv
    }
}

/// Blanks `out[r]`.
fn blank(out: &mut [u8], r: std::ops::Range<usize>) {
    if let Some(s) = out.get_mut(r) {
        s.fill(b' ');
    }
}

/// Rewrites the tag at `out[r]` (`<name …>`, `</name>` or `<name …/>`) as `<p …>` or `<i …>`
/// (`</p …>`, `</i …>`) of the same length.
fn rewrite_tag(out: &mut [u8], r: std::ops::Range<usize>, block: bool, end_tag: bool) {
    let letter = if block { b'p' } else { b'i' };
    let name_at = r.start + 1 + usize::from(end_tag);
    if r.end < name_at + 2 || out.get(r.start) != Some(&b'<') {
        blank(out, r);
        return;
    }
    out[name_at] = letter;
    blank(out, name_at + 1..r.end - 1);
    out[r.end - 1] = b'>';
}

/// The view of the XML `xml` (see the module docs) read as `d`; an XML syntax error is an
/// error naming `path` and the byte where it is.
pub fn view(path: &str, d: Dialect, xml: &str) -> Result<String, InputError> {
    let mut out = xml.as_bytes().to_vec();
    let mut reader = quick_xml::Reader::from_str(xml);
    let cfg = reader.config_mut();
    cfg.check_end_names = false;
    cfg.allow_unmatched_ends = true;
    cfg.trim_text(false);
    let mut stack: Vec<(Vec<u8>, Vis)> = Vec::new();
    let mut pos = 0usize;
    loop {
        let ev = reader.read_event();
        let end = usize::try_from(reader.buffer_position())
            .unwrap_or(usize::MAX)
            .min(xml.len());
        let vis = stack.last().map_or(Vis::Hidden, |s| s.1);
        match ev {
            Err(e) => {
                return Err(InputError::Xml {
                    path: path.into(),
                    reason: format!("{e} (near byte {})", reader.error_position()),
                });
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(t)) => {
                let name = t.local_name().as_ref().to_vec();
                let parent = stack.last().map_or(&b""[..], |s| &s.0[..]);
                let v = decide(d, vis, parent, &name, &t);
                rewrite_tag(&mut out, pos..end, BLOCKS.contains(&&name[..]), false);
                stack.push((name, v));
            }
            Ok(Event::Empty(t)) => {
                let name = t.local_name();
                rewrite_tag(&mut out, pos..end, BLOCKS.contains(&name.as_ref()), false);
            }
            Ok(Event::End(t)) => {
                let name = t.local_name().as_ref().to_vec();
                rewrite_tag(&mut out, pos..end, BLOCKS.contains(&&name[..]), true);
                if let Some(i) = stack.iter().rposition(|s| s.0 == name) {
                    stack.truncate(i);
                }
            }
            Ok(Event::Text(_)) | Ok(Event::GeneralRef(_)) => {
                if vis != Vis::Shown {
                    blank(&mut out, pos..end);
                }
            }
            Ok(Event::CData(_)) if vis == Vis::Shown && end >= pos + 12 => {
                // the text inside stays; `<![CDATA[` and `]]>` go, and so does markup
                blank(&mut out, pos..pos + 9);
                blank(&mut out, end - 3..end);
                for b in &mut out[pos + 9..end - 3] {
                    if matches!(*b, b'<' | b'&') {
                        *b = b' ';
                    }
                }
            }
            Ok(_) => blank(&mut out, pos..end),
        }
        pos = end.max(pos);
    }
    String::from_utf8(out).map_err(|e| InputError::Xml {
        path: path.into(),
        reason: format!("internal error: view not UTF-8 ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visible(d: Dialect, xml: &str) -> String {
        let v = view("t.xml", d, xml).unwrap();
        assert_eq!(v.len(), xml.len());
        unspin_text::html::visible_text(&v).text
    }

    const JATS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN" "JATS-journalpublishing1.dtd">
<article article-type="research-article" dtd-version="1.2">
<front><journal-meta><journal-title>Journal X</journal-title></journal-meta>
<article-meta><title-group><article-title>A profound <italic>learning</italic> model</article-title></title-group>
<contrib-group><contrib><name><surname>Doe</surname></name></contrib></contrib-group>
<abstract><p>We study bosom peril &amp; more.</p></abstract></article-meta></front>
<body><sec><title>Introduction</title><p>Counterfeit consciousness<xref ref-type="bibr" rid="r1">[1]</xref> is used.</p>
<disp-formula><mml:math><mml:mi>x</mml:mi></mml:math></disp-formula>
<fig id="f1"><label>Figure 1</label><caption><p>Exactness and review.</p></caption><graphic/></fig>
<table-wrap><caption><p>Table caption</p></caption><table><tr><td>cell</td></tr></table></table-wrap>
</sec></body>
<back><ref-list><ref><mixed-citation><article-title>Cited title</article-title></mixed-citation></ref></ref-list></back>
</article>"#;

    #[test]
    fn jats_title_abstract_body_and_captions_only() {
        assert_eq!(dialect_of(JATS.as_bytes()), Some(Dialect::Jats));
        let t = visible(Dialect::Jats, JATS);
        assert_eq!(
            t,
            "A profound learning model\nWe study bosom peril & more.\nIntroduction\n\
             Counterfeit consciousness[1] is used.\nExactness and review."
        );
    }

    #[test]
    fn tei_title_abstract_body_and_figure_descriptions_only() {
        let tei = r#"<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title level="a" type="main">Profound learning</title></titleStmt>
<sourceDesc><biblStruct><analytic><title>Profound learning</title></analytic></biblStruct></sourceDesc></fileDesc>
<profileDesc><abstract><div><p>Bosom peril is studied.</p></div></abstract></profileDesc></teiHeader>
<text><body><div><head>1 Introduction</head><p>Counterfeit consciousness <ref type="bibr">[1]</ref> helps.</p>
<formula>x = y</formula><figure><head>Fig. 1</head><figDesc>Exactness and review.</figDesc></figure>
<figure type="table"><figDesc>Table one</figDesc><table><row><cell>c</cell></row></table></figure></div></body>
<back><div><listBibl><biblStruct><analytic><title>Cited</title></analytic></biblStruct></listBibl></div></back></text></TEI>"#;
        assert_eq!(dialect_of(tei.as_bytes()), Some(Dialect::Tei));
        assert_eq!(
            visible(Dialect::Tei, tei),
            "Profound learning\nBosom peril is studied.\n1 Introduction\n\
             Counterfeit consciousness [1] helps.\nExactness and review."
        );
    }

    #[test]
    fn offsets_are_into_the_xml() {
        let v = view("t.xml", Dialect::Jats, JATS).unwrap();
        let ht = unspin_text::html::visible_text(&v);
        let k = ht.text.find("Counterfeit consciousness").unwrap();
        let r = ht.source_range(k..k + 25).unwrap();
        assert_eq!(&JATS[r], "Counterfeit consciousness");
    }

    #[test]
    fn sniffing_and_errors() {
        assert_eq!(dialect_of(b"<html><body>"), None);
        assert_eq!(dialect_of(b"<?xml version='1.0'?><article>"), None);
        assert_eq!(
            dialect_of(b"<!-- c --><tei:TEI xmlns:tei='x'>"),
            Some(Dialect::Tei)
        );
        let e = view("bad.xml", Dialect::Tei, "<TEI><body><p>x<!-- open").unwrap_err();
        assert!(e.to_string().starts_with("bad.xml: "), "{e}");
    }
}
