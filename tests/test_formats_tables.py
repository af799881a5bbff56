"""Formats group 2: arxiv-daily tables (JSON, README, paper lists) and Markdown newsletters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.formats import load_path
from reader.model import Digest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_digests" / "formats"


def _load(tmp_path: Path, name: str, text: str) -> Digest:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    [digest] = load_path(path)
    return digest


# --- arxiv-daily --------------------------------------------------------------------------


def test_topic_json_sample() -> None:
    [d] = load_path(SAMPLE / "cv-arxiv-daily.json")
    assert d.format == "arxiv-daily" and d.problems == []
    by_id = {p.id: p for p in d.papers}
    assert list(by_id) == ["2110.07546", "2110.06541", "2003.08934"]  # one paper per id
    slam = by_id["2110.07546"]
    assert slam.tags == ["SLAM", "NeRF"]
    assert slam.authors == ["Shumon Koga"]  # "et.al." dropped
    assert slam.published == "2021-10-14"
    assert not slam.has_code
    assert by_id["2003.08934"].link("code") == "https://github.com/bmild/nerf"
    assert by_id["2003.08934"].title.startswith("NeRF: Representing Scenes")


def test_topic_json_bad_rows(tmp_path: Path) -> None:
    data = {
        "SLAM": {
            "2110.00001": "|**2021-10-01**|**Good $\\mathcal{O}(n)$ Title**|A B et.al.|[2110.00001](http://arxiv.org/abs/2110.00001)|null|\n",
            "2110.00002": 42,
            "2110.00003": "|**2021-10-01**|\n",
        },
        "Broken": [1, 2],
    }
    d = _load(tmp_path, "cv.json", json.dumps(data))
    assert [p.title for p in d.papers] == ["Good $\\mathcal{O}(n)$ Title"]
    messages = [str(p) for p in d.problems]
    assert any("'2110.00002': not a table row" in m for m in messages)
    assert any("'2110.00003'" in m and "neither a title" in m for m in messages)
    assert any("topic 'Broken'" in m for m in messages)


README = """## Updated on 2026.06.29
> Usage instructions: [here](./docs/README.md#usage)

<details>
  <summary>Table of Contents</summary>
  <ol><li><a href=#slam>SLAM</a></li></ol>
</details>

## SLAM

|Publish Date|Title|Authors|PDF|Code|
|---|---|---|---|---|
|**2026-05-13**|**LEXI-SG: Scene Graph Mapping**|Christina Kassab et.al.|[2605.13741](http://arxiv.org/abs/2605.13741)|null|
|**2026-05-12**|**WildPose**|Jianhao Zheng et.al.|[2605.12774](http://arxiv.org/abs/2605.12774)|**[link](https://github.com/x/wildpose)**|

## NeRF

|Publish Date|Title|Authors|PDF|Code|
|---|---|---|---|---|
|**2026-05-13**|**LEXI-SG: Scene Graph Mapping**|Christina Kassab et.al.|[2605.13741](http://arxiv.org/abs/2605.13741)|null|
|**2026-05-01**|
"""


def test_readme_tables(tmp_path: Path) -> None:
    d = _load(tmp_path, "README.md", README)
    assert d.format == "arxiv-daily" and d.date == "2026-06-29"
    assert [p.id for p in d.papers] == ["2605.13741", "2605.12774"]
    assert d.papers[0].tags == ["SLAM", "NeRF"]
    # each row on its own publish date, not on the README's "Updated on" day
    assert d.papers[0].dates == ["2026-05-13"] and d.papers[1].dates == ["2026-05-12"]
    assert d.papers[1].link("code") == "https://github.com/x/wildpose"
    assert d.papers[0].url == "https://arxiv.org/abs/2605.13741"  # http made https
    assert [lk.label for lk in d.papers[0].links] == ["abs", "pdf"]
    [problem] = d.problems
    assert problem.line == 21 and "neither a title nor an arXiv id" in problem.message


def test_table_row_without_a_date_takes_the_digest_day(tmp_path: Path) -> None:
    text = README.replace("|**2026-05-12**|**WildPose**", "|**soon**|**WildPose**")
    d = _load(tmp_path, "README.md", text)
    by_id = {p.id: p for p in d.papers}
    assert by_id["2605.12774"].dates == ["2026-06-29"]
    assert by_id["2605.13741"].dates == ["2026-05-13"]


def test_topic_json_rows_on_their_own_dates(tmp_path: Path) -> None:
    row = "|**{day}**|**Paper {n}**|A B et.al.|[2110.0000{n}](http://arxiv.org/abs/2110.0000{n})|null|\n"
    data = {
        "SLAM": {
            "2110.00001": row.format(day="2021-10-01", n=1),
            "2110.00002": row.format(day="2024-02-29", n=2),
        }
    }
    d = _load(tmp_path, "cv-2026-06-29.json", json.dumps(data))
    assert d.date == "2026-06-29"
    assert [p.dates for p in d.papers] == [["2021-10-01"], ["2024-02-29"]]


def test_paper_list_json(tmp_path: Path) -> None:
    data = {
        "count": 2,
        "papers": [
            {
                "title": "Retargeting Matters",
                "authors": ["Joao Pedro Araujo", "C. Karen Liu"],
                "arxiv_id": "2510.02252v1",
                "summary": "Motion retargeting quality\nmatters for tracking.",
                "categories": ["cs.RO", "cs.CV"],
                "primary_category": "cs.RO",
                "published": "2025-10-02",
                "comment": "",
                "doi": "",
                "pdf_url": "https://arxiv.org/pdf/2510.02252v1",
                "code_links": [
                    {"url": "https://github.com/x/gmr", "type": "github"},
                    {"url": "https://x.github.io/gmr", "type": "project_page"},
                    {"url": "javascript:alert(1)", "type": "github"},
                ],
                "tags_zh": ["人形机器人"],
                "headline_zh": "不保留",
            },
            "junk",
        ],
        "filtered": True,
    }
    d = _load(tmp_path, "2025-12-18_arxiv.json", json.dumps(data))
    [p] = d.papers
    assert p.id == "2510.02252" and p.dates == ["2025-12-18"]
    assert p.abstract == "Motion retargeting quality matters for tracking."
    assert p.tags == ["cs.RO", "cs.CV", "人形机器人"]
    assert [(lk.label, lk.url) for lk in p.links][-2:] == [
        ("code", "https://github.com/x/gmr"),
        ("project", "https://x.github.io/gmr"),
    ]
    assert [str(x.record) + x.message for x in d.problems] == ["2paper is not a JSON object"]


def test_paper_list_empty_day(tmp_path: Path) -> None:
    d = _load(tmp_path, "2025-12-25_arxiv.json", '{"count":0,"papers":[],"filtered":true}')
    assert d.format == "arxiv-daily" and d.papers == [] and d.problems == []
    assert d.date == "2025-12-25"


# --- Markdown newsletters -----------------------------------------------------------------


def test_weekly_table_sample() -> None:
    [d] = load_path(SAMPLE / "ml-papers-of-the-week-2025.md")
    assert d.format == "markdown" and d.problems == []
    mercury, blog, power = d.papers
    assert (
        mercury.id == "2506.17298" and mercury.title == "Ultra-Fast Diffusion-based Language Models"
    )
    assert mercury.dates == ["2025-06-23"]
    assert mercury.abstract.startswith("A diffusion language model that writes many tokens")
    assert mercury.abstract.endswith(
        "\n\n- Tokens are refined in parallel\n- Quality matches slower models"
    )
    assert blog.id.startswith("t:") and blog.url == "https://example.org/blog/post"
    assert power.title == "PowerInfer" and power.dates == ["2024-12-18"]  # year from the order
    assert power.abstract.startswith("a local inference engine")


DAILY_MD = """<div id=toc></div>

# Table of Contents

- [cs.CV](#cs.CV) [Total: 1]

# cs.CV [[Back]](#toc)

### [1] [Wan-Streamer: Real-time Interactive Models](https://arxiv.org/abs/2606.25041)
*Lianghua Huang,Zhifan Wu,Wei Wang*

Main category: cs.CV

TL;DR: 一个流式模型

<details>
  <summary>Details</summary>
Motivation: 现有系统延迟高

Abstract: We present a streaming model for live audio and video.

</details>
"""


def test_heading_per_paper(tmp_path: Path) -> None:
    d = _load(tmp_path, "2026-06-25.md", DAILY_MD)
    [p] = d.papers
    assert p.id == "2606.25041" and p.title == "Wan-Streamer: Real-time Interactive Models"
    assert p.authors == ["Lianghua Huang", "Zhifan Wu", "Wei Wang"]
    assert p.tags == ["cs.CV"] and p.ai_summary == "一个流式模型"
    assert p.abstract == "We present a streaming model for live audio and video."
    assert p.dates == ["2026-06-25"]


HF_CN = """# Hugging Face 2025-01-23 论文日报

### 1. FilmAgent：多智能体框架

**原文标题：** FilmAgent: A Multi-Agent Framework for End-to-End Film Automation in
  Virtual 3D Spaces

**摘要：**
虚拟电影制作需要复杂的决策过程。

**论文链接：** [HuggingFace](https://huggingface.co/papers/2501.12909) | [arXiv](https://arxiv.org/abs/2501.12909)

---
"""


def test_chinese_labels(tmp_path: Path) -> None:
    d = _load(tmp_path, "2025-01-23_daily_paper.md", HF_CN)
    [p] = d.papers
    assert (
        p.title
        == "FilmAgent: A Multi-Agent Framework for End-to-End Film Automation in Virtual 3D Spaces"
    )
    assert p.abstract == "虚拟电影制作需要复杂的决策过程。"
    assert p.link("hf") == "https://huggingface.co/papers/2501.12909" and p.id == "2501.12909"


def test_generic_fallback_and_hostile_text(tmp_path: Path) -> None:
    text = (
        "# Reading list\n\n"
        "- [Attention Is All You Need](https://arxiv.org/abs/1706.03762v7)\n"
        "- [x\x9b31my](https://arxiv.org/abs/2401.00001)\n"
        "- [not arxiv](https://example.org)\n"
    )
    d = _load(tmp_path, "list.md", text)
    assert [(p.id, p.title) for p in d.papers] == [
        ("1706.03762", "Attention Is All You Need"),
        ("2401.00001", "xy"),
    ]


def test_markdown_without_papers_is_empty(tmp_path: Path) -> None:
    d = _load(
        tmp_path, "notes.md", "# Notes\n\n## Ideas\n\n- read more\n- see https://arxiv.org/abs/\n"
    )
    assert d.papers == []


# --- real files ---------------------------------------------------------------------------


@pytest.mark.real
def test_real_topic_json_and_readme(real: Path) -> None:
    [j] = load_path(real / "arxiv_daily_json" / "Vincentqyw_cv-arxiv-daily.json")
    [r] = load_path(real / "arxiv_daily_markdown" / "Vincentqyw_cv-arxiv-daily_README.md")
    assert j.problems == [] and r.problems == []
    assert len(j.papers) == 8563 and len(r.papers) == 8563
    assert {p.id for p in j.papers} == {p.id for p in r.papers}
    assert r.date == "2026-06-29"
    assert sum(1 for p in r.papers if len(p.tags) > 1) > 500  # listed under several topics
    assert all(p.title and p.authors and p.published for p in r.papers)


@pytest.mark.real
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("shiyibihua_2025-10_arxiv.json", 1399),
        ("shiyibihua_2025-12-18_arxiv.json", 118),
        ("shiyibihua_2025-12-18_ai_summary.json", 118),
        ("shiyibihua_2025-12-25_arxiv_EMPTY.json", 0),
    ],
)
def test_real_paper_lists(real: Path, name: str, count: int) -> None:
    [d] = load_path(real / "arxiv_daily_json" / name)
    assert d.format == "arxiv-daily" and d.problems == []
    assert len(d.papers) == count
    assert all(p.abstract and p.arxiv_id and p.dates for p in d.papers)


@pytest.mark.real
@pytest.mark.parametrize(
    ("folder", "name", "count", "with_arxiv"),
    [
        ("markdown_newsletters", "dair-ai_ML-Papers-of-the-Week_README.md", 1297, 1098),
        ("markdown_newsletters", "daily-arXiv-ai-enhanced_2026-06-25.md", 26, 26),
        (
            "markdown_newsletters",
            "hf-daily-paper-newsletter-chinese_2025-01-23_daily_paper.md",
            5,
            5,
        ),
        ("markdown_newsletters", "qhduan_cn-chat-arxiv_cs.CL.md", 69, 69),
        ("arxiv_daily_markdown", "shiyibihua_cs-AI_2023-12-01_index.md", 6, 6),
        (
            "arxiv_daily_markdown",
            "shiyibihua_cs-AI_2023-12-01_231200886v4-nash-learning-from-human-feedback.md",
            1,
            1,
        ),
    ],
)
def test_real_markdown(real: Path, folder: str, name: str, count: int, with_arxiv: int) -> None:
    [d] = load_path(real / folder / name)
    assert d.format == "markdown" and d.problems == []
    assert len(d.papers) == count
    assert sum(1 for p in d.papers if p.arxiv_id) == with_arxiv
    assert all(p.title for p in d.papers)


@pytest.mark.real
def test_real_weekly_days(real: Path) -> None:
    [d] = load_path(real / "markdown_newsletters" / "dair-ai_ML-Papers-of-the-Week_README.md")
    days = {day for p in d.papers for day in p.dates}
    assert len(days) == 130
    assert min(days) == "2023-01-01" and max(days) == "2025-06-23"
    summaries = [p for p in d.papers if p.abstract]
    assert len(summaries) >= 1290
    bullets = [p for p in d.papers if "\n- " in p.abstract]
    assert len(bullets) >= 140
    assert not any("<br>" in p.abstract or "●" in p.abstract for p in d.papers)


@pytest.mark.real
def test_real_qhduan_abstracts(real: Path) -> None:
    [d] = load_path(real / "markdown_newsletters" / "qhduan_cn-chat-arxiv_cs.CL.md")
    first = d.papers[0]
    assert first.title == "Dialogue-Contextualized Re-ranking for Medical History-Taking"
    assert first.abstract.startswith("AI-driven medical history-taking")
    assert all(p.abstract for p in d.papers)
