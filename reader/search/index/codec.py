"""Whoosh's codec for a segment of the full build: the text field's words,
postings and positions live only in the segment's fast postings file
(:mod:`reader.search.index.fast`), which Whoosh reads through
:class:`FastTermsReader` (its word list, each word's statistics: ``prefix*``
and ``word~`` expand over it) and :class:`FastLeafMatcher` (its postings).
The ids are there too (by docnum, and the docnums in id order): Whoosh's
``id`` field (:meth:`FastTermsReader.term_info` of an id, its one posting)
and its stored ids (:class:`FastPerDocReader`) are read from them, so
Whoosh's own files keep only the field lengths (the ids took 100 bytes each
in ``.trm`` and 44 in the stored fields: 13 MB for the real digests). Each
word, posting and id is stored once: the numpy scorer and Whoosh's
matchers (``more_like``, counts of a ``whoosh.query``, deletions and merges
of segments by a later sync) read the same bytes.

Only public names of Whoosh are used here (the pinned ``whoosh-reloaded``'s
W3 codec classes, subclassed); ``tests/test_index.py`` checks that Whoosh
reads a full build as it reads a segment its own writer wrote
(``test_whoosh_reads_a_full_build_as_it_reads_its_own_segments``).

The class names here are part of the index on disk (Whoosh pickles each
segment with its codec in the table of contents): renaming one is a change of
:data:`~reader.search.index.generations.INDEX_VERSION`.
"""

from __future__ import annotations

import bisect
from array import array
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3TermInfo, W3TermsReader
from whoosh.matching import LeafMatcher, ReadTooFar
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

from reader.search.analysis import INDEX_FIELD
from reader.search.index.fast import FastPostings, fast_name, open_fast
from reader.search.whoosh_private import stored_postings

#: Whoosh's field of the ids (read from the fast postings file when it has them).
ID_FIELD = "id"

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

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        fp = open_fast(Path(storage.folder) / fast_name(segment.segment_id()))
        return FastPerDocReader(storage, segment, fp)


class FastPerDocReader(W3PerDocReader):  # type: ignore[misc]
    """Whoosh's per-document reader, the stored ids read from the fast
    postings file (when it has them: :attr:`FastPostings.has_ids`)."""

    def __init__(self, storage: Any, segment: Any, fp: FastPostings) -> None:
        super().__init__(storage, segment)
        self.fast = fp
        self._ids: list[str] | None = None

    def stored_fields(self, docnum: int) -> Any:
        if not self.fast.has_ids:
            return super().stored_fields(docnum)
        if self._ids is None:
            got = self.fast.ids()
            if got is None:
                raise ValueError("bad fast postings file")
            self._ids = got
        return {ID_FIELD: self._ids[docnum]}


class FastTermsReader(W3TermsReader):  # type: ignore[misc]
    """Whoosh's term dictionary (``.trm``) for the other fields; the text
    field's words, their statistics and postings from the fast postings file
    (its sorted word list: no second copy of it in ``.trm``)."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any, fp: FastPostings):
        super().__init__(codec, dbfile, length, postfile)
        self.fast = fp

    def _index(self, tbytes: bytes) -> int | None:
        return self.fast.term_index(tbytes.decode("utf-8"))

    def _ids(self, fieldname: str) -> bool:
        """Whether ``fieldname`` is the ids and this file holds them."""
        return fieldname == ID_FIELD and self.fast.has_ids

    def _id_info(self, rank: int) -> Any:
        """The term info of the id at ``rank``: one posting, inlined (as
        :func:`reader.search.whoosh_private.write_inlined_ids` wrote it)."""
        d = self.fast.id_docnum(rank)
        ti = W3TermInfo(1.0, 1, None, 0, 1.0, d, d)
        ti.set_inlined((d,), (1.0,), (None,))  # None: what a merge expects
        return ti

    def __contains__(self, term: Any) -> bool:
        fieldname, tbytes = term
        if self._ids(fieldname):
            return self.fast.id_rank(tbytes) is not None
        if fieldname != INDEX_FIELD:
            return bool(super().__contains__(term))
        return self._index(tbytes) is not None

    def indexed_field_names(self) -> Any:
        names = list(super().indexed_field_names())
        if self.fast.has_ids and ID_FIELD not in names:
            names.insert(0, ID_FIELD)
        return names if INDEX_FIELD in names else [*names, INDEX_FIELD]

    def cursor(self, fieldname: str, fieldobj: Any) -> Any:
        if self._ids(fieldname):
            ids = [b.decode("utf-8") for b in self.fast.sorted_ids()]
            return FastFieldCursor(ids, self._id_info)
        if fieldname != INDEX_FIELD:
            return super().cursor(fieldname, fieldobj)
        return FastFieldCursor(self.fast.terms, lambda i: term_info_at(self.fast, i))

    def _text_terms(self, start: int = 0) -> Any:
        terms = self.fast.terms
        return ((INDEX_FIELD, terms[i].encode("utf-8")) for i in range(start, len(terms)))

    def _id_terms(self, start: int = 0) -> Any:
        if not self.fast.has_ids:
            return iter(())
        ids = self.fast.sorted_ids()
        return ((ID_FIELD, ids[i]) for i in range(start, len(ids)))

    def terms(self) -> Any:
        yield from self._id_terms()
        yield from super().terms()
        yield from self._text_terms()

    def terms_from(self, fieldname: str, prefix: bytes) -> Any:
        if self._ids(fieldname):
            yield from self._id_terms(bisect.bisect_left(self.fast.sorted_ids(), prefix))
            yield from self._text_terms()
            return
        if fieldname != INDEX_FIELD:
            yield from super().terms_from(fieldname, prefix)
            return
        yield from self._text_terms(bisect.bisect_left(self.fast.terms, prefix.decode("utf-8")))

    def _id_items(self, start: int = 0) -> Any:
        for i, key in enumerate(self._id_terms(start), start):
            yield key, self._id_info(i)

    def _text_items(self, start: int = 0) -> Any:
        for i, key in enumerate(self._text_terms(start), start):
            yield key, term_info_at(self.fast, i)

    def items(self) -> Any:
        yield from self._id_items()
        yield from super().items()
        yield from self._text_items()

    def items_from(self, fieldname: str, prefix: bytes) -> Any:
        if self._ids(fieldname):
            yield from self._id_items(bisect.bisect_left(self.fast.sorted_ids(), prefix))
            yield from self._text_items()
            return
        if fieldname != INDEX_FIELD:
            yield from super().items_from(fieldname, prefix)
            return
        yield from self._text_items(bisect.bisect_left(self.fast.terms, prefix.decode("utf-8")))

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        if self._ids(fieldname):
            rank = self.fast.id_rank(tbytes)
            if rank is None:
                raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
            return self._id_info(rank)
        if fieldname != INDEX_FIELD:
            return super().term_info(fieldname, tbytes)
        i = self._index(tbytes)
        if i is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return term_info_at(self.fast, i)

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        if self._ids(fieldname):
            if self.fast.id_rank(tbytes) is None:
                raise KeyError(tbytes)
            return 1.0
        if fieldname != INDEX_FIELD:
            return float(super().frequency(fieldname, tbytes))
        i = self._index(tbytes)
        if i is None:
            raise KeyError(tbytes)
        a, b, _ = self.fast.term_span(i)
        return float(self.fast.weights_at(a, b).sum(dtype="float64"))

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        if self._ids(fieldname):
            if self.fast.id_rank(tbytes) is None:
                raise KeyError(tbytes)
            return 1
        if fieldname != INDEX_FIELD:
            return int(super().doc_frequency(fieldname, tbytes))
        i = self._index(tbytes)
        if i is None:
            raise KeyError(tbytes)
        a, b, _ = self.fast.term_span(i)
        return b - a

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        if self._ids(fieldname):
            ti = self.term_info(fieldname, tbytes)
            term = (fieldname, tbytes)
            return stored_postings(self, ti, format_, term, scorer)
        if fieldname != INDEX_FIELD:
            return super().matcher(fieldname, tbytes, format_, scorer)
        i = self._index(tbytes)
        if i is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return FastLeafMatcher(self.fast, i, format_, (fieldname, tbytes), scorer)


def term_info_at(fp: FastPostings, i: int) -> Any:
    """Whoosh's term info of the ``i``-th word of ``fp``: what its postings
    writer would have gathered (total weight, documents, shortest and longest
    document, highest weight, first and last document)."""
    a, b, _ = fp.term_span(i)
    docs = fp.docs_at(a, b)
    weights = fp.weights_at(a, b)
    lens = fp.length_bytes[docs]
    return W3TermInfo(
        float(weights.sum(dtype="float64")),
        b - a,
        byte_to_length(int(lens.min())),
        byte_to_length(int(lens.max())),
        float(weights.max()),
        int(docs[0]),
        int(docs[-1]),
    )


class FastFieldCursor:
    """A cursor over a field's sorted words (the text field's, or the ids),
    as Whoosh's automata walk a field: ``first``, ``find``, ``next``,
    ``text``, ``term_info`` (``info``: the term info of the ``i``-th word)."""

    def __init__(self, words: list[str], info: Any) -> None:
        self.words = words
        self.info = info
        self._cur: int | None = None
        self._next = 0
        self.next()

    def first(self) -> str | None:
        self._next = 0
        return self.next()

    def find(self, term: str | bytes) -> str | None:
        if isinstance(term, bytes):
            term = term.decode("utf-8")
        self._next = bisect.bisect_left(self.words, term)
        return self.next()

    def next(self) -> str | None:
        if self._next < len(self.words):
            self._cur = self._next
            self._next += 1
            return self.words[self._cur]
        self._cur = None
        return None

    def text(self) -> str | None:
        return None if self._cur is None else self.words[self._cur]

    def term_info(self) -> Any:
        return None if self._cur is None else self.info(self._cur)

    def is_valid(self) -> bool:
        return self._cur is not None


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
        # every docnum of the term, decoded once (each depends on the one before)
        self._all = fp.docs_at(self._first, self._end)
        self.reset()

    def __repr__(self) -> str:
        return f"FastLeafMatcher({self._term!r}, {self.is_active()})"

    def term(self) -> Any:
        return self._term

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
        docs = self._all[block - self._first : end - self._first]
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
        return iter(self._all[self._block + self._i - self._first :].tolist())

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
