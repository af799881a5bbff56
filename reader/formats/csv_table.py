"""CSV and TSV tables of papers, one row per paper, with a header naming the columns.

Column names are matched case-insensitively, ignoring spaces, ``_`` and ``-``:

=========  ==================================================
title      title, paper, name, paper_title
abstract   abstract, summary, description (the first non-empty)
links      url, link, paperurl, pdf, abs, code, and any ``...url`` / ``...link``
authors    authors, author (a list repr ``['A', 'B']`` or ``A, B and C``)
date       date, published, publishdate
id         id, paper_id, arxiv_id, arxiv
tags       tags, subjects, categories, keywords
=========  ==================================================

A row with no title is a problem naming its line; the rest of the table loads.
arXiv ids cut short by a spreadsheet (``2309.114`` for ``2309.11400``) are
recovered from the URL column, else padded back with zeros.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from collections.abc import Iterator

from reader.formats.base import Format, Source
from reader.formats.common import with_arxiv_links
from reader.ids import arxiv_id, doi, paper_id
from reader.model import Digest, Link, Paper
from reader.text import (
    date_part,
    http_url,
    link_label,
    one_line,
    split_authors,
    tex_to_unicode,
    unwrap,
)

NAME = "csv"

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "papertitle", "paper", "name"),
    "abstract": ("abstract", "summary", "description", "tldr"),
    "authors": ("authors", "author", "authorlist"),
    "date": ("date", "published", "publishdate", "publisheddate", "day"),
    "id": ("id", "paperid", "arxivid", "arxiv"),
    "tags": ("tags", "subjects", "categories", "keywords", "subject", "category"),
}
_URL_NAMES = ("url", "link", "paperurl", "pdf", "abs", "code", "project", "doi")
_MAX_CONSECUTIVE_ERRORS = 20
_MAX_LIST_REPR = 100_000
_SHORT_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.(\d{1,4})$")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.strip().lower())


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class Columns:
    """Which column holds what, from the header row."""

    def __init__(self, header: list[str]) -> None:
        names = [_norm(h) for h in header]
        self.fields: dict[str, list[int]] = {}
        for field, synonyms in _SYNONYMS.items():
            # in synonym order: "abstract" before "summary" before "description"
            self.fields[field] = [i for s in synonyms for i, n in enumerate(names) if n == s]
        self.urls = [
            i
            for i, n in enumerate(names)
            if n in _URL_NAMES or (n.endswith(("url", "link")) and i not in self.fields["title"])
        ]

    @property
    def usable(self) -> bool:
        return bool(self.fields["title"]) and bool(self.fields["abstract"] or self.urls)

    def get(self, row: list[str], field: str) -> str:
        for i in self.fields[field]:
            if i < len(row) and row[i].strip():
                return row[i]
        return ""


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def detect(source: Source) -> int:
    head = source.head
    first = _header_line(head)
    if not first or first.lstrip()[:1] in ("{", "[", "<", "#", "|", "-"):
        return 0
    delim = _delimiter(first)
    if delim not in first:
        return 0
    try:
        header = next(csv.reader([first], delimiter=delim))
    except (csv.Error, StopIteration):
        return 0
    cols = Columns(header)
    if not cols.usable:
        return 0
    score = 60 + (10 if cols.fields["abstract"] and cols.urls else 0)
    if source.suffix in (".csv", ".tsv"):
        score += 15
    return score


def _rows(text: str, delim: str, digest: Digest) -> Iterator[tuple[int, list[str]]]:
    """``(first line, cells)`` per record; csv errors become problems."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    errors = 0
    last = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors += 1
            digest.problem(f"unreadable row: {exc}", line=last + 1)
            last = reader.line_num
            if errors >= _MAX_CONSECUTIVE_ERRORS:
                digest.problem("too many unreadable rows: the rest of the file is skipped")
                return
            continue
        errors = 0
        start = last + 1
        last = reader.line_num
        yield start, row


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    text = source.text
    first = _header_line(text)
    if not first:
        digest.problem("empty file", severity="warning")
        return digest
    delim = _delimiter(first)
    rows = _rows(text, delim, digest)
    cols: Columns | None = None
    for _line, row in rows:
        if any(c.strip() for c in row):
            cols = Columns(row)
            break
    if cols is None or not cols.usable:
        digest.problem("not a paper table: the header names no title and abstract/URL columns")
        return digest
    digest.date = date_part(source.date_from_name()) or ""
    padded = 0
    days: set[str] = set()
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        paper, fixed = _paper(row, cols, digest, line)
        padded += fixed
        if paper is not None:
            digest.papers.append(paper)
            days.update(paper.dates)
    if padded:
        digest.problem(
            f"{padded} arXiv ids looked cut short (like 2309.114 for 2309.11400):"
            " padded back with zeros",
            severity="warning",
        )
    if not digest.date and len(days) == 1:
        digest.date = next(iter(days))
    return digest


def _paper(row: list[str], cols: Columns, digest: Digest, line: int) -> tuple[Paper | None, int]:
    title = one_line(cols.get(row, "title"))
    if not title:
        digest.problem("row has no title: skipped", line=line)
        return None, 0
    links: list[Link] = []
    for i in cols.urls:
        url = http_url(row[i]) if i < len(row) else None
        if url and all(lk.url != url for lk in links):
            links.append(Link(link_label(url), url))
    raw_id = one_line(cols.get(row, "id"))
    fixed = 0
    aid = arxiv_id(raw_id)
    m = _SHORT_NEW_ID.match(raw_id)
    if m and (aid is None or _too_short(m)):
        aid = None
    if aid is None:
        aid = next((a for lk in links if (a := arxiv_id(lk.url)) and not _is_short(a)), None)
    if aid is None and m:
        aid = _pad(m)
        fixed = 1
    if aid is None:
        aid = next((a for lk in links if (a := arxiv_id(lk.url))), None)
    the_doi = doi(raw_id) or next((d for lk in links if (d := doi(lk.url))), None)
    if aid:
        # drop arXiv links that do not name this id (cut short like the id was)
        links = [
            lk for lk in links if "arxiv.org/" not in lk.url.lower() or arxiv_id(lk.url) == aid
        ]
        links = with_arxiv_links(links, aid)
    paper = Paper(id=paper_id(aid, the_doi, title), title=title, arxiv_id=aid, doi=the_doi)
    paper.links = links
    paper.abstract = unwrap(cols.get(row, "abstract"))
    paper.authors = _authors(cols.get(row, "authors"))
    paper.tags = _tags(cols.get(row, "tags"))
    day = date_part(cols.get(row, "date").strip()) or digest.date
    paper.dates = [day] if day else []
    paper.sources = [digest.path]
    paper.github_repo = next((lk.url for lk in links if lk.label == "code"), None)
    return paper, fixed


def _too_short(m: re.Match[str]) -> bool:
    """A new-style id with fewer digits than its month needs (YYMM >= 1501: 5)."""
    yymm = int(m.group(1) + m.group(2))
    need = 5 if yymm >= 1501 else 4
    return len(m.group(3)) < need


def _is_short(aid: str) -> bool:
    m = _SHORT_NEW_ID.match(aid)
    return bool(m and _too_short(m))


def _pad(m: re.Match[str]) -> str:
    yymm = m.group(1) + m.group(2)
    need = 5 if int(yymm) >= 1501 else 4
    return f"{yymm}.{m.group(3).ljust(need, '0')}"


def _authors(text: str) -> list[str]:
    s = text.strip()
    if s.startswith("[") and s.endswith("]") and len(s) <= _MAX_LIST_REPR:
        try:
            value = ast.literal_eval(s)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, (list, tuple)):
            names = [tex_to_unicode(v) for v in value if isinstance(v, str)]
            return [n for n in names if n]
    return split_authors(s)


_CODE_IN_PARENS = re.compile(r"\(([a-zA-Z\-]+(?:\.[A-Za-z\-]+)?)\)\s*$")


def _tags(text: str) -> list[str]:
    s = text.strip()
    if not s:
        return []
    if s.startswith("[") and s.endswith("]") and len(s) <= _MAX_LIST_REPR:
        try:
            value = ast.literal_eval(s)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = None
        if isinstance(value, (list, tuple)):
            parts = [v for v in value if isinstance(v, str)]
        else:
            parts = [s]
    else:
        parts = re.split(r"\s*;\s*" if ";" in s else r"\s*,\s*", s)
    out: list[str] = []
    for part in parts:
        m = _CODE_IN_PARENS.search(part)
        tag = one_line(m.group(1) if m else part)
        if tag and tag not in out:
            out.append(tag)
    return out


FORMAT = Format(
    name=NAME,
    description="CSV/TSV table with a header naming title, abstract and URL columns",
    detect=detect,
    load=load,
)
