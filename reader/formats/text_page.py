"""The Hugging Face Daily Papers page saved as plain text (select all, copy, paste)::

    new
    Get trending papers in your email inbox!
    Subscribe
    Daily Papers
    byAK and the research community
    Aug 21

    A Paper Title

    Its abstract, one long line (or several hard-wrapped lines).

    The Next Title
    ...

Header and footer noise lines are skipped; a date line (``Aug 21``,
``August 21, 2025``, ``21 Aug 2025`` or ``2025-08-21``) sets the digest day for
the papers after it. Without a year, the year is the one that makes the date the
most recent such day not after the date in the file name, else the file's
modification time, else today.

Titles are kept exactly as written. A title may be followed by its abstract
directly (no blank line); a bare URL or ``arXiv:ID`` line after a title is a
link. Ids come from the titles unless an arXiv id appears.
"""

from __future__ import annotations

import datetime
import re

from reader.formats.base import Format, Source
from reader.formats.common import hf_paper_id, with_arxiv_links
from reader.ids import arxiv_id, paper_id
from reader.model import ABSTRACT_HF, Digest, Link, Paper
from reader.text import date_part, http_url, link_label, one_line

NAME = "text"

#: Lines of the page's chrome (compared lower-cased, stripped).
NOISE = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "daily papers",
        "byak and the research community",
        "load more",
        "show more",
        "submit a paper",
        "submit paper",
        "previous",
        "next",
        "daily",
        "weekly",
        "monthly",
        "search",
        "upvote",
        "trending papers",
    }
)
_HEADER_HINTS = ("daily papers", "byak and the research community", "get trending papers")

#: A line at most this long may be a title; a longer one is always text.
TITLE_MAX = 300
#: An abstract line at least this long is "one paragraph per line" style.
PARAGRAPH_MIN = 200

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_MD = re.compile(
    rf"^(?P<m>{_MONTH_RX})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?$", re.I
)
_DATE_DM = re.compile(rf"^(?P<d>\d{{1,2}})\s+(?P<m>{_MONTH_RX})\.?(?:,?\s+(?P<y>\d{{4}}))?$", re.I)
_DATE_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
_ARXIV_LINE = re.compile(r"^arxiv:\s*\S+$", re.I)
_NOT_TEXT_START = ("{", "[", "<", "#", "|", "---", "%")
_YAML_KEY = re.compile(r"^[A-Za-z_][\w\-]*\s*:(\s|$)")


def _reference_day(source: Source) -> tuple[datetime.date, str]:
    """The day a year-less date line is read against, and what it is: a date
    in the file name (the page was saved that day), else the file's (or
    archive member's) modification day, else today."""
    named = source.date_from_name()
    if named:
        try:
            return datetime.date.fromisoformat(named), "name"
        except ValueError:  # 2025-02-31 in a name
            pass
    if source.mtime is not None:
        try:
            return datetime.date.fromtimestamp(source.mtime), "mtime"
        except (ValueError, OverflowError, OSError):
            pass
    return datetime.date.today(), "today"


_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def parse_date(line: str, reference: datetime.date) -> str | None:
    """``YYYY-MM-DD`` for a date line, or None when the line is not a date."""
    s = line.strip()
    if len(s) > 24:
        return None
    m = _DATE_MD.match(s) or _DATE_DM.match(s)
    if m:
        month = _MONTHS[m.group("m").lower()]
    else:
        m = _DATE_ISO.match(s)
        if m is None:
            return None
        month = int(m.group("m"))
    day = int(m.group("d"))
    if m.group("y"):
        try:
            return datetime.date(int(m.group("y")), month, day).isoformat()
        except ValueError:
            return None
    for year in range(reference.year, reference.year - 5, -1):  # Feb 29 needs a leap year
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            continue
        if candidate <= reference:
            return candidate.isoformat()
    return None


_COUNTER = re.compile(r"^[\d.,]{1,7}[kK]?$")  # upvote / comment counts on the page


def _is_noise(line: str) -> bool:
    s = line.strip().lower()
    return s in NOISE or bool(_COUNTER.match(s)) or s.startswith("submitted by ")


def detect(source: Source) -> int:
    """Conservative: the Daily Papers header, or short-title / long-paragraph pairs."""
    head = source.head
    lines = [ln.strip() for ln in head.splitlines()]
    content = [ln for ln in lines if ln]
    if not content:
        return 0
    first = content[0]
    if first.startswith(_NOT_TEXT_START) or _YAML_KEY.match(first):
        return 0
    lowered = [ln.lower() for ln in content[:12]]
    hints = sum(1 for h in _HEADER_HINTS if any(ln.startswith(h) for ln in lowered))
    if hints >= 2:
        return 60
    # Structure: drop noise and dates, then count title -> paragraph pairs.
    today = datetime.date.today()
    body = [ln for ln in content if not _is_noise(ln) and parse_date(ln, today) is None]
    if any(ln.startswith(("|", "#", "<")) or "\t" in ln for ln in body[:6]):
        return 0
    pairs = 0
    broken = 0
    i = 0
    while i + 1 < len(body):
        title, para = body[i], body[i + 1]
        if _looks_like_title(title) and len(para) >= PARAGRAPH_MIN:
            pairs += 1
            i += 2
        else:
            broken += 1
            i += 1
    if pairs >= 2 and broken <= pairs // 2:
        return 25 if source.suffix in (".txt", "") else 15
    return 0


def _looks_like_title(line: str) -> bool:
    return 3 <= len(line) <= TITLE_MAX and not line.endswith((".", ",", ";", ":")) and " " in line


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    text = source.text
    if not text.strip():
        digest.problem("empty file", severity="warning")
        return digest
    reference, basis = _reference_day(source)
    yearless: tuple[int, str] | None = None  # the first date line without a year
    digest.title = "Daily Papers"
    day = date_part(source.date_from_name()) or ""
    paper: Paper | None = None
    paper_line = 0
    paragraphs: list[str] = []  # the current paper's abstract, paragraph by paragraph
    in_block = False  # the previous line was not blank (hard-wrapped text continues)

    def finish() -> None:
        nonlocal paper
        if paper is None:
            return
        paper.abstract = "\n\n".join(p for p in paragraphs if p)
        if not paper.abstract and len(paper.title.split()) < 3 and not paper.links:
            digest.problem(
                f"a short line with no abstract ({paper.title[:40]!r}): ignored",
                line=paper_line,
                severity="warning",
            )
        else:
            if not paper.abstract:
                digest.problem(
                    f"title {paper.title[:60]!r} has no abstract",
                    line=paper_line,
                    severity="warning",
                )
            digest.papers.append(paper)
        paper = None

    for n, raw in enumerate(text.splitlines(), start=1):
        line = one_line(raw)
        if not line:
            in_block = False
            continue
        if _is_noise(line):
            in_block = False
            continue
        date = parse_date(line, reference)
        if date is not None:
            finish()
            if yearless is None and not _YEAR.search(line):
                yearless = (n, line)
            day = date
            digest.date = digest.date or date
            in_block = False
            continue
        url = http_url(line)
        if paper is not None and (url or _ARXIV_LINE.match(line)):
            aid = arxiv_id(line) if "arxiv" in line.lower() or url is None else hf_paper_id(line)
            if url:
                paper.links.append(Link(link_label(url), url))
            if aid and paper.arxiv_id is None:
                _set_arxiv(paper, aid)
            in_block = False
            continue
        starts_paper = paper is None or (bool(paragraphs) and _looks_like_title(line))
        if paper is not None and starts_paper and in_block:
            # Same block as the abstract: a new title only if the abstract is
            # written one paragraph per line (not hard-wrapped).
            starts_paper = len(paragraphs[-1]) >= PARAGRAPH_MIN and paragraphs[-1].endswith(
                (".", "!", "?", ")", '"')
            )
        if paper is not None and not paragraphs:
            starts_paper = False  # whatever follows a title is its abstract
        if starts_paper:
            finish()
            if len(line) > TITLE_MAX:
                digest.problem(
                    "a paragraph with no title before it: skipped", line=n, severity="warning"
                )
                in_block = True
                continue
            paper = Paper(id="", title=line, sources=[digest.path], abstract_rank=ABSTRACT_HF)
            paper.dates = [day] if day else []
            paper_line = n
            aid = _arxiv_in(line)
            if aid:
                _set_arxiv(paper, aid)
            paragraphs = []
        elif in_block and paragraphs:
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        in_block = True
    finish()
    for p in digest.papers:
        if not p.id:
            p.id = paper_id(None, None, p.title)
    digest.date = digest.date or day
    if yearless is not None and basis != "name":
        _say_where_the_year_came_from(digest, yearless, reference, basis)
    return digest


def _say_where_the_year_came_from(
    digest: Digest, yearless: tuple[int, str], reference: datetime.date, basis: str
) -> None:
    """The page says "Aug 21" and no year: the user is told which year was
    assumed and why, so a page saved long ago can be fixed (a date in the
    file name, ``2025-08-21.txt``, settles it)."""
    line, text = yearless
    read_as = parse_date(text, reference) or ""
    where = (
        f"the file was last modified on {reference.isoformat()}"
        if basis == "mtime"
        else f"the file's time is unknown, so today ({reference.isoformat()}) was used"
    )
    digest.problem(
        f"the page's dates have no year ({text!r} read as {read_as}): {where};"
        " put the day in the file name (YYYY-MM-DD) to set it",
        line=line,
        severity="warning",
    )


def _arxiv_in(text: str) -> str | None:
    if "arxiv" not in text.lower():
        return None
    return arxiv_id(text)


def _set_arxiv(paper: Paper, aid: str) -> None:
    paper.arxiv_id = aid
    paper.id = aid
    paper.links = with_arxiv_links(paper.links, aid)


FORMAT = Format(
    name=NAME,
    description="the Daily Papers web page saved as plain text (title / abstract pairs)",
    detect=detect,
    load=load,
)
