"""The names completed from the user's config, at Tab time.

``digest-reader __complete saved-searches [PREFIX]`` (:mod:`reader.entry`) prints the names under
``saved_searches:``; ``digest-reader __complete fetch-sources [PREFIX]`` the
names under ``fetch: sources:`` (``hf``, the embedded default, when the config
has no sources). One name a line, those starting with PREFIX, in the config's
order. The completion scripts run this on a Tab after ``--saved`` or ``fetch``.

It runs on every such Tab, so it reads the config file's raw mapping with the
reader's safe YAML loader and nothing more: no CLI parser, no library, no
Textual or Whoosh, and not :func:`reader.config.load_config` (which parses
every saved query). A config that cannot be read completes no saved searches
and the default source: completion never prints an error into the shell.
"""

from __future__ import annotations

from typing import Any

from reader.completion import DYNAMIC, FETCH_SOURCES, SAVED_SEARCHES
from reader.paths import Paths

#: The one source when the config names none (``fetch:`` documents it).
DEFAULT_SOURCES = ("hf",)


def _config() -> dict[Any, Any]:
    from reader.safeload import LoadError, load_yaml

    try:
        text = Paths.from_env().config_file.read_text(encoding="utf-8")
        data = load_yaml(text).data
    except (OSError, UnicodeDecodeError, LoadError):
        return {}
    return data if isinstance(data, dict) else {}


def _keys(mapping: object) -> list[str]:
    if not isinstance(mapping, dict):
        return []
    # a name a shell cannot show on one line is left out
    return [str(k) for k in mapping if str(k).strip() and str(k).isprintable()]


def names(kind: str, prefix: str = "") -> list[str]:
    """The names of ``kind`` (one of :data:`~reader.completion.DYNAMIC`) that
    start with ``prefix``."""
    return [n for n in _names(kind) if n.startswith(prefix)]


def _names(kind: str) -> list[str]:
    config = _config()
    if kind == SAVED_SEARCHES:
        return _keys(config.get("saved_searches"))
    if kind == FETCH_SOURCES:
        fetch = config.get("fetch")
        sources = _keys(fetch.get("sources")) if isinstance(fetch, dict) else []
        return sources or list(DEFAULT_SOURCES)
    raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(DYNAMIC)})")
