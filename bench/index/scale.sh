#!/usr/bin/env bash
# Scale: 1,000,000 documents of about 200 words (pieces of enwiki2015/2018 articles, then
# copies of them spun by the test spinner to reach 1M), indexed with `index add`; size on
# disk; warm `find` latency over 1,000 spun queries; peak memory of one `find` process.
source "$(dirname "$0")/common.sh"
n=${N:-1000000}
[ -s "$data/scale.jsonl" ] || "$bench" gen-scale --out "$data/scale.jsonl" --n "$n"
rm -rf "$data/idx-scale"
/usr/bin/time -f "index add: %e s wall, %M KB max RSS" \
  "$cli" index add "$data/scale.jsonl" --index "$data/idx-scale"
echo "index size on disk: $(du -sb "$data/idx-scale" | cut -f1) bytes"
"$cli" index stats --index "$data/idx-scale"
"$bench" queries --index "$data/idx-scale" --queries "$data/scale.queries.jsonl"
head -n 1 "$data/scale.queries.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["text"])' > "$data/one-query.txt"
/usr/bin/time -f "one find process: %e s wall, %M KB max RSS" \
  "$cli" find "$data/one-query.txt" --index "$data/idx-scale" > /dev/null
