"""Merges at the edges: times at the ends of the range, clocks that run ahead,
notes with long histories, and the algebra of merging for any state the
format allows (issue 14, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reader.state import (
    LAST_TIME,
    MAX_REPLACED,
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    StateError,
    dump_state,
    make_note,
    merge_states,
    open_state,
    parse_state,
    parse_time,
)
from reader.state.records import supersede

T0 = 1_795_687_200.0  # 2026-11-26 10:00 UTC
NOW = "2026-11-26T10:00:00.000000Z"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"version: 1\npapers:\n{body}", encoding="utf-8")
    return path


# -- times at the edges of the range ---------------------------------------------


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00+05:00", "2026-02-30T10:00:00Z"]
)
def test_a_time_outside_the_range_is_refused_with_a_sentence(tmp_path: Path, when: str) -> None:
    other = _write(tmp_path / "other.yaml", f"  '2401.10000':\n    starred: true {when}\n")
    store = open_state(tmp_path / "mine" / "state.yaml", Clock())
    store.set_starred(["2401.10001"], True)
    before = store.path.read_bytes()
    with pytest.raises(StateError) as err:
        store.merge_file(other)
    message = str(err.value)
    assert "paper 2401.10000: starred: not a time" in message and "Nothing was changed" in message
    assert store.path.read_bytes() == before
    with pytest.raises(ValueError):
        parse_time(when)


def test_an_offset_time_inside_the_range_is_kept_as_utc() -> None:
    assert parse_time("9999-12-31T22:30:00-01:00") == "9999-12-31T23:30:00.000000Z"
    assert parse_time("0001-01-01T05:00:00+05:00") == "0001-01-01T00:00:00.000000Z"


def test_a_change_stamped_at_the_end_of_time_is_left_out_and_said(tmp_path: Path) -> None:
    clock = Clock()
    other = _write(
        tmp_path / "other.yaml",
        f"  '2401.10000':\n    starred: true {LAST_TIME}\n    read: true 2026-11-26T09:00:00Z\n",
    )
    store = open_state(tmp_path / "mine" / "state.yaml", clock)
    report = store.merge_file(other)
    assert store.get("2401.10000").read and not store.get("2401.10000").starred
    said = str(report)
    assert "1 paper changed" in said and "1 change left out" in said
    assert "stamped after 2026-11-26T10:10:00.000000Z" in said and "clock" in said
    # the field is not frozen: starring and unstarring here work and stay
    assert store.toggle_star("2401.10000") is True
    assert store.toggle_star("2401.10000") is False
    clock.tick()
    again = store.merge_file(other)  # merging again takes nothing from the future
    assert again.papers_changed == 0 and again.left_out == 1
    assert open_state(store.path).get("2401.10000").starred is False


def test_a_state_holding_the_end_of_time_can_still_be_changed(tmp_path: Path) -> None:
    """A file written before this check (or by hand): the app marks the
    shown paper read without a crash, and the change is what is kept."""
    path = _write(
        tmp_path / "state.yaml",
        f"  '2401.10000':\n    read: false {LAST_TIME}\n    starred: true {LAST_TIME}\n"
        f"    tags:\n      rl: on {LAST_TIME}\n"
        f"    note:\n      at: '{LAST_TIME}'\n      text: old\n",
    )
    store = open_state(path, Clock())
    store.mark_read_many(["2401.10000"])
    store.set_starred(["2401.10000"], False)
    store.remove_tags(["2401.10000"], ["rl"])
    store.set_note("2401.10000", "new")
    got = open_state(path).get("2401.10000")
    assert got.read and not got.starred and not got.tags and got.note == "new"
    assert got.note_conflicts == ()


def test_a_clock_a_little_ahead_is_merged_and_a_change_made_now_still_wins(
    tmp_path: Path,
) -> None:
    clock = Clock()
    ahead = "2026-11-26T10:05:00.000000Z"  # five minutes ahead: within the skew
    other = _write(tmp_path / "other.yaml", f"  '2401.10000':\n    starred: true {ahead}\n")
    store = open_state(tmp_path / "mine" / "state.yaml", clock)
    report = store.merge_file(other)
    assert report.left_out == 0 and store.get("2401.10000").starred
    assert store.toggle_star("2401.10000") is False  # made now, stamped just after
    assert store.merge_file(other).papers_changed == 0
    assert store.get("2401.10000").starred is False


# -- notes with long histories --------------------------------------------------


@pytest.mark.parametrize("edits", [1, 31, 32, 33, 34, 100])
def test_a_note_edited_many_times_on_one_machine_merges_without_a_copy(
    tmp_path: Path, edits: int
) -> None:
    clock = Clock()
    laptop = open_state(tmp_path / "laptop" / "state.yaml", clock)
    desktop = open_state(tmp_path / "desktop" / "state.yaml", clock)
    laptop.set_note("2401.10000", "v0")
    desktop.merge_file(laptop.path)  # the desktop holds the original
    for n in range(1, edits + 1):
        clock.tick()
        laptop.set_note("2401.10000", f"v{n}")
    report = desktop.merge_file(laptop.path)
    assert report.note_conflicts == 0
    assert desktop.get("2401.10000").note == f"v{edits}"
    assert desktop.get("2401.10000").note_conflicts == ()
    laptop.merge_file(desktop.path)
    assert laptop.get("2401.10000").note_conflicts == ()
    assert laptop.state.papers == desktop.state.papers


def test_a_copy_synced_midway_then_40_more_edits_merges_without_a_copy(tmp_path: Path) -> None:
    clock = Clock()
    laptop = open_state(tmp_path / "laptop" / "state.yaml", clock)
    desktop = open_state(tmp_path / "desktop" / "state.yaml", clock)
    for n in range(10):
        clock.tick()
        laptop.set_note("2401.10000", f"v{n}")
    desktop.merge_file(laptop.path)
    for n in range(10, 50):
        clock.tick()
        laptop.set_note("2401.10000", f"v{n}")
    assert desktop.merge_file(laptop.path).note_conflicts == 0
    assert desktop.get("2401.10000").note == "v49"
    assert desktop.get("2401.10000").note_conflicts == ()


def test_an_edit_made_on_both_machines_after_a_long_history_keeps_a_copy(tmp_path: Path) -> None:
    clock = Clock()
    laptop = open_state(tmp_path / "laptop" / "state.yaml", clock)
    desktop = open_state(tmp_path / "desktop" / "state.yaml", clock)
    for n in range(40):
        clock.tick()
        laptop.set_note("2401.10000", f"v{n}")
    desktop.merge_file(laptop.path)
    clock.tick()
    desktop.set_note("2401.10000", "desktop's")
    clock.tick()
    laptop.set_note("2401.10000", "laptop's")
    assert desktop.merge_file(laptop.path).note_conflicts == 1
    got = desktop.get("2401.10000")
    assert got.note == "laptop's" and got.note_conflicts == ("desktop's",)


def test_the_history_beyond_its_bound_is_kept_as_one_line(tmp_path: Path) -> None:
    store = open_state(tmp_path / "state.yaml", Clock())
    for n in range(MAX_REPLACED + 5):
        store.clock.tick()  # type: ignore[attr-defined]
        store.set_note("2401.10000", f"v{n}")
    text = store.path.read_text(encoding="utf-8")
    assert text.count("replaced_through: '2026-11-26T10:00:0") == 1
    assert len(text.splitlines()) < MAX_REPLACED + 20


# -- the algebra, for every state the format allows ---------------------------------

_EDGES = [
    "0001-01-01T00:00:00.000000Z",
    "1970-01-01T00:00:00.000000Z",
    "9999-12-31T23:59:58.999999Z",
    LAST_TIME,
]
# many distinct times (long histories) and a few, so that ties are common
_times = st.one_of(
    st.sampled_from(_EDGES),
    st.integers(0, 120).map(lambda n: f"2026-11-26T10:{n // 60:02d}:{n % 60:02d}.000000Z"),
)
_texts = st.sampled_from(["", "alpha", "beta", "gamma", "alpha\n\n"])
_stamps = st.builds(Stamp, _times, st.booleans())


@st.composite
def _notes(draw: st.DrawFn) -> object:
    versions = draw(st.lists(st.builds(NoteVersion, _times, _texts), min_size=1, max_size=4))
    replaced = draw(st.lists(_times, max_size=80))
    floor = draw(st.none() | _times)
    return make_note(versions, replaced, floor)


@st.composite
def _records(draw: st.DrawFn) -> PaperRecord:
    tags = draw(st.dictionaries(st.sampled_from(["rl", "cv", "x"]), _stamps, max_size=3))
    return PaperRecord(
        draw(st.none() | _stamps),
        draw(st.none() | _stamps),
        dict(sorted(tags.items())),
        draw(st.none() | _notes()),  # type: ignore[arg-type]
    )


_states = st.builds(
    State,
    st.dictionaries(
        st.sampled_from(["2401.10000", "2401.10001", "t:ab"]),
        _records().filter(lambda r: not r.is_empty()),  # the file holds no empty entry
        max_size=3,
    ),
)


def _long_history(n: int, start: int = 0) -> list[str]:
    return [
        f"2026-11-26T10:{(start + i) // 60:02d}:{(start + i) % 60:02d}.000000Z" for i in range(n)
    ]


def _note_state(versions: list[tuple[str, str]], replaced: list[str]) -> State:
    note = make_note([NoteVersion(at, text) for at, text in versions], replaced)
    return State({"2401.10000": PaperRecord(note=note)})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_states, _states, _states)
@example(  # the original against a copy edited 40 times
    _note_state([("2026-11-26T10:00:00.000000Z", "v0")], []),
    _note_state([("2026-11-26T10:00:40.000000Z", "v40")], _long_history(40)),
    _note_state([("2026-11-26T10:00:20.000000Z", "v20")], _long_history(20)),
)
@example(  # every version replaced; the end of time
    _note_state([(LAST_TIME, "z"), ("2026-11-26T10:00:01.000000Z", "a")], [LAST_TIME]),
    _note_state([("2026-11-26T10:00:02.000000Z", "b")], [*_long_history(33, 3), LAST_TIME]),
    State({"2401.10000": PaperRecord(Stamp(LAST_TIME, False), Stamp(LAST_TIME, True))}),
)
def test_merge_is_a_join_for_any_state_the_format_allows(a: State, b: State, c: State) -> None:
    ab, ba = merge_states(a, b), merge_states(b, a)
    assert ab == ba  # commutative
    assert merge_states(ab, c) == merge_states(a, merge_states(b, c))  # associative
    assert merge_states(ab, ab) == ab  # idempotent: merged twice, nothing changes
    assert merge_states(ab, a) == ab and merge_states(ab, b) == ab
    for s in (a, b, ab):  # each is a state the file can hold, and reads back as such
        assert parse_state(dump_state(s, T0)).papers == s.papers


def test_random_edit_and_sync_rounds_with_long_histories_are_idempotent() -> None:
    """Three machines edit one note (most edits on one of them) and merge
    in random pairs: each merge, done again, changes nothing; at the end all
    agree, whatever the order of the last merges."""
    import random

    rnd = random.Random(14)
    for _ in range(200):
        machines = [State() for _ in range(3)]
        t = 0
        for _ in range(rnd.randrange(5, 90)):
            t += 1
            who = 0 if rnd.random() < 0.8 else rnd.randrange(1, 3)
            now = f"2026-11-26T{10 + t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}.000000Z"
            if rnd.random() < 0.15:
                other = rnd.randrange(3)
                merged = merge_states(machines[who], machines[other])
                assert merge_states(merged, machines[other]) == merged
                machines[who] = merged
                continue
            old = machines[who].papers.get("2401.10000")
            note = supersede(old.note if old else None, f"text {t}", now)
            machines[who] = merge_states(
                State(), State({**machines[who].papers, "2401.10000": PaperRecord(note=note)})
            )
        one = merge_states(merge_states(machines[0], machines[1]), machines[2])
        other = merge_states(machines[2], merge_states(machines[1], machines[0]))
        assert one == other
        assert merge_states(one, one) == one
