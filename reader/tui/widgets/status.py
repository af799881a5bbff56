"""The status line: library size, the current view and its count, the
indexing progress while the index builds, and "N problems" (a click opens
the problems list)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static


class StatusLine(Horizontal):
    """One line at the top of the main screen."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; }
    StatusLine > #status-view { width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusLine > #status-library { width: auto; padding: 0 1; color: $text-muted; }
    StatusLine > #status-progress { width: 28; display: none; }
    StatusLine.-indexing > #status-progress { display: block; }
    StatusLine > #status-progress Bar { width: 14; }
    StatusLine > #status-problems {
        width: auto; padding: 0 1 0 0; color: $text-warning;
        display: none;
    }
    StatusLine.-problems > #status-problems { display: block; }
    StatusLine > #status-problems:hover { text-style: bold underline; }
    """

    class ProblemsClicked(Message):
        """The user clicked "N problems": show the list."""

    def compose(self) -> Any:
        yield Static(id="status-view")
        yield ProgressBar(id="status-progress", show_eta=False, show_percentage=True)
        yield Label(id="status-library")
        yield Label(id="status-problems")

    def set_problems(self, text: str) -> None:
        """``1 problem`` after the library size ("" hides it)."""
        shown = Text.assemble("· ", (text, "underline")) if text else Text()
        self.query_one("#status-problems", Label).update(shown)
        self.set_class(bool(text), "-problems")

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "status-problems":
            event.stop()
            self.post_message(self.ProblemsClicked())

    def set_view(self, text: Text) -> None:
        self.query_one("#status-view", Static).update(text)

    def set_library(self, text: str) -> None:
        self.query_one("#status-library", Label).update(Text(text))

    def set_progress(self, done: int, total: int) -> None:
        """Indexing progress; ``done >= total`` hides the bar."""
        bar = self.query_one("#status-progress", ProgressBar)
        if total <= 0 or done >= total:
            self.remove_class("-indexing")
            return
        self.add_class("-indexing")
        bar.update(total=total, progress=done)
