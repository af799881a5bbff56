"""The Textual app: core objects, themes, clipboard, index worker, palette.

:func:`run_app` is the entry point the CLI calls when no subcommand is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from reader import clipboard, views
from reader.config import Config, ConfigError, load_config
from reader.model import Paper, Problem
from reader.paths import Paths, resource_dir
from reader.state import StateError
from reader.tui import commands
from reader.tui import text as tx
from reader.tui.fetching import FetchingMixin
from reader.tui.prefs import UiPrefs
from reader.tui.screens.main import MainScreen
from reader.tui.themes import CYCLE, OUR_THEMES, initial_theme
from reader.tui.widgets.sidebar import Sidebar
from reader.undo import UndoLog
from reader.wording import counted

if TYPE_CHECKING:  # the engine loads Whoosh: not before the first screen
    from reader.search.engine import Count

STYLES = resource_dir("styles") / "app.tcss"
#: The search box lists the best this many matches (the status line gives the
#: total): 70k hits for "models" cost 3 s to rank in full, 75 ms for the best 1000.
TYPED_LIMIT = 1000
#: Seconds a search may spend scanning papers the index does not hold yet
#: (a first build): then it shows what it found, the count "about".
SCAN_BUDGET = 0.12
#: How long an opener gets to report failure (``xdg-open`` answers in well
#: under a second); one still running then is a browser starting.
OPEN_WAIT = 3.0


class _Blank:
    """The state of a paper when the state store cannot answer."""

    starred = False
    read = False
    tags: frozenset[str] = frozenset()
    note = ""


class DigestCommands(Provider):
    """The reader's commands in the palette (one entry per :class:`Command`),
    plus saved searches. Titles and help reach the palette as plain text."""

    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        assert isinstance(app, DigestApp)
        keymap = app.config.keymap
        out: list[tuple[str, str, Callable[[], Any]]] = []
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
class IndexDone(Message):
    """The index is in line with the library (or could not be built)."""

    error: str = ""
    cancelled: bool = False


class DigestApp(FetchingMixin, App[int]):
    """The reader. Give it the core objects; :func:`run_app` builds them."""

    TITLE = "digest-reader"
    CSS_PATH: ClassVar[Any] = STYLES
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {DigestCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-ctrl-c"),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        library: Any,
        state: Any,
        *,
        config: Config | None = None,
        paths: Paths | None = None,
        index: Any = None,
        searcher: Any = None,
        index_folder: Path | None = None,
        clock: Callable[[], float] = time.time,
        build_index: bool = True,
    ) -> None:
        self.paths = paths or Paths.from_env()
        self.config = config or Config()
        self.library = library
        self.state = state
        #: The user's star, tag and read changes, for ``u``.
        self.undo_log = UndoLog(state)
        self._index = index
        #: Where to open the index when first needed (after the first paint:
        #: opening it loads Whoosh and numpy).
        self._index_folder = index_folder
        self._search_lock = threading.Lock()
        self.clock = clock
        self.prefs = UiPrefs.load(self.paths.ui_file)
        #: When the previous session started (the catch-up view starts there).
        self.last_session = self.prefs.last_session
        self._want_index = build_index and (index is not None or index_folder is not None)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search")
        #: A first build runs: fold the papers' text for the scan once its
        #: processes are forked (see ``build_index``).
        self._fold_when_forked = False
        self._own_searcher = searcher is None
        self._searcher = searcher
        super().__init__()
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
        self.push_screen(MainScreen())
        self.notify_config_warnings()
        if not getattr(self.library, "complete", True):
            # After the first paint: reading the rest holds the GIL for most
            # of a second, which would delay the very frame it exists to speed up.
            # The index waits for the whole library.
            self.set_timer(0.3, self.load_rest)
        elif self._want_index:
            self.set_timer(0.3, self.build_index)  # after the first paint
        self.fetch_on_start()
        if not self.is_headless:
            exit_on_signals(asyncio.get_running_loop(), self.exit)

    def on_unmount(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _theme_changed(self, theme: Any) -> None:
        self.prefs.theme = theme.name
        self.prefs.save(self.paths.ui_file)

    @property
    def main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("no main screen")

    def run_main_action(self, action: str) -> None:
        self.call_later(self.main.run_action, action)

    def open_saved_search(self, name: str) -> None:
        from reader.tui.widgets.sidebar import Entry

        self.main.apply_entry(Entry("saved", name, name, None))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for cmd in super().get_system_commands(screen):
            if cmd.title in ("Quit", "Keys"):
                continue  # ours quit the same way; ? is the help
            yield cmd

    # -- search objects, made when first needed ----------------------------------

    @property
    def index(self) -> Any:
        """The search index (opened on first use, in whichever thread needs it)."""
        if self._index is None and self._index_folder is not None:
            with self._search_lock:
                if self._index is None:
                    from reader.search.index import SearchIndex

                    self._index = SearchIndex(self._index_folder)
        return self._index

    @property
    def searcher(self) -> Any:
        """The searcher over the current library (made on first use)."""
        if self._searcher is None:
            index = self.index
            with self._search_lock:
                if self._searcher is None:
                    self._searcher = _make_searcher(self.library, self.state, index)
        return self._searcher

    # -- the rest of a partly read library -------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="library")
    def load_rest(self) -> None:
        """Read the older papers of a library opened with only its newest ones
        (the first paint does not wait for them). A failure keeps the newest
        papers on screen and says so: it never ends the app."""
        try:
            full = self.library.load_rest()
        except Exception as exc:
            self.call_from_thread(
                self.error, f"The older papers could not be read: {type(exc).__name__}: {exc}"
            )
            return
        self.call_from_thread(self._library_loaded, full)

    def _library_loaded(self, full: Any) -> None:
        self.library = full
        if self._own_searcher:
            self._searcher = None  # made again over the whole library when needed
        with contextlib.suppress(LookupError):
            self.main.library_loaded()
        if self._want_index:
            self.build_index()

    # -- the index -------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="index", description="Indexing")
    def build_index(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.post_message(IndexProgress(done, total))

        try:
            lib = self.library
            if not self.index.usable:  # a first build: searches scan meanwhile
                # The engine is made (its modules imported) here, in the thread
                # that forks the build's processes, and the scan's folding
                # starts only at the first progress, once they are forked: a
                # module half imported by another thread at a fork stays
                # locked in the child, which then hangs on its first import.
                self.searcher  # noqa: B018
                self._fold_when_forked = True
            report = self.index.sync(
                lib.papers, progress, lambda: worker.is_cancelled, getattr(lib, "version", None)
            )
        except Exception as exc:  # the index is a cache: never fatal
            self.post_message(IndexDone(error=f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(
            IndexDone(
                error=getattr(report, "error", ""), cancelled=getattr(report, "cancelled", False)
            )
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan", description="Scan")
    def prepare_scan(self) -> None:
        """Fold the papers' text for the searches' scan while the index builds."""
        worker = get_current_worker()
        prepare = getattr(self.searcher, "prepare_scan", None)
        if prepare is not None:
            with contextlib.suppress(Exception):  # the scan folds on demand then
                prepare(lambda: worker.is_cancelled)

    def on_index_progress(self, message: IndexProgress) -> None:
        if self._fold_when_forked:
            self._fold_when_forked = False
            self.prepare_scan()
        with contextlib.suppress(LookupError):
            self.main.status.set_progress(message.done, message.total)

    def on_index_done(self, message: IndexDone) -> None:
        with contextlib.suppress(LookupError):
            self.main.status.set_progress(1, 1)
            if not message.error and not message.cancelled:
                self.main.rerun_search()  # scanned papers now have their index scores
        if message.error:
            self.notify(
                f"{tx.line(message.error)}. Search still works: it scans every paper "
                "(slower) until the index is built; the next start tries again.",
                title="Search index not built",
                severity="warning",
                markup=False,
                timeout=15,
            )

    # -- core access -------------------------------------------------------------

    def state_of(self, pid: str) -> Any:
        try:
            return self.state.get(pid)
        except Exception:
            return _Blank()

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
        label = self.problem_label() if getattr(self.library, "complete", True) else ""
        if label:
            parts.insert(2, ("problems", label))
        return parts

    def problems(self) -> list[Problem]:
        """What could not be read: the digests' problems, then the config's
        warnings (as warnings of the config file)."""
        found = list(getattr(self.library, "problems", []))
        where = str(self.config.path or self.paths.config_file)
        for warning in self.config_warnings():
            # "config.yaml: colour: unknown setting": the file is its own column
            message = warning.removeprefix(f"{where}: ")
            found.append(Problem(where, message, severity="warning"))
        return found

    def config_warnings(self) -> list[str]:
        """The config's warnings (unknown key, bad value...), as text. Read
        defensively: a config that has none, or none yet, gives []."""
        warnings = getattr(self.config, "warnings", None) or []
        try:
            return [tx.line(str(w)) for w in warnings]
        except TypeError:
            return []

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
        """``1 problem`` for the status line ("" when everything was read);
        only warnings: ``2 warnings``."""
        found = self.problems()
        errors = sum(1 for p in found if p.severity == "error")
        if errors:
            return counted(errors, "problem")
        return counted(len(found), "warning") if found else ""

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

    def sources(self) -> list[tuple[str, str, int | None]]:
        """``(path, label, papers)`` of each remembered source, for the sidebar."""
        from reader.library import papers_from, remembered_sources

        out: list[tuple[str, str, int | None]] = []
        for path in remembered_sources(self.paths):
            count = len(papers_from(self.library, path)) if path.exists() else None
            out.append((str(path), _short_path(path), count))
        return out

    def papers_from_source(self, path: str) -> set[str]:
        from reader.library import papers_from

        return papers_from(self.library, Path(path))

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
        with contextlib.suppress(LookupError):
            self.main.fill_sidebar()

    def mutate(self, change: Callable[[], Any]) -> bool:
        """Run a state change; a :class:`StateError` becomes an error notification."""
        if getattr(self.state, "read_only", False):
            problem = getattr(self.state, "problem", None) or "the state file is read-only"
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
        change: Callable[[], Any],
    ) -> bool:
        """:meth:`mutate`, recorded in the undo log (see :class:`UndoLog`)."""
        return self.mutate(lambda: self.undo_log.change(what, field, ids, change))

    def error(self, message: str) -> None:
        self.notify(tx.line(message), title="Error", severity="error", markup=False, timeout=8)

    def search(self, text: str) -> Any:
        return self.searcher.search(text)

    def _search_typed(self, text: str, current: Callable[[], str] | None = None) -> Any:
        """A query from the search box: the word being typed is a prefix too.
        When that expansion is not a valid query, the text as typed runs, so an
        error message points at what the user wrote. Returns None, without
        searching, when ``current()`` shows the box has moved on since (the
        search thread runs one query at a time; stale ones must not queue),
        and when it moved on during the scan of papers not indexed yet."""
        from reader.search.incremental import expand_last_word
        from reader.search.query import QueryError
        from reader.search.scan import Cancelled

        if current is not None and current() != text:
            return None
        # A scan of papers not indexed yet stops as soon as the box moves on.
        kw = {} if current is None else {"cancelled": lambda: current() != text}
        expanded = expand_last_word(text)
        try:
            if expanded != text:
                with contextlib.suppress(QueryError):
                    return self.searcher.search(expanded, limit=TYPED_LIMIT, **kw)
            return self.searcher.search(text, limit=TYPED_LIMIT, **kw)
        except Cancelled:
            return None

    def search_future(self, text: str) -> Any:
        """Start a box query in the search thread (Enter); a Future."""
        return self._pool.submit(self._search_typed, text)

    async def search_async(self, text: str, current: Callable[[], str] | None = None) -> Any:
        """Run a box query in the one search thread (one Whoosh searcher,
        reused); None when it was skipped as stale (see ``_search_typed``)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._search_typed, text, current)

    def count(self, query: str) -> Count | None:
        try:
            return self.searcher.count(query)
        except Exception:
            return None

    def similar(self, pid: str) -> list[Any] | None:
        try:
            return list(self.searcher.similar(pid, 30))
        except Exception as exc:
            self.error(f"Similar papers: {exc}")
            return None

    def papers_for(self, hits: Iterable[Any]) -> list[Paper]:
        papers = self.library.papers
        return [papers[h.id] for h in hits if h.id in papers]

    def bibtex(self, paper: Paper) -> str:
        from reader.export import bibtex_entry

        try:
            return str(bibtex_entry(paper, self.state))
        except Exception:
            return ""

    def export_formats(self) -> list[str]:
        from reader.export import FORMATS

        return list(FORMATS)

    def export_to(self, papers: Sequence[Paper], fmt: str, path: Path) -> None:
        from reader.export import export

        try:
            text = export(list(papers), self.state, fmt)
            if path.is_dir():
                from reader.tui.screens.export_dialog import default_path

                path = default_path(fmt, path)
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text if isinstance(text, str) else str(text)
            path.write_text(data, encoding="utf-8")
        except Exception as exc:
            self.error(f"Export failed: {exc}")
            return
        self.notify(
            str(path.resolve()),
            title=f"Exported {counted(len(papers), 'paper')} ({fmt})",
            markup=False,
        )

    # -- clipboard and opener ------------------------------------------------------

    def write_terminal(self, data: str) -> None:
        """Raw bytes to the terminal (OSC 52 and its tmux/screen wrappers)."""
        driver = self._driver
        if driver is not None and not self.is_headless:
            driver.write(data)
            driver.flush()

    def copy(self, text: str, what: str) -> Any:
        """Copy ``text``; the notification says which way it went and shows it."""
        result = clipboard.copy(text, write_terminal=self.write_terminal)
        shown = tx.block(result.text or text)
        if len(shown) > 600:
            shown = shown[:600] + "…"
        if result.ok:
            self.notify(shown, title=f"Copied {what}: {tx.line(result.message)}", markup=False)
        else:
            self.notify(
                shown,
                title=f"Could not copy {what}: {tx.line(result.message)}",
                severity="warning",
                markup=False,
                timeout=10,
            )
        return result

    def open_link(self, url: str, what: str = "link") -> None:
        """Open ``url`` through the reader's opener (the config's ``opener:``,
        else ``$BROWSER`` or the desktop's launcher), in a thread: the
        notification comes once the opener has answered. When it cannot open
        (SSH, no display, the opener failed) the link is copied and shown."""
        if not url:
            self.notify(f"This paper has no {what}.", severity="warning")
            return
        self._open_in_thread(url)

    @work(thread=True, exit_on_error=False, group="open", description="Opening a link")
    def _open_in_thread(self, url: str) -> None:
        from reader import opener

        result = opener.open_url(url, command=self.config.opener, wait=OPEN_WAIT)
        self.call_from_thread(self._opened, url, result)

    def _opened(self, url: str, result: Any) -> None:
        from reader import opener

        if result.opened:
            self.notify(tx.line(result.url or url), title=tx.line(result.message), markup=False)
            return
        if result.url and opener.check_url(result.url) is None:
            copied = self.copy_quiet(result.url)
            title = f"{tx.line(result.message)} {copied}"
            self.notify(
                tx.line(result.url), title=title, severity="warning", markup=False, timeout=10
            )
        else:
            self.error(result.message)

    def copy_quiet(self, text: str) -> str:
        result = clipboard.copy(text, write_terminal=self.write_terminal)
        return f"The link was copied instead: {result.message}" if result.ok else result.message

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Links clicked anywhere go through the reader's opener (http(s) only;
        copied over SSH), never straight to a browser."""
        self.open_link(url)

    # -- themes ----------------------------------------------------------------------

    def next_theme(self) -> None:
        names = [n for n in CYCLE if n in self.available_themes]
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", markup=False, timeout=2)


#: Signals that end the app the normal way (SIGHUP: an SSH connection dropped).
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def exit_on_signals(loop: asyncio.AbstractEventLoop, end: Callable[[], Any]) -> None:
    """SIGTERM and SIGHUP run ``end`` (the app's exit: the terminal is
    restored; every change is already on disk, the state store writes each
    one as it is made) in the process that called this, and only there.

    The handler checks the pid it runs in: a forked helper that kept a copy
    of it must never end the app, nor itself run the app's exit. (Forked
    index workers also drop the inherited handlers and wake-up fd first
    thing: see ``reader.search.index._detach_signals``.)"""
    owner = os.getpid()

    def on_signal(sig: int) -> None:
        if os.getpid() != owner:
            return
        end()

    for sig in EXIT_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, on_signal, sig)


def _short_path(path: Path, width: int = 10) -> str:
    """A source's name for the narrow sidebar: its last part, cut from the
    left to ``width`` (the confirm dialog shows the whole path)."""
    text = path.name or str(path)
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _make_searcher(library: Any, state: Any, index: Any) -> Any:
    from reader.search.engine import SearchEngine

    engine = SearchEngine(library, state, index)
    engine.scan_budget = SCAN_BUDGET
    return engine


def build_app(
    library_paths: Sequence[Path] = (),
    *,
    paths: Paths | None = None,
    config: Config | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DigestApp:
    """Open the library, the state and the index, and make the app (not run)."""
    from reader.library import open_library
    from reader.state import StateStore

    paths = paths or Paths.from_env()
    config = config or load_config(paths.config_file)
    library = open_library(
        paths, config, extra=list(library_paths), progress=progress, partial=True
    )
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(library, state, config=config, paths=paths, index_folder=paths.index_dir)
    app.library_extra = list(library_paths)
    return app


def run_app(
    library_paths: Sequence[Path] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Run the reader on the library (plus ``library_paths``, which are
    remembered so they stay searchable); returns the exit code. ``progress``
    reports the reading of the digests, before the screen opens."""
    import sys

    from reader.library import remember_sources

    try:
        app = build_app(library_paths, progress=progress)
        remember_sources(app.paths, list(library_paths))
    except ConfigError as exc:
        print(f"digest-reader: {exc}", file=sys.stderr)
        return 2
    result = app.run()
    # The screen is restored and every change is on disk. What is left is the
    # interpreter's last garbage collections over millions of objects (the
    # library, the index): 2.8-6.1 s after q on the real digests. Frozen
    # objects are skipped and the OS takes the memory back: 0.4 s.
    gc.freeze()
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(result or 0)
