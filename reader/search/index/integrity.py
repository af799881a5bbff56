"""Checksums of a generation's files: a damaged index is never read.

Every file of a generation folder (whatever the build put there: Whoosh's
segment parts and table of contents, our fast postings, the stamp) is listed
in the sidecar with its size and CRC32 when it is written (:func:`listing`),
and checked before Whoosh or numpy reads it (:func:`verify`). The sidecar,
which carries the list, checks itself (:func:`seal` and :func:`unseal`: a
CRC32 of its own bytes).

Hashing a big index costs time (about a second per GB here), so a file that
matched is remembered in a small marker (:data:`VERIFIED_NAME`) by its size,
modification time, change time and inode: the next process only ``stat``\\ s
it. The change time cannot be set back by a program (``touch -r`` and
``os.utime`` restore the modification time, and the kernel sets the change
time as they do so), so a file rewritten in place, restored from a backup or
copied is hashed again. What passes: bytes changed without the file system
knowing (a disk that rots, a write to the raw device).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reader.fileio import atomic_write, crc_file, is_temp
from reader.search.index.generations import SIDECAR_NAME, _read_json
from reader.wording import number

#: The marker of files that matched their checksums (see the module's docstring).
VERIFIED_NAME = "verified.json"
#: Files of a generation the list does not cover: Whoosh's write lock (empty,
#: held only while writing), the sidecar (it checks itself), the marker, a
#: build's owner file.
UNLISTED = frozenset({"MAIN_WRITELOCK", SIDECAR_NAME, VERIFIED_NAME, "owner"})
#: A file changed less than this long ago is not remembered as checked by a
#: reader (its times may not have moved yet for a write in the same tick).
RACY_NS = 2_000_000_000

#: name -> (size, CRC32)
Listing = dict[str, tuple[int, int]]


def listed(name: str) -> bool:
    """Whether the file ``name`` of a generation is covered by the list."""
    return name not in UNLISTED and not name.endswith(".tmp") and not is_temp(name)


def listing(folder: Path, known: Mapping[str, tuple[int, int]] | None = None) -> Listing:
    """Every listed file of ``folder`` -> (size, CRC32). A file of ``known``
    (the list of the last commit, checked when it was opened) with the same
    size is taken from it: a generation's files are never rewritten under the
    same name (Whoosh names each segment and table of contents once), so a
    file damaged since stays caught. The rest are hashed; with them, the
    marker remembers them as checked (the writer has just written them)."""
    out: Listing = {}
    fresh: dict[str, list[int]] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not listed(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        old = known.get(entry.name) if known else None
        size = entry.stat(follow_symlinks=False).st_size
        if old is not None and old[0] == size:
            out[entry.name] = (old[0], old[1])
            continue
        crc, st = crc_file(Path(entry.path))
        out[entry.name] = (st.st_size, crc)
        fresh[entry.name] = _key(st, crc)
    marker = {n: k for n, k in _read_marker(folder).items() if n in out}
    marker.update(fresh)
    _write_marker(folder, marker)
    return out


def verify(folder: Path, files: Mapping[str, tuple[int, int]]) -> str:
    """Check every file of ``files`` in ``folder``: "" when each has its size
    and checksum, else what is wrong (a sentence naming the first bad file).
    A file checked before (in the marker, with the same size, times and
    inode) is not hashed again."""
    marker = _read_marker(folder)
    seen: dict[str, list[int]] = {}
    now = time.time_ns()
    for name, (size, crc) in sorted(files.items()):
        path = folder / name
        try:
            st = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}"
        if st.st_size != size:
            return f"{name} holds {number(st.st_size)} bytes, not the {number(size)} written"
        key = _key(st, crc)
        if marker.get(name) == key:
            seen[name] = key
            continue
        try:
            got, st = crc_file(path)
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}"
        if got != crc:
            return f"{name} does not hold the bytes written: its checksum differs"
        if now - max(st.st_ctime_ns, st.st_mtime_ns) > RACY_NS:
            seen[name] = _key(st, crc)
    if seen != marker:
        _write_marker(folder, seen)
    return ""


def _key(st: os.stat_result, crc: int) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, crc]


def _read_marker(folder: Path) -> dict[str, list[int]]:
    data = _read_json(folder / VERIFIED_NAME)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(n): k for n, k in files.items() if isinstance(k, list)}


def _write_marker(folder: Path, files: Mapping[str, list[int]]) -> None:
    # A cache of a cache: not durable, and a folder we cannot write (a
    # read-only cache) only means hashing again next time.
    text = json.dumps({"files": files}, separators=(",", ":"), sort_keys=True)
    with contextlib.suppress(OSError):
        atomic_write(folder / VERIFIED_NAME, text, durable=False)


# ---------------------------------------------------------------- the sidecar

_SEAL_HEAD = b'{"check":"'
_SEAL_BLANK = b"00000000"


def seal(body: Mapping[str, Any]) -> bytes:
    """``body`` as JSON whose first member, ``check``, is the CRC32 of the
    whole file (computed with eight zeros in its place)."""
    rest = json.dumps(body, separators=(",", ":"))
    if not rest.startswith("{") or rest == "{}":
        raise ValueError("a sealed body is a non-empty JSON object")
    raw = _SEAL_HEAD + _SEAL_BLANK + b'",' + rest[1:].encode("utf-8")
    crc = zlib.crc32(raw)
    return raw[: len(_SEAL_HEAD)] + b"%08x" % crc + raw[len(_SEAL_HEAD) + 8 :]


def unseal(raw: bytes) -> dict[str, Any] | None:
    """The body :func:`seal` wrote, or None when ``raw`` is not such a file
    or its bytes changed since."""
    at = len(_SEAL_HEAD)
    if not raw.startswith(_SEAL_HEAD) or raw[at + 8 : at + 10] != b'",':
        return None
    try:
        want = int(raw[at : at + 8], 16)
    except ValueError:
        return None
    if zlib.crc32(raw[:at] + _SEAL_BLANK + raw[at + 8 :]) != want:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    data.pop("check", None)
    return data


def read_sealed(path: Path) -> tuple[dict[str, Any] | None, bytes]:
    """The body of the sealed file at ``path`` (None when missing or damaged)
    and its raw bytes (to tell whether it was replaced meanwhile)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None, b""
    return unseal(raw), raw


def files_of(body: Mapping[str, Any]) -> Listing | None:
    """The list of files a sealed sidecar holds (None when it has none)."""
    files = body.get("files")
    if not isinstance(files, dict):
        return None
    out: Listing = {}
    for name, entry in files.items():
        if (
            not isinstance(name, str)
            or not isinstance(entry, list)
            or len(entry) != 2
            or not all(isinstance(x, int) for x in entry)
        ):
            return None
        out[name] = (entry[0], entry[1])
    return out
