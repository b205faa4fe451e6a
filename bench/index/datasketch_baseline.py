#!/usr/bin/env python3
"""datasketch MinHashLSH baseline on the same documents and queries as `unspin find`.

Documents: JSONL {"id","text"}; queries: JSONL {"qid","kind","text","expect":[ids]}.
Features: the set of lowercase words of each text (word n-gram shingles would not survive
spinning at every 2nd word; unigrams are datasketch's best chance here). MinHash with
num_perm=128 computed with MinHash.bulk (datasketch's fastest path), MinHashLSH with
threshold 0.3, candidates ranked by estimated Jaccard for recall@1.

Prints one JSON object with timings and recall@1 per query kind.

Options (after the two paths): `--redis HOST:PORT` keeps the LSH tables in a Redis server
(datasketch's Redis storage; single node: it does not support Cluster); `--all-kinds` uses
every query, not only the "whole" and "paragraph" ones.
"""
import json
import re
import sys
import time

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+")


def words(text):
    return [w.encode("utf8") for w in set(WORD.findall(text.lower()))]


def main():
    docs_path, queries_path = sys.argv[1], sys.argv[2]
    num_perm = 128
    threshold = 0.3
    docs = [json.loads(l) for l in open(docs_path, encoding="utf8")]
    queries = [json.loads(l) for l in open(queries_path, encoding="utf8")]
    if "--all-kinds" not in sys.argv:
        queries = [q for q in queries if q["kind"] in ("whole", "paragraph")]
    storage = None
    if "--redis" in sys.argv:
        host, port = sys.argv[sys.argv.index("--redis") + 1].rsplit(":", 1)
        storage = {"type": "redis", "redis": {"host": host, "port": int(port)}}

    t0 = time.perf_counter()
    toks = [words(d["text"]) for d in docs]
    sigs = MinHash.bulk(toks, num_perm=num_perm)
    t_sig = time.perf_counter() - t0

    t1 = time.perf_counter()
    if storage:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, storage_config=storage)
    else:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as s:
        for d, m in zip(docs, sigs):
            s.insert(d["id"], m, check_duplication=False)
    t_build = time.perf_counter() - t1
    by_id = {d["id"]: m for d, m in zip(docs, sigs)}

    ok = {}
    n = {}
    lat = []
    for q in queries:
        t = time.perf_counter()
        m = MinHash(num_perm=num_perm)
        m.update_batch(words(q["text"]))
        cands = lsh.query(m)
        best = max(cands, key=lambda c: m.jaccard(by_id[c]), default=None)
        lat.append((time.perf_counter() - t) * 1e3)
        k = q["kind"]
        n[k] = n.get(k, 0) + 1
        ok[k] = ok.get(k, 0) + (1 if best in q["expect"] else 0)
    lat.sort()
    out = {
        "system": "datasketch MinHashLSH" + (" (Redis storage)" if storage else ""),
        "docs": len(docs),
        "queries": len(queries),
        "num_perm": num_perm,
        "threshold": threshold,
        "signature_s": round(t_sig, 2),
        "build_s": round(t_build, 2),
        "signature_plus_build_s": round(t_sig + t_build, 2),
        "query_total_s": round(sum(lat) / 1e3, 2),
        "query_p50_ms": round(lat[len(lat) // 2], 3),
        "query_p99_ms": round(lat[int((len(lat) - 1) * 0.99)], 3),
        "recall_at_1": {k: round(ok[k] / n[k], 4) for k in n},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
