//! `unspin check --report FILE.html`: one self-contained page for screening a batch.
//!
//! A table with a row per document (score, verdict, words, findings, the phrases found),
//! sortable by any column (a few lines of inline script, no network), and below it each
//! document with findings shown whole, its findings highlighted (the suggestion as a
//! tooltip), reached from its row by an anchor. For HTML and XML the highlighted view is the
//! markup as given (offsets are into it); for PDF it is the extracted text.

use crate::cmd::check::DocReport;
use std::fmt::Write as _;

/// What the page keeps of one document (its text only when it has findings).
pub struct Entry {
    name: String,
    url: String,
    score: f64,
    verdict: &'static str,
    words: usize,
    findings: Vec<(usize, usize, String, String)>,
    pages: Option<usize>,
    text: Option<String>,
}

/// A document that could not be read, for the page.
pub struct Failed {
    name: String,
    error: String,
}

/// The page's content, gathered as documents are checked.
#[derive(Default)]
pub struct Report {
    entries: Vec<Entry>,
    failed: Vec<Failed>,
}

impl Report {
    /// Adds a checked document.
    pub fn add(&mut self, r: &DocReport) {
        let name = match &r.id {
            Some(id) => format!("{}#{id}", r.path),
            None => r.path.clone(),
        };
        let findings: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.start, f.end, f.text.clone(), f.suggestion.clone()))
            .collect();
        let text = (!findings.is_empty()).then(|| r.text.clone());
        self.entries.push(Entry {
            name,
            url: r.url.clone(),
            score: r.score,
            verdict: r.verdict,
            words: r.words,
            findings,
            pages: r.pages,
            text,
        });
    }

    /// Adds a document (or record) that could not be read.
    pub fn fail(&mut self, name: String, error: String) {
        self.failed.push(Failed { name, error });
    }

    /// The page.
    pub fn html(&self) -> String {
        let mut h = String::from(HEAD);
        let _ = write!(
            h,
            "<h1>unspin screening report</h1><p>{} document{} checked, {} with findings, {} \
             not readable. Click a column to sort.</p>",
            self.entries.len(),
            if self.entries.len() == 1 { "" } else { "s" },
            self.entries
                .iter()
                .filter(|e| !e.findings.is_empty())
                .count(),
            self.failed.len()
        );
        h.push_str(
            "<table id=t><thead><tr><th>document</th><th>score</th><th>verdict</th>\
             <th>words</th><th>findings</th><th>phrases found</th></tr></thead><tbody>",
        );
        for (i, e) in self.entries.iter().enumerate() {
            let phrases: Vec<String> = e
                .findings
                .iter()
                .map(|f| format!("{} → {}", esc(&f.2), esc(&f.3)))
                .collect();
            let name = if e.text.is_some() {
                format!("<a href=\"#d{i}\">{}</a>", esc(&e.name))
            } else {
                esc(&e.name)
            };
            let _ = write!(
                h,
                "<tr><td>{name}</td><td data-v=\"{:.4}\">{:.2}</td><td>{}</td>\
                 <td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td>{}</td></tr>",
                e.score,
                e.score,
                e.verdict,
                e.words,
                e.words,
                e.findings.len(),
                e.findings.len(),
                phrases.join("; ")
            );
        }
        for f in &self.failed {
            let _ = write!(
                h,
                "<tr class=bad><td>{}</td><td data-v=\"-1\">–</td><td>error</td>\
                 <td data-v=\"-1\"></td><td data-v=\"-1\"></td><td>{}</td></tr>",
                esc(&f.name),
                esc(&f.error)
            );
        }
        h.push_str("</tbody></table>");
        for (i, e) in self.entries.iter().enumerate() {
            if let Some(text) = &e.text {
                let pages = e.pages.map_or(String::new(), |p| format!(", {p} pages"));
                let url = if e.url.is_empty() {
                    String::new()
                } else {
                    format!(" <small>{}</small>", esc(&e.url))
                };
                let _ = write!(
                    h,
                    "<section id=\"d{i}\"><h2>{}{url}</h2><p>score {:.2} ({}){pages} · \
                     <a href=\"#t\">back to the table</a></p><pre>{}</pre></section>",
                    esc(&e.name),
                    e.score,
                    e.verdict,
                    highlighted(text, &e.findings)
                );
            }
        }
        h.push_str(SCRIPT);
        h
    }
}

/// `text` escaped, with each finding marked and its suggestion as a tooltip.
fn highlighted(text: &str, findings: &[(usize, usize, String, String)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (s, e, _, sug) in findings {
        let (s, e) = (*s, *e);
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&esc(&text[at..s]));
        let _ = write!(
            out,
            "<mark title=\"→ {}\">{}</mark>",
            esc(sug),
            esc(&text[s..e])
        );
        at = e;
    }
    out.push_str(&esc(&text[at..]));
    out
}

/// HTML-escaped text.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

const HEAD: &str = "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>\
<title>unspin screening report</title><style>\
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:80em}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;\
text-align:left;vertical-align:top}th{cursor:pointer;background:#f4f4f4}\
tr.bad td{color:#a00}mark{background:#ffd54f}pre{white-space:pre-wrap;background:#fafafa;\
padding:1em;border:1px solid #eee}</style></head><body>";

const SCRIPT: &str = "<script>\
document.querySelectorAll('#t th').forEach(function(th,i){var asc=false;\
th.onclick=function(){asc=!asc;var b=document.querySelector('#t tbody');\
var rows=Array.from(b.rows);rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i];\
var u=a.dataset.v,v=c.dataset.v;var r=(u!==undefined&&v!==undefined)?(parseFloat(u)-parseFloat(v))\
:a.textContent.localeCompare(c.textContent);return asc?r:-r;});\
rows.forEach(function(r){b.appendChild(r);});};});\
</script></body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_escaped_and_in_place() {
        let f = vec![(4, 7, "b<c".to_string(), "x&y".to_string())];
        assert_eq!(
            highlighted("a < b<c d", &f),
            "a &lt; <mark title=\"→ x&amp;y\">b&lt;c</mark> d"
        );
        // a finding off the text is left out, never a panic
        let f = vec![(4, 99, String::new(), String::new())];
        assert_eq!(highlighted("abc", &f), "abc");
    }
}
