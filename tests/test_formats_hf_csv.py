"""Formats group 1: Hugging Face Daily Papers JSON and CSV/TSV tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.formats import detect, load_path, load_source
from reader.formats.base import Source
from reader.model import Digest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_digests"


def _load(tmp_path: Path, name: str, text: str) -> Digest:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    [digest] = load_path(path)
    return digest


def _record(pid: str, title: str, **paper: object) -> dict[str, object]:
    inner: dict[str, object] = {
        "id": pid,
        "title": title,
        "summary": "First line of the\nabstract.\n\nSecond paragraph.",
        "authors": [{"_id": "x", "name": "Ada Lovelace", "hidden": False}, {"_id": "y"}],
        "publishedAt": "2025-08-19T00:00:00.000Z",
        "upvotes": 12,
    }
    inner.update(paper)
    return {
        "paper": inner,
        "title": title.replace("\n  ", " "),
        "publishedAt": "2025-08-21T08:00:00.000Z",
        "numComments": 4,
    }


# --- Hugging Face JSON ------------------------------------------------------------


def test_hf_list_of_objects_keeps_every_field(tmp_path: Path) -> None:
    rec = _record(
        "2508.11111",
        "A Title That Was\n  Hard Wrapped",
        githubRepo="https://github.com/example/repo",
        githubStars=77,
        projectPage="https://example.org/project",
        ai_summary="Short summary.",
        ai_keywords=["agents", "planning", "agents"],
    )
    d = _load(tmp_path, "2025-08-21.json", json.dumps([rec]))
    assert d.format == "hf-json" and d.problems == []
    assert d.date == "2025-08-21"
    [p] = d.papers
    assert p.id == "2508.11111" and p.arxiv_id == "2508.11111"
    assert p.title == "A Title That Was Hard Wrapped"
    assert p.abstract == "First line of the abstract.\n\nSecond paragraph."
    assert p.authors == ["Ada Lovelace"]
    assert (p.upvotes, p.comments, p.github_stars) == (12, 4, 77)
    assert p.github_repo == "https://github.com/example/repo"
    assert p.project_page == "https://example.org/project"
    assert p.ai_summary == "Short summary."
    assert p.tags == ["agents", "planning"]
    assert p.published == "2025-08-19"
    assert p.dates == ["2025-08-21"]
    assert [lk.label for lk in p.links] == ["abs", "pdf", "hf", "code", "project"]
    assert p.link("hf") == "https://huggingface.co/papers/2508.11111"
    assert p.link("pdf") == "https://arxiv.org/pdf/2508.11111"


def test_hf_python_repr_strings_and_wrapper(tmp_path: Path) -> None:
    rec = _record("2501.00001", "Repr Paper")
    text = json.dumps({"status": "success", "date": "2025-01-10", "count": 1, "data": [repr(rec)]})
    d = _load(tmp_path, "day.json", text)
    assert d.format == "hf-json" and d.problems == []
    assert d.date == "2025-01-10"
    assert [p.title for p in d.papers] == ["Repr Paper"]
    assert d.papers[0].authors == ["Ada Lovelace"]


def test_hf_bad_records_are_problems_and_the_rest_loads(tmp_path: Path) -> None:
    good = _record("2508.22222", "Good Paper")
    records = [
        good,
        "{'paper': {'id': __import__('os').system('id')}}",
        42,
        {"paper": {"summary": "no id, no title"}},
        "x" * 3_000_000,
        _record("2508.33333", "Also Good", upvotes="many"),
    ]
    d = _load(tmp_path, "2025-08-21.json", json.dumps(records))
    assert [p.title for p in d.papers] == ["Good Paper", "Also Good"]
    assert d.papers[1].upvotes is None
    name = str(tmp_path / "2025-08-21.json")
    msgs = [str(p) for p in d.problems]
    assert (
        msgs[0] == f"{name}: record 2: record 2 is a string that is not a readable record: skipped"
    )
    assert msgs[1] == f"{name}: record 3: record 3 is not an object: skipped"
    assert msgs[2] == f"{name}: record 4: record 4 has neither a paper id nor a title: skipped"
    assert "too long" in msgs[3]
    assert len(msgs) == 4


def test_hf_error_body_empty_list_and_wrong_shape(tmp_path: Path) -> None:
    d = _load(tmp_path, "papers.json", '{"error":"Sorry, not found."}')
    assert d.format == "hf-json" and d.papers == []
    assert [p.message for p in d.problems] == [
        "the file is an API error response, not a digest: Sorry, not found."
    ]
    d = _load(tmp_path, "2025-08-22.json", "[]")
    assert (d.format, d.papers, d.problems) == ("hf-json", [], [])
    src = Source("x.json", b'{"paper": 1, "numComments": 2}')
    d = load_source(src)
    assert d.papers == [] and "expected a list of papers" in d.problems[0].message
    d = _load(tmp_path, "2025-08-23.json", '[{"paper": {"id": "2508.1')
    assert d.papers == [] and "not valid JSON" in d.problems[0].message


def test_hf_day_falls_back_to_published_at(tmp_path: Path) -> None:
    d = _load(tmp_path, "latest.json", json.dumps([_record("2508.44444", "T One")]))
    assert d.date == "2025-08-21" and d.papers[0].dates == ["2025-08-21"]


def test_hf_sample() -> None:
    [d] = load_path(SAMPLES / "formats" / "hf-daily-2025-08-21.json")
    assert d.format == "hf-json" and d.problems == []
    assert [p.id for p in d.papers] == ["2106.09685", "2305.18290", "2312.00752"]
    assert d.papers[0].title == "LoRA: Low-Rank Adaptation of Large Language Models"


REAL_COUNTS = {
    "2024-05-27.json": 13,
    "2024-12-11.json": 26,
    "2025-01-10.json": 9,
    "2025-06-25.json": 14,
    "2025-10-03.json": 39,
    "2026-08-21.json": 17,
    "hf-daily-paper-newsletter-chinese_2025-01-23_HF_deepseek_clean.json": 5,
}


@pytest.mark.parametrize("name", sorted(REAL_COUNTS))
def test_hf_real_files_every_schema(real: Path, name: str) -> None:
    [d] = load_path(real / "hf_daily_json" / name)
    assert d.format == "hf-json"
    assert len(d.papers) == REAL_COUNTS[name]
    assert [p for p in d.problems if p.severity == "error"] == []
    assert all(p.title and "\n" not in p.title for p in d.papers)
    assert all(p.abstract for p in d.papers)
    assert all(p.arxiv_id and p.link("abs") for p in d.papers)
    assert d.date == (name[:10] if name[0] == "2" else "2025-01-23")


def test_hf_real_newest_schema_fields(real: Path) -> None:
    [d] = load_path(real / "hf_daily_json" / "2026-08-21.json")
    p = next(p for p in d.papers if p.id == "2608.19880")
    assert p.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert p.upvotes == 163 and p.comments == 1 and p.github_stars == 8
    assert p.github_repo == "https://github.com/google-research/envharness"
    assert p.project_page == "https://envharness.com/"
    assert p.published == "2026-08-20" and len(p.tags) == 8 and len(p.authors) == 17


def test_hf_real_error_body(real: Path) -> None:
    [d] = load_path(real / "hf_daily_yaml" / "papers.json")
    assert d.papers == []
    assert [p.message for p in d.problems] == [
        "the file is an API error response, not a digest: "
        "Sorry, we can't find the page you are looking for."
    ]


@pytest.mark.slow
def test_hf_real_archive(real: Path) -> None:
    digests = load_path(real / "hf_daily_json" / "hf_daily_papers_2024-05-27_to_2026-08-21.tar.gz")
    assert len(digests) == 580
    papers = [p for d in digests for p in d.papers]
    assert len(papers) >= 0.99 * 9881
    assert len(papers) == 9881
    assert len({p.id for p in papers}) >= 9577
    assert [str(pr) for d in digests for pr in d.problems if pr.severity == "error"] == []
    assert all(d.format == "hf-json" and d.date for d in digests)


# --- CSV / TSV --------------------------------------------------------------------

CSV_TEXT = """\
Title,Description,PaperURL,TweetURL,Abstract
Tiny Experts,"a short description",https://arxiv.org/abs/2401.01234,https://x.com/e/status/1,"An abstract
that spans two lines, with a comma."
Only Description,"used when there is no abstract",https://example.org/paper.pdf,,
,"a row with no title",https://arxiv.org/abs/2401.09999,,
"""


def test_csv_good_and_bad_rows(tmp_path: Path) -> None:
    d = _load(tmp_path, "potw-2024-01-15.csv", CSV_TEXT)
    assert d.format == "csv"
    assert d.date == "2024-01-15"
    assert [p.title for p in d.papers] == ["Tiny Experts", "Only Description"]
    a, b = d.papers
    assert a.id == "2401.01234"
    assert a.abstract == "An abstract that spans two lines, with a comma."
    assert a.link("abs") == "https://arxiv.org/abs/2401.01234"
    assert a.link("other") == "https://x.com/e/status/1"
    assert b.id.startswith("t:") and b.abstract == "used when there is no abstract"
    assert b.link("pdf") == "https://example.org/paper.pdf"
    assert a.dates == ["2024-01-15"]
    assert [str(p) for p in d.problems] == [
        f"{tmp_path / 'potw-2024-01-15.csv'}:5: row has no title: skipped"
    ]


def test_csv_research_finder_shape(tmp_path: Path) -> None:
    text = (
        ",paper_id,title,authors,subjects,abstract,affilliations,date,source,url\n"
        "0,2309.114,Cut Short,\"['A One', 'B Two']\",Machine Learning (cs.LG); Robotics (cs.RO),"
        "Abs.,[],2023-09-21,arXiv,https://arxiv.org/abs/2309.114\n"
        "1,2309.10986,Fine Id,\"['C Three']\",Numerical Analysis (math.NA),Abs.,[],"
        "2023-09-21,arXiv,https://arxiv.org/abs/2309.10986\n"
    )
    d = _load(tmp_path, "data.csv", text)
    assert d.date == "2023-09-21"
    a, b = d.papers
    assert a.id == "2309.11400" and a.link("abs") == "https://arxiv.org/abs/2309.11400"
    assert a.authors == ["A One", "B Two"] and a.tags == ["cs.LG", "cs.RO"]
    assert b.id == "2309.10986" and b.tags == ["math.NA"]
    assert [p.severity for p in d.problems] == ["warning"]
    assert "1 arXiv ids looked cut short" in d.problems[0].message


def test_csv_tsv_and_header_synonyms(tmp_path: Path) -> None:
    text = "Paper\tSummary\tLink\tAuthor\tPublished\tKeywords\n" + (
        "Tab Paper\tA summary.\thttps://arxiv.org/abs/2402.00002v3\tA. B and C. D\t2024-02-01\tx, y\n"
    )
    d = _load(tmp_path, "t.tsv", text)
    assert d.format == "csv"
    [p] = d.papers
    assert (p.id, p.abstract, p.authors) == ("2402.00002", "A summary.", ["A. B", "C. D"])
    assert p.dates == ["2024-02-01"] and p.tags == ["x", "y"]


def test_csv_empty_wrong_shape_and_detection(tmp_path: Path) -> None:
    d = load_source(Source("e.csv", b""))
    assert d.papers == []
    assert detect(Source("n.csv", b"name,age\nbob,3\n")) is None
    d = _load(tmp_path, "only-header.csv", "title,abstract\n")
    assert (d.format, d.papers, d.problems) == ("csv", [], [])
    fmt = detect(Source("x.csv", b"title,abstract,url\nA,B,https://a.org/x\n"))
    assert fmt is not None and fmt.name == "csv"


def test_csv_hostile_cells(tmp_path: Path) -> None:
    text = 'title,abstract,url\n"A\x1b]0;PWN\x07B","x\x1b[2Jy",javascript:alert(1)\n'
    d = _load(tmp_path, "h.csv", text)
    [p] = d.papers
    assert "\x1b" not in p.title + p.abstract and p.links == []


def test_csv_sample() -> None:
    [d] = load_path(SAMPLES / "formats" / "papers-of-the-week-2025-08-18.csv")
    assert d.format == "csv" and d.problems == [] and len(d.papers) == 3
    assert d.papers[1].abstract.startswith("high-quality image synthesis")


def test_csv_real_research_finder(real: Path) -> None:
    [d] = load_path(real / "arxiv_metadata" / "ResearchFinder_arxiv_data.csv")
    assert d.format == "csv" and len(d.papers) == 1102
    ids = {p.id for p in d.papers}
    assert len(ids) == 879  # SOURCES.md: 1,102 rows, 879 unique ids
    assert all(p.arxiv_id and len(p.arxiv_id.split(".")[1]) >= 4 for p in d.papers)
    assert "2309.11400" in ids and "2309.114" not in ids
    assert [p.severity for p in d.problems] == ["warning"]
    assert all(p.authors and p.abstract and p.dates == ["2023-09-21"] for p in d.papers)


def test_csv_real_dair_ai(real: Path) -> None:
    [d] = load_path(real / "markdown_newsletters" / "dair-ai_ml-potw-10232023.csv")
    assert d.format == "csv" and d.problems == []
    assert len(d.papers) == 420  # SOURCES.md
    assert all(p.abstract for p in d.papers)  # 6 empty Abstracts fall back to Description
    assert sum(1 for p in d.papers if p.arxiv_id is None) <= 33
    assert d.papers[0].title == "Llemma" and d.papers[0].id == "2310.10631"


def test_loaders_never_raise_on_junk() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from reader.formats import csv_table, hf_json

    alphabet = st.sampled_from(
        list("[]{}\",:\n\r\t x1'") + ['"paper"', '"title"', '"data"', "title,abstract\n", "null"]
    )
    texts = st.lists(alphabet, max_size=80).map("".join)

    @settings(max_examples=150, deadline=None, database=None)
    @given(texts)
    def check(text: str) -> None:
        for module in (hf_json, csv_table):
            d = module.FORMAT.load(Source("junk.json", text.encode()))
            assert isinstance(d, Digest)
            module.FORMAT.detect(Source("junk.json", text.encode()))

    check()


def test_csv_oversized_cell_is_a_problem_and_later_rows_load() -> None:
    text = 'title,abstract\nA,"' + "x" * 200_000 + '"\nB,fine\n'
    d = load_source(Source("big.csv", text.encode()))
    assert [p.title for p in d.papers] == ["B"]
    assert [str(p) for p in d.problems] == [
        "big.csv:2: unreadable row: field larger than field limit (131072)"
    ]
