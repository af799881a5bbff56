"""The app as a whole: it never ends by itself (signals, forked index
builds), undo, the opener, the problems list and remembered sources."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp
from reader.tui.textual_private import screen_strips
from tests.test_tui import (
    FIXTURE,
    FROZEN,
    SIZE,
    copies,
    fresh_state,
    make_app,
    row_of,
    rows,
    screen_text,
)

__all__ = ["copies"]  # a fixture of test_tui, used here too

HELPERS = Path(__file__).resolve().parent / "helpers"


BORDERS = ("▌", "▕", "▏")


def seen(app: DigestApp) -> str:
    """The screen's words in one line: a toast's wrapped text reads on."""
    return " ".join(w for w in screen_text(app).split() if w not in BORDERS)


def toast_text(app: DigestApp) -> str:
    """The words inside the toasts on screen, line after line: a message that
    wraps reads on, whatever the screen shows beside it on the same rows."""
    strips = screen_strips(app.screen)
    words: list[str] = []
    for toast in app.screen.query("Toast"):
        box = toast.region
        for y in range(box.y, box.bottom):
            words += strips[y].crop(box.x, box.right).text.split()
    return " ".join(w for w in words if w not in BORDERS)


async def until(pilot: Any, ready: Callable[[], bool], tries: int = 100) -> None:
    """Let the app run until ``ready()`` (a worker has reported back)."""
    for _ in range(tries):
        if ready():
            return
        await pilot.pause(0.05)
    assert ready()


def run_fork_build(mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HELPERS / "fork_build.py"), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_cancelled_forked_build_does_not_end_the_app() -> None:
    """The parent terminates its busy build workers: the SIGTERM must end the
    workers, not the process that has the app's signal handling (before the
    fix it arrived through the shared wake-up fd and ran the app's exit)."""
    got = run_fork_build("cancel")
    assert got == {"ended": False, "result": "cancelled"}


def test_a_killed_build_worker_is_an_error_not_an_exit() -> None:
    got = run_fork_build("kill")
    assert got == {
        "ended": False,
        "result": "error: an index build process died (killed by SIGKILL)",
    }


def test_a_finished_forked_build_ends_its_workers_quietly() -> None:
    assert run_fork_build("done") == {"ended": False, "result": "segments: 2"}


async def test_a_failed_index_build_notifies_and_search_scans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reader.search.index import SearchIndex
    from reader.search.index import bulk as ix_mod

    def dies(*_: Any, **__: Any) -> Any:
        raise RuntimeError("an index build process died (killed by SIGKILL)")

    monkeypatch.setattr(ix_mod, "_build_segments", dies)
    app = make_app(index=SearchIndex(Paths.from_env().index_dir))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await until(pilot, lambda: "Search index not built" in screen_text(app))
        assert "an index build process died (killed by SIGKILL)" in seen(app)
        assert "Search still works" in screen_text(app)
        assert app.is_running
        await pilot.press("slash", *"sparse", "enter")
        await pilot.pause()
        assert [p.id for p in app.main.papers.papers] == ["2508.09001"]


def test_the_ui_imports_the_core_plainly() -> None:
    """No 'module may not exist' fallbacks in the UI: a typo in an import
    must fail loudly, not swap in a stand-in class or an empty string."""
    tui = Path(__file__).resolve().parent.parent / "reader" / "tui"
    guarded = [
        str(p.relative_to(tui))
        for p in sorted(tui.rglob("*.py"))
        if "except ImportError" in p.read_text(encoding="utf-8")
    ]
    assert guarded == []


# -- undo and bulk changes ------------------------------------------------------

BIG_DAY = "2025-07-01"


def big_day(folder: Path, n: int = 60) -> Path:
    """A digest of ``n`` papers on one day (our own words)."""
    lines = [f"title: A big day\ndate: {BIG_DAY}\npapers:"]
    for i in range(n):
        lines.append(
            f'  - id: "2507.{i:05d}"\n    title: "Big day paper {i}"\n'
            f'    abstract: "Words about topic {i}."'
        )
    path = folder / "big-day.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def app_with(*extra: Path, config: Config | None = None) -> DigestApp:
    paths = Paths.from_env()
    config = config or Config(read_after_seconds=0)  # no read mark by the clock
    library = open_library(paths, config, extra=[FIXTURE, *extra], use_cache=False)
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    return DigestApp(Session(paths, config, library=library, state=state), clock=lambda: FROZEN)


async def test_u_undoes_star_tag_and_read_several_steps() -> None:
    # No read mark of its own: on a loaded machine the 3 s of the tag dialog
    # and the keys around it marked the paper read first, and r then unread.
    app = make_app(Config(read_after_seconds=0))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        first = app.main.papers.current
        assert first is not None
        await pilot.press("s")
        await pilot.press("t", *"rl", "enter")
        await pilot.pause()
        await pilot.press("r")
        back = fresh_state().get(first.id)
        assert back.starred and back.read and back.tags == frozenset({"rl"})
        await pilot.press("u")
        await pilot.pause()
        assert "Undid: marked “[/] Bracket" in screen_text(app)
        assert fresh_state().get(first.id).read is False
        await pilot.press("u")
        await pilot.pause()
        assert "Undid: tagged rl on" in screen_text(app)
        assert fresh_state().get(first.id).tags == frozenset()
        await pilot.press("u")
        await pilot.pause()
        assert "Undid: starred" in screen_text(app)
        assert fresh_state().get(first.id).starred is False
        assert "★" not in row_of(app, "Bracket")
        await pilot.press("u")
        await pilot.pause()
        assert "Nothing to undo." in screen_text(app)


async def test_R_over_50_papers_asks_first_and_u_undoes_it(tmp_path: Path) -> None:
    app = app_with(big_day(tmp_path))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("G", "R")  # the oldest day: the big one
        await pilot.pause()
        assert "Mark 60 papers of 2025-07-01 read?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert fresh_state().read_ids() == set()
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("enter")  # a key typed ahead is not a yes
        await pilot.pause()
        assert fresh_state().read_ids() == set()
        assert "Mark 60 papers of 2025-07-01 read?" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert len(fresh_state().read_ids()) == 60
        assert "Marked 60 papers of 2025-07-01 read" in screen_text(app)
        await pilot.press("u")
        await pilot.pause()
        assert "Undid: marked 60 papers read" in screen_text(app)
        assert fresh_state().read_ids() == set()


async def test_R_in_a_search_marks_the_results_not_the_day() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter")
        await pilot.pause()
        shown = {p.id for p in app.main.papers.papers}
        assert shown == {"2508.10001", "2508.09003"}  # two days
        await pilot.press("R")
        await pilot.pause()
        assert fresh_state().read_ids() == shown
        assert "Marked 2 papers of this search read" in screen_text(app)


# -- opening links -------------------------------------------------------------------


def recorder(folder: Path, status: int = 0) -> tuple[str, Path]:
    """An opener command that writes the URL it gets to a file."""
    log = folder / "opened.txt"
    script = folder / "record-opener"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\nexit {status}\n')
    script.chmod(0o755)
    return f"{script} %s", log


async def test_o_P_and_O_use_the_configured_opener(tmp_path: Path) -> None:
    command, log = recorder(tmp_path)
    app = make_app(Config(opener=command))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await until(pilot, lambda: "Opening in your browser (record-opener)" in screen_text(app))
        await pilot.press("P")
        await app.workers.wait_for_complete()
        await pilot.press("O")
        await pilot.pause()
        assert "2 pdf" in screen_text(app)
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert log.read_text().split() == [
            "https://arxiv.org/abs/2508.10003",
            "https://arxiv.org/pdf/2508.10003",
            "https://arxiv.org/abs/2508.10003",
        ]


async def test_an_opener_that_fails_is_reported_and_the_link_copied(
    tmp_path: Path, copies: list[str]
) -> None:
    command, log = recorder(tmp_path, status=4)
    app = make_app(Config(opener=command))
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await until(pilot, lambda: "failed (exit status 4)" in screen_text(app))
        assert "Opening in your browser" not in screen_text(app)
        assert copies == ["https://arxiv.org/abs/2508.10003"]


async def test_o_honours_BROWSER(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command, log = recorder(tmp_path)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("BROWSER", command)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await until(pilot, lambda: "Opening in your browser" in screen_text(app))
        assert log.read_text().split() == ["https://arxiv.org/abs/2508.10003"]


# -- the problems list and config warnings --------------------------------------------


def broken_digest(folder: Path) -> Path:
    path = folder / "broken.yaml"
    path.write_text("title: Broken\ndate: 2025-07-02\npapers:\n  - id: [unclosed\n", "utf-8")
    return path


async def test_the_status_problem_count_opens_the_problems_list(tmp_path: Path) -> None:
    broken = broken_digest(tmp_path)
    app = app_with(broken)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert "1 problem" in screen_text(app)
        label = app.main.status.query_one("#status-library")
        await pilot.click("#status-library", offset=(label.size.width - 3, 0))  # on "problem"
        await pilot.pause()
        shown = screen_text(app)
        assert "Problems: 1 problem" in shown
        assert "broken.yaml" in shown and "problem" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert "Problems: 1 problem" not in screen_text(app)
        await pilot.press("exclamation_mark")  # the key opens it too
        await pilot.pause()
        assert "Problems: 1 problem" in screen_text(app)


async def test_the_status_line_and_the_problems_list_count_alike(tmp_path: Path) -> None:
    """One wording: the status line does not say "1 problem" where the list
    it opens says "1 error · 1 warning"."""
    from reader.model import Problem

    app = make_app()
    app.library.problems = [
        Problem("digests/a.yaml", "a title is missing", line=12),
        Problem("digests/b.jsonl", "not JSON", record=3, severity="warning"),
    ]
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        app.main.status.set_library(app.status_parts())
        await pilot.pause()
        assert "1 problem, 1 warning" in str(app.main.query_one("#status-library").render())
        app.show_problems()
        await pilot.pause()
        assert "Problems: 1 problem, 1 warning" in screen_text(app)


async def test_upvotes_are_written_alike_in_the_list_and_the_abstract(tmp_path: Path) -> None:
    day = tmp_path / "voted.yaml"
    day.write_text(
        "date: 2025-08-22\npapers:\n  - id: '2508.10077'\n    title: Quokka Votes\n"
        "    upvotes: 1163\n",
        encoding="utf-8",
    )
    app = app_with(day)
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        assert app.main.papers.current is not None
        assert app.main.papers.current.id == "2508.10077"
        row = next(r for r in rows(app) if "Quokka Votes" in r)
        assert "▲1,163" in row
        assert "▲ 1,163" in screen_text(app) and "1163" not in screen_text(app)


async def test_problems_list_shows_file_line_and_message(tmp_path: Path) -> None:
    from reader.model import Problem
    from reader.tui.screens.problems import ProblemsScreen

    app = make_app()
    app.library.problems = [
        Problem("digests/a.yaml", "a title is missing", line=12),
        Problem("digests/b.jsonl", "not JSON", record=3, severity="warning"),
    ]
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        app.show_problems()
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        text = screen_text(app)
        assert "Problems: 1 problem, 1 warning" in text
        line = next(r for r in text.splitlines() if "a.yaml" in r)
        assert "12" in line and "a title is missing" in line
        line = next(r for r in text.splitlines() if "b.jsonl" in r)
        assert "record 3" in line and "not JSON" in line and "warning" in line


async def test_no_problems_says_so_and_hides_the_count() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert "problem" not in screen_text(app)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert "No problems: every digest was read." in screen_text(app)


async def test_config_warnings_are_notifications_and_listed() -> None:
    config = Config()
    config.warnings = ["config.yaml: unknown key 'colour'"]  # type: ignore[attr-defined]
    app = make_app(config)
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        assert "unknown key 'colour'" in screen_text(app)
        assert "1 warning" in screen_text(app)
        app.show_problems()
        await pilot.pause()
        assert "Problems: 1 warning" in screen_text(app)


async def test_many_config_warnings_are_one_notification_at_80x24(tmp_path: Path) -> None:
    from reader.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text(
        "colour: red\nfont: big\nsize: 3\nread_after_seconds: -5\nkeymap: {stra: x}\n",
        encoding="utf-8",
    )
    app = make_app(load_config(path))
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        text = seen(app)
        assert text.count("Config: 5 warnings") == 1
        # The toast's first line names the config file, so where "colour:
        # unknown setting" wraps depends on the length of its path: read the
        # toast's own lines, not the screen's rows it shares with the list.
        toast = toast_text(app)
        assert toast.startswith("Config: 5 warnings")
        assert "colour: unknown setting" in toast
        assert toast.endswith("and 4 more warnings: press ! to see them")
        assert "font" not in text and "read_after_seconds" not in text
        await pilot.press("exclamation_mark")
        await pilot.pause()
        listed = seen(app)
        assert "font" in listed and "read_after_seconds" in listed and "stra" in listed


# -- remembered sources in the sidebar -----------------------------------------------


async def test_sidebar_lists_remembered_sources_and_x_forgets_one(tmp_path: Path) -> None:
    from reader.library import remember_sources, remembered_sources

    folder = tmp_path / "my-digests"
    folder.mkdir()
    big_day(folder)
    paths = Paths.from_env()
    remember_sources(paths, [folder])
    app = app_with()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        shown = screen_text(app)
        assert "Sources (x forgets)" in shown
        assert "  my-digests 60" in shown
        await pilot.press("j", "j", "enter")  # All, Starred, then the source
        await pilot.pause()
        assert len(app.main.papers.papers) == 60
        assert "Source: my-digests" in screen_text(app)
        app.main.sidebar.focus()
        await pilot.press("x")
        await pilot.pause()
        assert "Forget the source" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert remembered_sources(paths) == []
        assert "Source forgotten" in screen_text(app)
        assert "my-digests 60" not in screen_text(app)


async def test_x_on_a_day_forgets_nothing() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b", "x")
        await pilot.pause()
        assert "Only a remembered source" in screen_text(app)


async def test_a_failing_read_of_the_older_papers_keeps_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reader.library as library

    monkeypatch.setattr(library, "SNAPSHOT_HEAD", 2)
    paths = Paths.from_env()
    open_library(paths, Config(), extra=[FIXTURE])  # a warm start has a snapshot
    partial = open_library(paths, Config(), extra=[FIXTURE], partial=True)

    def broken() -> Any:
        raise OSError("the cache file vanished")

    partial.load_rest = broken  # type: ignore[method-assign]
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    app = DigestApp(Session(paths, Config(), library=partial, state=state), clock=lambda: FROZEN)
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await until(pilot, lambda: "could not be read" in screen_text(app))
        assert "the cache file vanished" in seen(app)
        assert app.is_running and len(app.main.papers.papers) == 2


async def test_a_config_mistake_is_a_notification_at_start(tmp_path: Path) -> None:
    from reader.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text("colour: red\nopener: [firefox]\n", encoding="utf-8")
    app = make_app(load_config(path))
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        assert "colour: unknown setting" in seen(app)
        assert "and 1 more warning: press ! to see them" in seen(app)
        assert "2 warnings" in screen_text(app)
        app.show_problems()
        await pilot.pause()
        row = next(r for r in screen_text(app).splitlines() if "colour" in r)
        assert "config.yaml" in row and row.count("config.yaml") == 1
        assert "colour: unknown setting" in row


def test_after_the_app_ends_its_objects_are_left_to_the_os(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """q on the real digests took 2.8-6.1 s to give the shell back: the
    interpreter's final collections over the library. run_app freezes the
    heap once the app has ended, so they skip it."""
    import gc

    from reader.tui import app as tui_app

    monkeypatch.setattr(tui_app.DigestApp, "run", lambda self, **_: 0)
    gc.unfreeze()
    try:
        assert tui_app.run_app([FIXTURE]) == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_index_progress_before_the_main_screen_is_composed_is_not_an_error() -> None:
    """A worker's progress can arrive between the main screen's push and its
    compose: it is shown once the screen is there, never an exception."""
    from reader.tui.app import DigestApp, IndexProgress
    from reader.tui.screens.main import MainScreen
    from tests.test_tui import make_app

    class EarlyProgress(DigestApp):
        def push_screen(self, screen: Any, *args: Any, **kw: Any) -> Any:
            pushed = super().push_screen(screen, *args, **kw)
            if isinstance(screen, MainScreen):  # pushed, not composed yet
                self.on_index_progress(IndexProgress(1, 2))
            return pushed

    plain = make_app()
    app = EarlyProgress(plain.session, clock=plain.clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.main.papers.row_count > 0
    assert app.return_code in (None, 0)
