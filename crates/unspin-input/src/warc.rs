//! WARC crawls (`.warc`, `.warc.gz`), read as a stream of documents.
//!
//! Every `response` record whose HTTP body is HTML (`text/html`, `application/xhtml+xml`) or
//! plain text (`text/plain`) is one document, and so is a `resource` record of those types:
//! its `WARC-Target-URI` is the document's `url`, its `WARC-Record-ID` its `id`, and `line`
//! the line of the file (decompressed) where the record starts. HTTP headers are stripped;
//! chunked and gzip/deflate-encoded bodies are decoded; bodies are read as UTF-8 (invalid
//! bytes replaced). Other records (requests, metadata, images…) are passed over.
//!
//! Reading holds one record at a time: memory is bounded by the size limit of a document
//! (`--max-bytes`), whatever the size of the file. A `.gz` file (or one that starts with
//! the gzip magic) is decompressed as it is read, member after member. A broken record (a
//! header that is not WARC, no `Content-Length`, a body over the limit) becomes a
//! [`BadLine`] and reading goes on at the next record; a file cut off inside a record ends
//! with one.

use crate::{BadLine, Doc, InputError, Item, Options, human_bytes};
use std::io::{BufRead, Read};

/// True for `.warc` and `.warc.gz` file names.
pub fn is_warc_name(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.ends_with(".warc") || p.ends_with(".warc.gz")
}

/// True when `start` begins like a WARC file: `WARC/1.` (uncompressed) or, for a name
/// ending in `.warc.gz`, anything (the gzip magic is checked when reading).
pub fn looks_like_warc(start: &[u8]) -> bool {
    start.starts_with(b"WARC/1.")
}

/// True when `start` is gzip data.
pub fn is_gzip(start: &[u8]) -> bool {
    start.starts_with(&[0x1f, 0x8b])
}

/// Longest header line read.
const MAX_LINE: u64 = 64 << 10;

/// The reading of one WARC stream.
struct Reader<'a, R> {
    path: &'a str,
    r: R,
    /// Lines read so far.
    line: usize,
    /// A record header line met while looking for the next record.
    pending: Option<Vec<u8>>,
}

/// A record's WARC headers.
#[derive(Default)]
struct Head {
    kind: String,
    uri: String,
    id: Option<String>,
    length: Option<u64>,
    content_type: String,
}

impl<R: BufRead> Reader<'_, R> {
    fn io(&self, e: &std::io::Error) -> InputError {
        InputError::io(self.path, e)
    }

    fn bad(&self, line: usize, id: Option<String>, error: impl Into<String>) -> Item {
        Item::Bad(BadLine {
            path: self.path.into(),
            line,
            id,
            error: error.into(),
        })
    }

    /// The next line (with its line break), or `None` at the end.
    fn next_line(&mut self) -> Result<Option<Vec<u8>>, InputError> {
        if let Some(l) = self.pending.take() {
            return Ok(Some(l));
        }
        let mut buf = Vec::new();
        let n = (&mut self.r)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .map_err(|e| self.io(&e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(buf))
    }

    /// Skips to the next line that starts a record (kept for [`next_line`](Self::next_line)).
    fn resync(&mut self) -> Result<(), InputError> {
        while let Some(l) = self.next_line()? {
            if l.starts_with(b"WARC/1.") {
                self.pending = Some(l);
                return Ok(());
            }
        }
        Ok(())
    }

    /// Reads the headers after the version line.
    fn head(&mut self) -> Result<Head, InputError> {
        let mut h = Head::default();
        while let Some(l) = self.next_line()? {
            let t = String::from_utf8_lossy(&l);
            let t = t.trim_end();
            if t.is_empty() {
                break;
            }
            let Some((k, v)) = t.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "warc-type" => h.kind = v.to_ascii_lowercase(),
                "warc-target-uri" => h.uri = v.trim_matches(['<', '>']).to_string(),
                "warc-record-id" => h.id = Some(v.to_string()),
                "content-length" => h.length = v.parse().ok(),
                "content-type" => h.content_type = v.to_ascii_lowercase(),
                _ => {}
            }
        }
        Ok(h)
    }

    /// Reads (or, when over `max`, skips) a body of `len` bytes; `Ok(None)` when skipped,
    /// `Err(true)` when the file ends inside it.
    fn body(&mut self, len: u64, max: u64) -> Result<Result<Option<Vec<u8>>, bool>, InputError> {
        if len > max {
            let n = std::io::copy(&mut (&mut self.r).take(len), &mut std::io::sink())
                .map_err(|e| self.io(&e))?;
            return Ok(if n < len { Err(true) } else { Ok(None) });
        }
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        (&mut self.r)
            .take(len)
            .read_to_end(&mut buf)
            .map_err(|e| self.io(&e))?;
        if (buf.len() as u64) < len {
            return Ok(Err(true));
        }
        self.line += buf.iter().filter(|&&b| b == b'\n').count();
        Ok(Ok(Some(buf)))
    }

    /// The next item: a document, a broken record, or `None` for a record that is not a
    /// document; `Err(None)` at the end of the stream.
    fn record(&mut self, opts: &Options) -> Result<Result<Option<Item>, ()>, InputError> {
        let first = loop {
            match self.next_line()? {
                None => return Ok(Err(())),
                Some(l) if l.trim_ascii().is_empty() => continue,
                Some(l) => break l,
            }
        };
        let at = self.line;
        if !first.starts_with(b"WARC/1.") {
            self.resync()?;
            return Ok(Ok(Some(self.bad(
                at,
                None,
                "not a WARC record (a record starts with \"WARC/1.0\"); skipped to the next",
            ))));
        }
        let h = self.head()?;
        let Some(len) = h.length else {
            self.resync()?;
            return Ok(Ok(Some(self.bad(
                at,
                h.id,
                "WARC record without a valid Content-Length; skipped to the next",
            ))));
        };
        let body = match self.body(len, opts.max_bytes)? {
            Err(_) => {
                return Ok(Ok(Some(self.bad(
                    at,
                    h.id,
                    "the file ends inside this record (truncated)",
                ))));
            }
            Ok(None) if matches!(h.kind.as_str(), "response" | "resource") => {
                return Ok(Ok(Some(self.bad(
                    at,
                    h.id,
                    format!(
                        "record is larger than the limit of {} (raise it with --max-bytes)",
                        human_bytes(opts.max_bytes)
                    ),
                ))));
            }
            Ok(None) => return Ok(Ok(None)),
            Ok(Some(b)) => b,
        };
        let doc = match h.kind.as_str() {
            "response" => match http_body(&body) {
                Ok(Some((ctype, b))) => kind_of(&ctype).map(|html| (html, b)),
                Ok(None) => None,
                Err(why) => return Ok(Ok(Some(self.bad(at, h.id, why)))),
            },
            "resource" => kind_of(&h.content_type).map(|html| (html, body)),
            _ => None,
        };
        let Some((html, bytes)) = doc else {
            return Ok(Ok(None));
        };
        let text = String::from_utf8_lossy(&bytes).replace('\0', " ");
        if !opts.allow_empty && text.trim().is_empty() {
            return Ok(Ok(None));
        }
        Ok(Ok(Some(Item::Doc(Doc {
            path: self.path.into(),
            line: Some(at),
            id: h.id,
            url: h.uri,
            text,
            html,
            ..Doc::default()
        }))))
    }
}

/// Whether a content type is a document: `Some(true)` for HTML, `Some(false)` for text.
fn kind_of(ctype: &str) -> Option<bool> {
    let t = ctype.split(';').next().unwrap_or("").trim();
    match t {
        "text/html" | "application/xhtml+xml" => Some(true),
        "text/plain" => Some(false),
        _ => None,
    }
}

/// The content type and decoded body of an HTTP response; `None` when it has no body of a
/// known encoding; an error for a response that is not HTTP.
fn http_body(raw: &[u8]) -> Result<Option<(String, Vec<u8>)>, String> {
    if !raw.starts_with(b"HTTP/") {
        return Err("response record without an HTTP response in it".into());
    }
    let (head_end, skip) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (i, 4),
        None => match raw.windows(2).position(|w| w == b"\n\n") {
            Some(i) => (i, 2),
            None => return Err("HTTP response without the end of its headers".into()),
        },
    };
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let (mut ctype, mut chunked, mut enc) = (String::new(), false, String::new());
    for l in head.lines().skip(1) {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim().to_ascii_lowercase();
            match k.trim().to_ascii_lowercase().as_str() {
                "content-type" => ctype = v,
                "transfer-encoding" => chunked = v.contains("chunked"),
                "content-encoding" => enc = v,
                _ => {}
            }
        }
    }
    if kind_of(&ctype).is_none() {
        return Ok(None);
    }
    let mut body = raw[head_end + skip..].to_vec();
    if chunked {
        body = dechunk(&body).ok_or("HTTP body with broken chunked encoding")?;
    }
    match enc.as_str() {
        "" | "identity" => {}
        "gzip" | "x-gzip" | "deflate" => {
            let mut out = Vec::new();
            let ok = if enc == "deflate" {
                flate2::read::ZlibDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .is_ok()
            } else {
                flate2::read::MultiGzDecoder::new(&body[..])
                    .read_to_end(&mut out)
                    .is_ok()
            };
            if !ok {
                return Err(format!("HTTP body not readable as {enc}"));
            }
            body = out;
        }
        _ => return Ok(None),
    }
    Ok(Some((ctype, body)))
}

/// Decodes a chunked HTTP body.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let nl = b.iter().position(|&c| c == b'\n')?;
        let size_line = std::str::from_utf8(&b[..nl]).ok()?;
        let size_hex = size_line.split(';').next()?.trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        b = &b[nl + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size..)?;
        b = b.strip_prefix(b"\r").unwrap_or(b);
        b = b.strip_prefix(b"\n").unwrap_or(b);
    }
}

/// Streams the documents of the WARC `r` (already decompressed) to `f`, with the bytes of
/// the source consumed so far as `consumed()` tells them.
pub fn read<E: From<InputError>>(
    path: &str,
    r: impl BufRead,
    opts: &Options,
    consumed: &dyn Fn() -> u64,
    f: &mut dyn FnMut(Item, u64) -> Result<(), E>,
) -> Result<(), E> {
    let mut rd = Reader {
        path,
        r,
        line: 0,
        pending: None,
    };
    loop {
        match rd.record(opts)? {
            Err(()) => return Ok(()),
            Ok(None) => {}
            Ok(Some(item)) => f(item, consumed())?,
        }
    }
}

/// Counts the bytes read through it (of a compressed file, for progress).
pub struct Counting<R> {
    /// The reader.
    pub inner: R,
    /// Bytes read so far.
    pub count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, uri: &str, id: &str, body: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Record-ID: {id}\r\n\
             Content-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn items(bytes: &[u8]) -> Vec<Item> {
        let mut v = Vec::new();
        read::<InputError>("c.warc", bytes, &Options::default(), &|| 0, &mut |i, _| {
            v.push(i);
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn responses_with_html_or_text_are_documents() {
        let mut w = record(
            "response",
            "http://a.example/",
            "<urn:uuid:1>",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello</p>",
        );
        w.extend(record(
            "request",
            "http://a.example/",
            "<urn:uuid:2>",
            b"GET / HTTP/1.1\r\n\r\n",
        ));
        w.extend(record(
            "response",
            "http://b.example/x.png",
            "<urn:uuid:3>",
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
        ));
        w.extend(record(
            "response",
            "http://c.example/t",
            "<urn:uuid:4>",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n6\r\n world\r\n0\r\n\r\n",
        ));
        let v = items(&w);
        assert_eq!(v.len(), 2, "{v:?}");
        let Item::Doc(d) = &v[0] else { panic!() };
        assert_eq!(
            (
                d.url.as_str(),
                d.id.as_deref(),
                d.text.as_str(),
                d.html,
                d.line
            ),
            (
                "http://a.example/",
                Some("<urn:uuid:1>"),
                "<p>Hello</p>",
                true,
                Some(1)
            )
        );
        let Item::Doc(d) = &v[1] else { panic!() };
        assert_eq!((d.text.as_str(), d.html), ("Hello world", false));
    }

    #[test]
    fn broken_records_are_reported_and_skipped() {
        let good = record(
            "response",
            "http://a.example/",
            "<urn:uuid:1>",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfine text",
        );
        let mut w = b"garbage line\nmore\n".to_vec();
        w.extend(&good);
        w.extend(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:9>\r\n\r\nno length\r\n\r\n");
        w.extend(&good);
        w.extend(&good[..good.len() - 20]);
        let v = items(&w);
        let kinds: Vec<&str> = v
            .iter()
            .map(|i| match i {
                Item::Doc(_) => "doc",
                Item::Bad(_) => "bad",
            })
            .collect();
        assert_eq!(kinds, ["bad", "doc", "bad", "doc", "bad"], "{v:?}");
        let Item::Bad(b) = &v[2] else { panic!() };
        assert_eq!(b.id.as_deref(), Some("<urn:uuid:9>"));
        assert!(b.error.contains("Content-Length"), "{b}");
        let Item::Bad(b) = &v[4] else { panic!() };
        assert!(b.error.contains("truncated"), "{b}");
    }
}
