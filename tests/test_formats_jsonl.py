"""Formats group 2: arXiv metadata JSON Lines (Kaggle snapshot, daily-arXiv)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from reader.formats import load_path
from reader.model import Digest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_digests" / "formats"


def _write(tmp_path: Path, name: str, lines: list[str]) -> Digest:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [digest] = load_path(path)
    return digest


def _daily(pid: str, title: str = "A Title", **extra: object) -> str:
    rec: dict[str, object] = {
        "id": pid,
        "categories": ["cs.CL"],
        "pdf": f"https://arxiv.org/pdf/{pid}",
        "abs": f"https://arxiv.org/abs/{pid}",
        "authors": ["Ann Smith"],
        "title": title,
        "comment": None,
        "summary": "An abstract.",
    }
    rec.update(extra)
    return json.dumps(rec)


def test_sample_both_shapes() -> None:
    [d] = load_path(SAMPLE / "arxiv-metadata-2026-07-01.jsonl")
    assert d.format == "arxiv-jsonl" and d.problems == [] and d.date == "2026-07-01"
    auction, kaggle, third = d.papers
    assert auction.abstract == (
        "Buyers who cannot overbid or run into debt change which auctions are best.\n\n"
        "For revenue the classic auction stays optimal; for buyer surplus the seller can do better."
    )
    assert auction.dates == ["2026-07-01"] and auction.tags == ["cs.GT"]
    assert kaggle.id == "0704.0001"
    assert kaggle.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert kaggle.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert kaggle.published == "2007-04-02"
    assert kaggle.doi == "10.1103/physrevd.76.013009"
    assert kaggle.abstract.startswith("A full next-to-leading order calculation of photon pair")
    # the comment and journal ref are fields of their own, not glued to the abstract
    assert kaggle.journal_ref == "Phys.Rev.D76:013009,2007"
    assert kaggle.arxiv_comments == "37 pages, 15 figures"
    assert "Journal ref" not in kaggle.abstract and "Comments" not in kaggle.abstract
    assert third.id == "2005.14165"  # version dropped
    assert third.ai_summary == (
        "Scale alone lets one language model learn new tasks from a few examples in its prompt."
    )
    assert third.arxiv_comments == "40+32 pages" and "Comments:" not in third.abstract


def test_tex_author_string_without_authors_parsed(tmp_path: Path) -> None:
    rec = {
        "id": "0704.0002",
        "title": "T",
        "abstract": "x",
        "authors": "C. Bal\\'azs and J. M\\\"uller",
    }
    d = _write(tmp_path, "k.jsonl", [json.dumps(rec), json.dumps({**rec, "id": "0704.0003"})])
    assert d.papers[0].authors == ["C. Balázs", "J. Müller"]


def test_duplicates_merge_and_bad_lines_report_their_number(tmp_path: Path) -> None:
    d = _write(
        tmp_path,
        "2025-03-18.jsonl",
        [
            _daily("2503.00001"),
            _daily("2503.00001"),  # exact duplicate: silent
            '{"id": "2503.00002", "title": broken',
            "",
            "[1, 2]",
            '{"id": "2503.00003", "title": "N", "summary": NaN}',
            _daily("2503.00001v2", categories=["cs.AI"], summary="A longer abstract wins."),
            _daily("2503.00004"),
        ],
    )
    assert [p.id for p in d.papers] == ["2503.00001", "2503.00004"]
    merged = d.papers[0]
    assert merged.tags == ["cs.CL", "cs.AI"] and merged.abstract == "A longer abstract wins."
    assert [p.line for p in d.problems] == [3, 5, 6]
    assert d.problems[0].message.startswith("not valid JSON")
    assert d.problems[1].message == "expected a JSON object, found list"
    assert "NaN is not allowed" in d.problems[2].message


def test_deep_line_is_a_problem(tmp_path: Path) -> None:
    deep = (
        '{"id": "2503.00009", "title": "x", "summary": "s", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    )
    d = _write(tmp_path, "d.jsonl", [_daily("2503.00001"), deep, _daily("2503.00002")])
    assert [p.id for p in d.papers] == ["2503.00001", "2503.00002"]
    assert [p.line for p in d.problems] == [2]
    assert "nested" in d.problems[0].message


def test_html_and_wrapping_in_abstract(tmp_path: Path) -> None:
    d = _write(
        tmp_path,
        "h.jsonl",
        [
            _daily(
                "2503.00005", summary="We use <i>attention</i> &amp; more\nwrapped text.\n  Second."
            ),
            _daily("2503.00006", title="A wrapped\n  title with $\\mathcal{O}(n)$"),
        ],
    )
    assert d.papers[0].abstract == "We use attention & more wrapped text.\n\nSecond."
    assert d.papers[1].title == "A wrapped title with $\\mathcal{O}(n)$"


def test_gzip_file_and_escape_sequences(tmp_path: Path) -> None:
    path = tmp_path / "2025-04-01.jsonl.gz"
    rec = _daily("2504.00001", title="Evil\x1b]0;PWNED\x07 title", summary="a\x1b[2Jb")
    path.write_bytes(gzip.compress((rec + "\n" + _daily("2504.00002") + "\n").encode()))
    [d] = load_path(path)
    assert d.format == "arxiv-jsonl" and d.date == "2025-04-01"
    assert d.papers[0].title == "Evil title" and d.papers[0].abstract == "ab"
    assert "\x1b" not in json.dumps([p.to_dict() for p in d.papers])


def test_empty_file_is_not_claimed(tmp_path: Path) -> None:
    path = tmp_path / "2025-12-25.jsonl"
    path.write_text("", encoding="utf-8")
    [d] = load_path(path)
    assert d.papers == []


@pytest.mark.real
def test_real_kaggle_sample(real: Path) -> None:
    [d] = load_path(real / "arxiv_metadata" / "kaggle_arxiv-metadata-oai-snapshot_sample.jsonl")
    assert d.problems == [] and len(d.papers) == 200
    first = d.papers[0]
    assert first.authors[0] == "C. Balázs"
    assert all("\n" not in p.title for p in d.papers)
    assert all(p.published for p in d.papers)


@pytest.mark.real
@pytest.mark.parametrize(
    "name",
    [
        "daily-arXiv-ai-enhanced_2026-07-01.jsonl",
        "daily-arXiv-ai-enhanced_2026-07-01_AI_enhanced_Chinese.jsonl",
    ],
)
def test_real_daily_files(real: Path, name: str) -> None:
    [d] = load_path(real / "arxiv_metadata" / name)
    assert d.problems == [] and len(d.papers) == 301 and d.date == "2026-07-01"
    if "Chinese" in name:
        assert sum(1 for p in d.papers if p.ai_summary) >= 298


@pytest.mark.real
@pytest.mark.slow
def test_real_bulk_archive_keeps_every_id(real: Path) -> None:
    digests = load_path(
        real / "arxiv_metadata" / "daily-arXiv-ai-enhanced_2025-03-18_to_2026-07-01_raw.tar.gz"
    )
    assert len(digests) == 410
    assert all(d.format == "arxiv-jsonl" and not d.problems for d in digests)
    assert all(d.date for d in digests)
    assert len({p.id for d in digests for p in d.papers}) == 74_728
