"""What the main screen asks of the app, and what the app tells it: one
typed seam each way.

The screen gets a :class:`MainServices` when it is made (the app passes
itself: ``MainScreen(app)``) and never reaches past it: the core objects of
the session, the user's state as the list shows it, search run off the
event loop, changes that can be undone, copying and opening (:class:`Links`),
export, and the few app-wide actions (problems, theme). mypy checks that
the app provides every member; a test or another front end can provide its
own.

The app never calls into the screen: what happens in it that the screen
shows (a library taken in, the index's progress, a fetch's step, a command
chosen in the palette) it publishes on one of its :class:`ScreenSignals`,
and the screen, subscribed when it mounts, handles it in its own turn
(Textual's :class:`~textual.signal.Signal`: no subscriber, nothing happens;
a screen taken down is dropped). ``tests/test_house.py`` checks that no
module of ``reader/tui`` reaches the screen through the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from textual.signal import Signal

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from reader.config import Config
    from reader.library import Library
    from reader.model import Paper
    from reader.search.engine import Count, Hit, SearchResult
    from reader.session import Session
    from reader.state import PaperState, StateStore
    from reader.tui.links import Links
    from reader.undo import UndoLog
    from reader.views import View, ViewKind


T = TypeVar("T")


@dataclass(frozen=True)
class LibraryTaken:
    """The app took in ``library`` (the rest of a partial one, a first
    read's papers so far, a reload): the screen lists it."""

    library: Library
    #: Its list of every paper, made in the worker that read it (None: the
    #: screen makes it).
    prepared: View | None = None
    #: The cursor on the first paper (a first read no key has touched yet).
    top: bool = False


@dataclass(frozen=True)
class IndexMoved:
    """The index's progress (``done`` of ``total``); ``ready``: it is in
    line with the library, so a search in the box runs again (its scanned
    papers get their index scores, its count is exact)."""

    done: int
    total: int
    ready: bool = False


@dataclass(frozen=True)
class ListAsked:
    """Show these papers as a list of their own (``w``: the new papers)."""

    kind: ViewKind
    label: str
    ids: frozenset[str]


class ScreenSignals:
    """What the app publishes for the screen (see the module's docstring)."""

    def __init__(self, owner: DOMNode) -> None:
        #: A library was taken in.
        self.library: Signal[LibraryTaken] = Signal(owner, "library")
        #: The index moved on, or is done.
        self.index: Signal[IndexMoved] = Signal(owner, "index")
        #: A line of background work for the status line ("" clears it).
        self.activity: Signal[str] = Signal(owner, "activity")
        #: The remembered sources changed: the sidebar is filled again.
        self.sources: Signal[None] = Signal(owner, "sources")
        #: A command chosen in the palette: the screen's action to run.
        self.action: Signal[str] = Signal(owner, "action")
        #: A saved search chosen in the palette, by name.
        self.saved_search: Signal[str] = Signal(owner, "saved-search")
        #: A list of papers to show.
        self.papers: Signal[ListAsked] = Signal(owner, "papers")


class MainServices(Protocol):
    """The app as the main screen sees it."""

    @property
    def signals(self) -> ScreenSignals:
        """What the app tells the screen (subscribed at its mount)."""
        ...

    def paper_shown(self, pid: str | None) -> None:
        """The abstract pane shows paper ``pid`` now (the app's workers read
        the rows around it first: a hint, read from any thread)."""
        ...

    # -- the session ----------------------------------------------------------

    @property
    def session(self) -> Session: ...

    @property
    def config(self) -> Config: ...

    @property
    def library(self) -> Library: ...

    @property
    def state(self) -> StateStore: ...

    @property
    def last_session(self) -> float | None:
        """When the previous session started (the catch-up starts there)."""
        ...

    # -- the user's state, read defensively ------------------------------------

    def state_of(self, pid: str) -> PaperState:
        """The paper's state (a blank one when the store cannot answer)."""
        ...

    def read_ids(self) -> set[str]: ...

    @property
    def undo_log(self) -> UndoLog: ...

    def mutate(self, change: Callable[[], object]) -> bool:
        """Run a state change; False (and an error shown) when not saved."""
        ...

    def mutate_undoable(
        self,
        what: str | Callable[[int], str],
        field: str,
        ids: Sequence[str],
        change: Callable[[], object],
    ) -> bool: ...

    # -- search -------------------------------------------------------------------

    def search(self, text: str) -> SearchResult: ...

    def search_future(self, text: str) -> Future[SearchResult | None]: ...

    async def search_async(
        self, text: str, current: Callable[[], str] | None = None
    ) -> SearchResult | None: ...

    def count(self, query: str) -> Count | None: ...

    async def in_search_thread(self, work: Callable[[], T]) -> T: ...

    def similar(self, pid: str) -> list[Hit] | None: ...

    def papers_for(self, hits: Iterable[Hit]) -> Sequence[Paper]: ...

    # -- the sidebar and the status line -------------------------------------------

    def status_parts(self) -> list[tuple[str, str]]: ...

    def sources(self, wait: bool = True) -> list[tuple[str, str, int | None]]: ...

    def papers_from_source(self, path: str) -> set[str]: ...

    def keys_of(self, command: str) -> str:
        """The keys of a command as the user set them, for a hint."""
        ...

    # -- copy, open, export ----------------------------------------------------------

    @property
    def links(self) -> Links: ...

    def bibtex(self, paper: Paper) -> str: ...

    def export_formats(self) -> list[str]: ...

    def export_to(self, papers: Sequence[Paper], fmt: str, path: Path) -> None: ...

    # -- app-wide -------------------------------------------------------------------

    def error(self, message: str) -> None: ...

    def show_problems(self) -> None: ...

    def next_theme(self) -> None: ...
