"""A prefix of one or two letters (``a*``, ``la*``) matches as a filter: every
paper holding one of its words scores the same, so the newest come first,
with the exact count; in the index (from a segment's bitmap of the run, or
its postings), in the scan of papers not indexed yet, and typed as
``(la OR la*)``. From three letters on a prefix is ranked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reader.model import Paper
from reader.search.analysis import FIELD_SPANS, SPAN_WIDTH
from reader.search.engine import SearchEngine
from reader.search.index import SearchIndex
from reader.search.index import fast as fast_mod
from reader.search.index.fast import FastPostings, broad_bitmaps, field_presence, write_fast


class Lib:
    def __init__(self, papers: list[Paper]) -> None:
        self.papers = {p.id: p for p in papers}


def _papers() -> list[Paper]:
    """Day i's paper; the oldest ones are the most about ``la``-words."""
    out = []
    for i in range(1, 29):
        many = " ".join(["language large latent layers"] * (30 - i))
        out.append(
            Paper(
                id=f"2502.{i:05d}",
                title=f"Study {i}",
                abstract=f"{many} of vision" if i % 4 else "vision only",
                dates=[f"2025-02-{i:02d}"],
            )
        )
    return out


def _engines(tmp_path: Path) -> list[tuple[str, SearchEngine]]:
    lib = Lib(_papers())
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.sync(lib.papers)
    return [("index", SearchEngine(lib, None, index)), ("scan", SearchEngine(lib, None, None))]


def test_a_two_letter_prefix_lists_the_newest_of_its_papers_first(tmp_path: Path) -> None:
    newest_first = [f"2502.{i:05d}" for i in range(28, 0, -1) if i % 4]
    for name, engine in _engines(tmp_path):
        for text in ("la*", "l*", "(la OR la*)"):
            got = engine.search(text, limit=None, today=dt.date(2025, 3, 1))
            assert got.ids == newest_first, (name, text)
            assert got.total == 21 and got.exact, (name, text)
        top = engine.search("la*", limit=5).ids
        assert top == newest_first[:5], name


def test_three_letters_are_ranked_and_a_broad_prefix_beside_words_adds_the_same(
    tmp_path: Path,
) -> None:
    for name, engine in _engines(tmp_path):
        # lan*: the paper with the most ``language`` first, the oldest
        assert engine.search("lan*", limit=3).ids[0] == "2502.00001", name
        # vision la*: every match gets the same from la*, so vision ranks them
        with_la = engine.search("vision la*", limit=None)
        alone = engine.search("vision", limit=None)
        assert with_la.total == 21, name
        assert with_la.ids == [i for i in alone.ids if i in set(with_la.ids)], name


def test_a_segments_bitmaps_hold_the_documents_of_each_broad_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terms = sorted({"a", "ab", "abc", "b", "ba", "bz", "c", "ca", "cab", "q", "qu", "quark"})
    ndocs = 40
    starts, docs_l = [0], []
    for i, _ in enumerate(terms):
        d = np.arange(i % 3, ndocs, 2 + i % 2)  # 13-20 documents a word
        docs_l.append(d)
        starts.append(starts[-1] + len(d))
    docs = np.concatenate(docs_l)
    n = len(docs)
    # posting i in one field, the ith of FIELD_SPANS' order after the one before
    order = sorted(FIELD_SPANS, key=lambda f: FIELD_SPANS[f][0])
    field_of = np.arange(n) % 4
    positions = field_of * SPAN_WIDTH + 3
    monkeypatch.setattr(fast_mod, "BROAD_MIN_POSTINGS", 1)
    path = tmp_path / "fast.bin"
    write_fast(path, terms, np.array(starts), docs, np.ones(n, np.float32), np.ones(n, np.int64),
               positions, np.full(ndocs, 10, np.uint8), [f"p{i}" for i in range(ndocs)])  # fmt: skip
    fp = FastPostings(path)
    seen = 0
    for prefix in ("a", "ab", "b", "ba", "c", "ca", "q", "qu", "zz"):
        r = fp.prefix_range(prefix)
        a, b = int(fp.starts[r.start]), int(fp.starts[r.stop])
        want = np.unique(fp.docs_at(a, b))
        got = fp.broad_docs(r)
        if got is not None:
            seen += 1
            assert got.tolist() == want.tolist(), prefix
            for f, field in enumerate(order):
                in_field = np.unique(fp.docs_at(a, b)[field_of[a:b] == f])
                assert 0 < len(in_field) < len(want), (prefix, field)
                assert fp.broad_docs(r, field).tolist() == in_field.tolist(), (prefix, field)
    assert seen == 8  # every one but zz (no word)
    presence = field_presence(np.ones(n, np.int64), field_of)
    ranges, _ = broad_bitmaps(terms, np.array(starts), docs, ndocs, presence)
    assert len(ranges) // 2 == 9  # and bz
    # with the real floor, runs this small keep no bitmap: their postings are read
    monkeypatch.setattr(fast_mod, "BROAD_MIN_POSTINGS", 50_000)
    ranges, bits = broad_bitmaps(terms, np.array(starts), docs, ndocs, presence)
    assert len(ranges) == len(bits) == 0


def test_a_postings_fields_are_those_of_its_positions() -> None:
    # three postings: title+abstract, authors alone, tags twice then abstract
    freqs = np.array([2, 1, 3])
    fields = np.array([0, 3, 1, 2, 2, 3])
    assert field_presence(freqs, fields).tolist() == [0b1001, 0b0010, 0b1100]


def test_the_index_answers_a_broad_prefix_from_its_bitmaps_as_from_its_postings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {}
    for floor in (50_000, 1):
        monkeypatch.setattr(fast_mod, "BROAD_MIN_POSTINGS", floor)
        used: list[bool] = []
        real = FastPostings.broad_docs

        def spy(
            self: FastPostings, r: range, field: str | None, real: Any = real, used: Any = used
        ) -> Any:
            got = real(self, r, field)
            used.append(got is not None)
            return got

        monkeypatch.setattr(FastPostings, "broad_docs", spy)
        lib = Lib(_papers())
        index = SearchIndex(tmp_path / f"ix{floor}", procs=1)
        index.sync(lib.papers)
        engine = SearchEngine(lib, None, index)
        answers[floor] = [
            (r.ids, r.total) for r in (engine.search(t, limit=None) for t in ("l*", "la*", "vi*"))
        ]
        assert any(used) == (floor == 1)
        index.close()
    assert answers[1] == answers[50_000]
    assert answers[1][1][1] == 21 and answers[1][2][1] == 28


def test_the_first_broad_prefix_after_the_warm_up_looks_up_no_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broad prefix's papers all tie: the index orders them by the engine's
    tie ranks, taken from the warm-up's map to its documents, not by looking
    up each document's id (a million at 1M papers: 135 ms of the first
    ``a*`` after a sync); the same order as without the map."""
    from reader.search import engine as engine_mod
    from reader.search.index import scorer

    monkeypatch.setattr(scorer, "TIE_SPILL", 0)  # ordered by the index, as 1M ties are
    lib = Lib(_papers())
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.sync(lib.papers)
    cold = SearchEngine(lib, None, SearchIndex(tmp_path / "ix", procs=1))
    want = cold.search("la*", limit=5).ids
    warm = SearchEngine(lib, None, index)
    warm.warm()
    looked: list[int] = []
    real = engine_mod._Columns.numbers

    def numbers(self: Any, ids: Any) -> Any:
        looked.append(len(ids))
        return real(self, ids)

    monkeypatch.setattr(engine_mod._Columns, "numbers", numbers)
    sorted_now: list[int] = []
    real_order = scorer.ScorerState.tie_order

    def tie_order(self: Any, keys: Any) -> Any:
        if self._tie_order is None or self._tie_order[0] is not keys:
            sorted_now.append(len(keys))
        return real_order(self, keys)

    monkeypatch.setattr(scorer.ScorerState, "tie_order", tie_order)
    assert warm.search("la*", limit=5).ids == want
    assert looked == [] or max(looked) <= 5, looked  # the 5 hits' own, at most
    assert sorted_now == []  # the documents' order by tie key: made by the warm-up


@pytest.mark.parametrize("floor", [1, 50_000])
def test_a_broad_prefix_in_a_field_is_answered_from_the_runs_bitmap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, floor: int
) -> None:
    """``abs:la`` as the box sends it, ``(abs:la OR abs:la*)``, and then
    ``abs:la*`` (Enter): the papers holding an ``la``-word in the abstract
    (not those with one in the title alone), counted exactly; from the
    field's bitmap of the run when the segment keeps one (``floor`` 1), with
    no posting of the run read (``abs:co*`` is 4 million postings a segment
    at 1M papers), else from its postings."""
    from reader.search.query import Or, Text

    monkeypatch.setattr(fast_mod, "BROAD_MIN_POSTINGS", floor)
    papers = _papers()
    papers.append(Paper(id="2502.00099", title="large latent", abstract="vision", dates=[]))
    index = SearchIndex(tmp_path / "ix")
    index.sync({p.id: p for p in papers})
    want = {p.id for p in papers if any(w.startswith("la") for w in p.abstract.split())}
    assert 10 < len(want) < len(papers) - 1
    read: list[int] = []
    real = FastPostings.docs_at

    def docs_at(self: FastPostings, a: int, b: int) -> Any:
        read.append(b - a)
        return real(self, a, b)

    monkeypatch.setattr(FastPostings, "docs_at", docs_at)
    typed = Or((Text("abstract", "term", ("la",)), Text("abstract", "prefix", ("la",))))
    for node in (typed, Text("abstract", "prefix", ("la",))):
        got, total = index.search_counted(node, None)
        assert {p for p, _ in got} == want and total == len(want)
    run = sum(p.abstract.split().count(w) > 0 for p in papers for w in ("language", "large"))
    assert (max(read, default=0) >= run) == (floor > 1), read
    index.close()
