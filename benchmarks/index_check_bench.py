"""What the index's checksums cost: hashing at build and commit, checking at open.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/index_check_bench.py               # 100k papers
    .venv/bin/python benchmarks/index_check_bench.py --real        # the real digests, whole
    .venv/bin/python benchmarks/index_check_bench.py --papers 20000

Corpus: the real bulk arXiv corpus topped up to ``--papers`` with generated
papers (as ``search_bench.py``), or with ``--real`` every digest of
``../shared/real_digests`` read by the library. Prints, with the load beside
the figures: the index's size on disk; the build, and the part of it spent
listing and hashing the files; opening the index as before the checks
(baseline, checks switched off), with every file hashed (no marker: the
first open after a copy or restore), and with the marker (every later open:
``stat`` only); reading the same bytes without a checksum (the baseline of
the hashing); a sync of 50 changed papers and the part spent on the list.
The files are in the page cache (just written): a cold disk adds its read
time, which Whoosh's open pays too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from reader.model import Paper  # noqa: E402
from reader.search.index import SearchIndex, integrity  # noqa: E402
from reader.search.index import store as store_mod  # noqa: E402

SHARED = Path(os.environ.get("DIGEST_READER_SHARED", ROOT.parent / "shared"))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn: Callable[[], object], runs: int = 5) -> float:
    """The median of ``runs`` calls, in seconds."""
    got = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        got.append(time.perf_counter() - t)
    return statistics.median(got)


def corpus(args: argparse.Namespace) -> tuple[dict[str, Paper], str]:
    if args.real:
        from reader.config import Config
        from reader.library import open_library
        from reader.paths import Paths

        lib = open_library(
            Paths.from_env(), Config(), [SHARED / "real_digests"], use_cache=False
        ).load_rest()
        return dict(lib.papers), f"the real digests whole ({len(lib.papers)} papers)"
    from search_bench import BULK, load_bulk, top_up

    papers: dict[str, Paper] = load_bulk(BULK, args.papers) if BULK.is_file() else {}
    real = len(papers)
    top_up(papers, args.papers)
    return papers, f"{real} real bulk papers + {len(papers) - real} generated"


def open_index(folder: Path) -> None:
    index = SearchIndex(folder)
    assert index.usable, (index.problem, index.detail)
    index.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--real", action="store_true", help="the real digests, whole")
    args = ap.parse_args()
    papers, source = corpus(args)
    print(f"corpus: {source}; load {load()}")
    work = Path(tempfile.mkdtemp(prefix="index-check-bench-"))
    try:
        folder = work / "index"
        index = SearchIndex(folder)
        spent: list[float] = []
        real_listing = store_mod.listing

        def listing_timed(*a: object, **k: object) -> object:
            t = time.perf_counter()
            try:
                return real_listing(*a, **k)  # type: ignore[arg-type]
            finally:
                spent.append(time.perf_counter() - t)

        store_mod.listing = listing_timed  # type: ignore[assignment]
        t = time.perf_counter()
        report = index.rebuild(papers)
        build_s = time.perf_counter() - t
        assert not report.error, report.error
        gen = folder / (folder / "CURRENT").read_text().strip()
        files = [p for p in gen.iterdir() if integrity.listed(p.name)]
        size = sum(p.stat().st_size for p in files)
        print(f"index: {len(files)} files, {size / 1e6:.1f} MB; load {load()}")
        print(
            f"full build: {build_s:.1f} s, of which listing and hashing the files"
            f" {spent[-1] * 1000:.0f} ms; load {load()}"
        )
        index.close()

        def read_all() -> None:
            for p in files:
                with open(p, "rb") as fh:
                    while fh.read(1 << 20):
                        pass

        def crc_all() -> None:
            for p in files:
                integrity.crc_file(p)

        read_s = timed(read_all)
        crc_s = timed(crc_all)
        print(
            f"read every byte: {read_s * 1000:.0f} ms; CRC32 of every byte {crc_s * 1000:.0f} ms"
            f" ({size / 1e9 / crc_s:.2f} GB/s); load {load()}"
        )
        marker = gen / integrity.VERIFIED_NAME

        real_verify = store_mod.verify
        store_mod.verify = lambda folder, files: ""  # type: ignore[assignment]
        base_s = timed(lambda: open_index(folder))
        store_mod.verify = real_verify

        def cold() -> None:
            marker.unlink(missing_ok=True)
            open_index(folder)

        old_racy = integrity.RACY_NS
        integrity.RACY_NS = 0  # the files are seconds old: let the marker remember them
        cold_s = timed(cold)
        open_index(folder)  # leaves the marker
        warm_s = timed(lambda: open_index(folder))
        integrity.RACY_NS = old_racy
        print(
            f"open (a searcher, fast postings mapped): without checks {base_s * 1000:.0f} ms,"
            f" hashing every file {cold_s * 1000:.0f} ms, with the marker {warm_s * 1000:.0f} ms;"
            f" load {load()}"
        )

        index = SearchIndex(folder)
        assert index.usable
        changed = dict(papers)
        for pid in list(changed)[:50]:
            p = changed[pid]
            changed[pid] = Paper(
                id=pid, title=p.title + " revised", abstract=p.abstract, authors=p.authors,
                dates=p.dates,
            )  # fmt: skip
        spent.clear()
        t = time.perf_counter()
        report = index.sync(changed)
        sync_s = time.perf_counter() - t
        assert report.updated == 50 and not report.rebuilt, report
        print(
            f"sync of 50 changed papers: {sync_s * 1000:.0f} ms, of which the list of files"
            f" {sum(spent) * 1000:.1f} ms; load {load()}"
        )
        index.close()

        # What the engine pays to tell papers the index holds with other text
        # (stale_ids): given the version synced, nothing per paper; without a
        # version, every paper hashed once per paper object.
        from reader.library import Version

        index = SearchIndex(folder)
        version = Version("bench-key")
        index.sync(changed, version=version)
        index.close()
        index = SearchIndex(folder)  # a new process: no hashes cached
        with_version = timed(lambda: index.stale_ids(changed, version), 3)
        t = time.perf_counter()
        index.stale_ids(changed, None)
        cold = time.perf_counter() - t
        warm = timed(lambda: index.stale_ids(changed, None), 3)
        print(
            f"papers held with other text ({len(changed)} papers): given the version"
            f" {with_version * 1000:.1f} ms; without one {cold * 1000:.0f} ms the first time,"
            f" {warm * 1000:.0f} ms after; load {load()}"
        )
        index.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
