"""The records of the user's state: what is kept per paper, and how two
states merge (see ``docs/state.md``). Pure data: no files, no YAML."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from reader.sanitize import clean_line
from reader.wording import counted, number

#: The newest format version read and written: 2 holds read marks in bulk
#: (``reader/state/bulk.py``). A file without them is written as version 1,
#: which older readers read.
VERSION = 2
#: The version of a file without read marks in bulk.
PLAIN_VERSION = 1
#: The time of a change whose time is unknown (hand-written shorthand).
EPOCH = "1970-01-01T00:00:00.000000Z"
#: A note keeps the times of at most this many versions it replaced; older
#: ones are summed up by :attr:`Note.replaced_through`.
MAX_REPLACED = 32
#: How far ahead of this machine's clock a merged change may be stamped: a
#: later one comes from a clock that is wrong and is left out of the merge.
FUTURE_SKEW = 600.0
#: The latest time a state can hold (the end of year 9999, UTC).
LAST_TIME = "9999-12-31T23:59:59.999999Z"
#: Longest paper id or tag accepted.
MAX_ID = 200
MAX_TAG = 100

_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_BAD_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: A lone surrogate (text decoded with surrogateescape): no UTF-8 file can hold it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# -- the data ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaperState:
    """What the UI and the search engine need to know about one paper."""

    starred: bool = False
    tags: frozenset[str] = frozenset()
    read: bool = False
    #: The note (Markdown); "" when there is none.
    note: str = ""
    #: Other versions of the note kept when two machines changed it (see merge).
    note_conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, order=True, slots=True)
class Stamp:
    """A timestamped boolean: star, read mark, or one tag (on/off)."""

    at: str
    value: bool


@dataclass(frozen=True, order=True, slots=True)
class NoteVersion:
    at: str
    text: str


@dataclass(frozen=True, slots=True)
class Note:
    """A note as a multi-value register: the shown version, the other live
    versions (conflict copies) and the history of versions it replaced.

    Build one with :func:`make_note`, which puts it in its one canonical
    form; merging (:func:`merge_notes`) is then a join: commutative,
    associative and idempotent, whatever the history holds."""

    current: NoteVersion
    #: The other versions kept (sorted): those written without knowing
    #: ``current``, and, only when every version was replaced, the newest one.
    others: tuple[NoteVersion, ...] = ()
    #: Times of versions known to be replaced; newest first, at most MAX_REPLACED.
    replaced: tuple[str, ...] = ()
    #: Every version at or before this time is replaced too: the history
    #: beyond MAX_REPLACED, summed up so that a note edited any number of
    #: times still replaces the version it started from. None: no such bound.
    replaced_through: str | None = None

    @property
    def text(self) -> str:
        return self.current.text

    def is_replaced(self, at: str) -> bool:
        """True when the version stamped ``at`` is known to be replaced."""
        floor = self.replaced_through
        return at in self.replaced or (floor is not None and at <= floor)

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Texts of the other live versions worth showing (non-empty, distinct)."""
        seen = {self.current.text}
        out: list[str] = []
        for v in sorted(self.others, reverse=True):
            if v.text and v.text not in seen and not self.is_replaced(v.at):
                seen.add(v.text)
                out.append(v.text)
        return tuple(out)

    def times(self) -> tuple[str, ...]:
        """Every time the note holds (versions, history)."""
        floor = () if self.replaced_through is None else (self.replaced_through,)
        return (self.current.at, *(v.at for v in self.others), *self.replaced, *floor)


def make_note(
    versions: Iterable[NoteVersion], replaced: Iterable[str], replaced_through: str | None = None
) -> Note:
    """The canonical note holding ``versions`` with that history.

    The history is closed: times at or before ``replaced_through`` are
    dropped from ``replaced``, and beyond :data:`MAX_REPLACED` times the
    bound moves up to the newest time dropped. A version is live unless the
    history replaces it; the shown one is the newest live version (the
    newest of all when every one was replaced, which only a hand edit or a
    broken clock can make; that newest version is then kept too, so that
    the result does not depend on the order of merges)."""
    pool = set(versions)
    if not pool:
        raise ValueError("a note needs at least one version")
    floor = replaced_through
    times = set(replaced) if floor is None else {t for t in replaced if t > floor}
    if len(times) > MAX_REPLACED:
        ordered = sorted(times, reverse=True)
        floor = ordered[MAX_REPLACED]
        times = set(ordered[:MAX_REPLACED])
    probe = Note(NoteVersion("", ""), (), tuple(times), floor)
    live = {v for v in pool if not probe.is_replaced(v.at)}
    top = max(pool)
    current = max(live) if live else top
    kept = live | {top}
    kept.discard(current)
    return Note(current, tuple(sorted(kept)), tuple(sorted(times, reverse=True)), floor)


def supersede(old: Note | None, text: str, now: str) -> Note:
    """The note after the user saved ``text`` at ``now``: it replaces the
    note and every copy it carried, on every machine it is merged into."""
    if old is None:
        return Note(NoteVersion(now, text))
    at = after(now, max(old.times()))
    # a history stamped after ``at`` came from a broken clock (see after()):
    # it must not make the new version look replaced
    gone = [t for t in (*(v.at for v in (old.current, *old.others)), *old.replaced) if t < at]
    floor = old.replaced_through
    return make_note([NoteVersion(at, text)], gone, floor if floor is None or floor < at else None)


@dataclass(frozen=True, slots=True)
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
    #: Changes in the other file stamped after :attr:`future_limit` (more than
    #: FUTURE_SKEW ahead of this clock): left out, not merged.
    left_out: int = 0
    future_limit: str = ""

    def __str__(self) -> str:
        if not self.papers_changed:
            s = f"nothing to merge ({counted(self.papers_in_other, 'paper')} already up to date)"
        else:
            s = (
                f"{counted(self.papers_changed, 'paper')} changed ({number(self.papers_added)} new), "
                f"{counted(self.fields_changed, 'field')}"
            )
            if self.note_conflicts:
                s += f", {counted(self.note_conflicts, 'note')} with a conflict copy"
        if self.left_out:
            s += (
                f"; {counted(self.left_out, 'change')} left out: stamped after "
                f"{self.future_limit}, more than {FUTURE_SKEW / 60:.0f} minutes ahead of this"
                " clock (is the other machine's clock wrong?); they merge once this clock"
                " reaches them"
            )
        return s


# -- times ---------------------------------------------------------------------


def _text_of(dt: datetime) -> str:
    """A UTC datetime in the canonical form, fixed width also before year 1000
    (``strftime("%Y")`` writes year 1 as ``1``, which would not sort as text)."""
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}.{dt.microsecond:06d}Z"
    )


def format_time(t: float) -> str:
    """A clock value as canonical UTC ISO-8601 with microseconds."""
    return _text_of(datetime.fromtimestamp(t, tz=timezone.utc))


def parse_time(s: str) -> str:
    """Canonical form of an ISO-8601 time (naive = UTC); ValueError when not
    one, or when it is not in the years 1-9999 once turned into UTC."""
    s = s.strip()
    if _TIME_RE.match(s):
        return s
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        utc = dt.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{s} is outside the years 1-9999 in UTC") from None
    return _text_of(utc)


def shift_time(t: float, seconds: float) -> str:
    """``format_time(t + seconds)``, held within the years 1-9999."""
    try:
        return format_time(t + seconds)
    except (OverflowError, OSError, ValueError):
        return LAST_TIME if seconds > 0 else EPOCH


def after(now: str, prev: str | None) -> str:
    """The time of a change made ``now`` to a value stamped ``prev``: ``now``,
    or just after ``prev`` when the clock stood still or went back a little,
    so that a change always wins over what it replaces. A ``prev`` further
    ahead than FUTURE_SKEW came from a broken clock: the change gets ``now``
    (it replaces that value here; merges leave such times out, see
    :func:`split_future`)."""
    if prev is None or now > prev:
        return now
    t = datetime.strptime(now, "%Y-%m-%dT%H:%M:%S.%fZ")
    p = datetime.strptime(prev, "%Y-%m-%dT%H:%M:%S.%fZ")
    if p - t > timedelta(seconds=FUTURE_SKEW):
        return now
    try:
        return _text_of(p + timedelta(microseconds=1))
    except OverflowError:  # only a clock at the very end of year 9999 gets here
        return now


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


def _max_time(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def merge_notes(a: Note | None, b: Note | None) -> Note | None:
    """The later version wins; a version written without knowing the other is
    kept as a conflict copy. A join (:func:`make_note` of the union of both
    notes' versions and histories): commutative, associative, idempotent."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return make_note(
        (a.current, *a.others, b.current, *b.others),
        (*a.replaced, *b.replaced),
        _max_time(a.replaced_through, b.replaced_through),
    )


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


def split_future(state: State, limit: str) -> tuple[State, int]:
    """``state`` without the changes stamped after ``limit`` (a note counts as
    one change, left out whole when any of its times is), and how many were
    left out. Used on the way in: a merge never takes a time from a clock
    that runs ahead, so no such time can freeze a field."""
    papers: dict[str, PaperRecord] = {}
    left = 0
    for pid, rec in state.papers.items():
        starred = rec.starred if rec.starred is None or rec.starred.at <= limit else None
        read = rec.read if rec.read is None or rec.read.at <= limit else None
        tags = {t: s for t, s in rec.tags.items() if s.at <= limit}
        note = rec.note if rec.note is None or max(rec.note.times()) <= limit else None
        n = (starred is not rec.starred) + (read is not rec.read) + (note is not rec.note)
        n += len(rec.tags) - len(tags)
        if not n:
            papers[pid] = rec
            continue
        left += n
        kept = PaperRecord(starred, read, tags, note)
        if not kept.is_empty():
            papers[pid] = kept
    return State(papers, state.version), left


def count_fields(old: PaperRecord | None, new: PaperRecord) -> int:
    old = old or PaperRecord()
    n = (old.starred != new.starred) + (old.read != new.read) + (old.note != new.note)
    for t in set(old.tags) | set(new.tags):
        n += old.tags.get(t) != new.tags.get(t)
    return n
