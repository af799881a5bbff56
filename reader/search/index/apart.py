"""A sync's writing done by a child process, so the GIL stays with the app.

:meth:`SearchIndex.sync <reader.search.index.store.SearchIndex.sync>` finds
what changed cheaply (content hashes, only of the papers the library update
touched); the expensive part is the writing: Whoosh analyses every changed
paper, pools and sorts its postings, commits, and the sidecar of 100k
hashes is sealed and written (0.6-1.2 s at 100k papers, all of it holding
the GIL in the thread that runs it, and with it the app's cursor: moves of
60-230 ms while a fetch's 500 papers were indexed). With
``SearchIndex.sync_apart`` that part runs here instead, in a process of its
own, and the parent's thread only waits on a pipe.

* The child is a new interpreter (``python -m reader.search.index.apart``),
  not a fork: a fork of the app would copy a thread's half-held locks (a
  module being imported by the search thread stays locked in the child) and
  tax every page the parent then writes (copy-on-write over ~1 GB of
  papers); and not multiprocessing's spawn, which runs the parent's
  ``__main__`` again. It shares no lock and no page, imports what it needs
  (~0.3-0.8 s, on its own CPU time) and gets only the changed papers,
  pickled over a socket.
* It runs the very same :meth:`SearchIndex._update` as an in-process sync,
  on the generation the parent checked (it refuses another one), so the
  index it leaves is the one an in-process sync would have left.
* The parent holds the write lock throughout; the child holds the same open
  lock file too (its descriptor is handed over), so a parent killed while
  the child writes does not let another writer in before the child is done.
* Crash safety is that of any writer: Whoosh's table of contents is replaced
  atomically, the sidecar after it. A child killed before its commit leaves
  the last generation (its leftovers are cleaned under the next lock); one
  killed between the commit and the sidecar leaves a generation that the
  next sync finds damaged and rebuilds; searches scan meanwhile.
* It runs niced (:data:`NICE`): on a machine with a core to spare it takes
  that core; on a busy one it yields to the app, whose cursor and searches
  (which scan the new papers until the sync is done) come first.
* Cancelling (the app quitting) terminates the child, so does SIGTERM's
  watchdog (:func:`stop_all`); a child whose parent vanished anyway stops
  before its commit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.model import Paper

if TYPE_CHECKING:
    from reader.search.index.hashes import Piece
    from reader.search.index.integrity import Listing
    from reader.search.index.store import Synced, SyncReport

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

#: How often the waiting thread looks at ``cancelled`` (seconds).
POLL = 0.1
#: The child's niceness, added to the app's: it yields the CPU to the app.
NICE = 10


@dataclass
class Job:
    """What the child writes: the changes :meth:`SearchIndex.sync` found,
    on the generation it found them in."""

    #: The live generation's folder name and its table of contents' number.
    gen: str
    toc_gen: int
    #: The changed papers (only those: the rest stays in the parent).
    papers: dict[str, Paper]
    #: Their new content hashes, and the ids in the order they are written.
    new: dict[str, str]
    changed: list[str]
    removed: list[str]
    synced: Synced


@dataclass
class Written:
    """What came back: the child's report, and what the parent's
    :class:`SearchIndex` needs to follow the new commit."""

    report: SyncReport
    #: The files of the generation and its TOC number (None: not known, the
    #: child failed or was stopped; the parent opens the index again).
    files: Listing | None = None
    toc_gen: int | None = None
    #: The hash pieces its sidecar names and how many papers they hold
    #: (None: not known).
    hashes: tuple[list[Piece], int] | None = None
    #: The child's process id (a test's proof that the work ran elsewhere).
    pid: int | None = None
    #: Why the child gave no result ("" when it did).
    failure: str = ""


#: Papers pickled by one message to the child: pickling is one C call that
#: holds the GIL throughout (500 fetched papers at once: 16-27 ms at load
#: 5.5, a stalled frame for the app's cursor); a message of 32 is about a
#: millisecond, and the GIL can change hands between two.
PAPERS_A_MESSAGE = 32


def send_job(conn: Any, folder: str, job: Job) -> None:
    """Hand ``job`` to the child: the job without its papers, then the
    papers :data:`PAPERS_A_MESSAGE` at a time (:func:`receive_job`)."""
    items = list(job.papers.items())
    parts = range(0, len(items), PAPERS_A_MESSAGE)
    conn.send((folder, replace(job, papers={}), len(parts)))
    for at in parts:
        conn.send(dict(items[at : at + PAPERS_A_MESSAGE]))


def receive_job(conn: Any) -> tuple[str, Job]:
    """The folder and the job :func:`send_job` sent, its papers put together."""
    folder, job, parts = conn.recv()
    papers: dict[str, Paper] = {}
    for _ in range(parts):
        papers.update(conn.recv())
    return folder, replace(job, papers=papers)


#: The children running now (SIGTERM's watchdog ends them: :func:`stop_all`).
_RUNNING: set[subprocess.Popen[bytes]] = set()


def write_apart(
    folder: Path,
    job: Job,
    lock_fd: int | None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Written:
    """Run ``job`` in a spawned child and wait for it (this thread only
    waits, the GIL released, but for the pickling of the changed papers, a
    few at a time: :func:`send_job`)."""
    from multiprocessing.connection import Connection

    from reader.search.index.store import SyncReport

    ours, theirs = socket.socketpair()
    keep = [theirs.fileno()] + ([lock_fd] if lock_fd is not None else [])
    root = str(Path(__file__).resolve().parents[3])  # the folder that holds reader/
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    argv = [sys.executable, "-m", "reader.search.index.apart", str(theirs.fileno())]
    argv += [str(lock_fd if lock_fd is not None else -1), str(os.getpid())]
    try:
        # Not multiprocessing's spawn: it runs the parent's __main__ again in
        # the child. stdout and stderr are the app's terminal: not the child's.
        proc = subprocess.Popen(
            argv,
            pass_fds=keep,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    finally:
        theirs.close()
    _RUNNING.add(proc)
    conn = Connection(ours.detach())
    finished = False
    try:
        try:
            send_job(conn, str(folder), job)
        except OSError:
            return Written(SyncReport(), pid=proc.pid, failure=_died(proc))
        while True:
            if cancelled is not None and cancelled():
                return Written(SyncReport(cancelled=True), pid=proc.pid, failure="cancelled")
            if not conn.poll(POLL):
                if proc.poll() is not None and not conn.poll(0):
                    return Written(SyncReport(), pid=proc.pid, failure=_died(proc))
                continue
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return Written(SyncReport(), pid=proc.pid, failure=_died(proc))
            if msg[0] == "progress":
                if progress is not None:
                    progress(msg[1], msg[2])
                continue
            finished = True
            if msg[0] == "done":
                return Written(msg[1], files=msg[2], toc_gen=msg[3], hashes=msg[4], pid=proc.pid)
            return Written(SyncReport(), pid=proc.pid, failure=str(msg[1]))
    finally:
        conn.close()
        _end(proc, finished=finished)
        _RUNNING.discard(proc)


def _end(proc: subprocess.Popen[bytes], *, finished: bool) -> None:
    """Wait for a child that answered (it is exiting); stop one that did
    not (cancelled, or its answer cannot be read)."""
    from reader.child_process import end_child
    from reader.search.index.bulk import WORKER_GRACE

    end_child(proc, finished=finished, grace=WORKER_GRACE)


def stop_all() -> None:
    """End every child still writing (the process is about to end)."""
    for proc in list(_RUNNING):
        with contextlib.suppress(OSError):
            proc.terminate()


def _died(proc: subprocess.Popen[bytes]) -> str:
    """What became of a child that sent no answer."""
    from reader.search.index.bulk import how_it_ended

    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(1.0)
    return f"the index sync process died ({how_it_ended(proc.returncode)})"


def _child(folder: str, lock: int | None, job: Job, conn: Any, parent: int) -> None:
    """In the child: open the generation the parent checked and write the
    job into it, as an in-process sync would."""
    from reader.search.index.store import SearchIndex

    try:
        index = SearchIndex(Path(folder))
        # Written under the parent's lock, which this process holds too
        # (``lock``): a mismatch of the files is damage, not a commit of
        # another process in progress.
        index._holder = threading.get_ident()
        with index._lock:
            index._open()
        if index.problem or index._gen != job.gen or index._toc_gen != job.toc_gen:
            why = index.problem or "another generation"
            conn.send(("error", f"the index is not the one the sync compared with ({why})"))
            return

        def progress(done: int, total: int) -> None:
            if os.getppid() != parent:
                # The app ended without stopping us: leave before committing.
                raise SystemExit(1)
            conn.send(("progress", done, total))

        report = index._update(
            job.papers, job.new, index._hashes, job.changed, job.removed, progress, None, job.synced
        )
        from reader.search.index.hashes import PieceHashes

        held = index._hashes
        pieces = (held.pieces, len(held)) if isinstance(held, PieceHashes) else None
        conn.send(("done", report, index._files, index._toc_gen, pieces))
    except BaseException as exc:  # reported to the parent
        with contextlib.suppress(Exception):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()
        if lock is not None:
            with contextlib.suppress(OSError):
                os.close(lock)


def main(argv: list[str]) -> int:
    """``python -m reader.search.index.apart CONN_FD LOCK_FD PARENT_PID``."""
    from multiprocessing.connection import Connection

    with contextlib.suppress(OSError):
        # Background work: on a busy machine the app's own threads (the
        # cursor, the searches, which scan the papers meanwhile) come first.
        os.nice(NICE)
    conn = Connection(int(argv[1]))
    lock = int(argv[2])
    folder, job = receive_job(conn)
    _child(folder, lock if lock >= 0 else None, job, conn, int(argv[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
