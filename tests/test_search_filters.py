"""Filters and sorts over the engine's columns equal a brute force over the papers.

The library is generated with the edge values that matter: papers without a
date (nor a published date), papers dated only by ``published``, several days
per paper, zero and missing upvotes, equal titles, dates and votes (ties).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pytest

from reader.library import Library
from reader.model import Digest, Link, Paper
from reader.paths import Paths
from reader.search.engine import SearchEngine
from reader.search.index import SearchIndex
from reader.search.query import DateIn, Tag, Upvotes, parse_query, searchable

TODAY = dt.date(2026, 2, 10)
WORDS = ["graph", "diffusion", "robot", "language", "model", "agent", "survey"]
DAYS = ["2025-01-05", "2025-08-01", "2025-08-01", "2025-12-31", "2026-01-01", "2026-02-09"]


class Lib:
    def __init__(self, papers: list[Paper]) -> None:
        self.papers = {p.id: p for p in papers}


@dataclass
class Mark:
    note: str = ""


class State:
    def __init__(self, starred: set[str], read: set[str], ids: list[str]) -> None:
        self.starred, self.read = starred, read
        self.notes = {pid: "a note" for pid in ids[5::23]}
        self.tags = {"To Read": set(ids[::17]), "robotics-later": set(ids[3::29])}

    def get(self, pid: str) -> Mark:
        return Mark(self.notes.get(pid, ""))

    def ids(self) -> set[str]:
        return self.starred | self.read | set(self.notes) | set().union(*self.tags.values())

    def starred_ids(self) -> set[str]:
        return set(self.starred)

    def read_ids(self) -> set[str]:
        return set(self.read)

    def ids_with_tag(self, tag: str) -> set[str]:
        return set(self.tags.get(tag, ()))

    def tag_counts(self) -> dict[str, int]:
        return {t: len(s) for t, s in self.tags.items()}


def library(seed: int = 7, n: int = 400) -> list[Paper]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = rnd.random()
        dates = sorted(set(rnd.sample(DAYS, rnd.randint(1, 3)))) if kind > 0.2 else []
        published = rnd.choice(DAYS) + "T10:00:00" if 0.1 < kind <= 0.2 else None
        code = rnd.random()
        out.append(
            Paper(
                id=f"2501.{i:05d}",
                # Few titles: many ties on the title too.
                title=" ".join(rnd.sample(WORDS, 2)).capitalize(),
                abstract=" ".join(rnd.choices(WORDS, k=6)),
                dates=dates,
                published=published,
                upvotes=rnd.choice([None, None, 0, 0, 1, 2, 3, 10, 10, 11, 50, 2**70]),
                github_repo="https://github.com/a/b" if code < 0.2 else None,
                links=[Link("code", "https://example.org/c")] if 0.2 <= code < 0.35 else [],
                tags=rnd.sample(["cs.LG", "cs.CL", "Robotics", "robot-learning", "LLM"], i % 3),
            )
        )
    return out


def days_of(p: Paper) -> list[str]:
    return p.dates if p.dates else ([p.published[:10]] if p.published else [])


def brute_filter(text: str, p: Paper, state: State) -> bool:
    node = parse_query(text, TODAY).node
    if isinstance(node, Upvotes):
        lo = node.lo if node.lo is not None else -(10**30)
        hi = node.hi if node.hi is not None else 10**30
        return p.upvotes is not None and lo <= p.upvotes <= hi
    if isinstance(node, DateIn):
        return any(node.lo <= d[:10] <= node.hi + "\uffff" for d in days_of(p))
    if isinstance(node, Tag):
        tags = [*p.tags, *(t for t, ids in state.tags.items() if p.id in ids)]
        folded = [searchable(t) for t in tags]
        return any(t.startswith(node.tag) if node.prefix else t == node.tag for t in folded)
    return {
        "has:code": p.has_code,
        "is:starred": p.id in state.starred,
        "is:read": p.id in state.read,
        "is:unread": p.id not in state.read,
        "has:note": p.id in state.notes,
    }[text]


def brute_order(papers: list[Paper], sort: str) -> list[str]:
    by_title = sorted(papers, key=lambda p: (p.title.lower(), p.id))
    if sort == "oldest":
        dated = sorted((p for p in by_title if p.date), key=lambda p: p.date)
        return [p.id for p in dated] + [p.id for p in by_title if not p.date]
    newest = sorted(by_title, key=lambda p: p.date, reverse=True)
    if sort == "upvotes":
        newest.sort(key=lambda p: p.upvotes if p.upvotes is not None else -1, reverse=True)
    return [p.id for p in newest]


FILTERS = [
    "has:code", "is:starred", "is:read", "is:unread", "upvotes:0", "upvotes:>10",
    "upvotes:>=10", "upvotes:<3", "upvotes:2..11", "upvotes:>1000000",
    "date:2025-08-01", "date:2025", "date:2025-08", "date:>2026-01-01", "date:<2025-06-01",
    "date:2025-08-01..2026-01-01", "has:note", "tag:cs.lg", "tag:robot*", "tag:to-read",
    "tag:\"to read\"", "tag:llm",
]  # fmt: skip
SORTS = ["newest", "oldest", "upvotes"]


@pytest.fixture(params=["scan", "index", "index, some gone, some pending"])
def world(request: pytest.FixtureRequest) -> tuple[SearchEngine, list[Paper], State]:
    """The engine by scanning (no index), over a full index, and over an index
    that still holds papers the library dropped and lacks some it gained."""
    papers = library()
    rnd = random.Random(3)
    ids = [p.id for p in papers]
    state = State(set(rnd.sample(ids, 40)), set(rnd.sample(ids, 150)), ids)
    lib = Lib(papers)
    index = None
    if request.param != "scan":
        index = SearchIndex(Paths.from_env().index_dir)
        index.sync(lib.papers)
    if request.param.endswith("pending"):
        gone = papers[::9]
        papers = [p for p in papers if p not in gone]
        papers += library(seed=8, n=460)[400:]  # ids 2501.00400.. never indexed
        lib = Lib(papers)
    return SearchEngine(lib, state, index), papers, state


@pytest.mark.parametrize("flt", FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_a_filter_alone_in_each_order_is_the_brute_force(
    world: tuple[SearchEngine, list[Paper], State], flt: str, sort: str
) -> None:
    engine, papers, state = world
    want = brute_order([p for p in papers if brute_filter(flt, p, state)], sort)
    got = engine.search(f"{flt} sort:{sort}", today=TODAY)
    assert got.ids == want and got.total == len(want)
    assert engine.search(f"{flt} sort:{sort}", limit=7, today=TODAY).ids == want[:7]
    assert engine.count(flt, today=TODAY).n == len(want)


@pytest.mark.parametrize(
    "flt", ["has:code", "upvotes:>=10", "date:2025", "is:unread", "tag:cs*", "has:note"]
)
@pytest.mark.parametrize("sort", SORTS)
def test_words_with_filters_and_sorts_are_the_brute_force(
    world: tuple[SearchEngine, list[Paper], State], flt: str, sort: str
) -> None:
    engine, papers, state = world
    two = "upvotes:<11 -is:starred"
    both = [
        p
        for p in papers
        if "graph" in p.title.lower() + " " + p.abstract
        and brute_filter(flt, p, state)
        and brute_filter("upvotes:<11", p, state)
        and p.id not in state.starred
    ]
    got = engine.search(f"graph {flt} {two} sort:{sort}", today=TODAY)
    assert got.ids == brute_order(both, sort) and got.total == len(both)


def test_or_and_not_of_filters_are_the_brute_force(
    world: tuple[SearchEngine, list[Paper], State],
) -> None:
    engine, papers, state = world
    text = "(has:code OR upvotes:>=50) -is:read -date:2026"
    want = [
        p
        for p in papers
        if (p.has_code or (p.upvotes or 0) >= 50)
        and p.id not in state.read
        and not brute_filter("date:2026", p, state)
    ]
    got = engine.search(text + " sort:oldest", today=TODAY)
    assert got.ids == brute_order(want, "oldest") and engine.count(text, today=TODAY).n == len(want)
    everything = engine.search("sort:upvotes", today=TODAY)
    assert everything.ids == brute_order(papers, "upvotes") and everything.total == len(papers)


def test_papers_merged_in_place_are_seen_by_the_next_query() -> None:
    """A digest that adds a day and upvotes to papers the library holds changes
    neither the mapping nor its size: the engine still sees the new values."""
    lib = Library()
    lib.add_papers(
        Digest(
            "a.json", "hf", [Paper(id="2501.00001", title="Older", upvotes=1)], date="2025-01-01"
        )
    )
    lib.add_papers(
        Digest(
            "b.json", "hf", [Paper(id="2501.00002", title="Newer", upvotes=5)], date="2025-02-01"
        )
    )
    engine = SearchEngine(lib, None, None)
    assert engine.search("", today=TODAY).ids == ["2501.00002", "2501.00001"]
    assert engine.search("upvotes:>3", today=TODAY).ids == ["2501.00002"]
    lib.add_papers(
        Digest(
            "c.json", "hf", [Paper(id="2501.00001", title="Older", upvotes=9)], date="2025-03-01"
        )
    )
    assert len(lib.papers) == 2
    assert engine.search("", today=TODAY).ids == ["2501.00001", "2501.00002"]
    assert engine.search("date:2025-03", today=TODAY).ids == ["2501.00001"]
    assert engine.search("upvotes:>3 sort:upvotes", today=TODAY).ids == [
        "2501.00001",
        "2501.00002",
    ]
