"""Whoosh's codec for a segment of the full build: its term dictionary
(``.trm``) is Whoosh's own, but the text field's postings and positions live
only in the segment's fast postings file (:mod:`reader.search.index.fast`),
which Whoosh then reads through :class:`FastLeafMatcher`. Each posting is
stored once: the numpy scorer and Whoosh's matchers (``more_like``, counts of
a ``whoosh.query``, merges of segments by a later sync) read the same bytes.

The class names here are part of the index on disk (Whoosh pickles each
segment with its codec in the table of contents): renaming one is a change of
:data:`~reader.search.index.generations.INDEX_VERSION`.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3TermsReader
from whoosh.matching import LeafMatcher, ReadTooFar
from whoosh.system import pack_uint

from reader.search.analysis import INDEX_FIELD
from reader.search.index.fast import FastPostings, fast_name, open_fast

#: Postings per block of :class:`FastLeafMatcher` (Whoosh's own block size):
#: what Whoosh's collector skips at once by block quality.
BLOCK = 128


class FastCodec(W3Codec):  # type: ignore[misc]
    """:class:`W3Codec` whose text-field postings are read from the segment's
    fast postings file (written by :func:`reader.search.index.bulk.write_segment`,
    never by Whoosh's own writer)."""

    def terms_reader(self, storage: Any, segment: Any) -> Any:
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        fp = open_fast(Path(storage.folder) / fast_name(segment.segment_id()))
        return FastTermsReader(self, tifile, tilen, postfile, fp)


class FastTermsReader(W3TermsReader):  # type: ignore[misc]
    """Whoosh's term dictionary; a text term's term info points at its index
    in the fast postings file instead of an extent of ``.pst``."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any, fp: FastPostings):
        super().__init__(codec, dbfile, length, postfile)
        self.fast = fp

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        if fieldname != INDEX_FIELD:
            return super().matcher(fieldname, tbytes, format_, scorer)
        terminfo = self.term_info(fieldname, tbytes)
        index, _ = terminfo.extent()
        return FastLeafMatcher(self.fast, int(index), format_, (fieldname, tbytes), scorer)


def encode_value(positions: Any) -> bytes:
    """A posting's value as :class:`reader.search.index.schema.PaperPositions`
    decodes it: the count, then the positions' deltas as native uint32."""
    deltas = array("I", positions)
    for i in range(len(deltas) - 1, 0, -1):
        deltas[i] -= deltas[i - 1]
    count: bytes = pack_uint(len(deltas))
    return count + deltas.tobytes()


class FastLeafMatcher(LeafMatcher):  # type: ignore[misc]
    """The postings of one term of a fast postings file as a Whoosh matcher,
    in blocks of :data:`BLOCK` with the block statistics Whoosh's collector
    uses to skip (maximum weight, shortest and longest document)."""

    def __init__(
        self, fp: FastPostings, index: int, format_: Any, term: Any, scorer: Any = None
    ) -> None:
        self.fp = fp
        self.format = format_
        self._term = term
        self.scorer = scorer
        self._index = index
        self._first, self._end, self._pos0 = fp.term_span(index)
        self.reset()

    def __repr__(self) -> str:
        return f"FastLeafMatcher({self._term!r}, {self.is_active()})"

    def copy(self) -> FastLeafMatcher:
        m = FastLeafMatcher(self.fp, self._index, self.format, self._term, self.scorer)
        m._goto(self._block, self._p0)
        m._i = self._i
        return m

    def reset(self) -> None:
        self._goto(self._first, self._pos0)

    def _goto(self, block: int, p0: int) -> None:
        """Load the block of postings starting at posting ``block``, whose
        positions start at ``p0``."""
        import numpy as np

        self._block = block
        self._p0 = p0
        self._i = 0
        end = min(self._end, block + BLOCK)
        fp = self.fp
        docs = fp.docs_at(block, end)
        self._ids: list[int] = docs.tolist()
        weights = fp.weights_at(block, end)
        self._weights: list[float] = weights.tolist()
        self._values: list[bytes] | None = None
        ps = np.zeros(len(docs) + 1, np.int64)
        np.cumsum(fp.freqs_at(block, end), out=ps[1:])
        self._ps = ps
        if len(docs):
            lengths = fp.lengths[docs]
            self._maxweight = float(weights.max())
            self._minlength = float(lengths.min())
            self._maxlength = float(lengths.max())

    def is_active(self) -> bool:
        return self._i < len(self._ids)

    def id(self) -> int:
        return self._ids[self._i]

    def weight(self) -> float:
        return self._weights[self._i]

    def value(self) -> bytes:
        if self._values is None:
            ps = self._ps
            pos = self.fp.positions_at(self._p0, self._p0 + int(ps[-1])).tolist()
            bounds = ps.tolist()
            self._values = [
                encode_value(pos[bounds[k] : bounds[k + 1]]) for k in range(len(bounds) - 1)
            ]
        return self._values[self._i]

    def all_ids(self) -> Any:
        return iter(self.fp.docs_at(self._block + self._i, self._end).tolist())

    def _next_block(self) -> None:
        nxt = self._block + len(self._ids)
        if nxt >= self._end:
            self._i = len(self._ids)  # at the end
        else:
            self._goto(nxt, self._p0 + int(self._ps[-1]))

    def next(self) -> bool:
        self._i += 1
        if self._i >= len(self._ids):
            self._next_block()
            return True
        return False

    def skip_to(self, targetid: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        while self.is_active() and targetid > self._ids[-1]:
            self._next_block()
        while self.is_active() and self.id() < targetid:
            self.next()

    def skip_to_quality(self, minquality: float) -> int:
        if self.block_quality() > minquality:
            return 0
        skipped = 0
        while self.is_active() and self.block_quality() <= minquality:
            self._next_block()
            skipped += 1
        return skipped

    def block_min_id(self) -> int:
        return self._ids[0]

    def block_max_id(self) -> int:
        return self._ids[-1]

    def block_min_length(self) -> float:
        return self._minlength

    def block_max_length(self) -> float:
        return self._maxlength

    def block_max_weight(self) -> float:
        return self._maxweight
