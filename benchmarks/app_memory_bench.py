"""App memory benchmark (issue 13, point 3): the app's RSS and peak over a
warm library, with its first paint, cursor moves and a few searches, next to
the same papers in one SQLite FTS5 table.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/app_memory_bench.py                    # 100k papers
    .venv/bin/python benchmarks/app_memory_bench.py --real             # the real digests
    .venv/bin/python benchmarks/app_memory_bench.py --papers 1000000   # 1M generated
    .venv/bin/python benchmarks/app_memory_bench.py --template /tmp/tpl  # keep the library

The library is made as ``benchmarks/cli_bench.py`` makes it (the real bulk
arXiv corpus topped up with generated papers, or every real digest), and
``digest-reader index`` runs first, so the catalog and the index are warm as
on any start after the first. Then the app runs headless (160x48) in a child
process, its memory read from outside (``/proc/PID/status``: VmRSS, and
VmHWM, the peak) at each step:

* ``first paint``: process start to the main screen's first frame;
* ``index open``: the index worker done (the index in line, the searcher made);
* ``moves``: 300 ``j`` then ``G``, ``g``, 100 ``PgDn``: CPU time per key
  (the app's own process time across the key, Pilot's wait and the pane's
  following included; a key with no binding is measured too and
  subtracted), and the wall time from the key to the first frame drawn with
  the cursor moved (the compositor calls back as it draws, as in
  ``app_fetch_bench.py``), p50/p95/max;
* ``searches``: each word typed in the box and Enter, wall time to the
  results on screen (Pilot's wait included), then ``Esc``.

``--no-index`` (for 1M papers: building their index takes long here): the
catalog only (``digest-reader show 0`` warms it), an app without an index,
no searches. ``--code DIR``: the app from another checkout (``git archive
main | tar -x -C DIR``), for a before/after in the same hour.

The baseline: one new Python process that opens the FTS5 table of the same
papers, runs the same words (bm25, best 1,000), reads a screen of rows (48)
at the top and at the end of the table, and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cli_bench import FTS_BUILD, REAL, _digest_bytes  # noqa: E402
from benchmarks.fetch_bench import write_generated  # noqa: E402
from benchmarks.search_bench import BULK  # noqa: E402

EXE = str(Path(sys.executable).with_name("digest-reader"))
WORDS = ["transformer", "diffusion model", "graph", "reinforcement learning", "quantum"]

CHILD = r"""
import asyncio, json, statistics, sys, time
t0 = time.monotonic()
from pathlib import Path
from reader.tui.app import build_app

def say(what, **kw):
    print(json.dumps({"stage": what, "t": time.monotonic() - t0, **kw}), flush=True)
    sys.stdin.readline()  # the parent has read our memory

words = json.loads(sys.argv[1])
if sys.argv[2] == "index":
    app = build_app()
else:  # no index (a 1M-paper build takes long here): as build_app, without one
    from reader.config import load_config
    from reader.paths import Paths
    from reader.session import Session
    from reader.tui.app import DigestApp
    paths = Paths.from_env()
    session = Session(paths, load_config(paths.config_file), partial=True, lazy_library=True)
    session.read_library()
    _ = session.state
    app = DigestApp(session)

async def main():
    painted = []
    async with app.run_test(size=(160, 48), headless=True) as pilot:
        app.call_after_refresh(lambda: painted.append(time.monotonic() - t0))
        while not painted:
            await pilot.pause(0.005)
        import reader
        say("first paint", painted=painted[0], papers=len(app.library.papers), code=reader.__file__)
        deadline = time.monotonic() + 1800
        while not app.library.complete and time.monotonic() < deadline:
            await pilot.pause(0.1)  # the list of every id, read after the first paint
        await pilot.pause(0.5)  # the index worker starts once the library is whole
        while time.monotonic() < deadline:
            busy = [w for w in app.workers if w.group in ("index", "library") and not w.is_finished]
            if not busy:
                break
            await pilot.pause(0.2)
        _ = app.searcher
        say("index open")

        plist = app.main.papers
        walls = {}

        def drawn(key):
            # the first frame drawn with the cursor moved (the compositor
            # calls back as it draws): the key's wall time to the screen
            before, t0 = plist.cursor, time.perf_counter()

            def check():
                if plist.cursor != before:
                    walls.setdefault(key, []).append(time.perf_counter() - t0)
                else:
                    app.main.compositor.after_paint(check)

            app.main.compositor.after_paint(check)

        async def cpu(key, n):
            out = []
            for _ in range(n):
                c = time.process_time()
                if key != "f12":
                    drawn(key)
                await pilot.press(key)
                out.append(time.process_time() - c)
            return out

        idle = statistics.median(await cpu("f12", 50))
        j = await cpu("j", 300)
        jumps = await cpu("G", 1) + await cpu("g", 1)
        pages = await cpu("pagedown", 100)
        each = {k: [max(0.0, m - idle) for m in v] for k, v in (("j", j), ("G g", jumps), ("PgDn", pages))}
        wall = {"j": walls["j"], "G g": walls["G"] + walls["g"], "PgDn": walls["pagedown"]}
        say("moves", moves=[m for v in each.values() for m in v], each=each, idle=idle, wall=wall)
        if sys.argv[2] != "index":
            return
        times = []
        for w in words:
            await pilot.press("slash", *w)
            await pilot.pause(0.3)
            t = time.monotonic()
            await pilot.press("enter")
            times.append(time.monotonic() - t)
            await pilot.press("escape")
        say("searches", times=times, words=words, shown=len(app.main.view.papers))

asyncio.run(main())
say("end")
"""

FTS_APP = r"""
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
out = {}
t = time.perf_counter()
for w in json.loads(sys.argv[2]):
    q = " ".join(f'"{x}"' for x in w.split())
    db.execute("SELECT id, date, title FROM papers WHERE papers MATCH ? "
               "ORDER BY bm25(papers, 0, 5.0, 1.5, 1.0, 2.0) LIMIT 1000", (q,)).fetchall()
out["searches"] = time.perf_counter() - t
n = db.execute("SELECT max(rowid) FROM papers").fetchone()[0]
for at in (0, n - 48):
    db.execute("SELECT * FROM papers WHERE rowid > ? LIMIT 48", (at,)).fetchall()
out["rss"] = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(json.dumps(out))
"""


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    got = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                got[key] = int(value.split()[0]) / 1024
    return got["VmRSS"], got["VmHWM"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prepare(args: argparse.Namespace, work: Path, env: dict[str, str]) -> None:
    cfg = work / "c" / "digest-reader" / "config.yaml"
    if not cfg.is_file():
        t = time.perf_counter()
        if args.real:
            library, what = [str(REAL)], f"the real digests ({REAL})"
        else:
            gen = work / "generated"
            n_gen = write_generated(gen, args.papers)
            library = [str(BULK), str(gen)] if BULK.is_file() else [str(gen)]
            what = f"bulk corpus + {n_gen:,} generated papers"
        cfg.parent.mkdir(parents=True)
        cfg.write_text(f"library: {json.dumps(library)}\n", encoding="utf-8")
        print(f"library: {what} (written in {time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        warm = ["show", "0"] if args.no_index else ["index"]  # catalog (and index) made
        subprocess.run([EXE, *warm], env=env, check=False, capture_output=True)
        print(f"warm-up: digest-reader {warm[0]}: {time.perf_counter() - t:.1f} s (not timed)")
    fts = work / "fts.sqlite"
    if not fts.is_file():
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", FTS_BUILD, str(fts)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(f"FTS5 baseline built in {time.perf_counter() - t:.1f} s")
    print(f"digests: {_digest_bytes(cfg) / 2**20:.0f} MB")


def run_app(env: dict[str, str], index: bool, cwd: Path) -> None:
    # Run in ``cwd`` (not the checkout): ``-c`` puts the working folder first
    # on the path, where it would win over ``--code``.
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(WORDS), "index" if index else "none"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    for line in child.stdout:
        if not line.startswith("{"):
            continue
        got = json.loads(line)
        rss, peak = memory(child.pid)
        stage = got["stage"]
        head = f"{stage:12} RSS {rss:5.0f} MB  peak {peak:5.0f} MB  (load {load()})"
        if stage == "first paint":
            print(
                f"{head}  painted {got['painted']:.2f} s, {got['papers']:,} papers ({got['code']})"
            )
        elif stage == "moves":
            ms = [m * 1000 for m in got["moves"]]
            print(f"{head}  {len(ms)} keys: CPU p50 {pct(ms, 0.5):.1f} ms, "
                  f"p95 {pct(ms, 0.95):.1f} ms, max {max(ms):.1f} ms "
                  f"(idle key {got['idle'] * 1000:.1f} ms subtracted)")  # fmt: skip
            for key, values in got["each"].items():
                ms = [m * 1000 for m in values]
                wall = [m * 1000 for m in got["wall"][key]]
                print(f"{'':14}{key:5} x{len(ms):<4} CPU p50 {pct(ms, 0.5):5.1f} ms  "
                      f"p95 {pct(ms, 0.95):5.1f} ms  max {max(ms):5.1f} ms;  "
                      f"key to screen p50 {pct(wall, 0.5):5.1f} ms  "
                      f"p95 {pct(wall, 0.95):5.1f} ms  max {max(wall):5.1f} ms")  # fmt: skip
        elif stage == "searches":
            ms = [t * 1000 for t in got["times"]]
            print(f"{head}  Enter to results: " + ", ".join(
                f"{w!r} {t:.0f} ms" for w, t in zip(got["words"], ms, strict=True)))  # fmt: skip
        else:
            print(head)
        child.stdin.write("\n")
        child.stdin.flush()
    child.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--real", action="store_true", help="the real digests, whole")
    ap.add_argument("--template", type=Path, help="keep/reuse the prepared library here")
    ap.add_argument(
        "--code",
        type=Path,
        help="run the app from this checkout (say, `git archive main` unpacked): before/after",
    )
    ap.add_argument(
        "--no-index",
        action="store_true",
        help="no index, no searches (a 1M-paper index takes long here)",
    )
    args = ap.parse_args()
    work = args.template or Path(tempfile.mkdtemp(prefix="app-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    env["TERM"] = "xterm-256color"
    for var, name in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "k")):
        env[var] = str(work / name)
    prepare(args, work, env)
    if args.code:
        env["PYTHONPATH"] = str(args.code.resolve())
        print(f"the app's code: {args.code}")
    print(f"load average before: {load()}")
    print("the app (headless 160x48, a new process):")
    run_app(env, not args.no_index, work)
    got = subprocess.run(
        [sys.executable, "-c", FTS_APP, str(work / "fts.sqlite"), json.dumps(WORDS)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    fts = json.loads(got.stdout)
    print(f"SQLite FTS5 alone (a new process): peak RSS {fts['rss']:.0f} MB, "
          f"{len(WORDS)} searches (best 1,000) {fts['searches'] * 1000:.0f} ms in all, "
          f"load {load()}")  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script's own peak: {own:.0f} MB)")


if __name__ == "__main__":
    main()
