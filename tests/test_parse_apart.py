"""A first read's largest file is parsed by a child process while the other
files are parsed in the reading thread (:mod:`reader.parse_apart`); the
library it gives is the library of a read in one process, and a child that
fails leaves the read whole."""

from __future__ import annotations

import io
import marshal
import os
import queue
import shutil
import tarfile
from pathlib import Path

import pytest

import reader.parse_apart as parse_apart
from reader.config import Config
from reader.formats import load_path
from reader.library import _digest_row, open_library
from reader.model import Digest
from reader.parse_apart import Apart
from reader.paths import Paths
from tests.test_tui import FIXTURE


def _day(n: int, papers: int) -> bytes:
    """A native digest of day ``n``: ``papers`` papers, one of them also on day 20."""
    lines = [f"title: Day {n}", f"date: 2025-07-{n:02d}", "papers:"]
    for k in range(papers):
        pid = f"2507.{n:02d}{k:03d}" if k else "2507.99999"
        lines += [
            f'  - id: "{pid}"',
            f'    title: "A Paper Of Day {n} Number {k}"',
            "    authors: [Some Author]",
            f'    abstract: "What day {n} brought, the {k}th of its papers."',
        ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The three small days of the TUI fixture and an archive of five more
    days, the biggest file by far (read last, and apart)."""
    lib = tmp_path / "digests"
    shutil.copytree(FIXTURE, lib)
    with tarfile.open(lib / "2025-07-big.tar.gz", "w:gz") as tar:
        for n in range(1, 6):
            data = _day(n, 40)
            info = tarfile.TarInfo(f"days/2025-07-{n:02d}.yaml")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return lib


def _first_read(folder: Path) -> tuple[list[tuple[str, int]], object]:
    seen: list[tuple[str, int]] = []

    def sink(path: Path, digest: Digest) -> None:
        seen.append((path.name, len(digest.papers)))

    lib = open_library(Paths.from_env(), Config(library=[folder]), sink=sink)
    return seen, lib


def test_the_largest_file_is_parsed_by_another_process_and_the_library_is_the_same(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_apart, "APART_BYTES", 1024)  # the archive is ~1.5 KB
    seen, lib = _first_read(folder)
    big = str(folder / "2025-07-big.tar.gz")
    pid = lib.stats.apart.get(big)  # type: ignore[attr-defined]
    assert pid and pid != os.getpid()  # parsed by a child
    assert list(lib.stats.apart) == [big]  # type: ignore[attr-defined]  # only the largest
    # its five days given to the sink one by one, last, as a read in one process does
    assert seen[-5:] == [("2025-07-big.tar.gz", 40)] * 5
    assert len(seen) == 8
    whole = open_library(Paths.from_env(), Config(library=[folder]), use_cache=False)
    assert whole.stats.apart == {}
    assert [p.id for p in lib.ordered()] == [p.id for p in whole.ordered()]  # type: ignore[attr-defined]
    assert dict(lib.papers) == dict(whole.papers)  # type: ignore[attr-defined]
    assert lib.digests == whole.digests  # type: ignore[attr-defined]


def test_a_small_largest_file_is_parsed_in_the_reading_thread(folder: Path) -> None:
    seen, lib = _first_read(folder)  # 1.5 KB, under APART_BYTES: not worth a child
    assert lib.stats.apart == {}  # type: ignore[attr-defined]
    assert len(seen) == 8


def test_a_child_that_cannot_start_leaves_the_file_parsed_here(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_apart, "APART_BYTES", 1024)
    monkeypatch.setattr(parse_apart.sys, "executable", "/bin/false")  # exits at once
    seen, lib = _first_read(folder)
    assert seen[-5:] == [("2025-07-big.tar.gz", 40)] * 5  # each day given once
    whole = open_library(Paths.from_env(), Config(library=[folder]), use_cache=False)
    assert dict(lib.papers) == dict(whole.papers)  # type: ignore[attr-defined]


def test_a_child_that_dies_midway_gives_no_digest_twice(folder: Path) -> None:
    """Two of the archive's days came from the child before it died: the
    file is parsed here and only the three others are given again."""
    big = folder / "2025-07-big.tar.gz"
    digests = load_path(big)
    apart = Apart.__new__(Apart)  # no child: what one sent before dying, queued
    apart.path, apart.max_bytes, apart.pid, apart.at = big, Config().max_file_bytes, 0, 0
    apart._proc, apart._conn, apart._drain = None, None, None
    apart._got = queue.Queue()
    for d in digests[:2]:
        apart._got.put((b"D", marshal.dumps(_digest_row(d))))
    apart._got.put(None)  # its end of the socket closed
    given: list[str] = []
    got = apart.take(lambda d: given.append(d.date))
    assert given == ["2025-07-01", "2025-07-02", "2025-07-03", "2025-07-04", "2025-07-05"]
    assert [d.date for d in got] == given
    assert [[p.id for p in d.papers] for d in got] == [[p.id for p in d.papers] for d in digests]


def test_a_read_stopped_before_the_large_file_ends_its_child(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.library import ReadStopped

    monkeypatch.setattr(parse_apart, "APART_BYTES", 1024)
    made: list[Apart] = []
    real = parse_apart.Apart.__init__

    def init(self: Apart, *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(parse_apart.Apart, "__init__", init)

    def sink(_path: Path, _digest: Digest) -> None:
        raise ReadStopped

    with pytest.raises(ReadStopped):
        open_library(Paths.from_env(), Config(library=[folder]), sink=sink)
    assert len(made) == 1 and made[0]._proc is None  # waited for, not left running
