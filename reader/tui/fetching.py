"""Fetching and reloading from inside the app: ``F``, ``Ctrl+R``, ``w``.

:class:`FetchingMixin` is mixed into the app. ``F`` (and the palette's
"Fetch") runs :func:`reader.fetch.run.fetch_sources` in a thread worker; its
progress reaches the status line as messages that replace each other. When a
day was stored new or updated, the same thread re-opens the library (the
heavy part, off the event loop) and the app takes it in the way it takes in
the rest of a partly read library: the list keeps its cursor, a search in the
box runs again, the index syncs the changed papers in its own worker (and
until it has, the searcher scans the papers it does not hold, so they are
found at once). ``Ctrl+R`` does the reload alone, for digests added behind
the app's back (``digest-reader add``, a cron fetch). ``w`` lists the papers
that were not in the library before the last fetch or reload.

Offline (every source failed to connect) is not an error: the status line
and a notification say when the last fetch succeeded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from reader import release
from reader.catalog import CatalogPapers
from reader.fetch.result import ERROR, NEW, UPDATED, DayResult, summary
from reader.library import Library, gc_paused
from reader.paper_rows import ids_of
from reader.tui.services import ListAsked
from reader.wording import counted

if TYPE_CHECKING:
    import httpx

    from reader.tui.app import DigestApp
    from reader.views import View

#: How long the fetch's reload waits for the rest of a partly read library
#: (its worker would otherwise swap in the older library after ours).
REST_WAIT = 120.0
#: The error text of a source that could not be reached (reader.fetch.http).
CANNOT_CONNECT = ": cannot connect ("


# --------------------------------------------------------------------------- plain rules


def is_offline(results: Sequence[DayResult]) -> bool:
    """Every source failed, and each because it could not connect."""
    return bool(results) and all(r.status == ERROR and CANNOT_CONNECT in r.error for r in results)


def ago(when: dt.datetime, now: dt.datetime) -> str:
    """``2 days ago``, ``3 hours ago``, ``5 minutes ago``, ``just now``."""
    seconds = max(0.0, (now - when).total_seconds())
    if seconds >= 86400:
        return f"{counted(int(seconds // 86400), 'day')} ago"
    if seconds >= 3600:
        return f"{counted(int(seconds // 3600), 'hour')} ago"
    if seconds >= 60:
        return f"{counted(int(seconds // 60), 'minute')} ago"
    return "just now"


def offline_text(last: dict[str, str], sources: Iterable[str], now: dt.datetime) -> str:
    """``offline: last fetch 2 days ago`` (the newest success of ``sources``)."""
    times: list[dt.datetime] = []
    for name in sources:
        with contextlib.suppress(KeyError, ValueError):
            at = dt.datetime.fromisoformat(last[name])
            if at.tzinfo is not None:
                times.append(at)
    if not times:
        return "offline: never fetched"
    return f"offline: last fetch {ago(max(times), now)}"


def changed_files(results: Sequence[DayResult]) -> list[str]:
    """The stored files a fetch wrote (new or updated days)."""
    return [r.path for r in results if r.status in (NEW, UPDATED) and r.path]


def new_ids(old: Library, new: Library, touched: Iterable[str] = ()) -> set[str]:
    """Papers of ``new`` that ``old`` did not hold. When ``old`` was still
    partly read, its unread papers are not new: only papers from ``touched``
    files, or from files ``old`` did not have, count."""
    version, was = new.version, old.version
    if version is not None and was is not None and version.base and version.base == was.key:
        # Updated from ``old``: only the papers it touched can be new (not a
        # set of 100k ids made and compared while the cursor waits for the GIL).
        fresh = {pid for pid in version.touched if pid in new.papers and pid not in old.papers}
    else:
        fresh = set(new.papers).difference(old.papers)
    if old.complete or not fresh:
        return fresh
    files = {str(f) for f in touched} | ({str(f) for f in new.files} - {str(f) for f in old.files})
    return {pid for pid in fresh if files.intersection(new.papers[pid].sources)}


def warm_rows(library: Library, prepared: View | None, pid: str | None) -> None:
    """Read into ``library``'s kept rows (in the worker that read it) the
    papers the list will draw first once it is taken in: the rows around
    paper ``pid`` in the list of every paper (the list keeps that paper on
    its line), else ``pid`` alone (the abstract pane shows it)."""
    papers = library.papers
    if pid is None or not isinstance(papers, CatalogPapers):
        return
    ids = ids_of(prepared.papers) if prepared is not None else ()
    try:
        at = ids.index(pid)  # a scan in C: about a millisecond at 100k ids
    except ValueError:
        papers.load([pid])
        return
    papers.load(ids[max(0, at - WARM_ROWS) : at + WARM_ROWS])


#: Rows read on each side of the cursor's paper by :func:`warm_rows` (a
#: screen of the tallest terminals, and then some).
WARM_ROWS = 100


# --------------------------------------------------------------------------- messages


@dataclass
class FetchStep(Message):
    """A line for the status bar while fetching (replaces the one before)."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FetchStep)


@dataclass
class Reloaded(Message):
    """A library re-read off the event loop, ready to take in."""

    library: Library | None
    #: The library it was compared with (taken in only if still current).
    base: Library
    new: set[str]
    #: The fetch's results (None for a reload alone).
    results: list[DayResult] | None = None
    error: str = ""
    #: Its list of every paper, made in the worker (``app.prepare_list``).
    prepared: View | None = None


@dataclass
class FetchEnded(Message):
    """A fetch that needed no reload (nothing new, an error, offline, cancelled)."""

    results: list[DayResult]
    offline: str = ""
    error: str = ""
    cancelled: bool = False


# --------------------------------------------------------------------------- the mixin


@dataclass
class FetchHooks:
    """What tests change: the waits between retries, the day, the HTTP transport."""

    sleep: Callable[[float], None] = time.sleep
    today: dt.date | None = None
    transport: httpx.BaseTransport | None = None
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))


class FetchingMixin:
    """Fetch, reload and the "new papers" view, for :class:`DigestApp`."""

    #: Files or folders read with the library (the command line's paths):
    #: a reload reads them again.
    library_extra: list[Path]
    fetch_hooks: FetchHooks
    #: The papers new since the last fetch or reload began (``w``).
    new_paper_ids: set[str]

    def _digest_app(self) -> DigestApp:
        """This object, as the app it is mixed into."""
        return cast("DigestApp", self)

    def init_fetching(self, extra: Sequence[Path] = ()) -> None:
        self.library_extra = list(extra)
        self.fetch_hooks = FetchHooks()
        self.new_paper_ids = set()
        self._fetch_lock = threading.Lock()
        release.start()  # the libraries replaced are freed there

    def fetch_on_start(self) -> None:
        """``fetch.on_start: true``: a fetch in the background once the list is up."""
        app = self._digest_app()
        if app.config.fetch.on_start and not app.config.fetch_error:
            app.set_timer(0.5, self.action_fetch)

    # -- actions -------------------------------------------------------------

    def action_fetch(self) -> None:
        app = self._digest_app()
        if any(w.group == "fetch" and not w.is_finished for w in app.workers):
            app.notify("A fetch is already running.", markup=False, timeout=3)
            return
        if not self._reread_fetch_config():
            return
        if app.config.fetch_error:
            app.error(f"Fetch: {app.config.fetch_error}")
            return
        self._step("fetching…")
        self.fetch_worker()

    def _reread_fetch_config(self) -> bool:
        """Read the config file's ``fetch:`` section again (edited since the
        app started: new sources or endpoints), into the app's config; the
        rest of the config stays as it was at the start. False, with an
        error naming the file, when the file can no longer be read at all."""
        from reader.config import ConfigError, load_config

        app = self._digest_app()
        path = app.config.path
        if path is None:  # made in code (tests), not read from a file
            return True
        try:
            fresh = load_config(path)
        except ConfigError as exc:
            app.error(f"Fetch: {exc} (fix the config and press {_keys(app, 'fetch')} again)")
            return False
        app.config.fetch, app.config.fetch_error = fresh.fetch, fresh.fetch_error
        return True

    def action_reload(self) -> None:
        self._step("reading the library…")
        self.reload_worker()

    def action_new_papers(self) -> None:
        app = self._digest_app()
        if not self.new_paper_ids:
            fetch, reload = _keys(app, "fetch"), _keys(app, "reload")
            text = f"No new papers yet ({fetch} fetches, {reload} reads the library again)."
            app.notify(text, markup=False, timeout=4)
            return
        label = f"New: {counted(len(self.new_paper_ids), 'paper')}"
        app.signals.papers.publish(ListAsked("new", label, frozenset(self.new_paper_ids)))

    # -- workers -------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="fetch", description="Fetching")
    def fetch_worker(self) -> None:
        from reader.fetch.run import FetchProgress, fetch_sources, last_success

        app = self._digest_app()
        worker = get_current_worker()
        hooks = self.fetch_hooks

        def progress(p: FetchProgress) -> None:
            if not worker.is_cancelled:
                where = f"{p.done + 1}/{p.total}" if p.done < p.total else f"{p.total}/{p.total}"
                app.post_message(FetchStep(f"fetch {where}: {p.message}"))

        try:
            results = fetch_sources(
                app.paths,
                app.config.fetch,
                progress=progress,
                cancel=lambda: worker.is_cancelled,
                sleep=hooks.sleep,
                today=hooks.today,
                transport=hooks.transport,
            )
        except Exception as exc:  # a bug or a disk error: a notification, never a crash
            app.post_message(FetchEnded([], error=f"{type(exc).__name__}: {exc}"))
            return
        if worker.is_cancelled:
            app.post_message(FetchEnded(results, cancelled=True))
            return
        if is_offline(results):
            text = offline_text(last_success(app.paths), app.config.fetch.sources, hooks.now())
            app.post_message(FetchEnded(results, offline=text))
            return
        touched = changed_files(results)
        if not touched:
            app.post_message(FetchEnded(results))
            return
        # "nothing new; reading 1 changed day…": a day whose upvotes moved is
        # read again too, and is not "the new papers".
        app.post_message(
            FetchStep(f"{summary(results)}; reading {counted(len(touched), 'changed day')}…")
        )
        self._reload(touched, results)

    @work(thread=True, exclusive=True, exit_on_error=False, group="reload", description="Reloading")
    def reload_worker(self) -> None:
        self._reload((), None)

    def _reload(self, touched: Sequence[str], results: list[DayResult] | None) -> None:
        """Re-open the library (in the worker's thread) and post it."""
        from reader.library import open_library
        from reader.tui.app import prepare_list

        app = self._digest_app()
        worker = get_current_worker()
        deadline = time.monotonic() + REST_WAIT
        # A first read is waited for however long it takes (reading the
        # library beside it would parse every digest twice).
        while not app.library.complete and (
            app.library.reading is not None or time.monotonic() < deadline
        ):
            if worker.is_cancelled:
                return
            time.sleep(0.05)
        base = app.library
        try:
            with self._fetch_lock, gc_paused():  # one reload at a time
                # Updated from the library in memory, not the snapshot on disk.
                library = open_library(
                    app.paths,
                    app.config,
                    extra=self.library_extra,
                    current=base,
                    lazy=app.session.lazy_library,
                )
                # The list, sorted, its day counts and rows: here, not on the
                # event loop (0.2-0.4 s at 100k papers).
                prepared = prepare_list(library)
                new = new_ids(base, library, touched)
                # The rows the list draws first once it is taken in (6-10 ms
                # of queries on the event loop, else).
                warm_rows(library, prepared, app.shown_id)
                # Posted under the lock: a reload that waited for this one
                # read the digests later, and its library comes in after.
                if not worker.is_cancelled:
                    app.post_message(Reloaded(library, base, new, results, prepared=prepared))
        except Exception as exc:
            app.post_message(Reloaded(None, base, set(), results, f"{type(exc).__name__}: {exc}"))

    # -- messages ------------------------------------------------------------

    def _step(self, text: str) -> None:
        self._digest_app().signals.activity.publish(text)

    def on_fetch_step(self, message: FetchStep) -> None:
        self._step(message.text)

    def on_fetch_ended(self, message: FetchEnded) -> None:
        app = self._digest_app()
        self._step("")
        if message.error:
            app.error(f"Fetch failed: {message.error}")
        elif message.cancelled:
            pass
        elif message.offline:
            self._step(message.offline)
            app.notify(message.offline, title="Fetch", severity="warning", markup=False)
        else:
            self._tell(message.results, 0)

    def on_reloaded(self, message: Reloaded) -> None:
        app = self._digest_app()
        self._step("")
        if message.library is None:
            app.error(f"Reading the library failed: {message.error}")
            if message.results is not None:
                self._tell(message.results, 0)
            return
        if app.library is not message.base:
            # Another library was taken in meanwhile: what is new is counted again.
            message.new = new_ids(app.library, message.library)
        self.new_paper_ids = set(message.new)
        app.take_library(message.library, message.prepared)
        # Told at the loop's next turn: a key waiting now is handled first.
        app.call_later(self._tell_reloaded, message.results, len(message.new))

    def _tell_reloaded(self, results: list[DayResult] | None, new: int) -> None:
        app = self._digest_app()
        if results is not None:
            self._tell(results, new)
        else:
            hint = f" ({_keys(app, 'new-papers')} lists them)"
            text = f"{counted(new, 'new paper')}{hint}" if new else "nothing new"
            app.notify(text, title="Library read again", markup=False, timeout=5)

    def _tell(self, results: list[DayResult], new: int) -> None:
        """The fetch's summary, and each failed day as an error."""
        app = self._digest_app()
        failed = [r for r in results if not r.ok]
        by_source: dict[str, list[DayResult]] = {}
        for r in failed:
            by_source.setdefault(r.source, []).append(r)
        for source, days in by_source.items():
            # One notification per source: a week of catch-up is not seven toasts.
            text = days[0].line()
            if len(days) > 1:
                text += f" (and {counted(len(days) - 1, 'other day')})"
            title = f"Fetch failed: {source}"
            app.notify(text, title=title, severity="error", markup=False, timeout=10)
        if new:
            text = f"{counted(new, 'new paper')} ({_keys(app, 'new-papers')} lists them)"
            app.notify(text, title="Fetched", markup=False)
        elif not failed:
            app.notify(summary(results), title="Fetched", markup=False, timeout=4)


def _keys(app: DigestApp, command: str) -> str:
    """The keys of ``command`` as the user set them."""
    return app.keys_of(command)
