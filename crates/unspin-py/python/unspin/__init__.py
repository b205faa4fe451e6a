"""unspin: detect and undo article spinning.

Finds the words and phrases a spinner substituted ("bosom peril" for "breast cancer"),
scores how spun a text is, restores the original wording, finds the source of a spun copy
in an index of originals and lines a copy up with its source. The English model is built in.

Every answer is a dict of the CLI's JSON shape (``unspin check --format json`` and so on);
errors raise :class:`UnspinError` (a ``ValueError``) with the CLI's messages.
"""

from ._unspin import (
    DEFAULT_THRESHOLD,
    Index,
    UnspinError,
    __version__,
    check,
    check_many,
    compare,
    restore,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Index",
    "UnspinError",
    "__version__",
    "check",
    "check_many",
    "compare",
    "restore",
]
