"""The one sanitiser for every string that came from a digest.

Applied where text enters the core (formats) and again where it reaches the
screen or the clipboard. It

* removes complete escape sequences: CSI (``ESC [`` and 8-bit ``0x9b``), OSC,
  DCS, APC, PM and SOS (7-bit ``ESC ] P _ ^ X`` and 8-bit ``0x9d 0x90 0x9f 0x9e
  0x98``) up to their terminator (BEL or ST);
* shows every remaining C0 control (but newline and tab), DEL and C1 control as
  a visible placeholder (the Unicode "control pictures", ``U+2400``...);
* neutralises bidi overrides and isolates (removed);
* caps runs of combining marks (a "Zalgo" title cannot stall the renderer).
"""

from __future__ import annotations

import re
import unicodedata

_ST = r"(?:\x1b\\|\x9c|\x07)"
_SEQ = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI
    rf"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*{_ST}"  # OSC DCS SOS PM APC
)
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_COMBINING = 4
_COMBINING_RUN = re.compile(
    r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{5,}"
)


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"  # C1: no control picture exists


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds anything :func:`clean` would change (but CRLF)."""
    return bool(
        _CONTROL.search(text.replace("\r\n", "\n"))
        or any(ord(c) in _BIDI for c in text)
        or _COMBINING_RUN.search(text)
    )


def clean(text: str, *, newlines: bool = True) -> str:
    """Return ``text`` made inert for a terminal (see module docs).

    With ``newlines=False`` (titles, tags, one-line fields) newlines and tabs
    become spaces too.
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text
    s = text.replace("\r\n", "\n")
    s = _SEQ.sub("", s)
    s = s.translate(_BIDI)
    if not newlines:
        s = s.replace("\n", " ").replace("\t", " ")
    s = _CONTROL.sub(_picture, s)
    if _COMBINING_RUN.search(s):
        s = _COMBINING_RUN.sub(lambda m: m.group()[:_MAX_COMBINING], s)
    return s


def clean_line(text: str) -> str:
    """:func:`clean` for one-line fields: newlines and tabs become spaces."""
    return clean(text, newlines=False)


def is_control_free(text: str) -> bool:
    """True when ``text`` has no control character at all (what the clipboard takes)."""
    return not any(unicodedata.category(c) == "Cc" for c in text)
