#!/usr/bin/env bash
# One table for the whole evaluation suite (sets from scripts/make-eval.sh) and the macro mean
# over the spun sets: parameters are chosen on dev for that mean, never for one set.
# Usage: scripts/eval-suite.sh [dev|test] [extra unspin eval args, e.g. --set name=value]
# Env: UNSPIN (binary, default target/release/unspin), SETS (names, default the suite below:
# paragraphs, then whole articles spun throughout and in part).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
split=${1:-dev}
shift || true
bin=${UNSPIN:-target/release/unspin}
sets=${SETS:-"dict-15 dict-25 dict-40 tortured moby-4 wordnet-4 long-dict-15 long-dict-25 long-dict-40 long-moby-4 long-wordnet-4 partial-dict-25"}
out=$(mktemp -d)
for s in $sets; do
  f=data/eval/$split-$s.jsonl
  [ -s "$f" ] || { echo "$f missing: run scripts/make-eval.sh" >&2; exit 2; }
  "$bin" eval --json "$@" "$f" > "$out/$s.json"
done
python3 - "$out" $sets <<'PY'
import json, sys
out, sets = sys.argv[1], sys.argv[2:]
cols = ["detection_recall", "restoration_precision", "restoration_recall", "restoration_f1",
        "false_alarms_per_1000_words"]
print("%-15s %7s %7s %7s %7s %7s %9s %8s %8s" % ("set", "det-R", "rest-P", "rest-R", "rest-F1", "FA/1k", "spun>=0.5", "cand-1w", "cand-ph"))
rows = []
for s in sets:
    r = json.load(open("%s/%s.json" % (out, s)))[0]
    m = r["metrics"]
    cr = r.get("candidate_recall", {})
    v = [m.get(c) for c in cols] + [r.get("spun_docs_called_spun"), cr.get("one_word"), cr.get("phrase")]
    rows.append(v)
    print("%-15s " % s + " ".join("%7s" % ("n/a" if x is None else "%.3f" % x) for x in v))
mean = [sum(x[i] for x in rows if x[i] is not None) / max(1, sum(1 for x in rows if x[i] is not None)) for i in range(len(cols) + 3)]
print("%-15s " % "macro" + " ".join("%7.3f" % x for x in mean))
PY
rm -rf "$out"
