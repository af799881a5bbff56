"""A CLI change reads the state only as far as it needs (issue 14, item 8):
a file digest-reader wrote (its check line holds) is read entry by entry,
only the papers changed are built and written anew, every other byte is
kept, and the result is the file a store that read it whole would write.
Any doubt reads it whole, as before."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.yaml_breakers import TEXTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reader.state.lazy as lazy_module
from reader.state import (
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    StateError,
    StateStore,
    dump_state,
    make_note,
    normalise_tag,
    parse_state,
)

T0 = 1_795_687_200.0  # 2026-11-26 10:00 UTC


def _clock() -> Callable[[], float]:
    ticks = itertools.count()
    return lambda: T0 + next(ticks)


def _many(n: int) -> State:
    papers = {}
    for i in range(n):
        at = f"2026-11-{1 + i % 20:02d}T10:00:00.{i:06d}Z"
        note = make_note([NoteVersion(at, f"note {i}\nline two\n")], []) if i % 50 == 0 else None
        tags = {"rl": Stamp(at, True)} if i % 7 == 0 else {}
        papers[f"2300.{i:05d}"] = PaperRecord(Stamp(at, i % 3 == 0), Stamp(at, True), tags, note)
    return State(papers)


def _body(path: Path) -> bytes:
    """The file after its comment lines (what two writers must agree on)."""
    data = path.read_bytes()
    return data[data.index(b"\nversion: ") + 1 :]


def _write(path: Path, state: State) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_state(state, T0), encoding="utf-8")
    return path


def _changes(store: StateStore) -> None:
    store.toggle_star("2300.00007")  # in the middle
    store.add_tags(["2300.00350"], ["to read"])  # a paper with a note and a tag
    store.set_note("2300.00100", "new text\n")
    store.set_read(["0001.00001", "2300.00003"], False)  # a new first paper, and one read
    store.set_starred(["9999.99999"], True)  # a new last paper
    store.remove_tags(["2300.00014"], ["rl"])


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The characters of every entry a lazy store builds, as it builds them."""
    sizes: list[int] = []
    real = lazy_module.parse_state

    def counting(text: str) -> State:
        sizes.append(len(text))
        return real(text)

    monkeypatch.setattr(lazy_module, "parse_state", counting)
    return sizes


def test_a_cli_change_builds_only_the_papers_it_touches(tmp_path: Path, parsed: list[int]) -> None:
    state = _many(5_000)
    lazy_file = _write(tmp_path / "lazy" / "state.yaml", state)
    whole_file = _write(tmp_path / "whole" / "state.yaml", state)
    size = lazy_file.stat().st_size

    lazy = StateStore(lazy_file, _clock(), lazy=True)
    _changes(lazy)
    whole = StateStore(whole_file, _clock())
    _changes(whole)

    assert sum(parsed) < 2_000  # 6 entries of a 380 KB file, each read alone
    assert size > 300_000
    # the same file a store that read it whole writes, byte for byte
    assert _body(lazy_file) == _body(whole_file)
    assert parse_state(lazy_file.read_text()) == whole.state
    assert lazy.get("2300.00350").tags == frozenset({"rl", "to-read"})
    assert lazy.get("2300.00100").note == "new text\n"
    assert StateStore(lazy_file).get("9999.99999").starred


def test_the_bytes_of_untouched_papers_are_kept_as_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "state.yaml", _many(300))
    before = _body(path)
    old = before.split(b"\n  '2300.00007':\n")
    StateStore(path, _clock(), lazy=True).toggle_star("2300.00007")
    after = _body(path)
    assert after.startswith(old[0] + b"\n  '2300.00007':\n    starred: true ")
    assert after.endswith(old[1][old[1].index(b"\n  '2300.00008':") :])


def test_another_writer_in_between_is_not_lost(tmp_path: Path) -> None:
    path = _write(tmp_path / "state.yaml", _many(500))
    cli = StateStore(path, _clock(), lazy=True)
    cli.load()
    assert cli.get("2300.00001").read
    app = StateStore(path, _clock())
    app.set_note("2300.00002", "from the app")
    app.set_starred(["2400.00001"], True)
    cli.toggle_star("2300.00001")  # reread under the lock: the app's changes stay
    cli.set_note("2300.00003", "from the cli")
    app.add_tags(["2300.00003"], ["later"])  # and the app keeps the CLI's
    final = StateStore(path)
    assert final.get("2300.00002").note == "from the app"
    assert final.get("2400.00001").starred
    assert final.get("2300.00001").starred  # 1 % 3 != 0: it was not starred
    assert final.get("2300.00003").note == "from the cli"
    assert final.get("2300.00003").tags == frozenset({"later"})


def test_a_hand_edited_file_is_read_whole_and_its_edit_kept(
    tmp_path: Path, parsed: list[int]
) -> None:
    path = _write(tmp_path / "state.yaml", _many(500))
    text = path.read_text()
    edited = text.replace(
        "  '2300.00400':\n    starred: false", "  '2300.00400':\n    starred: true"
    )
    path.write_text(edited.replace("  '2300.00006':", "  '2300.00006':\n    # looked at it"))
    store = StateStore(path, _clock(), lazy=True)
    store.toggle_star("2300.00001")
    assert not parsed  # the check line no longer holds: read whole
    again = StateStore(path)
    assert again.get("2300.00400").starred and again.get("2300.00001").starred
    parsed.clear()
    StateStore(path, _clock(), lazy=True).toggle_star("2300.00001")
    assert sum(parsed) < 500  # written whole again: lazy again


def test_a_damaged_file_is_never_overwritten(tmp_path: Path) -> None:
    path = _write(tmp_path / "state.yaml", _many(500))
    StateStore(path, _clock()).toggle_star("2300.00009")  # a backup exists
    backup = path.with_name("state.yaml.bak").read_bytes()
    damaged = path.read_bytes().replace(b"read: true 2026-11-02", b"read: maybe 2026-11-02", 1)
    path.write_bytes(damaged)
    store = StateStore(path, _clock(), lazy=True)
    with pytest.raises(StateError, match="cannot be read: paper 2300.00001: read"):
        store.toggle_star("2300.00400")  # far from the damage
    assert path.read_bytes() == damaged
    assert path.with_name("state.yaml.bak").read_bytes() == backup


def test_a_file_written_before_the_check_line_is_read_whole(
    tmp_path: Path, parsed: list[int]
) -> None:
    path = _write(tmp_path / "state.yaml", _many(200))
    old = path.read_text().splitlines(keepends=True)
    assert old[3].startswith("# Check: ")
    path.write_text("".join(old[:3] + old[4:]))  # as the writer before it wrote it
    store = StateStore(path, _clock(), lazy=True)
    store.toggle_star("2300.00001")
    assert not parsed
    assert store.get("2300.00001").starred
    assert path.read_text().splitlines()[3].startswith("# Check: ")


def test_reading_the_whole_state_from_a_lazy_store(tmp_path: Path) -> None:
    state = _many(300)
    path = _write(tmp_path / "state.yaml", state)
    store = StateStore(path, _clock(), lazy=True)
    assert store.get("2300.00003").starred and not store.get("2300.00004").starred
    assert store.get("nowhere/1") == StateStore(path).get("nowhere/1")
    assert store.starred_ids() == {p for p, r in state.papers.items() if r.view().starred}
    assert store.ids() == set(state.papers)
    assert store.state == state
    for pid in list(state.papers)[:100]:  # many papers shown: read whole once
        assert store.get(pid) == state.papers[pid].view()


def test_an_empty_state_and_a_missing_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "state.yaml", State())
    StateStore(path, _clock(), lazy=True).set_starred(["2401.00001", "2401.00002"], True)
    assert StateStore(path).starred_ids() == {"2401.00001", "2401.00002"}
    missing = tmp_path / "new" / "state.yaml"
    StateStore(missing, _clock(), lazy=True).add_tags(["2401.00001"], ["rl"])
    store = StateStore(missing, _clock(), lazy=True)
    store.add_tags(["2401.00002"], ["rl"])
    assert StateStore(missing).ids_with_tag("rl") == {"2401.00001", "2401.00002"}


# -- every state the format holds: lazily changed as when read whole -----------

_ids = st.sampled_from(
    ["2401.10000", "2401.1", "cond-mat/0412498", "doi:10.1/x:y", "1e5", "yes", "a", "x#y"]
    + ["Yes:", "a" * 200, "a'b", "é1", "n", "2401.10000v2", "zz", "A"]
)
_tags = st.sampled_from(["rl", "to-read", "yes", "1.5", "a:b", "é", "On", "#c"])
_times = st.sampled_from(
    ["2026-11-26T10:00:00.000000Z", "0001-01-01T00:00:00.000000Z", "2026-11-26T09:00:00.000001Z"]
)
_stamps = st.builds(Stamp, _times, st.booleans())


@st.composite
def _records(draw: st.DrawFn) -> PaperRecord:
    note = None
    if draw(st.integers(0, 3)) == 0:
        note = make_note([NoteVersion(draw(_times), draw(st.sampled_from(TEXTS)))], [])
    tags = draw(st.dictionaries(_tags.map(normalise_tag), _stamps, max_size=2))
    rec = PaperRecord(
        draw(st.none() | _stamps), draw(st.none() | _stamps), dict(sorted(tags.items())), note
    )
    return (
        rec if not rec.is_empty() else PaperRecord(read=Stamp("2026-11-26T10:00:00.000000Z", True))
    )


_ops = st.lists(
    st.tuples(st.sampled_from(["star", "tag", "untag", "read", "note"]), _ids, _tags),
    min_size=1,
    max_size=4,
)


def _apply(store: StateStore, ops: list[tuple[str, str, str]]) -> None:
    for op, pid, tag in ops:
        if op == "star":
            store.toggle_star(pid)
        elif op == "tag":
            store.add_tags([pid], [tag])
        elif op == "untag":
            store.remove_tags([pid], [tag])
        elif op == "read":
            store.set_read([pid], not store.get(pid).read)
        else:
            store.set_note(pid, f"{tag}\n" if store.get(pid).note != f"{tag}\n" else "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_ids, _records(), max_size=8), _ops)
def test_every_state_changes_lazily_as_when_read_whole(
    papers: dict[str, PaperRecord], ops: list[tuple[str, str, str]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = State(papers)
        lazy_file = _write(Path(tmp) / "lazy" / "state.yaml", state)
        whole_file = _write(Path(tmp) / "whole" / "state.yaml", state)
        _apply(StateStore(lazy_file, _clock(), lazy=True), ops)
        _apply(StateStore(whole_file, _clock()), ops)
        assert _body(lazy_file) == _body(whole_file)


def test_the_cli_changes_and_shows_a_large_state_lazily(
    tmp_path: Path, parsed: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    from reader.cli import main
    from reader.paths import Paths

    digest = tmp_path / "2025-08-21.yaml"
    digest.write_text(
        'title: t\ndate: 2025-08-21\npapers:\n  - id: "2300.00008"\n    title: A paper\n',
        encoding="utf-8",
    )
    path = _write(Paths.from_env().state_file, _many(3_000))
    assert main(["star", "2300.00008", "--path", str(digest)]) == 0
    assert main(["tag", "2300.00008", "rl", "--path", str(digest)]) == 0
    assert main(["note", "2300.00008", "seen in the CLI", "--path", str(digest)]) == 0
    capsys.readouterr()
    assert main(["note", "2300.00008", "--path", str(digest)]) == 0
    assert capsys.readouterr().out == "seen in the CLI\n"
    assert sum(parsed) < 1_000  # one entry, read once per command
    rec = StateStore(path).get("2300.00008")
    assert rec.starred and rec.tags == {"rl"} and rec.note == "seen in the CLI"


def test_an_id_the_bisection_cannot_read_reads_the_file_whole(tmp_path: Path) -> None:
    at = "2026-11-26T10:00:00.000000Z"
    papers = {f"x{i}": PaperRecord(read=Stamp(at, True)) for i in range(40)}
    papers["a'b"] = papers["é1"] = PaperRecord(starred=Stamp(at, True))  # written plain by YAML
    path = _write(tmp_path / "state.yaml", State(papers))
    whole = _write(tmp_path / "whole" / "state.yaml", State(papers))
    for file, lazy in ((path, True), (whole, False)):
        store = StateStore(file, _clock(), lazy=lazy)
        store.toggle_star("é2")
        store.toggle_star("a'b")
    assert _body(path) == _body(whole)
    assert StateStore(path).starred_ids() == {"é1", "é2"}
