"""UI benchmark: process start to first paint, and cursor moves, at 54 and 100k papers.

Usage::

    python benchmarks/ui_bench.py             # 54 and 100000 papers
    python benchmarks/ui_bench.py 54 20000    # other sizes

Each size runs in a fresh process (so imports count), headless at 160x48, on a
synthetic library (papers made in memory, as the library's JSON cache would
give them) with an empty state file and no index (the index builds in a
background thread and never delays the first paint). Reported per size:

* ``imports``: process start to ``reader.tui.app`` imported;
* ``first paint``: process start to the main screen's first frame (excluding
  the time spent making the synthetic papers);
* ``j cpu``/``k cpu``: the mean CPU time of one cursor move (key event,
  cursor move, list rows redrawn, abstract pane updated, screen update), over
  1000 presses, minus the CPU time of a key with no binding (Pilot waits for
  the app to be idle after each key, a wall-clock wait of its own: ``j wall``
  and ``idle key`` show the wall time per press with and without a move);
* ``G``/``g``: one jump to the last/first paper (wall time, with Pilot's wait).

Targets: first paint <= 1 s at 100k, a cursor move < 16 ms on average.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
MOVES = 1000
SIZE = (160, 48)

WORDS = [
    "diffusion",
    "transformer",
    "attention",
    "sparse",
    "graph",
    "neural",
    "network",
    "language",
    "model",
    "retrieval",
    "video",
    "robot",
    "policy",
    "reinforcement",
    "learning",
    "scaling",
    "law",
    "token",
    "benchmark",
    "dataset",
    "reasoning",
    "agent",
    "vision",
    "multimodal",
    "efficient",
    "training",
]


def synthetic(n: int) -> object:
    """A Library of ``n`` papers over n/50 days."""
    import random

    from reader.library import Library
    from reader.model import Link, Paper

    rnd = random.Random(7)
    lib = Library()
    days = max(1, n // 50)
    for i in range(n):
        day = f"{2015 + (i % days) // 365:04d}-{1 + (i % days) // 31 % 12:02d}-{1 + (i % days) % 28:02d}"
        title = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 12))).title()
        abstract = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(80, 200)))
        pid = f"{2000 + i // 100000}.{i % 100000:05d}"
        lib.papers[pid] = Paper(
            id=pid,
            title=title,
            authors=[f"Author {j}" for j in range(rnd.randint(1, 8))],
            abstract=abstract,
            links=[
                Link("abs", f"https://arxiv.org/abs/{pid}"),
                Link("pdf", f"https://arxiv.org/pdf/{pid}"),
            ],
            tags=["cs.LG"],
            dates=[day],
            arxiv_id=pid,
            upvotes=rnd.randint(0, 200),
        )
    return lib


def child(n: int) -> dict[str, float]:
    import asyncio

    from reader.tui.app import DigestApp

    t_imports = time.perf_counter() - T0
    g0 = time.perf_counter()
    library = synthetic(n)
    gen = time.perf_counter() - g0

    from reader.config import Config
    from reader.paths import Paths
    from reader.state import StateStore

    tmp = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    paths = Paths(tmp / "config", tmp / "data", tmp / "cache")
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(library, state, config=Config(read_after_seconds=0), paths=paths)
    out: dict[str, float] = {"papers": float(n), "imports_s": t_imports, "generate_s": gen}

    async def run() -> None:
        painted = asyncio.get_running_loop().create_future()

        def first_paint() -> None:
            if not painted.done():
                painted.set_result(time.perf_counter())

        async with app.run_test(size=SIZE) as pilot:
            app.main.call_after_refresh(first_paint)
            t_paint = await painted
            await pilot.pause()
            out["first_paint_s"] = t_paint - T0 - gen
            plist = app.main.papers
            assert plist.virtual_size.height == n
            # Pilot waits for the app to go idle after each key (a wall-clock
            # wait of its own), so a key with no binding is the baseline: the
            # CPU time above it is the cost of the move itself.
            for key, label in (("z", "baseline"), ("j", "move_down"), ("k", "move_up")):
                t, c = time.perf_counter(), time.process_time()
                for _ in range(MOVES):
                    await pilot.press(key)
                out[label + "_wall_ms"] = (time.perf_counter() - t) / MOVES * 1000
                out[label + "_cpu_ms"] = (time.process_time() - c) / MOVES * 1000
            assert plist.cursor == 0
            t = time.perf_counter()
            await pilot.press("G")
            out["jump_last_ms"] = (time.perf_counter() - t) * 1000
            assert plist.cursor == n - 1
            t = time.perf_counter()
            await pilot.press("g")
            out["jump_first_ms"] = (time.perf_counter() - t) * 1000

    asyncio.run(run())
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(child(int(argv[1]))))
        return 0
    sizes = [int(a) for a in argv] or [54, 100_000]
    env = dict(os.environ)
    print(
        f"{'papers':>8} {'imports':>8} {'1st paint':>10} {'j cpu':>8} {'k cpu':>8}"
        f" {'j wall':>8} {'idle key':>9} {'G':>8} {'g':>8}"
    )
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        base = r["baseline_cpu_ms"]
        print(
            f"{n:>8} {r['imports_s']:>7.2f}s {r['first_paint_s']:>9.2f}s"
            f" {r['move_down_cpu_ms'] - base:>6.1f}ms {r['move_up_cpu_ms'] - base:>6.1f}ms"
            f" {r['move_down_wall_ms']:>6.1f}ms {r['baseline_wall_ms']:>7.1f}ms"
            f" {r['jump_last_ms']:>6.1f}ms {r['jump_first_ms']:>6.1f}ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
