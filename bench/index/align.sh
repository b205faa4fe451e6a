#!/usr/bin/env bash
# Alignment: enwiki2018 paragraphs (>= 50 words) spun by the test spinner (every 2nd word,
# random Moby synonym, substitutions logged with byte offsets); `compare` against the
# original; precision/recall of the substitution instances and of the per-document table.
source "$(dirname "$0")/common.sh"
"$bench" align --n "${N:-2000}" --every 2
"$bench" align --n "${N:-2000}" --every 4
