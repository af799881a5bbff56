"""The state under faults: kill -9 mid-save, two writers, a full disk, a
read-only home, a file that cannot be read. The user's data always survives."""

from __future__ import annotations

import errno
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reader.paths import Paths
from reader.state import StateError, StateStore, open_state

WORKER = Path(__file__).resolve().parent / "helpers" / "state_worker.py"


@pytest.fixture
def path() -> Path:
    return Paths.from_env().state_file


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# -- kill -9 ----------------------------------------------------------------


def _writer_child(store: StateStore, round_no: int, ack_fd: int) -> None:
    """Runs in a forked child: save changes as fast as possible, ack each one.
    The store was loaded by the parent just before (as an app that runs)."""
    try:
        for i in range(10_000):
            if i % 2:
                store.add_tags([f"2401.{10000 + i % 40}"], [f"r{round_no}-{i}"])
            else:
                store.set_note(f"2402.{10000 + i % 40}", f"round {round_no} change {i}")
            os.write(ack_fd, f"{i}\n".encode())
    finally:
        os._exit(0)


def _read_acks(fd: int, wait_for: int = 0, buf: bytearray | None = None) -> list[int]:
    """Acks in the pipe: block (up to 5 s) until ``wait_for`` arrived, then take
    whatever else is there."""
    data = buf if buf is not None else bytearray()
    deadline = time.monotonic() + 5
    while True:
        count = data.count(b"\n")
        timeout = max(0.0, deadline - time.monotonic()) if count < wait_for else 0.0
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return [int(x) for x in bytes(data).split()]


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_a_saved_change(path: Path) -> None:
    # a state of some size, so that a save takes long enough to be interrupted
    store = open_state(path)
    store.mark_read_many([f"2403.{10000 + i}" for i in range(60)])
    rng = random.Random(20261126)
    rounds = 200
    acked_total = 0
    for round_no in range(rounds):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            _writer_child(store, round_no, w)
        os.close(w)
        # let a few saves finish, then kill at a random point of the next one
        # (a save takes ~5-15 ms here: three fsyncs and two renames)
        buf = bytearray()
        _read_acks(r, wait_for=rng.randint(0, 2), buf=buf)
        time.sleep(rng.uniform(0.0, 0.015))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        acked = _read_acks(r, buf=buf)
        os.close(r)
        acked_total += len(acked)

        store = open_state(path)  # also cleans up what the killed save left
        assert not store.read_only, store.problem
        assert store.get("2403.10059").read  # the seed is never lost
        for i in acked:
            if i % 2:
                assert f"r{round_no}-{i}" in store.get(f"2401.{10000 + i % 40}").tags
            else:
                note = store.get(f"2402.{10000 + i % 40}").note
                # a later change to the same note may have replaced it; never an older one
                done = int(note.rsplit(" ", 1)[1]) if note.startswith(f"round {round_no}") else -1
                assert done >= i, (round_no, i, note)
        assert not _leftovers(path.parent)
        if round_no % 10 == 0 and store.backup_path.exists():
            assert not open_state(store.backup_path).read_only
    assert acked_total > rounds  # saves really happened between the kills


# -- two processes at once -----------------------------------------------------


@pytest.mark.parametrize("how", [("whole", "whole"), ("lazy", "whole"), ("lazy", "lazy")])
def test_two_processes_making_200_changes_each_keep_all_400(
    path: Path, how: tuple[str, str]
) -> None:
    # the app and the CLI (lazy: reading only what each change needs) at once
    open_state(path).toggle_star("2400.00001")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(path), name, "200", mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name, mode in zip(("a", "b"), how, strict=True)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.count("ack") == 200

    store = open_state(path)
    kept = 0
    for name in ("a", "b"):
        for i in range(200):
            kind = i % 3
            if kind == 0:
                kept += f"{name}-{i}" in store.get(f"2401.{10000 + i % 7}").tags
            elif kind == 1:
                kept += store.get(f"{name}.{i}").starred
            else:
                kept += store.get(f"{name}.{i}").note == f"note {i} from {name}"
    assert kept == 400
    assert store.get("2400.00001").starred


# -- a full disk, a read-only home ------------------------------------------------


def _saved_twice(path: Path) -> tuple[StateStore, bytes, bytes]:
    """A state file and its backup, both good, and a fresh session on them."""
    first = open_state(path)
    first.toggle_star("2401.10000")
    first.add_tags(["2401.10000"], ["keep"])  # this save makes the backup
    session = open_state(path)
    return session, path.read_bytes(), session.backup_path.read_bytes()


def _fail(err: int):  # type: ignore[no-untyped-def]
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(err, os.strerror(err))

    return boom


@pytest.mark.parametrize("call", ["write", "fsync", "replace", "link", "open"])
def test_a_full_disk_keeps_the_file_and_its_backup(
    path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    store, before, backup = _saved_twice(path)
    real_open = os.open

    def open_no_create(p: object, flags: int, *a: object, **k: object) -> int:
        if flags & os.O_CREAT and ".tmp-" in str(p):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(p, flags, *a, **k)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(os, call, open_no_create if call == "open" else _fail(errno.ENOSPC))
        with pytest.raises(StateError) as info:
            store.toggle_star("2401.10000")
        with pytest.raises(StateError):
            store.set_note("2401.10001", "a note")
    message = str(info.value)
    assert "disk is full" in message
    assert str(path) in message and str(store.backup_path) in message
    assert path.read_bytes() == before
    assert store.backup_path.read_bytes() == backup
    assert store.get("2401.10000").starred  # the change was rolled back in memory
    assert store.get("2401.10001").note == ""
    assert store.problem == message or store.problem is not None
    assert not _leftovers(path.parent)
    # space is back: the next change works and clears the message
    assert store.toggle_star("2401.10000") is False
    assert store.problem is None
    assert open_state(path).get("2401.10000").tags == {"keep"}


def test_failing_only_at_the_final_rename_leaves_good_files(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, before, _ = _saved_twice(path)
    real = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        if str(dst) == str(path):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(StateError, match="input/output error"):
        store.toggle_star("2401.10000")
    assert path.read_bytes() == before
    assert open_state(store.backup_path).get("2401.10000").tags == {"keep"}
    assert not _leftovers(path.parent)


@pytest.mark.parametrize("err, words", [(errno.EROFS, "read-only"), (errno.EACCES, "permission")])
def test_a_read_only_home_opens_read_only_and_writes_nothing(
    path: Path, monkeypatch: pytest.MonkeyPatch, err: int, words: str
) -> None:
    # as root chmod does not stop writes, so the file system's answer is simulated
    _, before, backup = _saved_twice(path)
    real_open = os.open

    def ro_open(p: object, flags: int, *a: object, **k: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(err, os.strerror(err))
        return real_open(p, flags, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", ro_open)
    store = open_state(path)
    assert store.read_only
    assert words in (store.problem or "") and str(path) in (store.problem or "")
    assert store.get("2401.10000").starred  # still shown
    with pytest.raises(StateError, match=words):
        store.toggle_star("2401.10000")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert store.backup_path.read_bytes() == backup


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod 0o500")
def test_a_chmod_read_only_folder_is_reported(path: Path) -> None:  # pragma: no cover
    _, before, _ = _saved_twice(path)
    (path.parent / "state.yaml.lock").unlink()
    path.parent.chmod(0o500)
    try:
        store = open_state(path)
        assert store.read_only and "permission" in (store.problem or "")
        with pytest.raises(StateError):
            store.toggle_star("2401.10000")
    finally:
        path.parent.chmod(0o700)
    assert path.read_bytes() == before


# -- a file that cannot be read ---------------------------------------------------


BAD_FILES: dict[str, bytes] = {
    "not yaml": b"version: 1\npapers: [unclosed\n",
    "not utf-8": b"version: 1\npapers:\n  '2401.1': {starred: \xff\xfe}\n",
    "wrong shape": b"- a\n- list\n",
    "unknown field": b"version: 1\npapers:\n  '2401.10000':\n    stared: true\n",
    "bad time": b"version: 1\npapers:\n  '2401.10000':\n    starred: true yesterday\n",
    "newer version": b"version: 7\npapers: {}\n",
    "duplicate paper": b"version: 1\npapers:\n  '2401.1': {read: true}\n  '2401.1': {}\n",
    "python tag": b"version: 1\npapers: !!python/object/apply:os.system ['id']\n",
    "nul bytes": b"\x00" * 64,
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_an_unreadable_file_is_never_overwritten(path: Path, name: str) -> None:
    _saved_twice(path)
    bak = path.with_name("state.yaml.bak")
    bad = BAD_FILES[name]
    path.write_bytes(bad)
    mtime = path.stat().st_mtime_ns
    store = open_state(path)
    assert store.read_only
    problem = store.problem or ""
    assert str(path) in problem and str(bak) in problem and "cp " in problem
    with pytest.raises(StateError) as info:
        store.toggle_star("2401.10000")
    assert str(path) in str(info.value)
    for change in (
        lambda: store.add_tags(["2401.10000"], ["x"]),
        lambda: store.set_read(["2401.10000"], True),
        lambda: store.set_note("2401.10000", "n"),
        lambda: store.mark_read_many(["2401.10000"]),
    ):
        with pytest.raises(StateError):
            change()
    assert path.read_bytes() == bad and path.stat().st_mtime_ns == mtime
    assert open_state(bak).get("2401.10000").starred


def test_a_folder_where_the_file_should_be(path: Path) -> None:
    path.mkdir(parents=True)
    store = open_state(path)
    assert store.read_only and str(path) in (store.problem or "")
    assert "no backup" in (store.problem or "")
    with pytest.raises(StateError):
        store.toggle_star("2401.10000")
    assert path.is_dir()


def test_a_missing_file_with_a_backup_is_not_replaced_by_an_empty_one(path: Path) -> None:
    _, _, backup = _saved_twice(path)
    path.unlink()
    store = open_state(path)
    assert store.read_only and "backup" in (store.problem or "")
    with pytest.raises(StateError):
        store.toggle_star("2401.10009")
    assert not path.exists() and store.backup_path.read_bytes() == backup


def test_leftover_temporary_files_are_cleaned_up_on_start(path: Path) -> None:
    open_state(path).toggle_star("2401.10000")
    for name in ("state.yaml.tmp-123-abcd", "state.yaml.bak.tmp-9-ff"):
        (path.parent / name).write_text("half a sta")
    store = open_state(path)
    assert not _leftovers(path.parent)
    assert store.starred_ids() == {"2401.10000"}


def test_merging_an_unreadable_file_changes_nothing(path: Path, tmp_path: Path) -> None:
    store, before, _ = _saved_twice(path)
    other = tmp_path / "other.yaml"
    other.write_text("papers: [oops\n")
    with pytest.raises(StateError, match="other.yaml"):
        store.merge_file(other)
    with pytest.raises(StateError, match="missing.yaml"):
        store.merge_file(tmp_path / "missing.yaml")
    assert path.read_bytes() == before


# -- times at the edge of the range ------------------------------------------------

EDGE = "9999-12-31T23:59:59.999999Z"


def test_a_read_mark_at_the_last_representable_time_can_still_be_changed(path: Path) -> None:
    # The app crashed (OverflowError) marking the shown paper read: "just after
    # 9999-12-31T23:59:59.999999Z" does not exist.
    path.parent.mkdir(parents=True)
    path.write_text(
        f"version: 1\npapers:\n  '2401.10000':\n    read: false {EDGE}\n    starred: true {EDGE}\n",
        encoding="utf-8",
    )
    store = open_state(path)
    store.set_read(["2401.10000"], True)
    store.set_starred(["2401.10000"], False)
    again = open_state(path)
    assert again.get("2401.10000").read is True
    assert again.get("2401.10000").starred is False


@pytest.mark.parametrize("when", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+05:00"])
def test_an_offset_time_past_the_range_is_a_message_on_every_path(path: Path, when: str) -> None:
    store = open_state(path)
    store.toggle_star("2401.10000")
    text = path.read_text(encoding="utf-8").replace("starred: true ", f"starred: true {when} #")
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    assert store.refresh() is True  # raised OverflowError before
    assert store.read_only and f"not a time: '{when}'" in (store.problem or "")
    with pytest.raises(StateError, match="not a time"):
        store.toggle_star("2401.10001")
    fresh = open_state(path)
    assert fresh.read_only and "not a time" in (fresh.problem or "")
    assert path.read_bytes() == before


# -- the same on a real small file system ----------------------------------------


def test_a_full_tmpfs_keeps_the_file_and_its_backup(tmp_path: Path) -> None:
    from helpers.faultfs import fill, small_fs

    with small_fs(tmp_path / "small", "128k") as fs:
        path = fs / "digest-reader" / "state.yaml"
        store, before, backup = _saved_twice(path)
        fill(fs)
        with pytest.raises(StateError, match="disk is full"):
            store.set_note("2401.10001", "a note " * 5000)
        assert path.read_bytes() == before
        assert store.backup_path.read_bytes() == backup
        assert not _leftovers(path.parent)
        (fs / "filler").unlink()
        store.set_note("2401.10001", "a note")
        assert open_state(path).get("2401.10001").note == "a note"


def test_a_read_only_tmpfs_data_folder_opens_read_only(tmp_path: Path) -> None:
    from helpers.faultfs import remount_read_only, small_fs

    with small_fs(tmp_path / "small") as fs:
        path = fs / "digest-reader" / "state.yaml"
        _, before, backup = _saved_twice(path)
        remount_read_only(fs)
        store = open_state(path)
        assert store.read_only and "read-only" in (store.problem or "")
        assert store.get("2401.10000").starred
        with pytest.raises(StateError, match="read-only"):
            store.toggle_star("2401.10000")
        assert path.read_bytes() == before
        assert store.backup_path.read_bytes() == backup
