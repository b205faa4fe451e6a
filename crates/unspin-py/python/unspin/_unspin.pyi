"""Type stubs of the native module ``unspin._unspin`` (re-exported by ``unspin``)."""

from os import PathLike
from typing import Any, Iterable, Optional, Tuple, TypedDict, Union

__version__: str
DEFAULT_THRESHOLD: float  # 0.7

class UnspinError(ValueError):
    """An input or option unspin refuses, or a model or index it cannot read.

    The message is the CLI's (e.g. ``threshold: 2 is not between 0 and 1``)."""

class Finding(TypedDict):
    start: int  # UTF-8 byte offset of the spun span in the text as given
    end: int  # byte offset one past its end
    text: str  # the spun words as written
    suggestion: str  # the most likely original
    alternatives: list[str]  # other plausible originals, best first
    confidence: float  # calibrated probability that the span was substituted

class Report(TypedDict):
    path: str  # "-"
    score: float  # share of words in passages judged spun, 0 to 1
    verdict: str  # spun, possibly spun, partly spun, mostly clean, looks clean, too short to judge
    words: int  # words that could have been spun
    findings: list[Finding]
    restored: str  # the text with every finding replaced by its suggestion

def check(
    text: str,
    *,
    threshold: float = 0.7,
    papers: bool = False,
    html: Optional[bool] = None,
) -> Report:
    """Checks a text: the substituted words and phrases, how spun it is, the originals.

    Returns what ``unspin check --format json`` gives for one document. ``threshold``
    (0 to 1) is the least confidence of a finding; ``papers`` screens scientific papers
    for tortured phrases (``--papers``); ``html`` reads the text as HTML (offsets then
    refer to the HTML), by default when it starts like HTML.

    Raises UnspinError for a threshold outside 0..1 or a text with NUL characters."""

def restore(
    text: str,
    *,
    threshold: float = 0.7,
    papers: bool = False,
    html: Optional[bool] = None,
) -> str:
    """The restored text (what ``unspin restore`` prints)."""

def check_many(
    texts: Iterable[str],
    *,
    threshold: float = 0.7,
    papers: bool = False,
    jobs: Optional[int] = None,
    html: Optional[bool] = None,
) -> list[Report]:
    """Checks many texts on all cores (``jobs`` threads when given) with the GIL released.

    One report per text, in order, each what ``check`` returns for it (on any number of
    threads). Raises TypeError when an item is not a str."""

def compare(suspect: str, source: str) -> dict[str, Any]:
    """Lines a suspect text up with its source: what ``unspin compare --format json``
    gives (``coverage``, ``similarity``, ``passages``, ``substitutions``, ``table``;
    ``suspect`` and ``source`` are "-")."""

Doc = Union[dict[str, Any], Tuple[Union[str, int], str]]

class Index:
    """A source index in a directory (``unspin index add`` / ``unspin find --index DIR``).

    Opens the index there, or makes one on the first ``add``. The index is opened once, on
    first use, and again after each ``add``: documents another process adds afterwards are
    seen by a new ``Index`` of the same path."""

    def __init__(self, path: Union[str, PathLike[str]]) -> None: ...
    def add(self, docs: Iterable[Doc]) -> int:
        """Adds and commits documents: dicts with ``id`` (str or int), ``text`` and
        optionally ``title``, ``url``, ``html``, or ``(id, text)`` tuples. Re-adding an id
        replaces its document. Returns how many were added; nothing is added when one is
        refused (UnspinError or TypeError)."""
    def find(
        self,
        text: str,
        *,
        limit: int = 10,
        min_coverage: float = 0.05,
        max_evalue: float = 1e-8,
        min_passage: int = 1,
    ) -> dict[str, Any]:
        """The sources of a (spun) text, best first: what ``unspin find --format json``
        gives (``suspect``, ``sources``, ``threshold``, and ``near_miss`` when a candidate
        fell short, with the argument that would report it in ``admit_with``)."""
    def stats(self) -> dict[str, Any]:
        """What ``unspin index stats --format json`` prints."""
    def __len__(self) -> int:
        """Number of documents (0 when there is no index yet)."""
