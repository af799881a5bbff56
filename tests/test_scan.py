"""The scan of papers the index does not hold yet (a first build, a digest
just added, no index): the same matches and counts as the index and as a
brute force, and a scan that stops for a newer query or when its time is
spent (the count then "about")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.model import Paper
from reader.paths import Paths
from reader.search import scan
from reader.search.analysis import within_edits, words_within_edits
from reader.search.engine import Cancelled, Count, SearchEngine
from reader.search.incremental import expand_last_word
from reader.search.index import SearchIndex
from tests.test_search import TODAY, P, _generated, brute_count

#: Every shape the scan answers (the brute force knows them all), the NOT,
#: ``-``, ``prefix*`` and ``word~`` ones among them.
SHAPES = [
    "graph", "graph neural", "gra", "large language mod", "la", "l*", "a*", "ne*",
    '"neural network"', '"large language" model', "graph OR diffusion",
    "graph -neural", "-graph", "NOT neural", "neural -net*", "-gra*", "r* -graph -robot",
    "title:graph", "title:(graph OR net*)", "author:graph", "abstract:net", "ti:ne", "au:gr",
    "(graph OR robot) (policy OR sparse*)", "graph~", "netwrk~", "graph~2",
    "title:latnt~", "lanuage~2 -graph", "-modl~", "diffusion (mod OR mod*)",
]  # fmt: skip


class Lib:
    def __init__(self, papers: dict[str, Paper]) -> None:
        self.papers = papers


def check(s: SearchEngine, queries: list[str], scanned: bool) -> None:
    """Totals and counts equal the brute force, for each query as typed and
    as submitted; exact except a ``word~`` found by the scan."""
    papers = dict(s.library.papers)
    for q in queries:
        for text in dict.fromkeys([q, expand_last_word(q)]):
            want = brute_count(papers, text)
            got = s.search(text, limit=5, today=TODAY)
            estimate = scanned and re.search(r"\w~", text) is not None and got.scanned > 0
            assert (text, got.total, got.exact) == (text, want, not estimate)
            assert len(got.hits) == min(5, want)
            assert s.count(text, today=TODAY) == Count(want, not estimate)


def test_the_scan_counts_every_shape_as_the_brute_force() -> None:
    papers = _generated(700, seed=11)  # more than one chunk: see below
    s = SearchEngine(Lib(papers), None, None)
    check(s, SHAPES, scanned=True)


def test_the_scan_in_small_chunks_counts_every_shape_as_the_brute_force(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scan, "CHUNK", 64)  # many chunks, narrowed ANDs
    papers = _generated(700, seed=12)
    check(SearchEngine(Lib(papers), None, None), SHAPES, scanned=True)


def test_index_and_scan_together_count_every_shape_as_the_brute_force() -> None:
    papers = _generated(600, seed=13)
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    s = SearchEngine(Lib(papers), None, index)
    check(s, SHAPES, scanned=False)  # the index alone: word~ exact too
    for pid, p in _generated(120, seed=14).items():
        papers["n" + pid] = P("n" + pid, p.title, p.abstract, date="2025-08-20")
    check(s, SHAPES, scanned=True)  # the new papers scanned
    assert s.search("graph", limit=5, today=TODAY).scanned > 0


def test_the_scan_ranks_as_it_scores_newer_first_on_ties() -> None:
    papers = {
        "a1": P("a1", "Graph", date="2025-08-01"),
        "a3": P("a3", "Graph", date="2025-08-03"),
        "a2": P("a2", "Graph", date="2025-08-03"),
        "b": P("b", "Graph graph", date="2025-07-01"),
    }
    s = SearchEngine(Lib(papers), None, None)
    assert s.search("graph", limit=10).ids == ["b", "a2", "a3", "a1"]
    assert s.search("-robot", limit=10).ids == ["a2", "a3", "a1", "b"]


def _many(n: int) -> dict[str, Paper]:
    return {f"p{i:05d}": P(f"p{i:05d}", f"Graph number {i}", date="2025-08-01") for i in range(n)}


def test_a_scan_stops_when_a_newer_query_comes() -> None:
    papers = _many(3 * scan.CHUNK)
    s = SearchEngine(Lib(papers), None, None)
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1  # the box moved on during the first chunk

    with pytest.raises(Cancelled):
        s.search("graph", limit=10, cancelled=cancelled)
    assert len(asked) == 2  # stopped at the next chunk, not at the end
    got = s.search("graph", limit=10, cancelled=lambda: False)
    assert (got.total, got.exact) == (len(papers), True)


def test_a_scan_out_of_time_gives_the_newest_papers_and_an_estimate() -> None:
    papers = _many(3 * scan.CHUNK)
    papers["new"] = P("new", "Graph of today", date="2025-08-21")
    papers["other"] = P("other", "Nothing here", date="2025-08-21")
    s = SearchEngine(Lib(papers), None, None)
    s.scan_budget = 0.0  # one chunk, then out of time
    got = s.search("graph", limit=10)
    assert not got.exact and got.ids[0] == "new"
    # The first chunk had one paper that does not match: about the same share.
    assert got.total == round((scan.CHUNK - 1) * len(papers) / scan.CHUNK)
    assert s.count("graph") == Count(got.total, False)
    s.scan_budget = None
    got = s.search("graph", limit=10)
    assert (got.total, got.exact) == (len(papers) - 1, True)


def test_a_filtered_scan_folds_only_the_chunks_that_hold_its_papers() -> None:
    """``graph date:2025-08-21`` before the index is built: the day's two
    papers sit in one chunk of the list; the others are neither folded nor
    matched (every chunk up to the day was folded: 7.9 s over the real
    digests, 52 s beside the first build)."""
    papers = _many(4 * scan.CHUNK)
    papers["new"] = P("new", "Graph of today", date="2025-08-21")
    papers["other"] = P("other", "Nothing here", date="2025-08-21")
    s = SearchEngine(Lib(papers), None, None)
    folded: list[int] = []
    fold = scan._fold_chunk

    def counted(chunk_papers: Any, docs: Any, folds: Any) -> Any:
        folded.append(len(chunk_papers))
        return fold(chunk_papers, docs, folds)

    scan._fold_chunk = counted  # type: ignore[assignment]
    try:
        got = s.search("graph date:2025-08-21", limit=10)
    finally:
        scan._fold_chunk = fold  # type: ignore[assignment]
    assert (got.ids, got.total, got.exact) == (["new"], 1, True)
    assert len(folded) == 1  # the newest papers' chunk alone
    assert s.search("graph", limit=10).total == len(papers) - 1


def test_folding_ahead_over_the_catalog_reads_each_block_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first index builds, the app folds every paper for the scan
    ahead of the queries: over the catalog it reads the papers in the order
    they are stored, each block once, not a chunk of the list's papers at a
    time (a block decompressed for each paper when the list's order is not
    the stored one: 84,412 blocks for the real digests' 91,713 papers). The
    chunks are those a query folds itself."""
    import random

    import reader.catalog as catalog
    from reader.catalog import BLOCK_ROWS, Catalog, CatalogPapers
    from reader.paper_rows import PaperRows

    monkeypatch.setattr(catalog, "_BLOCKS_KEPT", 4)  # few beside 90k papers
    papers = list(_many(3 * scan.CHUNK).values())
    cat = Catalog(tmp_path / "c.sqlite", "v")
    cat.write({"key": "k", "count": len(papers)}, lambda: papers)  # stored in id order
    listed = [p.id for p in papers]
    random.Random(3).shuffle(listed)  # the list's order: another one
    source = CatalogPapers(cat, len(papers), lambda: {p.id: p for p in papers})
    docs = np.arange(len(listed))
    ahead = scan.ScanCorpus(PaperRows(listed, source), docs, scan.FoldCache())
    before = cat.blocks_read
    assert ahead.fold_all() is True
    assert cat.blocks_read - before <= -(
        -len(papers) // BLOCK_ROWS
    )  # 576 before: every block for each chunk
    by_query = scan.ScanCorpus(PaperRows(listed, source), docs, scan.FoldCache())
    for i in range(len(by_query._chunks)):
        mine, theirs = ahead.chunk(i), by_query.chunk(i)
        assert mine is not None and theirs is not None
        assert mine.texts == theirs.texts and (mine.docs == theirs.docs).all()


def test_folding_ahead_for_the_scan_can_be_cancelled() -> None:
    s = SearchEngine(Lib(_many(2 * scan.CHUNK)), None, None)
    assert s.prepare_scan(lambda: True) is False
    assert s.prepare_scan() is True
    assert s.search("graph", limit=3).total == 2 * scan.CHUNK


def test_once_every_paper_is_indexed_nothing_is_scanned() -> None:
    papers = _generated(200, seed=15)
    index = SearchIndex(Paths.from_env().index_dir)
    s = SearchEngine(Lib(papers), None, index)
    assert s.search("graph", limit=3).scanned > 0
    index.sync(papers)
    assert s.search("graph", limit=3).scanned == 0
    assert s.pending_ids() == set() and s.prepare_scan() is True


_WORDS = st.text(alphabet="abcdeé", max_size=7)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(_WORDS, max_size=30), _WORDS, st.integers(1, 2))
def test_words_within_edits_is_within_edits(words: list[str], b: str, k: int) -> None:
    got: Any = words_within_edits(words, b, k)
    assert got.tolist() == [within_edits(w, b, k) for w in words]


def test_the_scan_matches_phrases_as_the_index_does() -> None:
    """Phrases with a slop, with stop words inside and around, in a field:
    the same papers as the index's positions give."""
    papers = _generated(800, seed=16)
    papers["s1"] = P("s1", "Graph of the network", "the network of graphs")
    papers["s2"] = P("s2", "Graph", "network")  # one word per field: no phrase
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    indexed, scanned = SearchEngine(Lib(papers), None, index), SearchEngine(Lib(papers), None, None)
    for text in ['"graph network"~3', '"large model"~2', '"graph of network"', '"the graph"',
                 'title:"graph network"', '"network graph" -"graph network"', '"neural net"~5',
                 'abstract:"latent layer label"~4', '"graph network"']:  # fmt: skip
        a, b = indexed.search(text, limit=1000), scanned.search(text, limit=1000)
        assert (text, sorted(b.ids), b.total) == (text, sorted(a.ids), a.total)
    assert "s1" in scanned.search('title:"graph network"', limit=50).ids
    assert "s2" not in scanned.search('"graph network"', limit=1000).ids
