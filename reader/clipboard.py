"""Copying a link (or a BibTeX entry) to the user's clipboard, wherever they are.

Readers work over SSH, often inside tmux, with no display: shelling out to
xclip copies to the wrong machine, and a bare OSC 52 is dropped by tmux. So
:func:`copy` picks the way that reaches the user and says which one it took.

1. **The text is made safe first.** Complete escape sequences and bidi
   controls are removed (:mod:`reader.sanitize`), and then every remaining
   control character: nothing with a control character is ever copied. A URL
   (one ``scheme:...`` token) loses its newlines, tabs and spaces (a wrapped
   link is joined); other text (a BibTeX entry, an abstract) keeps newlines and
   tabs, and nothing else. Text that is empty after this is not copied.
2. **A local display** (``DISPLAY``/``WAYLAND_DISPLAY`` set and no
   ``SSH_CONNECTION``/``SSH_CLIENT``/``SSH_TTY``, or macOS outside SSH):
   pyperclip is tried first (it raises without a working clipboard tool; that
   is caught). Inside tmux the text also goes to tmux's buffer.
3. **Inside tmux** (``TMUX`` set): ``tmux load-buffer -w -`` with the text on
   stdin; ``-w`` makes tmux hand it on to the outer terminal's clipboard with
   OSC 52 (tmux >= 3.2; older tmux gets the buffer only).
4. **Inside GNU screen** (``STY`` set): OSC 52 wrapped in screen's DCS
   passthrough, split in chunks screen accepts, written via ``write_terminal``.
5. **Elsewhere**: a plain OSC 52 sequence written via ``write_terminal`` (the
   app passes a function writing raw bytes to its terminal; the CLI one that
   writes to ``/dev/tty``). The terminal must allow OSC 52; there is no way to
   know whether it did, and the message says so.

OSC 52 (with or without screen) is refused above :data:`OSC52_LIMIT` bytes of
text, with a message. :func:`copy` never raises; every failure is a
:class:`CopyResult` with ``ok=False`` whose message still shows the text, and
``CopyResult.text`` is always the safe text, so the caller can show it too.
Subprocesses get an argument list (never a shell) and a timeout.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reader.sanitize import clean, is_control_free

#: Most text OSC 52 carries (terminals cap the sequence; xterm's default is ~100 kB).
OSC52_LIMIT = 100_000
#: GNU screen's limit for one string sequence (256 in old versions, 768 since 4.2.1).
SCREEN_CHUNK = 256
TMUX_TIMEOUT = 5.0
_SHOWN = 200

_URL = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*:\S*\s*\Z")
_CONTROL_PICTURE = re.compile("[\u2400-\u2421\ufffd]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CopyResult:
    """What :func:`copy` did. ``method`` is one of ``system``, ``tmux``,
    ``screen``, ``osc52`` or ``none``; ``text`` is what was (or would have been)
    copied, already made safe; ``message`` is for the user."""

    ok: bool
    method: str
    message: str
    text: str


def is_url(text: str) -> bool:
    """True for one ``scheme:rest`` token, possibly wrapped over lines."""
    return bool(_URL.match(_WHITESPACE.sub("", text) if "\n" in text else text))


def safe_text(text: str) -> str:
    """``text`` with no control character left (see module docs, rule 1)."""
    s = clean(text)  # drops complete escape sequences and bidi controls
    if not is_control_free(text):
        # clean() shows leftover controls as pictures; the clipboard drops them.
        s = _CONTROL_PICTURE.sub("", s)
    if is_url(s):
        return _WHITESPACE.sub("", s)
    s = s.replace("\r", "")
    return _LINE_CONTROL.sub("", s)


def has_local_display(env: Mapping[str, str], platform: str | None = None) -> bool:
    """True when a clipboard of this machine is the user's (not over SSH)."""
    if remote_session(env):
        return False
    plat = platform or sys.platform
    if plat == "darwin" or plat.startswith("win"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def remote_session(env: Mapping[str, str]) -> bool:
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or env.get("SSH_TTY"))


def osc52(text: str) -> str:
    """The OSC 52 sequence that sets the clipboard to ``text``."""
    b64 = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"\x1b]52;c;{b64}\x07"


def screen_osc52(text: str, chunk: int = SCREEN_CHUNK) -> str:
    """OSC 52 wrapped in GNU screen's DCS passthrough (``ESC P ... ESC \\``), split
    so no DCS string is longer than ``chunk`` bytes, as screen requires."""
    seq = osc52(text)
    size = chunk - 4  # each piece gets ESC P before and ESC \ after
    return "".join(f"\x1bP{seq[i : i + size]}\x1b\\" for i in range(0, len(seq), size))


def copy(
    text: str,
    *,
    write_terminal: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> CopyResult:
    """Copy ``text`` to the user's clipboard; never raises (see module docs)."""
    try:
        return _copy(text, write_terminal, os.environ if env is None else env, platform)
    except Exception as exc:  # a last guard: copying must never crash the reader
        safe = _safe_or_empty(text)
        return _failed(safe, f"Could not copy ({_short(exc)})")


def _safe_or_empty(text: str) -> str:
    try:
        return safe_text(text)
    except Exception:
        return ""


def _copy(
    text: str,
    write_terminal: Callable[[str], None] | None,
    env: Mapping[str, str],
    platform: str | None,
) -> CopyResult:
    safe = safe_text(text if isinstance(text, str) else str(text))
    if not safe.strip():
        return CopyResult(False, "none", "Nothing to copy.", "")
    in_tmux = bool(env.get("TMUX"))
    problems: list[str] = []

    if has_local_display(env, platform):
        err = _system_copy(safe)
        if err is None:
            message = "Copied to the system clipboard"
            if in_tmux and _tmux_load(safe, env, with_clipboard=False) is None:
                message += " (and tmux's buffer)"
            return CopyResult(True, "system", message, safe)
        problems.append(f"system clipboard: {err}")

    if in_tmux:
        err = _tmux_load(safe, env, with_clipboard=True)
        if err is None:
            return CopyResult(
                True, "tmux", "Copied to tmux's buffer (and your terminal's clipboard)", safe
            )
        if _tmux_load(safe, env, with_clipboard=False) is None:
            # tmux < 3.2 has no -w: the buffer is all we can reach through tmux.
            return CopyResult(
                True,
                "tmux",
                "Copied to tmux's buffer (this tmux is too old to pass it to your "
                "terminal's clipboard; paste with prefix ])",
                safe,
            )
        problems.append(f"tmux: {err}")

    if write_terminal is not None:
        size = len(safe.encode("utf-8"))
        if size > OSC52_LIMIT:
            return _failed(
                safe,
                f"Too long to copy through the terminal ({size // 1000} kB; "
                f"the limit is {OSC52_LIMIT // 1000} kB)",
            )
        in_screen = bool(env.get("STY")) and not in_tmux
        seq = screen_osc52(safe) if in_screen else osc52(safe)
        try:
            write_terminal(seq)
        except Exception as exc:
            problems.append(f"terminal: {_short(exc)}")
        else:
            if in_screen:
                return CopyResult(
                    True,
                    "screen",
                    "Copied with OSC 52 through screen (your terminal must allow it)",
                    safe,
                )
            return CopyResult(
                True, "osc52", "Copied with OSC 52 (your terminal must allow it)", safe
            )
    elif not problems:
        problems.append("no clipboard is reachable from here")

    return _failed(safe, "Could not copy (" + "; ".join(problems) + ")")


def _failed(safe: str, reason: str) -> CopyResult:
    shown = safe if len(safe) <= _SHOWN else safe[:_SHOWN] + "…"
    if "\n" in shown:
        shown = shown.replace("\n", " ")
    message = f"{reason}. Select it yourself: {shown}" if shown else reason + "."
    return CopyResult(False, "none", message, safe)


def _short(exc: BaseException) -> str:
    text = _CONTROL.sub(" ", str(exc)).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"


def _system_copy(text: str) -> str | None:
    """Copy with pyperclip; None when it worked, else why not."""
    try:
        import pyperclip
    except ImportError:
        return "pyperclip is not installed"
    try:
        pyperclip.copy(text)
    except Exception as exc:  # PyperclipException without a clipboard tool
        return _short(exc)
    return None


def _tmux_load(text: str, env: Mapping[str, str], *, with_clipboard: bool) -> str | None:
    """``tmux load-buffer [-w] -`` with ``text`` on stdin; None when it worked."""
    path = env.get("PATH") or os.environ.get("PATH") or os.defpath
    tmux = shutil.which("tmux", path=path)
    if tmux is None:
        return "the tmux command was not found"
    args = [tmux, "load-buffer"] + (["-w"] if with_clipboard else []) + ["-"]
    child_env = dict(os.environ)
    child_env.update(env)
    try:
        done = subprocess.run(
            args,
            input=text.encode("utf-8"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=child_env,
            timeout=TMUX_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "tmux did not answer"
    except OSError as exc:
        return _short(exc)
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        return _short(RuntimeError(err or f"exit status {done.returncode}"))
    return None
