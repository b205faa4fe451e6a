//! The WARC reader on mutated crawls: no panic, every item a document or a bad record with
//! a line inside the file.

use proptest::prelude::*;
use unspin_input::{InputError, Item, Options, warc};

fn record(kind: &str, id: usize, http: &str) -> String {
    format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: http://x.example/{id}\r\n\
         WARC-Record-ID: <urn:uuid:{id}>\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
        http.len()
    )
}

fn crawl() -> String {
    (0..6)
        .map(|i| {
            record(
                if i % 3 == 2 { "request" } else { "response" },
                i,
                &format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>Page {i} text é</p>"
                ),
            )
        })
        .collect()
}

fn read(bytes: &[u8], max_bytes: u64) -> Vec<Item> {
    let opts = Options {
        max_bytes,
        ..Options::default()
    };
    let mut v = Vec::new();
    warc::read::<InputError>("m.warc", bytes, &opts, &|| 0, &mut |i, _| {
        v.push(i);
        Ok(())
    })
    .unwrap();
    v
}

#[test]
fn the_crawl_reads_whole() {
    let v = read(crawl().as_bytes(), 1 << 20);
    assert_eq!(v.len(), 4);
    assert!(
        v.iter()
            .all(|i| matches!(i, Item::Doc(d) if d.html && d.url.starts_with("http://x.example/")))
    );
    // a record over the limit is reported, not held, and the rest is read
    let v = read(crawl().as_bytes(), 40);
    assert_eq!(v.len(), 4);
    assert!(
        v.iter()
            .all(|i| matches!(i, Item::Bad(b) if b.error.contains("limit")))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_crawls_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = crawl().into_bytes();
        for (i, b) in edits {
            let k = i.index(bytes.len());
            bytes[k] = b;
        }
        bytes.truncate(cut.index(bytes.len()).max(bytes.len() / 3));
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        for item in read(&bytes, 1 << 20) {
            match item {
                Item::Doc(d) => prop_assert!(d.line.is_some_and(|l| l <= lines)),
                Item::Bad(b) => prop_assert!(b.line >= 1 && b.line <= lines),
            }
        }
    }
}
