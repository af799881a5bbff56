"""At the terminal itself: the installed ``digest-reader`` shows a digest full of
hostile titles, abstracts, tags and links in a real pseudo-terminal, and the raw
bytes it writes hold none of the hostile sequences; SIGTERM and SIGHUP (an SSH
connection dropping) leave the terminal restored and the state saved.

The app legitimately writes CSI sequences to draw, so the checks look for the
payloads' markers (``PWNED...``): an OSC 0/2 title set carrying them, an OSC 52
with the marker's base64, a DCS with the marker, the marker right after an ESC,
any C1 control or bidi override (see ``tests/helpers/hostile_payloads.py``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.hostile_payloads import CLIP_B64, FIXTURES, FORBIDDEN_BYTES
from tmux import Tmux, terminal_env, tmux  # noqa: F401  (tmux: fixture)

REPO = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).parent / "digest-reader"
COLS, ROWS = 160, 40
#: Seconds to wait for the first screen (the first start builds the index).
START_TIMEOUT = 60.0
TAPIR = "2509.90001"

pytestmark = pytest.mark.slow


def _require_app() -> None:
    if not COMMAND.exists():
        pytest.skip(f"{COMMAND} is not installed (pip install -e . into this venv)")
    if not (REPO / "reader" / "tui" / "app.py").exists():
        pytest.skip("the Textual app (reader/tui/app.py) is not written yet")


class Pty:
    """The installed command (or ``program``) running in a pseudo-terminal
    of COLS x ROWS; every byte it writes is kept in :attr:`raw`."""

    def __init__(self, args: list[str], env: dict[str, str], program: Path = COMMAND) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: size the terminal, then become the reader
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
                os.execve(str(program), [str(program), *args], env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.raw = bytearray()
        self.eof = False
        self.status: int | None = None

    def pump(self, seconds: float) -> None:
        """Read what the program writes for ``seconds`` (or until it closes)."""
        end = time.monotonic() + seconds
        while not self.eof and time.monotonic() < end:
            ready, _, _ = select.select(
                [self.fd], [], [], min(0.05, max(0.0, end - time.monotonic()))
            )
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError as exc:  # EIO: the program closed the terminal
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                self.eof = True
            self.raw.extend(data)

    def wait_for(self, needle: bytes, timeout: float = START_TIMEOUT) -> None:
        end = time.monotonic() + timeout
        while needle not in self.raw:
            if self.eof or time.monotonic() > end:
                raise AssertionError(
                    f"{needle!r} never shown (exited: {self.eof}); last output: {bytes(self.raw[-600:])!r}"
                )
            self.pump(0.1)

    def settle(self, quiet: float = 0.3, timeout: float = 4.0) -> None:
        """Read until the program has written nothing for ``quiet`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.eof:
            before = len(self.raw)
            self.pump(quiet)
            if len(self.raw) == before:
                return

    def send(self, data: bytes, settle: bool = True) -> None:
        os.write(self.fd, data)
        if settle:
            self.settle()

    def wait_exit(self, timeout: float = 20.0) -> int | None:
        """The exit status, reading output until then; None when still running."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                self.pump(0.2)
                return os.waitstatus_to_exitcode(status)
        return None

    def close(self) -> None:
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if not pid:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        os.close(self.fd)


@pytest.fixture
def run_reader(xdg: dict[str, Path]) -> Iterator[Callable[..., Pty]]:
    _require_app()
    started: list[Pty] = []

    def start(*args: str | Path) -> Pty:
        term = Pty([str(a) for a in args], terminal_env(xdg))
        started.append(term)
        term.wait_for(b"Tapir")
        term.settle()
        return term

    yield start
    for term in started:
        term.close()


def assert_inert(raw: bytes) -> None:
    """None of the hostile payloads reached the terminal."""
    found = [b for b in FORBIDDEN_BYTES if b in raw]
    assert not found, f"hostile bytes reached the terminal: {found}"
    titles = re.findall(rb"\x1b\][012];([^\x07\x1b]*)", raw)
    assert not [t for t in titles if b"PWNED" in t or b"Hostile" in t], titles
    assert not re.search(rb"\x1b[^\[]?PWNED", raw), "marker right after an ESC"
    assert not re.search(rb"\x1b\]52;[^\x07\x1b]*" + CLIP_B64.encode(), raw)


def assert_restored(raw: bytes) -> None:
    """The terminal was given back: alternate screen left, cursor shown, after
    the last time they were entered / hidden."""
    enter = raw.rfind(b"\x1b[?1049h")
    leave = raw.rfind(b"\x1b[?1049l")
    assert leave > enter >= 0, f"alternate screen not left; output ends {raw[-300:]!r}"
    assert raw.rfind(b"\x1b[?25h") > raw.rfind(b"\x1b[?25l"), (
        f"cursor left hidden; ends {raw[-300:]!r}"
    )
    assert raw.rfind(b"\x1b[?1000l") > raw.rfind(b"\x1b[?1000h"), "mouse reporting left on"


def starred_ids() -> set[str]:
    from reader.paths import Paths
    from reader.state import StateStore

    store = StateStore(Paths.from_env().state_file)
    store.load()
    return set(store.starred_ids())


def test_hostile_digest_in_a_real_terminal_writes_no_hostile_sequence(
    run_reader: Callable[..., Pty],
) -> None:
    term = run_reader(FIXTURES)
    for key in (b"j", b"j", b"j", b"k", b"/", b"tapir", b"\x1b"):
        term.send(key)
    term.send(b"q", settle=False)
    assert term.wait_exit() == 0, bytes(term.raw[-600:])
    raw = bytes(term.raw)
    assert_inert(raw)
    # what was there is shown, inert: control pictures, the text after the
    # sequences, and markup as written
    for visible in (
        "Marmot ␇Bell␀Nul␡Del ␛]2;PWNED-SHOWN",
        "PWNED-CLEAR",
        "PWNED-RED",
        "[/]",
        "[$5]",
    ):
        assert visible.encode() in raw, f"{visible!r} not shown"
    assert_restored(raw)


def star_tapir(term: Pty) -> None:
    term.send(b"/")
    term.send(b"tapir")
    term.send(b"\r")
    term.send(b"s")  # star the Tapir paper; the connection drops right after
    term.settle()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_saves_the_state_and_restores_the_terminal(
    run_reader: Callable[..., Pty], sig: signal.Signals
) -> None:
    term = run_reader(FIXTURES)
    star_tapir(term)
    os.kill(term.pid, sig)
    code = term.wait_exit(timeout=10)
    assert code is not None, f"still running 10 s after {sig.name}"
    raw = bytes(term.raw)
    assert TAPIR in starred_ids(), "the star made before the signal was lost"
    assert_inert(raw)
    assert_restored(raw)


def test_a_dropped_connection_ends_the_reader_and_keeps_the_star(
    run_reader: Callable[..., Pty],
) -> None:
    """The terminal goes away (the pty's master side closes, as when sshd
    dies): the kernel hangs the reader up; it must end, star kept, and the next
    start must work."""
    term = run_reader(FIXTURES)
    star_tapir(term)
    os.close(term.fd)
    term.fd = os.open(os.devnull, os.O_RDONLY)  # so close() has something to close
    term.eof = True
    assert term.wait_exit(timeout=10) is not None, "still running 10 s after the hang-up"
    assert TAPIR in starred_ids()
    again = run_reader(FIXTURES)
    again.send(b"q", settle=False)
    assert again.wait_exit() == 0


def test_tmux_pane_title_and_clipboard_are_untouched(
    tmux: Callable[..., Tmux],  # noqa: F811
    xdg: dict[str, Path],
    tmp_path: Path,
) -> None:
    """The same digest in tmux with OSC 52 and passthrough allowed: the pane
    title stays, no paste buffer appears."""
    _require_app()
    term = tmux(COLS, ROWS)
    with term.config.open("a") as fh:
        fh.write("set -g set-clipboard on\nset -g allow-passthrough on\nset -g allow-rename on\n")
    term.start([COMMAND, FIXTURES], terminal_env(xdg), cwd=tmp_path, record=tmp_path / "tty.raw")
    term.wait_for("Tapir")
    before = term.run("display-message", "-p", "-t", "main", "#{pane_title}").stdout
    for key in ("j", "j", "j"):
        term.send_keys(key)
        time.sleep(0.3)
    term.wait_for("Okapi")
    title = term.run("display-message", "-p", "-t", "main", "#{pane_title}").stdout
    window = term.run("display-message", "-p", "-t", "main", "#{window_name}").stdout
    assert "PWNED" not in title and title == before
    assert "PWNED" not in window
    assert term.show_buffer() == ""
    term.send_keys("q")
    assert term.wait_exit() == 0, term.capture()
    assert_inert(term.recorded())
