"""Helpers shared by the format modules: text fields, arXiv links, counts,
the loop that turns records into a digest's papers, and Markdown table cells.

A format module imports from here and from :mod:`reader.text`, never from
another format module: each format can then change alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from reader.formats.base import Source
from reader.model import Digest, Link, Paper, merge_papers
from reader.text import html_to_text, http_url, one_line, tex_to_unicode

if TYPE_CHECKING:  # the Markdown parser is imported by the formats that parse Markdown
    from markdown_it.token import Token

# --- text fields ----------------------------------------------------------------------------


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


def note_text(value: object) -> str | None:
    """An arXiv comment or journal ref as one line, None when empty."""
    return (one_line(value) or None) if isinstance(value, str) else None


_INDENT_PARA = re.compile(r"\n(?=[ \t]{2,}\S)")
#: a blank line, or arXiv's paragraph mark: a newline then two or more spaces
_PARAS = re.compile(r"\n[ \t]*\n+\s*|\n(?=[ \t]{2,}\S)")


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


_DIGEST_SUFFIX = re.compile(
    r"(?:\.(?:tar\.gz|tgz|tar|zip|gz|ya?ml|json|jsonl|md|markdown|txt))+$", re.I
)


def newsletter_name(source: Source, title: str, *, per_paper: bool = False) -> str:
    """The name a newsletter's summaries are shown under: its title when it
    says something (a first heading such as "摘要" does not), else its file
    name without suffixes. For a format of one file per paper the file is
    named after the paper, so the archive holding it (or else its folder)
    names the newsletter."""
    t = one_line(title)
    if len(t) >= 6:
        return t
    outer, _, inner = source.name.partition("!")
    parts = [p for p in outer.replace("\\", "/").split("/") if p]
    if per_paper:
        name = parts[-1] if inner else (parts[-2] if len(parts) > 1 else "")
    else:
        name = (inner or outer).replace("\\", "/").rsplit("/", 1)[-1]
    return one_line(_DIGEST_SUFFIX.sub("", name)) or source.filename


# --- links and counts -----------------------------------------------------------------------

_HF_PAPER = re.compile(r"huggingface\.co/papers/(\d{4}\.\d{4,5})(?:v\d+)?(?=$|[/?#])", re.I)
_COUNT = re.compile(r"^\s*\d{1,12}\s*$")


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


def with_arxiv_links(links: list[Link], aid: str) -> list[Link]:
    """``links`` plus the arXiv abs (first) and pdf links, when missing."""
    have = {lk.label for lk in links}
    out = list(links)
    if "abs" not in have:
        out.insert(0, Link("abs", f"https://arxiv.org/abs/{aid}"))
    if "pdf" not in have:
        out.append(Link("pdf", f"https://arxiv.org/pdf/{aid}"))
    return out


def doi_link(doi: str | None) -> Link | None:
    return Link("doi", f"https://doi.org/{doi}") if doi else None


def hf_paper_id(url: str) -> str | None:
    """The arXiv id in a ``huggingface.co/papers/<id>`` URL."""
    m = _HF_PAPER.search(url)
    return m.group(1) if m else None


def as_count(value: object) -> tuple[int | None, bool]:
    """A non-negative whole number from an int or a string of digits: ``(n, True)``;
    ``(None, True)`` for None/""; ``(None, False)`` for anything else."""
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return (value, True) if value >= 0 else (None, False)
    if isinstance(value, str) and _COUNT.match(value):
        return int(value), True
    return None, False


# --- records to papers ----------------------------------------------------------------------

R = TypeVar("R")


def add_paper(papers: dict[str, Paper], paper: Paper) -> None:
    """Add ``paper``, merging it into an earlier one with the same id."""
    old = papers.get(paper.id)
    if old is None:
        papers[paper.id] = paper
    else:
        merge_papers(old, paper)


def read_records(
    digest: Digest,
    records: Iterable[tuple[int | None, int | None, R]],
    to_paper: Callable[[R], Paper | str],
) -> None:
    """The loop every record-based format runs: each ``(line, record, item)``
    becomes a Paper, or a problem at that line or record number (the message
    ``to_paper`` returned); the same paper met twice (also one already in
    ``digest.papers``) is merged."""
    papers: dict[str, Paper] = {}
    for known in digest.papers:
        add_paper(papers, known)
    for line, record, item in records:
        paper = to_paper(item)
        if isinstance(paper, str):
            digest.problem(paper, line=line, record=record)
        else:
            add_paper(papers, paper)
    digest.papers = list(papers.values())


# --- Markdown table cells (markdown-it tokens) -------------------------------------------


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
    in_heading = False
    in_body = False
    cur: list[Cell] | None = None
    cur_line: int | None = None
    for tok in tokens:
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
