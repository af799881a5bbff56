"""The one HTTP client every source uses, polite by construction.

* ``User-Agent: digest-reader/<version> (+<project URL>)``;
* connect and read timeouts (``timeout_seconds``): a stalled server is an
  error after that long, never a hang;
* on 429, 5xx and connection errors (refused, reset, cut-off body, timeout):
  up to 3 retries with growing waits (2, 4, 8 s), or ``Retry-After`` when the
  server sends it, capped at 60 s;
* requests to arXiv take turns through :class:`~reader.fetch.ratelock.RateLock`
  (one at a time, ``arxiv_delay_seconds`` apart, across processes);
* conditional requests: the ``ETag``/``Last-Modified`` of the last good answer
  for a URL are sent back; a ``304`` serves the body kept with them
  (``fetch/http/`` in the cache folder, deletable like any cache).

Nothing here decides what a body means: the source modules check it and call
:meth:`Http.remember` only for a body they accepted, so a broken answer is
never replayed from the cache.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import hashlib
import json
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reader import __version__
from reader.fetch.ratelock import RateLock, Sleep
from reader.fetch.sources import FetchConfig, arxiv_delay
from reader.fileio import atomic_write_text
from reader.formats.xmlsafe import XmlError, local, parse_xml
from reader.sanitize import clean_line
from reader.wording import counted

PROJECT_URL = "https://github.com/digest-reader/digest-reader"
USER_AGENT = f"digest-reader/{__version__} (+{PROJECT_URL})"
RETRIES = 3
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The biggest answer read (a day of Hugging Face is ~0.2 MB, 2,000 arXiv entries ~6 MB).
MAX_BODY = 64 * 2**20
#: The whole answer must arrive within this many read timeouts.
TOTAL_TIMEOUTS = 3


class _TooBig(Exception):
    pass


class FetchError(Exception):
    """A request that failed for good: names the URL and the reason. Both may
    hold a server's words (an API's error text, a feed's parse error), so they
    are sanitised here, once, for the CLI, the app and ``--json`` alike."""

    def __init__(self, url: str, reason: str, unreachable: str = "") -> None:
        url, reason = clean_line(url), clean_line(reason)
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        #: For a host that could not be connected to: ``cannot connect to
        #: huggingface.co (...) (after 3 retries)``, the same for every request
        #: to that host (so a report can say it once); "" otherwise.
        self.unreachable = unreachable


class Cancelled(Exception):
    """The caller asked to stop (the app's worker was cancelled)."""


@dataclass
class Answer:
    url: str
    status: int
    text: str
    content_type: str
    etag: str | None = None
    last_modified: str | None = None
    #: True when a 304 let us reuse the body kept from the last good answer.
    from_cache: bool = False
    #: Seconds between sending the request and having the whole body.
    elapsed: float = 0.0

    def looks_like_html(self) -> bool:
        head = self.text[:512].lstrip().lower()
        return "html" in self.content_type or head.startswith(("<!doctype html", "<html"))

    def xml_root(self, root_tag: str, what: str) -> ET.Element:
        """The answer parsed as XML whose root is ``<root_tag>`` (``what``: the
        feed's name for messages); :class:`FetchError` for an HTML page, text
        that is not XML or was cut off, or another root."""
        if self.looks_like_html():
            raise FetchError(self.url, f"an HTML page came back, not the {what}")
        try:
            root = parse_xml(self.text).root
        except XmlError as exc:
            where = f" at line {exc.line}" if exc.line else ""
            raise FetchError(
                self.url, f"not a readable feed, or cut off{where}: {exc.message}"
            ) from None
        if local(root.tag) != root_tag:
            raise FetchError(self.url, f"expected an {what}, found <{local(root.tag)}>")
        return root


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context of every fetch of this process, made once: OpenSSL
    takes 0.1-0.5 s of CPU to make one with its certificates (load 6-8
    here), on a core the app's cursor shares; it lets the GIL go for most
    of it (``benchmarks/gil_bench.py``: a 1 ms sleeper 7-8 ms late at p99,
    12-17 ms at most), an httpx client made around it up to 43 ms."""
    return httpx.create_ssl_context()


class Http:
    """A kept-alive ``httpx.Client`` with the rules above. Close it when done."""

    def __init__(
        self,
        config: FetchConfig,
        cache_dir: Path,
        *,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        cancel: Callable[[], bool] | None = None,
        retries: int = RETRIES,
        on_retry: Callable[[str, float, int, int], None] | None = None,
    ) -> None:
        self.config = config
        self.retries = retries
        #: Told (the reason, the wait in seconds, which retry, of how many) before each
        #: retry's wait: offline, a fetch tries for 20-30 s before it gives
        #: up, and the app's status line says so meanwhile.
        self.on_retry = on_retry
        self.cache_dir = cache_dir / "http"
        self.sleep = sleep
        self.cancel = cancel or (lambda: False)
        self.arxiv_lock = RateLock(cache_dir, "arxiv", sleep=self._pause, clock=clock)
        timeout = httpx.Timeout(config.timeout_seconds, connect=min(config.timeout_seconds, 10.0))
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
            verify=tls_context() if transport is None else True,
        )
        #: Every request sent (URL), for reports and tests.
        self.requests = 0
        #: Host -> (the reason, the same without the URL) it could not be
        #: connected to (after the retries): later
        #: requests to it fail at once with that error, never the retries
        #: again (offline, a fetch of 8 days would wait 8 times as long).
        self.unreachable: dict[str, tuple[str, str]] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def get(
        self, url: str, params: Mapping[str, str | int] | None = None, *, arxiv: bool = False
    ) -> Answer:
        """GET ``url`` with ``params``; an :class:`Answer` with status 200 (or a
        304 served from the kept body), else :class:`FetchError`."""
        full = str(httpx.URL(url, params=dict(params or {})))
        host = httpx.URL(full).host
        if host in self.unreachable:
            reason, why = self.unreachable[host]
            raise FetchError(full, f"{reason}; not tried again", unreachable=why)
        kept = self._kept(full)
        headers: dict[str, str] = {}
        if kept is not None:
            if kept.get("etag"):
                headers["If-None-Match"] = str(kept["etag"])
            if kept.get("last_modified"):
                headers["If-Modified-Since"] = str(kept["last_modified"])
        reason = ""
        refused = ""  # the last failure was a connection that could not be made
        for attempt in range(self.retries + 1):
            if self.cancel():
                raise Cancelled()
            wait: float | None = None
            refused = ""
            try:
                response, elapsed = self._send(full, headers, arxiv)
            except _TooBig as exc:
                raise FetchError(full, str(exc)) from None
            except httpx.ConnectTimeout as exc:
                reason = f"cannot connect ({_short(exc)})"
                refused = _short(exc)
            except httpx.TimeoutException:
                reason = f"no answer within {self.config.timeout_seconds:g} s (timed out)"
            except httpx.DecodingError as exc:
                reason = f"the answer could not be decoded ({_short(exc)})"
            except httpx.RemoteProtocolError as exc:
                reason = f"the answer was cut off ({_short(exc)})"
            except httpx.TransportError as exc:
                reason = f"cannot connect ({_short(exc)})"
                if isinstance(exc, httpx.ConnectError):  # not a reset mid-answer
                    refused = _short(exc)
            else:
                status = response.status_code
                if status == 304 and kept is not None:
                    return Answer(
                        full, 200, str(kept.get("body", "")), str(kept.get("content_type", "")),
                        etag=kept.get("etag"), last_modified=kept.get("last_modified"),
                        from_cache=True, elapsed=elapsed,
                    )  # fmt: skip
                if status == 200:
                    return Answer(
                        full,
                        status,
                        response.text,
                        response.headers.get("content-type", "").lower(),
                        etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"),
                        elapsed=elapsed,
                    )
                reason = f"HTTP {status}" + (
                    f" {response.reason_phrase}" if response.reason_phrase else ""
                )
                if status not in RETRY_STATUSES:
                    raise FetchError(full, reason + _body_hint(response))
                wait = retry_after(response.headers.get("retry-after"), time.time())
            if attempt == self.retries:
                break
            wait = wait if wait is not None else 2.0 ** (attempt + 1)
            if self.on_retry is not None:
                self.on_retry(reason, wait, attempt + 1, self.retries)
            self._pause(wait)
        tries = f" (after {counted(self.retries, 'retry')})" if self.retries else ""
        if refused:
            why = f"cannot connect to {host} ({refused}){tries}"
            self.unreachable[host] = (reason + tries, why)
            raise FetchError(full, reason + tries, unreachable=why)
        raise FetchError(full, reason + tries)

    def _send(self, url: str, headers: dict[str, str], arxiv: bool) -> tuple[httpx.Response, float]:
        if arxiv:
            with self.arxiv_lock.turn(arxiv_delay(self.config.arxiv_delay_seconds, url)):
                return self._once(url, headers)
        return self._once(url, headers)

    def _once(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, float]:
        """One request, its body read in chunks: no bigger than :data:`MAX_BODY`,
        and whole within :data:`TOTAL_TIMEOUTS` read timeouts (the read timeout
        alone would let a server dripping a byte at a time hold us for ever)."""
        self.requests += 1
        started = time.perf_counter()
        deadline = started + TOTAL_TIMEOUTS * self.config.timeout_seconds
        with self.client.stream("GET", url, headers=headers) as response:
            body = bytearray()
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > MAX_BODY:
                    raise _TooBig(f"the answer is bigger than {_size(MAX_BODY)}: not read")
                if time.perf_counter() > deadline:
                    raise httpx.ReadTimeout(
                        "the whole answer took too long", request=response.request
                    )
            decoded = _decode(response, bytes(body))
        kept = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"
        ]
        fresh = httpx.Response(
            response.status_code, headers=kept, content=decoded, request=response.request
        )
        return fresh, time.perf_counter() - started

    def _pause(self, seconds: float) -> None:
        """Sleep, in short steps so a cancel is noticed."""
        end = seconds
        while end > 0:
            if self.cancel():
                raise Cancelled()
            step = min(end, 0.25)
            self.sleep(step)
            end -= step

    # ------------------------------------------------------------------ the kept answers

    def _kept_path(self, url: str) -> Path:
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _kept(self, url: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._kept_path(url).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("url") == url else None

    def remember(self, answer: Answer) -> None:
        """Keep an accepted answer's validators and body for the next request."""
        if answer.from_cache or not (answer.etag or answer.last_modified):
            return
        data = {
            "url": answer.url,
            "etag": answer.etag,
            "last_modified": answer.last_modified,
            "content_type": answer.content_type,
            "body": answer.text,
        }
        # A cache that cannot be written only costs a full answer next time.
        with contextlib.suppress(OSError):
            atomic_write_text(self._kept_path(answer.url), json.dumps(data, ensure_ascii=False))


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n:,} bytes"


def _decode(response: httpx.Response, raw: bytes) -> bytes:
    """The body without its ``Content-Encoding`` (gzip, deflate), size-capped."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    import zlib

    if encoding not in ("gzip", "deflate", "x-gzip"):
        raise httpx.DecodingError(f"unknown Content-Encoding {encoding!r}")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(raw, MAX_BODY + 1)
    except zlib.error as exc:
        raise httpx.DecodingError(f"a broken {encoding} body ({exc})") from None
    if len(out) > MAX_BODY:
        raise _TooBig(f"the answer unpacks to more than {_size(MAX_BODY)}: not read")
    return out


def retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) as seconds to wait, capped at 60."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]


def _body_hint(response: httpx.Response) -> str:
    """A few words of an error body (an API's JSON ``error``), for the message."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f": {data['error'][:160]}"
    return ""
