"""The reader, as the installed command runs it, with one step made to keep
the event loop's thread busy for a minute (as a long sort or render does):
for the signal tests (``tests/test_signals.py``).

    python busy_app.py WHEN MARKER [PATH...]

``WHEN`` is ``key`` (the help key, ``?``, is busy) or ``start`` (the app is
busy while it mounts, after taking the terminal and before its first
screen). The file ``MARKER`` is made when the busy part begins.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from reader.entry import main
from reader.tui.app import DigestApp
from reader.tui.screens.main import MainScreen

BUSY = 60.0


def busy(*_: Any) -> None:
    Path(MARKER).touch()
    end = time.monotonic() + BUSY
    while time.monotonic() < end:  # pure Python: signals' handlers run, the loop does not
        pass


if __name__ == "__main__":
    when, MARKER = sys.argv[1], sys.argv[2]
    if when == "key":
        MainScreen.action_help = busy  # type: ignore[method-assign]
    else:
        DigestApp.notify_config_warnings = busy  # type: ignore[method-assign]
    sys.argv = ["digest-reader", *sys.argv[3:]]
    sys.exit(main())
