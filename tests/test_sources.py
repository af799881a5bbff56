"""Remembered sources: forgetting one, and which papers came from one."""

from __future__ import annotations

from pathlib import Path

from reader.config import Config
from reader.library import (
    forget_source,
    open_library,
    papers_from,
    remember_sources,
    remembered_sources,
)
from reader.paths import Paths


def test_forget_source_removes_only_that_one(tmp_path: Path) -> None:
    paths = Paths.from_env()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    remember_sources(paths, [a, b])
    assert forget_source(paths, a) == a.resolve()
    assert remembered_sources(paths) == [b.resolve()]
    assert forget_source(paths, a) is None  # not there any more
    assert remembered_sources(paths) == [b.resolve()]


def test_a_forgotten_source_is_not_read_at_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "day.yaml").write_text(
        'title: A day\ndate: 2025-07-03\npapers:\n  - id: "2507.01234"\n    title: "One"\n',
        encoding="utf-8",
    )
    paths = Paths.from_env()
    remember_sources(paths, [folder])
    lib = open_library(paths, Config(), use_cache=False)
    assert papers_from(lib, folder.resolve()) == {"2507.01234"}
    forget_source(paths, folder)
    lib = open_library(paths, Config(), use_cache=False)
    assert "2507.01234" not in lib.papers
