"""Paper ids to numbers in bulk, with numpy: the ids of a numbering (the
engine's columns, the index's documents, the catalog's list) sorted once as
a fixed-width array of their UTF-8 bytes, then any list of ids looked up by
one binary search of all of them (:func:`numpy.searchsorted`), not a
dictionary lookup per id in Python: a filter's 70,000 ids or the 100,000 ids
of the columns in milliseconds.

One table is also the numbering's membership test and its ids by number:
no Python set or dict of every id beside it (at a million papers a set of
the ids is 32 MB, a dict 40-80 MB, the ids as Python strings 60 MB more;
the table of 10-character arXiv ids is 10 MB of bytes and 8 MB of order)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from reader.slices import array_of, searchsorted_of

#: Ids up to this many UTF-8 bytes are held as fixed-width numpy bytes
#: (every id as wide as the longest); with a longer one (a DOI, a title's
#: hash) the ids are held as Python strings (an object array: its sorts
#: compare in Python, slower, but no copy as wide as the longest).
_WIDE = 24


def _utf8(ids: Sequence[str]) -> Any:
    """``ids`` as numpy fixed-width bytes (UTF-8: its bytes sort as the
    text's code points do)."""
    try:
        # ASCII ids (every arXiv id): encoded in C, a slice at a time (one
        # call over 100k ids holds the GIL for 20-60 ms: the app's frames)
        return array_of(ids, "S")
    except UnicodeEncodeError:
        return array_of([i.encode("utf-8", "surrogatepass") for i in ids], "S")


def _text(ids: Sequence[str | None], wide: bool | None = None) -> Any:
    """``ids`` as a sortable numpy array (None as "": no paper has that id):
    bytes, or Python strings when ``wide`` (None: when one is longer than
    :data:`_WIDE` bytes). A numpy array of UTF-8 bytes (another table's
    :meth:`IdTable.by_number`) is taken as it is."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind == "S":
        if not wide:
            return ids
        ids = [b.decode("utf-8", "surrogatepass") for b in ids.tolist()]
    listed: list[str] = [i if i is not None else "" for i in ids]
    if not wide:
        got = _utf8(listed)
        if wide is False or got.dtype.itemsize <= _WIDE:
            return got
    return np.array(listed, dtype=object)


def lookup(held: Any, numbers: Any, want: Any) -> Any:
    """The number of each of ``want`` (an array of ids as ``held`` holds
    them) among ``held`` (sorted; ``numbers[i]`` is the number of
    ``held[i]``): an int64 array, -1 for an id not held or empty. One binary
    search of them all, a slice at a time."""
    out = np.full(len(want), -1, np.int64)
    if not len(want) or not len(held):
        return out
    at = searchsorted_of(held, want)
    at[at >= len(held)] = 0
    empty = b"" if want.dtype != object else ""
    hit = (held[at] == want) & (want != empty)
    out[hit] = numbers[at[hit]]
    return out


class IdTable:
    """The numbers of the ids of one numbering (the place of each in
    ``ids``; ids that are None, such as deleted documents, have none)."""

    def __init__(self, ids: Sequence[str | None]) -> None:
        text = _text(ids) if len(ids) else np.zeros(0, "S1")
        #: The places of the ids, in the order of the ids (code point order).
        order = np.argsort(text, kind="stable")
        self.order = order.astype(np.int32) if len(order) < 2**31 else order
        self._sorted = text[order]
        del text, order

    def renumbered(self, old_to_new: Any, ids: Sequence[str], nums: Any) -> IdTable | None:
        """This table after a renumbering (``old_to_new``: each number's new
        one, -1 for an id gone) with ``ids`` added as numbers ``nums``: the
        sorted ids kept, the new ones inserted by binary search (no id of
        the others encoded or sorted again). None when the new ids would
        change how the table holds them (wider than :data:`_WIDE`): make it
        again then."""
        order = old_to_new[self.order]
        keep = order >= 0
        held, order = self._sorted[keep], order[keep]
        nums = np.asarray(nums, np.int64)
        if len(ids):
            text = _text(ids, self._wide())
            if text.dtype != object and held.dtype != object:
                if text.dtype.itemsize > _WIDE:
                    return None
                if text.dtype.itemsize > held.dtype.itemsize:
                    held = held.astype(text.dtype)
                text = text.astype(held.dtype)
            by = np.argsort(text, kind="stable")
            text, nums = text[by], nums[by]
            at = np.searchsorted(held, text)
            held = np.insert(held, at, text)
            order = np.insert(order, at, nums)
        out = IdTable.__new__(IdTable)
        out.order = order.astype(np.int32) if len(order) < 2**31 else order
        out._sorted = held
        return out

    @property
    def size(self) -> int:
        return len(self._sorted)

    def _wide(self) -> bool:
        return self._sorted.dtype == object

    def numbers(self, ids: Sequence[str | None]) -> Any:
        """The number of each of ``ids`` (an int64 array; -1 for an id not
        in the numbering, or None)."""
        if not len(ids) or not len(self._sorted):
            return np.full(len(ids), -1, np.int64)
        # bytes of any width against bytes (a longer id is simply not found)
        return lookup(self._sorted, self.order, _text(ids, self._wide()))

    def __contains__(self, pid: object) -> bool:
        if not isinstance(pid, str) or not pid:
            return False
        key: str | bytes = pid if self._wide() else pid.encode("utf-8", "surrogatepass")
        ids = self._sorted
        at = int(ids.searchsorted(key))
        return at < len(ids) and bool(ids[at] == key)

    def number(self, pid: str) -> int:
        """The number of ``pid`` (-1: not in the numbering)."""
        if not pid:
            return -1
        key: str | bytes = pid if self._wide() else pid.encode("utf-8", "surrogatepass")
        ids = self._sorted
        at = int(ids.searchsorted(key))
        return int(self.order[at]) if at < len(ids) and ids[at] == key else -1

    def which(self, ids: Iterable[str]) -> list[bool]:
        """Whether each of ``ids`` is in the numbering (one search of them all)."""
        listed = list(ids)
        got: list[bool] = (self.numbers(listed) >= 0).tolist()
        return got

    def by_number(self) -> Any:
        """The ids in the order of their numbers, as a numpy array (UTF-8
        bytes, or strings for long ids; a missing one empty)."""
        return self._sorted[self._where()]

    def ids_at(self, nums: Any) -> list[str]:
        """The ids numbered ``nums`` (numbers that exist; "" for one whose id
        was None)."""
        nums = np.asarray(nums, np.int64)
        if not len(nums):
            return []
        where = self._where()[nums]
        got = self._sorted[where].tolist()
        if self._wide():
            return [str(g) for g in got]
        return [g.decode("utf-8", "surrogatepass") for g in got]

    _rank: Any = None

    def _where(self) -> Any:
        """Each number's place in the sorted ids (the inverse of :attr:`order`)."""
        if self._rank is None:
            rank = np.empty(len(self.order), self.order.dtype)
            rank[self.order] = np.arange(len(self.order), dtype=self.order.dtype)
            self._rank = rank
        return self._rank
