"""A library read again (a fetch's, Ctrl+R's) is taken in by the event loop
without work that grows with the library (issue 11: cursor moves under one
frame during a fetch): the rows the list draws first are read in the
reload's worker, and the library, the engine and the lists it replaces are
freed off the event loop. Timing is never asserted: the thread that did
the work is."""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from reader.catalog import Catalog
from reader.config import Config
from reader.paths import Paths
from reader.session import Session
from reader.tui.app import DigestApp
from tests.test_app_catalog import FIXTURE, FROZEN, libraries, write_days
from tests.test_tui_fetch import BEHIND
from tests.threads import threads_calling


def catalog_app(folder: Path) -> DigestApp:
    """The app over ``folder`` in the catalog, opened as ``digest-reader`` does."""
    libraries(folder)  # writes the catalog
    session = Session(
        Paths.from_env(), Config(), extra=[folder, FIXTURE], partial=True, lazy_library=True
    )
    session.read_library()
    app = DigestApp(session, clock=lambda: FROZEN)
    app.library_extra = [folder, FIXTURE]
    return app


async def until(pilot: Any, check: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        await pilot.pause(0.05)


def added(folder: Path, n: int) -> None:
    """A new digest day behind the app's back: one paper, id ``2611.0999n``."""
    text = BEHIND.replace("2611.09999", f"2611.0999{n}").replace("2026-11-30", f"2026-12-0{n}")
    (folder / f"2026-12-0{n}.yaml").write_text(text, encoding="utf-8")


async def test_the_rows_shown_after_a_reload_are_read_in_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list taken in again keeps its cursor's paper on its line, so it
    draws the rows it drew before, from the new library: those rows (a
    query of 6-10 ms at 100k papers) are read by the reload's worker, and
    the loop only draws them."""
    folder = write_days(tmp_path / "lib", per_day=100)
    app = catalog_app(folder)
    read_on = threads_calling(monkeypatch, Catalog, "get")
    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        await until(pilot, lambda: app.library.complete, "the library is read")
        plist = app.main.papers
        await pilot.press(*["j"] * 30)
        await pilot.pause()
        paper = plist.current
        assert paper is not None
        line = plist.row(plist.cursor) - round(plist.scroll_y)
        n = len(app.library.papers)
        added(folder, 1)
        read_on.clear()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(app.library.papers) == n + 1, "the reload is taken in")
        await pilot.pause()
        await pilot.pause()
        # what the user sees: the same paper on the same line, the new one listed
        assert plist.current is not None and plist.current.id == paper.id
        assert plist.row(plist.cursor) - round(plist.scroll_y) == line
        assert read_on, "the new library's rows were read"
        assert "MainThread" not in read_on


async def test_what_a_reload_replaces_is_freed_off_the_event_loop(tmp_path: Path) -> None:
    """The library replaced, its search engine and its list of every paper
    (100k ids: 3-7 ms of the event loop to free, measured at 100k papers)
    are freed in another thread, whichever holder let go last."""
    folder = write_days(tmp_path / "lib", per_day=100)
    app = catalog_app(folder)
    freed: dict[str, str] = {}

    def watch(obj: object, what: str) -> None:
        weakref.finalize(obj, lambda: freed.setdefault(what, threading.current_thread().name))

    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        await until(pilot, lambda: app.library.complete, "the library is read")
        await pilot.press("slash", *"topic", "escape")  # a search: the engine is made
        await until(pilot, lambda: app.session._searcher is not None, "the engine is made")
        await pilot.pause()
        watch(app.library, "library")
        watch(app.session._searcher, "engine")
        watch(app.main.view.papers, "list")
        for n in (1, 2):  # the list keeps the list before its last: two reloads let it go
            count = len(app.library.papers)
            added(folder, n)
            await pilot.press("ctrl+r")
            await until(pilot, lambda c=count: len(app.library.papers) == c + 1, "taken in")
            await pilot.press("j")
        await until(pilot, lambda: len(freed) == 3, f"all freed: {freed}", seconds=10)
        assert "MainThread" not in freed.values(), freed


OTHER = """\
title: Added behind the app's back too
date: 2026-11-29
papers:
  - id: 2611.08888
    title: Numbat Optimisers Read Later
    authors: [Test Author]
    abstract: Written for the racing reload test.
"""


async def test_a_reload_that_waited_for_another_comes_in_after_it(
    xdg: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reloads at once (a fetch's and Ctrl+R's) read one after the
    other; the first one's library, however late its thread is to post it
    (a thread descheduled on a loaded machine), never replaces the second
    one's, which read the digests later: both new papers stay listed."""
    from reader.tui.fetching import Reloaded
    from tests.test_tui_fetch import list_text, make_app

    app = make_app()
    folder = Paths.from_env().library_dir
    folder.mkdir(parents=True, exist_ok=True)
    posted: list[str] = []
    second_posted = threading.Event()
    post = app.post_message

    def late_first(message: Any) -> bool:
        if isinstance(message, Reloaded):
            if not posted:
                posted.append("first")
                second_posted.wait(2.0)  # held back until the second has posted
            else:
                posted.append("second")
                second_posted.set()
        return post(message)

    monkeypatch.setattr(app, "post_message", late_first)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        (folder / "2026-11-30.yaml").write_text(BEHIND, encoding="utf-8")
        app.reload_worker()
        await until(pilot, lambda: posted == ["first"], "the first reload posts")
        (folder / "2026-11-29.yaml").write_text(OTHER, encoding="utf-8")
        app.run_worker(lambda: app._reload((), None), thread=True, group="second")
        await until(pilot, lambda: posted == ["first", "second"], "the second reload posts")
        await until(
            pilot,
            lambda: (
                not any(w.group in ("reload", "second") and not w.is_finished for w in app.workers)
            ),
            "both reloads end",
        )
        await pilot.pause()
        await pilot.pause()
        shown = list_text(app)
        assert "Wombat Gradients" in shown
        assert "Numbat Optimisers" in shown
