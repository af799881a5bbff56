"""Scoring: one BM25F for every text shape (:class:`TreeScorer`), Whoosh's
formula, statistics and quantised lengths computed with numpy over whole
posting lists (positions for phrases and fields), and the exact count of
matches of a Whoosh query (:func:`_count_matches`)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Mapping
from typing import Any

from whoosh import query as wq

from reader.search.analysis import FIELD_BOOSTS, FIELD_SPANS, INDEX_FIELD, SPAN_WIDTH
from reader.search.index.fast import FastPostings
from reader.search.whoosh_private import dfa_words, fuzzy_words, levenshtein_dfa

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


#: Beyond this many words, a segment without fast postings is asked about
#: the ones it has (its word set), not about each word.
_ASK_ONE_BY_ONE = 256


class _Leaf:
    """One segment as the tree scorer reads it."""

    def __init__(self, reader: Any, fp: FastPostings | None, offset: int) -> None:
        self.reader = reader
        self.fp = fp
        self.offset = offset
        self.ndocs = int(reader.doc_count_all())
        self._lengths: Any = None
        self._cache: dict[str, Any] = {}
        self._vocab: set[str] | None = None

    def vocab(self) -> set[str]:
        """Every word of this segment (for a segment without fast postings:
        asking it about thousands of words one by one costs more)."""
        if self._vocab is None:
            words = self.reader.lexicon(INDEX_FIELD)
            self._vocab = {w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in words}
        return self._vocab

    def lengths(self, docs: Any) -> Any:
        import numpy as np

        if self.fp is not None:
            return self.fp.lengths[docs].astype(np.float64)
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
        self._cache[word] = got
        return got

    def _read(self, word: str) -> tuple[Any, Any, Any, Any] | None:
        import numpy as np

        if self.fp is not None:
            i = self.fp.term_index(word)
            return None if i is None else self.fp.postings_at(i)
        reader = self.reader
        if (INDEX_FIELD, word) not in reader:
            return None
        decode = reader.schema[INDEX_FIELD].format.decode_positions
        docs: list[int] = []
        weights: list[float] = []
        starts = [0]
        positions: list[int] = []
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

    def words(self, kind: str, text: str, distance: int, dfa: Any) -> list[str]:
        """The words of this segment a ``prefix`` or ``fuzzy`` term expands to."""
        if self.fp is not None:
            fp = self.fp
            if kind == "prefix":
                r = fp.prefix_range(text)
                return fp.terms[r.start : r.stop]
            return dfa_words(dfa, fp.terms, text, distance)
        if kind == "prefix":
            got = self.reader.expand_prefix(INDEX_FIELD, text)
        else:
            got = fuzzy_words(self.reader, text, distance)
        return [w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in got]


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

    def __init__(self, searcher: Any, leaves: list[_Leaf]) -> None:
        self.searcher = searcher
        self.leaves = leaves
        self.ndocs = int(searcher.doc_count_all())
        self.avgfl = float(searcher.avg_field_length(INDEX_FIELD) or 1)
        self._idf: dict[str, float] = {}
        self._expanded: dict[tuple[str, str, int], list[str]] = {}

    def idfs(self, words: list[str]) -> Any:
        """idf of each of ``words`` (numpy), over all segments; the document
        frequencies of a segment with fast postings are read from its arrays."""
        import numpy as np

        missing = [w for w in words if w not in self._idf]
        if missing:
            df = np.zeros(len(missing), np.int64)
            for leaf in self.leaves:
                fp = leaf.fp
                if fp is None:
                    # Many words (a short prefix* expanded in a big segment):
                    # only those this segment has are asked about.
                    have = leaf.vocab() if len(missing) > _ASK_ONE_BY_ONE else None
                    df += np.array(
                        [
                            leaf.reader.doc_frequency(INDEX_FIELD, w)
                            if have is None or w in have
                            else 0
                            for w in missing
                        ],
                        np.int64,
                    )
                    continue
                terms = fp.terms
                at = [bisect.bisect_left(terms, w) for w in missing]
                hit = np.array(
                    [i < len(terms) and terms[i] == w for i, w in zip(at, missing, strict=True)],
                    bool,
                )
                idx = np.array(at, np.int64)[hit]
                counts = (fp.starts[idx + 1] - fp.starts[idx]).astype(np.int64)
                df[hit] += counts
            vals = np.log(self.ndocs / (df + 1)) + 1
            self._idf.update(zip(missing, vals.tolist(), strict=True))
        return np.array([self._idf[w] for w in words], np.float64)

    def idf(self, word: str) -> float:
        got = self._idf.get(word)
        if got is None:
            df = sum(int(leaf.reader.doc_frequency(INDEX_FIELD, word)) for leaf in self.leaves)
            got = self._idf[word] = math.log(self.ndocs / (df + 1)) + 1
        return got

    def expand(self, kind: str, text: str, distance: int) -> list[str]:
        key = (kind, text, distance)
        got = self._expanded.get(key)
        if got is None:
            dfa = levenshtein_dfa(text, distance) if kind == "fuzzy" else None
            words: set[str] = set()
            for leaf in self.leaves:
                words.update(leaf.words(kind, text, distance, dfa))
            got = self._expanded[key] = sorted(words)
        return got

    # Each method returns (sorted unique docnums int64, scores float64) of a leaf.

    def run(self, leaf: _Leaf, node: Any) -> tuple[Any, Any]:
        """(sorted docnums, scores) of ``node`` in ``leaf``."""
        from reader.search.query import And, Not, Or, Text

        if isinstance(node, Text):
            return self._text(leaf, node)
        if isinstance(node, And):
            pos = [c for c in node.children if not isinstance(c, Not)]
            neg = [c.child for c in node.children if isinstance(c, Not)]
            if not pos:
                docs, scores = self._all(leaf)
            else:
                docs, scores = self.run(leaf, pos[0])
                for c in pos[1:]:
                    if not len(docs):
                        break
                    d2, s2 = self.run(leaf, c)
                    docs, scores = _and(docs, scores, d2, s2)
            for n in neg:
                if not len(docs):
                    break
                d2, _ = self.run(leaf, n)
                docs, scores = _minus(docs, scores, d2)
            return docs, scores
        if isinstance(node, Or):
            parts = [self.run(leaf, c) for c in node.children]
            return _or(parts, leaf.ndocs)
        if isinstance(node, Not):
            docs, scores = self._all(leaf)
            d2, _ = self.run(leaf, node.child)
            return _minus(docs, scores, d2)
        raise TypeError(f"not a text node: {node!r}")

    @staticmethod
    def _all(leaf: _Leaf) -> tuple[Any, Any]:
        import numpy as np

        return np.arange(leaf.ndocs, dtype=np.int64), np.zeros(leaf.ndocs, np.float64)

    def _bm25(self, leaf: _Leaf, docs: Any, tf: Any, idf: Any) -> Any:
        k1, b = BM25_K1, BM25_B
        norm = k1 * ((1 - b) + b * leaf.lengths(docs) / self.avgfl)
        return idf * ((tf * (k1 + 1)) / (tf + norm))

    def _text(self, leaf: _Leaf, node: Any) -> tuple[Any, Any]:
        import numpy as np

        empty = (np.zeros(0, np.int64), np.zeros(0, np.float64))
        if node.kind == "phrase":
            return self._phrase(leaf, node)
        if node.kind == "prefix" and leaf.fp is not None:
            return self._prefix_slice(leaf, node)
        if node.kind == "term":
            words = [node.terms[0]]
        else:
            words = self.expand(node.kind, node.terms[0], node.distance or 1)
            if leaf.fp is None and len(words) > _ASK_ONE_BY_ONE:
                have = leaf.vocab()  # the others have no postings here
                words = [w for w in words if w in have]
        docs_l: list[Any] = []
        scores_l: list[Any] = []
        for w in words:
            got = leaf.postings(w, positions=node.field is not None)
            if got is None:
                continue
            docs, weights, ps, pos = got
            docs = docs.astype(np.int64)
            if node.field is None:
                tf = weights.astype(np.float64)
            else:
                lo, hi = FIELD_SPANS[node.field]
                n = _in_range(ps, pos, lo, hi)
                keep = n > 0
                docs = docs[keep]
                tf = n[keep].astype(np.float64) * FIELD_BOOSTS[node.field]
            if not len(docs):
                continue
            docs_l.append(docs)
            scores_l.append(self._bm25(leaf, docs, tf, self.idf(w)))
        if not docs_l:
            return empty
        if len(docs_l) == 1:
            return docs_l[0], scores_l[0]
        return _sum_by_doc(np.concatenate(docs_l), np.concatenate(scores_l), leaf.ndocs)

    def _prefix_slice(self, leaf: _Leaf, node: Any) -> tuple[Any, Any]:
        """``prefix*`` in a segment with fast postings: the words it expands to
        are one run of the sorted word list, their postings one slice."""
        import numpy as np

        fp = leaf.fp
        assert fp is not None
        r = fp.prefix_range(node.terms[0])
        if not len(r):
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        docs, weights, word, ps, pos = fp.slice_at(r.start, r.stop, node.field is not None)
        docs = docs.astype(np.int64)
        idf = self.idfs(fp.terms[r.start : r.stop])[word]
        if node.field is None:
            tf = weights.astype(np.float64)
        else:
            lo, hi = FIELD_SPANS[node.field]
            n = _in_range(ps, pos, lo, hi)
            keep = n > 0
            docs, idf = docs[keep], idf[keep]
            tf = n[keep].astype(np.float64) * FIELD_BOOSTS[node.field]
        return _sum_by_doc(docs, self._bm25(leaf, docs, tf, idf), leaf.ndocs)

    def _phrase(self, leaf: _Leaf, node: Any) -> tuple[Any, Any]:
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
        cand = got[0][0]
        for g in got[1:]:
            cand = np.intersect1d(cand, g[0], assume_unique=True)
            if not len(cand):
                return empty
        slop = max(1, node.distance)
        keys = None
        for docs, _w, ps, pos in got:
            sel = np.isin(docs, cand, assume_unique=True)
            idx = np.flatnonzero(sel)
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


def _sum_by_doc(docs: Any, values: Any, n: int) -> tuple[Any, Any]:
    """The distinct ``docs`` (all below ``n``), sorted, and the sum of their values."""
    import numpy as np

    present = np.flatnonzero(np.bincount(docs, minlength=n))
    return present, np.bincount(docs, weights=values, minlength=n)[present]


def _and(d1: Any, s1: Any, d2: Any, s2: Any) -> tuple[Any, Any]:
    import numpy as np

    common, i1, i2 = np.intersect1d(d1, d2, assume_unique=True, return_indices=True)
    return common, s1[i1] + s2[i2]


def _minus(d1: Any, s1: Any, d2: Any) -> tuple[Any, Any]:
    import numpy as np

    keep = ~np.isin(d1, d2, assume_unique=True)
    return d1[keep], s1[keep]


def _or(parts: list[tuple[Any, Any]], n: int) -> tuple[Any, Any]:
    import numpy as np

    parts = [p for p in parts if len(p[0])]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    if len(parts) == 1:
        return parts[0]
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
) -> tuple[Any, Any, int]:
    """The best ``limit`` docnums and scores of a text tree (numpy arrays,
    best first; every match when ``limit`` is None)
    and exactly how many match (see :class:`TreeScorer`); every document tied
    with the last one kept comes too (which of them rank is decided by the
    engine: newer first, then id; document numbers differ between builds)."""
    import numpy as np

    fast = fast or {}
    leaves: list[_Leaf] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        seg = reader.segment()
        fp = fast.get(seg.segment_id()) if seg is not None else None
        leaves.append(_Leaf(reader, fp, offset))
    scorer = TreeScorer(searcher, leaves)
    if flt is None or isinstance(flt, np.ndarray):  # a sorted array of docnums already
        only = flt
    else:
        only = np.fromiter(sorted(flt), np.int64, len(flt))
    masked = np.fromiter(sorted(mask), np.int64, len(mask)) if mask else None
    found_docs: list[Any] = []
    found_scores: list[Any] = []
    for leaf in leaves:
        docs, scores = scorer.run(leaf, node)
        if not len(docs):
            continue
        seg = leaf.reader.segment()
        if seg is not None and seg.has_deletions():
            keep = ~np.isin(docs, np.fromiter(seg.deleted_docs(), np.int64))
            docs, scores = docs[keep], scores[keep]
        docs = docs + leaf.offset
        if only is not None:
            keep = np.isin(docs, only)
            docs, scores = docs[keep], scores[keep]
        if masked is not None:
            keep = ~np.isin(docs, masked)
            docs, scores = docs[keep], scores[keep]
        found_docs.append(docs)
        found_scores.append(scores)
    if not found_docs:
        return np.zeros(0, np.int64), np.zeros(0, np.float64), 0
    return _top(np.concatenate(found_docs), np.concatenate(found_scores), limit)


def _top(all_docs: Any, all_scores: Any, limit: int | None) -> tuple[Any, Any, int]:
    """The best ``limit`` (all when None) as (docnums, scores) arrays, best
    first (then by docnum), with every document tied with the last; and how
    many there were."""
    import numpy as np

    total = len(all_docs)
    if limit is not None:
        if limit <= 0:
            return all_docs[:0], all_scores[:0], total
        if total > limit:
            cut = float(np.partition(-all_scores, limit - 1)[limit - 1])
            top = np.flatnonzero(-all_scores <= cut + TIE_EPSILON * max(1.0, abs(cut)))
            all_docs, all_scores = all_docs[top], all_scores[top]
    order = np.lexsort((all_docs, -all_scores))
    return all_docs[order], all_scores[order], total
