"""The note dialog (``n``): a multi-line editor for the paper's note."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from reader.tui import text as tx


class NoteDialog(ModalScreen[str | None]):
    """Ctrl+S saves, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="note-save"),
        Binding("escape", "dismiss(None)", "Cancel", id="note-cancel"),
    ]

    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    NoteDialog > Vertical {
        width: 90; max-width: 100%; height: 80%; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    NoteDialog TextArea { height: 1fr; }
    NoteDialog .hint { color: $text-muted; }
    """

    def __init__(self, title: str, note: str) -> None:
        super().__init__()
        self.paper_title = title
        self.note = note

    def compose(self) -> Any:
        with Vertical() as box:
            box.border_title = "Note"
            yield Static(Text(tx.line(self.paper_title), no_wrap=True, overflow="ellipsis"))
            yield TextArea(self.note, id="note-text", soft_wrap=True, tab_behavior="indent")
            yield Static(Text("Ctrl+S saves · Esc cancels"), classes="hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)
