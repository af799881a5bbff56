"""CLI benchmark: ``search``, ``show`` and ``star`` as whole processes over an
unchanged library (issue 13, point 3), next to SQLite FTS5 alone.

Run by hand (not in CI)::

    .venv/bin/python benchmarks/cli_bench.py                       # 100k papers
    .venv/bin/python benchmarks/cli_bench.py --real                # the real digests
    .venv/bin/python benchmarks/cli_bench.py --papers 1000000      # 1M generated
    .venv/bin/python benchmarks/cli_bench.py --template /tmp/tpl   # keep the library
    .venv/bin/python benchmarks/cli_bench.py --before /tmp/before  # the code before, same run
    .venv/bin/python benchmarks/cli_bench.py --papers 1000000 --template /tmp/tpl --add-day

Library: the real bulk arXiv corpus (the archive read in place, 74,728
papers) topped up to ``--papers`` with generated papers, as
``benchmarks/fetch_bench.py`` makes it; or (``--real``) every real digest in
``../shared/real_digests``. ``digest-reader index`` runs first (catalog and
index made: not timed). Then each command runs 7 times as a new process, as
a user types it; printed: the median and the spread of the wall time, and the
peak RSS of the process (``wait4``). The baseline does the same work with
SQLite FTS5 alone, also as a new Python process each time: the same papers in
one FTS5 table (bm25 with the index's weights), ``MATCH`` the same words (top
20, and every match), a row by id, a star written to a table in the same file.

Searches with a filter or a sort (issue 13: within ~1.2x of the plain
search): ``date:``, ``upvotes:``, ``has:code`` with ``sort:newest``,
``oldest``, ``upvotes`` or by relevance, each beside SQLite doing the same
(the FTS5 match joined to a table of upvotes and code, ordered, the best 20
and the count of every match). Each command runs once untimed first, which
keeps the engine's columns in the cache folder (``columns.arrays``,
``reader/search/stored_columns.py``): the timed ones read them, as every
command over an unchanged library does. The row marked "(columns made)"
removes those files before each process: what the first such command after
a change of the library pays.

``--before DIR`` (a ``git archive`` of the code before, unpacked): each
command also runs with ``PYTHONPATH=DIR``, one process of each code in turn,
so that both see the same load; a line says when their outputs differ. Each
command runs once untimed first (its byte code written: the variable
``PYTHONDONTWRITEBYTECODE`` is dropped, as an installed reader has its byte
code; a checkout without ``__pycache__`` under that variable compiles every
module at every start, ~90% more instructions for ``show``).

``--add-day`` (issue 13: "adding a 50-paper day to a 1M library, until it
is found by search: <= 1 s"): instead of the commands above, :data:`ROUNDS`
rounds of: a day of 50 new papers (each title holds a word no other paper
has) written into the library's folder, then ``digest-reader search WORD``
until it prints the 50 papers (the figure: from writing the file to the
search's exit, that one process); then the file removed, and the same
search until it prints none (a removal: the same order is the target).
Beside them, SQLite FTS5 alone does the same on its table of the same
papers: one process reads the day's file and inserts its rows (deletes
them), one searches.

Wall times on this shared machine follow its load (printed before and
after); for a figure the load does not move, count the instructions of one
process: ``valgrind --tool=callgrind --callgrind-out-file=/dev/null
digest-reader show ID`` ("Collected"). Figures: README, *Commands*.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.fetch_bench import write_generated  # noqa: E402
from benchmarks.search_bench import BULK  # noqa: E402

REAL = BULK.parents[1]
EXE = str(Path(sys.executable).with_name("digest-reader"))
RUNS = 7


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one process. The RSS is read by
    ``/usr/bin/time`` (a small process that forks the command): a child forked
    from this big process would report this one's peak as its own."""
    with (
        tempfile.NamedTemporaryFile() as stats,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        t = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", stats.name, *cmd],
            env=env, stdout=out, stderr=err, check=False,
        )  # fmt: skip
        took = time.perf_counter() - t
        if done.returncode != 0:
            err.seek(0)
            said = err.read().decode("utf-8", "replace")[-500:]
            raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}: {said}")
        rss = int(Path(stats.name).read_text().split()[-1]) / 1024
        out.seek(0)
        return took, rss, out.read().decode("utf-8", "replace")


def series(
    cmds: list[list[str]], env: dict[str, str], before: Callable[[], None] | None = None
) -> tuple[list[float], float, str]:
    """Each of ``cmds`` in turn until :data:`RUNS` runs: times, peak RSS, last
    output; ``before`` runs before each (not timed)."""
    times: list[float] = []
    peak = 0.0
    text = ""
    for n in range(RUNS):
        if before is not None:
            before()
        took, rss, text = timed(cmds[n % len(cmds)], env)
        times.append(took)
        peak = max(peak, rss)
    return times, peak, text


def alternate(
    cmds: list[list[str]],
    env: dict[str, str],
    other: dict[str, str],
    before: Callable[[], None] | None = None,
) -> tuple[tuple[list[float], float, str], tuple[list[float], float, str]]:
    """:func:`series` of ``cmds`` under ``env`` and under ``other`` (the code
    before), one process of each in turn, so that both see the same load."""
    got: list[tuple[list[float], float, str]] = [([], 0.0, ""), ([], 0.0, "")]
    for n in range(RUNS):
        for k, e in enumerate((env, other)):
            if before is not None:
                before()
            took, rss, text = timed(cmds[n % len(cmds)], e)
            times, peak, _ = got[k]
            times.append(took)
            got[k] = (times, max(peak, rss), text)
    return got[0], got[1]


FTS_BUILD = """
import sqlite3, sys, json
from reader.config import load_config
from reader.library import open_library
from reader.paths import Paths
paths = Paths.from_env()
lib = open_library(paths, load_config(paths.config_file))
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, authors, abstract, "
           "tags, date UNINDEXED, url UNINDEXED, tokenize='porter unicode61')")
db.execute("CREATE TABLE byid (id TEXT PRIMARY KEY, rid INTEGER)")
db.execute("CREATE TABLE stars (id TEXT PRIMARY KEY, at REAL)")
rows = ((p.id, p.title, '; '.join(p.authors), p.abstract, ' '.join(p.tags), p.date, p.url)
        for p in lib.ordered())
db.executemany("INSERT INTO papers VALUES (?,?,?,?,?,?,?)", rows)
db.execute("INSERT INTO byid SELECT id, rowid FROM papers")
# what the filters ask beside the text (the FTS5 table holds text only)
db.execute("CREATE TABLE facts (rid INTEGER PRIMARY KEY, upvotes INTEGER, code INTEGER)")
db.executemany("INSERT INTO facts VALUES (?, ?, ?)",
               ((n + 1, p.upvotes, int(p.has_code)) for n, p in enumerate(lib.ordered())))
db.commit()
print(len(lib.papers))
"""

FTS_SEARCH = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
limit = int(sys.argv[3])
for r in db.execute("SELECT id, date, title, url FROM papers WHERE papers MATCH ? "
                    "ORDER BY bm25(papers, 0, 5.0, 1.5, 1.0, 2.0) LIMIT ?", (sys.argv[2], limit)):
    print("\\t".join(str(c) for c in r))
"""

#: A search with a filter and a sort, FTS5 and SQLite alone: ``argv`` the
#: file, the words ("" for none), a WHERE over ``p`` (the FTS5 row) and ``f``
#: (its upvotes and code), an ORDER BY ("rank": bm25), the limit; prints the
#: rows and the count of every match, as ``search`` says "N papers".
FTS_FILTERED = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
words, where, order, limit = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
match = "papers MATCH ? AND " if words else ""
order = "bm25(papers, 0, 5.0, 1.5, 1.0, 2.0)" if order == "rank" else order
args = (words,) if words else ()
q = f"FROM papers p JOIN facts f ON f.rid = p.rowid WHERE {match}{where}"
for r in db.execute(f"SELECT p.id, p.date, p.title, p.url {q} ORDER BY {order} LIMIT ?",
                    (*args, limit)):
    print("\\t".join(str(c) for c in r))
print(db.execute(f"SELECT count(*) {q}", args).fetchone()[0])
"""

FTS_SHOW = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT p.* FROM byid b JOIN papers p ON p.rowid = b.rid WHERE b.id = ?",
                    (sys.argv[2],)):
    print("\\n".join(str(c) for c in r))
"""

FTS_STAR = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
if db.execute("SELECT 1 FROM byid WHERE id = ?", (sys.argv[2],)).fetchone():
    db.execute("INSERT OR REPLACE INTO stars VALUES (?, ?)", (sys.argv[2], time.time()))
    db.commit()
    print("starred", sys.argv[2])
"""


#: Rounds of ``--add-day`` (a day added, then removed).
ROUNDS = 3
#: The word only the added day's papers hold.
DAY_WORD = "qorvexine"

FTS_ADD = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = []
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        r = json.loads(line)
        rows.append((r["id"], r["title"], "; ".join(r["authors"]), r["summary"],
                     " ".join(r["categories"]), "", ""))
for r in rows:
    rid = db.execute("INSERT INTO papers VALUES (?,?,?,?,?,?,?)", r).lastrowid
    db.execute("INSERT OR REPLACE INTO byid VALUES (?, ?)", (r[0], rid))
db.commit()
"""

FTS_REMOVE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = [(i,) for i in sys.argv[2].split(",")]
db.executemany("DELETE FROM papers WHERE rowid IN (SELECT rid FROM byid WHERE id = ?)", ids)
db.executemany("DELETE FROM byid WHERE id = ?", ids)
db.commit()
"""


def write_day(path: Path, n: int = 50) -> list[str]:
    """A day of ``n`` new papers as JSON Lines (the generated files' shape),
    each title holding :data:`DAY_WORD`; their ids."""
    import random

    rng = random.Random(20261201)
    words = ("graph", "neural", "sparse", "robust", "language", "vision", "policy",
             "kernel", "latent", "stochastic", "transformer", "diffusion")  # fmt: skip
    ids = [f"2612.{90000 + i:05d}" for i in range(n)]
    with open(path, "w", encoding="utf-8") as fh:
        for pid in ids:
            title = " ".join(rng.choices(words, k=8)).capitalize() + f" {DAY_WORD}"
            rec = {"id": pid, "title": title, "authors": ["Ann Lee"], "categories": ["cs.LG"],
                   "summary": " ".join(rng.choices(words, k=150)) + "."}  # fmt: skip
            fh.write(json.dumps(rec) + "\n")
    return ids


def add_day(work: Path, env: dict[str, str], fts: Path) -> None:
    """The ``--add-day`` rounds (see the module's docstring)."""
    day = work / "generated" / "2026-12-01.jsonl"  # after every other file
    day.unlink(missing_ok=True)
    timed([EXE, "search", DAY_WORD], env)  # in line with the library, byte code written
    py = sys.executable
    print(f"load average: {load()}")
    print()
    print("| round | add: search finds the 50 | peak RSS | remove: search finds none "
          "| peak RSS | FTS5 add + search | FTS5 remove + search |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for n in range(ROUNDS):
        t = time.perf_counter()
        ids = write_day(day)
        took, rss, out = timed([EXE, "search", DAY_WORD], env)
        added = time.perf_counter() - t
        found = {line.split("\t")[0] for line in out.splitlines()}
        if found != set(ids):
            raise SystemExit(f"the search after the add found {len(found)} of the 50 papers")
        t = time.perf_counter()
        day.unlink()
        took, rss_gone, out = timed([EXE, "search", DAY_WORD], env)
        gone = time.perf_counter() - t
        if out.strip():
            raise SystemExit(f"the search after the removal still found {len(out.splitlines())}")
        t = time.perf_counter()
        write_day(day)
        timed([py, "-c", FTS_ADD, str(fts), str(day)], env)
        _, _, out = timed([py, "-c", FTS_SEARCH, str(fts), DAY_WORD, "-1"], env)
        fts_add = time.perf_counter() - t
        if len(out.splitlines()) != len(ids):
            raise SystemExit(f"FTS5 found {len(out.splitlines())} of the 50 papers")
        day.unlink()
        t = time.perf_counter()
        timed([py, "-c", FTS_REMOVE, str(fts), ",".join(ids)], env)
        _, _, out = timed([py, "-c", FTS_SEARCH, str(fts), DAY_WORD, "-1"], env)
        fts_gone = time.perf_counter() - t
        if out.strip():
            raise SystemExit("FTS5 still found the removed papers")
        print(
            f"| {n + 1} | {added * 1000:.0f} ms | {rss:.0f} MB | {gone * 1000:.0f} ms "
            f"| {rss_gone:.0f} MB | {fts_add * 1000:.0f} ms | {fts_gone * 1000:.0f} ms |",
            flush=True,
        )
    print()
    print(f"load average after: {load()}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--real", action="store_true", help="the real digests, whole")
    ap.add_argument("--template", type=Path, help="keep/reuse the prepared library here")
    ap.add_argument("--word", default="transformer")
    ap.add_argument(
        "--before",
        type=Path,
        help="another checkout of the code (git archive of main): each command also run"
        " with it, in turn with this one, in the same run",
    )
    ap.add_argument(
        "--no-search",
        action="store_true",
        help="show and star only: no index built (a 1M-paper index takes long here)",
    )
    ap.add_argument(
        "--add-day",
        action="store_true",
        help="a 50-paper day added, then removed, each until search says so (not the commands)",
    )
    args = ap.parse_args()
    work = args.template or Path(tempfile.mkdtemp(prefix="cli-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # as installed: byte code cached (PYTHONDONTWRITEBYTECODE would compile
    # every module at every start)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    for var, name in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_CACHE_HOME", "k")):
        env[var] = str(work / name)
    before_env = dict(env, PYTHONPATH=str(args.before)) if args.before else None
    cfg = work / "c" / "digest-reader" / "config.yaml"
    fts = work / "fts.sqlite"
    try:
        if not cfg.is_file():
            t = time.perf_counter()
            if args.real:
                library = [str(REAL)]
                what = f"the real digests ({REAL})"
            else:
                gen = work / "generated"
                n_gen = write_generated(gen, args.papers)
                library = [str(BULK), str(gen)] if BULK.is_file() else [str(gen)]
                what = f"bulk corpus + {n_gen:,} generated papers"
            cfg.parent.mkdir(parents=True)
            cfg.write_text(f"library: {json.dumps(library)}\n", encoding="utf-8")
            print(f"library: {what} (written in {time.perf_counter() - t:.1f} s)")
            t = time.perf_counter()
            warm = ["show", "0"] if args.no_search else ["index"]  # catalog (and index) made
            subprocess.run([EXE, *warm], env=env, check=False, capture_output=True)
            print(
                f"warm-up: digest-reader {warm[0]}: {time.perf_counter() - t:.1f} s (not timed below)"
            )
        if fts.is_file() and not _has_facts(fts):
            fts.unlink()  # a baseline of before its facts table: made again
        if not fts.is_file():
            t = time.perf_counter()
            built = subprocess.run(
                [sys.executable, "-c", FTS_BUILD, str(fts)],
                env=env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            print(f"FTS5 baseline built: {int(built.stdout):,} papers, "
                  f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        if args.add_day:
            # the code before alone (its catalog's format may differ: each
            # code would rebuild it for the other's, so not in turn)
            print(f"code: {args.before or ROOT}")
            add_day(work, before_env or env, fts)
            return
        if args.no_search:
            pid = _some_id(fts, args.word)
        else:
            subprocess.run(
                [EXE, "search", "x", "--limit", "1"], env=env, check=True, capture_output=True
            )  # the index in line with the library
            first = timed([EXE, "search", args.word, "--limit", "1"], env)[2].split("\t")[0]
            pid = first.strip() or "2401.00001"
        cache = work / "k" / "digest-reader"
        sizes = {
            p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
            for p in cache.iterdir()
        }
        digests = _digest_bytes(cfg)
        print(f"load average: {load()}")
        print(
            "cache: "
            + ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in sorted(sizes.items()))
            + f" (digests {digests / 2**20:.0f} MB; cache {sum(sizes.values()) / digests:.3f}x)"
        )
        print()
        then = " before: median | min-max | peak RSS |" if before_env else ""
        print(f"| command ({RUNS} processes each) | median | min-max | peak RSS |{then} "
              "FTS5 alone: median | FTS5 RSS |")  # fmt: skip
        print("|---|---|---|---|" + ("---|---|---|" if before_env else "") + "---|---|")
        py = sys.executable
        rows = [
            (f"search {args.word} --limit 20",
             [[EXE, "search", args.word, "--limit", "20"]],
             [[py, "-c", FTS_SEARCH, str(fts), args.word, "20"]]),
            (f"search {args.word} (every match)",
             [[EXE, "search", args.word]],
             [[py, "-c", FTS_SEARCH, str(fts), args.word, "-1"]]),
            *filtered(args.word, fts),
            (f"show {pid}", [[EXE, "show", pid]], [[py, "-c", FTS_SHOW, str(fts), pid]]),
            (f"star / unstar {pid}", [[EXE, "star", pid], [EXE, "unstar", pid]],
             [[py, "-c", FTS_STAR, str(fts), pid]]),
        ]  # fmt: skip
        if args.no_search:
            rows = rows[3:]
        columns = [cache / "library" / n for n in ("columns.arrays", "columns-index.arrays")]

        def no_columns() -> None:
            for f in columns:
                f.unlink(missing_ok=True)

        for label, ours, theirs in rows:
            # "(columns made)": each process finds no columns kept (as after
            # a change of the library): it makes them from the catalog
            before = no_columns if label.endswith("(columns made)") else None
            for cmd in ours:  # byte code written, pages cached: not timed
                timed(cmd, env)
                if before_env:
                    timed(cmd, before_env)
            if before_env:
                (t_ours, rss_ours, out), (t_then, rss_then, out_then) = alternate(
                    ours, env, before_env, before
                )
                if out != out_then:
                    print(
                        f"| {label}: the output differs from the code before's"
                        f" ({len(out.splitlines())} / {len(out_then.splitlines())} lines) |"
                    )
                then = (
                    f" {statistics.median(t_then) * 1000:.0f} ms | {min(t_then) * 1000:.0f}-"
                    f"{max(t_then) * 1000:.0f} ms | {rss_then:.0f} MB |"
                )
            else:
                t_ours, rss_ours, out = series(ours, env, before)
                then = ""
            t_fts, rss_fts, _ = series(theirs, env)
            lines = len(out.splitlines())
            print(
                f"| {label} ({lines} lines) | {statistics.median(t_ours) * 1000:.0f} ms "
                f"| {min(t_ours) * 1000:.0f}-{max(t_ours) * 1000:.0f} ms | {rss_ours:.0f} MB |"
                f"{then} {statistics.median(t_fts) * 1000:.0f} ms | {rss_fts:.0f} MB |"
            )
        t_py, rss_py, _ = series([[py, "-c", "pass"]], env)
        print(f"| python -c pass (the floor) | {statistics.median(t_py) * 1000:.0f} ms "
              f"| {min(t_py) * 1000:.0f}-{max(t_py) * 1000:.0f} ms | {rss_py:.0f} MB | | |")  # fmt: skip
        print()
        print(f"load average after: {load()}")
    finally:
        if args.template is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


def filtered(word: str, fts: Path) -> list[tuple[str, list[list[str]], list[list[str]]]]:
    """The rows of searches with a filter or a sort (issue 13: within ~1.2x
    of the plain search), each beside FTS5 and SQLite doing the same."""
    py = sys.executable
    shapes = [
        (f"{word} date:2025 sort:newest", word, "p.date LIKE '2025%'", "p.date DESC"),
        (f"{word} upvotes:>5", word, "f.upvotes > 5", "rank"),
        ("date:2025 sort:upvotes", "", "p.date LIKE '2025%'",
         "coalesce(f.upvotes, -1) DESC, p.date DESC"),
        (f"{word} has:code sort:oldest", word, "f.code", "p.date"),
    ]  # fmt: skip
    rows = [
        (
            f"search {q} --limit 20",
            [[EXE, "search", q, "--limit", "20"]],
            [[py, "-c", FTS_FILTERED, str(fts), w, where, order, "20"]],
        )
        for q, w, where, order in shapes
    ]
    first = rows[0]
    rows.append((f"{first[0]} (columns made)", first[1], first[2]))
    return rows


def _has_facts(fts: Path) -> bool:
    import sqlite3

    with sqlite3.connect(fts) as db:
        got = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'facts'").fetchone()
    return got is not None


def _some_id(fts: Path, word: str) -> str:
    import sqlite3

    with sqlite3.connect(fts) as db:
        got = db.execute("SELECT id FROM papers WHERE papers MATCH ? LIMIT 1", (word,)).fetchone()
    return str(got[0]) if got else "2401.00001"


def _digest_bytes(cfg: Path) -> int:
    library = json.loads(cfg.read_text(encoding="utf-8").splitlines()[0].partition(":")[2])
    total = 0
    for root in map(Path, library):
        files = [root] if root.is_file() else [f for f in root.rglob("*") if f.is_file()]
        total += sum(f.stat().st_size for f in files)
    return total


if __name__ == "__main__":
    main()
