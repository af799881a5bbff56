"""A state file read only as far as a change needs (see ``docs/state.md``).

A file this reader wrote whole carries a check line (its size and CRC-32):
when the bytes below it still match, every entry in it was proven to read
back when it was written, the entries are sorted by paper id and each one
starts with its id line at indent two. A change (``digest-reader star ID``)
then finds the entries it touches by bisecting the bytes, builds only those
records, and the save puts the new entries in place between the bytes read.
Any doubt (an id written in an unusual way, an entry that does not read as
its one paper) raises :class:`NotLazy`: the store reads the file whole."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from reader.state.bulk import Mark, record_of, section_spans
from reader.state.records import PLAIN_VERSION, VERSION, PaperRecord
from reader.state.regular import key_of
from reader.state.yaml_format import EncodeError, assemble_bytes, parse_state

#: A line at indent two that does not start an entry (deeper, blank, a
#: comment, the ``:`` of a long id's value) has one of these third.
_NOT_START = frozenset(b" \n\r\t#:")


class NotLazy(Exception):
    """The file cannot be read entry by entry with certainty: read it whole."""


class LazyFile:
    """The entries of a checked state file (see :func:`checked_body`), found
    on demand. ``covered`` is where the checked part (``version: 1``) starts."""

    def __init__(
        self,
        data: bytes,
        covered: int,
        known: tuple[dict[Mark, list[str]], dict[Mark, bytes], dict[str, Mark]] | None = None,
    ) -> None:
        """``known``: the lists, their texts and each listed id's mark, when
        the caller just wrote them in ``data`` (they are not read again)."""
        self.data = data
        plain = f"version: {PLAIN_VERSION}\n".encode()
        bulk = f"version: {VERSION}\nread:\n".encode()
        #: the read marks in bulk: each list's ids, and each id's mark
        self.lists: dict[Mark, list[str]] = {}
        self.listed: dict[str, Mark] = {}
        #: each list's text as read (proven when it was written)
        self.list_bytes: dict[Mark, bytes] = {}
        if data.startswith(plain, covered):
            at = covered + len(plain)
        elif data.startswith(bulk, covered):
            begin = covered + len(bulk)
            at = data.find(b"\npapers:", begin - 1) + 1
            if at <= 0:
                raise NotLazy("no papers line")
            spans: dict[Mark, tuple[list[str], int, int]] | None = {}
            if known is not None:
                self.lists, self.list_bytes, self.listed = known
            else:
                try:
                    spans = section_spans(data[begin:at].decode("ascii"))
                except UnicodeDecodeError:
                    spans = None
            if spans is None:
                raise NotLazy("read marks not laid out as written here")
            count = 0
            for mark, (ids, a, b) in spans.items():
                self.lists[mark] = ids
                self.list_bytes[mark] = data[begin + a : begin + b]
                self.listed.update(dict.fromkeys(ids, mark))
                count += len(ids)
            if spans and len(self.listed) != count:
                raise NotLazy("an id listed twice")
        else:
            raise NotLazy("not this version")
        if data.startswith(b"papers: {}\n", at):
            self.start = at + len(b"papers: {}\n")
            if self.start != len(data):
                raise NotLazy("entries after an empty mapping")
        elif data.startswith(b"papers:\n", at):
            self.start = at + len(b"papers:\n")
        else:
            raise NotLazy("no papers line")
        self.end = len(data)
        #: pid -> (start, end, record) of the entries looked up (end == start:
        #: not in the file; the place it would go)
        self._seen: dict[str, tuple[int, int, PaperRecord | None]] = {}
        #: entries built into records (each is parsed on its own)
        self.built = 0
        #: ids looked up (each bisects the file)
        self.looked_up = 0

    def _next(self, pos: int) -> int:
        """Where the first entry at or after ``pos`` starts (``end`` if none)."""
        if pos <= self.start:
            return self.start
        data, end = self.data, self.end
        i = pos - 1
        while True:
            i = data.find(b"\n  ", i, end)
            if i < 0 or i + 3 >= end:
                return end
            if data[i + 3] not in _NOT_START:
                return i + 1
            i += 1

    def _pid_at(self, start: int) -> str:
        stop = self.data.index(b"\n", start) + 1
        pid = key_of(self.data[start:stop].decode("utf-8", "replace"))
        if pid is None:
            raise NotLazy(f"an id written as {self.data[start:stop]!r}")
        return pid

    def _locate(self, pid: str) -> tuple[int, int]:
        """(start, end) of the entry of ``pid``, or (place, place) where it
        would go, by bisecting the bytes (the entries are sorted by id)."""
        lo, hi, found = self.start, self.end, self.end
        while lo < hi:
            mid = (lo + hi) // 2
            s = self._next(mid)
            if s >= hi:
                hi = mid
            elif self._pid_at(s) < pid:
                lo = s + 1
            else:
                found, hi = s, mid
        if found < self.end and self._pid_at(found) == pid:
            return found, self._next(found + 1)
        return found, found

    def record(self, pid: str) -> PaperRecord | None:
        """The record of ``pid`` in the file (None: not there), built from
        its entry alone or its read mark in bulk."""
        mark = self.listed.get(pid)
        if mark is not None:
            return record_of(mark)
        seen = self._seen.get(pid)
        if seen is None:
            self.looked_up += 1
            start, stop = self._locate(pid)
            rec = None
            if stop > start:
                try:
                    text = self.data[start:stop].decode("utf-8")
                    papers = parse_state(f"version: {VERSION}\npapers:\n{text}").papers
                except ValueError as exc:  # not UTF-8, not the format: read whole
                    raise NotLazy(str(exc)) from None
                if papers.keys() != {pid}:
                    raise NotLazy(f"the entry of {pid} does not read as that paper alone")
                rec = papers[pid]
                self.built += 1
            seen = self._seen[pid] = (start, stop, rec)
        return seen[2]

    def pids(self) -> Iterator[str]:
        """Every id in the file: those of the entries in order (reads every
        id line), then those listed under their read marks."""
        pos = self.start
        while pos < self.end:
            pid = self._pid_at(pos)
            if pid in self.listed:
                raise NotLazy(f"{pid} is both listed and an entry")
            yield pid
            pos = self._next(pos + 1)
        yield from self.listed

    def splice(self, entries: Mapping[str, str], clock_value: float, section: bytes) -> bytes:
        """The file with ``entries`` (pid -> its new entry, proven by the
        caller; "" removes it) in place of the old ones or where they belong,
        every other byte of the body as read, and ``section`` (the lists of
        read marks in bulk, proven by the caller). Checked: each unchanged
        slice is the bytes read, each new entry stands whole
        (:class:`EncodeError` otherwise)."""
        cuts = []
        for pid in sorted(entries):
            if pid in self.listed:
                start, stop = self._locate(pid)
                if stop > start:
                    raise NotLazy(f"{pid} is both listed and an entry")
            else:
                self.record(pid)  # located (and the old entry read as that paper)
                start, stop, _ = self._seen[pid]
            if start == stop and not entries[pid]:
                continue
            cuts.append((start, stop, entries[pid].encode("utf-8")))
        old = memoryview(self.data)
        parts: list[bytes | memoryview] = []
        pos = self.start
        for start, stop, new in cuts:
            parts += [old[pos:start], new]
            pos = stop
        parts.append(old[pos : self.end])
        data = assemble_bytes(parts, clock_value, section)
        at = len(data) - sum(len(p) for p in parts)
        for part in parts:  # each slice kept is the bytes read, each new entry whole
            if not data.startswith(part, at):
                raise EncodeError("the entries kept would not be the bytes read")
            at += len(part)
        return data


class LazyPapers(Mapping[str, PaperRecord]):
    """The papers of a :class:`LazyFile` as a mapping, each built when asked
    for (what a change reads); iterating reads every id line."""

    def __init__(self, file: LazyFile) -> None:
        self.file = file

    def __getitem__(self, pid: str) -> PaperRecord:
        rec = self.file.record(pid)
        if rec is None:
            raise KeyError(pid)
        return rec

    def __iter__(self) -> Iterator[str]:
        return self.file.pids()

    def __len__(self) -> int:
        return sum(1 for _ in self.file.pids())

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self.file.record(pid) is not None


def covered_start(data: bytes) -> int:
    """Where the checked part of a file :func:`assemble_bytes` just made starts."""
    return data.index(b"\n", data.index(b"\n# Check: ") + 1) + 1
