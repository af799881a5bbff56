"""File-system faults and values at the edges: each gets a sentence naming
what could not be used, never a traceback, a hang or a silent substitute.

We run as root, for whom chmod does not stop a read or a write: the faults
are made real where the machine allows (a child process running as nobody,
a small tmpfs, a FIFO) and simulated by the errno a file system would give
elsewhere."""

from __future__ import annotations

import errno
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.faultfs import as_nobody, remount_read_only, small_fs
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.cli import main
from reader.config import Config, ConfigError, load_config
from reader.formats import load_path
from reader.library import (
    dump_sources,
    open_library,
    parse_sources,
    read_sources,
    remember_sources,
)
from reader.paths import PathError, Paths, user_path
from reader.session import Session
from reader.tui.textual_private import screen_strips

DIGEST = """\
title: Daily Papers 2025-08-21
date: 2025-08-21
papers:
  - id: 2508.10001
    title: Diffusion Models for Fault Tolerance
    abstract: About diffusion and file systems.
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in-process: exit status, stdout, stderr."""
    try:
        code = main([*args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of digests named by the config (``library:``)."""
    f = tmp_path / "papers"
    f.mkdir()
    (f / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
    return f


def configure(text: str) -> Path:
    path = Paths.from_env().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def finishes(call: Callable[[], Any], unblock: Path | None = None) -> Any:
    """``call()``'s result; fails (instead of hanging the suite) when it is
    still waiting after a minute, a FIFO's writer side being opened then to
    free the thread. Not a timing test: a correct run returns at once."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised below
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(60)
    if t.is_alive():
        if unblock is not None:
            fd = os.open(unblock, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        t.join(5)
        pytest.fail("blocked on a FIFO")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# -- FIFOs and devices named like digests --------------------------------------


def test_a_fifo_named_json_in_the_library_is_refused_and_the_rest_loads(folder: Path) -> None:
    fifo = folder / "2025-08-22.json"
    os.mkfifo(fifo)
    lib = finishes(lambda: open_library(Paths.from_env(), Config(library=[folder])), fifo)
    assert sorted(lib.papers) == ["2508.10001"]
    said = [str(p) for p in lib.problems if str(fifo) in p.path]
    assert said and "FIFO" in said[0]


def test_a_fifo_swapped_in_after_the_check_is_refused_not_waited_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race of 9 in 20,000: the file was regular when looked at and is a
    # FIFO when opened. os.stat is made to answer as it did before the swap.
    fifo = folder / "swapped.json"
    regular = (folder / "2025-08-21.yaml").stat()
    os.mkfifo(fifo)
    import reader.formats as formats

    real_stat = os.stat

    def stale_stat(path: Any, *a: Any, **k: Any) -> os.stat_result:
        return regular if str(path) == str(fifo) else real_stat(path, *a, **k)

    monkeypatch.setattr(formats.os, "stat", stale_stat)
    digests = finishes(lambda: load_path(fifo), fifo)
    assert [d.format for d in digests] == ["unreadable"]
    assert "not a regular file" in str(digests[0].problems[0])


def test_a_device_named_like_a_digest_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    digests = finishes(lambda: load_path(link))
    assert digests[0].format == "unreadable"
    assert "not a regular file" in str(digests[0].problems[0])


def test_a_fifo_in_place_of_the_config_is_an_error_not_a_wait() -> None:
    path = Paths.from_env().config_file
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="FIFO"):
        finishes(lambda: load_config(path), path)


def test_a_fifo_in_place_of_sources_or_ui_prefs_never_waits() -> None:
    from reader.tui.prefs import UiPrefs

    paths = Paths.from_env()
    paths.data_dir.mkdir(parents=True)
    os.mkfifo(paths.sources_file)
    os.mkfifo(paths.ui_file)
    lib = finishes(lambda: open_library(paths, Config()), paths.sources_file)
    assert any("sources.yaml" in p.path and "FIFO" in p.message for p in lib.problems)
    prefs = finishes(lambda: UiPrefs.load(paths.ui_file), paths.ui_file)
    assert prefs.theme is None and prefs.last_session is None


# -- an unreadable library folder ------------------------------------------------


@pytest.fixture
def unlistable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make a folder answer as one without read permission does."""
    real = os.scandir
    denied: set[str] = set()

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) in denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return lambda p: denied.add(str(p))


def test_an_unreadable_library_folder_is_named_and_the_samples_do_not_stand_in(
    folder: Path, unlistable: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    unlistable(folder)
    lib = open_library(Paths.from_env(), Config(library=[folder]))
    assert not lib.is_sample and lib.papers == {}
    assert [str(p) for p in lib.faults] == [f"{folder}: cannot be read: Permission denied"]
    assert any(p in lib.problems for p in lib.faults)  # the app counts it
    configure(f"library: ['{folder}']\n")
    code, out, err = run(capsys, "search", "diffusion")
    assert code == 0 and out == ""
    assert f"{folder}: cannot be read: Permission denied" in err
    assert "sample" not in err + out


def test_a_folder_without_read_permission_for_a_real_user() -> None:
    # Real permissions: a child process running as nobody, the folder 0700
    # root's, everything else of the reader's readable to nobody (pytest's
    # own tmp folder is 0700, hence a folder of our own).
    base = Path(tempfile.mkdtemp(prefix="digest-reader-faults-"))
    try:
        base.chmod(0o755)
        folder = base / "papers"
        folder.mkdir()
        (folder / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
        folder.chmod(0o700)
        paths = Paths(base / "config", base / "data", base / "cache")

        def look() -> tuple[bool, list[str], int]:
            lib = open_library(paths, Config(library=[folder]), use_cache=False)
            return lib.is_sample, [str(p) for p in lib.faults], len(lib.papers)

        is_sample, faults, count = as_nobody(look)
    finally:
        shutil.rmtree(base)
    assert (is_sample, count) == (False, 0)
    assert faults == [f"{folder}: cannot be read: Permission denied"]


def test_a_readable_library_beside_an_unreadable_one_still_loads(
    folder: Path, tmp_path: Path, unlistable: Callable[[Path], None]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    unlistable(locked)
    lib = open_library(Paths.from_env(), Config(library=[folder, locked]))
    assert sorted(lib.papers) == ["2508.10001"]
    assert [p.path for p in lib.faults] == [str(locked)]


# -- a cache folder that cannot be written -------------------------------------


def test_search_with_a_cache_folder_that_is_a_file_searches_without_it(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Paths.from_env().cache_dir.write_text("not a folder")  # ENOTDIR, for real
    configure(f"library: ['{folder}']\n")
    code, out, err = run(capsys, "search", "diffusion")
    assert code == 0
    assert out.startswith("2508.10001\t2025-08-21\tDiffusion Models for Fault Tolerance")
    assert err.count("searching without it") == 1 and "Traceback" not in err
    code, out, err = run(capsys, "index")
    assert code == 1 and "the search index cannot be kept there" in err


def test_search_with_a_permission_denied_cache_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reported case: `search` raised PermissionError out of mkdir.
    cache = Paths.from_env().cache_dir
    real = os.mkdir

    def mkdir(path: Any, *a: Any, **k: Any) -> None:
        if str(path).startswith(str(cache)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real(path, *a, **k)

    monkeypatch.setattr(os, "mkdir", mkdir)
    configure(f"library: ['{folder}']\n")
    code, out, err = run(capsys, "search", "fault")
    assert code == 0 and out.startswith("2508.10001\t")
    assert "Permission denied: the search index cannot be kept there" in err
    assert err.count("warning") == 1


def test_search_on_a_read_only_tmpfs_cache(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with small_fs(tmp_path / "ro") as ro:
        remount_read_only(ro)
        monkeypatch.setenv("XDG_CACHE_HOME", str(ro))
        configure(f"library: ['{folder}']\n")
        code, out, err = run(capsys, "search", "diffusion")
    assert code == 0 and out.startswith("2508.10001\t")
    assert "Read-only file system: the search index cannot be kept there" in err


# -- sources.yaml: every name round-trips; an unreadable one is never overwritten


def test_a_path_that_is_not_utf8_is_remembered_beside_the_others(tmp_path: Path) -> None:
    paths = Paths.from_env()
    plain = tmp_path / "plain"
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/dir\xff"))
    for f in (plain, odd):
        f.mkdir()
        (f / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
    remember_sources(paths, [plain])
    remember_sources(paths, [odd])  # before the fix: written so that it read back as []
    assert read_sources(paths) == [plain.resolve(), odd.resolve()]
    assert "- bytes: " + str(tmp_path) + "/dir%FF\n" in paths.sources_file.read_text("utf-8")
    another = tmp_path / "another"
    another.mkdir()
    remember_sources(paths, [another])
    assert read_sources(paths) == [plain.resolve(), odd.resolve(), another.resolve()]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(
        st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b),
        min_size=1,
        max_size=4,
    )
)
def test_every_name_a_file_system_allows_round_trips(names: list[bytes]) -> None:
    sources = [Path(os.fsdecode(b"/data/" + n)) for n in names]
    assert parse_sources(dump_sources(sources)) == sources


@pytest.mark.parametrize(
    "text",
    [
        # what the reader wrote for b"/tmp/dir\xff" before names round-tripped
        yaml.safe_dump({"sources": ["/tmp/ok", "/tmp/dir\udcff"]}, allow_unicode=True),
        "sources: [unterminated\n",
        "sources:\n  - {what: 1}\n",
        "just text\n",
    ],
)
def test_a_sources_file_that_cannot_be_read_is_never_overwritten(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths.from_env()
    paths.data_dir.mkdir(parents=True)
    paths.sources_file.write_text(text, encoding="utf-8", errors="surrogateescape")
    before = paths.sources_file.read_bytes()
    new = tmp_path / "new"
    new.mkdir()
    remember_sources(paths, [new])
    assert paths.sources_file.read_bytes() == before
    lib = open_library(paths, Config())
    assert [p.path for p in lib.faults] == [str(paths.sources_file)]
    assert "cannot be read" in lib.faults[0].message
    code, out, err = run(capsys, "sources")
    assert code == 1 and "sources.yaml: cannot be read" in err and "left as it is" in err
    code, _, err = run(capsys, "sources", "--forget", str(new))
    assert code == 1 and "left as it is" in err
    assert paths.sources_file.read_bytes() == before


def test_sources_says_which_remembered_folder_cannot_be_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths.from_env()
    ok, locked = tmp_path / "ok", tmp_path / "locked"
    ok.mkdir()
    locked.mkdir()
    remember_sources(paths, [ok, locked])
    real = Path.stat
    target = str(locked.resolve())

    def stat(self: Path, *a: Any, **k: Any) -> os.stat_result:
        if str(self) == target:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    code, out, _ = run(capsys, "sources")
    assert code == 0
    assert f"{ok.resolve()}\tremembered\tok" in out.splitlines()
    assert f"{locked.resolve()}\tremembered\tunreadable" in out.splitlines()
    lib = open_library(paths, Config())
    assert [str(p) for p in lib.faults] == [
        f"{locked.resolve()}: cannot be read: Permission denied"
    ]


# -- ~user, and numbers at the edges of the config -------------------------------


def test_a_home_of_no_user_is_a_message() -> None:
    with pytest.raises(PathError, match="no user 'nouser-x' on this machine"):
        user_path("~nouser-x/papers")
    assert user_path("/plain") == Path("/plain")


def test_a_library_under_an_unknown_users_home_is_a_config_warning(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure(f"library: ['~nouser-x/papers', '{folder}']\n")
    cfg = load_config(path)
    assert cfg.library == [folder]
    assert cfg.warnings == [
        f"{path}: library: ~nouser-x/papers: ~nouser-x cannot be expanded"
        " (no user 'nouser-x' on this machine); ignored"
    ]
    code, out, err = run(capsys, "search", "diffusion")
    assert code == 0 and out.startswith("2508.10001")
    assert "RuntimeError" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("search", "x", "--path", "~nouser-x/d"),
        ("export", "--format", "csv", "-o", "~nouser-x/out.csv"),
        ("state", "merge", "~nouser-x/state.yaml"),
        ("sources", "--forget", "~nouser-x/d"),
        ("check", "~nouser-x/d"),
    ],
)
def test_a_cli_path_under_an_unknown_users_home_is_one_line(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert "~nouser-x cannot be expanded" in err and len(err.strip().splitlines()) == 1


def test_a_path_given_to_the_app_that_cannot_be_looked_at_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hidden = tmp_path / "locked" / "digests"
    real = Path.stat

    def stat(self: Path, *a: Any, **k: Any) -> os.stat_result:
        if str(self) == str(hidden):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    code, out, err = run(capsys, str(hidden))
    assert code == 2 and out == ""
    assert err == f"digest-reader: {hidden}: Permission denied\n"
    code, out, err = run(capsys, "check", str(hidden))
    assert code == 2 and f"{hidden}: Permission denied" in err
    assert len(err.strip().splitlines()) == 1


def test_no_home_folder_at_all_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # HOME unset and a uid with no passwd entry: Path.home() raises RuntimeError.
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    for args in (("search", "x"), ()):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == ""
        assert "cannot find the home folder" in err and "set HOME, or XDG_" in err
        assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf", "1e300", "1e400", "5000"])
def test_max_file_mb_out_of_range_is_a_warning_and_the_default(
    value: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure(f"max_file_mb: {value}\n")
    cfg = load_config(path)
    assert cfg.max_file_mb == 40
    assert cfg.warnings == [
        f"{path}: max_file_mb: must be a number more than 0, at most 4096, not {value}; using 40"
    ]
    code, out, err = run(capsys, "check", str(folder))  # 1e300 overflowed the read
    assert code == 0 and "1 paper" in out and "Traceback" not in err


@pytest.mark.parametrize("value", ["1e300", ".inf", "90000"])
def test_read_after_seconds_out_of_range_is_a_warning(value: str) -> None:
    cfg = load_config(configure(f"read_after_seconds: {value}\n"))
    assert cfg.read_after_seconds == 3 and len(cfg.warnings) == 1
    assert math.isfinite(cfg.read_after_seconds)


def test_a_last_session_out_of_range_is_forgotten(tmp_path: Path) -> None:
    from reader.tui.prefs import UiPrefs

    for value in ("inf", "nan", "1e300", "-5"):
        path = tmp_path / "ui.yaml"
        path.write_text(f"theme: x\nlast_session: '{value}'\n", encoding="utf-8")
        prefs = UiPrefs.load(path)
        assert prefs.theme == "x" and prefs.last_session is None


# -- the library cache in a folder that refuses writes ----------------------------


def test_the_library_cache_in_a_full_tmpfs_only_slows(folder: Path, tmp_path: Path) -> None:
    from helpers.faultfs import fill

    with small_fs(tmp_path / "full", "64k") as full:
        fill(full)
        paths = Paths(Paths.from_env().config_dir, Paths.from_env().data_dir, full)
        lib = open_library(paths, Config(library=[folder]))
        again = open_library(paths, Config(library=[folder]))
    assert sorted(lib.papers) == sorted(again.papers) == ["2508.10001"]
    assert lib.faults == []


# -- the app: edge times and huge notes --------------------------------------------

TUI_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
FIRST = "2508.10003"  # the first paper shown of the tui fixture
EDGE = "9999-12-31T23:59:59.999999Z"


def make_app(config: Config | None = None) -> Any:
    from reader.state import StateStore
    from reader.tui.app import DigestApp

    paths = Paths.from_env()
    config = config or Config(read_after_seconds=0)
    library = open_library(paths, config, extra=[TUI_FIXTURE], use_cache=False)
    state = StateStore(paths.state_file)
    state.load()
    return DigestApp(Session(paths, config, library=library, state=state), build_index=False)


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in screen_strips(app.screen))


def fresh_state() -> Any:
    from reader.state import open_state

    return open_state(Paths.from_env().state_file)


async def test_the_shown_paper_is_marked_read_over_a_mark_stamped_at_the_end_of_time() -> None:
    path = Paths.from_env().state_file
    path.parent.mkdir(parents=True)
    path.write_text(f"version: 1\npapers:\n  '{FIRST}':\n    read: false {EDGE}\n", "utf-8")
    app = make_app(Config(read_after_seconds=0.05))
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert app.main.papers.current.id == FIRST
        assert fresh_state().get(FIRST).read is True
        await pilot.press("j")  # still running and answering keys
        await pilot.pause()
        assert app.main.papers.current.id != FIRST
    assert app.return_code in (None, 0)


def _with_note(text: str) -> None:
    from reader.state import open_state

    open_state(Paths.from_env().state_file).set_note(FIRST, text)


async def test_a_10_mb_note_opens_cut_and_read_only_and_the_pane_shows_a_part() -> None:
    from textual.widgets import TextArea

    from reader.limits import MAX_NOTE_CHARS

    _with_note("x" * 10_000_000)
    app = make_app()
    async with app.run_test(notifications=True, size=(200, 50)) as pilot:
        await pilot.pause()
        pane = app.main.abstract
        pane.scroll_to(y=pane.max_scroll_y, animate=False, immediate=True)
        await pilot.pause()
        assert "9,980,000 more characters not shown (n opens the note)" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        assert area.read_only and len(area.text) == MAX_NOTE_CHARS
        assert "This note is 10,000,000 characters, over the 100,000 characters" in screen_text(app)
        await pilot.press("a", "enter", "ctrl+s")
        await pilot.pause()
        assert "This note is over the cap and read-only here" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
    assert len(fresh_state().get(FIRST).note) == 10_000_000


async def test_a_note_past_the_cap_is_not_saved_nor_pasted() -> None:
    from textual import events
    from textual.widgets import TextArea

    from reader.limits import MAX_NOTE_CHARS

    _with_note("keep me")
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        app.post_message(events.Paste("y" * MAX_NOTE_CHARS))
        await pilot.pause()
        assert area.text == "keep me"
        assert "Not pasted: the note would be 100,007 characters" in screen_text(app)
        app.post_message(events.Paste(" and this"))
        await pilot.pause()
        assert area.text == "keep me and this"
        area.load_text("z" * (MAX_NOTE_CHARS + 1))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Not saved: the note is 100,001 characters" in screen_text(app)
        assert isinstance(app.screen.query_one(TextArea), TextArea)  # still open
    assert fresh_state().get(FIRST).note == "keep me"


async def test_a_very_long_line_in_a_note_scrolls_instead_of_wrapping() -> None:
    from textual.widgets import TextArea

    _with_note("short line\n" + "w" * 50_000)
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        assert not area.soft_wrap and not area.read_only
        await pilot.press("!", "ctrl+s")
        await pilot.pause()
    assert fresh_state().get(FIRST).note == "short line\n" + "w" * 50_000 + "!"


def test_the_cli_refuses_a_note_past_the_cap(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("n" * 100_001))
    code, _, err = run(capsys, "note", FIRST, "-", "--path", str(TUI_FIXTURE))
    assert code == 2
    assert "the note is 100,001 characters; a note holds at most 100,000 characters" in err
    assert fresh_state().get(FIRST).note == ""
    code, _, _ = run(capsys, "note", FIRST, "n" * 100_000, "--path", str(TUI_FIXTURE))
    assert code == 0 and len(fresh_state().get(FIRST).note) == 100_000


async def test_an_export_path_under_an_unknown_users_home_is_a_message() -> None:
    from textual.widgets import Input

    from reader.tui.screens.export_dialog import ExportDialog

    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(ExportDialog(["bibtex"], 3))
        await pilot.pause()
        box = app.screen.query_one("#export-path", Input)
        box.value = "~nouser-x/out.bib"
        box.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)  # still open, no crash
        assert "~nouser-x cannot be expanded" in screen_text(app)
