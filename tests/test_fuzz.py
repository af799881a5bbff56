"""Property tests (hypothesis): the sanitiser's promises on any text; every
format loader fed random bytes and random structures shaped like each format;
the whole search path fed random strings. The only outcomes allowed are
papers, or our own clear error (a Problem on the digest, a ``QueryError``),
never another exception. Loaders are called directly (``fmt.load``), so the
registry's catch-all cannot hide a crash, and every format gets every input,
even one its detector would refuse.

Example counts are small so the whole file stays well under 30 s.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.hostile_payloads import FIXTURES, SEQUENCES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.formats import formats
from reader.formats.base import Format, Source
from reader.model import Digest
from reader.safeload import LoadError, load_json, load_yaml
from reader.sanitize import clean, clean_line

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FAST = settings(max_examples=40, deadline=None, database=None)


def inert(text: str, allowed: str = "") -> bool:
    return not any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) or c in BIDI for c in text
    )


# ------------------------------------------------------------------ text strategies

#: Characters that matter to a terminal, mixed with ordinary ones.
_NASTY = st.sampled_from(
    [
        "\x1b", "[", "]", "\\", "P", "X", "^", "_", ";", "0", "2", "5", "m", "J", "c", "(",
        "\x07", "\x00", "\r", "\n", "\t", "\x7f", "\x85", "\x90", "\x98", "\x9b", "\x9c",
        "\x9d", "\x9e", "\x9f", "\u202e", "\u2066", "\u2028", "\u0301", "\ud800", "\udc00",
        "a", " ", "é", "東", "\U0001f600", "&", "<", ">", '"', "'", "|", ",", "$",
    ]
)  # fmt: skip
NASTY_TEXT = st.one_of(
    st.lists(_NASTY, max_size=60).map("".join),
    st.text(max_size=60),
    st.lists(st.sampled_from([p for _, p in SEQUENCES] + ["x", " "]), max_size=6).map("".join),
)


# ---------------------------------------------------------------------- the sanitiser


@FAST
@given(NASTY_TEXT)
def test_clean_output_is_inert_and_stable(text: str) -> None:
    out = clean(text)
    assert inert(out, "\n\t")
    assert clean(out) == out
    line = clean_line(text)
    assert inert(line) and "\n" not in line and "\t" not in line
    assert clean_line(line) == line
    out.encode("utf-8")  # always writable
    if text.isascii() and text.isprintable():
        assert out == text


@FAST
@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs", "S"]), max_size=80))
def test_clean_leaves_ordinary_text_alone(text: str) -> None:
    assert clean(text) == text


# ------------------------------------------------------------------ the safe loaders


@FAST
@given(st.text(max_size=200))
def test_safe_loaders_raise_only_load_errors(text: str) -> None:
    for load in (load_yaml, load_json):
        try:
            load(text)
        except LoadError as exc:
            assert exc.message and "\n" not in exc.message


# ------------------------------------------------------------------------ the loaders


def all_formats() -> list[Format]:
    found = formats()
    assert found, "no format module is registered"
    return found


def check_load(fmt: Format, name: str, data: bytes) -> Digest:
    """``fmt.load`` on ``data``: a Digest, never an exception; its strings inert."""
    try:
        digest = fmt.load(Source(name, data))
    except RecursionError:
        pytest.fail(f"{fmt.name}: RecursionError on {data[:200]!r}")
    except Exception as exc:
        pytest.fail(f"{fmt.name} raised {type(exc).__name__}: {exc} on {data[:300]!r}")
    assert isinstance(digest, Digest)
    for p in digest.problems:
        assert not p.message.startswith("could not be read as"), p.message
    for paper in digest.papers:
        assert paper.id, f"{fmt.name}: a paper without an id"
        assert inert(paper.title), (fmt.name, paper.title)
        assert inert(paper.abstract, "\n\t"), (fmt.name, paper.abstract[:200])
        for t in [*paper.authors, *paper.tags, *(lk.url for lk in paper.links)]:
            assert inert(t), (fmt.name, t)
    try:  # a detector must not raise either
        fmt.detect(Source(name, data))
    except Exception as exc:
        pytest.fail(f"{fmt.name}.detect raised {type(exc).__name__}: {exc} on {data[:300]!r}")
    return digest


def feed_every_format(name: str, data: bytes) -> None:
    for fmt in all_formats():
        check_load(fmt, name, data)


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.binary(max_size=400),
    st.sampled_from(["x.json", "x.yaml", "x.xml", "x.md", "x.csv", "x.txt", "x.jsonl"]),
)
def test_every_loader_survives_random_bytes(data: bytes, name: str) -> None:
    feed_every_format(name, data)


# random structures shaped like the formats' records

_FIELDS = [
    "id", "title", "abstract", "summary", "authors", "links", "tags", "upvotes", "comments",
    "github_stars", "ai_summary", "published", "date", "url", "arxiv_url", "pdf_url", "paper",
    "name", "publishedAt", "githubRepo", "projectPage", "ai_keywords", "numComments", "categories",
    "authors_parsed", "doi", "versions", "update_date", "data", "status", "papers", "source",
    "abs", "pdf", "code", "project", "hf", "other", "submittedOnDailyBy", "code_url",
]  # fmt: skip
_SCALARS = st.one_of(
    NASTY_TEXT,
    st.sampled_from(
        ["2401.10000", "2401.10000v2", "cond-mat/0412498", "2025-08-21", "NO", "012",
         "https://arxiv.org/abs/2401.10000", "ssh://h/x", "javascript:x", "10.1000/x", "",
         "Ada Lovelace, Alan Turing and Emmy Noether", "Bal\\'azs", "$x^2$", "1e999"]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)  # fmt: skip
JSONISH = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(_FIELDS), children, max_size=6),
    ),
    max_leaves=25,
)
RECORD = st.dictionaries(st.sampled_from(_FIELDS), JSONISH, max_size=8)
DOCUMENT = st.one_of(
    st.lists(RECORD, max_size=4),  # hf-json, arxiv lists
    st.fixed_dictionaries({"papers": st.lists(RECORD, max_size=4)}, optional={"date": _SCALARS, "title": _SCALARS}),
    st.fixed_dictionaries({"data": st.lists(st.fixed_dictionaries({"paper": RECORD}), max_size=3)}),
    st.lists(st.fixed_dictionaries({"paper": RECORD}, optional={"title": _SCALARS}), max_size=3),
    RECORD,  # paper-yaml, one record
    st.dictionaries(_SCALARS.map(str), st.dictionaries(st.sampled_from(_FIELDS), JSONISH, max_size=4), max_size=3),
)  # fmt: skip


@settings(max_examples=50, deadline=None, database=None)
@given(DOCUMENT)
def test_every_loader_survives_json_and_yaml_structures(doc: Any) -> None:
    as_json = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    feed_every_format("2025-08-21.json", as_json)
    if isinstance(doc, list):
        lines = "\n".join(json.dumps(r) for r in doc).encode("utf-8", "surrogatepass")
        feed_every_format("2025-08-21.jsonl", lines)
    try:
        as_yaml = yaml.safe_dump(doc, allow_unicode=False).encode()
    except yaml.YAMLError:
        return
    feed_every_format("2025-08-21.yaml", as_yaml)


# XML-ish text

_TAGS = ["feed", "entry", "title", "summary", "author", "name", "id", "published", "updated",
         "link", "category", "rss", "channel", "item", "description", "rdf:RDF", "dc:creator",
         "arxiv:comment", "guid", "pubDate"]  # fmt: skip
_ATTRS = st.dictionaries(
    st.sampled_from(["href", "rel", "term", "type", "xmlns", "version", "title"]),
    st.sampled_from(["http://www.w3.org/2005/Atom", "2.0", "alternate", "https://arxiv.org/abs/2401.1", "cs.LG", "&amp;", "<"]),
    max_size=2,
)  # fmt: skip
_XML_TEXT = st.one_of(
    NASTY_TEXT.map(lambda t: t.replace("<", "&lt;")),
    st.sampled_from(
        ["&amp;", "&lt;b&gt;x&lt;/b&gt;", "&#27;", "&#x9b;", "&bogus;", "<![CDATA[x]]>", "&"]
    ),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attrs: dict[str, str], body: list[str]) -> str:
        a = "".join(f' {k}="{v}"' for k, v in attrs.items())
        return f"<{tag}{a}>{''.join(body)}</{tag}>"

    return st.builds(build, st.sampled_from(_TAGS), _ATTRS, st.lists(children, max_size=4))


XMLISH = st.recursive(_XML_TEXT, _element, max_leaves=30).map(
    lambda body: '<?xml version="1.0"?>\n' + body
) | st.lists(st.one_of(_XML_TEXT, st.sampled_from(["<feed xmlns=\"http://www.w3.org/2005/Atom\">", "<entry>", "</entry>", "<title>", "</title>", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "<rss version=\"2.0\"><channel>", "<item>", "</item>"])), max_size=30).map("".join)  # fmt: skip


@settings(max_examples=50, deadline=None, database=None)
@given(XMLISH)
def test_every_loader_survives_xmlish_text(text: str) -> None:
    feed_every_format("2025-08-21.xml", text.encode("utf-8", "surrogatepass"))


# Markdown tables and CSV

_CELL = st.one_of(
    NASTY_TEXT.map(lambda t: t.replace("\n", " ")),
    st.sampled_from(["[Title](https://arxiv.org/abs/2401.10000)", "2401.10000", "**Bold**",
                     "[](", "|", "\\|", "<br>", "[code](https://github.com/x/y)", "2025-08-21", ""]),
)  # fmt: skip
_ROWS = st.lists(st.lists(_CELL, min_size=1, max_size=6), max_size=8)


def markdown_table(rows: list[list[str]], heading: str) -> str:
    width = max((len(r) for r in rows), default=1)
    head = ["Paper", "Links", "Date", "Authors", "Abstract", "Tags"][:width]
    lines = [f"# {heading}", "", "| " + " | ".join(head) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


@settings(max_examples=50, deadline=None, database=None)
@given(_ROWS, _CELL)
def test_every_loader_survives_markdown_tables_and_csv(rows: list[list[str]], heading: str) -> None:
    feed_every_format(
        "2025-08-21.md", markdown_table(rows, heading).encode("utf-8", "surrogatepass")
    )
    csv_text = "title,authors,url,abstract,date\n" + "\n".join(",".join(r) for r in rows)
    feed_every_format("2025-08-21.csv", csv_text.encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------------- the search


@pytest.fixture
def hostile_searcher(xdg: dict[str, Path]) -> Any:
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths
    from reader.search.engine import SearchEngine
    from reader.search.index import SearchIndex
    from reader.state import StateStore

    paths = Paths.from_env()
    library = open_library(paths, Config(), extra=[FIXTURES], use_cache=False)
    state = StateStore(paths.state_file)
    state.load()
    state.set_starred(["2509.90001"], True)
    state.add_tags(["2509.90002"], ["x"])
    index = SearchIndex(paths.index_dir)
    index.sync(library.papers)
    return SearchEngine(library, state, index)


def test_the_whole_search_path_gives_results_or_a_query_error(hostile_searcher: Any) -> None:
    from reader.search.query import QueryError

    searcher = hostile_searcher
    words = st.sampled_from(
        ["tapir", "marmot", "PWNED", "title:", "tag:", "is:starred", "NOT", "OR", "AND", "(",
         ")", '"', "*", "~", "-", "date:", "upvotes:>", "sort:", "id:", "\x1b]0;", "[/]", ":"]
    )  # fmt: skip
    queries = st.one_of(
        st.text(max_size=40), st.lists(st.one_of(words, NASTY_TEXT), max_size=8).map(" ".join)
    )

    @settings(
        max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(queries)
    def run(text: str) -> None:
        try:
            result = searcher.search(text, limit=20)
        except QueryError as exc:
            assert str(exc) and inert(str(exc))
            return
        ids = [h.id for h in result.hits]
        assert len(ids) == len(set(ids))
        assert set(ids) <= set(searcher.library.papers)

    run()
    searcher.index.close()
