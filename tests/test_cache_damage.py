"""A damaged, foreign or old parse cache or snapshot never gives wrong answers.

Each cache file is damaged in turn (truncated, zeroed, bytes flipped in the
middle or in a length, garbage, bytes added) and the library read again is
compared with a clean read: the same papers with the same merged fields, the
damage said once, and the cache good again afterwards."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import random
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import reader.library as library
from reader import catalog
from reader.config import Config
from reader.library import DAMAGED, Library, open_library
from reader.paths import Paths

DAY1 = """\
title: Daily Papers
date: 2025-08-20
papers:
  - id: "2508.00001"
    title: Shared Paper About Agents
    authors: [Ada Lovelace]
    abstract: A short abstract.
    links: {abs: https://arxiv.org/abs/2508.00001}
    upvotes: 3
  - id: "2508.00002"
    title: Only On Day One
    abstract: Day one only.
"""

DAY2 = """\
title: Daily Papers
date: 2025-08-21
papers:
  - id: "2508.00001v2"
    title: Shared Paper About Agents
    authors: [Ada Lovelace, Alan Turing]
    abstract: A much longer abstract that says more about the shared paper.
    links: {abs: https://arxiv.org/abs/2508.00001, code: https://github.com/x/y}
    upvotes: 10
  - id: "2508.00003"
    title: Only On Day Two
    abstract: Day two only.
"""

DAY3 = """\
title: Newsletter
date: 2025-08-22
papers:
  - title: A Paper Known Only By Its Title
    abstract: No id at all.
  - id: "2508.00002"
    title: Only On Day One
    tags: [agents]
"""


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    for name, text in (("a.yaml", DAY1), ("b.yaml", DAY2), ("c.yaml", DAY3)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _open(folder: Path, partial: bool = False, use_cache: bool = True) -> Library:
    lib = open_library(Paths.from_env(), Config(), [folder], partial=partial, use_cache=use_cache)
    return lib.load_rest()


def _seen(lib: Library) -> dict[str, Any]:
    """What a user sees of a library: every paper with every merged field, in
    order, the digests and the problems (the cache's own warning aside)."""
    return {
        "papers": [dataclasses.asdict(p) for p in lib.ordered()],
        "ids": sorted(lib.papers),
        "digests": [dataclasses.asdict(d) for d in lib.digests],
        "problems": [str(p) for p in lib.problems if DAMAGED not in p.message],
    }


def _warnings(lib: Library) -> list[str]:
    return [str(p) for p in lib.problems if DAMAGED in p.message]


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _zero(data: bytes) -> bytes:
    return b"\0" * len(data)


def _flip_middle(data: bytes) -> bytes:
    out = bytearray(data)
    for at in (len(out) // 2, len(out) // 2 + 7):
        out[at] ^= 0xFF
    return bytes(out)


def _flip_length(data: bytes) -> bytes:
    # the first object's length (after the magic and the file's size): once
    # asked Python for exabytes, a MemoryError that ended the program
    out = bytearray(data)
    out[16] ^= 0x7F
    return bytes(out)


def _flip_size(data: bytes) -> bytes:
    out = bytearray(data)
    out[15] ^= 0x01
    return bytes(out)


def _garbage(data: bytes) -> bytes:
    return random.Random(14).randbytes(len(data))


def _appended(data: bytes) -> bytes:
    return data + b"\0" * 40


DAMAGES: list[Callable[[bytes], bytes]] = [
    _truncate,
    _zero,
    _flip_middle,
    _flip_length,
    _flip_size,
    _garbage,
    _appended,
]


def _cache_files() -> list[Path]:
    return sorted(Paths.from_env().library_cache.iterdir())


def _catalog() -> Path:
    return Paths.from_env().library_cache / "catalog.sqlite"


def _flip_in_a_row(data: bytes) -> bytes:
    """A byte flipped inside the stored papers (a compressed block of rows)."""
    # zlib's header at the catalog's level, with a preset dictionary
    z = zlib.compressobj(catalog._LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, b"x")
    start = (z.compress(b"x") + z.flush())[:2]
    at = data.index(start)  # a block starts so
    out = bytearray(data)
    out[at + 12] ^= 0xFF
    return bytes(out)


def _header_page_size(data: bytes) -> bytes:
    out = bytearray(data)
    out[16] ^= 0x7F  # SQLite's page size
    return bytes(out)


#: What SQLite or the rows' own checks find out. (A byte flipped anywhere in a
#: SQLite file is not always found: SQLite keeps no checksums of its pages.)
CATALOG_DAMAGES: list[Callable[[bytes], bytes]] = [
    _truncate,
    _zero,
    _flip_size,
    _header_page_size,
    _garbage,
    _flip_in_a_row,
]


@pytest.mark.parametrize("damage", CATALOG_DAMAGES, ids=lambda d: d.__name__.strip("_"))
@pytest.mark.parametrize("how", ["cli", "app", "lazy"])
def test_each_damaged_catalog_gives_the_clean_library_and_says_so_once(
    tmp_path: Path, damage: Callable[[bytes], bytes], how: str
) -> None:
    folder = _folder(tmp_path)
    clean = _seen(_open(folder, use_cache=False))
    assert _seen(_open(folder)) == clean
    big = _catalog()
    assert not Path(f"{big}-wal").exists()  # every write checkpointed: one file
    big.write_bytes(damage(big.read_bytes()))
    if how == "lazy":
        # found on opening, or in a row: then every row comes from the digests
        lib = open_library(Paths.from_env(), Config(), [folder], lazy=True)
        assert _seen(lib) == clean
    else:
        lib = _open(folder, partial=how == "app")
        assert _seen(lib) == clean
        assert len(_warnings(lib)) == 1
        assert "cache file was damaged: rebuilt" in _warnings(lib)[0]
    again = _open(folder, partial=how == "app")
    assert _seen(again) == clean
    assert _warnings(again) == []
    assert again.stats.parsed == 0


def test_a_catalog_key_leading_to_another_papers_row_is_damage(tmp_path: Path) -> None:
    """A damaged page of keys can lead an id to another paper's row (a valid
    row, its checksum intact): the paper asked for is never answered with
    another one, nor said to be missing."""
    import sqlite3

    folder = _folder(tmp_path)
    clean = open_library(Paths.from_env(), Config(), [folder], use_cache=False)
    _open(folder)
    first, second = sorted(clean.papers)[:2]
    with sqlite3.connect(_catalog()) as db:
        key = db.execute("SELECT block, slot FROM papers WHERE id = ?", (second.encode(),))
        db.execute(
            "UPDATE papers SET block = ?, slot = ? WHERE id = ?", (*key.fetchone(), first.encode())
        )
    db.close()
    # the bytes changed under the same stat (the seal cannot see it): the row
    # check is what must catch it
    catalog.Catalog(_catalog(), "")._seal()
    lib = open_library(Paths.from_env(), Config(), [folder], lazy=True)
    got = lib.papers.get(first)
    assert got is not None and got.title == clean.papers[first].title


def test_bytes_appended_to_the_catalog_change_nothing(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    clean = _seen(_open(folder, use_cache=False))
    _open(folder)
    _catalog().write_bytes(_appended(_catalog().read_bytes()))
    lib = _open(folder)
    assert _seen(lib) == clean
    assert lib.stats.parsed == 3  # not the file sealed: read again from the digests


@pytest.mark.parametrize("damage", CATALOG_DAMAGES, ids=lambda d: d.__name__.strip("_"))
@pytest.mark.parametrize("lazy", [False, True], ids=["app", "cli"])
def test_an_update_over_a_damaged_catalog_reads_the_digests(
    tmp_path: Path, damage: Callable[[bytes], bytes], lazy: bool
) -> None:
    """b.yaml changes: its shared paper is merged again with a.yaml's record,
    which the catalog keeps, and the catalog is damaged."""
    folder = _folder(tmp_path)
    _open(folder)
    _catalog().write_bytes(damage(_catalog().read_bytes()))
    (folder / "b.yaml").write_text(DAY2.replace("upvotes: 10", "upvotes: 12"), encoding="utf-8")
    clean = _seen(_open(folder, use_cache=False))
    lib = open_library(Paths.from_env(), Config(), [folder], lazy=lazy)
    assert _seen(lib) == clean
    assert lib.papers["2508.00001"].upvotes == 12
    assert lib.papers["2508.00001"].authors == ["Ada Lovelace", "Alan Turing"]
    if not lazy:  # a command may find the damage only in the rows it reads
        assert len(_warnings(lib)) == 1


def test_every_cache_file_damaged_at_once_is_said_in_one_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    clean = _seen(_open(folder, use_cache=False))
    _open(folder)
    files = _cache_files()  # the catalog, its chunks' CRCs, seal and lock: no parse caches
    assert [f.name for f in files] == [
        "catalog.sqlite",
        "catalog.sqlite.crcs",
        "catalog.sqlite.lock",
        "catalog.sqlite.seal",
    ]
    for f in files:
        f.write_bytes(_zero(f.read_bytes()))
    lib = _open(folder)
    assert _seen(lib) == clean
    assert _warnings(lib) == [f"{_catalog()}: cache file {DAMAGED}"]


def test_a_snapshot_of_another_version_is_never_used_even_to_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written by another version whose formats read the same files otherwise
    (here: every title in capitals), with the same stamps: not a paper of it
    may stay, and that is no damage to report."""
    folder = _folder(tmp_path)
    clean = _seen(_open(folder, use_cache=False))
    real_load = library.load_path

    def other_format(path: Path, **kw: Any) -> Any:
        digests = real_load(path, **kw)
        for d in digests:
            for p in d.papers:
                p.title = p.title.upper()
        return digests

    with monkeypatch.context() as m:
        m.setattr(library, "CACHE_VERSION", library.CACHE_VERSION - 1)
        m.setattr(library, "load_path", other_format)
        old = _open(folder)
        assert old.papers["2508.00002"].title == "ONLY ON DAY ONE"
    for partial in (False, True):
        lib = _open(folder, partial=partial)
        assert _seen(lib) == clean
        assert _warnings(lib) == []


def _same_size_and_time(path: Path, text: str) -> None:
    """``text`` written over ``path`` (as long as before), then ``touch -r``
    with the old file: a file restored from a backup."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize("partial", [False, True], ids=["cli", "app"])
def test_a_digest_changed_under_the_same_size_and_time_is_read_again(
    tmp_path: Path, partial: bool
) -> None:
    folder = _folder(tmp_path)
    assert _open(folder).papers["2508.00001"].upvotes == 10
    _same_size_and_time(folder / "b.yaml", DAY2.replace("upvotes: 10", "upvotes: 99"))
    lib = _open(folder, partial=partial)
    assert lib.papers["2508.00001"].upvotes == 99
    assert _seen(lib) == _seen(_open(folder, use_cache=False))
    assert _warnings(lib) == []  # a changed digest is no damage


def _big_day(title_first: str, title_last: str) -> str:
    papers = [f'  - id: "2508.{n:05d}"\n    title: Paper number {n:05d} of a long day\n'
              for n in range(10, 4010)]  # fmt: skip
    papers[0] = f'  - id: "2508.00009"\n    title: {title_first}\n'
    papers[-1] = f'  - id: "2508.09999"\n    title: {title_last}\n'
    return "title: Daily Papers\ndate: 2025-08-23\npapers:\n" + "".join(papers)


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_big_digest_changed_at_either_end_under_the_same_size_and_time_is_read_again(
    tmp_path: Path, where: str
) -> None:
    """A file over twice the fingerprint's reach: its first and last 64 KB."""
    folder = _folder(tmp_path)
    big = folder / "d.yaml"
    big.write_text(_big_day("The First Paper", "The Last Paper"), encoding="utf-8")
    assert big.stat().st_size > 2 * library.FINGERPRINT_BYTES
    _open(folder)
    changed = (
        _big_day("The Fir5t Paper", "The Last Paper")
        if where == "first"
        else _big_day("The First Paper", "The La5t Paper")
    )
    _same_size_and_time(big, changed)
    lib = _open(folder)
    assert _seen(lib) == _seen(_open(folder, use_cache=False))
    assert {lib.papers["2508.00009"].title, lib.papers["2508.09999"].title} & {
        "The Fir5t Paper",
        "The La5t Paper",
    }


def test_an_older_readers_cache_is_rebuilt_without_a_word(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    clean = _seen(_open(folder, use_cache=False))
    _open(folder)
    with contextlib.closing(sqlite3.connect(_catalog())) as db:
        db.execute("UPDATE meta SET v = '0' WHERE k = 'format'")  # a catalog of before
        db.commit()
    Path(f"{_catalog()}.seal").unlink()  # the readers before seals wrote none
    lib = _open(folder)
    assert _seen(lib) == clean
    assert _warnings(lib) == []
    assert lib.stats.parsed == 3


def test_the_caches_of_readers_before_the_catalog_are_removed(tmp_path: Path) -> None:
    """The snapshot before the catalog, and the parse cache of each digest
    file (more than the digests' own size, not kept since)."""
    folder = _folder(tmp_path)
    cache = Paths.from_env().library_cache
    cache.mkdir(parents=True)
    old = [cache / "library.snapshot", cache / (hashlib.sha1(b"a").hexdigest() + ".bin")]
    for f in old:
        f.write_bytes(b"DRCACHE3" + bytes(100))
    _open(folder)
    assert [f for f in old if f.exists()] == []
    assert sorted(f.name for f in cache.iterdir()) == [
        "catalog.sqlite", "catalog.sqlite.crcs", "catalog.sqlite.lock", "catalog.sqlite.seal",
    ]  # fmt: skip
