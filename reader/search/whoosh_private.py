"""Every use of a private name of Whoosh, in one place.

Pinned: ``whoosh-reloaded==2.7.5`` (pyproject.toml). These reach under
Whoosh's public API for speed (writing a segment's term dictionary directly,
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
    from whoosh.query import Query

#: Bytes of the count before a posting's packed positions (Whoosh's uint).
INT_SIZE: int = _INT_SIZE

#: The private methods used here, by owner (checked by a test). Also used: the
#: instance attributes ``_fieldid`` and ``_tindex`` of a W3 field writer, and
#: ``_codec`` and ``_postfile`` of a W3 terms reader (guarded by every bulk
#: build test and by the ``id`` lookups of every search).
USED: dict[str, tuple[str, ...]] = {
    "whoosh.writing.SegmentWriter": (
        "_close_segment",
        "_assemble_segment",
        "_commit_toc",
        "_finish",
    ),
    "whoosh.index.FileIndex": ("_read_toc", "_segments"),
    "whoosh.index": ("_DEF_INDEX_NAME",),
    "whoosh.index.TOC": ("_latest_generation",),
    "whoosh.query.spans.SpanFirst.SpanFirstMatcher": ("_get_spans", "_replacement"),
    "whoosh.query.terms.FuzzyTerm": ("_btexts",),
}


# ---------------------------------------------------------------- reading


def stored_postings(terms: Any, ti: Any, format_: Any, term: tuple[str, bytes], scorer: Any) -> Any:
    """The postings of ``ti`` as Whoosh's own W3 terms reader ``terms``
    stores them (its codec over its posting file): a matcher."""
    return terms._codec.postings_reader(terms._postfile, ti, format_, term=term, scorer=scorer)


# ---------------------------------------------------------------- writing


def write_inlined_ids(fw: Any, ids: list[bytes], docnums: list[int]) -> None:
    """The ``id`` field ``fw`` (a W3 field writer) is writing: one posting per
    id (sorted), inlined in the term dictionary as Whoosh would inline a
    posting list that short, so ``.pst`` stays empty."""
    from whoosh.codec.whoosh3 import W3TermInfo
    from whoosh.system import pack_ushort

    prefix = pack_ushort(fw._fieldid)
    add = fw._tindex.add
    for btext, d in zip(ids, docnums, strict=True):
        ti = W3TermInfo(1.0, 1, None, 0, 1.0, d, d)
        ti.set_inlined((d,), (1.0,), (None,))  # None: what a merge expects
        add(prefix + btext, ti.to_bytes())


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


def latest_generation(folder: str) -> int:
    """The generation of the newest table of contents in the index folder
    ``folder`` (-1: none), from the file names alone: nothing is unpickled."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import _DEF_INDEX_NAME, TOC

    return int(TOC._latest_generation(FileStorage(folder), _DEF_INDEX_NAME))


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
