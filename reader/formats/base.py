"""The one interface every digest format implements.

A format is a :class:`Format`: a name, ``detect(source) -> int`` (0 means "not
mine", higher means more confident; decided by content, the file name only
breaks ties) and ``load(source) -> Digest``. ``load`` never raises on bad
content: it records :class:`~reader.model.Problem` s on the digest and keeps
every record it can read. Formats know nothing of state or of the index.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from reader.model import Digest
from reader.safeload import LoadError, Parsed

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


@dataclass
class Source:
    """The bytes of one digest file and the name to show for it.

    ``name`` is the path as given, or ``archive.tar.gz!inner/path`` for a member
    of an archive.
    """

    name: str
    data: bytes
    #: The file's (or archive member's) modification time, when known: the
    #: year of a date written without one ("Aug 21") is taken from it.
    mtime: float | None = None
    #: Problems met before parsing (invalid UTF-8 replaced, ...); formats copy
    #: them onto their digest with :meth:`new_digest`.
    notes: list[str] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        data = self.data
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.notes.append(f"line {line}: invalid UTF-8 replaced with \ufffd")
            return data.decode("utf-8", errors="replace")

    @cached_property
    def head(self) -> str:
        """The first 8 KiB as text, for ``detect``."""
        return self.data[:8192].decode("utf-8", errors="replace").lstrip("\ufeff")

    @property
    def filename(self) -> str:
        return PurePosixPath(self.name.split("!")[-1]).name

    @property
    def suffix(self) -> str:
        name = self.filename.lower()
        if name.endswith(".gz"):
            name = name[:-3]
        return PurePosixPath(name).suffix

    def date_from_name(self) -> str:
        """``YYYY-MM-DD`` found in the file name, or ""."""
        m = _DATE_IN_NAME.search(self.filename)
        if not m:
            return ""
        y, mo, d = m.groups()
        try:
            day = datetime.date(int(y), int(mo), int(d))
        except ValueError:  # 2025-02-31 is a number, not a day
            return ""
        return day.isoformat() if 1990 <= day.year <= 2100 else ""

    def new_digest(self, fmt: str) -> Digest:
        """An empty digest for this source carrying its pre-parse notes.
        Touches ``text`` first so decoding notes are known."""
        _ = self.text
        digest = Digest(path=self.name, format=fmt)
        for note in self.notes:
            digest.problem(note, severity="warning")
        return digest


@dataclass(frozen=True)
class Format:
    """A digest format: see the module docs."""

    name: str
    description: str
    detect: Callable[[Source], int]
    load: Callable[[Source], Digest]


def parse_into(digest: Digest, parse: Callable[[str], Parsed], text: str) -> Parsed | None:
    """Run a safe parser (``load_yaml``/``load_json``) on ``text``: a parse error
    becomes the digest's problem (None is returned), warnings such as
    duplicate keys are recorded with their lines."""
    try:
        parsed = parse(text)
    except LoadError as exc:
        digest.problem(exc.message, line=exc.line)
        return None
    for line, msg in parsed.warnings:
        digest.problem(msg, line=line, severity="warning")
    return parsed
