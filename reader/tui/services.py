"""What the main screen asks of the app, as one typed interface.

The screen gets a :class:`MainServices` when it is made (the app passes
itself: ``MainScreen(app)``) and never reaches past it: the core objects of
the session, the user's state as the list shows it, search run off the
event loop, changes that can be undone, copying and opening (:class:`Links`),
export, and the few app-wide actions (problems, theme). mypy checks that
the app provides every member; a test or another front end can provide its
own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from reader.config import Config
    from reader.library import Library
    from reader.model import Paper
    from reader.search.engine import Count, Hit, SearchResult
    from reader.session import Session
    from reader.state import PaperState, StateStore
    from reader.tui.links import Links
    from reader.undo import UndoLog


T = TypeVar("T")


class MainServices(Protocol):
    """The app as the main screen sees it."""

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
