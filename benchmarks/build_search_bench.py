"""Search while the first index builds (issue 12, item 5): queries answer from
a scan of the papers not indexed yet, within the app's budget, the count
"about" until the build is done.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/build_search_bench.py            # the real digests
    .venv/bin/python benchmarks/build_search_bench.py --per-shape 3

Over the real digests of ``../shared/real_digests`` (91,713 papers; their
parse cache lives in ``--home``, so the second run starts at once), as the
app does it: a full index build in a thread (its 2 forked processes), the
papers' text folded for the scan in another thread (``prepare_scan``), and
meanwhile the query shapes of ``search_bench.py`` over the real titles, one
after another, each with the app's ``SCAN_BUDGET``, until the build ends.
Prints engine time per shape and in all (p50/p95/max), how many counts said
"about", how soon a scan stops once a newer query comes (``cancelled``
turning true 30 ms into a query), and, in the same run, the baseline: the
same queries scanning every paper (no budget, the exact count), and after
the build the index's exact counts against the estimates.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_bench import make_queries, pct, shape_queries  # noqa: E402

from reader.config import Config  # noqa: E402
from reader.library import open_library  # noqa: E402
from reader.paths import Paths  # noqa: E402
from reader.search.engine import Cancelled, SearchEngine  # noqa: E402
from reader.search.index import SearchIndex  # noqa: E402
from reader.search.query import QueryError  # noqa: E402
from reader.tui.app import SCAN_BUDGET  # noqa: E402

SHARED = Path(os.environ.get("DIGEST_READER_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "real_digests"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def figures(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{pct(values, 0.5):7.1f} {pct(values, 0.95):7.1f} {max(values):7.1f}"


def timed(engine: SearchEngine, text: str, **kw: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    try:
        got = engine.search(text, limit=1000, **kw)
    except QueryError:
        got = None
    return (time.perf_counter() - t) * 1000, got


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--home", type=Path, default=Path("/tmp/build-search-bench"))
    ap.add_argument("--per-shape", type=int, default=6, help="queries of each shape")
    ap.add_argument("--baseline", type=int, default=12, help="queries scanned in full")
    args = ap.parse_args()

    home = args.home
    paths = Paths(home / "config", home / "data", home / "cache")
    t = time.perf_counter()
    library = open_library(paths, Config(), extra=[REAL])
    papers = library.papers
    print(f"real digests: {len(papers)} papers, read in {time.perf_counter() - t:.1f} s")
    print(f"load average before: {load()}")
    plan = [
        (shape, text)
        for shape, texts in shape_queries(make_queries(dict(papers), 300), args.per_shape).items()
        for text in texts
    ]
    # Round robin over the shapes, so that every shape runs early and late.
    by_shape: dict[str, list[str]] = {}
    for shape, text in plan:
        by_shape.setdefault(shape, []).append(text)
    order = [(s, ts[i]) for i in range(args.per_shape) for s, ts in by_shape.items() if i < len(ts)]

    folder = home / "index"
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    index = SearchIndex(folder)
    engine = SearchEngine(library, None, index)
    engine.scan_budget = SCAN_BUDGET

    built: dict[str, float] = {}
    forked = threading.Event()

    def build() -> None:
        t0 = time.monotonic()
        # As the app: the folding starts at the first progress, once the
        # build's processes are forked.
        report = index.sync(papers, lambda done, total: forked.set())
        built["seconds"] = time.monotonic() - t0
        built["error"] = bool(report.error)

    folded: dict[str, float] = {}

    def fold() -> None:
        t0 = time.monotonic()
        forked.wait()
        engine.prepare_scan()
        folded["seconds"] = time.monotonic() - t0

    start = time.monotonic()
    builder = threading.Thread(target=build)
    builder.start()
    folder_thread = threading.Thread(target=fold)
    folder_thread.start()

    during: dict[str, list[float]] = {}
    every: list[float] = []
    about = 0
    runs = 0
    estimates: dict[str, list[int]] = {}
    stops: list[float] = []
    full: list[float] = []
    i = 0
    while builder.is_alive():
        shape, text = order[i % len(order)]
        i += 1
        if i % 10 == 0:
            # A newer key 30 ms into this query: how soon does its scan stop?
            flag_at = time.monotonic() + 0.03
            t0 = time.perf_counter()
            with contextlib.suppress(Cancelled, QueryError):
                engine.search(text, limit=1000, cancelled=lambda at=flag_at: time.monotonic() > at)
            ended = time.monotonic()
            if ended > flag_at and (time.perf_counter() - t0) > 0.03:
                stops.append((ended - flag_at) * 1000)
            continue
        if (
            "seconds" in folded
            and len(full) < args.baseline
            and shape.startswith(("plain", "typed"))
        ):
            engine.scan_budget = None  # the baseline: every paper scanned, the count exact
            ms, _ = timed(engine, text)
            engine.scan_budget = SCAN_BUDGET
            full.append(ms)
        ms, got = timed(engine, text)
        if got is None or not builder.is_alive():
            continue
        during.setdefault(shape, []).append(ms)
        every.append(ms)
        runs += 1
        about += not got.exact
        estimates.setdefault(text, []).append(got.total)
    builder.join()
    folder_thread.join()
    print(f"build: {built.get('seconds', 0):.1f} s (error: {built.get('error')}); "
          f"text folded for the scan {folded.get('seconds', 0):.1f} s after the start; "
          f"typing for {time.monotonic() - start:.0f} s")  # fmt: skip
    print(f"load average after the build: {load()}")

    errors: list[float] = []
    for text, totals in estimates.items():
        exact = engine.search(text, limit=50).total
        if exact:
            errors.extend(abs(n - exact) / exact for n in totals)

    print()
    print(f"engine ms during the build, the app's budget {SCAN_BUDGET * 1000:.0f} ms, top 1000")
    print(f"{'shape':40} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7}")
    for shape, values in during.items():
        print(f"{shape:40} {len(values):4d} {figures(values)}")
    print(f"{'every query':40} {len(every):4d} {figures(every)}")
    print()
    print(f"counts said 'about': {about} of {runs}")
    if errors:
        print(
            f"estimate vs the exact count after the build: median error"
            f" {statistics.median(errors) * 100:.0f} %, p95 {pct(errors, 0.95) * 100:.0f} %"
        )
    print(f"a scan stopped this long after a newer query came (ms, {len(stops)} queries): "
          f"{figures(stops)}")  # fmt: skip
    print(f"baseline, same run: every paper scanned, exact count (ms, {len(full)} plain and "
          f"typed queries after the text was folded): {figures(full)}")  # fmt: skip
    print(f"load average at the end: {load()}")
    index.close()


if __name__ == "__main__":
    main()
