"""Counts in words, the same everywhere the reader shows one.

``counted(1, "paper")`` -> ``"1 paper"``; ``counted(91714, "paper")`` ->
``"91,714 papers"``: a number is always grouped with commas and its noun agrees
with it. The app and the CLI use this and nothing else for "N things". A
number that is only an estimate says so: ``counted(15063, "paper",
exact=False)`` -> ``"about 15,000 papers"``.
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


def problems_told(errors: int, warnings: int) -> str:
    """``1 problem, 2 warnings``: what could not be read (a problem) and what
    was read but is worth knowing (a warning), said alike by the app's status
    line, its problems list and ``check`` ("" when there is neither)."""
    parts = [counted(errors, "problem")] if errors else []
    if warnings:
        parts.append(counted(warnings, "warning"))
    return ", ".join(parts)


def upvotes(n: int, spaced: bool = False) -> str:
    """``▲1,163``: a paper's upvotes, grouped as every count is, in the list
    and (``spaced``: ``▲ 1,163``, beside other facts) the abstract pane."""
    return f"▲ {number(n)}" if spaced else f"▲{number(n)}"


def number(n: int, exact: bool = True) -> str:
    """``91714`` -> ``"91,714"``; an estimate is rounded to two significant
    digits and says so: ``"about 92,000"``."""
    if exact:
        return f"{n:,}"
    if n >= 100:
        digits = len(str(n)) - 2
        n = round(n, -digits)
    return f"about {n:,}"


def counted(n: int, word: str, many: str | None = None, exact: bool = True) -> str:
    """``n`` and its noun: ``"1 paper"``, ``"0 papers"``, ``"2,001 papers"``;
    ``exact=False``: ``"about 2,000 papers"``."""
    noun = word if n == 1 else (many or plural(word))
    return f"{number(n, exact)} {noun}"
