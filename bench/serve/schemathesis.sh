#!/usr/bin/env bash
# Schema-driven test of the API: schemathesis generates requests from /openapi.json (valid and
# invalid ones) and checks every answer against the document (status codes, content types,
# response schemas, rejection of invalid data, 405 with Allow for other methods, no 5xx).
# Uses UNSPIN_BIN (default target/debug/unspin), UNSPIN_MODEL_DIR (default: the built-in
# model) and UNSPIN_INDEX_DIR (default: none; /v1/find and /v1/compare are then skipped).
# Installs schemathesis with pip when missing. Extra arguments go to `schemathesis run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${UNSPIN_BIN:-$root/target/debug/unspin}"
st=schemathesis
if ! command -v schemathesis >/dev/null 2>&1; then
  # A private virtual environment (Debian's Python refuses system-wide pip installs).
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/unspin-schemathesis"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    echo "schemathesis: installing into $venv"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q schemathesis
  fi
  st="$venv/bin/schemathesis"
fi

log="$(mktemp)"
model_args=()
[ -n "${UNSPIN_MODEL_DIR:-}" ] && model_args=(--model "$UNSPIN_MODEL_DIR")
[ -n "${UNSPIN_INDEX_DIR:-}" ] && model_args+=(--index "$UNSPIN_INDEX_DIR")
"$bin" serve --addr 127.0.0.1:0 --max-body 65536 "${model_args[@]}" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "listening on" "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
base="$(sed -n 's/.*listening on \(http:\/\/[^/ ]*\)\/.*/\1/p' "$log" | head -1)"
[ -n "$base" ] || { echo "server did not start"; cat "$log"; exit 1; }
echo "schemathesis: testing $base"
exclude=()
if curl -fsS "$base/healthz" | grep -q '"index":false'; then
  # Without an index these answer 501 by design (documented; covered by tests/serve_api.rs),
  # which schemathesis counts as a server error.
  echo "schemathesis: no index configured, skipping /v1/find and /v1/compare"
  exclude=(--exclude-path /v1/find --exclude-path /v1/compare)
fi
# (Run from a scratch directory: schemathesis keeps state in ./.schemathesis.)
work="$(mktemp -d)"
(cd "$work" && "$st" run "$base/openapi.json" --checks all --max-examples "${MAX_EXAMPLES:-100}" \
  --generation-database none --phases examples,coverage,fuzzing "${exclude[@]}" "$@")
rm -rf "$work"
# The server must still be up and healthy after all that.
curl -fsS "$base/healthz" >/dev/null && echo "schemathesis: server still healthy"
