"""First open with an empty cache (issue 13, point 3): how soon the papers
are there, and how long until the library is whole and indexed.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/first_open_bench.py                  # the real digests
    .venv/bin/python benchmarks/first_open_bench.py --generated 100000
    .venv/bin/python benchmarks/first_open_bench.py --no-index       # skip the index build
    .venv/bin/python benchmarks/first_open_bench.py --code /tmp/main  # another checkout's reader

Each run uses fresh cache folders. It measures, in this one process:

* the app's first read, as its worker does it (``Session.read_first`` with
  :class:`reader.reading.SoFar` and the list made at most every 0.5 s): the
  first digest read, the first list with papers (what the screen shows then),
  every file parsed, the catalog written, the library opened again as a warm
  start does and read whole (what the app takes over), the index built; as
  the app builds it: from the papers in hand, in a thread, while the catalog
  is written (``Session.read_first``'s ``parsed``), then synced with the
  library taken over; a reader without ``parsed`` (``--code`` of an older
  checkout) builds it after, over the library taken over;
* before this change, what the app waited for before its first screen: the
  same digests read whole by ``open_library`` (another fresh cache);
* SQLite FTS5 alone loading the same papers (one table, porter tokenizer).

The app's own first screen (before any digest is read) is not measured here:
it is the app's start, the same with or without a cache (the tmux figures in
the README give it). Prints the machine's load beside the figures, and the
CPU time of this process and of its children (the build's processes): on a
busy machine the wall clock says more of the load than of the code.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT
if "--code" in sys.argv:  # the reader measured: another checkout's (before/after)
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from reader.config import Config  # noqa: E402
from reader.library import Library, gc_paused, open_library  # noqa: E402
from reader.model import Digest  # noqa: E402
from reader.paths import Paths  # noqa: E402
from reader.reading import SoFar  # noqa: E402
from reader.session import Session  # noqa: E402
from reader.tui.app import READ_REFRESH, prepare_list  # noqa: E402

sys.path.insert(0, str(HERE / "benchmarks"))
from ui_bench import WORDS  # noqa: E402  # the made-up vocabulary of the other benchmarks

SHARED = Path(os.environ.get("DIGEST_READER_SHARED", HERE.parent / "shared"))
REAL = SHARED / "real_digests"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} / {five:.2f}"


def cpu() -> tuple[float, float]:
    """CPU seconds so far: this process, and its children waited for."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def generate(folder: Path, n: int, seed: int = 13) -> None:
    """``n`` papers: 30 small daily YAML digests of 25 papers, the rest in
    one JSONL file of daily-arXiv-ai-enhanced's shape (the big file)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)

    def text(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k))

    pid = 0
    for day in range(1, 31):
        lines = [f"title: Day {day}", f"date: 2026-09-{day:02d}", "papers:"]
        for _ in range(25):
            pid += 1
            lines += [
                f'  - id: "2609.{pid:05d}"',
                f'    title: "{text(8).title()}"',
                "    authors: [A. Author, B. Author]",
                f'    abstract: "{text(120)}"',
            ]
        (folder / f"2026-09-{day:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (folder / "bulk.jsonl").open("w", encoding="utf-8") as fh:
        while pid < n:
            pid += 1
            rec = {
                "id": f"2{pid // 100000 % 10}{pid // 10000 % 10 + 1:02d}.{pid % 100000:05d}",
                "categories": ["cs.LG"],
                "authors": ["C. Author"],
                "title": text(9).title(),
                "summary": text(150),
            }
            fh.write(json.dumps(rec) + "\n")


def fresh_paths(base: Path, name: str) -> Paths:
    root = base / name
    for sub in ("config", "data", "cache"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CONFIG_HOME"] = str(root / "config")
    os.environ["XDG_DATA_HOME"] = str(root / "data")
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    return Paths.from_env()


def first_read(paths: Paths, config: Config, index: bool) -> tuple[dict[str, float], Library]:
    """The app's first read, stage by stage (seconds from its start)."""
    # As the app opens it: the papers stay in the catalog (``build_app``).
    session = Session(paths, config, index_folder=paths.index_dir, partial=True, lazy_library=True)
    early = "parsed" in inspect.signature(Session.read_first).parameters
    builds: list[threading.Thread] = []
    so_far = SoFar()
    t0 = time.monotonic()
    at: dict[str, float] = {}

    def show(now: bool = False) -> None:
        if not now and not so_far.due(READ_REFRESH):
            return
        start = time.monotonic()
        lib = so_far.library()
        prepare_list(lib)
        so_far.made(time.monotonic() - start)
        if lib.papers and "first list" not in at:
            at["first list"] = time.monotonic() - t0
            at["papers in it"] = len(lib.papers)
        at["lists made"] = at.get("lists made", 0) + 1
        at["making lists"] = at.get("making lists", 0.0) + time.monotonic() - start

    def sink(_path: Path, digest: Digest) -> None:
        at.setdefault("first digest", time.monotonic() - t0)
        so_far.add(digest)
        show()

    def progress(done: int, total: int, _label: str) -> None:
        so_far.at(done, total, _label)
        if done == total:
            at["every file parsed"] = time.monotonic() - t0
        show(now=done in (0, total))

    def parsed(whole: Library) -> None:
        # as the app does: the build in its own thread, from the papers in hand
        def build() -> None:
            session.sync_index(library=whole)
            at["index built (from the papers read)"] = time.monotonic() - t0

        at["every file merged, build started"] = time.monotonic() - t0
        builds.append(threading.Thread(target=build, name="index"))
        builds[-1].start()
        prepare_list(whole)  # the app shows them at once, the catalog written after
        at["every paper listed (in hand)"] = time.monotonic() - t0

    paused = gc_paused() if early else contextlib.nullcontext()
    with paused:  # as the app's worker reads (gc_paused), when it does
        if early and index:
            library = session.read_first(sink, progress, parsed=parsed)
        else:
            library = session.read_first(sink, progress)
    at["catalog written, opened again"] = time.monotonic() - t0
    full = library.load_rest()
    prepare_list(full)
    at["whole library taken over"] = time.monotonic() - t0
    session.replace_library(full)
    if index:
        for thread in builds:
            thread.join()
        session.sync_index()
        at["index built" if not builds else "index in line with it"] = time.monotonic() - t0
    me, kids = cpu()
    at["cpu: this process"], at["cpu: its children"] = me, kids
    return at, full


def old_open(paths: Paths, config: Config) -> float:
    """What the app waited for before its first screen, before this change."""
    t0 = time.monotonic()
    lib = open_library(paths, config, partial=True)
    prepare_list(lib)
    return time.monotonic() - t0


def fts5(base: Path, library: Library) -> float:
    """SQLite FTS5 alone loading the same papers (search_bench's table),
    imported here, after the read: search_bench brings the engine with it."""
    from search_bench import fts_build

    t0 = time.monotonic()
    fts_build(base / "fts.db", library.papers).close()
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--digests", type=Path, default=REAL, help="folder of digests")
    ap.add_argument("--generated", type=int, default=0, help="generate this many papers instead")
    ap.add_argument("--no-index", action="store_true", help="skip the index build")
    ap.add_argument("--code", type=Path, help="the checkout whose reader/ is measured")
    ap.add_argument("--no-before", action="store_true", help="skip the read whole before the app")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="first-open-"))
    try:
        folder = args.digests
        if args.generated:
            folder = base / "digests"
            generate(folder, args.generated)
        config = Config(library=[folder])
        print(f"digests: {folder} · reader of {ROOT} · {load()} at start")
        at, full = first_read(fresh_paths(base, "new"), config, not args.no_index)
        print(f"\nfirst read, as the app does it ({len(full.papers):,} papers, {load()}):")
        for name, value in at.items():
            shown = f"{value:8.2f} s" if isinstance(value, float) else f"{value:8,}"
            print(f"  {name:36} {shown}")
        if not args.no_before:
            before = old_open(fresh_paths(base, "old"), config)
            print(f"\nbefore: the app's first screen waited {before:.2f} s ({load()})")
        print(f"FTS5 alone, loading the same papers: {fts5(base, full):.2f} s ({load()})")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
