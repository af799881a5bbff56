"""After a fetch's reload the search engine over the new library carries
over the old engine's columns (``SearchEngine.follow``): only the touched
papers are read, nothing is made again from every paper, and every query
answers exactly as an engine built from scratch over the same library."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from reader.catalog import Catalog
from reader.config import Config
from reader.library import Library, open_library
from reader.paths import Paths
from reader.search import engine as engine_mod
from reader.search.engine import SearchEngine
from reader.search.index import SearchIndex
from reader.session import Session

WORDS = ["graph", "robot", "diffusion", "agent", "vision", "language", "model", "policy"]
TAGS = ["cs.CL", "cs.LG", "cs.AI", "agents", "Robotics", "cs.RO"]

QUERIES = [
    "",
    "graph",
    "graph robot",
    "grap*",
    '"graph robot"',
    "graph OR agent",
    "graph -robot",
    "graph (agent OR vision) -model",
    "title:robot",
    "robt~1",
    "tag:cs.lg",
    "tag:cs*",
    "tag:robotics graph",
    "has:code",
    "upvotes:>5",
    "upvotes:<3 agent",
    "date:2025-09",
    "date:2025-09-03",
    "date:2025-09-01..2025-09-04 model",
    "sort:oldest",
    "sort:upvotes",
    "graph sort:oldest",
    "agent sort:upvotes",
    "model sort:newest",
    "-is:read",
    "id:2509.00007",
    "is:starred",
]


def _paper(rng: random.Random, pid: str, undated: bool = False) -> dict[str, Any]:
    paper: dict[str, Any] = {
        "id": pid,
        # few titles: ties on the day and the title, broken by the id
        "title": " ".join(rng.sample(WORDS, 2)).title() if rng.random() < 0.5 else "Same Title",
        "abstract": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))),
        "authors": [f"Author {rng.randint(1, 5)}"],
    }
    if rng.random() < 0.7:
        paper["upvotes"] = rng.randint(0, 9)
    if rng.random() < 0.6:
        paper["tags"] = rng.sample(TAGS, rng.randint(1, 3))
    if rng.random() < 0.3:
        paper["links"] = {"code": f"https://github.com/x/{pid}"}
    if undated:
        paper["published"] = ""
    return paper


def _day(folder: Path, name: str, day: str | None, papers: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"title": f"Day {day}", "papers": papers}
    if day is not None:
        body["date"] = day
    (folder / name).write_text(yaml.safe_dump(body), encoding="utf-8")


def _library(folder: Path) -> None:
    rng = random.Random(5)
    n = 0
    for d in range(1, 6):
        papers = []
        for _ in range(40):
            papers.append(_paper(rng, f"2509.{n:05d}"))
            n += 1
        _day(folder, f"2025-09-{d:02d}.yaml", f"2025-09-{d:02d}", papers)
    _day(folder, "undated.yaml", None, [_paper(rng, f"2509.{n + i:05d}", True) for i in range(6)])


def _fetched(folder: Path) -> int:
    """A fetched day: new papers (today's, and on an older day, and
    undated), and papers already held met again (a new day, new votes and
    tags): what the touched papers of the update are."""
    rng = random.Random(9)
    again = []
    for pid in ("2509.00003", "2509.00041", "2509.00150", "2509.00199"):
        p = _paper(rng, pid)
        p["upvotes"] = 50 + len(again)
        p["tags"] = ["cs.NEW", "cs.LG"]
        again.append(p)
    new = [_paper(rng, f"2512.{i:05d}") for i in range(12)]
    _day(folder, "2025-12-01.yaml", "2025-12-01", new + again)
    older = [_paper(rng, f"2512.{i:05d}") for i in range(12, 16)]
    _day(folder, "2025-09-02-b.yaml", "2025-09-02", older)
    _day(folder, "undated-b.yaml", None, [_paper(rng, "2512.00099", True)])
    return len(new) + len(again) + len(older) + 1


def _changed(folder: Path) -> int:
    """A day read again: three of its papers gone from it (two of them
    from the library: one is also in the fetched day), one retitled (its
    place in the day moves), one with new votes; touched: every paper the
    file had (the library does not tell which of a changed file's changed)."""
    path = folder / "2025-09-05.yaml"
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    papers = body["papers"]
    gone = papers[-3:]
    assert "2509.00199" in [p["id"] for p in gone]  # also in the fetched day: stays
    papers[0]["title"] = "Aaa First Now"
    papers[1]["upvotes"] = 99
    body["papers"] = papers[:-3]
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    return 40


def _answers(engine: SearchEngine) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in QUERIES:
        got = engine.search(q, limit=None)
        out[q] = ([(h.id, round(h.score, 9)) for h in got.hits], got.total, got.exact)
        top = engine.search(q, limit=7)
        out[q + " (top 7)"] = ([h.id for h in top.hits], top.total)
        out[q + " (count)"] = engine.count(q)
    return out


@pytest.mark.parametrize("lazy", [True, False], ids=["catalog", "in memory"])
@pytest.mark.parametrize("indexed", [True, False], ids=["index", "no index"])
def test_the_engine_after_a_fetch_carries_the_old_columns_over_and_answers_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lazy: bool, indexed: bool
) -> None:
    folder = tmp_path / "digests"
    _library(folder)
    paths = Paths.from_env()
    base = open_library(paths, Config(), [folder], lazy=lazy)
    index = SearchIndex(paths.index_dir) if indexed else None
    if index is not None:
        index.sync(base.papers, version=base.version)
    session = Session(paths, Config(), library=base, index=index, lazy_library=lazy)
    session.searcher.warm()  # as the app does once its index is synced
    session.searcher.search("graph")

    for update in (_fetched, _changed):
        expect = update(folder)
        updated = open_library(paths, Config(), [folder], current=base, lazy=lazy)
        assert updated.version is not None and base.version is not None
        assert updated.version.base == base.version.key
        assert len(updated.version.touched) == expect
        _follows_alike(monkeypatch, session, updated, index)
        base = updated
        if index is not None:  # the app's index worker, then its warm-up
            index.sync(updated.papers, version=updated.version)
            _warm_after_sync(monkeypatch, session)


def _warm_after_sync(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    """The app's warm-up after its index synced: the map to the new
    generation asks the index with every id as the table's bytes, not as
    100k strings encoded again on the search thread."""
    kinds: list[str] = []
    real_docnums = SearchIndex.docnums

    def docnums(self: SearchIndex, ids: Any) -> Any:
        kinds.append(ids.dtype.kind)
        return real_docnums(self, ids)

    with monkeypatch.context() as m:
        m.setattr(SearchIndex, "docnums", docnums)
        session.searcher.warm()
    assert kinds == ["S"]


def _follows_alike(
    monkeypatch: pytest.MonkeyPatch, session: Session, updated: Library, index: SearchIndex | None
) -> None:
    assert updated.version is not None
    touched = updated.version.touched
    added = len(set(touched) & set(updated.papers))
    updated.ordered()  # as the reload's worker does (prepare_list)
    scratch = SearchEngine(updated, None, index)
    fresh = _answers(scratch)
    pending = scratch.pending_ids()

    def whole(*_: object, **__: object) -> None:
        raise AssertionError("made again from every paper")

    read: list[int] = []
    asked: list[int] = []
    with monkeypatch.context() as m:
        # Over the engine that follows, nothing is made from every paper again.
        m.setattr(engine_mod._Columns, "build", whole)
        m.setattr(Catalog, "day_columns", whole)
        m.setattr(Catalog, "tag_columns", whole)
        m.setattr(Catalog, "days", whole)
        m.setattr(engine_mod, "as_dict", whole)
        real_get = Catalog.get

        def get(self: Catalog, ids: Any) -> Any:
            ids = list(ids)
            read.append(len(ids))
            return real_get(self, ids)

        m.setattr(Catalog, "get", get)
        real_docnums = SearchIndex.docnums

        def docnums(self: SearchIndex, ids: Any) -> Any:
            asked.append(len(ids))
            return real_docnums(self, ids)

        m.setattr(SearchIndex, "docnums", docnums)
        session.replace_library(updated)
        engine = session.searcher
        engine.warm()
        assert engine.pending_ids() == pending
        if index is not None:
            assert pending  # the fetched papers, not indexed yet: scanned
    assert asked == ([added] if index is not None else [])  # the added papers only
    assert sum(read) <= added  # only the touched papers' rows
    assert _answers(engine) == fresh


def test_the_list_columns_after_a_fetch_are_the_old_ones_with_the_touched_papers_put_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library updated from the one in memory (the reload's worker after
    a fetch) takes that one's list columns (ids, days, votes, code; their
    id table; days as text) with the touched papers taken out and put in
    at their places, instead of reading every row of the catalog again:
    the same columns as read from it, the same ``in``, the same list."""
    from reader.catalog import CatalogPapers

    folder = tmp_path / "digests"
    _library(folder)
    paths = Paths.from_env()
    base = open_library(paths, Config(), [folder], lazy=True)
    base.ordered()  # its list: the columns read
    base.papers.dates()  # type: ignore[attr-defined]
    for update in (_fetched, _changed):
        update(folder)

        def whole(*_: object, **__: object) -> None:
            raise AssertionError("every row read again")

        with monkeypatch.context() as m:
            m.setattr(Catalog, "columns", whole)
            m.setattr(Catalog, "ids", whole)
            updated = open_library(paths, Config(), [folder], current=base, lazy=True)
            papers = updated.papers
            assert isinstance(papers, CatalogPapers)
            listed = [p.id for p in updated.ordered()]
            got = papers.columns()
            dates = papers.dates()
            held = [pid in papers for pid in [*base.papers, "2512.00003", "nope"]]
        fresh = open_library(paths, Config(), [folder], lazy=True)
        assert fresh.version is not None and updated.version is not None
        assert fresh.version.key == updated.version.key
        assert isinstance(fresh.papers, CatalogPapers)
        assert got == fresh.papers.catalog.columns()
        assert dates == fresh.papers.dates()
        assert listed == [p.id for p in fresh.ordered()]
        assert held == [pid in fresh.papers for pid in [*base.papers, "2512.00003", "nope"]]
        if update is _changed:
            assert not all(held[:-2])  # two papers left the library
        base = updated
