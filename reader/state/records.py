"""The records of the user's state: what is kept per paper, and how two
states merge (see ``docs/state.md``). Pure data: no files, no YAML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from reader.sanitize import clean_line
from reader.wording import counted

#: The format version written in the file (``version: 1``).
VERSION = 1
#: The time of a change whose time is unknown (hand-written shorthand).
EPOCH = "1970-01-01T00:00:00.000000Z"
#: A note keeps the times of at most this many versions it replaced.
MAX_REPLACED = 32
#: Longest paper id or tag accepted.
MAX_ID = 200
MAX_TAG = 100

_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_BAD_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: A lone surrogate (text decoded with surrogateescape): no UTF-8 file can hold it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# -- the data ------------------------------------------------------------------


@dataclass(frozen=True)
class PaperState:
    """What the UI and the search engine need to know about one paper."""

    starred: bool = False
    tags: frozenset[str] = frozenset()
    read: bool = False
    #: The note (Markdown); "" when there is none.
    note: str = ""
    #: Other versions of the note kept when two machines changed it (see merge).
    note_conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Stamp:
    """A timestamped boolean: star, read mark, or one tag (on/off)."""

    at: str
    value: bool


@dataclass(frozen=True, order=True)
class NoteVersion:
    at: str
    text: str


@dataclass(frozen=True)
class Note:
    """A note as a multi-value register: the shown version, the other live
    versions (conflict copies) and the times of versions it replaced."""

    current: NoteVersion
    #: Live versions written without knowing ``current``; sorted.
    others: tuple[NoteVersion, ...] = ()
    #: Times of versions known to be replaced; newest first, at most MAX_REPLACED.
    replaced: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.current.text

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Texts of the other versions worth showing (non-empty, distinct)."""
        seen = {self.current.text}
        out: list[str] = []
        for v in sorted(self.others, reverse=True):
            if v.text and v.text not in seen:
                seen.add(v.text)
                out.append(v.text)
        return tuple(out)


@dataclass(frozen=True)
class PaperRecord:
    """Everything stored for one paper; ``None`` means "never set"."""

    starred: Stamp | None = None
    read: Stamp | None = None
    #: tag -> on/off with its time (an "off" is a tombstone, kept so removals merge).
    tags: Mapping[str, Stamp] = field(default_factory=dict)
    note: Note | None = None

    def is_empty(self) -> bool:
        return self.starred is None and self.read is None and not self.tags and self.note is None

    def view(self) -> PaperState:
        note = self.note
        return PaperState(
            starred=bool(self.starred and self.starred.value),
            tags=frozenset(t for t, s in self.tags.items() if s.value),
            read=bool(self.read and self.read.value),
            note=note.text if note else "",
            note_conflicts=note.conflicts if note else (),
        )


@dataclass
class State:
    """A whole state: records keyed by paper id. Treat as immutable."""

    papers: dict[str, PaperRecord] = field(default_factory=dict)
    version: int = VERSION


@dataclass(frozen=True)
class MergeReport:
    """What :meth:`StateStore.merge_file` changed in this state."""

    papers_changed: int = 0
    papers_added: int = 0
    fields_changed: int = 0
    #: Notes that now carry a conflict copy they did not carry before.
    note_conflicts: int = 0
    #: Papers in the other file.
    papers_in_other: int = 0

    def __str__(self) -> str:
        if not self.papers_changed:
            return f"nothing to merge ({counted(self.papers_in_other, 'paper')} already up to date)"
        s = (
            f"{counted(self.papers_changed, 'paper')} changed ({self.papers_added:,} new), "
            f"{counted(self.fields_changed, 'field')}"
        )
        if self.note_conflicts:
            s += f", {counted(self.note_conflicts, 'note')} with a conflict copy"
        return s


# -- times ---------------------------------------------------------------------


def format_time(t: float) -> str:
    """A clock value as canonical UTC ISO-8601 with microseconds."""
    dt = datetime.fromtimestamp(t, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s: str) -> str:
    """Canonical form of an ISO-8601 time (naive = UTC); ValueError when not one."""
    s = s.strip()
    if _TIME_RE.match(s):
        return s
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def after(now: str, prev: str | None) -> str:
    """``now``, or just after ``prev``: a change always wins over what it replaces."""
    if prev is None or now > prev:
        return now
    try:
        dt = datetime.strptime(prev, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(microseconds=1)
    except OverflowError:  # prev is the last representable time: nothing is later
        return prev
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- ids and tags --------------------------------------------------------------


def normalise_tag(tag: str) -> str:
    """A tag as stored: one line, trimmed, inner white space as ``-`` ("" if unusable)."""
    t = "-".join(clean_line(without_surrogates(tag)).split())
    return t[:MAX_TAG]


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate made U+FFFD (a file can then hold it)."""
    return _SURROGATE.sub("\ufffd", text)


def check_id(pid: str) -> str:
    if not isinstance(pid, str) or not pid or len(pid) > MAX_ID or _BAD_ID.search(pid):
        raise ValueError(f"not a paper id: {pid!r}")
    return pid


# -- merging -------------------------------------------------------------------


def _max_stamp(a: Stamp | None, b: Stamp | None) -> Stamp | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def merge_notes(a: Note | None, b: Note | None) -> Note | None:
    """The later version wins; a version written without knowing the other is
    kept as a conflict copy. Commutative and idempotent."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    replaced = set(a.replaced) | set(b.replaced)
    versions = {a.current, *a.others, b.current, *b.others}
    live = {v for v in versions if v.at not in replaced} or versions
    current = max(live)
    others = tuple(sorted(v for v in live if v != current and v.text and v.text != current.text))
    kept = tuple(sorted(replaced, reverse=True)[:MAX_REPLACED])
    return Note(current, others, kept)


def merge_records(a: PaperRecord, b: PaperRecord) -> PaperRecord:
    if a == b:
        return a
    tags = dict(a.tags)
    for t, s in b.tags.items():
        tags[t] = max(tags[t], s) if t in tags else s
    return PaperRecord(
        starred=_max_stamp(a.starred, b.starred),
        read=_max_stamp(a.read, b.read),
        tags=dict(sorted(tags.items())),
        note=merge_notes(a.note, b.note),
    )


def merge_states(a: State, b: State) -> State:
    """Fold two states into one: per field the later change wins (ties broken
    by value), tags by time, notes keep the later text and a conflict copy.
    ``merge_states(a, b) == merge_states(b, a)`` and merging twice changes nothing."""
    papers = dict(a.papers)
    for pid, rec in b.papers.items():
        mine = papers.get(pid)
        papers[pid] = rec if mine is None else merge_records(mine, rec)
    return State(dict(sorted(papers.items())), max(a.version, b.version))


def count_fields(old: PaperRecord | None, new: PaperRecord) -> int:
    old = old or PaperRecord()
    n = (old.starred != new.starred) + (old.read != new.read) + (old.note != new.note)
    for t in set(old.tags) | set(new.tags):
        n += old.tags.get(t) != new.tags.get(t)
    return n
