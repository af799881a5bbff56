"""The ``fetch:`` section of ``config.yaml``: named sources and their settings.

```yaml
fetch:
  sources:
    hf: {kind: hf-daily}
    nlp: {kind: arxiv-rss, categories: [cs.CL, cs.LG]}
    retrieval: {kind: arxiv-query, query: "cat:cs.IR AND abs:retrieval", max_results: 200}
  endpoints: {hf: https://huggingface.co, arxiv_rss: https://rss.arxiv.org,
              arxiv_api: https://export.arxiv.org}
  arxiv_delay_seconds: 3
  timeout_seconds: 30
  catch_up_days: 7
```

With no ``fetch:`` section the one source is ``hf``. Every mistake is a
:class:`FetchConfigError` whose message starts with the key it is about
(``fetch.sources.nlp.categories: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

KINDS = ("hf-daily", "arxiv-rss", "arxiv-query")
DEFAULT_ENDPOINTS = {
    "hf": "https://huggingface.co",
    "arxiv_rss": "https://rss.arxiv.org",
    "arxiv_api": "https://export.arxiv.org",
}
#: arXiv's terms: one request every 3 seconds. Never lower for its own hosts.
ARXIV_MIN_DELAY = 3.0
#: The arXiv API refuses more than this in all (and more than 2,000 a page).
ARXIV_MAX_RESULTS = 30_000

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")
_QUERY_FIELDS = ("ti", "au", "abs", "co", "jr", "cat", "rn", "id", "all")
_QUERY_FIELD = re.compile(r"\b([A-Za-z_]+):")
_DATE_RANGE = re.compile(
    r"submittedDate:\[\d{8,12} TO \d{8,12}\]|lastUpdatedDate:\[\d{8,12} TO \d{8,12}\]"
)
_BOOL = ("AND", "OR", "ANDNOT")


class FetchConfigError(ValueError):
    """A mistake in the ``fetch:`` section; the message names the key."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured source."""

    name: str
    kind: str
    categories: tuple[str, ...] = ()
    query: str = ""
    max_results: int = 200

    @property
    def is_arxiv(self) -> bool:
        return self.kind.startswith("arxiv")


@dataclass
class FetchConfig:
    sources: dict[str, SourceSpec] = field(
        default_factory=lambda: {"hf": SourceSpec(name="hf", kind="hf-daily")}
    )
    endpoints: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ENDPOINTS))
    arxiv_delay_seconds: float = ARXIV_MIN_DELAY
    timeout_seconds: float = 30.0
    catch_up_days: int = 7
    #: ``on_start``: the app fetches in the background when it opens.
    on_start: bool = False
    #: True when the user wrote a ``fetch:`` section (the app fetches on start
    #: only then).
    configured: bool = False

    def endpoint(self, key: str) -> str:
        return self.endpoints.get(key, DEFAULT_ENDPOINTS[key]).rstrip("/")


def arxiv_delay(configured: float, url: str) -> float:
    """The spacing for a request to ``url``: the configured delay, never below
    3 s for ``arxiv.org`` and its subdomains (lower elsewhere: mirrors, tests)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return max(configured, ARXIV_MIN_DELAY)
    return max(configured, 0.0)


def parse_fetch(raw: object) -> FetchConfig:
    """The ``fetch:`` value (None when absent) as a :class:`FetchConfig`."""
    cfg = FetchConfig()
    if raw is None:
        return cfg
    if not isinstance(raw, dict):
        raise FetchConfigError("fetch: must be a mapping (sources, endpoints, ...)")
    cfg.configured = True
    known = {
        "sources",
        "endpoints",
        "arxiv_delay_seconds",
        "timeout_seconds",
        "catch_up_days",
        "on_start",
    }
    for key in raw:
        if key not in known:
            raise FetchConfigError(
                f"fetch.{key}: unknown setting (known: {', '.join(sorted(known))})"
            )
    if "on_start" in raw:
        flag = str(raw["on_start"]).strip().lower()
        if flag not in ("true", "false", "yes", "no", "on", "off"):
            raise FetchConfigError(
                f"fetch.on_start: must be true or false, not {raw['on_start']!r}"
            )
        cfg.on_start = flag in ("true", "yes", "on")
    if "sources" in raw:
        sources = raw["sources"]
        if not isinstance(sources, dict) or not sources:
            raise FetchConfigError("fetch.sources: must be a mapping of names to sources")
        cfg.sources = {}
        for name, spec in sources.items():
            cfg.sources[str(name)] = _source(str(name), spec)
    endpoints = raw.get("endpoints")
    if endpoints is not None:
        if not isinstance(endpoints, dict):
            raise FetchConfigError("fetch.endpoints: must be a mapping (hf, arxiv_rss, arxiv_api)")
        for key, url in endpoints.items():
            if key not in DEFAULT_ENDPOINTS:
                raise FetchConfigError(
                    f"fetch.endpoints.{key}: unknown endpoint (known: {', '.join(DEFAULT_ENDPOINTS)})"
                )
            parts = urlsplit(str(url))
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchConfigError(f"fetch.endpoints.{key}: {url!r} is not an http(s) URL")
            cfg.endpoints[str(key)] = str(url).rstrip("/")
    cfg.arxiv_delay_seconds = _number(raw, "arxiv_delay_seconds", cfg.arxiv_delay_seconds, 0)
    cfg.timeout_seconds = _number(raw, "timeout_seconds", cfg.timeout_seconds, 0.1)
    cfg.catch_up_days = int(_number(raw, "catch_up_days", cfg.catch_up_days, 0, integer=True))
    return cfg


def as_number(value: object, integer: bool = False) -> float | None:
    """A number written in the config (the safe YAML loader keeps scalars as
    the strings written), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if integer and not number.is_integer():
        return None
    return number


def _number(
    raw: dict[object, object], key: str, default: float, low: float, integer: bool = False
) -> float:
    if key not in raw:
        return default
    value = as_number(raw[key], integer)
    if value is None:
        kind = "a whole number" if integer else "a number"
        raise FetchConfigError(f"fetch.{key}: must be {kind}, not {raw[key]!r}")
    if value < low:
        raise FetchConfigError(f"fetch.{key}: must be at least {low:g}, not {raw[key]!r}")
    return value


def _source(name: str, spec: object) -> SourceSpec:
    key = f"fetch.sources.{name}"
    if not _NAME.match(name):
        raise FetchConfigError(
            f"{key}: a source name is letters, digits, '.', '_' or '-' (it names a folder)"
        )
    if not isinstance(spec, dict):
        raise FetchConfigError(f"{key}: must be a mapping with a 'kind'")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise FetchConfigError(
            f"{key}.kind: {kind!r} is not a source kind (use {', '.join(KINDS)})"
        )
    allowed = {"kind"} | {
        "hf-daily": set(),
        "arxiv-rss": {"categories"},
        "arxiv-query": {"query", "max_results"},
    }[str(kind)]
    for k in spec:
        if k not in allowed:
            raise FetchConfigError(f"{key}.{k}: not a setting of a {kind} source")
    if kind == "arxiv-rss":
        cats = spec.get("categories")
        if isinstance(cats, str):
            cats = [c for c in re.split(r"[\s,+]+", cats) if c]
        if not isinstance(cats, list) or not cats:
            raise FetchConfigError(f"{key}.categories: give at least one arXiv category (cs.CL)")
        for c in cats:
            if not isinstance(c, str) or not _CATEGORY.match(c):
                raise FetchConfigError(f"{key}.categories: {c!r} is not an arXiv category (cs.CL)")
        return SourceSpec(name=name, kind=kind, categories=tuple(cats))
    if kind == "arxiv-query":
        query = spec.get("query")
        if not isinstance(query, str) or not query.strip():
            raise FetchConfigError(f"{key}.query: give an arXiv API search_query (cat:cs.IR)")
        problem = query_problem(query)
        if problem:
            raise FetchConfigError(f"{key}.query: {problem}")
        mr = spec.get("max_results", 200)
        number = as_number(mr, integer=True)
        if number is None or not 1 <= number <= ARXIV_MAX_RESULTS:
            raise FetchConfigError(
                f"{key}.max_results: a whole number from 1 to {ARXIV_MAX_RESULTS:,}, not {mr!r}"
            )
        return SourceSpec(name=name, kind=kind, query=query.strip(), max_results=int(number))
    return SourceSpec(name=name, kind=str(kind))


def query_problem(query: str) -> str | None:
    """Why the arXiv API would refuse ``query`` (None when it looks fine):
    unknown field prefixes, unbalanced parentheses or quotes, a dangling
    ``AND``/``OR``/``ANDNOT``."""
    text = _DATE_RANGE.sub("x", query)
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return "a ')' without its '('"
    if depth:
        return "a '(' without its ')'"
    unquoted = re.sub(r'"[^"]*"', '"x"', text)
    for m in _QUERY_FIELD.finditer(unquoted):
        if m.group(1) not in _QUERY_FIELDS:
            return (
                f"unknown field {m.group(1)!r}: (the API knows {', '.join(_QUERY_FIELDS)},"
                " submittedDate)"
            )
    words = unquoted.replace("(", " ").replace(")", " ").split()
    if not words or words[0] in _BOOL or words[-1] in _BOOL:
        return "AND, OR and ANDNOT need a term on each side"
    for a, b in zip(words, words[1:], strict=False):
        if a in _BOOL and b in _BOOL:
            return f"{a} {b}: two operators in a row"
    return None
