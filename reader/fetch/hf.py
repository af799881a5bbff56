"""Hugging Face Daily Papers: ``GET {hf}/api/daily_papers``.

``date=YYYY-MM-DD`` (or ``week=YYYY-Www`` / ``month=YYYY-MM``) with ``limit``
and ``p`` (0-based page), page after page until one comes back shorter than
the limit. A paper's day is the day it was featured
(``paper.submittedOnDailyAt``), else the day asked for. Every page must be a
JSON list of records: an HTML page, a cut-off body or an error object fails
the whole request, and nothing is stored from it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from reader.fetch.http import Answer, FetchError, Http
from reader.fetch.store import hf_key
from reader.text import date_part

#: Records asked for per page (the API treats 100 as the most a page holds).
PAGE = 100
#: More pages than this for one request means something is wrong.
MAX_PAGES = 50


def fetch(
    http: Http, base: str, param: str, value: str, *, page: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The records for ``param=value`` (``date``, ``week`` or ``month``),
    grouped by featured day; raises :class:`FetchError`."""
    page = page or PAGE
    url = f"{base}/api/daily_papers"
    records: list[dict[str, Any]] = []
    answers: list[Answer] = []
    last: list[str | None] = []
    for p in range(MAX_PAGES):
        answer = http.get(url, {param: value, "limit": page, "p": p})
        batch = parse_page(answer)
        answers.append(answer)
        keys = [hf_key(r) for r in batch]
        if p and keys == last:
            break  # a server that ignores ``p`` answers the same page again
        last = keys
        records.extend(batch)
        if len(batch) < page:
            break
    else:
        raise FetchError(url, f"more than {MAX_PAGES} pages of {page}: stopped")
    for a in answers:
        http.remember(a)
    asked = value if param == "date" else ""
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        days[featured_day(rec, asked)].append(rec)
    days.pop("", None)
    return dict(days)


def featured_day(rec: dict[str, Any], asked: str) -> str:
    paper = rec.get("paper")
    inner = paper if isinstance(paper, dict) else {}
    return (
        date_part(inner.get("submittedOnDailyAt"))
        or asked
        or date_part(rec.get("publishedAt"))
        or date_part(inner.get("publishedAt"))
        or ""
    )


def parse_page(answer: Answer) -> list[dict[str, Any]]:
    """One page as a list of records, or :class:`FetchError` saying what it was."""
    if answer.looks_like_html():
        raise FetchError(answer.url, "an HTML page came back, not the JSON list of papers")
    try:
        data = json.loads(answer.text)
    except ValueError as exc:
        what = "empty" if not answer.text.strip() else f"not JSON, or cut off ({exc})"
        raise FetchError(answer.url, f"the answer is {what}") from None
    if isinstance(data, dict):
        msg = data.get("error") if isinstance(data.get("error"), str) else "an object"
        raise FetchError(answer.url, f"the answer is not a list of papers: {str(msg)[:160]}")
    if not isinstance(data, list):
        raise FetchError(answer.url, "the answer is not a list of papers")
    bad = [i for i, r in enumerate(data) if not isinstance(r, dict)]
    if bad:
        raise FetchError(answer.url, f"record {bad[0] + 1} is not an object")
    return data
