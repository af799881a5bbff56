"""Writing files so that a crash never leaves half of one, and the one
``flock`` helper. Every file the reader writes goes through :func:`atomic_write`
(the user's state adds its lock, a backup and a read-back check: see
:mod:`reader.state.store`)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

#: What every temporary file of :func:`atomic_write` for ``name`` starts with
#: (``.name.tmp-<pid>-<random>``, in the folder of ``name``).
TMP_MARK = ".tmp-"


def temp_prefix(name: str) -> str:
    """The start of the name of every temporary file written for ``name``."""
    return f".{name}{TMP_MARK}"


def is_temp(name: str) -> bool:
    """Whether ``name`` is a temporary file of :func:`atomic_write` (any target)."""
    return name.startswith(".") and TMP_MARK in name


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (same folder, so the rename is atomic)."""
    return path.with_name(f"{temp_prefix(path.name)}{os.getpid()}-{os.urandom(4).hex()}")


def remove_leftovers(path: Path) -> None:
    """Remove the temporary files a killed writer of ``path`` left behind.
    Call it only while no one else can be writing ``path`` (under its lock)."""
    prefix = temp_prefix(path.name)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / name)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems
    cannot sync a folder, and the rename is done either way)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: Path,
    data: bytes | str | Callable[[_FdWriter], object],
    *,
    mode: int = 0o666,
    durable: bool = True,
    before_replace: Callable[[], None] | None = None,
) -> os.stat_result:
    """Replace ``path`` with ``data`` so that readers see the old file or the
    new one, never a mix, and a crash at any moment leaves one of them.

    ``data`` is bytes, text (written as UTF-8) or a function that writes into
    the open binary file. The new content goes to a temporary file in the same
    folder (created exclusively), which is flushed and fsynced, then
    ``os.replace``-d over ``path``, and the folder is fsynced. The file keeps
    the permissions of the one it replaces; a new file gets ``mode`` (less the
    umask). ``before_replace`` runs when the new content is safely on disk,
    just before the rename (the state's backup). ``durable=False`` skips both
    fsyncs (caches: a lost one is only rebuilt). On any error the temporary file
    is removed, ``path`` is untouched and the ``OSError`` propagates.

    Returns the ``stat`` of the new file (it is the same inode after the rename).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
            out = _FdWriter(fd)
            if callable(data):
                data(out)
            else:
                out.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)
    return st


class _FdWriter:
    """The ``write`` of a file object, straight to ``os.write`` (unbuffered, so
    an error such as ENOSPC surfaces at once, and tests can simulate it)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        return len(data)


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
    """:func:`atomic_write` of ``text`` as UTF-8."""
    atomic_write(path, text)


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically (:func:`atomic_write`, streamed),
    keeping its access and modification times (a pasted page with no year takes
    its year from the file's time)."""
    with open(src, "rb") as fh:
        times = os.fstat(fh.fileno())

        def copy(out: _FdWriter) -> None:
            import shutil

            shutil.copyfileobj(fh, out)
            os.utime(out.fd, ns=(times.st_atime_ns, times.st_mtime_ns))

        atomic_write(dst, copy)


def atomic_snapshot(src: Path, dst: Path) -> bool:
    """Make ``dst`` a snapshot of ``src`` atomically: a hard link (no copy, no
    space) swapped in with ``os.replace``; a copy (:func:`atomic_copy`) where
    the file system has no hard links. False when ``src`` does not exist.
    A full disk or a read-only file system raises rather than trying a copy."""
    tmp = temp_path(dst)
    try:
        os.link(src, tmp)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
            raise
        atomic_copy(src, dst)
        return True
    try:
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


class FileLock:
    """An exclusive ``flock`` on ``path`` (created if needed, mode 0600).

    The lock belongs to the open file: closing it (``release``, or the process
    ending, even by ``kill -9``) frees it. Not re-entrant."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, timeout: float | None = 0.0) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds for another holder
        (``None``: as long as it takes); False when it is still held then.
        ``OSError`` when the lock file cannot be opened."""
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
            except BlockingIOError:
                if deadline is None or time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.005)
            except BaseException:
                os.close(fd)
                raise
            else:
                self.fd = fd
                return True

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = 0.0) -> Iterator[bool]:
    """Hold :class:`FileLock` on ``path`` for the ``with`` block; yields False
    (and holds nothing) when another holder kept it for ``timeout`` seconds
    (``None``: wait as long as it takes)."""
    lock = FileLock(path)
    got = lock.acquire(timeout)
    try:
        yield got
    finally:
        lock.release()


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """A file descriptor of the regular file at ``path``, for reading, and its
    ``stat`` taken before any read. Raises ``OSError`` (also for a FIFO or
    device in its place: opened without blocking, never waited on)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def crc_file(path: Path) -> tuple[int, os.stat_result]:
    """The CRC32 of the regular file at ``path`` and its ``stat`` taken before
    reading (a change while it is read moves its times past what is
    remembered). Raises ``OSError`` (:func:`open_regular`)."""
    fd, st = open_regular(path)
    try:
        crc = 0
        while chunk := os.read(fd, 1 << 20):
            crc = zlib.crc32(chunk, crc)
        return crc, st
    finally:
        os.close(fd)
