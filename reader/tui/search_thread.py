"""The app's one search thread: queries one after another, and the work that
only makes later queries faster (the engine's warm-up) done in its gaps.

A query submitted while the warm-up runs waits for one step of it at most,
not for all of it: each step is queued behind whatever was submitted
meanwhile. Everything runs in the same thread, so the engine's caches are
made by one thread at a time, as before (a warm-up in a second thread beside
the queries, tried in session 8, let a rerun after the first build miss its
exact count under load).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

#: :meth:`SearchThread.make_way` waits this long after a job ends.
LINGER = 0.3
#: ... and this long at most in one call (a background job never stops for good).
MAKE_WAY_MOST = 2.0
#: ... looking this often.
MAKE_WAY_TICK = 0.02


class SearchThread:
    """A one-thread executor that knows how many jobs wait to start."""

    def __init__(self, name: str = "search") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._waiting = 0
        self._in_hand = 0
        self._ended = 0.0
        self._count = threading.Lock()

    @property
    def executor(self) -> ThreadPoolExecutor:
        """For ``loop.run_in_executor``: use :meth:`wrap` on what it runs."""
        return self._pool

    @property
    def waiting(self) -> int:
        """Jobs submitted and not started yet."""
        return self._waiting

    def wrap(self, fn: Callable[..., T]) -> Callable[..., T]:
        """``fn`` counted as waiting from now until it starts."""
        with self._count:
            self._waiting += 1

        def run(*args: Any) -> T:
            with self._count:
                self._waiting -= 1
                self._in_hand += 1
            try:
                return fn(*args)
            finally:
                with self._count:
                    self._in_hand -= 1
                    self._ended = time.monotonic()

        return run

    def make_way(self, linger: float = LINGER, at_most: float = MAKE_WAY_MOST) -> None:
        """Wait while a job of this thread runs or waits, and ``linger``
        seconds after the last one ended (the next key is coming), at most
        ``at_most`` seconds in all. Called by work in other threads between
        its steps (the scan's folding, the first build's reading of the
        papers): in one process they share one GIL, and three busy threads
        beside the event loop made a typed key wait 0.3-1 s for its results
        during a first build (``typing_bench.py --cold``)."""
        end = time.monotonic() + at_most
        while True:
            now = time.monotonic()
            if now >= end:
                return
            if not self._waiting and not self._in_hand and now - self._ended >= linger:
                return
            time.sleep(MAKE_WAY_TICK)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(self.wrap(fn), *args)

    def in_gaps(self, steps: Iterable[Callable[[], object]]) -> None:
        """Run ``steps`` one at a time in this thread, each after every job
        submitted before it starts (a step's errors are dropped: the work it
        would make is made by the query that needs it). The steps are not
        jobs: not counted as waiting (two warm-ups at once, after two syncs,
        would each give way to the other for ever), and :meth:`make_way`
        does not wait for them. ``steps`` is iterated in this thread (a
        generator's own work too), and its error ends the steps."""
        todo: Iterator[Callable[[], object]] = iter(steps)

        def step() -> None:
            if self._waiting:  # a query came: it goes first
                self._pool.submit(step)
                return
            try:
                nxt = next(todo, None)
            except Exception:
                return
            if nxt is None:
                return
            with contextlib.suppress(Exception):  # left to the query that needs it
                nxt()
            self._pool.submit(step)

        self._pool.submit(step)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
