"""Digest text made ready for the screen: sanitised, LaTeX made readable, and
turned into ``rich.text.Text`` / ``Content`` (never markup)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from rich.text import Text

from reader.latex import readable as _readable
from reader.sanitize import clean, clean_line
from reader.search.highlight import spans as _spans


def readable(text: str) -> str:
    """LaTeX math as readable Unicode; the text unchanged when that fails."""
    if "$" not in text and "\\" not in text:
        return text
    try:
        return str(_readable(text))
    except Exception:  # a display nicety must never break the screen
        return text


def line(text: str | None) -> str:
    """A one-line field (title, author, tag) ready to show."""
    return readable(clean_line(text or "")).strip()


def block(text: str | None) -> str:
    """A multi-line field (abstract, note) ready to show."""
    return readable(clean(text or ""))


def match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the search terms match in ``text`` (``(start, end)`` offsets)."""
    if not terms or not text:
        return []
    try:
        return [(int(a), int(b)) for a, b in _spans(text, list(terms))]
    except Exception:  # a display nicety must never break the screen
        return []


def highlight(text: Text, terms: Sequence[str], style: Style | str) -> Text:
    """Style every matched search word in ``text`` (in place; returned)."""
    for start, end in match_spans(text.plain, terms):
        text.stylize(style, start, end)
    return text


def joined(items: Iterable[str], sep: str = ", ") -> str:
    return sep.join(i for i in items if i)
