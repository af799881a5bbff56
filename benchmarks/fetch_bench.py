"""Fetch benchmark: one recorded Hugging Face day of 50 papers, from a local
server into a big library, until ``digest-reader search`` finds its papers.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/fetch_bench.py              # 100k papers
    .venv/bin/python benchmarks/fetch_bench.py --papers 20000

Library: the real bulk arXiv corpus from ``../shared/real_digests`` (the
archive itself, read in place: 74,728 papers) topped up to ``--papers`` with
generated papers (fixed seed, written as JSON Lines in a temporary folder);
the index is built once first (not timed). Then, for each of three real
50-paper days of ``/api/daily_papers`` (from the recorded archive), served by
a local HTTP server: ``digest-reader fetch hf --date D`` and then
``digest-reader search ID --json`` (each a new process, as a user types them)
until a paper of that day is found with that day. Printed: each step's wall
time, the network part (the server's time from each request's arrival to its
answer), and the time a new process takes to open the library right after the
fetch (measured on a hard-linked copy of the library cache, so the search
that follows still finds the cache as the fetch left it).

``--template DIR`` keeps the prepared library and its index in DIR (made on
the first run, copied on the next ones), so a before/after comparison pays
for the 100k-paper index build once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.search_bench import BULK, load_bulk, top_up  # noqa: E402
from tests.fetch_server import ReplayServer, Reply, Seen  # noqa: E402

SHARED = BULK.parents[2]
HF_ARCHIVE = SHARED / "real_digests/hf_daily_json/hf_daily_papers_2024-05-27_to_2026-08-21.tar.gz"
DAYS = ("2026-05-13", "2026-05-12", "2025-09-30")  # the three recorded days of 50 papers
EXE = str(Path(sys.executable).with_name("digest-reader"))


def recorded_days() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(HF_ARCHIVE, "r:gz") as tf:
        for m in tf:
            day = Path(m.name).stem
            if m.isfile() and day in DAYS:
                fh = tf.extractfile(m)
                if fh is not None:
                    out[day] = fh.read()
    return out


def write_generated(folder: Path, n: int) -> int:
    """Top the bulk corpus up to ``n`` papers; the generated ones as JSONL."""
    papers = load_bulk(BULK, n) if BULK.is_file() else {}
    new = top_up(papers, n)
    folder.mkdir(parents=True, exist_ok=True)
    chunk = 5000
    for i in range(0, len(new), chunk):
        with open(folder / f"2025-01-{i // chunk + 1:02d}.jsonl", "w", encoding="utf-8") as fh:
            for pid in new[i : i + chunk]:
                p = papers[pid]
                rec = {"id": pid, "title": p.title, "summary": p.abstract, "authors": p.authors,
                       "categories": p.tags}  # fmt: skip
                fh.write(json.dumps(rec) + "\n")
    return len(new)


OPEN = """
import sys, time
from reader.config import load_config
from reader.library import open_library
from reader.paths import Paths
paths = Paths.from_env()
t = time.perf_counter()
lib = open_library(paths, load_config(paths.config_file), lazy=True)
took = time.perf_counter() - t
print(f"{took:.3f} {lib.stats.parsed} {len(lib.papers)}")
"""


def open_time(env: dict[str, str], work: Path) -> tuple[float, int]:
    """Seconds a new process takes to open the library (and files parsed),
    on a hard-linked copy of the library cache: the real one stays as it was."""
    scratch = work / "k-open"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "digest-reader").mkdir(parents=True)
    lib_cache = work / "k" / "digest-reader" / "library"
    if lib_cache.is_dir():
        subprocess.run(["cp", "-al", str(lib_cache), str(scratch / "digest-reader")], check=True)
        # the parse caches are replaced whole when written (a link is safe);
        # the catalog is written in place: a copy of its own
        for name in ("catalog.sqlite", "catalog.sqlite-wal"):
            copy = scratch / "digest-reader" / "library" / name
            if copy.exists():
                copy.unlink()
                shutil.copy2(lib_cache / name, copy)
    done = subprocess.run(
        [sys.executable, "-c", OPEN],
        env={**env, "XDG_CACHE_HOME": str(scratch)},
        capture_output=True,
        text=True,
        check=True,
    )
    took, parsed, _ = done.stdout.split()
    shutil.rmtree(scratch, ignore_errors=True)
    return float(took), int(parsed)


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run([EXE, *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return took, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--template", type=Path, help="keep/reuse the prepared library here")
    args = ap.parse_args()
    if not HF_ARCHIVE.is_file():
        raise SystemExit(f"the recorded HF days are not at {HF_ARCHIVE}")
    days = recorded_days()
    tpl = args.template
    if tpl is None:
        work = Path(tempfile.mkdtemp(prefix="fetch-bench-"))
    else:  # always the same folder: the caches are keyed by absolute paths
        work = tpl / "run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    saved = None if tpl is None else tpl / "saved"
    server = ReplayServer().start()
    served: list[float] = []

    def route(seen: Seen) -> Reply:
        t = time.perf_counter()
        body = (
            days.get(seen.query.get("date", ""), b"[]")
            if seen.query.get("p", "0") == "0"
            else b"[]"
        )
        served.append(time.perf_counter() - t)  # building the answer
        return Reply(body)

    server.routes["/api/daily_papers"] = route
    try:
        env = {**os.environ}
        for var, name in (
            ("XDG_CONFIG_HOME", "c"),
            ("XDG_DATA_HOME", "d"),
            ("XDG_CACHE_HOME", "k"),
        ):
            env[var] = str(work / name)
        gen = work / "generated"
        if saved is not None and (saved / "ready").is_file():
            for name in ("c", "d", "k", "generated"):
                if (saved / name).exists():
                    subprocess.run(["cp", "-a", str(saved / name), str(work / name)], check=True)
            # the library as it was prepared (the caches are keyed by its paths)
            cfg_text = (work / "c" / "digest-reader" / "config.yaml").read_text(encoding="utf-8")
            library = json.loads(cfg_text.splitlines()[0].partition(":")[2])
            print(f"library: as prepared earlier in {saved}")
        else:
            t = time.perf_counter()
            n_gen = write_generated(gen, args.papers)
            library = [str(BULK), str(gen)] if BULK.is_file() else [str(gen)]
            cfg = work / "c" / "digest-reader" / "config.yaml"
            cfg.parent.mkdir(parents=True)
            cfg.write_text(
                f"library: {json.dumps(library)}\n"
                f"fetch:\n  sources: {{hf: {{kind: hf-daily}}}}\n  endpoints: {{hf: {server.url}}}\n",
                encoding="utf-8",
            )
            print(
                f"library: bulk corpus + {n_gen:,} generated papers (written in {time.perf_counter() - t:.1f} s)"
            )
            took, out = run(env, "index")
            print(f"warm-up: digest-reader index: {took:.1f} s: {out.strip()}")
            if saved is not None:
                shutil.rmtree(saved, ignore_errors=True)
                saved.mkdir(parents=True)
                for name in ("c", "d", "k", "generated"):
                    if (work / name).exists():
                        subprocess.run(
                            ["cp", "-a", str(work / name), str(saved / name)], check=True
                        )
                (saved / "ready").write_text("", encoding="utf-8")
        cfg = work / "c" / "digest-reader" / "config.yaml"
        cfg.write_text(
            f"library: {json.dumps(library)}\n"
            f"fetch:\n  sources: {{hf: {{kind: hf-daily}}}}\n  endpoints: {{hf: {server.url}}}\n",
            encoding="utf-8",
        )
        if saved is not None:
            # the catalog as this version writes it, from the parse caches
            for name in ("library.snapshot", "catalog.sqlite", "catalog.sqlite-wal"):
                (work / "k" / "digest-reader" / "library" / name).unlink(missing_ok=True)
            took, out = run(env, "index")
            print(f"warm-up: digest-reader index: {took:.1f} s: {out.strip()}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print(
            "| day | fetch (process) | of which the server | open library after it "
            "| search until found (process) | total |"
        )
        print("|---|---|---|---|---|---|")
        for day in DAYS:
            records = json.loads(days[day])
            pid = records[-1]["paper"]["id"]
            t0 = time.perf_counter()
            before = len(server.seen)
            fetch_s, out = run(env, "fetch", "hf", "--date", day, "--json")
            result = json.loads(out)
            network = sum(s.done - s.at for s in server.seen[before:])
            t_open = time.perf_counter()
            open_s, parsed = open_time(env, work)
            t0 += time.perf_counter() - t_open  # not part of the user's wait
            search_s, out = run(env, "search", pid, "--json")
            hits = json.loads(out)
            total = time.perf_counter() - t0
            found = any(h["id"] == pid and day in h["dates"] for h in hits)
            print(
                f"| {day} ({result[0]['new']} new of {result[0]['papers']}) | {fetch_s:.2f} s "
                f"| {network * 1000:.0f} ms | {open_s:.2f} s ({parsed} parsed) | {search_s:.2f} s{'' if found else ' NOT FOUND'} "
                f"| {total:.2f} s |"
            )
        print()
        run(env, "search", "x", "--json")  # the index in line with the library
        noop = sorted(run(env, "search", "x", "--json")[0] for _ in range(3))
        print(
            "search x over the unchanged library (process): "
            + ", ".join(f"{t:.2f} s" for t in noop)
        )
        print(f"server time per answer: max {max(served) * 1000:.2f} ms")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.stop()
        if args.keep or tpl is not None:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
