//! Property tests for the text layer: tokenizer coverage, edit splicing and HTML extraction.

use proptest::prelude::*;
use unspin_text::html::visible_text;
use unspin_text::{Case, apply_edits, case_of, is_apostrophe, normalize, normalize_into, tokenize};

/// Text made of pieces that exercise the tokenizer: words, numbers, joiners, whitespace,
/// newlines and multi-byte characters.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[A-Za-z]{1,8}",
        2 => "[0-9]{1,4}",
        3 => prop::sample::select(vec![".", ",", "'", "\u{2019}", "-", "!", "?", "\"", "(", ")"])
            .prop_map(str::to_string),
        3 => prop::sample::select(vec![" ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{2029}", "\u{3000}"])
            .prop_map(str::to_string),
        2 => "[éßøñü一中文日本😀ÆΩЖ\u{301}]{1,3}",
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Either fully arbitrary Unicode or tokenizer-shaped text.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), texty()]
}

/// HTML-ish input: text interleaved with tags, entities and broken markup.
fn htmlish() -> impl Strategy<Value = String> {
    let markup = prop::sample::select(vec![
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<br>",
        "<br/>",
        "<div class=\"a>b\">",
        "</div>",
        "<a href='x>y'>",
        "<a>",
        "</a>",
        "<li>",
        "<td>",
        "<h1>",
        "</h1>",
        "<script>",
        "</script>",
        "<style>",
        "</style >",
        "<!--",
        "-->",
        "<!-- c -->",
        "<!DOCTYPE html>",
        "<![CDATA[",
        "]]>",
        "<head>",
        "</head>",
        "<title>",
        "</title>",
        "<template>",
        "</template>",
        "<noscript>",
        "</noscript>",
        "<body>",
        "<",
        ">",
        "</",
        "<?x",
        "\"",
        "'",
        "=",
        "&",
        "&amp;",
        "&lt;",
        "&gt;",
        "&quot;",
        "&nbsp;",
        "&mdash;",
        "&eacute;",
        "&rsquo;",
        "&#65;",
        "&#x1F600;",
        "&#146;",
        "&#0;",
        "&#xD800;",
        "&#99999999999;",
        "&#",
        "&#x",
        "&bogus;",
        "&amp",
        "&shy;",
        "&#32;",
        "&#10;",
    ])
    .prop_map(str::to_string);
    let piece = prop_oneof![4 => texty(), 4 => markup, 1 => any::<String>()];
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

/// Random edits on `text`: sorted, non-overlapping, on char boundaries.
fn with_edits() -> impl Strategy<Value = (String, Vec<(usize, usize, String)>)> {
    any_text().prop_flat_map(|text| {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let n = bounds.len();
        let edits = prop::collection::vec((0..n, 0..n, "[a-zé ]{0,4}"), 0..6);
        (Just(text), edits).prop_map(move |(text, raw)| {
            let mut spans: Vec<(usize, usize, String)> = raw
                .into_iter()
                .map(|(a, b, r)| (bounds[a.min(b)], bounds[a.max(b)], r))
                .collect();
            spans.sort_by_key(|e| (e.0, e.1));
            let mut pos = 0;
            spans.retain(|e| {
                let keep = e.0 >= pos;
                if keep {
                    pos = e.1;
                }
                keep
            });
            (text, spans)
        })
    })
}

/// The definitions `normalize` and `case_of` implement (with ASCII fast paths): every
/// character lowercased, apostrophes unified; the case pattern from the letters alone.
fn normalize_reference(word: &str) -> String {
    word.chars()
        .flat_map(|c| {
            let lower: Vec<char> = if is_apostrophe(c) {
                vec!['\'']
            } else {
                c.to_lowercase().collect()
            };
            lower
        })
        .collect()
}

fn case_reference(word: &str) -> Case {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let Some((&first, rest)) = letters.split_first() else {
        return Case::Lower;
    };
    let rest_lower = rest.iter().all(|c| !c.is_uppercase());
    let rest_upper = rest.iter().all(|c| !c.is_lowercase());
    match (
        first.is_lowercase(),
        rest_lower,
        rest_upper && !rest.is_empty(),
    ) {
        (true, true, _) => Case::Lower,
        (true, false, _) => Case::Mixed,
        (false, true, _) => Case::Title,
        (false, false, true) => Case::Upper,
        (false, false, false) => Case::Mixed,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalize_and_case_match_their_definitions(text in any_text()) {
        for word in text.split_whitespace().chain([text.as_str()]) {
            prop_assert_eq!(normalize(word), normalize_reference(word), "{:?}", word);
            let mut buf = String::from("left over");
            normalize_into(word, &mut buf);
            prop_assert_eq!(buf, normalize_reference(word));
            prop_assert_eq!(case_of(word), case_reference(word), "{:?}", word);
        }
    }

    #[test]
    fn tokens_cover_exactly_the_non_whitespace(text in any_text()) {
        let toks = tokenize(&text);
        let mut covered = vec![false; text.len()];
        let mut prev_end = 0;
        for t in &toks {
            prop_assert!(t.start < t.end, "empty token {t:?}");
            prop_assert!(prev_end <= t.start, "tokens out of order or overlapping");
            prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            for c in &mut covered[t.start..t.end] {
                *c = true;
            }
            prev_end = t.end;
        }
        for (i, c) in text.char_indices() {
            prop_assert_eq!(covered[i], !c.is_whitespace(), "char {:?} at {}", c, i);
        }
        if let Some(first) = toks.first() {
            prop_assert!(first.sentence_start);
        }
    }

    #[test]
    fn apply_edits_touches_only_the_edited_spans((text, edits) in with_edits()) {
        let refs: Vec<(usize, usize, &str)> =
            edits.iter().map(|(s, e, r)| (*s, *e, r.as_str())).collect();
        let out = apply_edits(&text, &refs);
        // Walk the output, checking every unedited stretch is copied byte for byte.
        let mut pos = 0;
        let mut opos = 0;
        for &(s, e, rep) in &refs {
            let keep = &text.as_bytes()[pos..s];
            prop_assert_eq!(&out.as_bytes()[opos..opos + keep.len()], keep);
            opos += keep.len();
            prop_assert_eq!(&out.as_bytes()[opos..opos + rep.len()], rep.as_bytes());
            opos += rep.len();
            pos = e;
        }
        prop_assert_eq!(&out.as_bytes()[opos..], &text.as_bytes()[pos..]);
    }

    #[test]
    fn apply_no_edits_is_identity(text in any_text()) {
        prop_assert_eq!(apply_edits(&text, &[]), text);
    }

    #[test]
    fn apply_edits_skips_invalid_edits(text in any_text(), s in 0usize..64, e in 0usize..64) {
        // A lone edit is applied exactly when it is in bounds, ordered and on char boundaries.
        let out = apply_edits(&text, &[(s, e, "X")]);
        let valid = s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e);
        if valid {
            prop_assert_eq!(out, format!("{}X{}", &text[..s], &text[e..]));
        } else {
            prop_assert_eq!(out, text);
        }
    }

    #[test]
    fn visible_text_maps_back_to_source(html in prop_oneof![htmlish(), any_text()]) {
        let v = visible_text(&html);
        let text = &v.text;
        prop_assert!(text.len() <= html.len());
        prop_assert!(!text.starts_with([' ', '\n']) && !text.ends_with([' ', '\n']));
        prop_assert!(!text.contains("  ") && !text.contains("\n\n"));
        prop_assert!(text.chars().all(|c| !c.is_whitespace() || c == ' ' || c == '\n'));

        // Both maps are monotone and within the source.
        let (mut last, mut last_end) = (0, 0);
        for k in 0..=text.len() + 1 {
            let s = v.to_source(k);
            let e = v.to_source_end(k);
            prop_assert!(s <= html.len() && e <= html.len());
            prop_assert!(s >= last, "to_source not monotone at {}", k);
            prop_assert!(e >= last_end, "to_source_end not monotone at {}", k);
            if k > text.len() || text.is_char_boundary(k) {
                prop_assert!(html.is_char_boundary(s) && html.is_char_boundary(e));
            }
            last = s;
            last_end = e;
        }

        // Every character comes from the same character, or an entity for it, in the source.
        for (k, c) in text.char_indices() {
            let s = v.to_source(k);
            let e = v.to_source_end(k + c.len_utf8());
            prop_assert!(s < e, "empty source for {:?} at {}", c, k);
            let src = &html[s..e];
            let same = src.starts_with(c) && src.len() == c.len_utf8();
            let entity = src.starts_with('&') && visible_text(src).text == c.to_string();
            let synthetic = c == ' ' || c == '\n';
            prop_assert!(same || entity || synthetic, "{:?} at {} maps to {:?}", c, k, src);
        }

        // source_range, when it answers, slices the HTML to exactly the text range.
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        for (a, &i) in bounds.iter().enumerate().step_by(3) {
            for &j in bounds[a..].iter().take(12) {
                if let Some(r) = v.source_range(i..j) {
                    prop_assert_eq!(&html[r.clone()], &text[i..j], "range {}..{} -> {:?}", i, j, r);
                }
            }
        }

        // Link ranges are ordered, non-empty and on char boundaries.
        let mut prev = 0;
        for r in &v.links {
            prop_assert!(prev <= r.start && r.start < r.end && r.end <= text.len());
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            prev = r.end;
        }
    }

    #[test]
    fn plain_text_maps_identically(words in prop::collection::vec("[A-Za-z0-9.,'’é一😀-]{1,8}", 1..20)) {
        // Without markup, entities or whitespace runs, the text is the input and every range
        // can be spliced.
        let html = words.join(" ");
        let v = visible_text(&html);
        prop_assert_eq!(&v.text, &html);
        prop_assert_eq!(v.source_range(0..html.len()), Some(0..html.len()));
        for (k, _) in html.char_indices() {
            prop_assert_eq!(v.to_source(k), k);
        }
    }
}
