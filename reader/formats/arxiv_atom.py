"""arXiv API responses (Atom 1.0), old style (namespaces declared on every
element) and new style (declared once on the root), and the recorded HTTP
exchanges ``{url, status_code, body}`` ("cassettes") that hold one in ``body``.

Parsed with :mod:`reader.formats.xmlsafe`: no DTD, no entity expansion.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reader.formats.base import Format, Source
from reader.formats.common import (
    abstract_text,
    arxiv_links,
    doi_link,
    line_text,
    name_text,
    note_text,
    read_records,
)
from reader.formats.xmlsafe import XmlError, child, child_text, children, local, parse_xml
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import ABSTRACT_ARXIV, Digest, Paper
from reader.safeload import LoadError, load_json
from reader.text import date_part, http_url, one_line

NAME = "arxiv-atom"
ATOM_NS = "http://www.w3.org/2005/Atom"

_ATOM_HEAD = re.compile(r"<(?:\w+:)?feed\b[^>]*http://www\.w3\.org/2005/Atom", re.DOTALL)
_CASSETTE_HEAD = re.compile(r'"(?:url|status_code|body)"\s*:')


def detect(source: Source) -> int:
    head = source.head
    if _ATOM_HEAD.search(head):
        return 95 if ("arxiv" in head.lower()) else 60
    stripped = head.lstrip()
    if (
        stripped.startswith("{")
        and len(_CASSETTE_HEAD.findall(head)) >= 2
        and "Atom" in head
        and "feed" in head
    ):
        return 90
    return 0


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    text = source.text
    if text.lstrip().startswith("{"):
        body = _cassette_body(text, digest)
        if body is None:
            return digest
        text = body
    load_feed(text, digest, source)
    return digest


def _cassette_body(text: str, digest: Digest) -> str | None:
    try:
        data = load_json(text).data
    except LoadError as exc:
        digest.problem(exc.message, line=exc.line)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        digest.problem("a recorded HTTP exchange without a text 'body'")
        return None
    status = data.get("status_code")
    if isinstance(status, int) and status != 200:
        digest.problem(f"the recorded response has HTTP status {status}", severity="warning")
    return str(data["body"])


def load_feed(text: str, digest: Digest, source: Source) -> None:
    """Fill ``digest`` from the Atom text (also used for cassette bodies)."""
    try:
        parsed = parse_xml(text)
    except XmlError as exc:
        digest.problem(exc.message, line=exc.line)
        return
    for line, msg in parsed.warnings:
        digest.problem(msg, line=line, severity="warning")
    root = parsed.root
    if local(root.tag) != "feed":
        digest.problem(f"expected an Atom <feed>, found <{local(root.tag)}>")
        return
    digest.title = one_line(child_text(root, "title"))
    day = date_part(child_text(root, "updated")) or source.date_from_name()
    digest.date = day
    entries = children(root, "entry")
    read_records(
        digest,
        ((None, n, entry) for n, entry in enumerate(entries, 1)),
        lambda entry: entry_to_paper(entry, day, source.name),
    )


def _arxiv_error(entry: ET.Element) -> str | None:
    """arXiv reports a bad query as one entry titled "Error"."""
    if child_text(entry, "title").strip() == "Error":
        return one_line(child_text(entry, "summary")) or "error"
    return None


def entry_to_paper(entry: ET.Element, day: str, source_name: str) -> Paper | str:
    error = _arxiv_error(entry)
    if error is not None:
        return f"the arXiv API answered with an error: {error}"
    raw_id = child_text(entry, "id").strip()
    aid = arxiv_id(raw_id)
    title = line_text(child_text(entry, "title"))
    if not title and not aid:
        return "entry has neither a title nor an arXiv id"
    authors = []
    for a in children(entry, "author"):
        name = name_text(child_text(a, "name"))
        if name:
            authors.append(name)
    abs_url = pdf_url = None
    other_doi_url = None
    for link in children(entry, "link"):
        href = http_url(link.get("href"))
        if href is None:
            continue
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            pdf_url = pdf_url or href
        elif link.get("rel", "alternate") == "alternate":
            abs_url = abs_url or href
        elif link.get("title") == "doi":
            other_doi_url = href
    raw_doi = child_text(entry, "doi").strip()
    doi = find_doi(raw_doi) or find_doi(other_doi_url)
    links = arxiv_links(aid, abs_url, pdf_url)
    dl = doi_link(raw_doi if raw_doi and doi else doi)
    if dl:
        links.append(dl)
    tags: list[str] = []
    primary = child(entry, "primary_category")
    if primary is not None and primary.get("term"):
        tags.append(one_line(primary.get("term")))
    for cat in children(entry, "category"):
        term = one_line(cat.get("term"))
        if term and term not in tags:
            tags.append(term)
    return Paper(
        id=paper_id(aid, doi, title),
        title=title,
        authors=authors,
        abstract=abstract_text(child_text(entry, "summary")),
        abstract_rank=ABSTRACT_ARXIV,
        arxiv_comments=note_text(child_text(entry, "comment")),
        journal_ref=note_text(child_text(entry, "journal_ref")),
        links=links,
        tags=tags,
        dates=[day] if day else [],
        sources=[source_name],
        arxiv_id=aid,
        doi=doi,
        published=date_part(child_text(entry, "published")) or None,
    )


FORMAT = Format(
    name=NAME,
    description="arXiv API Atom feed (and recorded API responses holding one)",
    detect=detect,
    load=load,
)
