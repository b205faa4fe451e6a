#!/usr/bin/env python3
"""A labelled set of copies spun in part: from a spun set of whole articles (`unspin spin`
output: text, original, edits), keep the spun text of the first FRACTION of each article's
paragraphs and the original text of the rest (edits in the kept part only).

Usage: scripts/partial-set.py FRACTION < spun.jsonl > partial.jsonl"""
import json
import sys

frac = float(sys.argv[1])
for line in sys.stdin:
    r = json.loads(line)
    spun, orig = r["text"].split("\n"), r["original"].split("\n")
    if len(spun) != len(orig):
        continue
    k = max(1, round(len(spun) * frac))
    head = "\n".join(spun[:k])
    cut = len(head.encode())
    rest = orig[k:]
    text = head + ("\n" + "\n".join(rest) if rest else "")
    edits = [e for e in r["edits"] if e["end"] <= cut]
    # offsets are bytes of UTF-8 in unspin's output; the kept head is unchanged
    print(json.dumps({"id": r["id"], "text": text, "original": r["original"], "edits": edits},
                     ensure_ascii=False))
