#!/usr/bin/env bash
# `unspin index optimize` after many small adds: the side-by-side set's 100,000 documents added
# in 100 batches of 1,000 (100 segments), the same 1,992 queries before and after the merge.
source "$(dirname "$0")/common.sh"
side_data
m="$data/merge"
rm -rf "$m" && mkdir -p "$m/parts"
split -l 1000 --additional-suffix=.jsonl "$side/docs.jsonl" "$m/parts/p-"
for f in "$m"/parts/p-*.jsonl; do
  "$cli" index add "$f" --index "$m/idx" --quiet
done
"$cli" index stats --index "$m/idx" | grep -E "documents|segments|size"
"$bench" queries --index "$m/idx" --queries "$side/queries.jsonl" | grep -E "recall|total|latency"
/usr/bin/time -f "optimize: %e s wall, %M KB max RSS" "$cli" index optimize --index "$m/idx"
"$cli" index stats --index "$m/idx" | grep -E "documents|segments|size"
"$bench" queries --index "$m/idx" --queries "$side/queries.jsonl" | grep -E "recall|total|latency"
