"""The cyclic garbage collector, kept off the path from a key to the screen.

Drawing makes cyclic garbage all the time: every Textual ``Strip`` can hold
itself in its own crop cache, Textual's footer made and dropped some 30
widgets (their styles, caches and signals) at each focus change, LaTeX parsing
leaves frames behind. CPython then runs a full collection about every 1.5 s
while one types, and each one walks every tracked object that is not frozen
(the strip caches, the search's word lists, the lists on screen): 0.1-0.5 s
with the event loop stopped, over the real digests (91,713 papers; measured
with ``gc.callbacks`` while typing, load 4-10). Those were the 1.3 s keys of
``benchmarks/typing_bench.py``.

So the app keeps the young collections (generations 0 and 1: a few ms) and
runs the full one itself, at a pause: when no key has come for ``IDLE``
seconds. What is alive then is mostly what stays alive (the strips cached
for drawing, the search's tables): it is frozen, so the next full collection
walks only what was made since the last one (a collection walked 250k live
objects, 0.24 s of CPU, after a minute of typing; frozen, the next walks a
pause's worth: 60k objects, 48 ms, after a query typed).

While the keys keep coming, a full collection every ``LATEST`` seconds still
stopped a key for 5-50 ms (p50 14 ms wall over the real digests, load 4-5)
and found little: what it walked was alive (27k objects a collection, the
strips made since, each with seven small caches: ``Strip`` holds a
``FIFOCache`` per kind of derived strip), the cyclic garbage among them a
few hundred objects. So while typing the app runs a young collection
(generations 0 and 1: what was made since the last one) and freezes what
survives it, at ``LATEST``: the next full collection, at the pause, walks
only what came after.

A key's work does not end with the key: its search runs in the search
thread and its results are painted when the answer comes, often more than
``IDLE`` after the last key of a query (a search behind another, a slow
shape, a loaded machine). A full collection then stopped the very answer
the user waits for (over the real digests, a third of the full collections
of a typing run came while a key waited for its results: 10-70 ms each).
So a search in flight holds the full collection (:meth:`IdleCollector.held`),
and its answer counts as a key: the pause is counted from the results,
which are on screen in the next frame.

Something frozen that becomes cyclic garbage later stays until it is thawed:
once ``THAW`` more objects are frozen than after the previous thaw, and the
user has been away ``AWAY`` seconds, everything is thawed and collected once
(about a second at 100k papers), then frozen again. ``stop`` thaws
everything (tests run many apps in one process).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: A full collection waits for this long without a key (keys at 10 a second
#: are 0.1 s apart: typing is not a pause). Collections are cheap when they
#: are frequent: each walks only what was made since the one before.
IDLE = 0.15
#: While keys keep coming, a young collection and a freeze this long after
#: the last collection (a second of typing makes some 10-60k objects: a
#: full collection of them was 10-50 ms of CPU; a young one walks only what
#: is younger than the last young collection).
LATEST = 1.0
#: How often the app asks (``IdleCollector.tick``).
TICK = 0.1
#: ``gc``'s third threshold: this many young collections before a full one,
#: i.e. never on its own.
NEVER = 1_000_000
#: Thaw and collect everything once this many more objects are frozen ...
THAW = 500_000
#: ... and no key has come for this long (the user is reading, or away).
AWAY = 10.0


class IdleCollector:
    """Full collections at pauses of the keys (see the module's docs)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] = gc.collect,
        collect_young: Callable[[], object] = lambda: gc.collect(1),
        freeze: Callable[[], None] = gc.freeze,
        thaw: Callable[[], None] = gc.unfreeze,
        frozen: Callable[[], int] = gc.get_freeze_count,
    ) -> None:
        self.clock = clock
        self.collect = collect
        self.collect_young = collect_young
        self.freeze = freeze
        self.thaw = thaw
        self.frozen = frozen
        self.last_key = clock()
        self.last_full = clock()
        """When the last collection (full, or young and a freeze) ran."""
        self.full_runs = 0
        """Full collections run by this collector."""
        self.young_runs = 0
        """Young collections (and freezes) run by it while the keys came."""
        self.thaws = 0
        """Times everything was thawed and collected."""
        self._saved: tuple[int, int, int] | None = None
        self._frozen_after_thaw = frozen()
        self._holds = 0
        """Searches in flight (:meth:`held`)."""

    def start(self) -> None:
        """Take full collections off CPython's own schedule."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.set_threshold(self._saved[0], self._saved[1], NEVER)

    def stop(self) -> None:
        """Give them back, and thaw what was frozen (the app has ended)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
            self.thaw()

    def key(self) -> None:
        """A key came: the next full collection waits."""
        self.last_key = self.clock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """While this lasts (a search of the keys typed, in flight), no full
        collection runs; its end counts as a key (the answer is painted next)."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
            self.key()

    def young(self) -> int:
        """Young collections so far (none since the last full one: nothing to do)."""
        stats = gc.get_stats()
        return int(stats[0]["collections"] + stats[1]["collections"])

    def tick(self) -> bool:
        """Run a full collection when one is due; True when it ran."""
        if not gc.isenabled():
            # A worker is building something big with the collector paused
            # (``library.gc_paused``), and freezes it when done: a collection
            # now would walk all of it (0.4-0.7 s in a fetch's reload).
            return False
        now = self.clock()
        quiet = now - self.last_key >= IDLE and not self._holds
        late = now - self.last_full >= LATEST
        if not (quiet or late):
            return False
        if self._young_at == self.young():
            return False  # nothing was collected young since: nothing to find
        away = now - self.last_key >= AWAY
        if not quiet:
            # Keys are coming: no walk of generation 2 (see the module's docs).
            self.collect_young()
            self.freeze()
            self.young_runs += 1
        elif away and self.frozen() - self._frozen_after_thaw > THAW:
            self.thaw()
            self.thaws += 1
            self.collect()
            self.freeze()
            self._frozen_after_thaw = self.frozen()
            self.full_runs += 1
        else:
            self.collect()
            self.freeze()
            self.full_runs += 1
        self.last_full = self.clock()
        self._young_at = self.young()
        return True

    _young_at = -1
