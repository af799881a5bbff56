"""Library update benchmark: the cache's size after a first read, and what a
new, changed or removed digest costs, over the real digests whole (issue 13,
points 1 and 3), each update checked against a read from scratch.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/update_bench.py            # the real digests
    .venv/bin/python benchmarks/update_bench.py --no-check # skip the scratch reads

Library: a folder of links to every file of ``../shared/real_digests`` and a
generated 50-paper day (its own words; ids shared with the real HF days, so
that its papers merge with theirs). Timed, each in this process with the
catalog on disk: the first read (every file parsed, the catalog written);
adding the day; changing it; removing it; then a read over the unchanged
library. Each update is a command's (``lazy``: rows read as asked). The
baseline, in the same run: the same papers put in one SQLite FTS5 table, and
one day's papers inserted into it (what a reader with no merging would pay).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REAL = ROOT.parent / "shared" / "real_digests"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _day(ids: list[str], title: str) -> str:
    lines = ["title: Generated day", "date: 2026-09-01", "papers:"]
    for n, pid in enumerate(ids):
        lines += [
            f'  - id: "{pid}"',
            f"    title: {title} {n}",
            f"    abstract: Words of a generated abstract, number {n}.",
            f"    upvotes: {n}",
        ]
    return "\n".join(lines) + "\n"


def _view(lib: object) -> tuple[object, ...]:
    papers = lib.papers  # type: ignore[attr-defined]
    return (
        [p.id for p in lib.ordered()],  # type: ignore[attr-defined]
        {pid: dataclasses.asdict(p) for pid, p in papers.items()},
        [dataclasses.astuple(d) for d in lib.digests],  # type: ignore[attr-defined]
        [str(p) for p in lib.problems],  # type: ignore[attr-defined]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-check", action="store_true", help="no read from scratch to compare")
    args = ap.parse_args()
    if not REAL.is_dir():
        raise SystemExit(f"{REAL} is missing")
    work = Path(tempfile.mkdtemp(prefix="update-bench-"))
    for var, name in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "k")):
        os.environ[var] = str(work / name)
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    folder = work / "digests"
    for f in sorted(REAL.rglob("*")):
        if f.is_file() and f.name != "SOURCES.md":
            dst = folder / f.relative_to(REAL)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(f)
    digest_bytes = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    paths, config = Paths.from_env(), Config()

    def read(**kw: object) -> tuple[float, object]:
        t = time.perf_counter()
        lib = open_library(paths, config, [folder], **kw)  # type: ignore[arg-type]
        return time.perf_counter() - t, lib

    print(f"load average: {load()}")
    took, lib = read()
    n = len(lib.papers)  # type: ignore[attr-defined]
    cache = paths.library_cache
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    print(f"first read: {n:,} papers, {took:.1f} s (load {load()})")
    print(
        f"library cache: {size / 2**20:.0f} MB for {digest_bytes / 2**20:.0f} MB of digests "
        f"({size / digest_bytes:.2f}x): "
        + ", ".join(f"{f.name} {f.stat().st_size / 2**20:.1f} MB" for f in sorted(cache.iterdir()))
    )
    hf_ids = sorted(
        p.id
        for p in lib.papers.values()  # type: ignore[attr-defined]
        if any("hf_daily_json" in s for s in p.sources)
    )[:25]
    ids = hf_ids + [f"2609.{k:05d}" for k in range(25)]
    day = folder / "zz-generated-2026-09-01.yaml"
    # The baseline: FTS5 alone, the same papers, one day's papers inserted.
    db = sqlite3.connect(work / "fts.sqlite")
    db.execute("CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract)")
    t = time.perf_counter()
    db.executemany(
        "INSERT INTO papers VALUES (?, ?, ?)",
        ((p.id, p.title, p.abstract) for p in lib.papers.values()),  # type: ignore[attr-defined]
    )
    db.commit()
    built = time.perf_counter() - t
    t = time.perf_counter()
    db.executemany("INSERT INTO papers VALUES (?, ?, ?)",
                   [(pid, f"A new day {k}", "Words.") for k, pid in enumerate(ids)])  # fmt: skip
    db.commit()
    added = time.perf_counter() - t
    db.close()
    fts = (work / "fts.sqlite").stat().st_size
    print(
        f"FTS5 alone: {n:,} papers in {built:.1f} s, {fts / 2**20:.0f} MB "
        f"({fts / digest_bytes:.2f}x); a 50-paper day inserted: {added * 1000:.0f} ms"
    )
    del lib
    steps = [
        ("add a 50-paper day (25 met before)", lambda: day.write_text(_day(ids, "A new day"))),
        (
            "change it",
            lambda: (day.write_text(_day(ids, "A changed day")), os.utime(day, ns=(1, 1))),
        ),  # fmt: skip
        ("remove it", day.unlink),
    ]
    for label, change in steps:
        change()
        took, lib = read(lazy=True)
        line = f"{label}: {took:.2f} s (load {load()})"
        if not args.no_check:
            _, scratch = read(use_cache=False)
            same = _view(lib) == _view(scratch)
            line += f"; the same library as a read from scratch: {same}"
        print(line)
    took, _ = read(lazy=True)
    print(f"unchanged, a command's open: {took * 1000:.0f} ms")

    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
