"""SVG snapshots of the reader's screens (``pytest-textual-snapshot``).

A fixed library (``tests/fixtures/tui``), a frozen clock and no automatic read
marks keep them stable. Regenerate with ``--snapshot-update`` and look at the
report before accepting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
FROZEN = 1755604800.0
SMALL, LARGE = (80, 24), (160, 48)


def make_app(theme: str) -> DigestApp:
    paths = Paths.from_env()
    config = Config(read_after_seconds=0, theme=theme)
    library = open_library(paths, config, extra=[FIXTURE], use_cache=False)
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    state.set_starred(["2508.10001"], True)
    state.add_tags(["2508.10001"], ["video", "to-read"])
    state.set_read(["2508.10002", "2508.09002"], True)
    state.set_note("2508.10001", "Compare with the [/] Sora report.")
    return DigestApp(Session(paths, config, library=library, state=state), clock=lambda: FROZEN)


async def no_blink(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("theme", ["digest-dark", "digest-light"])
@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_main_screen(snap_compare: Any, theme: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(theme), press=["j"], terminal_size=size)


SCREENS = {
    "help": ["question_mark"],
    "copy_menu": ["j", "Y"],
    "tag_dialog": ["j", "t", "v", "i"],
    "sidebar": ["b"],
}
COMBOS = [("digest-dark", SMALL), ("digest-light", LARGE)]


@pytest.mark.parametrize("screen", sorted(SCREENS))
@pytest.mark.parametrize("theme,size", COMBOS, ids=["dark-80x24", "light-160x48"])
def test_screens(snap_compare: Any, screen: str, theme: str, size: tuple[int, int]) -> None:
    assert snap_compare(
        make_app(theme), press=SCREENS[screen], terminal_size=size, run_before=no_blink
    )
