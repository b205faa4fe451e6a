#!/usr/bin/env python3
"""Held-out tortured phrases in running text.

`bench/check/tortured.sh` checks each held-out tortured phrase on its own. Papers carry them
inside paragraphs, where a single odd phrase among clean words must still stand out. This
script finds, for each held-out row, a paragraph of enwiki2018 (not the LM's corpus) in which
the expected term occurs as plain words, writes the paragraph with the term replaced by the
tortured phrase (spun) and as it is (clean), checks both with the hold-out lexicon, and
reports: tortured phrases detected (a finding overlaps the phrase), restored (a finding covers
the phrase and its suggestion is the term), false alarms per 1,000 words on the clean
paragraphs and on the rest of the spun ones.

Usage: python3 bench/check/tortured-context.py [--seed 1] [--args "--threshold 0.5"]
(run bench/check/tortured.sh first with the same SEED: it builds the hold-out lexicon).
"""

import argparse
import json
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--seed", default="1")
ap.add_argument("--args", default="")
ap.add_argument("--per-row", type=int, default=1, help="paragraphs per held-out row")
ap.add_argument("--bin", default="target/release/unspin")
ap.add_argument("--corpus", default="../shared/corpora/enwiki2018.jsonl.zst")
a = ap.parse_args()
out = f"bench-out/tortured-{a.seed}"

rows = [json.loads(line) for line in open(f"{out}/heldout.jsonl")]
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
by_first = {}
for r in rows:
    words = r["expected"].split()
    spun = r["text"].split()
    if len(words) < 1 or not spun or r["expected"] == r["text"]:
        continue
    by_first.setdefault(words[0], []).append(r)

found = {}
proc = subprocess.Popen(["zstd", "-dc", a.corpus], stdout=subprocess.PIPE, text=True)
for line in proc.stdout:
    doc = json.loads(line)
    for para in doc["text"].split("\n"):
        n_words = len(para.split())
        if n_words < 30 or n_words > 250:
            continue
        toks = [(m.start(), m.end(), m.group().lower()) for m in WORD.finditer(para)]
        for k, (s, _, w) in enumerate(toks):
            for r in by_first.get(w, ()):
                rid = r["id"]
                if len(found.get(rid, [])) >= a.per_row:
                    continue
                words = r["expected"].split()
                seq = toks[k:k + len(words)]
                if [t[2] for t in seq] != words:
                    continue
                start, end = seq[0][0], seq[-1][1]
                # only plain words separated by single spaces
                if para[start:end].lower() != r["expected"]:
                    continue
                if start > 0 and para[start - 1].isalnum() or end < len(para) and para[end].isalnum():
                    continue
                orig = para[start:end].split()
                spun = r["text"].split()
                # carry the case of each original word's first letter
                spun = [
                    (w[0].upper() + w[1:]) if i < len(orig) and orig[i][0].isupper() else w
                    for i, w in enumerate(spun)
                ]
                phrase = " ".join(spun)
                text = para[:start] + phrase + para[end:]
                found.setdefault(rid, []).append(
                    {"clean": para, "spun": text, "start": start, "end": start + len(phrase),
                     "expected": r["expected"]})
proc.wait()

cases = [c for rid in found for c in found[rid]]
with open(f"{out}/context-spun.jsonl", "w") as f:
    for n, c in enumerate(cases):
        f.write(json.dumps({"id": n, "text": c["spun"], "start": c["start"], "end": c["end"],
                            "expected": c["expected"]}) + "\n")
with open(f"{out}/context-clean.jsonl", "w") as f:
    for n, c in enumerate(cases):
        f.write(json.dumps({"id": n, "text": c["clean"]}) + "\n")


def check(path):
    cmd = [a.bin, "check", "--model", f"{out}/model", "--input", "jsonl", "--format", "jsonl"]
    cmd += a.args.split() + [path]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit(res.stderr)
    return {str(d["id"]): d for d in map(json.loads, res.stdout.splitlines())}


spun = check(f"{out}/context-spun.jsonl")
clean = check(f"{out}/context-clean.jsonl")
det = rest = other = 0
spun_words = clean_words = clean_fa = 0
for n, c in enumerate(cases):
    d = spun[str(n)]
    hit = [f for f in d["findings"] if f["start"] < c["end"] and f["end"] > c["start"]]
    det += bool(hit)
    covered = d["restored"]
    # restored: the text around the phrase is unchanged and the phrase reads as the term
    pre, post = c["spun"][:c["start"]], c["spun"][c["end"]:]
    fixed = [f for f in hit if f["start"] >= c["start"] and f["end"] <= c["end"]]
    if fixed:
        s = c["spun"][c["start"]:c["end"]]
        for f in sorted(fixed, key=lambda f: -f["start"]):
            s = s[:f["start"] - c["start"]] + f["suggestion"] + s[f["end"] - c["start"]:]
        rest += " ".join(s.lower().split()) == c["expected"]
    other += len(d["findings"]) - len(hit)
    spun_words += len(c["spun"].split()) - len(c["expected"].split())
    clean_words += len(c["clean"].split())
    clean_fa += len(clean[str(n)]["findings"])
n = len(cases)
print(f"held-out rows with a paragraph in {a.corpus.split('/')[-1]}: {len(found)} of {len(rows)}; "
      f"paragraphs {n}")
print(f"tortured phrase detected {det} ({100 * det / max(n, 1):.1f}%), "
      f"restored exactly {rest} ({100 * rest / max(n, 1):.1f}%)")
print(f"false alarms per 1k words: clean paragraphs {1000 * clean_fa / max(clean_words, 1):.2f}, "
      f"rest of the spun paragraphs {1000 * other / max(spun_words, 1):.2f}")
