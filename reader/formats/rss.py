"""RSS feeds of arXiv listings: RSS 2.0, RSS 1.0 (RDF), and the JSON dump
feedparser makes of them (``{feed_url: {feed, entries[]}}``).

arXiv's own RSS writes the description as ``arXiv:2505.17037v1 Announce Type:
new Abstract: ...``; re-publishers put an LLM summary before it. The older
arXiv RSS wrote titles as ``Title. (arXiv:2304.01974v1 [cs.CL])``. Both are
taken apart: the English abstract after ``Abstract:``, the clean title, the
category as a tag, the announce type as ``announce:<type>``, any text before
the arXiv part as the AI summary.

XML goes through :mod:`reader.formats.xmlsafe` (no DTD, no entities; a bare
``&`` is repaired with a warning naming its line).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from reader.formats.base import Format, Source
from reader.formats.common import arxiv_links, line_text, read_records
from reader.formats.xmlsafe import (
    XmlError,
    child,
    child_text,
    children,
    local,
    parse_xml,
    text_of,
)
from reader.ids import arxiv_id, paper_id
from reader.ids import doi as find_doi
from reader.model import ABSTRACT_ARXIV, ABSTRACT_OTHER, Digest, Link, Paper
from reader.safeload import LoadError, load_json
from reader.text import date_part, html_to_text, http_url, one_line, split_authors, unwrap

NAME = "rss"

_RSS_HEAD = re.compile(r"<(?:rss\b|(?:\w+:)?RDF\b[^>]*purl\.org/rss/1\.0)", re.DOTALL)
_ANNOUNCE = re.compile(
    r"arXiv:(?P<id>\S+?)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?",
    re.IGNORECASE,
)
_OLD_TITLE = re.compile(
    r"^(?P<title>.*?)\.?\s*\(arXiv:(?P<id>[^\s\]\[()]+)\s*\[(?P<cat>[^\]]+)\]\s*(?P<upd>[A-Z]+)?\)\s*$",
    re.DOTALL,
)
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")


def detect(source: Source) -> int:
    head = source.head
    stripped = head.lstrip()
    if stripped.startswith("<") and _RSS_HEAD.search(head):
        return 95 if "arxiv" in head.lower() else 70
    if stripped.startswith("{") and '"entries"' in head and '"feed"' in head:
        return 90
    return 0


def load(source: Source) -> Digest:
    digest = source.new_digest(NAME)
    if source.text.lstrip().startswith("{"):
        _load_feedparser(source, digest)
    else:
        _load_xml(source, digest)
    return digest


# --- XML ----------------------------------------------------------------------------------


def _load_xml(source: Source, digest: Digest) -> None:
    try:
        parsed = parse_xml(source.text)
    except XmlError as exc:
        digest.problem(exc.message, line=exc.line)
        return
    for line, msg in parsed.warnings:
        digest.problem(msg, line=line, severity="warning")
    root = parsed.root
    if local(root.tag) not in ("rss", "RDF"):
        digest.problem(f"expected an RSS <rss> or <rdf:RDF>, found <{local(root.tag)}>")
        return
    channel = child(root, "channel")
    items = children(root, "item")  # RSS 1.0 keeps items beside the channel
    if channel is not None:
        digest.title = one_line(child_text(channel, "title"))
        digest.date = (
            date_part(
                child_text(channel, "pubDate")
                or child_text(channel, "lastBuildDate")
                or child_text(channel, "date")
            )
            or ""
        )
        items = children(channel, "item") + items
    if not digest.date:
        digest.date = source.date_from_name()
    day = digest.date
    read_records(
        digest,
        ((None, n, item) for n, item in enumerate(items, 1)),
        lambda item: _item_to_paper(_xml_fields(item), day, source.name),
    )


def _xml_fields(item: ET.Element) -> dict[str, Any]:
    link_el = child(item, "link")
    link = text_of(link_el).strip() or (link_el.get("href", "") if link_el is not None else "")
    rdf_about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", "")
    creators = [text_of(c) for c in children(item, "creator")]
    return {
        "title": child_text(item, "title"),
        "link": link,
        "guid": child_text(item, "guid") or rdf_about,
        "description": child_text(item, "description") or child_text(item, "encoded"),
        "date": child_text(item, "pubDate") or child_text(item, "date"),
        "authors": creators or [text_of(a) for a in children(item, "author")],
        "categories": [text_of(c) for c in children(item, "category")],
        "announce": child_text(item, "announce_type"),
        "doi": child_text(item, "doi"),
    }


# --- feedparser JSON ----------------------------------------------------------------------


def _load_feedparser(source: Source, digest: Digest) -> None:
    try:
        data = load_json(source.text).data
    except LoadError as exc:
        digest.problem(exc.message, line=exc.line)
        return
    if not isinstance(data, dict):
        digest.problem("expected a feedparser dump: a JSON object of feeds")
        return
    feeds: list[tuple[str, Any]] = [("", data)] if "entries" in data else list(data.items())
    titles: list[str] = []

    def entries() -> Iterator[tuple[None, int, tuple[Any, str]]]:
        record = 0
        for url, feed in feeds:
            if not isinstance(feed, dict) or not isinstance(feed.get("entries"), list):
                digest.problem(f"feed {one_line(str(url))!r} has no entries list")
                continue
            meta = feed.get("feed") if isinstance(feed.get("feed"), dict) else {}
            assert isinstance(meta, dict)
            day = date_part(meta.get("published")) or date_part(meta.get("updated")) or ""
            digest.date = digest.date or day
            if isinstance(meta.get("title"), str):
                titles.append(one_line(meta["title"]))
            for entry in feed["entries"]:
                record += 1
                yield None, record, (entry, day or source.date_from_name())

    def to_paper(item: tuple[Any, str]) -> Paper | str:
        entry, day = item
        if not isinstance(entry, dict):
            return "entry is not a JSON object"
        return _item_to_paper(_json_fields(entry), day, source.name)

    read_records(digest, entries(), to_paper)
    digest.title = "; ".join(titles)
    digest.date = digest.date or source.date_from_name()


def _strs(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, dict):
                for key in ("name", "term"):
                    if isinstance(v.get(key), str):
                        out.append(v[key])
                        break
        return out
    return []


def _json_fields(entry: dict[str, Any]) -> dict[str, Any]:
    def s(key: str) -> str:
        v = entry.get(key)
        return v if isinstance(v, str) else ""

    authors = _strs(entry.get("author")) or _strs(entry.get("authors"))
    return {
        "title": s("title"),
        "link": s("link"),
        "guid": s("id"),
        "description": s("summary") or s("description"),
        "date": s("published") or s("updated"),
        "authors": authors,
        "categories": _strs(entry.get("tags")),
        "announce": s("arxiv_announce_type"),
        "doi": s("arxiv_doi"),
    }


# --- one item -----------------------------------------------------------------------------


def _authors(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        text = html_to_text(v) if ("<" in v or "&" in v) else v
        for name in split_authors(text):
            if name not in out:
                out.append(name)
    return out


def _english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    cjk = sum(1 for c in letters if _CJK.match(c))
    return cjk / len(letters) < 0.1


def _item_to_paper(f: dict[str, Any], channel_day: str, source_name: str) -> Paper | str:
    title = line_text(f["title"] or "")
    guid = f["guid"] or ""
    link = http_url(f["link"])
    aid = arxiv_id(guid) or arxiv_id(link)
    tags: list[str] = []
    ai_summary: str | None = None
    abstract = ""
    announce = one_line(f["announce"] or "")
    raw_desc = f["description"] or ""
    # old arXiv title form, in the title itself
    m = _OLD_TITLE.match(title)
    rank = ABSTRACT_ARXIV if m else ABSTRACT_OTHER
    if m:
        title = one_line(m.group("title"))
        aid = aid or arxiv_id(m.group("id"))
        tags.append(one_line(m.group("cat")))
    desc = html_to_text(raw_desc) if ("<" in raw_desc or "&" in raw_desc) else unwrap(raw_desc)
    am = _ANNOUNCE.search(desc)
    if am:
        before = desc[: am.start()].strip()
        abstract = unwrap(desc[am.end() :])
        aid = aid or arxiv_id(am.group("id"))
        announce = announce or am.group("type")
        rank = ABSTRACT_ARXIV
        if before:
            ai_summary = before
    else:
        paras = [p for p in desc.split("\n\n") if p.strip()]
        kept: list[str] = []
        for p in paras:
            pm = _OLD_TITLE.match(p.strip())
            if pm:
                rank = ABSTRACT_ARXIV
                if not m or _CJK.search(title):  # the English title was in the description
                    if title and _CJK.search(title):
                        ai_summary = title
                    title = one_line(pm.group("title"))
                aid = aid or arxiv_id(pm.group("id"))
                cat = one_line(pm.group("cat"))
                if cat not in tags:
                    tags.append(cat)
                continue
            if http_url(p.strip()) and " " not in p.strip():
                continue
            kept.append(p)
        english = [p for p in kept if _english(p)]
        if english and len(english) < len(kept):
            abstract = english[-1] if len(english) == 1 else "\n\n".join(english)
        else:
            abstract = "\n\n".join(kept)
    if not title and not aid:
        return "item has neither a title nor an arXiv id"
    for cat in f["categories"]:
        c = one_line(cat)
        if c and len(c) <= 40 and _CATEGORY.match(c) and c not in tags:
            tags.append(c)
    if announce:
        tags.append(f"announce:{announce.lower()}")
        rank = ABSTRACT_ARXIV  # arXiv's own listing
    day = date_part(f["date"]) or channel_day
    doi = find_doi(f["doi"]) if f["doi"] else None
    links = arxiv_links(aid, link if (link and aid and "arxiv.org" in link) else None)
    if link and not aid:
        links = [_other(link)]
    return Paper(
        id=paper_id(aid, doi, title),
        title=title,
        authors=_authors(f["authors"]),
        abstract=abstract,
        abstract_rank=rank,
        links=links,
        tags=tags,
        dates=[day] if day else [],
        sources=[source_name],
        arxiv_id=aid,
        doi=doi,
        ai_summary=ai_summary,
    )


def _other(url: str) -> Link:
    return Link("other", url)


FORMAT = Format(
    name=NAME,
    description="RSS 2.0 / RSS 1.0 feeds of arXiv listings, and feedparser JSON dumps",
    detect=detect,
    load=load,
)
