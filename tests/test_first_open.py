"""A first open (nothing in the cache): the app is up at once, the papers
come in as the digests are read, and what the user does meanwhile is kept.

The read is made slow on purpose: the biggest digest's parser waits on an
event the test sets, so every assertion "before the end" is about a read
that has not ended, with no timing involved."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import reader.library as library
from reader.config import Config
from reader.library import Library, needs_first_read, open_library
from reader.model import Digest
from reader.paths import Paths
from reader.reading import SoFar
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp, build_app
from tests.test_tui import FIXTURE, screen_text

SIZE = (160, 40)

#: A bigger digest than the three of FIXTURE: read last, and held back.
BIG = """\
title: A slow digest
date: 2025-07-01
papers:
""" + "".join(
    f"""  - id: "2507.0{n:04d}"
    title: "Held Back Paper Number {n}"
    authors: [Test Author]
    abstract: "A paper of the slow file, about {"lattice gauge" if n == 7 else "other"} things."
"""
    for n in range(1, 31)
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A library folder: the three small days of FIXTURE and the big file."""
    lib = tmp_path / "digests"
    shutil.copytree(FIXTURE, lib)
    (lib / "2025-07-01-big.yaml").write_text(BIG, encoding="utf-8")
    return lib


class Gate:
    """Holds the parse of the big file until :meth:`open` (or the test ends)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reached = threading.Event()

    def open(self) -> None:
        self.event.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    real_load = library.load_path

    def slow_load(path: Any, *args: Any, **kwargs: Any) -> list[Digest]:
        if str(path).endswith("-big.yaml"):
            held.reached.set()
            assert held.event.wait(30), "the test never opened the gate"
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(library, "load_path", slow_load)
    yield held
    held.open()  # a test that failed midway leaves no thread waiting


def first_app(folder: Path) -> DigestApp:
    app = build_app(paths=Paths.from_env(), config=Config(library=[folder]), build_index=False)
    app.read_refresh = 0.0  # every digest posts its list: no timing in the tests
    return app


def read_ends(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set when the app's first read (``Session.read_first``) ends,
    however it ends."""
    ended = threading.Event()
    real_read = Session.read_first

    def read_first(self: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return real_read(self, *args, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(Session, "read_first", read_first)
    return ended


async def until(pilot: Any, ready: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if ready():
            return
        await pilot.pause(0.05)
    assert ready()


async def test_the_app_is_up_before_the_read_ends_with_the_small_files_listed(
    folder: Path, gate: Gate
) -> None:
    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, gate.reached.is_set)
        # the three small days are read, the big file is not: they are listed.
        # The list of the third day ("8 papers", still "reading digests 2/4")
        # comes before the step to the held file ("3/4"): wait for the last
        # one the gate lets through, which stays until the gate opens.
        await until(pilot, lambda: "reading digests 3/4" in screen_text(app))
        text = screen_text(app)
        assert "8 papers" in text
        assert "Tokenizer-Free Language Models" in text
        assert "Held Back Paper" not in text
        assert needs_first_read(app.paths)  # nothing written yet
        gate.open()
        await until(pilot, lambda: "38 papers · 4 days" in screen_text(app))
        assert "reading digests" not in screen_text(app)
        assert not needs_first_read(app.paths)  # the catalog is written


async def test_a_star_and_a_read_mark_made_during_the_read_are_kept(
    folder: Path, gate: Gate
) -> None:
    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.main.papers.papers) == 8)
        paper = app.main.papers.current
        assert paper is not None
        await pilot.press("s")  # star
        await pilot.press("j", "r")  # the next one: read
        second = app.main.papers.current
        assert second is not None
        gate.open()
        await until(pilot, lambda: app.library.complete and len(app.library.papers) == 38)
        await pilot.pause()
        assert app.state.get(paper.id).starred
        assert app.state.get(second.id).read
        assert app.main.papers.current is not None
        assert app.main.papers.current.id == second.id  # the cursor stayed on its paper
    again = StateStore(Paths.from_env().state_file)
    again.load()
    assert again.get(paper.id).starred and again.get(second.id).read


async def test_a_search_during_the_read_answers_over_what_is_read(folder: Path, gate: Gate) -> None:
    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.main.papers.papers) == 8)
        await pilot.press("slash", *"retrieval")
        await until(pilot, lambda: app.main.view.kind == "search")
        await until(pilot, lambda: "about 1 paper" in screen_text(app))
        assert "Efficient Retrieval-Augmented" in screen_text(app)
        await pilot.press("ctrl+a", "ctrl+k", *"lattice")  # only in the held-back file
        await until(pilot, lambda: "No papers match" in screen_text(app))
        gate.open()
        # the same search, run again over the whole library: found, exact
        await until(pilot, lambda: "Held Back Paper Number 7" in screen_text(app))
        await until(pilot, lambda: "reading" not in screen_text(app).split("\n")[0])
        await until(pilot, lambda: "Search: lattice · 1 paper" in screen_text(app))


async def test_quitting_during_the_read_writes_no_cache(
    folder: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = read_ends(monkeypatch)
    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, gate.reached.is_set)
        worker = next(w for w in app.workers if w.group == "library")

        def release() -> None:  # once the quit has cancelled the read
            while not worker.is_cancelled:
                threading.Event().wait(0.01)
            gate.open()

        threading.Thread(target=release, daemon=True).start()
        await pilot.press("q")
    assert ended.wait(30)
    assert needs_first_read(Paths.from_env())  # nothing written: the next open reads again
    assert app.return_code in (None, 0)


def test_a_warm_start_opens_the_app_with_its_papers(folder: Path) -> None:
    paths = Paths.from_env()
    open_library(paths, Config(library=[folder]))  # an earlier run wrote the catalog
    app = build_app(paths=paths, config=Config(library=[folder]))
    assert app.library.reading is None
    assert len(app.library.papers) > 0


def test_the_library_of_a_first_read_is_the_library_of_a_whole_read(folder: Path) -> None:
    """The files are read smallest first, merged in file order all the same;
    what is shown meanwhile leaves no trace in it."""
    paths = Paths.from_env()
    config = Config(library=[folder])
    seen: list[str] = []
    so_far = SoFar()

    def sink(path: Path, digest: Digest) -> None:
        seen.append(path.name)
        so_far.add(digest)
        so_far.library().ordered()

    first = Session(paths, config, partial=False).read_first(sink)
    assert seen[-1] == "2025-07-01-big.yaml"  # the biggest last, not in name order
    whole = open_library(paths, config, use_cache=False)
    assert [p.id for p in first.load_rest().ordered()] == [p.id for p in whole.ordered()]
    assert {pid: p for pid, p in first.load_rest().papers.items()} == dict(whole.papers)
    assert so_far.count == len(whole.papers)


def test_a_paper_in_two_digests_is_merged_into_a_copy_while_shown(tmp_path: Path) -> None:
    one = Digest("a.yaml", "native", date="2025-01-01")
    two = Digest("b.yaml", "native", date="2025-01-02")
    from reader.model import Paper

    first = Paper(id="2501.00001", title="A Paper")
    one.papers = [first]
    two.papers = [Paper(id="2501.00001", title="A Paper", tags=["new"])]
    so_far = SoFar()
    so_far.add(one)
    so_far.add(two)
    shown = so_far.library().papers["2501.00001"]
    assert shown.dates == ["2025-01-01", "2025-01-02"] and shown.tags == ["new"]
    assert first.dates == ["2025-01-01"] and first.tags == []  # the one read, untouched


def test_a_session_over_a_fresh_cache_needs_a_first_read(folder: Path) -> None:
    paths = Paths.from_env()
    session = Session(paths, Config(library=[folder]))
    assert session.needs_first_read()
    session.read_library()
    assert not Session(paths, Config(library=[folder])).needs_first_read()


def test_a_status_line_of_a_first_read_says_how_far(folder: Path) -> None:
    from reader.views import library_parts

    so_far = SoFar()
    so_far.at(6, 40, str(folder / "2025-08-18.yaml"))
    assert [t for _k, t in library_parts(so_far.library())] == ["reading digests 6/40", "0 papers"]
    big = folder / "a-very-long-name-of-a-big-archive-2025.tar.gz"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    so_far.at(39, 40, str(big))
    parts = library_parts(so_far.library())
    assert parts[1] == ("file", "a-very-long-name-of-a-big-a…")
    so_far.at(40, 40, "")
    assert library_parts(so_far.library())[0] == ("reading", "40 digests read, storing them…")


def test_a_large_files_name_reaches_the_status_line_without_its_escapes(folder: Path) -> None:
    """A file name may hold a terminal escape: the status line shows it
    cleaned, as every other text from outside."""
    from reader.views import library_parts

    big = folder / "big\x1b]0;owned\x07.jsonl"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    so_far = SoFar()
    so_far.at(1, 2, str(big))
    name = dict(library_parts(so_far.library()))["file"]
    assert "\x1b" not in name and "\x07" not in name and name.startswith("big")


def test_the_lists_of_a_read_so_far_are_in_the_library_order(folder: Path) -> None:
    """Each list is the last one with the new papers merged in: the same
    order as sorting them all."""
    so_far = SoFar()
    for f in sorted(folder.iterdir()):
        for digest in library.load_path(f):
            so_far.add(digest)
            got = so_far.library()
            assert got.ordered() == Library(papers=dict(got.papers)).ordered()


async def test_the_main_screen_is_gone_once_the_app_ends() -> None:
    """A worker's message as the app ends (the index built) finds no main
    screen, rather than one whose widgets are being taken down."""
    from tests.test_tui import make_app

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.main.status is not None
        app.exit()
        with pytest.raises(LookupError):
            app.main  # noqa: B018


async def test_untouched_the_cursor_stays_on_the_newest_paper(folder: Path, gate: Gate) -> None:
    """The big file is the oldest day here, and the small days arrive one by
    one: with no key pressed, the cursor is on the newest paper throughout."""
    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.main.papers.papers) == 8)
        gate.open()
        await until(pilot, lambda: app.library.complete and len(app.main.papers.papers) == 38)
        current = app.main.papers.current
        assert current is not None and current.date == "2025-08-20"
        assert app.main.abstract.paper is not None
        assert app.main.abstract.paper.id == current.id


async def test_quitting_while_the_catalog_is_written_reads_nothing_more(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file is read and the catalog being written when the user
    quits: the papers read are shown meanwhile; the write ends (one
    transaction), the library is not opened again."""
    from reader.catalog import Catalog

    writing, release = threading.Event(), threading.Event()
    real_write = Catalog.write
    opened: list[bool] = []

    def slow_write(self: Catalog, *args: Any, **kwargs: Any) -> bool:
        writing.set()
        assert release.wait(30), "the test never let the write go on"
        return bool(real_write(self, *args, **kwargs))

    real_open = library.open_library

    def counted_open(*args: Any, **kwargs: Any) -> Any:
        opened.append(True)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Catalog, "write", slow_write)
    monkeypatch.setattr("reader.session.open_library", counted_open)
    ended = read_ends(monkeypatch)
    app = first_app(folder)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, writing.is_set)
            # every paper shown already, from the papers in hand, the write held
            await until(pilot, lambda: "38 papers · 4 days" in screen_text(app))
            assert "reading digests" not in screen_text(app)
            worker = next(w for w in app.workers if w.group == "library")

            def go_on() -> None:  # once the quit has cancelled the read
                while not worker.is_cancelled:
                    threading.Event().wait(0.01)
                release.set()

            threading.Thread(target=go_on, daemon=True).start()
            await pilot.press("q")
    finally:
        release.set()  # a failed test leaves no thread waiting
    assert ended.wait(30)
    assert opened == [True]  # read once, not opened again
    assert not needs_first_read(Paths.from_env())  # the catalog's write ended whole


async def test_the_index_is_built_from_the_papers_read_while_the_catalog_is_written(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index build starts as soon as every file is read and merged, from
    the papers in hand, while the catalog is written (not after the write
    and the library's reopen: tens of seconds on the real digests); the
    library taken in after is then synced with nothing to build again."""
    from reader.catalog import Catalog
    from reader.search.index import SearchIndex

    building = threading.Event()
    events: list[str] = []
    real_write = Catalog.write
    real_build = SearchIndex._build

    def held_write(self: Catalog, *args: Any, **kwargs: Any) -> bool:
        # Held until the build has started (or 10 s: then it never would
        # have, before the write ended).
        events.append("build started first" if building.wait(10) else "write first")
        return bool(real_write(self, *args, **kwargs))

    def build(self: SearchIndex, papers: Any, *args: Any, **kwargs: Any) -> Any:
        events.append(f"build of {len(papers)}")
        building.set()
        return real_build(self, papers, *args, **kwargs)

    monkeypatch.setattr(Catalog, "write", held_write)
    monkeypatch.setattr(SearchIndex, "_build", build)
    app = build_app(paths=Paths.from_env(), config=Config(library=[folder]))
    app.read_refresh = 0.0
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "38 papers · 4 days" in screen_text(app), tries=400)
        await pilot.press("slash", *"lattice", "enter")
        await until(pilot, lambda: "Search: lattice · 1 paper" in screen_text(app), tries=400)
        index = app.session.index
        assert index is not None and index.usable and index.doc_count() == 38
    assert events == ["build of 38", "build started first"]  # one build, before the write
    assert not needs_first_read(Paths.from_env())


async def test_no_full_collection_walks_the_papers_while_they_are_read(
    folder: Path, gate: Gate
) -> None:
    """The papers of a first read hold no cycles: while they pile up, no
    full collection walks them (the app's collector, at each pause of the
    keys, walked them all on the event loop, again and again)."""
    import gc

    app = first_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, gate.reached.is_set)
        assert not gc.isenabled()
        assert app.collector.tick() is False  # held: nothing collected now
        gate.open()
        await until(pilot, lambda: "38 papers · 4 days" in screen_text(app))
        await until(pilot, gc.isenabled)  # and back once the read has ended
