"""The state file's YAML (version 1, see ``docs/state.md``): records to text
and text to records. No files here: the store reads and writes them."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from reader.safeload import LoadError, load_yaml
from reader.state.records import (
    EPOCH,
    MAX_REPLACED,
    VERSION,
    Note,
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    check_id,
    format_time,
    normalise_tag,
    parse_time,
)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


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


def dump_papers(papers: Mapping[str, PaperRecord]) -> dict[str, str]:
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
    except ValueError:
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
                check_id(pid)
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
    chunks = dump_papers(papers)
    return assemble(chunks, papers, time.time() if clock_value is None else clock_value)


def assemble(chunks: Mapping[str, str], order: Iterable[str], clock_value: float) -> str:
    parts = [_header(clock_value), f"version: {VERSION}\n"]
    body = [_indent(chunks[pid]) for pid in order]
    parts.append("papers:\n" if body else "papers: {}\n")
    parts.extend(body)
    return "".join(parts)


# -- the store -----------------------------------------------------------------
