"""The user's configuration (``config.yaml``), read safely and checked.

Example::

    library:            # more folders of digests, read with the library folder
      - ~/papers/digests
    theme: digest-dark
    read_after_seconds: 3   # 0 turns automatic read marks off
    max_file_mb: 40
    saved_searches:
      diffusion: "diffusion -is:read"
      starred-rl: "is:starred tag:rl"
    keymap:             # binding id -> keys (comma separated)
      star: "s,f"
    opener: "firefox --new-tab %s"   # opens links (%s: the URL); else $BROWSER, xdg-open

A file that cannot be read or is not YAML is a :class:`ConfigError` (never
silently replaced). A setting that is wrong (an unknown key, a bad value, an
unknown keymap id, a saved search that does not parse, a key taken from
another action) is ignored and reported in :attr:`Config.warnings`, one line
each naming the key: the CLI writes them to stderr, the app shows them as
notifications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.fetch.sources import FetchConfig, FetchConfigError, parse_fetch
from reader.fileio import read_regular
from reader.paths import PathError, user_path
from reader.safeload import LoadError, load_yaml

#: The settings a config may hold. A part of the reader that adds a section
#: adds its key here (and reads it in :func:`load_config`).
KNOWN_KEYS: set[str] = {
    "library",
    "theme",
    "read_after_seconds",
    "max_file_mb",
    "saved_searches",
    "keymap",
    "opener",
    "fetch",
}


#: A larger config file is refused (a hand-written one is a few KB).
MAX_CONFIG_BYTES = 1024 * 1024
#: The largest ``max_file_mb``: a file is read whole into memory, so a larger
#: cap would only trade a clear refusal for running out of memory (and a cap
#: past what an index can hold overflows the read itself: ``1e300``).
MAX_FILE_MB = 4096.0
#: The longest ``read_after_seconds`` (a day); longer is "never": use 0.
MAX_READ_AFTER_SECONDS = 86400.0


class ConfigError(Exception):
    """The config file could not be read; the message names the file."""


@dataclass
class Config:
    library: list[Path] = field(default_factory=list)
    """Folders (or files) of digests read with the library folder, every start."""
    theme: str | None = None
    read_after_seconds: float = 3.0
    max_file_mb: float = 40.0
    saved_searches: dict[str, str] = field(default_factory=dict)
    refused_searches: dict[str, str] = field(default_factory=dict)
    """Saved searches that do not parse: name -> the parse error (so a command
    naming one says it exists but does not parse)."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys in Textual's names, checked (see :mod:`reader.keymap`)."""
    opener: str | None = None
    """The command that opens a link (``%s``: the URL), run without a shell."""
    fetch: FetchConfig = field(default_factory=FetchConfig)
    """The ``fetch:`` section (docs/fetch.md); the embedded default when absent or bad."""
    fetch_error: str | None = None
    """Why the ``fetch:`` section was refused: ``fetch`` stops with it (exit 2);
    everything else reads on, with it among the warnings."""
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    """What was wrong but not fatal, one line each naming the key (the bad
    value is ignored): for stderr in the CLI, notifications in the app."""

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def load_config(path: Path) -> Config:
    """Read ``path``; a missing file is the default config. Raises
    :class:`ConfigError` only when the file cannot be read as YAML at all."""
    cfg = Config(path=path)
    try:
        # opened without blocking and checked after opening: a FIFO is refused
        raw = read_regular(path, MAX_CONFIG_BYTES)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: cannot read the config: over {MAX_CONFIG_BYTES // 2**20} MB"
            )
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        return cfg
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"{path}: cannot read the config: {why}") from None
    try:
        data = load_yaml(text).data
    except LoadError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise ConfigError(f"{where}: {exc.message}") from None
    if data is None:
        return cfg
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    _Reader(cfg, path).read(data)
    return cfg


class _Reader:
    """Reads each setting into ``cfg``, a warning for each that is wrong."""

    def __init__(self, cfg: Config, path: Path) -> None:
        self.cfg = cfg
        self.path = path

    def warn(self, key: str, message: str) -> None:
        self.cfg.warnings.append(f"{self.path}: {key}: {message}")

    def read(self, data: dict[Any, Any]) -> None:
        for key in data:
            if str(key) not in KNOWN_KEYS:
                import difflib

                close = difflib.get_close_matches(str(key), sorted(KNOWN_KEYS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.warn(str(key), f"unknown setting{hint}; ignored")
        self.library(data.get("library"))
        if data.get("theme") is not None:
            self.cfg.theme = str(data["theme"])
        self.number(data, "read_after_seconds", 0.0, MAX_READ_AFTER_SECONDS, zero_ok=True)
        self.number(data, "max_file_mb", 0.0, MAX_FILE_MB, zero_ok=False)
        self.saved_searches(self.mapping(data, "saved_searches"))
        self.keymap(self.mapping(data, "keymap"))
        self.opener(data.get("opener"))
        self.fetch(data.get("fetch"))

    def fetch(self, value: object) -> None:
        try:
            self.cfg.fetch = parse_fetch(value)  # see docs/fetch.md
        except FetchConfigError as exc:
            self.cfg.fetch_error = f"{self.path}: {exc}"
            self.cfg.warnings.append(self.cfg.fetch_error)

    def library(self, value: object) -> None:
        if value is None:
            return
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            self.warn("library", "must be a list of folders; ignored")
            return
        folders: list[Path] = []
        for p in value:
            if not p.strip():
                continue
            try:
                folders.append(user_path(p))
            except PathError as exc:
                self.warn("library", f"{exc}; ignored")
        self.cfg.library = folders

    def number(
        self, data: dict[Any, Any], key: str, minimum: float, maximum: float, zero_ok: bool
    ) -> None:
        if key not in data:
            return
        value = data[key]
        default = getattr(self.cfg, key)
        try:
            n = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            n = math.nan
        if not math.isfinite(n) or not minimum <= n <= maximum or (n == minimum and not zero_ok):
            need = f"from 0 to {maximum:g}" if zero_ok else f"more than 0, at most {maximum:g}"
            self.warn(key, f"must be a number {need}, not {value}; using {default:g}")
            return
        setattr(self.cfg, key, n)

    def mapping(self, data: dict[Any, Any], key: str) -> dict[str, str]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn(key, "must be a mapping of names to text; ignored")
            return {}
        return {str(k): "" if v is None else str(v) for k, v in value.items()}

    def saved_searches(self, searches: dict[str, str]) -> None:
        if not searches:
            return  # (the query parser is not imported for every command)
        from reader.search.query import QueryError, parse_query

        for name, query in searches.items():
            try:
                parse_query(query)
            except QueryError as exc:
                self.warn(f"saved_searches.{name}", f"invalid query {query!r}: {exc}; ignored")
                self.cfg.refused_searches[name] = f"invalid query {query!r}: {exc}"
                continue
            self.cfg.saved_searches[name] = query

    def keymap(self, keymap: dict[str, str]) -> None:
        if not keymap:
            return
        from reader.keymap import check_keymap

        self.cfg.keymap, warnings = check_keymap(keymap)
        self.cfg.warnings += [f"{self.path}: {w}" for w in warnings]

    def opener(self, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.strip():
            self.warn("opener", f'must be a command like "firefox %s", not {value!r}; ignored')
            return
        self.cfg.opener = value
