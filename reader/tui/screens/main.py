"""The main screen: status line, search bar, sidebar, paper list and abstract.

Every action here is bound through :mod:`reader.tui.commands`. What the
screen needs of the app comes in as one typed object
(:class:`reader.tui.services.MainServices`); the rules of what a list means
(views, days, catch-up, counts) are the core's, in :mod:`reader.views`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import BindingType
from textual.containers import Container, Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from reader import undo, views
from reader.model import Paper
from reader.paper_rows import ids_of
from reader.release import release
from reader.search.incremental import searched_whole
from reader.search.query import QueryError
from reader.tui import commands
from reader.tui import text as tx
from reader.tui.screens.confirm import ConfirmDialog
from reader.tui.screens.copy_menu import CopyChoice, CopyMenu
from reader.tui.screens.export_dialog import ExportDialog
from reader.tui.screens.help import HelpScreen
from reader.tui.screens.note_dialog import NoteDialog
from reader.tui.screens.tag_dialog import TagDialog, TagEdit
from reader.tui.textual_private import paint_now, use_span_compositor
from reader.tui.widgets.abstract import AbstractPane, collect_links
from reader.tui.widgets.footer import KeyFooter
from reader.tui.widgets.paper_list import PaperList
from reader.tui.widgets.search_bar import SearchBar
from reader.tui.widgets.sidebar import Entry, Sidebar
from reader.tui.widgets.status import StatusLine
from reader.views import View, ViewKind, all_papers
from reader.wording import counted

if TYPE_CHECKING:
    from textual.worker import Worker

    from reader.search.engine import Count, SearchResult
    from reader.tui.services import IndexMoved, LibraryTaken, ListAsked, MainServices

#: Enter waits this long for its results before showing "Searching…".
SUBMIT_WAIT = 0.4
#: A key's search waits this long before it starts (0: at once). There is no
#: debounce: a key typed while the search thread is free is searched at once,
#: and keys typed while it is busy fold into one search of the newest text,
#: run as soon as it is free (``MainScreen.run_search``). A fixed wait after
#: each key only added to every key's time: 150 ms meant no search ran while
#: one typed, 50 ms put every key at 10 keys/s over the 50 ms target
#: (benchmarks/typing_bench.py, see README). Kept for the benchmark's
#: ``--debounce``, to tell a wait's share.
DEBOUNCE = 0.0
#: Cursor moves closer together than this are a held key (key repeat is
#: 30-33 ms by default on GNOME, KDE, Windows and macOS' fast settings). Kept
#: under 40 ms, the least a Pilot keypress waits, so tests see every paper.
FOLLOW_REPEAT = 0.035
#: While a key repeats, the abstract pane follows this long after the last move.
FOLLOW_DELAY = 0.05
#: While results come from typing, the abstract pane waits this long for
#: the newer search queued meanwhile to be shown before it shows the paper
#: under the cursor (only the list and the count follow every key).
PANE_WAIT = 0.05
#: When set, names a file that gets one line each time a search's outcome is
#: painted: ``[time.monotonic(), text, what, total, exact]`` in JSON, ``what``
#: being results, error or cleared (``benchmarks/typing_bench.py`` reads it).
SHOWN_LOG_VAR = "DIGEST_READER_SHOWN_LOG"


class MainScreen(Screen[None]):
    """The reader's one main screen."""

    BINDINGS: ClassVar[list[BindingType]] = commands.bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    AUTO_FOCUS = "#papers"

    def __init__(self, services: MainServices) -> None:
        super().__init__(id="main")
        self.compositor = use_span_compositor(self)
        """Draws this screen (and calls back after a frame: ``after_paint``)."""
        self.dapp = services
        """What the screen asks of the app (the session, search, undo, links)."""
        self.view = View("all", "All papers", [])
        """What the list shows now."""
        self.base = self.view
        """The view the search bar returns to when cleared."""
        self.last_edit: bool | TagEdit | None = None
        """The last star (True: starred) or tag change, for ``.``."""
        self._read_timer: Timer | None = None
        self._search_generation = 0
        self._shown_log = os.environ.get(SHOWN_LOG_VAR) or None

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield StatusLine(id="status")
        yield SearchBar(id="search-bar")
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Container(id="panes"):
                yield PaperList(self.dapp.state_of, id="papers")
                yield AbstractPane(id="abstract")
        yield KeyFooter(id="footer")

    @property
    def papers(self) -> PaperList:
        return self.query_one("#papers", PaperList)

    @property
    def abstract(self) -> AbstractPane:
        return self.query_one("#abstract", AbstractPane)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one("#search-bar", SearchBar)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one("#sidebar", Sidebar)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def on_mount(self) -> None:
        app = self.dapp
        box = self.search_bar.input
        box.on_submit, box.on_leave = self.submit_search, self.leave_box
        search = app.keys_of("search")
        if not box.placeholder.startswith(f"{search} "):
            box.placeholder = f"{search} {box.placeholder.partition(' ')[2]}"
        self.show_banner()
        self.status.set_library(app.status_parts())
        self.set_view(self.every_paper())
        self.base = self.view
        self.set_interval(3.0, self.refresh_state)
        # What the app tells: handled in this screen's turn, never called by it.
        signals = app.signals
        signals.library.subscribe(self, self.library_taken)
        signals.index.subscribe(self, self.index_moved)
        signals.activity.subscribe(self, self.status.set_activity)
        signals.sources.subscribe(self, self.sources_changed)
        signals.action.subscribe(self, self.run_action)
        signals.saved_search.subscribe(self, self.open_saved_search)
        signals.papers.subscribe(self, self.show_asked)

    # -- what the app tells -------------------------------------------------------

    def library_taken(self, taken: LibraryTaken) -> None:
        """The app took in a library: list it, unless the app has taken in
        a newer one since (its own signal comes next)."""
        if taken.library is self.dapp.library:
            self.library_loaded(taken.prepared, top=taken.top)

    def index_moved(self, moved: IndexMoved) -> None:
        self.status.set_progress(moved.done, moved.total)
        if moved.ready:
            self.rerun_search()  # scanned papers now have their index scores

    def sources_changed(self, _: None) -> None:
        self.fill_sidebar()

    def open_saved_search(self, name: str) -> None:
        self.apply_entry(Entry("saved", name, name, None))

    def show_asked(self, asked: ListAsked) -> None:
        self.clear_search(restore=False)
        self.show_ids(asked.kind, asked.label, set(asked.ids))
        self.papers.move_to(0)

    def library_loaded(self, prepared: View | None = None, *, top: bool = False) -> None:
        """The whole library is read (the first paint had its newest papers
        only), or read again after a fetch: the full list replaces the one
        shown, the cursor stays on its paper and on its line, and a search in
        the box runs again over everything. ``prepared``: the list of every
        paper, made in the worker that read the library (else made here).
        ``top``: the cursor on the first paper instead (a first read that
        no key has touched yet: the newest papers come in at the top)."""
        app = self.dapp
        # The lists replaced here are freed off the event loop (release).
        replaced = (self._every, self.base, self.view)
        self.status.set_library(app.status_parts())
        if self.base.kind == "all":
            order = self.base.order
            self.base = self.every_paper(prepared)
            if order:
                self.base = self.base.sorted(order)
        if self.view.kind == "all":
            keep = None if top else self._current_id()
            self.set_view(self.base, keep=keep, stay=not top, settle=True)
        else:
            self.rerun_search()
        if self.sidebar.display:
            self.fill_sidebar(later=True)
        release(*replaced)

    def show_banner(self) -> None:
        state = self.dapp.state
        banner = self.query_one("#banner", Static)
        problem = state.problem
        if state.read_only or problem:
            text = "Your stars, tags and notes cannot be saved: " if state.read_only else ""
            banner.update(Text(text + tx.line(problem or "the state file is read-only.")))
            banner.display = True
        else:
            banner.display = False

    # -- views ----------------------------------------------------------------

    def set_view(
        self,
        view: View,
        *,
        keep: str | None = None,
        cursor: int = 0,
        stay: bool = False,
        settle: bool = False,
        typing: bool = False,
    ) -> None:
        """Show ``view``, the cursor on paper ``keep`` (else at ``cursor``);
        ``stay``: on the same line of the screen as before. ``settle``: the
        same list, more of it (the library read further): the paper being
        read keeps its pane as scrolled, unless its text changed, and its
        read timer goes on. ``typing``: the results of a key typed in the
        search box: the list and the count are painted first, the abstract
        pane once they are on screen and no newer search waits
        (``show_pane_later``)."""
        shown = self.abstract.paper
        self.view = view
        self.papers.empty_text = "No papers match." if view.kind == "search" else "No papers here."
        order = view.shown_order
        self.papers.set_papers(
            view.papers,
            terms=view.terms,
            keep=keep,
            cursor=cursor,
            order=order,
            separators=view.kind != "day" and views.by_day(order),
            day_sizes=view.day_sizes,
            rows=view.rows,
            stay=stay,
        )
        self.update_status()
        if typing:
            self.show_pane_later()
            return
        self._pane_pending = False
        paper = self.papers.current
        if settle and paper is not None and shown is not None and paper.id == shown.id:
            if paper == shown:
                self.abstract.paper = paper  # the same text: left as scrolled
            else:
                self.show_paper(paper)
            if self._read_timer is None and not self.dapp.state_of(paper.id).read:
                self.start_read_timer(paper)
            return
        self.show_paper(paper)  # again even for the same paper: the terms changed
        self.start_read_timer(paper)

    #: True while the abstract pane waits for the list's results to be painted.
    _pane_pending: bool = False

    def show_pane_later(self) -> None:
        """Show the paper under the cursor in the abstract pane after the
        next frame (the list's), unless newer results are on their way then:
        rendering a long abstract is most of a search's paint, and while keys
        come fast nobody reads the pane."""
        if self._pane_pending:
            return  # one update waits already: it shows the cursor's paper then
        self._pane_pending = True
        self.stop_read_timer()
        self.compositor.after_paint(lambda: self.call_later(self._show_pane))

    def _show_pane(self) -> None:
        if not self._pane_pending:
            return  # shown meanwhile (Enter, Esc, another list)
        searching = self._searching
        if self._wanted is not None or (searching is not None and searching != self.view.value):
            self.set_timer(PANE_WAIT, self._show_pane)  # a newer text's results come
            return
        self._pane_pending = False
        paper = self.papers.current
        self.show_paper(paper)
        self.start_read_timer(paper)

    def update_status(self) -> None:
        count = views.view_count(self.view, self.dapp.read_ids)
        self.status.set_view(tx.line(self.view.label), count.text, count.short, list(count.notes))

    def every_paper(self, prepared: View | None = None) -> View:
        """The list of every paper of the library now: ``prepared`` or the
        one made last when it is of the same list, else made (O(n))."""
        library = self.dapp.library
        papers = library.ordered()
        for view in (prepared, self._every):
            if view is not None and view.papers is papers:
                self._every = view
                return view
        # a library still partly read: each day counted over its papers read
        self._every = all_papers(papers, library.day_sizes() if library.complete else None)
        return self._every

    #: The list of every paper made last (``every_paper``).
    _every: View | None = None

    def show_all(self) -> None:
        self.base = self.every_paper()
        self.set_view(self.base, keep=self._current_id())

    def _current_id(self) -> str | None:
        paper = self.papers.current
        return paper.id if paper else None

    def show_day(self, day: str, *, first: bool = False) -> None:
        """The papers of ``day``, in the order its source ranks them (upvotes
        for a Hugging Face day); ``first``: the cursor on the top paper."""
        found = self.dapp.library.on_day(day)
        ranking = views.day_ranking(found)
        papers = views.sort_papers(found, ranking)
        self.base = View("day", f"Day {day}", papers, value=day, natural=ranking)
        self.set_view(self.base, keep=None if first else self._current_id())

    def show_ids(self, kind: ViewKind, label: str, ids: set[str], value: str = "") -> None:
        papers = views.select(self.dapp.library.ordered(), ids)
        self.base = View(kind, label, papers, value=value)
        self.set_view(self.base, keep=self._current_id())

    def apply_entry(self, entry: Entry) -> None:
        app = self.dapp
        self.clear_search(restore=False)
        if entry.kind == "all":
            self.show_all()
        elif entry.kind == "day":
            self.show_day(entry.value)
        elif entry.kind == "starred":
            self.show_ids("starred", "★ Starred", app.state.starred_ids())
        elif entry.kind == "tag":
            ids = app.state.ids_with_tag(entry.value)
            self.show_ids("tag", f"#{entry.value}", ids, value=entry.value)
        elif entry.kind == "source":
            ids = app.papers_from_source(entry.value)
            self.show_ids("source", f"Source: {entry.label.strip()}", ids, value=entry.value)
        elif entry.kind == "saved":
            query = app.config.saved_searches.get(entry.value, "")
            try:
                result = app.search(query)
            except QueryError as exc:
                app.error(f"Saved search {entry.value!r}: {exc}")
                return
            papers = app.papers_for(result.hits)
            self.base = View(
                "saved",
                f"Saved: {entry.value}",
                papers,
                entry.value,
                list(result.terms),
                natural=result.sort or "relevance",
                exact=result.exact,
            )
            self.set_view(self.base)

    # -- search ---------------------------------------------------------------

    def rerun_search(self) -> None:
        """Run the search in the box again (the library or the index changed
        under it: exact scores, counts no longer "about"), the cursor staying
        on its paper."""
        if self.view.kind == "search" and self.search_bar.value:
            self._search_generation += 1
            self._rerun = (self._search_generation, self._current_id())
            self.run_search(self.search_bar.value, self._search_generation)

    #: (generation, paper id) of a search run again: its results keep the cursor.
    _rerun: tuple[int, str | None] = (-1, None)
    #: False when the results on screen are those of the box's text without
    #: its end being typed (``x sort:up`` searched as ``x``): Enter runs it.
    _shown_whole = True

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self._search_generation += 1
        self.run_search(event.value, self._search_generation)

    #: The newest text waiting for a search, with its generation (None: none).
    _wanted: tuple[str, int] | None = None
    #: The worker running searches one after another (None: none yet).
    _search_worker: Worker[None] | None = None
    #: The text the search worker is searching now (None: none).
    _searching: str | None = None

    def run_search(self, text: str, generation: int) -> None:
        """Search ``text``: at once when no search is running, else as soon as
        the running one is shown (or dropped as stale). Only the newest text
        waits: the keys typed meanwhile fold into its one search, so the
        last key's results come at most one search after it."""
        self._wanted = (text, generation)
        worker = self._search_worker
        if worker is None or worker.is_finished or worker.is_cancelled:
            self._search_worker = self._search_queue()

    @work(exclusive=True, group="search", exit_on_error=False)
    async def _search_queue(self) -> None:
        while self._wanted is not None:
            text, generation = self._wanted
            self._wanted = None
            if DEBOUNCE:
                await asyncio.sleep(DEBOUNCE)
                if self._wanted is not None:
                    continue  # a newer key came meanwhile
            self._searching = text
            try:
                await self.apply_search(text, generation)
            finally:
                self._searching = None

    async def apply_search(self, text: str, generation: int) -> bool:
        """Run ``text`` and show the results unless the box changed meanwhile.
        Returns False for a bad query."""
        if not text.strip():
            return self._present(text, generation, None, None)
        try:
            result = await self.dapp.search_async(text, lambda: self.search_bar.value)
        except QueryError as exc:
            return self._present(text, generation, None, exc)
        except Exception as exc:  # a defect or a file gone, not the query
            return self._failed(text, generation, exc)
        if result is None:
            return True  # skipped: the box had moved on before it ran
        return self._present(text, generation, result, None, typing=True)

    def _failed(self, text: str, generation: int, exc: Exception) -> bool:
        """A search that raised, not for its query (a defect, a file gone):
        said in the bar, the list kept as it is (a typed search's worker
        dropped it without a word; Enter's ended the app)."""
        if generation == self._search_generation:
            why = tx.line(str(exc)) or type(exc).__name__
            self.search_bar.show_error(f"Search failed: {why}")
            self._log_shown(text, "error")
        return False

    def _present(
        self,
        text: str,
        generation: int,
        result: SearchResult | None,
        error: Exception | None,
        *,
        typing: bool = False,
    ) -> bool:
        """Show a search's outcome (an empty box restores the list);
        ``typing``: results of a key typed (see ``set_view``)."""
        if error is not None:
            if generation == self._search_generation:
                self.search_bar.show_error(f"Invalid query: {error}")
                self._log_shown(text, "error")
            return False
        if not text.strip():
            self.search_bar.show_error(None)
            if self.view.kind == "search":
                self.set_view(self.base, keep=self._current_id())
            self._log_shown(text, "cleared")
            return True
        if generation != self._search_generation or self.search_bar.value != text:
            return True  # the box moved on: these results are stale
        if result is None:
            return True  # skipped before it ran
        self.search_bar.show_error(None)
        self._shown_whole = result.parsed is None or searched_whole(text, result.parsed.text)
        papers = self.dapp.papers_for(result.hits)
        label = f"Search: {text.strip()}"
        natural = result.sort or "relevance"
        view = View(
            "search",
            label,
            papers,
            text,
            list(result.terms),
            total=result.total,
            exact=result.exact,
        )
        view.natural = natural
        if self.view.kind == "search" and self.view.order:
            view = view.sorted(self.view.order)  # the order chosen stays while typing
        keep = self._rerun[1] if self._rerun[0] == generation else None
        self.set_view(view, keep=keep, typing=typing)
        self._log_shown(text, "results")
        if typing:
            # drawn now, not at the screen's next tick (see paint_now): the
            # list, its scroll bar and the count above it
            status = self.status
            paint_now(self, self.papers, self.papers.vertical_scrollbar, status, *status.children)
        return True

    def _log_shown(self, text: str, what: str) -> None:
        """Once the screen has painted it, note a search's outcome in the
        file named by ``$DIGEST_READER_SHOWN_LOG`` (see ``SHOWN_LOG_VAR``)."""
        if self._shown_log is None:
            return
        log, view = self._shown_log, self.view

        def write() -> None:
            line = json.dumps([time.monotonic(), text, what, view.total, view.exact])
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

        self.compositor.after_paint(write)

    def submit_search(self, text: str) -> None:
        """Enter in the box: show the results and move to the first one."""
        self.workers.cancel_group(self, "search")
        self._search_generation += 1
        # Synchronous on purpose (a query takes milliseconds): keys typed
        # right after Enter must act on the new results, not land in the box
        # or on the previous list.
        generation = self._search_generation
        shown = self.view
        if shown.kind == "search" and shown.value == text and self._shown_whole and shown.exact:
            pass  # the results for this text are on screen already
            # (not when their count is "about": a key's scan, shorter than
            # Enter's, stopped before it had seen every paper)
        elif text.strip():
            future = self.dapp.search_future(text)
            try:
                result = future.result(timeout=SUBMIT_WAIT)
            except QueryError as exc:
                self._present(text, generation, None, exc)
            except FutureTimeout:
                # A slow search (a first index build is running): empty the
                # list meanwhile, so no key acts on the previous results.
                self.set_view(View("search", f"Search: {text.strip()}", [], text, searching=True))
                self.papers.empty_text = "Searching…"
                future.add_done_callback(
                    lambda f: self.app.call_from_thread(self._submitted_late, text, generation, f)
                )
            except Exception as exc:
                self._failed(text, generation, exc)
            else:
                self._present(text, generation, result, None)
        else:
            self._present(text, generation, None, None)
        self.papers.move_to(0)
        self.app.set_focus(self.papers)

    def _submitted_late(
        self, text: str, generation: int, future: Future[SearchResult | None]
    ) -> None:
        try:
            result = future.result()
        except QueryError as exc:
            self._present(text, generation, None, exc)
            return
        except Exception as exc:
            if not future.cancelled():  # cancelled: a stale search, skipped
                self._failed(text, generation, exc)
            return
        if generation != self._search_generation:
            return  # the box or the list moved on: the cursor stays where it is
        self._present(text, generation, result, None)
        self.papers.move_to(0)

    def clear_search(self, *, restore: bool = True) -> None:
        bar = self.search_bar
        self.workers.cancel_group(self, "search")
        self._search_generation += 1
        if bar.value:
            with bar.input.prevent(Input.Changed):
                bar.input.value = ""
        bar.show_error(None)
        if restore and self.view.kind == "search":
            self.set_view(self.base, keep=self._current_id())

    # -- list events ------------------------------------------------------------

    #: When the cursor last moved to another paper (``time.monotonic``).
    _moved_at: float = -1.0
    #: True while the pane waits for a repeating key to stop.
    _follow_pending: bool = False

    @on(PaperList.Highlighted)
    def paper_highlighted(self, event: PaperList.Highlighted) -> None:
        self.follow_cursor()

    def follow_cursor(self) -> None:
        """Show the paper under the cursor (once per paper) and start its read timer.

        The pane follows in the frame after the list's: the cursor's move is
        on screen first (a few ms: two rows), and the paper's text, most of a
        move's cost (2-5 ms of layout at 100k on two shared cores, more with
        a long abstract), no longer delays it. While a key repeats (moves
        under ``FOLLOW_REPEAT`` apart) the pane waits until the moves stop for
        ``FOLLOW_DELAY``: holding ``j`` then costs only the list per row.
        Called for a key's move by its action, then again by the list's
        ``Highlighted``: the second call finds the pane waiting for the
        move's frame already (it then shows the paper under the cursor)."""
        if self._pane_pending:
            return  # the pane follows the list's new results, the cursor's paper then
        paper = self.papers.current
        if paper is self.abstract.paper and paper is not None:
            return
        if self._after_frame:
            return  # the pane follows the frame asked for, the cursor's paper then
        now = time.monotonic()
        repeating = now - self._moved_at < FOLLOW_REPEAT
        self._moved_at = now
        if repeating and paper is not None:
            self.start_read_timer(None)  # no paper is shown long enough to count
            if not self._follow_pending:
                self._follow_pending = True
                self.set_timer(FOLLOW_DELAY, self._follow_later)
            return
        if not self._after_frame:
            self._after_frame = True
            self.stop_read_timer()
            self.compositor.after_paint(lambda: self.call_later(self._follow_now))

    #: True while the pane waits for the frame that shows the cursor's move.
    _after_frame: bool = False

    def _moved(self) -> None:
        """After a key's move: the pane follows, and the cursor's rows are
        drawn now, not at the screen's next tick (see :func:`paint_now`):
        while a fetch or a sync updates the status line, frames are drawn on
        the tick grid and a move waited for the next one, 15-40 ms after its
        key (``app_fetch_bench.py``: no stall of the loop nor of the GIL
        beside it). Drawn after the pane has asked for that frame. Then,
        once the pane has followed, the list draws the page beyond ahead of
        the next key (:meth:`PaperList.draw_ahead`)."""
        self.follow_cursor()
        paint_now(self, self.papers, self.papers.vertical_scrollbar)
        self.call_later(self.papers.draw_ahead)

    def _follow_now(self) -> None:
        self._after_frame = False
        if self._follow_pending or self._pane_pending:
            return  # a held key or new results: the pane follows them instead
        paper = self.papers.current
        if paper is not self.abstract.paper or paper is None:
            self.show_paper(paper)
            paint_now(self, self.abstract)
        self.start_read_timer(paper)

    def _follow_later(self) -> None:
        wait = self._moved_at + FOLLOW_DELAY - time.monotonic()
        if wait > 0.002:  # still moving: one timer for the whole burst
            self.set_timer(wait, self._follow_later)
            return
        self._follow_pending = False
        paper = self.papers.current
        if paper is not self.abstract.paper or paper is None:
            self.show_paper(paper)
        self.start_read_timer(paper)  # for the paper the pane finally shows

    def pane_now(self) -> None:
        """A key that acts on the abstract pane (its numbered links, its
        scroll, full screen) acts on the paper under the cursor, even when it
        comes before the frame the pane follows in (``j`` then ``l3`` in one
        burst: a paste, a slow link): the pane shows that paper first."""
        paper = self.papers.current
        if self._pane_pending or paper is not self.abstract.paper:
            self._pane_pending = False
            self.show_paper(paper)
            self.start_read_timer(paper)

    def show_paper(self, paper: Paper | None) -> None:
        self.dapp.paper_shown(paper.id if paper else None)
        state = self.dapp.state_of(paper.id) if paper else None
        self.abstract.show(paper, state, self.view.terms)

    def start_read_timer(self, paper: Paper | None) -> None:
        self.stop_read_timer()
        if not self.is_current:
            return  # under a dialog: on_screen_resume starts it
        delay = self.dapp.config.read_after_seconds
        if paper is None or delay <= 0 or self.dapp.state_of(paper.id).read:
            return
        self._read_timer = self.set_timer(delay, lambda: self.auto_read(paper.id))

    def on_screen_suspend(self) -> None:
        """A dialog, the help or the palette covers the list: no paper is
        being read meanwhile (a paper marked read under "Mark 68 papers
        read?" would leave the answer marking 67)."""
        self.stop_read_timer()

    def on_screen_resume(self) -> None:
        """Back from a dialog: the paper shown starts its full wait again."""
        if self._read_timer is None and not (self._follow_pending or self._after_frame):
            self.start_read_timer(self.papers.current)

    def stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def auto_read(self, pid: str) -> None:
        self._read_timer = None
        current = self.papers.current
        if not self.is_current:
            return
        if current is None or current.id != pid or self.dapp.state_of(pid).read:
            return
        if self.dapp.state.read_only:
            return  # the banner already says so; no error every few seconds
        if self.dapp.mutate(lambda: self.dapp.state.set_read([pid], True)):
            self.state_changed()

    @on(Sidebar.Chosen)
    def sidebar_chosen(self, event: Sidebar.Chosen) -> None:
        self.apply_entry(event.entry)
        self.papers.focus()

    def state_changed(self) -> None:
        """The user's state changed: redraw the rows, the pane and the counts."""
        self.papers.state_changed()
        self.show_paper(self.papers.current)
        self.update_status()
        if self.sidebar.display:
            self.fill_sidebar(later=True)

    def refresh_state(self) -> None:
        try:
            changed = self.dapp.state.refresh()
        except Exception:
            changed = False
        if changed:
            self.show_banner()
            self.state_changed()

    # -- counts and number keys -----------------------------------------------------

    #: Digits typed before a key, as typed: its count (``5j`` moves five).
    _count_typed: str = ""
    #: The count of the key being handled (0: none was typed).
    _count: int = 0
    #: After a prefix key (``l``): the action the next digit 1-9 completes.
    _number_action: str = ""

    async def on_key(self, event: events.Key) -> None:
        """Digits before a key are its count, as in vim; after ``l`` a digit
        is a link number.

        A key of this screen runs its binding here (with its count, if one
        was typed) rather than through the binding lookup that follows this
        handler: keys typed in one burst (``5j6k``, ``g5j``) reach this
        handler one after another before any binding runs, so a count kept
        for later would be taken by the wrong key, and a key left to the
        lookup would run after the keys typed behind it."""
        char = event.character or ""
        if self._number_action:
            action, self._number_action = self._number_action, ""
            self.status.set_pending("")
            if len(char) == 1 and char in "123456789":
                event.stop()
                event.prevent_default()
                await self.run_action(f"{action}({char})")
                return
            if event.key == "escape":
                event.stop()
                return
        if len(char) == 1 and char.isdigit() and (char != "0" or self._count_typed):
            event.stop()
            event.prevent_default()
            self._count_typed = (self._count_typed + char)[-6:]
            self.status.set_pending(self._count_typed)
            return
        active = self.active_bindings.get(event.key)
        ours = active is not None and active.node is self and event.key != "escape"
        if not self._count_typed:
            if ours and active is not None:
                # Run here too, not where the key ends its bubbling at the app:
                # by then the keys typed after it ("g5j") have already run here.
                event.stop()
                event.prevent_default()
                await self.run_action(active.binding.action)
            return
        count, self._count_typed = int(self._count_typed), ""
        self.status.set_pending("")
        if event.key == "escape" or ours:
            event.stop()  # Esc drops the count, and only the count
            event.prevent_default()
        if not ours or active is None:
            return  # a key of another widget, or no key: the count is dropped
        self._count = count
        try:
            await self.run_action(active.binding.action)
        finally:
            self._count = 0

    def _take_count(self, default: int = 1) -> int:
        """The count typed before this key (``default`` when none)."""
        n, self._count = self._count, 0
        return n or default

    def action_then_number(self, action: str) -> None:
        """A prefix key: the next digit 1-9 runs ``action(N)`` (``l 3``
        copies link 3); any other key cancels it and acts as itself. Bound
        with priority, so the digit typed in the same burst finds it set."""
        self._count_typed = ""
        self._number_action = action
        self.status.set_pending("link 1-9?")

    # -- actions: moving ---------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.papers.move(self._take_count())
        self._moved()

    def action_cursor_up(self) -> None:
        self.papers.move(-self._take_count())
        self._moved()

    def action_page_down(self) -> None:
        self.papers.move(self.papers.page * self._take_count())
        self._moved()

    def action_page_up(self) -> None:
        self.papers.move(-self.papers.page * self._take_count())
        self._moved()

    def action_first(self) -> None:
        self.papers.move_to(self._take_count() - 1)
        self._moved()

    def action_last(self) -> None:
        count = self._take_count(0)
        self.papers.move_to(count - 1 if count else len(self.papers.papers) - 1)
        self._moved()

    def action_next_unread(self) -> None:
        """The next unread paper of the list (round to the top); when the list
        is all read, a day view goes on to the next day with unread papers;
        "all caught up" when nothing anywhere is left."""
        self._take_count()
        papers = self.papers.papers
        read = self.dapp.read_ids()
        here = self.papers.cursor
        i = views.next_unread(papers, here, read) if papers else None
        if i is not None:
            if i == here:
                self.notify("This is the only unread paper here.")
                return
            if i < here:
                self.notify("Back to the top of the list.", timeout=2)
            self.papers.move_to(i)
            self.follow_cursor()
            return
        if self.view.kind == "day":
            library, done = self.dapp.library, self.view.value
            counts = views.library_day_counts(library, read)
            day = views.next_day_with_unread(library.days(), done, counts)
            if day is None:
                self.notify("All caught up: every paper of every day is read.")
                return
            self.show_day(day, first=True)
            j = views.next_unread(self.papers.papers, -1, read)
            self.papers.move_to(j or 0)
            self.follow_cursor()
            self.notify(f"Day {done} is all read: on to {day}.", timeout=3)
            return
        self.notify("All caught up: every paper in this list is read.")

    def action_abstract_down(self) -> None:
        self.pane_now()
        for _ in range(min(self._take_count(), 100)):
            self.abstract.scroll_page_down(animate=False)

    def action_abstract_up(self) -> None:
        self.pane_now()
        for _ in range(min(self._take_count(), 100)):
            self.abstract.scroll_page_up(animate=False)

    def _step_day(self, older: bool) -> bool:
        """``[``/``]``: in a day view, show the older/newer day; in a list in
        date order, put the cursor on that day's first paper at the top of
        the screen; in a list in another order, show the day before/after
        the paper's own day."""
        days = self.dapp.library.days()
        if not days:
            return False
        paper = self.papers.current
        if self.view.kind == "day" or (
            paper is not None and not views.by_day(self.view.shown_order)
        ):
            here = self.view.value if self.view.kind == "day" else paper.date if paper else ""
            day = views.adjacent_day(days, here, older)
            if day is not None:
                self.clear_search(restore=False)
                self.show_day(day, first=True)
                return True
            self.notify("No older digest day." if older else "No newer digest day.")
            return False
        if paper is None:
            self.show_day(days[0], first=True)
            return True
        runs = self.papers.runs or views.day_runs(self.papers.papers)
        target = views.step_day(runs, self.papers.cursor, older)
        if target is None:
            self.notify(
                "No older digest day in this list."
                if older
                else "No newer digest day in this list."
            )
            return False
        self.papers.show_at_top(target)
        self.follow_cursor()
        return True

    def action_prev_day(self) -> None:
        for _ in range(min(self._take_count(), 1000)):
            if not self._step_day(older=True):
                break

    def action_next_day(self) -> None:
        for _ in range(min(self._take_count(), 1000)):
            if not self._step_day(older=False):
                break

    # -- actions: this paper -----------------------------------------------------

    def _paper(self) -> Paper | None:
        paper = self.papers.current
        if paper is None:
            self.notify("No paper selected.", severity="warning")
        return paper

    def action_star(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        state = self.dapp.state
        result: list[bool] = []

        def what(_: int) -> str:
            return f"{'starred' if result[0] else 'unstarred'} {_short(paper)}"

        def toggle() -> None:
            result.append(state.toggle_star(paper.id))

        if self.dapp.mutate_undoable(what, "starred", [paper.id], toggle):
            self.last_edit = result[0]
            self.state_changed()

    def action_tag(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        current = sorted(self.dapp.state_of(paper.id).tags)
        known = self.dapp.state.tag_counts()

        def done(edit: TagEdit | None) -> None:
            if edit:
                self.apply_tags(paper, edit)

        self.app.push_screen(TagDialog(paper.title, current, known), done)

    def apply_tags(self, paper: Paper, edit: TagEdit) -> bool:
        state = self.dapp.state
        before = self.dapp.state_of(paper.id).tags
        change = edit.against(before)
        message = edit.describe(before)
        if not change:
            self.last_edit = edit
            self.notify(
                message[:1].upper() + message[1:] + ": nothing changed.", title="Tags", markup=False
            )
            return False

        def apply() -> None:
            if change.add:
                state.add_tags([paper.id], change.add)
            if change.remove:
                state.remove_tags([paper.id], change.remove)

        what = f"{message} on {_short(paper)}"
        if self.dapp.mutate_undoable(what, "tags", [paper.id], apply):
            self.last_edit = edit
            self.notify(message, title="Tags saved", markup=False)
            self.state_changed()
            return True
        return False

    def action_repeat(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        if self.last_edit is None:
            self.notify("Nothing to repeat yet: star (s) or tag (t) a paper first.")
            return
        value = self.last_edit
        if isinstance(value, bool):
            what = f"{'starred' if value else 'unstarred'} {_short(paper)}"

            def star() -> None:
                self.dapp.state.set_starred([paper.id], value)

            if self.dapp.mutate_undoable(what, "starred", [paper.id], star):
                self.state_changed()
        else:
            self.apply_tags(paper, value)

    def action_toggle_read(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        on = not self.dapp.state_of(paper.id).read
        self.stop_read_timer()
        what = f"marked {_short(paper)} {'read' if on else 'unread'}"

        def mark() -> None:
            self.dapp.state.set_read([paper.id], on)

        if self.dapp.mutate_undoable(what, "read", [paper.id], mark):
            self.state_changed()

    def bulk_read_target(self) -> tuple[Sequence[Paper], str] | None:
        """What ``R`` marks read, and how to name it: in a day view that day;
        in "All papers" the day of the paper under the cursor; in any other
        list (a search, a tag, similar papers...) the papers it shows."""
        if self.view.kind == "day":
            return self.dapp.library.on_day(self.view.value), f"of {self.view.value}"
        if self.view.kind != "all":
            shown = "of this search" if self.view.kind == "search" else "of this list"
            return self.view.papers, shown
        paper = self._paper()
        if paper is None:
            return None
        if not paper.date:
            self.notify("This paper has no digest day.", severity="warning")
            return None
        return self.dapp.library.on_day(paper.date), f"of {paper.date}"

    def action_day_read(self) -> None:
        target = self.bulk_read_target()
        if target is None:
            return
        papers, where = target

        def unread() -> list[str]:
            read = self.dapp.read_ids()
            return [pid for pid in ids_of(papers) if pid not in read]

        def mark(yes: bool | None = True) -> None:
            ids = unread()  # again: a paper may have been read meanwhile
            if not yes or not ids:
                return
            state = self.dapp.state

            def change() -> None:
                state.set_read(ids, True)

            if self.dapp.mutate_undoable(undo.marked_read, "read", ids, change):
                undoes = f" ({self.dapp.keys_of('undo')} undoes)"
                self.notify(f"Marked {counted(len(ids), 'paper')} {where} read{undoes}.")
                self.state_changed()

        count = len(unread())
        if not count:
            self.notify(f"All {counted(len(papers), 'paper')} {where} are read already.")
        elif count > undo.ASK_OVER:
            question = f"Mark {counted(count, 'paper')} {where} read?"
            detail = f"{self.dapp.keys_of('undo')} undoes it afterwards."
            if self.view.total > len(self.view.papers) and self.view.kind == "search":
                detail = (
                    f"Only the papers listed: the search matches {self.view.total:,}. " + detail
                )
            self.app.push_screen(ConfirmDialog(question, detail), mark)
        else:
            mark()

    def action_undo(self) -> None:
        undone: list[undo.Step | None] = []
        if not self.dapp.mutate(lambda: undone.append(self.dapp.undo_log.undo())):
            return
        step = undone[0]
        if step is None:
            self.notify("Nothing to undo.")
            return
        self.notify(f"Undid: {step.what}", markup=False)
        self.state_changed()

    async def action_note(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        note = self.dapp.state_of(paper.id).note
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if editor:
            text = self._edit_externally(editor, note)
            if text is not None:
                self.save_note(paper, text)
                return

        def done(text: str | None) -> None:
            if text is not None:
                self.save_note(paper, text)

        self.app.push_screen(NoteDialog(paper.title, note), done)

    def _edit_externally(self, editor: str, note: str) -> str | None:
        """Run ``$EDITOR`` on the note; None when the app cannot be suspended."""
        fd, name = tempfile.mkstemp(prefix="digest-note-", suffix=".md")
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(note)
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except SuspendNotSupported:
                return None
            except (OSError, ValueError) as exc:
                self.dapp.error(f"Could not run the editor: {exc}")
                return None
            return path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)

    def save_note(self, paper: Paper, text: str) -> None:
        if text.rstrip() == self.dapp.state_of(paper.id).note.rstrip():
            return
        if self.dapp.mutate(lambda: self.dapp.state.set_note(paper.id, text.rstrip())):
            self.notify("Note saved." if text.strip() else "Note removed.")
            self.state_changed()

    def action_similar(self) -> None:
        paper = self._paper()
        if paper is None:
            return
        hits = self.dapp.similar(paper.id)
        if hits is None:
            return
        papers = self.dapp.papers_for(hits)
        # From a list of similar papers, Esc still goes back to where the chain began.
        origin = self.view.origin or (self.view, paper.id, self.base)
        self.clear_search(restore=False)
        label = f"Similar to: {tx.line(paper.title)}"
        self.base = View("similar", label, papers, paper.id, natural="relevance", origin=origin)
        self.set_view(self.base)

    def go_back_to_origin(self) -> bool:
        """Leave a list of similar papers for the list it was opened from,
        with the cursor on the paper it was opened on (and the search text
        back in the box when that list was a search)."""
        if self.view.origin is None:
            return False
        view, pid, self.base = self.view.origin
        if view.kind == "search":
            bar = self.search_bar
            with bar.input.prevent(Input.Changed):
                bar.input.value = view.value
            self._search_generation += 1
        self.set_view(view, keep=pid)
        return True

    # -- actions: copy and open ------------------------------------------------

    def action_copy_link(self) -> None:
        paper = self._paper()
        if paper is not None:
            if paper.url:
                self.dapp.links.copy(paper.url, "link")
            else:
                self.notify("This paper has no link.", severity="warning")

    def copy_choices(self, paper: Paper) -> list[CopyChoice]:
        url = paper.url
        pdf = paper.link("pdf") or ""
        title = tx.line(paper.title)
        bib = self.dapp.bibtex(paper)
        return [
            CopyChoice("l", "Link", url),
            CopyChoice("p", "PDF link", pdf),
            CopyChoice("a", "arXiv id", paper.arxiv_id or ""),
            CopyChoice("m", "Markdown link", f"[{title}]({url})" if url else ""),
            CopyChoice("b", "BibTeX entry", bib),
            CopyChoice("t", "Title", title),
        ]

    def action_copy_menu(self) -> None:
        paper = self._paper()
        if paper is None:
            return

        def done(choice: CopyChoice | None) -> None:
            if choice is not None:
                self.dapp.links.copy(choice.text, choice.label.lower())

        self.app.push_screen(CopyMenu(self.copy_choices(paper)), done)

    def action_copy_numbered(self, n: int) -> None:
        self.pane_now()
        links = self.abstract.links
        if not 1 <= n <= len(links):
            have = counted(len(links), "numbered link")
            self.notify(f"There is no link {n} on this paper ({have}).", severity="warning")
            return
        label, url = links[n - 1]
        self.dapp.links.copy(url, f"link {n} ({label})")

    def action_open(self) -> None:
        paper = self._paper()
        if paper is not None:
            self.dapp.links.open(paper.url)

    def action_open_pdf(self) -> None:
        paper = self._paper()
        if paper is not None:
            self.dapp.links.open(paper.link("pdf") or "", "PDF link")

    def open_choices(self, paper: Paper) -> list[CopyChoice]:
        """The open menu: the PDF, then the numbered links of the pane."""
        choices = [CopyChoice("p", "PDF", paper.link("pdf") or "")]
        for n, (label, url) in enumerate(collect_links(paper)[:9], start=1):
            choices.append(CopyChoice(str(n), label, url))
        return choices

    def action_open_menu(self) -> None:
        paper = self._paper()
        if paper is None:
            return

        def done(choice: CopyChoice | None) -> None:
            if choice is not None:
                self.dapp.links.open(choice.text)

        hint = "letter, number or Enter opens · j/k move · Esc cancels"
        self.app.push_screen(CopyMenu(self.open_choices(paper), title="Open", hint=hint), done)

    # -- actions: views -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # app.focused, not has_focus: has_focus follows the Focus event, which
        # runs after the keys already read.
        box_focused = self.app.focused is self.search_bar.input
        if action in ("focus_search", "then_number") and box_focused:
            return None  # in the box "/" and "l" are characters (None: shown, dimmed)
        return True

    def leave_box(self) -> None:
        """Escape in the box: clear it and go back to the list."""
        self.clear_search()
        self.app.set_focus(self.papers)

    def action_focus_search(self) -> None:
        self._count_typed, self._count, self._number_action = "", 0, ""
        self.status.set_pending("")
        if self.has_class("-zoom"):
            self.remove_class("-zoom")
        # set_focus at once: Widget.focus() waits for the next idle moment, and
        # letters typed straight after "/" would go to the list meanwhile.
        self.app.set_focus(self.search_bar.input)

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        if sidebar.display:
            sidebar.display = False
            self.papers.focus()
        else:
            self.fill_sidebar()
            sidebar.display = True
            sidebar.focus()

    def fill_sidebar(self, *, later: bool = False) -> None:
        """Fill the sidebar. ``later``: a refresh of the open sidebar (the
        user's state changed, the library was read again): its days are
        counted again in a worker thread, a pass over every paper (50 ms at
        91k papers; with the fill, 60-150 ms on the event loop at every paper
        read), and it shows the counts it has until then. The saved
        searches' counts come from the search thread (each runs a query) and
        are shown when they are known, the last known ones until then."""
        app = self.dapp
        if later:
            self._count_days(app.read_ids())
        else:
            read = app.read_ids()
            self._days = self._day_counts(read, wait=False)
            self._fill_sidebar()
            if any(count is None for _, _, count in self._days[1]):
                self._count_days(read)  # a source over the catalog: counted apart
        if app.config.saved_searches:
            self._count_saved()

    #: The saved searches' counts last made, by name.
    _saved_counts: dict[str, Count | None] = {}  # replaced whole, never changed in place
    #: The days (day, papers, unread) and the remembered sources last counted.
    _days: tuple[list[tuple[str, int, int]], list[tuple[str, str, int | None]]] = ([], [])

    def _day_counts(
        self, read: set[str], wait: bool = True
    ) -> tuple[list[tuple[str, int, int]], list[tuple[str, str, int | None]]]:
        """Every day with its papers and unread ones (from the catalog's days,
        or a pass over the papers in memory), and the remembered sources with
        theirs (``wait`` False: those not counted yet without a count; any
        thread)."""
        app = self.dapp
        days = views.library_sidebar_days(app.library, read)
        return days, app.sources(wait)

    @work(thread=True, exclusive=True, group="sidebar-days", exit_on_error=False)
    def _count_days(self, read: set[str]) -> None:
        counted_days = self._day_counts(read)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._days_counted, counted_days)

    def _days_counted(
        self, counted_days: tuple[list[tuple[str, int, int]], list[tuple[str, str, int | None]]]
    ) -> None:
        self._days = counted_days
        if self.sidebar.display:
            self._fill_sidebar()

    @work(exclusive=True, group="sidebar", exit_on_error=False)
    async def _count_saved(self) -> None:
        app = self.dapp
        searches = dict(app.config.saved_searches)
        counts = await app.in_search_thread(
            lambda: {name: app.count(q) for name, q in searches.items()}
        )
        if counts != self._saved_counts:
            self._saved_counts = counts
            if self.sidebar.display:
                self._fill_sidebar()

    def _fill_sidebar(self) -> None:
        app = self.dapp
        days, sources = self._days
        tags = sorted(app.state.tag_counts().items())
        known = self._saved_counts
        saved = [(name, known.get(name)) for name in app.config.saved_searches]
        self.sidebar.fill(
            len(app.library.papers),
            len(app.state.starred_ids()),
            days,
            tags,
            saved,
            sources,
        )

    def action_catch_up(self) -> None:
        app = self.dapp
        library = app.library
        found = views.catch_up(library.days(), library.on_day, app.last_session, app.read_ids())
        self.clear_search(restore=False)
        self.base = found.view()
        self.set_view(self.base)
        if not found.papers:
            self.notify("All caught up: nothing unread since the last session.")

    def action_zoom(self) -> None:
        if self.search_bar.input.has_focus:
            self.papers.focus()
            return
        if self.has_class("-zoom"):
            self.remove_class("-zoom")
            self.papers.focus()
        else:
            self.pane_now()
            self.add_class("-zoom")
            self.abstract.focus()

    def action_back(self) -> None:
        if self.has_class("-zoom"):
            self.remove_class("-zoom")
            self.papers.focus()
        elif self.search_bar.value:
            self.clear_search()
            self.papers.focus()
        elif self.sidebar.has_focus:
            self.papers.focus()
        elif self.go_back_to_origin():
            pass
        elif self.view.kind != "all":
            self.show_all()

    def action_cycle_sort(self) -> None:
        """The next order for this list (newest, upvotes, title; a search or
        the catch-up also comes back to its own order)."""
        view = self.view
        order = views.next_sort(view.shown_order, view.natural)
        sorted_view = view.sorted(order)
        if self.base is view:
            self.base = sorted_view
        self.set_view(sorted_view, keep=self._current_id())

    def action_show_all(self) -> None:
        self.clear_search(restore=False)
        self.show_all()

    def action_export(self) -> None:
        formats = self.dapp.export_formats()
        if not formats:
            self.dapp.error("Export is not available.")
            return
        papers = self.view.papers  # read when written, not to ask where

        def done(choice: tuple[str, Path] | None) -> None:
            if choice is not None:
                self.dapp.export_to(papers, *choice)

        self.app.push_screen(ExportDialog(formats, len(papers)), done)

    def action_next_theme(self) -> None:
        self.dapp.next_theme()

    def action_problems(self) -> None:
        self.dapp.show_problems()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.dapp.config.keymap))

    async def action_quit(self) -> None:
        await self.app.action_quit()


def _short(paper: Paper, width: int = 48) -> str:
    """A paper's title, quoted and cut to ``width``, for a notification."""
    title = tx.line(paper.title)
    if len(title) > width:
        title = title[: width - 1] + "…"
    return f"“{title}”"
