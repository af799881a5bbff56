"""The abstract pane's ``show``: one paper's text built and laid out, over real papers.

Usage::

    python benchmarks/abstract_bench.py [PATH ...] [--size 160x48] [--rounds 3]

Headless, in the running app (its console, theme and the pane's width at
``--size``), over the papers of the digests at PATH (default: a few files of
../shared/real_digests, about 300 papers). Each round shows every paper
once (``AbstractPane.show``: the parts built, the abstract rendered and
wrapped into strips); reported: p50, p95 and max per call over all rounds,
in ms, how many abstracts took the plain path, and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REAL = REPO.parent / "shared" / "real_digests"
FILES = [
    "hf_daily_json/2024-12-11.json",
    "hf_daily_json/2025-10-03.json",
    "atom/arxiv_api_2026_q_testing_s0_m100_body.xml",
    "rss/dzdydx_arxiv-rss-filter_feed.xml",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[REAL / f for f in FILES])
    ap.add_argument("--size", default="160x48")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(n) for n in args.size.split("x"))

    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths
    from reader.session import Session
    from reader.state import StateStore
    from reader.tui.app import DigestApp
    from reader.tui.widgets import abstract as ab

    home = Path(tempfile.mkdtemp(prefix="abstract-bench-"))
    paths = Paths(home / "config", home / "data", home / "cache")
    config = Config(read_after_seconds=0)
    library = open_library(paths, config, extra=list(args.paths), use_cache=False)
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(Session(paths, config, library=library, state=state))
    papers = list(library.papers.values())
    times: list[float] = []
    is_plain = getattr(ab, "is_plain", lambda _text: False)  # absent before the plain path
    plain = sum(
        bool(is_plain(ab.number_links(ab.tx.block(p.abstract), ab.collect_links(p))))
        for p in papers
    )

    async def run() -> None:
        async with app.run_test(size=(w, h)) as pilot:
            await pilot.pause(0.5)
            pane = app.main.abstract
            for _ in range(args.rounds):
                for paper in papers:
                    t0 = time.perf_counter()
                    pane.show(paper, None)
                    times.append((time.perf_counter() - t0) * 1000)
                pane.show(None, None)

    asyncio.run(run())
    q = statistics.quantiles(times, n=20)
    print(
        f"AbstractPane.show over {len(papers)} papers x {args.rounds} ({args.size}, "
        f"{plain} plain): p50 {statistics.median(times):.2f} ms  p95 {q[18]:.2f} ms  "
        f"max {max(times):.2f} ms"
    )
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
