"""A small harness that runs a command in a real terminal: a private tmux server.

Each :class:`Tmux` starts its own detached server on a unique socket
(``tmux -L <name>``) with a private config file instead of the user's
(``remain-on-exit`` so a crash stays on screen, TERM=xterm-256color in the
pane, no status line). The program runs under a tiny ``sh`` wrapper that
records its exit status (:meth:`Tmux.wait_exit`). The test types with :meth:`Tmux.send_keys` /
:meth:`Tmux.type`, reads the screen with :meth:`Tmux.capture`, and waits for
text with :meth:`Tmux.wait_for` (polling, generous timeouts: the machine is
slow and shared; a timeout fails with the screen as it was). :meth:`Tmux.start`
can record the raw byte stream the program wrote (``pipe-pane``) from its very
first byte (or :meth:`Tmux.pipe_pane` from any moment). :meth:`Tmux.kill`
(called by the fixture's teardown) kills the server and removes its socket.

Use the ``tmux`` fixture factory (import it into the test module): it skips
with a reason when tmux is missing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

#: Seconds to wait for the app to show something (first start builds the index).
TIMEOUT = 60.0
POLL = 0.2

_CONFIG = """\
set -g remain-on-exit on
set -g default-terminal xterm-256color
set -g history-limit 2000
set -g status off
set -g escape-time 0
"""


def tmux_binary() -> str:
    """The tmux command; skips the test with a reason when it is missing."""
    found = shutil.which("tmux")
    if found is None:
        pytest.skip("tmux is not installed: the end-to-end terminal tests need it")
    return found


def installed_command(name: str = "digest-reader") -> Path:
    """The installed console script next to this Python; skips when absent."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.skip(f"{path} is not installed (pip install -e . into this venv)")
    return path


def terminal_env(xdg: Mapping[str, Path], **extra: str) -> dict[str, str]:
    """A clean environment for the program under test: PATH, HOME, LANG, the
    test's XDG folders, TERM=xterm-256color; nothing from the user's session."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(Path(xdg["data"]).parent / "home"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "XDG_CONFIG_HOME": str(xdg["config"]),
        "XDG_DATA_HOME": str(xdg["data"]),
        "XDG_CACHE_HOME": str(xdg["cache"]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    Path(env["HOME"]).mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


class Tmux:
    """One private tmux server with one session (``main``) and one pane."""

    def __init__(self, workdir: Path, width: int = 80, height: int = 24) -> None:
        self.binary = tmux_binary()
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = f"dr-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height
        self.config = workdir / "tmux.conf"
        self.config.write_text(_CONFIG)
        self.started = False
        self.record_path: Path | None = None
        self.status_file = workdir / "exit-status"

    # ------------------------------------------------------------------ plumbing

    def run(
        self, *args: str, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run one tmux command against this server (as a client outside it)."""
        cmd = [self.binary, "-L", self.name, "-f", str(self.config), *args]
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=30,
            env=self._client_env(env),
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def _client_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env.pop("TMUX", None)
        env.pop("TMUX_PANE", None)
        if base is not None and "TMUX_TMPDIR" in os.environ:  # same socket folder
            env["TMUX_TMPDIR"] = os.environ["TMUX_TMPDIR"]
        return env

    # ------------------------------------------------------------------ lifecycle

    def start(
        self,
        command: Sequence[str | os.PathLike[str]],
        env: Mapping[str, str],
        *,
        cwd: Path | None = None,
        record: Path | None = None,
    ) -> None:
        """Run ``command`` (an argument list, no shell) in the pane with exactly
        ``env`` (plus tmux's own TMUX/TMUX_PANE). With ``record``, every byte the
        program writes to the terminal is appended to that file."""
        argv = [str(c) for c in command]
        # A small sh wrapper (test-side only) that can hold the program until the
        # pipe is in place, so no byte is missed (a tmux wait-for channel: nothing
        # is typed, nothing echoed), and that writes its exit status to a file
        # (tmux does not always learn it before the pane is reported dead).
        self.status_file = self.workdir / "exit-status"
        self.status_file.unlink(missing_ok=True)
        hold = '"$tmux" wait-for dr-go || exit 125; ' if record is not None else ""
        script = "tmux=$1; status=$2; shift 2; " + hold + '"$@"; echo $? > "$status"'
        argv = ["sh", "-c", script, "sh", self.binary, str(self.status_file), *argv]
        # The server starts here, so its global environment (what the pane
        # gets, with TERM from the config and tmux's TMUX) is exactly ``env``.
        self.run(
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "-c",
            str(cwd or self.workdir),
            "--",
            *argv,
            env=env,
        )
        self.started = True
        if record is not None:
            self.pipe_pane(record)
            self.run("wait-for", "-S", "dr-go")

    def pipe_pane(self, path: Path) -> None:
        """From now on, append every byte the program writes to ``path`` (for a
        recording from the very first byte, use ``start(record=...)``)."""
        path.touch()
        self.record_path = path
        self.run("pipe-pane", "-t", "main", "-O", f"cat >> {shlex.quote(str(path))}")

    def kill(self) -> None:
        """Kill the server and remove its socket file."""
        if self.started:
            socket = self.socket_path()
            self.run("kill-server", check=False)
            self.started = False
            if socket:
                Path(socket).unlink(missing_ok=True)

    # ------------------------------------------------------------------ input

    def send_keys(self, *keys: str) -> None:
        """tmux key names (``Enter``, ``Escape``, ``C-c``, ``Down``) or text."""
        self.run("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        """Type ``text`` literally (no key-name lookup)."""
        self.run("send-keys", "-t", "main", "-l", text)

    # ------------------------------------------------------------------ output

    def capture(self) -> str:
        """The visible screen as text (trailing blanks trimmed per line)."""
        done = self.run("capture-pane", "-p", "-t", "main", check=False)
        return done.stdout if done.returncode == 0 else ""

    def wait_for(
        self, what: str | Callable[[str], bool], timeout: float = TIMEOUT, gone: bool = False
    ) -> str:
        """Poll the screen until ``what`` (a text, or a test on the screen text)
        shows up (or, with ``gone``, is no longer there); returns the screen.
        Fails with the last screen when it does not within ``timeout``."""

        def found(screen: str) -> bool:
            hit = what(screen) if callable(what) else what in screen
            return not hit if gone else hit

        deadline = time.monotonic() + timeout
        screen = self.capture()
        while not found(screen):
            if time.monotonic() > deadline:
                label = getattr(what, "__name__", None) if callable(what) else repr(what)
                state = "to go" if gone else "to appear"
                raise AssertionError(
                    f"waited {timeout:.0f}s for {label} {state}; the screen was:\n{screen}"
                    + self._dead_note()
                )
            time.sleep(POLL)
            screen = self.capture()
        return screen

    def wait_until(self, test: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
        """Poll ``test()`` until it is true; fails naming ``what`` and the screen."""
        deadline = time.monotonic() + timeout
        while not test():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout:.0f}s for {what}; the screen was:\n{self.capture()}"
                    + self._dead_note()
                )
            time.sleep(POLL)

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        """Wait until the program has exited; returns its exit status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.exit_status()
            if status is not None:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the program did not exit within {timeout:.0f}s; the screen:\n{self.capture()}"
                )
            time.sleep(POLL)

    def exit_status(self) -> int | None:
        """The program's exit status once it has exited (128 + n when signal n
        killed it), else None."""
        try:
            text = self.status_file.read_text().strip()
        except OSError:
            return None
        return int(text) if text.lstrip("-").isdigit() else None

    def _dead_note(self) -> str:
        status = self.exit_status()
        return "" if status is None else f"\n(the program exited with status {status})"

    def resize(self, width: int, height: int) -> None:
        self.run("resize-window", "-t", "main", "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

    def size(self) -> tuple[int, int]:
        done = self.run("display-message", "-p", "-t", "main", "#{pane_width} #{pane_height}")
        w, h = done.stdout.split()
        return int(w), int(h)

    def show_buffer(self) -> str:
        """tmux's most recent paste buffer ("" when there is none)."""
        done = self.run("show-buffer", check=False)
        return done.stdout if done.returncode == 0 else ""

    def socket_path(self) -> str:
        return self.run("display-message", "-p", "#{socket_path}", check=False).stdout.strip()

    def tmux_env(self) -> dict[str, str]:
        """``TMUX`` as a program inside this server's pane would see it."""
        pid = self.run("display-message", "-p", "#{pid}").stdout.strip()
        return {"TMUX": f"{self.socket_path()},{pid},0"}

    def recorded(self) -> bytes:
        """Bytes recorded so far with ``start(record=...)``."""
        return self.record_path.read_bytes() if self.record_path else b""


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Callable[..., Tmux]]:
    """A factory for :class:`Tmux` servers; every one is killed at teardown."""
    made: list[Tmux] = []

    def make(width: int = 80, height: int = 24) -> Tmux:
        t = Tmux(tmp_path / f"tmux{len(made)}", width, height)
        made.append(t)
        return t

    yield make
    for t in made:
        t.kill()
