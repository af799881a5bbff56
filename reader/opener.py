"""Opening a paper's link in the user's browser, only when that can work, and
saying honestly whether it did.

:func:`open_url` opens a link only when it is an ``http://`` or ``https://``
URL with a host, and holds no control character, no white space and nothing
:mod:`reader.sanitize` would change (``ssh://``, ``file://``, ``javascript:``
and the like are refused). Then, in this order:

1. the ``opener:`` command of the config (``"firefox %s"``; ``%s`` is the
   URL, appended when absent), always: the user chose it, so it runs over SSH
   and without a display too (a script that forwards links home, say);
2. otherwise only in a local session: not over SSH (``SSH_CONNECTION``,
   ``SSH_CLIENT``, ``SSH_TTY``), and on Linux/BSD with a display (``DISPLAY``
   or ``WAYLAND_DISPLAY``): a browser started on a remote machine is no use to
   the reader; the UI copies the link instead and shows it. There the
   commands of ``$BROWSER`` (``os.pathsep``-separated, ``%s`` as above) come
   first, then ``open`` on macOS, else the first of ``xdg-open``, ``gio
   open`` and a few graphical browsers found on ``PATH``. Text browsers
   (lynx, w3m...) are skipped even in ``$BROWSER``: they would take over the
   terminal the reader is drawing on.

Every command is started detached (its own session, stdio to ``/dev/null``)
from an argument list, never through a shell. With ``wait`` the opener's exit
status is awaited that long: a launcher that fails (``xdg-open`` with no
browser configured exits 3) is reported as a failure, and the next launcher
is tried; one still running then (a browser starting) counts as opened. The
UI calls it from a thread, so it never blocks the screen. The
:mod:`webbrowser` module is not used on Linux: it may pick a text browser and
it waits up to five seconds for some browsers. The result says whether it
opened, why not, and always carries the URL to show.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
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
#: Browsers that draw in the terminal: never started, even from ``$BROWSER``.
TEXT_BROWSERS = frozenset(
    {"lynx", "w3m", "links", "links2", "elinks", "www-browser", "browsh", "netrik"}
)


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
    command: str | None = None,
    wait: float = 0.0,
) -> OpenResult:
    """Open ``url`` with the ``command`` (the config's ``opener:``) or a local
    graphical browser when safe and possible (see module docs); waits up to
    ``wait`` seconds for the opener's exit status. Never raises."""
    environ = os.environ if env is None else env
    plat = platform or sys.platform
    try:
        shown = url.strip(" ") if isinstance(url, str) else ""
        problem = check_url(shown)
        if problem is not None:
            return OpenResult(False, problem, shown if is_control_free(shown) else "")
        if command is not None and command.strip():
            try:
                argv = shlex.split(command)
            except ValueError as exc:
                return OpenResult(False, f"The opener command cannot be read: {exc}.", shown)
            return _launch([argv], shown, environ, wait, fallback=False)
        if environ.get("SSH_CONNECTION") or environ.get("SSH_CLIENT") or environ.get("SSH_TTY"):
            return OpenResult(
                False,
                "This is a remote (SSH) session: a browser here would not reach you.",
                shown,
            )
        if plat.startswith("win"):
            return _open_windows(shown)
        commands = _browser_env(environ)
        if plat == "darwin":
            commands.append(["open"])
        else:
            if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
                return OpenResult(
                    False,
                    "No display here (a remote or text-only session): the link was not opened.",
                    shown,
                )
            commands += [list(c) for c in LAUNCHERS]
        return _launch(commands, shown, environ, wait)
    except Exception as exc:  # never crash the reader over a link
        return OpenResult(False, f"Could not open the link ({type(exc).__name__}).", "")


def _browser_env(env: Mapping[str, str]) -> list[list[str]]:
    """The commands of ``$BROWSER``, text browsers left out."""
    out: list[list[str]] = []
    for part in (env.get("BROWSER") or "").split(os.pathsep):
        try:
            argv = shlex.split(part)
        except ValueError:
            continue
        if argv and os.path.basename(argv[0]) not in TEXT_BROWSERS:
            out.append(argv)
    return out


def _argv(command: list[str], url: str) -> list[str]:
    """``command`` with ``%s`` replaced by ``url`` (appended when absent)."""
    if any("%s" in arg for arg in command):
        return [arg.replace("%s", url) for arg in command]
    return [*command, url]


def _launch(
    commands: list[list[str]],
    url: str,
    env: Mapping[str, str],
    wait: float = 0.0,
    *,
    fallback: bool = True,
) -> OpenResult:
    path = env.get("PATH") or os.environ.get("PATH") or os.defpath
    child_env = dict(os.environ)
    child_env.update(env)
    failure: OpenResult | None = None
    for command in commands:
        program = shutil.which(command[0], path=path)
        name = " ".join([os.path.basename(command[0]), *command[1:]]).replace("%s", "").strip()
        if program is None:
            if not fallback:
                return OpenResult(False, f"The opener {command[0]!r} was not found.", url)
            continue
        argv = _argv([program, *command[1:]], url)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
                env=child_env,
            )
        except OSError as exc:
            failure = OpenResult(False, f"{name} could not start: {exc.strerror or exc}.", url)
            if not fallback:
                return failure
            continue
        status = _status(proc, wait)
        if status is None or status == 0:
            return OpenResult(True, f"Opening in your browser ({name}).", url)
        failure = OpenResult(False, f"{name} failed (exit status {status}).", url)
        if not fallback:
            return failure
    if failure is not None:
        return failure
    return OpenResult(False, "No browser launcher (xdg-open) was found here.", url)


def _status(proc: Any, wait: float) -> int | None:
    """The exit status of ``proc`` within ``wait`` seconds; None when it is
    still running (a browser that stays open) or was not waited for."""
    if wait <= 0:
        return None
    try:
        return int(proc.wait(timeout=wait))
    except subprocess.TimeoutExpired:
        return None


def _open_windows(url: str) -> OpenResult:  # pragma: no cover - not tested on Linux
    import webbrowser

    if webbrowser.open(url, new=2):
        return OpenResult(True, "Opening in your browser.", url)
    return OpenResult(False, "No browser could be started.", url)
