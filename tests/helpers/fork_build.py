"""Run a forked index build the way the app does, then say whether the
process is still there and what it saw.

The process installs the app's own exit-on-signal handling
(:class:`reader.tui.signals.SignalExit`) on a running asyncio loop, runs a
2-process build in a thread (as the app's worker does), and then, depending
on ``sys.argv[1]``:

* ``cancel``: cancels the build while both workers are busy (the parent then
  terminates them);
* ``kill``: a worker is killed with SIGKILL mid-build (it "crashes");
* ``done``: a normal build to the end.

It prints one JSON line: ``{"ended": <the exit handler ran>, "result": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from typing import Any

from reader.model import Paper
from reader.search.index import bulk as ix_mod
from reader.search.index.schema import make_schema
from reader.tui.signals import SignalExit


def main() -> None:
    mode = sys.argv[1]
    real_write = ix_mod.write_segment

    def slow_write(ix: Any, papers: list[Paper], tick: Any) -> Any:
        # Inherited by the forked workers: busy long enough to be terminated
        # (cancel) or killed (kill) while writing.
        if mode == "kill" and papers[0].id == "2501.00000":
            os.kill(os.getpid(), signal.SIGKILL)
        if mode in ("cancel", "kill"):
            time.sleep(30)
        return real_write(ix, papers, tick)

    ix_mod.write_segment = slow_write
    papers = [
        Paper(id=f"2501.{i:05d}", title=f"Paper number {i}", abstract="words " * 20)
        for i in range(40)
    ]

    async def run() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        ended: list[int] = []
        ending = SignalExit()
        ending.install()
        ending.attach(loop, lambda _sig: ended.append(1))
        calls = {"n": 0}

        def cancelled() -> bool:
            calls["n"] += 1
            return mode == "cancel" and calls["n"] > 1

        def build() -> str:
            from whoosh import index as windex

            # A folder that goes with the run (these were left in /tmp, one a run).
            with tempfile.TemporaryDirectory(prefix="fork-build-") as folder:
                ix = windex.create_in(folder, make_schema())
                try:
                    got = ix_mod._build_segments(ix, papers, 2, None, cancelled)
                except RuntimeError as exc:
                    return f"error: {exc}"
                return "cancelled" if got is None else f"segments: {len(got)}"

        result = await loop.run_in_executor(None, build)
        # Let the loop read its wake-up socket: a signal byte written there by
        # a worker would run the exit handler now.
        for _ in range(10):
            await asyncio.sleep(0.05)
        return {"ended": bool(ended), "result": result}

    print(json.dumps(asyncio.run(run())), flush=True)


if __name__ == "__main__":
    main()
