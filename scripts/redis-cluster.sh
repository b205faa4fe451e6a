#!/usr/bin/env bash
# A 6-node Redis Cluster (3 primaries, 3 replicas) on loopback, for a shared unspin index
# and its tests:
#
#   scripts/redis-cluster.sh start [DIR]   start it (data, logs and pids in DIR); prints the URL
#   scripts/redis-cluster.sh stop  [DIR]   stop the nodes started in DIR and remove DIR
#   scripts/redis-cluster.sh url           the index URL for these ports
#
# PORT (default 7000) is the first of six ports PORT..PORT+5; DIR defaults to
# ${TMPDIR:-/tmp}/unspin-redis-cluster-PORT. Needs Debian's redis-server and redis-cli
# (`apt-get install redis-server`). The nodes keep no data on disk (no RDB, no AOF): stopping
# the cluster drops the index. Use it as:
#
#   export UNSPIN_REDIS_CLUSTER=$(scripts/redis-cluster.sh start)
#   unspin index add docs.jsonl --index "$UNSPIN_REDIS_CLUSTER"
set -euo pipefail
cmd=${1:-}
port=${PORT:-7000}
dir=${2:-${TMPDIR:-/tmp}/unspin-redis-cluster-$port}
ports=$(seq "$port" $((port + 5)))

url() {
  local hosts=()
  for p in $ports; do hosts+=("127.0.0.1:$p"); done
  (IFS=,; echo "redis://${hosts[*]}")
}

stop() {
  for p in $ports; do
    local pf="$dir/$p/redis.pid"
    if [ -s "$pf" ]; then
      local pid
      pid=$(cat "$pf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

start() {
  command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 2; }
  stop
  mkdir -p "$dir"
  for p in $ports; do
    mkdir -p "$dir/$p"
    redis-server --port "$p" --bind 127.0.0.1 --daemonize yes \
      --dir "$dir/$p" --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log" \
      --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" \
      --cluster-node-timeout 2000 --cluster-replica-validity-factor 0 \
      --save "" --appendonly no >/dev/null
  done
  for p in $ports; do
    for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  local hosts=()
  for p in $ports; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; exit 1; }
  # every node sees the cluster whole, and every replica is in sync with its primary
  for _ in $(seq 200); do
    local ok=1
    for p in $ports; do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
      if redis-cli -p "$p" info replication 2>/dev/null | grep -q '^role:slave'; then
        redis-cli -p "$p" info replication | grep -q '^master_link_status:up' || ok=0
      fi
    done
    [ $ok = 1 ] && { url; return 0; }
    sleep 0.1
  done
  echo "the cluster in $dir did not come up (see $dir/*/redis.log)" >&2
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url [DIR]" >&2; exit 2 ;;
esac
