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
A table row is put on its own publish date: the tables are cumulative (the
README's "Updated on" day is when the table was last rebuilt, not a digest
day); only a row without one takes the digest's day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reader.formats.base import Format, Source, parse_into
from reader.formats.common import (
    Row,
    abstract_text,
    arxiv_links,
    categories,
    doi_link,
    line_text,
    name_text,
    note_text,
    read_records,
    table_rows,
)
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import ABSTRACT_ARXIV, Digest, Link, Paper
from reader.safeload import load_json
from reader.text import date_part, http_url, one_line

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

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
    from markdown_it import MarkdownIt  # imported when a table is parsed, not with the formats

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


# --- table rows --------------------------------------------------------------------------


def _strip_bold(raw: str) -> str:
    s = raw.strip()
    while s.startswith("**") and s.endswith("**") and len(s) >= 4:
        s = s[2:-2].strip()
    return s


def row_to_paper(row: Row, topic: str, day: str, source_name: str) -> Paper | str:
    """One table row; it lands on its publish date (``day`` only when it has none)."""
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
    published = date_part(_strip_bold(date_cell.text))
    own_day = published or day
    return Paper(
        id=paper_id(aid, None, title),
        title=title,
        authors=authors,
        links=links,
        tags=[topic] if topic else [],
        dates=[own_day] if own_day else [],
        sources=[source_name],
        arxiv_id=aid,
        published=published,
    )


# --- topic JSON and README ---------------------------------------------------------------


def _load_topics(data: dict[str, Any], source: Source, digest: Digest) -> None:
    day = source.date_from_name()
    digest.date = day
    md = _md()

    def rows() -> Iterator[tuple[None, None, tuple[str, str, Row]]]:
        record = 0
        for topic_raw, items in data.items():
            topic = one_line(str(topic_raw))
            if not isinstance(items, dict):
                digest.problem(f"topic {topic!r}: expected an object of rows")
                continue
            keys: list[str] = []
            lines: list[str] = []
            for key, value in items.items():
                record += 1
                if not isinstance(value, str) or not value.strip().startswith("|"):
                    digest.problem(
                        f"topic {topic!r}, id {one_line(key)!r}: not a table row", record=record
                    )
                    continue
                keys.append(one_line(key))
                lines.append(value.strip().replace("\n", " "))
            parsed = table_rows(md.parse(_TABLE_HEADER + "\n".join(lines) + "\n"))
            for row in parsed:
                idx = (row.line or 3) - 3  # the two header lines come first
                yield None, None, (topic, keys[idx] if 0 <= idx < len(keys) else "", row)
            if len(parsed) < len(lines):
                digest.problem(
                    f"topic {topic!r}: {len(lines) - len(parsed)} rows could not be read as a table"
                )

    def to_paper(item: tuple[str, str, Row]) -> Paper | str:
        topic, key, row = item
        paper = row_to_paper(row, topic, day, source.name)
        if isinstance(paper, str):
            return f"topic {topic!r}, id {key!r}: {paper}"
        if paper.arxiv_id is None and arxiv_id(key):
            paper = _with_id(paper, str(arxiv_id(key)))
        return paper

    read_records(digest, rows(), to_paper)


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
    read_records(
        digest,
        ((row.line, None, row) for row in table_rows(_md().parse(text))),
        lambda row: row_to_paper(
            row, "" if _UPDATED.search(row.section) else row.section, day, source.name
        ),
    )


# --- shiyibihua paper lists --------------------------------------------------------------


def _load_paper_list(data: dict[str, Any], source: Source, digest: Digest) -> None:
    day = source.date_from_name()
    digest.date = day
    items = data.get("papers")
    if not isinstance(items, list):
        digest.problem("'papers' is not a list")
        return
    read_records(
        digest,
        ((None, n, rec) for n, rec in enumerate(items, 1)),
        lambda rec: _list_paper(rec, day, source.name),
    )
    count = data.get("count")
    if isinstance(count, int) and count != len(items):
        digest.problem(
            f"'count' says {count} papers, the list holds {len(items)}", severity="warning"
        )


def _list_paper(rec: object, day: str, source_name: str) -> Paper | str:
    if not isinstance(rec, dict):
        return "paper is not a JSON object"

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
        abstract=abstract_text(rec.get("summary")),
        abstract_rank=ABSTRACT_ARXIV,  # the arXiv API's summary
        arxiv_comments=note_text(s("comment")),
        journal_ref=note_text(s("journal_ref")),
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
