"""Safe XML parsing for the feed formats (Atom, RSS).

Feeds come from the internet, so a document type declaration is never
processed: a feed holding ``<!DOCTYPE`` or ``<!ENTITY`` is refused before the
parser sees it (no entity expansion, no external entities, no "billion laughs"),
and the expat parser is also told to refuse any DTD it might meet anyway.

A feed that is not well-formed is recovered only where that is safe and the
meaning is plain: a bare ``&`` (``Planning & Reasoning``) becomes ``&amp;`` and an
HTML named entity (``&nbsp;``) becomes its character. Each repair is reported
as a warning naming its line. Anything else gives :class:`XmlError` with the
line and column expat reports.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

#: Refuse bigger documents outright (formats are capped earlier anyway).
MAX_XML_CHARS = 40 * 1024 * 1024

_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}
_AMP = re.compile(r"&(?:(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z_][A-Za-z0-9._-]*);)?")
_RAW = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
_ELEMENT = re.compile(r"<[A-Za-z_:]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


class XmlError(ValueError):
    """A feed that cannot be parsed safely: ``message`` and, when known, ``line``."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class ParsedXml:
    """The root element and the repairs made (``(line, message)``)."""

    root: ET.Element
    warnings: list[tuple[int | None, str]] = field(default_factory=list)


def _refuse(*_args: object) -> None:
    raise XmlError("XML document type declarations (DTD, entities) are not allowed")


def _parser() -> ET.XMLParser:
    parser = ET.XMLParser()
    expat = getattr(parser, "parser", None)  # the pyexpat object under ElementTree
    if expat is not None:
        expat.StartDoctypeDeclHandler = _refuse
        expat.EntityDeclHandler = _refuse
        expat.ExternalEntityRefHandler = _refuse
    return parser


def _parse(text: str) -> ET.Element:
    parser = _parser()
    parser.feed(text)
    return parser.close()


def _repair_amps(text: str) -> tuple[str, list[tuple[int | None, str]]]:
    """Escape bare ``&`` and decode HTML named entities outside CDATA sections and
    comments; report each repaired line once."""
    out: list[str] = []
    notes: list[tuple[int | None, str]] = []
    seen: set[tuple[int, str]] = set()
    pos = 0
    for m in _RAW.finditer(text):
        out.append(_repair_span(text, pos, m.start(), notes, seen))
        out.append(m.group())
        pos = m.end()
    out.append(_repair_span(text, pos, len(text), notes, seen))
    return "".join(out), notes


def _repair_span(
    text: str,
    start: int,
    end: int,
    notes: list[tuple[int | None, str]],
    seen: set[tuple[int, str]],
) -> str:
    out: list[str] = []
    last = start
    for m in _AMP.finditer(text, start, end):
        ref = m.group(1)
        if ref is not None and (ref.startswith("#") or ref in _PREDEFINED):
            continue
        line = text.count("\n", 0, m.start()) + 1
        out.append(text[last : m.start()])
        if ref is None:
            out.append("&amp;")
            msg = "bare '&' read as '&amp;' (the feed is not well-formed XML)"
        else:
            char = html.entities.html5.get(ref + ";")
            if char is None:
                out.append("&amp;" + ref + ";")
                msg = f"unknown entity '&{ref};' kept as text"
            else:
                out.append(_xml_escape(char))
                msg = f"HTML entity '&{ref};' read as its character"
        if (line, msg) not in seen:
            seen.add((line, msg))
            notes.append((line, msg))
        last = m.end()
    out.append(text[last:end])
    return "".join(out)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def parse_xml(text: str) -> ParsedXml:
    """Parse a feed safely (see module docs); raises :class:`XmlError` only."""
    if len(text) > MAX_XML_CHARS:
        raise XmlError("XML document too large")
    first_element = _ELEMENT.search(text)
    prolog = text[: first_element.start()] if first_element else text
    m = _DTD.search(prolog)
    if m is not None:
        line = text.count("\n", 0, m.start()) + 1
        kind = m.group(1).upper()
        raise XmlError(
            f"XML {kind} declarations are not allowed (entity expansion is refused)", line
        )
    text = _XML_DECL.sub("", text, count=1)  # a str is already decoded
    try:
        return ParsedXml(_parse(text))
    except XmlError:
        raise
    except ET.ParseError as first:
        line, col = first.position
        repaired, notes = _repair_amps(text)
        if notes:
            try:
                return ParsedXml(_parse(repaired), notes)
            except XmlError:
                raise
            except ET.ParseError as second:
                line, col = second.position
        raise XmlError(f"not well-formed XML (line {line}, column {col + 1})", line) from None
    except RecursionError:
        raise XmlError("XML nested too deeply") from None


def local(tag: str) -> str:
    """The tag name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def child(el: ET.Element, name: str) -> ET.Element | None:
    """The first child whose local name is ``name`` (any namespace)."""
    for c in el:
        if isinstance(c.tag, str) and local(c.tag) == name:
            return c
    return None


def children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if isinstance(c.tag, str) and local(c.tag) == name]


def text_of(el: ET.Element | None) -> str:
    """All the text inside ``el`` (its own and its children's), or ""."""
    if el is None:
        return ""
    return "".join(el.itertext())


def child_text(el: ET.Element, name: str) -> str:
    return text_of(child(el, name))
