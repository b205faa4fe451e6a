#!/usr/bin/env bash
# Builds the labelled evaluation sets from ../shared/corpora/enwiki2018.jsonl.zst (not committed):
#   data/eval/{dev,test}-clean.jsonl       clean paragraphs (40-200 words of prose)
#   data/eval/{dev,test}-{moby,wordnet}-{2,4}.jsonl   spun every 2nd/4th word, truth logged
#   data/eval/calib-clean.jsonl            3,000 further clean paragraphs (threshold calibration)
#   data/eval/{dev,test}-long-clean.jsonl  60 whole articles each (1,500-4,000 words)
#   data/eval/{dev,test}-long-{moby,wordnet}-4.jsonl   those spun every 4th word
#   data/eval/{dev,test}-dict-{15,25,40}.jsonl   a commercial-style dictionary spinner (fixed
#       entry|alt|alt lines from LibreOffice's thesaurus, mythes-en-us, which the model does not
#       use, plus everyday phrases and function words) at 15/25/40 % of the spots it claims;
#       dev and test use dictionaries of different seeds
#   data/eval/{dev,test}-long-dict-{15,25,40}.jsonl   the whole articles, dictionary-spun
#   data/eval/{dev,test}-partial-dict-25.jsonl   copies spun in part (first fifth of the
#       paragraphs of long-dict-25 spun, the rest as written; scripts/partial-set.py)
#   data/eval/{dev,test}-tortured.jsonl   spun with the word and phrase pairs of
#       ../shared/lexicons/tortured_phrases_train.csv (a real spinner's dictionary), rate 0.5
# dev (300 paragraphs) is for development; test (1,000 other paragraphs) is what BENCHMARKS.md reports.
# Usage: scripts/make-eval.sh [path/to/unspin]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${1:-target/release/unspin}
corpus=${CORPUS:-../shared/corpora/enwiki2018.jsonl.zst}
mkdir -p data/eval data/dicts
[ -s data/sources/moby.txt ] || scripts/fetch-sources.sh
if [ ! -s /usr/share/mythes/th_en_US_v2.dat ] && command -v apt-get >/dev/null; then
  apt-get install -y -q mythes-en-us >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q mythes-en-us >/dev/null)
fi
for src in moby wordnet; do
  [ -s data/dicts/$src.tsv ] || "$bin" model spinner-dict --source $src --out data/dicts/$src.tsv
done
zstd -dc "$corpus" | python3 -c '
import json, sys, random
rng = random.Random(2018)
paras = []
for line in sys.stdin:
    doc = json.loads(line)
    for i, p in enumerate(doc["text"].split("\n")):
        w = p.split()
        # prose paragraphs only: long enough, ends like a sentence, not a list or table row
        if 40 <= len(w) <= 200 and p.rstrip().endswith(".") and "|" not in p:
            paras.append({"id": "%s#%d" % (doc["id"], i), "text": p})
rng.shuffle(paras)
with open("data/eval/dev-clean.jsonl", "w") as f:
    for r in paras[:300]: f.write(json.dumps(r) + "\n")
with open("data/eval/test-clean.jsonl", "w") as f:
    for r in paras[300:1300]: f.write(json.dumps(r) + "\n")
# calibration: 3,000 further clean paragraphs for choosing the default threshold
with open("data/eval/calib-clean.jsonl", "w") as f:
    for r in paras[1300:4300]: f.write(json.dumps(r) + "\n")
'
# whole articles (1,500-4,000 words, headings and lists included), 60 for development and 60
# for test: long texts, judged passage by passage
zstd -dc "$corpus" | python3 -c '
import json, sys, random
rng = random.Random(5)
docs = []
for line in sys.stdin:
    d = json.loads(line)
    if 1500 <= len(d["text"].split()) <= 4000:
        docs.append({"id": d["id"], "text": d["text"]})
rng.shuffle(docs)
for name, part in [("dev", docs[:60]), ("test", docs[60:120])]:
    with open("data/eval/%s-long-clean.jsonl" % name, "w") as f:
        for r in part: f.write(json.dumps(r) + "\n")
'
for split in dev test; do
  for src in moby wordnet; do
    "$bin" spin --dict data/dicts/$src.tsv --every 4 --seed 7 data/eval/$split-long-clean.jsonl > data/eval/$split-long-$src-4.jsonl
  done
done
for split in dev test; do
  for src in moby wordnet; do
    for n in 2 4; do
      "$bin" spin --dict data/dicts/$src.tsv --every $n --seed 7 data/eval/$split-clean.jsonl > data/eval/$split-$src-$n.jsonl
    done
  done
done
# dictionary spinners (after the clean sets: their everyday phrases come from calib-clean)
for split in dev test; do
  seed=$([ $split = dev ] && echo 3 || echo 4)
  "$bin" model spinner-dict --source mythes --seed $seed --phrases-from data/eval/calib-clean.jsonl \
    --out data/dicts/mythes-$split.txt
  for r in 15 25 40; do
    "$bin" spin --dict data/dicts/mythes-$split.txt --rate 0.$r --seed 11 data/eval/$split-clean.jsonl > data/eval/$split-dict-$r.jsonl
    # whole articles spun throughout, as content farms do
    "$bin" spin --dict data/dicts/mythes-$split.txt --rate 0.$r --seed 11 data/eval/$split-long-clean.jsonl > data/eval/$split-long-dict-$r.jsonl
  done
  # copies spun in part: the first fifth of each article's paragraphs spun, the rest as written
  python3 scripts/partial-set.py 0.2 < data/eval/$split-long-dict-25.jsonl > data/eval/$split-partial-dict-25.jsonl
done
"$bin" model spinner-dict --source tortured --out data/dicts/tortured.txt
for split in dev test; do
  "$bin" spin --dict data/dicts/tortured.txt --rate 0.5 --seed 13 data/eval/$split-clean.jsonl > data/eval/$split-tortured.jsonl
done
wc -l data/eval/*.jsonl
