"""The store: one user's state file, shared safely by every process that opens
it (see ``docs/state.md``).

* every change is one read-modify-write under ``flock`` on ``state.yaml.lock``
  that re-reads the file first, so the app and the CLI (or two apps) never lose
  each other's changes;
* a write goes through :func:`reader.fileio.atomic_write` (a temporary file in
  the same folder, fsynced, ``os.replace``, the folder fsynced); the last good
  file is kept as ``state.yaml.bak``;
* a file that cannot be read is never overwritten: the store opens read-only
  and :attr:`StateStore.problem` says what happened and where the backup is.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import gc
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reader.fileio import (
    FileLock,
    atomic_snapshot,
    atomic_write,
    locked,
    remove_leftovers,
)
from reader.state.bulk import Mark, encode_list, mark_of
from reader.state.lazy import LazyFile, LazyPapers, NotLazy, covered_start
from reader.state.records import (
    FUTURE_SKEW,
    MergeReport,
    PaperRecord,
    PaperState,
    Stamp,
    State,
    after,
    check_id,
    count_fields,
    format_time,
    merge_records,
    normalise_tag,
    shift_time,
    split_future,
    supersede,
    without_surrogates,
)
from reader.state.yaml_format import (
    EncodeError,
    assemble_bytes,
    checked_body,
    encode_papers,
    entries_of,
    parse_state,
    read_state,
    split_bulk,
    verify_entries,
    verify_lists,
)
from reader.wording import counted

#: How many papers a lazily read store looks up one by one for
#: :meth:`StateStore.get` before it reads the whole file (a command that
#: shows many papers: each lookup bisects the file, ~0.1 ms).
LAZY_GETS = 64
#: The first bytes of the file compared with those this process last read
#: or wrote (with its inode, size and time) to know it unchanged.
SAME_HEAD = 4096
#: The backup is refreshed at the first save of a session, then at most this often.
BACKUP_EVERY = 600.0
#: How long a change waits for another process holding the lock.
LOCK_TIMEOUT = 10.0
#: The largest state file read (or merged); a bigger one is refused before it
#: is read, at once. 100k papers, each starred, read and with two tags, take
#: ~20 MB; read marks in bulk take ~11 bytes a paper (docs/state.md).
MAX_STATE_BYTES = 64_000_000


def _too_big(size: int) -> str | None:
    """Why a file of ``size`` bytes is not read as a state, or None."""
    if size <= MAX_STATE_BYTES:
        return None
    mb = f"{size / 1e6:,.0f}" if size >= 100e6 else f"{size / 1e6:.1f}"
    return (
        f"it is {mb} MB, more than the {MAX_STATE_BYTES / 1e6:.0f} MB"
        " a state file may hold (see docs/state.md); it was not read"
    )


class StateError(Exception):
    """A change could not be saved, or the state cannot be changed (read-only).

    The message names the state file and its backup and says what to do."""


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


@dataclass(frozen=True)
class _Body:
    """The papers of a file as written: the ids of the entries in order and
    each entry, and the lists of read marks in bulk (ids sorted) with their
    texts (None: not made yet)."""

    papers: Mapping[str, PaperRecord]
    order: list[str]
    texts: list[str]
    lists: dict[Mark, list[str]]
    list_texts: dict[Mark, str] | None = None
    #: The entries as UTF-8 in blocks (block k: the ids from ``bounds[k]``
    #: up to ``bounds[k + 1]``), so that a save joins the blocks and encodes
    #: only the blocks changed, not 100k entries (None: not made yet).
    bounds: list[str] | None = None
    blocks: list[bytes] | None = None


class StateStore:
    """The state file of one user, shared safely by every process that opens it.

    Call :meth:`load` first (mutators load lazily otherwise). Reads are served
    from memory; :meth:`refresh` picks up changes made by other processes.
    Every mutator is one locked read-modify-write and raises :class:`StateError`
    when the store is read-only or the write failed; then nothing changed, in
    memory or on disk.
    """

    def __init__(
        self, path: Path, clock: Callable[[], float] = time.time, *, lazy: bool = False
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        #: Read a file this reader wrote only as far as each change needs (a
        #: CLI command): the records are built when asked for, and anything
        #: that needs the whole state reads it whole, once.
        self._lazy_ok = lazy
        self._lazy: LazyFile | None = None
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
        #: pid -> (record, its entry as written): verified texts to reuse
        self._chunks: dict[str, tuple[PaperRecord, str]] = {}
        #: pid -> (record, its entry) as in the file last parsed
        self._proven: dict[str, tuple[PaperRecord, str]] = {}
        self._derived: dict[str, Any] = {}
        #: the body of the file last written (for a save that changes a few papers)
        self._body: _Body | None = None
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
            except StateError:
                pass  # the store is read-only and problem says why
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
            with locked(self.lock_path) as got:
                if not got:
                    return  # someone is saving; their temp file is not a leftover
                for target in (self.path, self.backup_path):
                    remove_leftovers(target)
                    _remove_old_temps(target)
        except OSError:
            return

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
            big = _too_big(st.st_size)
            if big is not None:
                self._set_bad(f"cannot be read: {big}")
                raise StateError(self.problem)
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
            known = self._bytes
            if (
                known is not None
                and sig == self._sig
                and not self._bad_file
                and len(known) == st.st_size
                and os.pread(fd, SAME_HEAD, 0) == known[:SAME_HEAD]
            ):
                # the file this process last read or wrote: the same inode,
                # size and time, and the same first lines (a save writes its
                # time, pid and a random token there), not 20 MB read again
                self._seen_sig = sig
                return False
            # one read of the size stat gives (no copy to join), then to the end
            chunks: list[bytes] = [os.read(fd, st.st_size + 1)]
            while chunks[-1]:
                chunks.append(os.read(fd, 1 << 20))
        except OSError as exc:
            self._set_bad(f"cannot be read: {_why(exc)}")
            raise StateError(self.problem) from None
        finally:
            os.close(fd)
        data = chunks[0] if len(chunks) == 2 else b"".join(chunks)
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        self._seen_sig = sig
        if data == self._bytes and not self._bad_file:
            self._sig = sig
            return False
        if self._lazy_ok and self._open_lazy(data, sig):
            return True
        try:
            text = data.decode("utf-8-sig")
            with _collector_paused():
                state, regular, lists = read_state(text)
        except UnicodeDecodeError as exc:
            self._set_bad(f"cannot be read: not UTF-8 text (byte {exc.start})")
            raise StateError(self.problem) from None
        except ValueError as exc:
            self._set_bad(f"cannot be read: {exc}")
            raise StateError(self.problem) from None
        self._set_state(state.papers, data, sig)
        # each paper's text in this file is proven to read back as its record
        # (the file was just parsed): a save that writes it again need not re-check it
        with _collector_paused():
            if regular is None:
                entries = entries_of(text, state.papers)
                self._proven = {pid: (state.papers[pid], e) for pid, e in entries.items()}
            else:
                # entries in the regular layout are written again as they stand
                # (only what changed is encoded again)
                papers = state.papers
                self._proven = {}
                listed = sum(len(ids) for ids in lists.values())
                if len(regular) + listed == len(papers) and all(p in papers for p in regular):
                    # the body of the file is known whole: changes go into it
                    self._body = _body_of(papers, regular, lists)
                    self._chunks = {}
                else:
                    self._chunks = {p: (papers[p], e) for p, e in regular.items() if p in papers}
        self._clear_bad()
        return True

    def _open_lazy(self, data: bytes, sig: tuple[int, int, int]) -> bool:
        """Take ``data`` as a file to read entry by entry, when its check
        line holds (True); else it is to be read whole."""
        covered = checked_body(data)
        if covered is None:
            return False
        try:
            with _collector_paused():
                lazy = LazyFile(data, covered)
        except NotLazy:
            return False
        self._set_state({}, data, sig)
        self._lazy = lazy
        self._body = None
        self._chunks = {}
        self._proven = {}
        self._clear_bad()
        return True

    def _whole(self) -> None:
        """Build every record (a lazily read file is read whole, once)."""
        self._ensure_loaded()
        with self._mutex:
            if self._lazy is None:
                return
            self._lazy_ok = False
            self._lazy = None
            self._bytes = None
            with contextlib.suppress(StateError):  # read-only, problem says why
                self._read_file()

    def _set_state(
        self, papers: dict[str, PaperRecord], data: bytes | None, sig: tuple[int, int, int] | None
    ) -> None:
        self._papers = papers
        self._bytes = data
        self._sig = sig
        self._derived = {}
        self._lazy = None

    def _backup_note(self) -> str:
        bak = self.backup_path
        try:
            if _too_big(bak.stat().st_size):
                return f"The backup {bak} is too big to be read either."
            state = parse_state(bak.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            return "There is no backup yet."
        except (OSError, ValueError, UnicodeDecodeError):
            return f"The backup {bak} cannot be read either."
        return (
            f"The last good copy is {bak} ({counted(len(state.papers), 'paper')}); "
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
        self._whole()
        return State(dict(self._papers))

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()

    def get(self, pid: str) -> PaperState:
        self._ensure_loaded()
        with self._mutex:
            lazy = self._lazy
            if lazy is not None and lazy.looked_up < LAZY_GETS:
                try:
                    rec = lazy.record(pid)
                except NotLazy:
                    self._whole()
                else:
                    return rec.view() if rec is not None else PaperState()
            self._whole()
            rec = self._papers.get(pid)
        return rec.view() if rec is not None else PaperState()

    def ids(self) -> set[str]:
        """Every paper id with any state (including cleared marks)."""
        self._whole()
        return set(self._papers)

    def _index(self) -> dict[str, Any]:
        self._whole()
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

    # changing

    def set_starred(self, ids: Iterable[str], on: bool) -> None:
        self._set_flag("starred", ids, on)

    def toggle_star(self, pid: str) -> bool:
        """Flip the star (as it is on disk now); returns the new value."""
        check_id(pid)
        result = [False]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            rec = papers.get(pid, PaperRecord())
            on = not (rec.starred is not None and rec.starred.value)
            result[0] = on
            prev = rec.starred.at if rec.starred else None
            return {pid: replace(rec, starred=Stamp(after(now, prev), on))}

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
        check_id(pid)
        text = without_surrogates(text.replace("\r\n", "\n"))

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            rec = papers.get(pid, PaperRecord())
            old = rec.note
            if old is None and not text:
                return {}
            if old is not None and text == old.text and not old.others:
                return {}
            return {pid: replace(rec, note=supersede(old, text, now))}

        self._mutate(change)

    def merge_file(self, other: Path) -> MergeReport:
        """Fold another machine's state file into this one (one locked write)."""
        other = Path(other)
        self._whole()  # a merge reads every paper of both
        try:
            if not other.is_file():
                raise FileNotFoundError(errno.ENOENT, "no such file", str(other))
            big = _too_big(other.stat().st_size)
            if big is not None:
                raise ValueError(big)
            text = other.read_bytes().decode("utf-8-sig")
            theirs = parse_state(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            why = _why(exc) if isinstance(exc, OSError) else str(exc)
            raise StateError(f"{other}: cannot merge it: {why}. Nothing was changed.") from None
        in_other = len(theirs.papers)
        report: list[MergeReport] = [MergeReport(papers_in_other=in_other)]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            # times from a clock that runs ahead are left out, never merged:
            # one of them would win every later change of its field
            limit = shift_time(self.clock(), FUTURE_SKEW)
            usable, left_out = split_future(theirs, limit)
            out: dict[str, PaperRecord] = {}
            fields = added = conflicts = 0
            for pid, rec in usable.papers.items():
                mine = papers.get(pid)
                merged = rec if mine is None else merge_records(mine, rec)
                if merged == mine:
                    continue
                out[pid] = merged
                added += mine is None
                fields += count_fields(mine, merged)
                before = len(mine.note.conflicts) if mine and mine.note else 0
                conflicts += bool(merged.note and len(merged.note.conflicts) > before)
            report[0] = MergeReport(
                len(out), added, fields, conflicts, in_other, left_out, limit if left_out else ""
            )
            return out

        self._mutate(change)
        return report[0]

    def _set_flag(self, name: str, ids: Iterable[str], on: bool) -> None:
        wanted = [check_id(pid) for pid in dict.fromkeys(ids)]

        def change(papers: Mapping[str, PaperRecord], now: str) -> dict[str, PaperRecord]:
            out: dict[str, PaperRecord] = {}
            for pid in wanted:
                rec = papers.get(pid, PaperRecord())
                old: Stamp | None = getattr(rec, name)
                if old is not None and old.value == on:
                    continue
                if old is None and not on:
                    continue
                stamp = Stamp(after(now, old.at if old else None), on)
                out[pid] = (
                    replace(rec, starred=stamp) if name == "starred" else replace(rec, read=stamp)
                )
            return out

        self._mutate(change)

    def _set_tags(self, ids: Iterable[str], tags: Iterable[str], on: bool) -> None:
        wanted = [check_id(pid) for pid in dict.fromkeys(ids)]
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
                    new[t] = Stamp(after(now, old.at if old else None), on)
                if new != rec.tags:
                    out[pid] = replace(rec, tags=dict(sorted(new.items())))
            return out

        self._mutate(change)

    def hold_for_exit(self, timeout: float) -> bool:
        """The process is about to end (a signal: ``reader/tui/signals.py``):
        wait up to ``timeout`` seconds for a change being saved by another
        thread, and keep every later one from starting. True when no save was
        cut short. The store is of no use afterwards."""
        return self._mutex.acquire(timeout=timeout)

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
                if self._lazy is not None:
                    try:
                        updates = change(LazyPapers(self._lazy), now)
                        if updates:
                            self._write_lazy(self._lazy, updates)
                        return
                    except NotLazy:
                        self._whole()  # in doubt: read whole and change that
                        if self.read_only:
                            raise StateError(self.problem) from None
                updates = change(self._papers, now)
                if not updates:
                    return
                papers = dict(self._papers)
                papers.update(updates)
                self._write(papers, updates)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = FileLock(self.lock_path)
        try:
            got = lock.acquire(LOCK_TIMEOUT)
        except OSError as exc:
            raise StateError(self._write_failed(exc)) from None
        if not got:
            raise StateError(
                f"{self.path}: another digest-reader has held {self.lock_path} "
                f"for over {LOCK_TIMEOUT:.0f} s; the change was not saved. Try again."
            )
        try:
            yield
        finally:
            lock.release()  # closing releases the lock

    def _render(
        self, papers: Mapping[str, PaperRecord], changed: Iterable[str] = ()
    ) -> tuple[bytes, _Body]:
        """The text of the file holding ``papers``, and its body (pids and
        entries in order). When ``papers`` is the state in memory plus the
        papers ``changed``, only those are encoded and put in place in the
        last body written (a save costs the changed papers, not the state)."""
        last = self._body
        removed: list[str] = []  # entries that became read marks in bulk
        if last is not None and last.papers is self._papers and changed:
            missing = {}
            moves: list[tuple[str, Mark | None, Mark | None]] = []
            for pid in dict.fromkeys(changed):
                rec = papers[pid]
                old = self._papers.get(pid)
                was = None if old is None else mark_of(pid, old)
                now = mark_of(pid, rec)
                moves.append((pid, was, now))
                if now is None:
                    missing[pid] = rec
                elif old is not None and was is None:
                    removed.append(pid)
            lists, touched = _relist(last.lists, moves)
            list_texts = _list_texts(last, lists, touched)
        else:
            last = None
            rest, lists = split_bulk({pid: papers[pid] for pid in sorted(papers)})
            missing = {
                pid: rec
                for pid, rec in rest.items()
                if (c := self._chunks.get(pid)) is None or (c[0] is not rec and c[0] != rec)
            }
            list_texts = _list_texts(None, lists, set(lists))
        entries = encode_papers(missing)
        proven = self._proven
        verify_entries(
            {
                pid: text
                for pid, text in entries.items()
                if (p := proven.get(pid)) is None or p[0] is not missing[pid] or p[1] != text
            },
            missing,
        )  # EncodeError: the save is refused, nothing is cached
        for pid, text in entries.items():
            self._chunks[pid] = (missing[pid], text)
        if last is not None:
            order, texts = list(last.order), list(last.texts)
            for pid in removed:
                i = bisect.bisect_left(order, pid)
                del order[i], texts[i]
            for pid in sorted(entries):
                i = bisect.bisect_left(order, pid)
                if i < len(order) and order[i] == pid:
                    texts[i] = entries[pid]
                else:
                    order.insert(i, pid)
                    texts.insert(i, entries[pid])
        else:
            order = sorted(rest)
            if len(self._chunks) > len(papers) * 2 + 100:
                self._chunks = {pid: self._chunks[pid] for pid in order}
            texts = [self._chunks[pid][1] for pid in order]
        changed_ids = [*entries, *removed] if last is not None else None
        bounds, blocks = _blocks(last, order, texts, changed_ids)
        body = _Body(papers, order, texts, lists, list_texts, bounds, blocks)
        section = "".join(list_texts[mark] for mark in sorted(list_texts)).encode("ascii")
        return assemble_bytes(blocks, self.clock(), section), body

    def _write_failed(self, exc: OSError) -> str:
        bak = self.backup_path
        backup = f"its backup {bak}" if bak.exists() else "its backup (none yet)"
        return (
            f"Could not save your change to {self.path}: {_why(exc)}. "
            f"The change was not made; {self.path} and {backup} are unchanged."
        )

    def _write(self, papers: dict[str, PaperRecord], changed: Iterable[str] = ()) -> None:
        """Write ``papers`` atomically; memory changes only when the file did."""
        try:
            data, body = self._render(papers, changed)
        except EncodeError as exc:
            raise StateError(self._encode_failed(exc)) from None
        self._save(data)
        self._set_state(papers, data, self._sig)
        self._body = body

    def _write_lazy(self, lazy: LazyFile, updates: dict[str, PaperRecord]) -> None:
        """Write the lazily read file with ``updates`` in it: only those are
        encoded and proven; every other entry is written as the bytes read."""
        try:
            plain: dict[str, PaperRecord] = {}
            gone: dict[str, str] = {}  # entries that become read marks in bulk
            moves: list[tuple[str, Mark | None, Mark | None]] = []
            for pid, rec in updates.items():
                was = lazy.listed.get(pid)
                now = mark_of(pid, rec)
                moves.append((pid, was, now))
                if now is None:
                    plain[pid] = rec
                elif was is None and lazy.record(pid) is not None:
                    gone[pid] = ""
            lists, touched = _relist(lazy.lists, moves)
            entries = encode_papers(plain)
            verify_entries(entries, plain)
            texts = {mark: encode_list(mark, lists[mark]) for mark in touched if mark in lists}
            verify_lists(texts, lists)
            list_bytes = {
                mark: texts[mark].encode("ascii") if mark in texts else lazy.list_bytes[mark]
                for mark in sorted(lists)
            }
            data = lazy.splice({**entries, **gone}, self.clock(), b"".join(list_bytes.values()))
            listed = dict(lazy.listed)
            for pid, was, now in moves:
                if now is not None:
                    listed[pid] = now
                elif was is not None:
                    del listed[pid]
        except EncodeError as exc:
            raise StateError(self._encode_failed(exc)) from None
        self._save(data)
        self._set_state({}, data, self._sig)
        try:
            self._lazy = LazyFile(data, covered_start(data), (lists, list_bytes, listed))
        except NotLazy:  # never for a file just written; if so, read it whole
            self._lazy_ok = False
            self._bytes = None
            with contextlib.suppress(StateError):  # read-only, problem says why
                self._read_file()

    def _encode_failed(self, exc: EncodeError) -> str:
        message = (
            f"Could not save your change to {self.path}: the text written for it "
            f"would not read back the same ({exc}). The change was not made; "
            f"{self.path} is unchanged. This is a bug in digest-reader: please report it."
        )
        self.problem = message
        return message

    def _save(self, data: bytes) -> None:
        """Write ``data`` atomically (the backup first when due); on success
        ``_sig`` is the new file's, and the caller puts memory in line."""

        def backup() -> None:
            if self._bytes is not None and self._backup_due():
                self._backup()

        try:
            st = atomic_write(self.path, data, mode=0o600, before_replace=backup)
        except OSError as exc:
            message = self._write_failed(exc)
            self.problem = message
            raise StateError(message) from None
        if self._last_backup is None:
            self._last_backup = self.clock()
        if self.problem and not self.read_only:
            self.problem = None  # a failed save before; this one worked
        self._sig = self._seen_sig = (st.st_mtime_ns, st.st_size, st.st_ino)

    def _backup_due(self) -> bool:
        if self._last_backup is None or not self.backup_path.exists():
            return True
        return self.clock() - self._last_backup >= BACKUP_EVERY

    def _backup(self) -> None:
        """Keep the current (good, just parsed) file as the backup."""
        if atomic_snapshot(self.path, self.backup_path):
            self._last_backup = self.clock()


def _body_of(
    papers: Mapping[str, PaperRecord], entries: Mapping[str, str], lists: Mapping[Mark, list[str]]
) -> _Body:
    """The body of a file just read: its entries in order, its lists; an
    entry that the writer would list (a file of version 1) goes to its list."""
    order: list[str] = []
    texts: list[str] = []
    own = {mark: list(ids) for mark, ids in lists.items()}
    for pid in sorted(entries):
        mark = mark_of(pid, papers[pid])
        if mark is None:
            order.append(pid)
            texts.append(entries[pid])
        else:
            own.setdefault(mark, []).append(pid)
    for ids in own.values():
        ids.sort()
    return _Body(papers, order, texts, own)


#: Entries in a block of the body (see :class:`_Body`); one is made again
#: whole past four times this.
BLOCK = 512


def _blocks(
    last: _Body | None, order: list[str], texts: list[str], changed: list[str] | None
) -> tuple[list[str], list[bytes]]:
    """The blocks of the entries ``texts`` (ids ``order``): those holding a
    ``changed`` id encoded again, the others as in ``last``; all of them
    when there is no last body or ``changed`` is None."""

    def span(bounds: list[str], k: int) -> tuple[int, int]:
        a = 0 if k == 0 else bisect.bisect_left(order, bounds[k])
        b = len(order) if k + 1 == len(bounds) else bisect.bisect_left(order, bounds[k + 1])
        return a, b

    if (
        last is not None
        and last.bounds is not None
        and last.blocks is not None
        and changed is not None
    ):
        bounds, blocks = last.bounds, list(last.blocks)
        for k in {bisect.bisect_right(bounds, pid) - 1 for pid in changed}:
            a, b = span(bounds, k)
            if b - a > 4 * BLOCK:
                break  # a block grew too big: make them all again
            blocks[k] = "".join(texts[a:b]).encode("utf-8")
        else:
            return bounds, blocks
    bounds = ["", *order[BLOCK::BLOCK]]
    blocks = []
    for k in range(len(bounds)):
        a, b = span(bounds, k)
        blocks.append("".join(texts[a:b]).encode("utf-8"))
    return bounds, blocks


def _relist(
    lists: Mapping[Mark, list[str]], moves: Iterable[tuple[str, Mark | None, Mark | None]]
) -> tuple[dict[Mark, list[str]], set[Mark]]:
    """The lists after each (pid, the mark it was listed under, the mark it
    is listed under now; None: an entry), and the marks whose lists changed.
    Each list changed is made once (an undo of ``R`` moves thousands)."""
    drop: dict[Mark, set[str]] = {}
    add: dict[Mark, list[str]] = {}
    for pid, was, now in moves:
        if was == now:
            continue
        if was is not None:
            drop.setdefault(was, set()).add(pid)
        if now is not None:
            add.setdefault(now, []).append(pid)
    out = dict(lists)
    touched = drop.keys() | add.keys()
    for mark in touched:
        gone = drop.get(mark, set())
        ids = [p for p in lists.get(mark, ()) if p not in gone] + add.get(mark, [])
        ids.sort()
        if ids:
            out[mark] = ids
        else:
            out.pop(mark, None)
    return out, set(touched)


def _list_texts(
    last: _Body | None, lists: Mapping[Mark, list[str]], touched: set[Mark]
) -> dict[Mark, str]:
    """The text of every list: those ``touched`` (and all, the first time)
    encoded and proven, the others as the last body wrote them."""
    known = None if last is None else last.list_texts
    if known is None:
        touched = set(lists)
        known = {}
    texts = {mark: encode_list(mark, lists[mark]) for mark in touched if mark in lists}
    verify_lists(texts, lists)  # EncodeError: the save is refused
    return {mark: texts[mark] if mark in texts else known[mark] for mark in lists}


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large state is built: records
    hold no cycles, and the collector would walk every one of them again and
    again (half the time of a load at 100k papers)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _remove_old_temps(target: Path) -> None:
    """Temporary files named as before reader.fileio (``state.yaml.tmp-*``)."""
    prefix = f"{target.name}.tmp-"
    with contextlib.suppress(OSError):
        for name in os.listdir(target.parent):
            if name.startswith(prefix):
                with contextlib.suppress(OSError):
                    os.unlink(target.parent / name)


def open_state(path: Path, clock: Callable[[], float] = time.time) -> StateStore:
    """A loaded :class:`StateStore` (check ``read_only`` / ``problem``)."""
    store = StateStore(path, clock)
    store.load()
    return store
