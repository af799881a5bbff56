"""The state at a heavy reader's size (issue 14, item 8): load, one change from
the CLI, one save from the app, a merge, and the size limit.

    python benchmarks/state_bench.py [--papers 100000] [--shape heavy|dense|both]
                                     [--cli]        # only the load and the CLI's figures
                                     [--code PATH]  # another checkout's reader/, for "before"

Two generated states (ids and times are made up; no real data is needed):

* ``heavy``: what a reader who pressed ``R`` on every day for a year and a
  half keeps: every paper read, in bulk marks of ~250 papers sharing one time;
  10 % starred, 5 % with two tags, 1 % with a note;
* ``dense``: the worst case of the same size: every paper starred, read and
  with two tags, each change at its own time (as a merge of many machines
  leaves it; ~16 MB at 100k papers).

Each figure is the median of three fresh processes (as a CLI command is), the load's
peak memory too (``VmHWM`` of that process minus that before the import).
"CLI change" is the state part of ``digest-reader star ID`` (a fresh process's
load and one star, after the imports), read whole as the app reads it and
lazily as the CLI does; "whole ``star`` command" is the real process,
``digest-reader star ID --path <one sample digest>`` with this state, Python's
start, the imports and the library included.
Nothing is asserted: it prints figures. Targets: a CLI change <= 200 ms, a
save from the app <= 50 ms, load <= 1 s and <= 200 MB, a file over the size
limit refused at once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
#: The checkout whose reader/ is measured (``--code``; this one by default).
CODE = REPO

T0 = 1_795_687_200.0  # 2026-11-26 10:00 UTC


def make_state(n: int, shape: str) -> object:
    from reader.state import NoteVersion, PaperRecord, Stamp, State, format_time, make_note

    papers = {}
    for i in range(n):
        pid = f"{2300 + i // 20000:04d}.{i % 20000:05d}"
        if shape == "dense":
            t = T0 - (n - i) * 7.0
            rec = PaperRecord(
                Stamp(format_time(t), True),
                Stamp(format_time(t + 1), True),
                {
                    "rl": Stamp(format_time(t + 2), True),
                    "to-read": Stamp(format_time(t + 3), i % 2),
                },
            )
        else:
            day = format_time(T0 - (n - i) // 250 * 86_400.0)
            starred = Stamp(format_time(T0 - i * 3.0), True) if i % 10 == 0 else None
            tags = {}
            if i % 20 == 0:
                tags = {"rl": Stamp(day, True), "later": Stamp(format_time(T0 - i), True)}
            note = None
            if i % 100 == 0:
                note = make_note(
                    [NoteVersion(format_time(T0 - i * 2.0), f"note {i}\nline two\n")], []
                )
            rec = PaperRecord(starred, Stamp(day, True), tags, note)
        papers[pid] = rec
    return State(papers)


_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
def hwm():  # peak resident memory of this process, kB (ru_maxrss survives fork+exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
base = hwm()
from reader.state import StateStore
import reader.state.store
path, what = sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
try:
    store = StateStore(__import__("pathlib").Path(path), lazy=what == "lazy")
except TypeError:  # a checkout before the lazy read (--code): read whole
    store = StateStore(__import__("pathlib").Path(path))
store.load()
t_load = time.perf_counter() - t0
out = {"load": t_load, "problem": store.problem}
if what != "lazy":  # the ids are every record: a lazy store would build them all
    out["papers"] = len(store.ids())
if what in ("change", "lazy"):
    t1 = time.perf_counter()
    store.toggle_star("2300.00007")
    out["change"] = time.perf_counter() - t1
    out["load+change"] = time.perf_counter() - t0
elif what == "save":
    store.starred_ids()  # the app has built its indexes
    store.toggle_star("2300.00009")  # the first save of a session
    times = []
    for i in range(20):
        t1 = time.perf_counter()
        store.toggle_star(f"2300.{i:05d}")
        times.append(time.perf_counter() - t1)
    times.sort()
    out["save_median"] = times[len(times) // 2]
    out["save_max"] = times[-1]
elif what == "merge":
    t1 = time.perf_counter()
    out["report"] = str(store.merge_file(__import__("pathlib").Path(sys.argv[4])))
    out["merge"] = time.perf_counter() - t1
out["rss_mb"] = (hwm() - base) / 1024
print(json.dumps(out))
"""


def child(path: Path, what: str, *extra: str, runs: int = 3) -> dict[str, object]:
    """The figures of ``runs`` fresh processes: the median of each (the
    machine is shared; one run is noise). A merge runs once (it changes the file)."""
    results = []
    for _ in range(1 if what == "merge" else runs):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(CODE), str(path), what, *extra],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout))
    merged: dict[str, object] = {}
    for key, value in results[0].items():
        if isinstance(value, float):
            values = sorted(float(r[key]) for r in results)
            merged[key] = values[len(values) // 2]
        else:
            merged[key] = value
    return merged


def star_command(path: Path, work: Path, runs: int = 3) -> float:
    """The median time of ``digest-reader star|unstar ID --path DIGEST`` as
    a fresh process (each run changes the file) with ``path`` as the state."""
    home = work / "home"
    data = home / "data" / "digest-reader"
    data.mkdir(parents=True, exist_ok=True)
    (data / "state.yaml").write_bytes(path.read_bytes())
    env = dict(os.environ)
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    digest = REPO / "sample_digests" / "2025-08-19.yaml"
    code = "import sys; sys.path.insert(0, sys.argv.pop(1)); from reader.entry import main; sys.exit(main())"
    times = []
    for i in range(runs):
        cmd = ["star" if i % 2 == 0 else "unstar", "2508.13009", "--path", str(digest)]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(CODE), *cmd], check=True, env=env)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def bench(n: int, shape: str, work: Path, cli_only: bool = False) -> None:
    from dataclasses import replace

    from reader.state import Stamp, State, dump_state, format_time

    state = make_state(n, shape)
    papers = list(state.papers.items())  # type: ignore[attr-defined]
    text = dump_state(state, T0)  # type: ignore[arg-type]
    path = work / shape / "state.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    size = path.stat().st_size / 1e6
    print(
        f"\n{shape}: {n:,} papers, {size:.1f} MB, {text.count(chr(10)):,} lines"
        f" (load average {_load()})"
    )
    r = child(path, "load")
    print(f"  load (fresh process):           {r['load'] * 1000:7.0f} ms, {r['rss_mb']:.0f} MB")
    r = child(path, "change")
    print(f"  CLI change, file read whole:    {r['load+change'] * 1000:7.0f} ms")
    r = child(path, "lazy")
    print(
        f"  CLI change, read lazily:        {r['load+change'] * 1000:7.0f} ms"
        f" (load {r['load'] * 1000:.0f} ms, {r['rss_mb']:.0f} MB)"
    )
    print(f"  whole `star` command:           {star_command(path, work) * 1000:7.0f} ms")
    if cli_only:
        return
    r = child(path, "save")
    print(
        f"  app save, one star:             {r['save_median'] * 1000:7.0f} ms median,"
        f" {r['save_max'] * 1000:.0f} ms max of 20"
    )
    other = work / shape / "other.yaml"
    later = Stamp(format_time(T0 + 3600), False)
    theirs = State(
        {pid: replace(rec, read=later) if i % 2 else rec for i, (pid, rec) in enumerate(papers)}
    )
    other.write_text(dump_state(theirs, T0), encoding="utf-8")
    r = child(path, "merge", str(other))
    print(f"  merge a copy (half the marks changed): {r['merge'] * 1000:.0f} ms: {r['report']}")
    r = child(path, "change")
    print(f"  CLI change after the merge:     {r['load+change'] * 1000:7.0f} ms (read whole)")
    r = child(path, "lazy")
    print(f"  CLI change after the merge:     {r['load+change'] * 1000:7.0f} ms (lazily)")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_limit(work: Path) -> None:
    from reader.state.store import MAX_STATE_BYTES

    path = work / "garbage" / "state.yaml"
    path.parent.mkdir(parents=True)
    size = MAX_STATE_BYTES + 1
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: no disk needed
    r = child(path, "load")
    print(
        f"\n{size / 1e6:.0f} MB file (over the {MAX_STATE_BYTES / 1e6:.0f} MB limit):"
        f" refused in {r['load'] * 1000:.0f} ms, {r['rss_mb']:.0f} MB:\n  {r['problem']}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--shape", choices=["heavy", "dense", "both"], default="both")
    ap.add_argument("--cli", action="store_true", help="only the load and the CLI's figures")
    ap.add_argument("--code", type=Path, default=REPO, help="the checkout to measure")
    args = ap.parse_args()
    global CODE
    CODE = args.code.resolve()
    with tempfile.TemporaryDirectory(prefix="dr-state-") as tmp:
        work = Path(tmp)
        empty = work / "empty.yaml"
        empty.write_text("version: 1\npapers: {}\n", encoding="utf-8")
        took = star_command(empty, work / "empty") * 1000
        print(f"whole `star` command with an empty state: {took:.0f} ms (Python, imports, library)")
        for shape in ("heavy", "dense") if args.shape == "both" else (args.shape,):
            bench(args.papers, shape, work, args.cli)
        bench_limit(work)
    os.sync()
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"\n(took {time.perf_counter() - started:.0f} s; load average {_load()})")
    raise SystemExit(code)
