"""Opening a paper's link in the user's browser, only when that can work.

:func:`open_url` opens a link only when

* it is an ``http://`` or ``https://`` URL with a host, and holds no control
  character, no white space and nothing :mod:`reader.sanitize` would change
  (``ssh://``, ``file://``, ``javascript:`` and the like are refused);
* this is a local session: not over SSH (``SSH_CONNECTION``, ``SSH_CLIENT``,
  ``SSH_TTY``), and on Linux/BSD with a display (``DISPLAY`` or
  ``WAYLAND_DISPLAY``). A browser started on a remote machine is no use to the
  reader; the UI copies the link instead and shows it.

The browser is started detached (its own session, stdio to ``/dev/null``) from
an argument list, never through a shell, and never waited for, so the UI never
blocks: ``open`` on macOS, else the first of ``xdg-open``, ``gio open`` and a
few graphical browsers found on ``PATH``. The :mod:`webbrowser` module is not
used on Linux: it may pick a text browser (lynx, w3m) that would take over the
terminal, and it waits up to five seconds for some browsers. The result says
whether it was started, why not, and always carries the URL to show.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from reader.sanitize import has_unsafe, is_control_free

#: Launchers and graphical browsers tried in order on Linux/BSD (args before the URL).
LAUNCHERS: tuple[tuple[str, ...], ...] = (
    ("xdg-open",),
    ("gio", "open"),
    ("x-www-browser",),
    ("firefox",),
    ("chromium",),
    ("chromium-browser",),
    ("google-chrome",),
)
MAX_URL = 8_000


@dataclass(frozen=True)
class OpenResult:
    """What :func:`open_url` did; ``message`` is for the user, ``url`` to show."""

    opened: bool
    message: str
    url: str


def check_url(url: str) -> str | None:
    """Why ``url`` must not be opened, or None when it is a plain http(s) URL."""
    if not url:
        return "There is no link to open."
    if len(url) > MAX_URL:
        return "The link is too long to open."
    if not is_control_free(url) or has_unsafe(url):
        return "The link holds control characters; it was not opened."
    if any(c.isspace() for c in url):
        return "The link holds white space; it was not opened."
    try:
        parts = urlsplit(url)
    except ValueError:
        return "The link is not a valid URL; it was not opened."
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "no scheme"
        return f"Only http(s) links are opened, not {scheme[:20]}."
    if not parts.hostname:
        return "The link has no host; it was not opened."
    return None


def open_url(
    url: str,
    env: Mapping[str, str] | None = None,
    *,
    platform: str | None = None,
) -> OpenResult:
    """Open ``url`` in a local graphical browser when safe and possible (see
    module docs). Never raises, never blocks."""
    environ = os.environ if env is None else env
    plat = platform or sys.platform
    try:
        shown = url.strip(" ") if isinstance(url, str) else ""
        problem = check_url(shown)
        if problem is not None:
            return OpenResult(False, problem, shown if is_control_free(shown) else "")
        if environ.get("SSH_CONNECTION") or environ.get("SSH_CLIENT") or environ.get("SSH_TTY"):
            return OpenResult(
                False,
                "This is a remote (SSH) session: a browser here would not reach you.",
                shown,
            )
        if plat == "darwin":
            commands: list[list[str]] = [["open"]]
        elif plat.startswith("win"):
            return _open_windows(shown)
        else:
            if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
                return OpenResult(
                    False,
                    "No display here (a remote or text-only session): the link was not opened.",
                    shown,
                )
            commands = [list(c) for c in LAUNCHERS]
        return _launch(commands, shown, environ)
    except Exception as exc:  # never crash the reader over a link
        return OpenResult(False, f"Could not open the link ({type(exc).__name__}).", "")


def _launch(commands: list[list[str]], url: str, env: Mapping[str, str]) -> OpenResult:
    path = env.get("PATH") or os.environ.get("PATH") or os.defpath
    child_env = dict(os.environ)
    child_env.update(env)
    for command in commands:
        program = shutil.which(command[0], path=path)
        if program is None:
            continue
        try:
            subprocess.Popen(
                [program, *command[1:], url],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
                env=child_env,
            )
        except OSError:
            continue
        name = " ".join(command)
        return OpenResult(True, f"Opening in your browser ({name}).", url)
    return OpenResult(False, "No browser launcher (xdg-open) was found here.", url)


def _open_windows(url: str) -> OpenResult:  # pragma: no cover - not tested on Linux
    import webbrowser

    if webbrowser.open(url, new=2):
        return OpenResult(True, "Opening in your browser.", url)
    return OpenResult(False, "No browser could be started.", url)
