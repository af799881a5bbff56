"""The engine: ranking, state filters at once, ids, dates, sorts, similar papers."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.model import Link, Paper
from reader.paths import Paths
from reader.search.analysis import within_edits
from reader.search.engine import Count, SearchEngine
from reader.search.highlight import spans
from reader.search.incremental import expand_last_word
from reader.search.index import SearchIndex
from reader.search.query import And, DateIn, Node, Not, Or, QueryError, Text, analyze, parse_query
from reader.state import StateStore
from tests.conftest import SAMPLES

TODAY = dt.date(2025, 8, 21)


class Lib:
    def __init__(self, papers: list[Paper]) -> None:
        self.papers = {p.id: p for p in papers}


def P(pid: str, title: str, abstract: str = "", authors: tuple[str, ...] = ("Ann Lee",),
      date: str = "2025-08-01", **kw: object) -> Paper:  # fmt: skip
    return Paper(id=pid, title=title, abstract=abstract, authors=list(authors),
                 dates=[date], **kw)  # type: ignore[arg-type]  # fmt: skip


PAPERS = [
    P("2508.00001", "Diffusion policies for robots", "We learn visuomotor control.",
      date="2025-08-21", upvotes=40, links=[Link("code", "https://github.com/x/y")]),
    P("2508.00002", "Graph neural networks at scale", "Message passing with diffusion kernels.",
      date="2025-08-15", upvotes=12),
    P("2508.00003", "Scaling laws", "Compute-optimal training.", authors=("Diffusion Smith",),
      date="2025-08-18", upvotes=5),
    P("2508.00004", "Sparse autoencoders", "Interpretable features in language models.",
      date="2025-07-30", tags=["cs.LG", "interpretability"]),
    P("2508.00005", "Retrieval augmented generation", "RAG for question answering.",
      date="2025-08-10", upvotes=None),
]  # fmt: skip


@pytest.fixture(params=["index", "scan"])
def searcher(request: pytest.FixtureRequest) -> SearchEngine:
    """A searcher over PAPERS with the Whoosh index, and one with no index (scan)."""
    state = StateStore(Paths.from_env().state_file)
    state.load()
    lib = Lib(PAPERS)
    index = None
    if request.param == "index":
        index = SearchIndex(Paths.from_env().index_dir)
        index.sync(lib.papers)
    return SearchEngine(lib, state, index)


def ids(s: SearchEngine, text: str, limit: int | None = None) -> list[str]:
    return s.search(text, limit=limit, today=TODAY).ids


def test_empty_query_lists_all_newest_first(searcher: SearchEngine) -> None:
    r = searcher.search("", today=TODAY)
    assert r.ids == ["2508.00001", "2508.00003", "2508.00002", "2508.00005", "2508.00004"]
    assert r.sort == "newest" and r.total == 5
    assert len(searcher.search("", limit=2).hits) == 2


def test_title_above_author_above_abstract(searcher: SearchEngine) -> None:
    r = searcher.search("diffusion", today=TODAY)
    assert r.ids == ["2508.00001", "2508.00003", "2508.00002"]
    assert r.sort == "relevance" and r.terms == ["diffusion"]


def test_newer_first_among_equals() -> None:
    papers = [P(f"2501.0000{i}", "Same title here", date=f"2025-01-0{i}") for i in range(1, 6)]
    lib = Lib(papers)
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(lib.papers)
    for s in (SearchEngine(lib, None, index), SearchEngine(lib, None, None)):
        assert ids(s, "same title", limit=3) == ["2501.00005", "2501.00004", "2501.00003"]


def test_star_shows_at_once_in_is_starred(searcher: SearchEngine) -> None:
    state = searcher.state
    assert isinstance(state, StateStore)
    assert ids(searcher, "is:starred") == []
    state.toggle_star("2508.00004")
    assert ids(searcher, "is:starred") == ["2508.00004"]
    state.add_tags(["2508.00002"], ["to-read"])
    assert ids(searcher, "tag:to-read") == ["2508.00002"]
    assert ids(searcher, "tag:TO-READ") == ["2508.00002"]
    # user tags and source tags together
    state.add_tags(["2508.00001"], ["interpretability"])
    assert ids(searcher, "tag:interpretability") == ["2508.00001", "2508.00004"]
    assert ids(searcher, "tag:cs.lg") == ["2508.00004"]
    assert ids(searcher, "tag:interp*") == ["2508.00001", "2508.00004"]
    state.set_read(["2508.00001", "2508.00003"], True)
    assert ids(searcher, "is:read") == ["2508.00001", "2508.00003"]
    assert ids(searcher, "diffusion is:unread") == ["2508.00002"]
    assert ids(searcher, "diffusion -is:read") == ["2508.00002"]
    assert searcher.count("is:unread").n == 3
    state.set_note("2508.00005", "check the RAG baseline")
    assert ids(searcher, "has:note") == ["2508.00005"]


def test_id_lookup(searcher: SearchEngine) -> None:
    assert ids(searcher, "id:2508.00003") == ["2508.00003"]
    assert ids(searcher, "2508.00003v2") == ["2508.00003"]
    assert ids(searcher, "2508.99999") == []


def test_dates(searcher: SearchEngine) -> None:
    assert ids(searcher, "date:today") == ["2508.00001"]
    assert ids(searcher, "date:7d") == ["2508.00001", "2508.00003", "2508.00002"]
    assert ids(searcher, "date:2025-07") == ["2508.00004"]
    assert ids(searcher, "date:2025-08-10..2025-08-15") == ["2508.00002", "2508.00005"]
    assert ids(searcher, "date:<2025-08-10") == ["2508.00004"]
    assert ids(searcher, "diffusion date:>2025-08-16") == ["2508.00001", "2508.00003"]


def test_any_of_a_papers_days_matches() -> None:
    p = P("2501.00001", "Old paper", date="2025-01-01")
    p.dates = ["2025-01-01", "2025-08-21"]
    s = SearchEngine(Lib([p]), None, None)
    assert ids(s, "date:today") == ["2501.00001"]
    assert ids(s, "date:2025-01-01") == ["2501.00001"]


def test_signals_and_sorts(searcher: SearchEngine) -> None:
    assert ids(searcher, "has:code") == ["2508.00001"]
    assert ids(searcher, "upvotes:>10") == ["2508.00001", "2508.00002"]
    assert ids(searcher, "upvotes:5..12") == ["2508.00003", "2508.00002"]
    assert ids(searcher, "sort:upvotes")[:3] == ["2508.00001", "2508.00002", "2508.00003"]
    assert ids(searcher, "sort:oldest")[0] == "2508.00004"
    assert ids(searcher, "diffusion sort:newest") == ["2508.00001", "2508.00003", "2508.00002"]
    assert ids(searcher, "diffusion sort:oldest") == ["2508.00002", "2508.00003", "2508.00001"]


def test_boolean_mixes_text_and_filters(searcher: SearchEngine) -> None:
    assert ids(searcher, "sparse OR has:code") == ["2508.00001", "2508.00004"]
    assert ids(searcher, "diffusion -robot*") == ["2508.00003", "2508.00002"]
    assert ids(searcher, "-diffusion") == ["2508.00005", "2508.00004"]
    assert ids(searcher, '"message passing"') == ["2508.00002"]
    assert ids(searcher, '"passing message"') == []
    assert ids(searcher, "title:diffusion") == ["2508.00001"]
    assert ids(searcher, "author:diffusion") == ["2508.00003"]
    assert ids(searcher, "abstract:diffusion") == ["2508.00002"]
    assert sorted(ids(searcher, "difusion~")) == sorted(ids(searcher, "diffusion"))
    assert ids(searcher, "autoencoder") == ["2508.00004"]


def test_counts_and_bad_queries(searcher: SearchEngine) -> None:
    assert searcher.count("diffusion").n == 3
    assert searcher.count("").n == 5
    with pytest.raises(QueryError):
        searcher.search("NOT")
    with pytest.raises(QueryError):
        searcher.count('"open')


def test_similar(searcher: SearchEngine) -> None:
    lib = Lib(
        PAPERS
        + [
            P("2508.00010", "Diffusion policies for robot arms",
              "Diffusion policies learn visuomotor control for robot arms."),
            P("2508.00011", "Robot policies from video", "Visuomotor robot policies."),
        ]
    )  # fmt: skip
    index = searcher.index
    if index is not None:
        index.sync(lib.papers)
    s = SearchEngine(lib, None, index)
    like = [h.id for h in s.similar("2508.00001", limit=3)]
    assert like[0] == "2508.00010" and "2508.00001" not in like
    assert s.similar("nope") == []


def test_papers_not_indexed_yet_are_found_by_scanning() -> None:
    papers = list(PAPERS)
    lib = Lib(papers)
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(lib.papers)
    new = P("2508.00099", "Diffusion transformers", date="2025-08-20")
    lib.papers[new.id] = new  # added to the library, index not synced yet
    s = SearchEngine(lib, None, index)
    r = s.search("transformer*", today=TODAY)
    assert r.ids == ["2508.00099"] and r.scanned == 1
    assert "2508.00099" in ids(s, "diffusion")
    index.sync(lib.papers)
    r = s.search("transformer*", today=TODAY)
    assert r.ids == ["2508.00099"] and r.scanned == 0
    # removed from the library: gone from results even before a sync
    del lib.papers["2508.00001"]
    assert "2508.00001" not in ids(s, "diffusion")


def test_highlight_spans() -> None:
    text = "Influence Functions as a Feedback: functional influences"
    got = [text[a:b] for a, b in spans(text, ["influence", "function"])]
    assert got == ["Influence", "Functions", "influences"]
    assert [text[a:b] for a, b in spans(text, ["func*"])] == ["Functions", "functional"]
    assert [text[a:b] for a, b in spans(text, ["feedbak~"])] == ["Feedback"]
    assert spans(text, []) == []


_Q = st.lists(
    st.sampled_from(["diffusion", "robot*", "OR", "NOT", "-", "(", ")", '"', "is:starred",
                     "tag:x", "date:7d", "upvotes:>3", "sort:upvotes", "title:", "2508.00001",
                     "graph~", " ", "has:code", "id:", "AND", "title:rob*", "ti:(dif* OR gra*)",
                     "abstract:poli~", "au:smi*"])
    , max_size=12).map(" ".join)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(_Q)
def test_fuzz_search_raises_only_query_errors(searcher: SearchEngine, text: str) -> None:
    try:
        r = searcher.search(text, limit=10, today=TODAY)
    except QueryError:
        return
    assert all(h.id in searcher.library.papers for h in r.hits)
    assert len({h.id for h in r.hits}) == len(r.hits)
    # No query shape may break the index (it would fall back to the scan).
    assert searcher.index is None or (searcher.index.problem, r.scanned) == ("", 0)


def test_seed_page_influence_functions(seed: Path) -> None:
    from reader.formats import load_path

    papers: dict[str, Paper] = {}
    for d in load_path(seed):
        for p in d.papers:
            papers[p.id] = p
    if not papers:
        pytest.skip("the text format yields nothing from the seed page yet")
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    for s in (SearchEngine(lib, None, index), SearchEngine(lib, None, None)):
        top = [papers[h.id].title for h in s.search("influence functions", limit=2).hits]
        assert sorted(top) == [
            "InfFeed: Influence Functions as a Feedback to Improve the Performance of "
            "Subjective Tasks",
            "Studying Large Language Model Generalization with Influence Functions",
        ]


# --------------------------------------------------------------------------
# Counts: the engine's total is the exact number of matches (issue 10 item 3)


_ANALYSED: dict[int, tuple[Paper, list[list[str]]]] = {}


def _fields(p: Paper) -> list[list[str]]:
    got = _ANALYSED.get(id(p))
    if got is None or got[0] is not p:
        words = [analyze(p.title), analyze(" ; ".join(p.authors)),
                 analyze(" ; ".join(p.tags)), analyze(p.abstract)]  # fmt: skip
        got = _ANALYSED[id(p)] = (p, words)
    return got[1]


_FIELD_AT = {"title": 0, "authors": 1, "tags": 2, "abstract": 3}


def _brute(node: Node, p: Paper) -> bool:
    """Does ``p`` match ``node``? Word by word over the analysed fields, by
    hand: the independent count the engine's totals are checked against."""
    if isinstance(node, Text):
        fields = _fields(p)
        if node.field is not None:
            fields = [fields[_FIELD_AT[node.field]]]
        for words in fields:
            if node.kind == "term" and node.terms[0] in words:
                return True
            if node.kind == "prefix" and any(w.startswith(node.terms[0]) for w in words):
                return True
            if node.kind == "fuzzy" and any(
                w[:1] == node.terms[0][:1] and within_edits(w, node.terms[0], node.distance or 1)
                for w in words
            ):
                return True
            if node.kind == "phrase":
                n = len(node.terms)
                if any(tuple(words[i : i + n]) == node.terms for i in range(len(words))):
                    return True
        return False
    if isinstance(node, And):
        return all(_brute(c, p) for c in node.children)
    if isinstance(node, Or):
        return any(_brute(c, p) for c in node.children)
    if isinstance(node, Not):
        return not _brute(node.child, p)
    if isinstance(node, DateIn):
        return any(node.lo <= d[:10] <= node.hi for d in p.dates)
    raise AssertionError(f"no brute force for {node!r}")


def brute_count(papers: dict[str, Paper], text: str) -> int:
    node = parse_query(text, TODAY).node
    assert node is not None
    return sum(1 for p in papers.values() if _brute(node, p))


def assert_counts(s: SearchEngine, queries: list[str], at_least: int = 0) -> None:
    """Every query, as typed (the last word also a prefix) and as submitted,
    with the app's kind of limit: total and count() equal the brute force."""
    papers = dict(s.library.papers)
    beyond = 0
    for q in queries:
        for text in dict.fromkeys([q, expand_last_word(q)]):
            want = brute_count(papers, text)
            got = s.search(text, limit=5, today=TODAY)
            assert (text, got.total, got.exact) == (text, want, True)
            assert len(got.hits) == min(5, want)
            assert s.count(text, today=TODAY) == Count(want)
            beyond += want > 5
    assert beyond >= at_least  # the limit was really below the number of matches


_VOCAB = [
    "graph",
    "graphs",
    "graphical",
    "neural",
    "network",
    "networks",
    "net",
    "diffusion",
    "diffuse",
    "model",
    "models",
    "modeling",
    "language",
    "large",
    "latent",
    "layer",
    "label",
    "transformer",
    "transformers",
    "attention",
    "sparse",
    "policy",
    "robot",
    "robots",
    "learning",
]


def _generated(n: int, seed: int) -> dict[str, Paper]:
    rng = random.Random(seed)
    out = {}
    for i in range(n):
        title = " ".join(rng.choice(_VOCAB) for _ in range(rng.randint(2, 6)))
        abstract = " ".join(rng.choice(_VOCAB + ["the", "of"]) for _ in range(rng.randint(0, 30)))
        day = f"2025-{rng.randint(7, 8):02d}-{rng.randint(1, 28):02d}"
        out[f"g{i:05d}"] = P(f"g{i:05d}", title.capitalize(), abstract, date=day,
                             authors=(rng.choice(["Ann Graph", "Bo Net", "Cy Lee"]),))  # fmt: skip
    return out


_SHAPES = [
    "graph", "graph neural", "gra", "neural net", "large language mod", "la", "l",
    "graph*", '"neural network"', '"large language" model', "graph OR diffusion",
    "graph -neural", "-graph", "NOT neural", "title:graph", "title:(graph OR net*)",
    "author:graph", "abstract:net", "ti:ne", "graph date:2025-08", "diffusion OR date:2025-07",
    "(graph OR robot) (policy OR sparse*)", "transformer", "l*", "a*", "ti:n*", "r* -graph",
]  # fmt: skip


def test_counts_are_exact_for_every_shape_on_a_generated_library() -> None:
    papers = _generated(1500, seed=7)
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    s = SearchEngine(lib, None, index)
    assert_counts(s, _SHAPES, at_least=len(_SHAPES))
    # Later syncs (segments without fast postings, deleted documents), then
    # papers gone from the library before the index hears of it.
    more = _generated(1560, seed=8)
    for pid in list(more)[:1500]:
        del more[pid]
    papers.update({f"h{pid}": P(f"h{pid}", p.title, p.abstract) for pid, p in more.items()})
    for pid in list(papers)[:40]:
        papers[pid] = P(pid, "Sparse robot policy", "Nothing else.", date="2025-08-03")
    for pid in list(papers)[40:70]:
        del papers[pid]
    index.sync(papers)
    for pid in list(papers)[70:95]:  # (not 30: the engine's caches know a library by its size)
        del papers[pid]
    assert_counts(s, _SHAPES, at_least=len(_SHAPES))


def test_counts_are_exact_on_the_sample_digests() -> None:
    from reader.config import Config
    from reader.library import open_library

    paths = Paths.from_env()
    library = open_library(paths, Config(), [SAMPLES], use_cache=False)
    assert len(library.papers) > 50
    index = SearchIndex(paths.index_dir)
    index.sync(library.papers)
    s = SearchEngine(library, None, index)
    queries = ["model", "language models", "la", "diffusion OR agent", '"language model"',
               "title:lan", "learn -model", "re"]  # fmt: skip
    assert_counts(s, queries, at_least=3)


def test_counts_while_papers_are_not_indexed_yet() -> None:
    """The scan covering papers the index does not hold yet counts exactly as
    the index would; only a ``word~`` it finds is an estimate ("about")."""
    papers = _generated(300, seed=3)
    lib = Lib([])
    lib.papers = dict(papers)
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(lib.papers)
    for pid, p in _generated(40, seed=4).items():
        lib.papers["n" + pid] = P("n" + pid, p.title, p.abstract, date="2025-08-20")
    lib.papers["n1"] = P("n1", "Graph robots", date="2025-08-20")
    s = SearchEngine(lib, None, index)
    assert_counts(s, _SHAPES, at_least=10)
    assert s.search("(gra OR gra*)", limit=5, today=TODAY).scanned > 10
    assert_counts(SearchEngine(lib, None, None), _SHAPES, at_least=10)  # no index at all
    r = s.search("grap~", limit=5, today=TODAY)
    assert r.scanned and not r.exact and s.count("grap~") == Count(r.total, False)
    index.sync(lib.papers)
    assert s.search("grap~", limit=5, today=TODAY).exact


def test_transformer_count_on_real_digests(real: Path) -> None:
    from reader.formats import load_path

    papers: dict[str, Paper] = {}
    for d in load_path(real / "hf_daily_json" / "hf_daily_papers_2024-05-27_to_2026-08-21.tar.gz"):
        for p in d.papers:
            papers[p.id] = p
    assert len(papers) > 9000
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    s = SearchEngine(lib, None, index)
    want = brute_count(papers, "transformer*")
    assert want > 500
    typed = s.search(expand_last_word("transformer"), limit=100, today=TODAY)
    assert typed.total == want and typed.exact and len(typed.hits) == 100
    assert s.search("transformer", limit=50).total == brute_count(papers, "transformer")
    assert_counts(s, ["large language mod", "la", "diffusion OR agent"])


def test_a_field_prefix_leaves_the_index_usable() -> None:
    """Whoosh answers a prefix with a matcher without positions for a small
    index or more than 1,024 words; a field restriction needs positions (it
    used to raise, the index was marked damaged and every search scanned)."""
    papers = {
        f"w{i}": P(f"w{i}", f"Lantern wo{i:04d} lane wo{(i * 7) % 1100:04d}", f"wo{i:04d}y")
        for i in range(1100)
    }
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    s = SearchEngine(lib, None, index)
    for text in ("(title:lan OR title:lan*)", "title:wo*", "title:lanter~", "abstract:wo*"):
        r = s.search(text, limit=5, today=TODAY)
        assert (text, r.total, r.exact, index.problem) == (
            text, brute_count(papers, text) if "~" not in text else 1100, True, ""
        )  # fmt: skip


# --------------------------------------------------------------------------
# What the reader shows is what search finds: TeX accents (issue 10 item 4)

ACCENTED = [
    P("2509.00001", r"Poincar\'e recurrence for transformers", r"We follow Poincar\'{e}.",
      authors=(r"J. M\"uller", r"K. Schr{\"o}dinger"), tags=[r"G{\"o}del"]),
    P("2509.00002", r"$\alpha$-stable flows and the $\nabla^2$DFT set", "Plain words."),
    P("2509.00003", "Poincare without an accent", "Also here.", authors=("Ann Muller",)),
]  # fmt: skip


@pytest.mark.parametrize("indexed", [True, False])
def test_tex_accents_are_found_as_shown(indexed: bool) -> None:
    from reader.latex import readable

    lib = Lib(ACCENTED)
    index = None
    if indexed:
        index = SearchIndex(Paths.from_env().index_dir)
        index.sync(lib.papers)
    s = SearchEngine(lib, None, index)
    both = ["2509.00001", "2509.00003"]
    for text, want in [
        ("poincare", both), ("poincaré", both), ("Poincaré", both), (r"Poincar\'e", both),
        ("title:poincaré", both), ("abstract:poincare", ["2509.00001"]),
        ("author:müller", both), ("author:muller", both), ("author:Müller", both),
        ("schrodinger", ["2509.00001"]), ("author:schrödinger", ["2509.00001"]),
        ("tag:gödel", ["2509.00001"]), ("tag:godel", ["2509.00001"]),
        (expand_last_word("poinc"), both), ("alpha", ["2509.00002"]), ("α", ["2509.00002"]),
        ("dft", ["2509.00002"]), ('"alpha stable"', ["2509.00002"]),
    ]:  # fmt: skip
        assert (text, sorted(ids(s, text))) == (text, want)
    # The highlight marks the word as shown.
    r = s.search("poincare schrodinger")
    shown = readable(ACCENTED[0].title)
    assert [shown[a:b] for a, b in spans(shown, r.terms)] == ["Poincaré"]
    author = readable(ACCENTED[0].authors[1])
    assert [author[a:b] for a, b in spans(author, r.terms)] == ["Schrödinger"]
    shown = readable(ACCENTED[1].title)
    got = [shown[a:b] for a, b in spans(shown, s.search("α dft").terms)]
    assert got == ["α", "²DFT"]


@pytest.mark.parametrize("indexed", [True, False])
def test_undated_papers_sort_last_oldest_and_newest(indexed: bool) -> None:
    papers = [
        P("2508.00001", "Graph b", date="2025-08-02"),
        P("2508.00002", "Graph a", date="2025-08-02"),
        P("2508.00003", "Graph c", date="2025-08-01"),
        Paper(id="t:undated1", title="Graph undated one", abstract=""),
        P("2508.00004", "Graph d", date="2025-08-03"),
        Paper(id="t:undated2", title="Graph an undated two", abstract=""),
    ]
    lib = Lib(papers)
    index = None
    if indexed:
        index = SearchIndex(Paths.from_env().index_dir)
        index.sync(lib.papers)
    s = SearchEngine(lib, None, index)
    oldest = ["2508.00003", "2508.00002", "2508.00001", "2508.00004", "t:undated2", "t:undated1"]
    newest = ["2508.00004", "2508.00002", "2508.00001", "2508.00003", "t:undated2", "t:undated1"]
    for text in ("sort:oldest", "graph sort:oldest", "(graph OR gr*) sort:oldest"):
        assert (text, ids(s, text)) == (text, oldest)
        assert (text, ids(s, text, limit=4)) == (text, oldest[:4])
    for text in ("", "sort:newest", "graph sort:newest"):
        assert (text, ids(s, text)) == (text, newest)


def test_equal_scores_come_in_one_order_on_every_build(tmp_path: Path) -> None:
    """Two builds of the same papers (met in another order) rank tied papers
    alike: newer first, then by id; also when more are tied than are shown."""
    papers = [
        P(f"2508.{i:05d}", "Tied words here", "Same abstract for all.",
          date="2025-08-21" if i % 3 else "2025-08-20")
        for i in range(60)
    ]  # fmt: skip
    want_all = sorted(papers, key=lambda p: p.id)
    want_all.sort(key=lambda p: p.date, reverse=True)
    want = [p.id for p in want_all]
    for query in ("tied", "tied word", "ti:tied", '"tied words"', "tied OR here", "tie*"):
        got = []
        for n, order in enumerate((papers, papers[::-1], papers[7:] + papers[:7])):
            lib = Lib(order)
            index = SearchIndex(tmp_path / f"ix{n}")
            index.sync(lib.papers)
            got.append(ids(SearchEngine(lib, None, index), query, limit=5))
            got.append(ids(SearchEngine(lib, None, index), query))
            index.close()
        assert got[0] == want[:5], query
        assert got[1] == want, query
        assert all(g == got[n % 2] for n, g in enumerate(got)), query


@pytest.mark.parametrize(
    "typed",
    ["ti:zep", "title:zep", "au:zepp", "author:zep", "authors:zep", "abs:zep",
     "abstract:zep", "tag:zep", "tags:zep", "TI:zep"],
)  # fmt: skip
def test_every_name_of_a_field_matches_the_word_being_typed(typed: str, tmp_path: Path) -> None:
    lib = Lib([
        P("2508.00001", "Zeppelin routing", "Zeppelins fly.", authors=("Zeppo Marx",),
          tags=["zeppelin"]),
        P("2508.00002", "Model merging", "Nothing here."),
    ])  # fmt: skip
    index = SearchIndex(tmp_path / "ix")
    index.sync(lib.papers)
    for s in (SearchEngine(lib, None, index), SearchEngine(lib, None, None)):
        assert ids(s, expand_last_word(typed)) == ["2508.00001"], typed


def test_a_new_library_of_the_same_size_is_searched_not_the_old_one() -> None:
    """Caches follow the papers, not the address of the old mapping: a new
    mapping may be given the address of one just freed."""
    import gc

    lib = Lib([P("2508.00001", "Old paper", date="2025-08-01")])
    s = SearchEngine(lib, None, None)
    assert ids(s, "") == ["2508.00001"]
    for n in range(20):
        lib.papers = None  # type: ignore[assignment]
        gc.collect()
        lib.papers = {f"2508.1{n:04d}": P(f"2508.1{n:04d}", "New paper", date="2025-08-02")}
        assert ids(s, "") == [f"2508.1{n:04d}"]
        assert ids(s, "date:2025-08-02") == [f"2508.1{n:04d}"]


def test_word_tilde_means_the_same_in_the_index_the_scan_and_the_highlight(
    tmp_path: Path,
) -> None:
    """One meaning of "within N edits": an index of one segment, one of two
    segments, the scan of papers not indexed yet, and the highlighter agree."""
    papers = [
        P("2508.00001", "Graph networks"),  # grpah~: a swap is two edits
        P("2508.00002", "Grapes harvest"),  # graps~: one edit
        P("2508.00003", "Transformer models"),  # trnsfrmer~2: two edits
    ]
    lib = Lib(papers[:2])
    index = SearchIndex(tmp_path / "ix")
    index.sync(lib.papers)
    lib.papers = {p.id: p for p in papers}
    index.sync(lib.papers)  # a second segment
    one = SearchIndex(tmp_path / "one")
    one.rebuild(lib.papers)
    engines = [SearchEngine(lib, None, i) for i in (index, one, None)]
    for query, want in [("grpah~", []), ("grpah~2", ["2508.00001"]), ("grapz~", ["2508.00001", "2508.00002"]),
                        ("trnsfrmer~2", ["2508.00003"]), ("trnsfrmer~", [])]:  # fmt: skip
        for s in engines:
            assert sorted(ids(s, query)) == want, (query, s.index)
    terms = parse_query("trnsfrmer~2").terms
    assert spans("Transformer models", terms) == [(0, 11)]
    assert spans("Graph networks", parse_query("grpah~").terms) == []


def test_a_one_letter_prefix_over_many_words_and_a_later_segment() -> None:
    """``q*`` expands to hundreds of words, some only in a later segment
    (without fast postings): counts equal the brute force, and hits and
    scores those of one full build of the same papers."""
    rng = random.Random(5)
    words = sorted({"q" + "".join(rng.choices("aeioulmnrst", k=6)) for _ in range(900)})
    assert len(words) > 600

    def paper(pid: str) -> Paper:
        return P(pid, " ".join(rng.sample(words, 3)).capitalize(), " ".join(rng.sample(words, 8)))

    papers = {f"q{i:04d}": paper(f"q{i:04d}") for i in range(400)}
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    papers.update({f"r{i:04d}": paper(f"r{i:04d}") for i in range(60)})  # a later segment
    index.sync(papers)
    s = SearchEngine(lib, None, index)
    assert_counts(s, ["q*", "title:q*", "q* -qa*", words[7]], at_least=3)
    queries = ["q*", "title:q*", "q* -qa*", "qaeiou~2"]

    def ranked() -> list[list[tuple[str, float]]]:
        return [[(h.id, round(h.score, 6)) for h in s.search(q, limit=10, today=TODAY).hits]
                for q in queries]  # fmt: skip

    got = ranked()
    index.rebuild(papers)
    assert got == ranked()


def test_equal_scores_are_cut_at_the_limit_newer_first_then_id() -> None:
    """``-robot`` ties every paper at score 0: the best 7 are the 7 newest
    (then by id), the count is every paper, and the index hands back 7, not
    all 300 ties for the engine to sort."""
    import numpy as np

    papers = {
        f"t{i:04d}": P(f"t{i:04d}", "Same words", date=f"2025-08-{1 + (i * 7) % 28:02d}")
        for i in range(300)
    }
    lib = Lib([])
    lib.papers = papers
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(papers)
    want = sorted(papers)
    want.sort(key=lambda pid: papers[pid].date, reverse=True)
    for s in (SearchEngine(lib, None, index), SearchEngine(lib, None, None)):
        got = s.search("-robot", limit=7)
        assert (got.ids, got.total) == (want[:7], 300)
        assert s.search("same -robot", limit=7).ids == want[:7]
    node = parse_query("-robot").node
    assert node is not None
    docs, _, total, _ = index.search_docs(node, 7, tiekey=np.arange(300, dtype=np.int64))
    assert (len(docs), total) == (7, 300)


def _many() -> list[Paper]:
    """400 papers in 4 days, half of them sharing every word (ties at any cut)."""
    out = []
    for i in range(400):
        out.append(
            P(f"2508.{i:05d}", f"{'Agents' if i % 2 else 'Diffusion'} planning {i % 7}",
              f"Words about sampling {i % 5}.", date=f"2025-08-{10 + i % 4:02d}",
              upvotes=i % 9 or None, tags=["cs.LG", "cs.AI"] if i % 3 else ["stat.ML"])
        )  # fmt: skip
    return out


FIRST_QUERIES = [
    "the -agents",  # -b alone: every other paper ties at 0
    "agents",
    "(agents OR agents*) planning",
    "tags:cs.lg",
    "(tags:st OR tags:st*)",
    "date:2025-08-12",
    "upvotes:>3 sort:upvotes",
    "planning date:2025-08-11..2025-08-12 sort:oldest",
    "diffusion -agents sort:newest",
]


@pytest.mark.parametrize("with_index", [True, False])
def test_the_first_query_of_each_kind_answers_as_a_warmed_engine(with_index: bool) -> None:
    """A new engine's first query of each kind (which makes the columns, the
    tie ranks, the days or the folded tags on its way) gives the answer of an
    engine warmed first, hits, scores and count alike."""
    lib = Lib(_many())
    index = None
    if with_index:
        index = SearchIndex(Paths.from_env().index_dir)
        index.sync(lib.papers)
    warmed = SearchEngine(lib, None, index)
    warmed.warm()
    for q in FIRST_QUERIES:
        cold = SearchEngine(Lib(list(lib.papers.values())), None, index)
        first = cold.search(q, limit=20, today=TODAY)
        want = warmed.search(q, limit=20, today=TODAY)
        assert [(h.id, round(h.score, 6)) for h in first.hits] == [
            (h.id, round(h.score, 6)) for h in want.hits
        ], q
        assert first.total == want.total and first.total > 0, q
        assert cold.search(q, limit=20, today=TODAY).ids == first.ids, q


def test_many_ids_are_numbered_in_bulk_as_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filter's thousands of ids (``date:``), the ties at a cut and the map
    to the index's documents are numbered by one binary search of them all
    (:class:`~reader.search.idtable.IdTable`): the same answers as a lookup
    of each id."""
    import reader.search.engine as engine_module

    papers = [
        P(f"2508.{i:05d}", f"{'Agents' if i % 2 else 'Diffusion'} planning {i % 7}",
          f"Words {i % 5}.", date=f"2025-08-{10 + i % 9:02d}")
        for i in range(2600)
    ]  # fmt: skip
    papers.append(P("2508.99999", "Agents planning é", date="2025-08-12"))
    # an id longer than fits a narrow numpy text array (a DOI's)
    papers.append(P("10.1000/" + "x" * 60, "Agents planning long", date="2025-08-12"))
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(Lib(papers).papers)
    queries = [
        "planning date:2025-08-10..2025-08-17 sort:newest",
        "agents date:2025-08-12",
        "agents planning long",
        "the -agents",
        "date:2025-08-15 -diffusion sort:oldest",
    ]
    bulk = [
        SearchEngine(Lib(papers), None, index).search(q, limit=30, today=TODAY) for q in queries
    ]

    # the reference: a lookup of each id in a dict of the columns' ids
    def one_by_one(self: object, ids: list[str | None]) -> object:
        import numpy as np

        docnum = {pid: n for n, pid in enumerate(self.ids)}  # type: ignore[attr-defined]
        return np.array([-1 if p is None else docnum.get(p, -1) for p in ids], np.int64)

    monkeypatch.setattr(engine_module._Columns, "numbers", one_by_one)
    index._docnums_of = None
    for q, got in zip(queries, bulk, strict=True):
        want = SearchEngine(Lib(papers), None, index).search(q, limit=30, today=TODAY)
        assert (got.ids, got.total) == (want.ids, want.total) and want.total > 0, q
