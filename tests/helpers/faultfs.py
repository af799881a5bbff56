"""Real file-system faults for tests: a small tmpfs (full, or read-only) and a
child process that runs as an unprivileged user (for whom chmod counts: we
run as root, and root reads and writes through any mode).

Each helper skips the test, with a reason, where the machine does not allow it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

NOBODY = 65534


@contextlib.contextmanager
def small_fs(where: Path, size: str = "256k") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``where`` (unmounted after)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def fill(where: Path) -> None:
    """Fill the file system holding ``where`` until a write fails."""
    # unbuffered: nothing is left to flush (and fail) when the file closes
    with open(where / "filler", "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 4096)


def as_nobody(func: Callable[[], Any]) -> Any:
    """``func()`` run in a forked child as user and group 65534; its result
    (pickled back), or the child's exception re-raised as an AssertionError
    with its traceback. Skips unless we are root."""
    if os.geteuid() != 0:
        pytest.skip("dropping to another user needs root")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = pickle.dumps(("ok", func()))
        except BaseException:
            payload = pickle.dumps(("error", traceback.format_exc()))
        with os.fdopen(write_end, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise AssertionError(f"in the child running as nobody:\n{value}")
    return value
