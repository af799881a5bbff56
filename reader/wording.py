"""Counts in words, the same everywhere the reader shows one.

``counted(1, "paper")`` -> ``"1 paper"``; ``counted(91714, "paper")`` ->
``"91,714 papers"``: a number is always grouped with commas and its noun agrees
with it. The app and the CLI use this and nothing else for "N things".
"""

from __future__ import annotations

_IRREGULAR = {"match": "matches", "entry": "entries", "day": "days", "library": "libraries"}


def plural(word: str) -> str:
    """The plural of one of the reader's nouns (``paper`` -> ``papers``)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def number(n: int) -> str:
    """``91714`` -> ``"91,714"``."""
    return f"{n:,}"


def counted(n: int, word: str, many: str | None = None) -> str:
    """``n`` and its noun: ``"1 paper"``, ``"0 papers"``, ``"2,001 papers"``."""
    noun = word if n == 1 else (many or plural(word))
    return f"{number(n)} {noun}"
