"""Every private Textual API the reader relies on, fenced in one module.

Checked against **Textual 8.2.8** (:data:`TEXTUAL_VERSION`; pyproject pins
``textual==8.2.8``). ``tests/test_textual_private.py`` fails loudly, naming
what moved, when an upgrade changes any of it: the version, the signatures
below, the attributes they reach and what the reader sees them do (a
scroll styles only the row that came into view, the abstract pane's
scrollbar follows its text, the search box hands keys on, a copy reaches
the terminal). To upgrade Textual: run that file, mend what it names
here, then move the pin and :data:`TEXTUAL_VERSION` together.

What is used, and why (each for speed or for keys typed in one burst):

* ``textual._styles_cache.StylesCache`` and its positional ``render_line``
  signature, and ``Widget._styles_cache``: :class:`RowStylesCache` keeps
  each row's styled line, so a one-row scroll of the paper list styles
  one row, not all 45 (about 5 ms of the 16 ms frame).
* ``ScrollView._scroll_update``: the abstract pane sets its virtual size
  without the reactive (which would lay out the whole screen on each
  cursor move) and updates its scrollbar through this.
* ``Input._on_key``: the search box sees Enter and Escape before Textual's
  own key handling, so keys typed with them in one read go where the
  focus goes next (:class:`KeyFirstInput`).
* ``App._driver``: raw OSC 52 bytes for the clipboard over SSH.
* ``Screen._compositor``: what a screen shows, as text, for tests.

Nothing else in ``reader/`` may name a Textual attribute that starts with
an underscore (``tests/test_textual_private.py`` greps for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from rich.terminal_theme import TerminalTheme
from textual import events
from textual._styles_cache import StylesCache
from textual.app import App
from textual.cache import LRUCache
from textual.color import Color
from textual.content import Content
from textual.geometry import Size, Spacing
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.css.styles import StylesBase

ReturnType = TypeVar("ReturnType")
ScreenResultType = TypeVar("ScreenResultType")

#: The Textual release every use here was checked against.
TEXTUAL_VERSION = "8.2.8"

#: A border's title or subtitle as ``StylesCache.render_line`` takes it.
BorderLabel = tuple[Content, Color, Color, Style] | None


class RowStylesCache(StylesCache):
    """Textual's per-widget cache of styled lines (border, padding, background
    added to what ``render_line`` returns) is keyed by the line's place on
    screen, so a one-row scroll styles every visible row again: about 5 ms
    of the 16 ms budget at 45 rows. This one also remembers the styled line
    of each row strip (the widget's own cached strips, compared by identity),
    so a scroll styles only the row that came into view; the unchanged
    strips then hit Textual's later caches too (filters, cuts, escape codes).
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: LRUCache[tuple[object, ...], tuple[Strip, Strip]] = LRUCache(256)
        """(row strip id, geometry, colours) -> (row strip, styled line)."""

    def render_line(
        self,
        styles: StylesBase,
        y: int,
        size: Size,
        content_size: Size,
        padding: Spacing,
        base_background: Color,
        background: Color,
        render_content_line: Callable[[int], Strip],
        border_title: BorderLabel,
        border_subtitle: BorderLabel,
        opacity: float,
        ansi_theme: TerminalTheme,
        native_ansi: bool,
    ) -> Strip:
        gutter = styles.gutter
        content_y = y - gutter.top
        rest = (border_title, border_subtitle, opacity, ansi_theme, native_ansi)
        if not (0 <= content_y < content_size.height and y < size.height - gutter.bottom):
            return super().render_line(
                styles,
                y,
                size,
                content_size,
                padding,
                base_background,
                background,
                render_content_line,
                *rest,
            )
        content = render_content_line(content_y)
        key: tuple[object, ...] = (id(content), size, content_size, padding)
        key += (base_background, background, styles.border, styles.outline, opacity)
        hit = self.rows.get(key)
        if hit is not None and hit[0] is content:
            return hit[1]
        line = super().render_line(
            styles,
            y,
            size,
            content_size,
            padding,
            base_background,
            background,
            lambda _y: content,
            *rest,
        )
        self.rows[key] = (content, line)
        return line


def use_row_styles_cache(widget: Widget) -> RowStylesCache:
    """Give ``widget`` a :class:`RowStylesCache` (call in ``__init__``)."""
    cache = RowStylesCache()
    widget._styles_cache = cache
    return cache


def clear_row_styles(widget: Widget) -> None:
    """Forget the styled rows of ``widget`` (its styles changed)."""
    cache = widget._styles_cache
    if isinstance(cache, RowStylesCache):
        cache.rows.clear()


def scroll_update(view: ScrollView, virtual_size: Size) -> None:
    """Update ``view``'s scrollbars for ``virtual_size`` (set without the
    reactive, so the screen is not laid out again)."""
    view._scroll_update(virtual_size)


def write_to_terminal(app: App[ReturnType], data: str) -> bool:
    """Write ``data`` to the terminal as it is (escape sequences included);
    False when there is no terminal (headless, not started)."""
    driver = app._driver
    if driver is None or app.is_headless:
        return False
    driver.write(data)
    driver.flush()
    return True


class KeyFirstInput(Input):
    """An ``Input`` that sees each key before Textual's own handling of it:
    :meth:`key_first` returns True for a key it handled, which then goes no
    further (Textual calls ``_on_key`` of every class along the MRO unless
    the default is prevented)."""

    async def key_first(self, event: events.Key) -> bool:
        return False

    async def _on_key(self, event: events.Key) -> None:
        if await self.key_first(event):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


def screen_strips(screen: Screen[ScreenResultType]) -> list[Strip]:
    """The lines ``screen`` shows now, as its compositor drew them (tests)."""
    return list(screen._compositor.render_strips())
