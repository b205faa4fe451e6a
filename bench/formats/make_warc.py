#!/usr/bin/env python3
"""Writes a WARC (gzipped per record, like crawlers do) of HTML responses made from texts.

    zstdcat ../shared/corpora/enwiki2018.jsonl.zst | bench/formats/make_warc.py OUT.warc.gz MB [--plain DIR]

Each JSONL line's "text" becomes one `response` record (HTTP/1.1 200, text/html, the text in
<p> paragraphs) with a request record before it, until the file holds about MB megabytes of
(uncompressed) text. With --plain DIR, the same texts are also written as DIR/NNNNNN.txt, for
the plain-text baseline of BENCHMARKS.md. Nothing here is committed.
"""
import gzip, html, json, os, sys, uuid

out, mb = sys.argv[1], float(sys.argv[2])
plain = sys.argv[sys.argv.index("--plain") + 1] if "--plain" in sys.argv else None
if plain:
    os.makedirs(plain, exist_ok=True)
limit = int(mb * 1e6)
total = n = 0


def record(kind, uri, body, ctype):
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + body + b"\r\n\r\n", 1)


with open(out, "wb") as f:
    for line in sys.stdin:
        try:
            text = json.loads(line)["text"]
        except Exception:
            continue
        uri = f"http://wiki.example/{n}"
        page = "<!DOCTYPE html><html><head><title>%d</title></head><body>%s</body></html>" % (
            n,
            "".join("<p>%s</p>\n" % html.escape(p) for p in text.split("\n") if p.strip()),
        )
        body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page.encode()
        f.write(record("request", uri, b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request"))
        f.write(record("response", uri, body, "application/http; msgtype=response"))
        if plain:
            with open(f"{plain}/{n:06}.txt", "w", encoding="utf-8") as t:
                t.write(text)
        n += 1
        total += len(text.encode())
        if total >= limit:
            break
print(f"wrote {n} records, {total / 1e6:.1f} MB of text, to {out}", file=sys.stderr)
