#!/usr/bin/env bash
# Fetches the thesauri the English model is built from into data/sources/ (not committed):
#   - Moby Thesaurus II (public domain), from the crates.io package `thesaurus-moby`
#   - WordNet 3.0 (WordNet licence), from Debian's `wordnet-base`
# Only package registries are used. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/data/sources"
mkdir -p "$out"
if [ ! -s "$out/moby.txt" ]; then
  tmp=$(mktemp -d)
  mkdir -p "$tmp/src"
  cat > "$tmp/Cargo.toml" <<'TOML'
[package]
name = "fetch-moby"
version = "0.0.0"
edition = "2021"
[dependencies]
thesaurus-moby = "=0.2.0"
TOML
  echo 'fn main() {}' > "$tmp/src/main.rs"
  (cd "$tmp" && cargo fetch -q)
  src=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*thesaurus-moby-0.2.0*' -name 'moby.txt' | head -n1)
  [ -n "$src" ] || { echo "moby.txt not found in the thesaurus-moby package" >&2; exit 1; }
  cp "$src" "$out/moby.txt"
  rm -rf "$tmp"
fi
if [ ! -s /usr/share/wordnet/data.noun ]; then
  if command -v apt-get >/dev/null; then
    (apt-get install -y -q wordnet-base >/dev/null 2>&1) || (apt-get update -q >/dev/null && apt-get install -y -q wordnet-base >/dev/null)
  fi
fi
[ -s /usr/share/wordnet/data.noun ] || { echo "WordNet (Debian wordnet-base) is not installed" >&2; exit 1; }
ln -sfn /usr/share/wordnet "$out/wordnet"
echo "sources ready in $out"
