"""The state file's regular layout (see ``docs/state.md``), written and read
line by line: the entries of papers with stars, read marks and tags (no
note) and plain ids and tags are written by string formatting and read by
one regular expression, ~30x faster than the YAML emitter and parser. Every
other entry (notes, shorthand, unusual ids or tags, anything in doubt) goes
through the YAML emitter and the full YAML reader, and a file not laid out
as written here is read whole by the full YAML reader. The result is the
same either way (``tests/test_state_regular.py`` compares them), and the
file stays plain YAML that any YAML reader reads the same."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from reader.state.bulk import Mark, read_section, record_of
from reader.state.records import (
    MAX_ID,
    PLAIN_VERSION,
    VERSION,
    Note,
    NoteVersion,
    PaperRecord,
    Stamp,
    State,
    normalise_tag,
)

_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
#: YAML 1.1 words a plain scalar must not be (a full YAML reader would not
#: read them as text); a plain id or tag starting with a letter is never a
#: number, a time or ``.inf``.
_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
_PLAIN = r"[A-Za-z][A-Za-z0-9._/+:-]{0,198}[A-Za-z0-9._/+-]|[A-Za-z]"
_QUOTED = r"'[A-Za-z0-9._/+:#=@!$%&*()\[\]{},;?<>|^~`-]{1,200}'"
_KEY = rf"(?:{_QUOTED}|{_PLAIN})"
_ENTRY = re.compile(
    rf"(?m)^  (?P<key>{_KEY}):\n"
    rf"(?:    starred: (?P<s>true|false) (?P<st>{_TIME})\n)?"
    rf"(?:    read: (?P<r>true|false) (?P<rt>{_TIME})\n)?"
    rf"(?:    tags:\n(?P<tags>(?:      {_KEY}: (?:on|off) {_TIME}\n)+))?"
    # a note of one version (no copies, no history): a literal block, one
    # single-quoted line, or one plain line of ordinary characters
    rf"(?:    note:\n      at: '(?P<nt>{_TIME})'\n      text: (?:"
    r"\|(?P<chomp>-?)\n(?P<block>(?:        [^\n]*\n|\n)+)"
    r"|'(?P<sq>(?:[^'\n]|'')*)'\n"
    r"|(?P<plain>[A-Za-z0-9](?:[^\n:#'\"]*[^\s:#'\"])?)\n))?"
)
_TAG_LINE = re.compile(rf"      ({_KEY}): (on|off) ({_TIME})\n")
#: Characters that YAML reads as line breaks, or refuses, or that a block
#: cannot hold: a note holding one is read by the full reader.
_ODD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_HEADER = re.compile(
    r"(?:#[^\n]*\n|\n)*version: (?P<v>\d{1,9})\n(?:read:\n(?P<read>(?: [^\n]*\n)*))?papers:\n"
)


_PLAIN_RE = re.compile(_PLAIN)
_QUOTED_RE = re.compile(_QUOTED)


def _key(name: str) -> str | None:
    """``name`` as written in the regular layout (plain when no YAML reader
    could take it for anything but text, else single-quoted), or None."""
    if _PLAIN_RE.fullmatch(name) and name.lower() not in _WORDS:
        return name
    quoted = f"'{name}'"
    return quoted if _QUOTED_RE.fullmatch(quoted) else None


def encode_regular(pid: str, rec: PaperRecord) -> str | None:
    """The entry of ``pid`` in the regular layout (indented under
    ``papers:``), or None when it needs the YAML emitter (a note, an
    unusual id or tag)."""
    key = _key(pid)
    if key is None or rec.note is not None:
        return None
    lines = [f"  {key}:\n"]
    if rec.starred is not None:
        lines.append(f"    starred: {'true' if rec.starred.value else 'false'} {rec.starred.at}\n")
    if rec.read is not None:
        lines.append(f"    read: {'true' if rec.read.value else 'false'} {rec.read.at}\n")
    if rec.tags:
        lines.append("    tags:\n")
        for tag, s in sorted(rec.tags.items()):
            name = _key(tag)
            if name is None or not _is_tag(tag):
                return None
            lines.append(f"      {name}: {'on' if s.value else 'off'} {s.at}\n")
    return "".join(lines) if len(lines) > 1 else None


_KEY_LINE = re.compile(rf"  ({_KEY}):\n")


def key_of(line: str) -> str | None:
    """The paper id of an entry's first line (``  'id':``) when it is
    written as the regular layout writes ids, else None (in doubt)."""
    m = _KEY_LINE.fullmatch(line)
    return None if m is None else _name(m[1])


def _note_text(
    chomp: str | None, block: str | None, sq: str | None, plain: str | None
) -> str | None:
    """The text of a note matched by the expression (its groups ``chomp``,
    ``block``, ``sq``, ``plain``) as YAML reads it, or None when in doubt."""
    if block is not None:
        if _ODD.search(block):
            return None
        lines = block.splitlines(keepends=True)
        first = next((ln for ln in lines if ln != "\n"), None)
        if first is None or first[8] == " " or first.startswith("        \t"):
            return None  # YAML would take a deeper indentation, or none
        body = "".join(ln if ln == "\n" else ln[8:] for ln in lines)
        body = body.rstrip("\n")
        return body if chomp else body + "\n"
    text = sq.replace("''", "'") if sq is not None else plain
    if text is None or _ODD.search(text):
        return None
    return text


@functools.lru_cache(maxsize=4096)
def _is_tag(name: str) -> bool:
    """True when ``name`` is a tag as stored (a user has a few hundred at most)."""
    return normalise_tag(name) == name


def _name(key: str) -> str | None:
    """The text of a key as YAML reads it, or None when in doubt."""
    if key[0] == "'":
        return key[1:-1]
    return None if key.lower() in _WORDS else key


def read_regular(
    text: str, parse_yaml: Callable[[str], State]
) -> tuple[State, dict[str, str], dict[Mark, list[str]]] | None:
    """The state in ``text``, per paper the exact text of its entry (of
    every paper written as an entry, unless the entries read as YAML could
    not be told apart) and the lists of read marks in bulk; ``None`` when
    the file is not laid out as written here (read it whole as YAML then).
    Entries the expression cannot read are given to ``parse_yaml`` (the
    full reader) as one ``papers:`` document."""
    head = _HEADER.match(text)
    if head is None or not text.endswith("\n"):
        return None
    version = int(head["v"])
    lists: dict[Mark, list[str]] = {}
    if head["read"] is not None:
        if version != VERSION:
            return None  # the full reader says what is wrong
        got = read_section(head["read"])
        if got is None:
            return None
        lists = got
    elif version not in (PLAIN_VERSION, VERSION):
        return None
    papers: dict[str, PaperRecord] = {}
    entries: dict[str, str] = {}
    hard: list[str] = []  # texts for the full reader, in order
    last: str | None = None  # the pid read last, while nothing came after it
    stamps: dict[str, Stamp] | None = {}  # bulk changes share their stamps (and memory)

    def stamp(value: str, at: str) -> Stamp:
        nonlocal stamps
        if stamps is None:  # times all different: sharing saves nothing
            return Stamp(at, value == "true" or value == "on")
        s = stamps.get(value + at)
        if s is None:
            if len(stamps) > 4096:
                stamps = None if len(papers) < 2 * 4096 else {}
            s = Stamp(at, value == "true" or value == "on")
            if stamps is not None:
                stamps[value + at] = s
        return s

    def gap(chunk: str) -> None:
        nonlocal last
        if last is not None and not _STARTS_ENTRY.match(chunk):
            # the entry read last goes on (a note, say): the full reader reads it all
            del papers[last]
            chunk = entries.pop(last) + chunk
        hard.append(chunk)
        last = None

    pos = head.end()
    for m in _ENTRY.finditer(text, pos):
        begin, stop = m.span()
        if begin != pos:
            gap(text[pos:begin])
        pos = stop
        last = None
        # one call for every group (looking them up by name is half the cost)
        key, s, st, r, rt, block, nt, *said = m.groups()
        pid = _name(key)
        tags: dict[str, Stamp] = _NO_TAGS
        if pid is not None and block:
            tags = {}
            for tag, value, at in _TAG_LINE.findall(block):
                name = _name(tag)
                if name is None or name in tags or not _is_tag(name):
                    pid = None
                    break
                tags[name] = stamp(value, at)
        note = None
        if pid is not None and nt:
            words = _note_text(*said)
            if words is None:
                pid = None
            else:
                note = Note(NoteVersion(nt, words))
        if pid is None or pid in papers or not (s or r or block or note):
            hard.append(text[begin:stop])  # in doubt, twice or empty: the full reader decides
            continue
        papers[pid] = PaperRecord(
            stamp(s, st) if s else None,
            stamp(r, rt) if r else None,
            tags,
            note,
        )
        entries[pid] = text[begin:stop]
        last = pid
    if pos != len(text):
        gap(text[pos:])
    if hard:
        rest = "".join(hard)
        if _TOP_LINE.search(rest):
            return None  # not only papers' entries: read the file whole
        try:
            theirs = parse_yaml("papers:\n" + rest).papers
        except ValueError:
            return None  # the full reader says what is wrong, and on which line
        if any(pid in papers for pid in theirs):
            return None  # a paper twice: the full reader says where
        papers.update(theirs)
        starts = [m.start() for m in _ENTRY_AT.finditer(rest)]
        if len(starts) == len(theirs) and starts and starts[0] == 0:
            # each of these entries' text, as it stands (it was just read)
            ends = [*starts[1:], len(rest)]
            for pid, a, b in zip(theirs, starts, ends, strict=True):
                entries[pid] = rest[a:b]
    for mark, ids in lists.items():
        rec = record_of(mark)
        for pid in ids:
            if pid in papers or len(pid) > MAX_ID:
                return None  # twice, or not an id: the full reader merges or says so
            papers[pid] = rec
    return State(papers, VERSION), entries, lists


_STARTS_ENTRY = re.compile(r"  [^ \n\r\t#]")
_ENTRY_AT = re.compile(r"^  [^ \n\r\t#:]", re.M)
#: The tags of a paper without tags (shared: records are never changed in place).
_NO_TAGS: dict[str, Stamp] = {}
_TOP_LINE = re.compile(r"^[^ \n]", re.M)
