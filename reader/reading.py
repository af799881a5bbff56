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
from pathlib import Path

from reader.catalog import paper_from_row, paper_row
from reader.library import Library
from reader.model import Digest, Paper, Problem, merge_papers

#: A file at least this big is named in the status line while it is read
#: (the small ones go by faster than the line refreshes).
LARGE_FILE = 1024 * 1024
#: The large file's name is cut to this many characters.
LABEL_CELLS = 28


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
        #: Papers taken in since the last :meth:`library`.
        self.fresh = 0

    def at(self, done: int, total: int, path: str) -> None:
        """The read is at file ``done`` of ``total`` (``path``, "" at the end)."""
        self._done, self._total = done, total
        self._label = ""
        if path:
            try:
                large = os.stat(path).st_size >= LARGE_FILE
            except OSError:
                large = False
            name = Path(path).name
            if len(name) > LABEL_CELLS:
                name = name[: LABEL_CELLS - 1] + "…"
            self._label = name if large else ""

    def add(self, digest: Digest) -> None:
        """Take in one digest's papers (dated and ranked as the library does)."""
        self._problems.extend(digest.problems)
        papers = self._papers
        for place, paper in enumerate(digest.papers):
            # What ``reader.library`` does to a paper read (again there: a no-op).
            if digest.date and not paper.dates:
                paper.dates = [digest.date]
            for day in paper.dates:
                paper.ranks.setdefault(day, place)
            if digest.path not in paper.sources:
                paper.sources.append(digest.path)
            have = papers.get(paper.id)
            if have is None:
                papers[paper.id] = paper
                continue
            if paper.id not in self._copies:
                have = paper_from_row(paper_row(have), have.abstract)
                papers[paper.id] = have
                self._copies.add(paper.id)
            merge_papers(have, paper)
        self.fresh += len(digest.papers)

    @property
    def large(self) -> str:
        """The name of the large file being read ("" for a small one)."""
        return self._label

    @property
    def count(self) -> int:
        """Papers read so far (each once)."""
        return len(self._papers)

    def library(self) -> Library:
        """The papers read so far, as an incomplete library (``reading`` set)."""
        self.fresh = 0
        lib = Library(papers=dict(self._papers), problems=list(self._problems))
        lib.expected = len(lib.papers)
        lib.reading = (self._done, self._total, self._label)
        return lib


def reading_library() -> Library:
    """The library the app shows before the first digest is read."""
    return Library(reading=(0, 0, ""))
