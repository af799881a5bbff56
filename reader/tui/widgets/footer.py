"""The footer: the focused widget's keys, drawn as one line of text.

It shows what Textual's ``Footer`` shows (the active bindings with
``show=True``, one per action, keys as the keymap set them, the command
palette's key on the right) in the same colours, but as one widget that
draws its line again when the bindings change. ``Footer`` mounts a widget
per key at every focus change (``/`` into the search box, Enter and Esc
out of it): a layout and a full frame. From the key to the frame drawn
(``benchmarks/focus_bench.py``, sample digests, load 0.9): p50 63 ms at
160x48 and 39-45 ms at 80x24 with it, 22 ms and 10 ms with this one.
Entries that do not fit are left out at the end; the line never wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

#: Between the keys and the palette's key (Footer's ``border-left: vkey``).
SEPARATOR = "▏"


@dataclass(frozen=True)
class FooterEntry:
    """One entry of the footer."""

    key: str
    """The key pressed when the entry is clicked (the first of the binding's)."""
    display: str
    """The key as shown (``/``, ``^p``)."""
    description: str
    """What it does (``Search``)."""
    enabled: bool = True
    """False: shown dimmed (the action is there but does nothing here)."""
    tooltip: str = ""
    """Shown while the mouse is over the entry."""


@dataclass(frozen=True)
class FooterLine:
    """What the footer shows: its keys, and the palette's key on the right."""

    keys: tuple[FooterEntry, ...] = ()
    palette: FooterEntry | None = None


@dataclass(frozen=True)
class Piece:
    """A run of the line: its text, its part (``key``, ``description``,
    ``separator`` or ``blank``), and the entry a click on it presses."""

    text: str
    part: str
    entry: FooterEntry | None = None


def entry_pieces(entry: FooterEntry) -> list[Piece]:
    """One key as Footer draws it: `` s `` then ``Star ``."""
    if not entry.description:
        return [Piece(entry.display, "key", entry)]
    return [
        Piece(f" {entry.display} ", "key", entry),
        Piece(f"{entry.description} ", "description", entry),
    ]


def palette_pieces(entry: FooterEntry) -> list[Piece]:
    """The palette's key, compact and set off on the left: ``▏^p palette ``."""
    return [
        Piece(SEPARATOR, "separator"),
        Piece(entry.display, "key", entry),
        Piece(f" {entry.description}", "description", entry),
        Piece(" ", "blank"),
    ]


def fit_footer(line: FooterLine, width: int) -> list[Piece]:
    """The pieces drawn in ``width`` cells, exactly ``width`` wide: the keys
    that fit from the left (the first that does not fit and all after it
    are left out), blanks, then the palette's key (left out too when it
    alone does not fit)."""
    right = palette_pieces(line.palette) if line.palette is not None else []
    right_width = sum(cell_len(p.text) for p in right)
    if right_width > width:
        right, right_width = [], 0
    left: list[Piece] = []
    used = 0
    for entry in line.keys:
        pieces = entry_pieces(entry)
        need = sum(cell_len(p.text) for p in pieces)
        if used + need > width - right_width:
            break
        left += pieces
        used += need
    gap = width - used - right_width
    return [*left, *([Piece(" " * gap, "blank")] if gap > 0 else []), *right]


class KeyFooter(Widget, can_focus=False):
    """The footer: the keys of the focused widget, as one line."""

    ALLOW_SELECT = False

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "footer--key",
        "footer--description",
        "footer--separator",
    }

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyFooter > .footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .footer--separator {
        color: $foreground 20%;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.line = FooterLine()
        """The keys shown (for the focused widget, as of the last change)."""
        self._styles: dict[str, Style] = {}
        self._drawn: tuple[int, list[Piece], Strip] | None = None

    # -- what it shows ---------------------------------------------------------

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.line = self.active_line()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The focus or the bindings changed: draw the line again if what it
        lists did (one repaint of this widget, nothing mounted)."""
        if not screen.app.app_focus or screen is not self.screen:
            return  # as Footer: keep the keys while the terminal is not focused
        line = self.active_line()
        if line != self.line:
            self.line = line
            self._drawn = None
            self.refresh()

    def active_line(self) -> FooterLine:
        """The screen's active bindings shown in a footer, as Footer picks
        them: ``show=True``, the first key of each action, in order."""
        app = self.app
        active = self.screen.active_bindings
        keys: dict[str, FooterEntry] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in keys:
                display = app.get_key_display(binding)
                keys[binding.action] = FooterEntry(
                    binding.key, display, binding.description, enabled, tooltip
                )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            display = app.get_key_display(binding)
            tooltip = tooltip or binding.description
            palette = FooterEntry(binding.key, display, binding.description, enabled, tooltip)
        return FooterLine(tuple(keys.values()), palette)

    @property
    def text(self) -> str:
        """The line as shown now, plain."""
        return "".join(p.text for p in fit_footer(self.line, self.size.width))

    # -- drawing ---------------------------------------------------------------

    def _style(self, part: str, enabled: bool) -> Style:
        name = f"{part}-{enabled}"
        style = self._styles.get(name)
        if style is None:
            base = self.rich_style
            if part == "blank":  # the background alone, as between Footer's keys
                style = Style(bgcolor=base.bgcolor)
            else:
                style = base + self.get_component_rich_style(f"footer--{part}")
            if not enabled:
                style += Style(dim=True)
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._drawn is None or self._drawn[0] != width:
            pieces = fit_footer(self.line, width)
            segments = [
                Segment(p.text, self._style(p.part, p.entry is None or p.entry.enabled))
                for p in pieces
            ]
            self._drawn = (width, pieces, Strip(segments, width))
        return self._drawn[2] if y == 0 else Strip.blank(width, self.rich_style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._drawn = None

    # -- the mouse (as with Footer: a tooltip, and a click presses the key) ----

    def entry_at(self, x: int) -> FooterEntry | None:
        """The entry drawn at column ``x``, if any."""
        if self._drawn is None:
            return None
        right = 0
        for piece in self._drawn[1]:
            right += cell_len(piece.text)
            if x < right:
                return piece.entry
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        entry = self.entry_at(event.x)
        tooltip = entry.tooltip if entry is not None and entry.tooltip else None
        if tooltip != self.tooltip:
            self.tooltip = tooltip

    def on_click(self, event: events.Click) -> None:
        entry = self.entry_at(event.x)
        if entry is not None:
            if entry.enabled:
                self.app.simulate_key(entry.key)
            else:
                self.app.bell()
