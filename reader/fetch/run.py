"""One fetch: which days each source needs, asked and stored, one result per day.

:func:`fetch_sources` is what ``digest-reader fetch`` and the app call. It
never prints; it reports through ``progress`` and stops between requests when
``cancel()`` turns true, returning what was done so far.

Which days (:func:`catch_up`): with no date given, every day from the day after
the source's last stored day, at most ``catch_up_days`` back, through today;
today and yesterday are always asked again (the Hugging Face list grows during
the day and upvotes keep changing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from reader.fetch import arxiv_query, arxiv_rss, hf
from reader.fetch.arxiv_calendar import why_empty
from reader.fetch.http import Cancelled, FetchError, Http
from reader.fetch.result import ERROR, NO_ANNOUNCEMENT, DayResult
from reader.fetch.sources import FetchConfig, SourceSpec
from reader.fetch.store import (
    StoreError,
    item_key,
    source_dir,
    store_hf_day,
    store_xml_day,
    stored_count,
    stored_days,
    xml_ids,
)
from reader.fileio import atomic_write_text
from reader.paths import Paths

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class SpanError(ValueError):
    """A date, week or month that is not one (a usage error)."""


@dataclass(frozen=True)
class Span:
    """What to fetch: ``auto`` (the catch-up rule), ``date``, ``since``,
    ``week`` (``2026-W48``) or ``month`` (``2026-11``)."""

    kind: str = "auto"
    value: str = ""

    @classmethod
    def of(
        cls,
        date: str | None = None,
        week: str | None = None,
        month: str | None = None,
        since: str | None = None,
        today: dt.date | None = None,
    ) -> Span:
        """The span the options ask for; :class:`SpanError` for one that is
        not a day, week or month, or that starts after ``today`` (the later
        of the local and the UTC day, so neither side of the date line has
        its own today refused): nothing is announced for it yet."""
        given = [
            (k, v)
            for k, v in (("date", date), ("week", week), ("month", month), ("since", since))
            if v
        ]
        if len(given) > 1:
            raise SpanError("give one of --date, --week, --month, --since")
        if not given:
            return cls()
        kind, value = given[0]
        span = cls(kind, value.strip())
        if today is None:
            today = max(dt.date.today(), dt.datetime.now(dt.timezone.utc).date())
        covered = span.days(today)  # validates
        if covered is not None and covered[0] > today:
            first = "" if kind in ("date", "since") else f" starts {covered[0]}, which"
            raise SpanError(
                f"--{kind} {span.value}{first} is in the future (today is {today}):"
                " nothing is announced for it yet"
            )
        return span

    def days(self, today: dt.date) -> tuple[dt.date, dt.date] | None:
        """The first and last day covered (None for ``auto``)."""
        if self.kind in ("date", "since"):
            try:
                day = dt.date.fromisoformat(self.value)
            except ValueError:
                raise SpanError(
                    f"--{self.kind}: {self.value!r} is not a day (YYYY-MM-DD)"
                ) from None
            return (day, day) if self.kind == "date" else (day, max(day, today))
        if self.kind == "week":
            m = _WEEK.match(self.value)
            try:
                first = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1) if m else None
            except ValueError:
                first = None
            if first is None:
                raise SpanError(f"--week: {self.value!r} is not an ISO week (YYYY-Www, 2026-W48)")
            return first, first + dt.timedelta(days=6)
        if self.kind == "month":
            m = _MONTH.match(self.value)
            if not m or not 1 <= int(m.group(2)) <= 12:
                raise SpanError(f"--month: {self.value!r} is not a month (YYYY-MM)")
            first = dt.date(int(m.group(1)), int(m.group(2)), 1)
            nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        return None


@dataclass
class FetchProgress:
    """One step of a fetch, for a status line: ``message`` replaces the last."""

    source: str
    message: str
    #: Sources finished, of ``total``.
    done: int
    total: int
    #: Set when a day has just been stored (or failed).
    result: DayResult | None = None


Progress = Callable[[FetchProgress], None]


def catch_up(stored: Sequence[str], today: dt.date, catch_up_days: int) -> list[dt.date]:
    """The days to ask for when no date is given (see the module docs)."""
    earliest = today - dt.timedelta(days=catch_up_days)
    start = earliest
    if stored:
        try:
            start = dt.date.fromisoformat(stored[-1]) + dt.timedelta(days=1)
        except ValueError:
            start = earliest
    start = min(max(start, earliest), today - dt.timedelta(days=1))
    return [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]


def fetch_sources(
    paths: Paths,
    config: FetchConfig,
    names: Sequence[str] = (),
    span: Span = Span(),
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> list[DayResult]:
    """Fetch ``names`` (every configured source when empty) for ``span``; one
    :class:`DayResult` per source and day. Raises ``KeyError`` for an unknown
    source name; network and content failures are results, never exceptions."""
    unknown = [n for n in names if n not in config.sources]
    if unknown:
        known = ", ".join(config.sources)
        raise KeyError(f"no source named {unknown[0]!r} in the config (sources: {known})")
    specs = [config.sources[n] for n in (names or list(config.sources))]
    today = today or dt.datetime.now(dt.timezone.utc).date()
    cache = paths.cache_dir / "fetch"
    results: list[DayResult] = []

    def report(spec: SourceSpec, message: str, done: int, result: DayResult | None = None) -> None:
        if result is not None:
            results.append(result)
        if progress is not None:
            progress(FetchProgress(spec.name, message, done, len(specs), result))

    now: list[tuple[SourceSpec, int]] = []  # the source being fetched, its place

    def retrying(reason: str, wait: float, retry: int, retries: int) -> None:
        if now:
            spec, n = now[-1]
            tries = f"retry {retry} of {retries}"
            report(spec, f"{spec.name}: {reason}; trying again in {wait:g} s ({tries})", n)

    with Http(
        config, cache, sleep=sleep, transport=transport, cancel=cancel, on_retry=retrying
    ) as http:
        for n, spec in enumerate(specs):
            now.append((spec, n))
            folder = source_dir(paths.library_dir, spec.name)
            report(spec, f"fetching {spec.name}", n)
            before = len(results)

            def emit(r: DayResult, spec: SourceSpec = spec, n: int = n) -> None:
                report(spec, r.line(), n, r)

            try:
                if spec.kind == "hf-daily":
                    _hf(http, config, spec, span, today, folder, emit)
                elif spec.kind == "arxiv-rss":
                    _rss(http, config, spec, today, folder, emit)
                else:
                    _query(http, config, spec, span, today, folder, emit)
            except Cancelled:
                report(spec, "cancelled", n)
                break
            if all(r.ok for r in results[before:]):
                _note_success(cache, spec.name)
            report(spec, f"{spec.name} done", n + 1)
    return results


def _error(spec: SourceSpec, day: str, exc: Exception, folder: Path) -> DayResult:
    """A day that failed: what it still holds is what was stored before."""
    unreachable = exc.unreachable if isinstance(exc, FetchError) else ""
    papers = stored_count(folder, day)
    return DayResult(spec.name, day, ERROR, papers, error=str(exc), unreachable=unreachable)


def _empty(spec: SourceSpec, day: str, folder: Path, note: str = "") -> DayResult:
    """A day that came back empty: nothing is stored, what was stays."""
    return DayResult(spec.name, day, NO_ANNOUNCEMENT, stored_count(folder, day), note=note)


def _hf(
    http: Http, config: FetchConfig, spec: SourceSpec, span: Span, today: dt.date, folder: Path,
    emit: Callable[[DayResult], None],
) -> None:  # fmt: skip
    base = config.endpoint("hf")
    if span.kind in ("week", "month"):
        asks = [(span.kind, span.value)]
    elif span.kind == "auto":
        asks = [
            ("date", d.isoformat())
            for d in catch_up(stored_days(folder), today, config.catch_up_days)
        ]
    else:
        covered = span.days(today)
        assert covered is not None
        first, last = covered
        asks = [
            ("date", (first + dt.timedelta(days=i)).isoformat())
            for i in range((last - first).days + 1)
        ]
    for param, value in asks:
        try:
            days = hf.fetch(http, base, param, value)
        except FetchError as exc:
            emit(_error(spec, value, exc, folder))
            continue
        if not days:
            emit(_empty(spec, value, folder))
            continue
        for day in sorted(days):
            try:
                stored = store_hf_day(folder, day, days[day])
            except (StoreError, OSError) as exc:
                emit(_error(spec, day, exc, folder))
                continue
            emit(
                DayResult(
                    spec.name, day, stored.status, stored.papers, stored.new, path=str(stored.path)
                )
            )


def _rss(
    http: Http, config: FetchConfig, spec: SourceSpec, today: dt.date, folder: Path,
    emit: Callable[[DayResult], None],
) -> None:  # fmt: skip
    try:
        feed = arxiv_rss.fetch(
            http, config.endpoint("arxiv_rss"), spec.categories, today.isoformat()
        )
    except FetchError as exc:
        emit(_error(spec, today.isoformat(), exc, folder))
        return
    if not feed.items:
        note = why_empty(dt.date.fromisoformat(feed.day))
        emit(_empty(spec, feed.day, folder, note))
        return
    day = feed.day
    days = stored_days(folder)
    if days and days[-1] != day:
        ids = {k for el in feed.items if (k := item_key(el))}
        if ids and xml_ids(folder / f"{days[-1]}.xml") == ids:
            day = days[-1]  # the same batch again, whatever its pubDate says
    try:
        stored = store_xml_day(folder, day, feed.root, feed.items)
    except (StoreError, OSError) as exc:
        emit(_error(spec, day, exc, folder))
        return
    emit(DayResult(spec.name, day, stored.status, stored.papers, stored.new, path=str(stored.path)))


def _query(
    http: Http, config: FetchConfig, spec: SourceSpec, span: Span, today: dt.date, folder: Path,
    emit: Callable[[DayResult], None],
) -> None:  # fmt: skip
    covered = span.days(today)
    first, last = (d.isoformat() for d in covered) if covered else (None, None)
    label = span.value or today.isoformat()
    query = arxiv_query.search_query(spec.query, first, last)
    try:
        result = arxiv_query.fetch(http, config.endpoint("arxiv_api"), query, spec.max_results)
    except FetchError as exc:
        emit(_error(spec, label, exc, folder))
        return
    if not result.days:
        emit(_empty(spec, label, folder))
        return
    for day in sorted(result.days):
        try:
            stored = store_xml_day(folder, day, result.root, result.days[day])
        except (StoreError, OSError) as exc:
            emit(_error(spec, day, exc, folder))
            continue
        emit(
            DayResult(
                spec.name, day, stored.status, stored.papers, stored.new, path=str(stored.path)
            )
        )


# --------------------------------------------------------------------------- last success


def _last_file(cache: Path) -> Path:
    return cache / "last.json"


def last_success(paths: Paths) -> dict[str, str]:
    """When each source last fetched without an error (UTC, ISO), as far as the
    cache remembers (deleting the cache forgets it and loses nothing else)."""
    try:
        data = json.loads(_last_file(paths.cache_dir / "fetch").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _note_success(cache: Path, name: str) -> None:
    file = _last_file(cache)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[name] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with contextlib.suppress(OSError):
        atomic_write_text(file, json.dumps(data, indent=1, sort_keys=True))
