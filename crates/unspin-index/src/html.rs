//! HTML to text for indexing: the visible text as `unspin_text::html` extracts it (scripts,
//! styles and head dropped, block elements as line breaks, entities decoded).

/// True when `text` looks like HTML (starts with a tag after optional whitespace).
pub fn looks_like_html(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("<!")
        || t.starts_with("<html")
        || t.starts_with("<HTML")
        || t.starts_with("<?xml")
}

/// Extracts the visible text of an HTML document.
pub fn html_to_text(html: &str) -> String {
    unspin_text::html::visible_text(html).text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips() {
        let h = "<html><head><style>p{}</style><script>var x = '<p>';</script></head><body><p>Fish &amp; chips</p><p>cost &#163;5<br>today</p><!-- c --></body></html>";
        assert_eq!(html_to_text(h), "Fish & chips\ncost £5\ntoday");
        assert!(looks_like_html(h));
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = html_to_text(&s);
        }
    }
}
