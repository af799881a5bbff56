"""Field prefixes typed into the installed app in tmux, over a prepared library.

Usage::

    python benchmarks/app_memory_bench.py --papers 1000000 --template /tmp/tpl  # once
    python benchmarks/typing_fields_bench.py --template /tmp/tpl

``au:``/``abs:`` words and plain words typed a key at a time (10 a second)
into ``digest-reader`` (the installed command, next to this Python) in tmux
at 200x50, over the library that ``app_memory_bench.py --template`` keeps
(its config, data and cache folders, its generated digests): the time from
each key to the screen showing its results, as ``typing_bench.py --tmux``
measures it (the app's log of what it painted). Each word's every key is
printed, then p50/p95/max over all keys, with the load average.
``typing_bench.py`` builds its own library (at 1M papers: its index first);
this one reuses the 1M library of the memory benchmark.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import typing_bench as tb  # noqa: E402

WORDS = ["abs:pretraining", "au:zhang", "abs:transformer", "la", "abs:compression", "au:wang",
         "abs:diffusion", "abs:reinforcement", "au:chen", "lan", "abs:contrastive", "au:kim",
         "language", "abs:distillation", "au:liu", "abs:image"]  # fmt: skip


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--template", type=Path, required=True, help="app_memory_bench's --template")
    ap.add_argument("--rate", type=float, default=10.0, help="keys per second")
    args = ap.parse_args(argv)
    tpl = args.template
    if not (tpl / "k").is_dir() or not (tpl / "generated").is_dir():
        print(f"{tpl}: not a library of app_memory_bench.py --template (run that first)")
        return 2
    home = Path(tempfile.mkdtemp(prefix="typing-fields-"))
    for name, short in (("config", "c"), ("data", "d"), ("cache", "k")):
        (home / name).symlink_to(tpl / short)
    print(f"load average before: {tb.loadavg()}")
    plan = [("typed", w) for w in WORDS]
    done, info = tb.run_tmux(home, plan, args.rate, (200, 50), tpl / "generated")
    print(f"first paint {info['first_paint_s']:.2f} s (tmux, from the command to the list)")
    every: list[float] = []
    for typed in done:
        lat = typed.latencies()
        every += [x * 1000 for x in lat if x is not None]
        keys = " ".join(
            f"{text}:{'-' if x is None else round(x * 1000)}"
            for (_, text), x in zip(typed.keys, lat, strict=True)
        )
        print(f"  {keys}")
    every.sort()
    print(
        f"{len(every)} keys, key to screen p50 {tb.pct(every, 0.5):.1f} ms, p95"
        f" {tb.pct(every, 0.95):.1f} ms, max {every[-1]:.1f} ms; load average {tb.loadavg()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
