"""The papers' content hashes of a generation, in binary files of their own.

One content hash per paper (8 bytes of BLAKE2b, :func:`.schema.content_hash`
as 16 hex digits) keyed by its id: what a sync compares to find the papers
to index again. They were base64 inside the JSON sidecar (at a million
papers 25 MB of JSON decoded, encoded again, sealed and written at every
sync: ~0.6 s of a 50-paper day's 1.4 s). Now they are *pieces*: files
``hashes-<token>.bin`` that are written once and never changed (like
Whoosh's segments), each listed in the sidecar with its size and CRC32 like
every file of the generation (:mod:`.integrity`), and named there in order
(:data:`PIECES_KEY`, with the number of papers held, :data:`COUNT_KEY`).

* A full build writes one piece of every paper. A sync writes one more
  piece of only what it changed: the new hashes, and the ids it removed
  (a record marked gone). An id's hash is that of the newest piece that
  names it (none when that record is a removal). Past :data:`MAX_PIECES`
  pieces a sync writes the pieces after the first (the full build's) again
  as one, or, once they hold half as many records as it, every piece (the old ones are deleted in
  the same window as Whoosh's merged segments: after the commit, before
  the sidecar).
* Crash safety is the sidecar's: a piece is written (and fsynced) after
  Whoosh's commit and before the sidecar that names it, a window in which
  a killed writer already leaves a generation the next sync finds damaged
  (its table of contents is not the sidecar's) and rebuilds. Before the
  commit nothing is written; after the sidecar, the generation is the new
  one. A piece damaged later fails its CRC32 before it is read.
* A piece (little-endian): the header (:data:`_HEADER`: magic, the width
  of an offset, flags, the number of records, the length of the ids), each
  record's offset into the ids (+1 at the end), its 8 hash bytes, its mark
  (1: gone), then the ids (UTF-8, ``surrogatepass``) in ascending byte
  order, each followed by a line break. An id is found by a binary search
  of the offsets in the mapped file: nothing decoded but the ~20 ids
  compared, so a day's 50 papers are looked up in a million in a
  millisecond; every id is decoded only to compare every paper
  (:func:`as_dict`).
"""

from __future__ import annotations

import bisect
import mmap
import os
import re
import struct
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.fileio import atomic_write, open_regular
from reader.slices import dict_of

#: The sidecar's key of the pieces (``[[name, records], ...]``, oldest
#: first) and of how many papers they hold.
PIECES_KEY = "hash_pieces"
COUNT_KEY = "hash_count"
#: Pieces a generation holds at most (a sync past it writes them as one).
MAX_PIECES = 32
MAGIC = b"DRHASH01"
#: magic, offset width (4 or 8), flags (1: an id holds a line break), records, id bytes.
_HEADER = struct.Struct("<8sBB6xQQ")
_FLAG_NEWLINE = 1
_PIECE_RE = re.compile(r"^hashes-[0-9a-f]{16}\.bin$")
_GONE = b"\x01"


def is_piece(name: str) -> bool:
    """Whether ``name`` is a hash piece's file name."""
    return bool(_PIECE_RE.match(name))


def _encoded(pid: str) -> bytes:
    return pid.encode("utf-8", "surrogatepass")


def _pad(n: int) -> int:
    return -n % 8


def piece_bytes(hashes: Mapping[str, str], gone: Iterable[str] = ()) -> bytes:
    """A piece of ``hashes`` (id -> 16 hex digits) and the removed ids
    ``gone`` (ValueError for a hash that is not 16 hex digits)."""
    marked: dict[str, bytes] = {pid: bytes.fromhex(h) for pid, h in hashes.items()}
    if any(len(h) != 8 for h in marked.values()):
        raise ValueError("a content hash is 16 hex digits")
    for pid in gone:
        marked.setdefault(pid, b"")
    ids = sorted(marked)  # code point order: the order of their UTF-8 bytes
    raw = [_encoded(i) for i in ids]
    newline = any(b"\n" in r for r in raw)
    blob = b"\n".join(raw) + (b"\n" if raw else b"")
    ends = [0]
    at = 0
    for r in raw:
        at += len(r) + 1
        ends.append(at)
    wide = 8 if at >= 2**32 else 4
    offsets = struct.pack(f"<{len(ends)}{'Q' if wide == 8 else 'I'}", *ends)
    digests = b"".join(marked[i] or b"\0" * 8 for i in ids)
    marks = b"".join(b"\0" if marked[i] else _GONE for i in ids)
    head = _HEADER.pack(MAGIC, wide, _FLAG_NEWLINE if newline else 0, len(ids), len(blob))
    parts = [head, offsets, b"\0" * _pad(len(offsets)), digests, marks, b"\0" * _pad(len(marks))]
    parts.append(blob)
    return b"".join(parts)


def write_piece(folder: Path, hashes: Mapping[str, str], gone: Iterable[str] = ()) -> Piece:
    """Write a new piece of ``hashes`` and ``gone`` into ``folder`` (durable:
    the sidecar that names it comes after); its name and records."""
    data = piece_bytes(hashes, gone)
    name = f"hashes-{os.urandom(8).hex()}.bin"
    atomic_write(folder / name, data)
    return Piece(name, _HEADER.unpack_from(data, 0)[3])


@dataclass(frozen=True)
class Piece:
    """A piece as the sidecar names it."""

    name: str
    records: int

    def to_json(self) -> list[Any]:
        return [self.name, self.records]


class _Mapped:
    """One piece's file, mapped: its records looked up without decoding."""

    def __init__(self, path: Path, records: int) -> None:
        fd, st = open_regular(path)
        try:
            if st.st_size < _HEADER.size:
                raise ValueError(f"{path.name} is not a hash piece")
            self._mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        bad = ValueError(f"{path.name} does not hold what was written")
        magic, wide, flags, n, nblob = _HEADER.unpack_from(self._mm, 0)
        if magic != MAGIC or wide not in (4, 8) or n != records:
            raise bad
        at = _HEADER.size
        self._offsets_at = at
        at += wide * (n + 1)
        at += _pad(at)
        self._digests_at = at
        at += 8 * n
        self._marks_at = at
        at += n
        at += _pad(at)
        self._blob_at = at
        if at + nblob != len(self._mm):
            raise bad
        self.n = n
        self._wide = wide
        self._newline = bool(flags & _FLAG_NEWLINE)
        view = memoryview(self._mm)[self._offsets_at : self._offsets_at + wide * (n + 1)]
        ends: Sequence[int] = view.cast("I" if wide == 4 else "Q")
        if sys.byteorder != "little":  # pragma: no cover - the file is little-endian
            ends = list(struct.unpack(f"<{n + 1}{'I' if wide == 4 else 'Q'}", view))
        self._ends = ends
        if ends[0] != 0 or ends[n] != nblob:
            raise bad

    def _id_at(self, r: int) -> bytes:
        at = self._blob_at
        return self._mm[at + self._ends[r] : at + self._ends[r + 1] - 1]

    def find(self, key: bytes) -> int:
        """The record of id ``key`` (UTF-8), -1 when this piece has none."""
        r = bisect.bisect_left(range(self.n), key, key=self._id_at)
        return r if r < self.n and self._id_at(r) == key else -1

    def gone(self, r: int) -> bool:
        return bool(self._mm[self._marks_at + r] == 1)

    def digest(self, r: int) -> str:
        at = self._digests_at + 8 * r
        return self._mm[at : at + 8].hex()

    def ids(self) -> list[str]:
        """Every id, in record order."""
        at = self._blob_at
        blob = self._mm[at : at + self._ends[self.n]]
        if not self._newline:
            text = blob.decode("utf-8", "surrogatepass")
            return text.split("\n")[:-1] if text else []
        return [self._id_at(r).decode("utf-8", "surrogatepass") for r in range(self.n)]

    def digests(self) -> list[str]:
        text = self._mm[self._digests_at : self._digests_at + 8 * self.n].hex()
        return [text[at : at + 16] for at in range(0, len(text), 16)]

    def marks(self) -> bytes:
        return self._mm[self._marks_at : self._marks_at + self.n]


class PieceHashes(Mapping[str, str]):
    """The papers' hashes of a generation: its pieces (oldest first),
    mapped when opened, read on demand. ``count``: how many papers they
    hold (the sidecar's). A caller that looks up every paper makes a dict
    first (:func:`as_dict`: one pass, not a binary search per id)."""

    def __init__(self, folder: Path, pieces: Sequence[Piece], count: int) -> None:
        self.folder = folder
        self.pieces = list(pieces)
        self._n = count
        self._mapped = [_Mapped(folder / p.name, p.records) for p in self.pieces]

    def _record(self, pid: str) -> str | None:
        key = _encoded(pid)
        for piece in reversed(self._mapped):
            r = piece.find(key)
            if r >= 0:
                return None if piece.gone(r) else piece.digest(r)
        return None

    def held(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` these hashes hold."""
        return {i for i in ids if isinstance(i, str) and self._record(i) is not None}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, pid: str) -> str:
        got = self.get(pid)
        if got is None:
            raise KeyError(pid)
        return str(got)

    def get(self, pid: str, default: Any = None) -> Any:  # noqa: ANN401
        if not isinstance(pid, str):
            return default
        got = self._record(pid)
        return default if got is None else got

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self._record(pid) is not None

    def __iter__(self) -> Iterator[str]:
        if len(self._mapped) == 1 and _GONE not in self._mapped[0].marks():
            return iter(self._mapped[0].ids())
        return iter(as_dict(self))

    def as_dict(self) -> dict[str, str]:
        """Every id's hash, one piece after another (a dict a slice at a
        time: :func:`~reader.slices.dict_of`; the pieces after the first are
        a sync's few)."""
        out: dict[str, str] = {}
        for n, piece in enumerate(self._mapped):
            ids = piece.ids()
            got = dict_of(ids, piece.digests())
            marks = piece.marks()
            r = marks.find(_GONE)
            while r >= 0:
                got.pop(ids[r], None)
                out.pop(ids[r], None)
                r = marks.find(_GONE, r + 1)
            if n == 0:
                out = got
            else:
                out.update(got)
        return out

    def after(self, new: Mapping[str, str], removed: Iterable[str]) -> PieceHashes:
        """These hashes with ``new`` and without ``removed``: one more piece
        written of only them (every piece written again as one past
        :data:`MAX_PIECES`; the old pieces are then the caller's to delete,
        :meth:`dropped`)."""
        removed = [pid for pid in removed if pid not in new]
        gone = self.held(removed)
        if not new and not gone:
            return self
        fresh = len(new) - len(self.held(new))
        count = self._n + fresh - len(gone)
        if len(self.pieces) + 1 > MAX_PIECES:
            tail = sum(p.records for p in self.pieces[1:]) + len(new) + len(gone)
            if 2 * tail > self.pieces[0].records:
                every = as_dict(self)
                for pid in gone:
                    every.pop(pid, None)
                every.update(new)
                return PieceHashes(self.folder, [write_piece(self.folder, every)], len(every))
            # The first piece (a full build's: every paper) stays; the
            # syncs' pieces after it are written again as one with this
            # one's changes (a day's pieces: no hash of every paper again).
            later, marked = self._later(self._mapped[1:])
            for pid in gone:
                later.pop(pid, None)
                marked.add(pid)
            later.update(new)
            marked.difference_update(new)
            piece = write_piece(self.folder, later, marked)
            return PieceHashes(self.folder, [self.pieces[0], piece], count)
        piece = write_piece(self.folder, new, gone)
        return PieceHashes(self.folder, [*self.pieces, piece], count)

    @staticmethod
    def _later(pieces: Sequence[_Mapped]) -> tuple[dict[str, str], set[str]]:
        """What ``pieces`` (oldest first) say together: the newest hash of
        each id they name, and the ids whose newest record is a removal."""
        hashes: dict[str, str] = {}
        gone: set[str] = set()
        for piece in pieces:
            marks = piece.marks()
            for pid, digest, mark in zip(piece.ids(), piece.digests(), marks, strict=True):
                if mark:
                    hashes.pop(pid, None)
                    gone.add(pid)
                else:
                    hashes[pid] = digest
                    gone.discard(pid)
        return hashes, gone

    def dropped(self, since: PieceHashes) -> list[str]:
        """The names of ``since``'s pieces these no longer hold."""
        keep = {p.name for p in self.pieces}
        return [p.name for p in since.pieces if p.name not in keep]

    def to_json(self) -> dict[str, Any]:
        """The sidecar's members naming these hashes."""
        return {PIECES_KEY: [p.to_json() for p in self.pieces], COUNT_KEY: self._n}


def written(folder: Path, hashes: Mapping[str, str]) -> PieceHashes:
    """``hashes`` as the pieces of ``folder``: those of ``folder`` when they
    are already (:meth:`PieceHashes.after` wrote them), else one new piece
    of them all (a full build)."""
    if isinstance(hashes, PieceHashes) and hashes.folder == folder:
        return hashes
    every = dict(hashes) if not isinstance(hashes, dict) else hashes
    return PieceHashes(folder, [write_piece(folder, every)], len(every))


def pieces_of(body: Mapping[str, Any]) -> tuple[list[Piece], int] | None:
    """The pieces and the count a sidecar names (None when it names none
    in the form written)."""
    listed, count = body.get(PIECES_KEY), body.get(COUNT_KEY)
    if not isinstance(listed, list) or not isinstance(count, int) or count < 0:
        return None
    out: list[Piece] = []
    for entry in listed:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], str)
            or not is_piece(entry[0])
            or not isinstance(entry[1], int)
            or entry[1] < 0
        ):
            return None
        out.append(Piece(entry[0], entry[1]))
    return out, count


def as_dict(hashes: Mapping[str, str]) -> dict[str, str]:
    """``hashes`` as a dict (to look up every paper, or to change): of
    :class:`PieceHashes` one pass over each piece, not a search per id."""
    if isinstance(hashes, PieceHashes):
        return hashes.as_dict()
    return dict(hashes)
