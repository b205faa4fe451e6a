#!/usr/bin/env bash
# Writes N (default 1000) texts of ~12 kB (about 4 pages of 40 lines) cut from a corpus, and
# the same texts as PDFs (crates/unspin-input/examples/make_pdf), for the PDF throughput
# benchmark in BENCHMARKS.md:
#   bench/formats/make_pdfs.sh OUT_DIR [N] [CORPUS.jsonl.zst]
# (default corpus: ../shared/corpora/enwiki2018.jsonl.zst, Wikipedia articles, "text" field)
# gives OUT_DIR/txt/NNNN.txt and OUT_DIR/pdf/NNNN.pdf. Nothing here is committed.
set -euo pipefail
out=${1:?usage: make_pdfs.sh OUT_DIR [N] [CORPUS]}
n=${2:-1000}
corpus=${3:-../shared/corpora/enwiki2018.jsonl.zst}
mkdir -p "$out/txt" "$out/pdf"
zstdcat "$corpus" | head -c 100000000 | python3 -c '
import sys, json
words = []
for line in sys.stdin:
    try:
        words += json.loads(line)["text"].split()
    except Exception:
        pass
    if len(words) > 2000 * int(sys.argv[2]):
        break
json.dump(words, open(sys.argv[1] + "/../words.json", "w"))
' "$out/txt" "$n" || true  # head and python stop zstdcat early (SIGPIPE)
python3 - "$out/txt" "$n" <<'PY'
import sys, json
out, n = sys.argv[1], int(sys.argv[2])
words = json.load(open(out + "/../words.json"))
per = 2000  # words: ~12 kB, 4 pages of 40 lines of 80 characters
for i in range(n):
    start = (i * per) % max(1, len(words) - per)
    chunk = words[start:start + per]
    paras = [" ".join(chunk[k:k + 120]) for k in range(0, len(chunk), 120)]
    open(f"{out}/{i:04}.txt", "w", encoding="utf-8").write("\n\n".join(paras) + "\n")
PY
cargo build -q --release -p unspin-input --example make_pdf
args=()
for t in "$out"/txt/*.txt; do
  b=$(basename "$t" .txt)
  args+=("$t" "$out/pdf/$b.pdf")
done
target/release/examples/make_pdf "${args[@]}"
echo "wrote $(ls "$out/pdf" | wc -l) PDFs to $out/pdf"
