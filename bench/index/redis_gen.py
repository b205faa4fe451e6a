#!/usr/bin/env python3
"""Data of the shared-index benchmark (bench/index/redis.sh), from the checked-in eval sets:
the originals of the dictionary-spun dev paragraphs (dev-dict-25, dev-long-dict-25) are
indexed, their spun copies are the queries (expect: the original's id); the rest of the N
documents are distractors stitched from 3-8 random sentences of the clean calibration and dev
paragraphs that are not query originals (seeded: the same set on every run).

usage: redis_gen.py N OUT_DIR"""
import json, random, re, sys
from pathlib import Path

n, out = int(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
ev = Path("data/eval")
queries, originals = [], {}
for f in [f"{s}-dict-{r}.jsonl" for s in ["dev", "dev-long"] for r in [15, 25, 40]]:
    for line in open(ev / f):
        r = json.loads(line)
        originals[r["id"]] = r["original"]
        kind = f.removesuffix(".jsonl").removeprefix("dev-")
        queries.append({"id": f"q{len(queries)}-" + r["id"], "kind": kind, "text": r["text"], "expect": [r["id"]]})
pool = []
for f in ["calib-clean.jsonl", "dev-long-clean.jsonl", "dev-clean.jsonl"]:
    for line in open(ev / f):
        r = json.loads(line)
        if r["id"] in originals:
            continue
        pool += [s for s in re.split(r"(?<=[.!?])\s+", r["text"]) if len(s.split()) >= 5]
rng = random.Random(17)
with open(out / "docs.jsonl", "w") as d:
    for i, (k, t) in enumerate(originals.items()):
        d.write(json.dumps({"id": k, "text": t}) + "\n")
    for i in range(max(0, n - len(originals))):
        t = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))
        d.write(json.dumps({"id": f"filler-{i}", "text": t}) + "\n")
with open(out / "queries.jsonl", "w") as q:
    for r in queries:
        q.write(json.dumps(r) + "\n")
print(f"{max(n, len(originals))} documents ({len(originals)} originals), {len(queries)} queries in {out}")
