"""The search bar: one line of query, and a line under it while the box is
in use (what Enter and Esc do) or its query is bad (why).

The second line is there, one row high, for as long as the box has the
focus, whatever it says: a query that turns bad and good again as it is
typed (``sort:u``, ``title:``, ``a OR``) changes its text, never the
screen's layout (a layout arranges every widget again, 20-40 ms a key over
the real digests, and the list would jump a row each time)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

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


#: The line under the box while it is in use and its query is good.
HINT = "Enter: to the results · Esc: clear · the word being typed matches as a prefix"


class SearchBar(Vertical):
    """The query input and, while it is in use or its query is bad, a line
    under it (see the module docs)."""

    DEFAULT_CSS = """
    SearchBar { height: auto; }
    /* Textual restyles on a focus change only below a node that has a
       :focus-within rule of its own: this one, for the line under the box. */
    SearchBar:focus-within { height: auto; }
    SearchBar > Input { border: none; height: 1; padding: 0 1; background: $surface; }
    SearchBar > Input:focus { background: $boost; }
    SearchBar > #search-error {
        height: 1; padding: 0 1; display: none; color: $text-muted;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    SearchBar:focus-within > #search-error, SearchBar.-error > #search-error { display: block; }
    SearchBar > .search-bar--error { color: $error; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"search-bar--error"}

    def compose(self) -> ComposeResult:
        yield SearchInput(
            placeholder='/ to search: words, "phrases", title: author: tag: is:starred -is:read',
            id="search",
            compact=True,
            select_on_focus=False,
        )
        yield Static(HINT, id="search-error")

    @property
    def input(self) -> SearchInput:
        return self.query_one("#search", SearchInput)

    @property
    def value(self) -> str:
        return self.input.value

    _error: str = ""

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the bar (None: the hint while the box has
        the focus, else no line). Only a change is drawn, and never laid out:
        the line is one row whatever it says."""
        if (message or "") == self._error:
            return
        self._error = message or ""
        # The colour as the text's own style: a CSS class would restyle the
        # line, and Textual lays the screen out again for that.
        style = self.get_component_rich_style("search-bar--error") if message else ""
        line = Text(self._error, style=style) if message else Text(HINT)
        self.query_one("#search-error", Static).update(line, layout=False)
        self.set_class(bool(message), "-error")
