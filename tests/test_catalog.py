"""The catalog read on demand: a command over an unchanged library parses no
digest and reads only the papers it shows; its answers are the same as over
the library read whole."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml

import reader.catalog as catalog
import reader.library as library
from reader.cli import main
from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.search.engine import SearchEngine


def _day(day: str, first: int, n: int) -> str:
    papers = []
    for i in range(first, first + n):
        paper: dict[str, object] = {
            "id": f"2508.{i:05d}",
            "title": f"{'Agents' if i % 3 == 0 else 'Diffusion'} paper number {i}",
            "authors": [f"Author {i % 7}"],
            "abstract": f"Words about {'planning' if i % 2 else 'sampling'} and more words {i}.",
            "upvotes": i % 11,
            "tags": ["cs.CL"] if i % 4 == 0 else ["cs.LG"],
        }
        if i % 5 == 0:
            paper["links"] = {"code": f"https://github.com/x/{i}"}
        papers.append(paper)
    # a paper seen on two days
    papers.append({"id": "2508.99999", "title": "Seen Every Day", "abstract": "Agents daily."})
    return yaml.safe_dump({"title": f"Day {day}", "date": day, "papers": papers})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = Paths.from_env().library_dir
    folder.mkdir(parents=True)
    for n, day in enumerate(["2025-08-20", "2025-08-21", "2025-08-22"]):
        (folder / f"{day}.yaml").write_text(_day(day, n * 40, 40), encoding="utf-8")
    return folder


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args]) == 0
    return capsys.readouterr().out


class _Counted:
    """Counts the papers built from catalog rows; fails any digest parse."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built = 0
        real = catalog.paper_from_row

        def counted(*a: object) -> object:
            self.built += 1
            return real(*a)  # type: ignore[arg-type]

        def no_parse(path: Path, **kw: object) -> object:
            raise AssertionError(f"{path} parsed")

        def no_ids(self: catalog.Catalog) -> list[str]:
            raise AssertionError("every id read")

        monkeypatch.setattr(catalog, "paper_from_row", counted)
        monkeypatch.setattr(library, "load_path", no_parse)
        # the index holds this very library: no id compared with it
        monkeypatch.setattr(catalog.Catalog, "ids", no_ids)


QUERIES = [
    "agents",
    "planning",
    "agents date:2025-08-21",
    "diffusion upvotes:>5 sort:newest",
    "tag:cs.cl sort:oldest",
    "has:code sort:upvotes",
    "date:2025-08-20..2025-08-21 -agents",
    "",
]


def test_a_command_over_an_unchanged_library_reads_only_what_it_prints(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli(capsys, "index")  # the catalog and the index, made once
    counted = _Counted(monkeypatch)
    out = _cli(capsys, "search", "agents", "--limit", "5")
    assert len(out.splitlines()) == 5
    # the hits the index gave (ties at the limit's edge included), not 121 papers
    assert 5 <= counted.built <= 41
    counted.built = 0
    out = _cli(capsys, "show", "2508.00042")
    assert "Agents paper number 42" in out
    assert counted.built == 1
    counted.built = 0
    _cli(capsys, "star", "2508.00042")
    assert counted.built == 1
    counted.built = 0
    out = _cli(capsys, "search", "is:starred date:2025-08-21 sort:newest")
    assert out.split("\t")[0] == "2508.00042"
    assert counted.built == 1  # filters and orders from the catalog's columns


def test_answers_are_those_of_the_library_read_whole(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths.from_env()
    _cli(capsys, "index")
    whole = open_library(paths, Config())
    lazy = open_library(paths, Config(), lazy=True)
    assert isinstance(lazy.papers, catalog.CatalogPapers)
    assert len(lazy.papers) == len(whole.papers) == 121
    a, b = SearchEngine(whole, None, None), SearchEngine(lazy, None, None)
    for q in QUERIES:
        got, want = b.search(q, limit=30), a.search(q, limit=30)
        assert (got.ids, got.total) == (want.ids, want.total), q
    assert [p.id for p in lazy.ordered()] == [p.id for p in whole.ordered()]
    assert lazy.digests == whole.digests and len(lazy.digests) == 3  # read when asked for
    assert {pid: p.to_dict() for pid, p in lazy.papers.items()} == {
        pid: p.to_dict() for pid, p in whole.papers.items()
    }


def test_show_search_and_export_print_what_a_whole_read_prints(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def outputs() -> list[str]:
        return [
            _cli(capsys, "show", "2508.99999", "--json"),
            _cli(capsys, "show", "2508.00005"),
            _cli(capsys, "search", "agents upvotes:>3 sort:newest"),
            _cli(capsys, "search", "date:2025-08-21 tag:cs.lg", "--json"),
            _cli(capsys, "export", "diffusion", "--format", "json"),
        ]

    lazy_first = outputs()  # the first builds the catalog, the rest read it
    _cli(capsys, "show", "2508.00005")
    with monkeypatch.context() as m:
        m.setattr(library, "CatalogPapers", _NeverLazy)
        whole = outputs()
    assert lazy_first == whole
    assert json.loads(lazy_first[0])["dates"] == ["2025-08-20", "2025-08-21", "2025-08-22"]


class _NeverLazy:
    """Stands in for CatalogPapers: a lazy open reads the rows whole."""

    def __new__(cls, cat: catalog.Catalog, count: int, fallback: object) -> dict[str, object]:  # type: ignore[misc]
        return {p.id: p for p in cat.papers()}


def test_a_changed_added_and_removed_digest_is_seen_by_the_next_command(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli(capsys, "search", "agents")
    written: list[int | None] = []
    real_write = catalog.Catalog.write

    def write(self: catalog.Catalog, header: object, everything: object, papers: object = None,
              touched: object = None, base: object = None, parts: object = None,
              files: object = None) -> None:  # fmt: skip
        written.append(None if papers is None else len(list(papers)))  # type: ignore[call-overload]
        return real_write(self, header, everything, papers, touched, base, parts, files)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog.Catalog, "write", write)
    (folder / "2025-08-23.yaml").write_text(_day("2025-08-23", 500, 3), encoding="utf-8")
    assert "2508.00501" in _cli(capsys, "search", "date:2025-08-23")
    changed = folder / "2025-08-20.yaml"
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("paper number 3\n", "paper renamed 3\n"),
        encoding="utf-8",
    )
    assert "renamed" in _cli(capsys, "show", "2508.00003")
    (folder / "2025-08-22.yaml").unlink()
    assert _cli(capsys, "search", "date:2025-08-22") == ""
    with pytest.raises(SystemExit):
        main(["show", "2508.00081"])  # it was only on the removed day
    assert "no paper with id '2508.00081' in 84 papers" in capsys.readouterr().err
    # each change wrote only the touched papers' rows, never the catalog whole
    assert len(written) == 3 and None not in written
    assert written[0] == 4  # three new papers and the one seen every day


def test_any_string_python_holds_is_kept_and_found(tmp_path: Path) -> None:
    """Ids and days are stored as UTF-8 with ``surrogatepass``: a lone
    surrogate (which the loaders refuse, so never from a digest) still reads
    back, through the slower way."""
    from reader.model import Paper

    cat = catalog.Catalog(tmp_path / "c.sqlite", "v")
    odd = Paper(id="t:odd\ud800", title="Odd \udcff", dates=["2025-08-20"], upvotes=2**70)
    plain = Paper(id="2508.00001", title="Plain", dates=["2025-08-21"])
    cat.write({"key": "k", "count": 2}, lambda: [plain, odd])
    assert sorted(cat.ids()) == sorted([odd.id, plain.id])
    assert cat.columns()[0] == [plain.id, odd.id]  # newest first
    assert cat.columns()[2] == [-1, catalog.VOTES_CAP]  # clamped in the column only
    assert cat.get([odd.id])[odd.id] == odd
    assert cat.on_days("2025-08-20", "2025-08-20") == [odd.id]


def test_a_new_day_is_merged_without_reading_the_other_papers(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetch case: a file only added, its papers merged with their rows
    in the catalog; no other paper is read, and the rows are written in place."""
    paths = Paths.from_env()
    open_library(paths, Config())
    (folder / "2025-08-23.yaml").write_text(_day("2025-08-23", 500, 3), encoding="utf-8")
    counted = _Counted(monkeypatch)
    monkeypatch.setattr(library, "load_path", _real_load_path)
    lib = open_library(paths, Config(), lazy=True)
    assert isinstance(lib.papers, catalog.CatalogPapers)
    assert lib.stats.parsed == 1
    # 2508.99999, met before: its row and its record of each of the three
    # days (kept beside it), merged with the new day's
    assert counted.built <= 5
    assert len(lib.papers) == 124
    assert lib.papers["2508.99999"].dates[-1] == "2025-08-23"
    assert lib.version is not None and lib.version.touched == {
        "2508.00500", "2508.00501", "2508.00502", "2508.99999",
    }  # fmt: skip
    scratch = open_library(paths, Config(), use_cache=False)
    assert {pid: p.to_dict() for pid, p in lib.papers.items()} == {
        pid: p.to_dict() for pid, p in scratch.papers.items()
    }
    assert [p.id for p in lib.ordered()] == [p.id for p in scratch.ordered()]


@pytest.mark.parametrize("how", ["removed", "changed"])
def test_a_day_removed_or_changed_reads_only_its_papers(
    folder: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A file removed (or changed) over a library read on demand: the ids it
    gave come from the catalog, only those papers are read and merged again
    (a removal from a million papers read every one: 56 s, 6.3 GB), and the
    rows are written in place; the library is the one a read from scratch
    gives."""
    paths = Paths.from_env()
    open_library(paths, Config())
    day = folder / "2025-08-21.yaml"
    if how == "removed":
        day.unlink()
    else:
        day.write_text(_day("2025-08-21", 40, 39), encoding="utf-8")  # 2508.00078 goes
    counted = _Counted(monkeypatch)
    monkeypatch.setattr(library, "load_path", _real_load_path)
    lib = open_library(paths, Config(), lazy=True)
    assert isinstance(lib.papers, catalog.CatalogPapers)
    assert lib.stats.parsed == (0 if how == "removed" else 1)
    # the day's 41 papers (one, 2508.99999, also seen on the other days:
    # its records kept beside it), not the library's 121
    assert counted.built <= 45
    assert len(lib.papers) == (81 if how == "removed" else 120)
    assert lib.version is not None and lib.version.touched == {
        *(f"2508.{i:05d}" for i in range(40, 80)),
        "2508.99999",
    }
    assert lib.papers["2508.99999"].dates == (
        ["2025-08-20", "2025-08-22"] if how == "removed" else
        ["2025-08-20", "2025-08-21", "2025-08-22"]
    )  # fmt: skip
    scratch = open_library(paths, Config(), use_cache=False)
    assert {pid: p.to_dict() for pid, p in lib.papers.items()} == {
        pid: p.to_dict() for pid, p in scratch.papers.items()
    }
    assert [p.id for p in lib.ordered()] == [p.id for p in scratch.ordered()]


_real_load_path = library.load_path


@pytest.mark.parametrize("how", ["added", "removed"])
def test_a_day_added_or_removed_reads_no_table_whole(
    folder: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """An update writes the day's rows by their keys: none of its
    statements scans the blocks (their pages hold every paper's fields:
    0.3 s of a day added to a million papers), the day rows (50 ms) or the
    key rows. The day rows of the papers it touches go by (day, id), their
    days read from their rows."""
    paths = Paths.from_env()
    open_library(paths, Config())
    day = folder / "2025-08-23.yaml"
    if how == "removed":
        day.write_text(_day("2025-08-23", 500, 3), encoding="utf-8")
        open_library(paths, Config())
        day.unlink()
    else:
        day.write_text(_day("2025-08-23", 500, 3), encoding="utf-8")
    statements: list[str] = []
    conns: list[sqlite3.Connection] = []
    real_connect = catalog.Catalog._connect

    def connect(self: catalog.Catalog, create: bool, held: bool = False) -> object:
        db = real_connect(self, create, held)
        if db is not None and db not in conns:
            conns.append(db)
            db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(catalog.Catalog, "_connect", connect)
    lib = open_library(paths, Config(), lazy=True)
    assert lib.version is not None and "2508.00501" in lib.version.touched
    assert ("2508.00501" in lib.papers) == (how == "added")
    db = conns[-1]
    db.set_trace_callback(None)
    scans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue
        for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"):
            if re.search(r"\bSCAN (blocks|days|papers)\b", row[-1]):
                scans.append((sql[:80], row[-1]))
    assert any(s.startswith("DELETE FROM days") for s in statements)
    assert scans == []
    scratch = open_library(paths, Config(), use_cache=False)
    assert {pid: p.to_dict() for pid, p in lib.papers.items()} == {
        pid: p.to_dict() for pid, p in scratch.papers.items()
    }
    assert [p.id for p in lib.ordered()] == [p.id for p in scratch.ordered()]
    days = sorted(db.execute("SELECT CAST(day AS TEXT), CAST(id AS TEXT), rank FROM days"))
    want = sorted(
        (d, p.id, p.ranks.get(d)) for p in scratch.papers.values() for d in dict.fromkeys(p.dates)
    )
    assert days == want


def test_a_command_reads_the_rows_it_prints_in_a_few_queries(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli(capsys, "index")
    calls: list[int] = []
    real_get = catalog.Catalog.get

    def get(self: catalog.Catalog, ids: object) -> object:
        want = list(ids)  # type: ignore[call-overload]
        calls.append(len(want))
        return real_get(self, want)

    monkeypatch.setattr(catalog.Catalog, "get", get)
    out = _cli(capsys, "export", "date:2025-08-21 sort:newest", "--format", "json")
    assert len(json.loads(out)) == 41
    assert calls == [41]  # one query for the 41 papers, not one each
    calls.clear()
    assert len(_cli(capsys, "search", "tag:cs.cl sort:oldest").splitlines()) == 30
    assert calls == [30]


def test_a_walk_of_every_paper_does_not_hold_the_rows_of_the_list(tmp_path: Path) -> None:
    """The search thread's warm-up walks every paper's key row a chunk at a
    time while the event loop reads the list's rows: the walk holds the
    catalog only while it fetches a chunk, so the list's read does not wait
    for the whole walk (a 78 ms stall of the loop at 100k papers; at a
    million, seconds). Here the walk stops after its first chunk: before,
    the list's read waited until the walk went on."""
    import threading

    from reader.model import Paper

    papers = [
        Paper(id=f"2508.{i:05d}", title=f"Paper {i}", dates=["2025-08-21"]) for i in range(50)
    ]
    cat = catalog.Catalog(tmp_path / "c.sqlite", "v")
    assert cat.write({"key": "k", "count": 50}, lambda: papers)
    walk = cat._chunks("SELECT id FROM papers")
    first, done = threading.Event(), threading.Event()

    def walker() -> None:  # the search thread: a chunk taken, then busy with it
        next(walk)
        first.set()
        done.wait(60)
        walk.close()

    thread = threading.Thread(target=walker, daemon=True)
    thread.start()
    assert first.wait(30)
    got: dict[str, object] = {}
    reader = threading.Thread(target=lambda: got.update(cat.list_rows(["2508.00007"])), daemon=True)
    reader.start()
    reader.join(30)  # a deadlock check, not a timing: the read is instant or never
    done.set()
    thread.join(30)
    assert got == {"2508.00007": ("Paper 7", "2025-08-21", None)}


def test_a_write_hashes_again_only_the_chunks_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seal's CRC32 is that of each chunk of the file: a write hashes
    again only the chunks its pages (the WAL's, before the checkpoint) fell
    in, not the whole file (790 MB at a million papers), and the chunks'
    CRCs are those of the whole file hashed anew."""
    monkeypatch.setattr(catalog, "SEAL_CHUNK", 8192)  # a page: a small file of many chunks
    folder = Paths.from_env().library_dir
    folder.mkdir(parents=True)
    for n, day in enumerate(["2025-08-20", "2025-08-21", "2025-08-22"]):
        (folder / f"{day}.yaml").write_text(_day(day, n * 1000, 1000), encoding="utf-8")
    paths = Paths.from_env()
    open_library(paths, Config())
    path = paths.library_cache / catalog.FILE_NAME
    real_pread = catalog.os.pread
    hashed: list[int] = []

    def pread(fd: int, size: int, at: int) -> bytes:
        if size == catalog.SEAL_CHUNK:
            hashed.append(at // size)
        return real_pread(fd, size, at)

    monkeypatch.setattr(catalog.os, "pread", pread)
    (folder / "2025-08-23.yaml").write_text(_day("2025-08-23", 5000, 50), encoding="utf-8")
    lib = open_library(paths, Config(), lazy=True)
    assert lib.stats.parsed == 1 and len(lib.papers) == 3051
    chunks = -(-path.stat().st_size // catalog.SEAL_CHUNK)
    assert chunks > 40 and 0 < len(hashed) < chunks // 3, (len(hashed), chunks)
    monkeypatch.setattr(catalog.os, "pread", real_pread)
    whole, _ = catalog._crc_chunks(path)
    assert Path(f"{path}{catalog.CRCS_SUFFIX}").read_bytes() == whole
    again = open_library(paths, Config(), lazy=True)  # the seal holds: no rebuild
    assert again.stats.parsed == 0 and not again.problems
