"""The search engine's columns over a library that already has its list
order (the worker that read it made it): taken, not sorted again, and the
same answers as columns sorted from scratch."""

from __future__ import annotations

import pytest

from reader.library import Library
from reader.model import Paper
from reader.search import engine as engine_mod
from reader.search.engine import SearchEngine


def made_up() -> dict[str, Paper]:
    # Ties on the day and on the title, undated papers, upvotes and none.
    papers = {}
    for i in range(60):
        pid = f"2501.{i:05d}"
        papers[pid] = Paper(
            id=pid,
            title=f"{'Same title' if i % 4 == 0 else f'Paper {i % 7}'} on graphs",
            abstract="Graphs and robots.",
            dates=[] if i % 9 == 0 else [f"2025-08-{1 + i % 5:02d}"],
            upvotes=None if i % 3 == 0 else i % 11,
        )
    return papers


SORTS = ["graphs", "graphs sort:oldest", "graphs sort:upvotes", "robots date:2025-08-02"]


def answers(engine: SearchEngine) -> dict[str, list[str]]:
    return {q: [h.id for h in engine.search(q).hits] for q in SORTS}


def test_the_columns_take_the_librarys_order_and_answer_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = answers(SearchEngine(Library(papers=made_up()), None, None))
    library = Library(papers=made_up())
    library.ordered()  # as prepare_list does in the reading worker

    def no_second_sort(p: Paper) -> str:
        raise AssertionError("the papers were sorted again")

    monkeypatch.setattr(engine_mod, "_date_key", no_second_sort)
    assert answers(SearchEngine(library, None, None)) == fresh
    undated = {f"2501.{i:05d}" for i in range(0, 60, 9)}
    assert set(fresh["graphs sort:oldest"][-len(undated) :]) == undated  # last, as ever
