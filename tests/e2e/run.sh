#!/usr/bin/env bash
# Browser end-to-end test of `unspin serve` (headless Chromium driven by playwright-core), then
# the schema-driven API test (schemathesis against /openapi.json).
# Installs what it needs on a fresh Debian machine (as root): chromium, Node.js, npm packages,
# schemathesis. Uses the tiny test model and index unless UNSPIN_MODEL_DIR is set.
# Options (environment): SCREENSHOT=path (write a screenshot), SKIP_SCHEMATHESIS=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ "${SKIP_SCHEMATHESIS:-0}" != 1 ]; then
  command -v curl >/dev/null 2>&1 || need_apt+=(curl)
  command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "e2e: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "e2e: building unspin"
cargo build -q -p unspin
bin="$root/target/debug/unspin"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -z "${UNSPIN_MODEL_DIR:-}" ]; then
  echo "e2e: writing the tiny test model"
  UNSPIN_TINY_MODEL_OUT="$tmp/model" cargo test -q -p unspin --test serve_api -- \
    --ignored --exact write_tiny_model >/dev/null
  export UNSPIN_MODEL_DIR="$tmp/model" UNSPIN_TINY=1
  export UNSPIN_INDEX_DIR="$tmp/model/index" E2E_SPUN="$tmp/model/spun.txt"
fi

echo "e2e: browser test"
(cd "$here" && npm ci --no-audit --no-fund --silent)
(cd "$here" && UNSPIN_BIN="$bin" node page.test.mjs)

if [ "${SKIP_SCHEMATHESIS:-0}" != 1 ]; then
  UNSPIN_BIN="$bin" "$root/bench/serve/schemathesis.sh"
fi
