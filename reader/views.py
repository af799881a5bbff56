"""What a list of papers means, as plain rules the app's screens ask.

What a list shows (:class:`View` and its kinds), the order of a list (and
the order a digest day is ranked in by its source), where its days begin,
the day before or after, the next unread paper and the next day with one,
the catch-up since the last session, and the counts the sidebar and the
status line show. No Textual here: the rules have plain tests
(``tests/test_views.py``) and the screen only calls them.

A list is a list of papers or, over the catalog, rows read on demand
(:class:`~reader.paper_rows.PaperRows`): the rules read only what they need
of it (ids, days, sort keys), and the library's days and counts come from
the catalog (:func:`library_day_counts`), not from a walk of its papers.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import groupby
from typing import TYPE_CHECKING, Literal, cast

from reader.model import Paper
from reader.paper_rows import PaperRows, dates_of, ids_of
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


def sort_papers(papers: Iterable[Paper], how: str) -> Sequence[Paper]:
    """``papers`` in the order ``how`` (one of :data:`SORTS`, or ``oldest``).

    Every order ends on the title, so equal keys never shuffle: ``newest`` is
    the latest digest day first (undated papers last; within a day, the
    latest published first, then the digest's own order: a pasted page
    lists its papers as the page did), ``upvotes`` the most upvoted first
    (papers without upvotes last, newest day first among equals, then the
    digest's order).

    Rows read on demand (:class:`PaperRows`) are sorted by their keys only,
    read a chunk at a time: the answer is rows again, no paper kept.
    """
    if isinstance(papers, PaperRows):
        got = papers.sorted(how)
        if got is not None:
            return got
        # A _Key has every attribute the sort reads.
        keys = sort_papers(cast(list[Paper], [_Key(p) for p in papers]), how)
        return PaperRows([k.id for k in keys], papers.source, [k.date for k in keys])
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


class _Key:
    """What :func:`sort_papers` reads of a paper, without the paper."""

    __slots__ = ("id", "title", "date", "published", "upvotes", "ranks")

    def __init__(self, p: Paper) -> None:
        self.id, self.title, self.date = p.id, p.title, p.date
        self.published, self.upvotes = p.published, p.upvotes
        rank = p.ranks.get(p.date)
        self.ranks = {} if rank is None else {p.date: rank}


def _place(paper: Paper | _Key) -> int:
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


# -- what a list shows ----------------------------------------------------------

#: What a list can show: every paper, one digest day, a tag of the user's,
#: the starred papers, a saved search, a search typed in the box, papers
#: similar to one, the catch-up, one remembered source, the papers new since
#: the last fetch or reload.
ViewKind = Literal[
    "all", "day", "tag", "starred", "saved", "search", "similar", "catchup", "source", "new"
]


@dataclass
class View:
    """What the list shows: its kind, its label on the status line and its
    papers, with what it needs to be shown again or in another order."""

    kind: ViewKind
    label: str
    #: A list, or rows read on demand (:class:`~reader.paper_rows.PaperRows`).
    papers: Sequence[Paper]
    #: The day, tag, saved-search name, source path, query or paper id.
    value: str = ""
    terms: list[str] = field(default_factory=list)
    #: Catch-up: the ids it started with (for "N of M read").
    ids: list[str] = field(default_factory=list)
    #: Search: how many papers match in all (the list holds the best of them).
    total: int = 0
    #: False when that number is an estimate (shown as "about N").
    exact: bool = True
    #: The order ``papers`` was built in (:data:`SORTS` names, ``oldest``, or
    #: ``relevance`` for a search); the sort key cycles from it.
    natural: str = "newest"
    #: The order shown ("" = ``natural``).
    order: str = ""
    #: Similar papers: the view and the paper it was opened from, and the
    #: view the search bar returned to then (``Esc`` goes back to them).
    origin: tuple[View, str, View] | None = None
    #: The papers as first built, once another order is shown.
    found: Sequence[Paper] | None = None
    #: A search still running (its count is not known yet).
    searching: bool = False
    #: Every paper's list: each day's own count (its separator says how many
    #: of the day are listed under a later day).
    day_sizes: dict[str, int] | None = None
    #: The list's day separators, when made beforehand (:func:`day_rows`,
    #: off the event loop); they fit ``papers`` only (the list checks).
    rows: DayRows | None = None

    @property
    def shown_order(self) -> str:
        return self.order or self.natural

    def sorted(self, order: str) -> View:
        """This view in ``order`` (``natural``: as first built)."""
        if order == self.natural:
            papers = self.found if self.found is not None else self.papers
            return replace(self, papers=papers, order="")
        found = self.found if self.found is not None else self.papers
        return replace(self, papers=sort_papers(found, order), order=order, found=found)


@dataclass(frozen=True)
class ViewCount:
    """How the status line counts a list: ``text`` (``best 50 of 1,204
    papers``), ``short`` for a narrow screen (``50/1,204``), and notes
    (``all caught up``, the order when it is not the list's own)."""

    text: str
    short: str
    notes: tuple[str, ...] = ()


def view_count(view: View, read: Callable[[], Collection[str]]) -> ViewCount:
    """The count of ``view`` for the status line; ``read`` gives the read
    ids (asked only for the catch-up, which counts what is read of it)."""
    shown = len(view.papers)
    notes: list[str] = []
    if view.kind == "catchup":
        done_ids = read()
        done = sum(1 for pid in view.ids if pid in done_ids)
        text = f"{number(done)} of {number(len(view.ids))} read"
        short = f"{number(done)}/{number(len(view.ids))}"
        if done == len(view.ids):
            notes.append("all caught up")
    elif view.searching:
        text, short = "searching…", "…"
    elif view.total > shown:
        text = f"best {number(shown)} of {counted(view.total, 'paper', exact=view.exact)}"
        short = f"{number(shown)}/{number(view.total, view.exact)}"
    else:
        text, short = counted(shown, "paper", exact=view.exact), number(shown, view.exact)
    order = view.shown_order
    # Named when chosen, and for a day its source ranks by upvotes (the
    # order of any other day needs no name: newest first, then by title).
    if order in SORT_NAMES and (view.order or (view.kind == "day" and order != "newest")):
        notes.append(SORT_NAMES[order])
    return ViewCount(text, short, tuple(notes))


def all_papers(papers: Sequence[Paper], sizes: dict[str, int] | None = None) -> View:
    """The list of every paper (``library.ordered()``), with each day's own
    count (``sizes``: :meth:`Library.day_sizes`, else counted here) and the
    rows for its separators: O(n), so a worker thread makes it for a
    library read in the background (``prepared``)."""
    if sizes is None:
        sizes = day_sizes(papers)
    return View("all", "All papers", papers, day_sizes=sizes, rows=day_rows(papers))


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
    for day, group in groupby(dates_of(papers)):
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


def adjacent_day(days: Sequence[str], here: str, older: bool) -> str | None:
    """The digest day before (``older``) or after ``here`` among ``days``
    (newest first, as :meth:`Library.days` gives them); a ``here`` that is
    no digest day (an undated paper) steps onto the newest or the oldest
    day. None: there is no such day."""
    i = days.index(here) if here in days else (-1 if older else len(days))
    j = i + 1 if older else i - 1
    return days[j] if 0 <= j < len(days) else None


def next_day_with_unread(
    days: Sequence[str], done: str, counts: Mapping[str, tuple[int, int]]
) -> str | None:
    """The day to go on to once day ``done`` is all read: the next older
    day with an unread paper (the way ``[`` goes), else the nearest newer
    one. ``counts``: :func:`day_counts`. None: every day is read."""
    at = days.index(done) if done in days else 0
    for day in [*days[at + 1 :], *days[:at][::-1]]:
        if counts.get(day, (0, 0))[1]:
            return day
    return None


@dataclass(frozen=True)
class CatchUp:
    """The catch-up: the unread papers of every day since ``start``, the
    oldest day first, each paper once."""

    start: str
    papers: Sequence[Paper]

    @property
    def label(self) -> str:
        return f"Catch-up since {self.start}" if self.start else "Catch-up"

    def view(self) -> View:
        ids = list(ids_of(self.papers))
        return View("catchup", self.label, self.papers, self.start, ids=ids, natural="oldest")


def catch_up(
    days: Sequence[str],
    on_day: Callable[[str], Sequence[Paper]],
    since: float | None,
    read: Collection[str],
) -> CatchUp:
    """What is unread since the last session began (``since``, a Unix time;
    None: never, so from the newest day). Days are UTC dates; a library
    whose newest day is older than ``since`` starts on that newest day, so
    the last digest read is never skipped."""
    if since is None:
        start = days[0] if days else ""
    else:
        start = datetime.fromtimestamp(since, tz=timezone.utc).strftime("%Y-%m-%d")
        start = min(start, days[0]) if days else start
    chosen: list[str] = []
    seen: set[str] = set()
    held: dict[str, Paper] = {}
    source: Mapping[str, Paper] | None = None
    for day in sorted(d for d in days if d >= start):
        papers = on_day(day)
        if isinstance(papers, PaperRows):  # the ids only: rows read as shown
            source = papers.source
        else:
            held.update((p.id, p) for p in papers)
        for pid in ids_of(papers):
            if pid not in seen and pid not in read:
                seen.add(pid)
                chosen.append(pid)
    if source is not None:
        return CatchUp(start, PaperRows(chosen, source))
    return CatchUp(start, [held[pid] for pid in chosen])


def select(papers: Sequence[Paper], ids: Collection[str]) -> Sequence[Paper]:
    """The papers of ``papers`` whose id is in ``ids``, in their order (over
    rows read on demand: by their ids, no row read)."""
    if isinstance(papers, PaperRows):
        return papers.select(ids)
    return [p for p in papers if p.id in ids]


def next_unread(papers: Sequence[Paper], after: int, read: Collection[str]) -> int | None:
    """The index of the first unread paper after ``after``, going round to the
    top of the list; None when every paper of the list is read."""
    ids = ids_of(papers)
    n = len(ids)
    for step in range(1, n + 1):
        i = (after + step) % n
        if ids[i] not in read:
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


def sidebar_days(
    days: Iterable[str], papers: Iterable[Paper], read: Collection[str]
) -> list[tuple[str, int, int]]:
    """The sidebar's days, in the order of ``days``: ``(day, papers that
    appeared on it, of them unread)``; a day no paper is on counts 0."""
    counts = day_counts(papers, read)
    return [(d, *counts.get(d, (0, 0))) for d in days]


def library_day_counts(library: Library, read: Collection[str]) -> dict[str, tuple[int, int]]:
    """:func:`day_counts` of the whole library, from its day sizes and the
    days of the read papers (no paper read over the catalog)."""
    done = library.day_sizes_of(read)
    return {day: (n, max(0, n - done.get(day, 0))) for day, n in library.day_sizes().items()}


def library_sidebar_days(library: Library, read: Collection[str]) -> list[tuple[str, int, int]]:
    """:func:`sidebar_days` of the whole library, newest day first."""
    counts = library_day_counts(library, read)
    return [(d, *counts[d]) for d in sorted(counts, reverse=True)]


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
    (kinds: papers, days, problems, sample, reading, file: the large file a
    first read is at), so a narrow screen can drop the least useful part first."""
    if library.reading is not None:  # a first read: what is read so far
        done, total, large = library.reading
        if not total:
            step = "reading digests…"
        elif done < total:
            step = f"reading digests {number(done)}/{number(total)}"
        else:  # every file read: the catalog is written, the library opened again
            step = f"{counted(total, 'digest')} read, storing them…"
        parts = [("reading", step), ("papers", counted(len(library.papers), "paper"))]
        if large:
            parts.insert(1, ("file", large))
        return parts
    n = len(library.papers) if library.complete else len(library.ordered())
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
