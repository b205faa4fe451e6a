"""Writes a small generated crawl for the Spark example: JSONL lines of {"id", "url", "text"}.

Pages are made of the repository's examples (spun and clean), their paragraphs, and
shuffled mixes of their sentences, so the crawl has spun pages, clean ones and short ones.
Deterministic for a given --pages and --seed.

    python examples/spark/make_crawl.py --pages 200 > crawl.jsonl
"""

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.txt"))]
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if s.strip()]
    for k in range(a.pages):
        kind = k % 3
        if kind == 0:
            text = texts[(k // 3) % len(texts)]
        elif kind == 1:
            text = " ".join(rng.sample(sentences, min(len(sentences), rng.randint(3, 8))))
        else:
            text = rng.choice(sentences)
        print(json.dumps({"id": f"page-{k}", "url": f"https://example.invalid/{k}", "text": text}))


if __name__ == "__main__":
    main()
