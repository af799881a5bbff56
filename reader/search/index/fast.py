"""Fast postings: the one copy of a bulk segment's text postings (document
numbers, field-weighted frequencies, positions), its quantised field lengths
and its ids, memory-mapped and read with numpy (see ``docs/search.md``).

Whoosh reads the same file through :mod:`reader.search.index.codec`: a bulk
segment's ``.pst`` holds no text postings, so each posting and its positions
are stored once.

Layout (little-endian; every array starts at a multiple of 8 bytes):
the header (:data:`_FAST_HEADER`), then ``starts`` (each term's first
posting, +1 at the end), ``pos_starts`` (each term's first position, +1 at
the end), ``docs``, ``codes`` (one byte a posting: its weight and its number
of positions, from the segment's table of pairs), ``lengths`` (Whoosh's
length byte of each document), ``positions``, the table (weights, then
frequencies), the escaped postings (their numbers, weights, frequencies:
the pairs beyond the table's 255), the broad prefixes' documents (below),
each code's positions in the title, the authors and the tags (a byte each),
the sorted terms (one a line) and the ids by docnum (one a line). The
header names the item type of the arrays
whose values vary in width, the narrowest that holds its values: document
numbers in 16 bits when the segment has at most 65,536 documents, a
position as its field (2 bits) and its place in the field (14 bits) when
every field is shorter than 16,384 words. A posting's weight and frequency
took 2-3 bytes as two arrays; as one code, 1 (the real digests' index 14 MB
smaller).

**Broad prefixes.** A ``prefix*`` of one or two letters matches as a filter
(:func:`~reader.search.analysis.broad_prefix`): which documents hold a word
of its run is all a query needs, but ``a*`` is 5 million postings a segment
at 1M papers (50-90 ms to decode). So the segment keeps, for each run of
words starting with the same one or two letters that has at least
:data:`BROAD_MIN_POSTINGS` postings and one for each four documents, the
bitmaps of its documents: the run's first and last term (``broad_ranges``,
two a run) and the bits (``ndocs`` rounded up to bytes, a run after
another), four a run: the documents holding one of its words in the
title, the authors, the tags, the abstract (:data:`FIELD_SPANS`' order).
The whole text's is their union; a field's alone answers ``abs:co*``,
which otherwise reads the run's every posting and its code (4 million a
segment at 1M papers: 30 ms). Keyed by the run, not by the letters: two
prefixes whose runs are the same words (``q`` and ``qu`` when every word
with a q starts ``qu``) have the same documents.
"""

from __future__ import annotations

import bisect
import mmap
import struct
from pathlib import Path
from typing import Any

from reader.search.analysis import FIELD_SPANS, SPAN_WIDTH

FAST_MAGIC = b"DRFAST10"
#: magic, terms, postings, documents, positions, term blob, id blob, codes,
#: exceptions, docnums in id order (0: none, the ids are Whoosh's), long
#: gaps, broad runs, then the item types of starts, pos_starts, positions, the
#: exceptions' posting numbers, the id order, the long gaps and their starts
#: (a numpy type character each, one spare).
_FAST_HEADER = struct.Struct("<8sQQQQQQQQQQQ8s")
#: Bits of the place of a word in its field, in a compact (16-bit) position.
_PLACE_BITS = 14
_FIELD_SHIFT = SPAN_WIDTH.bit_length() - 1
#: The code of a posting whose (weight, frequency) is not in the segment's
#: table: its pair is in the exceptions (a few hundred postings of millions).
#: And the gap byte of a posting whose gap is in the long gaps.
ESCAPE = 255
#: A broad prefix's run keeps its documents' bitmap when it has at least
#: this many postings (and one for each four documents): below, decoding
#: them takes well under a millisecond.
BROAD_MIN_POSTINGS = 50_000


def fast_name(segment_id: str) -> str:
    """The fast postings file of a segment (Whoosh ignores it; we clean it)."""
    return f"fast-{segment_id}.bin"


def _narrowest(values: Any, choices: str) -> str:
    """The first of the numpy unsigned type characters ``choices`` that holds
    every one of ``values`` (the last when none is known to)."""
    import numpy as np

    top = int(values.max()) if len(values) else 0
    for ch in choices:
        if top <= np.iinfo(np.dtype(ch)).max:
            return ch
    return choices[-1]


def pair_codes(weights: Any, freqs: Any, splits: Any = None) -> tuple[Any, Any, Any, Any, Any]:
    """Each posting's (weight, frequency) as one byte: (codes, the table's
    weights, the table's frequencies, the postings that escape, the table's
    splits). The :data:`ESCAPE` most common pairs of the segment get a code
    each (a segment of the real digests has about 360 pairs, and all but
    ~150 of its 5 million postings have one of the 255 most common).

    ``splits`` (:func:`field_splits`): a code is then a frequency and how
    many of its positions are in the title, the authors and the tags (its
    weight follows; a posting whose weight is not its code's escapes, as one
    whose split is unknown does), so that a field's count of each posting is
    known from its code (``abs:com*``: the positions of a posting in the
    title and in the abstract weigh what two author words do); the splits'
    table is then (codes, 3) bytes, else None."""
    import numpy as np

    w = np.asarray(weights, np.float32)
    f = np.asarray(freqs, np.int64)
    if splits is None:
        key = (f << 32) | w.view(np.uint32).astype(np.int64)
    else:
        split = np.asarray(splits, np.int64)
        key = np.where(split >= 0, (f << 24) | np.maximum(split, 0), -1)
    pairs, first, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    if splits is not None and len(pairs) and pairs[0] < 0:
        counts[0] = 0  # unknown splits: never a code
    best = np.argsort(-counts, kind="stable")[:ESCAPE]
    if splits is not None:
        best = best[pairs[best] >= 0]
    code_of = np.full(len(pairs), ESCAPE, np.uint8)
    code_of[best] = np.arange(len(best), dtype=np.uint8)
    codes = code_of[inverse.reshape(-1)] if len(key) else np.zeros(0, np.uint8)
    chosen = pairs[best]
    if splits is None:
        wtable = (chosen & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
        ftable = (chosen >> 32).astype(np.uint32)
        return codes, wtable, ftable, np.flatnonzero(codes == ESCAPE), None
    wtable = w[first[best]]
    ftable = (chosen >> 24).astype(np.uint32)
    table = np.zeros(256, np.float32)
    table[: len(wtable)] = wtable
    coded = codes != ESCAPE
    codes[coded & (table[codes] != w)] = ESCAPE
    low = chosen & 0xFFFFFF
    split_table = np.stack([(low >> (8 * i)) & 0xFF for i in range(3)], axis=1).astype(np.uint8)
    return codes, wtable, ftable, np.flatnonzero(codes == ESCAPE), split_table


def field_splits(freqs: Any, fields: Any) -> Any:
    """How many positions of each posting (``freqs`` each, one after another,
    ``fields`` the field of each: its absolute position >> ``_FIELD_SHIFT``)
    are in the title, the authors and the tags (the rest are the
    abstract's), packed a byte each: title | authors << 8 | tags << 16
    (int64); -1 when one is above 255."""
    import numpy as np

    freqs = np.asarray(freqs, np.int64)
    out = np.zeros(len(freqs), np.int64)
    fields = np.asarray(fields, np.int64)
    idx = np.flatnonzero(fields < 3)
    if not len(idx):
        return out
    pos_starts = np.zeros(len(freqs) + 1, np.int64)
    np.cumsum(freqs, out=pos_starts[1:])
    # sorted: a posting's positions ascend (so do their fields), postings follow
    key = (np.searchsorted(pos_starts, idx, side="right") - 1) * 4 + fields[idx]
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    counts = np.diff(np.append(first, len(key)))
    post, field = key[first] >> 2, key[first] & 3
    for i in range(3):
        sel = field == i
        out[post[sel]] |= np.minimum(counts[sel], 255) << (8 * i)
    out[post[counts > 255]] = -1
    return out


def write_fast(
    path: Path,
    terms: list[str],
    starts: Any,
    docs: Any,
    weights: Any,
    freqs: Any,
    positions: Any,
    length_bytes: Any,
    ids: list[str],
    id_order: Any = None,
) -> None:
    """Write a fast postings file: ``terms`` sorted, the postings of term ``i``
    at ``starts[i]:starts[i+1]`` of ``docs`` (ascending within a term),
    ``weights`` and ``freqs``; each posting's ``freqs`` positions (absolute,
    ascending) one after another in ``positions``, in posting order;
    ``length_bytes`` Whoosh's length byte of each document (numpy arrays);
    ``id_order``: the docnums in the order of their ids' UTF-8 bytes, when
    this file is Whoosh's ``id`` field too (:func:`ids_here`)."""
    import numpy as np

    starts = np.asarray(starts, np.int64)
    freqs = np.asarray(freqs, np.int64)
    positions = np.asarray(positions, np.int64)
    pos_starts = np.zeros(len(freqs) + 1, np.int64)
    np.cumsum(freqs, out=pos_starts[1:])
    term_pos = pos_starts[starts]
    places = positions & (SPAN_WIDTH - 1)
    fields = positions >> _FIELD_SHIFT
    codes, wtable, ftable, escaped, split_table = pair_codes(
        weights, freqs, field_splits(freqs, fields)
    )
    gaps, long_gaps, long_starts = doc_gaps(starts, docs)
    if not len(positions) or (places.max() < 1 << _PLACE_BITS and fields.max() < 4):
        ptype = "H"
        pvals = ((fields << _PLACE_BITS) | places).astype(np.uint16)
    else:
        ptype = "I"
        pvals = positions.astype(np.uint32)
    arrays: list[tuple[str, Any]] = [
        (_narrowest(starts, "IQ"), starts),
        (_narrowest(term_pos, "IQ"), term_pos),
        ("B", gaps),
        ("B", codes),
        ("B", length_bytes),
        (ptype, pvals),
        ("f", wtable),
        ("I", ftable),
        (_narrowest(escaped, "IQ"), escaped),
        ("f", np.asarray(weights, np.float32)[escaped]),
        ("I", freqs[escaped]),
    ]
    order = np.zeros(0, np.int64) if id_order is None else np.asarray(id_order, np.int64)
    arrays.append((_narrowest(order, "HI"), order))
    arrays.append((_narrowest(long_gaps, "HI"), long_gaps))
    arrays.append((_narrowest(long_starts, "IQ"), long_starts))
    ranges, bits = broad_bitmaps(
        terms, starts, docs, len(length_bytes), field_presence(freqs, fields)
    )
    arrays.append(("I", ranges))
    arrays.append(("B", bits))
    arrays.append(("B", split_table.ravel()))
    blob = "\n".join(terms).encode("utf-8")
    idblob = "\n".join(ids).encode("utf-8", "surrogatepass")
    types = "".join(arrays[i][0] for i in (0, 1, 5, 8, 11, 12, 13))
    header = _FAST_HEADER.pack(
        FAST_MAGIC,
        len(terms),
        len(freqs),
        len(length_bytes),
        len(positions),
        len(blob),
        len(idblob),
        len(wtable),
        len(escaped),
        len(order),
        len(long_gaps),
        len(ranges) // 2,
        types.encode("ascii").ljust(8, b"\0"),
    )
    with open(path, "wb") as fh:
        fh.write(header)
        at = len(header)
        for ch, values in arrays:
            at = _pad(fh, at)
            data = np.asarray(values).astype(np.dtype(ch).newbyteorder("<"), copy=False).tobytes()
            fh.write(data)
            at += len(data)
        fh.write(blob)
        fh.write(idblob)


def field_presence(freqs: Any, fields: Any) -> Any:
    """Which fields each posting has a position in (``freqs`` positions a
    posting, one after another, ``fields`` the field of each, as
    :func:`field_splits` takes them): bit ``i`` of its byte set for field
    ``i`` of :data:`FIELD_SPANS`' order (uint8)."""
    import numpy as np

    freqs = np.asarray(freqs, np.int64)
    if not len(freqs):
        return np.zeros(0, np.uint8)
    bits = np.left_shift(1, np.minimum(np.asarray(fields, np.int64), _NFIELDS - 1)).astype(np.uint8)
    firsts = np.zeros(len(freqs), np.int64)
    np.cumsum(freqs[:-1], out=firsts[1:])
    return np.bitwise_or.reduceat(bits, firsts)


#: The fields a broad run keeps a bitmap for, in the order of their spans.
_NFIELDS = len(FIELD_SPANS)


def _field_place(field: str) -> int:
    """Where ``field``'s bitmap is among a broad run's (its span's order)."""
    return FIELD_SPANS[field][0] // SPAN_WIDTH


def broad_bitmaps(
    terms: list[str], starts: Any, docs: Any, ndocs: int, presence: Any
) -> tuple[Any, Any]:
    """The broad prefixes' runs that keep bitmaps (see the module's docs):
    (their first and last + 1 term, two a run, uint32; the bitmaps one
    after another, a field's after another's in each run, uint8), from
    each posting's fields (``presence``, :func:`field_presence`)."""
    import numpy as np

    from reader.search.analysis import SCORED_PREFIX

    starts = np.asarray(starts, np.int64)
    floor = max(BROAD_MIN_POSTINGS, ndocs // 4)
    runs: dict[tuple[int, int], None] = {}
    for k in range(1, SCORED_PREFIX):
        lo = 0
        while lo < len(terms):
            head = terms[lo][:k]
            if len(head) < k:  # the word itself is shorter
                lo += 1
                continue
            hi = bisect.bisect_left(terms, head + "\U0010ffff", lo)
            if int(starts[hi]) - int(starts[lo]) >= floor:
                runs[(lo, hi)] = None
            lo = hi
    width = (ndocs + 7) // 8
    bits = np.zeros(len(runs) * _NFIELDS * width, np.uint8)
    mask = np.zeros(width * 8, np.bool_)
    for j, (lo, hi) in enumerate(runs):
        a, b = int(starts[lo]), int(starts[hi])
        run_docs, has = np.asarray(docs[a:b]), np.asarray(presence[a:b])
        for f in range(_NFIELDS):
            mask[:] = False
            mask[run_docs[(has & (1 << f)) != 0]] = True
            at = (j * _NFIELDS + f) * width
            bits[at : at + width] = np.packbits(mask, bitorder="little")
    return np.array([x for r in runs for x in r], np.uint32), bits


def doc_gaps(starts: Any, docs: Any) -> tuple[Any, Any, Any]:
    """Each term's docnums as gaps, a byte each: the first is its docnum + 1,
    each next one the step from the one before; a gap of :data:`ESCAPE` or
    more is written :data:`ESCAPE` and kept in the long gaps (where each
    term's start: ``long_starts``). On the real digests 15% of the gaps are
    long (mostly the first of a rare word): 1.3 bytes a docnum, not 2."""
    import numpy as np

    starts = np.asarray(starts, np.int64)
    d = np.asarray(docs, np.int64)
    g = np.diff(d, prepend=0)
    firsts = starts[:-1][starts[:-1] < starts[1:]]
    g[firsts] = d[firsts] + 1
    long = g >= ESCAPE
    at = np.zeros(len(g) + 1, np.int64)
    np.cumsum(long, out=at[1:])
    return np.where(long, ESCAPE, g).astype(np.uint8), g[long], at[starts]


def ids_here(ids: list[str]) -> bool:
    """Whether a segment's ``ids`` can live in its fast postings file alone
    (Whoosh's ``id`` field and stored ids read there: one line each, valid
    UTF-8) rather than in Whoosh's term dictionary and stored fields, where
    they took 100 and 44 bytes an id."""
    for pid in ids:
        if "\n" in pid:
            return False
        try:
            pid.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _pad(fh: Any, at: int) -> int:
    extra = -at % 8
    if extra:
        fh.write(b"\0" * extra)
    return at + extra


class FastPostings:
    """A fast postings file, memory-mapped. ``postings_at(i)`` and
    ``slice_at(lo, hi)`` give numpy arrays of a term's (or a run of terms')
    docnums, weights and positions; ``lengths`` the field lengths (quantised
    like Whoosh's, so scores are the same as Whoosh's BM25F)."""

    def __init__(self, path: Path) -> None:
        import numpy as np
        from whoosh.util.numeric import byte_to_length

        with open(path, "rb") as fh:
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        bad = ValueError(f"bad fast postings file {path.name}")
        if len(self._mm) < _FAST_HEADER.size:
            raise bad
        (magic, nterms, nposts, ndocs, npos, nblob, nids, ncodes, nexc, norder, nlong, nbroad,
         types) = _FAST_HEADER.unpack_from(self._mm, 0)  # fmt: skip
        if magic != FAST_MAGIC or ncodes > ESCAPE or norder not in (0, ndocs):
            raise bad
        try:
            named = [np.dtype(ch).newbyteorder("<") for ch in types.rstrip(b"\0").decode("ascii")]
        except (TypeError, UnicodeDecodeError):
            raise bad from None
        if len(named) != 7:
            raise bad
        u8, f4, u4 = np.dtype(np.uint8), np.dtype("<f4"), np.dtype("<u4")
        kinds = [*named[:2], u8, u8, u8, named[2], f4, u4, named[3], f4, u4, *named[4:]]
        kinds += [u4, u8, u8]
        counts = [nterms + 1, nterms + 1, nposts, nposts, ndocs, npos, ncodes, ncodes]
        counts += [nexc, nexc, nexc, norder, nlong, nterms + 1, 2 * nbroad]
        counts += [nbroad * _NFIELDS * ((ndocs + 7) // 8), 3 * ncodes]
        views: list[Any] = []
        off = _FAST_HEADER.size
        for kind, n in zip(kinds, counts, strict=True):
            off += -off % 8
            if off + kind.itemsize * n > len(self._mm):
                raise bad
            views.append(np.frombuffer(self._mm, kind, n, off))
            off += kind.itemsize * n
        if off + nblob + nids != len(self._mm):
            raise bad
        self.starts, self._term_pos, self._gaps, self._codes = views[:4]
        self._long, self._long_starts = views[12], views[13]
        #: (first term, last + 1) of each broad run with a bitmap -> its place.
        runs = views[14].reshape(-1, 2).tolist()
        self._broad = {(lo, hi): j for j, (lo, hi) in enumerate(runs)}
        self._broad_bits = views[15]
        self._compact = kinds[5].itemsize == 2
        self._positions = views[5]
        # The code tables, 256 long (the escape's entry is patched per read).
        self._wtable = np.zeros(256, np.float32)
        self._wtable[:ncodes] = views[6]
        self._ftable = np.zeros(256, np.int64)
        self._ftable[:ncodes] = views[7]
        # Each code's positions in each field (the escape's: -1, not known).
        split = views[16].reshape(-1, 3).astype(np.int64)
        self._field_tables = np.full((4, 256), -1, np.int64)
        self._field_tables[:3, :ncodes] = split.T
        self._field_tables[3, :ncodes] = self._ftable[:ncodes] - split.sum(axis=1)
        self._escaped = views[8].astype(np.int64)
        self._escaped_w = views[9]
        self._escaped_f = views[10].astype(np.int64)
        self._id_order = views[11]
        self._sorted_ids: list[bytes] | None = None
        self._ends: Any = None
        table = np.array([byte_to_length(b) for b in range(256)], np.float32)
        #: Each document's length byte (Whoosh's quantised field length).
        self.length_bytes = views[4]
        #: Each document's field length, quantised as Whoosh stores it.
        self.lengths = table[views[4]]
        #: The field length of each length byte (float32, 256 long).
        self.length_table = table
        self._terms: list[str] | None = None if nterms else []
        self._terms_at = (off, nblob, nterms)
        self._ids_at = (off + nblob, nids, ndocs)
        # Where each term's line starts in the file, one past the end last:
        # a word is then found by a binary search of the lines (a count of
        # the line breaks before it read the blob up to it, 1.7 MB at 1M
        # papers: ~2 ms a word a segment).
        breaks = np.flatnonzero(np.frombuffer(self._mm, np.uint8, nblob, off) == 10)
        self._line_at = np.empty(nterms + 1, np.int64)
        if nterms:
            if len(breaks) != nterms - 1:
                raise bad
            self._line_at[0] = off
            self._line_at[1:nterms] = breaks + (off + 1)
            self._line_at[nterms] = off + nblob + 1
        if nterms and (int(self._long_starts[-1]) != nlong or int(self.starts[-1]) != nposts):
            raise bad

    @property
    def ndocs(self) -> int:
        return len(self.lengths)

    @property
    def terms(self) -> list[str]:
        """Every term, sorted (decoded on first use: a word or a prefix is
        looked up in the file's bytes, so a search of plain words never
        decodes the hundreds of thousands of terms)."""
        if self._terms is None:
            at, n, count = self._terms_at
            got = self._mm[at : at + n].decode("utf-8").split("\n")
            if len(got) != count:
                raise ValueError("bad fast postings file")
            self._terms = got
        return self._terms

    def terms_in(self, r: range) -> list[str]:
        """The terms ``r`` (a :meth:`prefix_range`), decoded alone when the
        whole list is not: a prefix's words and their idfs over the other
        segments decoded every term of each (250,000 at 1M papers, ~20 ms a
        segment: a CLI search of ``la*`` paid it in every process)."""
        if self._terms is not None:
            return self._terms[r.start : r.stop]
        if not len(r):
            return []
        at = self._line_at
        blob = self._mm[int(at[r.start]) : int(at[r.stop]) - 1]
        return blob.decode("utf-8").split("\n")

    def _line(self, i: int) -> bytes:
        """The ``i``-th term's bytes."""
        at = self._line_at
        return self._mm[int(at[i]) : int(at[i + 1]) - 1]

    def _bisect(self, key: bytes) -> int:
        """The index of the first term not below ``key`` (UTF-8 bytes sort
        as the text), by a binary search of the lines."""
        lo, hi = 0, self._terms_at[2]
        line = self._line
        while lo < hi:
            mid = (lo + hi) // 2
            if line(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _find_term(self, key: bytes) -> int | None:
        """The index of the term ``key`` (UTF-8), found in the bytes."""
        i = self._bisect(key)
        return i if i < self._terms_at[2] and self._line(i) == key else None

    def _find_prefix(self, key: bytes) -> range:
        """The indexes of the terms starting with ``key`` (UTF-8): one run
        of lines, the terms being sorted (no UTF-8 text holds the byte 0xFF,
        so every term starting with ``key`` sorts below ``key + 0xFF``)."""
        return range(self._bisect(key), self._bisect(key + b"\xff"))

    def ids(self) -> list[str] | None:
        """Paper ids by docnum (None: an id with a line break; use stored fields)."""
        at, n, ndocs = self._ids_at
        got = self._mm[at : at + n].decode("utf-8", "surrogatepass").split("\n")
        return got if len(got) == ndocs else None

    @property
    def has_ids(self) -> bool:
        """Whether this file is Whoosh's ``id`` field and stored ids too."""
        return len(self._id_order) == self.ndocs and self.ndocs > 0

    def sorted_ids(self) -> list[bytes]:
        """The ids (UTF-8) in byte order, as Whoosh's ``id`` field lists them
        (with :attr:`has_ids`; decoded on first use)."""
        if self._sorted_ids is None:
            at, n, ndocs = self._ids_at
            blob = self._mm[at : at + n]
            raw = blob.split(b"\n")
            if len(raw) != ndocs or len(self._id_order) != ndocs:
                raise ValueError("bad fast postings file")
            got = [raw[d] for d in self._id_order.tolist()]
            if not _ascending(blob, raw, self._id_order, got):
                raise ValueError("bad fast postings file")
            self._sorted_ids = got
        return self._sorted_ids

    def id_rank(self, tbytes: bytes) -> int | None:
        """The place of the id ``tbytes`` in :meth:`sorted_ids` (None:
        absent), found by a binary search of the file's bytes through the
        id order when the sorted list is not made: a sync's delete by id
        (a day removed, a paper changed) looked up 50 ids in a list of
        every id made for them (0.5 s a segment at a million papers)."""
        if self._sorted_ids is not None:
            ids = self._sorted_ids
            i = bisect.bisect_left(ids, tbytes)
            return i if i < len(ids) and ids[i] == tbytes else None
        n = len(self._id_order)
        if not n:
            raise ValueError("bad fast postings file")
        i = bisect.bisect_left(range(n), tbytes, key=self._id_of_rank)
        return i if i < n and self._id_of_rank(i) == tbytes else None

    def _id_of_rank(self, rank: int) -> bytes:
        """The id (UTF-8) at ``rank`` in id order, read from the file."""
        at = self._ids_at[0]
        ends = self._id_ends()
        d = int(self._id_order[rank])
        return self._mm[at + int(ends[d]) : at + int(ends[d + 1]) - 1]

    def _id_ends(self) -> Any:
        """Where each docnum's id starts in the ids' bytes (+1 past the
        end: an id ends a byte before the next starts), found by numpy."""
        if self._ends is None:
            import numpy as np

            at, n, ndocs = self._ids_at
            breaks = np.flatnonzero(np.frombuffer(self._mm, np.uint8, n, at) == 10)
            if len(breaks) != ndocs - 1:
                raise ValueError("bad fast postings file")
            ends = np.empty(ndocs + 1, np.int64)
            ends[0] = 0
            ends[1:-1] = breaks + 1
            ends[-1] = n + 1
            self._ends = ends
        return self._ends

    def id_docnum(self, rank: int) -> int:
        """The docnum of the id at ``rank`` in :meth:`sorted_ids`."""
        return int(self._id_order[rank])

    def prefix_range(self, prefix: str) -> range:
        """Indexes in :attr:`terms` of the words starting with ``prefix``."""
        if self._terms is None and prefix and "\n" not in prefix:
            return self._find_prefix(prefix.encode("utf-8", "surrogatepass"))
        terms = self.terms
        lo = bisect.bisect_left(terms, prefix)
        hi = bisect.bisect_left(terms, prefix + "\U0010ffff", lo)
        return range(lo, hi)

    def broad_docs(self, r: range, field: str | None = None) -> Any:
        """The documents holding a word of the run ``r`` (of
        :meth:`prefix_range`; in ``field``), sorted (int64), from its
        bitmaps; None when the run keeps none (see the module's docs)."""
        import numpy as np

        j = self._broad.get((r.start, r.stop))
        if j is None:
            return None
        width = (self.ndocs + 7) // 8
        run = self._broad_bits[j * _NFIELDS * width : (j + 1) * _NFIELDS * width]
        if field is None:
            packed = np.bitwise_or.reduce(run.reshape(_NFIELDS, width), axis=0)
        else:
            packed = run[_field_place(field) * width :][:width]
        bits = np.unpackbits(packed, bitorder="little")
        return np.flatnonzero(bits[: self.ndocs])

    def term_index(self, term: str) -> int | None:
        if self._terms is None and term and "\n" not in term:
            return self._find_term(term.encode("utf-8", "surrogatepass"))
        terms = self.terms
        i = bisect.bisect_left(terms, term)
        if i >= len(terms) or terms[i] != term:
            return None
        return i

    def term_span(self, i: int) -> tuple[int, int, int]:
        """Where the ``i``-th term's postings start and end, and where its
        positions start."""
        return int(self.starts[i]), int(self.starts[i + 1]), int(self._term_pos[i])

    def docs_at(self, a: int, b: int) -> Any:
        """Docnums of postings ``a..b-1`` (int64), decoded from the start of
        the term of posting ``a`` (a term's or a run of terms' at once). The
        terms are found with ``a`` and ``b`` in the type of :attr:`starts`:
        a Python int made numpy cast the whole array to int64 first (0.6 ms
        a call at 200,000 terms, every word's postings)."""
        import numpy as np

        if b <= a:
            return np.zeros(0, np.int64)
        starts = self.starts
        t0 = int(np.searchsorted(starts, starts.dtype.type(a), side="right")) - 1
        t1 = int(np.searchsorted(starts, starts.dtype.type(b), side="left"))
        s = int(starts[t0])
        # in place as far as it goes: a run of terms (``a*``) is 5 million
        # postings a segment at 1M papers
        raw = self._gaps[s:b]
        g = raw.astype(np.int64)
        lo = int(self._long_starts[t0])
        if int(self._long_starts[t1]) > lo:  # else no gap of these terms is long
            far = np.flatnonzero(raw == ESCAPE)
            if len(far):
                g[far] = self._long[lo : lo + len(far)]
        g[0] -= 1
        if t1 - t0 > 1:
            # Each term's first gap is its first docnum + 1: less the sum of
            # the gaps of the term before (its last docnum + 1), one running
            # sum then gives every term's docnums. Fixed at the terms' first
            # postings only: a per-posting correction (np.repeat of each
            # term's base) was a third of decoding ``a*`` (12,000 terms).
            bounds = starts[t0 : t1 + 1].astype(np.int64) - s
            bounds[-1] = len(g)
            firsts = bounds[:-1][bounds[:-1] < bounds[1:]]  # the terms with postings
            if len(firsts) > 1:
                sums = np.add.reduceat(g, firsts)
                sums[0] += 1  # the 1 taken from the first gap above
                g[firsts[1:]] -= sums[:-1]
        np.cumsum(g, out=g)
        return g[a - s :]

    def docs_of_terms(self, idx: Any) -> Any:
        """The docnums of the terms ``idx``, one term after another (int64)."""
        import numpy as np

        parts = [self.docs_at(int(self.starts[i]), int(self.starts[i + 1])) for i in idx]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def weights_at(self, a: int, b: int) -> Any:
        """Weights (field-weighted frequencies) of postings ``a..b-1``, float32."""
        return self._span(self._wtable, self._escaped_w, a, b)

    def weights_of(self, at: Any) -> Any:
        """Weights of the postings numbered ``at`` (an array of indexes), float32."""
        import numpy as np

        codes = self._codes[at]
        out = self._wtable[codes]
        if len(self._escaped):
            hit = codes == ESCAPE
            if hit.any():
                out[hit] = self._escaped_w[np.searchsorted(self._escaped, at[hit])]
        return out

    def codes_at(self, a: int, b: int) -> tuple[Any, Any, Any]:
        """The code byte of postings ``a..b-1`` (an index into
        :meth:`weight_table`), and the postings among them whose pair
        escapes the table (:data:`ESCAPE`): their places (relative to ``a``)
        and their weights (float32)."""
        import numpy as np

        codes = self._codes[a:b]
        if len(self._escaped):
            lo, hi = np.searchsorted(self._escaped, (a, b)).tolist()
            if hi > lo:
                return codes, self._escaped[lo:hi] - a, self._escaped_w[lo:hi]
        return codes, np.zeros(0, np.int64), np.zeros(0, np.float32)

    def weight_table(self) -> Any:
        """The weight of each code (float32, 256 long; the escape's entry 0)."""
        return self._wtable

    def field_table(self, field: str) -> Any:
        """How many of a posting's positions are in ``field``, by code
        (int64, 256 long; -1 for the escape: its positions tell)."""
        from reader.search.analysis import FIELD_SPANS

        return self._field_tables[FIELD_SPANS[field][0] >> _FIELD_SHIFT]

    def freq_table(self) -> Any:
        """The number of positions of each code (int64, 256 long; the escape's 0)."""
        return self._ftable

    def positions_of(self, p0: int, offs: Any) -> Any:
        """Positions ``p0 + offs`` (an array of offsets), absolute, uint32."""
        import numpy as np

        p = self._positions[p0:][offs]
        if not self._compact:
            return p
        p = p.astype(np.uint32)
        return ((p >> _PLACE_BITS) << _FIELD_SHIFT) | (p & ((1 << _PLACE_BITS) - 1))

    def freqs_at(self, a: int, b: int) -> Any:
        """How many positions each of postings ``a..b-1`` has (int64)."""
        return self._span(self._ftable, self._escaped_f, a, b)

    def _span(self, table: Any, escaped: Any, a: int, b: int) -> Any:
        """``table`` decoded for postings ``a..b-1``, the escaped ones patched."""
        import numpy as np

        out = table[self._codes[a:b]]
        if len(self._escaped):
            lo, hi = np.searchsorted(self._escaped, (a, b)).tolist()
            if hi > lo:
                out[self._escaped[lo:hi] - a] = escaped[lo:hi]
        return out

    def positions_at(self, p0: int, p1: int) -> Any:
        """Positions ``p0..p1-1`` (of :attr:`_positions`), absolute, uint32."""
        import numpy as np

        p = self._positions[p0:p1]
        if not self._compact:
            return p
        p = p.astype(np.uint32)
        return ((p >> _PLACE_BITS) << _FIELD_SHIFT) | (p & ((1 << _PLACE_BITS) - 1))

    def _pos_span(self, lo: int, hi: int, a: int, b: int) -> tuple[Any, Any]:
        """Position starts (relative, +1 at the end) and positions of the
        postings ``a..b-1`` of terms ``lo..hi-1``."""
        import numpy as np

        ps = np.zeros(b - a + 1, np.int64)
        np.cumsum(self.freqs_at(a, b), out=ps[1:])
        p0 = int(self._term_pos[lo])
        return ps, self.positions_at(p0, p0 + int(ps[-1]))

    def slice_at(self, lo: int, hi: int, positions: bool = True) -> tuple[Any, Any, Any, Any, Any]:
        """The postings of terms ``lo..hi-1`` at once: docnums, weights, the
        index of the term (``0..hi-lo-1``) of each posting, position starts
        (+1 at the end, relative) and the positions (both None without
        ``positions``: decoding them is most of the cost of a long list)."""
        import numpy as np

        a, b = int(self.starts[lo]), int(self.starts[hi])
        word = np.repeat(np.arange(hi - lo), np.diff(self.starts[lo : hi + 1]).astype(np.int64))
        ps, pos = self._pos_span(lo, hi, a, b) if positions else (None, None)
        return self.docs_at(a, b), self.weights_at(a, b), word, ps, pos

    def postings_at(self, i: int, positions: bool = True) -> tuple[Any, Any, Any, Any]:
        """Docnums, weights, position starts (+1 at the end) and the positions
        of the ``i``-th term (the positions relative to the returned starts;
        both None without ``positions``)."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        ps, pos = self._pos_span(i, i + 1, a, b) if positions else (None, None)
        return self.docs_at(a, b), self.weights_at(a, b), ps, pos


_OPEN: Any = None


def open_fast(path: Path) -> FastPostings:
    """The fast postings file at ``path``, mapped once per process while in
    use (the search's numpy scorer and Whoosh's codec share one mapping)."""
    import os
    import weakref

    global _OPEN  # noqa: PLW0603
    if _OPEN is None:
        _OPEN = weakref.WeakValueDictionary()
    st = os.stat(path)
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    got: FastPostings | None = _OPEN.get(key)
    if got is None:
        got = FastPostings(path)
        _OPEN[key] = got
    return got


def _ascending(blob: bytes, raw: list[bytes], order: Any, got: list[bytes]) -> bool:
    """Whether ``got`` (``raw`` in ``order``) is strictly ascending: by
    numpy over the whole array (a million ids: ~0.3 s compared one pair at
    a time in Python, a sync's first delete by id at 1M papers), one pair
    at a time when an id holds a NUL byte (numpy's bytes drop trailing NULs)."""
    if b"\x00" in blob:
        return all(a < b for a, b in zip(got, got[1:], strict=False))
    import numpy as np

    ids = np.array(raw, dtype="S")[order]
    return bool((ids[1:] > ids[:-1]).all())
