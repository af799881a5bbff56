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

import base64
import contextlib
import json
import os
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from reader.fileio import atomic_write, crc_file, is_temp
from reader.search.index.generations import SIDECAR_NAME, _read_json
from reader.slices import array_of, dict_of
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


# ------------------------------------------------------ the papers' hashes
#
# One content hash per paper (16 hex digits: 8 bytes of BLAKE2b) keyed by its
# id: as a JSON object, 32 bytes a paper (2.9 MB for the real digests' 91,713
# papers, parsed at every open of the index). Packed, the ids are one
# compressed string and the hashes their bytes: 1.3 MB. A sync that only
# adds papers (a new day) appends its ids as one more compressed piece
# (``ids`` is then a list of them) and its hashes to the bytes, rather than
# packing every id again (0.2-0.3 s at a million papers, with the dict of
# every hash it needed); past :data:`MAX_PIECES` pieces they are packed again
# as one.

#: The sidecar's key of the packed hashes (``hashes`` then holds none).
PACKED_KEY = "hashes_packed"
#: Pieces of packed ids a sidecar holds at most (one more a sync that adds).
MAX_PIECES = 32


def _piece(ids: list[str]) -> str | None:
    """``ids`` as one packed piece (None when some id holds a newline)."""
    if any("\n" in i for i in ids):
        return None
    blob = "\n".join(ids).encode("utf-8", "surrogatepass")
    # level 1: packed again at every sync (a million ids: 0.3 s at 6)
    return base64.b64encode(zlib.compress(blob, 1)).decode("ascii")


def _hash_bytes(hashes: list[str]) -> bytes | None:
    """The hashes' 8 bytes each (None when one is not 16 hex digits)."""
    try:
        raw = bytes.fromhex("".join(hashes))
    except ValueError:
        return None
    return raw if len(raw) == 8 * len(hashes) else None


def pack_hashes(hashes: Mapping[str, str]) -> dict[str, str] | None:
    """``hashes`` as two base64 strings (see above); None when some hash is
    not 16 hex digits or some id holds a newline (kept as an object then)."""
    if isinstance(hashes, PackedHashes):
        return hashes.packed()
    ids = list(hashes)
    raw = _hash_bytes([hashes[i] for i in ids])
    piece = _piece(ids) if raw is not None else None
    if raw is None or piece is None:
        return None
    return {"ids": piece, "hashes": base64.b64encode(raw).decode("ascii")}


class PackedHashes(Mapping[str, str]):
    """The papers' hashes as the sidecar packs them, kept packed: the ids'
    UTF-8 bytes and the hashes' 8 bytes each, looked up by one binary search
    (:class:`~reader.search.idtable.IdTable`, made on the first lookup). At a
    million papers a dict of them was a million id strings, a million hash
    strings and the dict (about 170 MB, for as long as the index is open);
    this is 20-30 MB. A caller that looks up every paper makes a dict of it
    first (``dict(hashes)``: a loop of binary searches is slower).
    ``pieces``: the packed pieces of the ids (the sidecar's), kept to pack
    them again with more (:meth:`added`); ``ids_text`` None: decoded from
    them when first needed."""

    def __init__(self, ids_text: bytes | None, raw: bytes, pieces: Sequence[str] = ()) -> None:
        self._text: bytes | None = ids_text
        self._raw = raw
        self._n = len(raw) // 8
        self._table: Any = None
        self._pieces = list(pieces)
        #: Ids :meth:`held` found these hashes do not hold.
        self._absent: set[str] = set()

    def held(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` these hashes hold, in one pass over the ids'
        text when the lookup table is not made yet (a sync of a new day
        looks up ~50 ids, most of them new: the table of every id is twice
        the time at a million). Those not held are remembered: ``get``
        answers them without the table."""
        want = [i for i in ids if isinstance(i, str) and i not in self._absent]
        if not want:
            return set()
        if self._table is not None or not self._n:
            got = {i for i in want if self.get(i) is not None}
        else:
            keys = {i.encode("utf-8", "surrogatepass"): i for i in want}
            found = keys.keys() & self._ids_text().split(b"\n")
            got = {keys[k] for k in found}
        self._absent.update(i for i in want if i not in got)
        return got

    def _ids_text(self) -> bytes:
        if self._text is None:
            texts = (zlib.decompress(base64.b64decode(p)) for p in self._pieces)
            self._text = b"\n".join(t for t in texts if t)
        return self._text

    def packed(self) -> dict[str, Any] | None:
        """The sidecar's packed form of these hashes (see :func:`pack_hashes`)."""
        pieces = self._pieces
        if len(pieces) > MAX_PIECES or not pieces:
            piece = _piece(list(self))
            if piece is None:
                return None
            pieces = [piece]
        return {
            "ids": pieces[0] if len(pieces) == 1 else list(pieces),
            "hashes": base64.b64encode(self._raw).decode("ascii"),
        }

    def added(self, new: Mapping[str, str]) -> PackedHashes | None:
        """These hashes and those of ``new``, papers these do not hold,
        appended (their ids one more packed piece): no other id is packed
        again. None when some of ``new`` cannot be packed."""
        if not new:
            return self
        ids = list(new)
        raw = _hash_bytes([new[i] for i in ids])
        piece = _piece(ids) if raw is not None else None
        if raw is None or piece is None or not self._pieces:
            return None
        return PackedHashes(None, self._raw + raw, [*self._pieces, piece])

    def without(self, gone: Iterable[str]) -> PackedHashes | None:
        """These hashes without those of ``gone`` (a removal): the ids kept
        packed again as one piece, their hashes taken by numpy; no dict of
        every hash. None when they cannot be packed."""
        import numpy as np

        drop = {i.encode("utf-8", "surrogatepass") for i in gone if isinstance(i, str)}
        parts = self._ids_text().split(b"\n") if self._n else []
        places = [n for n, p in enumerate(parts) if p in drop]
        if not places:
            return self
        for n in reversed(places):
            del parts[n]
        keep = np.ones(self._n, bool)
        keep[places] = False
        raw = np.frombuffer(self._raw, "V8")[keep].tobytes()
        blob = b"\n".join(parts)
        piece = base64.b64encode(zlib.compress(blob, 1)).decode("ascii")
        return PackedHashes(blob, raw, [piece])

    def _ids(self) -> Any:
        from reader.search.idtable import IdTable

        if self._table is None:
            text = self._ids_text()
            parts = text.split(b"\n") if self._n else []
            ids: Any = array_of(parts, "S") if parts else []
            self._table = IdTable(ids)
            self._text = None
        return self._table

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, pid: str) -> str:
        got = self.get(pid)
        if got is None:
            raise KeyError(pid)
        return str(got)

    def get(self, pid: str, default: Any = None) -> Any:  # noqa: ANN401
        if not isinstance(pid, str) or not self._n or pid in self._absent:
            return default
        n = self._ids().number(pid)
        if n < 0:
            return default
        return str(self._raw[8 * n : 8 * n + 8].hex())

    def __contains__(self, pid: object) -> bool:
        return self.get(pid) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        if self._table is None:
            text = self._ids_text().decode("utf-8", "surrogatepass")
            return iter(text.split("\n") if self._n else [])
        return iter(self._ids().ids_at(range(self._n)))


def as_dict(hashes: Mapping[str, str]) -> dict[str, str]:
    """``hashes`` as a dict (to look up every paper, or to change): for
    :class:`PackedHashes` in one pass over its bytes, not a search per id."""
    if isinstance(hashes, PackedHashes):
        text = hashes._raw.hex()
        # a slice at a time: dict(zip(...)) of 100k holds the GIL ~30 ms
        return dict_of(hashes, [text[at : at + 16] for at in range(0, len(text), 16)])
    return dict(hashes)


def hashes_of(body: Mapping[str, Any]) -> Mapping[str, str] | None:
    """The papers' hashes a sealed sidecar holds, packed (kept packed:
    :class:`PackedHashes`) or as an object (None when it holds neither)."""
    packed = body.get(PACKED_KEY)
    if packed is None:
        plain = body.get("hashes")
        if not isinstance(plain, dict):
            return None
        return {str(k): str(v) for k, v in plain.items()}
    try:
        pieces = packed["ids"]
        if isinstance(pieces, str):
            pieces = [pieces]
        if not isinstance(pieces, list) or not all(isinstance(p, str) for p in pieces):
            return None
        texts = [zlib.decompress(base64.b64decode(p, validate=True)) for p in pieces]
        raw = base64.b64decode(packed["hashes"], validate=True)
    except (KeyError, TypeError, ValueError, zlib.error):
        return None
    count = sum(t.count(b"\n") + 1 if t else 0 for t in texts)
    if len(raw) != 8 * count:
        return None
    return PackedHashes(b"\n".join(t for t in texts if t), raw, pieces)


def hash_count(body: Mapping[str, Any]) -> int:
    """How many papers' hashes a sealed sidecar holds, without decoding them
    (:func:`hashes_of` builds a dict of every paper: 40 ms at 100k papers,
    which a search over an unchanged library does not need)."""
    packed = body.get(PACKED_KEY)
    if packed is None:
        plain = body.get("hashes")
        return len(plain) if isinstance(plain, dict) else 0
    try:
        return len(base64.b64decode(packed["hashes"], validate=True)) // 8
    except (KeyError, TypeError, ValueError):
        return 0


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
