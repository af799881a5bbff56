"""What the screen does per key or per list, counted rather than timed: the
list draws the rows in its window and no others, whatever its length; a list
shown again is not laid out again; the cyclic collector waits for a pause."""

from __future__ import annotations

from typing import Any

from textual.app import App

from reader import views
from reader.model import Paper
from reader.tui import collector
from reader.tui.collector import IdleCollector
from reader.tui.widgets.paper_list import PaperList, scrollbar_thumb
from tests.threads import threads_calling

N = 100_000


class Blank:
    starred = False
    read = False
    tags: frozenset[str] = frozenset()
    note = ""


def made_up(n: int) -> list[Paper]:
    """``n`` made-up papers over 100 days, newest first."""
    return [
        Paper(id=f"x{i:06d}", title=f"Made-up paper {i}", dates=[f"2025-{1 + i * 12 // n:02d}-01"])
        for i in range(n)
    ]


class ListApp(App[None]):
    def compose(self) -> Any:
        yield PaperList(lambda _pid: Blank(), id="papers")


async def test_the_list_draws_only_the_rows_in_its_window(monkeypatch: Any) -> None:
    drawn: list[int] = []
    render_row = PaperList._render_row

    def counted(self: PaperList, look: Any) -> Any:
        drawn.append(int(look.title.rsplit(" ", 1)[1]))
        return render_row(self, look)

    monkeypatch.setattr(PaperList, "_render_row", counted)
    papers = made_up(N)
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        plist.set_papers(papers, separators=True)
        await pilot.pause()
        height = plist.scrollable_content_region.height
        assert 0 < len(set(drawn)) <= height
        drawn.clear()
        plist.move_to(N // 2)  # far down: one window drawn there, nothing between
        await pilot.pause()
        assert 0 < len(set(drawn)) <= height
        assert all(abs(r - N // 2) <= height for r in drawn)
        assert f"Made-up paper {N // 2}" in "".join(
            plist.render_line(y).text for y in range(height)
        )


async def test_a_list_shown_again_is_not_laid_out_again(monkeypatch: Any) -> None:
    """The list of every paper, shown again after a search (Esc), keeps the
    day rows it was given: no pass over its 100k papers."""
    made: list[int] = []
    day_rows = views.day_rows

    def watched(papers: Any) -> Any:
        made.append(len(papers))
        return day_rows(papers)

    monkeypatch.setattr(views, "day_rows", watched)
    papers = made_up(N)
    rows = day_rows(papers)
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        plist.set_papers(papers, separators=True, rows=rows)
        plist.set_papers(papers[:40], separators=True)  # a search's results
        plist.set_papers(papers, separators=True, keep=papers[5000].id)  # back
        await pilot.pause()
        assert made == [40]
        assert plist.current is papers[5000]
        assert rows is not None and plist.runs == rows.runs


async def test_a_new_count_of_results_does_not_lay_out_the_screen(monkeypatch: Any) -> None:
    """A search whose results are another number of rows changes the list's
    height without laying out the whole screen (10-40 ms a key over the real
    digests), even when they all fit (the scrollbar stays, with no thumb: the
    list keeps its width); the scrollbar follows."""
    laid_out: list[int] = []
    refresh = PaperList.refresh

    def watched(self: PaperList, *a: Any, **kw: Any) -> Any:
        if kw.get("layout"):
            laid_out.append(self.row_count)
        return refresh(self, *a, **kw)

    monkeypatch.setattr(PaperList, "refresh", watched)
    papers = made_up(2_000)
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        plist.set_papers(papers)
        await pilot.pause()
        laid_out.clear()
        plist.set_papers(papers[:700])  # another count, still more than fit
        await pilot.pause()
        assert laid_out == []
        assert plist.virtual_size.height == 700
        assert plist.vertical_scrollbar.window_virtual_size == 700
        assert plist.show_vertical_scrollbar
        plist.set_papers(papers[:3])  # they fit
        await pilot.pause()
        assert laid_out == []
        assert plist.vertical_scrollbar.window_virtual_size == 3
        assert scrollbar_thumb(plist.vertical_scrollbar, 0) is None
        plist.set_papers(papers)  # and back
        await pilot.pause()
        assert laid_out == []
        assert scrollbar_thumb(plist.vertical_scrollbar, 0) is not None


class FakeGc:
    """What the collector asks of ``gc``, noted: no real collection runs."""

    def __init__(self) -> None:
        self.now = 100.0
        self.done: list[str] = []
        self.frozen = 0
        self.young = 0

    def collector(self) -> IdleCollector:
        c = IdleCollector(
            clock=lambda: self.now,
            collect=lambda: self.done.append("collect"),
            collect_young=lambda: self.done.append("young"),
            freeze=lambda: self.done.append("freeze"),
            thaw=lambda: self.done.append("thaw"),
            frozen=lambda: self.frozen,
        )
        c.young = lambda: self.young  # type: ignore[method-assign]
        return c

    def type_for(self, c: IdleCollector, seconds: float, every: float = 0.1) -> None:
        """Keys ``every`` seconds apart for ``seconds``, garbage made all along."""
        end = self.now + seconds
        while self.now < end:
            self.now += every
            self.young += 1
            c.key()
            c.tick()


def test_the_full_collection_waits_for_a_pause_in_the_keys() -> None:
    g = FakeGc()
    c = g.collector()
    g.type_for(c, collector.LATEST - 1)  # typing at 10 keys a second
    assert g.done == []
    # the keys stop: one full collection once the pause is long enough,
    # and what is alive then is frozen
    g.now += collector.IDLE / 2
    assert not c.tick()
    g.now += collector.IDLE
    assert c.tick() and g.done == ["collect", "freeze"]
    g.now += collector.IDLE * 2
    assert not c.tick()  # nothing made since: nothing to collect
    # typing for longer than LATEST: no full collection while the keys come
    # (it walked what was alive, 5-50 ms a key), a young one and a freeze
    g.done.clear()
    g.type_for(c, collector.LATEST + 0.5)
    assert g.done == ["young", "freeze"]
    g.done.clear()
    g.type_for(c, collector.LATEST * 3)
    assert g.done == ["young", "freeze"] * 3
    # the keys stop: the full collection then walks only what came since
    g.now += collector.IDLE
    assert c.tick() and g.done[-2:] == ["collect", "freeze"]


def test_what_was_frozen_is_thawed_and_collected_once_the_user_is_away() -> None:
    g = FakeGc()
    c = g.collector()
    g.frozen = collector.THAW + 1  # many objects frozen since
    g.young += 1
    g.now += collector.IDLE
    c.tick()
    assert g.done == ["collect", "freeze"]  # a short pause: no thaw (it takes a second)
    g.done.clear()
    g.young += 1
    g.now += collector.AWAY
    assert c.tick() and g.done == ["thaw", "collect", "freeze"]
    g.done.clear()
    g.young += 1
    g.now += collector.AWAY
    assert c.tick() and g.done == ["collect", "freeze"]  # once until THAW more


def test_the_collector_gives_the_thresholds_back() -> None:
    import gc

    before = gc.get_threshold()
    c = IdleCollector()
    c.start()
    assert gc.get_threshold()[2] == collector.NEVER
    assert gc.get_threshold()[:2] == before[:2]
    c.stop()
    assert gc.get_threshold() == before


async def test_the_open_sidebar_counts_its_days_again_off_the_event_loop(
    monkeypatch: Any,
) -> None:
    """A paper marked read with the sidebar open: its day's unread count
    follows, counted in a worker thread (the days of every paper), not on
    the event loop at every paper read."""

    from tests.test_tui import SIZE, make_app, screen_text, until

    counted_on = threads_calling(monkeypatch, views, "library_day_counts")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert "2025-08-19 3 ●3" in screen_text(app)
        await pilot.press("b")  # back to the list, the sidebar stays open
        app.main.sidebar.display = True
        app.main.papers.focus()
        await pilot.pause()
        day = app.main.papers.current.date if app.main.papers.current else ""
        before = [line for line in screen_text(app).splitlines() if f"  {day} " in line]
        assert before
        counted_on.clear()
        await pilot.press("r")  # read
        await until(
            pilot,
            lambda: [ln for ln in screen_text(app).splitlines() if f"  {day} " in ln] != before,
            "the day's unread count follows",
        )
        assert counted_on and "MainThread" not in counted_on


async def test_rows_that_look_the_same_are_not_drawn_again(monkeypatch: Any) -> None:
    """A search whose results begin with the papers shown already (the next
    letter of a word being typed, matching the same words in their titles)
    draws only the rows that changed; the screen shows the new list."""
    from reader.tui.textual_private import screen_strips

    drawn: list[str] = []
    render_row = PaperList._render_row

    def counted(self: PaperList, look: Any) -> Any:
        drawn.append(look.title)
        return render_row(self, look)

    monkeypatch.setattr(PaperList, "_render_row", counted)
    papers = made_up(200)
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        height = plist.scrollable_content_region.height
        plist.set_papers(papers[:100], terms=["paper"])
        await pilot.pause()
        assert len(drawn) == height
        drawn.clear()
        # "pape*" marks the same word of each title: rows 0-4 and 8-11 stay,
        # the others are new papers (the cursor stays on the first row)
        again = papers[:5] + papers[150:153] + papers[8:12] + papers[160:]
        plist.set_papers(again, terms=["pape*"])
        await pilot.pause()
        new = [*range(150, 153), *range(160, 160 + height - 12)]
        assert sorted(drawn) == sorted(f"Made-up paper {i}" for i in new)
        screen = [s.text for s in screen_strips(app.screen)]
        for y in range(height):
            assert f" {again[y].title} " in screen[y]
        # another word marked: every row looks different, every row is drawn
        drawn.clear()
        plist.set_papers(again, terms=["made"])
        await pilot.pause()
        assert len(drawn) == height


async def test_a_key_typed_draws_only_what_changed_on_screen(monkeypatch: Any) -> None:
    """The results of a key typed repaint the list, the count and the box:
    the abstract pane beside the list is drawn once, when it shows the new
    paper (not again with the list's lines), and nothing behind the list
    and the pane (the screen, its containers) is drawn at all. Textual drew
    every widget that met the union of what changed (the box's line at the
    top to the list's bottom: the whole screen) at every search."""
    from textual.widget import Widget

    from tests.test_tui import SIZE, make_app, searched

    drawn: dict[str, int] = {}
    render_lines = Widget.render_lines

    def counted(self: Widget, crop: Any) -> Any:
        name = type(self).__name__
        drawn[name] = drawn.get(name, 0) + crop.height
        return render_lines(self, crop)

    monkeypatch.setattr(Widget, "render_lines", counted)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        pane = app.main.abstract
        for key in "dif":
            drawn.clear()
            await pilot.press(key)
            await searched(pilot, app)
            await pilot.pause()
            assert drawn.get("PaperList", 0) > 0, "the results were drawn"
            assert drawn.get("AbstractPane", 0) <= pane.size.height, drawn
            behind = {n: drawn[n] for n in ("MainScreen", "Horizontal", "Container") if n in drawn}
            assert behind == {}, f"drawn behind the widgets: {behind}"


async def test_results_that_keep_the_scrollbars_look_do_not_repaint_it(
    monkeypatch: Any,
) -> None:
    """Most searches typed list the best 1,000 papers, or about as many: the
    scrollbar's thumb is then the same, and its column is not drawn again
    (Textual repaints the whole bar when the list's height changes); when
    the thumb changes, the bar follows."""
    from textual.scrollbar import ScrollBar

    drawn: list[int] = []
    render = ScrollBar.render

    def counted(self: ScrollBar) -> Any:
        drawn.append(self.window_virtual_size)
        return render(self)

    monkeypatch.setattr(ScrollBar, "render", counted)
    papers = made_up(3_000)
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        bar = plist.vertical_scrollbar
        plist.set_papers(papers[:1000])
        await pilot.pause()
        thumb = scrollbar_thumb(bar, 0)
        assert thumb is not None and thumb == scrollbar_thumb(bar, 0, 990)
        drawn.clear()
        plist.set_papers(papers[5:995])  # another 990 papers: the same thumb
        await pilot.pause()
        assert drawn == []
        assert bar.window_virtual_size == 990 and plist.virtual_size.height == 990
        plist.set_papers(papers[:100])  # a bigger thumb: drawn again
        await pilot.pause()
        assert drawn == [100]
        assert scrollbar_thumb(bar, 0) != thumb and bar.window_virtual_size == 100


def test_a_search_in_flight_holds_the_full_collection() -> None:
    """The keys stop, their search runs on (and then its results are painted):
    no full collection before the answer, and the pause counts from it."""
    g = FakeGc()
    c = g.collector()
    g.type_for(c, 0.3)
    with c.held():
        g.young += 1
        g.now += collector.IDLE * 3  # a slow search, long after the last key
        assert not c.tick() and g.done == []
    assert not c.tick()  # the answer is being painted now
    g.now += collector.IDLE
    assert c.tick() and g.done == ["collect", "freeze"]


async def test_no_full_collection_runs_while_a_keys_results_are_awaited(
    monkeypatch: Any,
) -> None:
    """A key typed, its search slower than the collector's pause (held here
    until the collector has had its chances): no full collection stops the
    app before the results are on screen; one runs at the pause after them."""
    import gc
    import threading
    import time

    from tests.test_tui import SIZE, make_app, searched, until

    ticks: list[float] = []
    tick = IdleCollector.tick

    def noted(self: IdleCollector) -> bool:
        ticks.append(time.monotonic())
        return tick(self)

    monkeypatch.setattr(IdleCollector, "tick", noted)
    app = make_app()
    release = threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        engine = app.searcher
        search = engine.search

        def slow(*a: Any, **kw: Any) -> Any:
            release.wait(30)
            return search(*a, **kw)

        monkeypatch.setattr(engine, "search", slow)
        await pilot.press("d")
        typed = time.monotonic()
        before = app.collector.full_runs
        gc.collect(0)  # garbage made since the last collection: one would be due
        await until(
            pilot,
            lambda: len([t for t in ticks if t - typed > collector.IDLE * 2]) >= 2,
            "the collector ticked twice, past its pause",
        )
        assert app.collector.full_runs == before
        release.set()
        await searched(pilot, app)
        assert app.main.view.kind == "search" and app.main.view.value == "d"
        gc.collect(0)
        await until(pilot, lambda: app.collector.full_runs > before, "a full collection after")


async def test_a_row_made_from_segments_is_the_row_rich_text_made() -> None:
    """The list's rows are put together segment by segment: every look (a
    cut title, wide letters, marks, matches up to and over the cut, tags,
    every width down to the narrowest) gives the very segments and styles
    of the rich ``Text`` path (kept for a list too narrow for its columns)."""
    import random

    from reader.tui.widgets.paper_list import PaperLook

    rng = random.Random(12)
    titles = [
        "Made-up paper",
        "Diffusion models for video generation at scale: a survey of what works",
        "大規模言語モデルの推論 and reasoning with 長い文脈",
        "Emoji 🧪 titles 🔬 and ﬁ ligatures, e\u0301 combining",
        "x",
        "A" * 300,
    ]
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plist = app.query_one(PaperList)
        plist.set_papers(made_up(3))
        await pilot.pause()
        for _ in range(3000):
            title = rng.choice(titles)[: rng.randint(1, 300)]
            spans: list[tuple[int, int]] = []
            at = 0
            while at < len(title) and rng.random() < 0.6:
                start = at + rng.randint(0, 12)
                end = min(len(title), start + rng.randint(1, 9))
                if start < end:
                    spans.append((start, end))
                at = end + 1
            tags = frozenset(
                rng.sample(["cs.lg", "rl", "読む", "a-very-long-tag-name"], rng.randint(0, 3))
            )
            plist.order = rng.choice(["", "upvotes", "newest", "title"])
            look = PaperLook(
                "paper",
                title,
                tuple(spans),
                rng.choice(["", "2025-08-20"]),
                rng.choice([None, 0, 7, 123, 99999]),
                rng.random() < 0.5,
                rng.random() < 0.5,
                rng.random() < 0.5,
                tags,
                rng.random() < 0.3,
                rng.random() < 0.5,
                plist.order,
                rng.randint(1, 200),
                plist.version,
            )
            fast = [(s.text, s.style) for s in plist._render_row(look)]
            text = [(s.text, s.style) for s in plist._render_row_text(look)]
            assert fast == text, look


async def test_a_keys_rows_are_made_in_the_search_thread(monkeypatch: Any) -> None:
    """Which of a search's hits the list shows (its rows) is worked out in
    the search thread with the search, not on the event loop before the
    paint; the list shows them."""

    from reader.session import Session
    from tests.test_tui import SIZE, make_app, rows, searched

    made_on = threads_calling(monkeypatch, Session, "rows_for")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        for key in "diffusion":
            await pilot.press(key)
        await searched(pilot, app)
        assert made_on and "MainThread" not in made_on, made_on
        assert any("iffusion" in r for r in rows(app))


async def test_a_keys_move_is_drawn_before_its_action_returns() -> None:
    """``j``, ``k``, PgDn...: the cursor's rows are drawn by the key's action,
    not at the screen's next tick. While a fetch updates the status line the
    screen draws on its tick grid, and a move waited for the next tick, 15-40
    ms after its key (``app_fetch_bench.py``), with no stall of the loop."""
    from tests.test_tui import SIZE, make_app

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        for action in ("cursor_down", "cursor_down", "cursor_up", "page_down", "first"):
            drawn: list[int] = []
            cursor = screen.papers.cursor  # type: ignore[attr-defined]
            screen.compositor.after_paint(  # type: ignore[attr-defined]
                lambda drawn=drawn: drawn.append(screen.papers.cursor)  # type: ignore[attr-defined]
            )
            getattr(screen, f"action_{action}")()
            moved = screen.papers.cursor  # type: ignore[attr-defined]
            assert moved != cursor, action
            assert drawn == [moved], action  # drawn already, with the cursor moved
            await pilot.pause()
        # and the pane follows (the moves came as a held key's: once they stop)
        for _ in range(100):
            if screen.abstract.paper is screen.papers.current:  # type: ignore[attr-defined]
                break
            await pilot.pause(0.02)
        assert screen.abstract.paper is screen.papers.current  # type: ignore[attr-defined]
