"""The Textual app: core objects, themes, clipboard, index worker, palette.

:func:`run_app` is the entry point the CLI calls when no subcommand is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from reader import views
from reader.config import Config, ConfigError, load_config
from reader.model import Paper
from reader.paths import Paths, resource_dir
from reader.tui import commands
from reader.tui import text as tx
from reader.tui.fetching import FetchingMixin
from reader.tui.prefs import UiPrefs
from reader.tui.screens.main import MainScreen
from reader.tui.themes import CYCLE, OUR_THEMES, initial_theme
from reader.wording import counted

try:
    from reader.state import StateError
except ImportError:  # pragma: no cover

    class StateError(Exception):  # type: ignore[no-redef]
        pass


STYLES = resource_dir("styles") / "app.tcss"
#: The search box lists the best this many matches (the status line gives the
#: total): 70k hits for "models" cost 3 s to rank in full, 75 ms for the best 1000.
TYPED_LIMIT = 1000


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
            help_text = f"{cmd.help} (key: {keys})" if keys else cmd.help
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
        if not getattr(self.library, "complete", True):
            # After the first paint: reading the rest holds the GIL for most
            # of a second, which would delay the very frame it exists to speed up.
            # The index waits for the whole library.
            self.set_timer(0.3, self.load_rest)
        elif self._want_index:
            self.set_timer(0.3, self.build_index)  # after the first paint
        self.fetch_on_start()
        if not self.is_headless:
            self._exit_on_signals()

    def _exit_on_signals(self) -> None:
        """SIGTERM, and SIGHUP (an SSH connection dropping), end the app the
        normal way, so the terminal is restored. Every change is already on
        disk: the state store writes each one as it is made."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)

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
        (the first paint does not wait for them)."""
        full = self.library.load_rest()
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
            report = self.index.sync(self.library.papers, progress, lambda: worker.is_cancelled)
        except Exception as exc:  # the index is a cache: never fatal
            self.post_message(IndexDone(error=f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(
            IndexDone(
                error=getattr(report, "error", ""), cancelled=getattr(report, "cancelled", False)
            )
        )

    def on_index_progress(self, message: IndexProgress) -> None:
        with contextlib.suppress(LookupError):
            self.main.status.set_progress(message.done, message.total)

    def on_index_done(self, message: IndexDone) -> None:
        with contextlib.suppress(LookupError):
            self.main.status.set_progress(1, 1)
        if message.error:
            self.notify(message.error, title="Search index", severity="warning", markup=False)

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
        return " · ".join(text for _kind, text in views.library_parts(self.library))

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

    def error(self, message: str) -> None:
        self.notify(tx.line(message), title="Error", severity="error", markup=False, timeout=8)

    def search(self, text: str) -> Any:
        return self.searcher.search(text)

    def _search_typed(self, text: str, current: Callable[[], str] | None = None) -> Any:
        """A query from the search box: the word being typed is a prefix too.
        When that expansion is not a valid query, the text as typed runs, so an
        error message points at what the user wrote. Returns None, without
        searching, when ``current()`` shows the box has moved on since (the
        search thread runs one query at a time; stale ones must not queue)."""
        from reader.search.incremental import expand_last_word
        from reader.search.query import QueryError

        if current is not None and current() != text:
            return None
        expanded = expand_last_word(text)
        if expanded != text:
            with contextlib.suppress(QueryError):
                return self.searcher.search(expanded, limit=TYPED_LIMIT)
        return self.searcher.search(text, limit=TYPED_LIMIT)

    def search_future(self, text: str) -> Any:
        """Start a box query in the search thread (Enter); a Future."""
        return self._pool.submit(self._search_typed, text)

    async def search_async(self, text: str, current: Callable[[], str] | None = None) -> Any:
        """Run a box query in the one search thread (one Whoosh searcher,
        reused); None when it was skipped as stale (see ``_search_typed``)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._search_typed, text, current)

    def count(self, query: str) -> int | None:
        try:
            return int(self.searcher.count(query))
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
        try:
            from reader.export import bibtex_entry
        except ImportError:
            return ""
        try:
            return str(bibtex_entry(paper, self.state))
        except Exception:
            return ""

    def export_formats(self) -> list[str]:
        try:
            from reader.export import FORMATS
        except ImportError:
            return []
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
        try:
            from reader import clipboard
        except ImportError:
            self.copy_to_clipboard(text)
            self.notify(text, title=f"Copied {what} (OSC 52)", markup=False)
            return None
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

    def open_link(self, url: str) -> None:
        """Open ``url`` through the reader's opener; when it cannot open (SSH, no
        display) the link is copied instead and shown."""
        if not url:
            self.notify("This paper has no link.", severity="warning")
            return
        from reader import opener

        result = opener.open_url(url)
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
        try:
            from reader import clipboard
        except ImportError:
            return ""
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


def _make_searcher(library: Any, state: Any, index: Any) -> Any:
    try:
        from reader.search.engine import Searcher
    except ImportError:  # pragma: no cover
        return None
    return Searcher(library, state, index)


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
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(result or 0)
