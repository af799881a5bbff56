"""How long the library takes to load: the first full read, a second start when
nothing changed, and a start after one file changed (issue 3, point 6).

    python benchmarks/load_bench.py [--corpus PATH]

By default the bulk arXiv corpus in ../shared/real_digests/arxiv_metadata/ is
unpacked into a temporary folder of 410 daily JSONL files (the shape of a real
library); the script prints each figure. Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BULK = (
    REPO.parent
    / "shared/real_digests/arxiv_metadata/daily-arXiv-ai-enhanced_2025-03-18_to_2026-07-01_raw.tar.gz"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=BULK)
    args = ap.parse_args()
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus} (it lives in ../shared/real_digests)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="dr-load-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(work / var.lower())
    library = work / "library"
    library.mkdir()
    with tarfile.open(args.corpus) as tf:
        tf.extractall(library, filter="data")
    files = sorted(library.rglob("*.jsonl"))
    lines = sum(sum(1 for _ in f.open("rb")) for f in files)

    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    def load(label: str) -> None:
        started = time.perf_counter()
        lib = open_library(Paths.from_env(), Config(), [library])
        took = time.perf_counter() - started
        errors = sum(1 for p in lib.problems if p.severity == "error")
        print(
            f"{label:<34} {took:7.2f} s   papers {len(lib.papers):>7,}   "
            f"parsed {lib.stats.parsed:>4}  cached {lib.stats.cached:>4}  errors {errors}"
        )

    print(f"corpus: {len(files)} files, {lines:,} lines ({args.corpus.name})")
    load("first full load (nothing cached)")
    load("second start (nothing changed)")
    victim = files[len(files) // 2]
    os.utime(victim, ns=(time.time_ns(), time.time_ns()))
    load("start after one file changed")
    load("start after that (nothing changed)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak RSS {rss} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
