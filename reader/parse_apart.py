"""A first read's largest digest file parsed by a child process, while the
reading thread parses the others.

A first read (nothing in the cache) parses every digest file in one thread,
smallest first; on the real digests one archive of 70 MB holds 75k of the
91k papers and half of the parse (7 of 14 s of CPU). Parsed here, in a
process of its own, it takes the second core while the reader's thread
parses the other files (and the app keeps its own thread): the parse ends
when the slower of the two does, not after both.

* The child is a new interpreter (``python -m reader.parse_apart``), not a
  fork of the app: a fork would copy the locks other threads hold (see
  :mod:`reader.search.index.apart`, which does the same for a sync).
* It sends each digest as soon as it is parsed, in the library's own
  compact form (:func:`reader.library._digest_row`, marshalled: no pickle),
  over a socket; a thread of the parent drains it meanwhile, so the child
  never waits on a full socket. The digests are made again in the parent
  when the read reaches the file (:meth:`Apart.take`), in the file's order,
  and given to the read's ``each`` as they are: the list fills in as before.
* Should the child fail (it died, could not start, sent what cannot be
  read), the file is parsed in the reading thread instead, the digests
  already given to ``each`` not given again (a file's parse is the same
  every time): a first read never depends on the child.
* A read stopped meanwhile (``each`` raising: the app is quitting) ends the
  child (:meth:`Apart.stop`).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reader.child_process import end_child
from reader.model import Digest

#: A file at least this big is parsed apart (when there are others to parse
#: meanwhile): below it, the child's start (an interpreter and the formats'
#: imports, 0.3-0.8 s of CPU) costs more than it spares.
APART_BYTES = 4 * 1024 * 1024
#: How often the waiting reader looks whether the child is still there (seconds).
POLL = 0.1
#: A child that has sent its last digest gets this long to exit.
GRACE = 5.0

#: What the child sends, each a message of its own (the tag, then the bytes).
_PID, _DIGEST, _END, _ERROR = b"P", b"D", b"E", b"X"


class Apart:
    """One file being parsed by a child process (started at once)."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        from multiprocessing.connection import Connection

        self.path = path
        self.max_bytes = max_bytes
        #: The file's place in the read's list of files (the reader's to set).
        self.at = -1
        #: The child's process id, once it said it (0: not yet, or never).
        self.pid = 0
        #: What the child sent, as it came: (tag, bytes); None at its end.
        self._got: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._drain: threading.Thread | None = None
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parents[1])  # the folder that holds reader/
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        argv = [sys.executable, "-m", "reader.parse_apart", str(theirs.fileno())]
        argv += [os.fsdecode(path), str(max_bytes)]
        try:
            # stdout and stderr are the app's terminal: not the child's.
            self._proc = subprocess.Popen(
                argv,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            ours.close()
            self._got.put(None)  # no child: parsed in the reading thread
            return
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._drain = threading.Thread(target=self._receive, name="parse-apart", daemon=True)
        self._drain.start()

    def _receive(self) -> None:
        """In the drain thread: every message, until the child's end."""
        conn = self._conn
        assert conn is not None
        try:
            while True:
                msg = conn.recv_bytes()
                tag, body = msg[:1], msg[1:]
                if tag == _PID:
                    self.pid = int(body)
                    continue
                self._got.put((tag, body))
                if tag in (_END, _ERROR):
                    return
        except (EOFError, OSError):
            return  # it died, or was stopped
        finally:
            self._got.put(None)

    def take(self, each: Callable[[Digest], None] | None = None) -> list[Digest]:
        """The file's digests, each given to ``each`` as it is made (what
        ``each`` raises stops the child and goes on up); parsed here
        instead should the child fail."""
        from reader.formats import load_path
        from reader.library import _digest_from_row

        out: list[Digest] = []
        finished = False
        try:
            while True:
                try:
                    got = self._got.get(timeout=POLL)
                except queue.Empty:
                    gone = self._proc is not None and self._proc.poll() is not None
                    if gone and self._drain is not None:  # what it sent, then None
                        self._drain.join(GRACE)
                    continue
                if got is None or got[0] == _ERROR:
                    break
                if got[0] == _END:
                    finished = True
                    return out
                try:
                    digest = _digest_from_row(marshal.loads(got[1]))
                except (EOFError, ValueError, TypeError):
                    break
                out.append(digest)
                if each is not None:
                    each(digest)
        finally:
            self.stop(finished=finished)
        given = len(out)

        def again(digest: Digest) -> None:
            nonlocal given
            if given:
                given -= 1  # the child's, given already
            elif each is not None:
                each(digest)

        return load_path(self.path, max_bytes=self.max_bytes, each=again)

    def stop(self, finished: bool = False) -> None:
        """End the child: wait for one that sent its end, stop any other."""
        proc = self._proc
        if proc is None:
            return
        end_child(proc, finished=finished, grace=GRACE)
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._proc = None


def _child(conn: Any, path: str, max_bytes: int) -> None:
    """In the child: parse ``path``, sending each digest as it is read."""
    from reader.formats import load_path
    from reader.library import _digest_row

    def send(digest: Digest) -> None:
        conn.send_bytes(_DIGEST + marshal.dumps(_digest_row(digest)))

    try:
        conn.send_bytes(_PID + str(os.getpid()).encode())
        load_path(path, max_bytes=max_bytes, each=send)
        conn.send_bytes(_END)
    except BaseException as exc:  # the parent parses the file itself then
        with contextlib.suppress(Exception):
            conn.send_bytes(_ERROR + f"{type(exc).__name__}: {exc}".encode())
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    """``python -m reader.parse_apart CONN_FD PATH MAX_BYTES``."""
    from multiprocessing.connection import Connection

    _child(Connection(int(argv[1])), argv[2], int(argv[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
