"""The cyclic garbage collector, kept off the path from a key to the screen.

Drawing makes cyclic garbage all the time: every Textual ``Strip`` can hold
itself in its own crop cache, the footer makes and drops some 30 widgets
(their styles, caches and signals) at each focus change, LaTeX parsing
leaves frames behind. CPython then runs a full collection about every 1.5 s
while one types, and each one walks every tracked object that is not frozen
(the strip caches, the search's word lists, the lists on screen): 0.1-0.5 s
with the event loop stopped, over the real digests (91,713 papers; measured
with ``gc.callbacks`` while typing, load 4-10). Those were the 1.3 s keys of
``benchmarks/typing_bench.py``.

So the app keeps the young collections (generations 0 and 1: a few ms) and
runs the full one itself: when no key has come for ``IDLE`` seconds, or at
the latest every ``LATEST`` seconds (work in the background makes garbage
too, and memory must not grow while someone types for a minute).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: A full collection waits for this long without a key.
IDLE = 0.5
#: ... but never more than this since the last one.
LATEST = 30.0
#: How often the app asks (``IdleCollector.tick``).
TICK = 0.5
#: ``gc``'s third threshold: this many young collections before a full one,
#: i.e. never on its own.
NEVER = 1_000_000


class IdleCollector:
    """Full collections when the user is not typing (see the module's docs)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self.clock = clock
        self.collect = collect
        self.last_key = clock()
        self.last_full = clock()
        self.full_runs = 0
        """Full collections run by this collector."""
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Take full collections off CPython's own schedule."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], NEVER)

    def stop(self) -> None:
        """Give them back (the app has ended)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def key(self) -> None:
        """A key came: the next full collection waits."""
        self.last_key = self.clock()

    def young(self) -> int:
        """Young collections since the last full one (0: nothing to do)."""
        stats = gc.get_stats()
        return int(stats[0]["collections"] + stats[1]["collections"])

    def tick(self) -> bool:
        """Run a full collection when one is due; True when it ran."""
        now = self.clock()
        quiet = now - self.last_key >= IDLE
        late = now - self.last_full >= LATEST
        if not (quiet or late) or now - self.last_full < IDLE:
            return False
        if self._young_at == self.young():
            return False  # nothing was collected young since: nothing to find
        self.collect()
        self.last_full = self.clock()
        self._young_at = self.young()
        self.full_runs += 1
        return True

    _young_at = -1
