"""Every use of a private name of Whoosh, in one place.

Pinned: ``whoosh-reloaded==2.7.5`` (pyproject.toml). These reach under
Whoosh's public API for speed (writing a segment's posting blocks directly,
span checks inside a field's position range, reading the table of contents
without opening a new index) or to make ``word~`` mean what
:func:`reader.search.analysis.within_edits` says. An upgrade of Whoosh must be
checked against the tests that guard them: ``tests/test_index.py`` (bulk
build, segments, sync and reopen, scores equal to Whoosh's) and
``tests/test_search.py`` (field restrictions with ``prefix*`` and ``~``,
``word~`` over several segments), and ``test_whoosh_private_names_exist``
in ``tests/test_index.py``, which fails at once when a name used here is gone.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from whoosh.system import _INT_SIZE

from reader.search.analysis import FIELD_SPANS, INDEX_FIELD, within_edits

if TYPE_CHECKING:
    from array import array

    from whoosh.query import Query

#: Bytes of the count before a posting's packed positions (Whoosh's uint).
INT_SIZE: int = _INT_SIZE

#: The private methods used here, by owner (checked by a test). Also used: the
#: instance attributes ``_postwriter`` of a field writer and ``_blocklimit``,
#: ``_ids``, ``_weights``, ``_values``, ``_minlength``, ``_maxlength``,
#: ``_maxweight`` of its postings writer (guarded by every bulk build test).
USED: dict[str, tuple[str, ...]] = {
    "whoosh.writing.SegmentWriter": (
        "_close_segment",
        "_assemble_segment",
        "_commit_toc",
        "_finish",
    ),
    "whoosh.codec.whoosh3.W3PostingsWriter": ("_write_block",),
    "whoosh.index.FileIndex": ("_read_toc", "_segments"),
    "whoosh.query.spans.SpanFirst.SpanFirstMatcher": ("_get_spans", "_replacement"),
    "whoosh.query.terms.FuzzyTerm": ("_btexts",),
}


# ---------------------------------------------------------------- writing


def write_term_blocks(
    fw: Any,
    btext: bytes,
    docs: array[int],
    weights: array[float],
    ends: array[int],
    values: bytearray,
    lengths: array[int],
) -> None:
    """One term's postings written block by block through Whoosh's field
    writer ``fw``, skipping its per-posting checks: ``values[ends[i-1]:ends[i]]``
    is the encoded value of posting ``i``; ``lengths`` every document's length."""
    fw.start_term(btext)
    pw = fw._postwriter
    limit = pw._blocklimit
    n = len(docs)
    for first in range(0, n, limit):
        last = min(n, first + limit)
        if pw._ids:
            pw._write_block()
        block_docs = docs[first:last]
        block_lens = [lengths[d] for d in block_docs]
        start = ends[first - 1] if first else 0
        vals = []
        for e in ends[first:last]:
            vals.append(bytes(values[start:e]))
            start = e
        pw._ids = block_docs
        pw._weights = weights[first:last]
        pw._values = vals
        pw._minlength = min(block_lens)
        pw._maxlength = max(block_lens)
        pw._maxweight = max(pw._weights)
    fw.finish_term()


def finish_segment(w: Any) -> None:
    """Close and assemble the segment of ``w`` (a ``SegmentWriter``) without committing."""
    w._close_segment()
    w._assemble_segment()


def abandon_segment(w: Any) -> None:
    """Close the files of ``w``'s segment after a failure."""
    w._close_segment()


def commit_segments(w: Any, segments: list[Any]) -> None:
    """Commit ``segments`` as the whole table of contents through ``w``
    (a fresh ``SegmentWriter`` that wrote nothing)."""
    w._close_segment()
    w._commit_toc(segments)
    w._finish()


def read_toc(ix: Any) -> Any:
    """The table of contents of ``ix`` as on disk now."""
    return ix._read_toc()


def segments(ix: Any) -> list[Any]:
    """The segments of ``ix`` as on disk now."""
    return list(ix._segments())


# ---------------------------------------------------------------- queries


def fuzzy_term(fieldname: str, text: str, maxdist: int) -> Query:
    """``text~maxdist``: Whoosh's automaton finds the candidates (the first
    letter fixed); each is kept only when :func:`within_edits` says so (a
    segment's automaton counts Levenshtein edits, a reader over several
    segments Damerau ones: ``mdoel~`` would find ``model`` in one and not the
    other)."""
    global _FUZZY  # noqa: PLW0603
    if _FUZZY is None:
        from whoosh.query import FuzzyTerm

        class _Fuzzy(FuzzyTerm):  # type: ignore[misc]
            def _btexts(self, ixreader: Any) -> Any:
                for word in super()._btexts(ixreader):
                    w = word.decode("utf-8") if isinstance(word, bytes) else word
                    if within_edits(w, self.text, self.maxdist):
                        yield word

        _FUZZY = _Fuzzy
    q: Query = _FUZZY(fieldname, text, maxdist=maxdist, prefixlength=1)
    return q


_FUZZY: Any = None


def span_within() -> type:
    """``SpanWithin(q, field)``: ``q`` with a match at a position in the range
    of ``field`` (:data:`FIELD_SPANS`)
    (built on first use: this module does not import Whoosh at import time)."""
    global _SPAN_WITHIN  # noqa: PLW0603
    if _SPAN_WITHIN is not None:
        return _SPAN_WITHIN
    from whoosh.matching import ListMatcher
    from whoosh.query.spans import SpanFirst

    class SpanWithin(SpanFirst):  # type: ignore[misc]
        def __init__(self, q: Query, name: str) -> None:
            self.q = q
            self.name = name
            self.lo, self.limit = FIELD_SPANS[name]
            #: Segment reader id -> (reader, docnums, weights) of a prefix or ``~``.
            self._found: dict[int, tuple[Any, list[int], list[float]]] = {}

        def __repr__(self) -> str:
            return f"SpanWithin({self.q!r}, {self.name!r})"

        def __eq__(self, other: object) -> bool:
            return (
                isinstance(other, SpanWithin)
                and self.q == other.q
                and (self.lo, self.limit) == (other.lo, other.limit)
            )

        def __hash__(self) -> int:
            return hash((self.q, self.lo, self.limit))

        def estimate_size(self, ixreader: object) -> int:
            return int(self.q.estimate_size(ixreader))

        def estimate_min_size(self, ixreader: object) -> int:
            return 0

        def matcher(self, searcher: Any, context: object = None) -> object:
            from whoosh.matching import NullMatcher
            from whoosh.query import MultiTerm

            q = self.q
            if not isinstance(q, MultiTerm):
                return _Matcher(self._subm(searcher, context), self.lo, self.limit)
            # A prefix or ``~``: Whoosh answers with an Or of its words, whose
            # matchers have no spans (they raise), and a union of span matchers
            # over thousands of words takes seconds. Each word's postings are
            # read once instead, keeping the papers with a position in range;
            # the score is how many times the field has such a word.
            reader = searcher.reader()
            got = self._found.get(id(reader))
            if got is not None and got[0] is reader:
                # the same query again on the same segment: the exact count
                # after a limited search (SearchIndex.search_counted)
                ids, weights = got[1], got[2]
                return _Found(ids, weights) if ids else NullMatcher()
            field = searcher.schema[INDEX_FIELD]
            decode = field.format.decode_positions
            lo, hi = self.lo, self.limit
            found: dict[int, float] = {}
            for name, word in q.expanded_terms(reader):
                text = word if isinstance(word, str) else field.from_bytes(word)
                for docnum, value in reader.postings(name, text).all_items():
                    positions = decode(value)
                    i = bisect.bisect_left(positions, lo)
                    if i < len(positions) and positions[i] < hi:
                        n = bisect.bisect_left(positions, hi, i) - i
                        found[docnum] = found.get(docnum, 0.0) + n
            ids = sorted(found)
            weights = [found[d] * q.boost for d in ids]
            self._found[id(reader)] = (reader, ids, weights)
            return _Found(ids, weights) if ids else NullMatcher()

    class _Found(ListMatcher):  # type: ignore[misc]
        """Papers and scores known in advance. Whoosh's ListMatcher takes the
        max of all weights each time a collector asks for it (every 10 hits):
        quadratic on 70k papers (15 s for abstract:mod*)."""

        def __init__(self, ids: list[int], weights: list[float]) -> None:
            super().__init__(ids, weights=weights)
            self._max = max(weights)

        def block_max_weight(self) -> float:
            return self._max

    class _Matcher(SpanFirst.SpanFirstMatcher):  # type: ignore[misc]
        def __init__(self, child: object, lo: int, hi: int) -> None:
            self.lo = lo
            super().__init__(child, limit=hi)

        def copy(self) -> _Matcher:
            return _Matcher(self.child.copy(), self.lo, self.limit)

        def _replacement(self, newchild: object) -> _Matcher:
            return _Matcher(newchild, self.lo, self.limit)

        def supports_block_quality(self) -> bool:
            return False  # skipping by quality would bypass the span check

        def _get_spans(self) -> list[object]:
            lo, hi = self.lo, self.limit
            return [s for s in self.child.spans() if lo <= s.start and s.end < hi]

    _SPAN_WITHIN = SpanWithin
    return SpanWithin


_SPAN_WITHIN: type | None = None
