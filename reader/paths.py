"""Where the reader's files live (XDG; ``XDG_*_HOME`` honoured).

| what | where |
|---|---|
| config | ``$XDG_CONFIG_HOME/digest-reader/config.yaml`` |
| user state | ``$XDG_DATA_HOME/digest-reader/state.yaml`` (+ ``state.yaml.bak``) |
| added digests | ``$XDG_DATA_HOME/digest-reader/digests/`` |
| index, caches | ``$XDG_CACHE_HOME/digest-reader/`` (deletable at any time) |

Nothing is computed at import time: tests move everything by setting the
variables (or by passing explicit folders to :class:`Paths`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "digest-reader"


class PathError(ValueError):
    """A path the user wrote that names no place: the message says why."""


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var, "")
    if value and os.path.isabs(value):
        return Path(value)
    try:
        return Path.home() / default
    except RuntimeError:  # no HOME and no passwd entry (a container's bare uid)
        raise PathError(
            f"cannot find the home folder (HOME is not set and user {os.getuid()} has no"
            f" passwd entry): set HOME, or {var}"
        ) from None


@dataclass(frozen=True)
class Paths:
    """The reader's folders. Build with :meth:`from_env`."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def from_env(cls) -> Paths:
        return cls(
            config_dir=_xdg("XDG_CONFIG_HOME", ".config") / APP,
            data_dir=_xdg("XDG_DATA_HOME", ".local/share") / APP,
            cache_dir=_xdg("XDG_CACHE_HOME", ".cache") / APP,
        )

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.yaml"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.yaml"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "digests"

    @property
    def sources_file(self) -> Path:
        """Paths opened in the app, remembered so they stay searchable."""
        return self.data_dir / "sources.yaml"

    @property
    def ui_file(self) -> Path:
        """Small UI preferences the app remembers (theme, last session time)."""
        return self.data_dir / "ui.yaml"

    @property
    def index_dir(self) -> Path:
        return self.cache_dir / "index"

    @property
    def library_cache(self) -> Path:
        return self.cache_dir / "library"


def user_path(text: str | os.PathLike[str]) -> Path:
    """``text`` with a leading ``~`` or ``~user`` expanded. :class:`PathError`
    (not the RuntimeError of :meth:`Path.expanduser`) when the home folder
    cannot be found: ``~nouser/papers`` names a user this machine does not
    have."""
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:
        first = path.parts[0] if path.parts else str(text)
        who = f"no user {first[1:]!r} on this machine" if first != "~" else "no home folder"
        raise PathError(f"{text}: {first} cannot be expanded ({who})") from None


def resource_dir(name: str) -> Path:
    """A folder shipped with the reader (``styles``, ``sample_digests``): inside the
    installed package first (wheel installs put them in ``reader/_data``), then
    the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    return here.parent / name
