# Shared setup for the index benchmarks: builds the tools, sets paths.
# BENCH_DATA (default: target/bench-index) holds generated data and indexes (large; not committed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
data=${BENCH_DATA:-$root/target/bench-index}
mkdir -p "$data"
cargo build --release -q -p unspin-index --example bench
cargo build --release -q -p unspin
bench="$root/target/release/examples/bench"
cli="$root/target/release/unspin"
[ -s data/sources/moby.txt ] || scripts/fetch-sources.sh
retrieval_data() {
  if [ ! -s "$data/retrieval/queries.jsonl" ]; then
    "$bench" gen-retrieval --out "$data/retrieval"
  fi
}
# The side-by-side set: the first 100,000 retrieval documents and the whole/paragraph queries.
side_data() {
  retrieval_data
  side="$data/side"
  mkdir -p "$side"
  head -n 100000 "$data/retrieval/docs.jsonl" > "$side/docs.jsonl"
  grep -E '"kind": ?"(whole|paragraph)"' "$data/retrieval/queries.jsonl" > "$side/queries.jsonl"
}
