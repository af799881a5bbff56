"""A local HTTP server in a thread that replays answers, for the fetch tests.

Routes map a path to a list of :class:`Reply` served in turn (the last one
repeats), or to a function of the request. Every request is recorded with the
time it arrived, its query and its headers. Nothing here reaches the network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    #: Seconds to wait before answering (a stalled server).
    stall: float = 0.0
    #: Send only this many bytes of the body, with the full Content-Length.
    cut_at: int | None = None
    #: Send the body a byte at a time, this many seconds apart.
    drip: float = 0.0

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    #: When the answer was written (0 until then).
    done: float = 0.0


Route = list[Reply] | Callable[[Seen], Reply]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._turns: dict[str, int] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                outer._answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        seen = Seen(
            parts.path,
            {k: v[-1] for k, v in parse_qs(parts.query).items()},
            {k.lower(): v for k, v in h.headers.items()},
            time.time(),
        )
        with self._lock:
            self.seen.append(seen)
            route = self.routes.get(parts.path)
            if route is None:
                reply = Reply("not found", 404, content_type="text/plain")
            elif callable(route):
                reply = route(seen)
            else:
                turn = self._turns.get(parts.path, 0)
                self._turns[parts.path] = turn + 1
                reply = route[min(turn, len(route) - 1)]
        if reply.stall:
            time.sleep(reply.stall)
        data = reply.data
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", reply.content_type)
            h.send_header("Content-Length", str(len(data)))
            for k, v in reply.headers.items():
                h.send_header(k, v)
            if reply.cut_at is not None:
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            if reply.drip:
                for i in range(len(data)):
                    h.wfile.write(data[i : i + 1])
                    h.wfile.flush()
                    time.sleep(reply.drip)
            else:
                h.wfile.write(data if reply.cut_at is None else data[: reply.cut_at])
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        seen.done = time.time()
