"""The undo log over a real state store: what a fresh store reads back
after each undo."""

from __future__ import annotations

import pytest

from reader.paths import Paths
from reader.state import StateStore, open_state
from reader.undo import UndoLog, marked_read


@pytest.fixture
def store() -> StateStore:
    return open_state(Paths.from_env().state_file)


def fresh() -> StateStore:
    return open_state(Paths.from_env().state_file)


def test_undo_a_bulk_read_puts_back_only_what_it_changed(store: StateStore) -> None:
    store.set_read(["a1"], True)  # already read: the bulk change leaves it
    log = UndoLog(store)
    ids = ["a1", "a2", "a3"]
    step = log.change(marked_read, "read", ids, lambda: store.set_read(ids, True))
    assert step is not None and step.what == "marked 2 papers read"
    assert fresh().read_ids() == {"a1", "a2", "a3"}
    assert log.undo() == step
    assert fresh().read_ids() == {"a1"}
    assert log.undo() is None  # nothing left


def test_several_steps_undo_newest_first(store: StateStore) -> None:
    log = UndoLog(store)
    log.change("starred A", "starred", ["a"], lambda: store.set_starred(["a"], True))
    log.change("tagged rl", "tags", ["a", "b"], lambda: store.add_tags(["a", "b"], ["rl"]))
    log.change("unstarred A", "starred", ["a"], lambda: store.set_starred(["a"], False))
    assert len(log) == 3
    undone = [s.what for s in (log.undo(), log.undo()) if s is not None]
    assert undone == ["unstarred A", "tagged rl"]
    back = fresh()
    assert back.starred_ids() == {"a"} and back.tag_counts() == {}
    step = log.undo()
    assert step is not None and step.what == "starred A"
    assert fresh().starred_ids() == set()


def test_undo_tags_touches_only_the_tags_the_change_moved(store: StateStore) -> None:
    store.add_tags(["a"], ["keep", "old"])
    log = UndoLog(store)

    def edit() -> None:
        store.add_tags(["a"], ["new"])
        store.remove_tags(["a"], ["old"])

    log.change("retag", "tags", ["a"], edit)
    store.add_tags(["a"], ["later"])  # made after, not by the step
    log.undo()
    assert fresh().get("a").tags == frozenset({"keep", "old", "later"})


def test_a_change_that_changes_nothing_is_not_recorded(store: StateStore) -> None:
    store.set_starred(["a"], True)
    log = UndoLog(store)
    assert log.change("starred", "starred", ["a"], lambda: store.set_starred(["a"], True)) is None
    assert len(log) == 0


def test_a_refused_undo_keeps_the_step(store: StateStore) -> None:
    log = UndoLog(store)
    log.change("starred", "starred", ["a"], lambda: store.set_starred(["a"], True))

    class Refusing:
        def __getattr__(self, name: str) -> object:
            if name.startswith("set_") or name.endswith("_tags"):

                def refuse(*_: object) -> None:
                    raise OSError("disk full")

                return refuse
            return getattr(store, name)

    log.store = Refusing()  # type: ignore[assignment]
    with pytest.raises(OSError):
        log.undo()
    assert len(log) == 1
    log.store = store
    assert log.undo() is not None and fresh().starred_ids() == set()


def test_the_log_keeps_a_bounded_number_of_steps(store: StateStore) -> None:
    log = UndoLog(store, keep=3)
    for i in range(5):
        pid = f"p{i}"
        log.change(pid, "starred", [pid], lambda pid=pid: store.set_starred([pid], True))
    assert [log.undo().what for _ in range(3)] == ["p4", "p3", "p2"]  # type: ignore[union-attr]
    assert log.undo() is None
