"""Throughput of unspin.check_many against the CLI on the same texts and cores.

    python bench/python/check_many.py [--bin target/release/unspin] [--runs 3]

Inputs are those of bench/check/speed.sh (the 2 MB mix of test-moby-4 and test-wordnet-4,
spun and clean paragraphs), written by that script's recipe into bench-out/check: the four
parts (4 texts, as speed.sh's all-cores run) and the 4,000 paragraphs as JSONL (one text
each). Runs alternate CLI and Python; wall-clock seconds and MB/s, best and median. The
Python figure includes building the result dicts; also import time and the outputs' equality.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench-out" / "check"


def make_inputs():
    OUT.mkdir(parents=True, exist_ok=True)
    texts = []
    for name in ["test-moby-4", "test-wordnet-4"]:
        for line in open(ROOT / "data" / "eval" / f"{name}.jsonl", encoding="utf-8"):
            r = json.loads(line)
            texts += [r["text"], r["original"]]
    (OUT / "mix.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    n = len(texts) // 4
    for k in range(4):
        (OUT / f"part{k}.txt").write_text("\n".join(texts[k * n:(k + 1) * n]) + "\n", encoding="utf-8")
    with open(OUT / "mix.jsonl", "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"p{i}", "text": t}) + "\n")
    return texts


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "unspin"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    t0 = time.perf_counter()
    import unspin
    print(f"import unspin: {time.perf_counter() - t0:.3f} s")
    paragraphs = make_inputs()
    parts = [(OUT / f"part{k}.txt").read_text(encoding="utf-8") for k in range(4)]
    size = sum(len(p.encode()) for p in parts)
    cases = {
        "4 parts": (
            [a.bin, "check", "--format", "jsonl"] + [str(OUT / f"part{k}.txt") for k in range(4)],
            lambda: unspin.check_many(parts),
        ),
        "4000 paragraphs": (
            [a.bin, "check", "--input", "jsonl", "--format", "jsonl", str(OUT / "mix.jsonl")],
            lambda: unspin.check_many(paragraphs),
        ),
    }
    unspin.check("warm up: the model loads once")
    print(f"cores: {os.cpu_count()}, {size / 1e6:.2f} MB")
    for name, (cmd, py) in cases.items():
        cli_t, py_t = [], []
        for _ in range(a.runs):
            t, out = timed(lambda: subprocess.run(cmd, capture_output=True, check=True).stdout)
            cli_t.append(t)
            t, reps = timed(py)
            py_t.append(t)
        cli_reps = [json.loads(line) for line in out.splitlines()]
        for r in cli_reps:
            r.pop("id", None)
            r["path"] = "-"
        same = cli_reps == reps
        mb = lambda ts: f"best {min(ts):.2f} s ({size / min(ts) / 1e6:.2f} MB/s), median {statistics.median(ts):.2f} s"
        print(f"{name}: CLI {mb(cli_t)}; check_many {mb(py_t)}; "
              f"ratio (best) {min(cli_t) / min(py_t):.2f}, (median) {statistics.median(cli_t) / statistics.median(py_t):.2f}; "
              f"same reports: {same}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
