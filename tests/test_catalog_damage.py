"""A damaged catalog never gives a wrong answer: the probe.

SQLite keeps no checksums of its pages, so a byte changed in a B-tree page
(the ids' keys, the order index's columns, the ``days`` table, the header)
could go unnoticed and give a wrong answer: a paper said missing, another
day order, a filter that leaves papers out. The catalog file is damaged in
turn (cut off, a range zeroed, random bytes at 30 offsets spread over the
file and single bits flipped at 60 others, its modification time put back each time), each in a fresh copy, and
what a user sees is compared with a clean run: the CLI's commands (``show``
of every id, searches with ``date:``, ``upvotes:`` and ``sort:newest``, the
list order, days and counts, each as its own command reads it) and the
app's whole read. A trial may say the cache was damaged and rebuilt; it
may never answer otherwise than the clean run, and the next run is clean."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import reader.catalog as catalog
from reader.catalog import CatalogPapers
from reader.config import Config
from reader.fileio import locked
from reader.library import DAMAGED, Library, open_library
from reader.paths import Paths
from reader.search.engine import SearchEngine

QUERIES = [
    "date:2025-08-21",
    "date:2025-08-20..2025-08-21 sort:newest",
    "upvotes:>5",
    "agents upvotes:>3 sort:newest",
    "sort:newest",
    "tag:cs.CL",
    "has:code date:2025-08-22",
]


def _day(day: str, first: int, n: int) -> str:
    papers: list[dict[str, object]] = []
    for i in range(first, first + n):
        paper: dict[str, object] = {
            "id": f"2508.{i:05d}",
            "title": f"{'Agents' if i % 3 == 0 else 'Diffusion'} paper number {i}",
            "authors": [f"Author {i % 7}"],
            "abstract": f"Words about {'planning' if i % 2 else 'sampling'} and more {i}.",
            "upvotes": i % 11,
            "tags": ["cs.CL"] if i % 4 == 0 else ["cs.LG"],
        }
        if i % 5 == 0:
            paper["links"] = {"code": f"https://github.com/x/{i}"}
        papers.append(paper)
    papers.append({"id": "2508.99999", "title": "Seen Every Day", "abstract": "Agents daily."})
    return yaml.safe_dump({"title": f"Day {day}", "date": day, "papers": papers})


def _library_folder() -> None:
    folder = Paths.from_env().library_dir
    folder.mkdir(parents=True)
    for n, day in enumerate(["2025-08-20", "2025-08-21", "2025-08-22"]):
        (folder / f"{day}.yaml").write_text(_day(day, n * 33, 33), encoding="utf-8")


def _lazy() -> Library:
    """The library as a CLI command opens it."""
    return open_library(Paths.from_env(), Config(), lazy=True)


def _warned(lib: Library) -> bool:
    return any(DAMAGED in p.message for p in lib.problems)


def _done(lib: Library) -> None:
    """The command ends: its connection to the catalog closes."""
    if isinstance(lib.papers, CatalogPapers):
        lib.papers.catalog.close()


def _seen() -> tuple[dict[str, Any], bool]:
    """What a user sees, each answer from its own open as its own command
    would (a fresh process each), and whether any said it rebuilt."""
    warned = False
    lib = _lazy()
    warned |= _warned(lib)
    ids = sorted(lib.papers)
    show = {pid: dataclasses.asdict(lib.papers[pid]) for pid in ids}
    known = {pid: pid in lib.papers for pid in [*ids, "2508.77777"]}
    _done(lib)
    searches = {}
    for q in QUERIES:
        lib = _lazy()
        warned |= _warned(lib)
        got = SearchEngine(lib, None, None).search(q, limit=500)
        searches[q] = (got.ids, got.total)
        _done(lib)
    lib = _lazy()
    warned |= _warned(lib)
    listed = ([p.id for p in lib.ordered()], lib.days(), len(lib.papers))
    _done(lib)
    app = open_library(Paths.from_env(), Config(), partial=True)
    warned |= _warned(app)
    app = app.load_rest()
    whole = (
        [dataclasses.asdict(p) for p in app.ordered()],
        app.days(),
        len(app.papers),
        [dataclasses.asdict(d) for d in app.digests],
    )
    seen = {
        "ids": ids,
        "show": show,
        "known": known,
        "search": searches,
        "list": listed,
        "app": whole,
    }
    return seen, warned


def _cut(data: bytes, at: float) -> bytes:
    return data[: int(len(data) * at)]


def _zeroed(data: bytes, at: float, n: int) -> bytes:
    start = int(len(data) * at)
    return data[:start] + bytes(len(data[start : start + n])) + data[start + n :]


def _random_at(data: bytes, at: int, rng: random.Random) -> bytes:
    return data[:at] + rng.randbytes(len(data[at : at + 16])) + data[at + 16 :]


def _flipped(data: bytes, at: int, bit: int) -> bytes:
    return data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1 :]


def _trials(size: int) -> list[tuple[str, Callable[[bytes], bytes]]]:
    rng = random.Random(14)
    out: list[tuple[str, Callable[[bytes], bytes]]] = [
        (f"cut at {at:.0%}", lambda d, at=at: _cut(d, at)) for at in (0.1, 0.5, 0.9)
    ]
    out += [
        (f"zeroed 4 KB at {at:.0%}", lambda d, at=at: _zeroed(d, at, 4096))
        for at in (0.0, 0.3, 0.7)
    ]
    for i in range(30):
        at = int((i + rng.random()) * size / 30)
        seed = rng.getrandbits(32)
        out.append(
            (f"random bytes at {at}", lambda d, at=at, s=seed: _random_at(d, at, random.Random(s)))
        )
    for i in range(60):
        at, bit = int((i + rng.random()) * size / 60), rng.randrange(8)
        out.append((f"bit {bit} flipped at {at}", lambda d, at=at, bit=bit: _flipped(d, at, bit)))
    return out


def _put(path: Path, data: bytes, times: tuple[int, int]) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=times)


def test_no_damage_to_the_catalog_gives_a_wrong_answer() -> None:
    _library_folder()
    clean, warned = _seen()  # the first run writes the catalog
    assert not warned
    assert len(clean["ids"]) == 100
    assert [_seen()[0] == clean, _seen()[1]] == [True, False]  # read from the catalog
    cat = Paths.from_env().library_cache / "catalog.sqlite"
    assert not Path(f"{cat}-wal").exists()
    good = cat.read_bytes()
    st = cat.stat()
    times = (st.st_atime_ns, st.st_mtime_ns)
    wrong: list[str] = []
    for name, damage in _trials(len(good)):
        _put(cat, damage(good), times)
        try:
            seen, _ = _seen()
        except Exception as exc:  # an error is no wrong answer, but no answer either
            wrong.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if seen != clean:
            wrong.append(f"{name}: {sorted(k for k in clean if seen[k] != clean[k])}")
            continue
        again, warned = _seen()
        if again != clean or warned:
            wrong.append(f"{name}: the next run differs or warns again")
    assert wrong == [], f"{len(wrong)} wrong trials:\n" + "\n".join(wrong)


def _catalog() -> Path:
    return Paths.from_env().library_cache / "catalog.sqlite"


def _search(q: str) -> tuple[list[str], int, bool]:
    lib = _lazy()
    got = SearchEngine(lib, None, None).search(q, limit=500)
    _done(lib)
    return got.ids, got.total, _warned(lib)


def test_a_command_over_an_unchanged_catalog_hashes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The seal is checked by the file's stat: a command pays no hashing."""
    _library_folder()
    _done(_lazy())  # writes the catalog and its seal
    with monkeypatch.context() as m:
        m.setattr(catalog, "_crc_chunks", _no_hashing)
        for _ in range(2):
            lib = _lazy()
            assert lib.papers["2508.00042"].title == "Agents paper number 42"
            assert not _warned(lib)
            _done(lib)


def _no_hashing(path: Path, *rest: object) -> object:
    raise AssertionError(f"{path} hashed")


def test_a_well_formed_catalog_edited_in_place_is_damage() -> None:
    """Upvotes changed in the order index (SQLite finds nothing wrong, no row
    check sees it): the filter gave other papers; now the file is not the one
    sealed: rebuilt, said once, and the answers are the clean ones."""
    _library_folder()
    clean = _search("upvotes:>5")
    with contextlib.closing(sqlite3.connect(_catalog())) as db:
        db.execute("UPDATE papers SET upvotes = 0")
        db.commit()
    assert _search("upvotes:>5") == (clean[0], clean[1], True)
    assert _search("upvotes:>5") == clean


def test_the_same_bytes_copied_back_are_used_without_a_word() -> None:
    """A catalog copied (another inode, other times) but byte for byte the
    one sealed: hashed once, used, nothing parsed again."""
    _library_folder()
    clean = _search("agents sort:newest")
    data = _catalog().read_bytes()
    _catalog().unlink()
    _catalog().write_bytes(data)
    assert _search("agents sort:newest") == clean
    lib = open_library(Paths.from_env(), Config())
    assert lib.stats.parsed == 0 and not _warned(lib)


@pytest.mark.parametrize("how", ["no seal", "cut-short write"])
def test_a_catalog_without_its_seal_is_rebuilt_without_a_word(how: str) -> None:
    """A reader's catalog from before seals, or a write that ended before
    its seal: not damage, but not to be trusted either."""
    _library_folder()
    clean = _search("date:2025-08-21")
    Path(f"{_catalog()}.seal").unlink()
    if how == "cut-short write":
        with contextlib.closing(sqlite3.connect(_catalog())) as db:
            db.execute("UPDATE papers SET upvotes = 0")
            db.commit()
    assert _search("date:2025-08-21") == clean
    with pytest.MonkeyPatch.context() as m:
        m.setattr(catalog, "_crc_chunks", _no_hashing)  # sealed again by the rebuild
        assert _search("date:2025-08-21") == clean


def test_a_catalog_being_written_by_another_process_is_not_called_damaged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between another process's write and its seal the file differs from
    the seal: a reader that cannot take the lock meanwhile answers from the
    digests, says nothing and leaves the file to its writer."""
    _library_folder()
    clean = _search("upvotes:>5")
    with contextlib.closing(sqlite3.connect(_catalog())) as db:
        db.execute("UPDATE papers SET upvotes = upvotes")  # the file written to
        db.commit()
    monkeypatch.setattr(catalog, "LOCK_WAIT", 0.05)
    with locked(Path(f"{_catalog()}.lock")) as got:
        assert got
        assert _search("upvotes:>5") == clean
        assert _catalog().exists()


def test_bytes_the_seal_cannot_see_are_damage_not_a_traceback() -> None:
    """Bytes changed without the file system knowing (the seal still holds):
    a day that is not UTF-8 is damage found by the row checks, never an
    exception out of a command."""
    _library_folder()
    _done(_lazy())
    with contextlib.closing(sqlite3.connect(_catalog())) as db:
        db.execute("UPDATE days SET day = x'32f3' WHERE id = ?", (b"2508.00042",))
        db.commit()
    cat = catalog.Catalog(_catalog(), "")
    cat._seal()  # as if the bytes had changed under the same stat
    lib = _lazy()
    assert isinstance(lib.papers, CatalogPapers)
    assert lib.papers.days() is None  # rescued: the papers from the digests
    assert len(lib.papers) == 100
    _done(lib)
