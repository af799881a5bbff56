"""arXiv metadata as JSON Lines: one paper per line.

Two shapes are read (decided per line, so a mixed file works):

* the Kaggle / Cornell snapshot: ``{id, authors, authors_parsed, title,
  abstract, comments, journal-ref, doi, categories, versions, update_date}``;
* daily-arXiv-ai-enhanced: ``{id, categories[], pdf, abs, authors[], title,
  comment, summary}`` with optional ``AI{tldr, ...}``; the day is only in the
  file name.

A line that cannot be read becomes a problem naming its line; the rest loads.
Duplicate ids inside one file are merged into one paper.

The small helpers at the top (:func:`arxiv_links`, :func:`with_notes`;
URLs and days come from :mod:`reader.text`) are shared by the other arXiv formats.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reader.formats.base import Format, Source
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import Digest, Link, Paper, merge_papers
from reader.safeload import MAX_DEPTH, depth_exceeds
from reader.text import (
    date_part,
    html_to_text,
    http_url,
    one_line,
    split_authors,
    tex_to_unicode,
    unwrap,
)

NAME = "arxiv-jsonl"

_INDENT_PARA = re.compile(r"\n(?=[ \t]{2,}\S)")
#: a blank line, or arXiv's paragraph mark: a newline then two or more spaces
_PARAS = re.compile(r"\n[ \t]*\n+\s*|\n(?=[ \t]{2,}\S)")


# --- helpers shared by the arXiv formats -------------------------------------------------


def line_text(value: str) -> str:
    """:func:`reader.text.one_line`, with a fast path for plain ASCII (the bulk
    corpus has 1.4 million names and titles)."""
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()
    return one_line(value)


def name_text(value: str) -> str:
    """An author name: TeX accents decoded (pylatexenc only when needed)."""
    plain = value.isascii() and value.isprintable() and "  " not in value
    if plain and "\\" not in value and "{" not in value:
        return value.strip()
    return tex_to_unicode(value)


def arxiv_links(aid: str | None, abs_url: object = None, pdf_url: object = None) -> list[Link]:
    """The abs and pdf links of an arXiv paper (given URLs first, else built)."""
    links: list[Link] = []
    a = http_url(abs_url)
    p = http_url(pdf_url)
    if a is None and aid:
        a = f"https://arxiv.org/abs/{aid}"
    if p is None and aid:
        p = f"https://arxiv.org/pdf/{aid}"
    if a:
        links.append(Link("abs", a))
    if p:
        links.append(Link("pdf", p))
    return links


def doi_link(doi: str | None) -> Link | None:
    return Link("doi", f"https://doi.org/{doi}") if doi else None


def with_notes(abstract: str, comment: object = None, journal_ref: object = None) -> str:
    """The abstract plus a last paragraph holding the arXiv comment and journal ref."""
    extra = []
    c = one_line(comment) if isinstance(comment, str) else ""
    j = one_line(journal_ref) if isinstance(journal_ref, str) else ""
    if c:
        extra.append(f"Comments: {c}")
    if j:
        extra.append(f"Journal ref: {j}")
    if not extra:
        return abstract
    tail = "  \n".join(extra)
    return f"{abstract}\n\n{tail}" if abstract else tail


def categories(value: object) -> list[str]:
    """Categories from a list or a space-separated string, one-line, unique."""
    items: list[str] = []
    if isinstance(value, str):
        items = value.split()
    elif isinstance(value, list):
        items = [v for v in value if isinstance(v, str)]
    out: list[str] = []
    for item in items:
        t = one_line(item)
        if t and t not in out:
            out.append(t)
    return out


def add_paper(papers: dict[str, Paper], paper: Paper) -> None:
    """Add ``paper``, merging it into an earlier one with the same id."""
    old = papers.get(paper.id)
    if old is None:
        papers[paper.id] = paper
    else:
        merge_papers(old, paper)


def _join_words(p: str) -> str:
    if "\n" not in p and "  " not in p and "\t" not in p:
        return p.strip()
    return " ".join(p.split())


def abstract_text(value: object) -> str:
    """An arXiv abstract: HTML-free, hard wraps joined, ``\\n  `` paragraphs kept."""
    if not isinstance(value, str):
        return ""
    if "<" in value or "&" in value:
        # keep arXiv's indented paragraphs: mark them before the HTML pass
        return html_to_text(_INDENT_PARA.sub("\n\n", value.strip()))
    paras = _PARAS.split(value.strip())
    out = [line_text(_join_words(p)) for p in paras]
    return "\n\n".join(p for p in out if p)


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
    abstract = with_notes(abstract, comment, rec.get("journal-ref") or rec.get("journal_ref"))
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
    papers: dict[str, Paper] = {}
    loads = json.loads
    for lineno, line in enumerate(source.text.split("\n"), 1):
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
        paper = record_to_paper(rec, day, source.name)
        if isinstance(paper, str):
            digest.problem(paper, line=lineno)
            continue
        add_paper(papers, paper)
    digest.papers = list(papers.values())
    return digest


FORMAT = Format(
    name=NAME,
    description="arXiv metadata JSON Lines (Kaggle snapshot, daily-arXiv-ai-enhanced)",
    detect=detect,
    load=load,
)
