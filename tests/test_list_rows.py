"""The list draws a paper's title, day and upvotes from the catalog's key
rows (issue 12, point 2): a search's results are scattered over the
catalog's blocks, and decompressing a block for each row on screen was most
of a typed key's paint. The whole paper is read for the cursor alone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import reader.catalog as catalog
from reader.catalog import CatalogPapers
from reader.model import Paper
from reader.paper_rows import PaperRows, list_row
from reader.paths import Paths
from reader.search.index import SearchIndex
from reader.tui.widgets.abstract import AbstractPane
from tests.test_app_catalog import app_over, libraries, screen_text, write_days


def test_list_rows_are_what_the_papers_say_without_a_block(tmp_path: Path) -> None:
    """Title, latest day and upvotes as the paper has them, any string and
    any number (the upvotes column is clamped: such a row is read whole)."""
    cat = catalog.Catalog(tmp_path / "c.sqlite", "v")
    odd = Paper(id="t:odd", title="Odd \udcff $x^2$", dates=["2025-08-20"], upvotes=2**70)
    plain = Paper(id="2508.00001", title="Plain", dates=["2025-08-19", "2025-08-21"])
    voted = Paper(id="2508.00002", title="Voted", dates=["2025-08-21"], upvotes=-3)
    cat.write({"key": "k", "count": 3}, lambda: [plain, odd, voted])
    read = cat.blocks_read
    rows = cat.list_rows([odd.id, plain.id, voted.id, "missing"])
    assert rows == {
        plain.id: ("Plain", "2025-08-21", None),
        voted.id: ("Voted", "2025-08-21", -3),
        odd.id: ("Odd \udcff $x^2$", "2025-08-20", 2**70),
    }
    assert cat.blocks_read - read == 1  # the clamped one's row, no other
    # the papers themselves still read back whole, their titles from the key rows
    assert cat.get([odd.id, plain.id, voted.id]) == {p.id: p for p in (odd, plain, voted)}
    assert sorted(p.id for p in cat.stream()) == sorted([odd.id, plain.id, voted.id])


def test_rows_over_the_catalog_read_no_paper(tmp_path: Path) -> None:
    """A list of ids over the catalog draws its rows from the key rows, a
    window at a time; only the paper asked for is made."""
    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=100))
    papers = lazy.papers
    assert isinstance(papers, CatalogPapers)
    ids = list(reversed([p.id for p in whole.ordered()]))
    rows = PaperRows(ids, papers)
    made, blocks = papers.rows_read, papers.catalog.blocks_read
    for i in range(len(ids)):
        p = whole.papers[ids[i]]
        assert list_row(rows, i) == (p.id, p.title, p.date, p.upvotes)
    assert papers.rows_read == made and papers.catalog.blocks_read == blocks
    assert rows[3] == whole.papers[ids[3]]
    assert papers.rows_read == made + 1


async def test_a_typed_search_paints_its_rows_without_reading_their_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search typed into the box: the screen shows its results' titles
    with no catalog block decompressed for them (it took one per row of the
    window, ~40 here); the only papers read whole are those the abstract
    pane showed (the cursor's, once a search's results are on screen)."""
    shown_in_pane: list[str] = []
    show = AbstractPane.show

    def noted(self: AbstractPane, paper: Paper | None, *a: Any, **kw: Any) -> None:
        if paper is not None:
            shown_in_pane.append(paper.id)
        show(self, paper, *a, **kw)

    monkeypatch.setattr(AbstractPane, "show", noted)
    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=300))
    papers = lazy.papers
    assert isinstance(papers, CatalogPapers)
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(whole.papers)  # as the app finds it after its first start
    index.close()
    app = app_over(lazy, index_folder=Paths.from_env().index_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 60
        await pilot.pause(0.5)  # the index is checked (here: built) after the first paint
        while any(not w.is_finished for w in app.workers if w.group in ("index", "library")):
            assert time.monotonic() < deadline, "the index was never built"
            await pilot.pause(0.05)
        await pilot.pause()
        blocks, made = papers.catalog.blocks_read, papers.rows_read
        shown_in_pane.clear()
        await pilot.press("/", *"topic 3")
        deadline = time.monotonic() + 30
        while app.main.view.value != "topic 3":
            assert time.monotonic() < deadline, "the results never came"
            await pilot.pause(0.02)
        await pilot.pause()
        shown = screen_text(app)
        view = app.main.view
        assert view.kind == "search" and len(view.papers) > 100
        first = whole.papers[view.papers.ids[0]]  # type: ignore[attr-defined]
        assert any(first.title in line for line in shown)
        # every row on screen is a result, drawn from its key row
        titles = {whole.papers[pid].title for pid in view.papers.ids[:30]}  # type: ignore[attr-defined]
        assert sum(1 for line in shown if any(t in line for t in titles)) >= 30
        deadline = time.monotonic() + 30
        while app.main.abstract.paper is None or app.main.abstract.paper.id != first.id:
            assert time.monotonic() < deadline, "the pane never showed the cursor's paper"
            await pilot.pause(0.02)
        await pilot.pause()
        assert papers.catalog.blocks_read - blocks <= len(set(shown_in_pane))
        assert papers.rows_read - made <= len(set(shown_in_pane))


def test_list_rows_outlive_a_catalog_lost_midway(tmp_path: Path) -> None:
    """The catalog deleted under a running app: the list's rows come from
    the digests from then on, the same as before."""
    whole, lazy = libraries(write_days(tmp_path / "lib"))
    rows = lazy.ordered()
    assert isinstance(lazy.papers, CatalogPapers)
    before = [list_row(rows, i) for i in range(3)]
    lazy.papers.catalog.remove()
    last = len(rows) - 1
    p = whole.ordered()[last]
    assert list_row(rows, last) == (p.id, p.title, p.date, p.upvotes)
    assert lazy.papers.rescued
    assert [list_row(rows, i) for i in range(3)] == before


def test_a_list_of_many_days_finds_its_separators_without_reading_its_papers(
    tmp_path: Path,
) -> None:
    """A search's results sorted by day are drawn with a separator above
    each day: the days come from the key rows, not from each paper's block
    (over the real digests a thousand results read some 1,100 blocks on the
    event loop, 60-160 ms a typed key)."""
    from reader.views import day_rows

    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=100))
    papers = lazy.papers
    assert isinstance(papers, CatalogPapers)
    ordered = whole.ordered()
    ids = [p.id for p in ordered][::7]  # scattered, in list order
    rows = PaperRows(ids, papers)  # no dates known: a search's results
    blocks = papers.catalog.blocks_read
    got = day_rows(rows)
    assert papers.catalog.blocks_read == blocks
    assert got is not None
    assert [(r.day, r.count) for r in got.runs] == [
        (r.day, r.count)
        for r in day_rows([whole.papers[i] for i in ids]).runs  # type: ignore[union-attr]
    ]
    assert len(got.runs) > 1
