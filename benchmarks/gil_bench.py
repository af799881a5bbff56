"""GIL holds of the conversions over a whole library: one C call against
``reader.slices`` (a slice at a time), in the same process.

Usage::

    python benchmarks/gil_bench.py            # 100,000 ids
    python benchmarks/gil_bench.py 1000000

A thread sleeps 1 ms at a time and records how late it wakes: while the main
thread is inside one C call that never lets the GIL go, it wakes only when
the call ends. Printed for each conversion, done ``ROUNDS`` times: the
sleeper's p99 / max lateness and the conversion's own time, one call and in
slices, and two controls: the lateness while the main thread only sleeps
(the machine's own noise: quote ``uptime`` with the figures) and while it
runs a pure Python loop (the floor of any work in Python: the interpreter
switches threads every ``sys.getswitchinterval()``). An app thread making these
(the reload's worker, the search thread's warm-up) stalls the event loop
for as long as the sleeper is late.

Figures (100,000 ids, 2 shared cores, load 7.2-7.5, two runs; slices of
1,024; with slices of 4,096 the sliced rows were 14-27 ms p99)::

                              one call: late p99 / max   in slices: p99 / max
    (control: a Python loop)   16.8-18.1 / 17.9-20.1 ms
    ids as fixed-width bytes   33.0-80.5 / 34.8-109.5     18.4-23.1 / 18.9-44.3
    days as fixed-width bytes  29.8-31.8 / 32.0-38.3      15.1-19.4 / 19.6-23.8
    ids as an object array     21.2-26.8 / 24.4-37.6      12.8-12.9 / 12.8-14.5
    hashes by id (dict)        55.7-70.4 / 98.8-104.0     18.3-19.4 / 19.5-21.8
    a TLS context made / kept  6.5-7.0 / 12.5-12.9 (86-125 ms of CPU) / 0.1-0.2

The slices bring each conversion down to the floor of plain Python work
(the first control); their own time is the same to +30 % (noise at this
load). The TLS context mostly lets the GIL go, but costs 0.1 s a fetch.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 7


class Sleeper:
    """A thread that wakes every millisecond and keeps its lateness (ms)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.late.append((now - last - 0.001) * 1000)
            last = now

    def __enter__(self) -> Sleeper:
        self._thread.start()
        time.sleep(0.05)
        self.late.clear()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def held(work: Callable[[], Any]) -> tuple[float, float, float]:
    """(p99 and max of the sleeper's lateness, the work's own ms)."""
    spent: list[float] = []
    with Sleeper() as sleeper:
        for _ in range(ROUNDS):
            t = time.perf_counter()
            work()
            spent.append((time.perf_counter() - t) * 1000)
            time.sleep(0.01)
    late = sleeper.late or [0.0]
    late.sort()
    return late[int(0.99 * (len(late) - 1))], late[-1], statistics.median(spent)


def main(argv: list[str]) -> int:
    import numpy as np

    from reader.slices import array_of, dict_of

    n = int(argv[0]) if argv else 100_000
    ids = [f"{2000 + i // 100000}.{i % 100000:05d}" for i in range(n)]
    days = [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}".encode() for i in range(n)]
    hashes = [os.urandom(8).hex() for _ in range(n)]
    print(f"{n:,} ids; load average {os.getloadavg()[0]:.2f}")
    print(f"{'':34} {'one call':>26}   {'in slices':>26}")
    print(f"{'':34} {'late p99 / max, own':>26}   {'late p99 / max, own':>26}")
    control = held(lambda: time.sleep(0.02))
    print(f"{'(control: a sleep)':34} {control[0]:6.1f} / {control[1]:6.1f} ms")

    def python_loop() -> None:
        total = 0
        for i in range(n):
            total += i

    loop = held(python_loop)
    print(
        f"{'(control: a Python loop over ids)':34} {loop[0]:6.1f} / {loop[1]:6.1f},"
        f" {loop[2]:6.1f} ms (switching every {sys.getswitchinterval() * 1000:.0f} ms)"
    )
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("ids as fixed-width bytes", lambda: np.array(ids, "S"), lambda: array_of(ids, "S")),
        ("days as fixed-width bytes", lambda: np.array(days), lambda: array_of(days)),
        ("ids as an object array", lambda: np.array(ids, object), lambda: array_of(ids, object)),
        (
            "hashes by id (dict)",
            lambda: dict(zip(ids, hashes, strict=True)),
            lambda: dict_of(ids, hashes),
        ),
    ]
    for name, one, sliced in cases:
        a, b = held(one), held(sliced)
        print(
            f"{name:34} {a[0]:6.1f} / {a[1]:6.1f}, {a[2]:6.1f} ms"
            f"   {b[0]:6.1f} / {b[1]:6.1f}, {b[2]:6.1f} ms"
        )
    import httpx

    from reader.fetch.http import tls_context

    tls_context()
    made = held(lambda: httpx.create_ssl_context())
    kept = held(tls_context)
    print(
        f"{'a TLS context (made / kept)':34} {made[0]:6.1f} / {made[1]:6.1f}, {made[2]:6.1f} ms"
        f"   {kept[0]:6.1f} / {kept[1]:6.1f}, {kept[2]:6.1f} ms"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
