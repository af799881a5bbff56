"""Fetching from inside the app (``F``), reloading (``Ctrl+R``) and the new
papers (``w``), against the local replay server: no test reaches the network."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.config import load_config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp
from reader.tui.fetching import ago, new_ids, offline_text
from tests.fetch_server import ReplayServer, Reply, Seen
from tests.test_tui import FIXTURE, FROZEN, rows, screen_text, searched, until
from tests.threads import threads_calling

HF_PATH = "/api/daily_papers"
TODAY = dt.date(2026, 12, 1)
SIZE = (120, 40)

#: A made-up Hugging Face day (our own words), in the API's shape.
NEW_TITLES = [
    "Quokka Attention for Tiny Recurrent Models",
    "Marmot: Burrowing Through Long Contexts",
    "Pangolin Scales for Sparse Experts",
]


def hf_records(day: str = "2026-12-01") -> list[dict[str, Any]]:
    out = []
    for n, title in enumerate(NEW_TITLES, 1):
        paper = {
            "id": f"2612.0{n:04d}",
            "title": title,
            "summary": f"An abstract written for the app's fetch test, number {n}.",
            "authors": [{"name": "Test Author", "hidden": False}],
            "publishedAt": f"{day}T00:00:00.000Z",
            "submittedOnDailyAt": f"{day}T08:00:00.000Z",
            "upvotes": 10 * n,
        }
        out.append({"paper": paper, "title": title, "publishedAt": f"{day}T08:00:00.000Z"})
    return out


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer().start()
    yield s
    s.stop()


def write_config(xdg: dict[str, Path], hf: str, extra: str = "") -> None:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(
        "fetch:\n  sources:\n    hf: {kind: hf-daily}\n"
        f"  endpoints:\n    hf: {hf}\n"
        "  timeout_seconds: 2\n  catch_up_days: 0\n" + extra,
        encoding="utf-8",
    )


def make_app() -> DigestApp:
    paths = Paths.from_env()
    config = load_config(paths.config_file)
    # No paper is marked read by the clock (see tests.test_tui.make_app): on a
    # loaded machine (or beside another test worker) the first paper passed its
    # 3 s between two keys and lost its unread mark from the list compared.
    config.read_after_seconds = 0
    library = open_library(paths, config, extra=[FIXTURE])
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    app = DigestApp(Session(paths, config, library=library, state=state), clock=lambda: FROZEN)
    app.library_extra = [FIXTURE]
    app.fetch_hooks.sleep = lambda _s: None  # retries without their waits
    app.fetch_hooks.today = TODAY
    return app


def status(app: DigestApp) -> str:
    return str(app.main.query_one("#status-view").render())


def toasts(app: DigestApp) -> str:
    return "\n".join(str(n.message) + " " + str(n.title) for n in app._notifications)


def list_text(app: DigestApp) -> str:
    return "\n".join(rows(app))


# --------------------------------------------------------------------------- F


async def test_f_fetches_and_the_new_papers_appear_with_progress_and_are_searchable(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    records = hf_records()

    def route(seen: Seen) -> Reply:
        # The first answer takes a moment, so the progress can be seen.
        stall = 1.5 if len(server.requests(HF_PATH)) == 1 else 0.0
        return Reply(
            json.dumps(records if seen.query.get("date") == "2026-12-01" else []), stall=stall
        )

    server.routes[HF_PATH] = route
    write_config(xdg, server.url)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        before = len(app.library.papers)
        assert NEW_TITLES[0] not in list_text(app)
        await pilot.press("F")
        await until(pilot, lambda: "fetching hf" in status(app), "the status shows the fetch")
        assert "fetch 1/1" in status(app)
        # the app stays usable meanwhile: the cursor moves while the server thinks
        first = app.main.papers.cursor
        await pilot.press("j")
        assert app.main.papers.cursor == first + 1 and "fetching hf" in status(app)
        await pilot.press("k")
        # (a title as the list shows it: cut to the list's width)
        await until(
            pilot, lambda: NEW_TITLES[0][:30] in list_text(app), "the new papers are listed"
        )
        assert len(app.library.papers) == before + 3
        await until(pilot, lambda: "3 new papers" in toasts(app), "the fetch says what is new")
        assert "w lists them" in toasts(app)
        assert "fetch" not in status(app)  # the progress is gone once done
        # w: just the new papers
        await pilot.press("w")
        await pilot.pause()
        shown = list_text(app)
        assert all(t[:30] in shown for t in NEW_TITLES)
        assert len(app.main.view.papers) == 3 and "New: 3 papers" in status(app)
        # and the search finds them
        await pilot.press("a", "slash", *"pangolin")
        await searched(pilot, app)
        assert [p.title for p in app.main.view.papers] == [NEW_TITLES[2]]
    # stored where the CLI finds them too
    assert (Paths.from_env().library_dir / "hf" / "2026-12-01.json").is_file()


async def test_f_fetches_with_the_config_as_it_is_now_and_says_when_it_is_broken(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    """The config edited while the app runs (the endpoint moved to the
    server) is the one ``F`` fetches with; a config broken since is said,
    naming the file, and nothing is asked of any server."""
    server.routes[HF_PATH] = lambda seen: Reply(
        json.dumps(hf_records() if seen.query.get("date") == "2026-12-01" else [])
    )
    write_config(xdg, "http://127.0.0.1:9")  # the discard port: nothing listens
    app = make_app()
    config_file = xdg["config"] / "digest-reader" / "config.yaml"
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        write_config(xdg, server.url)  # edited while the app runs
        await pilot.press("F")
        await until(pilot, lambda: NEW_TITLES[0][:30] in list_text(app), "fetched from the edit")
        assert "offline" not in status(app)
        asked = len(server.requests(HF_PATH))
        assert asked > 0

        config_file.write_text("fetch: [unclosed\n", encoding="utf-8")
        await pilot.press("F")
        await until(pilot, lambda: "Fetch: " in toasts(app), "the broken config is said")
        assert str(config_file) in toasts(app) and "press F again" in toasts(app)

        write_config(xdg, server.url, "  on_start: maybe\n")
        app.clear_notifications()
        await pilot.press("F")
        await until(pilot, lambda: "Fetch: " in toasts(app), "the bad fetch section is said")
        assert "on_start" in toasts(app)
        await pilot.pause()
        assert len(server.requests(HF_PATH)) == asked


async def test_fetch_is_in_the_palette(xdg: dict[str, Path], server: ReplayServer) -> None:
    server.routes[HF_PATH] = lambda seen: Reply(
        json.dumps(hf_records() if seen.query.get("date") == "2026-12-01" else [])
    )
    write_config(xdg, server.url)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Fetch")
        await until(pilot, lambda: "Fetch today" in screen_text(app), "the palette offers Fetch")
        await pilot.press("enter")
        await until(pilot, lambda: NEW_TITLES[1] in list_text(app), "the palette fetched")


async def test_an_erroring_server_is_a_notification_and_the_list_stays(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    server.routes[HF_PATH] = [Reply("oops", 500, content_type="text/plain")]
    write_config(xdg, server.url)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        shown = list_text(app)
        count = len(app.library.papers)
        await pilot.press("F")
        await until(pilot, lambda: "Fetch failed" in toasts(app), "the failure is told")
        assert "HTTP 500" in toasts(app) and server.url in toasts(app)
        # one notification for the source, not one per day asked
        assert toasts(app).count("Fetch failed") == 1 and "(and 1 other day)" in toasts(app)
        await pilot.pause()
        assert list_text(app) == shown and len(app.library.papers) == count
        assert "offline" not in status(app)


async def test_an_unreachable_server_says_offline_with_the_last_fetch(
    xdg: dict[str, Path],
) -> None:
    write_config(xdg, "http://127.0.0.1:9")  # the discard port: nothing listens
    last = Paths.from_env().cache_dir / "fetch" / "last.json"
    last.parent.mkdir(parents=True, exist_ok=True)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2, hours=1)
    last.write_text(json.dumps({"hf": when.isoformat(timespec="seconds")}), encoding="utf-8")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        shown = list_text(app)
        await pilot.press("F")
        await until(pilot, lambda: "offline" in status(app), "the status says offline")
        assert "offline: last fetch 2 days ago" in status(app)
        assert "offline: last fetch 2 days ago" in toasts(app)
        assert "Fetch failed" not in toasts(app)
        assert list_text(app) == shown


def test_offline_wording() -> None:
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.timezone.utc)
    assert ago(now - dt.timedelta(days=1, hours=3), now) == "1 day ago"
    assert ago(now - dt.timedelta(hours=5), now) == "5 hours ago"
    assert ago(now - dt.timedelta(seconds=30), now) == "just now"
    last = {"hf": "2026-12-01T06:00:00+00:00", "nlp": "2026-11-20T06:00:00+00:00"}
    assert offline_text(last, ["hf", "nlp"], now) == "offline: last fetch 2 days ago"
    assert offline_text({}, ["hf"], now) == "offline: never fetched"


# --------------------------------------------------------------------------- on_start


async def test_on_start_fetches_in_the_background(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    server.routes[HF_PATH] = lambda seen: Reply(
        json.dumps(hf_records() if seen.query.get("date") == "2026-12-01" else [])
    )
    write_config(xdg, server.url, "  on_start: true\n")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await until(
            pilot, lambda: NEW_TITLES[0][:30] in list_text(app), "the app fetched by itself"
        )


async def test_without_on_start_the_app_asks_no_server(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    server.routes[HF_PATH] = [Reply("[]")]
    write_config(xdg, server.url)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.press("j", "k")
        await pilot.pause(0.8)  # past the moment on_start would fetch
    assert server.seen == []


# --------------------------------------------------------------------------- reload

BEHIND = """\
title: Added behind the app's back
date: 2026-11-30
papers:
  - id: 2611.09999
    title: Wombat Gradients Arrive Without a Restart
    authors: [Test Author]
    abstract: Written for the reload test.
"""


async def test_reload_takes_in_a_file_added_behind_the_apps_back(xdg: dict[str, Path]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.press("j")
        folder = Paths.from_env().library_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "2026-11-30.yaml").write_text(BEHIND, encoding="utf-8")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Wombat Gradients" in list_text(app), "the new file is read")
        await until(pilot, lambda: "1 new paper" in toasts(app), "the reload says what is new")
        await pilot.press("w")
        await pilot.pause()
        assert [p.id for p in app.main.view.papers] == ["2611.09999"]


async def test_a_reload_with_nothing_new_says_so(xdg: dict[str, Path]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        shown = list_text(app)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "nothing new" in toasts(app), "the reload is told")
        assert list_text(app) == shown
        await pilot.press("w")
        await until(pilot, lambda: "No new papers yet (F fetches" in toasts(app), "w says why")
        assert list_text(app) == shown


def test_new_ids_of_a_partly_read_library_count_only_new_files() -> None:
    from reader.library import Library
    from reader.model import Paper

    old = Library(papers={"a": Paper("a", "A")}, files=[Path("one.yaml")])
    old._rest = lambda: old  # still partly read: "b" is an older paper not read yet
    new = Library(files=[Path("one.yaml"), Path("two.yaml")])
    new.papers = {
        "a": Paper("a", "A", sources=["one.yaml"]),
        "b": Paper("b", "B", sources=["one.yaml"]),
        "c": Paper("c", "C", sources=["two.yaml"]),
    }
    assert new_ids(old, new) == {"c"}
    old._rest = None
    assert new_ids(old, new) == {"b", "c"}


def many_papers(n: int) -> str:
    """A digest day of ``n`` made-up papers (longer than the screen)."""
    lines = ["title: A long day", "date: 2026-11-20", "papers:"]
    for i in range(n):
        lines += [
            f"  - id: 2611.{i:05d}",
            f"    title: Made-up Paper Number {i:03d} About Long Lists",
            "    authors: [Test Author]",
            "    abstract: Written for the reload test.",
        ]
    return "\n".join(lines) + "\n"


async def test_a_reload_under_a_reader_keeps_the_paper_on_its_line_and_the_loop_free(
    xdg: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library read again (a fetch's, Ctrl+R's) comes in without moving the
    list under the reader: the paper under the cursor stays on its line of the
    screen, though a newer paper now sorts above it; and the list's day rows
    (O(n): 0.1 s at 91k papers) and its days (for the status line) are made
    in the worker, not on the event loop."""

    from reader import views

    folder = Paths.from_env().library_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-11-20.yaml").write_text(many_papers(80), encoding="utf-8")
    made_on = threads_calling(monkeypatch, views, "day_rows")
    import reader.library as library_mod

    days_on = threads_calling(monkeypatch, library_mod, "days_of")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        plist = app.main.papers
        await pilot.press(*["j"] * 45)
        await pilot.pause()
        paper = plist.current
        assert paper is not None
        line = plist.row(plist.cursor) - round(plist.scroll_y)
        assert line > plist.scrollable_content_region.height // 2  # moved down the screen
        made_on.clear()
        days_on.clear()
        (folder / "2026-11-30.yaml").write_text(BEHIND, encoding="utf-8")  # a newer day
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "1 new paper" in toasts(app), "the reload is taken in")
        await pilot.pause()
        assert plist.current is not None and plist.current.id == paper.id
        assert plist.row(plist.cursor) - round(plist.scroll_y) == line
        assert paper.title in rows(app)[line]
        assert made_on and "MainThread" not in made_on
        # the status line's day count too (O(n): 50 ms at 100k papers)
        assert days_on and "MainThread" not in days_on


async def test_the_index_takes_in_a_reload_in_a_child_process_while_the_cursor_moves(
    xdg: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync of what a fetch or a reload brought runs in a child process
    (not a thread holding the GIL): a key pressed while the sync is under way
    is handled before it ends, and once it has, the index holds the new
    paper. The sync's end (the child waited for and taken off the list) is
    held until the key is handled: on a quiet machine the child may write
    50 papers before a key is read, and the test must not depend on that."""
    import asyncio
    import os
    import threading

    from reader.search.index import SearchIndex, apart

    held = threading.Event()
    real_end = apart._end

    def end_when_released(proc: Any, *, finished: bool) -> None:
        held.wait(60)
        real_end(proc, finished=finished)

    monkeypatch.setattr(apart, "_end", end_when_released)

    paths = Paths.from_env()
    config = load_config(paths.config_file)
    config.read_after_seconds = 0  # no read mark by the clock, as in make_app
    library = open_library(paths, config, extra=[FIXTURE])
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    index = SearchIndex(paths.index_dir)
    app = DigestApp(
        Session(paths, config, library=library, state=state, index=index), clock=lambda: FROZEN
    )
    app.library_extra = [FIXTURE]

    def indexing() -> bool:
        return any(w.group == "index" and not w.is_finished for w in app.workers)

    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await until(pilot, lambda: index.usable and not indexing(), "the first build")
        folder = paths.library_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "2026-11-30.yaml").write_text(BEHIND, encoding="utf-8")
        await pilot.press("ctrl+r")
        for _ in range(2000):  # the child's start takes a moment: it is seen
            if apart._RUNNING:
                break
            await asyncio.sleep(0.005)
        assert apart._RUNNING, "the sync runs in a child process"
        before = app.main.papers.cursor
        await pilot.press("j")
        moved = app.main.papers.cursor
        assert apart._RUNNING and indexing()  # handled while the child still writes
        assert moved == before + 1
        held.set()
        await until(pilot, lambda: not indexing(), "the sync ends")
        assert index.last_writer_pid not in (None, os.getpid())
        assert app.searcher.pending_ids() == set()  # the index holds the new paper
        await pilot.press("slash", *"wombat")
        await searched(pilot, app)
        assert [p.id for p in app.main.view.papers] == ["2611.09999"]


def test_new_ids_of_a_library_updated_from_the_last_look_at_only_what_it_touched() -> None:
    """After a fetch the library is updated from the one the app holds: its
    version names what the update touched, and only those can be new (no
    set of every id made while the cursor waits for the GIL)."""
    from reader.library import Library, Version
    from reader.model import Paper

    class Unwalkable(dict[str, Paper]):
        def __iter__(self) -> Any:
            raise AssertionError("every paper was walked")

        def keys(self) -> Any:
            raise AssertionError("every paper was walked")

    old_papers = {f"2501.{i:05d}": Paper(id=f"2501.{i:05d}", title=f"P{i}") for i in range(5)}
    new_papers = Unwalkable(old_papers)
    for pid in ("2612.00001", "2612.00002"):
        dict.__setitem__(new_papers, pid, Paper(id=pid, title=pid))
    old = Library(papers=old_papers, _version=Version("k1"))
    touched = frozenset({"2612.00001", "2612.00002", "2501.00003"})
    new = Library(papers=new_papers, _version=Version("k2", "k1", touched))
    assert new_ids(old, new) == {"2612.00001", "2612.00002"}


async def test_a_fetch_that_only_moved_upvotes_says_nothing_new_while_it_reads(
    xdg: dict[str, Path], server: ReplayServer
) -> None:
    """A stored day fetched again with other upvotes: the status line, while
    the library is read again, says nothing is new and what it reads (it
    said "nothing new: reading the new papers…")."""
    first = hf_records()
    moved = [{**r, "paper": {**r["paper"], "upvotes": r["paper"]["upvotes"] + 100}} for r in first]
    answers = [first, moved]

    def route(seen: Seen) -> Reply:
        day = seen.query.get("date") == "2026-12-01"
        return Reply(json.dumps(answers[0] if day else []))

    server.routes[HF_PATH] = route
    write_config(xdg, server.url)
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.press("F")
        await until(pilot, lambda: "3 new papers" in toasts(app), "the first fetch")
        answers.pop(0)
        app.clear_notifications()
        with app._fetch_lock:  # the reload waits here: its step stays on the screen
            await pilot.press("F")
            await until(pilot, lambda: "reading" in status(app), "the fetch reads the day again")
            assert "nothing new; reading 1 changed day" in status(app)
            assert "new papers" not in status(app)
        await until(pilot, lambda: "nothing new" in toasts(app), "the fetch says nothing is new")
