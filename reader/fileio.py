"""Writing files so that a crash never leaves half of one."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """A path that names a FIFO, a device, a socket or a folder: never read."""


def read_regular(path: str | os.PathLike[str], max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``max_bytes + 1``
    of them, so a caller can tell a file over its cap).

    Opened without blocking and checked *after* opening (``fstat`` on the
    open descriptor): a FIFO or device put in the file's place between a
    ``stat`` and an ``open`` is refused with :class:`NotRegularFile`, never
    waited on. Other failures are the ``OSError`` of the open or the read."""
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
            raise NotRegularFile(f"is {what}, not a regular file: not read")
        os.set_blocking(fd, True)  # a regular file never blocks; reads are simpler
        left = -1 if max_bytes is None else max_bytes + 1
        chunks: list[bytes] = []
        while left != 0:
            chunk = os.read(fd, 1 << 20 if left < 0 else min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            if left > 0:
                left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder,
    flushed and fsynced, then ``os.replace``: readers see the old file or the
    new one, never a mix. (The user's state adds a lock, a backup and an fsync
    of the folder: see :mod:`reader.state`.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
