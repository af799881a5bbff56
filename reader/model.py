"""The data model: papers, digests and the problems met while reading them.

A :class:`Paper` is identified by a stable id (see :mod:`reader.ids`); the same
paper met in several digests is merged into one (:func:`merge_papers`) that
remembers every day and every source it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple


class Link(NamedTuple):
    """A labelled link: ``label`` is one of abs, pdf, code, project, hf, doi, other..."""

    label: str
    url: str


class Summary(NamedTuple):
    """A digest's own words about a paper (a newsletter's paraphrase, a
    translation), kept apart from the authors' abstract."""

    #: The newsletter's name (its title, else its file name).
    source: str
    text: str


# How authoritative an abstract is: when the same paper comes from several
# sources, the abstract of the highest rank wins (the longest among equals).
#: The authors' abstract from arXiv itself (API, RSS, metadata dumps).
ABSTRACT_ARXIV = 4
#: The abstract as Hugging Face shows it (copied from arXiv, sometimes edited).
ABSTRACT_HF = 3
#: An abstract copied by some other digest (a table, a CSV, the native YAML).
ABSTRACT_OTHER = 2
#: A newsletter's own words standing in for an abstract.
ABSTRACT_PARAPHRASE = 1


@dataclass(slots=True)
class Paper:
    """One paper, as read from one or more digests. All text is sanitised plain text
    (the abstract is Markdown)."""

    id: str
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    links: list[Link] = field(default_factory=list)
    #: Source tags: categories, topics, ``ai_keywords``; never the user's tags.
    tags: list[str] = field(default_factory=list)
    #: Every digest day (``YYYY-MM-DD``) the paper appeared on, sorted.
    dates: list[str] = field(default_factory=list)
    #: Digest files (display paths) the paper was read from.
    sources: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None
    upvotes: int | None = None
    comments: int | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    ai_summary: str | None = None
    #: The date the paper itself was published (arXiv date), when known.
    published: str | None = None
    #: arXiv's free-text "Comments" field ("SCIA 2025, 12 pages").
    arxiv_comments: str | None = None
    #: arXiv's "Journal ref" field.
    journal_ref: str | None = None
    #: How authoritative ``abstract`` is (``ABSTRACT_*``); 0: not said, which
    #: counts as :data:`ABSTRACT_OTHER`.
    abstract_rank: int = 0
    #: Newsletters' own words about the paper, one per newsletter.
    summaries: list[Summary] = field(default_factory=list)
    #: Digest day -> the paper's position in that day's digest (0: first):
    #: the order the source lists the day in (a pasted page's order).
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def date(self) -> str:
        """The latest digest day the paper appeared on ("" when unknown)."""
        if self.dates:
            return self.dates[-1]
        return self.published or ""

    @property
    def url(self) -> str:
        """The paper's main link: abs page first, then any link, else ""."""
        for wanted in ("abs", "hf", "doi", "pdf", "project", "code"):
            for link in self.links:
                if link.label == wanted:
                    return link.url
        return self.links[0].url if self.links else ""

    def link(self, label: str) -> str | None:
        for link in self.links:
            if link.label == label:
                return link.url
        return None

    @property
    def has_code(self) -> bool:
        return bool(self.github_repo) or any(link.label == "code" for link in self.links)

    def to_dict(self) -> dict[str, object]:
        """A plain dict (JSON-safe) of every field; links as ``[label, url]`` pairs."""
        return {
            "id": self.id,
            "title": self.title,
            "authors": list(self.authors),
            "abstract": self.abstract,
            "links": [[lk.label, lk.url] for lk in self.links],
            "tags": list(self.tags),
            "dates": list(self.dates),
            "sources": list(self.sources),
            "arxiv_id": self.arxiv_id,
            "doi": self.doi,
            "upvotes": self.upvotes,
            "comments": self.comments,
            "github_repo": self.github_repo,
            "github_stars": self.github_stars,
            "project_page": self.project_page,
            "ai_summary": self.ai_summary,
            "published": self.published,
            "arxiv_comments": self.arxiv_comments,
            "journal_ref": self.journal_ref,
            "summaries": [{"source": sm.source, "text": sm.text} for sm in self.summaries],
        }


@dataclass(frozen=True)
class Problem:
    """Something that could not be read. ``line`` (1-based) or ``record`` (1-based)
    when known. ``str()`` gives ``file:line: message``."""

    path: str
    message: str
    line: int | None = None
    record: int | None = None
    #: "error" (something was lost) or "warning" (read, but worth knowing).
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        elif self.record is not None:
            where += f": record {self.record}"
        return f"{where}: {self.message}"


@dataclass
class Digest:
    """What one file yields: its papers and the problems met. A loader always
    returns a Digest, never raises on bad content."""

    path: str
    format: str
    papers: list[Paper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title: str = ""
    date: str = ""
    source: str = ""

    def problem(
        self,
        message: str,
        line: int | None = None,
        record: int | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(Problem(self.path, message, line, record, severity))


def merge_papers(a: Paper, b: Paper) -> Paper:
    """Fold ``b`` into ``a`` (in place) and return ``a``.

    The abstract of the most authoritative source wins (``abstract_rank``;
    the longest among equals), the longest title that is not just a wrapped
    copy wins, links (one per :func:`link_key`), tags, dates, sources and
    newsletter summaries are unions in first-seen order, numeric signals
    keep the highest value seen, and a day's rank the highest place.
    """
    rank_a, rank_b = abstract_rank(a), abstract_rank(b)
    if rank_b > rank_a or (rank_b == rank_a and len(b.abstract) > len(a.abstract)):
        a.abstract = b.abstract
        a.abstract_rank = b.abstract_rank
    if not a.title or (b.title and len(b.title) > len(a.title) and a.title.endswith("...")):
        a.title = b.title
    if len(b.authors) > len(a.authors):
        a.authors = list(b.authors)
    seen = {link_key(lk) for lk in a.links}
    for lk in b.links:
        key = link_key(lk)
        if key not in seen:
            a.links.append(lk)
            seen.add(key)
    for t in b.tags:
        if t not in a.tags:
            a.tags.append(t)
    if b.dates:
        a.dates = sorted(set(a.dates) | set(b.dates))
    for s in b.sources:
        if s not in a.sources:
            a.sources.append(s)
    a.arxiv_id = a.arxiv_id or b.arxiv_id
    a.doi = a.doi or b.doi
    a.upvotes = _max_opt(a.upvotes, b.upvotes)
    a.comments = _max_opt(a.comments, b.comments)
    a.github_stars = _max_opt(a.github_stars, b.github_stars)
    a.github_repo = a.github_repo or b.github_repo
    a.project_page = a.project_page or b.project_page
    if b.ai_summary and len(b.ai_summary) > len(a.ai_summary or ""):
        a.ai_summary = b.ai_summary
    a.published = a.published or b.published
    a.arxiv_comments = a.arxiv_comments or b.arxiv_comments
    a.journal_ref = a.journal_ref or b.journal_ref
    for sm in b.summaries:
        if sm not in a.summaries:
            a.summaries.append(sm)
    for day, rank in b.ranks.items():
        a.ranks[day] = min(rank, a.ranks.get(day, rank))
    return a


def abstract_rank(paper: Paper) -> int:
    """How authoritative the paper's abstract is: 0 when it has none."""
    if not paper.abstract:
        return 0
    return paper.abstract_rank or ABSTRACT_OTHER


_ARXIV_LINK = re.compile(
    r"^https://arxiv\.org/(abs|pdf|html)/([^?#]+?)(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$"
)


def link_key(link: Link) -> str:
    """What makes two links the same link: the URL, except that an arXiv abs,
    pdf or html link is one per paper and kind, whatever its version."""
    m = _ARXIV_LINK.match(link.url)
    if m:
        return f"arxiv:{m.group(1)}:{m.group(2).lower()}"
    return link.url


def dedupe_links(links: list[Link]) -> list[Link]:
    """``links`` with each :func:`link_key` once, first kept."""
    seen: set[str] = set()
    out: list[Link] = []
    for link in links:
        key = link_key(link)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def _max_opt(x: int | None, y: int | None) -> int | None:
    if x is None:
        return y
    if y is None:
        return x
    return max(x, y)
