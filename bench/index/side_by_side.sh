#!/usr/bin/env bash
# unspin vs datasketch MinHashLSH on the same 100,000 documents (the 1,000 target articles
# + paragraphs from the retrieval set) and the same queries (1,000 whole copies and 992
# single paragraphs, spun at every 2nd word). One run, both systems.
source "$(dirname "$0")/common.sh"
side_data
echo "== unspin (index add: features, MinHash, LSH postings, compressed texts, fsync; $(nproc) cores)"
rm -rf "$side/idx"
/usr/bin/time -f "unspin signatures+index build: %e s wall" \
  "$cli" index add "$side/docs.jsonl" --index "$side/idx" --quiet
rm -rf "$side/idx1"
RAYON_NUM_THREADS=1 /usr/bin/time -f "unspin signatures+index build, 1 thread: %e s wall" \
  "$cli" index add "$side/docs.jsonl" --index "$side/idx1" --quiet
"$bench" queries --index "$side/idx" --queries "$side/queries.jsonl"
echo "== unspin find, the real CLI over the same queries as one JSONL batch (process start, index open, output included)"
/usr/bin/time -f "unspin find batch, $(nproc) cores: %e s wall, %U s user" \
  "$cli" find --index "$side/idx" --input jsonl --format jsonl "$side/queries.jsonl" > "$side/find.out"
/usr/bin/time -f "unspin find batch, 1 thread: %e s wall, %U s user" \
  "$cli" find -j 1 --index "$side/idx" --input jsonl --format jsonl "$side/queries.jsonl" > "$side/find1.out"
python3 - "$side/queries.jsonl" "$side/find.out" <<'PY'
import json, sys
qs = [json.loads(l) for l in open(sys.argv[1])]
rs = [json.loads(l) for l in open(sys.argv[2])]
ok = {}
n = {}
for q, r in zip(qs, rs):
    top = r["sources"][0]["id"] if r["sources"] else None
    k = q["kind"]
    n[k] = n.get(k, 0) + 1
    ok[k] = ok.get(k, 0) + (top in q["expect"])
print("unspin find batch recall@1:", {k: round(ok[k] / n[k], 4) for k in n})
PY
echo "== datasketch"
if [ ! -x "$data/venv/bin/python" ]; then
  python3 -m venv "$data/venv"
  "$data/venv/bin/pip" install -q "datasketch==2.0.0"
fi
"$data/venv/bin/python" bench/index/datasketch_baseline.py "$side/docs.jsonl" "$side/queries.jsonl"
