"""The search bar: one line of query, and a line under it for a bad query."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.widgets import Static

from reader.tui.textual_private import KeyFirstInput

if TYPE_CHECKING:
    from typing_extensions import Self


class SearchInput(KeyFirstInput):
    """The query input. Textual queues each key on the widget focused when the
    key was read, so the keys typed with Enter or Escape (``word``, Enter,
    ``s`` in one read, as a fast typist, a paste or tmux sends them) are all
    queued here. Enter and Escape are therefore handled here, in that order,
    and the keys after them, which arrive once the focus has left, are handed
    back to the app, which routes them to the new focus."""

    on_submit: Callable[[str], None] | None = None
    on_leave: Callable[[], None] | None = None

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        # Input asks for a layout at every key (the text's width is its
        # virtual size), and a layout arranges the whole screen again
        # (10-40 ms a key over the real digests). This box is one line as
        # wide as the bar whatever is typed in it: a repaint is enough.
        return super().refresh(*regions, repaint=repaint, layout=False, recompose=recompose)

    async def key_first(self, event: events.Key) -> bool:
        if self.app.focused is not self:
            self.app.post_message(events.Key(event.key, event.character))
            return True
        if event.key == "enter" and self.on_submit is not None:
            self.on_submit(self.value)
            return True
        if event.key == "escape" and self.on_leave is not None:
            self.on_leave()
            return True
        return False


class SearchBar(Vertical):
    """The query input and its error line (hidden when empty)."""

    DEFAULT_CSS = """
    SearchBar { height: auto; }
    SearchBar > Input { border: none; height: 1; padding: 0 1; background: $surface; }
    SearchBar > Input:focus { background: $boost; }
    SearchBar > #search-error { color: $error; height: auto; padding: 0 1; display: none; }
    SearchBar.-error > #search-error { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield SearchInput(
            placeholder='/ to search: words, "phrases", title: author: tag: is:starred -is:read',
            id="search",
            compact=True,
            select_on_focus=False,
        )
        yield Static(id="search-error")

    @property
    def input(self) -> SearchInput:
        return self.query_one("#search", SearchInput)

    @property
    def value(self) -> str:
        return self.input.value

    _error: str = ""

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the bar (None hides the line). Only a
        change is drawn: each search clears the line, and an update of a
        line that can grow means a layout pass of the whole screen."""
        if (message or "") == self._error:
            return
        self._error = message or ""
        self.query_one("#search-error", Static).update(Text(self._error))
        self.set_class(bool(message), "-error")
