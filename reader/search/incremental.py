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


def expand_last_word(text: str) -> str:
    """``text`` with its last word also matched as a prefix (see module docs)."""
    if text.count('"') % 2:  # inside an open phrase
        return text
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
