"""The help screen: every command with its keys (after the user's keymap) and
the query language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from reader.search.query import QUERY_HELP
from reader.tui.commands import help_rows


def help_table(keymap: Mapping[str, str] | None = None) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column()
    group = None
    for grp, keys, text in help_rows(keymap):
        if grp != group:
            if group is not None:
                table.add_row("", "")
            table.add_row("", Text(grp, style="bold underline"))
            group = grp
        table.add_row(Text(keys), Text(text))
    return table


#: Where a line of the query help has its second column: three spaces or more.
_COLUMN = re.compile(r"^(\S.*?\S)( {3,})(\S.*)$")


class _Items:
    """A column of ``;``-separated items wrapped between items where it can:
    "word~  typo-tolerant" stays on one line."""

    def __init__(self, text: str) -> None:
        self.items = text.split(";  ")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        lines: list[str] = []
        for i, item in enumerate(self.items):
            piece = item + (";" if i < len(self.items) - 1 else "")
            if lines and len(lines[-1]) + 2 + len(piece) <= width:
                lines[-1] += "  " + piece
            else:
                lines.append(piece)
        yield Text("\n".join(lines))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max(len(item) + 1 for item in self.items)
        return Measurement(min(longest, options.max_width), options.max_width)


def query_help(text: str) -> RenderableType:
    """The query help, each line wrapped under its own second column (at
    80 columns "word~  typo-tolerant" goes to the next line under "words in
    this order", not under the first column)."""
    lines: list[RenderableType] = [Text("Search", style="bold underline")]
    for line in text.splitlines():
        found = _COLUMN.match(line)
        if not found:
            lines.append(Text(line))
            continue
        row = Table.grid()
        row.add_column(no_wrap=True, width=len(found[1]) + len(found[2]))
        row.add_column(ratio=1)
        row.add_row(Text(found[1]), _Items(found[3]))
        lines.append(row)
    return Group(*lines)


class HelpScreen(ModalScreen[None]):
    """Keys and the query language. Escape, q or ? closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help-close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 100%; height: 90%; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    HelpScreen Static { width: 1fr; height: auto; }
    HelpScreen #help-query { margin-top: 1; }
    """

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Help: keys (Esc closes)"
            yield Static(help_table(self.keymap), id="help-keys")
            if QUERY_HELP:
                yield Static(query_help(QUERY_HELP.rstrip()), id="help-query")

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        self.query_one("#help-body").focus()
