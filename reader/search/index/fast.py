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

FAST_MAGIC = b"DRFAST02"
_FAST_HEADER = struct.Struct("<8sQQQQQ")


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
) -> None:
    blob = "\n".join(terms).encode("utf-8")
    idblob = "\n".join(ids).encode("utf-8", "surrogatepass")
    header = _FAST_HEADER.pack(
        FAST_MAGIC, len(terms), len(docs), len(lengths), len(blob), len(idblob)
    )
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(starts.tobytes())
        fh.write(docs.tobytes())
        fh.write(weights.tobytes())
        fh.write(lengths.tobytes())
        fh.write(blob)
        fh.write(idblob)


class FastPostings:
    """A fast postings file, memory-mapped: ``postings(term)`` gives numpy
    views of the segment's docnums and weights; ``lengths`` the field lengths
    (quantised like Whoosh's, so scores are the same as Whoosh's BM25F)."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as fh:
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, nterms, nposts, ndocs, nblob, nids = _FAST_HEADER.unpack_from(self._mm, 0)
        off = _FAST_HEADER.size
        need = off + 8 * (nterms + 1) + 8 * nposts + 4 * ndocs + nblob + nids
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
        hi = lo
        while hi < len(terms) and terms[hi].startswith(prefix):
            hi += 1
        return range(lo, hi)

    def postings(self, term: str) -> tuple[Any, Any] | None:
        terms = self.terms
        i = bisect.bisect_left(terms, term)
        if i >= len(terms) or terms[i] != term:
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[a:b], self.weights[a:b]
