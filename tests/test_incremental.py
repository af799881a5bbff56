"""Search as you type: the word being typed also matches as a prefix."""

from __future__ import annotations

import pytest

from reader.model import Paper
from reader.search.engine import SearchEngine
from reader.search.incremental import expand_last_word, searched_whole, while_typing
from reader.search.query import parse_query


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("zep", "(zep OR zep*)"),
        ("diffusion mod", "diffusion (mod OR mod*)"),
        ("title:zep", "(title:zep OR title:zep*)"),
        ("-sim", "-sim*"),
        # left alone: a finished word, a value, an open phrase, an operator, one letter
        ("diffusion mod ", "diffusion mod "),
        ("date:2025-08", "date:2025-08"),
        ("is:starr", "is:starr"),
        # an open phrase: its last word being typed is a prefix, beside the phrase
        ('"open phr', '("open phr" OR ("open" phr*))'),
        ('"lang', '("lang" OR (lang*))'),
        ('x title:"large lang', 'x (title:"large lang" OR (title:"large" title:lang*))'),
        ('"open phr ', '"open phr "'),  # the last word done: the phrase, closed
        ('-"open phr', '-"open phr"'),
        ("x OR", "x OR"),
        ("m", "m"),
        ("2401.1000", "2401.1000"),
    ],
)
def test_the_last_word_becomes_a_prefix(typed: str, query: str) -> None:
    assert expand_last_word(typed) == query


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("sort:up", ""),
        ("diffusion sort:up", "diffusion "),
        ("x is:sta", "x "),
        ("x -has:co", "x "),
        ("x date:2025-0", "x "),
        ("diffusion title:", "diffusion "),
        ("x OR", "x "),
        ("x -", "x "),
        ("(diffusion OR mod", "(diffusion OR (mod OR mod*))"),
        ("title:(a OR b", "title:(a OR b)"),
        # nothing being typed to leave out: the error is the query's own
        ("(a OR b) c", None),
        ("x sort:up ", None),
    ],
)
def test_while_typing_leaves_out_the_end_being_typed(typed: str, searched: str | None) -> None:
    assert while_typing(typed) == searched
    if searched is not None:
        parse_query(searched)  # a valid query
        assert not searched_whole(typed, searched)


def test_an_open_phrase_as_typed_is_a_valid_query() -> None:
    for typed in ('"large lang', '"large language mod', 'title:"x y', '"a', '"', '"a b "'):
        parse_query(expand_last_word(typed))


class _Lib:
    def __init__(self, papers: list[Paper]) -> None:
        self.papers = {p.id: p for p in papers}


def test_a_half_typed_word_finds_the_paper() -> None:
    papers = [
        Paper(id="1", title="Zeppelin Routing for Sparse Experts", dates=["2025-08-21"]),
        Paper(id="2", title="Model Merging", dates=["2025-08-21"]),
        Paper(id="3", title="Models of Models", dates=["2025-08-21"]),
    ]
    searcher = SearchEngine(_Lib(papers), None, None)
    assert [h.id for h in searcher.search(expand_last_word("zep")).hits] == ["1"]
    found = [h.id for h in searcher.search(expand_last_word("model")).hits]
    assert set(found) == {"2", "3"}
    # the word being typed in an open phrase, too
    assert [h.id for h in searcher.search(expand_last_word('"sparse exp')).hits] == ["1"]
