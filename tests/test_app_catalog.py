"""The app over the catalog (issue 13, point 2): its library is read on
demand, the list asks for the rows it draws, and a user sees exactly what
the app shows over papers held in memory.

Each test builds one library twice, from the same digests: read whole into
memory (``use_cache=False``, what the other app tests use) and opened from
the catalog as the app opens it (``lazy``). The same keys go to both apps and
what the screen shows is compared, step by step.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import reader.catalog
from reader.catalog import CatalogPapers
from reader.config import Config
from reader.library import Library, open_library
from reader.model import Paper
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp
from reader.tui.textual_private import screen_strips

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
#: 2025-08-19 12:00 UTC: "the last session".
FROZEN = 1755604800.0
DAYS = ["2025-06-02", "2025-06-03", "2025-06-04", "2025-06-05", "2025-06-06"]


def write_days(folder: Path, per_day: int = 40) -> Path:
    """Five digest days of ``per_day`` papers each (our own words); a few
    papers appear on two days, some carry upvotes."""
    folder.mkdir(parents=True, exist_ok=True)
    for d, day in enumerate(DAYS):
        lines = [f"title: Day {d}\ndate: {day}\npapers:"]
        for i in range(per_day):
            n = d * per_day + i
            lines.append(
                f'  - id: "2506.{n:05d}"\n    title: "Paper {n:03d} on topic {n % 7}"\n'
                f'    abstract: "Words about topic {n % 7} and method {n % 5}."'
                + (f"\n    upvotes: {n % 13}" if d % 2 else "")
            )
        if d:  # yesterday's first paper again
            lines.append(
                f'  - id: "2506.{(d - 1) * per_day:05d}"\n'
                f'    title: "Paper {(d - 1) * per_day:03d} on topic {(d - 1) * per_day % 7}"'
            )
        (folder / f"{day}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def libraries(folder: Path) -> tuple[Library, Library]:
    """(the library read whole into memory, the same opened from the catalog)."""
    paths, config = Paths.from_env(), Config()
    whole = open_library(paths, config, extra=[folder, FIXTURE], use_cache=False)
    open_library(paths, config, extra=[folder, FIXTURE])  # writes the catalog
    lazy = open_library(paths, config, extra=[folder, FIXTURE], lazy=True)
    assert isinstance(lazy.papers, CatalogPapers)
    return whole, lazy


def app_over(library: Library, **kw: Any) -> DigestApp:
    paths = Paths.from_env()
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    # No read mark by the clock: the two apps compared screen by screen would
    # differ by a paper the 3 s timer marked read in one of them only.
    config = Config(read_after_seconds=0)
    session = Session(paths, config, library=library, state=state, **kw)
    return DigestApp(session, clock=lambda: FROZEN)


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many catalog rows were made into papers since the test began."""
    count = [0]
    real = reader.catalog.paper_from_row

    def counting(row: Any, abstract: str) -> Paper:
        count[0] += 1
        return real(row, abstract)

    monkeypatch.setattr(reader.catalog, "paper_from_row", counting)
    yield count


def screen_text(app: DigestApp) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in screen_strips(app.screen)]


def live_papers() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Paper)


async def test_the_list_of_every_paper_reads_only_the_rows_it_draws(
    tmp_path: Path, decoded: list[int]
) -> None:
    """Over the catalog, the first screen of "All papers" reads the rows of
    its window, not every paper (it read all 1,008 before)."""
    _, lazy = libraries(write_days(tmp_path / "lib", per_day=200))
    decoded[0] = 0
    app = app_over(lazy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert any("papers" in line for line in shown[:3])
        first = decoded[0]
        assert 0 < first < len(lazy.papers) // 3
        await pilot.press("G")  # the last paper: its window, not the rows between
        await pilot.pause()
        assert app.main.papers.cursor == len(lazy.papers) - 1
        assert decoded[0] - first < len(lazy.papers) // 3


async def test_the_catalog_keeps_a_bounded_number_of_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walking every paper of the list, and its sorts, leaves no more than
    ``KEPT`` papers alive: the library holds its columns, not its papers."""
    monkeypatch.setattr(reader.catalog, "KEPT", 30, raising=False)
    whole, lazy = libraries(write_days(tmp_path / "lib"))
    total = len(whole.papers)
    del whole
    before = live_papers()
    assert sum(1 for p in lazy.ordered() if p.title) == total
    assert len(list(lazy.papers.values())) == total
    app = app_over(lazy)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("S", "S", "S")  # upvotes, title, newest
        await pilot.press("G", "g")
        await pilot.pause()
        assert live_papers() - before < total // 2


KEYS = [
    ("j", "j", "j"),
    ("G",),
    ("g",),
    ("]",),
    ("[",),
    ("[", "["),
    ("S",),
    ("S",),
    ("S",),
    ("r",),
    ("s",),
    ("R",),
    ("N",),
    ("c",),
    ("a",),
    ("b",),
    ("down", "down", "enter"),
    ("escape", "a"),
]


async def test_the_app_over_the_catalog_shows_what_it_shows_over_papers_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same keys over the same digests, read whole or from the catalog:
    the same screen at every step (rows, day separators, counts, sorts,
    stepping between days, marks, catch-up, the sidebar)."""
    whole, lazy = libraries(write_days(tmp_path / "lib"))
    screens: list[list[list[str]]] = []
    for n, library in enumerate((whole, lazy)):
        # each app starts as the first one did: no state, no last session
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / f"data{n}"))
        app = app_over(library)
        seen: list[list[str]] = []
        async with app.run_test(size=(110, 36)) as pilot:
            await pilot.pause()
            seen.append(screen_text(app))
            for keys in KEYS:
                await pilot.press(*keys)
                await pilot.pause()
                seen.append(screen_text(app))
        screens.append(seen)
    for step, (a, b) in enumerate(zip(*screens, strict=True)):
        assert a == b, f"after {KEYS[step - 1] if step else 'start'}"


def test_a_search_shows_its_hits_as_rows_read_on_demand(tmp_path: Path, decoded: list[int]) -> None:
    """The app's search results are the hits' ids: a row is read when the
    list draws it, not the best 1,000 at once."""
    _, lazy = libraries(write_days(tmp_path / "lib", per_day=300))
    session = Session(Paths.from_env(), Config(), library=lazy)
    result = session.search("topic")
    assert result.total > 1000
    decoded[0] = 0
    rows = session.rows_for(result.hits)
    assert len(rows) == len(result.hits) and decoded[0] == 0
    assert rows[0].id == result.hits[0].id
    assert decoded[0] < 300
    assert [p.id for p in session.papers_for(result.hits[:5])] == [h.id for h in result.hits[:5]]


def test_the_catalog_sorts_a_list_as_the_papers_sort(tmp_path: Path, decoded: list[int]) -> None:
    """Every paper, and each day, by upvotes and by title: the catalog's
    order (no row read) is the one the papers themselves sort into."""
    from reader import views

    whole, lazy = libraries(write_days(tmp_path / "lib"))
    for how in ("upvotes", "title"):
        decoded[0] = 0
        got = views.sort_papers(lazy.ordered(), how)
        assert decoded[0] == 0
        assert list(getattr(got, "ids", [])) == [
            p.id for p in views.sort_papers(whole.ordered(), how)
        ]
        for day in whole.days():
            assert [p.id for p in views.sort_papers(lazy.on_day(day), how)] == [
                p.id for p in views.sort_papers(whole.on_day(day), how)
            ], (how, day)


async def test_a_remembered_source_is_counted_off_the_event_loop(tmp_path: Path) -> None:
    """Over the catalog a source's papers are known only by reading every row
    (seconds at 100k papers): the sidebar opens with its days at once and
    the source's count comes from a worker; choosing it lists its papers."""
    import time

    from reader.library import papers_from, remember_sources

    folder = write_days(tmp_path / "lib")
    whole, lazy = libraries(folder)
    remember_sources(Paths.from_env(), [folder])
    app = app_over(lazy)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("b")
        deadline = time.monotonic() + 30
        want = f"lib {len(papers_from(whole, folder))}"
        while not any(want in line for line in screen_text(app)):
            assert time.monotonic() < deadline, "the source was never counted"
            await pilot.pause(0.05)
        assert any(f"{DAYS[-1]} 41" in line for line in screen_text(app))
        app.main.apply_entry(app.main.sidebar.entries[f"source:{folder}"])
        await pilot.pause()
        assert len(app.main.view.papers) == len(papers_from(whole, folder))


async def test_the_first_screen_lists_the_newest_then_every_paper(tmp_path: Path) -> None:
    """As the app opens its library (``partial`` over the catalog): the first
    screen lists the newest papers' ids (the list of every id is read after
    it, 2 s at 1M papers), then every paper, the cursor on its paper."""
    import time

    folder = write_days(tmp_path / "lib", per_day=200)
    whole, _ = libraries(folder)
    paths = Paths.from_env()
    session = Session(paths, Config(), extra=[folder, FIXTURE], partial=True, lazy_library=True)
    first = session.read_library()
    assert not first.complete and len(first.ordered()) == 300
    assert views_parts(first) == ["300 newest papers", f"reading {len(whole.papers):,}…"]
    app = DigestApp(session, clock=lambda: FROZEN)
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("j", "j")
        deadline = time.monotonic() + 30
        while not app.library.complete or len(app.main.view.papers) != len(whole.papers):
            assert time.monotonic() < deadline, "the rest was never read"
            await pilot.pause(0.05)
        assert app.main.papers.cursor == 2
        assert app.main.papers.current.id == whole.ordered()[2].id  # type: ignore[union-attr]
        assert f"{len(whole.papers):,} papers" in screen_text(app)[0]


def views_parts(library: Library) -> list[str]:
    from reader import views

    return [text for _, text in views.library_parts(library)]


BEHIND = """\
title: Added behind the app's back
date: 2026-11-30
papers:
  - id: 2611.09999
    title: Wombat Gradients Arrive Without a Restart
    authors: [Test Author]
    abstract: Our own words, for the reload over the catalog.
"""


@pytest.mark.parametrize("change", ["added", "changed"])
async def test_a_reload_over_the_catalog_takes_in_the_new_papers_and_reads_on(
    tmp_path: Path, change: str
) -> None:
    """Ctrl+R over the app's library in the catalog: a file added (the
    catalog updated in place) or a file changed (its papers merged again)
    shows the new paper, ``w`` lists it, and the library is still read from
    the catalog afterwards (the papers read for the update let go)."""
    import time

    folder = write_days(tmp_path / "lib", per_day=100)
    whole, _ = libraries(folder)
    paths = Paths.from_env()
    session = Session(paths, Config(), extra=[folder, FIXTURE], partial=True, lazy_library=True)
    session.read_library()
    app = DigestApp(session, clock=lambda: FROZEN)
    app.library_extra = [folder, FIXTURE]
    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        deadline = time.monotonic() + 30
        while not app.library.complete:
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        if change == "added":
            (folder / "2026-11-30.yaml").write_text(BEHIND, encoding="utf-8")
        else:
            day = folder / f"{DAYS[0]}.yaml"
            day.write_text(day.read_text(encoding="utf-8") + BEHIND.split("papers:\n")[1])
        await pilot.press("ctrl+r")
        while len(app.library.papers) != len(whole.papers) + 1:
            assert time.monotonic() < deadline, "the new file was never read"
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        await pilot.press("w")
        await pilot.pause()
        assert [p.id for p in app.main.view.papers] == ["2611.09999"]
        assert isinstance(app.library.papers, CatalogPapers)
        await pilot.press("a")
        await pilot.pause()
        assert len(app.main.view.papers) == len(whole.papers) + 1


def test_rows_read_on_demand_outlive_a_catalog_lost_midway(tmp_path: Path) -> None:
    """The catalog deleted under a running app (a user clearing the cache):
    the list's rows, a day, the sorts and the day counts come from the
    digests from then on, the same as before."""
    from reader import views

    whole, lazy = libraries(write_days(tmp_path / "lib"))
    rows = lazy.ordered()
    first = [p.id for p in rows[:5]]
    assert isinstance(lazy.papers, CatalogPapers)
    lazy.papers.catalog.remove()
    assert rows[len(rows) - 1].id == whole.ordered()[-1].id
    assert [p.id for p in rows[:5]] == first
    assert lazy.papers.rescued
    by_votes = views.sort_papers(rows, "upvotes")
    assert [p.id for p in by_votes] == [p.id for p in views.sort_papers(whole.ordered(), "upvotes")]
    assert lazy.day_sizes() == whole.day_sizes()
    assert [p.id for p in lazy.on_day(DAYS[2])] == [p.id for p in whole.on_day(DAYS[2])]


def test_the_best_thousand_of_a_typed_search_are_ranked_without_reading_their_rows(
    tmp_path: Path, decoded: list[int]
) -> None:
    """Over the catalog with the index current and the columns warm (the
    app), ranking the best 1,000 of a text query reads no paper: equal
    scores are put newer first, then by id, from the columns. Before, each
    hit's row was read for its day (a block each: 0.2-0.4 s a typed key over
    the real digests). The order is the one the papers themselves give."""
    from reader.search.index import SearchIndex

    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=300))
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(lazy.papers, version=lazy.version)  # as the app's session does
    app_like = Session(Paths.from_env(), Config(), library=lazy, index=index)
    app_like.searcher.warm()
    decoded[0] = 0
    result = app_like.searcher.search("topic method", limit=1000)
    assert len(result.hits) == 1000
    assert decoded[0] == 0  # no row read to rank them
    in_memory = Session(Paths.from_env(), Config(), library=whole, index=index)
    assert result.ids == in_memory.searcher.search("topic method", limit=1000).ids


async def test_a_page_down_finds_its_rows_drawn_ahead_and_shows_what_it_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a move, while the user reads, the list draws and styles the
    page beyond the screen (``PaperList.draw_ahead``): the next PgDn works
    out its rows' looks and draws its cursor row alone (it drew every row
    of the page, 6-10 ms of the key at 1M papers, up to 18). What it shows is
    what a list that draws nothing ahead shows, style for style."""
    from textual._styles_cache import StylesCache

    from reader.tui.textual_private import RowStylesCache
    from reader.tui.widgets.paper_list import PaperList

    _, lazy = libraries(write_days(tmp_path / "lib", per_day=200))

    async def pages(count: dict[str, int] | None) -> list[list[tuple[str, Any]]]:
        app = app_over(lazy)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(3):
                await pilot.press("pagedown")
                await pilot.pause()
            if count is not None:
                count.clear()
                app.main.action_page_down()  # the key's own work, counted alone
                assert count["rows"] <= 2 and count["styled"] <= 4, count
                count["checked"] = 1
                await pilot.pause()
            else:
                await pilot.press("pagedown")
                await pilot.pause()
            assert app.main.papers.cursor > 3 * app.main.papers.page
            return [[(s.text, s.style) for s in strip] for strip in screen_strips(app.screen)]

    count: dict[str, int] = {}
    render_row, styled = PaperList._render_row, StylesCache.render_line

    def counted_row(self: PaperList, look: Any) -> Any:
        count["rows"] = count.get("rows", 0) + 1
        return render_row(self, look)

    def counted_style(self: StylesCache, *args: Any, **kw: Any) -> Any:
        if isinstance(self, RowStylesCache):  # the list's lines
            count["styled"] = count.get("styled", 0) + 1
        return styled(self, *args, **kw)

    monkeypatch.setattr(PaperList, "_render_row", counted_row)
    monkeypatch.setattr(StylesCache, "render_line", counted_style)
    ahead = await pages(count)
    assert count.get("checked") == 1
    monkeypatch.setattr(PaperList, "draw_ahead", lambda self: None)
    assert await pages(None) == ahead
