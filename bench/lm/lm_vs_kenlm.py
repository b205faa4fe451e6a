#!/usr/bin/env python3
"""Side-by-side check of unspin-lm against KenLM on held-out text.

Exports our binary model to ARPA, loads that ARPA in KenLM (probing hash tables, KenLM's
default for ARPA input), and on the same held-out sentences (from enwiki2018) compares:

* sentence log10 scores (ours vs KenLM; they must agree up to float/ARPA rounding since the
  ARPA holds our dequantised values),
* lookups per second: KenLM's `Model.score` takes a sentence string, splits it, maps each
  word to its id and scores it, so it is compared with our `Model::sentence_log10_words`
  (words in, log10 out, word->id included); our word-by-word and id-only numbers are printed
  too, and an estimate of the share of KenLM's time that is Python's (split and call),
* memory: KenLM's RSS growth when loading vs our model file size (everything we map).

Usage (from the repository root):
    python3 bench/lm/lm_vs_kenlm.py [--model model/en/lm.bin]
        [--corpus ../shared/corpora/enwiki2018.jsonl.zst] [--paragraphs 2000] [--repeat 5]

Needs the `kenlm` Python module; it is installed from PyPI (`pip install kenlm`, which builds
KenLM from source) when missing.
"""
import argparse
import os
import subprocess
import sys
import time


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ensure_kenlm():
    try:
        import kenlm  # noqa: F401
    except ImportError:
        print("installing kenlm from PyPI ...", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "kenlm"])
    import kenlm
    return kenlm


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(root, "model/en/lm.bin"))
    ap.add_argument("--corpus", default=os.path.join(root, "../shared/corpora/enwiki2018.jsonl.zst"))
    ap.add_argument("--paragraphs", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default="/tmp/unspin_lm_vs_kenlm")
    ap.add_argument("--lmquery", default=None, help="path of a built lmquery example")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)

    lmquery = a.lmquery
    if lmquery is None:
        subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "unspin-lm", "--example", "lmquery"], cwd=root)
        lmquery = os.path.join(root, "target/release/examples/lmquery")

    arpa = os.path.join(a.workdir, "model.arpa")
    t = time.time()
    subprocess.check_call([lmquery, "arpa", a.model, arpa])
    print(f"exported ARPA in {time.time() - t:.1f}s ({os.path.getsize(arpa) / 1e6:.1f} MB)")

    sents = os.path.join(a.workdir, "sentences.tsv")
    out = subprocess.check_output([lmquery, "eval", a.model, a.corpus, "--paragraphs", str(a.paragraphs),
                                   "--sentences-out", sents, "--repeat", str(a.repeat)], text=True)
    ours = dict(line.split("\t", 1) for line in out.strip().splitlines())
    info = dict(l.split("\t", 1) for l in subprocess.check_output([lmquery, "info", a.model], text=True).splitlines()
                if not l.startswith(("section", "table")))

    kenlm = ensure_kenlm()
    rss0 = rss_kb()
    t = time.time()
    km = kenlm.Model(arpa)  # ARPA input -> probing hash tables
    load_s = time.time() - t
    kenlm_rss = rss_kb() - rss0

    scores, sentences = [], []
    with open(sents) as f:
        for line in f:
            s, toks = line.rstrip("\n").split("\t", 1)
            scores.append(float(s))
            sentences.append(toks)
    diffs = [abs(km.score(s, bos=True, eos=True) - o) for s, o in zip(sentences, scores)]
    n_tok = sum(len(s.split()) + 1 for s in sentences)
    total_k = sum(km.score(s, bos=True, eos=True) for s in sentences)
    # Speed: alternate rounds of ours and KenLM's and keep each side's best single pass, so
    # that load from other processes on a shared machine hits both alike.
    best = float("inf")
    for rnd in range(a.rounds):
        if rnd > 0:
            out = subprocess.check_output([lmquery, "eval", a.model, a.corpus, "--paragraphs", str(a.paragraphs),
                                           "--repeat", str(a.repeat)], text=True)
            again = dict(line.split("\t", 1) for line in out.strip().splitlines())
            for key in ("state_lookups_per_s", "log10_prob_per_s", "with_vocab_lookups_per_s",
                        "sentence_words_per_s", "vocab_only_per_s"):
                ours[key] = str(max(float(ours[key]), float(again[key])))
        for _ in range(a.repeat):
            t = time.time()
            for s in sentences:
                km.score(s, bos=True, eos=True)
            best = min(best, time.time() - t)
    k_speed = n_tok / best
    # What of KenLM's time is Python's: the per-sentence call and the split into words that
    # Model.score does (as a Python list of byte strings) before its C++ loop.
    py_best = float("inf")
    for _ in range(a.repeat):
        t = time.time()
        for s in sentences:
            len(s.encode().split())
        py_best = min(py_best, time.time() - t)

    model_bytes = os.path.getsize(a.model)
    worst = sorted(range(len(diffs)), key=lambda i: -diffs[i])[:3]
    print(f"model: order {ours.get('order', info.get('order'))}, vocab {info['vocab']}, n-grams {info['counts']}")
    print(f"held-out: {len(sentences)} sentences, {n_tok} predicted tokens ({ours['oov_tokens']} <unk>)")
    print(f"perplexity: ours {float(ours['perplexity']):.2f}, KenLM {10 ** (-total_k / n_tok):.2f}")
    print(f"sentence log10 |ours - KenLM|: max {max(diffs):.2e}, mean {sum(diffs) / len(diffs):.2e}")
    for i in worst:
        print(f"   diff {diffs[i]:.2e}: {sentences[i][:100]}")
    print(f"lookups/s, sentences of words in, log10 out (word->id included): "
          f"ours Model::sentence_log10_words {float(ours['sentence_words_per_s']) / 1e6:.2f} M, "
          f"KenLM Model.score {k_speed / 1e6:.2f} M")
    print(f"   KenLM without Python's split and call (an estimate: {py_best / best * 100:.0f}% of its time): "
          f"{n_tok / max(best - py_best, 1e-9) / 1e6:.2f} M")
    print(f"lookups/s, word by word through the state API with word->id: ours "
          f"{float(ours['with_vocab_lookups_per_s']) / 1e6:.2f} M; word->id alone "
          f"{float(ours['vocab_only_per_s']) / 1e6:.2f} M")
    print(f"lookups/s ids only: ours state API {float(ours['state_lookups_per_s']) / 1e6:.2f} M, "
          f"ours log10_prob(full context) {float(ours['log10_prob_per_s']) / 1e6:.2f} M")
    print(f"memory: ours {model_bytes / 1e6:.1f} MB file (RSS growth after eval {int(ours['rss_delta_kb']) / 1e3:.1f} MB), "
          f"KenLM probing RSS growth {kenlm_rss / 1e3:.1f} MB")
    print(f"open: ours {float(ours['open_ms']):.2f} ms, KenLM ARPA load {load_s:.1f} s")


if __name__ == "__main__":
    main()
