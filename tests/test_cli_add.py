"""``digest-reader add`` says what it will do (issue 14, item 2): it copies only
what the library will read, by the library's own name rule, and says why for
the rest, with exit status 1 when something was refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from reader.cli import main
from reader.library import find_files
from reader.paths import Paths

DIGEST = """\
title: Add test digest
date: 2025-08-21
papers:
  - id: "2508.10001"
    title: Sparse Attention for Long Documents
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args])
    return code, capsys.readouterr().out


def _library() -> list[str]:
    folder = Paths.from_env().library_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("README.md", "a folder's README, SOURCES or LICENSE note: the library skips it"),
        (".hidden.json", "a hidden file (its name starts with a dot): the library skips it"),
        ("feed", "the library reads only files whose names end in .yaml, .yml, .json"),
        ("digest.htm", "the library reads only files whose names end in .yaml, .yml, .json"),
    ],
)
def test_add_refuses_what_the_library_would_never_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, reason: str
) -> None:
    src = tmp_path / name
    src.write_text(DIGEST, encoding="utf-8")  # a good digest: only the name is wrong
    code, out = run(capsys, "add", str(src))
    assert code == 1
    assert out.startswith(f"{src}: not added: {reason}")
    assert "added as" not in out
    assert _library() == []


def test_add_takes_the_good_and_refuses_the_rest_in_one_go(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "2025-08-21.yaml"
    good.write_text(DIGEST, encoding="utf-8")
    (tmp_path / "feed").write_text(DIGEST, encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    code, out = run(capsys, "add", str(good), str(tmp_path / "feed"), str(empty))
    assert code == 1
    lines = out.splitlines()
    assert f"{good}: 1 paper added as" in lines[0]
    assert lines[1].startswith(f"{tmp_path / 'feed'}: not added: ")
    assert lines[-1] == f"{empty}: no papers could be read, not added"
    assert _library() == ["2025-08-21.yaml"]
    # what was added is what the library reads
    assert [p.name for p in find_files([Paths.from_env().library_dir])] == _library()


def test_a_second_archive_of_the_same_name_is_still_read_as_an_archive(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for n, title in enumerate(("First archive paper", "Second archive paper")):
        blob = DIGEST.replace("Sparse Attention for Long Documents", title).encode()
        blob = blob.replace(b"2508.10001", f"2508.2000{n}".encode())
        folder = tmp_path / str(n)
        folder.mkdir()
        with tarfile.open(folder / "days.tar.gz", "w:gz") as tf:
            info = tarfile.TarInfo("day.yaml")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
        code, out = run(capsys, "add", str(folder / "days.tar.gz"))
        assert code == 0, out
    assert _library() == ["days-2.tar.gz", "days.tar.gz"]
    _, out = run(capsys, "search", "archive paper", "--json")
    assert sorted(h["title"] for h in json.loads(out)) == [
        "First archive paper",
        "Second archive paper",
    ]
