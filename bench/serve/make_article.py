#!/usr/bin/env python3
"""Builds the load-test article: consecutive spun paragraphs of data/eval/test-moby-4.jsonl
joined until 1,000 words (cut at a word boundary). Writes, into OUT_DIR:
  article.txt      the article
  check.json       the request body of POST /v1/check
  cli.jsonl        the article COPIES times as JSONL records (for `unspin check --input jsonl`)
Usage: make_article.py OUT_DIR [COPIES] [SOURCE_JSONL]"""
import json, os, sys

out = sys.argv[1]
copies = int(sys.argv[2]) if len(sys.argv) > 2 else 200
src = sys.argv[3] if len(sys.argv) > 3 else "data/eval/test-moby-4.jsonl"
os.makedirs(out, exist_ok=True)
paras, words = [], 0
with open(src, encoding="utf-8") as f:
    for line in f:
        t = json.loads(line)["text"].strip()
        paras.append(t)
        words += len(t.split())
        if words >= 1000:
            break
text = "\n\n".join(paras)
# Keep exactly 1,000 words, whitespace as it was.
count, pos, in_word = 0, 0, False
for i, ch in enumerate(text):
    if ch.isspace():
        if in_word and count == 1000:
            pos = i
            break
        in_word = False
    elif not in_word:
        in_word = True
        count += 1
else:
    pos = len(text)
text = text[:pos] + "\n"
assert len(text.split()) == 1000, len(text.split())
open(os.path.join(out, "article.txt"), "w", encoding="utf-8").write(text)
json.dump({"text": text}, open(os.path.join(out, "check.json"), "w", encoding="utf-8"))
with open(os.path.join(out, "cli.jsonl"), "w", encoding="utf-8") as f:
    for i in range(copies):
        f.write(json.dumps({"id": str(i), "text": text}) + "\n")
print(f"article: {len(text.split())} words, {len(text.encode())} bytes; {copies} copies for the CLI")
