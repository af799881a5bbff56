"""Export papers (with the user's stars, tags and notes) to BibTeX, Markdown,
JSON, CSV and YAML: ``export(papers, state, fmt) -> str``.

The user's notes are private: they go into an export only when asked
(``with_notes=True``, the CLI's ``--with-notes``), never by default, so an
entry copied from the app or shared as a file never carries them.

BibTeX keys are ``<first author's last name><year><first title word>`` in
lower-case ASCII (``vaswani2017attention``); papers that would share a key get
``a``, ``b``, ... in the order of their ids, the first keeping the plain key.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reader.ids import arxiv_id
from reader.model import Paper
from reader.sanitize import clean, clean_line, escape_unsafe
from reader.state import PaperState, StateStore
from reader.yamlwrite import dump_yaml

FORMATS = ("bibtex", "markdown", "json", "csv", "yaml")
#: The file name extension of each format (and of a few other common ones).
EXTENSIONS = {
    "bibtex": "bib",
    "markdown": "md",
    "json": "json",
    "csv": "csv",
    "ris": "ris",
    "yaml": "yaml",
    "csl-json": "json",
    "jsonl": "jsonl",
    "txt": "txt",
}


def default_path(fmt: str, folder: Path | None = None) -> Path:
    """Where an export in ``fmt`` goes when only a folder is named
    (``digest-export.bib`` in ``folder``, else the current folder)."""
    return (folder or Path.cwd()) / f"digest-export.{EXTENSIONS.get(fmt, fmt)}"


_STOP = {
    "a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "via", "is",
    "are", "from", "by", "at", "towards", "toward", "do", "does", "can", "how",
    "what", "why", "when", "we", "your", "our",
}  # fmt: skip
_ARCHIVES = (
    "cs|math|stat|eess|econ|q-bio|q-fin|astro-ph|cond-mat|physics|nlin|gr-qc|hep-ex"
    "|hep-lat|hep-ph|hep-th|math-ph|nucl-ex|nucl-th|quant-ph"
)
_CATEGORY = re.compile(rf"^(?:{_ARCHIVES})(?:\.[A-Za-z][A-Za-z\-]*)?$")
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _state_of(paper: Paper, state: StateStore | None) -> PaperState:
    return state.get(paper.id) if state is not None else PaperState()


def _ascii(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.lower())
    t = t.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    return "".join(c for c in t if c.isascii() and c.isalnum()).lower()


def _last_name(author: str) -> str:
    name = clean_line(author).strip()
    if "," in name:  # "Last, First"
        name = name.split(",", 1)[0]
    else:
        words = [w for w in name.split() if w.rstrip(".").lower() not in ("jr", "sr", "ii", "iii")]
        name = words[-1] if words else ""
    return _ascii(name)


#: An arXiv id's first version's year and month: ``2006.11239`` (new style,
#: from April 2007) and ``cond-mat/0412498`` (old style, from 1991).
_NEW_STYLE_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_OLD_STYLE_ID = re.compile(r"^[a-z\-]+(?:\.[A-Za-z\-]+)?/(\d{2})(\d{2})\d{3}$")
_ISO_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?")


def paper_year_month(paper: Paper) -> tuple[str, str]:
    """The year and month (``"2020", "6"``; ``""`` when unknown) of the paper
    itself, not of the digest that listed it: its published date when the
    digest gives one, else its arXiv id (the first version's month), else the
    first digest day it was listed on (the nearest a digest knows)."""
    m = _ISO_MONTH.match(paper.published or "")
    if m:
        return m.group(1), _month_number(m.group(2))
    aid = paper.arxiv_id or arxiv_id(paper.id) or ""
    m = _NEW_STYLE_ID.match(aid) or _OLD_STYLE_ID.match(aid)
    if m and 1 <= int(m.group(2)) <= 12:
        yy = int(m.group(1))
        return str(2000 + yy if yy < 91 else 1900 + yy), str(int(m.group(2)))
    for day in sorted(paper.dates):
        m = _ISO_MONTH.match(day)
        if m:
            return m.group(1), _month_number(m.group(2))
    return "", ""


def _month_number(mm: str | None) -> str:
    """The month as a number, ``6``: biblatex reads ``month = {6}`` as June and
    prints it in the style's language, classic BibTeX styles print it as
    given; a bare macro (``month = jun``) is a BibTeX-only idiom that
    bibtexparser and others read as an undefined string."""
    return str(int(mm)) if mm and 1 <= int(mm) <= 12 else ""


def _year(paper: Paper) -> str:
    return paper_year_month(paper)[0]


def _title_word(title: str) -> str:
    for word in re.split(r"[\W_]+", title):
        w = _ascii(word)
        if w and w not in _STOP:
            return w
    return ""


def citation_key(paper: Paper) -> str:
    """The base key of a paper (before deduplication)."""
    author = _last_name(paper.authors[0]) if paper.authors else ""
    key = f"{author or 'anon'}{_year(paper)}{_title_word(paper.title)}"
    return key if key != "anon" else "paper" + _ascii(paper.id)


def citation_keys(papers: Sequence[Paper]) -> dict[str, str]:
    """Paper id -> its key, unique within ``papers``: the first (by id) of papers
    sharing a base key keeps it, the others get ``a``, ``b``, ... ``z``, ``aa``."""
    groups: dict[str, list[str]] = {}
    for p in papers:
        ids = groups.setdefault(citation_key(p), [])
        if p.id not in ids:
            ids.append(p.id)
    keys: dict[str, str] = {}
    used = set(groups)
    for base, ids in groups.items():
        n = 0
        for i, pid in enumerate(sorted(ids)):
            if i == 0:
                keys[pid] = base
                continue
            while True:
                key = base + _suffix(n)
                n += 1
                if key not in used:
                    break
            used.add(key)
            keys[pid] = key
    return keys


def _suffix(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(ord("a") + r) + s
    return s


def bib_escape(text: str) -> str:
    """Text made safe for a braced BibTeX field, on one line.

    LaTeX the reader renders on screen (math, known commands, accents,
    escapes: see :func:`reader.latex.latex_spans`) passes through as LaTeX, so
    ``$\\nabla^2$DFT`` stays ``$\\nabla^2$DFT``; only the bare special
    characters of the plain text around it are escaped. A LaTeX piece that
    could break the entry (unbalanced braces, a bare ``%`` or ``#``) is
    escaped as plain text, so no field can end early or swallow the next one.
    """
    from reader.latex import latex_spans

    s = " ".join(clean_line(text).split())
    return "".join(
        piece if is_latex and _safe_latex(piece) else _bib_plain(piece)
        for piece, is_latex in latex_spans(s)
    )


def _bib_plain(text: str) -> str:
    return "".join(_BIB_SPECIAL.get(c, c) for c in text)


_BARE_COMMENT = re.compile(r"(?<!\\)[%#]")


def _safe_latex(piece: str) -> bool:
    depth = 0
    for c in piece:  # BibTeX counts every brace, escaped or not
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0 and not _BARE_COMMENT.search(piece)


def _bib_name(author: str) -> str:
    name = " ".join(clean_line(author).split())
    esc = bib_escape(name)
    # a comma or the word "and" inside one name would split it: keep it whole
    if "," in name or re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + esc + "}"
    return esc


def bibtex_entry(
    paper: Paper, state: StateStore | None, key: str | None = None, *, with_notes: bool = False
) -> str:
    """One BibTeX entry (``@misc``, with ``eprint`` for arXiv papers); the
    user's note only ``with_notes`` (as ``annote``)."""
    ps = _state_of(paper, state)
    aid = paper.arxiv_id or arxiv_id(paper.id)
    fields: list[tuple[str, str]] = [("title", "{" + bib_escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_bib_name(a) for a in paper.authors)))
    year, month = paper_year_month(paper)
    if year:
        fields.append(("year", year))
    if month:
        fields.append(("month", month))
    if aid:
        fields.append(("eprint", aid))
        fields.append(("archivePrefix", "arXiv"))
        primary = _primary_class(paper, aid)
        if primary:
            fields.append(("primaryClass", primary))
    if paper.doi:
        fields.append(("doi", bib_escape(paper.doi)))
    url = paper.url or (f"https://arxiv.org/abs/{aid}" if aid else "")
    if url:
        fields.append(("url", _bib_url(url)))
    if ps.tags:
        fields.append(("keywords", bib_escape(", ".join(sorted(ps.tags)))))
    if with_notes and ps.note:
        fields.append(("annote", bib_escape(ps.note)))
    k = key or citation_key(paper)
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{k},\n{body}\n}}\n"


def _bib_url(url: str) -> str:
    # URLs keep their characters (the url package reads them verbatim) but may not
    # unbalance braces or hold white space
    u = "".join(url.split())
    return u.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _primary_class(paper: Paper, aid: str) -> str:
    if "/" in aid:
        return aid.split("/", 1)[0]
    for t in paper.tags:
        if _CATEGORY.match(t.strip()):
            return t.strip()
    return ""


def to_bibtex(papers: Sequence[Paper], state: StateStore | None, with_notes: bool = False) -> str:
    keys = citation_keys(papers)
    return "\n".join(
        bibtex_entry(p, state, keys[p.id], with_notes=with_notes) for p in _unique(papers)
    )


def _unique(papers: Sequence[Paper]) -> list[Paper]:
    seen: set[str] = set()
    out: list[Paper] = []
    for p in papers:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


# -- Markdown ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md_escape(text: str) -> str:
    """One line of text shown literally by Markdown renderers."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(clean_line(text).split()))


def _md_url(url: str) -> str:
    return quote(clean_line(url).strip(), safe=":/?#[]@!$&'*+,;=%~-._")


def to_markdown(papers: Sequence[Paper], state: StateStore | None, with_notes: bool = False) -> str:
    lines: list[str] = []
    for p in _unique(papers):
        ps = _state_of(p, state)
        title = md_escape(p.title) or md_escape(p.id)
        head = f"[{title}](<{_md_url(p.url)}>)" if p.url else title
        star = "★ " if ps.starred else ""
        lines.append(f"- {star}**{head}**")
        authors = ", ".join(md_escape(a) for a in p.authors[:6])
        if len(p.authors) > 6:
            authors += " et al."
        meta = [x for x in (authors, md_escape(p.date)) if x]
        aid = p.arxiv_id or arxiv_id(p.id)
        if aid:
            meta.append(f"arXiv:{md_escape(aid)}")
        if meta:
            lines.append("  " + " · ".join(meta))
        if ps.tags:
            tags = (clean_line(t).replace("`", "") for t in sorted(ps.tags))
            lines.append("  tags: " + ", ".join(f"`{t}`" for t in tags))
        links = [f"[{md_escape(lk.label)}](<{_md_url(lk.url)}>)" for lk in p.links if lk.url]
        if links:
            lines.append("  " + " · ".join(links))
        if with_notes and ps.note:
            for nl in clean(ps.note).splitlines():
                lines.append(("  > " + nl).rstrip())
    return "\n".join(lines) + ("\n" if lines else "")


# -- JSON, CSV, YAML -------------------------------------------------------------


def paper_record(
    paper: Paper, state: StateStore | None, with_notes: bool = False
) -> dict[str, Any]:
    """The plain record every data format writes (JSON-safe); ``note`` only
    ``with_notes``."""
    ps = _state_of(paper, state)
    record: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "authors": list(paper.authors),
        "date": paper.date,
        "url": paper.url,
        "abstract": paper.abstract,
        "starred": ps.starred,
        "read": ps.read,
        "tags": sorted(ps.tags),
        "note": ps.note,
        "links": [{"label": lk.label, "url": lk.url} for lk in paper.links],
        "arxiv_id": paper.arxiv_id or arxiv_id(paper.id),
        "doi": paper.doi,
        "dates": list(paper.dates),
        "published": paper.published,
        "source_tags": list(paper.tags),
        "upvotes": paper.upvotes,
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
    }
    if not with_notes:
        del record["note"]
    return record


def to_json(papers: Sequence[Paper], state: StateStore | None, with_notes: bool = False) -> str:
    data = [paper_record(p, state, with_notes) for p in _unique(papers)]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = (
    "id", "title", "authors", "date", "url", "arxiv_id", "doi",
    "starred", "read", "tags", "note", "abstract",
)  # fmt: skip


#: Where a spreadsheet would start reading a formula: the start of the cell
#: and of every line in it (a bare CR ends a row for some), before = + - @,
#: a tab or a CR.
_FORMULA_AT = re.compile(r"(?:^|(?<=[\r\n]))(?=[=+\-@\t\r])")


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    s = "" if value is None else str(value)
    return _FORMULA_AT.sub("'", s)


def _csv_field(cell: str) -> str:
    """One CSV field: quoted when it holds a comma, a quote, a CR or an LF
    (Python's csv module leaves a bare CR unquoted, and the row splits)."""
    if any(c in cell for c in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _csv_row(cells: Sequence[str]) -> str:
    return ",".join(_csv_field(c) for c in cells) + "\n"


def to_csv(papers: Sequence[Paper], state: StateStore | None, with_notes: bool = False) -> str:
    columns = [c for c in CSV_COLUMNS if with_notes or c != "note"]
    rows = [_csv_row(columns)]
    for p in _unique(papers):
        r = paper_record(p, state, with_notes)
        r["authors"] = "; ".join(r["authors"])
        r["tags"] = "; ".join(r["tags"])
        rows.append(_csv_row([_csv_cell(r[c]) for c in columns]))
    return "".join(rows)


def to_yaml(papers: Sequence[Paper], state: StateStore | None, with_notes: bool = False) -> str:
    records = [paper_record(p, state, with_notes) for p in _unique(papers)]
    return dump_yaml(records, quote_unsafe=True)


_WRITERS = {
    "bibtex": to_bibtex,
    "markdown": to_markdown,
    "json": to_json,
    "csv": to_csv,
    "yaml": to_yaml,
}


def export(
    papers: Sequence[Paper],
    state: StateStore | None,
    fmt: str,
    *,
    with_notes: bool = False,
    terminal: bool = False,
) -> str:
    """``papers`` (duplicates dropped, order kept) in format ``fmt`` (one of
    :data:`FORMATS`); the user's notes only ``with_notes``. ValueError for an
    unknown format.

    With ``terminal`` (standard output, which may be a terminal now or later)
    nothing a terminal acts on is written raw: JSON and YAML carry such
    characters as ``\\uXXXX`` escapes (the data is kept exact), the text formats
    (BibTeX, Markdown, CSV) go through the sanitiser, as the app's screen does.
    Without it (a file), the text is kept exact."""
    name = fmt.strip().lower()
    name = {"bib": "bibtex", "md": "markdown", "yml": "yaml"}.get(name, name)
    writer = _WRITERS.get(name)
    if writer is None:
        raise ValueError(f"unknown export format {fmt!r} (one of: {', '.join(FORMATS)})")
    text = writer(papers, state, with_notes)
    if not terminal:
        return text
    if name in ("json", "yaml"):
        return escape_unsafe(text)
    return clean(text)
