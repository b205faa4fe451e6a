#!/usr/bin/env bash
# False alarms on short clean texts: the 1,000 clean test paragraphs split into sentences, each
# sentence checked as its own document (data from scripts/make-eval.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-target/release/unspin}
mkdir -p bench-out/check
python3 - <<'PY'
import json, re
with open("bench-out/check/sentences.jsonl", "w") as out:
    for line in open("data/eval/test-clean.jsonl"):
        r = json.loads(line)
        for k, s in enumerate(re.split(r"(?<=[.!?])\s+(?=[A-Z])", r["text"])):
            out.write(json.dumps({"id": f"{r['id']}/{k}", "text": s}) + "\n")
PY
"$bin" check "$@" --input jsonl --format jsonl bench-out/check/sentences.jsonl | python3 -c '
import json, re, sys
rs = [json.loads(l) for l in sys.stdin]
f = sum(len(r["findings"]) for r in rs)
w = sum(len(re.findall(r"\w+", r["restored"])) for r in rs)
print("%d sentences, %d words, %d findings: %.2f false alarms per 1,000 words" % (len(rs), w, f, 1000 * f / w))'
