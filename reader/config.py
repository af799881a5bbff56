"""The user's configuration (``config.yaml``), read safely; a bad file is a
clear :class:`ConfigError`, never silently replaced.

Example::

    library:            # extra folders of digests
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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reader.safeload import LoadError, load_yaml


class ConfigError(Exception):
    """The config file could not be read; the message names the file."""


@dataclass
class Config:
    library: list[Path] = field(default_factory=list)
    theme: str | None = None
    read_after_seconds: float = 3.0
    max_file_mb: float = 40.0
    saved_searches: dict[str, str] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    #: The command that opens a link (``%s``: the URL), run without a shell.
    opener: str | None = None
    path: Path | None = None

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def load_config(path: Path) -> Config:
    """Read ``path``; a missing file is the default config."""
    cfg = Config(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return cfg
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc}") from None
    try:
        data = load_yaml(text).data
    except LoadError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise ConfigError(f"{where}: {exc.message}") from None
    if data is None:
        return cfg
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of settings")
    lib = data.get("library") or []
    if isinstance(lib, str):
        lib = [lib]
    if not isinstance(lib, list):
        raise ConfigError(f"{path}: 'library' must be a list of folders")
    cfg.library = [Path(str(p)).expanduser() for p in lib]
    if data.get("theme"):
        cfg.theme = str(data["theme"])
    if data.get("opener"):
        if not isinstance(data["opener"], str):
            raise ConfigError(f"{path}: 'opener' must be a command, like \"firefox %s\"")
        cfg.opener = data["opener"]
    for key in ("read_after_seconds", "max_file_mb"):
        if key in data:
            try:
                setattr(cfg, key, float(data[key]))
            except (TypeError, ValueError):
                raise ConfigError(f"{path}: '{key}' must be a number") from None
    for key in ("saved_searches", "keymap"):
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: '{key}' must be a mapping")
        setattr(cfg, key, {str(k): str(v) for k, v in value.items()})
    return cfg
