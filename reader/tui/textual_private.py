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
* ``Screen._dirty_widgets`` and ``Screen._on_timer_update``: the abstract
  pane is drawn as soon as it follows the cursor, not on the next tick of
  the screen's frame timer (:func:`paint_now`).
* ``Screen._compositor``: what a screen shows, as text, for tests; and the
  main screen's compositor is a :class:`SpanCompositor`, which draws each
  widget only on the lines of a repaint that reach it (``Compositor``'s
  ``render_partial_update``, ``cuts``, ``visible_widgets``,
  ``_dirty_regions``, ``_regions_to_spans`` and ``ChopsUpdate``).

Nothing else in ``reader/`` may name a Textual attribute that starts with
an underscore (``tests/test_textual_private.py`` greps for it).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import RenderableType
from rich.terminal_theme import TerminalTheme
from textual import events
from textual._compositor import ChopsUpdate, Compositor
from textual._styles_cache import StylesCache
from textual.app import App
from textual.cache import LRUCache
from textual.color import Color
from textual.content import Content
from textual.geometry import Region, Size, Spacing
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
        self._last: tuple[Any, ...] | None = None
        """What the last row was styled with (its ``y`` a row's, not a border's)."""

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
        self._last = (styles, y, size, content_size, padding, base_background, background, rest)
        return self._styled(content)

    def forget(self) -> None:
        """Forget every styled row (the widget's styles changed); not
        :meth:`clear`, which Textual calls at each repaint."""
        self.rows.clear()
        self._last = None

    def style_ahead(self, content: Strip) -> None:
        """Style ``content`` (a row strip not on screen yet) as the last row
        drawn was styled, so that it is found when it comes into view."""
        if self._last is not None:
            self._styled(content)

    def _styled(self, content: Strip) -> Strip:
        assert self._last is not None
        styles, y, size, content_size, padding, base_background, background, rest = self._last
        key: tuple[object, ...] = (id(content), size, content_size, padding)
        key += (base_background, background, styles.border, styles.outline, rest[2])
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
        cache.forget()


def style_ahead(widget: Widget, content: Strip) -> None:
    """Style ``content``, a row of ``widget`` not on screen yet, as its rows
    on screen are styled (see :meth:`RowStylesCache.style_ahead`)."""
    cache = widget._styles_cache
    if isinstance(cache, RowStylesCache):
        cache.style_ahead(content)


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


class SpanCompositor(Compositor):
    """A compositor whose repaints draw each widget only where they reach it.

    Textual's partial update draws every widget that meets the union of the
    regions to repaint, each over its whole height: a search's results
    repaint the list, the count in the status line at the top and the box's
    line, so that union is the whole screen and the abstract pane, both
    scrollbars, the footer's keys and every container were drawn again at
    each key (from their line caches, then cut into pieces: 10-15 ms of the
    20-30 ms a search's frame took on the loop over the real digests). Here
    a widget is drawn on the lines where a span to repaint meets its
    columns, and nowhere else: what reaches the terminal is the same (the
    spans, cut from the same strips). A full update (a layout) is Textual's.

    :meth:`after_paint` runs a callback once the next update is drawn: the
    abstract pane follows the cursor's move, or a search's results, in the
    frame after the list's (``call_after_refresh`` runs on the screen's next
    idle, which can come before the list has even told the screen it needs a
    repaint: the pane was then drawn in the list's frame, and delayed it).
    """

    def __init__(self) -> None:
        super().__init__()
        self._after_paint: list[Callable[[], object]] = []

    def after_paint(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once, as the next update is drawn (before it is
        written to the terminal: it should only queue work, ``call_later``)."""
        self._after_paint.append(callback)

    def render_update(
        self,
        full: bool = False,
        screen_stack: list[Screen[Any]] | None = None,
        simplify: bool = False,
    ) -> RenderableType | None:
        update = super().render_update(full=full, screen_stack=screen_stack, simplify=simplify)
        if update is not None and self._after_paint:
            callbacks, self._after_paint = self._after_paint, []
            for callback in callbacks:
                callback()
        return update

    def render_partial_update(self) -> ChopsUpdate | None:
        regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not regions:
            return None
        screen = self.size.region
        spans = [
            (y, max(x1, 0), min(x2, screen.right))
            for y, x1, x2 in self._regions_to_spans(regions)
            if 0 <= y < screen.bottom and x1 < screen.right and x2 > 0
        ]
        if not spans:
            return None
        chops = self.span_chops(spans)
        return ChopsUpdate(chops, spans, [cut_set[1:] for cut_set in self.cuts])

    def span_chops(self, spans: list[tuple[int, int, int]]) -> list[dict[int, Strip | None]]:
        """Each line's pieces (cut -> strip; None: not drawn) over ``spans``
        ((y, x1, x2), by y then x, as ``_regions_to_spans`` gives them),
        drawn front to back: the first widget drawn over a piece wins, as in
        ``Compositor._render_chops``; a widget is drawn on a line only where
        a span meets a piece of it that no widget in front has drawn."""
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        ys = [y for y, _x1, _x2 in spans]
        top, bottom = ys[0], ys[-1] + 1
        for widget, (region, clip) in self.visible_widgets.items():
            shown = region.intersection(clip)
            left, y0, width, height = shown
            if not (width and height) or y0 >= bottom or y0 + height <= top:
                continue
            right = left + width
            lines: list[int] = []
            for i in range(bisect_left(ys, y0), bisect_left(ys, y0 + height)):
                y, x1, x2 = spans[i]
                if x1 >= right or x2 <= left or (lines and lines[-1] == y):
                    continue
                start, end = max(x1, left), min(x2, right)
                line, line_cuts = chops[y], cuts[y]
                j = max(0, bisect_right(line_cuts, start) - 1)
                while line_cuts[j] < end:
                    if line[line_cuts[j]] is None:
                        lines.append(y)
                        break
                    j += 1
            first_cut, last_cut = shown.column_span
            for start, count in _runs(lines):
                crop = Region(left - region.x, start - region.y, width, count)
                strips = widget.render_lines(crop)
                for y, strip in zip(range(start, start + count), strips, strict=False):
                    line = chops[y]
                    final = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                    pieces = strip.divide([c - left for c in final[1:]])
                    for cut, piece in zip(final, pieces, strict=False):
                        if line.get(cut) is None:
                            line[cut] = piece
        return chops


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    """(first, count) of each run of consecutive numbers in ``lines`` (sorted)."""
    runs: list[tuple[int, int]] = []
    for y in lines:
        if runs and runs[-1][0] + runs[-1][1] == y:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((y, 1))
    return runs


def paint_now(screen: Screen[ScreenResultType], *widgets: Widget) -> None:
    """Draw ``widgets``' repaints now rather than at the screen's next frame.

    Textual draws a screen on a 60-a-second grid of ticks and, after a
    pause, skips one tick too many: a frame asked for right after another
    waited 16-33 ms (``Timer._run``). The abstract pane follows a cursor's
    move in the frame after the list's (see :meth:`SpanCompositor.after_paint`):
    waiting for the grid put it 30-33 ms after the key, against 3 ms for the
    cursor (``benchmarks/app_fetch_bench.py``, 100k papers); a typed
    search's results, which come from the search thread at any time, waited
    for it the same way. This draws what the screen's update timer would
    (``Screen._on_timer_update``) with the widgets marked dirty as their
    ``Update`` messages would mark them (the messages still come and find
    nothing left to draw)."""
    screen._dirty_widgets.update(widgets)
    screen._on_timer_update()


def use_span_compositor(screen: Screen[ScreenResultType]) -> SpanCompositor:
    """Give ``screen`` a :class:`SpanCompositor` (call in its ``__init__``,
    before it is mounted: nothing has been laid out on the one it replaces)."""
    compositor = SpanCompositor()
    screen._compositor = compositor
    return compositor


def screen_strips(screen: Screen[ScreenResultType]) -> list[Strip]:
    """The lines ``screen`` shows now, as its compositor drew them (tests)."""
    return list(screen._compositor.render_strips())
