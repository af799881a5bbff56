"""The search engine: the query language over the index, the library and the state.

* Text (words, phrases, ``prefix*``, ``word~``, fields) runs in Whoosh
  (:class:`~reader.search.index.SearchIndex`), BM25F with field boosts.
* Filters (``is:``, ``has:``, ``tag:``, ``id:``, ``date:``, ``upvotes:``) run
  here, at query time, over the library and the state store's sets: a star
  made a moment ago shows in ``is:starred`` at once; nothing is re-indexed.
* Papers the index does not hold yet (a first build in progress, a digest just
  added, no index at all) are matched by a scan of their text
  (:mod:`reader.search.scan`), so search always covers every paper; their
  scores are approximate until indexed. With a :attr:`SearchEngine.scan_budget`
  (the app's) a scan stops when its time is spent and the count says "about";
  a query given ``cancelled`` stops when it turns true (:class:`Cancelled`).
* Every step works on numpy arrays of document numbers (the columns' own
  numbering): the index's matches are mapped to it, merged with the scan's,
  ranked (equal scores newer first, then by id) and sorted without a Python
  object per match.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

import numpy as np

from reader.catalog import CatalogDamaged, CatalogPapers, present
from reader.model import Paper
from reader.paper_rows import PaperRows
from reader.papers_source import PapersSource, source_of
from reader.release import release
from reader.search.idtable import IdTable
from reader.search.index import IndexUnavailable, SearchIndex
from reader.search.index.hashes import as_dict
from reader.search.index.scorer import best_first
from reader.search.query import (
    And,
    DateIn,
    Everything,
    HasCode,
    IdIs,
    Node,
    Not,
    Or,
    ParsedQuery,
    StateIs,
    Tag,
    Text,
    Upvotes,
    analyze,
    is_text,
    parse_query,
    searchable,
)
from reader.search.renumber import Renumbering, places
from reader.search.scan import Cancelled, FoldCache, ScanCorpus, prefilter
from reader.search.stored_columns import ColumnStore, StoredColumns, tie_rank_of
from reader.slices import array_of

__all__ = ["Cancelled", "Count", "Hit", "SearchEngine", "SearchResult"]


class LibraryLike(Protocol):
    @property
    def papers(self) -> Mapping[str, Paper]: ...


class PaperStateLike(Protocol):
    @property
    def note(self) -> str: ...


class StateLike(Protocol):
    def get(self, pid: str) -> PaperStateLike: ...

    def ids(self) -> set[str]: ...

    def starred_ids(self) -> set[str]: ...

    def read_ids(self) -> set[str]: ...

    def ids_with_tag(self, tag: str) -> set[str]: ...

    def tag_counts(self) -> dict[str, int]: ...


@dataclass
class Hit:
    id: str
    score: float


@dataclass
class SearchResult:
    hits: list[Hit]
    #: Words to highlight (see :func:`reader.search.highlight.spans`).
    terms: list[str]
    #: The order used: relevance, newest, oldest or upvotes.
    sort: str
    #: How many papers match in all, also beyond ``hits`` (see ``exact``).
    total: int
    #: False when ``total`` is an estimate (say "about"): the scan of papers
    #: not indexed yet stopped at the engine's ``scan_budget`` before every
    #: paper, or matched a ``word~`` in some (see :class:`_Tally`). The scan
    #: matches words and phrases exactly as the index does.
    exact: bool = True
    #: How many matching papers were found by scanning (not indexed yet).
    scanned: int = 0
    parsed: ParsedQuery | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[str]:
        return [h.id for h in self.hits]


@dataclass(frozen=True)
class Count:
    """How many papers match a query (:meth:`SearchEngine.count`)."""

    n: int
    #: False when ``n`` is an estimate (see :attr:`SearchResult.exact`).
    exact: bool = True


@dataclass
class _Tally:
    """What one query's evaluation met on its way, and its limits."""

    #: Matches found by scanning papers not indexed yet.
    scanned: int = 0
    #: Of those, matches of a ``word~`` (the scan's edit distance is not
    #: always Whoosh's: Levenshtein in a segment, Damerau across segments),
    #: plus one for each scan stopped by the deadline (its count estimated).
    approximate: int = 0
    #: When the scan must stop (``time.monotonic()``; None: never).
    deadline: float | None = None
    #: True when a newer query has come (the scan raises :class:`Cancelled`).
    cancelled: Callable[[], bool] | None = None

    @property
    def exact(self) -> bool:
        return self.approximate == 0


def _date_key(p: Paper) -> str:
    return p.date


def _votes(p: Paper) -> int:
    return p.upvotes if p.upvotes is not None else -1


def _paper_days(p: Paper) -> list[str]:
    if p.dates:
        return p.dates
    return [p.published[:10]] if p.published else []


#: Upvotes kept in the int64 column are clamped to this (a vote count that
#: does not fit 63 bits is a damaged digest, not a ranking question).
_VOTES_CAP = 2**62


def _clamp(n: int) -> int:
    return max(-_VOTES_CAP, min(_VOTES_CAP, n))


def _place(ordered: Sequence[Paper], paper: Paper) -> int | None:
    """Where ``paper`` stands in ``ordered`` (the newest order of
    :meth:`Library.ordered`: latest day first, then title casefolded, then
    id), by binary search; None when it is not there."""
    day, key = paper.date, (paper.title.casefold(), paper.id)
    lo, hi = 0, len(ordered)
    while lo < hi:
        mid = (lo + hi) // 2
        q = ordered[mid]
        if q.date > day or (q.date == day and (q.title.casefold(), q.id) < key):
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(ordered) and ordered[lo].id == paper.id else None


@dataclass
class _Columns:
    """The papers as columns indexed by a document number, built once per
    version of the library (:meth:`SearchEngine._papers_version`): every
    filter is a boolean mask over them and every order a permutation, so a
    query does no Python work per paper. Document numbers follow the newest
    order (newest first, then by title and id): the numbers of a mask, in
    increasing order, are its papers newest first."""

    key: int
    #: Paper id by document number, as a list and as a numpy object array
    #: (the one list of the catalog's columns: the strings are the list's);
    #: see :attr:`ids` and :attr:`id_array` (made on first use from
    #: :attr:`stored`). An id's number is found by :meth:`numbers` (an
    #: :class:`IdTable`, shared with the catalog's ``in``), not by a dict of
    #: every id.
    _id_list: list[str] | None
    _id_objects: Any
    #: Upvotes (None counted as -1 for the sort) and whether there are any.
    votes: Any
    voted: Any
    has_code: Any
    #: Document numbers oldest first (undated last), and most upvoted first
    #: (ties newest first): see :attr:`oldest` and :attr:`by_votes`.
    _oldest: Any
    _by_votes: Any
    #: The papers the columns were made from.
    source: Mapping[str, Paper]
    #: The columns kept on disk these were read from (a CLI command over an
    #: unchanged library: :mod:`reader.search.stored_columns`), or None.
    stored: StoredColumns | None = None
    #: Held while a part made on first use (days, tags, tie ranks) is made:
    #: a query and the thread folding for the scan never make one
    #: twice, nor see one half made.
    _making: Any = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def build(
        cls, key: int, papers: Mapping[str, Paper], ordered: list[Paper] | None = None
    ) -> _Columns:
        """``ordered``: ``papers`` in the newest order when the library has
        it (:meth:`Library.ordered`, made by the worker that read it): not
        sorted again (two sorts of 100k papers, 0.4-0.8 s of the GIL)."""
        got = source_of(papers).columns()
        if got is not None:
            return cls._of_rows(key, papers, *got)
        if ordered is not None and len(ordered) == len(papers):
            n = len(ordered)
            votes = np.fromiter((_clamp(_votes(p)) for p in ordered), np.int64, n)
            voted = np.fromiter((p.upvotes is not None for p in ordered), np.bool_, n)
            code = np.fromiter((p.has_code for p in ordered), np.bool_, n)
            return cls._of_rows(
                key, papers, [p.id for p in ordered], [p.date for p in ordered], votes, voted, code
            )
        # One pass over the papers; the orders are then made by numpy. The
        # newest order: latest day first, then title casefolded (as
        # Library.ordered and the catalog's order), then id.
        ps = list(papers.values())
        n = len(ps)
        keys = [(p.title.casefold(), p.id) for p in ps]
        dates = [p.date for p in ps]
        by_title = np.array(sorted(range(n), key=keys.__getitem__), np.int64)
        del keys
        if n:
            _, day_code = np.unique(array_of(dates), return_inverse=True)
            perm = by_title[np.argsort(-day_code[by_title], kind="stable")]
        else:
            perm = by_title
        order = perm.tolist()
        votes = np.fromiter((_clamp(_votes(p)) for p in ps), np.int64, n)[perm]
        voted = np.fromiter((p.upvotes is not None for p in ps), np.bool_, n)[perm]
        code = np.fromiter((p.has_code for p in ps), np.bool_, n)[perm]
        return cls._of_rows(
            key, papers, [ps[i].id for i in order], [dates[i] for i in order], votes, voted, code
        )

    @classmethod
    def from_stored(cls, key: int, stored: StoredColumns, papers: Mapping[str, Paper]) -> _Columns:
        """The columns of ``papers`` from those kept on disk for them: no
        paper read, no order sorted; the ids decoded only for the papers
        shown, the orders and days made when a query asks for them."""
        cols = cls(key, None, None, stored.votes, stored.voted, stored.has_code, None, None, papers)
        cols.stored = stored
        cols._table = stored.ids
        cols._tie_rank = stored.tie_rank
        cols._n = stored.size
        return cols

    @classmethod
    def _of_rows(
        cls,
        key: int,
        papers: Mapping[str, Paper],
        ids: list[str],
        dates: list[Any],
        upvotes: Any,
        voted_: Any,
        code: Any,
    ) -> _Columns:
        """The columns from rows already in the newest order: the catalog's
        (:mod:`reader.catalog`; days as UTF-8 bytes, upvotes clamped, -1 for
        none; no paper read) or :meth:`build`'s (days as text)."""
        votes = np.asarray(upvotes, np.int64)
        voted = np.asarray(voted_, np.bool_)
        has_code = np.asarray(code, np.bool_)
        # Fixed-width numpy strings (bytes or text: UTF-8 bytes sort as the
        # text does) so that every order below is a sort in C.
        # Made a slice at a time: one numpy call over 100k days holds the
        # GIL for ~20 ms (the search thread makes this after each reload).
        day = array_of(dates) if dates else np.zeros(0, "S1")
        blank = day == day.dtype.type()
        dated = np.flatnonzero(~blank)
        # Oldest first: by date, ties in the newest order's (a stable sort).
        order = np.argsort(day[dated], kind="stable") if len(dated) else dated
        oldest = np.concatenate([dated[order], np.flatnonzero(blank)]).astype(np.int64)
        by_votes = np.argsort(-votes, kind="stable")
        cols = cls(
            key, ids, array_of(ids, object), votes, voted, has_code, oldest, by_votes, papers
        )
        cols._day = day
        return cols

    @classmethod
    def updated(
        cls,
        key: int,
        old: _Columns,
        papers: Mapping[str, Paper],
        touched: Collection[str],
        ordered: Sequence[Paper] | None = None,
    ) -> tuple[_Columns, Renumbering] | None:
        """The columns of ``papers``, a library that is ``old``'s with only
        the papers ``touched`` added, changed or removed (its
        :class:`~reader.library.Version` says so): ``old``'s columns,
        orders, tie ranks, days, tags and id table carried over by their
        document numbers (:mod:`reader.search.renumber`), only the touched
        papers read. None when that does not hold up (then build)."""
        want = sorted(touched)
        source = source_of(papers)
        got = source.columns()
        table: IdTable | None = None
        if old.stored is not None:
            return None  # a command's columns: not carried (made anew)
        if got is not None:  # the catalog's rows in list order (read by the reload's worker)
            ids: list[str] = got[0]
            table = source.id_table(ids) or IdTable(ids)
            nums = table.numbers(want)
            here = [(int(at), pid) for at, pid in zip(nums.tolist(), want, strict=True) if at >= 0]
            here.sort()
            at_l = [at for at, _ in here]
            rows: list[tuple[Any, int, bool, bool]] = [
                (got[1][at], got[2][at], bool(got[3][at]), bool(got[4][at])) for at in at_l
            ]
            size = len(ids)
        elif ordered is not None and len(ordered) == len(papers):
            placed = [_place(ordered, papers[pid]) for pid in want if pid in papers]
            if any(at is None for at in placed):
                return None
            at_l = sorted(at for at in placed if at is not None)
            here = [(at, ordered[at].id) for at in at_l]
            rows = [
                (p.date, _clamp(_votes(p)), p.upvotes is not None, p.has_code)
                for p in (ordered[at] for at in at_l)
            ]
            size = len(ordered)
        else:
            return None
        with old._making:
            removed = old.numbers(want)
            step = Renumbering.of(old.size, removed[removed >= 0], at_l, size)
            if step is None or not old.size:
                return None
            added_ids = [pid for _, pid in here]
            id_array = step.column(old.id_array, np.array(added_ids + [None], object)[:-1])
            if got is None:
                ids = id_array.tolist()
            # A few untouched papers looked at: the same ids at their new places.
            probe = np.flatnonzero(step.kept)
            probe = probe[np.linspace(0, len(probe) - 1, min(len(probe), 64)).astype(np.int64)]
            if id_array[step.old_to_new[probe]].tolist() != old.id_array[probe].tolist():
                return None
            day_new = np.array([r[0] for r in rows]) if rows else old._day[:0]
            if len(rows) and day_new.dtype.kind != old._day.dtype.kind:
                return None
            dtype = np.promote_types(old._day.dtype, day_new.dtype)
            day = step.column(old._day, day_new, dtype)
            votes = step.column(old.votes, np.array([r[1] for r in rows], np.int64))
            voted = step.column(old.voted, np.array([r[2] for r in rows], np.bool_))
            has_code = step.column(old.has_code, np.array([r[3] for r in rows], np.bool_))
            added = step.added
            blank = day_new == day.dtype.type()
            # Oldest first: dated by day (ties in the newest order), then undated.
            dated_old = int((old._day != old._day.dtype.type()).sum())
            seq = step.docs(old.oldest[:dated_old])
            new = added[~blank]  # added is ascending: ties already in order
            by = sorted(range(len(new)), key=lambda j: day[new[j]])
            new = new[by]
            at = places(day[seq], seq, day[new].tolist(), new.tolist())
            dated = np.insert(seq, at, new)
            rest = step.docs(old.oldest[dated_old:])
            undated = added[blank]
            rest = np.insert(rest, np.searchsorted(rest, undated), undated)
            oldest = np.concatenate([dated, rest]).astype(np.int64)
            # Most upvoted first, ties newest first.
            seq = step.docs(old.by_votes)
            neg = -votes
            new = added[np.argsort(neg[added], kind="stable")]
            at = places(neg[seq], seq, neg[new].tolist(), new.tolist())
            by_votes = np.insert(seq, at, new)
            cols = cls(key, ids, id_array, votes, voted, has_code, oldest, by_votes, papers)
            cols._day = day
            cols._table = table
            if table is None and old._table is not None:
                cols._table = old._table.renumbered(step.old_to_new, added_ids, added)
            if old._tie_rank is not None:
                cols._tie_rank = cols._carry_tie_rank(old._tie_rank, step)
            if old._days is not None or old._tags is not None:
                taken = source.take(added_ids)
                read: Mapping[str, Paper] = (
                    taken if taken is not None else {pid: papers[pid] for pid in added_ids}
                )
                if len(read) != len(added_ids):
                    return None
                fresh = [read[pid] for pid in added_ids]
                if old._days is not None:
                    cols._days = cols._carry_days(old._days, step, fresh)
                if old._tags is not None:
                    cols._carry_tags(old._tags, step, fresh, from_rows=got is not None)
        return cols, step

    def _carry_tie_rank(self, rank: Any, step: Renumbering) -> Any:
        """:attr:`tie_rank` from the old columns' ranks: their order kept,
        the added papers inserted by day (newest first), then id."""
        order = np.empty(len(rank), np.int64)
        order[rank] = np.arange(len(rank), dtype=np.int64)
        seq = step.docs(order)
        new = step.added
        ids = self.id_array
        by = sorted(range(len(new)), key=lambda j: ids[new[j]])
        by.sort(key=lambda j: self._day[new[j]], reverse=True)
        new = new[by]
        at = places(
            self._day[seq],
            lambda a, b: ids[seq[a:b]],
            self._day[new].tolist(),
            ids[new].tolist(),
            descending=True,
        )
        merged = np.insert(seq, at, new)
        out = np.empty(self.size, np.int64)
        out[merged] = np.arange(self.size, dtype=np.int64)
        return out

    def _carry_days(
        self, old: tuple[Any, Any], step: Renumbering, fresh: list[Paper]
    ) -> tuple[Any, Any]:
        """:meth:`by_day` from the old columns': the pairs of the papers
        kept renumbered (still by day, then number), the added papers' days
        inserted."""
        days, nums = old
        got = step.old_to_new[nums]
        keep = got >= 0
        days, nums = days[keep], got[keep]
        pairs = sorted(
            (d[:10], int(num))
            for num, p in zip(step.added.tolist(), fresh, strict=True)
            for d in set(_paper_days(p))
        )
        if pairs:
            at = places(days, nums, [d for d, _ in pairs], [n for _, n in pairs])
            days = np.insert(days, at, np.array([d for d, _ in pairs] + [None], object)[:-1])
            nums = np.insert(nums, at, np.array([n for _, n in pairs], np.int64))
        return days, nums

    def _carry_tags(
        self, old: dict[str, Any], step: Renumbering, fresh: list[Paper], from_rows: bool
    ) -> None:
        """:meth:`tags` from the old columns': every tag's papers renumbered
        at once (one array of them all), the added papers' tags joined in."""
        names = list(old)
        tags: dict[str, Any] = {}
        if names:
            sizes = np.fromiter((len(old[n]) for n in names), np.int64, len(names))
            flat = step.old_to_new[np.concatenate([old[n] for n in names])]
            keep = flat >= 0
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            left = np.add.reduceat(keep.astype(np.int64), starts) if len(flat) else sizes
            parts = np.split(flat[keep], np.cumsum(left)[:-1])
            tags = {n: part for n, part, k in zip(names, parts, left.tolist(), strict=True) if k}
        acc: dict[str, list[int]] = {}
        for num, p in zip(step.added.tolist(), fresh, strict=True):
            own: Iterable[str] = p.tags
            if from_rows:  # as the catalog keeps them: joined, none when empty
                joined = "\x1f".join(p.tags)
                own = joined.split("\x1f") if joined else ()
            for t in own:
                acc.setdefault(searchable(t), []).append(num)
        for t, docs in acc.items():
            have = tags.get(t)
            mine = np.unique(np.array(docs, np.int64))
            tags[t] = mine if have is None else np.union1d(have, mine)
        self._tag_names = sorted(tags)
        self._tags = tags

    #: Every (day, document number), sorted by day (a date filter is two
    #: bisections and a slice); made on the first ``date:`` (see :meth:`by_day`).
    _days: tuple[Any, Any] | None = None

    def on_days(self, lo: str, hi: str) -> Any:
        """The mask of the papers with a day in ``lo..hi`` (``date:``): from
        the columns kept on disk, or the catalog's index of days when the
        papers come from it (a command reads the days asked for), else by
        bisecting :meth:`by_day`."""
        if self.stored is not None and self._days is None:
            return self.stored.on_days(lo, hi)
        got = self.papers_source.on_days(lo, hi) if self._days is None else None
        if got is not None:
            return self.mask_of(got)
        days, day_docs = self.by_day()
        first = int(np.searchsorted(days, lo, side="left"))
        last = int(np.searchsorted(days, hi + "\uffff", side="right"))
        mask = np.zeros(self.size, np.bool_)
        mask[day_docs[first:last]] = True
        return mask

    def by_day(self) -> tuple[Any, Any]:
        """(days, document numbers): every day of every paper, sorted (the
        days as a numpy array of strings, objects)."""
        with self._making:
            return self._by_day()

    def _by_day(self) -> tuple[Any, Any]:
        if self._days is None:
            source = self.papers_source
            columns = source.day_columns()
            got = None if columns is not None else source.days()
            if columns is not None:  # the ids as UTF-8 bytes: no string per paper
                days = [d[:10] for d in columns[0]]
                nums = self.numbers(columns[1])
                del columns
            elif got is not None:
                days = [d[:10] for d, _ in got]
                nums = self.numbers([pid for _, pid in got])
            else:
                pairs = [
                    (d[:10], num)
                    for num, pid in enumerate(self.ids)
                    for d in set(_paper_days(self.source[pid]))
                ]
                days = [d for d, _ in pairs]
                nums = np.array([i for _, i in pairs], np.int64)
            del got
            # by day, then by document number (numpy: no tuple per paper's day)
            code: dict[str, int] = {}
            for d in sorted(set(days)):
                code[d] = len(code)
            codes = np.fromiter((code[d] for d in days), np.int64, len(days))
            keep = np.flatnonzero(nums >= 0)
            order = keep[np.lexsort((nums[keep], codes[keep]))]
            self._days = (array_of(days, object)[order], nums[order])
        return self._days

    #: The papers' own tags (as written) -> their document numbers; made on
    #: the first ``tag:`` (see :meth:`tags`).
    _tags: dict[str, Any] | None = None

    def tags(self) -> dict[str, Any]:
        """Each source tag of the papers, folded (:func:`searchable`) -> its
        papers' document numbers: a ``tag:`` looks the folded tag up (or,
        as a prefix, bisects the sorted names) instead of testing every
        paper's tags, or folding every distinct tag (the real digests' tens
        of thousands of keywords) on each query."""
        with self._making:
            return self._make_tags()

    def _make_tags(self) -> dict[str, Any]:
        if self._tags is None:
            columns = self.papers_source.tag_columns()
            if columns is not None:
                self._tags = self._tags_of_columns(*columns)
                self._tag_names = sorted(self._tags)
                return self._tags
            acc: dict[str, list[int]] = {}
            folded: dict[str, str] = {}
            got = self.papers_source.source_tags()
            pairs: Iterable[tuple[int, Iterable[str]]] = (
                (
                    (n, t)
                    for n, (_, t) in zip(
                        self.numbers([pid for pid, _ in got]).tolist(), got, strict=True
                    )
                    if n >= 0
                )
                if got is not None
                else ((i, self.source[pid].tags) for i, pid in enumerate(self.ids))
            )
            for num, tags in pairs:
                for t in tags:
                    f = folded.get(t)
                    if f is None:
                        f = folded[t] = searchable(t)
                    acc.setdefault(f, []).append(num)
            tags = {t: np.unique(np.array(d, np.int64)) for t, d in acc.items()}
            self._tag_names = sorted(tags)
            self._tags = tags
        return self._tags

    def _tags_of_columns(self, names: list[str], ids: Any, codes: Any) -> dict[str, Any]:
        """:meth:`tags` from the catalog's (paper, tag) pairs as columns
        (:meth:`Catalog.tag_columns`): numpy over the pairs, no Python
        object per paper."""
        nums = self.numbers(ids)
        keep = nums >= 0
        nums, codes = nums[keep], codes[keep]
        order = np.argsort(codes, kind="stable")
        nums, codes = nums[order], codes[order]
        bounds = np.searchsorted(codes, np.arange(len(names) + 1))
        by_fold: dict[str, list[Any]] = {}
        for c, name in enumerate(names):
            lo, hi = int(bounds[c]), int(bounds[c + 1])
            if hi > lo:
                by_fold.setdefault(searchable(name), []).append(nums[lo:hi])
        return {
            f: np.unique(parts[0] if len(parts) == 1 else np.concatenate(parts))
            for f, parts in by_fold.items()
        }

    _tag_names: list[str] | None = None

    def tag_docs(self, want: str, prefix: bool) -> list[Any]:
        """The document numbers of the papers with a source tag ``want``
        (folded; ``prefix``: starting with it), one array per tag."""
        tags = self.tags()
        if not prefix:
            got = tags.get(want)
            return [] if got is None else [got]
        names = self._tag_names or []
        lo = bisect.bisect_left(names, want)
        hi = bisect.bisect_left(names, want + "\U0010ffff", lo)
        return [tags[n] for n in names[lo:hi]]

    #: How many papers (None: ``len(ids)``).
    _n: int | None = None

    @property
    def size(self) -> int:
        return self._n if self._n is not None else len(self.ids)

    @property
    def ids(self) -> list[str]:
        """Paper id by document number (decoded on first use from
        :attr:`stored`: a command shows a few, :meth:`ids_at`)."""
        if self._id_list is None:
            assert self.stored is not None
            with self._making:
                if self._id_list is None:
                    self._id_list = self.stored.ids_at(np.arange(self.size))
        return self._id_list

    @property
    def id_array(self) -> Any:
        """:attr:`ids` as a numpy object array."""
        if self._id_objects is None:
            got = array_of(self.ids, object)
            with self._making:
                if self._id_objects is None:
                    self._id_objects = got
        return self._id_objects

    def ids_at(self, nums: Any) -> list[str]:
        """The ids of the document numbers ``nums``, in their order."""
        if self._id_objects is None and self.stored is not None:
            return self.stored.ids_at(nums)
        got: list[str] = self.id_array[nums].tolist()
        return got

    @property
    def oldest(self) -> Any:
        """Document numbers oldest first (undated last; ties in the newest order)."""
        if self._oldest is None:
            assert self.stored is not None
            self._oldest = self.stored.oldest()
        return self._oldest

    @property
    def by_votes(self) -> Any:
        """Document numbers most upvoted first (ties newest first)."""
        if self._by_votes is None:
            assert self.stored is not None
            self._by_votes = self.stored.by_votes()
        return self._by_votes

    @property
    def papers_source(self) -> PapersSource:
        """What :attr:`source` answers as columns (the catalog's)."""
        return source_of(self.source)

    def mask_of(self, ids: Iterable[str]) -> Any:
        """The mask of ``ids`` (ids not in the library are left out)."""
        mask = np.zeros(self.size, np.bool_)
        nums = self.numbers(list(ids))
        mask[nums[nums >= 0]] = True
        return mask

    _table: IdTable | None = None

    def numbers(self, ids: Sequence[str | None]) -> Any:
        """The document number of each of ``ids`` (-1: not in the library,
        or None): one binary search of them all (a ``date:``'s ids, the
        index's documents, an ``id:``)."""
        return self.table().numbers(ids)

    def table(self) -> IdTable:
        """The ids as an :class:`IdTable` (made on first use): the catalog's
        own when the ids are its columns' (one table for ``in`` and the
        document numbers), else made here."""
        with self._making:
            if self._table is None:
                got = self.papers_source.id_table(self.ids)
                self._table = got if got is not None else IdTable(self.ids)
            return self._table

    def ordered_nums(self, mask: Any, sort: str, limit: int | None = None) -> Any:
        """The document numbers of ``mask`` in the order of ``sort`` (newest
        for relevance)."""
        if sort == "oldest":
            nums = self.oldest[mask[self.oldest]]
        elif sort == "upvotes":
            nums = self.by_votes[mask[self.by_votes]]
        else:
            nums = np.flatnonzero(mask)
        return nums if limit is None else nums[:limit]

    def ordered(self, mask: Any, sort: str, limit: int | None = None) -> list[str]:
        """The ids of ``mask`` in the order of ``sort`` (newest for relevance)."""
        return self.ids_at(self.ordered_nums(mask, sort, limit))

    _tie_rank: Any = None
    #: Each document's latest day as a numpy string array (bytes or text).
    _day: Any = None

    @property
    def tie_rank(self) -> Any:
        """Each document's place among equal scores: newer first, then by id
        (the same on every build and in the CLI and the app)."""
        with self._making:
            return self._make_tie_rank()

    def _make_tie_rank(self) -> Any:
        if self._tie_rank is None:
            n = self.size
            rank = np.empty(n, np.int64)
            if n:
                _, day_code = np.unique(self._day, return_inverse=True)
                # ids in code point order, as str compares
                rank = tie_rank_of(-day_code.astype(np.int64), self.table().order)
            self._tie_rank = rank
        return self._tie_rank

    _id_keys: Any = None

    def id_keys(self) -> Any:
        """The ids by document number as the index's table takes them
        without a Python string each: the UTF-8 bytes of :meth:`table`
        (kept: the index keeps its document numbers for this very array),
        or :attr:`id_array` when the table holds them as strings. A map to
        a new index generation is then one binary search in C, not 100k
        strings encoded again (the search thread after each sync)."""
        with self._making:
            if self._id_keys is None:
                table = self.table()
                got = table.by_number()
                self._id_keys = got if got.dtype.kind == "S" else self.id_array
            return self._id_keys

    def mask_of_nums(self, nums: Any) -> Any:
        mask = np.zeros(self.size, np.bool_)
        mask[nums] = True
        return mask


@dataclass
class _Pending:
    """The papers the index does not hold (scanned), for one version of the
    library and of the index."""

    ids: set[str]
    #: How many (all: every paper of the library).
    count: int
    everything: bool
    #: Indexed, but no longer in the library (until the next sync): left out
    #: of the index's hits and counts.
    gone: set[str]
    #: ``ids`` as a mask over the columns (made when a scan needs it).
    _mask: Any = None

    def mask(self, cols: _Columns) -> Any:
        if self._mask is None or len(self._mask) != cols.size:
            self._mask = np.ones(cols.size, np.bool_) if self.everything else cols.mask_of(self.ids)
        return self._mask


@dataclass
class _IndexMaps:
    """The index's document numbers and the columns' (for one version of each)."""

    key: tuple[int, Any]
    #: Column -> index document number (-1: not indexed).
    to_index: Any
    #: Index document number -> column (-1: not in the library).
    to_col: Any
    #: Index document number -> the column's tie rank (:attr:`_Columns.tie_rank`).
    tiekey: Any

    @staticmethod
    def of(key: tuple[int, Any], to_index: Any, tie_rank: Any, size: int) -> _IndexMaps:
        ok = to_index >= 0
        to_col = np.full(size, -1, np.int64)
        to_col[to_index[ok]] = np.flatnonzero(ok)
        tiekey = np.full(size, np.iinfo(np.int64).max, np.int64)
        tiekey[to_index[ok]] = tie_rank[ok]
        return _IndexMaps(key, to_index, to_col, tiekey)

    def carried(self, cols: _Columns, step: Renumbering, index: SearchIndex) -> _IndexMaps:
        """These maps for ``cols``, renumbered by ``step`` from the columns
        they were made for, over the same index: the added papers' document
        numbers asked of it, the others kept. Raises :class:`IndexUnavailable`."""
        added = cols.id_array[step.added]
        found = index.docnums(added) if len(added) else np.zeros(0, np.int64)
        to_index = step.column(self.to_index, found)
        size = max(len(self.to_col), int(to_index.max()) + 1 if len(to_index) else 0)
        return _IndexMaps.of((cols.key, self.key[1]), to_index, cols.tie_rank, size)

    def cols_of(self, docs: Any) -> Any:
        out = np.full(len(docs), -1, np.int64)
        inside = docs < len(self.to_col)
        out[inside] = self.to_col[docs[inside]]
        return out

    def index_mask(self, mask: Any) -> Any:
        """A mask over the columns as a mask over the index's documents."""
        got = np.zeros(len(self.to_col), np.bool_)
        d = self.to_index[mask]
        got[d[d >= 0]] = True
        return got


class SearchEngine:
    """Runs queries (see ``docs/search.md``) over ``library.papers``."""

    def __init__(
        self, library: LibraryLike, state: StateLike | None, index: SearchIndex | None
    ) -> None:
        self.library = library
        self.state = state
        self.index = index
        #: Seconds a query's scan of papers not indexed yet may take (None:
        #: as long as it needs, the count exact). The app sets one: while a
        #: first build runs, a query answers in time, its count "about".
        self.scan_budget: float | None = None
        #: The papers mapping the caches below were built from (held, so its
        #: id cannot be reused by another mapping) and its version.
        self._seen_papers: Mapping[str, Paper] | None = None
        self._seen_len = -1
        self._seen_library_version: object = None
        self._version = 0
        self._columns: _Columns | None = None
        self._pending_key: object = None
        self._pending: _Pending | None = None
        self._maps: _IndexMaps | None = None
        self._corpus: ScanCorpus | None = None
        #: (papers version, whether the corpus is every paper) of ``_corpus``,
        #: and its papers as a mask over the columns.
        self._corpus_key: object = None
        self._corpus_mask: Any = None
        self._folds = FoldCache()
        #: Where the columns are kept between processes (None: made in each
        #: one, from the catalog or the papers): a CLI command's session
        #: gives one (:mod:`reader.search.stored_columns`).
        self.columns_store: ColumnStore | None = None
        #: (papers, version key, :meth:`_library_key`) last found.
        self._held_key: tuple[Mapping[str, Paper], str, str | None] | None = None
        #: The search thread and a thread folding for the scan share the caches.
        self._lock = threading.RLock()
        self._making_columns = threading.Lock()

    # ------------------------------------------------------------ public API

    def search(
        self,
        text: str,
        limit: int | None = None,
        today: dt.date | None = None,
        cancelled: Callable[[], bool] | None = None,
        budget: float | None = None,
    ) -> SearchResult:
        """Run ``text``; raises :class:`~reader.search.query.QueryError` on a
        bad query, :class:`Cancelled` when ``cancelled()`` turned true before
        a scan of papers not indexed yet was done. ``budget``: the seconds
        that scan may take this time, if less than :attr:`scan_budget`."""
        parsed = parse_query(text, today)
        return self.run(parsed, limit, cancelled, budget)

    def count(self, text: str, today: dt.date | None = None) -> Count:
        """How many papers match ``text`` (for sidebars; saved searches): the
        same number as ``search(text).total``, without ranking."""
        parsed = parse_query(text, today)
        if parsed.node is None:
            return Count(len(self.library.papers))
        got = self.run(parsed, 0)  # no hits to rank: the count alone
        return Count(got.total, got.exact)

    def similar(self, pid: str, limit: int = 20) -> list[Hit]:
        """Papers like ``pid`` (title and abstract), best first."""
        papers = self.library.papers
        paper = papers.get(pid)
        if paper is None:
            return []
        if self.index is not None:
            try:
                found = self.index.more_like(pid, limit + 10, paper=paper)
                hits = [Hit(i, s) for i, s in found if i in papers and i != pid]
                return hits[:limit]
            except IndexUnavailable:
                pass
        return self._scan_similar(paper, limit)

    def pending_ids(self) -> set[str]:
        """Papers the index does not hold (searched by scanning)."""
        return self._pending_state().ids

    def prepare_scan(self, cancelled: Callable[[], bool] | None = None) -> bool:
        """Fold the text of every paper the index does not hold yet, so that
        the scans of the queries to come only match (the app runs this in a
        thread while a first build runs). True when done, False when
        ``cancelled()`` turned true first."""
        corpus, _ = self._scan_corpus(False)
        if corpus is None:
            return True
        self._cols().tie_rank  # noqa: B018 - made now, not by the first query
        return corpus.fold_all(cancelled)

    def warm(self) -> None:
        """Make now what the first query of each kind would make on its way
        (see :meth:`warm_steps`), all of it."""
        for step in self.warm_steps():
            step()

    def warm_steps(self) -> list[Callable[[], object]]:
        """What the first query of each kind would make on its way, a part a
        step: the columns and their tie ranks, the days for ``date:``, the
        folded tags for ``tag:``, the map to the index's documents (0.1-0.5
        s each over the real digests), the order of the index's documents by
        their tie ranks (a broad prefix's ties are read in it:
        :meth:`SearchIndex.warm_ties`, 0.1 s at 1M papers), the scorer's heap
        grown for a ranked prefix (:meth:`SearchIndex.warm_heap`). The app runs them in its search
        thread once the index is synced, each in a gap between queries
        (:class:`reader.tui.search_thread.SearchThread`), so that no query
        typed later waits for them, nor for more than one of them. Each
        part is made under its own lock."""

        def tie_rank() -> None:
            self._cols().tie_rank  # noqa: B018

        def maps() -> None:
            self._maps_now(make=True)

        def ties() -> None:
            if self.index is not None and self._ready_maps() is not None:
                self.index.warm_ties(self._tie_ranks)

        def heap() -> None:
            if self.index is not None:
                self.index.warm_heap()

        return [
            tie_rank,
            maps,
            lambda: self._cols().by_day(),
            lambda: self._cols().tags(),
            ties,
            heap,
        ]

    # ------------------------------------------------------------ versions

    def _pending_state(self) -> _Pending:
        papers = self.library.papers
        with self._lock:
            version = self._papers_version()
            if self.index is None:
                key: object = ("none", version)
                held = 0
            else:
                try:
                    held = self.index.indexed_count()
                    key = (version, self.index.generation, held)
                except Exception:
                    held = 0
                    key = ("unusable", version)
            if key == self._pending_key and self._pending is not None:
                return self._pending
            lib_version = getattr(self.library, "version", None)
            if (
                self.index is not None
                and lib_version is not None
                and getattr(self.library, "changes", None) == 0  # not changed since read
                and held == len(papers)
                and self.index.holds(lib_version.key)
            ):
                # The index holds this very library (same files, same stamps):
                # nothing to compare, no id read (a command over the catalog)
                # and no paper's hash decoded.
                pend = _Pending(set(), 0, False, set())
            elif (
                self.index is not None
                and held
                and lib_version is not None
                and lib_version.base
                and self.index.holds(lib_version.base)
            ):
                # The index holds the library this one was updated from: only
                # the papers the update touched can be missing, changed or
                # gone (not every paper looked up: 0.3 s of the search thread
                # at 100k papers, after each fetch).
                pend = self._pending_of_touched(papers, lib_version)
            elif not held or self.index is None:
                pend = _Pending(set(papers), len(papers), True, set())
            else:
                try:
                    hashes: Mapping[str, str] = self.index.indexed_hashes()
                except Exception:
                    hashes = {}
                # every paper looked up: a dict, not a binary search each
                lookup = as_dict(hashes)
                ids = {pid for pid in papers if pid not in lookup}
                del lookup
                gone: set[str] = set()
                if len(hashes) + len(ids) != len(papers):
                    listed = list(hashes)
                    there = present(papers, listed)
                    gone = {pid for pid, ok in zip(listed, there, strict=True) if not ok}
                # Indexed with other content (another library's index, or
                # digests changed since the last sync): scanned, and left out
                # of the index's hits and counts like the papers gone.
                try:
                    stale = self.index.stale_ids(papers, lib_version)
                except Exception:
                    stale = set(papers)
                if stale:
                    ids |= stale
                    gone |= stale
                pend = _Pending(ids, len(ids), len(ids) == len(papers), gone)
            self._pending, self._pending_key = pend, key
            if not pend.count:
                self._drop_corpus()  # everything is indexed: no more scans
            return pend

    def _pending_of_touched(self, papers: Mapping[str, Paper], version: Any) -> _Pending:
        """:meth:`_pending_state` when the index holds exactly the library
        that ``version`` was updated from (every paper not touched is
        indexed as it is)."""
        assert self.index is not None
        touched = sorted(version.touched)
        try:
            hashes: Mapping[str, str] = self.index.indexed_hashes()
            stale = self.index.stale_ids(papers, version)
        except Exception:
            hashes, stale = {}, set()
        there = present(papers, touched)
        ids = {pid for pid, ok in zip(touched, there, strict=True) if ok and pid not in hashes}
        gone = {pid for pid, ok in zip(touched, there, strict=True) if not ok and pid in hashes}
        ids |= stale
        gone |= stale
        return _Pending(ids, len(ids), len(ids) == len(papers), gone)

    def _drop_corpus(self) -> None:
        self._corpus = None
        self._corpus_key = None
        self._corpus_mask = None
        self._folds = FoldCache()

    def _scan_corpus(self, everything: bool) -> tuple[ScanCorpus | None, Any]:
        """The corpus to scan (the papers not indexed, or ``everything`` when
        the index failed) and, when it holds more papers than those, the mask
        of the ones to scan. A corpus is kept while the papers are the same
        and what is to be scanned is among its papers (a sync that indexed
        some leaves the rest folded)."""
        with self._lock:
            cols = self._cols()
            pend = self._pending_state()
            want = np.ones(cols.size, np.bool_) if everything else pend.mask(cols)
            if not everything and not pend.count:
                return None, None
            corpus = self._corpus
            if corpus is not None and self._corpus_key == cols.key:
                if bool((want & ~self._corpus_mask).any()):
                    corpus = None  # papers to scan it does not hold
                else:
                    same = int(want.sum()) == corpus.size
                    return corpus, (None if same else want)
            nums = np.flatnonzero(want)
            ids: list[str] = cols.id_array[nums].tolist()
            # The papers read a chunk at a time as the chunks are folded (over
            # the catalog a few queries a chunk, not one paper and one block
            # each: over three minutes at 90k papers, the first build's scan).
            chosen = PaperRows(ids, self.library.papers)
            self._folds.keep_only(set(ids))
            corpus = ScanCorpus(chosen, nums, self._folds)
            self._corpus, self._corpus_key, self._corpus_mask = corpus, cols.key, want
            return corpus, None

    @overload
    def _index_maps(self, cols: _Columns) -> _IndexMaps: ...

    @overload
    def _index_maps(self, cols: _Columns, make: bool) -> _IndexMaps | None: ...

    def _index_maps(self, cols: _Columns, make: bool = True) -> _IndexMaps | None:
        """The map between ``cols`` and the index's documents: made, kept,
        or read from disk; with ``make`` False, None rather than made.
        Raises :class:`IndexUnavailable`."""
        assert self.index is not None
        key = (cols.key, self.index.generation)
        got = self._maps
        if got is not None and got.key == key:
            return got
        # Kept between processes beside the columns read from disk: the
        # index's id of every document otherwise (0.2 s at 90k papers).
        store, stored = self.columns_store, self._stored_map_key(cols)
        to_index = None
        if store is not None and stored is not None:
            to_index = store.load_map(stored)
        if to_index is None and not make:
            return None
        if to_index is None:
            to_index = self.index.docnums(cols.id_keys())
            if store is not None and stored is not None and stored == self._stored_map_key(cols):
                store.save_map(stored, to_index)
        key = (cols.key, self.index.generation)  # docnums() may have opened the index
        size = int(to_index.max()) + 1 if len(to_index) else 0
        size = max(size, self.index.doc_count())
        got = self._maps = _IndexMaps.of(key, to_index, cols.tie_rank, size)
        return got

    def _stored_map_key(self, cols: _Columns) -> str | None:
        """The key the map from ``cols`` to the index's committed documents
        is kept under between processes (the library's version and the
        index's :attr:`~reader.search.index.SearchIndex.stamp`), or None
        when it is not kept: the columns were not read from disk."""
        if cols.stored is None or self.columns_store is None or self.index is None:
            return None
        key = self._library_key()
        stamp = self.index.stamp
        return None if key is None or not stamp else f"{key} {stamp}"

    def _library_key(self) -> str | None:
        """The library's version (:attr:`reader.library.Version.key`) when
        its papers are the rows of the catalog of that version: the key of
        the columns kept on disk; else None."""
        papers = self.library.papers
        version = getattr(self.library, "version", None)
        if (
            not isinstance(papers, CatalogPapers)
            or papers.rescued
            or version is None
            or not version.key
        ):
            return None
        held = self._held_key
        if held is not None and held[0] is papers and held[1] == version.key:
            return held[2]
        # The papers are the catalog's rows (a library changed in place is
        # a dict): the catalog's own key says which library they are (the
        # one a command updated and wrote a moment ago too).
        try:
            head = papers.catalog.header()
        except CatalogDamaged:
            head = None
        key = str(version.key) if head is not None and head.get("key") == version.key else None
        self._held_key = (papers, version.key, key)
        return key

    def _stored_columns(self, key: int, papers: Mapping[str, Paper]) -> _Columns | None:
        """The columns from the store (:attr:`columns_store`): read from its
        file when it holds this library's, else made from the catalog's
        columns and day index and written there for the next command.
        None when there is no store or the library is not the catalog's."""
        store = self.columns_store
        libkey = self._library_key() if store is not None else None
        if store is None or libkey is None:
            return None
        got = store.load(libkey, len(papers))
        if got is None:
            source = source_of(papers)
            rows = source.columns()
            days = source.day_columns() if rows is not None else None
            if rows is None or days is None:
                return None
            got = store.make(libkey, rows, days)
        return _Columns.from_stored(key, got, papers)

    def _papers_version(self) -> int:
        """A counter that moves whenever ``library.papers`` is another mapping,
        changed size or the library's own ``changes`` counter moved (papers merged in
        place): the key of every cache derived from the papers (an ``id()``
        can be reused by a new mapping once the old one is freed)."""
        papers = self.library.papers
        lib_version = getattr(self.library, "changes", None)
        if (
            papers is not self._seen_papers
            or len(papers) != self._seen_len
            or lib_version != self._seen_library_version
        ):
            self._seen_papers = papers
            self._seen_len = len(papers)
            self._seen_library_version = lib_version
            self._version += 1
        return self._version

    def _cols(self) -> _Columns:
        """The columns of the papers (built again when they changed; by one
        thread at a time, the others waiting for it: the search thread for
        ``prepare_scan``'s). Made outside
        the engine's lock, so a query that needs no columns does not wait."""
        with self._lock:
            key = self._papers_version()
            cols = self._columns
            if cols is not None and cols.key == key:
                return cols
            papers = self.library.papers
            ordered = getattr(self.library, "ordered", None)
            listed = ordered() if callable(ordered) and isinstance(papers, dict) else None
        # Never the engine's lock while holding this one: a thread that
        # holds the engine's lock may be waiting here.
        with self._making_columns:
            cols = self._columns
            if cols is None or cols.key < key:  # (a newer one will do)
                cols = self._carried(key, papers, listed)
                if cols is None:
                    cols = self._stored_columns(key, papers)
                if cols is None:
                    cols = _Columns.build(key, papers, listed)
                self._columns = cols
            return cols

    def follow(self, previous: SearchEngine) -> None:
        """Carry over what ``previous`` (the engine over the library this
        one's was read again from: a fetch's reload) made: when this
        library is that one updated (its :class:`~reader.library.Version`'s
        ``base`` is the old one's key), the first columns made here are the
        old ones with the touched papers put in (:meth:`_Columns.updated`),
        and so are the map to the index's documents while the index is the
        same. Only what is needed is held, until then."""
        version = getattr(previous.library, "version", None)
        if version is None or not version.key:
            return
        # Not under the old engine's lock (this may run on the event loop
        # while a query of the old engine holds it): its columns are current
        # when made for the papers it last saw, and those are its library's.
        cols, maps, papers = previous._columns, previous._maps, previous.library.papers
        if (
            cols is None
            or cols.key != previous._version
            or previous._seen_papers is not papers
            or previous._seen_len != len(papers)
            or previous._seen_library_version != getattr(previous.library, "changes", None)
        ):
            return
        if maps is not None and maps.key[0] != cols.key:
            maps = None
        self._previous = (version.key, cols, maps)

    #: (the library version's key, its columns, their map to the index) of
    #: the engine this one follows (:meth:`follow`), until the first columns.
    _previous: tuple[str, _Columns, _IndexMaps | None] | None = None

    def _carried(
        self, key: int, papers: Mapping[str, Paper], listed: Sequence[Paper] | None
    ) -> _Columns | None:
        """The columns carried over from the engine followed, when the
        library is its library plus the touched papers; else None."""
        previous, self._previous = self._previous, None
        if previous is None:
            return None
        # Freed off this thread (maybe the event loop's) once done with.
        release(previous)
        version = getattr(self.library, "version", None)
        if version is None or not version.base:
            return None
        old_key, old, maps = previous
        if version.base != old_key:
            return None
        try:
            got = _Columns.updated(key, old, papers, version.touched, listed)
        except Exception:  # a damaged catalog, a surprise: the full build says so
            return None
        if got is None:
            return None
        cols, step = got
        if maps is not None and self.index is not None:
            with self._lock, contextlib.suppress(IndexUnavailable):
                if maps.key[1] == self.index.generation:
                    self._maps = maps.carried(cols, step, self.index)
        return cols

    def _tally(self, cancelled: Callable[[], bool] | None, budget: float | None) -> _Tally:
        # A query's own budget only shortens the engine's (None there: every
        # paper scanned, the count exact, as a CLI command needs).
        if budget is None or self.scan_budget is None:
            budget = self.scan_budget
        else:
            budget = min(budget, self.scan_budget)
        deadline = None if budget is None else time.monotonic() + budget
        return _Tally(deadline=deadline, cancelled=cancelled)

    # -------------------------------------------------------------- running

    def run(
        self,
        parsed: ParsedQuery,
        limit: int | None = None,
        cancelled: Callable[[], bool] | None = None,
        budget: float | None = None,
    ) -> SearchResult:
        sort = parsed.effective_sort
        node = parsed.node
        if node is None:
            # Everything: no set of every id per keystroke, a slice of an order.
            cols = self._cols()
            ids = cols.ordered(np.ones(cols.size, np.bool_), sort, limit)
            return SearchResult(
                [Hit(i, 0.0) for i in ids], parsed.terms, sort, cols.size, parsed=parsed
            )

        children = list(node.children) if isinstance(node, And) else [node]
        text_nodes = [c for c in children if is_text(c)]
        filters = [c for c in children if not is_text(c)]
        tally = self._tally(cancelled, budget)
        if not filters and sort == "relevance":
            quick = self._indexed_only(text_nodes, limit)
            if quick is not None:
                return SearchResult(quick[0], parsed.terms, sort, quick[1], parsed=parsed)
        cols = self._cols()
        allowed_mask: Any = None
        for f in filters:
            got = self._eval_mask(f, tally)
            allowed_mask = got if allowed_mask is None else allowed_mask & got
            if not allowed_mask.any():
                return SearchResult(
                    [], parsed.terms, sort, 0, tally.exact, tally.scanned, parsed=parsed
                )

        if not text_nodes:
            assert allowed_mask is not None
            total = int(allowed_mask.sum())
            ids = cols.ordered(allowed_mask, sort, limit)
            return SearchResult(
                [Hit(i, 0.0) for i in ids],
                parsed.terms,
                sort,
                total,
                tally.exact,
                tally.scanned,
                parsed=parsed,
            )

        tnode: Node = text_nodes[0] if len(text_nodes) == 1 else And(tuple(text_nodes))
        want = limit if sort == "relevance" else None
        docs, scores, total = self._text_scores(tnode, want, allowed_mask, tally)
        if sort == "relevance":
            order = best_first(scores, cols.tie_rank[docs], limit)
            nums, got = docs[order], scores[order]
        else:
            nums = cols.ordered_nums(cols.mask_of_nums(docs), sort, limit)
            dense = np.zeros(cols.size, np.float64)
            dense[docs] = scores
            got = dense[nums]
        found = cols.ids_at(nums)
        hits = [Hit(i, s) for i, s in zip(found, got.tolist(), strict=True)]
        return SearchResult(
            hits, parsed.terms, sort, total, tally.exact, tally.scanned, parsed=parsed
        )

    def _indexed_only(
        self, text_nodes: list[Node], limit: int | None
    ) -> tuple[list[Hit], int] | None:
        """Text alone, by relevance, every paper indexed: the index's best
        ``limit`` (None: every match) ranked here, without the columns (a
        CLI search makes none: they are a query over every paper). None when
        this does not apply."""
        if self.index is None:
            return None
        pend = self._pending_state()
        if pend.count:
            return None
        tnode = text_nodes[0] if len(text_nodes) == 1 else And(tuple(text_nodes))
        try:
            found, total = self.index.search_counted(
                tnode, limit, exclude=pend.gone, tiekey=self._tie_ranks
            )
        except IndexUnavailable:
            return None
        # The rule of scorer.best_first: scores to 6 decimals, then newer
        # first, then by id (the index returned every tie it did not order).
        ranks = self._ready_tie_ranks([i for i, _ in found])
        if ranks is not None:  # the app: from the columns, no paper read
            scores = np.fromiter((sc for _, sc in found), np.float64, len(found))
            order = best_first(scores, ranks, limit).tolist()
        else:  # a CLI search: the hits' days, from the catalog's keys
            day_of = self._days_of([i for i, _ in found])
            found = [(i, sc) for i, sc in found if i in day_of]  # (a paper gone meanwhile)
            days = [day_of[i] for i, _ in found]
            rounded = np.round(np.array([sc for _, sc in found], np.float64), 6).tolist()
            order = sorted(range(len(found)), key=lambda j: found[j][0])
            order.sort(key=lambda j: days[j], reverse=True)
            order.sort(key=lambda j: -rounded[j])
        if limit is not None:
            order = order[:limit]
        return [Hit(*found[j]) for j in order], total

    def _days_of(self, ids: list[str]) -> Mapping[str, str]:
        """The latest day of each of ``ids`` the library holds, by id: over
        the catalog, from its key rows (a few queries, no paper's row read:
        every match of a word is thousands of papers, a block each); else
        each paper's."""
        papers = self.library.papers
        got: Mapping[str, str] | None = source_of(papers).dates_of(ids)
        if got is None:
            got = {i: _date_key(papers[i]) for i in ids if i in papers}
        return got

    def _ready_tie_ranks(self, ids: list[str]) -> Any:
        """The tie rank of each of ``ids`` (numpy) when the columns are made for the
        papers as they are (the app warms them), else None: never made here.
        Over the catalog, ordering the best 1,000 by their days otherwise
        reads each paper's row, a block each (0.2-0.4 s a typed key)."""
        with self._lock:
            cols = self._columns
            if cols is None or cols.key != self._papers_version():
                return None
        nums = cols.numbers(list(ids))
        if len(nums) and int(nums.min()) < 0:
            return None
        return cols.tie_rank[nums]

    def _ready_maps(self) -> _IndexMaps | None:
        """The map to the index's documents when it is made for the papers
        as they are and the index's searcher of now (the app warms it), else
        None: never made here."""
        if self.index is None:
            return None
        with self._lock:
            cols, maps = self._columns, self._maps
            if cols is None or maps is None or cols.key != self._papers_version():
                return None
            return maps if maps.key == (cols.key, self.index.generation) else None

    def _maps_now(self, make: bool) -> _IndexMaps | None:
        """The map to the index's documents for the columns as they are
        (None: no index, or it cannot answer). ``make``: the warm-up's, made
        if need be, for the index's last commit opened first (not for the
        searcher a sync just replaced: the next fetch's engine carries them
        over while the index stays as it is). Else a search's, under way on
        its searcher: only one kept (in memory, or on disk beside the
        columns read from disk: a command over an unchanged library)."""
        if self.index is None:
            return None
        cols = self._cols()
        with self._lock, contextlib.suppress(IndexUnavailable):
            if make:
                self.index.usable  # noqa: B018
            if self._cols() is cols:
                return self._index_maps(cols, make)
        return None

    def _tie_ranks(self, ids: Any) -> Any:
        """The tie rank (:attr:`_Columns.tie_rank`) of each of ``ids`` (a
        numpy array of ids, as text or UTF-8 bytes; None, empty or an
        unknown id: last): asked by the index
        only when many documents tie at its cut, for every document it has.
        From the columns (made now if need be: from the catalog, one query
        and no paper read; a lookup per paper here would read each one)."""
        maps = self._ready_maps() or self._maps_now(make=False)
        if maps is not None and len(maps.tiekey) == len(ids):
            # the warm-up's map (index document -> tie rank), or the one kept
            # on disk (a command's): no id looked up (a million of them: the
            # index's ids 0.35 s and their lookup 0.5 s, a CLI ``la*`` at 1M)
            return maps.tiekey
        out = np.full(len(ids), np.iinfo(np.int64).max, np.int64)
        cols = self._cols()
        made: Any = np.asarray(ids)  # (the index's ids made now: DocIds)
        nums = cols.numbers(made)
        ok = nums >= 0
        out[ok] = cols.tie_rank[nums[ok]]
        return out

    def _text_scores(
        self, tnode: Node, want: int | None, allowed_mask: Any, tally: _Tally
    ) -> tuple[Any, Any, int]:
        """The papers matching the text tree among ``allowed_mask`` (a mask
        over the columns; None: every paper): (document numbers, scores,
        how many match in all). The index answers for the papers it holds
        (its best ``want`` by score then tie rank, or all when None), a scan
        for the others (every match it finds; counted in ``tally``)."""
        cols = self._cols()
        pend = self._pending_state()
        docs_l: list[Any] = []
        scores_l: list[Any] = []
        total = 0
        everything = self.index is None or pend.everything
        if not everything:
            assert self.index is not None
            try:
                got = self._index_part(cols, tnode, want, allowed_mask, pend)
            except IndexUnavailable:
                everything = True
            else:
                if got is not None:
                    docs_l.append(got[0])
                    scores_l.append(got[1])
                    total += got[2]
        if everything or pend.count:
            corpus, only = self._scan_corpus(everything)
            if corpus is not None:
                allowed = only
                if allowed_mask is not None:
                    allowed = allowed_mask if allowed is None else allowed & allowed_mask
                found = corpus.scan(tnode, allowed, tally.deadline, tally.cancelled)
                docs_l.append(found.docs)
                scores_l.append(found.scores)
                total += found.total
                tally.scanned += len(found.docs)
                if not found.complete:
                    tally.approximate += 1
                if len(found.docs) and _has_fuzzy(tnode):
                    tally.approximate += len(found.docs)
        if not docs_l:
            return np.zeros(0, np.int64), np.zeros(0, np.float64), 0
        if len(docs_l) == 1:
            return docs_l[0], scores_l[0], total
        return np.concatenate(docs_l), np.concatenate(scores_l), total

    def _index_part(
        self, cols: _Columns, tnode: Node, want: int | None, allowed_mask: Any, pend: _Pending
    ) -> tuple[Any, Any, int] | None:
        """The index's matches of ``tnode`` in column numbers; None when the
        filter leaves no indexed paper. Raises :class:`IndexUnavailable`."""
        assert self.index is not None
        for _ in range(3):
            maps = self._index_maps(cols)
            only: Any = None
            if allowed_mask is not None:
                only = maps.index_mask(allowed_mask)
                if not only.any():
                    return None
            idocs, iscores, total, generation = self.index.search_docs(
                tnode, want, only_mask=only, exclude=pend.gone, tiekey=maps.tiekey
            )
            if (cols.key, generation) != maps.key:
                continue  # the index changed meanwhile: its numbers too
            cdocs = maps.cols_of(idocs)
            ok = cdocs >= 0
            if not ok.all():
                cdocs, iscores = cdocs[ok], iscores[ok]
            return cdocs, iscores, total
        raise IndexUnavailable("the index kept changing")

    # ----------------------------------------------------------- filter eval

    def _eval_mask(self, node: Node, tally: _Tally) -> Any:
        """The papers matching ``node``, as a mask over the columns."""
        cols = self._cols()
        papers = self.library.papers
        if is_text(node) and not isinstance(node, Not):
            return cols.mask_of_nums(self._text_scores(node, None, None, tally)[0])
        if isinstance(node, And):
            out: Any = None
            for c in node.children:
                got = self._eval_mask(c, tally)
                out = got if out is None else out & got
                if not out.any():
                    break
            return out if out is not None else np.zeros(cols.size, np.bool_)
        if isinstance(node, Or):
            acc = np.zeros(cols.size, np.bool_)
            for c in node.children:
                acc |= self._eval_mask(c, tally)
            return acc
        if isinstance(node, Not):
            return ~self._eval_mask(node.child, tally)
        if isinstance(node, Everything):
            return np.ones(cols.size, np.bool_)
        if isinstance(node, IdIs):
            if node.pid in papers:
                return cols.mask_of((node.pid,))
            low = node.pid.lower()
            return cols.mask_of(
                pid
                for pid, p in papers.items()
                if (p.doi or "").lower() == low.removeprefix("doi:")
            )
        if isinstance(node, StateIs):
            return self._state_mask(node.what, cols)
        if isinstance(node, Tag):
            return self._tag_mask(node)
        if isinstance(node, HasCode):
            return cols.has_code.copy()
        if isinstance(node, Upvotes):
            mask = cols.voted.copy()
            if node.lo is not None:
                mask &= cols.votes >= _clamp(node.lo)
            if node.hi is not None:
                mask &= cols.votes <= _clamp(node.hi)
            return mask
        if isinstance(node, DateIn):
            return cols.on_days(node.lo, node.hi)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def _state_mask(self, what: str, cols: _Columns) -> Any:
        """``is:``/``has:note`` as a mask: the state's id sets mapped to
        document numbers (work in the size of the set, not of the library)."""
        st = self.state
        if what == "unread":
            if st is None:
                return np.ones(cols.size, np.bool_)
            return ~cols.mask_of(st.read_ids())
        return cols.mask_of(self._state_set(what))

    def _state_set(self, what: str) -> set[str]:
        st = self.state
        if st is None:
            return set(self.library.papers) if what == "unread" else set()
        if what == "starred":
            return set(st.starred_ids())
        if what == "read":
            return set(st.read_ids())
        if what == "unread":
            return set(self.library.papers) - set(st.read_ids())
        if what == "tagged":
            acc: set[str] = set()
            for t in st.tag_counts():
                acc |= st.ids_with_tag(t)
            return acc
        if what == "note":
            # Only papers with some state can have a note (not every paper).
            with_state = st.ids()
            papers = self.library.papers
            return {pid for pid in with_state if pid in papers and st.get(pid).note}
        return set()  # pragma: no cover

    def _tag_mask(self, node: Tag) -> Any:
        """``tag:`` over the papers' own tags (folded) and the user's."""
        want = node.tag

        def ok(tag: str) -> bool:
            t = searchable(tag)
            return t.startswith(want) if node.prefix else t == want

        cols = self._cols()
        mask = np.zeros(cols.size, np.bool_)
        for docs in cols.tag_docs(want, node.prefix):
            mask[docs] = True
        if self.state is not None:
            for t in self.state.tag_counts():
                if ok(t):
                    mask |= cols.mask_of(self.state.ids_with_tag(t))
        return mask

    # ----------------------------------------------------------------- scan

    def _scan_similar(self, paper: Paper, limit: int) -> list[Hit]:
        counts: dict[str, int] = {}
        for w in analyze(paper.title) * 2 + analyze(paper.abstract):
            if len(w) >= 3 and not w.isdigit():
                counts[w] = counts.get(w, 0) + 1
        key = sorted(counts.items(), key=lambda kv: -kv[1])[:12]
        if not key:
            return []
        hits: list[Hit] = []
        for pid, p in self.library.papers.items():
            if pid == paper.id:
                continue
            text = searchable(p.title + " " + p.abstract)
            score = sum(n for w, n in key if prefilter(w) in text)
            if score:
                hits.append(Hit(pid, float(score)))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]


def _has_fuzzy(node: Node) -> bool:
    if isinstance(node, Text):
        return node.kind == "fuzzy"
    if isinstance(node, (And, Or)):
        return any(_has_fuzzy(c) for c in node.children)
    if isinstance(node, Not):
        return _has_fuzzy(node.child)
    return False
