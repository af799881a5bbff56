"""What a list of papers means, as plain rules the app's screens ask.

The order of a list (and the order a digest day is ranked in by its source),
where its days begin, the next unread paper, and the counts the sidebar and
the status line show. No Textual here: the rules have plain tests
(``tests/test_views.py``) and the screen only calls them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from reader.model import Paper
from reader.wording import counted, number

if TYPE_CHECKING:
    from reader.library import Library

#: The orders the sort key cycles through, in this order.
SORTS = ("newest", "upvotes", "title")
#: How the status line names an order.
SORT_NAMES = {
    "newest": "newest first",
    "oldest": "oldest first",
    "upvotes": "by upvotes",
    "title": "by title",
    "relevance": "best match first",
}


def sort_papers(papers: Iterable[Paper], how: str) -> list[Paper]:
    """``papers`` in the order ``how`` (one of :data:`SORTS`, or ``oldest``).

    Every order ends on the title, so equal keys never shuffle: ``newest`` is
    the latest digest day first (undated papers last; within a day, the
    latest published first, then the digest's own order: a pasted page
    lists its papers as the page did), ``upvotes`` the most upvoted first
    (papers without upvotes last, newest day first among equals, then the
    digest's order).
    """
    by_title = sorted(papers, key=lambda p: p.title.casefold())
    if how == "title":
        return by_title
    by_title.sort(key=_place)
    if how == "oldest":
        dated = [p for p in by_title if p.date]
        dated.sort(key=lambda p: p.date)
        return dated + [p for p in by_title if not p.date]
    if how == "newest":
        # Within a day the paper published last comes first (arXiv's date).
        by_title.sort(key=lambda p: p.published or "", reverse=True)
    by_title.sort(key=lambda p: p.date, reverse=True)
    if how == "upvotes":
        by_title.sort(key=lambda p: -1 if p.upvotes is None else p.upvotes, reverse=True)
    elif how != "newest":
        raise ValueError(f"unknown order: {how!r}")
    return by_title


def _place(paper: Paper) -> int:
    """The paper's place in the digest of its (latest) day; unranked last."""
    return paper.ranks.get(paper.date, 1 << 30)


def day_ranking(papers: Iterable[Paper]) -> str:
    """The order a digest day's own source ranks it in: Hugging Face Daily
    Papers rank by upvotes, so a day whose papers carry upvotes is sorted by
    them; any other day lists its papers newest first (then in the order
    its digest lists them)."""
    return "upvotes" if any(p.upvotes is not None for p in papers) else "newest"


def next_sort(current: str, natural: str) -> str:
    """The order after ``current`` for a list first built in the order
    ``natural`` (``relevance`` for a search, ``oldest`` for the catch-up):
    the cycle is :data:`SORTS`, with ``natural`` first when it is not one."""
    cycle = list(SORTS) if natural in SORTS else [natural, *SORTS]
    i = cycle.index(current) if current in cycle else -1
    return cycle[(i + 1) % len(cycle)]


def by_day(order: str) -> bool:
    """True when a list in ``order`` comes in runs of one day each (so day
    separators belong between the runs)."""
    return order in ("newest", "oldest")


# -- days in a list -----------------------------------------------------------


@dataclass(frozen=True)
class DayRun:
    """One day's run of papers in a list: ``start`` is the index of its first
    paper, ``count`` how many follow on that day."""

    day: str
    start: int
    count: int


def day_runs(papers: Sequence[Paper]) -> list[DayRun]:
    """The runs of consecutive papers on the same (latest) day, in list order.
    One pass; the screen makes it once per list, so moving stays O(1)."""
    runs: list[DayRun] = []
    start = 0
    for day, group in groupby(p.date for p in papers):
        count = sum(1 for _ in group)
        runs.append(DayRun(day, start, count))
        start += count
    return runs


@dataclass(frozen=True)
class DayRows:
    """The rows of ``papers`` drawn with a separator row above each day's
    run: made once per list (O(n), off the event loop where it can be), so
    drawing and moving are O(1) at any length. The tables are arrays, not
    lists: no object per row for the garbage collector to walk."""

    #: The list these rows are of (they fit no other).
    papers: Sequence[Paper]
    runs: list[DayRun]
    #: Paper index -> row.
    row_of: array[int]
    #: Row -> paper index, or ``-1 - k`` for the separator of run ``k``.
    at_row: array[int]


def day_rows(papers: Sequence[Paper]) -> DayRows | None:
    """The rows of ``papers`` with day separators (None: one day or none,
    no separators)."""
    runs = day_runs(papers)
    if len(runs) <= 1:
        return None
    row_of: array[int] = array("l")
    at_row: array[int] = array("l")
    for k, run in enumerate(runs):
        at_row.append(-1 - k)
        first = len(at_row)
        at_row.extend(range(run.start, run.start + run.count))
        row_of.extend(range(first, first + run.count))
    return DayRows(papers, runs, row_of, at_row)


def run_at(runs: Sequence[DayRun], index: int) -> int:
    """The position in ``runs`` of the run holding paper ``index`` (O(log n))."""
    return max(0, bisect_right(_Starts(runs), index) - 1)


class _Starts(Sequence[int]):
    """The runs' start indices as a sequence, without copying them."""

    def __init__(self, runs: Sequence[DayRun]) -> None:
        self.runs = runs

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, i: int) -> int:  # type: ignore[override]
        return self.runs[i].start


def step_day(runs: Sequence[DayRun], index: int, older: bool) -> int | None:
    """The first paper of the day before or after the one holding ``index``,
    for a list in date order (newest first: the older day is further down;
    the catch-up lists the oldest first). Going up from the top run goes to
    its own first paper. None: there is no such day, or the cursor is there."""
    if not runs:
        return None
    here = run_at(runs, index)
    newest_first = len(runs) < 2 or runs[0].day >= runs[-1].day
    if older == newest_first:  # the wanted day lies further down the list
        return runs[here + 1].start if here + 1 < len(runs) else None
    if here > 0:
        return runs[here - 1].start
    return runs[0].start if index > runs[0].start else None


def next_unread(papers: Sequence[Paper], after: int, read: Collection[str]) -> int | None:
    """The index of the first unread paper after ``after``, going round to the
    top of the list; None when every paper of the list is read."""
    n = len(papers)
    for step in range(1, n + 1):
        i = (after + step) % n
        if papers[i].id not in read:
            return i
    return None


def unread_count(papers: Iterable[Paper], read: Collection[str]) -> int:
    return sum(1 for p in papers if p.id not in read)


def day_counts(papers: Iterable[Paper], read: Collection[str]) -> dict[str, tuple[int, int]]:
    """For every digest day: ``(papers that appeared on it, of them unread)``."""
    counts: dict[str, list[int]] = {}
    for p in papers:
        unread = p.id not in read
        for day in p.dates:
            c = counts.get(day)
            if c is None:
                counts[day] = [1, int(unread)]
            else:
                c[0] += 1
                c[1] += unread
    return {day: (c[0], c[1]) for day, c in counts.items()}


def day_sizes(papers: Iterable[Paper]) -> dict[str, int]:
    """For every digest day: how many papers appeared on it (the sidebar's
    and the day view's count)."""
    return {day: n for day, (n, _unread) in day_counts(papers, ()).items()}


def day_heading(day: str, count: int, size: int | None = None) -> str:
    """The words of the row above a day's run: ``count`` papers listed below
    it. ``size``: the day's own count (a list of every paper); when papers
    of that day are listed under a later day they also appeared on, it says
    so, so the row and the sidebar's count agree:
    ``2025-08-21 · 21 of 22 papers (1 more under a later day)``."""
    day = day or "no date"
    if size is None or size <= count:
        return f"{day} · {counted(count, 'paper')}"
    later = size - count
    where = "a later day" if later == 1 else "later days"
    return (
        f"{day} · {number(count)} of {counted(size, 'paper')} ({number(later)} more under {where})"
    )


# -- the library in a few words -------------------------------------------------


def library_parts(library: Library) -> list[tuple[str, str]]:
    """What the status line says about ``library``, as ``(kind, text)`` parts
    (kinds: papers, days, problems, sample, reading), so a narrow screen can
    drop the least useful part first."""
    n = len(library.papers)
    if not library.complete:
        return [
            ("papers", counted(n, "newest paper")),
            ("reading", f"reading {number(library.expected or n)}…"),
        ]
    parts = [("papers", counted(n, "paper")), ("days", counted(len(library.days()), "day"))]
    problems = sum(1 for p in library.problems if p.severity == "error")
    if problems:
        parts.append(("problems", counted(problems, "problem")))
    if library.is_sample:
        parts.append(("sample", "sample digests"))
    return parts
