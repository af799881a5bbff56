"""The problems list: what could not be read in the digests (and the config),
one row each: file, line, message. Opened from the status line's "N problems"
(click), its key or the palette. Esc or q closes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from reader.model import Problem
from reader.tui import text as tx
from reader.wording import number, problems_told

#: Rows listed (``digest-reader check`` lists them all).
SHOWN = 2000


def problem_rows(problems: Sequence[Problem]) -> list[tuple[str, str, str, str]]:
    """``(severity, file, line, message)`` for each problem, errors first,
    then by file and line; every string ready for the screen."""

    def key(p: Problem) -> tuple[int, str, int]:
        return (p.severity != "error", p.path, p.line or p.record or 0)

    out = []
    for p in sorted(problems, key=key):
        where = str(p.line) if p.line is not None else (f"record {p.record}" if p.record else "")
        out.append((p.severity, tx.line(p.path), where, tx.line(p.message)))
    return out


def common_folder(paths: Sequence[str]) -> str:
    """The folder every path is in (``""`` when that is only ``/`` or none)."""
    folders = [os.path.dirname(p) for p in paths if os.path.isabs(p)]
    if not folders or len(folders) != len(paths):
        return ""
    try:
        common = os.path.commonpath(folders)
    except ValueError:
        return ""
    return "" if common in ("", os.sep) else common


def left_cut(text: str, width: int) -> str:
    """``text`` cut from the left to ``width`` (the end of a path says most)."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def summary(problems: Sequence[Problem]) -> str:
    """``1 problem, 3 warnings`` (as the status line says it)."""
    errors = sum(1 for p in problems if p.severity == "error")
    return problems_told(errors, len(problems) - errors) or "no problems"


class ProblemsScreen(ModalScreen[None]):
    """Every problem, a row each; the table scrolls with j/k and the arrows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="problems-close"),
        Binding("j", "cursor('down')", "Down", show=False, id="problems-down"),
        Binding("k", "cursor('up')", "Up", show=False, id="problems-up"),
    ]

    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    ProblemsScreen > Vertical {
        width: 90%; max-width: 100%; height: auto; max-height: 90%;
        background: $surface; border: round $warning; padding: 0 1;
    }
    ProblemsScreen DataTable { height: auto; max-height: 40; }
    ProblemsScreen #problems-hint { color: $text-muted; }
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__()
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        rows = problem_rows(self.problems)
        under = common_folder([path for _s, path, _l, _m in rows])
        inner = max(40, self.app.size.width * 9 // 10 - 4)
        file_width = min(max((len(r[1]) - len(under) for r in rows), default=4), inner // 3)
        # each column has one cell of padding on either side
        message_width = max(20, inner - 7 - file_width - 9 - 8)
        with Vertical() as box:
            box.border_title = f"Problems: {summary(self.problems)} (Esc closes)"
            table: DataTable[Text] = DataTable(
                id="problems-table", cursor_type="row", zebra_stripes=True
            )
            table.add_column("", width=7)
            table.add_column("file", width=file_width)
            table.add_column("line", width=9)
            table.add_column("message", width=message_width)
            for severity, path, where, message in rows[:SHOWN]:
                mark = Text("problem", style="bold") if severity == "error" else Text(severity)
                if under:
                    path = path[len(under) :].lstrip(os.sep)
                table.add_row(
                    mark, Text(left_cut(path, file_width)), Text(where), Text(message), height=None
                )
            yield table
            hints = []
            more = len(rows) - SHOWN
            if more > 0:
                hints.append(f"and {number(more)} more")
            if under:
                hints.append(f"files under {under}")
            hints.append("digest-reader check PATH lists them too (file:line: message)")
            yield Static(Text(" · ".join(hints)), id="problems-hint")

    def on_mount(self) -> None:
        if not self.is_attached:  # the app is ending (a signal as it opened): its widgets are gone
            return
        self.query_one(DataTable).focus()

    def action_cursor(self, direction: str) -> None:
        table = self.query_one(DataTable)
        if direction == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()
