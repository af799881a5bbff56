"""End to end, in a real terminal: the installed ``digest-reader`` run inside a
private tmux server at 80x24, driven by keys, checked on screen, in tmux's
paste buffer and through the CLI afterwards."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tmux import Tmux, installed_command, terminal_env, tmux  # noqa: F401  (tmux: fixture)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "terminal_digest.yaml"
TITLES = {
    "2509.00101": "Walrus Agents Plan Ahead",
    "2509.00102": "Zeppelin Routing for Sparse Experts",
    "2509.00103": "Quokka Benchmarks for Retrieval",
    "2509.00104": "Pelican Diffusion in Few Steps",
}
WORDS = ("Walrus", "Zeppelin", "Quokka", "Pelican")
ZEPPELIN = "2509.00102"

pytestmark = pytest.mark.slow


def cli(env: dict[str, str], *args: str) -> object:
    """Run the installed command with ``args``; returns its JSON output."""
    done = subprocess.run(
        [str(installed_command()), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"digest-reader {' '.join(args)}: {done.stderr}"
    return json.loads(done.stdout)


def any_title(screen: str) -> bool:
    return any(word in screen for word in WORDS)


def footer(screen: str) -> str:
    lines = screen.rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def footer_for_search(screen: str) -> bool:
    """The footer lists the paper keys only while the list has the keys."""
    return "Search" in footer(screen) and "Star" not in footer(screen)


def footer_for_list(screen: str) -> bool:
    return "Star" in footer(screen) and "Quit" in footer(screen)


def only_zeppelin(screen: str) -> bool:
    return "Zeppelin" in screen and not any(w in screen for w in WORDS if w != "Zeppelin")


@pytest.fixture
def app(tmux: Callable[..., Tmux], xdg: dict[str, Path], tmp_path: Path) -> Tmux:  # noqa: F811
    """The reader running on the fixture digest in an 80x24 tmux pane, its
    output recorded to ``tmp_path / "tty.raw"``; waits for the list."""
    term = tmux(80, 24)
    term.start(
        [installed_command(), FIXTURE],
        terminal_env(xdg),
        cwd=tmp_path,
        record=tmp_path / "tty.raw",
    )
    term.wait_for(any_title)
    return term


def quit_app(term: Tmux) -> None:
    term.send_keys("q")
    assert term.wait_exit() == 0, term.capture()


def test_keys_typed_in_one_burst_follow_the_focus(app: Tmux, xdg: dict[str, Path]) -> None:
    # One write, as a fast typist, a paste or a macro sends it: Textual queues
    # each key on the widget focused when it was read, so "/" must move the
    # focus before "quok" is routed, and "s" after Enter must reach the results.
    app.send_keys("/quok", "Enter", "s")
    app.wait_for("★ starred")
    quit_app(app)
    starred = cli(terminal_env(xdg), "search", "is:starred", str(FIXTURE), "--json")
    assert isinstance(starred, list)
    assert [p["title"] for p in starred] == ["Quokka Benchmarks for Retrieval"]


def test_search_star_quit_then_the_cli_sees_the_star(app: Tmux, xdg: dict[str, Path]) -> None:
    # the list shows the digest (a first read: drawn again once it is read
    # whole, and a capture may fall between a frame's writes on a busy machine)
    app.wait_for(lambda screen: sum(word in screen for word in WORDS) >= 2)

    app.type("/")
    app.wait_for(footer_for_search)  # the search box has the keys now
    app.type("zeppelin")
    app.wait_for(only_zeppelin)  # the list narrows as the user types
    app.send_keys("Enter")
    app.wait_for(footer_for_list)  # back in the list, on the one paper left
    app.send_keys("s")
    starred = app.wait_for("★ starred")  # the paper pane says so
    assert "Zeppelin Routing for Sparse Experts" in starred
    quit_app(app)

    raw = app.recorded()
    assert b"\x1b[?1049h" in raw  # the app took the alternate screen...
    assert raw.rfind(b"\x1b[?1049l") > raw.rfind(b"\x1b[?1049h")  # ...and gave it back

    env = terminal_env(xdg)
    shown = cli(env, "show", ZEPPELIN, str(FIXTURE), "--json")
    assert isinstance(shown, dict)
    assert shown["id"] == ZEPPELIN
    assert shown["starred"] is True

    found = cli(env, "search", "zeppelin", str(FIXTURE), "--json")
    assert isinstance(found, list)
    assert [(p["id"], p["starred"]) for p in found] == [(ZEPPELIN, True)]
    assert found[0]["title"] == TITLES[ZEPPELIN]

    others = cli(env, "search", "is:starred", str(FIXTURE), "--json")
    assert isinstance(others, list)
    assert [p["id"] for p in others] == [ZEPPELIN]  # only the paper the user starred


def test_y_copies_the_link_into_tmux_buffer(app: Tmux) -> None:
    assert app.show_buffer() == ""
    app.send_keys("y")
    urls = {f"https://arxiv.org/abs/{pid}" for pid in TITLES}
    app.wait_until(lambda: app.show_buffer() in urls, "the link in tmux's buffer", timeout=30)
    copied = app.show_buffer()
    # The selected paper's link, exactly: its title is on screen.
    pid = copied.rsplit("/", 1)[1]
    assert TITLES[pid].split()[0] in app.capture()
    assert app.exit_status() is None
    quit_app(app)


def test_resize_small_and_large_keeps_running_and_redraws(app: Tmux) -> None:
    before = len(app.recorded())
    app.resize(40, 10)
    assert app.size() == (40, 10)
    # The app answers the resize by drawing again (new bytes on the terminal)...
    app.wait_until(lambda: len(app.recorded()) > before, "a redraw at 40x10", timeout=30)
    small = app.wait_for(lambda s: bool(s.strip()), timeout=30)
    assert app.exit_status() is None, small
    assert "Traceback" not in small

    app.resize(200, 50)
    assert app.size() == (200, 50)

    # The app redrew at the new size: rows as wide as the window, whole titles.
    def wide_rows(screen: str) -> bool:
        return any(
            len(line) > 100 and any(t in line for t in TITLES.values())
            for line in screen.splitlines()
        )

    big = app.wait_for(wide_rows)
    assert app.exit_status() is None
    assert len(big.splitlines()) > 24

    app.resize(80, 24)
    app.wait_for(any_title)
    quit_app(app)
