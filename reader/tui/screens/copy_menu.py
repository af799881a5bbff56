"""The copy menu (``Y``): pick what to copy of the current paper. The open
menu (``O``) is the same menu over the paper's links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

#: Characters of each choice's text shown in the menu (one line each).
PREVIEW = 56


@dataclass(frozen=True)
class CopyChoice:
    """One line of the menu: its key, what it is, and the text it copies."""

    key: str
    label: str
    text: str


class CopyMenu(ModalScreen[CopyChoice | None]):
    """A short menu; a choice's letter picks it at once, Enter the highlighted."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Cancel", id="copy-menu-cancel"),
        Binding("j", "move(1)", "Down", show=False, id="copy-menu-down"),
        Binding("k", "move(-1)", "Up", show=False, id="copy-menu-up"),
    ]

    DEFAULT_CSS = """
    CopyMenu { align: center middle; }
    CopyMenu > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    CopyMenu OptionList { height: auto; max-height: 16; border: none; padding: 0; }
    CopyMenu #copy-hint { color: $text-muted; }
    """

    def __init__(
        self,
        choices: list[CopyChoice],
        *,
        title: str = "Copy",
        hint: str = "letter or Enter copies · j/k move · Esc cancels",
    ) -> None:
        super().__init__()
        self.choices = choices
        self.title = title
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title
            yield OptionList(*self._choice_options(), id="copy-options")
            yield Static(Text(self.hint), id="copy-hint")

    def _choice_options(self) -> list[Option]:
        out = []
        for c in self.choices:
            preview = " ".join(c.text.split())
            if len(preview) > PREVIEW:
                preview = preview[: PREVIEW - 1] + "…"
            label = Text.assemble((f"{c.key} ", "bold"), (f"{c.label:14}", "bold"), " ")
            label.append(preview if preview else "(none)", style="dim")
            label.no_wrap = True
            label.overflow = "ellipsis"
            out.append(Option(label, id=c.key, disabled=not c.text))
        return out

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        self.query_one(OptionList).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def on_key(self, event: events.Key) -> None:
        for c in self.choices:
            if event.character == c.key and c.text:
                event.stop()
                self.dismiss(c)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        for c in self.choices:
            if c.key == event.option.id:
                self.dismiss(c)
                return
