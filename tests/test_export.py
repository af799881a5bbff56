"""Export: what a user pastes into their paper or loads into another tool."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser import middlewares as mw

from reader.export import FORMATS, bib_escape, bibtex_entry, citation_keys, export
from reader.model import Link, Paper
from reader.paths import Paths
from reader.safeload import load_json, load_yaml
from reader.state import StateStore, open_state


def _papers() -> list[Paper]:
    return [
        Paper(
            id="2401.10000",
            title="Attention Is {All} You Need: 100% of $x_1$ & #tags ~ ^ \\cite",
            authors=["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"],
            abstract="We propose the Transformer.\n\nSecond paragraph.",
            links=[Link("abs", "https://arxiv.org/abs/2401.10000"), Link("code", "https://g.co/x")],
            tags=["cs.CL", "transformers"],
            dates=["2024-01-18"],
            arxiv_id="2401.10000",
        ),
        Paper(
            id="2401.10001",
            title="Attention for graphs",
            authors=["Émile Vaswani"],
            dates=["2024-01-19"],
            arxiv_id="2401.10001",
            tags=["cs.LG"],
        ),
        Paper(
            id="2401.10002",
            title="The attention trick",
            authors=["Petar Vaswani"],
            dates=["2024-01-19"],
            arxiv_id="2401.10002",
        ),
        Paper(
            id="doi:10.1145/1234.5678",
            title='=HYPERLINK("http://evil") [link](x) *bold*',
            authors=["Smith, John", "Ben and Jerry"],
            doi="10.1145/1234.5678",
            links=[Link("doi", "https://doi.org/10.1145/1234.5678")],
            published="2023-05-02",
        ),
        Paper(id="cond-mat/0412498", title="Old style", authors=["Ana Łukasiewicz"]),
    ]


@pytest.fixture
def state() -> StateStore:
    store = open_state(Paths.from_env().state_file)
    store.set_starred(["2401.10000"], True)
    store.add_tags(["2401.10000"], ["to-read", "nlp&more"])
    store.set_note("2401.10000", "Key idea: {self}-attention, 50% fewer ops.\nSee §3.")
    return store


def _parse_bib(text: str) -> bibtexparser.Library:
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    return lib


def test_bibtex_is_read_back_by_a_bibtex_parser(state: StateStore) -> None:
    papers = _papers()
    text = export(papers, state, "bibtex", with_notes=True)
    lib = _parse_bib(text)
    by_key = {e.key: e for e in lib.entries}
    assert list(by_key) == [
        "vaswani2024attention",
        "vaswani2024attentiona",
        "vaswani2024attentionb",
        "smith2023hyperlink",
        "lukasiewicz2004old",
    ]
    first = by_key["vaswani2024attention"]
    assert first["eprint"] == "2401.10000"
    assert first["archivePrefix"] == "arXiv"
    assert first["primaryClass"] == "cs.CL"
    assert first["year"] == "2024"
    assert first["title"] == "{" + bib_escape(papers[0].title) + "}"
    assert first["keywords"] == "nlp\\&more, to-read"
    assert "self" in first["annote"] and "\\%" in first["annote"]
    assert first["author"] == "Ashish Vaswani and Noam Shazeer and Niki Parmar"
    assert by_key["lukasiewicz2004old"]["primaryClass"] == "cond-mat"
    assert "eprint" not in by_key["smith2023hyperlink"]
    assert by_key["smith2023hyperlink"]["doi"] == "10.1145/1234.5678"
    assert by_key["smith2023hyperlink"]["author"] == "{Smith, John} and {Ben and Jerry}"


def test_bibtex_special_characters_decode_to_the_title(state: StateStore) -> None:
    text = export(_papers()[:1], state, "bibtex")
    lib = bibtexparser.parse_string(text, append_middleware=[mw.LatexDecodingMiddleware()])
    title = lib.entries[0]["title"]
    # bare specials decode to themselves; the command \\cite stays a command
    for part in ("Attention Is", "100% of $x_1$ & #tags ~"):
        assert part in title


def test_keys_are_stable_whatever_the_order() -> None:
    papers = _papers()
    assert citation_keys(papers) == citation_keys(list(reversed(papers)))
    # one entry copied alone gets the same key as the first of its group
    assert bibtex_entry(papers[0], None).startswith("@misc{vaswani2024attention,\n")


def test_a_hostile_title_cannot_break_out_of_its_entry() -> None:
    p = Paper(id="2401.10009", title="x}, note = {pwned} } @misc{evil,", authors=["A B"])
    lib = _parse_bib(bibtex_entry(p, None))
    assert len(lib.entries) == 1 and "note" not in lib.entries[0].fields_dict


def test_markdown_lists_links_authors_dates_and_tags(state: StateStore) -> None:
    text = export(_papers(), state, "markdown", with_notes=True)
    lines = text.splitlines()
    assert lines[0].startswith("- ★ **[Attention Is \\{All\\} You Need")
    assert "(<https://arxiv.org/abs/2401.10000>)" in lines[0]
    assert "Ashish Vaswani, Noam Shazeer, Niki Parmar · 2024-01-18 · arXiv:2401.10000" in text
    assert "tags: `nlp&more`, `to-read`" in text
    assert "\\[link\\]\\(x\\) \\*bold\\*" in text  # shown literally, not as a link
    assert "  > Key idea: {self}-attention, 50% fewer ops." in text


def test_json_carries_every_field_a_tool_needs(state: StateStore) -> None:
    data = load_json(export(_papers(), state, "json", with_notes=True)).data
    assert len(data) == 5
    first = data[0]
    for key in ("id", "title", "authors", "date", "url", "abstract", "starred", "tags", "note"):
        assert key in first
    assert first["id"] == "2401.10000" and first["starred"] is True
    assert first["tags"] == ["nlp&more", "to-read"]
    assert first["links"][1] == {"label": "code", "url": "https://g.co/x"}
    assert data[1]["starred"] is False and data[1]["note"] == ""
    assert json.loads(export(_papers(), None, "json"))[0]["tags"] == []


def test_csv_is_read_back_by_the_csv_module(state: StateStore) -> None:
    rows = list(csv.DictReader(io.StringIO(export(_papers(), state, "csv"))))
    assert [r["id"] for r in rows] == [p.id for p in _papers()]
    assert rows[0]["authors"] == "Ashish Vaswani; Noam Shazeer; Niki Parmar"
    assert rows[0]["starred"] == "true" and rows[0]["tags"] == "nlp&more; to-read"
    assert rows[0]["abstract"] == "We propose the Transformer.\n\nSecond paragraph."
    assert rows[3]["title"].startswith("'=HYPERLINK")  # not run as a formula


def test_yaml_is_read_back_with_ids_as_strings(state: StateStore) -> None:
    data = load_yaml(export(_papers(), state, "yaml", with_notes=True)).data
    assert data[0]["id"] == "2401.10000" and data[0]["starred"] == "true"
    assert data[0]["title"] == _papers()[0].title
    assert data[0]["note"] == "Key idea: {self}-attention, 50% fewer ops.\nSee §3."
    assert data[4]["id"] == "cond-mat/0412498"


def test_every_format_handles_no_papers_and_unknown_formats() -> None:
    for fmt in FORMATS:
        assert isinstance(export([], None, fmt), str)
    with pytest.raises(ValueError, match="bibtex"):
        export([], None, "docx")


def _bib_fields(text: str) -> dict[str, str]:
    lib = _parse_bib(text)
    assert len(lib.entries) == 1
    return {f.key: f.value for f in lib.entries[0].fields}


def test_latex_in_a_title_passes_through_once_escaped() -> None:
    # the real title of 2406.14347, as Hugging Face lists it
    title = (
        "$\\nabla^2$DFT: A Universal Quantum Chemistry Dataset of Drug-Like Molecules"
        " and a Benchmark for Neural Network Potentials"
    )
    p = Paper(id="2406.14347", title=title, authors=["Kuzma Khrabrov"], arxiv_id="2406.14347")
    fields = _bib_fields(bibtex_entry(p, None))
    assert fields["title"] == "{" + title + "}"
    assert "textbackslash" not in fields["title"] and "\\$" not in fields["title"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # math, commands and accents pass through; bare specials around them are escaped
        ("Sub-$\\mathcal{O}(n)$ & fast", "Sub-$\\mathcal{O}(n)$ \\& fast"),
        ("\\emph{Poincar\\'e} maps: 100% #1", "\\emph{Poincar\\'e} maps: 100\\% \\#1"),
        ("Already \\& escaped \\$", "Already \\& escaped \\$"),
        ("snake_case ~ x^2", "snake\\_case \\textasciitilde{} x\\textasciicircum{}2"),
        # a price is not math; an unknown command is not LaTeX (shown as typed)
        ("From $5 to $10", "From \\$5 to \\$10"),
        ("C:\\Users", "C:\\textbackslash{}Users"),
        # braces outside LaTeX are text, as on the screen
        ("{All} of it", "\\textbraceleft{}All\\textbraceright{} of it"),
        # math that would unbalance the entry is escaped as text
        ("$a}$ b", "\\$a\\textbraceright{}\\$ b"),
    ],
)
def test_only_bare_special_characters_are_escaped(title: str, expected: str) -> None:
    assert bib_escape(title) == expected
    fields = _bib_fields(bibtex_entry(Paper(id="2401.10009", title=title, authors=["A B"]), None))
    assert fields["title"] == "{" + expected + "}"


def test_month_is_a_braced_number() -> None:
    p = Paper(id="2406.14347", title="T", authors=["A B"], published="2024-06-20")
    entry = bibtex_entry(p, None)
    assert "month = {6}" in entry
    assert _bib_fields(entry)["month"] == "6"


def test_notes_stay_out_of_every_export_unless_asked(state: StateStore) -> None:
    papers = _papers()
    for fmt in FORMATS:
        assert "Key idea" not in export(papers, state, fmt), fmt
        assert "Key idea" in export(papers, state, fmt, with_notes=True), fmt
    # the app copies one entry with bibtex_entry's defaults
    assert "annote" not in bibtex_entry(papers[0], state)
    assert "Key idea" in bibtex_entry(papers[0], state, with_notes=True)
    assert "note" not in csv.DictReader(io.StringIO(export(papers, state, "csv"))).fieldnames


def test_real_titles_export_to_bibtex_that_parses_back(real: Path) -> None:
    from reader.config import Config
    from reader.library import open_library

    library = open_library(Paths.from_env(), Config(), extra=[real / "hf_daily_yaml"])
    papers = list(library.papers.values())
    lib = _parse_bib(export(papers, None, "bibtex"))
    assert len(lib.entries) == len(papers) > 9000
    titles = {e["eprint"]: e["title"] for e in lib.entries if "eprint" in e.fields_dict}
    assert titles["2406.14347"].startswith("{$\\nabla^2$DFT: A Universal Quantum Chemistry")


@pytest.mark.parametrize(
    ("paper", "year", "month"),
    [
        # DDPM, listed in a digest five years after it appeared
        (Paper(id="2006.11239", title="Denoising Diffusion Probabilistic Models",
               authors=["Jonathan Ho"], dates=["2025-08-21"]), "2020", "6"),
        (Paper(id="cond-mat/0412498", title="Old", authors=["A B"], dates=["2025-08-21"]),
         "2004", "12"),
        (Paper(id="2006.11239", title="T", authors=["A B"], dates=["2025-08-21"],
               published="2020-06-19"), "2020", "6"),
        # the digest's published date wins over the id (a replaced id, a typo)
        (Paper(id="2406.14347", title="T", authors=["A B"], dates=["2025-08-21"],
               published="2024-07-02"), "2024", "7"),
        # nothing known but the digest days: the first of them
        (Paper(id="t:some-blog-post", title="T", authors=["A B"],
               dates=["2025-08-21", "2025-03-02"]), "2025", "3"),
    ],
)  # fmt: skip
def test_year_and_month_are_the_papers_own(paper: Paper, year: str, month: str) -> None:
    entry = bibtex_entry(paper, None)
    fields = _bib_fields(entry)
    assert (fields["year"], fields["month"]) == (year, month)
    assert year in next(iter(citation_keys([paper]).values()))
