"""arXiv metadata as JSON Lines: one paper per line.

Two shapes are read (decided per line, so a mixed file works):

* the Kaggle / Cornell snapshot: ``{id, authors, authors_parsed, title,
  abstract, comments, journal-ref, doi, categories, versions, update_date}``;
* daily-arXiv-ai-enhanced: ``{id, categories[], pdf, abs, authors[], title,
  comment, summary}`` with optional ``AI{tldr, ...}``; the day is only in the
  file name.

A line that cannot be read becomes a problem naming its line; the rest loads.
Duplicate ids inside one file are merged into one paper. The abstract is
arXiv's own (:data:`~reader.model.ABSTRACT_ARXIV`); the comment and journal
ref are fields of their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from reader.formats.base import Format, Source
from reader.formats.common import (
    abstract_text,
    arxiv_links,
    categories,
    doi_link,
    line_text,
    name_text,
    note_text,
    read_records,
)
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import ABSTRACT_ARXIV, Digest, Paper
from reader.safeload import MAX_DEPTH, depth_exceeds
from reader.text import date_part, split_authors, tex_to_unicode, unwrap

NAME = "arxiv-jsonl"

# --- the format ---------------------------------------------------------------------------

_HEAD_KEY = re.compile(r'"(?:summary|abstract|authors_parsed|abs|categories)"\s*:')


def detect(source: Source) -> int:
    head = source.head.lstrip()
    if not head.startswith("{"):
        return 0
    if not re.search(r'"id"\s*:', head) or not re.search(r'"title"\s*:', head):
        return 0
    if not _HEAD_KEY.search(head):
        return 0
    first_end = head.find("\n")
    multi = first_end != -1 and head[first_end:].lstrip().startswith("{")
    if multi:
        return 90
    if source.suffix in (".jsonl", ".ndjson"):
        return 80
    return 0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def _too_deep(line: str, data: Any) -> bool:
    # Counting brackets first keeps the walk off ordinary lines.
    return line.count("{") + line.count("[") > MAX_DEPTH and depth_exceeds(data)


def _kaggle_authors(rec: dict[str, Any]) -> list[str]:
    parsed = rec.get("authors_parsed")
    names: list[str] = []
    if isinstance(parsed, list) and parsed:
        for entry in parsed:
            if not isinstance(entry, list):
                continue
            parts = [p for p in entry if isinstance(p, str)]
            if not parts:
                continue
            last = parts[0]
            first = parts[1] if len(parts) > 1 else ""
            suffix = parts[2] if len(parts) > 2 else ""
            name = name_text(" ".join(x.strip() for x in (first, last, suffix) if x.strip()))
            name = name.replace(". -", ".-")
            if name:
                names.append(name)
        if names:
            return names
    authors = rec.get("authors")
    if isinstance(authors, str):
        return split_authors(authors)
    return names


def _list_authors(value: object) -> list[str]:
    if isinstance(value, str):
        return split_authors(value)
    if not isinstance(value, list):
        return []
    out = []
    for v in value:
        if isinstance(v, str):
            name = name_text(v)
            if name:
                out.append(name)
        elif isinstance(v, dict) and isinstance(v.get("name"), str):
            name = tex_to_unicode(v["name"])
            if name:
                out.append(name)
    return out


def record_to_paper(rec: dict[str, Any], day: str, source_name: str) -> Paper | str:
    """One JSONL record as a Paper, or a message saying why it cannot be one."""
    raw_title = rec.get("title")
    title = line_text(raw_title) if isinstance(raw_title, str) else ""
    raw_id = rec.get("id")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    rid = raw_id if isinstance(raw_id, str) else None
    aid = arxiv_id(rid) if rid else None
    if aid is None:
        aid = arxiv_id(rec.get("abs")) if isinstance(rec.get("abs"), str) else None
    raw_doi = rec.get("doi")
    doi = find_doi(raw_doi) if isinstance(raw_doi, str) else None
    if not title and not aid:
        return "record has neither a title nor an arXiv id"
    kaggle = "abstract" in rec or "authors_parsed" in rec or "versions" in rec
    if kaggle:
        authors = _kaggle_authors(rec)
        abstract = abstract_text(rec.get("abstract"))
        comment = rec.get("comments")
        published: str | None = None
        versions = rec.get("versions")
        if isinstance(versions, list) and versions and isinstance(versions[0], dict):
            published = date_part(versions[0].get("created"))
        if not published:
            published = date_part(rec.get("update_date"))
    else:
        authors = _list_authors(rec.get("authors"))
        abstract = abstract_text(rec.get("summary"))
        comment = rec.get("comment")
        published = date_part(rec.get("published"))
    links = arxiv_links(aid, rec.get("abs"), rec.get("pdf"))
    dl = doi_link(raw_doi.strip() if doi and isinstance(raw_doi, str) else None)
    if dl:
        links.append(dl)
    ai = rec.get("AI")
    ai_summary = None
    if isinstance(ai, dict) and isinstance(ai.get("tldr"), str):
        ai_summary = unwrap(ai["tldr"]) or None
    return Paper(
        id=paper_id(aid, doi, title),
        title=title,
        authors=authors,
        abstract=abstract,
        abstract_rank=ABSTRACT_ARXIV,
        arxiv_comments=note_text(comment),
        journal_ref=note_text(rec.get("journal-ref") or rec.get("journal_ref")),
        links=links,
        tags=categories(rec.get("categories")),
        dates=[day] if day else [],
        sources=[source_name],
        arxiv_id=aid,
        doi=doi,
        ai_summary=ai_summary,
        published=published or None,
    )


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    day = source.date_from_name()
    digest.date = day
    digest.title = source.filename
    read_records(
        digest, _records(source.text, digest), lambda rec: record_to_paper(rec, day, source.name)
    )
    return digest


def _records(text: str, digest: Digest) -> Iterator[tuple[int, None, dict[str, Any]]]:
    """Each line's JSON object; a line that is not one becomes a problem."""
    loads = json.loads
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line or line.isspace():
            continue
        try:
            rec = loads(line, parse_constant=_reject_constant)
        except RecursionError:
            digest.problem(f"JSON nested deeper than {MAX_DEPTH} levels", line=lineno)
            continue
        except ValueError as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            col = f" (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            digest.problem(f"not valid JSON: {msg}{col}", line=lineno)
            continue
        if not isinstance(rec, dict):
            digest.problem(f"expected a JSON object, found {type(rec).__name__}", line=lineno)
            continue
        if _too_deep(line, rec):
            digest.problem(f"JSON nested deeper than {MAX_DEPTH} levels", line=lineno)
            continue
        yield lineno, None, rec


FORMAT = Format(
    name=NAME,
    description="arXiv metadata JSON Lines (Kaggle snapshot, daily-arXiv-ai-enhanced)",
    detect=detect,
    load=load,
)
