"""The footer: the keys of what has the focus, on the screen's last line, kept
up to date as the focus moves, without a widget mounted for it."""

from __future__ import annotations

from textual import events
from textual.message import Message

from reader.config import Config
from reader.tui.app import DigestApp
from reader.tui.widgets.footer import FooterEntry, FooterLine, fit_footer
from tests.test_tui import make_app, screen_text, until

SIZE = (120, 40)
LIST_KEYS = " s Star  t Tag  y Copy  o Open  / Search  b Sidebar  ? Help  q Quit"
PALETTE = "▏^p palette "


def footer(app: DigestApp) -> str:
    """The screen's last line, as drawn."""
    return screen_text(app).splitlines()[-1]


def in_box(app: DigestApp) -> bool:
    return app.focused is app.main.search_bar.input


async def test_the_footer_lists_the_lists_keys_then_the_search_boxs() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = footer(app)
        assert line.startswith(LIST_KEYS + " ")
        assert line.endswith(PALETTE)
        assert len(line) == SIZE[0]  # one line, the width of the screen
        await pilot.press("slash")
        await until(pilot, lambda: in_box(app), "the box has the focus")
        await pilot.pause()
        line = footer(app)
        # In the box letters are typed, not commands: only the keys that
        # still act there ("/" shown dimmed: it types a slash now).
        assert line.startswith(" / Search  \\ Sidebar ")
        assert "Star" not in line and "Quit" not in line
        assert line.endswith(PALETTE)
        await pilot.press("escape")
        await until(pilot, lambda: not in_box(app), "back in the list")
        await pilot.pause()
        assert footer(app).startswith(LIST_KEYS + " ")


async def test_the_footer_shows_the_keys_the_keymap_sets() -> None:
    app = make_app(Config(read_after_seconds=0, keymap={"star": "x", "help": "f1"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = footer(app)
        assert " x Star " in line and " s Star " not in line
        assert " f1 Help " in line and " ? Help " not in line


async def test_a_focus_change_mounts_no_widget() -> None:
    """``/`` into the box and Esc out of it draw the footer's one line again:
    Textual's Footer mounted a widget per key each time (a layout and a
    whole frame while the user starts a search)."""
    mounted: list[Message] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.Mount):
            mounted.append(message)

    app = make_app()
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        await until(pilot, lambda: "Star" in footer(app), "the footer is drawn")
        mounted.clear()
        for _ in range(2):
            await pilot.press("slash")
            await until(pilot, lambda: "Star" not in footer(app), "the box's keys shown")
            await pilot.press("escape")
            await until(pilot, lambda: "Star" in footer(app), "the list's keys shown")
        await pilot.pause()
        assert mounted == []


async def test_at_80_columns_the_keys_that_do_not_fit_are_left_out_at_the_end() -> None:
    # The default keys just fit in 80 columns; two longer keys do not.
    app = make_app(Config(read_after_seconds=0, keymap={"help": "f1", "quit": "ctrl+q"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = footer(app)
        assert len(line) == 80
        assert line.startswith(" s Star  t Tag  y Copy  o Open  / Search  b Sidebar  f1 Help ")
        assert line.endswith(PALETTE)
        assert "Quit" not in screen_text(app)  # left out, not wrapped to another line


async def test_a_click_on_a_key_presses_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        x = footer(app).index("? Help")
        await pilot.click("#footer", offset=(x + 3, 0))
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", "the help opened")


async def test_the_mouse_over_a_key_shows_what_it_does() -> None:
    app = make_app()
    async with app.run_test(size=SIZE, tooltips=True) as pilot:
        await pilot.pause()
        x = footer(app).index("s Star")
        await pilot.hover("#footer", offset=(x + 1, 0))
        await until(pilot, lambda: "Star or unstar the paper" in screen_text(app), "a tooltip")
        # Textual hides a shown tooltip at the next move over the same
        # widget, and shows the one there at the move after.
        x = footer(app).index("q Quit")
        await pilot.hover("#footer", offset=(x, 0))
        await pilot.hover("#footer", offset=(x + 1, 0))
        await until(pilot, lambda: "everything is already saved" in screen_text(app), "another")


def test_fit_footer_keeps_the_keys_that_fit_and_the_palette_on_the_right() -> None:
    keys = tuple(FooterEntry(k, k, d) for k, d in (("s", "Star"), ("t", "Tag"), ("q", "Quit")))
    line = FooterLine(keys, FooterEntry("ctrl+p", "^p", "palette"))

    def text(width: int) -> str:
        return "".join(p.text for p in fit_footer(line, width))

    assert text(40) == " s Star  t Tag  q Quit " + " " * 5 + PALETTE
    assert text(27) == " s Star  t Tag " + PALETTE  # "Quit" left out
    assert text(26) == " s Star " + " " * 6 + PALETTE  # and "Tag" after it
    assert text(12) == PALETTE  # no key fits beside it
    assert text(11) == " s Star    "  # nor the palette's key: the keys alone
    assert text(0) == ""
    assert all(len(text(w)) == w for w in range(60))
