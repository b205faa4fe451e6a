#!/usr/bin/env bash
# End-to-end restoration of held-out tortured phrases: a lexicon is built with 20 % of
# ../shared/lexicons/tortured_phrases_train.csv held out of learning, and each held-out
# tortured phrase is checked on its own with that lexicon and the shipped LM. Reports how
# often the phrase is flagged and restored to the expected wording exactly, and how often the
# expected (clean) phrase is flagged.
# Usage: bench/check/tortured.sh   (takes ~2 minutes)
#   SEED=n   another hold-out split (default 1; the files go to bench-out/tortured-<n>)
#   ARGS="--set term_bonus=2 --threshold 0.9"   extra options for `unspin check`
#   LEXARGS="--evidence-weight 0.5"   extra options for the lexicon build (use another OUT)
set -euo pipefail
cd "$(dirname "$0")/../.."
seed=${SEED:-1}
out=${OUT:-bench-out/tortured-$seed}
args=${ARGS:-}
lexargs=${LEXARGS:-}
mkdir -p "$out/model"
cargo build --release -q -p unspin -p unspin-lexicon
[ -s data/sources/moby.txt ] || scripts/fetch-sources.sh
if [ ! -s "$out/model/lexicon.bin" ]; then
  target/release/unspin-lexicon build --holdout 0.2 --seed "$seed" $lexargs --out "$out/model/lexicon.bin" > "$out/build.log" 2>&1
fi
ln -sf "$(pwd)/model/en/lm.bin" "$out/model/lm.bin"
ln -sf "$(pwd)/model/en/function-words.tsv" "$out/model/function-words.tsv"
target/release/unspin-lexicon eval-tortured --lexicon "$out/model/lexicon.bin" --fraction 0.2 --seed "$seed" \
  --jsonl "$out/heldout.jsonl"
python3 - "$out/heldout.jsonl" "$out/clean.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as f:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        f.write(json.dumps({"id": r["id"], "text": r["expected"]}) + "\n")
PY
target/release/unspin check --model "$out/model" $args --input jsonl --format jsonl "$out/heldout.jsonl" > "$out/spun.out" || true
target/release/unspin check --model "$out/model" $args --input jsonl --format jsonl "$out/clean.jsonl" > "$out/clean.out" || true
python3 - "$out/heldout.jsonl" "$out/spun.out" "$out/clean.out" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[str(r["id"])] = r
norm = lambda s: " ".join(s.lower().split())
def without_acronym(e):
    # "hidden markov model hmm": the list's expected term carries the acronym that follows it in
    # papers, "(HMM)", which the tortured phrase leaves out (spinners keep acronyms).
    w = e.split()
    t = w[-1] if w else ""
    if 2 <= len(t) <= 6 and t.isalpha() and len(w) > len(t) and \
            "".join(x[0] for x in w[-1 - len(t):-1]) == t:
        return " ".join(w[:-1])
    return e
n = flagged = exact = exact_acr = 0
for line in open(sys.argv[2]):
    d = json.loads(line)
    r = rows[str(d["id"])]
    n += 1
    flagged += bool(d["findings"])
    exact += norm(d["restored"]) == norm(r["expected"])
    exact_acr += norm(d["restored"]) in (norm(r["expected"]), without_acronym(norm(r["expected"])))
c = cf = 0
for line in open(sys.argv[3]):
    d = json.loads(line)
    c += 1
    cf += bool(d["findings"])
print(f"held-out tortured phrases: {n}; flagged {flagged} ({100*flagged/n:.1f}%); "
      f"restored exactly {exact} ({100*exact/n:.1f}%); "
      f"{exact_acr} ({100*exact_acr/n:.1f}%) with the expected term's trailing acronym left out")
print(f"expected (clean) phrases flagged: {cf}/{c} ({100*cf/max(c,1):.1f}%)")
PY
