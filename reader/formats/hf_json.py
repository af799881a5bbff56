"""Hugging Face Daily Papers JSON (``/api/daily_papers`` responses saved per day).

Every schema generation seen in the wild is read:

* a list of records ``{paper: {id, title, summary, authors[], upvotes, ...},
  title, publishedAt, numComments, ...}`` (fields were added over time);
* a list of strings, each the *Python repr* of such a record (read with
  :func:`ast.literal_eval`, size-bounded);
* a wrapper ``{status, date, count, data: [...]}`` around either;
* the derived list ``{title, summary, translation, url, arxiv_url}``.

An API error body ``{"error": "..."}`` is one clear problem and no papers.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from reader.formats.base import Format, Source, parse_into
from reader.formats.common import as_count, hf_paper_id
from reader.ids import arxiv_id, paper_id
from reader.model import ABSTRACT_HF, Digest, Link, Paper
from reader.safeload import load_json
from reader.text import date_part, http_url, one_line, unwrap

NAME = "hf-json"

#: A Python-repr record longer than this is not evaluated (the largest real one
#: is ~40 KB).
MAX_REPR_CHARS = 2_000_000

_RECORD_HINTS = (
    re.compile(r"""["']paper["']\s*:\s*\{"""),
    re.compile(r'"arxiv_url"\s*:'),
    re.compile(r'"numComments"\s*:'),
)
_WRAPPER = re.compile(r'^\s*\{\s*"status"\s*:.*"data"\s*:', re.DOTALL)
_ERROR_BODY = re.compile(r'^\s*\{\s*"error"\s*:\s*"')


def detect(source: Source) -> int:
    head = source.head.lstrip()
    if head[:1] not in ("[", "{"):
        return 0
    if _ERROR_BODY.match(head) and len(source.data) < 4096:
        return 40  # an API error body: say so clearly rather than "unknown format"
    if head == "[]" or head.startswith("[]"):
        return 30 if source.suffix == ".json" else 0
    hits = sum(1 for rx in _RECORD_HINTS if rx.search(head))
    if hits == 0:
        return 0
    score = 70 + 5 * hits
    if _WRAPPER.match(head[:400]):
        score += 5
    if "huggingface.co/papers" in head or '"upvotes"' in head or "'upvotes'" in head:
        score += 5
    return score


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    parsed = parse_into(digest, load_json, source.text)
    if parsed is None:
        return digest
    data = parsed.data
    day = date_part(source.date_from_name()) or ""
    if isinstance(data, dict):
        if "error" in data and "data" not in data:
            msg = one_line(str(data.get("error")))[:200]
            digest.problem(f"the file is an API error response, not a digest: {msg}")
            return digest
        if not isinstance(data.get("data"), list):
            digest.problem(
                "not a Hugging Face daily papers file: expected a list of papers"
                " or a {status, date, data} wrapper"
            )
            return digest
        day = date_part(_s(data.get("date"))) or day
        records: list[Any] = data["data"]
    elif isinstance(data, list):
        records = data
    else:
        digest.problem("not a Hugging Face daily papers file: expected a list of papers")
        return digest
    digest.date = day
    digest.title = "Hugging Face Daily Papers"
    digest.source = f"https://huggingface.co/papers?date={day}" if day else ""
    for n, rec in enumerate(records, start=1):
        if isinstance(rec, str):
            rec = _literal(rec, digest, n)
            if rec is None:
                continue
        if not isinstance(rec, dict):
            digest.problem(f"record {n} is not an object: skipped", record=n)
            continue
        paper = _paper(rec, digest, n, day)
        if paper is not None:
            digest.papers.append(paper)
    if not digest.date:
        days = sorted({p.dates[-1] for p in digest.papers if p.dates})
        digest.date = days[-1] if days else ""
    return digest


def _literal(text: str, digest: Digest, n: int) -> dict[str, Any] | None:
    """A record written as a Python repr string, evaluated safely."""
    if len(text) > MAX_REPR_CHARS:
        digest.problem(
            f"record {n} is a string of {len(text)} characters: too long, skipped", record=n
        )
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        digest.problem(f"record {n} is a string that is not a readable record: skipped", record=n)
        return None
    if not isinstance(value, dict):
        digest.problem(f"record {n} is a string that is not a record: skipped", record=n)
        return None
    return value


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def _paper(rec: dict[str, Any], digest: Digest, n: int, day: str) -> Paper | None:
    inner = rec.get("paper")
    p: dict[str, Any] = inner if isinstance(inner, dict) else {}
    hf_url = http_url(_s(rec.get("url")))
    abs_url = http_url(_s(rec.get("arxiv_url")))
    aid = (
        arxiv_id(_s(p.get("id")))
        or arxiv_id(_s(rec.get("id")))
        or (arxiv_id(abs_url) if abs_url else None)
        or (hf_paper_id(hf_url) if hf_url else None)
    )
    title = one_line(_s(rec.get("title"))) or one_line(_s(p.get("title")))
    if not title:
        if aid is None:
            digest.problem(f"record {n} has neither a paper id nor a title: skipped", record=n)
            return None
        digest.problem(f"record {n} ({aid}) has no title", record=n, severity="warning")
        title = aid
    if inner is not None and not isinstance(inner, dict):
        digest.problem(f"record {n}: 'paper' is not an object", record=n, severity="warning")
    paper = Paper(id=paper_id(aid, None, title), title=title, arxiv_id=aid)
    paper.abstract = unwrap(_s(p.get("summary")) or _s(rec.get("summary")))
    paper.abstract_rank = ABSTRACT_HF
    raw_authors = p.get("authors")
    authors: list[Any] = raw_authors if isinstance(raw_authors, list) else []
    paper.authors = [
        name for a in authors if isinstance(a, dict) and (name := one_line(_s(a.get("name"))))
    ]
    for key, attr, where in (
        ("upvotes", "upvotes", p),
        ("numComments", "comments", rec),
        ("githubStars", "github_stars", p),
    ):
        value, _ok = as_count(where.get(key))
        setattr(paper, attr, value)
    if paper.upvotes is None:
        paper.upvotes, _ok = as_count(rec.get("upvotes"))
    paper.github_repo = http_url(_s(p.get("githubRepo")) or _s(rec.get("githubRepo")))
    paper.project_page = http_url(_s(p.get("projectPage")) or _s(rec.get("projectPage")))
    paper.ai_summary = one_line(_s(p.get("ai_summary")) or _s(rec.get("ai_summary"))) or None
    keywords = p.get("ai_keywords")
    if isinstance(keywords, list):
        for k in keywords:
            tag = one_line(_s(k))
            if tag and tag not in paper.tags:
                paper.tags.append(tag)
    if p.get("withdrawnAt") or rec.get("withdrawnAt"):
        paper.tags.append("withdrawn")  # flagged, never dropped: stars and tags stay
    paper.published = date_part(_s(p.get("publishedAt")))
    links: list[Link] = []
    if aid:
        links.append(Link("abs", f"https://arxiv.org/abs/{aid}"))
        links.append(Link("pdf", f"https://arxiv.org/pdf/{aid}"))
        links.append(Link("hf", f"https://huggingface.co/papers/{aid}"))
    else:
        if abs_url:
            links.append(Link("abs", abs_url))
        if hf_url:
            links.append(Link("hf", hf_url))
    if paper.github_repo:
        links.append(Link("code", paper.github_repo))
    if paper.project_page:
        links.append(Link("project", paper.project_page))
    paper.links = links
    record_day = day or date_part(_s(rec.get("publishedAt"))) or ""
    paper.dates = [record_day] if record_day else []
    paper.sources = [digest.path]
    return paper


FORMAT = Format(
    name=NAME,
    description="Hugging Face Daily Papers API JSON (every schema since 2024)",
    detect=detect,
    load=load,
)
