"""The "arxiv-daily" family of digests.

* The topic JSON of the cv-arxiv-daily generators: ``{topic: {arxiv_id: "|**date**|
  **Title**|First Author et.al.|[id](abs url)|null or **[link](code url)**|\\n"}}``.
* Its Markdown README: ``## Updated on YYYY.MM.DD``, then one ``## <Topic>``
  section per topic with a ``|Publish Date|Title|Authors|PDF|Code|`` table.
  Both are read through markdown-it-py table tokens (the JSON rows are put
  under a table header first), so one row reader serves both.
* The paper-list JSON of shiyibihua/arxiv-daily: ``{count, papers[{title,
  authors[], arxiv_id, summary, categories[], primary_category, published,
  comment, doi, journal_ref, pdf_url, code_links[]}], ...}``.

The topic becomes a tag; only the first author is known ("X et.al." keeps "X").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reader.formats.arxiv_jsonl import (
    abstract_text,
    add_paper,
    arxiv_links,
    categories,
    doi_link,
    line_text,
    name_text,
    with_notes,
)
from reader.formats.base import Format, Source, parse_into
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import Digest, Link, Paper
from reader.safeload import load_json
from reader.text import date_part, http_url, one_line

NAME = "arxiv-daily"

_ROW_HEAD = re.compile(r'"[^"]{1,80}"\s*:\s*\{\s*"[^"]{1,40}"\s*:\s*"\|\*\*\d{4}-\d{2}-\d{2}\*\*\|')
_TABLE_HEAD = re.compile(r"^\|\s*Publish Date\s*\|\s*Title\s*\|\s*Authors\s*\|\s*PDF\s*\|", re.M)
_UPDATED = re.compile(r"Updated on (\d{4})[.\-/](\d{2})[.\-/](\d{2})")
_PAPERS_HEAD = re.compile(r'"papers"\s*:\s*\[')
_ET_AL = re.compile(r"\s*\bet\.?\s*al\.?\s*$", re.IGNORECASE)
_CODE_KINDS = {"github": "code", "project_page": "project", "huggingface": "hf"}
_TABLE_HEADER = "|Publish Date|Title|Authors|PDF|Code|\n|---|---|---|---|---|\n"


def _md() -> MarkdownIt:
    """Block tokens only: the inline pass is 60% of the time on 9,000-row tables and
    these cells hold nothing but bold text and ``[text](url)`` links, which
    :func:`cell_of` reads from the cell's raw content."""
    return MarkdownIt("commonmark").enable("table").disable("inline")


def detect(source: Source) -> int:
    head = source.head
    stripped = head.lstrip()
    if stripped.startswith("{"):
        if _ROW_HEAD.search(head):
            return 95
        if _PAPERS_HEAD.search(head) and ('"arxiv_id"' in head or '"count"' in head):
            return 90
        return 0
    if _TABLE_HEAD.search(head):
        return 95
    return 0


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    digest.title = source.filename
    if source.text.lstrip().startswith("{"):
        parsed = parse_into(digest, load_json, source.text)
        if parsed is None:
            return digest
        data = parsed.data
        if isinstance(data, dict) and "papers" in data:
            _load_paper_list(data, source, digest)
        elif isinstance(data, dict):
            _load_topics(data, source, digest)
        else:
            digest.problem("expected a JSON object of topics or {count, papers}")
        return digest
    _load_readme(source, digest)
    return digest


# --- table rows through markdown-it tokens -----------------------------------------------


@dataclass
class Cell:
    raw: str
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)


@dataclass
class Row:
    line: int | None
    cells: list[Cell]
    section: str


def table_rows(tokens: list[Token], line_offset: int = 0) -> list[Row]:
    """Every body row of every table, with the text of the last h1-h3 heading."""
    rows: list[Row] = []
    section = ""
    i = 0
    n = len(tokens)
    in_heading = False
    in_body = False
    cur: list[Cell] | None = None
    cur_line: int | None = None
    while i < n:
        tok = tokens[i]
        t = tok.type
        if t == "heading_open":
            in_heading = True
        elif t == "heading_close":
            in_heading = False
        elif t == "inline" and in_heading:
            section = one_line(tok.content)
        elif t == "tbody_open":
            in_body = True
        elif t == "tbody_close":
            in_body = False
        elif t == "tr_open" and in_body:
            cur = []
            cur_line = tok.map[0] + 1 + line_offset if tok.map else None
        elif t == "tr_close" and cur is not None:
            rows.append(Row(cur_line, cur, section))
            cur = None
        elif t == "inline" and cur is not None:
            cur.append(cell_of(tok))
        i += 1
    return rows


_MD_LINK = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^()\s<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


def cell_of(tok: Token) -> Cell:
    """A table cell (or any inline token): its raw Markdown, plain text and links.
    Works on tokens with inline children and on block-only tokens (raw content)."""
    if not tok.children:
        raw = tok.content
        found = [(m.group(1), m.group(2)) for m in _MD_LINK.finditer(raw)]
        text = _MD_LINK.sub(lambda m: m.group(1), raw).replace("**", "").replace("`", "")
        return Cell(raw, one_line(text), found)
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    href: str | None = None
    label: list[str] = []
    for c in tok.children or []:
        if c.type == "link_open":
            href = str(c.attrs.get("href", ""))
            label = []
        elif c.type == "link_close":
            if href is not None:
                links.append(("".join(label), href))
            href = None
        elif c.type in ("text", "code_inline"):
            parts.append(c.content)
            if href is not None:
                label.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return Cell(tok.content, one_line("".join(parts)), links)


def _strip_bold(raw: str) -> str:
    s = raw.strip()
    while s.startswith("**") and s.endswith("**") and len(s) >= 4:
        s = s[2:-2].strip()
    return s


def row_to_paper(row: Row, topic: str, day: str, source_name: str) -> Paper | str:
    cells = row.cells
    if len(cells) < 4:
        return f"table row has {len(cells)} cells, expected 5 (date, title, authors, pdf, code)"
    date_cell, title_cell, author_cell, pdf_cell = cells[:4]
    code_cell = cells[4] if len(cells) > 4 else None
    title = line_text(_strip_bold(title_cell.raw))
    aid = None
    pdf_href = None
    for text, href in pdf_cell.links:
        aid = aid or arxiv_id(href) or arxiv_id(text)
        pdf_href = pdf_href or href
    aid = aid or arxiv_id(pdf_cell.text)
    if not title and not aid:
        return "table row has neither a title nor an arXiv id"
    first = _ET_AL.sub("", author_cell.text)
    authors = [name_text(first)] if first.strip() and first.strip() != "null" else []
    links = arxiv_links(aid, pdf_href if aid else None)
    if not aid and http_url(pdf_href):
        links.append(Link("other", str(http_url(pdf_href))))
    if code_cell is not None:
        for _text, href in code_cell.links:
            url = http_url(href)
            if url:
                links.append(Link("code", url))
    return Paper(
        id=paper_id(aid, None, title),
        title=title,
        authors=authors,
        links=links,
        tags=[topic] if topic else [],
        dates=[day] if day else [],
        sources=[source_name],
        arxiv_id=aid,
        published=date_part(_strip_bold(date_cell.text)) or None,
    )


# --- topic JSON and README ---------------------------------------------------------------


def _load_topics(data: dict[str, Any], source: Source, digest: Digest) -> None:
    day = source.date_from_name()
    digest.date = day
    papers: dict[str, Paper] = {}
    md = _md()
    record = 0
    for topic_raw, rows in data.items():
        topic = one_line(str(topic_raw))
        if not isinstance(rows, dict):
            digest.problem(f"topic {topic!r}: expected an object of rows")
            continue
        keys: list[str] = []
        lines: list[str] = []
        for key, value in rows.items():
            record += 1
            if not isinstance(value, str) or not value.strip().startswith("|"):
                digest.problem(
                    f"topic {topic!r}, id {one_line(key)!r}: not a table row", record=record
                )
                continue
            keys.append(one_line(key))
            lines.append(value.strip().replace("\n", " "))
        tokens = md.parse(_TABLE_HEADER + "\n".join(lines) + "\n")
        parsed = table_rows(tokens)
        for row in parsed:
            idx = (row.line or 3) - 3  # the two header lines come first
            key = keys[idx] if 0 <= idx < len(keys) else ""
            paper = row_to_paper(row, topic, day, source.name)
            if isinstance(paper, str):
                digest.problem(f"topic {topic!r}, id {key!r}: {paper}")
                continue
            if paper.arxiv_id is None and arxiv_id(key):
                paper = _with_id(paper, str(arxiv_id(key)))
            add_paper(papers, paper)
        if len(parsed) < len(lines):
            digest.problem(
                f"topic {topic!r}: {len(lines) - len(parsed)} rows could not be read as a table"
            )
    digest.papers = list(papers.values())


def _with_id(paper: Paper, aid: str) -> Paper:
    paper.arxiv_id = aid
    paper.id = aid
    paper.links = arxiv_links(aid) + paper.links
    return paper


def _load_readme(source: Source, digest: Digest) -> None:
    text = source.text
    m = _UPDATED.search(text[:4096])
    day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else source.date_from_name()
    digest.date = day
    tokens = _md().parse(text)
    papers: dict[str, Paper] = {}
    for row in table_rows(tokens):
        topic = "" if _UPDATED.search(row.section) else row.section
        paper = row_to_paper(row, topic, day, source.name)
        if isinstance(paper, str):
            digest.problem(paper, line=row.line)
            continue
        add_paper(papers, paper)
    digest.papers = list(papers.values())


# --- shiyibihua paper lists --------------------------------------------------------------


def _load_paper_list(data: dict[str, Any], source: Source, digest: Digest) -> None:
    day = source.date_from_name()
    digest.date = day
    items = data.get("papers")
    if not isinstance(items, list):
        digest.problem("'papers' is not a list")
        return
    papers: dict[str, Paper] = {}
    for n, rec in enumerate(items, 1):
        if not isinstance(rec, dict):
            digest.problem("paper is not a JSON object", record=n)
            continue
        paper = _list_paper(rec, day, source.name)
        if isinstance(paper, str):
            digest.problem(paper, record=n)
            continue
        add_paper(papers, paper)
    digest.papers = list(papers.values())
    count = data.get("count")
    if isinstance(count, int) and count != len(items):
        digest.problem(
            f"'count' says {count} papers, the list holds {len(items)}", severity="warning"
        )


def _list_paper(rec: dict[str, Any], day: str, source_name: str) -> Paper | str:
    def s(key: str) -> str:
        v = rec.get(key)
        return v if isinstance(v, str) else ""

    title = line_text(s("title"))
    aid = arxiv_id(s("arxiv_id")) or arxiv_id(s("pdf_url")) or arxiv_id(s("id"))
    doi = find_doi(s("doi")) if s("doi") else None
    if not title and not aid:
        return "paper has neither a title nor an arXiv id"
    authors_raw = rec.get("authors")
    authors = (
        [name_text(a) for a in authors_raw if isinstance(a, str) and a.strip()]
        if isinstance(authors_raw, list)
        else []
    )
    links = arxiv_links(aid, None, s("pdf_url"))
    dl = doi_link(s("doi").strip() if doi else None)
    if dl:
        links.append(dl)
    code = rec.get("code_links")
    if isinstance(code, list):
        for c in code:
            url = http_url(c.get("url")) if isinstance(c, dict) else http_url(c)
            kind = str(c.get("type") or "") if isinstance(c, dict) else ""
            if url:
                links.append(Link(_CODE_KINDS.get(kind, "code"), url))
    tags = []
    primary = line_text(s("primary_category"))
    if primary:
        tags.append(primary)
    for t in categories(rec.get("categories")) + categories(rec.get("tags_zh")):
        if t not in tags:
            tags.append(t)
    published = date_part(s("published")) or None
    return Paper(
        id=paper_id(aid, doi, title),
        title=title,
        authors=authors,
        abstract=with_notes(abstract_text(rec.get("summary")), s("comment"), s("journal_ref")),
        links=links,
        tags=tags,
        dates=[day] if day else ([published] if published else []),
        sources=[source_name],
        arxiv_id=aid,
        doi=doi,
        published=published,
    )


FORMAT = Format(
    name=NAME,
    description="arxiv-daily topic tables (JSON and README) and paper-list JSON",
    detect=detect,
    load=load,
)
