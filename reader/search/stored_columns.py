"""The search engine's columns on disk, beside the catalog: what a CLI
command with a filter or a sort needs, without a query over every paper.

A search with ``date:``, ``upvotes:``, ``is:``/``has:`` or any ``sort:``
needs the engine's columns (:class:`reader.search.engine._Columns`): every
paper's id, votes and code in the list order, the orders, the days, and the
map from the index's document numbers. Made from the catalog in each
process, they cost every CLI command ~0.6 s at 90k papers (three passes
over every paper: the catalog's columns, the day index, the index's ids).
Kept here as numpy arrays in one file per library version
(:data:`COLUMNS_NAME`, keyed by :attr:`reader.library.Version.key`, which
names the digest files and their stamps) and one for the map to an index
commit (:data:`MAP_NAME`, keyed by that and the index's
:attr:`~reader.search.index.SearchIndex.stamp`), memory-mapped: a command
reads the pages of the arrays it uses, and numpy does the rest in C.

Answering filters with SQL over the catalog's indexes instead was measured
first (the real digests, 91,713 papers, load ~4.7): a word's 7,523 matches
with ``date:2025 sort:newest`` 134 ms, ``upvotes:>20 sort:upvotes`` (a count
and the best 20) 18 ms, the count of ``date:2025`` 33 ms; each a scan that
grows with the library (10x at a million papers), where a mask over these
arrays is a millisecond.

The files are caches like the others: written atomically (a temporary
file, then renamed), checked when opened (their magic, format, key, every
array's place and the CRC32 of all their bytes: ~1 ms at 90k papers), and
when missing, stale, cut short or damaged they are made again from the
catalog; a damaged one is never an error shown to the user. The cache
folder is the library cache (deleting it loses nothing).

Kept small (the cache's size is a target: at most 1.5x the digests'): ids
as fixed-width bytes as wide as nearly all of them, the few longer ones
apart; upvotes in the smallest integer type that holds them; the days as
the list's runs of equal days plus the (day, paper) pairs that are not a
paper's latest day; the oldest and most upvoted orders made when asked for
(numpy, from the runs and the votes). 2.2 MB for the real digests.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reader.fileio import atomic_write
from reader.search.idtable import IdTable, _text, lookup

__all__ = [
    "COLUMNS_NAME",
    "MAP_NAME",
    "ColumnIds",
    "ColumnStore",
    "StoredColumns",
    "tie_rank_of",
]

#: The files' names in the library cache folder.
COLUMNS_NAME = "columns.arrays"
MAP_NAME = "columns-index.arrays"
_MAGIC = b"DRCOLS\x00\x01"
#: Bump when what the arrays hold or how changes: an older file is made again.
FORMAT = 1
_ALIGN = 64
#: Ids longer than nearly all are kept apart (see :func:`_narrow_width`).
_LONG_SHARE = 0.01


class _Damaged(Exception):
    """A file that is not what it says (cut short, changed, not ours)."""


def _write_arrays(path: Path, key: str, arrays: Mapping[str, Any]) -> None:
    """``arrays`` (name -> numpy array, no objects) in one file under
    ``key``; raises OSError."""
    parts: list[tuple[str, Any]] = [(n, np.ascontiguousarray(a)) for n, a in arrays.items()]
    listed: list[list[Any]] = []
    at = 0
    for name, a in parts:
        listed.append([name, a.dtype.str, list(a.shape), at, a.nbytes])
        at += -(-a.nbytes // _ALIGN) * _ALIGN
    size = at
    data = bytearray(size)
    for (_, a), (_, _, _, off, nbytes) in zip(parts, listed, strict=True):
        data[off : off + nbytes] = a.tobytes()
    crc = zlib.crc32(data)
    head = json.dumps(
        {"format": FORMAT, "key": key, "arrays": listed, "size": size, "crc": crc}
    ).encode()
    start = -(-(len(_MAGIC) + 8 + len(head)) // _ALIGN) * _ALIGN
    prefix = _MAGIC + len(head).to_bytes(8, "little") + head
    blob = prefix + bytes(start - len(prefix)) + bytes(data)
    # A cache: not durable (lost in a crash, it is only made again).
    atomic_write(path, blob, durable=False)


def _read_arrays(path: Path, key: str) -> dict[str, Any] | None:
    """The arrays of the file at ``path`` written under ``key`` (read-only,
    memory-mapped); None when there is none, or one of another key or
    format (stale); raises :class:`_Damaged`."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        length = os.fstat(fd).st_size
        if length < len(_MAGIC) + 8:
            raise _Damaged("cut short")
        mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:
        raise _Damaged(str(exc)) from exc
    finally:
        os.close(fd)
    try:
        if mm[: len(_MAGIC)] != _MAGIC:
            raise _Damaged("not a columns file")
        hlen = int.from_bytes(mm[len(_MAGIC) : len(_MAGIC) + 8], "little")
        hstart = len(_MAGIC) + 8
        if hlen > length - hstart:
            raise _Damaged("cut short")
        try:
            head = json.loads(mm[hstart : hstart + hlen])
        except (ValueError, RecursionError) as exc:
            raise _Damaged("damaged header") from exc
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            return None
        if head.get("key") != key:
            return None
        start = -(-(hstart + hlen) // _ALIGN) * _ALIGN
        size = head.get("size")
        if not isinstance(size, int) or start + size != length:
            raise _Damaged("cut short")
        view = memoryview(mm)[start:]
        if zlib.crc32(view) != head.get("crc"):
            raise _Damaged("its bytes do not match their checksum")
        out: dict[str, Any] = {}
        for name, dtype, shape, off, nbytes in head["arrays"]:
            dt = np.dtype(dtype)
            if dt.hasobject or off < 0 or off + nbytes > size:
                raise _Damaged("damaged header")
            count = int(np.prod(shape)) if shape else 1
            if count * dt.itemsize != nbytes:
                raise _Damaged("damaged header")
            out[str(name)] = np.frombuffer(view, dt, count, off).reshape(shape)
        return out
    except _Damaged:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise _Damaged("damaged header") from exc


class ColumnStore:
    """The columns' files in ``folder`` (the library cache). Every method
    is quiet: a file that cannot be written or read is only slower."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: Files found damaged and removed (tests: what was made again).
        self.damaged: list[Path] = []
        #: How many times the columns were made from the catalog and written.
        self.written = 0

    def _open(self, name: str, key: str) -> dict[str, Any] | None:
        path = self.folder / name
        try:
            return _read_arrays(path, key)
        except _Damaged:
            self.damaged.append(path)
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def _write(self, name: str, key: str, arrays: Mapping[str, Any]) -> bool:
        try:
            _write_arrays(self.folder / name, key, arrays)
        except OSError:
            return False
        return True

    def load(self, key: str, count: int) -> StoredColumns | None:
        """The columns of the library of version ``key`` (``count`` papers),
        when the file holds them."""
        got = self._open(COLUMNS_NAME, key)
        if got is None:
            return None
        try:
            cols = StoredColumns(got)
        except (KeyError, ValueError, IndexError):
            self.damaged.append(self.folder / COLUMNS_NAME)
            with contextlib.suppress(OSError):
                (self.folder / COLUMNS_NAME).unlink()
            return None
        return cols if cols.size == count else None

    def make(
        self,
        key: str,
        rows: tuple[Sequence[str], Sequence[bytes], Sequence[int], Sequence[int], Sequence[int]],
        day_columns: tuple[Sequence[str], Any],
    ) -> StoredColumns:
        """The columns made from the catalog's (:meth:`Catalog.columns` and
        :meth:`Catalog.day_columns`), written under ``key`` for the next
        process (when the folder can be written)."""
        arrays = _arrays_of(rows, day_columns)
        if self._write(COLUMNS_NAME, key, arrays):
            self.written += 1
        return StoredColumns(arrays)

    def load_map(self, key: str) -> Any:
        """The map of the columns' numbers to the index's (see
        :meth:`save_map`) stored under ``key``, or None."""
        got = self._open(MAP_NAME, key)
        return None if got is None else got.get("to_index")

    def save_map(self, key: str, to_index: Any) -> None:
        """Keep ``to_index`` (each column's index document number, -1: not
        indexed) under ``key`` (the library's version and the index's stamp)."""
        small = to_index.astype(np.int32) if len(to_index) < 2**31 else to_index
        self._write(MAP_NAME, key, {"to_index": small})


def _narrow_width(lengths: Any) -> int:
    """The width the ids are kept at: the one that makes the ids and the
    longer ones kept apart (each as wide as the widest) the smallest, with
    at most :data:`_LONG_SHARE` of them apart."""
    n = len(lengths)
    if not n:
        return 1
    widest = int(lengths.max())
    best, best_w = n * widest, widest
    counts = np.bincount(lengths, minlength=widest + 1)
    longer = n
    for w in range(1, widest + 1):
        longer -= int(counts[w])
        if longer > n * _LONG_SHARE:
            continue
        cost = n * w + longer * widest
        if cost < best:
            best, best_w = cost, w
    return max(best_w, 1)


def _arrays_of(
    rows: tuple[Sequence[str], Sequence[bytes], Sequence[int], Sequence[int], Sequence[int]],
    day_columns: tuple[Sequence[str], Any],
) -> dict[str, Any]:
    """The arrays of :class:`StoredColumns` from the catalog's columns (ids,
    latest days as UTF-8, upvotes (-1: none), voted, code; in list order)
    and its day index (every (day, id), sorted by day)."""
    ids, dates, votes_l, voted_l, code_l = rows
    n = len(ids)
    full: Any = _text(ids, wide=False) if n else np.zeros(0, "S1")
    lengths = np.char.str_len(full) if n else np.zeros(0, np.int64)
    width = _narrow_width(lengths)
    narrow = full.astype(f"S{width}")
    long_nums = np.flatnonzero(lengths > width).astype(np.int32)
    narrow[long_nums] = b""
    long_ids = full[long_nums]
    by = np.argsort(long_ids, kind="stable")
    long_ids, long_nums = long_ids[by], long_nums[by]
    order = np.argsort(narrow, kind="stable").astype(np.int32)
    # Runs of equal latest days, in list order (newest first; undated last).
    day = np.array(dates, "S") if n else np.zeros(0, "S1")
    if n:
        change = np.flatnonzero(day[1:] != day[:-1]) + 1
        starts = np.concatenate([[0], change, [n]]).astype(np.int64)
    else:
        starts = np.zeros(1, np.int64)
    values = day[starts[:-1]]
    runs = np.repeat(np.arange(len(values), dtype=np.int64), np.diff(starts))
    # Equal scores: newer first (the runs are newest first), then by id.
    table = IdTable(full) if n else None
    tie = tie_rank_of(runs, table.order) if table is not None else np.empty(0, np.int64)
    # The (day, paper) pairs that are not the paper's latest day's.
    days, pair_ids = day_columns
    latest10 = [_s(v)[:10] for v in values.tolist()]
    pair_days = [d[:10] for d in days]
    nums = table.numbers(pair_ids) if table is not None else np.zeros(0, np.int64)
    code: dict[str, int] = {}
    for d in sorted(set(pair_days) | set(latest10)):
        code[d] = len(code)
    pair_code = np.fromiter((code[d] for d in pair_days), np.int64, len(pair_days))
    latest_code = np.array([code[d] for d in latest10], np.int64)[runs] if n else runs
    ok = nums >= 0
    keep = ok.copy()
    keep[ok] = pair_code[ok] != latest_code[nums[ok]]
    ex_codes, ex_nums = pair_code[keep], nums[keep]
    by = np.lexsort((ex_nums, ex_codes))
    ex_codes, ex_nums = ex_codes[by], ex_nums[by]
    names = list(code)
    ex_distinct, ex_starts = np.unique(ex_codes, return_index=True)
    ex_values = [names[c] for c in ex_distinct.tolist()]
    votes = np.asarray(votes_l, np.int64)
    return {
        "ids": narrow,
        "order": order,
        "long_ids": long_ids if len(long_ids) else np.zeros(0, "S1"),
        "long_nums": long_nums,
        "votes": _smallest(votes),
        "voted": np.asarray(voted_l, np.bool_),
        "code": np.asarray(code_l, np.bool_),
        "day_starts": starts.astype(np.int32 if n < 2**31 else np.int64),
        "day_values": values if len(values) else np.zeros(0, "S1"),
        "tie_rank": tie.astype(np.int32 if n < 2**31 else np.int64),
        "extra_values": _text(ex_values, wide=False) if ex_values else np.zeros(0, "S1"),
        "extra_starts": np.append(ex_starts, len(ex_nums)).astype(np.int64),
        "extra_nums": ex_nums.astype(np.int32 if n < 2**31 else np.int64),
    }


def tie_rank_of(age: Any, id_order: Any) -> Any:
    """Each document's place among equal scores: newer first (``age``: a
    number per document, smaller for a newer day), then by id (``id_order``:
    an :class:`IdTable`'s ``order``). The one rule of ties, the same on
    every build and in the CLI and the app."""
    n = len(age)
    by_id = np.empty(n, np.int64)
    by_id[id_order] = np.arange(n, dtype=np.int64)
    rank = np.empty(n, np.int64)
    rank[np.lexsort((by_id, age))] = np.arange(n, dtype=np.int64)
    return rank


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogatepass")


def _smallest(votes: Any) -> Any:
    """``votes`` in the smallest integer type that holds them and their
    negation (the sort by upvotes negates them; 16 bits sort in linear time)."""
    if not len(votes):
        return votes.astype(np.int8)
    lo, hi = int(votes.min()), int(votes.max())
    for dt in (np.int8, np.int16, np.int32):
        info = np.iinfo(dt)
        if lo > info.min and hi <= info.max:
            return votes.astype(dt)
    return votes


class ColumnIds(IdTable):
    """The columns' ids by document number as :class:`IdTable` answers
    them, from :class:`StoredColumns`' arrays: the ids as fixed-width bytes
    (those longer than the width apart, in a small table of their own),
    looked up by one binary search of them all. Never renumbered (the
    engine makes new columns when the library changes)."""

    def __init__(self, narrow: Any, order: Any, long_ids: Any, long_nums: Any) -> None:
        self._narrow = narrow
        self.order = order
        self._long_ids = long_ids
        self._long_nums = long_nums
        self._sorted_narrow: Any = None

    @property
    def size(self) -> int:
        return len(self._narrow)

    def _wide(self) -> bool:
        return False

    def renumbered(self, old_to_new: Any, ids: Sequence[str], nums: Any) -> IdTable | None:
        return None

    def numbers(self, ids: Sequence[str | None]) -> Any:
        if not len(ids) or not self.size:
            return np.full(len(ids), -1, np.int64)
        want = _text(ids, wide=False)
        if self._sorted_narrow is None:
            self._sorted_narrow = self._narrow[self.order]
        out = lookup(self._sorted_narrow, self.order, want)
        if len(self._long_ids):
            miss = np.flatnonzero(out < 0)
            if len(miss):
                out[miss] = lookup(self._long_ids, self._long_nums, want[miss])
        return out

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and bool(pid) and int(self.numbers([pid])[0]) >= 0

    def number(self, pid: str) -> int:
        return int(self.numbers([pid])[0]) if pid else -1

    def by_number(self) -> Any:
        width = max(self._narrow.dtype.itemsize, self._long_ids.dtype.itemsize)
        out = self._narrow.astype(f"S{width}")
        out[self._long_nums] = self._long_ids
        return out

    def ids_at(self, nums: Any) -> list[str]:
        nums = np.asarray(nums, np.int64)
        got: list[bytes] = self._narrow[nums].tolist()
        out = [_s(g) for g in got]
        if len(self._long_nums) and b"" in got:
            long = dict(zip(self._long_nums.tolist(), self._long_ids.tolist(), strict=True))
            for j, (num, g) in enumerate(zip(nums.tolist(), got, strict=True)):
                if not g and num in long:
                    out[j] = _s(long[num])
        return out


class StoredColumns:
    """The arrays of one library's columns (from the file, read-only and
    memory-mapped, or just made), with the parts made from them when asked."""

    def __init__(self, arrays: Mapping[str, Any]) -> None:
        a = arrays
        self.ids = ColumnIds(a["ids"], a["order"], a["long_ids"], a["long_nums"])
        self.size = len(a["ids"])
        self._votes_small = a["votes"]
        #: Upvotes (-1: none) as int64, whether voted, whether it has code.
        self.votes = a["votes"].astype(np.int64)
        self.voted = a["voted"]
        self.has_code = a["code"]
        self.tie_rank = a["tie_rank"]
        self._starts = a["day_starts"].astype(np.int64)
        self._values = a["day_values"]
        self._extra_values = [_s(v) for v in a["extra_values"].tolist()]
        self._extra_starts = a["extra_starts"]
        self._extra_nums = a["extra_nums"]
        n = self.size
        sizes = (len(self.votes), len(self.voted), len(self.has_code), len(self.tie_rank))
        if (
            sizes != (n, n, n, n)
            or len(a["order"]) != n
            or len(self._starts) != len(self._values) + 1
            or int(self._starts[0]) != 0
            or int(self._starts[-1]) != n
            or len(self._extra_starts) != len(self._extra_values) + 1
            or int(self._extra_starts[-1]) != len(self._extra_nums)
        ):
            raise ValueError("columns of unequal sizes")
        self._latest10: Any = None

    def ids_at(self, nums: Any) -> list[str]:
        return self.ids.ids_at(nums)

    def by_votes(self) -> Any:
        """Most upvoted first, ties in the list's order."""
        return np.argsort(-self._votes_small, kind="stable").astype(np.int64)

    def oldest(self) -> Any:
        """Oldest first (the runs of days reversed, each in the list's
        order), the undated last."""
        starts = self._starts
        n = self.size
        runs = len(self._values)
        dated = runs - 1 if runs and self._values[-1] == b"" else runs
        lengths = np.diff(starts[: dated + 1])[::-1]
        first = starts[:dated][::-1]
        placed = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if dated else lengths
        out = np.repeat(first - placed, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        rest = np.arange(int(starts[dated]), n, dtype=np.int64)
        return np.concatenate([out, rest]).astype(np.int64)

    def day(self) -> Any:
        """Each paper's latest day as UTF-8 bytes (as the catalog's columns)."""
        return np.repeat(self._values, np.diff(self._starts))

    def on_days(self, lo: str, hi: str) -> Any:
        """The mask of the papers with a day from ``lo`` to ``hi`` (a day
        that starts with ``hi`` counts: ``date:``): the runs of latest days
        in range, then the other days' papers."""
        top = hi + "\uffff"
        if self._latest10 is None:
            self._latest10 = np.array([_s(v)[:10] for v in self._values.tolist()] or [""])
        n = self.size
        mask = np.zeros(n, np.bool_)
        runs = len(self._values)
        if runs:
            d = self._latest10[:runs]
            inside = np.flatnonzero((d >= lo) & (d <= top) & (d != ""))
            if len(inside):
                # +1 where a run in range starts, -1 where it ends: the
                # running sum marks its papers (no Python step per run)
                edge = np.zeros(n + 1, np.int64)
                np.add.at(edge, self._starts[inside], 1)
                np.add.at(edge, self._starts[inside + 1], -1)
                mask = np.cumsum(edge[:n]) > 0
        ex = self._extra_starts
        for k, d10 in enumerate(self._extra_values):
            if lo <= d10 <= top:
                mask[self._extra_nums[ex[k] : ex[k + 1]]] = True
        return mask
