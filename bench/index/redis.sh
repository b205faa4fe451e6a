#!/usr/bin/env bash
# The shared index on Redis Cluster against the embedded store (issue 17): `index add`
# throughput, `find` recall@1 and latency (p50/p99, warm, one thread), memory per document,
# the same top-1 from both stores, and two `find` processes sharing one cluster index.
#
# Data (bench/index/redis_gen.py, from the checked-in eval sets): N documents (default
# 100,000): the 360 originals of the dictionary-spun dev paragraphs and distractors stitched
# from other paragraphs' sentences; 1,080 queries (the spun copies at 15, 25 and 40 %).
# The cluster: scripts/redis-cluster.sh on ports PORT..PORT+5 (default 7000), started fresh.
# N=1000000 for the full size (memory: about 2.5 KB per document in the cluster, see BENCHMARKS.md).
source "$(dirname "$0")/common.sh"
n=${N:-100000}
port=${PORT:-7000}
dir="$data/redis-$n"
python3 bench/index/redis_gen.py "$n" "$dir"
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(redis-server --version | cut -d' ' -f3), $(date -u +%F)"

echo "== embedded store"
rm -rf "$dir/idx"
/usr/bin/time -f "embedded index add: %e s wall, %M KB max RSS" \
  "$cli" index add "$dir/docs.jsonl" --index "$dir/idx" --quiet
echo "embedded index bytes on disk: $(du -sb "$dir/idx" | cut -f1)"
"$bench" queries --index "$dir/idx" --queries "$dir/queries.jsonl" --dump "$dir/top-embedded.jsonl"

echo "== Redis Cluster (3 primaries + 3 replicas on loopback)"
PORT=$port scripts/redis-cluster.sh stop "$dir/cluster" >/dev/null
url=$(PORT=$port scripts/redis-cluster.sh start "$dir/cluster")/bench
used() { # bytes used by all six nodes
  local t=0
  for p in $(seq "$port" $((port + 5))); do
    t=$((t + $(redis-cli -p "$p" info memory | awk -F: '/^used_memory:/{print $2+0}')))
  done
  echo $t
}
before=$(used)
/usr/bin/time -f "cluster index add: %e s wall, %M KB max RSS" \
  "$cli" index add "$dir/docs.jsonl" --index "$url" --quiet
after=$(used)
echo "cluster memory (6 nodes, replicas included): $((after - before)) bytes, $(( (after - before) / n )) bytes per document"
"$cli" index stats --index "$url"
"$bench" queries --index "$url" --queries "$dir/queries.jsonl" --dump "$dir/top-cluster.jsonl"
# the dumps list every reported source; rank 0 is the top-1 (lower ranks may order ties differently)
top1() { awk -F'\t' '$3==0' "$1"; }
if diff -q <(top1 "$dir/top-embedded.jsonl") <(top1 "$dir/top-cluster.jsonl") >/dev/null; then
  echo "top-1 of both stores: identical for every query ($(top1 "$dir/top-embedded.jsonl" | wc -l) with a source)"
else
  echo "top-1 of both stores: DIFFERENT: $(diff <(top1 "$dir/top-embedded.jsonl") <(top1 "$dir/top-cluster.jsonl") | grep -c '^<') queries"
fi

echo "== two find processes sharing the cluster index (the same queries, at once)"
/usr/bin/time -f "find process A: %e s wall" "$cli" find -j 1 --index "$url" --input jsonl --format jsonl "$dir/queries.jsonl" > "$dir/findA.out" &
/usr/bin/time -f "find process B: %e s wall" "$cli" find -j 1 --index "$url" --input jsonl --format jsonl "$dir/queries.jsonl" > "$dir/findB.out" &
wait
cmp -s "$dir/findA.out" "$dir/findB.out" && echo "both find processes: the same answers"
PORT=$port scripts/redis-cluster.sh stop "$dir/cluster"

echo "== datasketch MinHashLSH with its Redis storage (single node: it does not support Cluster)"
venv=${VENV:-$data/venv-redis}
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "datasketch==2.0.0" redis; }
sp=$((port + 10))
mkdir -p "$dir/single"
redis-server --port "$sp" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
  --dir "$dir/single" --pidfile "$dir/single/redis.pid" --logfile "$dir/single/redis.log"
for _ in $(seq 50); do redis-cli -p "$sp" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$sp" flushall >/dev/null
"$venv/bin/python" bench/index/datasketch_baseline.py "$dir/docs.jsonl" "$dir/queries.jsonl" --all-kinds --redis "127.0.0.1:$sp"
echo "datasketch Redis memory: $(redis-cli -p "$sp" info memory | awk -F: '/^used_memory:/{print $2+0}') bytes"
kill "$(cat "$dir/single/redis.pid")"
