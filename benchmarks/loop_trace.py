"""What held the event loop: a 1 ms heartbeat on the loop and a sampler
thread that, while the heartbeat is late, records the loop thread's frames
(reader/ and textual/) and the top frame of every other thread busy in
Python. ``app_fetch_bench.py --trace`` prints the stalls it saw, by phase.

A stall with the loop's frames inside reader/ or textual/ is work done on the
loop; one where the loop sits in ``select`` (or ``_run_once``) is the loop
waiting for the GIL, held by the busy threads named beside it. A stall with
no sample at all was one C call holding the GIL throughout (or the process
descheduled by the OS).
"""

from __future__ import annotations

import asyncio
import collections
import sys
import threading
import time
from types import FrameType

#: A heartbeat this late (seconds) is a stall in progress.
LATE = 0.004
#: Top frames of threads waiting, not working (left out of "busy").
IDLE = {"sleep", "wait", "select", "_worker", "acquire", "get", "poll", "accept", "_drop"}


def _frames(frame: FrameType | None, every: bool = False) -> list[str]:
    out = []
    while frame is not None:
        name = frame.f_code.co_filename
        if every or "/reader/" in name or "/textual/" in name:
            short = name.split("/reader/")[-1] if "/reader/" in name else name.split("/")[-1]
            out.append(f"{short}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return out


class LoopTrace:
    """Start on the loop's thread (:meth:`start`), :meth:`stop`, then
    :meth:`stalls`."""

    def __init__(self) -> None:
        self.beat = time.perf_counter()
        self.samples: list[tuple[float, float, str, tuple[str, ...]]] = []
        self._stop = threading.Event()
        self._loop_thread = threading.get_ident()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop_thread = threading.get_ident()

        def tick() -> None:
            self.beat = time.perf_counter()
            if not self._stop.is_set():
                loop.call_later(0.001, tick)

        tick()
        threading.Thread(target=self._sample, name="loop-trace", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _sample(self) -> None:
        me = threading.get_ident()
        while not self._stop.is_set():
            now, beat = time.perf_counter(), self.beat
            if now - beat > LATE:
                frames = sys._current_frames()
                loop_frame = frames.get(self._loop_thread)
                mine = _frames(loop_frame) or _frames(loop_frame, every=True)[:1]
                busy = []
                for ident, f in frames.items():
                    if ident in (me, self._loop_thread) or f.f_code.co_name in IDLE:
                        continue
                    top = _frames(f)[:1] or _frames(f, every=True)[:1]
                    busy += top
                ours = [f for f in mine if not f.startswith("textual/")]
                where = " < ".join(ours[:2] or mine[:2])
                self.samples.append((beat, now, where, tuple(sorted(set(busy)))))
            time.sleep(0.0005)

    def stalls(self, least_ms: float) -> list[tuple[float, float, str]]:
        """(start, length in ms, what was seen) of each stall of at least
        ``least_ms``, oldest first."""
        by_beat: dict[float, list[tuple[float, str, tuple[str, ...]]]] = collections.defaultdict(
            list
        )
        for beat, now, where, busy in self.samples:
            by_beat[beat].append((now, where, busy))
        out = []
        for beat, seen in sorted(by_beat.items()):
            length = (seen[-1][0] - beat) * 1000
            if length < least_ms:
                continue
            counts = collections.Counter(
                f"loop at {where or '?'}" + (f"; busy: {', '.join(busy)}" if busy else "")
                for _, where, busy in seen
            )
            out.append((beat, length, " | ".join(f"{k} x{n}" for k, n in counts.most_common(2))))
        return out


class GilTrace:
    """Who held the GIL: a thread that sleeps 1 ms at a time and, whenever
    it wakes :attr:`least_ms` late (it waited that long for the GIL, or the
    OS did not run the process), records every other thread's frames as it
    finds them then: the thread that just let the GIL go sits on the line
    after its long call (one C call that never releases the GIL: a sort, a
    join, a free of a big container) or inside its Python loop.

    ``app_fetch_bench.py --gil`` prints :meth:`summary` by phase.
    """

    def __init__(self, least_ms: float = 10.0) -> None:
        self.least_ms = least_ms
        #: (when the wait began, how late in ms, busy threads' frames).
        self.samples: list[tuple[float, float, tuple[str, ...]]] = []
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="gil-trace", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        me = threading.get_ident()
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            late = (now - last - 0.001) * 1000
            if late >= self.least_ms:
                names = {t.ident: t.name for t in threading.enumerate()}
                seen = []
                for ident, f in sys._current_frames().items():
                    if ident == me or f.f_code.co_name in IDLE:
                        continue
                    ours = _frames(f)
                    top = _frames(f, every=True)[:1]
                    where = " < ".join((top + [x for x in ours if x not in top])[:4])
                    seen.append(f"[{names.get(ident, '?')}] {where}")
                self.samples.append((last, late, tuple(sorted(seen))))
            last = now

    def summary(self, a: float, b: float, top: int = 12) -> list[str]:
        """The busy threads' frames of the waits that began in ``a..b``,
        longest total first: count, total and max ms."""
        total: dict[tuple[str, ...], list[float]] = collections.defaultdict(list)
        for t, late, seen in self.samples:
            if a <= t < b:
                total[seen].append(late)
        out = []
        for seen, lates in sorted(total.items(), key=lambda kv: -sum(kv[1]))[:top]:
            out.append(
                f"{len(lates):4d}x total {sum(lates):7.1f} ms max {max(lates):6.1f} ms: "
                + (" || ".join(seen) or "(no other thread busy: the OS)")
            )
        return out
