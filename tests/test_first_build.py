"""A search typed while the first index builds, over the library as the app
holds it then: the catalog's papers, read as they are asked for.

Found by a new user on the real digests (91,714 papers): a query typed
during the first build never showed, even after the build had ended. The
search thread was scanning the papers the index did not hold yet one
``CatalogPapers.__getitem__`` at a time (a query and a block each: over
three minutes), and the check of what the index holds hashed every paper of
a library opened partial over the catalog (78 s), its version unknown."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reader.catalog import BLOCK_ROWS, Catalog, CatalogPapers
from reader.config import Config
from reader.library import SNAPSHOT_HEAD, open_library
from reader.paths import Paths
from reader.search.engine import SearchEngine
from reader.search.index import SearchIndex
from tests.test_app_catalog import write_days
from tests.test_first_open import SIZE, until
from tests.test_tui import screen_text


class Counted:
    """Counts the catalog's queries and the papers read one by one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queries = 0
        self.one_by_one = 0
        real_query, real_item = Catalog._query, CatalogPapers.__getitem__

        def query(cat: Catalog, *args: Any, **kwargs: Any) -> Any:
            self.queries += 1
            return real_query(cat, *args, **kwargs)

        def item(papers: CatalogPapers, pid: str) -> Any:
            self.one_by_one += 1
            return real_item(papers, pid)

        monkeypatch.setattr(Catalog, "_query", query)
        monkeypatch.setattr(CatalogPapers, "__getitem__", item)

    def zero(self) -> None:
        self.queries = self.one_by_one = 0


def test_a_scan_over_the_catalog_reads_its_papers_a_chunk_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Papers the index does not hold yet are scanned from the catalog in a
    few queries a chunk, not one paper (and one query) each; the answer is
    the one over the same papers held in memory."""
    folder = write_days(tmp_path / "lib", per_day=600)
    paths = Paths.from_env()
    whole = open_library(paths, Config(), extra=[folder], use_cache=False)
    open_library(paths, Config(), extra=[folder])  # writes the catalog
    lazy = open_library(paths, Config(), extra=[folder], lazy=True)
    assert isinstance(lazy.papers, CatalogPapers) and len(lazy.papers) > 2900
    counted = Counted(monkeypatch)
    engine = SearchEngine(lazy, None, None)  # no index yet: every paper scanned
    engine.search("").total  # noqa: B018 - the columns, made apart
    counted.zero()
    got = engine.search("topic method", limit=20)
    expected = SearchEngine(whole, None, None).search("topic method", limit=20)
    assert got.exact and got.total == expected.total == len(whole.papers) == 3000
    assert got.ids == expected.ids
    assert counted.one_by_one == 0  # 3,000 before
    # a block each 16 papers (BLOCK_ROWS) and a few key queries a chunk of
    # 1,024 (before: a key query for each paper too, 3,188 in all)
    assert counted.queries <= 3000 // BLOCK_ROWS + 12


def test_the_index_of_a_partial_library_over_the_catalog_is_known_current_by_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app opens the catalog partial (its newest papers listed first):
    every paper is there all the same, so a search then asks the index
    whether it holds these files, and hashes no paper (it hashed each one,
    reading it from the catalog: 78 s at 90k papers)."""
    folder = write_days(tmp_path / "lib", per_day=100)
    paths = Paths.from_env()
    index = SearchIndex(tmp_path / "index")
    full = open_library(paths, Config(), extra=[folder])
    assert len(full.papers) > SNAPSHOT_HEAD
    index.sync(full.papers, version=full.version)
    part = open_library(paths, Config(), extra=[folder], partial=True, lazy=True)
    assert not part.complete and isinstance(part.papers, CatalogPapers)
    hashed = [0]
    real_hash = SearchIndex._hash

    def counting(self: SearchIndex, *args: Any, **kwargs: Any) -> str:
        hashed[0] += 1
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(SearchIndex, "_hash", counting)
    counted = Counted(monkeypatch)
    engine = SearchEngine(part, None, index)
    assert engine.pending_ids() == set()
    got = engine.search("topic", limit=10)
    assert got.exact and got.scanned == 0 and got.total == len(full.papers)
    assert hashed[0] == 0  # 500 before
    assert counted.one_by_one == 0


class HeldBuild:
    """The app over a new library whose first read is done and taken in
    (``taken``) while its first index build waits for ``release``."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from reader.tui.app import DigestApp

        folder = write_days(tmp_path / "lib", per_day=600)
        self.taken = threading.Event()
        self.release = threading.Event()
        real_build, real_done = SearchIndex._build, DigestApp.on_first_read_done
        release, taken = self.release, self.taken

        def held_build(index: SearchIndex, *args: Any, **kwargs: Any) -> Any:
            assert release.wait(60), "the test never let the build go"
            return real_build(index, *args, **kwargs)

        def done(app: DigestApp, message: Any) -> None:
            real_done(app, message)
            taken.set()

        monkeypatch.setattr(SearchIndex, "_build", held_build)
        monkeypatch.setattr(DigestApp, "on_first_read_done", done)
        self.folder = folder

    def app(self) -> Any:
        from reader.tui.app import build_app

        app = build_app(paths=Paths.from_env(), config=Config(library=[self.folder]))
        app.read_refresh = 0.0
        return app


async def test_a_query_typed_during_the_first_build_shows_then_counts_exactly_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read is done and its catalog taken in while the index is
    still being built (held here until the query is on screen): the query
    answers over the catalog's papers (their rows read a chunk at a time),
    its count "about"; once the build ends the same query shows its exact
    count."""
    import reader.tui.app

    held = HeldBuild(tmp_path, monkeypatch)
    # The scan stops after its first chunk of 1,024: the count is "about"
    # until the index answers (at 3,000 papers, 0.12 s would scan them all).
    monkeypatch.setattr(reader.tui.app, "SCAN_BUDGET", 0.0)
    monkeypatch.setattr(reader.tui.app, "TYPED_SCAN_BUDGET", 0.0)
    counted = Counted(monkeypatch)
    app = held.app()

    def shown() -> str:
        return screen_text(app)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, held.taken.is_set, tries=600)
            assert isinstance(app.library.papers, CatalogPapers)
            counted.zero()
            await pilot.press("slash", *"topic method")
            await until(pilot, lambda: "Search: topic method · best 1,000 of about" in shown(), 600)
            assert counted.one_by_one < 50  # the rows shown (3,000 before: every paper)
            held.release.set()
            await until(pilot, lambda: "topic method · best 1,000 of 3,000 papers" in shown(), 600)
    finally:
        held.release.set()


async def test_a_key_typed_during_the_first_build_scans_for_less_than_enter_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the index builds, a key's search scans for less time than the
    next key takes to come (``TYPED_SCAN_BUDGET``): its results are shown,
    the count "about", and Enter then scans for its own, longer budget
    (here as long as it needs: the count exact). Over the real digests every
    key's scan ran to Enter's deadline, the next key cancelled it, and no
    key's results were shown until typing stopped."""
    import reader.tui.app

    held = HeldBuild(tmp_path, monkeypatch)
    monkeypatch.setattr(reader.tui.app, "SCAN_BUDGET", 30.0)  # Enter: every paper
    monkeypatch.setattr(reader.tui.app, "TYPED_SCAN_BUDGET", 0.0)  # a key: a chunk
    app = held.app()

    def shown() -> str:
        return screen_text(app)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, held.taken.is_set, tries=600)
            await pilot.press("slash", *"topic method")
            await until(pilot, lambda: "Search: topic method · best 1,000 of about" in shown(), 600)
            await pilot.press("enter")
            await until(pilot, lambda: "topic method · best 1,000 of 3,000 papers" in shown(), 600)
            assert not held.release.is_set()  # still building: the scan counted them all
    finally:
        held.release.set()


async def test_a_big_folder_added_to_a_small_cached_library_is_read_behind_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached library (the samples, a few days) and then a folder much
    bigger in the config: the app opens at once and reads every file behind
    it, as on an empty cache, instead of updating the catalog before its
    first screen (~100 s of "reading digests 1/40" for the real digests).
    A small addition (a fetched day) is an update as before."""
    import reader.library
    from reader.library import needs_first_read
    from reader.tui.app import build_app
    from tests.test_tui import FIXTURE

    paths = Paths.from_env()
    open_library(paths, Config(library=[FIXTURE]))  # the small library, cached
    big = write_days(tmp_path / "big", per_day=300)
    config = Config(library=[FIXTURE, big])
    assert not needs_first_read(paths, config)  # under FIRST_READ_BYTES: an update
    monkeypatch.setattr(reader.library, "FIRST_READ_BYTES", 1024)
    assert needs_first_read(paths, config)
    assert not needs_first_read(paths, Config(library=[FIXTURE]))  # nothing new
    app = build_app(paths=paths, config=config, build_index=False)
    assert app.library.reading is not None  # no digest read before the app
    app.read_refresh = 0.0
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.library.complete and "1,508 papers" in screen_text(app), 600)
    assert not needs_first_read(paths, config)  # the catalog holds them all now
