"""One YAML file per paper, as written by the deep-diver "hf-daily-paper-newsletter"
(``archive/<n>/<date>+<url-encoded title>.yaml``)::

    date: "2024-06-18"            # or 2024-01-11 00:00 (the date part is kept)
    author: A. Author             # the first author
    title: Some Paper Title
    thumbnail: ""
    link: https://huggingface.co/papers/2406.11430
    summary: An LLM-written summary, often cut off with ....
    opinion: placeholder
    tags: [ML]

The title comes from the content (never from the URL-encoded file name); the
summary becomes the abstract, kept as written.
"""

from __future__ import annotations

import re
from typing import Any

from reader.formats.base import Format, Source, parse_into
from reader.formats.common import hf_paper_id, newsletter_name, with_arxiv_links
from reader.ids import arxiv_id, doi, paper_id
from reader.model import ABSTRACT_PARAPHRASE, Digest, Link, Paper, Summary
from reader.safeload import load_yaml
from reader.text import date_part, http_url, link_label, one_line, split_authors, unwrap

NAME = "paper-yaml"

_TITLE = re.compile(r"^title\s*:", re.MULTILINE)
_LINK_OR_SUMMARY = re.compile(r"^(link|summary)\s*:", re.MULTILINE)
_PAPERS = re.compile(r"^papers\s*:", re.MULTILINE)
_OTHER_KEYS = re.compile(r"^(date|author|thumbnail|opinion|tags)\s*:", re.MULTILINE)


def detect(source: Source) -> int:
    """A YAML mapping with ``title`` and ``link`` or ``summary``, and no ``papers``."""
    head = source.head
    if head.lstrip()[:1] in ("{", "[", "<", "#"):
        return 0
    if _PAPERS.search(head) or not _TITLE.search(head) or not _LINK_OR_SUMMARY.search(head):
        return 0
    score = 60 + 5 * min(len(set(_OTHER_KEYS.findall(head))), 4)
    if source.suffix in (".yaml", ".yml"):
        score += 10
    return score


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    parsed = parse_into(digest, load_yaml, source.text)
    if parsed is None:
        return digest
    data = parsed.data
    if data is None:
        digest.problem("empty file", severity="warning")
        return digest
    if not isinstance(data, dict):
        digest.problem("not a paper file: expected a mapping with title, link and summary")
        return digest
    paper = read_paper(data, digest, source)
    if paper is not None:
        digest.papers.append(paper)
        digest.title = paper.title
        digest.date = paper.dates[-1] if paper.dates else ""
    return digest


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def read_paper(data: dict[str, Any], digest: Digest, source: Source) -> Paper | None:
    """The paper of one file. Its ``summary`` is the newsletter's own words:
    kept as the newsletter's summary, the abstract only until a better one
    is known."""
    title = one_line(_s(data.get("title")))
    if not title:
        digest.problem("the paper has no title: nothing to show")
        return None
    link = http_url(_s(data.get("link")))
    if _s(data.get("link")).strip() and link is None:
        digest.problem("link is not an http(s) URL: ignored", severity="warning")
    aid = (hf_paper_id(link) or arxiv_id(link)) if link else None
    the_doi = doi(link) if link and aid is None else None
    links: list[Link] = []
    if link:
        links.append(Link(link_label(link), link))
    if aid:
        links = with_arxiv_links(links, aid)
    paper = Paper(id=paper_id(aid, the_doi, title), title=title, arxiv_id=aid, doi=the_doi)
    paper.links = links
    paper.authors = split_authors(_s(data.get("author")))
    abstract = unwrap(_s(data.get("summary")))
    opinion = unwrap(_s(data.get("opinion")))
    if opinion and opinion.lower() != "placeholder":
        abstract = f"{abstract}\n\n**Opinion:** {opinion}" if abstract else opinion
    paper.abstract = abstract
    paper.abstract_rank = ABSTRACT_PARAPHRASE
    if abstract:
        paper.summaries = [Summary(newsletter_name(source, "", per_paper=True), abstract)]
    tags = data.get("tags")
    if isinstance(tags, list):
        for t in tags:
            tag = one_line(_s(t))
            if tag and tag not in paper.tags:
                paper.tags.append(tag)
    raw_date = _s(data.get("date"))
    day = date_part(raw_date) or digest_day_from_name(digest.path)
    if raw_date and date_part(raw_date) is None:
        digest.problem(
            f"date {one_line(raw_date)[:40]!r} is not a day: ignored", severity="warning"
        )
    paper.dates = [day] if day else []
    paper.sources = [digest.path]
    return paper


def digest_day_from_name(path: str) -> str:
    return date_part(Source(path, b"").date_from_name()) or ""


FORMAT = Format(
    name=NAME,
    description="one YAML file per paper (date, author, title, link, summary, tags)",
    detect=detect,
    load=load,
)
