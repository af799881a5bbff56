"""What the search engine asks of a library's papers beyond a mapping of them.

A library's ``papers`` is a mapping of id to :class:`~reader.model.Paper`:
a plain dict (read from the digests, in memory) or, over the catalog, a
:class:`~reader.catalog.CatalogPapers` that reads rows on demand. The
engine builds its columns, days and tags from either; over the catalog it
asks for them as columns (one query each, no paper read). This module names
those questions once, as :class:`PapersSource`, so that the engine calls
typed methods instead of probing the mapping for them by name.

Every answer may be None: "not known as columns here, walk the mapping".
The in-memory papers (:class:`InMemoryPapers`) always answer None (walking a
dict is the quick way), and so does the catalog's once it was found damaged
and its papers were read from the digests instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from reader.catalog import CatalogPapers
from reader.model import Paper

if TYPE_CHECKING:
    from reader.search.idtable import IdTable

__all__ = ["CatalogColumns", "InMemoryPapers", "PapersSource", "source_of"]

#: (ids, latest days as UTF-8, upvotes (-1: none), whether voted, has code)
#: of every paper, in list order (see :meth:`reader.catalog.Catalog.columns`).
CatalogColumns = tuple[list[str], list[bytes], list[int], list[int], list[int]]


class PapersSource(Protocol):
    """The papers' own answers as columns (None: walk the mapping)."""

    def columns(self) -> CatalogColumns | None:
        """Every paper's id, day, upvotes and code, in list order."""
        ...

    def on_days(self, lo: str, hi: str) -> list[str] | None:
        """The ids of the papers with a day from ``lo`` to ``hi``."""
        ...

    def day_columns(self) -> tuple[list[str], Any] | None:
        """Every (day, id) sorted by day, as a list of days and a numpy
        array of the ids' UTF-8 bytes."""
        ...

    def days(self) -> list[tuple[str, str]] | None:
        """Every (day, id), sorted by day (when :meth:`day_columns` is None)."""
        ...

    def tag_columns(self) -> tuple[list[str], Any, Any] | None:
        """The distinct source tags, and for each (paper, tag) pair the
        paper's id (numpy, UTF-8 bytes) and the tag's place among them."""
        ...

    def source_tags(self) -> list[tuple[str, list[str]]] | None:
        """(id, source tags) of every paper that has some."""
        ...

    def id_table(self, ids: Sequence[str]) -> IdTable | None:
        """The :class:`IdTable` of ``ids`` when they are :meth:`columns`'
        own list (one table shared with ``in``); None for another list."""
        ...

    def dates_of(self, ids: Iterable[str]) -> dict[str, str] | None:
        """The latest day of each of ``ids`` held, by id."""
        ...

    def which(self, ids: Sequence[str]) -> list[bool] | None:
        """Whether each of ``ids`` is held, in one search of them all."""
        ...

    def take(self, ids: Iterable[str]) -> Mapping[str, Paper] | None:
        """The papers of ``ids`` held, read together (their blocks once)."""
        ...


class InMemoryPapers:
    """:class:`PapersSource` of papers held in memory (a dict): nothing is
    known as columns, the engine walks the papers themselves."""

    __slots__ = ("papers",)

    def __init__(self, papers: Mapping[str, Paper]) -> None:
        self.papers = papers

    def columns(self) -> CatalogColumns | None:
        return None

    def on_days(self, lo: str, hi: str) -> list[str] | None:
        return None

    def day_columns(self) -> tuple[list[str], Any] | None:
        return None

    def days(self) -> list[tuple[str, str]] | None:
        return None

    def tag_columns(self) -> tuple[list[str], Any, Any] | None:
        return None

    def source_tags(self) -> list[tuple[str, list[str]]] | None:
        return None

    def id_table(self, ids: Sequence[str]) -> IdTable | None:
        return None

    def dates_of(self, ids: Iterable[str]) -> dict[str, str] | None:
        return None

    def which(self, ids: Sequence[str]) -> list[bool] | None:
        return None

    def take(self, ids: Iterable[str]) -> Mapping[str, Paper] | None:
        return None


def source_of(papers: Mapping[str, Paper]) -> PapersSource:
    """The :class:`PapersSource` of a library's ``papers``: the catalog's
    mapping itself, else the in-memory one."""
    if isinstance(papers, CatalogPapers):
        return papers
    return InMemoryPapers(papers)
