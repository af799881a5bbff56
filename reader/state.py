"""The user's own state: stars, tags, read marks and notes, keyed by paper id.

This is the only precious data the reader holds, so (see ``docs/state.md``):

* the file is human-readable YAML (``state.yaml``) with a version number; every
  change carries its UTC time, so two machines' files merge without losing a
  change (:func:`merge_states`, :meth:`StateStore.merge_file`);
* every change is one read-modify-write under ``flock`` on ``state.yaml.lock``
  that re-reads the file first, so the app and the CLI (or two apps) never lose
  each other's changes;
* a write goes to a temporary file in the same folder, is flushed and fsynced,
  replaces the old file with :func:`os.replace`, and the folder is fsynced; the
  last good file is kept as ``state.yaml.bak``;
* a file that cannot be read is never overwritten: the store opens read-only
  and :attr:`StateStore.problem` says what happened and where the backup is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from reader.safeload import LoadError, load_yaml
from reader.sanitize import clean_line

#: The format version written in the file (``version: 1``).
VERSION = 1
#: The time of a change whose time is unknown (hand-written shorthand).
EPOCH = "1970-01-01T00:00:00.000000Z"
#: A note keeps the times of at most this many versions it replaced.
MAX_REPLACED = 32
#: The backup is refreshed at the first save of a session, then at most this often.
BACKUP_EVERY = 600.0
#: How long a change waits for another process holding the lock.
LOCK_TIMEOUT = 10.0
#: Longest paper id or tag accepted.
MAX_ID = 200
MAX_TAG = 100

_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_BAD_ID = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_TMP_PREFIX = ".tmp-"


class StateError(Exception):
    """A change could not be saved, or the state cannot be changed (read-only).

    The message names the state file and its backup and says what to do."""


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
            return f"nothing to merge ({self.papers_in_other} papers already up to date)"
        s = (
            f"{self.papers_changed} papers changed ({self.papers_added} new), "
            f"{self.fields_changed} fields"
        )
        if self.note_conflicts:
            s += f", {self.note_conflicts} notes with a conflict copy"
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


def _after(now: str, prev: str | None) -> str:
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
    t = "-".join(clean_line(tag).split())
    return t[:MAX_TAG]


def _check_id(pid: str) -> str:
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


def _count_fields(old: PaperRecord | None, new: PaperRecord) -> int:
    old = old or PaperRecord()
    n = (old.starred != new.starred) + (old.read != new.read) + (old.note != new.note)
    for t in set(old.tags) | set(new.tags):
        n += old.tags.get(t) != new.tags.get(t)
    return n


# -- the file format -----------------------------------------------------------


class _Block(str):
    """A multi-line note, written as a ``|`` block when YAML allows it."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _represent_block(dumper: yaml.SafeDumper, s: _Block) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(s), style="|")


_Dumper.add_representer(_Block, _represent_block)


def _text(s: str) -> str:
    return _Block(s) if "\n" in s else s


def _stamp_out(s: Stamp, yes: str, no: str) -> str:
    return f"{yes if s.value else no} {s.at}"


def record_to_yaml(rec: PaperRecord) -> dict[str, Any]:
    """The plain YAML mapping written for one paper (see docs/state.md)."""
    d: dict[str, Any] = {}
    if rec.starred is not None:
        d["starred"] = _stamp_out(rec.starred, "true", "false")
    if rec.read is not None:
        d["read"] = _stamp_out(rec.read, "true", "false")
    if rec.tags:
        d["tags"] = {t: _stamp_out(s, "on", "off") for t, s in sorted(rec.tags.items())}
    if rec.note is not None:
        n = rec.note
        nd: dict[str, Any] = {"at": n.current.at, "text": _text(n.current.text)}
        if n.others:
            nd["conflicts"] = [{"at": v.at, "text": _text(v.text)} for v in n.others]
        if n.replaced:
            nd["replaced"] = list(n.replaced)
        d["note"] = nd
    return d


def _dump(data: Any) -> str:
    return str(
        yaml.dump(
            data,
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=100,
        )
    )


def _dump_papers(papers: Mapping[str, PaperRecord]) -> dict[str, str]:
    """pid -> the YAML lines of that paper at top level (one dump for all)."""
    if not papers:
        return {}
    text = _dump({pid: record_to_yaml(rec) for pid, rec in papers.items()})
    chunks: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line[:1] not in ("", " ", "\n", ":") or not chunks:
            chunks.append([])
        chunks[-1].append(line)
    if len(chunks) != len(papers):  # an unusual key layout: dump one by one
        return {pid: _dump({pid: record_to_yaml(rec)}) for pid, rec in papers.items()}
    return {pid: "".join(c) for pid, c in zip(papers, chunks, strict=True)}


def _indent(chunk: str) -> str:
    return "".join(line if line == "\n" else "  " + line for line in chunk.splitlines(True))


def _header(clock_value: float) -> str:
    return (
        "# digest-reader state: your stars, tags, read marks and notes (docs/state.md).\n"
        f"# Saved {format_time(clock_value)} by pid {os.getpid()} ({secrets.token_hex(4)}).\n"
        "# Times are UTC. Edit with care: a file that cannot be read is never overwritten.\n"
    )


class _Bad(Exception):
    """A state document that does not follow the format (message says where)."""


def _bool(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _Bad(f"{where}: expected true/false (on/off), found {value!r}")


_seen_times: dict[str, str] = {}  # raw -> canonical; bulk changes share one time


def _time(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{where}: expected a time, found {type(value).__name__}")
    known = _seen_times.get(value)
    if known is not None:
        return known
    try:
        canonical = parse_time(value)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 9999
        raise _Bad(f"{where}: not a time: {value!r}") from None
    if len(_seen_times) > 50_000:
        _seen_times.clear()
    _seen_times[value] = canonical
    return canonical


def _parse_stamp(value: Any, where: str, key: str) -> Stamp:
    """``true 2026-...Z``, bare ``true`` (time unknown) or ``{value|on: ..., at: ...}``."""
    if isinstance(value, str):
        head, _, rest = value.strip().partition(" ")
        return Stamp(_time(rest, where) if rest.strip() else EPOCH, _bool(head, where))
    if isinstance(value, dict):
        unknown = set(value) - {key, "value", "at"}
        if unknown:
            raise _Bad(f"{where}: unknown field {sorted(unknown)[0]!r}")
        raw = value.get(key, value.get("value"))
        if not isinstance(raw, str):
            raise _Bad(f"{where}: missing '{key}'")
        at = _time(value["at"], where) if "at" in value else EPOCH
        return Stamp(at, _bool(raw, where))
    raise _Bad(f"{where}: expected 'true <time>', found a {type(value).__name__}")


def _parse_version(value: Any, where: str) -> NoteVersion:
    if isinstance(value, str):
        return NoteVersion(EPOCH, value)
    if not isinstance(value, dict):
        raise _Bad(f"{where}: expected a note mapping (at, text)")
    unknown = set(value) - {"at", "text", "conflicts", "replaced"}
    if unknown:
        raise _Bad(f"{where}: unknown field {sorted(unknown)[0]!r}")
    text = value.get("text", "")
    if not isinstance(text, str):
        raise _Bad(f"{where}: the note text must be text")
    at = _time(value["at"], where) if "at" in value else EPOCH
    return NoteVersion(at, text)


def _parse_note(value: Any, where: str) -> Note:
    current = _parse_version(value, where)
    if not isinstance(value, dict):
        return Note(current)
    raw_conf = value.get("conflicts") or []
    raw_repl = value.get("replaced") or []
    if not isinstance(raw_conf, list) or not isinstance(raw_repl, list):
        raise _Bad(f"{where}: 'conflicts' and 'replaced' must be lists")
    others = [_parse_version(v, f"{where}: conflicts") for v in raw_conf]
    for v in raw_conf:
        if isinstance(v, dict) and ({"conflicts", "replaced"} & set(v)):
            raise _Bad(f"{where}: conflicts: unknown field")
    replaced = [_time(t, f"{where}: replaced") for t in raw_repl]
    clean = tuple(sorted({v for v in others if v != current and v.text}))
    return Note(current, clean, tuple(sorted(set(replaced), reverse=True)[:MAX_REPLACED]))


def _parse_record(pid: str, value: Any) -> PaperRecord:
    where = f"paper {pid}"
    if value is None or value == "":
        return PaperRecord()
    if not isinstance(value, dict):
        raise _Bad(f"{where}: expected a mapping of fields")
    unknown = set(value) - {"starred", "read", "tags", "note"}
    if unknown:
        raise _Bad(f"{where}: unknown field {sorted(unknown)[0]!r}")
    starred = read = None
    if value.get("starred") not in (None, ""):
        starred = _parse_stamp(value["starred"], f"{where}: starred", "value")
    if value.get("read") not in (None, ""):
        read = _parse_stamp(value["read"], f"{where}: read", "value")
    tags: dict[str, Stamp] = {}
    raw_tags = value.get("tags") or {}
    if isinstance(raw_tags, list):  # shorthand: a plain list of tags, all on
        for t in raw_tags:
            if not isinstance(t, str) or not normalise_tag(t):
                raise _Bad(f"{where}: tags: not a tag: {t!r}")
            tags[normalise_tag(t)] = Stamp(EPOCH, True)
    elif isinstance(raw_tags, dict):
        for t, s in raw_tags.items():
            name = normalise_tag(t)
            if not name:
                raise _Bad(f"{where}: tags: not a tag: {t!r}")
            stamp = _parse_stamp(s, f"{where}: tag {t}", "on")
            tags[name] = max(tags[name], stamp) if name in tags else stamp
    else:
        raise _Bad(f"{where}: tags must be a mapping (tag: on <time>)")
    note = None
    if value.get("note") not in (None, ""):
        note = _parse_note(value["note"], f"{where}: note")
    return PaperRecord(starred, read, dict(sorted(tags.items())), note)


def parse_state(text: str) -> State:
    """Parse the text of a state file; :class:`ValueError` says what is wrong and where."""
    try:
        parsed = load_yaml(text)
    except LoadError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ValueError(f"{where}{exc.message}") from None
    if parsed.warnings:
        line, msg = parsed.warnings[0]
        raise ValueError(f"line {line}: {msg}" if line else msg)
    data = parsed.data
    if data is None:
        return State()
    if not isinstance(data, dict):
        raise ValueError("not a digest-reader state file (expected 'version' and 'papers')")
    unknown = set(data) - {"version", "papers"}
    if unknown:
        raise ValueError(f"unknown top-level field {sorted(unknown)[0]!r}")
    raw_version = data.get("version", "1")
    try:
        version = int(str(raw_version))
    except ValueError:
        raise ValueError(f"version {raw_version!r} is not a number") from None
    if version > VERSION:
        raise ValueError(
            f"written by a newer digest-reader (format version {version}; "
            f"this one reads version {VERSION}): upgrade to use it"
        )
    raw = data.get("papers") or {}
    if not isinstance(raw, dict):
        raise ValueError("'papers' must be a mapping of paper ids")
    papers: dict[str, PaperRecord] = {}
    try:
        for pid, value in raw.items():
            try:
                _check_id(pid)
            except ValueError:
                raise _Bad(f"not a paper id: {pid!r}") from None
            rec = _parse_record(pid, value)
            if not rec.is_empty():
                papers[pid] = rec
    except _Bad as exc:
        raise ValueError(str(exc)) from None
    return State(papers, VERSION)


def dump_state(state: State, clock_value: float | None = None) -> str:
    """The text of a state file (papers sorted by id)."""
    papers = {pid: state.papers[pid] for pid in sorted(state.papers)}
    chunks = _dump_papers(papers)
    return _assemble(chunks, papers, time.time() if clock_value is None else clock_value)


def _assemble(chunks: Mapping[str, str], order: Iterable[str], clock_value: float) -> str:
    parts = [_header(clock_value), f"version: {VERSION}\n"]
    body = [_indent(chunks[pid]) for pid in order]
    parts.append("papers:\n" if body else "papers: {}\n")
    parts.extend(body)
    return "".join(parts)


# -- the store -----------------------------------------------------------------


_ERRNO_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "an input/output error",
}


def _why(exc: OSError) -> str:
    words = _ERRNO_WORDS.get(exc.errno or 0) or exc.strerror or str(exc)
    name = errno.errorcode.get(exc.errno or 0)
    return f"{words} ({name})" if name else words


class StateStore:
    """The state file of one user, shared safely by every process that opens it.

    Call :meth:`load` first (mutators load lazily otherwise). Reads are served
    from memory; :meth:`refresh` picks up changes made by other processes.
    Every mutator is one locked read-modify-write and raises :class:`StateError`
    when the store is read-only or the write failed; then nothing changed, in
    memory or on disk.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        #: True when changes cannot be saved (see :attr:`problem`).
        self.read_only = False
        #: What went wrong with the file, for a banner; None when all is well.
        self.problem: str | None = None
        self._papers: dict[str, PaperRecord] = {}
        self._bytes: bytes | None = None  # the file content our memory matches
        self._sig: tuple[int, int, int] | None = None  # its (mtime_ns, size, inode)
        self._seen_sig: tuple[int, int, int] | None = None  # last examined, good or bad
        self._loaded = False
        self._bad_file = False  # read-only because of the file's content
        self._last_backup: float | None = None
        self._chunks: dict[str, tuple[PaperRecord, str]] = {}
        self._derived: dict[str, Any] = {}
        self._mutex = threading.RLock()

    # paths

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    # loading

    def load(self) -> None:
        """Read the file (a missing one is an empty state). Never raises: a file
        that cannot be used makes the store read-only with :attr:`problem` set."""
        with self._mutex:
            self._loaded = True
            self.read_only = False
            self.problem = None
            self._bad_file = False
            try:
                self._check_folder()
                if not self.read_only:
                    self._cleanup_leftovers()
                self._read_file()
            except Exception as exc:  # never raise from load
                self._set_bad(f"cannot be read: {exc}")

    def refresh(self) -> bool:
        """Re-read the file when it changed on disk (a stat when it did not).
        True when what :meth:`get` returns may have changed."""
        with self._mutex:
            if not self._loaded:
                self.load()
                return True
            try:
                sig = self._stat()
            except OSError:
                return False
            if sig == self._seen_sig:
                return False
            before = (self.read_only, self.problem)
            try:
                changed = self._read_file()
            except StateError:
                changed = False
            return changed or before != (self.read_only, self.problem)

    def _check_folder(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            os.close(fd)
        except OSError as exc:
            self.read_only = True
            self.problem = (
                f"{self.path}: changes cannot be saved: {_why(exc)} in {folder}. "
                "Stars, tags, read marks and notes are shown but cannot be changed."
            )

    def _cleanup_leftovers(self) -> None:
        """Remove temporary files left by a process killed mid-save."""
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return  # someone is saving; their temp file is not a leftover
            self._remove_temps()
        finally:
            os.close(fd)

    def _remove_temps(self) -> None:
        prefixes = (self.path.name + _TMP_PREFIX, self.backup_path.name + _TMP_PREFIX)
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return
        for name in names:
            if name.startswith(prefixes):
                with contextlib.suppress(OSError):
                    os.unlink(self.path.parent / name)

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read_file(self) -> bool:
        """Bring memory in line with the file; True when the content changed.
        Raises StateError (after marking the store read-only) on a bad file."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            if self.backup_path.exists() and self._bytes is None:
                self._set_bad(
                    "is missing but its backup exists; nothing was changed. "
                    f"To continue from the backup: cp {self.backup_path} {self.path}. "
                    f"To start afresh, move {self.backup_path} away."
                )
                raise StateError(self.problem) from None
            changed = bool(self._papers) or self._bytes is not None
            self._seen_sig = None
            self._set_state({}, None, None)
            self._clear_bad()
            return changed
        except OSError as exc:
            self._set_bad(f"cannot be read: {_why(exc)}")
            raise StateError(self.problem) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                self._set_bad("is not a regular file")
                raise StateError(self.problem)
            chunks: list[bytes] = []
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                chunks.append(b)
        except OSError as exc:
            self._set_bad(f"cannot be read: {_why(exc)}")
            raise StateError(self.problem) from None
        finally:
            os.close(fd)
        data = b"".join(chunks)
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        self._seen_sig = sig
        if data == self._bytes and not self._bad_file:
            self._sig = sig
            return False
        try:
            text = data.decode("utf-8-sig")
            state = parse_state(text)
        except UnicodeDecodeError as exc:
            self._set_bad(f"cannot be read: not UTF-8 text (byte {exc.start})")
            raise StateError(self.problem) from None
        except ValueError as exc:
            self._set_bad(f"cannot be read: {exc}")
            raise StateError(self.problem) from None
        self._set_state(state.papers, data, sig)
        self._clear_bad()
        return True

    def _set_state(
        self, papers: dict[str, PaperRecord], data: bytes | None, sig: tuple[int, int, int] | None
    ) -> None:
        self._papers = papers
        self._bytes = data
        self._sig = sig
        self._derived = {}

    def _backup_note(self) -> str:
        bak = self.backup_path
        try:
            state = parse_state(bak.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            return "There is no backup yet."
        except (OSError, ValueError, UnicodeDecodeError):
            return f"The backup {bak} cannot be read either."
        return (
            f"The last good copy is {bak} ({len(state.papers)} papers); "
            f"to use it: cp {bak} {self.path}"
        )

    def _set_bad(self, what: str) -> None:
        self.read_only = True
        self._bad_file = True
        self.problem = (
            f"{self.path} {what}. It was left untouched and changes are not saved "
            f"until it is fixed. {self._backup_note()}"
        )

    def _clear_bad(self) -> None:
        if self._bad_file:
            self._bad_file = False
            self.read_only = False
            self.problem = None

    # reading

    @property
    def state(self) -> State:
        """A snapshot of the whole state (for export and merge)."""
        self._ensure_loaded()
        return State(dict(self._papers))

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()

    def get(self, pid: str) -> PaperState:
        self._ensure_loaded()
        rec = self._papers.get(pid)
        return rec.view() if rec is not None else PaperState()

    def ids(self) -> set[str]:
        """Every paper id with any state (including cleared marks)."""
        self._ensure_loaded()
        return set(self._papers)

    def _index(self) -> dict[str, Any]:
        self._ensure_loaded()
        with self._mutex:
            if not self._derived:
                starred: set[str] = set()
                read: set[str] = set()
                tags: dict[str, set[str]] = {}
                for pid, rec in self._papers.items():
                    if rec.starred is not None and rec.starred.value:
                        starred.add(pid)
                    if rec.read is not None and rec.read.value:
                        read.add(pid)
                    for t, s in rec.tags.items():
                        if s.value:
                            tags.setdefault(t, set()).add(pid)
                self._derived = {"starred": starred, "read": read, "tags": tags}
            return self._derived

    def tag_counts(self) -> dict[str, int]:
        """Tag -> number of papers carrying it, most used first, then by name."""
        tags: dict[str, set[str]] = self._index()["tags"]
        return dict(sorted(((t, len(p)) for t, p in tags.items()), key=lambda x: (-x[1], x[0])))

    def starred_ids(self) -> set[str]:
        return set(self._index()["starred"])

    def read_ids(self) -> set[str]:
        return set(self._index()["read"])

    def ids_with_tag(self, tag: str) -> set[str]:
        return set(self._index()["tags"].get(normalise_tag(tag), ()))

    def note_conflicts(self, pid: str) -> tuple[str, ...]:
        return self.get(pid).note_conflicts

    # changing

    def set_starred(self, ids: Iterable[str], on: bool) -> None:
        self._set_flag("starred", ids, on)

    def toggle_star(self, pid: str) -> bool:
        """Flip the star (as it is on disk now); returns the new value."""
        _check_id(pid)
        result = [False]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            rec = papers.get(pid, PaperRecord())
            on = not (rec.starred is not None and rec.starred.value)
            result[0] = on
            prev = rec.starred.at if rec.starred else None
            return {pid: replace(rec, starred=Stamp(_after(now, prev), on))}

        self._mutate(change)
        return result[0]

    def set_read(self, ids: Iterable[str], on: bool) -> None:
        self._set_flag("read", ids, on)

    def mark_read_many(self, ids: Iterable[str]) -> None:
        """Mark many papers read in one write (a whole digest)."""
        self._set_flag("read", ids, True)

    def add_tags(self, ids: Iterable[str], tags: Iterable[str]) -> None:
        self._set_tags(ids, tags, True)

    def remove_tags(self, ids: Iterable[str], tags: Iterable[str]) -> None:
        self._set_tags(ids, tags, False)

    def set_note(self, pid: str, text: str) -> None:
        """Set the Markdown note; "" clears it. Replaces any conflict copies."""
        _check_id(pid)
        text = text.replace("\r\n", "\n")

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            rec = papers.get(pid, PaperRecord())
            old = rec.note
            if old is None:
                if not text:
                    return {}
                return {pid: replace(rec, note=Note(NoteVersion(now, text)))}
            if text == old.text and not old.others:
                return {}
            gone = {old.current.at, *(v.at for v in old.others), *old.replaced}
            newest = max(v.at for v in (old.current, *old.others))
            kept = tuple(sorted(gone, reverse=True)[:MAX_REPLACED])
            note = Note(NoteVersion(_after(now, newest), text), (), kept)
            return {pid: replace(rec, note=note)}

        self._mutate(change)

    def merge_file(self, other: Path) -> MergeReport:
        """Fold another machine's state file into this one (one locked write)."""
        other = Path(other)
        try:
            if not other.is_file():
                raise FileNotFoundError(errno.ENOENT, "no such file", str(other))
            text = other.read_bytes().decode("utf-8-sig")
            theirs = parse_state(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            why = _why(exc) if isinstance(exc, OSError) else str(exc)
            raise StateError(f"{other}: cannot merge it: {why}. Nothing was changed.") from None
        report: list[MergeReport] = [MergeReport(papers_in_other=len(theirs.papers))]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            out: dict[str, PaperRecord] = {}
            fields = added = conflicts = 0
            for pid, rec in theirs.papers.items():
                mine = papers.get(pid)
                merged = rec if mine is None else merge_records(mine, rec)
                if merged == mine:
                    continue
                out[pid] = merged
                added += mine is None
                fields += _count_fields(mine, merged)
                before = len(mine.note.others) if mine and mine.note else 0
                conflicts += bool(merged.note and len(merged.note.others) > before)
            report[0] = MergeReport(len(out), added, fields, conflicts, len(theirs.papers))
            return out

        self._mutate(change)
        return report[0]

    def _set_flag(self, name: str, ids: Iterable[str], on: bool) -> None:
        wanted = [_check_id(pid) for pid in dict.fromkeys(ids)]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            out: dict[str, PaperRecord] = {}
            for pid in wanted:
                rec = papers.get(pid, PaperRecord())
                old: Stamp | None = getattr(rec, name)
                if old is not None and old.value == on:
                    continue
                if old is None and not on:
                    continue
                stamp = Stamp(_after(now, old.at if old else None), on)
                out[pid] = (
                    replace(rec, starred=stamp) if name == "starred" else replace(rec, read=stamp)
                )
            return out

        self._mutate(change)

    def _set_tags(self, ids: Iterable[str], tags: Iterable[str], on: bool) -> None:
        wanted = [_check_id(pid) for pid in dict.fromkeys(ids)]
        names = [t for t in dict.fromkeys(normalise_tag(t) for t in tags) if t]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            out: dict[str, PaperRecord] = {}
            for pid in wanted:
                rec = papers.get(pid, PaperRecord())
                new = dict(rec.tags)
                for t in names:
                    old = new.get(t)
                    if (old is None and not on) or (old is not None and old.value == on):
                        continue
                    new[t] = Stamp(_after(now, old.at if old else None), on)
                if new != rec.tags:
                    out[pid] = replace(rec, tags=dict(sorted(new.items())))
            return out

        self._mutate(change)

    # the locked read-modify-write

    def _mutate(
        self, change: Callable[[Mapping[str, PaperRecord], str], dict[str, PaperRecord]]
    ) -> None:
        with self._mutex:
            self._ensure_loaded()
            if self.read_only:
                raise StateError(self.problem or f"{self.path} is read-only")
            with self._locked():
                self._read_file()  # raises StateError (and goes read-only) on a bad file
                now = format_time(self.clock())
                updates = change(self._papers, now)
                if not updates:
                    return
                papers = dict(self._papers)
                papers.update(updates)
                self._write(papers)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateError(self._write_failed(exc)) from None
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StateError(
                            f"{self.path}: another digest-reader has held {self.lock_path} "
                            f"for over {LOCK_TIMEOUT:.0f} s; the change was not saved. "
                            "Try again."
                        ) from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _render(self, papers: Mapping[str, PaperRecord]) -> str:
        order = sorted(papers)
        missing = {
            pid: papers[pid]
            for pid in order
            if (c := self._chunks.get(pid)) is None
            or (c[0] is not papers[pid] and c[0] != papers[pid])
        }
        for pid, text in _dump_papers(missing).items():
            self._chunks[pid] = (missing[pid], text)
        if len(self._chunks) > len(papers) * 2 + 100:
            self._chunks = {pid: self._chunks[pid] for pid in order}
        return _assemble({pid: self._chunks[pid][1] for pid in order}, order, self.clock())

    def _write_failed(self, exc: OSError) -> str:
        bak = self.backup_path
        backup = f"its backup {bak}" if bak.exists() else "its backup (none yet)"
        return (
            f"Could not save your change to {self.path}: {_why(exc)}. "
            f"The change was not made; {self.path} and {backup} are unchanged."
        )

    def _write(self, papers: dict[str, PaperRecord]) -> None:
        """Write ``papers`` atomically; memory changes only when the file did."""
        data = self._render(papers).encode("utf-8")
        folder = self.path.parent
        tmp = folder / f"{self.path.name}{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
                st = os.fstat(fd)
            finally:
                os.close(fd)
            if self._bytes is not None and self._backup_due():
                self._backup()
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            message = self._write_failed(exc)
            self.problem = message
            raise StateError(message) from None
        _fsync_dir(folder)
        if self._last_backup is None:
            self._last_backup = self.clock()
        if self.problem and not self.read_only:
            self.problem = None  # a failed save before; this one worked
        self._set_state(papers, data, (st.st_mtime_ns, st.st_size, st.st_ino))
        self._seen_sig = self._sig

    def _backup_due(self) -> bool:
        if self._last_backup is None or not self.backup_path.exists():
            return True
        return self.clock() - self._last_backup >= BACKUP_EVERY

    def _backup(self) -> None:
        """Keep the current (good, just parsed) file as the backup: a hard link,
        swapped in atomically; a copy where links are not supported."""
        bak = self.backup_path
        tmp = bak.with_name(f"{bak.name}{_TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.link(self.path, tmp)
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
                raise
            with open(self.path, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
                dst.flush()
                os.fsync(dst.fileno())
        try:
            os.replace(tmp, bak)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._last_backup = self.clock()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is done
    finally:
        os.close(fd)


def open_state(path: Path, clock: Callable[[], float] = time.time) -> StateStore:
    """A loaded :class:`StateStore` (check ``read_only`` / ``problem``)."""
    store = StateStore(path, clock)
    store.load()
    return store
