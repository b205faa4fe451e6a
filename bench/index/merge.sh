#!/usr/bin/env bash
# `unspin index optimize` after many small adds: the side-by-side set's 100,000 documents added
# in 100 batches of 1,000 with automatic merging off (100 segments), the same 1,992 queries
# before and after the merge; then the same adds with automatic merging on (the default).
source "$(dirname "$0")/common.sh"
side_data
m="$data/merge"
rm -rf "$m" && mkdir -p "$m/parts"
split -l 1000 --additional-suffix=.jsonl "$side/docs.jsonl" "$m/parts/p-"
for f in "$m"/parts/p-*.jsonl; do
  "$cli" index add "$f" --index "$m/idx" --quiet --merge-after 0
done
"$cli" index stats --index "$m/idx" | grep -E "documents|segments|size"
"$bench" queries --index "$m/idx" --queries "$side/queries.jsonl" | grep -E "recall|total|latency"
/usr/bin/time -f "optimize: %e s wall, %M KB max RSS" "$cli" index optimize --index "$m/idx"
"$cli" index stats --index "$m/idx" | grep -E "documents|segments|size"
"$bench" queries --index "$m/idx" --queries "$side/queries.jsonl" | grep -E "recall|total|latency"
echo "== the same 100 adds with automatic merging (default --merge-after 10)"
rm -rf "$m/idx-auto"
/usr/bin/time -f "100 adds: %e s wall" sh -c 'for f in "$1"/parts/p-*.jsonl; do "$2" index add "$f" --index "$1/idx-auto" --quiet; done' sh "$m" "$cli"
"$cli" index stats --index "$m/idx-auto" | grep -E "documents|segments|size"
"$bench" queries --index "$m/idx-auto" --queries "$side/queries.jsonl" | grep -E "recall|total|latency"
