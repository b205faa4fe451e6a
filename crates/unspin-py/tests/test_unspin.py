"""Tests of the Python package against the CLI: the same answers on the examples, bad input
refused with the CLI's messages, the same output on any number of threads.

The CLI is $UNSPIN_BIN, else target/debug/unspin of this repository (built by
`cargo test --workspace`)."""

import json
import math
import os
import subprocess
import threading
from pathlib import Path

import pytest

import unspin

ROOT = Path(__file__).resolve().parents[3]
BIN = os.environ.get("UNSPIN_BIN", str(ROOT / "target" / "debug" / "unspin"))
EXAMPLES = sorted((ROOT / "examples").glob("*.txt"))


def cli(*args, stdin=""):
    r = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    return r.stdout


def read(p):
    return Path(p).read_text(encoding="utf-8")


def test_there_are_examples_and_a_cli():
    assert len(EXAMPLES) >= 4
    assert Path(BIN).is_file(), f"{BIN}: build it with `cargo build -p unspin`"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "flags,kwargs",
    [([], {}), (["--threshold", "0.5"], {"threshold": 0.5}), (["--papers"], {"papers": True})],
)
def test_check_is_the_cli_check(path, flags, kwargs):
    text = read(path)
    want = json.loads(cli("check", "--format", "json", *flags, "-", stdin=text))
    assert len(want) == 1
    got = unspin.check(text, **kwargs)
    assert got == want[0]
    # the same keys in the same order as the CLI's JSON
    assert list(got) == list(want[0])


def test_examples_have_findings():
    r = unspin.check(read(ROOT / "examples" / "spun-paper.txt"))
    assert r["verdict"] == "spun"
    pairs = {(f["text"], f["suggestion"]) for f in r["findings"]}
    assert ("bosom peril", "breast cancer") in pairs
    assert unspin.check(read(ROOT / "examples" / "clean-news.txt"))["findings"] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_restore_is_the_cli_restore(path):
    text = read(path)
    assert unspin.restore(text) == cli("restore", "-", stdin=text)


def test_html_is_checked_by_its_visible_text_as_by_the_cli():
    html = "<html><body><p>" + read(ROOT / "examples" / "spun-news.txt") + "</p></body></html>"
    want = json.loads(cli("check", "--format", "json", "-", stdin=html))[0]
    got = unspin.check(html)
    assert got == want
    assert got["findings"] and all(html[f["start"]:f["end"]] == f["text"] for f in got["findings"])
    assert unspin.check(html, html=False) != got


def many_texts():
    texts = [read(p) for p in EXAMPLES]
    # paragraphs of the examples, each a text, and some short and empty ones
    texts += [p for t in texts for p in t.split("\n") if p.strip()]
    return texts + ["", "Could 15.", "   "]


def test_check_many_is_check_on_any_number_of_threads():
    texts = many_texts()
    one = [unspin.check(t) for t in texts]
    assert unspin.check_many(texts, jobs=1) == one
    assert unspin.check_many(texts, jobs=3) == one
    assert unspin.check_many(texts) == one
    assert unspin.check_many(tuple(texts), threshold=0.5) == [
        unspin.check(t, threshold=0.5) for t in texts
    ]
    assert unspin.check_many(iter([])) == []


def test_python_threads_get_the_same_answers():
    texts = many_texts()
    want = unspin.check_many(texts, jobs=1)
    results = [None] * 4

    def work(k):
        results[k] = unspin.check_many(texts, jobs=2)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)


@pytest.mark.parametrize("bad", [2.0, -0.1, math.nan, math.inf])
def test_a_threshold_outside_0_1_is_refused_with_the_cli_message(bad):
    with pytest.raises(unspin.UnspinError) as e:
        unspin.check("some text", threshold=bad)
    assert str(e.value).startswith("threshold: ")
    assert isinstance(e.value, ValueError)
    with pytest.raises(unspin.UnspinError):
        unspin.check_many(["some text"], threshold=bad)
    with pytest.raises(unspin.UnspinError):
        unspin.restore("some text", threshold=bad)


def test_the_cli_message_for_a_bad_threshold_is_the_same():
    r = subprocess.run([BIN, "check", "--threshold", "2", "-"], input="x", capture_output=True, text=True)
    assert r.returncode == 2
    with pytest.raises(unspin.UnspinError) as e:
        unspin.check("x", threshold=2)
    assert str(e.value).removeprefix("threshold: ") in r.stderr


def test_nul_characters_are_refused_as_the_cli_refuses_binary_input():
    r = subprocess.run([BIN, "check", "-"], input="a\0b", capture_output=True, text=True)
    assert r.returncode == 2
    with pytest.raises(unspin.UnspinError) as e:
        unspin.check("a\0b")
    assert str(e.value) in r.stderr
    with pytest.raises(unspin.UnspinError, match=r"texts\[1\]: looks like a binary file"):
        unspin.check_many(["fine", "a\0b"])


@pytest.mark.parametrize("bad", ["a string", ["ok", 3], [None], 5])
def test_check_many_wants_an_iterable_of_str(bad):
    with pytest.raises(TypeError):
        unspin.check_many(bad)


def test_jobs_must_be_at_least_1():
    with pytest.raises(unspin.UnspinError, match="at least 1"):
        unspin.check_many(["x"], jobs=0)
    with pytest.raises((OverflowError, TypeError)):
        unspin.check_many(["x"], jobs=-1)


def test_compare_is_the_cli_compare():
    sus, src = ROOT / "examples" / "spun-news.txt", ROOT / "examples" / "clean-news.txt"
    want = json.loads(cli("compare", "--format", "json", str(sus), str(src)))
    got = unspin.compare(read(sus), read(src))
    assert got["substitutions"], "the example is a spun copy of the other"
    want["suspect"] = want["source"] = "-"
    assert got == want


def test_index_add_find_and_the_cli_agree(tmp_path):
    ix = unspin.Index(tmp_path / "idx")
    assert len(ix) == 0
    with pytest.raises(unspin.UnspinError, match="cannot open the index"):
        ix.find("anything")
    docs = [{"id": "clean-news", "text": read(ROOT / "examples" / "clean-news.txt"), "title": "Council budget"}]
    docs += [(k, read(p)) for k, p in enumerate(EXAMPLES) if p.name != "spun-news.txt" and p.name != "clean-news.txt"]
    assert ix.add(docs) == len(docs)
    assert len(ix) == len(docs) and ix.stats()["documents"] == len(docs)
    suspect = read(ROOT / "examples" / "spun-news.txt")
    # a tiny index: the default E-value threshold (set for 1,000,000 documents) is not met
    near = ix.find(suspect)
    assert near["sources"] == [] and near["near_miss"]["id"] == "clean-news"
    assert near["near_miss"]["admit_with"].startswith("max_evalue ")
    got = ix.find(suspect, max_evalue=1e-6)
    assert [s["id"] for s in got["sources"]] == ["clean-news"]
    want = json.loads(cli("find", "--format", "json", "--max-evalue", "1e-6", "--index", str(tmp_path / "idx"), "-", stdin=suspect))
    assert got == want
    # re-adding an id replaces its document
    assert ix.add([("clean-news", "Something else entirely, about gardens and rain.")]) == 1
    assert len(ix) == len(docs)
    assert ix.find(suspect, max_evalue=1e-6)["sources"] == []


def test_index_refuses_bad_documents(tmp_path):
    ix = unspin.Index(tmp_path / "idx")
    with pytest.raises(TypeError, match="missing \"id\""):
        ix.add([{"text": "no id"}])
    with pytest.raises(TypeError):
        ix.add([{"id": 1.5, "text": "a float id"}])
    with pytest.raises(TypeError):
        ix.add("not a list")
    with pytest.raises(unspin.UnspinError, match="empty"):
        ix.add([("a", "   ")])
    with pytest.raises(unspin.UnspinError, match="binary"):
        ix.add([("a", "x\0y")])
    assert len(ix) == 0, "nothing is added when one document is refused"
    ix.add([("a", "some words to index here")])
    with pytest.raises(unspin.UnspinError, match="max_evalue"):
        ix.find("x", max_evalue=0)
    with pytest.raises(unspin.UnspinError, match="min_coverage"):
        ix.find("x", min_coverage=2)
    with pytest.raises(unspin.UnspinError, match="limit"):
        ix.find("x", limit=0)


def test_empty_and_short_texts():
    r = unspin.check("")
    assert r["words"] == 0 and r["findings"] == [] and r["restored"] == ""
    assert unspin.check("Could 15.")["verdict"] == "too short to judge"


def test_module_metadata():
    assert unspin.DEFAULT_THRESHOLD == 0.7
    assert unspin.__version__
    assert unspin.check.__doc__ and unspin.Index.find.__doc__
