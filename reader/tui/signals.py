"""SIGTERM and SIGHUP end the app within :data:`GRACE` seconds, whatever it
is doing (see ``docs/security.md``).

The app's own exit (screens closed, the terminal given back) is asked for
first. Its event loop may not get to it soon: a long piece of work in the
loop's thread (a sort of 100k papers, a render), the interpreter joining a
busy worker thread at the end, or a signal that came before the loop
existed. So the Python-level handler (which runs in the main thread between
two bytecodes, busy loop or not) also starts a watchdog: when the process
is still there after :data:`GRACE` seconds, it waits for a state save in
progress to end (every change is written when it is made, so the state on
disk then holds the last one), gives the terminal back (its modes as they
were before the app started, the sequences Textual's driver writes when it
stops) unless the app already did, ends the index build processes, and
ends the process with 128 + the signal's number, as the app's own exit does.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

#: Signals that end the app (SIGHUP: an SSH connection dropped).
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
#: Seconds the app's own exit gets before the process is ended anyway.
GRACE = 1.0
#: Seconds the watchdog waits for a state save in progress to end.
SAVE_WAIT = 5.0
#: What Textual's Linux driver writes when it stops (mouse, paste, line wrap,
#: resize reports, the Kitty keyboard protocol, the alternate screen, the
#: cursor, focus reports), a frame in progress ended first.
RESTORE = (
    b"\x1b[?2026l"  # end a synchronised frame a kill may have cut
    b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse reports off
    b"\x1b[?2004l"  # bracketed paste off
    b"\x1b[?7h"  # line wrap on
    b"\x1b[?2048l"  # in-band resize reports off
    b"\x1b[<u"  # pop the Kitty keyboard mode (before leaving the alt screen)
    b"\x1b[?1049l"  # leave the alternate screen
    b"\x1b[?25h"  # show the cursor
    b"\x1b[?1004l"  # focus reports off
)


class SignalExit:
    """The end of one run of the app on SIGTERM or SIGHUP.

    :meth:`install` before the app starts (the terminal modes are noted
    then); :meth:`attach` once its event loop runs, with the app's exit;
    :meth:`given_back` when the app has restored the terminal.
    """

    def __init__(self, *, grace: float = GRACE) -> None:
        self.grace = grace
        #: The process this was installed in: a forked helper that kept the
        #: handler must never end the app nor end itself this way.
        self.owner = os.getpid()
        #: The first signal received (None: none yet).
        self.signum: int | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._end: Callable[[int], Any] | None = None
        #: Waits for a save in progress and keeps others from starting.
        self._hold: Callable[[float], Any] | None = None
        self._restored = False
        self._tty: int | None = None
        self._tty_modes: list[Any] | None = None

    def install(self) -> None:
        """Handle the signals from now on, and note the terminal's modes
        (before the app's driver changes them)."""
        for stream in (sys.__stderr__, sys.__stdin__):  # where the driver writes, first
            with contextlib.suppress(AttributeError, OSError, ValueError, termios.error):
                fd = stream.fileno() if stream is not None else -1
                if os.isatty(fd):
                    self._tty_modes = termios.tcgetattr(fd)
                    self._tty = fd
                    break
        for sig in EXIT_SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(sig, self._received)

    def attach(
        self,
        loop: asyncio.AbstractEventLoop,
        end: Callable[[int], Any],
        hold: Callable[[float], Any] | None = None,
    ) -> None:
        """``end(signum)`` is the app's exit, run in ``loop``; ``hold(timeout)``
        waits for a state save in progress and keeps any other from starting.
        A signal that came before runs ``end`` now."""
        self._event_loop, self._end, self._hold = loop, end, hold
        if self.signum is not None:
            loop.call_soon(end, self.signum)

    def given_back(self) -> None:
        """The app has restored the terminal: an end forced later leaves it alone."""
        self._restored = True

    def _received(self, sig: int, _frame: FrameType | None = None) -> None:
        if os.getpid() != self.owner:
            return
        if self.signum is not None:
            return  # the end is on its way
        self.signum = sig
        if self._event_loop is not None and self._end is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._event_loop.call_soon_threadsafe(self._end, sig)
        threading.Thread(target=self._watch, name="signal-exit", daemon=True).start()

    def _watch(self) -> None:
        time.sleep(self.grace)
        self.force()

    def force(self) -> None:
        """End the process now: the save in progress first, the terminal
        given back, the index build processes ended."""
        if self._hold is not None:
            with contextlib.suppress(Exception):
                self._hold(SAVE_WAIT)
        if not self._restored and self._tty is not None:
            with contextlib.suppress(OSError, termios.error):
                if self._tty_modes is not None:
                    termios.tcsetattr(self._tty, termios.TCSANOW, self._tty_modes)
            # in a thread: a terminal that reads nothing must not keep the process
            writer = threading.Thread(target=_write, args=(self._tty, RESTORE), daemon=True)
            writer.start()
            writer.join(0.5)
        for child in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                child.terminate()
        apart = sys.modules.get("reader.search.index.apart")  # an index sync's child
        if apart is not None:
            with contextlib.suppress(Exception):
                apart.stop_all()
        os._exit(128 + (self.signum or signal.SIGTERM))


def _write(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # a terminal hung up: nothing to give back
        os.write(fd, data)
