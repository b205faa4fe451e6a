//! Short passages (issue 15): stitched copies of three short paragraphs, an exact copy that
//! must not hide the other sources, the near miss, and the E-value's scale.

mod common;

use common::{article, spinner};
use unspin_index::{FindOptions, find, find_all};
use unspin_index::{Index, IndexWriter, NewDoc};

/// 400 documents of one ~45-word paragraph each.
fn paragraphs() -> Vec<(String, String)> {
    (0..400)
        .map(|i| (format!("p-{i}"), article(50_000 + i, 45)))
        .collect()
}

fn build(dir: &std::path::Path, docs: &[(String, String)]) -> Index {
    let mut w = IndexWriter::open(dir).unwrap();
    for (id, text) in docs {
        w.add(NewDoc {
            id: id.clone(),
            text: text.clone(),
            ..NewDoc::default()
        })
        .unwrap();
    }
    w.commit().unwrap();
    Index::open(dir).unwrap()
}

#[test]
fn three_short_sources_each_with_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let docs = paragraphs();
    let ix = build(dir.path(), &docs);
    assert!(ix.doc_freq().is_some_and(|d| d.docs == 400));
    let sp = spinner();
    let mut all_three = 0;
    for t in 0..10usize {
        let picks = [3 * t, 3 * t + 101, 3 * t + 202];
        let parts: Vec<String> = picks
            .iter()
            .map(|&k| sp.spin_words(&docs[k].1, 3, k as u64).text)
            .collect();
        let text = parts.join("\n");
        let hits = find(&ix, &text, &FindOptions::default()).unwrap();
        let found = picks
            .iter()
            .all(|&k| hits.iter().any(|h| h.id == docs[k].0));
        all_three += usize::from(found);
        if found {
            // each source has a passage mostly inside the paragraph it came from
            let mut start = 0;
            for (n, &k) in picks.iter().enumerate() {
                let end = start + parts[n].len();
                let h = hits.iter().find(|h| h.id == docs[k].0).unwrap();
                let inside = |r: &(usize, usize)| r.1.min(end).saturating_sub(r.0.max(start));
                assert!(
                    h.ranges
                        .iter()
                        .any(|r| 2 * inside(&r.suspect) > r.suspect.1 - r.suspect.0),
                    "{:?} {start}..{end}",
                    h.ranges
                );
                assert!(h.ranges.iter().all(|r| r.source.1 <= docs[k].1.len()));
                assert!(h.evalue <= FindOptions::default().max_evalue);
                start = end + 1;
            }
        }
    }
    assert!(all_three >= 9, "{all_three}/10");
}

#[test]
fn an_exact_copy_does_not_hide_the_other_sources() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = paragraphs();
    let stitched = [&docs[7].1, &docs[150].1, &docs[333].1]
        .map(|s| s.as_str())
        .join("\n");
    docs.push(("copy".into(), stitched.clone()));
    let ix = build(dir.path(), &docs);
    let hits = find(&ix, &stitched, &FindOptions::default()).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    for want in ["copy", "p-7", "p-150", "p-333"] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    assert_eq!(ids[0], "copy");
}

#[test]
fn near_miss_when_nothing_passes() {
    let dir = tempfile::tempdir().unwrap();
    let docs = paragraphs();
    let ix = build(dir.path(), &docs);
    let spun = spinner().spin_words(&docs[42].1, 2, 9).text;
    let strict = FindOptions {
        max_evalue: 1e-300,
        ..FindOptions::default()
    };
    let f = find_all(&ix, &spun, &strict).unwrap();
    assert!(f.hits.is_empty());
    let n = f.near_miss.expect("a near miss");
    assert_eq!(n.id, "p-42");
    assert!(n.evalue > 1e-300);
    // with the default threshold it is found, and there is no near miss
    let f = find_all(&ix, &spun, &FindOptions::default()).unwrap();
    assert_eq!(f.hits.first().map(|h| h.id.as_str()), Some("p-42"));
    assert!(f.near_miss.is_none());
    // unrelated text: nothing, and nothing to hint at beyond chance
    let other = article(9_999_999, 45);
    let f = find_all(&ix, &other, &FindOptions::default()).unwrap();
    assert!(f.hits.is_empty(), "{:?}", f.hits);
}
