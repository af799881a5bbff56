"""The user's state as they keep it: stars, tags, read marks, notes, the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.yaml_breakers import TEXTS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reader.paths import Paths
from reader.safeload import load_yaml
from reader.state import (
    EPOCH,
    Note,
    NoteVersion,
    PaperRecord,
    PaperState,
    Stamp,
    State,
    StateError,
    dump_state,
    normalise_tag,
    open_state,
    parse_state,
)


@pytest.fixture
def path() -> Path:
    return Paths.from_env().state_file


def test_a_new_user_has_an_empty_writable_state(path: Path) -> None:
    store = open_state(path)
    assert not store.read_only and store.problem is None
    assert store.get("2401.10000") == PaperState()
    assert store.starred_ids() == set() and store.tag_counts() == {}
    assert not path.exists()  # nothing written until something changes


def test_changes_are_kept_across_restarts(path: Path) -> None:
    store = open_state(path)
    assert store.toggle_star("2401.10000") is True
    store.add_tags(["2401.10000", "cond-mat/0412498"], ["rl", "Diffusion Models"])
    store.remove_tags(["cond-mat/0412498"], ["rl"])
    store.set_read(["2401.10000"], True)
    store.set_note("2401.10000", "# Why\n\nread *section 3*: the proof\n")

    again = open_state(path)
    assert again.get("2401.10000") == PaperState(
        starred=True,
        tags=frozenset({"rl", "Diffusion-Models"}),
        read=True,
        note="# Why\n\nread *section 3*: the proof\n",
    )
    assert again.get("cond-mat/0412498").tags == {"Diffusion-Models"}
    assert again.starred_ids() == {"2401.10000"}
    assert again.read_ids() == {"2401.10000"}
    assert again.ids_with_tag("rl") == {"2401.10000"}
    assert again.ids_with_tag("Diffusion Models") == {"2401.10000", "cond-mat/0412498"}
    assert again.tag_counts() == {"Diffusion-Models": 2, "rl": 1}


def test_toggle_twice_unstars_even_with_a_frozen_clock(path: Path) -> None:
    store = open_state(path, clock=lambda: 1_790_000_000.0)
    assert store.toggle_star("2401.10000") is True
    assert store.toggle_star("2401.10000") is False
    assert open_state(path).get("2401.10000").starred is False
    data = load_yaml(path.read_text()).data
    value, at = data["papers"]["2401.10000"]["starred"].split()
    assert value == "false" and at > "2026-09-21T"


def test_the_file_is_documented_yaml_with_string_ids_and_utc_times(path: Path) -> None:
    store = open_state(path, clock=lambda: 1_795_687_200.0)  # 2026-11-26 10:00 UTC
    store.set_starred(["2401.10000", "2401.10010"], True)
    store.add_tags(["2401.10000"], ["yes", "1.5"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# digest-reader state")
    data = load_yaml(text).data
    assert data["version"] == "1"
    assert set(data["papers"]) == {"2401.10000", "2401.10010"}  # not 2401.1
    assert data["papers"]["2401.10000"]["starred"] == "true 2026-11-26T10:00:00.000000Z"
    assert data["papers"]["2401.10000"]["tags"] == {
        "yes": "on 2026-11-26T10:00:00.000000Z",
        "1.5": "on 2026-11-26T10:00:00.000000Z",
    }
    # a plain safe_load (what other tools use) sees strings too
    import yaml

    plain = yaml.safe_load(text)
    assert "2401.10000" in plain["papers"] and "yes" in plain["papers"]["2401.10000"]["tags"]


def test_hand_written_shorthand_is_read(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        "version: 1\n"
        "papers:\n"
        "  2401.10000:\n"  # unquoted: still the string id
        "    starred: {value: true, at: 2026-11-26T10:00:00Z}\n"
        "    read: yes\n"
        "    tags: [rl, to read]\n"
        "    note: a plain note\n"
        "  2401.10001:\n"
        "    tags: {rl: {on: false, at: '2026-11-26T11:00:00+01:00'}}\n",
        encoding="utf-8",
    )
    store = open_state(path)
    assert not store.read_only, store.problem
    assert store.get("2401.10000") == PaperState(
        starred=True, tags=frozenset({"rl", "to-read"}), read=True, note="a plain note"
    )
    assert store.state.papers["2401.10001"].tags["rl"] == Stamp(
        "2026-11-26T10:00:00.000000Z", False
    )
    assert store.state.papers["2401.10000"].read == Stamp(EPOCH, True)
    store.toggle_star("2401.10001")  # a change rewrites it in the canonical form
    assert open_state(path).get("2401.10000").tags == {"rl", "to-read"}


def test_notes_clear_and_keep_markdown(path: Path) -> None:
    store = open_state(path)
    note = "Line 1\n\n- item: *x*\n    code\n  trailing spaces  \n'quoted' \"double\" \t tab\n"
    store.set_note("2401.10000", note)
    assert open_state(path).get("2401.10000").note == note
    store.set_note("2401.10000", "")
    assert open_state(path).get("2401.10000").note == ""
    # the clear is a timestamped change kept in the file (so it merges)
    assert "note" in load_yaml(path.read_text()).data["papers"]["2401.10000"]


def test_mark_read_many_is_one_write(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    store = open_state(path)
    replaced: list[str] = []
    real = os.replace

    def counting(src: str | Path, dst: str | Path) -> None:
        replaced.append(str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", counting)
    ids = [f"2401.{10000 + i}" for i in range(2000)]
    store.mark_read_many(ids)
    assert [d for d in replaced if d == str(path)] == [str(path)]
    assert open_state(path).read_ids() == set(ids)
    store.mark_read_many(ids)  # nothing new: nothing written
    assert [d for d in replaced if d == str(path)] == [str(path)]


def test_no_op_changes_do_not_touch_the_file(path: Path) -> None:
    store = open_state(path)
    store.set_starred(["2401.10000"], True)
    before = path.stat().st_mtime_ns, path.stat().st_ino
    store.set_starred(["2401.10000"], True)
    store.remove_tags(["2401.10000"], ["never-added"])
    store.set_read(["2401.10000"], False)
    store.add_tags(["2401.10000"], ["   "])
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_two_stores_never_lose_each_others_changes(path: Path) -> None:
    app = open_state(path)
    cli = open_state(path)
    app.toggle_star("2401.10000")
    cli.add_tags(["2401.10001"], ["rl"])  # cli re-reads first, so the star stays
    app.set_note("2401.10002", "from the app")  # and the app keeps the CLI's tag
    final = open_state(path)
    assert final.starred_ids() == {"2401.10000"}
    assert final.ids_with_tag("rl") == {"2401.10001"}
    assert final.get("2401.10002").note == "from the app"


def test_refresh_sees_other_processes_changes(path: Path) -> None:
    app = open_state(path)
    assert app.refresh() is False
    open_state(path).toggle_star("2401.10000")
    assert app.refresh() is True
    assert app.get("2401.10000").starred
    assert app.refresh() is False


def test_refresh_of_a_file_broken_by_hand_goes_read_only_then_recovers(path: Path) -> None:
    app = open_state(path)
    app.toggle_star("2401.10000")
    good = path.read_bytes()
    path.write_text("papers: [oops\n")
    assert app.refresh() is True
    assert app.read_only and str(path) in (app.problem or "")
    assert app.get("2401.10000").starred  # what was shown stays shown
    with pytest.raises(StateError):
        app.toggle_star("2401.10000")
    path.write_bytes(good)
    assert app.refresh() is True
    assert not app.read_only and app.problem is None
    app.toggle_star("2401.10000")


def test_a_backup_of_the_last_good_state_is_kept(path: Path) -> None:
    store = open_state(path)
    store.toggle_star("2401.10000")  # first save: nothing to back up yet
    store.toggle_star("2401.10001")
    bak = store.backup_path
    assert bak.exists() and open_state(bak).starred_ids() == {"2401.10000"}
    later = open_state(path)  # a new session backs up before its first save
    later.add_tags(["2401.10000"], ["x"])
    assert open_state(bak).starred_ids() == {"2401.10000", "2401.10001"}
    assert open_state(bak).tag_counts() == {}


def test_bad_ids_are_refused(path: Path) -> None:
    store = open_state(path)
    for bad in ("", "two words", "a\nb", "x" * 500):
        with pytest.raises(ValueError):
            store.toggle_star(bad)
    assert not path.exists()


def test_tags_are_one_line_and_trimmed() -> None:
    assert normalise_tag("  deep   learning ") == "deep-learning"
    assert normalise_tag("a\x1b[31mb") == "ab"
    assert normalise_tag("\n\t ") == ""


def test_a_5000_paper_state_loads(path: Path) -> None:
    store = open_state(path)
    ids = [f"2401.{10000 + i}" for i in range(5000)]
    store.mark_read_many(ids)
    store.set_starred(ids[::10], True)
    store.add_tags(ids[::20], ["rl", "diffusion"])
    for pid in ids[:50]:
        store.set_note(pid, f"note for {pid}\nsecond line")
    again = open_state(path)
    assert not again.read_only
    assert len(again.read_ids()) == 5000 and len(again.starred_ids()) == 500
    assert again.tag_counts() == {"diffusion": 250, "rl": 250}
    assert again.get(ids[7]).note == f"note for {ids[7]}\nsecond line"


# -- the format round-trips whatever a user can type -----------------------------

_times = st.sampled_from(
    ["2026-11-26T10:00:00.000000Z", "2026-11-26T10:00:00.000001Z", "2027-01-01T00:00:00.500000Z"]
)
_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=60)
_ids = st.sampled_from(
    ["2401.10000", "2401.1", "cond-mat/0412498", "doi:10.1/x:y", "t:0af3", "1e5"]
)
_tags = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1)
_stamps = st.builds(Stamp, _times, st.booleans())


@st.composite
def _records(draw: st.DrawFn) -> PaperRecord:
    note = None
    if draw(st.booleans()):
        others = draw(st.lists(st.builds(NoteVersion, _times, _text.filter(bool)), max_size=2))
        current = NoteVersion("2028-01-01T00:00:00.000000Z", draw(_text))
        note = Note(current, tuple(sorted(set(others))), ("2020-01-01T00:00:00.000000Z",))
    tags = draw(st.dictionaries(_tags.map(normalise_tag).filter(bool), _stamps, max_size=3))
    rec = PaperRecord(
        draw(st.none() | _stamps), draw(st.none() | _stamps), dict(sorted(tags.items())), note
    )
    return rec


def _noted(text: str, at: str = "2028-01-01T00:00:00.000000Z") -> PaperRecord:
    return PaperRecord(note=Note(NoteVersion(at, text)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_ids, _records(), max_size=4))
# the shapes that broke the file (issue 10 item 2), always tried first
@example({"2401.10000": _noted("my note\n\n")})
@example({"2401.1": _noted("\n"), "2401.10000": _noted("a\n\n\n")})
@example({"t:0af3": _noted(" lead\n\n"), "cond-mat/0412498": _noted("...\n---\n")})
@example({"1e5": _noted("x\u2028y\n\n"), "2401.1": _noted("\t\r\x85\n\n")})
@example(
    {
        "2401.10000": PaperRecord(
            note=Note(
                NoteVersion("2028-01-01T00:00:00.000000Z", "kept\n\n"),
                (NoteVersion("2027-01-01T00:00:00.500000Z", "copy\n\n\n"),),
            )
        )
    }
)
def test_any_state_survives_a_write_and_a_read(papers: dict[str, PaperRecord]) -> None:
    state = State({k: v for k, v in papers.items() if not v.is_empty()})
    text = dump_state(state, 1_790_000_000.0)
    assert parse_state(text) == state


@pytest.mark.parametrize("text", TEXTS, ids=[repr(t)[:30] for t in TEXTS])
def test_a_note_of_any_text_is_kept_and_the_file_stays_readable(path: Path, text: str) -> None:
    store = open_state(path)
    store.toggle_star("2401.00001")  # papers before and after the note in the file
    store.set_note("2401.10000", text)
    store.add_tags(["2401.99999"], ["after"])
    again = open_state(path)
    assert not again.read_only, again.problem
    assert again.get("2401.10000").note == text.replace("\r\n", "\n")
    assert again.starred_ids() == {"2401.00001"} and again.ids_with_tag("after") == {"2401.99999"}
    again.set_note("2401.10000", text + "\n\n")  # rewritten from the file it read
    assert open_state(path).get("2401.10000").note == (text + "\n\n").replace("\r\n", "\n")


def test_every_text_in_one_file_and_as_conflict_copies(path: Path, tmp_path: Path) -> None:
    store = open_state(path, clock=lambda: 1_790_000_000.0)
    for i, text in enumerate(TEXTS):
        store.set_note(f"2401.{10000 + i}", text)
    other = open_state(tmp_path / "other.yaml", clock=lambda: 1_790_000_001.0)
    for i, text in enumerate(TEXTS):
        other.set_note(f"2401.{10000 + i}", "theirs: " + text)
    store.merge_file(other.path)
    again = open_state(path)
    assert not again.read_only, again.problem
    for i, text in enumerate(TEXTS):
        got = again.get(f"2401.{10000 + i}")
        assert got.note == "theirs: " + text.replace("\r\n", "\n")
        assert got.note_conflicts == ((text.replace("\r\n", "\n"),) if text else ())


def test_the_cli_note_from_stdin_ending_in_blank_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """printf 'my note\\n\\n' | digest-reader note ID -   (issue 10 item 2)"""
    import io

    from reader.cli import main

    digest = tmp_path / "d.yaml"
    digest.write_text(
        "date: 2026-11-26\npapers:\n- id: '2401.10000'\n  title: A paper\n", encoding="utf-8"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("my note\n\n"))
    assert main(["note", "2401.10000", "-", "--path", str(digest)]) == 0
    assert main(["star", "2401.10000", "--path", str(digest)]) == 0  # the next command works
    capsys.readouterr()
    assert main(["note", "2401.10000", "--path", str(digest)]) == 0
    assert capsys.readouterr().out.startswith("my note\n")
    assert open_state(Paths.from_env().state_file).get("2401.10000").note == "my note\n\n"


def test_a_save_whose_text_would_not_read_back_is_refused(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.state import yaml_format

    store = open_state(path)
    store.set_note("2401.10000", "kept")
    before = path.read_bytes()
    real = yaml_format.record_to_yaml

    def lossy(rec: PaperRecord) -> dict[str, object]:  # an emitter bug, simulated
        d = real(rec)
        if "note" in d:
            d["note"]["text"] = d["note"]["text"].rstrip("\n")
        return d

    monkeypatch.setattr(yaml_format, "record_to_yaml", lossy)
    with pytest.raises(StateError) as info:
        store.set_note("2401.10001", "lost\n\n")
    message = str(info.value)
    assert str(path) in message and "would not read back" in message and "2401.10001" in message
    assert "The change was not made" in message
    assert store.problem == message
    assert path.read_bytes() == before  # the old file stays
    assert store.get("2401.10001").note == ""  # memory unchanged
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]
    monkeypatch.setattr(yaml_format, "record_to_yaml", real)
    store.set_note("2401.10001", "lost\n\n")  # the bug gone, the same change saves
    assert store.problem is None
    assert open_state(path).get("2401.10001").note == "lost\n\n"


def test_a_broken_entry_layout_is_refused_before_the_rename(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old defect: a '...' line left at the end of one paper's text."""
    from reader.state import store as store_module

    store = open_state(path)
    store.toggle_star("2401.10000")
    before = path.read_bytes()
    real = store_module.encode_papers

    def with_marker(papers: dict[str, PaperRecord]) -> dict[str, str]:
        return {pid: text + "...\n" for pid, text in real(papers).items()}

    monkeypatch.setattr(store_module, "encode_papers", with_marker)
    with pytest.raises(StateError, match="would not read back"):
        store.set_note("2401.10001", "my note\n\n")
    assert path.read_bytes() == before


def test_the_read_only_message_says_it_once(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\npapers:\n  '2401.10000':\n    stared: true\n", encoding="utf-8")
    store = open_state(path)
    assert store.read_only
    assert store.problem == (
        f"{path} cannot be read: paper 2401.10000: unknown field 'stared'. It was left "
        "untouched and changes are not saved until it is fixed. There is no backup yet."
    )


def test_text_that_no_file_can_hold_is_kept_as_a_replacement_character(path: Path) -> None:
    """A note piped in under a C locale may carry lone surrogates (undecodable bytes)."""
    store = open_state(path)
    store.set_note("2401.10000", "caf\udce9 au lait\n\n")
    store.add_tags(["2401.10000"], ["caf\udce9"])
    again = open_state(path)
    assert not again.read_only, again.problem
    assert again.get("2401.10000").note == "caf\ufffd au lait\n\n"
    assert again.get("2401.10000").tags == {"caf\ufffd"}
    with pytest.raises(ValueError):
        store.toggle_star("2401.\udce9")


def test_the_read_only_message_counts_the_backup_in_good_english(path: Path) -> None:
    store = open_state(path)
    store.toggle_star("2401.10000")
    store.toggle_star("2401.10001")  # the backup now holds one paper
    path.write_text("papers: [oops\n", encoding="utf-8")
    problem = open_state(path).problem or ""
    assert f"The last good copy is {store.backup_path} (1 paper); to use it: cp " in problem
    assert problem.count("cannot be read") == 1


_any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.tuples(st.sampled_from(["2401.1", "2401.10000", "t:0af3"]), _any_text), max_size=4)
)
@example([("2401.10000", "my note\n\n"), ("2401.1", "\n")])
@example([("t:0af3", "a\u2028\n\n"), ("2401.10000", " \r\x85...\n---\n\n")])
def test_notes_saved_one_by_one_read_back_after_a_restart(
    tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[str, str]]
) -> None:
    """The store's own path: entries cached, reused and checked save by save."""
    path = tmp_path_factory.mktemp("notes") / "state.yaml"
    store = open_state(path)
    want: dict[str, str] = {}
    for pid, text in changes:
        store.set_note(pid, text)
        want[pid] = text.replace("\r\n", "\n")
        store = open_state(path)  # a new session re-reads what the last one wrote
        assert not store.read_only, store.problem
    assert {pid: store.get(pid).note for pid in want} == want


@pytest.mark.parametrize(
    "pid", ["x" * 200, "t:" + "ab" * 99, "#hash", "-dash", "?q", "'quoted'", "a:b", "1e5", "yes"]
)
def test_unusual_ids_are_saved_and_read_back(path: Path, pid: str) -> None:
    store = open_state(path)
    store.toggle_star(pid)
    store.set_note(pid, "my note\n\n")
    store.toggle_star("2401.10000")  # an ordinary paper after it, written from the cache
    again = open_state(path)
    assert not again.read_only, again.problem
    assert again.starred_ids() == {pid, "2401.10000"}
    assert again.get(pid).note == "my note\n\n"
    again.add_tags([pid], ["rl"])  # the entry proven by the file just read is reused
    assert open_state(path).get(pid).tags == {"rl"}


def test_the_state_package_keeps_its_walls() -> None:
    """records: pure data; yaml_format: no files; nothing in state reaches
    the search, the library, the UI or Textual."""
    import ast

    folder = Path(__file__).resolve().parent.parent / "reader" / "state"

    def imports(name: str) -> set[str]:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
        return found

    every = set().union(*(imports(p.name) for p in folder.glob("*.py")))
    assert not {m for m in every if m.startswith(("reader.search", "reader.library", "reader.tui"))}
    assert not {m for m in every if m.split(".")[0] == "textual"}
    assert not imports("records.py") & {"yaml", "os", "reader.fileio", "reader.state.store"}
    assert not imports("yaml_format.py") & {"reader.fileio", "reader.state.store"}
    # the regular layout: text in, records out; the YAML reader is handed to it
    assert not imports("regular.py") & {
        "yaml",
        "os",
        "reader.fileio",
        "reader.safeload",
        "reader.state.store",
        "reader.state.yaml_format",
    }
