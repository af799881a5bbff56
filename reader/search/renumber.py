"""Document numbers carried from one library to the next: :class:`Renumbering`.

The search engine numbers its papers in the list's newest order. When a
library is read again after a fetch it is the old one with a few papers
added, changed or removed (its ``touched`` papers): the untouched papers
keep their order, so their new numbers follow from where the touched ones
now stand. Every per-paper column, order and table of the old engine is
then carried over by numpy (a scatter, a gather, a few binary searches per
touched paper) instead of being made again from every paper: the search
thread holds the GIL for milliseconds, not for the 0.6-1.3 s of a full
build at 100k papers that the event loop waited beside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Renumbering:
    """Old document numbers -> new ones: some removed, some inserted."""

    #: Each old document's new number (-1: removed).
    old_to_new: Any
    #: Whether each old document stays (``old_to_new >= 0``).
    kept: Any
    #: The new numbers of the inserted documents, ascending.
    added: Any
    #: How many documents there are now.
    size: int

    @staticmethod
    def of(old_size: int, removed: Any, added: Any, size: int) -> Renumbering | None:
        """The renumbering that removes the old documents ``removed`` and
        inserts new ones at ``added`` (new numbers), the others keeping their
        order; None when the counts do not add up (not such an update)."""
        kept = np.ones(old_size, np.bool_)
        kept[np.asarray(removed, np.int64)] = False
        added = np.unique(np.asarray(added, np.int64))
        free = np.ones(size, np.bool_)
        free[added] = False
        if int(kept.sum()) != size - len(added):
            return None
        old_to_new = np.full(old_size, -1, np.int64)
        old_to_new[kept] = np.flatnonzero(free)
        return Renumbering(old_to_new, kept, added, size)

    def column(self, old: Any, added_values: Any, dtype: Any = None) -> Any:
        """A per-document column carried over: the old values of the kept
        documents at their new numbers, ``added_values`` (in the order of
        :attr:`added`) at the inserted ones."""
        out = np.empty(self.size, dtype if dtype is not None else old.dtype)
        out[self.old_to_new[self.kept]] = old[self.kept]
        out[self.added] = added_values
        return out

    def docs(self, nums: Any) -> Any:
        """Old document numbers as new ones, the removed left out (the order
        of the rest kept: the renumbering keeps the kept documents' order)."""
        got = self.old_to_new[np.asarray(nums, np.int64)]
        return got[got >= 0]


def places(
    keys: Any,
    ties: Any,
    new_keys: Sequence[Any],
    new_ties: Sequence[Any],
    descending: bool = False,
) -> Any:
    """Where each new item goes in a sequence sorted by ``keys`` (ascending
    or ``descending``), equal keys by ``ties`` ascending (an array, or a
    function of a run's bounds giving its ties): the places to give
    :func:`numpy.insert` (new items given in that same order, so that two
    at one place keep it). Binary searches: the key's run for all of them
    at once, then the tie inside each run (a run is one day's papers, one
    vote count's)."""
    n = len(keys)
    want = np.empty(len(new_keys), keys.dtype)
    want[:] = list(new_keys)
    if descending:
        back = keys[::-1]
        lo = n - np.searchsorted(back, want, side="right")
        hi = n - np.searchsorted(back, want, side="left")
    else:
        lo = np.searchsorted(keys, want, side="left")
        hi = np.searchsorted(keys, want, side="right")
    at = np.empty(len(new_keys), np.int64)
    for j, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        run = ties(a, b) if callable(ties) else ties[a:b]
        at[j] = a + int(np.searchsorted(run, new_ties[j])) if b > a else a
    return at
