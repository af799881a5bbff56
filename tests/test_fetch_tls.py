"""Every fetch of one process (the app's ``F``, pressed again and again)
uses one TLS context: OpenSSL takes 0.2-0.5 s to make one with its
certificates, much of it holding the GIL, which stalled the app's cursor at
each fetch. A fetch after the first still reaches its server."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from reader.fetch import http as http_mod
from reader.fetch.http import Http
from reader.fetch.sources import FetchConfig
from tests.fetch_server import ReplayServer, Reply


def test_fetches_in_one_process_share_one_tls_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = getattr(http_mod, "tls_context", None)
    if cached is not None:
        cached.cache_clear()
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    server = ReplayServer()
    server.routes["/api/daily_papers"] = lambda seen: Reply("[]")
    server.start()
    try:
        for _ in range(3):  # three presses of F
            with Http(FetchConfig(), tmp_path, sleep=lambda s: None) as http:
                got = http.get(f"{server.url}/api/daily_papers", {"date": "2026-12-01"})
                assert got.status == 200
    finally:
        server.stop()
    assert len(made) == 1
