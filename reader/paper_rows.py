"""A list of papers that holds their ids, not the papers: :class:`PaperRows`.

The app's lists (every paper, a day, a tag, a search's results) are
sequences of ids answered by the catalog (:class:`reader.catalog.CatalogPapers`).
The list draws only a paper's :class:`ListRow` (title, day, upvotes): read
from the catalog's key rows, a window of its neighbours with it (one query,
no block decompressed, no :class:`Paper` made); the whole paper is read when
it is asked for (the cursor's, for the abstract pane), alone. The catalog
keeps the last few thousand of each. Over papers held in memory (a dict:
tests, a library read from the digests) the same sequence just looks them up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, overload

from reader.catalog import CatalogPapers
from reader.model import Paper

#: List rows read with the one asked for: the screen's window around it
#: (more below than above: lists are read downwards), in one query of the
#: catalog's key rows (96 rows of a search's results: 0.6 ms, where their
#: papers, a block each, took 25-30 ms over the real digests).
BEFORE = 16
AFTER = 80


class ListRow(NamedTuple):
    """What the paper list draws of a paper (beside the user's marks)."""

    id: str
    title: str
    date: str
    """Its latest day (:attr:`Paper.date`)."""
    upvotes: int | None


#: Rows read per query while walking the whole list.
CHUNK = 1024


class PaperRows(Sequence[Paper]):
    """The papers of ``ids`` (in that order) from ``source``; ``dates``:
    each one's latest day (:attr:`Paper.date`) when known without reading
    the rows (the catalog's columns), for the day separators. ``sorter``:
    these rows in another order (``sorter(how)``) without reading them, when
    the catalog can answer it (None: it cannot, sort by the papers)."""

    def __init__(
        self,
        ids: Sequence[str],
        source: Mapping[str, Paper],
        dates: Sequence[str] | None = None,
        sorter: Callable[[str], PaperRows | None] | None = None,
    ) -> None:
        self.ids = ids
        self.source = source
        self.dates = dates
        self.sorter = sorter

    def sorted(self, how: str) -> PaperRows | None:
        """These rows in the order ``how`` from the catalog (None: not known
        there; :func:`reader.views.sort_papers` then reads their keys)."""
        return self.sorter(how) if self.sorter is not None else None

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Paper: ...
    @overload
    def __getitem__(self, i: slice) -> PaperRows: ...
    def __getitem__(self, i: int | slice) -> Paper | PaperRows:
        if isinstance(i, slice):
            dates = self.dates[i] if self.dates is not None else None
            return PaperRows(self.ids[i], self.source, dates)
        # The paper alone: the list draws its neighbours from their rows.
        return self.source[self.ids[i]]

    def row(self, i: int) -> ListRow:
        """What the list draws of paper ``i``; over the catalog, read with
        the window around it (:data:`BEFORE`, :data:`AFTER`) when not kept."""
        pid = self.ids[i]
        source = self.source
        if not isinstance(source, CatalogPapers):
            return _row_of(source[pid])
        got = source.list_row_kept(pid)
        if got is None:
            at = i if i >= 0 else len(self.ids) + i
            got = source.list_rows(self.ids[max(0, at - BEFORE) : at + AFTER]).get(pid)
            if got is None:
                raise KeyError(pid)
        return ListRow(pid, *got)

    def __iter__(self) -> Iterator[Paper]:
        source = self.source
        for at in range(0, len(self.ids), CHUNK):
            part = self.ids[at : at + CHUNK]
            got = source.take(part) if isinstance(source, CatalogPapers) else source
            for pid in part:
                yield got[pid]

    def __contains__(self, paper: object) -> bool:
        return isinstance(paper, Paper) and paper.id in set(self.ids)

    def select(self, ids: Iterable[str]) -> PaperRows:
        """The papers of this list whose id is in ``ids``, in this order."""
        keep = ids if isinstance(ids, (set, frozenset)) else set(ids)
        if self.dates is None:
            return PaperRows([pid for pid in self.ids if pid in keep], self.source)
        pairs = [(pid, d) for pid, d in zip(self.ids, self.dates, strict=True) if pid in keep]
        return PaperRows([p for p, _ in pairs], self.source, [d for _, d in pairs])


def list_row(papers: Sequence[Paper], i: int) -> ListRow:
    """What the list draws of ``papers[i]`` (no paper read for a :class:`PaperRows`)."""
    if isinstance(papers, PaperRows):
        return papers.row(i)
    return _row_of(papers[i])


def _row_of(p: Paper) -> ListRow:
    return ListRow(p.id, p.title, p.date, p.upvotes)


def ids_of(papers: Sequence[Paper]) -> Sequence[str]:
    """The ids of ``papers``, in order (no row read for a :class:`PaperRows`)."""
    if isinstance(papers, PaperRows):
        return papers.ids
    return [p.id for p in papers]


def dates_of(papers: Sequence[Paper]) -> Sequence[str]:
    """Each paper's latest day, in order: no row read when the list knows
    them, else over the catalog from its key rows (a search's results sorted
    by day: a block each of a thousand scattered papers, 60-160 ms on the
    event loop over the real digests, where their key rows take a few)."""
    if isinstance(papers, PaperRows):
        if papers.dates is not None:
            return papers.dates
        source = papers.source
        if isinstance(source, CatalogPapers):
            got = source.dates_of(papers.ids)
            if got is not None and len(got) == len(set(papers.ids)):
                papers.dates = [got[pid] for pid in papers.ids]
                return papers.dates
    return [p.date for p in papers]
