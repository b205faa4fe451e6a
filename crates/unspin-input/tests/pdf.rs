//! The PDF reader on PDFs written by `examples/make_pdf/pdfgen.rs`, and on mutated ones.

#[path = "../examples/make_pdf/pdfgen.rs"]
mod pdfgen;

use proptest::prelude::*;
use unspin_input::{Format, InputError, Item, Options, pdf};

const TEXT: &str = "In this paper we propose a profound learning model for bosom peril \
detection. The model is trained on a huge information set of mammograms and uses \
counterfeit consciousness to classify each picture. Our results show that the proposed \
approach beats existing methods in terms of exactness and review.\n\nThe study followed \
two hundred women over a period of five years. Participants were recruited from three \
hospitals in the region and were interviewed at the start of the study.";

fn layout(lines: usize) -> pdfgen::Layout {
    pdfgen::Layout {
        lines,
        ..pdfgen::Layout::default()
    }
}

/// Offsets of the pages are in order, on character boundaries and within the text.
fn pages_valid(t: &pdf::PdfText) -> bool {
    t.pages.first() == Some(&0)
        && t.pages.windows(2).all(|w| w[0] <= w[1])
        && t.pages
            .iter()
            .all(|&p| p <= t.text.len() && t.text.is_char_boundary(p))
}

#[test]
fn text_layer_in_order_without_heads_feet_or_hyphens() {
    let bytes = pdfgen::pdf(TEXT, &layout(3), true);
    let t = pdf::extract("p.pdf", &bytes).unwrap();
    assert!(t.pages.len() >= 3, "{:?}", t.pages);
    assert!(pages_valid(&t));
    assert!(!t.text.contains("Journal of Generated"), "{}", t.text);
    // every word of the text, in order, and no split words
    let words: Vec<&str> = TEXT.split_whitespace().collect();
    let got: Vec<&str> = t.text.split_whitespace().collect();
    assert_eq!(got, words, "{}", t.text);
}

#[test]
fn read_by_name_or_magic_and_scans_refused() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("paper.pdf");
    let unnamed = dir.path().join("paper.bin");
    let bytes = pdfgen::pdf(TEXT, &layout(4), true);
    std::fs::write(&named, &bytes).unwrap();
    std::fs::write(&unnamed, &bytes).unwrap();
    for p in [&named, &unnamed] {
        let items = unspin_input::read_items(p.to_str().unwrap(), &Options::default()).unwrap();
        let [Item::Doc(d)] = &items[..] else {
            panic!("{items:?}")
        };
        assert!(d.text.contains("bosom peril"));
        assert_eq!(d.page_at(0), Some(1));
        assert_eq!(d.page_at(d.text.len()), Some(d.pages.len()));
    }
    assert_eq!(
        unspin_input::sniff(Format::Auto, "x", &bytes, false),
        Format::Pdf
    );
    let scan = dir.path().join("scan.pdf");
    std::fs::write(&scan, pdfgen::pdf(TEXT, &layout(4), false)).unwrap();
    let name = scan.to_str().unwrap();
    let e = unspin_input::read_items(name, &Options::default()).unwrap_err();
    assert!(matches!(e, InputError::NoTextLayer { .. }), "{e}");
    assert!(e.to_string().starts_with(name), "{e}");
    // streaming reads the same
    let mut n = 0;
    unspin_input::read_each::<InputError>(
        named.to_str().unwrap(),
        &Options::default(),
        &mut |i, _| {
            assert!(matches!(i, Item::Doc(d) if !d.pages.is_empty()));
            n += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(n, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Mutated PDFs: an error that names the file, or a text whose page offsets are valid;
    /// never a panic.
    #[test]
    fn mutated_pdfs_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = pdfgen::pdf(TEXT, &layout(3), true);
        for (i, b) in edits {
            let k = i.index(bytes.len());
            bytes[k] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        match pdf::extract("m.pdf", &bytes) {
            Ok(t) => prop_assert!(pages_valid(&t)),
            Err(e) => prop_assert!(e.to_string().starts_with("m.pdf: ")),
        }
    }

    /// Any page texts: valid page offsets, and no line break lost inside a page's words.
    #[test]
    fn page_texts_give_valid_offsets(pages in prop::collection::vec("[a-zA-Z0-9 \\-\n]{0,80}", 1..6)) {
        let t = pdf::text_of_pages(&pages);
        prop_assert!(pages_valid(&t));
        prop_assert_eq!(t.pages.len(), pages.len());
    }
}
