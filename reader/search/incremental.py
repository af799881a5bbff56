"""Search as you type: the word being typed is also a prefix.

``diffusion mod`` finds "diffusion models" before the word is finished:
the last word becomes ``(mod OR mod*)`` (the exact word keeps its relevance
score; the prefix widens the match). Only a plain word, or a text field's
value (``title:zep``, ``ti:zep``, any name of a text field), at the very end of the box is touched: not a word
followed by a space, a phrase, an operator, or a value such as
``date:2025-08``.
"""

from __future__ import annotations

import re

from reader.search.analysis import MIN_PREFIX
from reader.search.query import TEXT_FIELD_NAMES

_LAST_WORD = re.compile(
    r"(?P<lead>^|[\s(])(?P<neg>-?)(?:(?P<field>[A-Za-z]+):)?(?P<word>[^\W\d_][\w\-]*)$"
)
_OPERATORS = {"OR", "AND", "NOT"}
#: What comes right before an open phrase's quote: ``-``, a field name.
_BEFORE_QUOTE = re.compile(r"(?P<neg>-?)(?:(?P<field>[A-Za-z]+):)?$")
_PLAIN_WORD = re.compile(r"[^\W\d_][\w\-]*")
#: A ``field:value`` at the very end of the box (the value perhaps empty).
_LAST_FILTER = re.compile(r"(?:^|(?<=[\s(]))-?[A-Za-z]+:[^\s()\"]*$")
#: An operator (or a lone ``-``) at the very end of the box.
_LAST_OPERATOR = re.compile(r"(?:^|(?<=[\s(]))(?:OR|AND|NOT|\|\||\||&&|-)\s*$")


def expand_last_word(text: str) -> str:
    """``text`` with its last word also matched as a prefix (see module docs)."""
    if text.count('"') % 2:  # inside an open phrase
        return _expand_open_phrase(text)
    m = _LAST_WORD.search(text)
    if m is None:
        return text
    word, field = m.group("word"), m.group("field")
    if len(word) < MIN_PREFIX or word in _OPERATORS or word.endswith("-"):
        return text
    if field is not None and field.lower() not in TEXT_FIELD_NAMES:
        return text
    prefix = f"{field}:" if field else ""
    start = m.start("neg")
    if m.group("neg"):
        # -mod: exclude what starts with it too
        return f"{text[:start]}-{prefix}{word}*"
    return f"{text[:start]}({prefix}{word} OR {prefix}{word}*)"


def _expand_open_phrase(text: str) -> str:
    """``"large lang`` as typed: the phrase so far, or (its last word being
    typed) its words before with that word as a prefix, ``("large lang" OR
    ("large" lang*))``: the word being typed matches as a prefix here too.
    A phrase whose last word is done (a space after it), negated, or under
    a field that is not text, is only closed."""
    at = text.rfind('"')
    head, inner = text[:at], text[at + 1 :]
    closed = f'{text}"'
    words = inner.split()
    m = _BEFORE_QUOTE.search(head)
    assert m is not None  # (it matches the empty end of any text)
    field, last = m.group("field"), words[-1] if words else ""
    if (
        not words
        or inner[-1:].isspace()
        or m.group("neg")
        or len(last) < MIN_PREFIX
        or not _PLAIN_WORD.fullmatch(last)
        or (field is not None and field.lower() not in TEXT_FIELD_NAMES)
    ):
        return closed
    p = f"{field}:" if field else ""
    loose = f"{p}{last}*" if len(words) == 1 else f'{p}"{" ".join(words[:-1])}" {p}{last}*'
    return f'{head[: m.start()]}({p}"{inner}" OR ({loose}))'


def searched_whole(text: str, ran: str) -> bool:
    """Whether the query ``ran`` for the box's ``text`` was all of it (the
    text, or its :func:`expand_last_word`), not :func:`while_typing`'s part."""
    return ran in (text, expand_last_word(text))


def while_typing(text: str) -> str | None:
    """What to search while ``text`` is being typed and neither it nor its
    :func:`expand_last_word` is a valid query because its end is not done:
    a ``field:value`` being typed (``sort:up``, ``is:sta``, ``date:2025-0``,
    ``title:``) or an operator (``x OR``, ``x -``) left out, the brackets
    still open closed. None when nothing of that applies: the error is then
    the query's own and is shown (on Enter, every error is)."""
    rest = _LAST_FILTER.sub("", text)
    rest = _LAST_OPERATOR.sub("", rest)
    rest = expand_last_word(rest) if rest == text else rest
    depth = 0
    quoted = False
    for ch in rest:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
    rest += ")" * depth
    return None if rest == text else rest
