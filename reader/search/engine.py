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
import math
import re
from collections.abc import Iterable, KeysView, Mapping
from dataclasses import dataclass, field
from typing import Protocol

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
        self._version = 0
        self._order_key: int | None = None
        self._order: list[str] = []
        self._oldest_key: int | None = None
        self._oldest: list[str] = []
        self._pending_key: object = None
        self._days_key: int | None = None
        self._days: tuple[list[str], list[str]] = ([], [])
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
        n = len(self._eval_set(parsed.node, tally))
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
            if not hashes:
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
            self._pending_key = key
            if not self._pending:
                self._fold_cache.clear()  # everything is indexed: no more scans
        return self._pending

    def _papers_version(self) -> int:
        """A counter that moves whenever ``library.papers`` is another mapping
        or changed size: the key of every cache derived from the papers (an
        ``id()`` can be reused by a new mapping once the old one is freed)."""
        papers = self.library.papers
        if papers is not self._seen_papers or len(papers) != self._seen_len:
            self._seen_papers = papers
            self._seen_len = len(papers)
            self._version += 1
        return self._version

    # -------------------------------------------------------------- running

    def run(self, parsed: ParsedQuery, limit: int | None = None) -> SearchResult:
        papers = self.library.papers
        sort = parsed.effective_sort
        node = parsed.node
        if node is None:
            # Everything: no set of every id per keystroke, a slice of the order.
            order = self._newest_order()
            total = len(order)
            if sort == "newest":
                ids = order[:limit] if limit is not None else list(order)
            elif sort == "oldest":
                ids = self._oldest_order()
            else:
                ids = self._ordered(order, sort)
            if limit is not None:
                ids = ids[:limit]
            return SearchResult(
                [Hit(i, 0.0) for i in ids], parsed.terms, sort, total, parsed=parsed
            )

        children = list(node.children) if isinstance(node, And) else [node]
        text_nodes = [c for c in children if is_text(c)]
        filters = [c for c in children if not is_text(c)]
        tally = _Tally()
        allowed: set[str] | None = None
        for f in filters:
            got = self._eval_set(f, tally)
            allowed = got if allowed is None else allowed & got
            if not allowed:
                return SearchResult(
                    [], parsed.terms, sort, 0, tally.exact, tally.scanned, parsed=parsed
                )

        if not text_nodes:
            assert allowed is not None
            ids = self._ordered(allowed, sort)
            total = len(ids)
            if limit is not None:
                ids = ids[:limit]
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
        scores, total = self._text_scores(tnode, want, allowed, tally)
        if sort == "relevance":
            # Equal scores: newer first, then by id; the same order on every
            # build (the index's own order of documents differs between builds).
            ranked = sorted(scores.items())
            ranked.sort(key=lambda kv: _date_key(papers[kv[0]]), reverse=True)
            ranked.sort(key=lambda kv: -round(kv[1], 6))
            hits = [Hit(i, s) for i, s in ranked]
        else:
            ids = self._ordered(scores.keys(), sort)
            if limit is not None:
                ids = ids[:limit]
            hits = [Hit(i, scores[i]) for i in ids]
        if limit is not None:
            hits = hits[:limit]
        return SearchResult(
            hits, parsed.terms, sort, total, tally.exact, tally.scanned, parsed=parsed
        )

    def _text_scores(
        self, tnode: Node, want: int | None, allowed: set[str] | None, tally: _Tally
    ) -> tuple[dict[str, float], int]:
        """Scores of papers matching the text tree: the index for indexed
        papers, a scan for the others (counted in ``tally``). Returns the
        scores (the best ``want`` from the index, every scanned match) and
        the number of matches in all."""
        papers = self.library.papers
        pending = self.pending_ids()
        scores: dict[str, float] = {}
        total = 0
        if self.index is not None and len(pending) < len(papers):
            only: set[str] | None = None
            if allowed is not None:
                only = allowed - pending if pending else allowed
            try:
                hits, total = self.index.search_counted(tnode, want, only, exclude=self._gone)
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

    # --------------------------------------------------------------- orders

    def _newest_order(self) -> list[str]:
        papers = self.library.papers
        key = self._papers_version()
        if key != self._order_key:
            by_title = sorted(papers.values(), key=lambda p: (p.title.lower(), p.id))
            by_title.sort(key=_date_key, reverse=True)
            self._order = [p.id for p in by_title]
            self._order_key = key
        return self._order

    def _oldest_order(self) -> list[str]:
        """Oldest first, papers without a date last (as in newest first; the
        newest order read backwards would put them first)."""
        papers = self.library.papers
        key = self._papers_version()
        if key != self._oldest_key:
            by_title = sorted(papers.values(), key=lambda p: (p.title.lower(), p.id))
            by_title.sort(key=_date_key)
            dated = [p.id for p in by_title if p.date]
            self._oldest = dated + [p.id for p in by_title if not p.date]
            self._oldest_key = key
        return self._oldest

    def _day_index(self) -> tuple[list[str], list[str]]:
        """Every (day, paper id), sorted by day: a date filter is two bisections
        instead of a look at every paper."""
        papers = self.library.papers
        key = self._papers_version()
        if key != self._days_key:
            pairs = sorted((d[:10], pid) for pid, p in papers.items() for d in set(_paper_days(p)))
            self._days = ([d for d, _ in pairs], [pid for _, pid in pairs])
            self._days_key = key
        return self._days

    def _ordered(self, ids: Iterable[str], sort: str) -> list[str]:
        papers = self.library.papers
        wanted = ids if isinstance(ids, (set, frozenset, KeysView)) else set(ids)
        order = self._oldest_order() if sort == "oldest" else self._newest_order()
        out = [pid for pid in order if pid in wanted] if len(wanted) < len(order) else list(order)
        if sort == "upvotes":
            out.sort(key=lambda i: _votes(papers[i]), reverse=True)
        return out

    # ------------------------------------------------------------- set eval

    def _all(self) -> set[str]:
        return set(self.library.papers)

    def _eval_set(self, node: Node, tally: _Tally) -> set[str]:
        papers = self.library.papers
        if is_text(node) and not isinstance(node, Not):
            return set(self._text_scores(node, None, None, tally)[0])
        if isinstance(node, And):
            out: set[str] | None = None
            for c in node.children:
                got = self._eval_set(c, tally)
                out = got if out is None else out & got
                if not out:
                    return set()
            return out or set()
        if isinstance(node, Or):
            acc: set[str] = set()
            for c in node.children:
                acc |= self._eval_set(c, tally)
            return acc
        if isinstance(node, Not):
            return self._all() - self._eval_set(node.child, tally)
        if isinstance(node, Everything):
            return self._all()
        if isinstance(node, IdIs):
            if node.pid in papers:
                return {node.pid}
            low = node.pid.lower()
            return {
                pid
                for pid, p in papers.items()
                if (p.doi or "").lower() == low.removeprefix("doi:")
            }
        if isinstance(node, StateIs):
            return self._state_set(node.what) & papers.keys()
        if isinstance(node, Tag):
            return self._tag_set(node)
        if isinstance(node, HasCode):
            return {pid for pid, p in papers.items() if p.has_code}
        if isinstance(node, Upvotes):
            lo = node.lo if node.lo is not None else -math.inf
            hi = node.hi if node.hi is not None else math.inf
            return {
                pid for pid, p in papers.items() if p.upvotes is not None and lo <= p.upvotes <= hi
            }
        if isinstance(node, DateIn):
            days, day_ids = self._day_index()
            lo = bisect.bisect_left(days, node.lo)
            hi = bisect.bisect_right(days, node.hi + "\uffff")
            return set(day_ids[lo:hi])
        if isinstance(node, Text):  # pragma: no cover - handled by is_text above
            return set(self._text_scores(node, None, None, tally)[0])
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

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
            return {pid for pid in self.library.papers if st.get(pid).note}
        return set()  # pragma: no cover

    def _tag_set(self, node: Tag) -> set[str]:
        want = node.tag

        def ok(tag: str) -> bool:
            t = searchable(tag)
            return t.startswith(want) if node.prefix else t == want

        out = {pid for pid, p in self.library.papers.items() if any(ok(t) for t in p.tags)}
        if self.state is not None:
            for t in self.state.tag_counts():
                if ok(t):
                    out |= self.state.ids_with_tag(t)
        return out & self.library.papers.keys()

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
