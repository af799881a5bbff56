"""arXiv's request budget, shared by every process on the machine.

arXiv asks for at most one request every 3 seconds and one connection at a
time. The app and a cron job may fetch at once, so the spacing is kept in a
file in the cache folder (``fetch/arxiv.lock``): whoever holds an exclusive
``flock`` on it may talk to arXiv; the file holds the time the last request
ended. :meth:`RateLock.turn` waits for the lock, then sleeps until ``delay``
seconds have passed since that time, keeps the lock while the request runs
and writes the time it ended.

The clock and the sleep are injectable so tests stay fast; the lock itself is
real (tests run two processes against it).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from reader.fileio import FileLock

Sleep = Callable[[float], None]
Clock = Callable[[], float]

_local = threading.Lock()


class RateLock:
    """The shared spacing for one budget (``arxiv``) under ``folder``."""

    def __init__(
        self,
        folder: Path,
        name: str = "arxiv",
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
    ) -> None:
        self.path = folder / f"{name}.lock"
        self.sleep = sleep
        self.clock = clock

    @contextlib.contextmanager
    def turn(self, delay: float) -> Iterator[float]:
        """Hold the budget for one request; yields the seconds waited."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _local:  # threads of one process also take turns
            lock = FileLock(self.path)
            lock.acquire(timeout=None)
            fd = lock.fd
            assert fd is not None
            try:
                waited = self._wait(fd, delay)
                try:
                    yield waited
                finally:
                    # The time the request ended: the next one starts at least
                    # ``delay`` later, so the server sees the gap whatever the
                    # latency of either.
                    os.lseek(fd, 0, os.SEEK_SET)
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{self.clock():.6f}\n".encode())
            finally:
                lock.release()

    def _wait(self, fd: int, delay: float) -> float:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 64).decode("ascii", "replace").strip()
        try:
            last = float(raw)
        except ValueError:
            return 0.0  # first request, or a damaged file: nothing to wait for
        # A clock set back must not make us wait longer than one delay.
        remaining = min(delay, last + delay - self.clock())
        if remaining > 0:
            self.sleep(remaining)
            return remaining
        return 0.0
