"""Search as you type: the word being typed also matches as a prefix."""

from __future__ import annotations

import pytest

from reader.model import Paper
from reader.search.engine import SearchEngine
from reader.search.incremental import expand_last_word


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
        ('"open phr', '"open phr'),
        ("x OR", "x OR"),
        ("m", "m"),
        ("2401.1000", "2401.1000"),
    ],
)
def test_the_last_word_becomes_a_prefix(typed: str, query: str) -> None:
    assert expand_last_word(typed) == query


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
