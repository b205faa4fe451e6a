#!/usr/bin/env bash
# Rebuilds the shipped English model (model/en) from ../shared and the fetched thesauri.
# Takes about 13 minutes (LM, lexicon, word vectors) and 5 GB of RAM on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/fetch-sources.sh
cargo build --release -p unspin --no-default-features
target/release/unspin model build --out model/en
bash scripts/function-words.sh
cargo run --release -p unspin-index --example build_classes -- \
  data/sources/moby.txt data/sources/wordnet model/en/classes.fst
ls -la model/en
echo "model rebuilt; now: cargo build --release   (embeds it in the binary)"
