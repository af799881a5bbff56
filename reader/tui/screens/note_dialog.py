"""The note dialog (``n``): a multi-line editor for the paper's note.

Bounded whatever the note holds (the caps are in :mod:`reader.limits`): a
note over :data:`~reader.limits.MAX_NOTE_CHARS` (from a merge, or an older
version) opens cut and read-only, saying how to reach the rest; saving or
pasting past the cap is refused with a message; a line longer than
:data:`~reader.limits.WRAP_MAX_LINE` turns soft wrapping off, since
re-wrapping it on every key is what made a 10 MB note take seconds a key.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from reader.limits import MAX_NOTE_CHARS, WRAP_MAX_LINE, longest_line, note_too_long
from reader.tui import text as tx
from reader.wording import counted

HINT = "Ctrl+S saves · Esc cancels"


class NoteArea(TextArea):
    """A TextArea that refuses a paste which would take the note past the cap
    (handlers run subclass first: ``prevent_default`` keeps TextArea's own
    paste handler from inserting it)."""

    def on_paste(self, event: events.Paste) -> None:
        if self.read_only:
            return
        grown = _length(self) - len(self.selected_text) + len(event.text)
        if grown > MAX_NOTE_CHARS:
            event.prevent_default()
            event.stop()
            self.notify(
                f"Not pasted: the note would be {counted(grown, 'character')};"
                f" a note holds at most {counted(MAX_NOTE_CHARS, 'character')}.",
                severity="error",
                markup=False,
            )


def _length(area: TextArea) -> int:
    """Characters in the area's text (newlines counted), without joining it."""
    doc = area.document
    return sum(len(line) for line in doc.lines) + max(0, doc.line_count - 1)


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
        #: A note over the cap is shown cut and cannot be saved from here.
        self.too_long = len(note) > MAX_NOTE_CHARS

    def compose(self) -> ComposeResult:
        shown = self.note[:MAX_NOTE_CHARS] if self.too_long else self.note
        wrap = longest_line(shown) <= WRAP_MAX_LINE
        with Vertical() as box:
            box.border_title = "Note"
            yield Static(Text(tx.line(self.paper_title), no_wrap=True, overflow="ellipsis"))
            yield NoteArea(
                shown,
                id="note-text",
                soft_wrap=wrap,
                tab_behavior="indent",
                read_only=self.too_long,
            )
            if self.too_long:
                hint = (
                    f"This note is {counted(len(self.note), 'character')}, over the"
                    f" {counted(MAX_NOTE_CHARS, 'character')} a note holds: shown cut, read-only."
                    " `digest-reader note ID` prints it, `digest-reader note ID -` replaces it"
                    " · Esc closes"
                )
            else:
                hint = HINT
            yield Static(Text(hint), classes="hint")

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(TextArea.Changed)
    def _line_grew(self, event: TextArea.Changed) -> None:
        area = event.text_area
        if area.soft_wrap and len(area.document[area.cursor_location[0]]) > WRAP_MAX_LINE:
            area.soft_wrap = False  # one huge line: scroll sideways rather than re-wrap

    def action_save(self) -> None:
        if self.too_long:
            self.notify(
                "This note is over the cap and read-only here; nothing was changed.",
                severity="warning",
                markup=False,
            )
            return
        text = self.query_one(TextArea).text
        why = note_too_long(text)
        if why is not None:
            self.notify(f"Not saved: {why}.", severity="error", markup=False)
            return
        self.dismiss(text)
