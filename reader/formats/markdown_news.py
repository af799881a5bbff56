"""Markdown newsletters, read through markdown-it-py tokens (tables enabled).

Shapes recognised (each by its structure, not by file name):

* weekly tables ``| **Paper** | **Links** |`` under ``## Top ML Papers of the
  Week (<range>) - <year>`` (ML-Papers-of-the-Week): first cell ``N) Title`` then
  the summary, links cell ``[Paper](url), [Tweet](url)``;
* ``| Ref | Title | Summary |`` tables whose ``[^n]`` footnotes hold the arXiv
  title line and the abstracts (cn-chat-arxiv);
* one paper per heading: ``### [n] [Title](https://arxiv.org/abs/id)`` with
  ``*Authors*``, ``Main category:``, ``TL;DR:`` and ``Abstract:`` paragraphs
  (daily-arXiv-ai-enhanced), or ``### N. <title>`` with ``**原文标题：**``,
  ``**摘要：**`` and ``**论文链接：**`` (hf-daily-paper-newsletter-chinese), or a
  per-paper page whose ``# Title`` is followed by an arXiv link and
  ``**作者**``/``**分类**``/``**发布日期**`` lines;
* HTML ``<table>`` rows carrying ``data-arxiv-id`` (arxiv-daily index pages);
* anything else: a heading, list item or table row holding a link to arxiv.org
  is a paper.

A newsletter's own words about a paper (a paraphrase, a translated abstract)
are kept as its :class:`~reader.model.Summary`, under the newsletter's name,
and stand in for the abstract only until the authors' abstract is known
(:data:`~reader.model.ABSTRACT_PARAPHRASE`). An English abstract copied into
the newsletter counts as a copy (:data:`~reader.model.ABSTRACT_OTHER`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reader.formats.base import Format, Source
from reader.formats.common import (
    Cell,
    add_paper,
    arxiv_links,
    cell_of,
    line_text,
    newsletter_name,
    table_rows,
)
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import (
    ABSTRACT_OTHER,
    ABSTRACT_PARAPHRASE,
    Digest,
    Link,
    Paper,
    Summary,
)
from reader.text import date_part, html_to_text, http_url, one_line, split_authors, unwrap

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

NAME = "markdown"

_ARXIV_LINK = re.compile(r"arxiv\.org/(?:abs|pdf|html)/", re.IGNORECASE)
_MD_STRUCT = re.compile(r"^(?:#{1,6} |\|.*\|\s*$|[-*] |\d+[.)] )", re.M)
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_NUMBERED = re.compile(r"^\s*\d+\s*[).:]\s*")
_WEEK = re.compile(
    r"\(\s*(?P<mon>[A-Za-z]{3,9})\.?\s*(?P<day>\d{1,2})\b[^)]*\)(?:\s*-\s*(?P<year>\d{4}))?"
)
_YEAR_ONLY = re.compile(r"^\s*(\d{4})\s*$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
)}  # fmt: skip
_OLD_TITLE = re.compile(r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>[^\s\]\[()]+)\s*\[(?P<cat>[^\]]+)\]")
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")
_LABEL = re.compile(r"^\s*\*\*\s*(?P<label>[^*]{1,20}?)\s*[:：]?\s*\*\*\s*[:：]?\s*", re.DOTALL)
_FOOTNOTE = re.compile(r"^\[\^(?P<n>[^\]]+)\]:\s*(?P<rest>.*)$", re.DOTALL)
_TR = re.compile(r"<tr\b.*?</tr>", re.DOTALL | re.IGNORECASE)
_TD = re.compile(r"<td\b[^>]*>(.*?)</td>", re.DOTALL | re.IGNORECASE)
_A = re.compile(r"<a\b[^>]*>(.*?)</a>", re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_DATA_ID = re.compile(r"""data-arxiv-id\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_TAG_SPAN = re.compile(r"""<span class=["']paper-tag["']>(.*?)</span>""", re.IGNORECASE)


def _md() -> MarkdownIt:
    from markdown_it import MarkdownIt  # imported when a newsletter is parsed, not with the formats

    return MarkdownIt("commonmark").enable("table")


def detect(source: Source) -> int:
    head = source.head
    stripped = head.lstrip()
    if not stripped or stripped[0] in "{[" or stripped.startswith(("<?xml", "<rss", "<feed")):
        return 0
    links = len(_ARXIV_LINK.findall(head))
    struct = len(_MD_STRUCT.findall(head))
    md_name = source.suffix in (".md", ".markdown")
    if links and struct:
        return 60 if md_name else 50
    if links and md_name:
        return 40
    if md_name and struct:
        return 20
    return 0


@dataclass
class _Ctx:
    source: Source
    digest: Digest
    day: str
    offset: int
    papers: dict[str, Paper] = field(default_factory=dict)

    def add(self, paper: Paper) -> None:
        add_paper(self.papers, paper)

    def own_words(self, text: str) -> list[Summary]:
        """``text`` as this newsletter's summary (none when empty)."""
        return [Summary(newsletter_name(self.source, self.digest.title), text)] if text else []


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    text = source.text
    offset = 0
    front: dict[str, str] = {}
    fm = _FRONT.match(text)
    if fm:
        for line in fm.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                front[key.strip().lower()] = value.strip().strip("\"'")
        offset = text.count("\n", 0, fm.end())
        text = text[fm.end() :]
    day = date_part(front.get("date", "")) or source.date_from_name()
    if not day and front.get("title"):
        m = re.search(r"\d{4}-\d{2}-\d{2}", front["title"])
        day = m.group() if m else ""
    digest.date = day
    tokens = _md().parse(text)
    digest.title = one_line(front.get("title", "")) or _first_heading(tokens) or source.filename
    ctx = _Ctx(source, digest, day, offset)
    if not (_weekly_tables(tokens, ctx) or _footnote_table(tokens, ctx)):
        _html_tables(tokens, ctx)
        _heading_papers(tokens, ctx, front)
        if not ctx.papers:
            _generic(tokens, ctx)
    digest.papers = list(ctx.papers.values())
    return digest


def _first_heading(tokens: list[Token]) -> str:
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            text = _inline_text(tokens[i + 1])
            if text:
                return text
    return ""


def _inline_text(tok: Token) -> str:
    return cell_of(tok).text if tok.type == "inline" else ""


def _line(tok: Token, ctx: _Ctx) -> int | None:
    return tok.map[0] + 1 + ctx.offset if tok.map else None


# --- weekly tables (ML Papers of the Week) -----------------------------------------------


def _header_cells(tokens: list[Token], start: int) -> list[str]:
    cells: list[str] = []
    for tok in tokens[start:]:
        if tok.type == "thead_close":
            break
        if tok.type == "inline":
            cells.append(one_line(cell_of(tok).text).lower())
    return cells


def _tables(tokens: list[Token]) -> list[tuple[int, list[str]]]:
    return [(i, _header_cells(tokens, i)) for i, t in enumerate(tokens) if t.type == "thead_open"]


def _weekly_tables(tokens: list[Token], ctx: _Ctx) -> bool:
    if not any(h[:2] == ["paper", "links"] for _i, h in _tables(tokens)):
        return False
    year = 0
    last_month = 0
    section_day: dict[str, str] = {}
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        text = _inline_text(tokens[i + 1])
        ym = _YEAR_ONLY.match(text)
        if ym:
            year = year or int(ym.group(1))
            continue
        m = _WEEK.search(text)
        if not m:
            continue
        month = _MONTHS.get(m.group("mon")[:3].lower(), 0)
        if not month:
            continue
        months = [
            _MONTHS[w[:3].lower()]
            for w in re.findall(r"[A-Za-z]{3,9}", m.group(0))
            if w[:3].lower() in _MONTHS
        ]
        if m.group("year"):
            year = int(m.group("year"))
            if months and months[-1] < month:
                year -= 1  # "(December 30 - January 5) - 2025" starts in 2024
        elif last_month and month > last_month:
            year -= 1  # newest first: a later month means the year before
        last_month = month
        if year:
            section_day[text] = f"{year:04d}-{month:02d}-{int(m.group('day')):02d}"
    for row in _rows_with_headers(tokens, ("paper", "links")):
        paper = _weekly_row(row.cells, section_day.get(row.section, ctx.day), ctx)
        if isinstance(paper, str):
            ctx.digest.problem(paper, line=row.line)
        else:
            ctx.add(paper)
    return True


@dataclass
class _Row:
    line: int | None
    cells: list[Cell]
    section: str


def _rows_with_headers(tokens: list[Token], header: tuple[str, ...]) -> list[_Row]:
    """Body rows of the tables whose header starts with ``header``."""
    out: list[_Row] = []
    tables = _tables(tokens)
    for start, cells in tables:
        if tuple(cells[: len(header)]) != header:
            continue
        end = next(
            (j for j in range(start, len(tokens)) if tokens[j].type == "table_close"), len(tokens)
        )
        section = ""
        for j in range(start, -1, -1):
            if tokens[j].type == "heading_open" and j + 1 < len(tokens):
                section = _inline_text(tokens[j + 1])
                break
        for row in table_rows(tokens[start - 1 : end + 1]):
            out.append(_Row(row.line, row.cells, section))
    return out


def _weekly_row(cells: list[Cell], day: str, ctx: _Ctx) -> Paper | str:
    if not cells:
        return "empty table row"
    raw = cells[0].raw.strip()
    raw = _NUMBERED.sub("", raw, count=1)
    bold = re.match(r"^\*\*(?P<t>.+?)\*\*\s*(?:[-–—:]\s*)?(?P<rest>.*)$", raw, re.DOTALL)
    if bold:
        title_raw, summary_raw = bold.group("t"), bold.group("rest")
    else:
        sep = "  " if "  " in raw else " - "
        title_raw, _sep, summary_raw = raw.partition(sep)
    title = line_text(title_raw.strip().strip("*"))
    summary = _cell_markdown(summary_raw)
    links: list[Link] = []
    aid = None
    doi = None
    for label, href in (cells[1].links if len(cells) > 1 else []) + cells[0].links:
        url = http_url(href)
        if not url:
            continue
        name = one_line(label).lower()
        a = arxiv_id(url) if "arxiv.org" in url.lower() else None
        if a and not aid:
            aid = a
            continue
        if "doi.org/" in url.lower():
            doi = doi or find_doi(url)
        kind = "other"
        if "github.com" in url.lower() or name == "code":
            kind = "code"
        elif name == "paper" and "doi.org" in url.lower():
            kind = "doi"
        elif "huggingface.co/papers" in url.lower():
            kind = "hf"
        links.append(Link(kind, url))
    if not title and not aid:
        return "table row has no title"
    return Paper(
        id=paper_id(aid, doi, title),
        title=title,
        abstract=summary,
        abstract_rank=ABSTRACT_PARAPHRASE,
        summaries=ctx.own_words(summary),
        links=arxiv_links(aid) + links if aid else links,
        dates=[day] if day else [],
        sources=[ctx.source.name],
        arxiv_id=aid,
        doi=doi,
    )


def _cell_markdown(raw: str) -> str:
    """A table cell's summary as Markdown: ``<br>`` breaks, ``●`` bullets as a list."""
    s = re.sub(r"<br\s*/?>", "\n", raw, flags=re.IGNORECASE)
    s = html.unescape(re.sub(r"<[^<>]+>", "", s)).replace("●", "\n●")
    text = ""
    prev_bullet = False
    for part in s.split("\n"):
        part = line_text(part)
        if not part:
            continue
        bullet = part.startswith(("●", "•"))
        if bullet:
            part = "- " + part.lstrip("●• ").strip()
        if text:
            text += "\n" if (bullet and prev_bullet) else "\n\n"
        text += part
        prev_bullet = bullet
    return text


# --- Ref | Title | Summary tables with footnotes (cn-chat-arxiv) ------------------------


def _footnote_table(tokens: list[Token], ctx: _Ctx) -> bool:
    rows = _rows_with_headers(tokens, ("ref", "title", "summary"))
    if not rows:
        return False
    notes = _footnotes(tokens)
    for row in rows:
        if len(row.cells) < 2:
            ctx.digest.problem("table row has too few cells", line=row.line)
            continue
        title_cell = row.cells[1]
        href = title_cell.links[0][1] if title_cell.links else ""
        aid = arxiv_id(href)
        title = line_text(title_cell.text).rstrip(".").strip()
        tags: list[str] = []
        note = notes.get(aid) if aid else None
        abstract = ""
        if note:
            abstract, cat = note
            if cat:
                tags.append(cat)
        if not title and not aid:
            ctx.digest.problem("table row has neither a title nor an arXiv link", line=row.line)
            continue
        summary = one_line(row.cells[2].text) if len(row.cells) > 2 else ""
        ctx.add(
            Paper(
                id=paper_id(aid, None, title),
                title=title,
                abstract=abstract,
                abstract_rank=ABSTRACT_OTHER,  # arXiv's abstract, copied
                links=arxiv_links(aid, http_url(href)) if aid else [],
                tags=tags,
                dates=[ctx.day] if ctx.day else [],
                sources=[ctx.source.name],
                arxiv_id=aid,
                ai_summary=summary or None,
            )
        )
    return True


def _footnotes(tokens: list[Token]) -> dict[str, tuple[str, str]]:
    """The indented footnote bodies (``[^n]:`` then a 4-space block holding the
    arXiv title line ``Title. (arXiv:ID [cat])``, the link and the abstracts), as
    ``{arXiv id: (English abstract, category)}``. Keyed by the id in the title
    line, not by the footnote label: markdown-it reads a footnote whose text has
    no space as a link reference definition and drops its label."""
    out: dict[str, tuple[str, str]] = {}
    for tok in tokens:
        if tok.type != "code_block":
            continue
        paras = [p.strip() for p in re.split(r"\n\s*\n", tok.content) if p.strip()]
        cat, aid = "", None
        english: list[str] = []
        for p in paras:
            m = _OLD_TITLE.match(one_line(p))
            if m:
                cat, aid = one_line(m.group("cat")), arxiv_id(m.group("id"))
                continue
            if re.fullmatch(r"\[?https?://\S+", p.split("](")[0]):
                continue
            if _english(p):
                english.append(unwrap(p))
        if aid:
            out[aid] = ("\n\n".join(english), cat)
    return out


def _english(text: str) -> bool:
    """Mostly not CJK (an English abstract rather than a translation)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if _CJK.match(c)) / len(letters) < 0.1


# --- HTML tables with data-arxiv-id ------------------------------------------------------


def _html_tables(tokens: list[Token], ctx: _Ctx) -> None:
    for tok in tokens:
        if tok.type != "html_block" or "<tr" not in tok.content.lower():
            continue
        base = _line(tok, ctx)
        for m in _TR.finditer(tok.content):
            row = m.group()
            line = base + tok.content.count("\n", 0, m.start()) if base else None
            ids = _DATA_ID.findall(row)
            tds = _TD.findall(row)
            if not ids and not _ARXIV_LINK.search(row):
                continue
            aid = arxiv_id(ids[0]) if ids else None
            if aid is None:
                for href in _HREF.findall(row):
                    aid = aid or (arxiv_id(href) if "arxiv.org" in href else None)
            anchors = _A.findall(row)
            title = one_line(html_to_text(anchors[0])) if anchors else ""
            if not title and not aid:
                ctx.digest.problem("HTML table row without a title or arXiv id", line=line)
                continue
            summary = ""
            if len(tds) >= 3:
                summary = one_line(html_to_text(tds[2]))
            tags = [one_line(html_to_text(t)) for t in _TAG_SPAN.findall(row)]
            ctx.add(
                Paper(
                    id=paper_id(aid, None, title),
                    title=title,
                    links=arxiv_links(aid),
                    tags=[t for t in tags if t],
                    dates=[ctx.day] if ctx.day else [],
                    sources=[ctx.source.name],
                    arxiv_id=aid,
                    ai_summary=summary or None,
                )
            )


# --- one paper per heading ---------------------------------------------------------------


@dataclass
class _Section:
    level: int
    heading: Token
    line: int | None
    body: list[Token] = field(default_factory=list)


def _sections(tokens: list[Token], ctx: _Ctx) -> list[_Section]:
    out: list[_Section] = []
    cur: _Section | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and i + 1 < len(tokens):
            level = int(tok.tag[1:])
            if cur is None or level <= cur.level or level <= 3:
                cur = _Section(level, tokens[i + 1], _line(tok, ctx))
                out.append(cur)
                i += 3
                continue
        if cur is not None:
            cur.body.append(tok)
        i += 1
    return out


def _labelled(inline: Token) -> tuple[str, str] | None:
    """``**Label:** value`` / ``**Label**: value`` / ``Label: value`` paragraphs."""
    m = _LABEL.match(inline.content)
    if m:
        return m.group("label").strip().rstrip(":：").strip(), inline.content[m.end() :]
    m2 = re.match(
        r"^(?P<label>[A-Za-z;][A-Za-z ;]{1,20}):\s*(?P<rest>.*)$", inline.content, re.DOTALL
    )
    if m2:
        return m2.group("label").strip(), m2.group("rest")
    return None


_TITLE_LABELS = {"原文标题", "original title", "title"}
_ABSTRACT_LABELS = {"abstract", "摘要"}
_AUTHOR_LABELS = {"authors", "author", "作者"}
_CATEGORY_LABELS = {"main category", "categories", "分类", "category"}
_DATE_LABELS = {"发布日期", "date", "published"}
_LINK_LABELS = {"论文链接", "links", "paper"}


def _heading_papers(tokens: list[Token], ctx: _Ctx, front: dict[str, str]) -> None:
    for sec in _sections(tokens, ctx):
        paper = _section_paper(sec, ctx)
        if paper is not None:
            ctx.add(paper)


def _section_paper(sec: _Section, ctx: _Ctx) -> Paper | None:
    head = cell_of(sec.heading)
    aid = None
    title = ""
    links: list[Link] = []
    for label, href in head.links:
        a = arxiv_id(href) if "arxiv.org" in href.lower() else None
        if a:
            aid = aid or a
            title = title or line_text(label)
    fields: dict[str, str] = {}
    other_links: list[tuple[str, str]] = []
    html_hrefs: list[str] = []
    italic_authors = ""
    for tok in sec.body:
        if tok.type == "html_block":
            html_hrefs.extend(_HREF.findall(tok.content))
            # "Abstract: ..." inside <details> arrives as part of an html block
            for para in re.split(r"\n\s*\n", tok.content):
                found = re.match(r"^\s*(Abstract|TL;DR):\s*(.*)$", para, re.DOTALL)
                if found:
                    fields.setdefault(found.group(1).lower(), found.group(2))
            continue
        if tok.type != "inline":
            continue
        kids = tok.children or []
        first_em = bool(kids) and kids[0].type == "em_open"
        if not italic_authors and first_em and tok.content.rstrip().endswith("*"):
            italic_authors = tok.content.strip().strip("*_")
            continue
        lab = _labelled(tok)
        if lab:
            key = lab[0].lower()
            fields.setdefault(key, lab[1])
            if key in _LINK_LABELS:
                other_links.extend(cell_of(tok).links)
            continue
        # links elsewhere in the body: code and HF pages only, never the paper's id
        other_links.extend(
            (label, href) for label, href in cell_of(tok).links if "arxiv.org" not in href.lower()
        )
    for href in html_hrefs:
        if aid is None and "arxiv.org" in href.lower():
            aid = arxiv_id(href)
    body_ids = {arxiv_id(h) for _l, h in other_links if "arxiv.org" in h.lower()} - {None}
    if aid is None and len(body_ids) > 1:
        return None  # a list of papers under one heading: the generic reader takes it
    for _label, href in other_links:
        url = http_url(href)
        if not url:
            continue
        low = url.lower()
        if "arxiv.org" in low:
            aid = aid or arxiv_id(url)
        elif "huggingface.co/papers" in low:
            links.append(Link("hf", url))
            aid = aid or arxiv_id(url.rsplit("/", 1)[-1])
        elif "github.com" in low:
            links.append(Link("code", url))
    for key in _TITLE_LABELS:
        if key in fields and fields[key].strip():
            title = line_text(html_to_text(fields[key]))
            break
    if not title:
        title = head.text
        title = _NUMBERED.sub("", title)
        title = re.sub(r"^\[\d+\]\s*", "", title)
    if aid is None and not any(k in fields for k in _TITLE_LABELS):
        return None  # a heading without an arXiv link is structure, not a paper
    authors_raw = italic_authors
    for key in _AUTHOR_LABELS:
        if key in fields:
            authors_raw = fields[key]
    abstract = ""
    for key in _ABSTRACT_LABELS:
        if key in fields and fields[key].strip():
            abstract = unwrap(html_to_text(fields[key]))
            break
    # an abstract in another language is the newsletter's translation
    translated = bool(abstract) and not _english(abstract)
    tags: list[str] = []
    for key in _CATEGORY_LABELS:
        if key in fields:
            tags.extend(t for t in (one_line(x) for x in re.split(r"[,\s]+", fields[key])) if t)
    published = None
    for key in _DATE_LABELS:
        if key in fields:
            published = date_part(fields[key]) or None
    ai = fields.get("tl;dr")
    return Paper(
        id=paper_id(aid, None, title),
        title=title,
        authors=split_authors(authors_raw),
        abstract=abstract,
        abstract_rank=ABSTRACT_PARAPHRASE if translated else ABSTRACT_OTHER,
        summaries=ctx.own_words(abstract) if translated else [],
        links=arxiv_links(aid) + links if aid else links,
        tags=list(dict.fromkeys(tags)),
        dates=[ctx.day] if ctx.day else ([published] if published else []),
        sources=[ctx.source.name],
        arxiv_id=aid,
        ai_summary=unwrap(ai) or None if ai else None,
        published=published,
    )


# --- generic fallback --------------------------------------------------------------------


def _generic(tokens: list[Token], ctx: _Ctx) -> None:
    """A heading, list item or table cell holding a link to arxiv.org is a paper."""
    for tok in tokens:
        if tok.type != "inline":
            continue
        cell = cell_of(tok)
        for label, href in cell.links:
            if "arxiv.org" not in href.lower():
                continue
            aid = arxiv_id(href)
            if aid is None:
                continue
            title = line_text(label)
            if not title or arxiv_id(title) == aid or title.lower() in {"arxiv", "paper", "pdf"}:
                title = line_text(re.sub(r"\[[^\]]*\]\([^)]*\)", "", tok.content)).strip(" -:|")
            ctx.add(
                Paper(
                    id=aid,
                    title=title or aid,
                    links=arxiv_links(aid),
                    dates=[ctx.day] if ctx.day else [],
                    sources=[ctx.source.name],
                    arxiv_id=aid,
                )
            )
            break


FORMAT = Format(
    name=NAME,
    description="Markdown newsletters with arXiv links (tables, headings, footnotes)",
    detect=detect,
    load=load,
)
