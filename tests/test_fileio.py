"""The one atomic write and the one flock helper (reader/fileio.py): what a
user keeps when a save is interrupted, and that nothing else writes by itself."""

from __future__ import annotations

import ast
import errno
import os
import stat
from pathlib import Path

import pytest

from reader import fileio
from reader.fileio import (
    FileLock,
    atomic_copy,
    atomic_snapshot,
    atomic_write,
    atomic_write_text,
    locked,
    remove_leftovers,
)

CORE = Path(__file__).resolve().parent.parent / "reader"


@pytest.fixture
def d(tmp_path: Path) -> Path:
    """An empty folder of this test's own (tmp_path also holds the XDG folders)."""
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


def _others(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_a_crash_between_write_and_rename_leaves_the_old_file(
    d: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = d / "notes.yaml"
    target.write_text("old and good\n")

    def crash(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old and good\n"
    assert _others(d, {"notes.yaml"}) == []  # no temporary file left behind


def test_an_error_while_writing_leaves_the_old_file(
    d: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = d / "a.bin"
    target.write_bytes(b"old")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert _others(d, {"a.bin"}) == []


def test_the_new_file_is_synced_renamed_from_the_same_folder_and_the_folder_synced(
    d: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = d / "sub" / "state.yaml"  # a missing folder is made
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(f"fsync {kind}")
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        assert Path(src).parent == Path(dst).parent
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(target, "text é\n", before_replace=lambda: events.append("hook"))
    assert target.read_text(encoding="utf-8") == "text é\n"
    assert events == ["fsync file", "hook", "replace", "fsync dir"]
    events.clear()
    atomic_write(target, b"cache", durable=False)  # a cache skips both fsyncs
    assert events == ["replace"] and target.read_bytes() == b"cache"


def test_a_failing_hook_before_the_rename_keeps_the_old_file(d: Path) -> None:
    target = d / "f"
    target.write_text("old")

    def hook() -> None:
        raise OSError(errno.EROFS, "read-only")

    with pytest.raises(OSError):
        atomic_write(target, "new", before_replace=hook)
    assert target.read_text() == "old" and _others(d, {"f"}) == []


def test_permissions_are_kept_and_new_files_get_the_mode_asked(d: Path) -> None:
    kept = d / "kept"
    kept.write_text("x")
    kept.chmod(0o640)
    atomic_write_text(kept, "y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "y"
    private = d / "private"
    atomic_write(private, "secret", mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_copy_and_snapshot(d: Path) -> None:
    src = d / "src.yaml"
    src.write_bytes(b"a" * 300_000)
    atomic_copy(src, d / "copy.yaml")
    assert (d / "copy.yaml").read_bytes() == src.read_bytes()
    assert atomic_snapshot(src, d / "snap.yaml")
    assert (d / "snap.yaml").read_bytes() == src.read_bytes()
    assert not atomic_snapshot(d / "missing", d / "snap2.yaml")
    assert sorted(p.name for p in d.iterdir()) == ["copy.yaml", "snap.yaml", "src.yaml"]


def test_leftovers_of_a_killed_writer_are_removed_and_nothing_else(d: Path) -> None:
    target = d / "state.yaml"
    target.write_text("good")
    left = fileio.temp_path(target)
    left.write_text("half a sta")
    other = fileio.temp_path(d / "state.yaml.bak")
    other.write_text("another file's temp")
    remove_leftovers(target)
    assert not left.exists() and other.exists() and target.read_text() == "good"


def test_a_lock_is_exclusive_until_released(d: Path) -> None:
    path = d / "x.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire()
    assert not second.acquire()
    assert not second.acquire(timeout=0.02)  # waits, then gives up
    with locked(path) as got:
        assert got is False
    first.release()
    with locked(path) as got:
        assert got is True
        assert not FileLock(path).acquire()
    assert second.acquire()
    second.release()
    second.release()  # twice is harmless


def test_a_lock_file_that_cannot_be_made_raises(d: Path) -> None:
    with pytest.raises(OSError):
        FileLock(d / "missing-folder" / "x.lock").acquire()


def _calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = f"{getattr(base, 'id', '?')}.{node.func.attr}"
            if name in {"os.replace", "fcntl.flock", "shutil.copyfile", "os.fsync"}:
                found.append(f"{path.relative_to(CORE)}:{node.lineno}: {name}")
    return found


def test_only_fileio_replaces_files_or_takes_locks() -> None:
    """One atomic write and one flock helper: everything else calls them."""
    offenders = [c for p in sorted(CORE.rglob("*.py")) if p.name != "fileio.py" for c in _calls(p)]
    assert offenders == []


def test_the_search_index_removes_leftovers_of_a_killed_atomic_write(d: Path) -> None:
    from reader.model import Paper
    from reader.search.index import SearchIndex

    papers = {"2501.00001": Paper(id="2501.00001", title="Sparse autoencoders")}
    index = SearchIndex(d)
    index.sync(papers)
    index.close()
    gen = d / (d / "CURRENT").read_text().strip()
    left = [fileio.temp_path(d / "CURRENT"), fileio.temp_path(gen / "stamp.json")]
    for p in left:
        p.write_text("half")
    assert all(fileio.is_temp(p.name) for p in left) and not fileio.is_temp("CURRENT")
    index = SearchIndex(d)
    index.sync({**papers, "2501.00002": Paper(id="2501.00002", title="Dense")})
    index.close()
    assert not any(p.exists() for p in left)
