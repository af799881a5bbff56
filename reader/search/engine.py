"""The search engine: the query language over the index, the library and the state.

* Text (words, phrases, ``prefix*``, ``word~``, fields) runs in Whoosh
  (:class:`~reader.search.index.SearchIndex`), BM25F with field boosts.
* Filters (``is:``, ``has:``, ``tag:``, ``id:``, ``date:``, ``upvotes:``) run
  here, at query time, over the library and the state store's sets: a star
  made a moment ago shows in ``is:starred`` at once; nothing is re-indexed.
* Papers the index does not hold yet (a first build in progress, a digest just
  added, no index at all) are matched by a plain scan of their text, so search
  always covers every paper; their scores are approximate until indexed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from reader.model import Paper
from reader.search.analysis import within_edits
from reader.search.index import IndexUnavailable, SearchIndex
from reader.search.query import (
    FIELD_BOOSTS,
    STOP_WORDS,
    TEXT_FIELDS,
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
    stem,
)

#: Extra hits asked of Whoosh beyond ``limit`` so ties can be ordered newest first.
TIE_MARGIN = 20


class LibraryLike(Protocol):
    @property
    def papers(self) -> Mapping[str, Paper]: ...


class PaperStateLike(Protocol):
    @property
    def note(self) -> str: ...


class StateLike(Protocol):
    def get(self, pid: str) -> PaperStateLike: ...

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
    #: not indexed yet matched a ``word~`` in some (see :class:`_Tally`). The
    #: scan matches words and phrases exactly as the index does.
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
    """What one query's evaluation met on its way."""

    #: Matches found by scanning papers not indexed yet.
    scanned: int = 0
    #: Of those, matches of a ``word~``: the scan's edit distance is not
    #: always Whoosh's (Levenshtein in a segment, Damerau across segments).
    approximate: int = 0

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


@dataclass
class _Columns:
    """The papers as columns indexed by a document number, built once per
    version of the library (:meth:`SearchEngine._papers_version`): every
    filter is a boolean mask over them and every order a permutation, so a
    query does no Python work per paper. Document numbers follow the newest
    order (newest first, then by title and id): the numbers of a mask, in
    increasing order, are its papers newest first."""

    key: int
    #: Paper id by document number, as a list and as a numpy object array.
    ids: list[str]
    id_array: Any
    docnum: dict[str, int]
    #: Upvotes (None counted as -1 for the sort) and whether there are any.
    votes: Any
    voted: Any
    has_code: Any
    #: Document numbers oldest first (undated last), and most upvoted first
    #: (ties newest first).
    oldest: Any
    by_votes: Any
    #: The papers the columns were made from.
    source: Mapping[str, Paper]

    @classmethod
    def build(cls, key: int, papers: Mapping[str, Paper]) -> _Columns:
        from_catalog = getattr(papers, "columns", None)
        got = from_catalog() if callable(from_catalog) else None
        if got is not None:
            return cls._of_catalog(key, papers, *got)
        # casefold, as Library.ordered and the catalog's order: one order
        by_title = sorted(papers.values(), key=lambda p: (p.title.casefold(), p.id))
        by_title.sort(key=_date_key, reverse=True)
        ids = [p.id for p in by_title]
        n = len(ids)
        docnum = {pid: i for i, pid in enumerate(ids)}
        votes = np.fromiter((_clamp(_votes(p)) for p in by_title), np.int64, n)
        voted = np.fromiter((p.upvotes is not None for p in by_title), np.bool_, n)
        has_code = np.fromiter((p.has_code for p in by_title), np.bool_, n)
        dated = np.fromiter((bool(p.date) for p in by_title), np.bool_, n)
        # Oldest first: by date, ties in title order (as in the newest order).
        oldest_dated = sorted(
            (i for i in range(n) if dated[i]), key=lambda i: (by_title[i].date, i)
        )
        oldest = np.array(oldest_dated + np.flatnonzero(~dated).tolist(), np.int64)
        by_votes = np.argsort(-votes, kind="stable")
        return cls(
            key, ids, np.array(ids, dtype=object), docnum, votes, voted, has_code, oldest,
            by_votes, papers,
        )  # fmt: skip

    @classmethod
    def _of_catalog(
        cls,
        key: int,
        papers: Mapping[str, Paper],
        ids: list[str],
        dates: list[bytes],
        upvotes: list[int],
        voted_: list[int],
        code: list[int],
    ) -> _Columns:
        """The columns from the catalog's (:mod:`reader.catalog`): already in
        the newest order (upvotes clamped, -1 for none), no paper read."""
        votes = np.array(upvotes, np.int64)
        voted = np.array(voted_, np.bool_)
        has_code = np.array(code, np.bool_)
        day = np.array(dates, dtype=object)
        dated = np.flatnonzero(day != b"")
        # Oldest first: by date (UTF-8 bytes sort as the text does), ties in
        # the newest order's (a stable sort).
        order = np.argsort(day[dated].astype(bytes), kind="stable") if len(dated) else dated
        oldest = np.concatenate([dated[order], np.flatnonzero(day == b"")]).astype(np.int64)
        by_votes = np.argsort(-votes, kind="stable")
        docnum = {pid: i for i, pid in enumerate(ids)}
        return cls(
            key, ids, np.array(ids, dtype=object), docnum, votes, voted, has_code, oldest,
            by_votes, papers,
        )  # fmt: skip

    #: Every (day, document number), sorted by day (a date filter is two
    #: bisections and a slice); made on the first ``date:`` (see :meth:`by_day`).
    _days: tuple[list[str], Any] | None = None

    def on_days(self, lo: str, hi: str) -> Any:
        """The mask of the papers with a day in ``lo..hi`` (``date:``): from
        the catalog's index of days when the papers come from it (a command
        reads the days asked for), else by bisecting :meth:`by_day`."""
        from_catalog = getattr(self.source, "on_days", None)
        got = from_catalog(lo, hi) if callable(from_catalog) and self._days is None else None
        if got is not None:
            return self.mask_of(got)
        days, day_docs = self.by_day()
        first = bisect.bisect_left(days, lo)
        last = bisect.bisect_right(days, hi + "\uffff")
        mask = np.zeros(self.size, np.bool_)
        mask[day_docs[first:last]] = True
        return mask

    def by_day(self) -> tuple[list[str], Any]:
        """(days, document numbers): every day of every paper, sorted."""
        if self._days is None:
            from_catalog = getattr(self.source, "days", None)
            got = from_catalog() if callable(from_catalog) else None
            docnum = self.docnum
            if got is not None:
                pairs = sorted((d[:10], docnum[pid]) for d, pid in got if pid in docnum)
            else:
                pairs = sorted(
                    (d[:10], docnum[pid])
                    for pid, p in self.source.items()
                    for d in set(_paper_days(p))
                )
            self._days = ([d for d, _ in pairs], np.array([i for _, i in pairs], np.int64))
        return self._days

    #: The papers' own tags (as written) -> their document numbers; made on
    #: the first ``tag:`` (see :meth:`tags`).
    _tags: dict[str, Any] | None = None

    def tags(self) -> dict[str, Any]:
        """Each source tag of the papers -> its papers' document numbers: a
        ``tag:`` tests each distinct tag once instead of every paper's."""
        if self._tags is None:
            acc: dict[str, list[int]] = {}
            from_catalog = getattr(self.source, "source_tags", None)
            got = from_catalog() if callable(from_catalog) else None
            if got is not None:
                for num, tags in sorted((self.docnum[pid], tags) for pid, tags in got):
                    for t in tags:
                        acc.setdefault(t, []).append(num)
            else:
                for i, pid in enumerate(self.ids):
                    for t in self.source[pid].tags:
                        acc.setdefault(t, []).append(i)
            self._tags = {t: np.array(d, np.int64) for t, d in acc.items()}
        return self._tags

    @property
    def size(self) -> int:
        return len(self.ids)

    def mask_of(self, ids: Iterable[str]) -> Any:
        """The mask of ``ids`` (ids not in the library are left out)."""
        get = self.docnum.get
        nums = [i for i in (get(pid) for pid in ids) if i is not None]
        mask = np.zeros(self.size, np.bool_)
        mask[np.array(nums, np.int64)] = True
        return mask

    def ordered(self, mask: Any, sort: str, limit: int | None = None) -> list[str]:
        """The ids of ``mask`` in the order of ``sort`` (newest for relevance)."""
        if sort == "oldest":
            nums = self.oldest[mask[self.oldest]]
        elif sort == "upvotes":
            nums = self.by_votes[mask[self.by_votes]]
        else:
            nums = np.flatnonzero(mask)
        if limit is not None:
            nums = nums[:limit]
        out: list[str] = self.id_array[nums].tolist()
        return out


class SearchEngine:
    """Runs queries (see ``docs/search.md``) over ``library.papers``."""

    def __init__(
        self, library: LibraryLike, state: StateLike | None, index: SearchIndex | None
    ) -> None:
        self.library = library
        self.state = state
        self.index = index
        #: The papers mapping the caches below were built from (held, so its
        #: id cannot be reused by another mapping) and its version.
        self._seen_papers: Mapping[str, Paper] | None = None
        self._seen_len = -1
        self._seen_library_version: object = None
        self._version = 0
        self._columns: _Columns | None = None
        self._pending_key: object = None
        self._pending: set[str] = set()
        self._gone: set[str] = set()
        self._fold_cache: dict[str, tuple[Paper, dict[str, str]]] = {}

    # ------------------------------------------------------------ public API

    def search(
        self, text: str, limit: int | None = None, today: dt.date | None = None
    ) -> SearchResult:
        """Run ``text``; raises :class:`~reader.search.query.QueryError` on a bad query."""
        parsed = parse_query(text, today)
        return self.run(parsed, limit)

    def count(self, text: str, today: dt.date | None = None) -> Count:
        """How many papers match ``text`` (for sidebars; saved searches): the
        same number as ``search(text).total``, without ranking."""
        parsed = parse_query(text, today)
        if parsed.node is None:
            return Count(len(self.library.papers))
        tally = _Tally()
        n = int(self._eval_mask(parsed.node, tally).sum())
        return Count(n, tally.exact)

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
        papers = self.library.papers
        if self.index is None:
            return set(papers)
        try:
            hashes = self.index.indexed_hashes()
            key = (self._papers_version(), self.index.generation, len(hashes))
        except Exception:
            return set(papers)
        if key != self._pending_key:
            version = getattr(self.library, "version", None)
            holds = getattr(self.index, "holds", None)
            if (
                version is not None
                and getattr(self.library, "changes", None) == 0  # not changed since read
                and len(hashes) == len(papers)
                and callable(holds)
                and holds(version.key)
            ):
                # The index holds this very library (same files, same stamps):
                # nothing to compare, and no id read (a command over the catalog).
                self._pending, self._gone = set(), set()
            elif not hashes:
                self._pending = set(papers)
                self._gone = set()
            else:
                self._pending = {pid for pid in papers if pid not in hashes}
                # Indexed, but no longer in the library (until the next sync):
                # left out of the index's hits and counts.
                self._gone = (
                    {pid for pid in hashes if pid not in papers}
                    if len(hashes) + len(self._pending) != len(papers)
                    else set()
                )
                # Indexed with other content (another library's index, or
                # digests changed since the last sync): scanned, and left out
                # of the index's hits and counts like the papers gone.
                try:
                    stale = self.index.stale_ids(papers, getattr(self.library, "version", None))
                except Exception:
                    stale = set(papers)
                if stale:
                    self._pending |= stale
                    self._gone |= stale
            self._pending_key = key
            if not self._pending:
                self._fold_cache.clear()  # everything is indexed: no more scans
        return self._pending

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
        """The columns of the papers (built again when they changed)."""
        key = self._papers_version()
        cols = self._columns
        if cols is None or cols.key != key:
            cols = self._columns = _Columns.build(key, self.library.papers)
        return cols

    # -------------------------------------------------------------- running

    def run(self, parsed: ParsedQuery, limit: int | None = None) -> SearchResult:
        papers = self.library.papers
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
        tally = _Tally()
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
            ids = self._cols().ordered(allowed_mask, sort, limit)
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
        want = limit + TIE_MARGIN if (limit is not None and sort == "relevance") else None
        scores, total = self._text_scores(tnode, want, allowed_mask, tally)
        if sort == "relevance":
            # Equal scores: newer first, then by id; the same order on every
            # build (the index's own order of documents differs between builds).
            load = getattr(papers, "load", None)
            if callable(load):
                load(scores)  # rows read on demand: in a few queries, not one per hit
            ranked = sorted(scores.items())
            ranked.sort(key=lambda kv: _date_key(papers[kv[0]]), reverse=True)
            ranked.sort(key=lambda kv: -round(kv[1], 6))
            hits = [Hit(i, s) for i, s in ranked]
        else:
            ids = self._cols().ordered(self._cols().mask_of(scores), sort, limit)
            hits = [Hit(i, scores[i]) for i in ids]
        if limit is not None:
            hits = hits[:limit]
        return SearchResult(
            hits, parsed.terms, sort, total, tally.exact, tally.scanned, parsed=parsed
        )

    def _text_scores(
        self, tnode: Node, want: int | None, allowed_mask: Any, tally: _Tally
    ) -> tuple[dict[str, float], int]:
        """Scores of papers matching the text tree, among ``allowed_mask``
        (a mask over the columns; None: every paper): the index for indexed
        papers, a scan for the others (counted in ``tally``). Returns the
        scores (the best ``want`` from the index, every scanned match) and
        the number of matches in all."""
        papers = self.library.papers
        pending = self.pending_ids()
        scores: dict[str, float] = {}
        total = 0
        allowed: set[str] | None = None
        if allowed_mask is not None and (pending or self.index is None):
            allowed = set(self._cols().id_array[allowed_mask].tolist())
        if self.index is not None and len(pending) < len(papers):
            only: set[str] | None = None
            only_docs: Any = None
            if allowed is not None:
                only = allowed - pending if pending else allowed
            try:
                if allowed_mask is not None and allowed is None:
                    # Everything is indexed: the filter's document numbers in
                    # the index, by numpy, no set of ids.
                    cols = self._cols()
                    only_docs = self.index.docnums(cols.id_array)[allowed_mask]
                    only_docs = np.sort(only_docs[only_docs >= 0])
                hits, total = self.index.search_counted(
                    tnode, want, only, exclude=self._gone, only_docs=only_docs
                )
            except IndexUnavailable:
                pending = set(papers)
                hits = []
                total = 0
            if pending:
                for pid, score in hits:
                    if pid in papers and pid not in scores and pid not in pending:
                        scores[pid] = score
            else:
                scores = {pid: score for pid, score in hits if pid in papers}
        else:
            pending = set(papers)
        if allowed_mask is not None and allowed is None and pending:
            allowed = set(self._cols().id_array[allowed_mask].tolist())  # the index failed
        scan_ids: Iterable[str] = pending if allowed is None else (pending & allowed)
        scanned = 0
        for pid in scan_ids:
            p = papers.get(pid)
            if p is None:
                continue
            s = self._scan(tnode, p)
            if s is not None:
                scores[pid] = s
                scanned += 1
        tally.scanned += scanned
        if scanned and _has_fuzzy(tnode):
            tally.approximate += scanned
        return scores, total + scanned

    # ----------------------------------------------------------- filter eval

    def _eval_mask(self, node: Node, tally: _Tally) -> Any:
        """The papers matching ``node``, as a mask over the columns."""
        cols = self._cols()
        papers = self.library.papers
        if is_text(node) and not isinstance(node, Not):
            return cols.mask_of(self._text_scores(node, None, None, tally)[0])
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
            ids = getattr(st, "ids", None)
            with_state = ids() if callable(ids) else self.library.papers
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
        for t, docs in cols.tags().items():
            if ok(t):
                mask[docs] = True
        if self.state is not None:
            for t in self.state.tag_counts():
                if ok(t):
                    mask |= cols.mask_of(self.state.ids_with_tag(t))
        return mask

    # ----------------------------------------------------------------- scan

    @staticmethod
    def _field_text(p: Paper, name: str) -> str:
        if name == "title":
            return p.title
        if name == "authors":
            return " ; ".join(p.authors)
        if name == "abstract":
            return p.abstract
        return " ; ".join(p.tags)

    def _folded(self, p: Paper, name: str) -> str:
        """``searchable`` of a field of ``p``, computed once per paper object: a scan
        runs on every keystroke while a first index build is under way."""
        entry = self._fold_cache.get(p.id)
        if entry is None or entry[0] is not p:
            entry = (p, {})
            self._fold_cache[p.id] = entry
        got = entry[1].get(name)
        if got is None:
            got = entry[1][name] = searchable(self._field_text(p, name))
        return got

    def _scan(self, node: Node, p: Paper) -> float | None:
        """Score of ``p`` for a text tree by plain matching (None: no match)."""
        if isinstance(node, Text):
            fields = (node.field,) if node.field else TEXT_FIELDS
            total = 0.0
            for f in fields:
                if node.kind in ("term", "prefix"):
                    got = _count_words(node.terms[0], self._folded(p, f), node.kind == "prefix")
                else:
                    got = _match_text(node, self._field_text(p, f))
                if got:
                    total += got * (FIELD_BOOSTS[f] if node.field is None else 1.0)
            return total or None
        if isinstance(node, And):
            acc = 0.0
            for c in node.children:
                s = self._scan(c, p)
                if s is None:
                    return None
                acc += s
            return acc
        if isinstance(node, Or):
            found = [s for s in (self._scan(c, p) for c in node.children) if s is not None]
            return sum(found) if found else None
        if isinstance(node, Not):
            return None if self._scan(node.child, p) is not None else 0.0
        return None  # pragma: no cover - filters never reach the scan

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
            score = sum(n for w, n in key if _prefilter(w) in text)
            if score:
                hits.append(Hit(pid, float(score)))
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]


_WORD_START: dict[str, re.Pattern[str]] = {}


def _has_fuzzy(node: Node) -> bool:
    if isinstance(node, Text):
        return node.kind == "fuzzy"
    if isinstance(node, (And, Or)):
        return any(_has_fuzzy(c) for c in node.children)
    if isinstance(node, Not):
        return _has_fuzzy(node.child)
    return False


def _count_words(term: str, folded: str, prefix: bool) -> float:
    """How many words of ``folded`` (a :func:`searchable` text) the index
    would match for ``term`` (a stem; ``prefix``: the start of one): the
    scan's exact stand-in for the index, without analysing the whole text.
    A substring test first; then only the words that start like ``term``
    are stemmed, as :func:`analyze` does."""
    start = _prefilter(term)
    if not start or start not in folded:
        return 0.0
    pattern = _WORD_START.get(start)
    if pattern is None:
        if len(_WORD_START) > 1000:
            _WORD_START.clear()
        pattern = _WORD_START[start] = re.compile(r"(?<!\w)" + re.escape(start) + r"\w*")
    n = 0
    for w in pattern.findall(folded):
        if w in STOP_WORDS:
            continue
        s = stem(w)
        if s.startswith(term) if prefix else s == term:
            n += 1
    return float(n)


def _prefilter(term: str) -> str:
    """A substring every word with stem ``term`` contains (``study`` <- ``studies``)."""
    return term[:-1] if term.endswith("y") and len(term) > 1 else term


def _match_text(node: Text, text: str) -> float:
    """How many times ``node`` matches in ``text`` (0: no match)."""
    if not text:
        return 0.0
    if node.kind != "fuzzy":
        folded = searchable(text)
        for t in node.terms:
            if _prefilter(t) not in folded:
                return 0.0
    words = analyze(text)
    if node.kind == "term":
        return float(words.count(node.terms[0]))
    if node.kind == "prefix":
        return float(sum(1 for w in words if w.startswith(node.terms[0])))
    if node.kind == "fuzzy":
        t = node.terms[0]
        return float(
            sum(1 for w in words if w[:1] == t[:1] and within_edits(w, t, node.distance or 1))
        )
    terms = node.terms
    n = len(terms)
    slop = max(1, node.distance)
    count = 0
    for i, w in enumerate(words):
        if w != terms[0]:
            continue
        pos = i
        ok = True
        for t in terms[1:]:
            nxt = next(
                (j for j in range(pos + 1, min(len(words), pos + slop + 1)) if words[j] == t), None
            )
            if nxt is None:
                ok = False
                break
            pos = nxt
        if ok:
            count += 1
    return float(count) if n else 0.0


#: The former name (it was Whoosh's too); kept for callers not yet moved.
Searcher = SearchEngine
