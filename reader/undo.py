"""A way back from star, tag and read changes: the undo log.

Each change the user makes by hand is recorded as a :class:`Step`: which
papers, which field (``starred``, ``read`` or ``tags``), and their value
before and after, read from the state store around the change. Undoing a
step sets each of those papers' field back to its value before, through the
store's ordinary setters, and touches nothing else: a paper the change left
as it was is not written, and for tags only the tags the change added or
removed are put back. Several steps are kept, newest last.

Plain core code: no textual, no printing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from reader.wording import counted

#: A change of more than this many papers asks first.
ASK_OVER = 50
#: Steps kept (the oldest are forgotten).
KEEP = 100

#: The fields a step can restore.
FIELDS = ("starred", "read", "tags")

Value = bool | frozenset[str]


class _PaperState(Protocol):
    @property
    def starred(self) -> bool: ...
    @property
    def read(self) -> bool: ...
    @property
    def tags(self) -> Any: ...


class StateLike(Protocol):
    """What the log needs of the state store (:class:`reader.state.StateStore`)."""

    def get(self, pid: str) -> _PaperState: ...
    def set_starred(self, ids: Iterable[str], on: bool) -> None: ...
    def set_read(self, ids: Iterable[str], on: bool) -> None: ...
    def add_tags(self, ids: Iterable[str], tags: Iterable[str]) -> None: ...
    def remove_tags(self, ids: Iterable[str], tags: Iterable[str]) -> None: ...


@dataclass(frozen=True)
class Step:
    """One change that can be undone."""

    what: str
    """What was done, for "Undid: ..." (``marked 45 papers read``)."""
    field: str
    """``starred``, ``read`` or ``tags``."""
    before: Mapping[str, Value]
    """Paper id -> the field's value before the change (changed papers only)."""
    after: Mapping[str, Value]
    """Paper id -> the field's value after it."""

    @property
    def count(self) -> int:
        """How many papers the change changed."""
        return len(self.before)


def capture(store: StateLike, ids: Iterable[str], field: str) -> dict[str, Value]:
    """``field`` of each paper of ``ids`` as the store has it now."""
    if field not in FIELDS:
        raise ValueError(f"not a field the undo log knows: {field!r}")
    out: dict[str, Value] = {}
    for pid in dict.fromkeys(ids):
        state = store.get(pid)
        out[pid] = frozenset(state.tags) if field == "tags" else bool(getattr(state, field))
    return out


class UndoLog:
    """The steps that can be undone, newest last."""

    def __init__(self, store: StateLike, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep
        self._steps: list[Step] = []

    def __len__(self) -> int:
        return len(self._steps)

    def change(
        self,
        what: str | Callable[[int], str],
        field: str,
        ids: Iterable[str],
        apply: Callable[[], object],
    ) -> Step | None:
        """Run ``apply`` (a change of ``field`` on the papers ``ids``) and
        record it. ``what`` is the description, or makes it from the number
        of papers that really changed. Returns the step, or None when nothing
        changed (nothing is recorded). An exception from ``apply`` records
        nothing and is raised."""
        ids = list(ids)
        before = capture(self.store, ids, field)
        apply()
        after = capture(self.store, ids, field)
        changed = [pid for pid in ids if before.get(pid) != after.get(pid)]
        if not changed:
            return None
        text = what(len(changed)) if callable(what) else what
        step = Step(text, field, {p: before[p] for p in changed}, {p: after[p] for p in changed})
        self._steps.append(step)
        del self._steps[: -self.keep]
        return step

    def undo(self) -> Step | None:
        """Put the newest step's papers back as they were; None when there is
        nothing to undo. When the store refuses (read-only, a write error) the
        step stays in the log and the error is raised."""
        if not self._steps:
            return None
        step = self._steps[-1]
        self._restore(step)
        self._steps.pop()
        return step

    def _restore(self, step: Step) -> None:
        store = self.store
        if step.field in ("starred", "read"):
            setter = store.set_starred if step.field == "starred" else store.set_read
            for value in (True, False):
                ids = [pid for pid, v in step.before.items() if v is value]
                if ids:
                    setter(ids, value)
            return
        # tags: take back what was added, give back what was removed
        adds: dict[frozenset[str], list[str]] = {}
        removes: dict[frozenset[str], list[str]] = {}
        for pid, old in step.before.items():
            new = step.after[pid]
            assert isinstance(old, frozenset) and isinstance(new, frozenset)
            if new - old:
                removes.setdefault(new - old, []).append(pid)
            if old - new:
                adds.setdefault(old - new, []).append(pid)
        for tags, ids in removes.items():
            store.remove_tags(ids, sorted(tags))
        for tags, ids in adds.items():
            store.add_tags(ids, sorted(tags))


def marked_read(n: int, on: bool = True) -> str:
    """``marked 45 papers read`` (the description of a bulk read change)."""
    return f"marked {counted(n, 'paper')} {'read' if on else 'unread'}"
