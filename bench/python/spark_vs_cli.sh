#!/usr/bin/env bash
# The Spark example (local[2]) against the CLI on the same texts: the 4,000 paragraphs of the
# 2 MB mix (bench-out/check/mix.jsonl, written by bench/python/check_many.py). Uses SPARK_VENV
# (default ~/.cache/unspin-spark-venv, with pyspark, pandas, pyarrow and the unspin wheel).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${SPARK_VENV:-$HOME/.cache/unspin-spark-venv}"
bin="${BIN:-target/release/unspin}"
in="${INPUT:-bench-out/check/mix.jsonl}"  # INPUT=bench-out/check/mix10.jsonl: the mix 10 times
size=$(stat -c %s "$in")
for run in 1 2; do
  /usr/bin/time -f "CLI: %e s wall" "$bin" check --input jsonl --format jsonl "$in" > /dev/null
  PYSPARK_PYTHON="$venv/bin/python" "$venv/bin/python" examples/spark/check_crawl.py "$in" \
    bench-out/check/spark-out.parquet --master 'local[2]' 2>/dev/null | grep checked
done
echo "input: $size bytes"
