"""The scan: papers the index does not hold yet (a first build under way, a
digest just added, no index at all), matched on their text exactly as the
index matches them.

* **Folded once.** Each paper's fields are folded (:func:`searchable`: LaTeX
  rendered, lower-case, accents folded; the rendering is most of the cost,
  ~0.3 ms for each of the ~12k abstracts with LaTeX in the real digests) into
  chunks of :data:`CHUNK` papers, newest first: one string per field and
  chunk, each paper's text ended by a NUL, and a numpy array of
  where each paper's text starts. The folded text of a paper with LaTeX or
  accents is kept per paper object (:class:`FoldCache`), so a new set of
  papers to scan folds again only the cheap ones.
* **One regular expression per word, field and chunk.** A word's pattern
  starts with the word's letters (so ``re`` finds candidates with its fast
  literal search) and a look-behind keeps only the starts of words; each
  match is mapped to its paper with ``numpy.searchsorted`` and counted with
  ``numpy.bincount``. A word (``model``) matches only the forms the light
  stemmer turns into it (``model``, ``models``), a ``prefix*`` every word
  whose stem starts with it, a ``word~`` the words within the edits
  (:func:`within_edits`, first letter fixed). ``w OR w*`` (the word being
  typed) is one pass. In an ``AND`` the later parts, and every ``NOT``, look
  only at the papers matched so far. A phrase is one pattern too (its words'
  forms, stop words between them skipped, as the index skips them), over
  the papers holding all of its words.
* **Scores** are the scan's stand-in until the index holds the papers: how
  often the text matches, times the field's boost; ``AND`` and ``OR`` sum;
  a broad ``prefix*`` (one or two letters) scores 1, as in the index.
* **Bounded and cancellable.** Chunks are scanned newest first. Between
  chunks the scan stops when ``cancelled()`` says a newer query has come
  (:class:`Cancelled`), or, given a ``deadline``, when the time is spent:
  the count is then an estimate from the papers scanned (``exact`` False,
  said "about"), and the hits are those of the newest papers.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reader.catalog import CatalogPapers
from reader.model import Paper
from reader.paper_rows import PaperRows
from reader.search.analysis import (
    FIELD_BOOSTS,
    STOP_WORDS,
    TEXT_FIELDS,
    broad_prefix,
    searchable,
    stem,
    within_edits,
)
from reader.search.query import And, Node, Not, Or, Text

#: Papers per chunk: the unit of folding, of matching and of the checks for
#: cancellation and the deadline (~50 ms to fold, ~1 ms to match a word).
CHUNK = 1024
#: Below this share of a chunk's papers, a word is looked for paper by paper.
_NARROW = 8

#: Ends each paper's text in a chunk (never inside a folded text).
_END = "\x00"
_FIELD_AT = {f: i for i, f in enumerate(TEXT_FIELDS)}


class Cancelled(Exception):
    """The query was cancelled (a newer one came) before its scan was done."""


def field_text(p: Paper, name: str) -> str:
    """A field of ``p`` as the index reads it."""
    if name == "title":
        return p.title
    if name == "authors":
        return " ; ".join(p.authors)
    if name == "abstract":
        return p.abstract
    return " ; ".join(p.tags)


def prefilter(term: str) -> str:
    """The start every word with stem ``term`` has (``stud`` for ``study``:
    ``studies``)."""
    return term[:-1] if term.endswith("y") and len(term) > 1 else term


def forms(term: str) -> list[str]:
    """Every word the light stemmer turns into ``term`` (it drops a plural
    ``s`` or turns ``ies`` into ``y``, nothing else), stop words left out."""
    got = {term, term + "s"}
    if term.endswith("y"):
        got.add(term[:-1] + "ies")
    return sorted(w for w in got if w not in STOP_WORDS and stem(w) == term)


# ----------------------------------------------------------------- patterns

_PATTERNS: dict[tuple[str, str], re.Pattern[str]] = {}


def _pattern(kind: str, key: str, build: Callable[[], str]) -> re.Pattern[str]:
    got = _PATTERNS.get((kind, key))
    if got is None:
        if len(_PATTERNS) > 2000:
            _PATTERNS.clear()
        got = _PATTERNS[(kind, key)] = re.compile(build())
    return got


def _at_word_start(lead: str) -> str:
    """``lead`` (letters) where a word starts: the letters first, so ``re``
    searches for them as a literal, then a look-behind."""
    e = re.escape(lead)
    return f"{e}(?<!\\w{e})"


def _prefix_re(start: str) -> re.Pattern[str]:
    return _pattern("prefix", start, lambda: _at_word_start(start) + r"\w*")


def _forms_re(term: str) -> re.Pattern[str] | None:
    words = forms(term)
    if not words:
        return None

    def build() -> str:
        lead = os.path.commonprefix(words)
        rest = sorted((w[len(lead) :] for w in words), key=len, reverse=True)
        return _at_word_start(lead) + "(?:" + "|".join(map(re.escape, rest)) + r")(?!\w)"

    return _pattern("forms", term, build)


def _fuzzy_re(term: str, distance: int) -> re.Pattern[str]:
    # A stem is at most 2 letters shorter than its word (``ies`` -> ``y``).
    lo = max(0, len(term) - distance - 1)
    hi = len(term) + distance + 1
    return _pattern(
        "fuzzy", f"{term}~{distance}", lambda: _at_word_start(term[0]) + rf"\w{{{lo},{hi}}}(?!\w)"
    )


# ----------------------------------------------------------------- folding


class FoldCache:
    """The folded fields of papers whose folding is costly (LaTeX to render,
    accents to fold), kept per paper object; the others are folded again
    when needed (a lower-case copy)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[Paper, tuple[str, ...]]] = {}

    def fields(self, p: Paper) -> tuple[str, ...]:
        got = self._kept.get(p.id)
        if got is not None and got[0] is p:
            return got[1]
        costly = False
        out: list[str] = []
        for name in TEXT_FIELDS:
            text = field_text(p, name)
            if "$" in text or "\\" in text or not text.isascii():
                costly = True
            folded_text = searchable(text)
            out.append(folded_text.replace(_END, " ") if _END in folded_text else folded_text)
        folded = tuple(out)
        if costly:
            self._kept[p.id] = (p, folded)
        return folded

    def keep_only(self, ids: set[str]) -> None:
        """Forget the papers not in ``ids``."""
        self._kept = {pid: v for pid, v in self._kept.items() if pid in ids}


@dataclass
class _Chunk:
    #: The papers' document numbers (the engine's columns), in order.
    docs: Any
    #: Per field (TEXT_FIELDS order): the folded texts, each ended by ``_END``.
    texts: tuple[str, ...]
    #: Per field: where each paper's text starts (+1 entry: the end).
    starts: tuple[Any, ...]

    @property
    def size(self) -> int:
        return len(self.docs)


def _fold_chunk(papers: Sequence[Paper], docs: Any, folds: FoldCache) -> _Chunk:
    return _chunk_of([folds.fields(p) for p in papers], docs)


def _chunk_of(folded: Sequence[tuple[str, ...]], docs: Any) -> _Chunk:
    """A chunk of papers' folded fields (:meth:`FoldCache.fields` each)."""
    per_field: list[list[str]] = [[] for _ in TEXT_FIELDS]
    for fields in folded:
        for i, text in enumerate(fields):
            per_field[i].append(text)
    texts: list[str] = []
    starts: list[Any] = []
    n = len(folded)
    for parts in per_field:
        lens = np.fromiter(map(len, parts), np.int64, n)
        at = np.zeros(n + 1, np.int64)
        np.cumsum(lens + 1, out=at[1:])
        texts.append(_END.join(parts) + _END)
        starts.append(at)
    return _Chunk(docs, tuple(texts), tuple(starts))


@dataclass
class ScanResult:
    """What a scan found."""

    #: Document numbers (the engine's columns) of the papers that match, and
    #: their scan scores.
    docs: Any
    scores: Any
    #: How many match: exact when every paper was scanned, else an estimate
    #: from the share scanned.
    total: int
    #: False when the deadline stopped the scan before every paper.
    complete: bool


class ScanCorpus:
    """The papers to scan, folded chunk by chunk on first need (by a query or
    by :meth:`fold_all` in a background thread; a chunk is folded once)."""

    def __init__(self, papers: Sequence[Paper], docs: Any, folds: FoldCache) -> None:
        #: Kept as given, not listed: over the catalog a
        #: :class:`~reader.paper_rows.PaperRows`, whose slice (a chunk) is
        #: read in a few queries when the chunk is folded; a paper at a time
        #: decompressed a block per paper (minutes at 90k papers).
        self.papers = papers
        self.docs = np.asarray(docs, np.int64)
        self.folds = folds
        self.size = len(self.papers)
        self._chunks: list[_Chunk | None] = [None] * ((self.size + CHUNK - 1) // CHUNK)
        self._lock = threading.Lock()
        self._busy: dict[int, threading.Event] = {}
        #: About how long folding a chunk takes (a scan with a deadline folds
        #: one only when there is time).
        self._fold_seconds = 0.05

    def chunk_size(self, i: int) -> int:
        """How many papers chunk ``i`` holds (the last may hold fewer)."""
        return min(self.size, (i + 1) * CHUNK) - i * CHUNK

    @property
    def folded(self) -> bool:
        return all(c is not None for c in self._chunks)

    def chunk(self, i: int, wait: bool = True) -> _Chunk | None:
        """Chunk ``i``, folded now if nobody has; None when another thread is
        folding it and ``wait`` is False."""
        got = self._chunks[i]
        if got is not None:
            return got
        with self._lock:
            got = self._chunks[i]
            if got is not None:
                return got
            event = self._busy.get(i)
            mine = event is None
            if event is None:
                event = self._busy[i] = threading.Event()
        if not mine:
            if not wait:
                return None
            event.wait()
            return self._chunks[i]
        try:
            lo = i * CHUNK
            hi = lo + self.chunk_size(i)
            t = time.monotonic()
            got = _fold_chunk(self.papers[lo:hi], self.docs[lo:hi], self.folds)
            self._fold_seconds = 0.7 * self._fold_seconds + 0.3 * (time.monotonic() - t)
            self._chunks[i] = got
        finally:
            with self._lock:
                self._busy.pop(i, None)
            event.set()
        return got

    def fold_all(self, cancelled: Callable[[], bool] | None = None) -> bool:
        """Fold every chunk (True when done; False when ``cancelled``).

        Over the catalog the papers are read in the order they are stored
        (:meth:`_fold_stored`), not the list's: a chunk of the list's
        papers lies in as many of the catalog's blocks, each decompressed
        for one paper (84,412 blocks for the real digests' 91,713 papers:
        33.7 s, against 8.6 s over papers in memory)."""
        stored = self._stored()
        if stored is not None and not self._fold_stored(*stored, cancelled):
            return False
        for i in range(len(self._chunks)):
            if cancelled is not None and cancelled():
                return False
            self.chunk(i)
        return True

    def _stored(self) -> tuple[Sequence[str], Callable[[], Iterator[Paper]]] | None:
        """The ids to fold and the papers in the catalog's order, when the
        papers are the catalog's and more than a chunk."""
        papers = self.papers
        if (
            isinstance(papers, PaperRows)
            and isinstance(papers.source, CatalogPapers)
            and len(self._chunks) > 1
        ):
            return papers.ids, papers.source.stream
        return None

    def _fold_stored(
        self,
        ids: Sequence[str],
        stream: Callable[[], Iterator[Paper]],
        cancelled: Callable[[], bool] | None,
    ) -> bool:
        """Fold the chunks from ``stream`` (every paper once, in the order
        stored), each made once all of its papers have come; a chunk folded
        meanwhile by a query is left as it is. What the stream did not give
        is left to :meth:`chunk`. False when ``cancelled``."""
        at = {pid: k for k, pid in enumerate(ids)}
        waiting: dict[int, list[tuple[str, ...] | None]] = {}
        left: dict[int, int] = {}
        for count, p in enumerate(stream()):
            if count % 256 == 0 and cancelled is not None and cancelled():
                return False
            k = at.get(p.id)
            if k is None:
                continue
            i, j = divmod(k, CHUNK)
            if self._chunks[i] is not None:
                waiting.pop(i, None)  # folded by a query meanwhile: its
                left.pop(i, None)  # papers so far are dropped
                continue
            got = waiting.get(i)
            if got is None:
                got = waiting[i] = [None] * self.chunk_size(i)
                left[i] = len(got)
            if got[j] is None:
                got[j] = self.folds.fields(p)
                left[i] -= 1
            if not left[i]:
                del waiting[i], left[i]
                folded = [fields for fields in got if fields is not None]  # every one
                made = _chunk_of(folded, self.docs[i * CHUNK : (i + 1) * CHUNK])
                with self._lock:
                    if self._chunks[i] is None and i not in self._busy:
                        self._chunks[i] = made
        return True

    def scan(
        self,
        node: Node,
        allowed: Any = None,
        deadline: float | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ScanResult:
        """The papers matching the text tree ``node`` among ``allowed`` (a
        boolean mask over the engine's columns; None: all). Raises
        :class:`Cancelled` when ``cancelled()`` turns true; stops at
        ``deadline`` (``time.monotonic()``) after the first chunk, and folds
        no chunk it would not have the time to."""
        found_docs: list[Any] = []
        found_scores: list[Any] = []
        considered = self.size if allowed is None else int(allowed[self.docs].sum())
        seen = 0
        complete = True
        for i in range(len(self._chunks)):
            if cancelled is not None and cancelled():
                raise Cancelled
            # The chunk's candidates, known before it is folded (its docs).
            cand = None if allowed is None else allowed[self.docs[i * CHUNK : (i + 1) * CHUNK]]
            n = self.chunk_size(i) if cand is None else int(cand.sum())
            if not n:
                # None of the filter's papers here: nothing to fold or match
                # (a date: filter over the real digests with no index yet
                # folded every chunk up to its day: 7.9 s alone, 52 s beside
                # the first build).
                continue
            if deadline is not None and seen and time.monotonic() >= deadline:
                complete = False
                break
            if (
                deadline is not None
                and seen
                and self._chunks[i] is None
                and time.monotonic() + self._fold_seconds > deadline
            ):
                complete = False  # no time to fold it: left for later
                continue
            ch = self.chunk(i, wait=deadline is None or not seen)
            if ch is None:  # folded by another thread right now: left for later
                complete = False
                continue
            seen += n
            matched, scores = _Match(ch).run(node, cand)
            keep = np.flatnonzero(matched)
            if len(keep):
                found_docs.append(ch.docs[keep])
                found_scores.append(scores[keep])
        docs = np.concatenate(found_docs) if found_docs else np.zeros(0, np.int64)
        scores = np.concatenate(found_scores) if found_scores else np.zeros(0, np.float64)
        total = len(docs)
        if not complete and seen < considered:
            total = round(total * considered / seen) if seen else 0
        return ScanResult(docs, scores, total, complete or seen >= considered)


class _Match:
    """A text tree over one chunk: each method gives (matched, scores), two
    arrays over the chunk's papers; ``cand``: only these papers (a mask)."""

    def __init__(self, chunk: _Chunk) -> None:
        self.ch = chunk
        self.n = chunk.size

    def run(self, node: Node, cand: Any) -> tuple[Any, Any]:
        if isinstance(node, Text):
            return self._text(node, cand)
        if isinstance(node, And):
            pos = sorted((c for c in node.children if not isinstance(c, Not)), key=_cost)
            neg = [c.child for c in node.children if isinstance(c, Not)]
            matched = np.ones(self.n, np.bool_) if cand is None else cand.copy()
            scores = np.zeros(self.n, np.float64)
            for c in pos:
                m, s = self.run(c, matched)
                matched &= m
                scores += s
                if not matched.any():
                    return matched, scores
            for c2 in neg:
                m, _ = self.run(c2, matched)
                matched &= ~m
                if not matched.any():
                    break
            scores[~matched] = 0.0
            return matched, scores
        if isinstance(node, Or):
            matched = np.zeros(self.n, np.bool_)
            scores = np.zeros(self.n, np.float64)
            for m, s in self._or_parts(node, cand):
                matched |= m
                scores += s
            return matched, scores
        if isinstance(node, Not):
            m, _ = self.run(node.child, cand)
            out = ~m if cand is None else cand & ~m
            return out, np.zeros(self.n, np.float64)
        raise TypeError(f"not a text node: {node!r}")

    def _or_parts(self, node: Or, cand: Any) -> list[tuple[Any, Any]]:
        """The parts of an ``OR``; ``w OR w*`` (the word being typed) in one pass."""
        kids = list(node.children)
        out: list[tuple[Any, Any]] = []
        for a, b in zip(kids, kids[1:], strict=False):
            if (
                isinstance(a, Text)
                and isinstance(b, Text)
                and (a.kind, b.kind) == ("term", "prefix")
                and a.terms == b.terms
                and a.field == b.field
                and not broad_prefix(b.terms[0])
            ):
                out.append(self._typed(a, cand))
                kids.remove(a)
                kids.remove(b)
                break
        out.extend(self.run(c, cand) for c in kids)
        return out

    # ------------------------------------------------------------- words

    def _fields(self, node: Text) -> list[tuple[int, float]]:
        if node.field is not None:
            return [(_FIELD_AT[node.field], 1.0)]
        return [(_FIELD_AT[f], FIELD_BOOSTS[f]) for f in TEXT_FIELDS]

    def _text(self, node: Text, cand: Any) -> tuple[Any, Any]:
        scores = np.zeros(self.n, np.float64)
        term = node.terms[0]
        for at, boost in self._fields(node):
            if node.kind == "term":
                got = self._forms(at, term, cand)
            elif node.kind == "prefix":
                got = self._words(at, prefilter(term), _prefix_test(term), cand)
            elif node.kind == "fuzzy":
                d = node.distance or 1
                got = self._words(at, term, _fuzzy_test(term, d), cand, _fuzzy_re(term, d))
            else:
                got = self._phrase(at, node, cand)
            scores += got * boost
        matched = scores > 0
        if node.kind == "prefix" and broad_prefix(term):  # a filter, as in the index
            return matched, matched.astype(np.float64)
        return matched, scores

    def _typed(self, node: Text, cand: Any) -> tuple[Any, Any]:
        """``(w OR w*)``: the words starting like ``w`` found once; the forms
        of ``w`` count for both parts, as the index sums them."""
        term = node.terms[0]
        exact = set(forms(term))
        test = _prefix_test(term)
        scores = np.zeros(self.n, np.float64)
        for at, boost in self._fields(node):
            both = self._words(at, prefilter(term), lambda w: (w in exact) + test(w), cand)
            scores += both * boost
        return scores > 0, scores

    def _forms(self, at: int, term: str, cand: Any) -> Any:
        pat = _forms_re(term)
        if pat is None:
            return np.zeros(self.n, np.float64)
        return self._count(at, pat, None, cand)

    def _words(
        self,
        at: int,
        lead: str,
        test: Callable[[str], float],
        cand: Any,
        pat: re.Pattern[str] | None = None,
    ) -> Any:
        if not lead:
            return np.zeros(self.n, np.float64)
        return self._count(at, pat or _prefix_re(lead), test, cand)

    def _count(
        self, at: int, pat: re.Pattern[str], test: Callable[[str], float] | None, cand: Any
    ) -> Any:
        """Per paper: the matches of ``pat`` in field ``at``, each counted as
        ``test(word)`` (1 when None), as floats."""
        text, starts = self.ch.texts[at], self.ch.starts[at]
        pos: list[int] = []
        weight: list[float] = []
        seen: dict[str, float] = {}
        if cand is None or int(cand.sum()) * _NARROW > self.n:
            spans: list[tuple[int, int]] = [(0, len(text))]
        else:
            idx = np.flatnonzero(cand)
            spans = list(zip(starts[idx].tolist(), starts[idx + 1].tolist(), strict=True))
        for lo, hi in spans:
            for m in pat.finditer(text, lo, hi):
                if test is None:
                    pos.append(m.start())
                    continue
                w = m.group()
                v = seen.get(w)
                if v is None:
                    v = seen[w] = float(test(w))
                if v:
                    pos.append(m.start())
                    weight.append(v)
        if not pos:
            return np.zeros(self.n, np.float64)
        docs = np.searchsorted(starts, np.array(pos, np.int64), side="right") - 1
        counts = np.bincount(docs, weights=weight if test is not None else None, minlength=self.n)
        counts = counts[: self.n].astype(np.float64)
        if cand is not None:
            counts[~cand] = 0.0
        return counts

    def _phrase(self, at: int, node: Text, cand: Any) -> Any:
        """Papers holding every word of the phrase, then the phrase's own
        pattern (:func:`_phrase_re`) over them."""
        have = np.ones(self.n, np.bool_) if cand is None else cand.copy()
        for t in sorted(set(node.terms), key=len, reverse=True):
            have &= self._forms(at, t, have) > 0
            if not have.any():
                return np.zeros(self.n, np.float64)
        pat = _phrase_re(node.terms, max(1, node.distance))
        if pat is None:
            return np.zeros(self.n, np.float64)
        return self._count(at, pat, None, have)


def _phrase_re(terms: Sequence[str], slop: int) -> re.Pattern[str] | None:
    """A phrase as one pattern over folded text: each word in one of its
    forms (:func:`forms`), the next one after at most ``slop - 1`` other
    words, stop words not counted (the index drops them: positions are
    those of the other words). A match where the index has one."""
    alts: list[str] = []
    for t in terms:
        words = forms(t)
        if not words:
            return None
        alts.append("(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")")

    def build() -> str:
        stop = "(?:" + "|".join(map(re.escape, sorted(STOP_WORDS, key=len, reverse=True))) + ")"
        # Between words: no word character, and never a paper's end.
        sep = f"[^\\w{_END}]+"
        stops = rf"(?:{sep}{stop}(?!\w))*"
        gap = stops if slop <= 1 else stops + rf"(?:{sep}\w+{stops}){{0,{slop - 1}}}"
        first = forms(terms[0])
        lead = os.path.commonprefix(first)
        rest = sorted((w[len(lead) :] for w in first), key=len, reverse=True)
        out = _at_word_start(lead) + "(?:" + "|".join(map(re.escape, rest)) + r")(?!\w)"
        for alt in alts[1:]:
            out += gap + sep + alt + r"(?!\w)"
        return out

    return _pattern("phrase", f"{' '.join(terms)}~{slop}", build)


def _cost(node: Node) -> tuple[int, int]:
    """Which part of an ``AND`` to look for first: phrases and long words
    (rare, so the later parts look at few papers), ``prefix*``, then ``~``."""
    if isinstance(node, Text):
        rank = {"phrase": 0, "term": 1, "prefix": 2, "fuzzy": 3}[node.kind]
        return (rank, -max(len(t) for t in node.terms))
    return (4, 0)


def _prefix_test(term: str) -> Callable[[str], float]:
    def test(w: str) -> float:
        return float(w not in STOP_WORDS and stem(w).startswith(term))

    return test


def _fuzzy_test(term: str, distance: int) -> Callable[[str], float]:
    def test(w: str) -> float:
        if w in STOP_WORDS:
            return 0.0
        s = stem(w)
        return float(s[:1] == term[:1] and within_edits(s, term, distance))

    return test
