"""Search as you type, key by key: the newest text's results are the ones that
stay on screen, and the benchmark's hook notes each outcome painted."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reader.search.engine import SearchEngine
from reader.session import Session
from reader.tui.app import DigestApp
from reader.tui.screens.main import SHOWN_LOG_VAR
from tests.test_tui import SIZE, make_app, screen_text, searched, until

#: How long a held search waits for the test at most (a failing test must end).
HOLD_LIMIT = 30.0


class HeldEngine:
    """The real engine, except that the first search whose query satisfies
    ``holds`` waits until the test releases it: an old, slow search."""

    def __init__(self, inner: Any, holds: Any) -> None:
        self.inner = inner
        self.holds = holds
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def search(self, text: str, *args: Any, **kw: Any) -> Any:
        if self.holds(text) and not self.started.is_set():
            self.started.set()
            self.release.wait(HOLD_LIMIT)
            try:
                return self.inner.search(text, *args, **kw)
            finally:
                self.finished.set()
        return self.inner.search(text, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def held_app(holds: Any) -> tuple[DigestApp, HeldEngine]:
    plain = make_app()
    engine = HeldEngine(SearchEngine(plain.library, plain.state, None), holds)
    session = Session(
        plain.paths, plain.config, library=plain.library, state=plain.state, searcher=engine
    )
    app = DigestApp(session, clock=plain.clock)
    return app, engine


def shown(log: Path) -> list[tuple[float, str, str, int, bool]]:
    if not log.exists():
        return []
    return [tuple(json.loads(line)) for line in log.read_text(encoding="utf-8").splitlines()]  # type: ignore[misc]


def only_diffusion(query: str) -> bool:
    return "diffusion" in query and "video" not in query


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shown.log"
    monkeypatch.setenv(SHOWN_LOG_VAR, str(path))
    return path


async def test_the_hook_notes_each_search_painted(log: Path) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        before = time.monotonic()
        await pilot.press("slash", *"tokeni")
        await searched(pilot, app)
        await until(pilot, lambda: bool(shown(log)), "the hook wrote a line")
        lines = shown(log)
        # a search may have been painted for a shorter prefix on the way
        assert all("tokeni".startswith(line[1]) for line in lines)
        at, text, what, total, exact = lines[-1]
        assert (text, what, total, exact) == ("tokeni", "results", 1, True)
        assert before < at <= time.monotonic()
        await pilot.press(*"zz(")
        await until(pilot, lambda: shown(log)[-1][1] == "tokenizz(", "the error was noted")
        assert shown(log)[-1][1:3] == ("tokenizz(", "error")


async def test_a_slow_older_search_never_replaces_the_newer_results(log: Path) -> None:
    app, engine = held_app(only_diffusion)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion")
        await until(pilot, engine.started.is_set, "the slow search started")
        await pilot.press(*" video")  # typed while "diffusion" is still searching
        engine.release.set()
        await until(pilot, lambda: "Search: diffusion video" in screen_text(app), "newer shown")
        await searched(pilot, app)
        await pilot.pause(0.1)
        assert [t for _, t, what, *_ in shown(log) if what == "results"][-1] == "diffusion video"
        assert all(t != "diffusion" for _, t, *_ in shown(log))
        assert [p.title for p in app.main.papers.papers] == [
            "Diffusion Transformers for Video Generation at Scale"
        ]
        assert "Search: diffusion video · 1 paper" in screen_text(app)


async def test_a_slow_search_after_enter_never_replaces_what_was_typed_next(log: Path) -> None:
    app, engine = held_app(only_diffusion)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, engine.started.is_set, "the slow search started")
        await until(pilot, lambda: "searching" in screen_text(app), "Enter said it is searching")
        await pilot.press("slash", *" video")
        engine.release.set()
        await until(pilot, lambda: "Search: diffusion video" in screen_text(app), "newer shown")
        await searched(pilot, app)
        await pilot.pause(0.1)
        assert all(t != "diffusion" for _, t, *_ in shown(log))
        assert "Search: diffusion video · 1 paper" in screen_text(app)
        assert [p.title for p in app.main.papers.papers] == [
            "Diffusion Transformers for Video Generation at Scale"
        ]


async def test_a_slow_search_after_enter_leaves_the_cursor_of_the_list_shown_since(
    log: Path,
) -> None:
    app, engine = held_app(only_diffusion)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, engine.started.is_set, "the slow search started")
        await until(pilot, lambda: "searching" in screen_text(app), "Enter said it is searching")
        await pilot.press("escape", "a", "j", "j", "j")  # every paper, three down
        await pilot.pause()
        where = app.main.papers.current
        assert app.main.papers.cursor == 3 and where is not None
        before = shown(log)
        engine.release.set()
        await until(pilot, engine.finished.is_set, "the slow search ended")
        await searched(pilot, app)
        await pilot.pause(0.3)
        assert app.main.papers.current is where
        assert "All papers" in screen_text(app)
        assert shown(log) == before


async def test_a_search_on_screen_runs_again_when_the_index_is_built(log: Path) -> None:
    from reader.tui.app import IndexDone

    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter", "j")
        await until(pilot, lambda: app.main.papers.cursor == 1, "the results were shown")
        await searched(pilot, app)
        where = app.main.papers.current
        assert where is not None
        before = len(shown(log))  # prefixes on the way may have been painted too
        app.post_message(IndexDone())
        await until(pilot, lambda: len(shown(log)) == before + 1, "the search ran again", 15)
        assert shown(log)[-1][1:3] == ("diffusion", "results")
        assert app.main.papers.current is where  # the cursor stayed on its paper
        assert "Search: diffusion · 2 papers" in screen_text(app)


async def test_the_search_on_screen_runs_again_after_one_step_of_the_warm_up_not_all(
    log: Path,
) -> None:
    """Once the index is built, the search thread's warm-up (the columns,
    days, tags and the map to the index: seconds over the real digests on a
    loaded machine) runs a part at a time in the gaps between queries: the
    query on screen, run again for its exact results, waits for the part
    being made, not for the rest (it queued behind all of the warm-up)."""
    from reader.tui.app import IndexDone

    app = make_app()
    order: list[str] = []
    first_started, let_first_go = threading.Event(), threading.Event()

    def first() -> None:
        order.append("part 1")
        first_started.set()
        let_first_go.wait(HOLD_LIMIT)

    def later(name: str) -> Any:
        return lambda: order.append(name)

    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter")
        await searched(pilot, app)
        engine = app.searcher
        real_search = engine.search

        def search(text: str, *args: Any, **kw: Any) -> Any:
            order.append("search")
            return real_search(text, *args, **kw)

        engine.warm_steps = lambda: [first, later("part 2"), later("part 3")]  # type: ignore[method-assign]
        engine.search = search  # type: ignore[method-assign]
        before = len(shown(log))
        try:
            app.post_message(IndexDone())
            await until(pilot, first_started.is_set, "the warm-up started")
            # the search run again: queued behind the part being made, or run
            # before it (the screen's turn came first)
            await until(
                pilot, lambda: app._pool.waiting >= 1 or "search" in order, "the search queued"
            )
        finally:
            let_first_go.set()
        await until(pilot, lambda: len(shown(log)) == before + 1, "the search ran again", 15)
        assert "Search: diffusion · 2 papers" in screen_text(app)
        await until(pilot, lambda: "part 3" in order, "the warm-up went on")
    assert order in (
        ["part 1", "search", "part 2", "part 3"],
        ["search", "part 1", "part 2", "part 3"],
    )


class BrokenEngine(HeldEngine):
    """The real engine, except that a query with "diff" fails as a defect
    would (not a bad query: the index gone from under it)."""

    def search(self, text: str, *args: Any, **kw: Any) -> Any:
        if "diff" in text:
            raise RuntimeError("the index file went away")
        return super().search(text, *args, **kw)


def broken_app() -> DigestApp:
    """The test app over :class:`BrokenEngine`."""
    plain = make_app()
    engine = BrokenEngine(SearchEngine(plain.library, plain.state, None), lambda q: False)
    session = Session(
        plain.paths, plain.config, library=plain.library, state=plain.state, searcher=engine
    )
    return DigestApp(session, clock=plain.clock)


async def test_a_search_that_fails_says_so_in_the_bar_and_the_next_one_runs() -> None:
    """A search that raises (a defect, a file gone) was dropped by its worker
    without a word: the list stayed as it was and the box looked stuck."""
    app = broken_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diff")
        await until(
            pilot,
            lambda: "Search failed: the index file went away" in screen_text(app),
            "the failure said in the bar",
            15,
        )
        await pilot.press(*"x", "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press(*"model")
        await until(pilot, lambda: "Search failed" not in screen_text(app), "the next search ran")
        assert "Search: model" in screen_text(app)


async def test_enter_on_a_search_that_fails_says_so_and_the_app_stays() -> None:
    """Enter runs the query in hand: a failure (not a bad query) ended the
    app with a traceback."""
    app = broken_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diff", "enter")
        await until(
            pilot,
            lambda: "Search failed: the index file went away" in screen_text(app),
            "the failure said in the bar",
            15,
        )
        await pilot.press("j")
        await pilot.pause()
        assert app.is_running


class CountingEngine(HeldEngine):
    """HeldEngine that also notes every query the engine was asked."""

    def __init__(self, inner: Any, holds: Any) -> None:
        super().__init__(inner, holds)
        self.asked: list[str] = []

    def search(self, text: str, *args: Any, **kw: Any) -> Any:
        self.asked.append(text)
        return super().search(text, *args, **kw)


async def test_keys_typed_while_a_search_runs_fold_into_one_search_of_the_newest_text(
    log: Path,
) -> None:
    """The first key searches at once; the keys typed while that search runs
    make one more search, of the text as it is then, not one per key; the
    older results are never shown over the newer ones."""
    plain = make_app()
    engine = CountingEngine(SearchEngine(plain.library, plain.state, None), lambda q: "diff" in q)
    session = Session(
        plain.paths, plain.config, library=plain.library, state=plain.state, searcher=engine
    )
    app = DigestApp(session, clock=plain.clock)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diff")
        await until(pilot, engine.started.is_set, "the first search started")
        first = list(engine.asked)
        await pilot.press(*"usion video")  # eleven keys while it runs
        engine.release.set()
        await until(pilot, lambda: "Search: diffusion video" in screen_text(app), "newest shown")
        await searched(pilot, app)
        await pilot.pause(0.1)
        later = engine.asked[len(first) :]
        assert len(later) == 1 and "video" in later[0]
        painted = [t for _, t, what, *_ in shown(log) if what == "results"]
        assert painted[-1] == "diffusion video"
        assert "Search: diffusion video · 1 paper" in screen_text(app)


def _app_engine(plain: DigestApp) -> SearchEngine:
    """A search engine as the app makes one (its scans within the app's budget)."""
    from reader.tui.app import SCAN_BUDGET

    engine = SearchEngine(plain.library, plain.state, None)
    engine.scan_budget = SCAN_BUDGET
    return engine


class StoppedEngine(HeldEngine):
    """:class:`HeldEngine` noting each search stopped for a newer one."""

    def __init__(self, inner: Any, holds: Any) -> None:
        super().__init__(inner, holds)
        self.stopped: list[str] = []

    def search(self, text: str, *args: Any, **kw: Any) -> Any:
        from reader.search.scan import Cancelled

        try:
            return super().search(text, *args, **kw)
        except Cancelled:
            self.stopped.append(text)
            raise


async def test_a_scan_during_the_first_build_stops_for_a_newer_query(log: Path) -> None:
    """No index yet: every search scans. The older search's scan stops when
    the box moves on, and only the newer results are ever shown."""
    plain = make_app()
    engine = StoppedEngine(_app_engine(plain), only_diffusion)
    app = DigestApp(
        Session(
            plain.paths, plain.config, library=plain.library, state=plain.state, searcher=engine
        ),
        clock=plain.clock,
    )
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion")
        await until(pilot, engine.started.is_set, "the older search started")
        await pilot.press(*" video")  # typed while "diffusion" is still scanning
        engine.release.set()
        await until(pilot, engine.finished.is_set, "the older search ended")
        await until(pilot, lambda: "Search: diffusion video" in screen_text(app), "newer shown")
        await searched(pilot, app)
        await pilot.pause(0.1)
        assert engine.stopped == ["(diffusion OR diffusion*)"]
        assert all(t != "diffusion" for _, t, *_ in shown(log))
        assert "Search: diffusion video · 1 paper" in screen_text(app)


async def test_the_count_says_about_while_the_scan_is_cut_short(
    log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.search import scan

    monkeypatch.setattr(scan, "CHUNK", 2)  # 8 papers: 4 chunks
    plain = make_app()
    engine = _app_engine(plain)
    engine.scan_budget = 0.0  # out of time after the first chunk, as in a first build
    app = DigestApp(
        Session(
            plain.paths, plain.config, library=plain.library, state=plain.state, searcher=engine
        ),
        clock=plain.clock,
    )
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, lambda: "Search: diffusion" in screen_text(app), "results shown")
        await searched(pilot, app)
        assert "of about 4 papers" in screen_text(app)  # 1 of the newest 2, of 8
        engine.scan_budget = None  # the index is built: the search runs again, exact
        from reader.tui.app import IndexDone

        app.post_message(IndexDone())
        await until(pilot, lambda: "Search: diffusion · 2 papers" in screen_text(app), "exact")


class FirstBuild:
    """An index that is built for the first time: ``sync`` reports progress
    as the real one does once its processes are forked, then waits until the
    scan's folding has started (or gives up)."""

    usable = False
    problem = "missing"

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.shown = threading.Event()  # the screen is up: progress can be shown

    def sync(
        self, papers: Any, progress: Any = None, cancelled: Any = None, version: Any = None
    ) -> Any:
        from reader.search.index import SyncReport

        self.events.append("sync")
        self.shown.wait(HOLD_LIMIT)
        self.events.append("progress")
        progress(1, 2)
        deadline = time.monotonic() + HOLD_LIMIT
        while "fold" not in self.events and time.monotonic() < deadline:
            time.sleep(0.01)
        return SyncReport(cancelled=True)

    def indexed_hashes(self) -> dict[str, str]:
        return {}


async def test_a_first_build_folds_for_the_scan_only_once_its_processes_are_forked(
    log: Path,
) -> None:
    """Folding in a thread while the build forks could leave a module half
    imported in the children (they hang on it): the fold starts after."""
    events: list[str] = []
    plain = make_app()
    engine = _app_engine(plain)

    def prepare(cancelled: Any = None) -> bool:
        events.append("fold")
        return True

    engine.prepare_scan = prepare
    index = FirstBuild(events)
    session = Session(plain.paths, plain.config, library=plain.library, state=plain.state,
                      searcher=engine, index=index)  # type: ignore[arg-type]  # fmt: skip
    app = DigestApp(session, clock=plain.clock)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        index.shown.set()
        await until(pilot, lambda: "fold" in events, "the scan's folding started")
        assert events[:3] == ["sync", "progress", "fold"]


async def test_once_the_index_is_synced_the_first_query_of_each_kind_waits_for_nothing(
    log: Path,
) -> None:
    """The columns, their tie ranks, the days of ``date:`` and the folded tags
    of ``tag:`` are made in the search thread once the index is synced, not
    by the first query that needs them (which waited 0.1-0.3 s for them)."""
    from reader.tui.app import IndexDone

    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        engine = app.searcher
        app.post_message(IndexDone())

        def made() -> bool:
            cols = engine._columns
            return (
                cols is not None
                and cols._tie_rank is not None
                and cols._days is not None
                and cols._tags is not None
            )

        await until(pilot, made, "the search thread made them")


async def test_the_list_shows_a_keys_results_before_the_abstract_pane_follows(
    log: Path,
) -> None:
    """While typing, the list (and its count) is painted first; the abstract
    pane follows it, showing the paper under the cursor once typing stops."""
    from reader.tui.widgets.abstract import AbstractPane

    app = make_app()
    built: list[tuple[float, str]] = []
    show = AbstractPane.show

    def watched(self: AbstractPane, paper: Any, *a: Any, **kw: Any) -> None:
        if paper is not None and app.main.view.kind == "search":
            built.append((time.monotonic(), app.main.view.value))
        show(self, paper, *a, **kw)

    async with app.run_test(notifications=True, size=SIZE) as pilot:
        AbstractPane.show = watched  # type: ignore[method-assign]
        try:
            await pilot.pause()
            await pilot.press("slash", *"tokeni")
            await searched(pilot, app)
            await until(pilot, lambda: app.main.abstract.paper is app.main.papers.current,
                        "the pane follows the list")  # fmt: skip
        finally:
            AbstractPane.show = show  # type: ignore[method-assign]
        painted = {text: at for at, text, what, *_ in shown(log) if what == "results"}
        assert built and painted
        # each text's pane came after its list was on screen
        assert all(painted[text] <= at for at, text in built if text in painted), (built, painted)
        current = app.main.papers.current
        assert current is not None and current.title == "Tokenizer-Free Language Models"
        text = screen_text(app)
        assert text.count(current.title) >= 2  # its row and the pane's title
        assert "Search: tokeni · 1 paper" in text


async def test_a_bad_query_typed_says_why_on_a_line_that_is_there_already(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The line under the box is there while the box has the focus: a query
    that turns bad and good again as it is typed changes what the line says,
    never the screen's layout (the list would jump a row each time)."""
    from textual.screen import Screen

    app = make_app()
    layouts: list[str] = []
    refresh_layout = Screen._refresh_layout

    def watched(self: Screen[Any], *a: Any, **kw: Any) -> None:
        layouts.append(app.main.search_bar.value)
        refresh_layout(self, *a, **kw)

    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        assert "Enter: to the results · Esc: clear" in screen_text(app)
        monkeypatch.setattr(Screen, "_refresh_layout", watched)
        # (a value still being typed, "sort:x", says nothing yet; the space ends it)
        for key in "diffusion sort:x ":
            await pilot.press(key)
            await searched(pilot, app)
        assert "Invalid query" in screen_text(app)
        for key in ("backspace", "backspace", *"upvotes"):
            await pilot.press(key)
            await searched(pilot, app)
        assert "Invalid query" not in screen_text(app)
        assert "Search: diffusion sort:upvotes" in screen_text(app)
        assert layouts == []


async def test_a_typed_searchs_results_are_drawn_when_they_come_not_at_the_next_frame_tick() -> (
    None
):
    """The results of a key typed come from the search thread at any time;
    the list and the count above it are drawn as they are taken in, not
    when the screen's frame timer next ticks (16-33 ms later after a pause:
    most of a key's time to the screen)."""
    app = make_app()
    drawn_inside: list[tuple[str, bool]] = []
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        present = main._present

        def watched(text: str, generation: int, result: Any, error: Any, **kw: Any) -> bool:
            frames: list[bool] = []
            main.compositor.after_paint(lambda: frames.append(True))
            got = present(text, generation, result, error, **kw)
            if kw.get("typing") and result is not None and text == main.search_bar.value:
                drawn_inside.append((text, bool(frames)))
            return got

        main._present = watched  # type: ignore[method-assign]
        await pilot.press("slash", *"tokeni")
        await searched(pilot, app)
        assert drawn_inside and all(drawn for _, drawn in drawn_inside), drawn_inside
        assert "Search: tokeni · 1 paper" in screen_text(app)
