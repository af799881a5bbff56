"""The state file's YAML (version 1, see ``docs/state.md``): records to text
and text to records. No files here: the store reads and writes them."""

from __future__ import annotations

import os
import re
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reader.safeload import LoadError, load_yaml
from reader.state.bulk import Mark, encode_list, mark_of, read_section
from reader.state.records import (
    EPOCH,
    PLAIN_VERSION,
    VERSION,
    Note,
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    check_id,
    format_time,
    make_note,
    merge_records,
    normalise_tag,
    parse_time,
)
from reader.state.regular import encode_regular, read_regular
from reader.yamlwrite import Block, dump_yaml, strip_end_marker

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _text(s: str) -> str:
    return Block(s) if "\n" in s else s


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
        if n.replaced_through is not None:
            nd["replaced_through"] = n.replaced_through
        d["note"] = nd
    return d


class EncodeError(ValueError):
    """The text made for a state would not read back as that state (a bug in
    the emitter: the save is refused rather than written)."""


#: YAML's line breaks (the emitter writes ``\x85``, U+2028 and U+2029 raw, and
#: indents what follows them as a new line).
_LINES = re.compile(r"(?<=[\n\x85\u2028\u2029])")
_KEY_LINE = re.compile(r"^  [^ \n\r\t#]")


def _lines(text: str) -> list[str]:
    """``text`` cut after each YAML line break (each piece keeps its break)."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return [line for line in _LINES.split(text) if line]
    parts = text.split("\n")  # the common case, ~10x faster than the regex
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _indent(chunk: str) -> str:
    return "".join(line if line == "\n" else "  " + line for line in _lines(chunk))


def encode_papers(papers: Mapping[str, PaperRecord]) -> dict[str, str]:
    """pid -> the entry of that paper as written under ``papers:`` (its lines,
    indented by two). One dump for all; each entry is checked later by
    :func:`verify_entries`."""
    if not papers:
        return {}
    regular = {pid: encode_regular(pid, rec) for pid, rec in papers.items()}
    rest = {pid: rec for pid, rec in papers.items() if regular[pid] is None}
    out = _encode_yaml(rest)
    return {pid: text if text is not None else out[pid] for pid, text in regular.items()}


def _encode_yaml(papers: Mapping[str, PaperRecord]) -> dict[str, str]:
    """Entries made by the YAML emitter (one dump for all)."""
    if not papers:
        return {}
    text = strip_end_marker(dump_yaml({pid: record_to_yaml(rec) for pid, rec in papers.items()}))
    chunks: list[list[str]] = []
    for line in _lines(text):
        if line[:1] not in (" ", "\n", ":") or not chunks:
            chunks.append([])
        chunks[-1].append(line)
    if len(chunks) == len(papers):
        return {pid: _indent("".join(c)) for pid, c in zip(papers, chunks, strict=True)}
    # an unusual key layout: dump one by one
    return {
        pid: _indent(strip_end_marker(dump_yaml({pid: record_to_yaml(rec)})))
        for pid, rec in papers.items()
    }


def _layout_problem(entry: str) -> str | None:
    """Why ``entry`` cannot stand as one paper's entry under ``papers:``
    among others, or None. An entry is one key line at indent two (``?`` and
    ``:`` lines for a long id), then lines indented deeper or blank: nothing
    it holds can end the mapping, start a document or swallow the next entry."""
    if not entry.endswith("\n"):
        return "it does not end with a line break"
    lines = _lines(entry)
    if not _KEY_LINE.match(lines[0]):
        return "its first line is not a paper id at indent 2"
    complex_key = lines[0].startswith("  ? ")
    for line in lines[1:]:
        if line == "\n" or line.startswith("   "):
            continue
        if complex_key and line.startswith("  : "):
            continue
        return f"a line is not indented under the paper: {line[:40]!r}"
    return None


def verify_entries(entries: Mapping[str, str], papers: Mapping[str, PaperRecord]) -> None:
    """Prove that the ``entries`` (pid -> text, from :func:`encode_papers`)
    read back as ``papers``: each is laid out as one entry of the ``papers:``
    mapping (so entries can be put together in any order), and all of them
    parse back, as written in the file, to exactly those records. Raises
    :class:`EncodeError` naming the first paper that does not."""
    if not entries:
        return
    for pid, entry in entries.items():
        why = _layout_problem(entry)
        if why is not None:
            raise EncodeError(f"paper {pid}: {why}")
    try:  # read back as a load reads them (the regular reader, with the full one behind it)
        back = parse_state(f"version: {VERSION}\npapers:\n" + "".join(entries.values())).papers
    except ValueError as exc:
        raise EncodeError(f"the text written does not parse back: {exc}") from None
    want = {pid: papers[pid] for pid in entries if not papers[pid].is_empty()}
    if back != want:
        pid = next((p for p in (*want, *back) if back.get(p) != want.get(p)), next(iter(entries)))
        raise EncodeError(f"paper {pid}: the text written reads back differently")


def split_bulk(
    papers: Mapping[str, PaperRecord],
) -> tuple[dict[str, PaperRecord], dict[Mark, list[str]]]:
    """The papers written as entries, and the lists of those held in bulk
    (``reader/state/bulk.py``: each id under its read mark, in ``papers``' order)."""
    entries: dict[str, PaperRecord] = {}
    lists: dict[Mark, list[str]] = {}
    for pid, rec in papers.items():
        mark = mark_of(pid, rec)
        if mark is None:
            entries[pid] = rec
        else:
            lists.setdefault(mark, []).append(pid)
    return entries, lists


def verify_lists(texts: Mapping[Mark, str], lists: Mapping[Mark, Sequence[str]]) -> None:
    """Prove that each list's text (from :func:`reader.state.bulk.encode_list`)
    reads back as its ids; :class:`EncodeError` otherwise."""
    for mark, text in texts.items():
        if read_section(text) != {mark: list(lists[mark])}:
            raise EncodeError(
                f"the read marks of {mark[0]}: the text written reads back differently"
            )


def _header(clock_value: float, size: int, crc: int) -> str:
    """The comment lines of a file; the last one sums up the ``size`` bytes
    after it (their CRC-32 ``crc``; :func:`checked_body` reads it back)."""
    return (
        "# digest-reader state: your stars, tags, read marks and notes (docs/state.md).\n"
        f"# Saved {format_time(clock_value)} by pid {os.getpid()} ({os.urandom(4).hex()}).\n"
        "# Times are UTC. Edit with care: a file that cannot be read is never overwritten.\n"
        f"# Check: {size} bytes below, crc32 {crc:08x}"
        " (a file that matches is read only as far as a change needs).\n"
    )


#: The comment lines, the last one the check of the rest (see :func:`_header`).
_CHECKED = re.compile(
    rb"(?:#[^\n]*\n){0,8}?# Check: (\d{1,10}) bytes below, crc32 ([0-9a-f]{8})[^\n]*\n"
)


def checked_body(data: bytes) -> int | None:
    """Where the covered part of ``data`` starts (``version: 1``) when the
    file is as :func:`assemble_bytes` wrote it: its check line matches the
    bytes after it, which start with this version and ``papers:``. None for
    any other file (hand-edited, written before the check line, damaged):
    that one is read whole."""
    m = _CHECKED.match(data)
    if m is None:
        return None
    start = m.end()
    if len(data) - start != int(m[1]) or zlib.crc32(memoryview(data)[start:]) != int(m[2], 16):
        return None
    if not (
        data.startswith(f"version: {PLAIN_VERSION}\npapers:".encode(), start)
        or data.startswith(f"version: {VERSION}\nread:\n".encode(), start)
    ):
        return None
    return start


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
    unknown = set(value) - {"at", "text", "conflicts", "replaced", "replaced_through"}
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
        if isinstance(v, dict) and ({"conflicts", "replaced", "replaced_through"} & set(v)):
            raise _Bad(f"{where}: conflicts: unknown field")
    replaced = [_time(t, f"{where}: replaced") for t in raw_repl]
    through = value.get("replaced_through")
    floor = None if through in (None, "") else _time(through, f"{where}: replaced_through")
    return make_note([current, *others], replaced, floor)


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
    return read_state(text)[0]


def read_state(
    text: str,
) -> tuple[State, dict[str, str] | None, dict[Mark, list[str]]]:
    """The state in ``text``; when the file is laid out as written here, the
    exact text of each entry read by the line-oriented reader
    (:mod:`reader.state.regular`; None when the file was read whole as
    YAML); and the lists of read marks in bulk as the file holds them.
    :class:`ValueError` says what is wrong and where."""
    fast = read_regular(text, _parse_yaml)
    if fast is not None:
        return fast
    return _parse_yaml(text), None, {}


def _parse_yaml(text: str) -> State:
    """The full reader: any YAML the format allows."""
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
    unknown = set(data) - {"version", "papers", "read"}
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
    if "read" in data and version < VERSION:
        raise ValueError(f"'read' is a field of format version {VERSION}, not {version}")
    raw = data.get("papers") or {}
    if not isinstance(raw, dict):
        raise ValueError("'papers' must be a mapping of paper ids")
    papers: dict[str, PaperRecord] = {}
    try:
        for pid, value in raw.items():
            try:
                check_id(pid)
            except ValueError:
                raise _Bad(f"not a paper id: {pid!r}") from None
            rec = _parse_record(pid, value)
            if not rec.is_empty():
                papers[pid] = rec
        for pid, rec in _parse_bulk(data.get("read")).items():
            mine = papers.get(pid)
            papers[pid] = rec if mine is None else merge_records(mine, rec)
    except _Bad as exc:
        raise ValueError(str(exc)) from None
    return State(papers, VERSION)


def _parse_bulk(raw: Any) -> dict[str, PaperRecord]:
    """The records of a ``read:`` section: ``'true <time>': 'id id ...'``."""
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise _Bad("'read' must be a mapping of read marks to paper ids")
    out: dict[str, PaperRecord] = {}
    for key, value in raw.items():
        where = f"read: {key}"
        stamp = _parse_stamp(key, where, "value")
        if not isinstance(value, str):
            raise _Bad(f"{where}: expected paper ids separated by spaces")
        rec = PaperRecord(read=stamp)
        for pid in value.split():
            try:
                check_id(pid)
            except ValueError:
                raise _Bad(f"{where}: not a paper id: {pid!r}") from None
            mine = out.get(pid)
            out[pid] = rec if mine is None else merge_records(mine, rec)
    return out


def dump_state(state: State, clock_value: float | None = None) -> str:
    """The text of a state file (papers sorted by id), checked to read back as
    ``state`` (:class:`EncodeError` otherwise)."""
    papers, lists = split_bulk({pid: state.papers[pid] for pid in sorted(state.papers)})
    entries = encode_papers(papers)
    verify_entries(entries, papers)
    texts = {mark: encode_list(mark, ids) for mark, ids in lists.items()}
    verify_lists(texts, lists)
    section = "".join(texts[mark] for mark in sorted(texts))
    clock = time.time() if clock_value is None else clock_value
    return assemble(entries.values(), clock, section)


def assemble(entries: Iterable[str], clock_value: float, section: str = "") -> str:
    """The whole file: the header, the version, the read marks in bulk (the
    lists' lines) and the papers' entries (from :func:`encode_papers`, in the
    order given)."""
    body = ["".join(entries).encode("utf-8")]
    return assemble_bytes(body, clock_value, section.encode("utf-8")).decode("utf-8")


def assemble_bytes(
    entries: Sequence[bytes | memoryview], clock_value: float, section: bytes = b""
) -> bytes:
    """The whole file as written, from the papers' entries (UTF-8, in pieces
    put together once): the header with its check line, the version, the
    read marks in bulk when there are any (version 2), the papers."""
    size = sum(len(e) for e in entries)
    if section:
        version = f"version: {VERSION}\nread:\n".encode() + section
    else:
        version = f"version: {PLAIN_VERSION}\n".encode()
    head = version + (b"papers:\n" if size else b"papers: {}\n")
    crc = zlib.crc32(head)
    for e in entries:
        crc = zlib.crc32(e, crc)
    return b"".join([_header(clock_value, len(head) + size, crc).encode(), head, *entries])


def entries_of(text: str, order: Iterable[str]) -> dict[str, str]:
    """pid -> the exact text of each paper's entry in a state file that
    parsed to papers with ids ``order`` (in the file's order), when the file
    is laid out as this module writes it; ``{}`` otherwise. The store reuses
    these texts (already proven by that parse) instead of checking them again."""
    pids = list(order)
    lines = _lines(text)
    try:
        start = lines.index("papers:\n") + 1
    except ValueError:
        return {}
    if any(not (ln.startswith("#") or ln.startswith("version: ")) for ln in lines[: start - 1]):
        return {}
    entries: list[list[str]] = []
    for line in lines[start:]:
        if _KEY_LINE.match(line) and not line.startswith("  : "):
            entries.append([line])
        elif not entries:
            return {}
        else:
            entries[-1].append(line)
    if len(entries) != len(pids):
        return {}
    out = {pid: "".join(e) for pid, e in zip(pids, entries, strict=True)}
    if any(_layout_problem(e) for e in out.values()):
        return {}
    return out
