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
from reader.tui.widgets.paper_list import PaperList

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

    def counted(self: PaperList, row: int, width: int) -> Any:
        drawn.append(row)
        return render_row(self, row, width)

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


def test_the_full_collection_waits_for_a_pause_in_the_keys(monkeypatch: Any) -> None:
    now = [100.0]
    runs: list[float] = []
    young = [0]
    c = IdleCollector(clock=lambda: now[0], collect=lambda: runs.append(now[0]))
    monkeypatch.setattr(c, "young", lambda: young[0])
    # typing: a key every 0.1 s for 20 s, garbage made all along
    t = 0.0
    while t < 20.0:
        now[0] = 100.0 + t
        young[0] += 1
        c.key()
        c.tick()
        t += 0.1
    assert runs == []
    # the keys stop: one full collection, once the pause is long enough
    now[0] += collector.IDLE / 2
    assert not c.tick()
    now[0] += collector.IDLE
    assert c.tick() and len(runs) == 1
    now[0] += collector.IDLE * 2
    assert not c.tick()  # nothing made since: nothing to collect
    # typing for longer than LATEST: one collection at the latest then
    start = now[0]
    while now[0] - start < collector.LATEST + 1:
        now[0] += 0.1
        young[0] += 1
        c.key()
        c.tick()
    assert len(runs) == 2


def test_the_collector_gives_the_thresholds_back() -> None:
    import gc

    before = gc.get_threshold()
    c = IdleCollector()
    c.start()
    assert gc.get_threshold()[2] == collector.NEVER
    assert gc.get_threshold()[:2] == before[:2]
    c.stop()
    assert gc.get_threshold() == before
