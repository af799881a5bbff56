"""Scoring: one BM25F for every text shape (:class:`TreeScorer`), Whoosh's
formula, statistics and quantised lengths computed with numpy over whole
posting lists (positions for phrases and fields), and the exact count of
matches of a Whoosh query (:func:`_count_matches`)."""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, TypeVar

from whoosh import query as wq

from reader.search.analysis import (
    FIELD_BOOSTS,
    FIELD_SPANS,
    INDEX_FIELD,
    SPAN_WIDTH,
    broad_prefix,
    words_within_edits,
)
from reader.search.index.fast import ESCAPE, FastPostings
from reader.search.index.heap import grow, keep_freed_memory

T = TypeVar("T")

#: BM25F parameters (Whoosh's defaults, used by the fast path too).
BM25_K1 = 1.2
BM25_B = 0.75
#: Scores closer than this (relative) are equal (the engine rounds to 6 places).
TIE_EPSILON = 1e-7


def _count_matches(
    searcher: Any, q: wq.Query, flt: Collection[int] | None, mask: Collection[int] | None
) -> int:
    """How many documents match ``q`` (``flt``: only these; ``mask``: not
    these): the matchers' ids alone, no scoring (deleted documents are already
    left out by Whoosh's segment readers)."""
    n = 0
    for d in searcher.docs_for_query(q):
        if (flt is None or d in flt) and (mask is None or d not in mask):
            n += 1
    return n


# --------------------------------------------------------------------------
# Every text shape: one BM25F over the postings (with positions)


#: Postings kept per segment between queries (then forgotten, and read again).
_KEEP_POSTINGS = 4096
#: Up to this many words, a segment's document frequencies are looked up
#: one by one in its fast postings' bytes; more decode its term list once.
_FEW_WORDS = 64
#: Postings of a ``prefix*``'s run scored at a time (whole terms; see
#: ``TreeScorer._run_of_terms``): a ranked prefix's run (three letters or
#: more: ``pro*``, 1.5 million postings a segment at 1M papers) in one.
_RUN_CHUNK = 1 << 22
#: Expansions (``prefix*``, ``word~``) and prefix idfs kept per searcher.
_KEEP_EXPANSIONS = 512
#: A ``prefix*`` whose run of words has at least this many postings in a
#: segment keeps its scores there (a 1-2 letter prefix: 1-2 million postings
#: at 100k papers, 25-90 ms of numpy a query; typed, the box asks it again at
#: once: ``la`` runs as ``(la OR la*)``, then ``la*``, then Enter).
_KEEP_PREFIX_POSTINGS = 20_000
#: The field that holds most of a word's postings: a ``prefix*`` in it is
#: scored as over the whole text (every posting of the run, a chunk at a
#: time), in the others only the postings with positions there.
_WIDE_FIELD = "abstract"
#: The bytes of those scores kept per searcher, the least recently used
#: dropped first (a one-letter prefix at 100k papers: 1.6 MB; at 1M: 16 MB).
_KEEP_PREFIX_BYTES = 32 << 20
#: Segments this large are scored in threads of their own, one at a time
#: each (numpy lets go of the GIL in its loops): ``abs:com*`` at 1M papers,
#: two segments of 500,000, 42 -> 30 ms (75 -> 38 the first time). Below,
#: a query is a few milliseconds and a thread's hand-over is not worth it.
PARALLEL_DOCS = 250_000


class _Leaf:
    """One segment as the tree scorer reads it (kept for the searcher's life:
    its lengths, word list and the postings read so far)."""

    def __init__(self, reader: Any, fp: FastPostings | None, offset: int) -> None:
        self.reader = reader
        self.fp = fp
        self.offset = offset
        self.ndocs = int(reader.doc_count_all())
        self._lengths: Any = None
        self._cache: dict[str, Any] = {}
        self._dfs: dict[str, int] | None = None
        self._sorted: list[str] | None = None
        self._term_lengths: Any = None
        #: Its position among the searcher's segments.
        self.at = 0
        #: Held while Whoosh's reader of a segment without fast postings is
        #: read: segments are scored in threads (:data:`PARALLEL_DOCS`), and
        #: one's idfs and expansions ask every other segment.
        self._reading = threading.RLock()

    def dfs(self) -> dict[str, int]:
        """Every word of this segment and its document frequency (for a
        segment without fast postings, read once: asking it about thousands
        of words one by one costs more)."""
        with self._reading:
            if self._dfs is None:
                got: dict[str, int] = {}
                for w, info in self.reader.iter_field(INDEX_FIELD):
                    got[w.decode("utf-8") if isinstance(w, bytes) else str(w)] = int(
                        info.doc_frequency()
                    )
                self._dfs = got
            return self._dfs

    def prefix_words(self, text: str) -> list[str]:
        """The words here starting with ``text`` (a segment without fast
        postings: its word list sorted once)."""
        if self._sorted is None:
            self._sorted = sorted(self.dfs())
        words = self._sorted
        lo = bisect.bisect_left(words, text)
        hi = bisect.bisect_left(words, text + "\U0010ffff", lo)
        return words[lo:hi]

    def df_of(self, words: list[str]) -> Any:
        """The document frequency of each of ``words`` here (numpy int64)."""
        import numpy as np

        fp = self.fp
        if fp is None:
            if self._dfs is None and len(words) <= 64:  # a few: asked one by one
                ask = self.reader.doc_frequency
                with self._reading:
                    return np.fromiter((ask(INDEX_FIELD, w) for w in words), np.int64, len(words))
            get = self.dfs().get
            return np.fromiter((get(w, 0) for w in words), np.int64, len(words))
        if len(words) <= _FEW_WORDS:
            # Looked up in the file's bytes: the idf of a query's few words
            # never decodes the segment's hundreds of thousands of terms
            # (~30 ms at 100k papers, a CLI search's every start).
            out = np.zeros(len(words), np.int64)
            for j, w in enumerate(words):
                i = fp.term_index(w)
                if i is not None:
                    out[j] = int(fp.starts[i + 1]) - int(fp.starts[i])
            return out
        terms = fp.terms
        at = [bisect.bisect_left(terms, w) for w in words]
        hit = np.array(
            [i < len(terms) and terms[i] == w for i, w in zip(at, words, strict=True)], bool
        )
        out = np.zeros(len(words), np.int64)
        idx = np.array(at, np.int64)[hit]
        out[hit] = (fp.starts[idx + 1] - fp.starts[idx]).astype(np.int64)
        return out

    def prefix_dfs(self, text: str) -> dict[str, int]:
        """The words here starting with ``text`` and their document frequencies."""
        fp = self.fp
        if fp is None:
            dfs = self.dfs()
            return {w: dfs[w] for w in self.prefix_words(text)}
        r = fp.prefix_range(text)
        counts = (fp.starts[r.start + 1 : r.stop + 1] - fp.starts[r.start : r.stop]).tolist()
        return dict(zip(fp.terms_in(r), counts, strict=True))

    def lengths(self, docs: Any) -> Any:
        import numpy as np

        if self.fp is not None:
            return self.fp.lengths[docs].astype(np.float64)
        with self._reading:
            if self._lengths is None:
                self._lengths = np.array(
                    [self.reader.doc_field_length(d, INDEX_FIELD, 1) for d in range(self.ndocs)],
                    np.float64,
                )
        return self._lengths[docs]

    def postings(self, word: str, positions: bool = True) -> tuple[Any, Any, Any, Any] | None:
        """(docnums, weights, position starts, positions) of ``word`` (from
        fast postings without ``positions``: the last two are None)."""
        got = self._cache.get(word, False)
        if got is not False:
            return got  # type: ignore[no-any-return]
        if not positions and self.fp is not None:
            i = self.fp.term_index(word)
            return None if i is None else self.fp.postings_at(i, positions=False)
        got = self._read(word)
        if len(self._cache) >= _KEEP_POSTINGS:
            self._cache.clear()
        self._cache[word] = got
        return got

    def _read(self, word: str) -> tuple[Any, Any, Any, Any] | None:
        import numpy as np

        if self.fp is not None:
            i = self.fp.term_index(word)
            return None if i is None else self.fp.postings_at(i)
        reader = self.reader
        decode = reader.schema[INDEX_FIELD].format.decode_positions
        docs: list[int] = []
        weights: list[float] = []
        starts = [0]
        positions: list[int] = []
        with self._reading:
            if (INDEX_FIELD, word) not in reader:
                return None
            m = reader.postings(INDEX_FIELD, word)
            while m.is_active():
                docs.append(m.id())
                weights.append(m.weight())
                positions.extend(decode(m.value()))
                starts.append(len(positions))
                m.next()
        if not docs:
            return None
        return (
            np.array(docs, np.uint32),
            np.array(weights, np.float32),
            np.array(starts, np.int64),
            np.array(positions, np.uint32),
        )

    def words(self, kind: str, text: str, distance: int) -> list[str]:
        """The words of this segment a ``prefix`` or ``fuzzy`` term expands
        to. ``word~``: the words with its first letter and a length within
        the edits, checked at once by :func:`words_within_edits` (the same
        words as Whoosh's automaton then :func:`within_edits` find)."""
        import numpy as np

        fp = self.fp
        if kind == "prefix":
            if fp is None:
                return self.prefix_words(text)
            r = fp.prefix_range(text)
            return fp.terms_in(r)
        lo, hi = len(text) - distance, len(text) + distance
        if fp is None:
            cands = [w for w in self.prefix_words(text[:1]) if lo <= len(w) <= hi]
        else:
            if self._term_lengths is None:
                self._term_lengths = np.fromiter(map(len, fp.terms), np.int64, len(fp.terms))
            r = fp.prefix_range(text[:1])
            lens = self._term_lengths[r.start : r.stop]
            idx = (r.start + np.flatnonzero((lens >= lo) & (lens <= hi))).tolist()
            terms = fp.terms
            cands = [terms[i] for i in idx]
        ok = words_within_edits(cands, text, distance).tolist()
        return [w for w, y in zip(cands, ok, strict=True) if y]


class ScorerState:
    """What :class:`TreeScorer` keeps for one searcher (one generation of
    the index), from query to query: the segments with what was read of
    them, the idfs, the words a ``prefix*`` or ``word~`` expands to."""

    def __init__(self, searcher: Any, fast: Mapping[str, FastPostings] | None) -> None:
        keep_freed_memory()  # a query's arrays on pages already touched
        fast = fast or {}
        self.searcher = searcher
        self.leaves: list[_Leaf] = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            seg = reader.segment()
            fp = fast.get(seg.segment_id()) if seg is not None else None
            leaf = _Leaf(reader, fp, offset)
            leaf.at = len(self.leaves)
            self.leaves.append(leaf)
        self.ndocs = int(searcher.doc_count_all())
        self.avgfl = float(searcher.avg_field_length(INDEX_FIELD) or 1)
        self.idf: dict[str, float] = {}
        self.expanded: dict[tuple[str, str, int], list[str]] = {}
        #: (segment position, prefix) -> idf of each word of the prefix's run.
        self.prefix_idf: dict[tuple[int, str], Any] = {}
        #: Per segment: the BM25 length part of every document.
        self.norms: dict[int, Any] = {}
        #: (segment position, field or None) -> BM25's factor of each
        #: (code, length byte) pair (:meth:`TreeScorer._factors`).
        self.factors: dict[tuple[int, str | None], Any] = {}
        #: (segment position, prefix, field) -> (docnums, scores) of a
        #: ``prefix*`` with many postings, read-only, least recently used first.
        self.prefix_scores: OrderedDict[tuple[int, str, str | None], tuple[Any, Any]] = (
            OrderedDict()
        )
        self._prefix_bytes = 0
        self._keep_lock = threading.Lock()
        self._deleted: dict[int, Any] = {}
        #: The tie keys last ordered, and the docnums in their order.
        self._tie_order: tuple[Any, Any] | None = None

    def tie_order(self, keys: Any, make: bool = True) -> Any:
        """The docnums in the order of their ``keys`` (smaller first, then
        by docnum), kept for that array: 93 ms at 1M papers, made once by
        the engine's warm-up (:meth:`SearchIndex.warm_ties`); None when it
        is not made and ``make`` is False (a one-shot command: the sort
        would cost more than the query it serves)."""
        import numpy as np

        with self._keep_lock:
            got = self._tie_order
            if got is None or got[0] is not keys:
                if not make:
                    return None
                got = self._tie_order = (keys, np.argsort(keys, kind="stable"))
            return got[1]

    def deleted(self, leaf: _Leaf) -> Any:
        """A mask of the segment's deleted documents (None: none)."""
        if leaf.at not in self._deleted:
            import numpy as np

            seg = leaf.reader.segment()
            got = None
            if seg is not None and seg.has_deletions():
                got = np.zeros(leaf.ndocs, np.bool_)
                got[np.fromiter(seg.deleted_docs(), np.int64)] = True
            self._deleted[leaf.at] = got
        return self._deleted[leaf.at]

    def kept_prefix(self, key: tuple[int, str, str | None]) -> tuple[Any, Any] | None:
        with self._keep_lock:
            got = self.prefix_scores.get(key)
            if got is not None:
                self.prefix_scores.move_to_end(key)
            return got

    def keep_prefix(self, key: tuple[int, str, str | None], docs: Any, scores: Any) -> None:
        """Keep a prefix's scores in a segment (see :data:`_KEEP_PREFIX_BYTES`)."""
        size = int(docs.nbytes + scores.nbytes)
        if size > _KEEP_PREFIX_BYTES:
            return
        docs.flags.writeable = False
        scores.flags.writeable = False
        with self._keep_lock:  # (segments are scored in threads: PARALLEL_DOCS)
            old = self.prefix_scores.pop(key, None)
            if old is not None:
                self._prefix_bytes -= int(old[0].nbytes + old[1].nbytes)
            self.prefix_scores[key] = (docs, scores)
            self._prefix_bytes += size
            while self._prefix_bytes > _KEEP_PREFIX_BYTES:
                _, (d, sc) = self.prefix_scores.popitem(last=False)
                self._prefix_bytes -= int(d.nbytes + sc.nbytes)

    def forget_some(self) -> None:
        if len(self.expanded) > _KEEP_EXPANSIONS:
            self.expanded.clear()
        if len(self.prefix_idf) > _KEEP_EXPANSIONS:
            self.prefix_idf.clear()
        if len(self.idf) > 200_000:
            self.idf.clear()


def _in_range(ps: Any, pos: Any, lo: int, hi: int) -> Any:
    """How many positions of each posting are in ``lo..hi-1``."""
    import numpy as np

    inside = ((pos >= lo) & (pos < hi)).astype(np.int64)
    csum = np.zeros(len(inside) + 1, np.int64)
    np.cumsum(inside, out=csum[1:])
    return csum[ps[1:]] - csum[ps[:-1]]


class TreeScorer:
    """Scores a text tree (:mod:`reader.search.query` nodes: words, phrases,
    ``prefix*``, ``word~``, fields, ``And``/``Or``/``Not``) over one segment
    at a time with numpy: BM25F with Whoosh's formula and statistics (idf over
    all segments, quantised lengths). A word's weight is its field-weighted
    frequency; in a field (``title:x``) its frequency there times that field's
    boost; a phrase scores as one word whose frequency is the number of times
    it occurs (weighted by the field it starts in) and whose idf is the sum of
    its words'. An ``Or`` sums the scores of its parts, an ``And`` too; a
    ``prefix*`` or ``word~`` is the ``Or`` of the words it expands to."""

    def __init__(self, state: ScorerState) -> None:
        self.state = state
        self.searcher = state.searcher
        self.leaves = state.leaves
        self.ndocs = state.ndocs
        self.avgfl = state.avgfl
        self._idf = state.idf
        self._expanded = state.expanded

    def idfs(self, words: list[str]) -> Any:
        """idf of each of ``words`` (numpy), over all segments."""
        import numpy as np

        missing = [w for w in dict.fromkeys(words) if w not in self._idf]
        if missing:
            df = np.zeros(len(missing), np.int64)
            for leaf in self.leaves:
                df += leaf.df_of(missing)
            vals = np.log(self.ndocs / (df + 1)) + 1
            self._idf.update(zip(missing, vals.tolist(), strict=True))
        return np.array([self._idf[w] for w in words], np.float64)

    def idf(self, word: str) -> float:
        got = self._idf.get(word)
        if got is None:
            got = float(self.idfs([word])[0])
        return got

    def prefix_idfs(self, at: int, text: str) -> Any:
        """idf of each word of segment ``at``'s run of words starting with
        ``text`` (its fast postings' order), over all segments."""
        import numpy as np

        key = (at, text)
        got = self.state.prefix_idf.get(key)
        if got is not None:
            return got
        leaf = self.leaves[at]
        assert leaf.fp is not None
        fp = leaf.fp
        r = fp.prefix_range(text)
        df = (fp.starts[r.start + 1 : r.stop + 1] - fp.starts[r.start : r.stop]).astype(np.int64)
        words = fp.terms_in(r)
        for j, other in enumerate(self.leaves):
            if j == at:
                continue
            theirs = other.prefix_dfs(text)
            if theirs:
                get = theirs.get
                df += np.fromiter((get(w, 0) for w in words), np.int64, len(words))
        got = np.log(self.ndocs / (df + 1)) + 1
        self.state.prefix_idf[key] = got
        return got

    def expand(self, kind: str, text: str, distance: int) -> list[str]:
        key = (kind, text, distance)
        got = self._expanded.get(key)
        if got is None:
            words: set[str] = set()
            for leaf in self.leaves:
                words.update(leaf.words(kind, text, distance))
            got = self._expanded[key] = sorted(words)
        return got

    # Each method returns (sorted unique docnums int64, scores float64) of a
    # leaf; ``cand`` (a boolean mask over the leaf's docnums, or None: all)
    # says which documents can still match: the others' postings are never
    # scored (an ``And`` runs its cheapest part first, then the others among
    # what it found; a filter's papers are the candidates of the whole tree).

    def run(self, leaf: _Leaf, node: Any, cand: Any = None) -> tuple[Any, Any]:
        """(sorted docnums, scores) of ``node`` in ``leaf`` (among ``cand``)."""

        from reader.search.query import And, Not, Or, Text

        if isinstance(node, Text):
            return self._text(leaf, node, cand)
        if isinstance(node, And):
            pos = [c for c in node.children if not isinstance(c, Not)]
            neg = [c.child for c in node.children if isinstance(c, Not)]
            if not pos:
                docs, scores = self._all(leaf, cand)
            else:
                docs, scores = self._all_of(leaf, pos, cand)
            for n in neg:
                if not len(docs):
                    break
                d2, _ = self.run(leaf, n, _mask(docs, leaf.ndocs))
                docs, scores = _minus(docs, scores, d2, leaf.ndocs)
            return docs, scores
        if isinstance(node, Or):
            parts = [self.run(leaf, c, cand) for c in node.children]
            return _or(parts, leaf.ndocs)
        if isinstance(node, Not):
            docs, scores = self._all(leaf, cand)
            d2, _ = self.run(leaf, node.child, _mask(docs, leaf.ndocs))
            return _minus(docs, scores, d2, leaf.ndocs)
        raise TypeError(f"not a text node: {node!r}")

    def _all_of(self, leaf: _Leaf, parts: list[Any], cand: Any) -> tuple[Any, Any]:
        """The ``And`` of ``parts``: the one with the fewest postings first,
        each next one only among the documents found so far; the scores then
        summed in the parts' own order (the same sums, to the bit, as when
        each part was scored over every document)."""

        order = sorted(range(len(parts)), key=lambda i: self.cost(leaf, parts[i]))
        got: dict[int, tuple[Any, Any]] = {}
        docs: Any = None
        for i in order:
            d, sc = self.run(leaf, parts[i], cand)
            got[i] = (d, sc)
            docs = d  # within the documents found so far (its candidates)
            if not len(d):
                return d, sc
            cand = _mask(d, leaf.ndocs)
        scores: Any = None
        found: Any = None
        for i in range(len(parts)):
            d, sc = got[i]
            if len(d) == len(docs):
                mine = sc
            else:  # ``docs`` is within ``d`` (both sorted): a mask, not a binary search each
                if found is None:
                    found = _mask(docs, leaf.ndocs)
                mine = sc[found[d]]
            scores = mine if scores is None else scores + mine
        return docs, scores

    def cost(self, leaf: _Leaf, node: Any) -> int:
        """About how many postings ``node`` reads in ``leaf`` (0 without fast
        postings: the parts then run in their order)."""
        from reader.search.query import And, Not, Or, Text

        fp = leaf.fp
        if fp is None:
            return 0
        if isinstance(node, Text):
            if node.kind == "prefix":
                r = fp.prefix_range(node.terms[0])
                return int(fp.starts[r.stop]) - int(fp.starts[r.start]) if len(r) else 0
            if node.kind == "fuzzy":
                return 1 << 40  # its words not looked up for this: last
            n = 0
            for w in node.terms:
                i = fp.term_index(w)
                if i is None:
                    return 0  # matches nothing: first
                n += int(fp.starts[i + 1]) - int(fp.starts[i])
            return n
        if isinstance(node, And):
            pos = [self.cost(leaf, c) for c in node.children if not isinstance(c, Not)]
            return min(pos) if pos else leaf.ndocs
        if isinstance(node, Or):
            return sum(self.cost(leaf, c) for c in node.children)
        return leaf.ndocs

    @staticmethod
    def _all(leaf: _Leaf, cand: Any = None) -> tuple[Any, Any]:
        import numpy as np

        if cand is not None:
            docs = np.flatnonzero(cand)
            return docs, np.zeros(len(docs), np.float64)
        return np.arange(leaf.ndocs, dtype=np.int64), np.zeros(leaf.ndocs, np.float64)

    def _bm25(self, leaf: _Leaf, docs: Any, tf: Any, idf: Any) -> Any:
        k1, b = BM25_K1, BM25_B
        norms = self.state.norms.get(leaf.at)
        if norms is None:
            import numpy as np

            every = leaf.lengths(np.arange(leaf.ndocs))
            norms = self.state.norms[leaf.at] = k1 * ((1 - b) + b * every / self.avgfl)
        return idf * ((tf * (k1 + 1)) / (tf + norms[docs]))

    def _text(self, leaf: _Leaf, node: Any, cand: Any = None) -> tuple[Any, Any]:
        import numpy as np

        if node.kind == "phrase":
            return self._phrase(leaf, node, cand)
        if node.kind == "prefix" and leaf.fp is not None:
            return self._prefix_slice(leaf, node, cand)
        if node.kind == "prefix" and broad_prefix(node.terms[0]):  # (no fast postings)
            docs, _ = self._words(leaf, node, cand)
            return docs, np.ones(len(docs), np.float64)
        return self._words(leaf, node, cand)

    def _words(self, leaf: _Leaf, node: Any, cand: Any = None) -> tuple[Any, Any]:
        """A word, ``prefix*`` or ``word~``: the ``Or`` of its words' scores."""
        import numpy as np

        empty = (np.zeros(0, np.int64), np.zeros(0, np.float64))
        if node.kind == "term":
            words = [node.terms[0]]
        elif leaf.fp is None and node.kind == "prefix":
            words = leaf.prefix_words(node.terms[0])
        else:
            words = self.expand(node.kind, node.terms[0], node.distance or 1)
            if leaf.fp is None:
                have = leaf.dfs()  # the others have no postings here
                words = [w for w in words if w in have]
            elif node.field is None and len(words) > 1:
                return self._words_at_once(leaf, words, cand)
        docs_l: list[Any] = []
        tf_l: list[Any] = []
        idf_l: list[Any] = []
        for w in words:
            if node.field is not None and leaf.fp is not None:
                i = leaf.fp.term_index(w)
                if i is None:
                    continue
                n = self._field_tf(leaf, i, i + 1, node.field)
                keep = n > 0
                docs = leaf.fp.docs_at(int(leaf.fp.starts[i]), int(leaf.fp.starts[i + 1]))
                if cand is not None:
                    keep &= cand[docs]
                docs = docs[keep]
                if len(docs):
                    docs_l.append(docs)
                    tf_l.append(n[keep].astype(np.float64) * FIELD_BOOSTS[node.field])
                    idf_l.append(self.idf(w))
                continue
            got = leaf.postings(w, positions=node.field is not None)
            if got is None:
                continue
            docs, weights, ps, pos = got
            if node.field is None:
                tf = weights
                if cand is not None:
                    keep = cand[docs]
                    docs, tf = docs[keep], tf[keep]
            else:
                lo, hi = FIELD_SPANS[node.field]
                n = _in_range(ps, pos, lo, hi)
                keep = n > 0
                if cand is not None:
                    keep &= cand[docs]
                docs = docs[keep]
                tf = n[keep].astype(np.float64) * FIELD_BOOSTS[node.field]
            if not len(docs):
                continue
            docs_l.append(docs)
            tf_l.append(tf)
            idf_l.append(self.idf(w))
        if not docs_l:
            return empty
        # Every word's postings scored in one numpy pass.
        counts = np.fromiter(map(len, docs_l), np.int64, len(docs_l))
        all_docs = np.concatenate(docs_l).astype(np.int64, copy=False)
        tf_all = np.concatenate(tf_l).astype(np.float64)
        idf_all = np.repeat(np.array(idf_l, np.float64), counts)
        scores = self._bm25(leaf, all_docs, tf_all, idf_all)
        if len(docs_l) == 1:
            return all_docs, scores
        return _sum_by_doc(all_docs, scores, leaf.ndocs)

    def _words_at_once(self, leaf: _Leaf, words: list[str], cand: Any = None) -> tuple[Any, Any]:
        """The ``OR`` of many words (a ``word~``) in a segment with fast
        postings, in one numpy pass: their postings gathered, scored at once."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        found = [(w, i) for w, i in ((w, fp.term_index(w)) for w in words) if i is not None]
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        idx = np.array([i for _, i in found], np.int64)
        lo = fp.starts[idx].astype(np.int64)
        counts = fp.starts[idx + 1].astype(np.int64) - lo
        at = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        docs = fp.docs_of_terms(idx)
        word = np.repeat(np.arange(len(found)), counts)
        if cand is not None:
            keep = cand[docs]
            docs, at, word = docs[keep], at[keep], word[keep]
        tf = fp.weights_of(at).astype(np.float64)
        idf = self.idfs([w for w, _ in found])[word]
        return _sum_by_doc(docs, self._bm25(leaf, docs, tf, idf), leaf.ndocs)

    def _prefix_slice(self, leaf: _Leaf, node: Any, cand: Any = None) -> tuple[Any, Any]:
        """``prefix*`` in a segment with fast postings: the words it expands to
        are one run of the sorted word list, their postings one slice. Among
        few candidates (at most a quarter of the segment) over the whole
        text, only their postings are scored (and nothing is kept); else the
        prefix is scored over every document, kept when it has many
        postings (the box asks it again at once), then cut to ``cand``."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        r = fp.prefix_range(node.terms[0])
        if not len(r):
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        if broad_prefix(node.terms[0]):  # a filter, from the run's bitmaps
            return _among(*self._broad(leaf, r, node.field), cand)
        key = (leaf.at, node.terms[0], node.field)
        kept = self.state.kept_prefix(key)
        if kept is not None:
            return _among(*kept, cand)
        if cand is not None and 4 * int(cand.sum()) <= leaf.ndocs:
            return self._run_of_terms(leaf, r.start, r.stop, node.terms[0], cand, node.field)
        many = int(fp.starts[r.stop]) - int(fp.starts[r.start]) >= _KEEP_PREFIX_POSTINGS
        if node.field in (None, _WIDE_FIELD):  # most of the run's postings count
            got = self._run_of_terms(leaf, r.start, r.stop, node.terms[0], field=node.field)
        else:  # a few of them (``au:pro*``): those alone scored
            a, b = int(fp.starts[r.start]), int(fp.starts[r.stop])
            n = self._field_tf(leaf, r.start, r.stop, node.field)
            at = np.flatnonzero(n > 0)
            run = len(n)
            n = n[at]
            docs = fp.docs_at(a, b)[at]
            codes = fp.codes_at(a, b)[0][at]
            counts = np.diff(fp.starts[r.start : r.stop + 1]).astype(np.int64)
            word_idf = self.prefix_idfs(leaf.at, node.terms[0])
            if 8 * len(at) >= run:  # most of the run: each term's idf repeated
                idf = np.repeat(word_idf, counts)[at]
            else:  # a few of its postings: their terms found
                idf = word_idf[np.searchsorted(np.cumsum(counts), at, "right")]
            escaped = np.flatnonzero(codes == ESCAPE)  # counted from their positions
            tf = n[escaped] * FIELD_BOOSTS[node.field]
            factors = self._factors(leaf, node.field)
            scores = self._by_codes(leaf, factors, docs, codes, escaped, tf)
            scores *= idf
            got = _sum_by_doc(docs, scores, leaf.ndocs)
        if many:
            self.state.keep_prefix(key, *got)
        return _among(*got, cand)

    def _broad(self, leaf: _Leaf, r: range, field: str | None) -> tuple[Any, Any]:
        """A broad ``prefix*`` (:func:`broad_prefix`) over the run ``r``: the
        documents holding one of its words (in ``field``), each scoring 1;
        from the run's bitmaps when it keeps them, else (a run of fewer
        postings than a quarter of the segment's documents) its postings."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        docs = fp.broad_docs(r, field)
        if docs is None:
            at = fp.docs_at(int(fp.starts[r.start]), int(fp.starts[r.stop]))
            if field is not None:
                at = at[self._field_tf(leaf, r.start, r.stop, field) > 0]
            docs = np.flatnonzero(_mask(at, leaf.ndocs))
        return docs, np.ones(len(docs), np.float64)

    def _field_tf(self, leaf: _Leaf, lo: int, hi: int, field: str) -> Any:
        """How many positions of each posting of terms ``lo..hi-1`` are in
        ``field`` (int64): from the posting's code (its split over the
        fields, :meth:`FastPostings.field_table`), else (an escaped one)
        from its positions, read for those postings alone."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        a, b = int(fp.starts[lo]), int(fp.starts[hi])
        n = fp.field_table(field)[fp.codes_at(a, b)[0]]
        unknown = np.flatnonzero(n < 0)
        if len(unknown):
            n[unknown] = self._counted_in(leaf, lo, b, unknown, field)
        return n

    def _counted_in(self, leaf: _Leaf, lo: int, b: int, unknown: Any, field: str) -> Any:
        """How many positions of each of the postings ``unknown`` (places
        from the first posting of term ``lo``, before posting ``b``) are in
        ``field``, from their positions (int64)."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        freqs = fp.freqs_at(int(fp.starts[lo]), b)
        # where each of those postings' positions start: the positions
        # before the first, then those from each to the next (not a
        # running sum over every posting of the run)
        first = np.zeros(len(unknown), np.int64)
        np.cumsum(np.add.reduceat(freqs, unknown)[:-1], out=first[1:])
        first += int(freqs[: int(unknown[0])].sum())
        cnt = freqs[unknown]
        ends = np.cumsum(cnt)
        offs = np.repeat(first - ends + cnt, cnt) + np.arange(int(ends[-1]))
        pos = fp.positions_of(fp.term_span(lo)[2], offs)
        span_lo, span_hi = FIELD_SPANS[field]
        inside = np.zeros(len(pos) + 1, np.int64)
        np.cumsum((pos >= span_lo) & (pos < span_hi), out=inside[1:])
        return inside[ends] - inside[ends - cnt]

    def _factors(self, leaf: _Leaf, field: str | None = None) -> Any:
        """BM25's ``tf * (k1 + 1) / (tf + norm)`` of every (code, length
        byte) pair of a segment with fast postings, at ``code * 256 + byte``:
        a posting's weight is one of its 255 codes' and a document's length
        one of 256, so a long run of postings (``a*``: millions at 1M papers)
        is scored by one lookup each instead of five passes of float64
        arithmetic. The same operations on the same values as :meth:`_bm25`,
        so the very same scores. In a ``field``: tf is the code's positions
        there times the field's boost (0 for the escape's row)."""
        import numpy as np

        got = self.state.factors.get((leaf.at, field))
        if got is None:
            fp = leaf.fp
            assert fp is not None
            k1, b = BM25_K1, BM25_B
            norm = k1 * ((1 - b) + b * fp.length_table.astype(np.float64) / self.avgfl)
            if field is None:
                tf = fp.weight_table().astype(np.float64)[:, None]
            else:
                n = np.maximum(fp.field_table(field), 0).astype(np.float64)
                tf = (n * FIELD_BOOSTS[field])[:, None]
            got = ((tf * (k1 + 1)) / (tf + norm[None, :])).ravel()
            self.state.factors[(leaf.at, field)] = got
        return got

    def _by_codes(
        self, leaf: _Leaf, factors: Any, docs: Any, codes: Any, escaped: Any, escaped_tf: Any
    ) -> Any:
        """BM25's tf part of each posting (``docs``, ``codes``) from
        ``factors`` (:meth:`_factors`) by its (code, length byte); the
        postings at ``escaped`` (their code the escape) from their tf,
        ``escaped_tf``, as :meth:`_bm25` does."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        key = codes.astype(np.uint16)
        key <<= 8
        key |= fp.length_bytes[docs]
        scores = factors[key]
        del key
        if len(escaped):
            tf = np.asarray(escaped_tf, np.float64)
            scores[escaped] = self._bm25(leaf, docs[escaped], tf, 1.0)
        return scores

    def _run_of_terms(
        self,
        leaf: _Leaf,
        lo: int,
        hi: int,
        prefix: str,
        cand: Any = None,
        field: str | None = None,
    ) -> tuple[Any, Any]:
        """``prefix*`` over the whole text (or in ``field``): the postings of
        terms ``lo..hi-1`` (the prefix's run) scored by :meth:`_factors`,
        summed by document (``cand``: only the postings of those documents
        scored; a posting with no position in ``field`` adds 0). A long run
        is read :data:`_RUN_CHUNK` postings at a time (whole terms). The
        chunks' documents and scores are summed at the end by one
        :func:`_sums_of` in posting order: the sums of one pass to the bit,
        and (unlike ``np.add.at`` a chunk, as before) numpy lets go of the
        GIL while it sums, so the other segment's thread runs meanwhile
        (:data:`PARALLEL_DOCS`)."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        starts = fp.starts
        word_idf = self.prefix_idfs(leaf.at, prefix)
        factors = self._factors(leaf, field)
        docs_l: list[Any] = []
        scores_l: list[Any] = []
        for t0, t1 in _chunks(starts, lo, hi, _RUN_CHUNK):
            a, b = int(starts[t0]), int(starts[t1])
            docs = fp.docs_at(a, b)
            codes, escaped, escaped_w = fp.codes_at(a, b)
            if field is not None and len(escaped):  # their splits: from their positions
                escaped_w = self._counted_in(leaf, t0, b, escaped, field) * FIELD_BOOSTS[field]
            counts = np.diff(starts[t0 : t1 + 1]).astype(np.int64)
            chunk_idf = word_idf[t0 - lo : t1 - lo]
            if cand is not None:
                sel = np.flatnonzero(cand[docs])
                docs, codes = docs[sel], codes[sel]
                idf = chunk_idf[np.searchsorted(np.cumsum(counts), sel, side="right")]
                if len(escaped):
                    hit = np.isin(escaped, sel)
                    escaped, escaped_w = np.searchsorted(sel, escaped[hit]), escaped_w[hit]
            else:
                idf = np.repeat(chunk_idf, counts)
            scores = self._by_codes(leaf, factors, docs, codes, escaped, escaped_w)
            scores *= idf
            docs_l.append(docs)
            scores_l.append(scores)
        if len(docs_l) == 1:
            sums = _sums_of(docs_l[0], scores_l[0], leaf.ndocs)
        else:
            sums = _sums_of(np.concatenate(docs_l), np.concatenate(scores_l), leaf.ndocs)
        del docs_l, scores_l
        # every idf and weight is above 0: a document is present when its sum is not 0
        present = np.flatnonzero(sums)
        return present, sums[present]

    def _phrase(self, leaf: _Leaf, node: Any, cand: Any = None) -> tuple[Any, Any]:
        """Candidates by intersecting the words' postings, then checked by
        positions: each next word within ``slop`` positions after the last."""
        import numpy as np

        empty = (np.zeros(0, np.int64), np.zeros(0, np.float64))
        got = []
        for w in node.terms:
            g = leaf.postings(w)
            if g is None:
                return empty
            got.append(g)
        among = got[0][0]
        if cand is not None:
            among = among[cand[among]]
        for g in got[1:]:
            if not len(among):
                return empty
            among = among[_mask(g[0], leaf.ndocs)[among]]
        if not len(among):
            return empty
        cand = _mask(among, leaf.ndocs)
        slop = max(1, node.distance)
        keys = None
        for docs, _w, ps, pos in got:
            idx = np.flatnonzero(cand[docs])
            counts = (ps[idx + 1] - ps[idx]).astype(np.int64)
            starts = ps[idx].astype(np.int64)
            # every position of the selected postings, keyed doc << 32 | pos
            offs = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            k = (np.repeat(docs[idx].astype(np.int64), counts) << 32) | pos[offs].astype(np.int64)
            if keys is None:
                first = k  # where each match starts
                keys = k
                continue
            j = np.searchsorted(k, keys, side="right")
            ok = j < len(k)
            j2 = np.where(ok, j, 0)
            ok &= (k[j2] - keys) <= slop
            first, keys = first[ok], k[j2[ok]]
            if not len(keys):
                return empty
        if keys is None or not len(keys):
            return empty
        starts_pos = first & 0xFFFFFFFF
        docs_m = first >> 32
        if node.field is not None:
            lo, hi = FIELD_SPANS[node.field]
            inside = (starts_pos >= lo) & (starts_pos < hi)
            docs_m, starts_pos = docs_m[inside], starts_pos[inside]
            if not len(docs_m):
                return empty
        boosts = np.array([FIELD_BOOSTS[f] for f in _SPAN_ORDER], np.float64)
        w = boosts[np.minimum(starts_pos // SPAN_WIDTH, len(boosts) - 1)]
        docs, tf = _sum_by_doc(docs_m, w, leaf.ndocs)
        idf = sum(self.idf(t) for t in node.terms)
        return docs, self._bm25(leaf, docs, tf, idf)


#: The fields in the order of their position ranges (FIELD_SPANS).
_SPAN_ORDER = sorted(FIELD_SPANS, key=lambda f: FIELD_SPANS[f][0])


def _chunks(starts: Any, lo: int, hi: int, size: int) -> Iterator[tuple[int, int]]:
    """Terms ``lo..hi-1`` (by where their postings start, ``starts``) as
    runs ``(t0, t1)`` of whole terms of about ``size`` postings (one term
    longer than that alone)."""
    import numpy as np

    t0 = lo
    while t0 < hi:
        end = starts.dtype.type(min(int(starts[t0]) + size, int(starts[hi])))
        t1 = min(max(int(np.searchsorted(starts, end, side="right")) - 1, t0 + 1), hi)
        yield t0, t1
        t0 = t1


def _mask(docs: Any, n: int) -> Any:
    """A boolean mask over ``n`` docnums, set at ``docs``."""
    import numpy as np

    out = np.zeros(n, np.bool_)
    out[docs] = True
    return out


def _among(docs: Any, scores: Any, cand: Any) -> tuple[Any, Any]:
    """Those of ``docs`` (and their scores) in the mask ``cand`` (None: all)."""
    if cand is None:
        return docs, scores
    keep = cand[docs]
    return docs[keep], scores[keep]


def _sum_by_doc(docs: Any, values: Any, n: int) -> tuple[Any, Any]:
    """The distinct ``docs`` (all below ``n``), sorted, and the sum of their values."""
    import numpy as np

    present = np.flatnonzero(_mask(docs, n))
    return present, np.bincount(docs, weights=values, minlength=n)[present]


def _sums_of(docs: Any, values: Any, n: int) -> Any:
    """The sum of ``values`` by document (``docs`` below ``n``; float64, ``n``
    long), added one after another in their order."""
    import numpy as np

    return np.bincount(docs, weights=values, minlength=n)


def _minus(d1: Any, s1: Any, d2: Any, n: int) -> tuple[Any, Any]:
    """``d1`` (sorted, below ``n``) and its scores but for ``d2``'s documents."""
    keep = ~_mask(d2, n)[d1]
    return d1[keep], s1[keep]


def _or(parts: list[tuple[Any, Any]], n: int) -> tuple[Any, Any]:
    import numpy as np

    parts = [p for p in parts if len(p[0])]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        # ``(com OR com*)``, as typed: the word's few papers are among the
        # prefix's many, found by a binary search of the few alone
        (d1, s1), (d2, s2) = sorted(parts, key=lambda p: len(p[0]))
        if 8 * len(d1) <= len(d2):
            at = np.searchsorted(d2, d1)
            if int(at[-1]) < len(d2) and np.array_equal(d2[at], d1):
                scores = s2.copy()
                scores[at] += s1  # (two floats' sum: the same in either order)
                return d2, scores
    return _sum_by_doc(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), n
    )


def tree_search(
    searcher: Any,
    fast: Mapping[str, FastPostings] | None,
    node: Any,
    limit: int | None,
    flt: set[int] | Any | None,
    mask: set[int] | None = None,
    tiekey: Any = None,
    state: ScorerState | None = None,
) -> tuple[Any, Any, int]:
    """The best ``limit`` docnums and scores of a text tree (numpy arrays,
    best first; every match when ``limit`` is None)
    and exactly how many match (see :class:`TreeScorer`). ``flt``: only these
    documents (a set, a sorted array, or a boolean mask over docnums).
    Equal scores: with ``tiekey`` (each docnum's place among equal scores,
    smaller first: the engine's newer first, then id; an array, or a function
    giving it, called only when more than :data:`TIE_SPILL` tie at the cut)
    exactly ``limit``, in that order; without, every document tied with the
    last one kept comes too (document numbers differ between builds). ``state``: what was kept of
    earlier queries on this searcher (:class:`ScorerState`)."""
    import numpy as np

    if state is None or state.searcher is not searcher:
        state = ScorerState(searcher, fast)
    state.forget_some()
    leaves = state.leaves
    scorer = TreeScorer(state)
    if flt is None or isinstance(flt, np.ndarray):  # a sorted array of docnums already
        only = flt
    else:
        only = np.fromiter(sorted(flt), np.int64, len(flt))
    masked = np.fromiter(sorted(mask), np.int64, len(mask)) if mask else None
    found = _run_leaves(leaves, lambda leaf: _found(scorer, leaf, node, only, masked, limit))
    found = [f for f in found if len(f[0])]
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.float64), 0
    found_docs = [f[0] for f in found]
    found_scores = [f[1] for f in found]
    matched = sum(f[2] for f in found)
    all_docs, all_scores = np.concatenate(found_docs), np.concatenate(found_scores)
    floor = _floor(all_scores, limit) if callable(tiekey) else None
    order = None if floor is None else state.tie_order(tiekey(), make=False)
    if floor is not None and order is not None and limit is not None:
        # a broad prefix (``(abs:co OR abs:co*)`` as typed, ``a*``: a million
        # papers at 1M score its 1, a few more the word's): those above it,
        # then the first of the million in the keys' order (made by the
        # warm-up), not every key gathered and partitioned (20 ms)
        above, low = floor
        above = above[best_first(all_scores[above], keys_of(tiekey(), all_docs[above]), None)]
        tied = _mask(all_docs, state.ndocs)
        tied[all_docs[above]] = False
        first = _first_of(order, tied, limit - len(above))
        docs = np.concatenate([all_docs[above], first])
        scores = np.concatenate([all_scores[above], np.full(len(first), low)])
        return docs, scores, matched
    cut = _cut(all_scores, limit) if callable(tiekey) or tiekey is None else None
    if callable(tiekey) and (cut is None or _spill(cut) <= TIE_SPILL):
        tiekey = None  # few ties at the cut: all returned, the engine orders them
    if tiekey is not None:
        keys = keys_of(tiekey() if callable(tiekey) else tiekey, all_docs)
        order = best_first(all_scores, keys, limit, cut)
        return all_docs[order], all_scores[order], matched
    docs, scores, _ = _top(all_docs, all_scores, limit, cut)
    return docs, scores, matched


_POOL: Any = None
_POOL_LOCK = threading.Lock()


def _found(
    scorer: TreeScorer, leaf: _Leaf, node: Any, only: Any, masked: Any, limit: int | None
) -> tuple[Any, Any, int]:
    """One segment's matches of ``node`` (searcher docnums and scores) but
    for its deleted documents, those outside ``only`` and those ``masked``;
    with a ``limit``, only those that can be among the searcher's best
    (:func:`_best_here`), in the segment's own thread (:func:`_run_leaves`);
    and how many matched."""
    import numpy as np

    docs, scores = scorer.run(leaf, node, _leaf_mask(only, leaf))
    if not len(docs):
        return docs, scores, 0
    deleted = scorer.state.deleted(leaf)
    if deleted is not None:
        keep = ~deleted[docs]
        docs, scores = docs[keep], scores[keep]
    docs = docs + leaf.offset
    if only is not None:
        keep = only[docs] if only.dtype == np.bool_ else np.isin(docs, only)
        docs, scores = docs[keep], scores[keep]
    if masked is not None:
        keep = ~np.isin(docs, masked)
        docs, scores = docs[keep], scores[keep]
    best = _best_here(scores, limit)
    if best is None:
        return docs, scores, len(docs)
    return docs[best], scores[best], len(docs)


def _best_here(scores: Any, limit: int | None) -> Any:
    """The places of one segment's best ``limit`` of ``scores`` and of every
    one tied with the last (to 6 decimals, as the engine compares them): the
    searcher's best ``limit`` are among these (a segment has fewer than
    ``limit`` above the searcher's cut), so are all those tied at its cut.
    ``(abs:con OR abs:con*)`` at 1M papers: 2 x 460,000 matches, ~1,000
    kept each, and the rounding and partition of the rest done in the
    segment's thread, not on the two together after. None (all kept) when
    few would go, or when the lowest score is the cut (a broad prefix's
    ties, :func:`_floor`, ordered by the warm-up's tie order)."""
    import numpy as np

    if limit is None or limit <= 0 or len(scores) <= 4 * (limit + TIE_SPILL):
        return None
    if np.count_nonzero(scores > scores.min()) < limit:
        return None
    cut = _cut(scores, limit)
    assert cut is not None  # (more scores than the limit)
    r, at, _ = cut
    keep = np.flatnonzero(r <= at)  # as _top keeps them
    return keep if 2 * len(keep) <= len(scores) else None


def _run_leaves(leaves: list[_Leaf], work: Callable[[_Leaf], T]) -> list[T]:
    """``work`` of each leaf: the large ones (:data:`PARALLEL_DOCS`) each
    in a thread, this one taking the first."""
    big = _in_threads(leaves)
    if not big:
        return [work(leaf) for leaf in leaves]
    pool = _pool()
    later = {i: pool.submit(work, leaves[i]) for i in big[1:]}
    got = [None if i in later else (work(leaf),) for i, leaf in enumerate(leaves)]
    return [later[i].result() if r is None else r[0] for i, r in enumerate(got)]


def _in_threads(leaves: list[_Leaf]) -> list[int]:
    """The segments scored each in a thread (all but the first of them;
    none: every one in the caller's), see :data:`PARALLEL_DOCS`."""
    big = [i for i, leaf in enumerate(leaves) if leaf.ndocs >= PARALLEL_DOCS]
    return big if len(big) >= 2 and (os.cpu_count() or 1) >= 2 else []


def _pool() -> Any:
    """The threads that score segments (made once a process)."""
    global _POOL  # noqa: PLW0603
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            cores = os.cpu_count() or 1
            _POOL = ThreadPoolExecutor(min(cores, 4) - 1, thread_name_prefix="segments")
        return _POOL


#: What a ranked prefix's query holds at once in a segment, by document:
#: at 80, ``(pro OR pro*)`` at 1M papers (two segments of 500,000) still
#: grew the heap the first time (5,600 page faults, 48 ms; at 160: 110, 39).
HEAP_PER_DOC = 160


def warm_heap(state: ScorerState) -> None:
    """Grow the heap of each thread that scores segments (the caller's and
    the segment threads') to what a ranked prefix's query holds there
    (:func:`reader.search.index.heap.grow`): the first such query typed
    then finds its pages touched."""
    leaves = state.leaves
    if not leaves or all(leaf.fp is None for leaf in leaves):
        return
    big = _in_threads(leaves)
    later = [_pool().submit(grow, HEAP_PER_DOC * leaves[i].ndocs) for i in big[1:]]
    mine = max(leaf.ndocs for i, leaf in enumerate(leaves) if i not in big[1:])
    grow(HEAP_PER_DOC * mine)
    for f in later:
        f.result()


def _leaf_mask(only: Any, leaf: _Leaf) -> Any:
    """The filter ``only`` (a boolean mask or sorted array over the
    searcher's docnums; None: none) as a mask over ``leaf``'s docnums."""
    import numpy as np

    if only is None:
        return None
    lo, hi = leaf.offset, leaf.offset + leaf.ndocs
    if only.dtype == np.bool_:
        got = only[lo:hi]
        if len(got) < leaf.ndocs:
            got = np.concatenate([got, np.zeros(leaf.ndocs - len(got), np.bool_)])
        return got
    return _mask(only[(only >= lo) & (only < hi)] - lo, leaf.ndocs)


#: Ties at the cut beyond the limit that are returned rather than ordered.
TIE_SPILL = 256


def _floor(scores: Any, limit: int | None) -> tuple[Any, float] | None:
    """When more than :data:`TIE_SPILL` beyond ``limit`` tie at the cut and
    the cut is the lowest of ``scores`` (fewer than ``limit`` above it, to 6
    decimals as the engine compares them): (the places of those above, the
    lowest score); else None."""
    import numpy as np

    if limit is None or limit <= 0 or len(scores) <= limit + TIE_SPILL:
        return None
    low = scores.min()
    above = np.flatnonzero(scores > low)
    if len(above) >= limit:
        return None
    if len(above) and np.round(scores[above], 6).min() == np.round(low, 6):
        return None  # one above ties with the lowest as the engine sees them
    return above, float(low)


def _first_of(order: Any, member: Any, limit: int) -> Any:
    """The first ``limit`` docnums of ``order`` (every docnum,
    :meth:`ScorerState.tie_order`) set in the mask ``member``: read a
    stretch of the order at a time, as long as the share of members needs,
    doubled until enough are found (a million of a million papers: the
    first 1,000 of the order)."""
    n = len(order)
    share = max(int(member.sum()), 1)
    step = min(n, 2 * limit * n // share + 64)
    while True:
        stretch = order[:step]
        got = stretch[member[stretch]]
        if len(got) >= limit or step >= n:
            return got[:limit]
        step = min(n, 2 * step)


def _cut(scores: Any, limit: int | None) -> tuple[Any, Any, int] | None:
    """The scores as the engine compares them (negated, to 6 decimals) and
    the ``limit``-th best of them, when there are more than ``limit``: made
    once for :func:`_spill` and :func:`_top` (``a*`` at 1M papers: a million
    scores rounded and partitioned twice, ~9 ms each time)."""
    import numpy as np

    if limit is None or len(scores) <= limit or limit <= 0:
        return None
    r = -np.round(scores, 6)
    return r, np.partition(r, limit - 1)[limit - 1], limit


def _spill(cut: tuple[Any, Any, int]) -> int:
    """How many documents beyond the limit tie with the last one kept
    (``cut``: :func:`_cut` of their scores)."""
    r, at, limit = cut
    return int((r <= at).sum()) - limit


def keys_of(tiekey: Any, docs: Any) -> Any:
    """``tiekey[docs]``, the largest key for a docnum beyond it."""
    import numpy as np

    out = np.full(len(docs), np.iinfo(np.int64).max, np.int64)
    inside = docs < len(tiekey)
    out[inside] = tiekey[docs[inside]]
    return out


def best_first(
    scores: Any, keys: Any, limit: int | None, cut: tuple[Any, Any, int] | None = None
) -> Any:
    """The positions of the best ``limit`` of ``scores`` (all when None),
    best first; scores equal to 6 decimals in the order of ``keys`` (smaller
    first). The one ranking rule of the index and the engine: a partition,
    then a sort of only what is kept. ``cut``: :func:`_cut` of these scores
    and this limit, made already (not rounded and partitioned again: a
    million scores for ``a*`` at 1M papers)."""
    import numpy as np

    if cut is not None and cut[2] == limit:
        r, at_value = cut[0], cut[1]
    else:
        r, at_value = -np.round(scores, 6), None
    n = len(r)
    if limit is not None and n > limit:
        if limit <= 0:
            return np.zeros(0, np.int64)
        edge = np.partition(r, limit - 1)[limit - 1] if at_value is None else at_value
        above = np.flatnonzero(r < edge)
        at = np.flatnonzero(r == edge)
        need = limit - len(above)
        if len(at) > need:
            at = at[np.argpartition(keys[at], need - 1)[:need]]
        idx = np.concatenate([above, at])
    else:
        idx = np.arange(n)
    return idx[np.lexsort((keys[idx], r[idx]))]


def _top(
    all_docs: Any, all_scores: Any, limit: int | None, cut: tuple[Any, Any, int] | None = None
) -> tuple[Any, Any, int]:
    """The best ``limit`` (all when None) as (docnums, scores) arrays, best
    first (then by docnum), with every document tied with the last; and how
    many there were (``cut``: :func:`_cut` of the scores, when made)."""
    import numpy as np

    total = len(all_docs)
    if limit is not None:
        if limit <= 0:
            return all_docs[:0], all_scores[:0], total
        if total > limit:
            got = cut if cut is not None else _cut(all_scores, limit)
            assert got is not None  # (more scores than the limit)
            r, at, _ = got
            top = np.flatnonzero(r <= at)  # equal as the engine sees them
            all_docs, all_scores = all_docs[top], all_scores[top]
    order = np.lexsort((all_docs, -all_scores))
    return all_docs[order], all_scores[order], total
