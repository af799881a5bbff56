"""The arXiv API: ``GET {arxiv_api}/api/query?search_query=...``, newest first.

Paged with ``start`` and ``max_results`` up to the source's ``max_results``;
each page is one request in arXiv's shared budget. A page shorter than asked
ends the paging, except that a short page while ``opensearch:totalResults``
says more remain is asked once more (arXiv's pages sometimes come back short).
The API reports a refused query as a feed with one entry whose ``id`` is under
``arxiv.org/api/errors``: that is a :class:`FetchError` with its message.

Entries are grouped by the day they were submitted (``published``); a fetch
for given days adds ``submittedDate:[... TO ...]`` to the query.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass

from reader.fetch.http import Answer, FetchError, Http
from reader.formats.xmlsafe import child_text, local
from reader.text import date_part, one_line

#: Entries asked for per page (the API allows 2,000; smaller pages fail less).
PAGE = 100


@dataclass
class Result:
    root: ET.Element
    days: dict[str, list[ET.Element]]


def search_query(query: str, first: str | None, last: str | None) -> str:
    if not first or not last:
        return query
    a, b = first.replace("-", ""), last.replace("-", "")
    return f"({query}) AND submittedDate:[{a}0000 TO {b}2359]"


def fetch(
    http: Http, base: str, query: str, max_results: int, *, page: int | None = None
) -> Result:
    page = page or PAGE
    url = f"{base}/api/query"
    entries: list[ET.Element] = []
    root: ET.Element | None = None
    retried = False
    total: int | None = None
    start = 0
    answers: list[Answer] = []
    while start < max_results:
        size = min(page, max_results - start)
        answer = http.get(
            url,
            {
                "search_query": query,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": start,
                "max_results": size,
            },
            arxiv=True,
        )
        feed = _parse(answer)
        root = root if root is not None else feed
        got = [el for el in feed if local(el.tag) == "entry"]
        total = total if total is not None else _total(feed)  # the first page's count
        if (
            len(got) < size
            and total is not None
            and start + len(got) < min(total, max_results)
            and not retried
        ):
            retried = True
            continue
        answers.append(answer)
        entries.extend(got)
        start += len(got)
        if len(got) < size:
            break
    for a in answers:
        http.remember(a)
    days: dict[str, list[ET.Element]] = defaultdict(list)
    for el in entries:
        day = date_part(child_text(el, "published")) or date_part(child_text(el, "updated"))
        if day:
            days[day].append(el)
    assert root is not None or not entries
    return Result(root if root is not None else ET.Element("feed"), dict(days))


def _parse(answer: Answer) -> ET.Element:
    root = answer.xml_root("feed", "Atom feed")
    for el in root:
        if local(el.tag) == "entry" and "arxiv.org/api/errors" in child_text(el, "id"):
            message = one_line(child_text(el, "summary")) or "no reason given"
            raise FetchError(answer.url, f"the arXiv API refused the query: {message}")
    return root


def _total(feed: ET.Element) -> int | None:
    text = child_text(feed, "totalResults").strip()
    return int(text) if text.isdigit() else None
