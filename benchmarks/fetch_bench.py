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
time, and the network part (the server's time from each request's arrival to its answer).
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
    args = ap.parse_args()
    if not HF_ARCHIVE.is_file():
        raise SystemExit(f"the recorded HF days are not at {HF_ARCHIVE}")
    days = recorded_days()
    work = Path(tempfile.mkdtemp(prefix="fetch-bench-"))
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
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print()
        print(
            "| day | fetch (process) | of which the server | search until found (process) | total |"
        )
        print("|---|---|---|---|---|")
        for day in DAYS:
            records = json.loads(days[day])
            pid = records[-1]["paper"]["id"]
            t0 = time.perf_counter()
            before = len(server.seen)
            fetch_s, out = run(env, "fetch", "hf", "--date", day, "--json")
            result = json.loads(out)
            network = sum(s.done - s.at for s in server.seen[before:])
            search_s, out = run(env, "search", pid, "--json")
            hits = json.loads(out)
            total = time.perf_counter() - t0
            found = any(h["id"] == pid and day in h["dates"] for h in hits)
            print(
                f"| {day} ({result[0]['new']} new of {result[0]['papers']}) | {fetch_s:.2f} s "
                f"| {network * 1000:.0f} ms | {search_s:.2f} s{'' if found else ' NOT FOUND'} "
                f"| {total:.2f} s |"
            )
        print()
        print(f"server time per answer: max {max(served) * 1000:.2f} ms")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
