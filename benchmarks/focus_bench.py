"""Focus changes: ``/`` into the search box and Esc back, key to frame drawn.

Usage::

    python benchmarks/focus_bench.py              # sample_digests, 160x48, 20 of each
    python benchmarks/focus_bench.py PATH --runs 50 --size 80x24

Headless, on the library at PATH (default: the checkout's sample_digests) in
a temporary XDG home. Each run posts ``/`` and waits for the first frame
drawn (``SpanCompositor.after_paint``) in which the footer lists the search
box's keys, then posts Esc and waits for the frame in which it lists the
list's keys again. Reported: p50 and max of each, in ms, with the load.

Textual's ``Footer`` mounted a new widget per key at each focus change (a
layout and a full frame); the reader's own footer draws one line again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def footer_text(app: object) -> str:
    """What the footer lists now (Textual's ``Footer`` too, for a before)."""
    from textual.widgets._footer import FooterKey  # a before/after figure only

    footer = app.screen.query_one("#footer")  # type: ignore[attr-defined]
    keys = list(footer.query(FooterKey))
    if keys:
        return " ".join(f"{k.key_display} {k.description}" for k in keys)
    return str(footer.text)


def run(path: Path, runs: int, size: tuple[int, int]) -> dict[str, list[float]]:
    from textual import events

    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths
    from reader.session import Session
    from reader.state import StateStore
    from reader.tui.app import DigestApp

    home = Path(tempfile.mkdtemp(prefix="focus-bench-"))
    paths = Paths(home / "config", home / "data", home / "cache")
    config = Config(read_after_seconds=0)
    library = open_library(paths, config, extra=[path], use_cache=False)
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(Session(paths, config, library=library, state=state))
    out: dict[str, list[float]] = {"slash": [], "escape": []}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.5)

            def drawn(ready: Callable[[], bool]) -> asyncio.Future[float]:
                when: asyncio.Future[float] = loop.create_future()

                def check() -> None:
                    if not when.done():
                        if ready():
                            when.set_result(time.perf_counter())
                        else:
                            app.main.compositor.after_paint(check)

                app.main.compositor.after_paint(check)
                return when

            async def one(key: str, shows: Callable[[str], bool]) -> float:
                frame = drawn(lambda: shows(footer_text(app)))
                t0 = time.perf_counter()
                app.post_message(events.Key(key, None))
                t1 = await asyncio.wait_for(frame, 5.0)
                await pilot.pause(0.1)  # let the rest settle (a cursor blink, a search)
                return (t1 - t0) * 1000

            for _ in range(runs):
                out["slash"].append(await one("slash", lambda t: "Star" not in t))
                out["escape"].append(await one("escape", lambda t: "Star" in t))

    asyncio.run(main())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("path", nargs="?", type=Path, default=REPO / "sample_digests")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--size", default="160x48")
    args = ap.parse_args()
    w, h = (int(n) for n in args.size.split("x"))
    times = run(args.path, args.runs, (w, h))
    for key, ms in times.items():
        print(
            f"{key:>7}: p50 {statistics.median(ms):5.1f} ms  max {max(ms):5.1f} ms"
            f"  ({len(ms)} runs, {args.size})"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
