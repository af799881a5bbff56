"""Big objects let go of off the event loop: :func:`release`.

When the app takes in a library read again, the one it replaces goes: its
papers' ids, the list of every paper, the search engine's tables over it.
Whichever reference is dropped last frees them, in C, on that thread: for
the event loop, 3-7 ms of a list of 100k ids and more for an engine's
tables (measured at 100k papers, load 5-8), added to the key being
handled. Given to :func:`release` instead, they are freed in a thread of
their own a moment later, once every other holder (the message that
brought the new library, the list's previous lists) has let go.
"""

from __future__ import annotations

import queue
import threading
import time

#: Seconds an object is held before it is dropped: the handler that gave it
#: and the message it came with are done by then.
DELAY = 0.5

_lock = threading.Lock()
_queue: queue.SimpleQueue[tuple[float, object]] | None = None


def release(*objects: object) -> None:
    """Hold ``objects`` and drop them in the releasing thread, :data:`DELAY`
    seconds from now. The caller keeps no reference of its own (else the
    last one may still be dropped on its thread)."""
    _started().put((time.monotonic() + DELAY, objects))


def start() -> None:
    """Start the releasing thread now (its start waits for the thread to
    run: a few ms the first :func:`release` need not pay)."""
    _started()


def _started() -> queue.SimpleQueue[tuple[float, object]]:
    global _queue
    with _lock:
        if _queue is None:
            _queue = queue.SimpleQueue()
            threading.Thread(target=_drop, args=(_queue,), name="release", daemon=True).start()
        return _queue


def _drop(waiting: queue.SimpleQueue[tuple[float, object]]) -> None:
    while True:
        due, held = waiting.get()
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        del held  # freed here, on this thread, when it was the last reference
