#!/usr/bin/env bash
# Retrieval: 1,000 enwiki2018 articles spun at every 2nd word (whole copies and one paragraph
# each, plus 200 copies stitched from two articles) hidden among ~850,000 indexed documents
# (paragraphs of enwiki2015 + enwiki2018); 1,000 unrelated held-out articles.
source "$(dirname "$0")/common.sh"
retrieval_data
rm -rf "$data/idx-retrieval"
/usr/bin/time -f "index add: %e s wall, %M KB max RSS" \
  "$cli" index add "$data/retrieval/docs.jsonl" --index "$data/idx-retrieval"
"$bench" queries --index "$data/idx-retrieval" --queries "$data/retrieval/queries.jsonl"
