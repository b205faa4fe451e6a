#!/usr/bin/env bash
# Throughput of `unspin check` on a mix of spun and clean text (from scripts/make-eval.sh):
# one thread on one file, then all cores on several files; peak memory; model load time.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-target/release/unspin}
out=${OUT:-bench-out/check}
mkdir -p "$out"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
texts = []
for name in ["test-moby-4", "test-wordnet-4"]:
    for line in open(f"data/eval/{name}.jsonl"):
        r = json.loads(line)
        texts += [r["text"], r["original"]]
with open(f"{out}/mix.txt", "w") as f:
    f.write("\n".join(texts) + "\n")
# four parts for the multi-core run
n = len(texts) // 4
for k in range(4):
    with open(f"{out}/part{k}.txt", "w") as f:
        f.write("\n".join(texts[k * n:(k + 1) * n]) + "\n")
PY
size=$(stat -c %s "$out/mix.txt")
echo "mix: $size bytes (spun and clean paragraphs, half each)"
/usr/bin/time -f "%e s wall, %U s user, %M KB peak RSS" "$bin" check -j 1 --format jsonl "$out/mix.txt" > /dev/null 2> "$out/one.txt" || true
cat "$out/one.txt"
python3 -c "import sys; t=float(open('$out/one.txt').read().split()[0]); print('single thread: %.2f MB/s' % ($size/t/1e6))"
/usr/bin/time -f "%e s wall, %U s user, %M KB peak RSS" "$bin" check --format jsonl "$out"/part*.txt > /dev/null 2> "$out/all.txt" || true
cat "$out/all.txt"
python3 -c "import os; t=float(open('$out/all.txt').read().split()[0]); print('all cores (%d): %.2f MB/s' % (os.cpu_count(), $size/t/1e6))"
echo -n "" > "$out/empty.txt"
/usr/bin/time -f "start-up + model load on an empty file: %e s wall, %M KB peak RSS" "$bin" check "$out/empty.txt" > /dev/null 2> "$out/load.txt" || true
grep start-up "$out/load.txt"
"$bin" model info | grep loaded
