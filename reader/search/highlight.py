"""Where the words of a query are in a text, for highlighting.

Runs on the text as shown (LaTeX rendered) with the same analysis as the
index (:func:`reader.search.query.analyze`), so ``Poincaré`` highlights for
``poincare``, ``functions`` for ``function``, ``studies`` for ``study``; a
term ending in ``*`` highlights words starting with it, one ending in ``~``
words within one edit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reader.search.query import STOP_WORDS, fold, stem

_WORD = re.compile(r"\w+")


def _within_one(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of the words that match ``terms``
    (as given in :attr:`SearchResult.terms`), in order, not overlapping."""
    if not text or not terms:
        return []
    exact: set[str] = set()
    prefixes: list[str] = []
    fuzzy: list[str] = []
    for t in terms:
        t = fold(t)
        if t.endswith("*"):
            base = t.rstrip("*")
            if base:
                prefixes.append(base)
        elif t.endswith("~"):
            base = t.rstrip("~")
            if base:
                fuzzy.append(stem(base))
        elif t:
            exact.add(stem(t))

    def hit(word: str) -> bool:
        if word in STOP_WORDS:
            return False
        s = stem(word)
        return (
            s in exact
            or any(s.startswith(p) or word.startswith(p) for p in prefixes)
            or any(_within_one(s, f) for f in fuzzy)
        )

    out: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        # One shown word may fold to several (``ΛCDM``: lambda cdm), as indexed.
        if any(hit(w) for w in fold(m.group()).split()):
            out.append((m.start(), m.end()))
    return out
