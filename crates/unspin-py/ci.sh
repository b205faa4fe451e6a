#!/usr/bin/env bash
# CI of the Python package (called by .ci/run after `cargo test --workspace`):
#  1. builds the wheel with maturin (dev profile by default: it reuses the test build's
#     compiled dependencies; PROFILE=release for the published one),
#  2. installs it into a fresh virtual environment and runs pytest (the same answers as
#     target/debug/unspin on the examples, bad input raises, threads give the same output),
#  3. runs the Spark example in local mode on a small generated crawl and checks its output
#     against the CLI's check of the same crawl.
# Tool venvs (maturin; pyspark, pandas, pyarrow) are cached under ${XDG_CACHE_HOME:-~/.cache}.
# Java: Debian's default-jre-headless is installed when `java` is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
profile="${PROFILE:-dev}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

apt_install() {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi

# a cached venv at $1 with the packages $2...
tool_venv() {
  local venv="$1"; shift
  local stamp="$venv/.unspin-packages"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
    echo "python: installing $* into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q "$@"
    echo "$*" > "$stamp"
  fi
}

echo "== python: wheel (maturin, profile $profile)"
tool_venv "$cache/unspin-py-venv" maturin pytest
cargo build -q -p unspin   # the CLI the tests compare with (already built by cargo test)
(cd crates/unspin-py && "$cache/unspin-py-venv/bin/maturin" build -q --profile "$profile" \
  -i python3 -o "$work/wheels")
wheel="$(ls "$work"/wheels/unspin-*.whl)"
echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"

echo "== python: pytest in a fresh venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel" pytest
"$work/venv/bin/python" -c 'import unspin, sys; print("unspin", unspin.__version__, "from", unspin.__file__)'
(cd "$work" && UNSPIN_BIN="$root/target/debug/unspin" "$work/venv/bin/python" -m pytest -q \
  -p no:cacheprovider "$root/crates/unspin-py/tests")

echo "== python: the Spark example in local mode"
if ! command -v java >/dev/null 2>&1; then
  echo "java: installing Debian's default-jre-headless"
  apt_install default-jre-headless
fi
spark="$cache/unspin-spark-venv"
tool_venv "$spark" pyspark "pandas<3" pyarrow  # pyspark 4 warns on pandas 3
"$spark/bin/pip" install -q --force-reinstall --no-deps "$wheel"
"$spark/bin/python" examples/spark/make_crawl.py --pages 300 > "$work/crawl.jsonl"
target/debug/unspin check --input jsonl --format jsonl "$work/crawl.jsonl" > "$work/cli.jsonl" || [ $? -eq 1 ]
PYSPARK_PYTHON="$spark/bin/python" "$spark/bin/python" examples/spark/check_crawl.py \
  "$work/crawl.jsonl" "$work/out.parquet" --master 'local[2]'
"$spark/bin/python" examples/spark/verify.py "$work/crawl.jsonl" "$work/out.parquet" "$work/cli.jsonl"
echo "== python passed"
