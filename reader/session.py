"""One reader's session: where its files are, its config, library, state and
search, each made when first needed.

The CLI (``reader.cli.Context``) and the app (``reader.tui.app.DigestApp``)
both work through a :class:`Session`, so what a command and the app read,
and how, is decided in one place. Nothing here prints or imports Textual:
the CLI's progress bars and warnings stay in the CLI, the app's
notifications in the app.

Laziness is the point: ``digest-reader show ID`` pays for the config, the
library and the state, never for the index (which loads Whoosh and numpy);
the app opens the index after its first paint. Every object can also be
given, ready made, which is how tests and benchmarks build a session over
a fixture library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reader.catalog import CatalogPapers, present
from reader.config import Config, load_config
from reader.library import Library, Parsed, Progress, Sink, needs_first_read, open_library
from reader.model import Paper
from reader.paper_rows import PaperRows
from reader.paths import Paths
from reader.release import release

if TYPE_CHECKING:  # the engine and the index load numpy and Whoosh: not at start
    from reader.search.engine import Count, Hit, SearchEngine, SearchResult
    from reader.search.index import SearchIndex, SyncReport
    from reader.state import StateStore


class Session:
    """Paths, config, library, state, index and search engine of one reader.

    ``extra``: digest files or folders read with the library (the command
    line's paths). ``partial``: open the library with its newest papers
    only when it can (the app; :meth:`Library.load_rest` reads the rest).
    ``lazy_state``: the state store reads only the papers asked for (a CLI
    command, see ``docs/state.md``). ``index_folder``: where the search
    index lives; None searches without one (every paper scanned).
    ``keep_columns``: the search engine's columns are kept on disk between
    processes (a CLI command).
    """

    def __init__(
        self,
        paths: Paths | None = None,
        config: Config | None = None,
        *,
        extra: Sequence[Path] = (),
        library: Library | None = None,
        state: StateStore | None = None,
        index: SearchIndex | None = None,
        searcher: SearchEngine | None = None,
        index_folder: Path | None = None,
        partial: bool = False,
        lazy_state: bool = False,
        lazy_library: bool = False,
        keep_columns: bool = False,
    ) -> None:
        self.paths = paths or Paths.from_env()
        self._config = config
        self.extra = [Path(p) for p in extra]
        self.partial = partial
        self.lazy_state = lazy_state
        #: Papers read from the catalog as they are asked for (the CLI: a
        #: command over an unchanged library reads only what it shows).
        self.lazy_library = lazy_library
        #: The search engine's columns kept on disk beside the catalog and
        #: read from there (the CLI: a command with a filter or a sort reads
        #: no column of every paper from the catalog; see
        #: :mod:`reader.search.stored_columns`).
        self.keep_columns = keep_columns
        #: Seconds a query may scan papers the index does not hold yet (None:
        #: as long as it takes, the count exact; the app sets one).
        self.scan_budget: float | None = None
        #: The index's syncs write in a child process (the app: its cursor
        #: keeps the GIL; see :mod:`reader.search.index.apart`).
        self._sync_apart = False
        self.index_folder = index_folder
        self._library = library
        self._state = state
        self._index = index
        self._searcher = searcher
        #: True when the searcher was made here (and is made again over a new
        #: library); False when it was given.
        self._own_searcher = searcher is None
        #: The engine over the library replaced last, until the next engine
        #: is made (and :meth:`SearchEngine.follow`\ s it).
        self._followed: SearchEngine | None = None
        # The index and the searcher are made in whichever thread asks first
        # (the app's search thread, its index worker, the event loop).
        self._lock = threading.Lock()

    # -- config -----------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The config (read on first use; raises ``ConfigError`` for a file
        that cannot be read at all, a bad value is a warning)."""
        if self._config is None:
            self._config = load_config(self.paths.config_file)
        return self._config

    # -- the library ------------------------------------------------------------

    @property
    def has_library(self) -> bool:
        """True once the library is read (or was given)."""
        return self._library is not None

    @property
    def library(self) -> Library:
        """The library, read on first use (see :meth:`read_library`)."""
        return self.read_library()

    def read_library(self, progress: Progress | None = None) -> Library:
        """The library, read now if not yet (``progress`` reports the
        reading of each file). The one place a session opens it."""
        if self._library is None:
            self._library = open_library(
                self.paths,
                self.config,
                self.extra,
                progress=progress,
                partial=self.partial,
                lazy=self.lazy_library,
            )
        return self._library

    def needs_first_read(self) -> bool:
        """True when the library is not read yet and the cache holds none
        to start from: opening it parses every digest file (the app shows
        itself first and reads meanwhile, :meth:`read_first`), or holds
        little of it (a big folder added to the config)."""
        return self._library is None and needs_first_read(self.paths, self.config, self.extra)

    def read_first(
        self,
        sink: Sink,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        parsed: Parsed | None = None,
    ) -> Library:
        """Read every digest (a first read, in the caller's thread), giving
        each to ``sink`` as soon as it is read (the smallest files first;
        ``sink`` may stop the read by raising: nothing is written then).
        Once every file is read and merged, ``parsed`` gets the whole
        library before the catalog is written (the app builds the index
        from it meanwhile: :meth:`sync_index` with ``library``).
        Then the library is opened again from the catalog just written,
        exactly as a warm start opens it, and returned (the caller takes
        it in, :meth:`replace_library`, when it is ready to show it); not
        when ``cancelled()`` says so by then (the app is quitting: the
        library read is returned as it is)."""
        whole = open_library(
            self.paths,
            self.config,
            self.extra,
            progress=progress,
            partial=False,
            sink=sink,
            parsed=parsed,
        )
        library = whole
        if cancelled is not None and cancelled():
            return whole
        if not needs_first_read(self.paths):  # the catalog was written
            library = open_library(
                self.paths, self.config, self.extra, partial=self.partial, lazy=self.lazy_library
            )
        return library

    def replace_library(self, library: Library) -> None:
        """Take in a library read again (the rest of a partial one, a reload
        after a fetch); the search engine made here follows it."""
        with self._lock:  # with the engine, so no search thread makes one over the old
            old: tuple[object, ...] = (self._library,)
            self._library = library
            if self._own_searcher:
                old += (self._searcher, self._followed)
                # The next engine carries over what this one made, when the
                # library is this one's updated (a fetch's reload); none was
                # made over the library replaced: nothing to carry (it was
                # not the one this library was updated from).
                self._followed = self._searcher
                self._searcher = None
        # The old library and its engine's tables are freed off this thread
        # (the event loop's, in the app): 100k ids and more, in C.
        release(*old)

    def paper(self, pid: str) -> Paper | None:
        """The paper with id ``pid`` (None: not in the library)."""
        return self.library.papers.get(pid)

    def papers_for(self, hits: Iterable[Hit]) -> list[Paper]:
        """The papers of ``hits``, in their order (a hit whose paper left
        the library meanwhile is skipped)."""
        hits = list(hits)
        papers = self.papers_of(h.id for h in hits)
        return [papers[h.id] for h in hits if h.id in papers]

    def rows_for(self, hits: Iterable[Hit]) -> Sequence[Paper]:
        """The papers of ``hits``, in their order, read as they are asked
        for (a list's window, not the best 1,000 at once); a hit whose paper
        left the library meanwhile is skipped."""
        papers = self.library.papers
        ids = [h.id for h in hits]
        return PaperRows([i for i, ok in zip(ids, present(papers, ids), strict=True) if ok], papers)

    def papers_of(self, ids: Iterable[str]) -> Mapping[str, Paper]:
        """The papers of ``ids`` by id: over the catalog, those of them it
        holds, read in a few queries rather than one per paper (and not
        kept beyond its last 2,048: the answer holds them); else the
        library's papers."""
        papers = self.library.papers
        if isinstance(papers, CatalogPapers):
            return papers.take(ids)
        return papers

    # -- the user's state --------------------------------------------------------

    @property
    def has_state(self) -> bool:
        return self._state is not None

    @property
    def state(self) -> StateStore:
        """The user's state store, loaded on first use. A state file that
        cannot be read gives a read-only store that says why
        (``StateStore.problem``); it never raises here."""
        if self._state is None:
            from reader.state import StateStore

            state = StateStore(self.paths.state_file, lazy=self.lazy_state)
            state.load()
            self._state = state
        return self._state

    # -- search -------------------------------------------------------------------

    @property
    def index(self) -> SearchIndex | None:
        """The search index (opened on first use; None without a folder)."""
        if self._index is None and self.index_folder is not None:
            with self._lock:
                if self._index is None:
                    from reader.search.index import SearchIndex

                    self._index = SearchIndex(self.index_folder, sync_apart=self._sync_apart)
        return self._index

    @property
    def sync_apart(self) -> bool:
        """True when the index's syncs write in a child process."""
        return self._sync_apart

    @sync_apart.setter
    def sync_apart(self, value: bool) -> None:
        self._sync_apart = value
        if self._index is not None:
            self._index.sync_apart = value

    @property
    def wants_index(self) -> bool:
        """True when this session searches through an index (one was given,
        or a folder to keep it in)."""
        return self._index is not None or self.index_folder is not None

    def sync_index(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        library: Library | None = None,
    ) -> SyncReport | None:
        """Bring the index in line with the library (None: no index), or
        with ``library``: a first read's, built from the papers in hand
        while the catalog is written (:meth:`read_first`); the same files,
        so the sync over the library taken in then finds nothing to do. An
        ``OSError`` (no folder to keep it in) is the caller's to report, and
        then :meth:`drop_index`."""
        index = self.index
        if index is None:
            return None
        if library is None:
            library = self.library
        return index.sync(library.papers, progress, cancelled, library.version)

    def drop_index(self) -> None:
        """Search without the index from now on (it could not be kept)."""
        with self._lock:
            if self._index is not None:
                self._index.close()
            self._index = None
            self.index_folder = None
            if self._own_searcher:
                self._searcher = None

    @property
    def searcher(self) -> SearchEngine:
        """The search engine over the library, the state and the index."""
        if self._searcher is None:
            index, state = self.index, self.state
            library = self.library  # read (if need be) outside the lock
            with self._lock:
                if self._searcher is None:
                    from reader.search.engine import SearchEngine

                    # the library taken in meanwhile, if one was
                    engine = SearchEngine(self._library or library, state, index)
                    engine.scan_budget = self.scan_budget
                    if self.keep_columns:
                        from reader.search.stored_columns import ColumnStore

                        engine.columns_store = ColumnStore(self.paths.library_cache)
                    followed, self._followed = self._followed, None
                    if followed is not None:
                        engine.follow(followed)
                        release(followed)  # not freed here (maybe the event loop)
                        del followed
                    self._searcher = engine
        return self._searcher

    def search(self, text: str, limit: int | None = None) -> SearchResult:
        """Run query ``text`` (``QueryError`` for a bad one); the best
        ``limit`` hits (None: every hit)."""
        return self.searcher.search(text, limit=limit)

    def count(self, text: str) -> Count:
        """How many papers match ``text`` (``QueryError`` for a bad one)."""
        return self.searcher.count(text)

    def similar(self, pid: str, limit: int = 20) -> list[Hit]:
        """Papers like ``pid``, best first."""
        return list(self.searcher.similar(pid, limit))

    # -- export -------------------------------------------------------------------

    def export(
        self,
        papers: Sequence[Paper],
        fmt: str,
        *,
        with_notes: bool = False,
        terminal: bool = False,
    ) -> str:
        """``papers`` as text in format ``fmt`` with the user's tags (see
        :func:`reader.export.export`; ValueError for an unknown format)."""
        from reader.export import export

        return export(papers, self.state, fmt, with_notes=with_notes, terminal=terminal)

    def export_file(self, papers: Sequence[Paper], fmt: str, path: Path) -> Path:
        """Write ``papers`` in format ``fmt`` to ``path`` (a folder: its
        ``digest-export.EXT``), its folder made if need be; returns the file
        written. OSError or ValueError when it cannot be."""
        from reader.export import default_path

        text = self.export(papers, fmt)
        if path.is_dir():
            path = default_path(fmt, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def bibtex(self, paper: Paper) -> str:
        """One paper's BibTeX entry."""
        from reader.export import bibtex_entry

        return bibtex_entry(paper, self.state)
