"""Big conversions made a slice at a time, so that other threads get the GIL.

One C call over a whole library's Python objects holds the GIL from its
start to its end: numpy turning a list of 100k ids or days into fixed-width
bytes (18-60 ms here at 100k, load 8), ``dict(zip(...))`` of 100k hashes
(30 ms). Made in a worker or the search thread while the app runs (a
reload's new library, the engine's columns and its map to the index after a
fetch), each such call is a stalled frame for the event loop: a pure Python
loop lets the loop in every ``sys.getswitchinterval()`` (5 ms), a C call
never. Made here in slices of :data:`SLICE` objects, the interpreter can
hand the GIL over between two slices; the result is the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

#: Objects converted by one C call: a fraction of a millisecond (4,096
#: still left another thread 14-27 ms late at p99 on a loaded machine,
#: 1,024 no later than plain Python work does: ``benchmarks/gil_bench.py``).
SLICE = 1024

K = TypeVar("K")
V = TypeVar("V")


def array_of(values: Sequence[Any], dtype: Any = None) -> Any:
    """``np.array(values, dtype)`` (``dtype`` None: as numpy infers it,
    fixed-width bytes for bytes and text for text), made a slice at a time:
    the same array, every item as wide as the widest (``object``: the very
    objects, the slices only increment their counts). Raises what
    ``np.array`` raises (``UnicodeEncodeError`` for ``"S"`` over text that
    is not ASCII)."""
    import numpy as np  # not at import: a command that needs no array never loads it

    n = len(values)
    if n <= SLICE:
        return np.array(values, dtype)
    parts = [np.array(values[at : at + SLICE], dtype) for at in range(0, n, SLICE)]
    kinds = {p.dtype.kind for p in parts}
    kind = kinds.pop() if len(kinds) == 1 else ""
    if kind not in ("S", "U", "O"):  # bytes beside text, or numbers: numpy decides
        return np.array(values, dtype)
    if kind == "O":
        out = np.empty(n, object)
    else:
        width = max(p.dtype.itemsize for p in parts) // (4 if kind == "U" else 1)
        out = np.empty(n, f"{kind}{max(width, 1)}")
    for at, part in zip(range(0, n, SLICE), parts, strict=True):
        out[at : at + len(part)] = part
    return out


def dict_of(keys: Iterable[K], values: Iterable[V]) -> dict[K, V]:
    """``dict(zip(keys, values, strict=True))``, a slice at a time."""
    out: dict[K, V] = {}
    pairs = zip(keys, values, strict=True)
    while chunk := list(itertools.islice(pairs, SLICE)):
        out.update(chunk)
    return out


def searchsorted_of(haystack: Any, needles: Any) -> Any:
    """``np.searchsorted(haystack, needles)``, :data:`SLICE` needles at a
    time (100k ids looked up in 100k held the GIL 20 ms in one call)."""
    import numpy as np

    n = len(needles)
    if n <= SLICE:
        return np.searchsorted(haystack, needles)
    out = np.empty(n, np.intp)
    for at in range(0, n, SLICE):
        out[at : at + SLICE] = np.searchsorted(haystack, needles[at : at + SLICE])
    return out
