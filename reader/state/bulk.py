"""Read marks in bulk (format version 2, see ``docs/state.md``): the papers
whose only state is a read mark are written as one list per mark, not one
entry each, so that ``R`` over a day of 8,740 papers adds one line of ids
(wrapped), not 8,740 entries::

    read:
      'true 2026-11-26T10:00:00.123456Z': '2401.10000 2401.10001 2401.10002
        2401.10003'

The value is one single-quoted YAML scalar (any YAML reader folds its line
breaks into spaces); ids are written there only when made of characters
that need no escape in it. Records are the same in memory either way: this
is only how the file holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from reader.state.records import PaperRecord, Stamp

#: A mark as the key of its list: its value, then its time.
Mark = tuple[str, bool]  # (time, value): sorts by time

#: An id that can stand in a list (no quote, no space, nothing YAML escapes).
_LISTED = re.compile(r"[A-Za-z0-9._/+:#=@!$%&*()\[\]{},;?<>|^~`-]{1,200}")
_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
#: One list, as written here: the key line, then continuation lines.
_LIST = re.compile(
    rf"  '(true|false) ({_TIME})': '([A-Za-z0-9._/+:#=@!$%&*()\[\]{{}},;?<>|^~`\- ]*"
    rf"(?:\n    [A-Za-z0-9._/+:#=@!$%&*()\[\]{{}},;?<>|^~`\- ]+)*)'\n"
)
#: Columns of a list's lines (ids are never cut).
WIDTH = 100


def mark_of(pid: str, rec: PaperRecord) -> Mark | None:
    """The mark under which ``pid`` is listed, or None when it is written
    as an entry (it holds more than a read mark, or its id needs quoting)."""
    read = rec.read
    if (
        read is None
        or rec.starred is not None
        or rec.tags
        or rec.note is not None
        or not _LISTED.fullmatch(pid)
    ):
        return None
    return (read.at, read.value)


def record_of(mark: Mark) -> PaperRecord:
    return PaperRecord(read=Stamp(mark[0], mark[1]))


def encode_list(mark: Mark, ids: Iterable[str]) -> str:
    """The lines of one list (ids in the order given, sorted by the caller)."""
    lines: list[str] = []
    line = f"  '{'true' if mark[1] else 'false'} {mark[0]}': '"
    first = True
    for pid in ids:
        if first:
            line += pid
            first = False
        elif len(line) + 1 + len(pid) > WIDTH:
            lines.append(line + "\n")
            line = "    " + pid
        else:
            line += " " + pid
    lines.append(line + "'\n")
    return "".join(lines)


def encode_section(lists: Mapping[Mark, Iterable[str]]) -> str:
    """The section's lines (without ``read:``), the lists in time order."""
    return "".join(encode_list(mark, lists[mark]) for mark in sorted(lists))


def read_section(text: str) -> dict[Mark, list[str]] | None:
    """The lists of a section written by :func:`encode_section` (without its
    ``read:`` line), or None when it is not laid out so (the full reader decides)."""
    got = section_spans(text)
    return None if got is None else {mark: ids for mark, (ids, _, _) in got.items()}


def section_spans(text: str) -> dict[Mark, tuple[list[str], int, int]] | None:
    """Each list of the section in ``text``: its ids and where its text
    starts and ends; None when it is not laid out as written here."""
    out: dict[Mark, tuple[list[str], int, int]] = {}
    pos = 0
    for m in _LIST.finditer(text):
        if m.start() != pos:
            return None
        pos = m.end()
        mark = (m[2], m[1] == "true")
        ids = m[3].split()
        if mark in out or not ids:
            return None
        out[mark] = (ids, m.start(), m.end())
    return out if pos == len(text) else None
