"""Copying and opening from the app: the core's clipboard and opener, with
the notifications that say which way a copy went or why a link did not open.

:class:`Links` belongs to the app (``app.links``); the main screen and its
menus call it. The rules (which clipboard, OSC 52 over SSH, which URLs may
be opened, which opener) are the core's: ``reader.clipboard`` and
``reader.opener``; what is here is only what the user is told.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from reader import clipboard
from reader.tui import text as tx
from reader.tui.textual_private import write_to_terminal

if TYPE_CHECKING:
    from reader.opener import OpenResult

#: How long an opener gets to report failure (``xdg-open`` answers in well
#: under a second); one still running then is a browser starting.
OPEN_WAIT = 3.0
#: A copied text longer than this is cut in its notification.
SHOWN_MAX = 600


class Links:
    """Copy text and open links for ``app``, telling the user how it went.

    ``opener``: the config's ``opener:`` command (None: ``$BROWSER`` or the
    desktop's launcher)."""

    def __init__(self, app: App[int], opener: str | None = None) -> None:
        self.app = app
        self.opener = opener

    def write_terminal(self, data: str) -> None:
        """Raw bytes to the terminal (OSC 52 and its tmux/screen wrappers)."""
        write_to_terminal(self.app, data)

    def copy(self, text: str, what: str) -> clipboard.CopyResult:
        """Copy ``text``; the notification says which way it went and shows it."""
        result = clipboard.copy(text, write_terminal=self.write_terminal)
        shown = tx.block(result.text or text)
        if len(shown) > SHOWN_MAX:
            shown = shown[:SHOWN_MAX] + "…"
        if result.ok:
            self.app.notify(shown, title=f"Copied {what}: {tx.line(result.message)}", markup=False)
        else:
            self.app.notify(
                shown,
                title=f"Could not copy {what}: {tx.line(result.message)}",
                severity="warning",
                markup=False,
                timeout=10,
            )
        return result

    def copy_quiet(self, text: str) -> str:
        """Copy ``text`` without a notification of its own; the words to add
        to the caller's."""
        result = clipboard.copy(text, write_terminal=self.write_terminal)
        return f"The link was copied instead: {result.message}" if result.ok else result.message

    def open(self, url: str, what: str = "link") -> None:
        """Open ``url`` through the reader's opener, in a thread: the
        notification comes once the opener has answered. When it cannot open
        (SSH, no display, the opener failed) the link is copied and shown."""
        if not url:
            self.app.notify(f"This paper has no {what}.", severity="warning")
            return
        self.app.run_worker(
            lambda: self._open_in_thread(url),
            thread=True,
            exit_on_error=False,
            group="open",
            description="Opening a link",
        )

    def _open_in_thread(self, url: str) -> None:
        from reader import opener

        result = opener.open_url(url, command=self.opener, wait=OPEN_WAIT)
        self.app.call_from_thread(self._opened, url, result)

    def _opened(self, url: str, result: OpenResult) -> None:
        from reader import opener

        if result.opened:
            self.app.notify(tx.line(result.url or url), title=tx.line(result.message), markup=False)
            return
        if result.url and opener.check_url(result.url) is None:
            copied = self.copy_quiet(result.url)
            title = f"{tx.line(result.message)} {copied}"
            self.app.notify(
                tx.line(result.url), title=title, severity="warning", markup=False, timeout=10
            )
        else:
            notify_error(self.app, result.message)


def notify_error(app: App[int], message: str) -> None:
    """An error notification (plain text, one line)."""
    app.notify(tx.line(message), title="Error", severity="error", markup=False, timeout=8)
