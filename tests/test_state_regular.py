"""The line-oriented reader of the state's own layout reads every file as the
full YAML reader does (issue 14, item 8), and a file too big is refused first."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.yaml_breakers import TEXTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.state import (
    MAX_STATE_BYTES,
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    StateError,
    dump_state,
    make_note,
    normalise_tag,
    open_state,
)
from reader.state.regular import read_regular
from reader.state.yaml_format import _parse_yaml, read_state

HEAD = "# digest-reader state\nversion: 1\npapers:\n"
AT = "2026-11-26T10:00:00.000000Z"
_NOTE = "  a/1:\n    note:\n      at: '" + AT + "'\n      text: "


def _both(text: str) -> tuple[State | str, State | str]:
    """What each reader makes of ``text``: a state or the error message."""
    try:
        full: State | str = _parse_yaml(text)
    except ValueError as exc:
        full = str(exc)
    try:
        fast: State | str = read_state(text)[0]
    except ValueError as exc:
        fast = str(exc)
    return full, fast


_ids = st.sampled_from(
    ["2401.10000", "2401.1", "cond-mat/0412498", "doi:10.1/x:y", "t:0af3", "1e5", "yes", "a", "x#y"]
    + ["Yes:", "a" * 200, "a'b", "é1", "n", "2401.10000v2"]
)
_tags = st.sampled_from(["rl", "to-read", "yes", "1.5", "a:b", "x" * 120, "é", "On", "#c", "a'b"])
_times = st.sampled_from([AT, "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z"])
_stamps = st.builds(Stamp, _times, st.booleans())


@st.composite
def _records(draw: st.DrawFn) -> PaperRecord:
    note = None
    if draw(st.integers(0, 4)) == 0:
        note = make_note([NoteVersion(draw(_times), draw(st.sampled_from(TEXTS)))], [])
    tags = draw(st.dictionaries(_tags.map(normalise_tag), _stamps, max_size=3))
    return PaperRecord(
        draw(st.none() | _stamps), draw(st.none() | _stamps), dict(sorted(tags.items())), note
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_ids, _records().filter(lambda r: not r.is_empty()), max_size=8))
def test_every_state_written_reads_back_the_same_by_both_readers(
    papers: dict[str, PaperRecord],
) -> None:
    state = State(papers)
    text = dump_state(state, 1_790_000_000.0)
    full, fast = _both(text)
    assert full == fast == state


@pytest.mark.parametrize(
    "body",
    [
        "  '2401.10000':\n    starred: yes\n",  # shorthand
        "  '2401.10000':\n    starred: true 2026-11-26T10:00:00+01:00\n",
        "  '2401.10000':\n    starred: true "
        + AT
        + "\n    note: hi\n  b/1:\n    read: true "
        + AT
        + "\n",
        "  '2401.10000':\n    starred: true "
        + AT
        + "\n  '2401.10000':\n    read: true "
        + AT
        + "\n",
        "  a/1:\n    starred: true " + AT + "\n  b/1:\n    starred: maybe " + AT + "\n",
        "  a/1:\n    starred: true " + AT + "\nversion: 2\n",
        "  a/1:\n    starred: true " + AT + "\npapers: {}\n",
        "  a/1:\n    tags:\n      rl: on " + AT + "\n      rl: off " + AT + "\n",
        "  a/1:\n    tags:\n      rl: on " + AT + "\n      Rl: off " + AT + "\n",
        "  a/1:\n    starred: true " + AT + "\n   stray: x\n",
        "  a/1:\n    starred: true " + AT + "\n  # a comment\n  b/1:\n    read: true " + AT + "\n",
        "  a/1:\n\n    starred: true " + AT + "\n",
        "  a/1:\n    starred: true " + AT + "\n  b/1:\n",
        "  a/1:\n    starred: true " + AT + "\n  ? b/2\n  : read: true " + AT + "\n",
        "  a/1:\n    read: true " + AT + "\n    starred: true " + AT + "\n",
        "  a/1:\n    starred: true " + AT + "\n    starred: false " + AT + "\n",
        "  a/1: {starred: true " + AT + "}\n",
        "  a/1:\n    starred: true 9999-12-31T23:30:00-01:00\n",
        "  a/1:\n    starred: true " + AT,  # no final line break
        "\tbad",
        # notes as a hand might write them
        _NOTE + "|\n          deeper first\n        x\n",
        _NOTE + "|\n        \ttab first\n",
        _NOTE + "|-\n        a\n\n        b\n\n",
        _NOTE + "|\n        a\n\n\n",
        _NOTE + "|\n\n        after a blank\n",
        _NOTE + "|\n        line\u2028sep\n",
        _NOTE + "|\n        a\n      more: x\n",
        _NOTE + "|\n        a\n     odd\n",
        _NOTE + "plain # a comment\n",
        _NOTE + "plain text, with commas (and parens)\n",
        _NOTE + "plain\n        continued\n",
        _NOTE + "'it''s'\n",
        _NOTE + "'two\n        lines'\n",
        _NOTE + "|\n        x\n  b/1:\n    read: true " + AT + "\n",
    ],
)
def test_hand_edits_read_the_same_by_both_readers(body: str) -> None:
    full, fast = _both(HEAD + body)
    assert full == fast


def test_the_regular_reader_takes_the_common_entries_itself() -> None:
    body = "".join(
        f"  '2401.{i:05d}':\n    starred: true {AT}\n    read: true {AT}\n"
        f"    tags:\n      rl: on {AT}\n"
        for i in range(50)
    )
    body += "  '2401.99998':\n    note:\n      at: '" + AT + "'\n      text: |\n        hi\n"
    hard = "  '2401.99999':\n    note:\n      at: '" + AT + "'\n      text: hi\n"
    hard += "      replaced:\n      - '2026-11-25T10:00:00.000000Z'\n"
    body += hard
    seen: list[str] = []

    def spy(text: str) -> State:
        seen.append(text)
        return _parse_yaml(text)

    got = read_regular(HEAD + body, spy)
    assert got is not None
    state, entries, _lists = got
    assert len(state.papers) == 52 and len(entries) == 52
    assert seen == ["papers:\n" + hard]  # only the note with a history went to YAML
    assert entries["2401.99999"] == hard  # its text, as it stood
    assert state.papers["2401.99998"].note is not None
    assert state.papers["2401.99998"].note.text == "hi\n"


# -- a file too big is refused before it is read ------------------------------------


def _sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)  # no disk needed
    return path


def test_a_state_file_over_the_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.state.store as store_module

    def never(text: str) -> object:
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(store_module, "read_state", never)
    path = _sparse(tmp_path / "state.yaml", MAX_STATE_BYTES + 1)
    store = open_state(path)
    assert store.read_only
    assert store.problem is not None
    assert "cannot be read: it is 64.0 MB, more than the 64 MB a state file may hold" in (
        store.problem
    )
    assert "It was left untouched" in store.problem
    with pytest.raises(StateError):
        store.set_starred(["2401.10000"], True)
    assert path.stat().st_size == MAX_STATE_BYTES + 1


def test_merging_a_file_over_the_limit_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    store = open_state(tmp_path / "mine" / "state.yaml")
    store.set_starred(["2401.10000"], True)
    before = store.path.read_bytes()
    other = _sparse(tmp_path / "other.yaml", 300 * 1000 * 1000)
    with pytest.raises(StateError) as err:
        store.merge_file(other)
    assert str(err.value) == (
        f"{other}: cannot merge it: it is 300 MB, more than the 64 MB a state file may hold"
        " (see docs/state.md); it was not read. Nothing was changed."
    )
    assert store.path.read_bytes() == before


# -- only what changed is encoded ------------------------------------------------------


def test_a_change_encodes_only_the_papers_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.state.store as store_module

    path = tmp_path / "state.yaml"
    ids = [f"2401.{i:05d}" for i in range(2000)]
    first = open_state(path)
    first.mark_read_many(ids)
    first.set_starred(ids[::7], True)
    first.add_tags(ids[::13], ["rl"])
    first.set_note(ids[3], "a note\nof two lines")

    encoded: list[int] = []
    real = store_module.encode_papers

    def counting(papers: dict[str, PaperRecord]) -> dict[str, str]:
        encoded.append(len(papers))
        return real(papers)

    monkeypatch.setattr(store_module, "encode_papers", counting)
    cli = open_state(path)  # a fresh process, as a CLI command is
    cli.toggle_star(ids[1])
    assert encoded == [1]  # the star; every other entry (the note too) is written as it stood
    cli.toggle_star(ids[2])
    cli.add_tags([ids[5]], ["cv"])
    cli.set_note(ids[4], "new")
    assert encoded == [1, 1, 1, 1]
    got = open_state(path)
    assert got.starred_ids() == set(ids[::7]) ^ {ids[1], ids[2]}
    assert got.get(ids[5]).tags == {"cv"} and got.get(ids[4]).note == "new"
    assert got.get(ids[3]).note == "a note\nof two lines" and len(got.read_ids()) == 2000
