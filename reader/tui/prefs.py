"""Small UI preferences remembered between sessions (``Paths.ui_file``): the
chosen theme and the time of the last session (for the catch-up view).

Not precious: a missing or damaged file means defaults, and a write that fails
is ignored (the user's stars and tags live in the state file, not here).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from reader.fileio import atomic_write_text, read_regular
from reader.safeload import LoadError, load_yaml
from reader.yamlwrite import dump_yaml

#: Larger than any preferences file we write; a larger one is ignored.
MAX_PREFS_BYTES = 64 * 1024
#: 9999-12-31T00:00:00Z: the last day a date can show.
LATEST_SESSION = 253402214400.0


@dataclass
class UiPrefs:
    theme: str | None = None
    #: Unix time the previous session started (None on the first run).
    last_session: float | None = None

    @classmethod
    def load(cls, path: Path) -> UiPrefs:
        try:
            # never waits on a FIFO put in the file's place
            raw = read_regular(path, MAX_PREFS_BYTES)
            if len(raw) > MAX_PREFS_BYTES:
                return cls()
            data = load_yaml(raw.decode("utf-8")).data
        except (OSError, UnicodeDecodeError, LoadError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        prefs = cls()
        theme = data.get("theme")
        if isinstance(theme, str) and theme.strip():
            prefs.theme = theme.strip()
        stored = data.get("last_session")
        with contextlib.suppress(ValueError):
            when = float(stored) if isinstance(stored, (str, int, float)) else -1.0
            # a time a date can hold (inf, nan or 1e300 overflowed the catch-up view)
            if 0 <= when <= LATEST_SESSION:
                prefs.last_session = when
        return prefs

    def save(self, path: Path) -> None:
        data: dict[str, object] = {}
        if self.theme:
            data["theme"] = self.theme
        if self.last_session is not None:
            data["last_session"] = repr(float(self.last_session))
        with contextlib.suppress(OSError, ValueError):
            atomic_write_text(path, dump_yaml(data, check=True))
