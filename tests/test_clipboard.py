"""Copying: which way the text goes (tmux, screen, OSC 52, system clipboard),
what the user is told, and that no control character is ever copied."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import pyperclip
import pytest
from tmux import Tmux, tmux  # noqa: F401  (tmux is a fixture)

from reader import clipboard
from reader.clipboard import OSC52_LIMIT, copy, safe_text

URL = "https://arxiv.org/abs/2401.10000"
BIBTEX = "@article{doe2024,\n\ttitle = {A Title},\n\tauthor = {Doe, Jane},\n}"
NO_DISPLAY = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}


def osc52_text(seq: str) -> str:
    """The text an OSC 52 sequence sets the clipboard to."""
    m = re.fullmatch(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", seq)
    assert m, f"not an OSC 52 sequence: {seq!r}"
    return base64.b64decode(m.group(1)).decode("utf-8")


class Terminal:
    """Records what would be written to the terminal."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def __call__(self, data: str) -> None:
        self.written.append(data)


@pytest.fixture
def no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """pyperclip as it is without a display: it raises. Returns what it was asked."""
    asked: list[str] = []

    def fail(text: str) -> None:
        asked.append(text)
        raise pyperclip.PyperclipException("could not find a copy/paste mechanism")

    monkeypatch.setattr(pyperclip, "copy", fail)
    return asked


# ------------------------------------------------------------------ OSC 52


def test_osc52_outside_tmux_writes_the_text_to_the_terminal() -> None:
    term = Terminal()
    result = copy(URL, write_terminal=term, env=NO_DISPLAY)
    assert result.ok and result.method == "osc52"
    assert result.message == "Copied with OSC 52 (your terminal must allow it)"
    assert result.text == URL
    assert len(term.written) == 1
    assert osc52_text(term.written[0]) == URL


def test_osc52_carries_unicode_and_multiline_text() -> None:
    term = Terminal()
    text = "Balázs — ∇²DFT\n" + BIBTEX
    result = copy(text, write_terminal=term, env=NO_DISPLAY)
    assert result.ok
    assert osc52_text(term.written[0]) == text


def test_osc52_refuses_huge_text_and_says_why() -> None:
    term = Terminal()
    text = "x" * (OSC52_LIMIT + 1)
    result = copy(text, write_terminal=term, env=NO_DISPLAY)
    assert not result.ok
    assert term.written == []
    assert "Too long to copy through the terminal" in result.message
    assert "100 kB" in result.message
    assert result.text == text  # the caller can still show it


def test_a_terminal_write_that_fails_is_reported_not_raised() -> None:
    def broken(data: str) -> None:
        raise OSError("Input/output error")

    result = copy(URL, write_terminal=broken, env=NO_DISPLAY)
    assert not result.ok
    assert "Could not copy" in result.message
    assert URL in result.message  # the user still sees the link


def test_nowhere_to_copy_still_shows_the_text() -> None:
    result = copy(URL, env=NO_DISPLAY)
    assert not result.ok and result.method == "none"
    assert URL in result.message
    assert result.text == URL


# ------------------------------------------------------------------ GNU screen


def test_screen_gets_osc52_in_dcs_passthrough() -> None:
    term = Terminal()
    result = copy(URL, write_terminal=term, env={**NO_DISPLAY, "STY": "1234.pts-0.host"})
    assert result.ok and result.method == "screen"
    assert "screen" in result.message
    seq = "".join(term.written)
    b64 = base64.b64encode(URL.encode()).decode()
    assert seq == f"\x1bP\x1b]52;c;{b64}\x07\x1b\\"


def test_screen_passthrough_is_chunked_for_long_text() -> None:
    term = Terminal()
    text = "https://example.org/" + "a" * 2000
    copy(text, write_terminal=term, env={**NO_DISPLAY, "STY": "1234.pts-0.host"})
    seq = "".join(term.written)
    pieces = re.findall(r"\x1bP(.*?)\x1b\\", seq, flags=re.DOTALL)
    assert len(pieces) > 1
    assert all(len(p) + 4 <= clipboard.SCREEN_CHUNK for p in pieces)
    assert "".join(f"\x1bP{p}\x1b\\" for p in pieces) == seq  # nothing in between
    assert osc52_text("".join(pieces)) == text


# ------------------------------------------------------------------ system clipboard


def test_local_display_uses_the_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    term = Terminal()
    result = copy(URL, write_terminal=term, env={**NO_DISPLAY, "DISPLAY": ":0"})
    assert result.ok and result.method == "system"
    assert result.message == "Copied to the system clipboard"
    assert copied == [URL]
    assert term.written == []


def test_system_clipboard_failure_falls_back_to_osc52(no_system_clipboard: list[str]) -> None:
    term = Terminal()
    result = copy(URL, write_terminal=term, env={**NO_DISPLAY, "DISPLAY": ":0"})
    assert no_system_clipboard == [URL]  # tried first
    assert result.ok and result.method == "osc52"
    assert osc52_text(term.written[0]) == URL


def test_pyperclip_without_any_display_never_raises(no_system_clipboard: list[str]) -> None:
    result = copy(URL, env={**NO_DISPLAY, "DISPLAY": ":0"})
    assert not result.ok
    assert URL in result.message


def test_over_ssh_the_remote_clipboard_is_not_used(no_system_clipboard: list[str]) -> None:
    term = Terminal()
    env = {**NO_DISPLAY, "DISPLAY": "localhost:10.0", "SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}
    result = copy(URL, write_terminal=term, env=env)
    assert no_system_clipboard == []  # X forwarding is not the user's clipboard
    assert result.method == "osc52"


# ------------------------------------------------------------------ safety


@pytest.mark.parametrize(
    "hostile",
    [
        URL + "\x1b]52;c;ZWNobyBwd25lZA==\x07",
        "\x1b[2J" + URL,
        URL[:12] + "\n" + URL[12:],
        URL + "\r\n",
        URL + "\x00\x07\x7f\x9b31m",
        "\u202e" + URL,
    ],
)
def test_no_control_character_is_ever_copied_from_a_link(hostile: str) -> None:
    term = Terminal()
    result = copy(hostile, write_terminal=term, env=NO_DISPLAY)
    copied = osc52_text(term.written[0])
    assert copied == result.text
    assert copied.startswith("https://arxiv.org/")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in copied)
    assert "\u202e" not in copied
    assert "\n" not in copied


def test_a_wrapped_link_is_joined() -> None:
    assert safe_text("https://arxiv.org/\n  abs/2401.10000") == URL


def test_multiline_text_keeps_newlines_and_tabs_only() -> None:
    hostile = BIBTEX + "\x1b]0;PWNED\x1b\\\x07\r\n"
    term = Terminal()
    copy(hostile, write_terminal=term, env=NO_DISPLAY)
    copied = osc52_text(term.written[0])
    assert copied.startswith(BIBTEX)
    assert "PWNED" not in copied
    assert {c for c in copied if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F} <= {"\n", "\t"}


def test_nothing_left_after_cleaning_is_not_copied() -> None:
    term = Terminal()
    result = copy("\x1b[2J\x07", write_terminal=term, env=NO_DISPLAY)
    assert not result.ok
    assert term.written == []
    assert result.message == "Nothing to copy."


# ------------------------------------------------------------------ tmux (real server)


@pytest.fixture
def tmux_server(tmux: Callable[..., Tmux], tmp_path: Path) -> Tmux:  # noqa: F811
    t = tmux()
    t.start(["sleep", "600"], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    return t


def test_inside_tmux_the_text_goes_to_tmux_buffer(tmux_server: Tmux) -> None:
    term = Terminal()
    env = {**NO_DISPLAY, **tmux_server.tmux_env()}
    result = copy(URL, write_terminal=term, env=env)
    assert result.ok and result.method == "tmux"
    assert result.message == "Copied to tmux's buffer (and your terminal's clipboard)"
    assert tmux_server.show_buffer() == URL
    assert term.written == []  # a bare OSC 52 would be dropped by tmux


def test_tmux_buffer_gets_a_multiline_entry_intact(tmux_server: Tmux) -> None:
    env = {**NO_DISPLAY, **tmux_server.tmux_env()}
    result = copy(BIBTEX + "\x1b[31m", env=env)
    assert result.ok
    assert tmux_server.show_buffer() == BIBTEX


def test_tmux_missing_falls_back_to_osc52(tmp_path: Path) -> None:
    term = Terminal()
    env = {"PATH": str(tmp_path), "TMUX": "/tmp/nowhere,1,0"}
    result = copy(URL, write_terminal=term, env=env)
    assert result.ok and result.method == "osc52"
    assert osc52_text(term.written[0]) == URL


def test_tmux_server_gone_falls_back_and_never_raises(tmp_path: Path) -> None:
    env = {**NO_DISPLAY, "TMUX": f"{tmp_path}/no-such-socket,1,0"}
    result = copy(URL, env=env)
    assert not result.ok
    assert "tmux" in result.message
    assert URL in result.message


def test_local_display_inside_tmux_also_fills_tmux_buffer(
    tmux_server: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    env = {**NO_DISPLAY, "DISPLAY": ":0", **tmux_server.tmux_env()}
    result = copy(URL, env=env)
    assert result.ok and result.method == "system"
    assert copied == [URL]
    assert tmux_server.show_buffer() == URL
