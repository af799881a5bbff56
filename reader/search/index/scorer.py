"""Scoring: Whoosh's BM25F (its formula, statistics and quantised lengths)
computed with numpy over whole posting lists, and the exact count of matches."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from whoosh import query as wq

from reader.search.analysis import INDEX_FIELD
from reader.search.index.fast import FastPostings

#: BM25F parameters (Whoosh's defaults, used by the fast path too).
BM25_K1 = 1.2
BM25_B = 0.75
#: Scores closer than this (relative) are equal (the engine rounds to 6 places).
TIE_EPSILON = 1e-7


def _plain_terms(q: wq.Query) -> list[list[tuple[str, str]]] | None:
    """The parts of a words-only query, else None: an And (or a single part)
    whose parts are words, ``prefix*`` or an Or of those (what search as you
    type sends: ``language (mod OR mod*)``), on the indexed field, no boosts,
    as ``[[("term" | "prefix", text), ...], ...]`` (the inner lists are Ors)."""
    parts = q.subqueries if type(q) is wq.And and q.boost == 1.0 else [q]
    out: list[list[tuple[str, str]]] = []
    for part in parts:
        alts = part.subqueries if type(part) is wq.Or else [part]
        if type(part) is wq.Or and (part.boost != 1.0 or part.scale is not None or not alts):
            return None
        got: list[tuple[str, str]] = []
        for t in alts:
            kind = {wq.Term: "term", wq.Prefix: "prefix"}.get(type(t))
            if kind is None or t.fieldname != INDEX_FIELD or t.boost != 1.0:
                return None
            got.append((kind, str(t.text)))
        out.append(got)
    return out or None


def _part_scores(
    reader: Any, fp: FastPostings | None, words: list[str], idf: dict[str, float], avgfl: float
) -> tuple[Any, Any] | None:
    """Sorted docnums of a segment having any of ``words``, and the sum of
    their BM25F scores (None: none has any)."""
    import numpy as np

    k1, b = BM25_K1, BM25_B
    docs_l: list[Any] = []
    weights_l: list[Any] = []
    idfs_l: list[Any] = []
    for w in words:
        got = fp.postings(w) if fp is not None else _whoosh_postings(reader, w)
        if got is None:
            continue
        docs_l.append(got[0])
        weights_l.append(got[1])
        idfs_l.append(np.full(len(got[0]), idf[w]))
    if not docs_l:
        return None
    docs = np.concatenate(docs_l) if len(docs_l) > 1 else docs_l[0]
    tf = (np.concatenate(weights_l) if len(weights_l) > 1 else weights_l[0]).astype(np.float64)
    idfs = np.concatenate(idfs_l) if len(idfs_l) > 1 else idfs_l[0]
    if fp is not None:
        lengths = fp.lengths[docs].astype(np.float64)
    else:
        lengths = np.array(
            [reader.doc_field_length(int(d), INDEX_FIELD, 1) for d in docs], np.float64
        )
    scores = idfs * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / avgfl)))
    if len(docs_l) > 1:
        docs, inverse = np.unique(docs, return_inverse=True)
        scores = np.bincount(inverse, weights=scores, minlength=len(docs))
    return docs, scores


def _whoosh_postings(reader: Any, word: str) -> tuple[Any, Any] | None:
    """(docnums, weights) of ``word`` in a segment without fast postings
    (one written by an incremental sync: small), as numpy arrays."""
    import numpy as np

    if (INDEX_FIELD, word) not in reader:
        return None
    m = reader.postings(INDEX_FIELD, word)
    ids: list[int] = []
    weights: list[float] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    if not ids:
        return None
    return np.array(ids, np.uint32), np.array(weights, np.float32)


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


def fast_search(
    searcher: Any,
    fast: Mapping[str, FastPostings] | None,
    parts: list[list[tuple[str, str]]],
    limit: int | None,
    flt: set[int] | None,
    mask: set[int] | None = None,
) -> tuple[list[tuple[float, int]], int]:
    """Top ``(score, docnum)`` of an And of words, prefixes and Ors of
    those (see :func:`_plain_terms`), and exactly how many match
    (``flt``: only these docnums; ``mask``: not these): Whoosh's BM25F (same formula, statistics and quantised lengths)
    computed with numpy over whole posting lists, which beats Whoosh's
    matchers (a Python call per posting) when words are common. A prefix
    scores as the sum over the words it expands to (an Or)."""
    import numpy as np

    avgfl = searcher.avg_field_length(INDEX_FIELD) or 1
    ndocs = searcher.doc_count_all()
    fast = fast or {}
    leaves = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        seg = reader.segment()
        fp = fast.get(seg.segment_id()) if seg is not None else None
        leaves.append((reader, seg, fp, offset))
    # idf of every word, over all segments (as Whoosh: log(N / (df + 1)) + 1)
    idf: dict[str, float] = {}
    expansions: list[list[str]] = []
    for alts in parts:
        words: list[str] = []
        for kind, text in alts:
            if kind == "term":
                if searcher.doc_frequency(INDEX_FIELD, text):
                    idf[text] = float(searcher.idf(INDEX_FIELD, text))
                    words.append(text)
                continue
            df: dict[str, int] = {}
            for reader, _seg, fp, _ in leaves:
                if fp is not None:
                    for i in fp.prefix_range(text):
                        w = fp.terms[i]
                        df[w] = df.get(w, 0) + int(fp.starts[i + 1] - fp.starts[i])
                else:
                    for bw in reader.expand_prefix(INDEX_FIELD, text):
                        w = bw.decode("utf-8") if isinstance(bw, bytes) else str(bw)
                        df[w] = df.get(w, 0) + reader.doc_frequency(INDEX_FIELD, w)
            for w, n in df.items():
                idf[w] = math.log(ndocs / (n + 1)) + 1
            words.extend(sorted(df))
        if not words:
            return [], 0
        # An Or sums its parts' scores: a word met twice (``mod OR mod*``
        # both give ``mod``) counts twice, as in Whoosh's Or.
        expansions.append(words)
    only = np.fromiter(sorted(flt), np.int64, len(flt)) if flt is not None else None
    masked = np.fromiter(sorted(mask), np.int64, len(mask)) if mask else None
    found_docs: list[Any] = []
    found_scores: list[Any] = []
    k1, b = BM25_K1, BM25_B
    for reader, seg, fp, offset in leaves:
        # Intersect first, score the survivors: [docs, values, idf or None]
        # (values: weights of a word to score, or scores of a prefix).
        cur: list[list[Any]] = []
        docs: Any = None
        for words in expansions:
            if len(words) == 1:
                got = fp.postings(words[0]) if fp is not None else None
                if fp is None:
                    got = _whoosh_postings(reader, words[0])
                part: list[Any] | None = None if got is None else [*got, idf[words[0]]]
            else:
                summed = _part_scores(reader, fp, words, idf, avgfl)
                part = None if summed is None else [*summed, None]
            if part is None:
                docs = None
                break
            if docs is None:
                docs = part[0]
                cur = [part]
                continue
            d2 = part[0]
            if len(d2) < len(docs):  # probe the longer list with the shorter
                idx = np.searchsorted(docs, d2)
                idx[idx >= len(docs)] = 0
                hit = docs[idx] == d2
                keep, newkeep = idx[hit], hit
                docs = d2[hit]
            else:
                idx = np.searchsorted(d2, docs)
                idx[idx >= len(d2)] = 0
                hit = d2[idx] == docs
                keep, newkeep = hit, idx[hit]
                docs = docs[hit]
            for c in cur:
                c[1] = c[1][keep]
            cur.append([docs, part[1][newkeep], part[2]])
            if not len(docs):
                break
        if docs is None or not len(docs):
            continue
        if fp is not None:
            lengths = fp.lengths[docs].astype(np.float64)
        else:
            lengths = np.array(
                [reader.doc_field_length(int(d), INDEX_FIELD, 1) for d in docs], np.float64
            )
        norm = k1 * ((1 - b) + b * lengths / avgfl)
        scores = np.zeros(len(docs), np.float64)
        for _, values, part_idf in cur:
            if part_idf is None:
                scores += values
            else:
                tf = values.astype(np.float64)
                scores += part_idf * ((tf * (k1 + 1)) / (tf + norm))
        if seg is not None and seg.has_deletions():
            keep = ~np.isin(docs, np.fromiter(seg.deleted_docs(), np.int64))
            docs, scores = docs[keep], scores[keep]
        docs = docs.astype(np.int64) + offset
        if only is not None:
            keep = np.isin(docs, only)
            docs, scores = docs[keep], scores[keep]
        if masked is not None:
            keep = ~np.isin(docs, masked)
            docs, scores = docs[keep], scores[keep]
        found_docs.append(docs)
        found_scores.append(scores)
    if not found_docs:
        return [], 0
    all_docs = np.concatenate(found_docs)
    all_scores = np.concatenate(found_scores)
    total = len(all_docs)
    if limit is not None:
        if limit <= 0:
            return [], total
        if total > limit:
            # Every document tied with the last one kept comes too: which of
            # them rank is decided by the engine (newer first, then id), not
            # by document numbers, which differ from build to build.
            cut = float(np.partition(-all_scores, limit - 1)[limit - 1])
            top = np.flatnonzero(-all_scores <= cut + TIE_EPSILON * max(1.0, abs(cut)))
            all_docs, all_scores = all_docs[top], all_scores[top]
    order = np.lexsort((all_docs, -all_scores))
    return [(float(all_scores[i]), int(all_docs[i])) for i in order], total
