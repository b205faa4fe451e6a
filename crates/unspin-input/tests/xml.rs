//! JATS and TEI readers on mutated XML: no panic, and offsets that hold.

use proptest::prelude::*;
use unspin_input::xml::{self, Dialect};

const JATS: &str = include_str!("../../unspin/tests/fixtures/spun-paper.jats.xml");
const TEI: &str = include_str!("../../unspin/tests/fixtures/spun-paper.tei.xml");

/// The view has the XML's length, and every verbatim stretch of its visible text is where
/// the XML has it.
fn check_view(src: &str, d: Dialect) -> Result<(), TestCaseError> {
    match xml::view("m.xml", d, src) {
        Err(e) => prop_assert!(e.to_string().starts_with("m.xml: ")),
        Ok(v) => {
            prop_assert_eq!(v.len(), src.len());
            let ht = unspin_text::html::visible_text(&v);
            let mut at = 0;
            for w in ht.text.split(' ') {
                if let Some(r) = ht.source_range(at..at + w.len()) {
                    prop_assert_eq!(&src[r], w);
                }
                at += w.len() + 1;
            }
        }
    }
    Ok(())
}

#[test]
fn references_formulas_and_tables_are_left_out() {
    for (src, d) in [(JATS, Dialect::Jats), (TEI, Dialect::Tei)] {
        assert_eq!(xml::dialect_of(src.as_bytes()), Some(d));
        let v = xml::view("f.xml", d, src).unwrap();
        let t = unspin_text::html::visible_text(&v).text;
        assert!(
            t.contains("uses counterfeit consciousness to classify"),
            "{t}"
        );
        assert!(t.contains("exactness and review"), "{t}");
        for gone in [
            "Table of",
            "Journal of",
            "mathrm",
            "= bosom",
            "peril\n",
            "and bosom peril",
        ] {
            assert!(!t.contains(gone), "{gone:?} in {t}");
        }
        check_view(src, d).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_xml_never_panics(
        tei in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec!['<', '>', '&', '/', '"', ' ', 'x', 'é', ';', '!', '?'])), 1..10),
        cut in any::<prop::sample::Index>(),
    ) {
        let (src, d) = if tei { (TEI, Dialect::Tei) } else { (JATS, Dialect::Jats) };
        let mut s: Vec<char> = src.chars().collect();
        for (i, c) in edits {
            let k = i.index(s.len());
            s[k] = c;
        }
        s.truncate(cut.index(s.len()).max(s.len() / 2));
        let s: String = s.into_iter().collect();
        check_view(&s, d)?;
    }
}
