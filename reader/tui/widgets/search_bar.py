"""The search bar: one line of query, and a line under it for a bad query."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Input, Static


class SearchBar(Vertical):
    """The query input and its error line (hidden when empty)."""

    DEFAULT_CSS = """
    SearchBar { height: auto; }
    SearchBar > Input { border: none; height: 1; padding: 0 1; background: $surface; }
    SearchBar > Input:focus { background: $boost; }
    SearchBar > #search-error { color: $error; height: auto; padding: 0 1; display: none; }
    SearchBar.-error > #search-error { display: block; }
    """

    def compose(self) -> Any:
        yield Input(
            placeholder='/ to search: words, "phrases", title: author: tag: is:starred -is:read',
            id="search",
            compact=True,
            select_on_focus=False,
        )
        yield Static(id="search-error")

    @property
    def input(self) -> Input:
        return self.query_one("#search", Input)

    @property
    def value(self) -> str:
        return self.input.value

    def show_error(self, message: str | None) -> None:
        """Show ``message`` under the bar (None hides the line)."""
        self.query_one("#search-error", Static).update(Text(message or ""))
        self.set_class(bool(message), "-error")
