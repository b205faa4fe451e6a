"""Checks the Spark example's output against the CLI's check of the same crawl.

    python examples/spark/verify.py crawl.jsonl out.parquet cli.jsonl

`cli.jsonl` is `unspin check --input jsonl --format jsonl crawl.jsonl`. Every page must
have one row with the CLI's score, verdict, word count and findings.
"""

import json
import math
import sys

import pandas as pd


def main():
    crawl, out, cli = sys.argv[1:4]
    ids = [json.loads(line)["id"] for line in open(crawl, encoding="utf-8") if line.strip()]
    want = {}
    for line in open(cli, encoding="utf-8"):
        r = json.loads(line)
        want[r["id"]] = r
    got = pd.read_parquet(out)
    assert sorted(got["id"]) == sorted(ids), "one row per page"
    flagged = 0
    for row in got.itertuples(index=False):
        w = want[row.id]
        assert math.isclose(row.score, w["score"], abs_tol=0), (row.id, row.score, w["score"])
        assert row.verdict == w["verdict"] and row.words == w["words"], row.id
        findings = [
            {k: (list(v) if k == "alternatives" else v) for k, v in f.items()}
            for f in (row.findings if row.findings is not None else [])
        ]
        assert findings == w["findings"], row.id
        flagged += w["verdict"] == "spun"
    assert flagged > 0, "the generated crawl has spun pages"
    print(f"spark output: {len(got)} pages, the same scores and findings as the CLI ({flagged} spun)")


if __name__ == "__main__":
    main()
