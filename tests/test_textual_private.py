"""The private Textual APIs of ``reader/tui/textual_private.py``: this file
fails loudly, naming what moved, when a Textual upgrade changes what the
reader relies on (the version, the signatures, the attributes, and what
they do on screen). Mend the module, then move the pin and
``TEXTUAL_VERSION`` together."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType
from rich.style import Style as RichStyle
from textual import events
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Input

from reader.model import Paper
from reader.state import PaperState
from reader.tui import textual_private as tp
from reader.tui.widgets.abstract import AbstractPane
from reader.tui.widgets.paper_list import PaperList

REPO = Path(__file__).resolve().parent.parent
UPGRADE = "Textual changed under reader/tui/textual_private.py: "


def _params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def test_the_installed_textual_is_the_one_checked_and_pinned() -> None:
    installed = version("textual")
    assert installed == tp.TEXTUAL_VERSION, (
        f"Textual {installed} is installed; textual_private.py was checked against "
        f"{tp.TEXTUAL_VERSION}. Run this file, mend the module, then update "
        "TEXTUAL_VERSION and the pin in pyproject.toml."
    )
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"textual=={tp.TEXTUAL_VERSION}"' in pyproject, "pyproject pins another Textual"


def test_styles_cache_render_line_takes_what_row_styles_cache_takes() -> None:
    """``render_widget`` calls ``render_line`` positionally: our override must
    take the same parameters in the same order, or every row is garbled."""
    theirs = _params(StylesCache.render_line)
    ours = _params(tp.RowStylesCache.render_line)
    assert ours == theirs, UPGRADE + f"StylesCache.render_line is now {theirs}"
    source = inspect.getsource(StylesCache.render)
    assert "self.render_line" in source, UPGRADE + "render no longer goes through render_line"


def test_widgets_keep_their_styles_cache_where_we_replace_it() -> None:
    widget = Widget()
    assert isinstance(widget._styles_cache, StylesCache), UPGRADE + "Widget._styles_cache moved"
    cache = tp.use_row_styles_cache(widget)
    assert widget._styles_cache is cache
    assert "self._styles_cache.render_widget(" in inspect.getsource(Widget), (
        UPGRADE + "a widget no longer paints through _styles_cache"
    )


def test_scroll_update_input_on_key_and_app_driver_are_there() -> None:
    assert _params(ScrollView._scroll_update) == ["self", "virtual_size"], (
        UPGRADE + f"ScrollView._scroll_update is now {_params(ScrollView._scroll_update)}"
    )
    assert inspect.iscoroutinefunction(Input._on_key), UPGRADE + "Input._on_key is not async"
    assert _params(Input._on_key) == ["self", "event"], UPGRADE + "Input._on_key changed"
    assert "_driver" in inspect.getsource(App.__init__), UPGRADE + "App._driver is gone"


def _papers(n: int) -> list[Paper]:
    return [Paper(f"2508.{i:05d}", f"Paper number {i}", dates=["2025-08-20"]) for i in range(n)]


class _ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PaperList(lambda _pid: PaperState(), id="papers")
        yield tp.KeyFirstInput(id="box")
        yield AbstractPane(id="abstract")


async def test_a_one_row_scroll_styles_only_the_row_that_came_into_view() -> None:
    app = _ListApp()
    async with app.run_test(size=(60, 30)) as pilot:
        plist = app.query_one(PaperList)
        plist.set_papers(_papers(200))
        await pilot.pause()
        cache = plist._styles_cache
        assert isinstance(cache, tp.RowStylesCache)
        shown = len(cache.rows)
        assert shown >= 5, UPGRADE + "the list's rows no longer reach RowStylesCache"
        first = [s.text for s in tp.screen_strips(app.screen)]
        assert any("Paper number 0" in line for line in first)
        plist.scroll_to(y=1, animate=False, immediate=True)
        await pilot.pause()
        assert len(cache.rows) == shown + 1, "a one-row scroll styled more than one row"
        after = [s.text for s in tp.screen_strips(app.screen)]
        assert not any("Paper number 0 " in line for line in after)
        assert any("Paper number 1 " in line for line in after)


async def test_the_abstract_panes_scrollbar_follows_a_long_text() -> None:
    app = _ListApp()
    async with app.run_test(size=(60, 30)) as pilot:
        pane = app.query_one(AbstractPane)
        long = Paper("2508.00001", "Long", abstract="\n\n".join(f"Part {i}." for i in range(80)))
        pane.show(long, PaperState())
        await pilot.pause()
        height = pane.virtual_size.height
        assert height > pane.size.height and pane.max_scroll_y > 0
        bar = pane.vertical_scrollbar
        assert bar.window_virtual_size == height, UPGRADE + "_scroll_update left the bar behind"
        tp.scroll_update(pane, Size(0, 3))
        assert bar.window_virtual_size == 3, UPGRADE + "_scroll_update no longer sizes the bar"


async def test_key_first_sees_each_key_before_the_input_does() -> None:
    seen: list[str] = []

    class Box(tp.KeyFirstInput):
        async def key_first(self, event: events.Key) -> bool:
            seen.append(event.key)
            return event.key == "x"  # x is ours; every other key types

    class BoxApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Box(id="box")

    app = BoxApp()
    async with app.run_test() as pilot:
        await pilot.press("a", "x", "b")
        assert seen == ["a", "x", "b"]
        assert app.query_one(Box).value == "ab"


async def test_write_to_terminal_needs_a_terminal() -> None:
    app = _ListApp()
    async with app.run_test():
        assert app._driver is not None, UPGRADE + "App._driver is not set while running"
        assert tp.write_to_terminal(app, "\x1b]52;c;eA==\x07") is False  # headless


def _textual_private_names() -> set[str]:
    """The private names (``_x``, not dunders) of the Textual classes the
    reader builds on, on the classes and on fresh instances."""
    from textual.command import Provider
    from textual.message import Message
    from textual.screen import ModalScreen, Screen
    from textual.widgets import Footer, OptionList, Static

    classes: list[type] = [App, Screen, ModalScreen, ScrollView, Input, OptionList, Static]
    classes += [Footer, Widget, Provider, Message, StylesCache]
    names = {n for cls in classes for n in dir(cls)}
    for instance in (App(), Widget(), Input(), OptionList(), ScrollView(), Static()):
        names.update(vars(instance))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_ui_module_uses_or_shadows_a_textual_private_name() -> None:
    """Reaching a Textual internal (``x._driver``) or defining one in a
    subclass (``def _on_key``, ``self._styles_cache = ...``) happens in
    textual_private.py only: elsewhere such a name would break, or silently
    override Textual, on an upgrade."""
    private = _textual_private_names()
    assert {"_driver", "_styles_cache", "_scroll_update", "_on_key"} <= private
    # (a standard-library private such as ``os._exit`` is not Textual's)
    used = re.compile(r"(?<!\bos)(?<!\bsys)\.(_[a-z]\w*)|\bdef (_[a-z]\w*)")
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {name}"
        for path in sorted((REPO / "reader" / "tui").rglob("*.py"))
        if path.name != "textual_private.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in used.finditer(line)
        for name in match.groups()
        if name in private
    ]
    assert offenders == []


def test_no_other_module_reaches_a_private_textual_api() -> None:
    """The fence holds: Textual's private names appear in textual_private.py only."""
    private = re.compile(
        r"from textual\._|import textual\._|\._styles_cache\b|\._scroll_update\b"
        r"|\._on_key\b|\._driver\b|\._compositor\b"
    )
    offenders = [
        f"{path.relative_to(REPO)}:{n}: {line.strip()}"
        for path in sorted((REPO / "reader").rglob("*.py"))
        if path.name != "textual_private.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


class _Terminal:
    """A screen of cells that takes what the compositor would write: each
    update's segments (moves and text) as ``App._display`` writes them."""

    def __init__(self, size: tuple[int, int]) -> None:
        width, height = size
        self.cells = [[(" ", "")] * width for _ in range(height)]

    def take(self, update: object, console: Console) -> None:
        x = y = 0
        for segment in update.__rich_console__(console, console.options):  # type: ignore[attr-defined]
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            if segment.text == "\n":
                continue
            look = _look(segment.style)
            for ch in segment.text:
                if 0 <= y < len(self.cells) and 0 <= x < len(self.cells[y]):
                    self.cells[y][x] = (ch, look)
                x += cell_len(ch) or 1

    def lines(self) -> list[str]:
        return ["".join(ch for ch, _ in row) for row in self.cells]


def _look(style: RichStyle | None) -> str:
    if style is None:
        return ""
    return f"{style.color}/{style.bgcolor}/{style.bold}/{style.underline}/{style.reverse}"


def _cells(strips: list[Any]) -> list[list[tuple[str, str]]]:
    out = []
    for strip in strips:
        row: list[tuple[str, str]] = []
        for segment in strip:
            row += [(ch, _look(segment.style)) for ch in segment.text]
        out.append(row)
    return out


async def test_the_main_screen_repaints_exactly_what_a_full_paint_shows(
    monkeypatch: Any,
) -> None:
    """The main screen's :class:`SpanCompositor` draws each widget only where
    a repaint reaches it: what it sends, taken by a terminal from the first
    frame on, is at every step what a full paint of the screen shows (text
    and colours) while one types a search, moves, scrolls, opens the
    sidebar, zooms, and a notification comes and goes."""
    from reader import clipboard
    from tests.test_tui import make_app, searched

    def copied(text: str, **_: Any) -> Any:
        return clipboard.CopyResult(True, "tmux", "copied with tmux (load-buffer)", text)

    monkeypatch.setattr(clipboard, "copy", copied)
    app = make_app()
    size = (100, 30)
    terminal = _Terminal(size)
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = app.main
        compositor = screen._compositor
        assert isinstance(compositor, tp.SpanCompositor), UPGRADE + "the compositor is Textual's"
        render_update = compositor.render_update
        updates: list[str] = []

        def taken(*a: Any, **kw: Any) -> Any:
            update = render_update(*a, **kw)
            if update is not None:
                updates.append(type(update).__name__)
                terminal.take(update, app.console)
            return update

        compositor.render_update = taken  # type: ignore[method-assign]
        screen.refresh()  # a full paint first: the terminal starts as the screen is
        await pilot.pause()

        async def same(step: str) -> None:
            await pilot.pause()
            full = _cells(tp.screen_strips(app.screen))
            for y, row in enumerate(full):
                got = terminal.cells[y][: len(row)]
                assert got == row, f"after {step}, line {y}:\n{terminal.lines()[y]!r}\n" + (
                    "".join(ch for ch, _ in row).__repr__()
                )

        await same("the first paint")
        for key in ("slash", "d", "i", "f", "f", "backspace", "x"):
            await pilot.press(key)
            await searched(pilot, app)
            await same(f"the key {key}")
        await pilot.press("escape")
        await same("escape")
        for key in ("j", "j", "k", "pagedown", "G", "g"):
            await pilot.press(key)
            await same(f"the key {key}")
        await pilot.press("y")  # a copy: a notification over the screen
        await same("a notification")
        await pilot.press("b")
        await same("the sidebar")
        await pilot.press("b", "enter")
        await same("zoom")
        await pilot.press("escape")
        await same("back from zoom")
        app.clear_notifications()
        await same("the notification gone")
        assert "ChopsUpdate" in updates and "LayoutUpdate" in updates


def test_the_compositor_parts_the_span_compositor_uses_are_there() -> None:
    from textual._compositor import ChopsUpdate, Compositor
    from textual.screen import Screen

    assert _params(ChopsUpdate.__init__) == ["self", "chops", "spans", "chop_ends"], (
        UPGRADE + f"ChopsUpdate now takes {_params(ChopsUpdate.__init__)}"
    )
    assert _params(Compositor.render_partial_update) == ["self"], UPGRADE + "render_partial_update"
    assert "render_partial_update()" in inspect.getsource(Compositor.render_update)
    compositor = Compositor()
    assert isinstance(compositor._dirty_regions, set), UPGRADE + "Compositor._dirty_regions"
    assert list(Compositor._regions_to_spans([Size(3, 2).region])) == [(0, 0, 3), (1, 0, 3)]
    for name in ("cuts", "visible_widgets"):
        assert isinstance(getattr(Compositor, name), property), UPGRADE + f"Compositor.{name}"
    assert "self._compositor = Compositor()" in inspect.getsource(Screen.__init__), (
        UPGRADE + "a screen makes its compositor elsewhere"
    )


def test_the_screen_parts_after_paint_and_paint_now_use_are_there() -> None:
    """``SpanCompositor.render_update`` overrides the compositor's, which the
    screen calls for every frame; ``paint_now`` does what the screen's frame
    timer does, over the widgets marked dirty."""
    from textual._compositor import Compositor
    from textual.screen import Screen

    theirs = _params(Compositor.render_update)
    assert theirs == _params(tp.SpanCompositor.render_update), (
        UPGRADE + f"Compositor.render_update now takes {theirs}"
    )
    assert "self._compositor.render_update(" in inspect.getsource(Screen._compositor_refresh), (
        UPGRADE + "a screen draws its frames another way"
    )
    timer_update = inspect.getsource(Screen._on_timer_update)
    assert "self._dirty_widgets" in timer_update and "_compositor_refresh()" in timer_update, (
        UPGRADE + "Screen._on_timer_update draws another way"
    )
