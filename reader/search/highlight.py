"""Where the words of a query are in a text, for highlighting.

Runs on the text as shown (LaTeX rendered) with the same analysis as the
index (:func:`reader.search.query.analyze`), so ``Poincaré`` highlights for
``poincare``, ``functions`` for ``function``, ``studies`` for ``study``; a
term ending in ``*`` highlights words starting with it, one ending in ``~``
(``~2``) words within one (two) edits, as :func:`~reader.search.analysis.within_edits`
counts them for the search itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reader.search.analysis import STOP_WORDS, fold, stem, within_edits

_WORD = re.compile(r"\w+")


def spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of the words that match ``terms``
    (as given in :attr:`SearchResult.terms`), in order, not overlapping."""
    if not text or not terms:
        return []
    exact: set[str] = set()
    prefixes: list[str] = []
    fuzzy: list[tuple[str, int]] = []
    for t in terms:
        t = fold(t)
        if t.endswith("*"):
            base = t.rstrip("*")
            if base:
                prefixes.append(base)
        elif "~" in t:
            base, _, dist = t.rpartition("~")
            if base:
                fuzzy.append((stem(base), int(dist) if dist.isdigit() else 1))
        elif t:
            exact.add(stem(t))

    def hit(word: str) -> bool:
        if word in STOP_WORDS:
            return False
        s = stem(word)
        return (
            s in exact
            or any(s.startswith(p) or word.startswith(p) for p in prefixes)
            or any(s[:1] == f[:1] and within_edits(s, f, k) for f, k in fuzzy)
        )

    out: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        # One shown word may fold to several (``ΛCDM``: lambda cdm), as indexed.
        if any(hit(w) for w in fold(m.group()).split()):
            out.append((m.start(), m.end()))
    return out
