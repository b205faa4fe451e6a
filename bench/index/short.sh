#!/usr/bin/env bash
# Short, heavily spun passages (issue 15): paragraphs of 20–30 and 30–60 words of enwiki2018
# articles spun by the dictionary spinner (mythes-test dictionary) at 25 % and 40 %; copies
# stitched from three paragraphs of three articles; 1,000 unrelated held-out texts (half
# paragraphs of 20–60 words, half ~250-word article heads) — hidden among N (default
# 1,000,000) indexed documents: paragraphs (>= 20 words) of enwiki2018 + enwiki2015, topped
# up with test-spinner copies of other paragraphs. Then restoration from the source:
# `unspin eval --index` on the spun paragraphs (their logged edits).
# N=100000 for a quick run; data in $BENCH_DATA/short-$N.
source "$(dirname "$0")/common.sh"
n=${N:-1000000}
dict=${DICT:-data/dicts/mythes-test.txt}
dir="$data/short-$n"
[ -s "$dir/queries.jsonl" ] || "$bench" gen-short --out "$dir" --n "$n" --dict "$dict"
rm -rf "$dir/idx"
/usr/bin/time -f "index add: %e s wall, %M KB max RSS" \
  "$cli" index add "$dir/docs.jsonl" --index "$dir/idx"
echo "index size on disk: $(du -sb "$dir/idx" | cut -f1) bytes"
"$bench" queries --index "$dir/idx" --queries "$dir/queries.jsonl" --show-misses
# restoration from the source vs source-free, per paragraph length
for w in 20-30 30-60; do
  grep "\"w$w-r" "$dir/labelled.jsonl" > "$dir/labelled-$w.jsonl"
  "$cli" eval "$dir/labelled-$w.jsonl" --index "$dir/idx"
  "$cli" eval "$dir/labelled-$w.jsonl"
done
