"""arXiv's daily announcement feed: ``GET {arxiv_rss}/rss/cs.CL+cs.LG``.

One request for all the categories of a source. The feed holds the latest
announcement only; its day is the channel's ``pubDate`` (else
``lastBuildDate``, else today). Each item keeps its ``arxiv:announce_type``
(``new``, ``cross``, ``replace``, ``replace-cross``), which the ``rss`` format
turns into the source tag ``announce:<type>``.

An empty feed is what arXiv serves on days it does not announce (Friday and
Saturday nights, its holidays): :data:`NO_ITEMS`, never an empty day. A feed
whose ids are those of the last stored day is that day again (a rebuild not yet
done, a stale category): the caller files it there, whatever its ``pubDate``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from reader.fetch.http import FetchError, Http
from reader.formats.xmlsafe import child, child_text, local
from reader.text import date_part


@dataclass
class Feed:
    root: ET.Element
    day: str
    items: list[ET.Element]


def url_for(base: str, categories: tuple[str, ...]) -> str:
    return f"{base}/rss/{'+'.join(categories)}"


def fetch(http: Http, base: str, categories: tuple[str, ...], today: str) -> Feed:
    answer = http.get(url_for(base, categories), arxiv=True)
    root = answer.xml_root("rss", "RSS feed")
    channel = child(root, "channel")
    if channel is None:
        raise FetchError(answer.url, "an RSS feed without a <channel>")
    day = (
        date_part(child_text(channel, "pubDate"))
        or date_part(child_text(channel, "lastBuildDate"))
        or today
    )
    items = [el for el in channel if local(el.tag) == "item"]
    http.remember(answer)
    return Feed(root, day, items)
