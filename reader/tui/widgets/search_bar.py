"""The search bar: one line of query, and a line under it for a bad query."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from reader.tui.textual_private import KeyFirstInput


class SearchInput(KeyFirstInput):
    """The query input. Textual queues each key on the widget focused when the
    key was read, so the keys typed with Enter or Escape (``word``, Enter,
    ``s`` in one read, as a fast typist, a paste or tmux sends them) are all
    queued here. Enter and Escape are therefore handled here, in that order,
    and the keys after them, which arrive once the focus has left, are handed
    back to the app, which routes them to the new focus."""

    on_submit: Callable[[str], None] | None = None
    on_leave: Callable[[], None] | None = None

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

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the bar (None hides the line)."""
        self.query_one("#search-error", Static).update(Text(message or ""))
        self.set_class(bool(message), "-error")
