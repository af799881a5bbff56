"""The Textual app over one :class:`~reader.session.Session`: themes, the
exit on SIGTERM/SIGHUP, the workers (index, the rest of a partial library,
fetch), the search thread, notifications, undo and the palette. It is the
main screen's :class:`~reader.tui.services.MainServices`.

:func:`run_app` is the entry point the CLI calls when no subcommand is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, get_current_worker

from reader import views
from reader.config import Config, ConfigError, load_config
from reader.model import Digest, Paper, Problem
from reader.paths import Paths, resource_dir
from reader.session import Session
from reader.state import PaperState, StateError
from reader.tui import commands
from reader.tui import text as tx
from reader.tui.collector import TICK as COLLECT_TICK
from reader.tui.collector import IdleCollector
from reader.tui.fetching import FetchingMixin
from reader.tui.links import Links, notify_error
from reader.tui.prefs import UiPrefs
from reader.tui.screens.main import MainScreen
from reader.tui.search_thread import SearchThread
from reader.tui.services import IndexMoved, LibraryTaken, ScreenSignals
from reader.tui.signals import SignalExit
from reader.tui.themes import CYCLE, OUR_THEMES, initial_theme
from reader.tui.widgets.sidebar import Sidebar
from reader.undo import UndoLog
from reader.views import View
from reader.wording import counted, problems_told

if TYPE_CHECKING:  # the engine loads Whoosh: not before the first screen
    from reader.library import Library
    from reader.search.engine import Count, SearchEngine, SearchResult
    from reader.search.engine import Hit as Found
    from reader.state import StateStore

STYLES = resource_dir("styles") / "app.tcss"
#: The search box lists the best this many matches (the status line gives the
#: total): 70k hits for "models" cost 3 s to rank in full, 75 ms for the best 1000.
TYPED_LIMIT = 1000
#: Seconds a search may spend scanning papers the index does not hold yet
#: (a first build): then it shows what it found, the count "about".
SCAN_BUDGET = 0.12
#: The same for a key's search while typing: less than a key's time at 10
#: keys/s, so each key's search ends before the next key cancels it. With
#: 0.12 s, over the real digests every key's scan ran to its deadline and
#: the next key came first: no key's results were shown until typing
#: stopped (every key p95 2.1 s, `typing_bench.py --cold`). Enter's
#: search scans with ``SCAN_BUDGET``; the newest papers are scanned first.
TYPED_SCAN_BUDGET = 0.05
#: During a first read the list takes in the papers read so far at most this
#: often (seconds; see ``reading.SoFar.due``).
READ_REFRESH = 0.5


#: The state of a paper when the state store cannot answer.
BLANK = PaperState()


T = TypeVar("T")


class DigestCommands(Provider):
    """The reader's commands in the palette (one entry per :class:`Command`),
    plus saved searches. Titles and help reach the palette as plain text."""

    def _entries(self) -> list[tuple[str, str, Callable[[], None]]]:
        app = self.app
        assert isinstance(app, DigestApp)
        keymap = app.config.keymap
        out: list[tuple[str, str, Callable[[], None]]] = []
        for cmd in commands.COMMANDS:
            if not cmd.palette:
                continue
            keys = cmd.shown_keys(keymap) if cmd.keys else ""
            help_text = f"{cmd.help} (key: {keys})" if keys and keys != "no key" else cmd.help
            out.append((cmd.title, help_text, partial(app.run_main_action, cmd.action)))
        for name in app.config.saved_searches:
            out.append(
                (
                    f"Saved search: {tx.line(name)}",
                    "Show the papers of this saved search",
                    partial(app.open_saved_search, name),
                )
            )
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(Content(title), callback, text=title, help=_no_markup(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, Content(title), callback, text=title, help=_no_markup(help_text))


def _no_markup(text: str) -> str:
    """The palette parses ``help`` as markup: escape every bracket."""
    return text.replace("\\", "\\\\").replace("[", "\\[")


@dataclass
class IndexProgress(Message):
    """The index worker's progress (replaces the previous one in the queue)."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexProgress)


@dataclass
class IndexDamaged(Message):
    """The index failed its checks at start: it is rebuilt in the background."""

    detail: str = ""


@dataclass
class ReadSoFar(Message):
    """A first read's papers so far, with their list made in the worker (the
    newest replaces one not yet taken; the last holds them all, every file
    read and merged, while their catalog is written)."""

    library: Library
    prepared: View

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ReadSoFar)


@dataclass
class FirstReadParsed(Message):
    """A first read has read and merged every file: ``library`` whole, its
    catalog being written meanwhile (the index is built from it now)."""

    library: Library


@dataclass
class FirstReadDone(Message):
    """A first read has ended: ``library`` read whole (None: it failed)."""

    library: Library | None
    prepared: View | None = None
    error: str = ""


@dataclass
class IndexDone(Message):
    """The index is in line with the library (or could not be built)."""

    error: str = ""
    cancelled: bool = False


class DigestApp(FetchingMixin, App[int]):
    """The reader over ``session`` (:func:`build_app` makes one for the
    user's library). ``build_index``: False keeps the index as it is (tests)."""

    TITLE = "digest-reader"
    CSS_PATH = STYLES
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | {
        DigestCommands
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-ctrl-c"),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        session: Session,
        *,
        clock: Callable[[], float] = time.time,
        build_index: bool = True,
    ) -> None:
        #: The library, the state and search: everything the app shows.
        self.session = session
        #: The user's star, tag and read changes, for ``u``.
        self.undo_log = UndoLog(session.state)
        self.clock = clock
        self.prefs = UiPrefs.load(self.paths.ui_file)
        #: When the previous session started (the catch-up view starts there).
        self.last_session = self.prefs.last_session
        self._want_index = build_index and session.wants_index
        #: Every query, one after another, and the engine's warm-up in their gaps.
        self._pool = SearchThread()
        #: Copying and opening, with what the user is told.
        self.links = Links(self, session.config.opener)
        #: SIGTERM and SIGHUP end the app within 2 s, whatever it is doing.
        self.signal_exit: SignalExit | None = None
        #: Full garbage collections when no key is coming (``collector``).
        self.collector = IdleCollector()
        #: A first build runs: fold the papers' text for the scan once its
        #: processes are forked (see ``build_index``).
        self._fold_when_forked = False
        #: The index is being built from a first read's papers in hand
        #: (:class:`FirstReadParsed`), and the library taken in since is to
        #: be synced once it is done (then nothing to do: the same files).
        self._first_build = False
        self._sync_after_build = False
        session.scan_budget = SCAN_BUDGET
        # A sync's analysis and commit in a child process: not the GIL the
        # cursor needs (a fetch's 500 papers: 60-230 ms moves when in a thread).
        session.sync_apart = True
        super().__init__()
        #: What the app tells the screen (it never calls into the screen).
        self.signals = ScreenSignals(self)
        #: The paper the abstract pane shows (``paper_shown``).
        self.shown_id: str | None = None
        self.init_fetching()
        for theme in OUR_THEMES:
            self.register_theme(theme)
        self.theme = initial_theme(self.prefs.theme, self.config.theme, set(self.available_themes))
        if self.config.keymap:
            self.set_keymap(dict(self.config.keymap))

    # -- lifecycle ---------------------------------------------------------------

    def on_mount(self) -> None:
        self.prefs.last_session = self.clock()
        self.prefs.theme = self.theme
        self.prefs.save(self.paths.ui_file)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.collector.start()
        self.set_interval(COLLECT_TICK, self.collector.tick)
        self.push_screen(MainScreen(self))
        self.notify_config_warnings()
        if self.library.reading is not None:
            # No library to start from (a first open): the screen is up at
            # once and the digests are read meanwhile, the list filling in.
            self.set_timer(0.05, self.first_read)
        elif not self.library.complete:
            # After the first paint: reading the rest holds the GIL for most
            # of a second, which would delay the very frame it exists to speed up.
            # The index waits for the whole library.
            self.set_timer(0.3, self.load_rest)
        elif self._want_index:
            self.set_timer(0.3, self.build_index)  # after the first paint
        self.fetch_on_start()
        if not self.is_headless:
            if self.signal_exit is None:  # not started by run_app: handled from now
                self.signal_exit = SignalExit()
                self.signal_exit.install()
            hold = self.state.hold_for_exit
            self.signal_exit.attach(asyncio.get_running_loop(), self._end_on_signal, hold)

    def _end_on_signal(self, signum: int) -> None:
        self.exit(return_code=128 + signum)

    def on_unmount(self) -> None:
        self._pool.shutdown()
        self.collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.collector.key()
            self._keyed = True
        await super().on_event(event)

    def _theme_changed(self, theme: Theme) -> None:
        self.prefs.theme = theme.name
        self.prefs.save(self.paths.ui_file)

    @property
    def main(self) -> MainScreen:
        """The main screen, while its widgets exist (LookupError before),
        for tests and benchmarks: the app itself never reaches into it, it
        publishes on :attr:`signals` (``tests/test_house.py``)."""
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) and screen.is_mounted and screen.is_attached:
                return screen
        raise LookupError("no main screen")

    def run_main_action(self, action: str) -> None:
        """A command of the palette: run by the screen, once the palette is gone."""
        self.call_later(self.signals.action.publish, action)

    def open_saved_search(self, name: str) -> None:
        self.signals.saved_search.publish(name)

    def paper_shown(self, pid: str | None) -> None:
        self.shown_id = pid

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for cmd in super().get_system_commands(screen):
            if cmd.title in ("Quit", "Keys"):
                continue  # ours quit the same way; ? is the help
            yield cmd

    # -- the session's objects -------------------------------------------------------

    @property
    def paths(self) -> Paths:
        return self.session.paths

    @property
    def config(self) -> Config:
        return self.session.config

    @property
    def library(self) -> Library:
        return self.session.library

    @property
    def state(self) -> StateStore:
        return self.session.state

    @property
    def searcher(self) -> SearchEngine:
        """The searcher over the current library (made on first use)."""
        return self.session.searcher

    # -- a first read --------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="library")
    def first_read(self) -> None:
        """Read every digest (no library in the cache to start from): the
        papers read so far are posted as they come (:class:`ReadSoFar`, the
        small files first); every file read and merged, the whole library
        (:class:`FirstReadParsed`: the index is built from it while the
        catalog is written; and shown, as the last list so far); then the
        library opened again from the catalog as a warm start opens it, its
        papers read as they are shown (:class:`FirstReadDone`). Quitting stops the read
        at the next digest, and nothing is written to the cache then; once
        every file is read, it lets the catalog's write end (one SQLite
        transaction) and reads no more."""
        from reader.library import ReadStopped
        from reader.reading import SoFar

        worker = get_current_worker()
        so_far = SoFar()

        def show(now: bool = False) -> None:
            if not now and not so_far.due(self.read_refresh):
                return
            start = time.monotonic()
            library = so_far.library()
            prepared = prepare_list(library)
            so_far.made(time.monotonic() - start)
            if not worker.is_cancelled:
                self.post_message(ReadSoFar(library, prepared))

        def sink(_path: Path, digest: Digest) -> None:
            if worker.is_cancelled:
                raise ReadStopped
            so_far.add(digest)
            show()

        def progress(done: int, total: int, label: str) -> None:
            if worker.is_cancelled:
                raise ReadStopped
            so_far.at(done, total, label)
            # the start, the end, and a large file (read for a while) named at once
            show(now=done in (0, total) or bool(so_far.large))

        def parsed(whole: Library) -> None:
            if worker.is_cancelled:
                return
            if self._want_index:
                self.post_message(FirstReadParsed(whole))  # the build starts from it
            # Shown at once, as the last list so far (it replaces one not yet
            # taken): the papers in hand are the library, their catalog is
            # written meanwhile (tens of seconds on a busy machine).
            prepared = prepare_list(whole)
            if not worker.is_cancelled:
                self.post_message(ReadSoFar(whole, prepared))

        from reader.library import gc_paused

        try:
            # No full collection while the papers pile up (they hold no
            # cycles): the app's own (``collector``, at every pause of the
            # keys, and everything thawed once the user is away) walked them
            # all, again and again, on the event loop.
            with gc_paused():
                library = self.session.read_first(
                    sink, progress, lambda: worker.is_cancelled, parsed=parsed
                )
            if worker.is_cancelled:
                return  # quitting while the catalog was written: nothing more to read
            full = library.load_rest()
            prepared = prepare_list(full)
        except ReadStopped:
            return
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.post_message(FirstReadDone(None, error=error))
            return
        if not worker.is_cancelled:
            self.post_message(FirstReadDone(full, prepared))

    #: Seconds between two lists of a first read (tests set 0: every digest).
    read_refresh = READ_REFRESH
    #: True once a key was pressed (a first read's list then keeps the
    #: cursor on its paper; until then it stays on the newest).
    _keyed = False

    def on_read_so_far(self, message: ReadSoFar) -> None:
        if self.library.reading is None:
            return  # the read has ended meanwhile
        self.session.replace_library(message.library)
        self.signals.library.publish(
            LibraryTaken(message.library, message.prepared, top=not self._keyed)
        )

    def on_first_read_parsed(self, message: FirstReadParsed) -> None:
        # Not after the catalog is written and the library opened again
        # (tens of seconds at 90k papers): the papers are in hand now.
        self._first_build = True
        self.build_index(message.library)

    def on_first_read_done(self, message: FirstReadDone) -> None:
        if message.library is not None:
            self.take_library(message.library, message.prepared, top=not self._keyed)
            return
        self.error(f"The digests could not be read: {message.error}")
        so_far = self.library
        so_far.reading = None  # what was read stays on screen, the index as it is
        self.signals.library.publish(LibraryTaken(so_far))

    # -- the rest of a partly read library -------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="library")
    def load_rest(self) -> None:
        """Read the older papers of a library opened with only its newest ones
        (the first paint does not wait for them). A failure keeps the newest
        papers on screen and says so: it never ends the app."""
        try:
            full = self.library.load_rest()
            prepared = prepare_list(full)
        except Exception as exc:
            self.call_from_thread(
                self.error, f"The older papers could not be read: {type(exc).__name__}: {exc}"
            )
            return
        self.call_from_thread(self.take_library, full, prepared)

    def take_library(
        self, full: Library, prepared: View | None = None, *, top: bool = False
    ) -> None:
        """Show ``full``, read again off the event loop (the rest of a
        partial library, a reload): the list keeps its cursor (``top``: on
        the first paper), the index syncs what changed. ``prepared``: its
        list of every paper, made in the worker too (:func:`prepare_list`)."""
        self.session.replace_library(full)  # its searcher is made again when needed
        self.signals.library.publish(LibraryTaken(full, prepared, top=top))
        if self._want_index and self._first_build:
            self._sync_after_build = True  # not a second build beside the first read's
        elif self._want_index:
            self.build_index()

    # -- the index -------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="index", description="Indexing")
    def build_index(self, library: Library | None = None) -> None:
        """Bring the index in line with the library (``library``: a first
        read's, before it is taken in)."""
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.post_message(IndexProgress(done, total))

        stop = self._giving_way(worker)
        try:
            index = self.session.index
            if index is not None and not index.usable and index.problem == "damaged":
                self.post_message(IndexDamaged(index.detail))
            if index is not None and not index.usable:  # a first build: searches scan meanwhile
                # The engine is made (its modules imported) here, in the thread
                # that forks the build's processes, and the scan's folding
                # starts only at the first progress, once they are forked: a
                # module half imported by another thread at a fork stays
                # locked in the child, which then hangs on its first import.
                self.searcher  # noqa: B018
                # Not for a first read's build: it ends soon after the read,
                # and the folding (every paper's text, streamed from the
                # catalog) would take the GIL and a core from it meanwhile.
                self._fold_when_forked = library is None
            report = self.session.sync_index(progress, stop, library)
        except Exception as exc:  # the index is a cache: never fatal
            self.post_message(IndexDone(error=f"{type(exc).__name__}: {exc}"))
            return
        if report is not None:
            self.post_message(IndexDone(error=report.error, cancelled=report.cancelled))
        else:
            self.post_message(IndexDone())

    def on_index_damaged(self, message: IndexDamaged) -> None:
        why = f" ({tx.line(message.detail)})" if message.detail else ""
        self.notify(
            f"The search index is damaged{why}: rebuilding it in the background."
            " Searches scan every paper meanwhile (same answers, slower).",
            title="Search index damaged",
            severity="warning",
            markup=False,
            timeout=15,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan", description="Scan")
    def prepare_scan(self) -> None:
        """Fold the papers' text for the searches' scan while the index builds."""
        stop = self._giving_way(get_current_worker())
        with contextlib.suppress(Exception):  # the scan folds on demand then
            self.searcher.prepare_scan(stop)

    def _giving_way(self, worker: Worker[None]) -> Callable[[], bool]:
        """``worker``'s cancelled() for the core's long work (the build, the
        scan's folding), asked between its steps: a query typed meanwhile
        goes first there (one GIL for the event loop, the queries and it)."""

        def stop() -> bool:
            self._pool.make_way()
            return worker.is_cancelled

        return stop

    def on_index_progress(self, message: IndexProgress) -> None:
        if self._fold_when_forked:
            self._fold_when_forked = False
            self.prepare_scan()
        self.signals.index.publish(IndexMoved(message.done, message.total))

    def on_index_done(self, message: IndexDone) -> None:
        self._first_build = False
        if self._sync_after_build:
            self._sync_after_build = False
            if not message.error and not message.cancelled:
                # The library taken in meanwhile: the same files, nothing to do
                # but to check it; its IndexDone then reruns the search.
                self.build_index()
                return
        ready = not message.error and not message.cancelled
        self.signals.index.publish(IndexMoved(1, 1, ready=ready))
        if not message.error and not message.cancelled:
            # What the first query of each kind would make (columns, days,
            # tags, the map to the index), made now in the search thread a
            # part at a time, each after the queries queued meanwhile: the
            # query on screen runs again at once, and a key typed during the
            # warm-up waits for one part at most (seconds in all over the
            # real digests on a loaded machine).
            # The engine itself is made there too, not here: over a new
            # library (a fetch's, a reload's) that is its module imported and
            # its state read, 20-35 ms the loop would not draw a cursor move.
            with contextlib.suppress(Exception):  # (the app ending: the thread shut down)
                self._pool.in_gaps(self._warm_steps())
        if message.error:
            self.notify(
                f"{tx.line(message.error)}. Search still works: it scans every paper "
                "(slower) until the index is built; the next start tries again.",
                title="Search index not built",
                severity="warning",
                markup=False,
                timeout=15,
            )

    def _warm_steps(self) -> Iterator[Callable[[], object]]:
        """The engine's warm-up (:meth:`SearchEngine.warm_steps`), the engine
        made when the first step is asked for (in the search thread)."""
        yield from self.searcher.warm_steps()

    # -- core access -------------------------------------------------------------

    def state_of(self, pid: str) -> PaperState:
        try:
            return self.state.get(pid)
        except Exception:
            return BLANK

    def read_ids(self) -> set[str]:
        try:
            return set(self.state.read_ids())
        except Exception:
            return set()

    def library_summary(self) -> str:
        return " · ".join(text for _kind, text in self.status_parts())

    def status_parts(self) -> list[tuple[str, str]]:
        """The library's parts for the status line (``views.library_parts``),
        with "N problems" counting the config's warnings too."""
        parts = [(k, t) for k, t in views.library_parts(self.library) if k != "problems"]
        label = self.problem_label() if self.library.complete else ""
        if label:
            parts.insert(2, ("problems", label))
        return parts

    def problems(self) -> list[Problem]:
        """What could not be read: the digests' problems, then the config's
        warnings (as warnings of the config file)."""
        found = list(self.library.problems)
        where = str(self.config.path or self.paths.config_file)
        for warning in self.config_warnings():
            # "config.yaml: colour: unknown setting": the file is its own column
            message = warning.removeprefix(f"{where}: ")
            found.append(Problem(where, message, severity="warning"))
        return found

    def config_warnings(self) -> list[str]:
        """The config's warnings (unknown key, bad value...), as text."""
        return [tx.line(w) for w in self.config.warnings]

    def keys_of(self, command: str) -> str:
        """The keys of ``command`` (a :class:`Command` id) as the user set
        them, for a hint ("u undoes"): never a key the keymap moved."""
        return commands.BY_ID[command].shown_keys(self.config.keymap)

    def notify_config_warnings(self) -> None:
        """One notification for the config's warnings, however many: the
        first, and how to list the rest (five toasts would cover half an
        80x24 screen)."""
        warnings = self.config_warnings()
        if not warnings:
            return
        message = warnings[0]
        if len(warnings) > 1:
            key = self.keys_of("problems")
            more = f"and {counted(len(warnings) - 1, 'more warning')}"
            how = (
                f"press {key} to see them"
                if key != "no key"
                else "the palette's Problems lists them"
            )
            message += f"\n{more}: {how}"
        title = f"Config: {counted(len(warnings), 'warning')}"
        self.notify(message, title=title, severity="warning", markup=False, timeout=12)

    def problem_label(self) -> str:
        """``1 problem, 2 warnings`` for the status line, as the problems
        list says it ("" when everything was read)."""
        found = self.problems()
        errors = sum(1 for p in found if p.severity == "error")
        return problems_told(errors, len(found) - errors)

    def show_problems(self) -> None:
        found = self.problems()
        if not found:
            self.notify("No problems: every digest was read.", markup=False)
            return
        from reader.tui.screens.problems import ProblemsScreen

        self.push_screen(ProblemsScreen(found))

    def action_show_problems(self) -> None:
        """A click on "N problems" in the status line."""
        self.show_problems()

    # -- remembered sources ------------------------------------------------------

    def sources(self, wait: bool = True) -> list[tuple[str, str, int | None]]:
        """``(path, label, papers)`` of each remembered source, for the
        sidebar (``wait`` False: None for a count not known yet, see
        :meth:`Library.ids_from`)."""
        from reader.library import remembered_sources

        out: list[tuple[str, str, int | None]] = []
        for path in remembered_sources(self.paths):
            ids = self.library.ids_from(path, wait) if path.exists() else None
            out.append((str(path), _short_path(path), None if ids is None else len(ids)))
        return out

    def papers_from_source(self, path: str) -> set[str]:
        return self.library.ids_from(Path(path)) or set()

    def on_sidebar_forget_asked(self, message: Sidebar.ForgetAsked) -> None:
        from reader.tui.screens.confirm import ConfirmDialog

        path = message.entry.value

        def forget(yes: bool | None) -> None:
            if yes:
                self.forget_source(path)

        question = f"Forget the source {tx.line(path)}?"
        detail = "It is no longer read at start. Your stars, tags and notes on its papers stay."
        self.push_screen(ConfirmDialog(question, detail), forget)

    def forget_source(self, path: str) -> None:
        from reader.library import forget_source

        try:
            forgotten = forget_source(self.paths, Path(path))
        except OSError as exc:
            self.error(f"Could not forget {path}: {exc}")
            return
        if forgotten:
            self.notify(
                f"{tx.line(path)}: its papers leave the list at the next start.",
                title="Source forgotten",
                markup=False,
            )
        self.signals.sources.publish(None)

    def mutate(self, change: Callable[[], object]) -> bool:
        """Run a state change; a :class:`StateError` becomes an error notification."""
        if self.state.read_only:
            problem = self.state.problem or "the state file is read-only"
            self.error(f"Not saved: {problem}")
            return False
        try:
            change()
        except StateError as exc:
            self.error(f"Not saved: {exc}")
            return False
        except (OSError, ValueError) as exc:
            self.error(f"Not saved: {exc}")
            return False
        return True

    def mutate_undoable(
        self,
        what: str | Callable[[int], str],
        field: str,
        ids: Sequence[str],
        change: Callable[[], object],
    ) -> bool:
        """:meth:`mutate`, recorded in the undo log (see :class:`UndoLog`)."""
        return self.mutate(lambda: self.undo_log.change(what, field, ids, change))

    def error(self, message: str) -> None:
        notify_error(self, message)

    def search(self, text: str) -> SearchResult:
        return self._so_far(self.session.search(text))

    def _so_far(self, result: SearchResult) -> SearchResult:
        """``result``, its count "about" while the library is not whole (a
        first read goes on, the older papers are still to come)."""
        if not self.library.complete:
            result.exact = False
        return result

    def _search_typed(
        self, text: str, current: Callable[[], str] | None = None, typing: bool = False
    ) -> SearchResult | None:
        """A query from the search box: the word being typed is a prefix too.
        When that expansion is not a valid query, the text as typed runs, so an
        error message points at what the user wrote; while ``typing``, a query
        invalid only for its end being typed (``sort:up``, ``x OR``, an open
        bracket) runs without it first (:func:`while_typing`). Returns None, without
        searching, when ``current()`` shows the box has moved on since (the
        search thread runs one query at a time; stale ones must not queue),
        and when it moved on during the scan of papers not indexed yet."""
        from reader.search.incremental import expand_last_word, while_typing
        from reader.search.query import QueryError
        from reader.search.scan import Cancelled

        if current is not None and current() != text:
            return None
        # A scan of papers not indexed yet stops as soon as the box moves on.
        cancelled = None if current is None else (lambda: current() != text)
        budget = TYPED_SCAN_BUDGET if typing else None
        expanded = expand_last_word(text)

        def run(query: str) -> SearchResult:
            return self.searcher.search(
                query, limit=TYPED_LIMIT, cancelled=cancelled, budget=budget
            )

        try:
            if expanded != text:
                with contextlib.suppress(QueryError):
                    return self._so_far(run(expanded))
            try:
                found = run(text)
            except QueryError as exc:
                done = while_typing(text) if typing else None
                if done is None:
                    raise
                try:
                    found = run(done)
                except QueryError:
                    raise exc from None  # the error of what the user wrote
            return self._so_far(found)
        except Cancelled:
            return None

    def search_future(self, text: str) -> Future[SearchResult | None]:
        """Start a box query in the search thread (Enter); a Future."""
        return self._pool.submit(self._search_typed, text)

    async def search_async(
        self, text: str, current: Callable[[], str] | None = None
    ) -> SearchResult | None:
        """Run a box query in the one search thread (one Whoosh searcher,
        reused); None when it was skipped as stale (see ``_search_typed``)."""
        loop = asyncio.get_running_loop()
        with self.collector.held():  # no full collection before the answer is shown
            typed = self._pool.wrap(self._typed_with_rows)
            return await loop.run_in_executor(self._pool.executor, typed, text, current)

    def _typed_with_rows(
        self, text: str, current: Callable[[], str] | None = None
    ) -> SearchResult | None:
        """``_search_typed``, then the list's rows of its hits, in the search
        thread: which of the best 1,000 are still in the library is a look
        over its ids (2-3 ms, which the event loop made before the paint)."""
        found = self._search_typed(text, current, True)
        if found is not None:
            self._rows_ready = (found.hits, self.session.rows_for(found.hits))
        return found

    #: (hits, their rows) made last in the search thread (``papers_for``).
    _rows_ready: tuple[object, Sequence[Paper]] | None = None

    async def in_search_thread(self, work: Callable[[], T]) -> T:
        """Run ``work`` in the search thread (after the searches queued there)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool.executor, self._pool.wrap(work))

    def count(self, query: str) -> Count | None:
        try:
            found = self.session.count(query)
        except Exception:
            return None
        return replace(found, exact=False) if not self.library.complete else found

    def similar(self, pid: str) -> list[Found] | None:
        try:
            return self.session.similar(pid, 30)
        except Exception as exc:
            self.error(f"Similar papers: {exc}")
            return None

    def papers_for(self, hits: Iterable[Found]) -> Sequence[Paper]:
        ready = self._rows_ready
        if ready is not None and ready[0] is hits:
            self._rows_ready = None
            return ready[1]
        return self.session.rows_for(hits)

    def bibtex(self, paper: Paper) -> str:
        try:
            return self.session.bibtex(paper)
        except Exception:
            return ""

    def export_formats(self) -> list[str]:
        from reader.export import FORMATS

        return list(FORMATS)

    def export_to(self, papers: Sequence[Paper], fmt: str, path: Path) -> None:
        try:
            path = self.session.export_file(list(papers), fmt, path)
        except Exception as exc:
            self.error(f"Export failed: {exc}")
            return
        self.notify(
            str(path.resolve()),
            title=f"Exported {counted(len(papers), 'paper')} ({fmt})",
            markup=False,
        )

    # -- links -----------------------------------------------------------------------

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Links clicked anywhere go through the reader's opener (http(s) only;
        copied over SSH), never straight to a browser."""
        self.links.open(url)

    # -- themes ----------------------------------------------------------------------

    def next_theme(self) -> None:
        names = [n for n in CYCLE if n in self.available_themes]
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", markup=False, timeout=2)


def prepare_list(library: Library) -> View:
    """In a worker thread: the library's list of every paper, sorted, with
    its day counts and separator rows (``screens.main.all_papers``: O(n),
    0.2-0.4 s at 100k papers, which on the event loop would stop every key
    meanwhile), and its days for the status line (50 ms). Then what was
    made is frozen (``gc_paused``): left young, the next full collection
    would walk it all, on whichever thread, the event loop's included."""
    from reader.library import gc_paused

    with gc_paused():
        library.days()  # for the status line, which asks on the event loop
        return views.all_papers(library.ordered(), library.day_sizes())


def _short_path(path: Path, width: int = 10) -> str:
    """A source's name for the narrow sidebar: its last part, cut from the
    left to ``width`` (the confirm dialog shows the whole path)."""
    text = path.name or str(path)
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def build_app(
    library_paths: Sequence[Path] = (),
    *,
    paths: Paths | None = None,
    config: Config | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    build_index: bool = True,
) -> DigestApp:
    """Open the library (or, with nothing in the cache, get ready to read it
    in the app) and the state, and make the app (not run). ``build_index``:
    False leaves the index as it is (tests)."""
    paths = paths or Paths.from_env()
    session = Session(
        paths,
        config or load_config(paths.config_file),
        extra=list(library_paths),
        index_folder=paths.index_dir,
        # The papers stay in the catalog: the list reads the rows it draws;
        # the first screen lists the newest ids (``partial``), then every id.
        partial=True,
        lazy_library=True,
    )
    if session.needs_first_read():
        from reader.reading import reading_library

        # Nothing in the cache to start from: the app opens at once and
        # reads the digests meanwhile (``DigestApp.first_read``).
        session.replace_library(reading_library())
    else:
        session.read_library(progress=progress)
    _ = session.state  # loaded before the screen opens
    app = DigestApp(session, build_index=build_index)
    app.library_extra = list(library_paths)
    return app


def run_app(
    library_paths: Sequence[Path] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Run the reader on the library (plus ``library_paths``, which are
    remembered so they stay searchable); returns the exit code. ``progress``
    reports the reading of the digests before the screen opens (an update
    of the cached library; a first read is shown in the app's status line)."""
    import sys

    from reader.library import remember_sources

    try:
        app = build_app(library_paths, progress=progress)
        remember_sources(app.paths, list(library_paths))
    except ConfigError as exc:
        print(f"digest-reader: {exc}", file=sys.stderr)
        return 2
    # SIGTERM and SIGHUP are handled before the app takes the terminal
    app.signal_exit = SignalExit()
    app.signal_exit.install()
    result = app.run()
    app.signal_exit.given_back()
    # The screen is restored and every change is on disk. What is left is the
    # interpreter's last garbage collections over millions of objects (the
    # library, the index): 2.8-6.1 s after q on the real digests. Frozen
    # objects are skipped and the OS takes the memory back: 0.4 s.
    gc.freeze()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(result or 0)
