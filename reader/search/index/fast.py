"""Fast postings: a plain copy of a bulk segment's (docnum, weight) postings,
the quantised field lengths and the ids, memory-mapped and read with numpy
(see ``docs/search.md``)."""

from __future__ import annotations

import bisect
import mmap
import struct
from array import array
from pathlib import Path
from typing import Any

FAST_MAGIC = b"DRFAST03"
#: magic, terms, postings, documents, term blob, id blob, positions (0: none)
_FAST_HEADER = struct.Struct("<8sQQQQQQ")


def fast_name(segment_id: str) -> str:
    """The fast postings file of a segment (Whoosh ignores it; we clean it)."""
    return f"fast-{segment_id}.bin"


def _write_fast(
    path: Path,
    terms: list[str],
    starts: array[int],
    docs: array[int],
    weights: array[float],
    lengths: array[float],
    ids: list[str],
    freqs: array[int] | None = None,
    values: bytearray | None = None,
) -> None:
    """Write a fast postings file. ``freqs`` and ``values`` (every posting's
    frequency and encoded positions, as in the segment, in posting order) add
    the positions: then phrases and fields are answered from this file too."""
    blob = "\n".join(terms).encode("utf-8")
    idblob = "\n".join(ids).encode("utf-8", "surrogatepass")
    pos = _positions(freqs, values) if freqs is not None and values is not None else None
    npos = 0 if pos is None else len(pos[1])
    header = _FAST_HEADER.pack(
        FAST_MAGIC, len(terms), len(docs), len(lengths), len(blob), len(idblob), npos
    )
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(starts.tobytes())
        fh.write(docs.tobytes())
        fh.write(weights.tobytes())
        fh.write(lengths.tobytes())
        if pos is not None:
            fh.write(pos[0].tobytes())
            fh.write(pos[1].tobytes())
        fh.write(blob)
        fh.write(idblob)


def _positions(freqs: array[int], values: bytearray) -> tuple[Any, Any] | None:
    """(start of each posting's positions, +1 at the end; every position),
    uint32, from the encoded values (a big-endian count, then native uint32
    deltas: :func:`reader.search.index.schema._encode_positions`). None
    without numpy or when there are too many positions for uint32."""
    try:
        import numpy as np
    except ImportError:
        return None
    counts = np.frombuffer(freqs, np.uint32).astype(np.int64)
    words = np.frombuffer(bytes(values), np.uint32)
    if len(words) != int(counts.sum()) + len(counts) or len(words) >= 1 << 32:
        return None
    heads = np.cumsum(counts + 1) - (counts + 1)  # where each count word is
    keep = np.ones(len(words), bool)
    keep[heads] = False
    cs = np.cumsum(words[keep].astype(np.int64))
    pstarts = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=pstarts[1:])
    base = np.zeros(len(counts), np.int64)
    nz = pstarts[:-1] > 0
    base[nz] = cs[pstarts[:-1][nz] - 1]
    absolute = cs - np.repeat(base, counts)
    return pstarts.astype(np.uint32), absolute.astype(np.uint32)


class FastPostings:
    """A fast postings file, memory-mapped: ``postings(term)`` gives numpy
    views of the segment's docnums and weights; ``lengths`` the field lengths
    (quantised like Whoosh's, so scores are the same as Whoosh's BM25F)."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as fh:
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, nterms, nposts, ndocs, nblob, nids, npos = _FAST_HEADER.unpack_from(self._mm, 0)
        off = _FAST_HEADER.size
        need = off + 8 * (nterms + 1) + 8 * nposts + 4 * ndocs + nblob + nids
        if npos:
            need += 4 * (nposts + 1) + 4 * npos
        if magic != FAST_MAGIC or len(self._mm) != need:
            raise ValueError(f"bad fast postings file {path.name}")
        self.starts = np.frombuffer(self._mm, np.uint64, nterms + 1, off)
        off += 8 * (nterms + 1)
        self.docs = np.frombuffer(self._mm, np.uint32, nposts, off)
        off += 4 * nposts
        self.weights = np.frombuffer(self._mm, np.float32, nposts, off)
        off += 4 * nposts
        self.lengths = np.frombuffer(self._mm, np.float32, ndocs, off)
        off += 4 * ndocs
        #: Where each posting's positions start in :attr:`positions` (None:
        #: this file has no positions).
        self.pstarts: Any = None
        self.positions: Any = None
        if npos:
            self.pstarts = np.frombuffer(self._mm, np.uint32, nposts + 1, off)
            off += 4 * (nposts + 1)
            self.positions = np.frombuffer(self._mm, np.uint32, npos, off)
            off += 4 * npos
        self.terms = self._mm[off : off + nblob].decode("utf-8").split("\n") if nterms else []
        self._ids_at = (off + nblob, nids, ndocs)
        if len(self.terms) != nterms:
            raise ValueError(f"bad fast postings file {path.name}")

    def ids(self) -> list[str] | None:
        """Paper ids by docnum (None: an id with a line break; use stored fields)."""
        at, n, ndocs = self._ids_at
        got = self._mm[at : at + n].decode("utf-8", "surrogatepass").split("\n")
        return got if len(got) == ndocs else None

    def prefix_range(self, prefix: str) -> range:
        """Indexes in :attr:`terms` of the words starting with ``prefix``."""
        terms = self.terms
        lo = bisect.bisect_left(terms, prefix)
        hi = bisect.bisect_left(terms, prefix + "\U0010ffff", lo)
        return range(lo, hi)

    def term_index(self, term: str) -> int | None:
        terms = self.terms
        i = bisect.bisect_left(terms, term)
        if i >= len(terms) or terms[i] != term:
            return None
        return i

    def postings(self, term: str) -> tuple[Any, Any] | None:
        i = self.term_index(term)
        if i is None:
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[a:b], self.weights[a:b]

    def slice_at(self, lo: int, hi: int) -> tuple[Any, Any, Any, Any, Any]:
        """The postings of terms ``lo..hi-1`` at once: docnums, weights, the
        index of the term (``0..hi-lo-1``) of each posting, position starts
        (+1 at the end, relative) and the positions (None without them)."""
        import numpy as np

        a, b = int(self.starts[lo]), int(self.starts[hi])
        word = np.repeat(np.arange(hi - lo), np.diff(self.starts[lo : hi + 1]).astype(np.int64))
        if self.pstarts is None:
            return self.docs[a:b], self.weights[a:b], word, None, None
        ps = self.pstarts[a : b + 1]
        p0, p1 = int(ps[0]), int(ps[-1])
        return self.docs[a:b], self.weights[a:b], word, ps - p0, self.positions[p0:p1]

    def postings_at(self, i: int) -> tuple[Any, Any, Any, Any]:
        """Docnums, weights, position starts (+1 at the end) and the positions
        of the ``i``-th term (the positions relative to the returned starts)."""
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        ps = self.pstarts[a : b + 1]
        lo, hi = int(ps[0]), int(ps[-1])
        return self.docs[a:b], self.weights[a:b], ps - lo, self.positions[lo:hi]
