"""A first read as it goes: the papers read so far, as a library to show.

When the cache holds no library (a first open, or a cache deleted), the app
shows itself at once and reads the digests in a worker thread
(:meth:`reader.session.Session.read_first`): :func:`reader.library.open_library`
gives each digest to a sink as soon as it is read, the small files first.
:class:`SoFar` takes them in and makes, when asked, a
:class:`~reader.library.Library` of the papers read so far (its
:attr:`~reader.library.Library.reading` says how far), which the list
shows and the searches answer over until the library is whole.

What was read is never changed here: the whole library merges the same
papers again, in file order. A paper met a second time is merged into a
copy made here, so what is shown meanwhile leaves no trace in the library.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from reader.catalog import paper_from_row, paper_row
from reader.library import Library
from reader.library import _as_read as as_read
from reader.library import _reorder as reorder
from reader.model import Digest, Paper, Problem, merge_papers
from reader.sanitize import clean_line

#: A file at least this big is named in the status line while it is read
#: (the small ones go by faster than the line refreshes).
LARGE_FILE = 1024 * 1024
#: The large file's name is cut to this many characters.
LABEL_CELLS = 28
#: A list of the papers so far is made at most once per this many times what
#: making the last one cost (0.3 s at 75k papers): the read goes on meanwhile.
COST_SHARE = 6.0


class SoFar:
    """The digests of a first read taken in so far (one thread feeds it and
    asks for :meth:`library`)."""

    def __init__(self) -> None:
        self._papers: dict[str, Paper] = {}
        #: Ids whose paper here is a copy made here (merged from several digests).
        self._copies: set[str] = set()
        self._problems: list[Problem] = []
        self._done = 0
        self._total = 0
        self._label = ""
        #: When the last :meth:`library` was made, what making its list cost,
        #: and how many papers it held.
        self._made_at = 0.0
        self._cost = 0.0
        self._listed = 0
        #: The last library made, and the ids added or changed since: the next
        #: list is the last one's order with these merged in (not sorted again).
        self._last: Library | None = None
        self._touched: set[str] = set()

    def at(self, done: int, total: int, path: str) -> None:
        """The read is at file ``done`` of ``total`` (``path``, "" at the end)."""
        self._done, self._total = done, total
        self._label = ""
        if path:
            try:
                large = os.stat(path).st_size >= LARGE_FILE
            except OSError:
                large = False
            name = clean_line(Path(path).name)  # a file name may hold escapes
            if len(name) > LABEL_CELLS:
                name = name[: LABEL_CELLS - 1] + "…"
            self._label = name if large else ""

    def add(self, digest: Digest) -> None:
        """Take in one digest's papers (dated and ranked as the library does)."""
        self._problems.extend(digest.problems)
        papers = self._papers
        # What ``reader.library`` does to a paper read (again there: a no-op).
        for paper in as_read(digest):
            self._touched.add(paper.id)
            have = papers.get(paper.id)
            if have is None:
                papers[paper.id] = paper
                continue
            if paper.id not in self._copies:
                have = paper_from_row(paper_row(have), have.abstract)
                papers[paper.id] = have
                self._copies.add(paper.id)
            merge_papers(have, paper)

    @property
    def large(self) -> str:
        """The name of the large file being read ("" for a small one)."""
        return self._label

    @property
    def count(self) -> int:
        """Papers read so far (each once)."""
        return len(self._papers)

    def due(self, refresh: float) -> bool:
        """Whether a new list is worth making now: at once for the first
        papers, then at most every ``refresh`` seconds (0: always) and
        :data:`COST_SHARE` times what the last cost."""
        if not self._listed and self._papers:
            return True
        if not refresh:
            return True
        wait = max(refresh, COST_SHARE * self._cost)
        return time.monotonic() - self._made_at >= wait

    def made(self, seconds: float) -> None:
        """Making the list of the last :meth:`library` took ``seconds``."""
        self._cost = seconds

    def library(self) -> Library:
        """The papers read so far, as an incomplete library (``reading`` set)."""
        self._made_at = time.monotonic()
        self._listed = len(self._papers)
        lib = Library(papers=dict(self._papers), problems=list(self._problems))
        lib.expected = len(lib.papers)
        lib.reading = (self._done, self._total, self._label)
        if self._last is not None:
            reorder(lib, self._last, self._touched)
        self._last, self._touched = lib, set()
        return lib


def reading_library() -> Library:
    """The library the app shows before the first digest is read."""
    return Library(reading=(0, 0, ""))
