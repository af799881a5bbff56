"""The C heap, kept for the scorer's next query.

A query over a long run of postings (``abs:com*`` at 1M papers: a million
postings a segment) makes numpy arrays of several MB: docnums, codes,
scores, sums. glibc's ``malloc`` gives blocks that large their own pages
(``mmap``, above a threshold that grows to the largest block freed) and gives
the heap's top back to the system once more than twice that is free. So each
query's arrays came on new pages, and the kernel zeroed each page at its
first touch: 11-13 thousand page faults a query, half its time (42 -> 22 ms
for ``(abs:pre OR abs:pre*)`` at 1M, counted with ``getrusage``).

:func:`keep_freed_memory` raises both thresholds once a process, when the
scorer first runs (:class:`~reader.search.index.scorer.ScorerState`): blocks
up to 32 MB (glibc's largest threshold) come from the heap, and up to 128 MB
freed at its top stay there for the next query. The resident memory is then
what the largest query held at once, not less between queries; the peak is
the same. Elsewhere than glibc (macOS, musl) nothing is done.

The first such query of a process still found the heap short and grew it,
page by page (18,000 faults: ``(abs:pre OR abs:pre*)`` 58-123 ms the first
time, 22 ms after). :func:`grow` makes a thread's heap that large at once,
its pages touched: the app runs it in its warm-up, in the search thread and
the scorer's segment threads (:func:`~reader.search.index.scorer.warm_heap`),
so the first query typed finds them ready.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys
import threading

#: glibc's ``mallopt`` parameters (``malloc.h``).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks below this come from the heap (glibc's maximum: 4 MB x sizeof(long)).
MMAP_THRESHOLD = 32 << 20
#: Free memory at the heap's top kept rather than given back: above what
#: :func:`grow` gives a scoring thread at 1M papers (80 MB), and no more,
#: as each thread's heap (glibc's arena) may keep this much unused.
TRIM_THRESHOLD = 128 << 20
#: :func:`grow` asks the heap for blocks of this size (below
#: :data:`MMAP_THRESHOLD`: from the heap, not pages of their own).
_BLOCK = 8 << 20

_done = False
_lock = threading.Lock()


def keep_freed_memory() -> bool:
    """Make glibc's ``malloc`` keep freed blocks for reuse (see the module);
    once a process. True when it was done (now or before)."""
    global _done  # noqa: PLW0603
    with _lock:
        if _done:
            return True
        if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
            return False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
        return _done


def grow(nbytes: int) -> None:
    """Grow the calling thread's heap by about ``nbytes``, every page
    written, then free it for the next arrays (kept: :data:`TRIM_THRESHOLD`;
    nothing when :func:`keep_freed_memory` could not be done)."""
    if not keep_freed_memory() or nbytes <= 0:
        return
    import numpy as np

    blocks = [np.ones(min(_BLOCK, nbytes - at), np.uint8) for at in range(0, nbytes, _BLOCK)]
    del blocks
