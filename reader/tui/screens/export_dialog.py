"""The export dialog (from the command palette): a format and a file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from reader.export import default_path
from reader.paths import PathError, user_path
from reader.wording import counted


class ExportDialog(ModalScreen[tuple[str, Path] | None]):
    """Pick a format (the path follows it), edit the path, Enter writes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="export-cancel"),
    ]

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    ExportDialog OptionList { height: auto; max-height: 10; border: none; }
    ExportDialog .hint { color: $text-muted; }
    """

    def __init__(self, formats: Sequence[str], count: int, folder: Path | None = None) -> None:
        super().__init__()
        self.formats = list(formats)
        self.count = count
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Export"
            yield Static(Text(f"Export the {counted(self.count, 'paper')} of the current list as:"))
            yield OptionList(*[Option(Text(f), id=f) for f in self.formats], id="export-formats")
            yield Input(
                str(default_path(self.formats[0], self.folder)) if self.formats else "",
                id="export-path",
            )
            yield Static(Text("↑↓ format · Enter on the path writes · Esc cancels"), classes="hint")

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        self.query_one(OptionList).focus()

    @property
    def fmt(self) -> str:
        ol = self.query_one(OptionList)
        index = ol.highlighted or 0
        return self.formats[index] if self.formats else ""

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        path = self.query_one("#export-path", Input)
        current = Path(path.value) if path.value else default_path(self.fmt, self.folder)
        path.value = (
            str(current.with_name(default_path(self.fmt).name))
            if current.name.startswith("digest-export.")
            else str(current)
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#export-path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        try:
            target = user_path(value)
        except PathError as exc:
            self.notify(str(exc), title="Export", severity="error", markup=False)
            return
        self.dismiss((self.fmt, target))
