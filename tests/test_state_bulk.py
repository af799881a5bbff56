"""Read marks in bulk (issue 14, point 8): ``R`` over a day of 8,740 papers
adds one list of ids to the state file, not 8,740 entries; the file reads
back exactly, by every reader (the line reader, the full YAML reader, the
CLI's lazy one), and a file of the older version is read and compacted."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.state import PaperRecord, Stamp, State, StateStore, dump_state, parse_state
from reader.state.yaml_format import _parse_yaml, read_state

T0 = 1_795_687_200.0  # 2026-11-26 10:00 UTC
AT = "2026-11-26T10:00:00.000000Z"
#: The papers of the real digests' biggest day (``R`` marked 8,740 in one key).
DAY = [f"2508.{i:05d}" for i in range(8_740)]


def _clock() -> Callable[[], float]:
    ticks = itertools.count()
    return lambda: T0 + next(ticks)


def _store(path: Path, lazy: bool = False) -> StateStore:
    store = StateStore(path, _clock(), lazy=lazy)
    store.load()
    return store


def test_marking_a_day_read_adds_one_list_not_an_entry_per_paper(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    store = _store(path)
    store.toggle_star("2401.00001")
    before = path.stat().st_size
    store.mark_read_many(DAY)
    text = path.read_text("utf-8")
    grown = path.stat().st_size - before
    # one id and a space each, wrapped at 100 columns (an entry each took ~56 bytes)
    assert grown < 12 * len(DAY), f"grew {grown:,} bytes for {len(DAY):,} read marks"
    assert text.count("\n") < len(DAY) // 7  # eight ids a line
    assert "version: 2\nread:\n" in text
    again = _store(path)
    assert again.read_ids() == set(DAY)
    assert again.starred_ids() == {"2401.00001"}
    # any YAML reader reads the same ids under the mark
    (mark, ids), *_ = yaml.safe_load(text)["read"].items()
    assert mark.startswith("true ") and ids.split() == DAY


def test_changes_move_papers_in_and_out_of_the_lists_exactly(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    app, cli = _store(path), _store(path, lazy=True)
    app.mark_read_many(DAY[:100])
    cli.toggle_star(DAY[5])  # leaves the list: an entry with its star and read mark
    app.set_read(DAY[6:8], False)  # a list of its own
    cli.add_tags([DAY[9]], ["rl"])
    app.mark_read_many([*DAY[100:120], "cond-mat/0412498", "t:0af3"])
    cli.set_read([DAY[9]], True)  # unchanged: already read
    app.remove_tags([DAY[9]], ["rl"])  # a tombstone: stays an entry
    cli.toggle_star(DAY[5])  # unstarred: the star's time stays, so an entry
    want = {
        **{pid: PaperRecord(read=Stamp("2026-11-26T10:00:00.000000Z", True)) for pid in DAY[:100]},
    }
    got = _store(path)
    whole = parse_state(path.read_text("utf-8"))
    assert got.state.papers == whole.papers == _parse_yaml(path.read_text("utf-8")).papers
    assert got.read_ids() == (set(DAY[:120]) - set(DAY[6:8])) | {"cond-mat/0412498", "t:0af3"}
    assert got.get(DAY[5]).starred is False and got.get(DAY[5]).read is True
    assert got.get(DAY[9]).tags == frozenset()
    assert all(whole.papers[p] == want[p] for p in DAY[:5])
    # undoing the day: every paper moves from one list to another at once
    app.set_read(DAY[:100], False)
    after = _store(path)
    assert after.read_ids() == set(DAY[100:120]) | {"cond-mat/0412498", "t:0af3"}
    assert path.read_text("utf-8").count("\n") < 200


def test_a_file_of_the_older_version_is_read_and_compacted_by_its_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.yaml"
    body = "".join(f"  '{pid}':\n    read: true {AT}\n" for pid in DAY[:500])
    path.write_text(f"version: 1\npapers:\n{body}", "utf-8")
    store = _store(path)
    assert store.read_ids() == set(DAY[:500])
    size = path.stat().st_size
    store.toggle_star(DAY[0])
    assert path.stat().st_size < size / 3
    again = _store(path)
    assert again.read_ids() == set(DAY[:500]) and again.starred_ids() == {DAY[0]}


def test_a_file_without_bulk_marks_stays_readable_by_the_older_reader(tmp_path: Path) -> None:
    text = dump_state(State({"2401.1": PaperRecord(starred=Stamp(AT, True))}), T0)
    assert "\nversion: 1\npapers:\n" in text


def test_the_older_reader_refuses_the_new_version_with_a_message() -> None:
    """What a reader of version 1 says of a file of version 2 (its message, from
    the same code with the version one lower): upgrade, the file untouched."""
    with pytest.raises(ValueError, match="written by a newer digest-reader"):
        parse_state("version: 3\npapers: {}\n")


@pytest.mark.parametrize(
    "section",
    [
        f"  'true {AT}': '2401.1 2401.2'\n",
        f"  'true {AT}': '2401.1\n    2401.2'\n",
        f"  'true {AT}': '2401.1   2401.2'\n",  # spaces as a hand types them
        f"  'false {AT}': '2401.1'\n  'true 2026-11-27T10:00:00.000000Z': '2401.1'\n",
        f"  'true {AT}': ''\n",
        f"  'true {AT}': 2401.1\n",  # not quoted
        f"  'yes {AT}': '2401.1'\n",
        f"  'true {AT}': '2401.1 2401.1'\n",
        f"  'true {AT}': 'a b\tc'\n",
        "  'true 2026-13-40T10:00:00Z': '2401.1'\n",
        f"  'true {AT}': '{'a' * 201}'\n",
    ],
)
def test_hand_edited_lists_read_the_same_by_both_readers(section: str) -> None:
    """Also an id both listed and an entry (the two are merged)."""
    for papers in ("  '2401.1':\n    starred: true " + AT + "\n", ""):
        text = f"version: 2\nread:\n{section}papers:\n{papers}"
        try:
            full: object = _parse_yaml(text)
        except ValueError as exc:
            full = str(exc)
        try:
            fast: object = read_state(text)[0]
        except ValueError as exc:
            fast = str(exc)
        assert full == fast


def test_bulk_marks_in_a_file_of_version_1_are_refused() -> None:
    with pytest.raises(ValueError, match="'read' is a field of format version 2"):
        parse_state(f"version: 1\nread:\n  'true {AT}': '2401.1'\npapers: {{}}\n")


def test_changes_read_lazily_keep_every_listed_paper(tmp_path: Path) -> None:
    """The CLI's store, one change after another on listed papers (a store
    once lost every paper but the changed one at its second save)."""
    path = tmp_path / "state.yaml"
    _store(path).mark_read_many(DAY[:300])
    cli = _store(path, lazy=True)
    for pid in (DAY[7], DAY[8], DAY[7], DAY[299]):
        cli.toggle_star(pid)
        again = _store(path)
        assert again.read_ids() == set(DAY[:300])
    assert _store(path).starred_ids() == {DAY[8], DAY[299]}
    assert cli.starred_ids() == {DAY[8], DAY[299]}


_few = st.lists(
    st.sampled_from([*DAY[:6], "cond-mat/0412498", "a'b", "x#y"]), min_size=1, max_size=5
)
_bulk_ops = st.lists(
    st.tuples(st.sampled_from(["read", "unread", "star", "tag", "untag"]), _few),
    min_size=1,
    max_size=6,
)


@st.composite
def _start(draw: st.DrawFn) -> State:
    marks = [Stamp(AT, True), Stamp(AT, False), Stamp("2026-11-27T10:00:00.000000Z", True)]
    papers = {}
    for pid in draw(st.lists(st.sampled_from([*DAY[:8], "cond-mat/0412498", "a'b"]), max_size=8)):
        star = draw(st.none() | st.sampled_from(marks))
        papers[pid] = PaperRecord(star, draw(st.sampled_from(marks)))
    return State(papers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_start(), _bulk_ops)
def test_bulk_changes_give_the_same_file_lazily_and_whole_and_read_back(
    start: State, ops: list[tuple[str, list[str]]]
) -> None:
    """Several ids at once (``R``, undo of ``R``), into lists, out of them,
    between them: the CLI's lazy store writes the same file as the app's, and
    every reader reads back what the store holds."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, lazy in (("lazy", True), ("whole", False)):
            path = Path(tmp) / name / "state.yaml"
            path.parent.mkdir()
            path.write_text(dump_state(start, T0), "utf-8")
            store = StateStore(path, _clock(), lazy=lazy)
            for op, ids in ops:
                if op in ("read", "unread"):
                    store.set_read(ids, op == "read")
                elif op == "star":
                    store.set_starred(ids, True)
                elif op == "tag":
                    store.add_tags(ids, ["rl"])
                else:
                    store.remove_tags(ids, ["rl"])
            files.append(path)
            text = path.read_text("utf-8")
            assert parse_state(text).papers == _parse_yaml(text).papers == store.state.papers
        lazy_text, whole_text = (f.read_text("utf-8") for f in files)
        assert lazy_text.split("\nversion: ")[1] == whole_text.split("\nversion: ")[1]


def test_a_save_does_not_read_its_own_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's save checks the file is the one it last wrote by its inode,
    size, time and first 4 KB, not by reading 20 MB again (a dense state's
    save: 71 -> 48 ms median at load 4.8, with the blocks)."""
    import os

    import reader.state.store as store_mod

    path = tmp_path / "state.yaml"
    store = _store(path)
    store.set_starred(DAY, True)
    assert path.stat().st_size > 300_000
    got = {"bytes": 0}
    real_read = os.read

    def counting(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        got["bytes"] += len(data)
        return data

    monkeypatch.setattr(store_mod.os, "read", counting)
    store.toggle_star(DAY[3])
    assert got["bytes"] < 65_536, f"read {got['bytes']:,} bytes for one save"
    assert _store(path).starred_ids() == set(DAY) - {DAY[3]}


def test_another_writer_of_the_same_size_and_time_is_still_seen(tmp_path: Path) -> None:
    """Rewritten in place (the same inode), the same size, its time put back:
    its first lines differ (every save writes its own token there), so the
    store reads it again and keeps the other writer's change."""
    import os
    import re

    path = tmp_path / "state.yaml"
    app = _store(path)
    app.set_starred(DAY[:50], True)
    st = path.stat()
    data = path.read_text("utf-8")
    theirs = re.sub(r"\([0-9a-f]{8}\)", "(0badf00d)", data, count=1)
    theirs = re.sub(
        r"(  '2508.00000':\n    starred: true )\S+", r"\g<1>2026-11-26T11:11:11.111111Z", theirs
    )
    assert theirs != data and len(theirs) == len(data)
    with open(path, "r+b") as fh:  # in place: the same inode
        fh.write(theirs.encode())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ino == st.st_ino and path.stat().st_mtime_ns == st.st_mtime_ns
    app.add_tags([DAY[1]], ["rl"])
    text = path.read_text("utf-8")
    assert "'2508.00000':\n    starred: true 2026-11-26T11:11:11.111111Z" in text
    assert _store(path).get(DAY[1]).tags == frozenset({"rl"})
