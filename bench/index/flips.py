#!/usr/bin/env python3
"""1,000 random byte flips in index segments, each through the real binary (the hardening
issue's target: every flip detected by `index verify` or on open, none changing an answer
silently).

Builds an index of 3 segments (examples/clean-news.txt and two more documents, one `index add`
each; --extra FILE adds FILE as one more), records the answer of `find --format json` for examples/spun-news.txt, then FLIPS times:
restores the pristine files, picks a segment and 1 to 3 random places in it (header or body),
XORs each byte with a random non-zero value, and runs
  * `unspin index verify`: must exit 1 and name exactly that segment DAMAGED, and
  * `unspin find` of the suspect: must either fail (exit 2, naming the segment file) or give
    exactly the pristine answer (a changed answer without an error is "silent").
Prints the counts; exits 1 if any flip went undetected or changed an answer silently.

Usage: flips.py [--bin target/release/unspin] [--flips 1000] [--seed 16] [--extra FILE]
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="target/release/unspin")
ap.add_argument("--flips", type=int, default=1000)
ap.add_argument("--seed", type=int, default=16)
ap.add_argument("--extra", action="append", default=[],
                help="a text or JSONL file added as one more segment (a bigger one)")
a = ap.parse_args()
rng = random.Random(a.seed)
env = dict(os.environ, NO_COLOR="1")
env.pop("UNSPIN_INDEX", None)


def run(*args):
    return subprocess.run([a.bin, *args], capture_output=True, text=True, env=env)


tmp = tempfile.mkdtemp(prefix="unspin-flips-")
idx = os.path.join(tmp, "idx")
others = [
    "Farmers in the valley harvested their wheat before the storm arrived, and the old mill by "
    "the river ground it into flour for the winter markets of the northern towns. " * 3,
    "The museum opened a new wing for paintings of the northern coast, with light from tall "
    "windows falling on the harbour scenes that the painter made in his last years. " * 3,
]
docs = ["examples/clean-news.txt", *a.extra]
for i, t in enumerate(others):
    p = os.path.join(tmp, f"doc{i}.txt")
    open(p, "w").write(t)
    docs.append(p)
for d in docs:
    o = run("index", "add", "-q", "--merge-after", "0", "--index", idx, d)
    assert o.returncode == 0, o.stderr
segs = sorted(f for f in os.listdir(idx) if f.endswith(".useg"))
assert len(segs) == len(docs), segs
pristine = {s: open(os.path.join(idx, s), "rb").read() for s in segs}
find_args = ("find", "--format", "json", "--min-passage", "10", "--index", idx, "examples/spun-news.txt")
base = run(*find_args)
assert base.returncode == 0 and json.loads(base.stdout)["sources"], base.stdout + base.stderr
answer = json.loads(base.stdout)

counts = dict(flips=0, bytes=0, header=0, verify_detected=0, find_refused=0, find_same=0,
              undetected=0, silent=0)
sizes = {s: len(b) for s, b in pristine.items()}
for k in range(a.flips):
    seg = rng.choice(segs)
    b = bytearray(pristine[seg])
    n = 1 + k % 3
    for _ in range(n):
        i = rng.randrange(len(b))
        b[i] ^= rng.randrange(1, 256)
        counts["header"] += i < 120
    counts["flips"] += 1
    counts["bytes"] += n
    path = os.path.join(idx, seg)
    open(path, "wb").write(b)
    v = run("index", "verify", "--index", idx)
    if v.returncode == 1 and f"{seg}: DAMAGED" in v.stdout and v.stdout.count("DAMAGED") == 1:
        counts["verify_detected"] += 1
    else:
        counts["undetected"] += 1
        print(f"flip {k}: verify did not detect it: {v.returncode} {v.stdout}{v.stderr}")
    f = run(*find_args)
    if f.returncode == 2 and seg in f.stderr:
        counts["find_refused"] += 1
    elif f.returncode == 0 and json.loads(f.stdout) == answer:
        counts["find_same"] += 1
    else:
        counts["silent"] += 1
        print(f"flip {k}: find answered differently without an error: {f.returncode} {f.stdout[:200]}{f.stderr}")
    open(path, "wb").write(pristine[seg])
shutil.rmtree(tmp)
print(f"segments: {len(segs)} ({', '.join(f'{s} {n:,} B' for s, n in sizes.items())})")
print(f"flips: {counts['flips']} ({counts['bytes']} bytes XORed, {counts['header']} of them in a header (its first 120 bytes))")
print(f"index verify: {counts['verify_detected']} detected, {counts['undetected']} undetected")
print(f"find: {counts['find_refused']} refused naming the segment, {counts['find_same']} same answer, "
      f"{counts['silent']} changed silently")
sys.exit(1 if counts["undetected"] or counts["silent"] else 0)
