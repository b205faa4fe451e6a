#!/usr/bin/env bash
# Load test of `unspin serve` against the CLI on the same text and the same cores.
#
#   bench/serve/load.sh            (after `cargo build --release -p unspin`)
#
# 1. Builds a 1,000-word spun article (make_article.py) and COPIES copies of it as JSONL.
# 2. CLI: times `unspin check --input jsonl` on 1 copy and on COPIES copies; the throughput is
#    (COPIES-1) / (t_COPIES - t_1) so that start-up and model loading do not count.
# 3. Server: `unspin serve`, warm-up, then `wrk -c CONNS -d DURATION --latency` on
#    POST /v1/check with the article, sampling the server's RSS every 2 s.
# Environment: UNSPIN_BIN (default target/release/unspin), UNSPIN_MODEL_DIR (default: built-in),
# CONNS (64), DURATION (30s), COPIES (200), WRK_THREADS (1), OUT (bench-out/serve), ROUNDS (1:
# more rounds of DURATION on the same server, to watch memory).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
bin="${UNSPIN_BIN:-$root/target/release/unspin}"
out="${OUT:-$root/bench-out/serve}"
conns="${CONNS:-64}"
duration="${DURATION:-30s}"
copies="${COPIES:-200}"
model_args=()
[ -n "${UNSPIN_MODEL_DIR:-}" ] && model_args=(--model "$UNSPIN_MODEL_DIR")
for t in wrk bc curl; do command -v $t >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $t >/dev/null; }; done
mkdir -p "$out"
python3 "$here/make_article.py" "$out" "$copies"
head -n 1 "$out/cli.jsonl" > "$out/cli1.jsonl"
now() { date +%s.%N; }
# cpu_of FILE CMD...: runs CMD, writes its CPU seconds (user + system, with children) to FILE.
cpu_of() { python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime + r.ru_stime:.3f}")' "$@"; }
tck=$(getconf CLK_TCK)
proc_cpu() { awk -v t="$tck" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }

echo "== CLI ($(nproc) cores)"
t0=$(now); cpu_of "$out/cpu1" "$bin" check --input jsonl --format jsonl "${model_args[@]}" "$out/cli1.jsonl" > "$out/cli1.out"; t1=$(now)
cpu_of "$out/cpuN" "$bin" check --input jsonl --format jsonl "${model_args[@]}" "$out/cli.jsonl" > "$out/cli.out"; t2=$(now)
cpu_one=$(cat "$out/cpu1"); cpu_all=$(cat "$out/cpuN")
cli_one=$(echo "$t1 - $t0" | bc -l)
cli_all=$(echo "$t2 - $t1" | bc -l)
cli_tput=$(echo "($copies - 1) / ($cli_all - $cli_one)" | bc -l)
cli_raw=$(echo "$copies / $cli_all" | bc -l)
cli_cpu=$(echo "($copies - 1) / ($cpu_all - $cpu_one)" | bc -l)
printf 'cli: 1 doc %.2f s, %d docs %.2f s -> %.1f docs/s (%.1f docs/s including start-up)\n' \
  "$cli_one" "$copies" "$cli_all" "$cli_tput" "$cli_raw"
printf 'cli: CPU time 1 doc %.2f s, %d docs %.2f s -> %.1f docs per CPU second\n' \
  "$cpu_one" "$copies" "$cpu_all" "$cli_cpu"

echo "== server"
"$bin" serve --addr 127.0.0.1:0 "${model_args[@]}" 2> "$out/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do grep -q "listening on" "$out/serve.log" && break; sleep 0.1; done
base="$(sed -n 's/.*listening on \(http:\/\/[^/ ]*\)\/.*/\1/p' "$out/serve.log" | head -1)"
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

# The server's answer must be the CLI's (same findings, score and restored text).
curl -fsS -H 'content-type: application/json' --data-binary @"$out/check.json" "$base/v1/check" > "$out/server1.json"
python3 - "$out/server1.json" "$out/cli1.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); c = json.loads(open(sys.argv[2]).readline())
for k in ("score", "findings", "restored"):
    assert s[k] == c[k], f"server and CLI differ in {k}"
print(f"server answer = CLI answer ({len(s['findings'])} findings, score {s['score']})")
PY

rss_start=$(rss)
BODY_FILE="$out/check.json" wrk -t "${WRK_THREADS:-1}" -c "$conns" -d 5s -s "$here/post.lua" "$base" > "$out/warmup.txt"
rss_before=$(rss)
cpu_before=$(proc_cpu $pid)
( while kill -0 $pid 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 2; done ) > "$out/rss.txt" 2>/dev/null &
sampler=$!
BODY_FILE="$out/check.json" wrk -t "${WRK_THREADS:-1}" -c "$conns" -d "$duration" --timeout 30s --latency \
  -s "$here/post.lua" "$base" | tee "$out/wrk.txt"
rss_after=$(rss)
cpu_after=$(proc_cpu $pid)
# Further rounds on the same server (ROUNDS > 1) show whether memory keeps growing.
rounds_rss="$rss_after"
for r in $(seq 2 "${ROUNDS:-1}"); do
  BODY_FILE="$out/check.json" wrk -t "${WRK_THREADS:-1}" -c "$conns" -d "$duration" --timeout 30s \
    -s "$here/post.lua" "$base" > "$out/wrk-round$r.txt"
  bad=$(awk '/Non-2xx/ {print $NF}' "$out/wrk-round$r.txt")
  echo "round $r: $(awk '/Requests\/sec/ {print $2}' "$out/wrk-round$r.txt") req/s, ${bad:-0} non-2xx"
  rounds_rss="$rounds_rss $(rss)"
done
kill $sampler 2>/dev/null || true
kill -TERM $pid; wait $pid; code=$?
trap - EXIT

tput=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")
p99=$(awk '$1=="99%" {print $2}' "$out/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/wrk.txt"); non2xx=${non2xx:-0}
sockerr=$(awk '/Socket errors/ {s=0; for(i=3;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s}' "$out/wrk.txt"); sockerr=${sockerr:-0}
rss_min=$(awk '{print $2}' "$out/rss.txt" | sort -n | head -1)
rss_max=$(awk '{print $2}' "$out/rss.txt" | sort -n | tail -1)
echo "== summary"
printf 'server: %s req/s, p99 %s, non-2xx %s, socket errors %s, exit %s\n' "$tput" "$p99" "$non2xx" "$sockerr" "$code"
printf 'server RSS (kB): at start %s, after warm-up %s, after the run %s; during the run min %s max %s\n' \
  "$rss_start" "$rss_before" "$rss_after" "$rss_min" "$rss_max"
if [ "${ROUNDS:-1}" -gt 1 ]; then echo "server RSS (kB) after each round: $rounds_rss"; fi
total=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
srv_cpu=$(echo "$total / ($cpu_after - $cpu_before)" | bc -l)
printf 'server: %d requests used %.1f CPU s -> %.1f requests per CPU second\n' "$total" "$(echo "$cpu_after - $cpu_before" | bc -l)" "$srv_cpu"
printf 'wall clock: CLI %.1f docs/s; server/CLI = %.0f%%\n' "$cli_tput" "$(echo "100 * $tput / $cli_tput" | bc -l)"
printf 'per CPU second: CLI %.1f, server %.1f; server/CLI = %.0f%%\n' "$cli_cpu" "$srv_cpu" "$(echo "100 * $srv_cpu / $cli_cpu" | bc -l)"
uptime
