"""The reader's own digest format: one YAML file per digest day (see
``docs/digest-format.md`` for the full specification).

```yaml
title: Hugging Face Daily Papers
date: 2025-08-21
source: https://huggingface.co/papers?date=2025-08-21
papers:
  - id: 2508.12345
    title: ...
```

Every scalar is read as the string written (``id: 2401.10000`` stays
``2401.10000``); a paper entry that cannot be read becomes a problem naming its
line, and the rest of the file still loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reader.formats.base import Format, Source, parse_into
from reader.formats.common import as_count, hf_paper_id, note_text, with_arxiv_links
from reader.ids import arxiv_id, doi, paper_id
from reader.model import Digest, Link, Paper, dedupe_links
from reader.safeload import item_lines, load_yaml
from reader.sanitize import clean
from reader.text import date_part, http_url, link_label, one_line, split_authors, tex_to_unicode

NAME = "yaml"

_PAPERS_KEY = re.compile(r"^papers\s*:", re.MULTILINE)
_TOP_KEY = re.compile(r"^(title|date|source)\s*:", re.MULTILINE)
LINK_LABELS = ("abs", "pdf", "code", "project", "hf", "doi", "other")
_COUNTS = (("upvotes", "upvotes"), ("comments", "comments"), ("github_stars", "github_stars"))


def detect(source: Source) -> int:
    """A YAML mapping with a top-level ``papers:`` key."""
    head = source.head
    if head.lstrip()[:1] in ("{", "[", "<"):
        return 0
    if not _PAPERS_KEY.search(head):
        return 0
    score = 80
    if _TOP_KEY.search(head):
        score += 5
    if source.suffix in (".yaml", ".yml"):
        score += 10
    return score


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    parsed = parse_into(digest, load_yaml, source.text)
    if parsed is None:
        return digest
    data = parsed.data
    if data is None:
        digest.problem("empty file", severity="warning")
        return digest
    if not isinstance(data, dict) or not isinstance(data.get("papers"), list):
        if isinstance(data, dict) and "papers" in data and data["papers"] in ("", None):
            return _header(digest, data, source)  # `papers:` with nothing under it
        digest.problem("not a digest: expected a mapping with a 'papers' list")
        return digest
    _header(digest, data, source)
    lines = item_lines(parsed, "papers")
    for n, entry in enumerate(data["papers"], start=1):
        where = lines[n - 1] if n - 1 < len(lines) else {}
        paper = read_paper(entry, digest, where, n)
        if paper is not None:
            digest.papers.append(paper)
    return digest


def _header(digest: Digest, data: dict[str, Any], source: Source) -> Digest:
    digest.title = one_line(_text(data.get("title")))
    raw_date = _text(data.get("date"))
    day = date_part(raw_date)
    if raw_date and day is None:
        digest.problem(f"date {one_line(raw_date)!r} is not a YYYY-MM-DD day", severity="warning")
    digest.date = day or date_part(source.date_from_name()) or ""
    digest.source = http_url(_text(data.get("source"))) or one_line(_text(data.get("source")))
    return digest


def _text(value: object) -> str:
    """A scalar as text ("" for None, lists and mappings)."""
    return value if isinstance(value, str) else ""


def read_paper(entry: object, digest: Digest, lines: dict[str, int], n: int) -> Paper | None:
    """One entry of ``papers``; None (and a problem) when it cannot be read."""
    line = lines.get("")
    record = None if line else n

    def warn(msg: str, key: str) -> None:
        digest.problem(msg, line=lines.get(key, line), record=record, severity="warning")

    if not isinstance(entry, dict):
        digest.problem(f"paper {n} is not a mapping of fields", line=line, record=record)
        return None
    title = one_line(_text(entry.get("title")))
    if not title:
        digest.problem(f"paper {n} has no title: skipped", line=line, record=record)
        return None
    raw_id = one_line(_text(entry.get("id")))
    links = _links(entry.get("links"), warn)
    for key in ("url", "pdf", "code", "project"):  # flat forms, accepted too
        url = http_url(_text(entry.get(key)))
        if url:
            label = link_label(url) if key == "url" else key
            links.append(Link(label, url))
    aid = arxiv_id(raw_id) if raw_id and not raw_id.lower().startswith("doi:") else None
    the_doi = doi(raw_id) if raw_id.lower().startswith(("doi:", "10.")) else None
    if raw_id and aid is None and the_doi is None:
        warn(f"id {raw_id!r} is neither an arXiv id nor a DOI: id made from the title", "id")
    if aid is None:
        for link in links:
            aid = arxiv_id(link.url) if link.label in ("abs", "pdf", "hf") else None
            if aid is None and link.label == "hf":
                aid = hf_paper_id(link.url)
            if aid:
                break
    if the_doi is None:
        the_doi = doi(_text(entry.get("doi"))) or next(
            (doi(lk.url) for lk in links if lk.label == "doi"), None
        )
    if aid:
        links = with_arxiv_links(links, aid)
    paper = Paper(id=paper_id(aid, the_doi, title), title=title)
    paper.arxiv_id = aid
    paper.doi = the_doi
    paper.links = dedupe_links(links)
    paper.authors = _authors(entry.get("authors", entry.get("author")))
    paper.abstract = clean(_text(entry.get("abstract"))).strip()
    paper.tags = _tags(entry.get("tags"))
    for key, attr in _COUNTS:
        if key in entry:
            value, ok = as_count(entry[key])
            if not ok:
                warn(
                    f"{key} {one_line(str(entry[key]))[:40]!r} is not a whole number: ignored", key
                )
            setattr(paper, attr, value)
    summary = one_line(_text(entry.get("ai_summary")))
    paper.ai_summary = summary or None
    paper.arxiv_comments = note_text(entry.get("comment"))
    paper.journal_ref = note_text(entry.get("journal_ref"))
    published = _text(entry.get("published"))
    paper.published = date_part(published)
    if published and paper.published is None:
        warn(
            f"published {one_line(published)[:40]!r} is not a YYYY-MM-DD day: ignored", "published"
        )
    own_day = _text(entry.get("date"))
    day = date_part(own_day) or digest.date
    if own_day and date_part(own_day) is None:
        warn(f"date {one_line(own_day)[:40]!r} is not a YYYY-MM-DD day: ignored", "date")
    paper.dates = [day] if day else []
    paper.sources = [digest.path]
    paper.github_repo = next((lk.url for lk in paper.links if lk.label == "code"), None)
    paper.project_page = next((lk.url for lk in paper.links if lk.label == "project"), None)
    return paper


def _links(value: object, warn: Callable[[str, str], None]) -> list[Link]:
    """``links:`` as a mapping ``label: url`` or a list of URLs / ``{label, url}``."""
    out: list[Link] = []
    items: list[tuple[str, object]] = []
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                items.append((_text(v.get("label")), v.get("url")))
            else:
                items.append(("", v))
    elif isinstance(value, str) and value.strip():
        items = [("", value)]
    for label, raw in items:
        url = http_url(_text(raw))
        if url is None:
            if _text(raw).strip():
                warn(f"link {one_line(_text(raw))[:60]!r} is not an http(s) URL: ignored", "links")
            continue
        label = one_line(label).lower()
        if label not in LINK_LABELS:
            label = link_label(url) if not label else "other"
        out.append(Link(label, url))
    return out


def _authors(value: object) -> list[str]:
    if isinstance(value, list):
        names = [tex_to_unicode(v) for v in value if isinstance(v, str)]
        return [n for n in names if n]
    if isinstance(value, str):
        return split_authors(value)
    return []


def _tags(value: object) -> list[str]:
    raw: list[str] = []
    if isinstance(value, list):
        raw = [v for v in value if isinstance(v, str)]
    elif isinstance(value, str):
        raw = value.split(",")
    out: list[str] = []
    for t in raw:
        tag = one_line(t)
        if tag and tag not in out:
            out.append(tag)
    return out


FORMAT = Format(
    name=NAME,
    description="the reader's own YAML digest (title, date, papers: [...])",
    detect=detect,
    load=load,
)
