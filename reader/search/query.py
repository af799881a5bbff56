"""The query language of the search bar and ``digest-reader search``.

:func:`parse_query` turns the user's text into a :class:`ParsedQuery`: a small
tree of nodes (text nodes, filters, ``And``/``Or``/``Not``), the sort order and
the words to highlight. The parser is a tokenizer plus a recursive descent
with a depth limit; every bad query is a :class:`QueryError` with a short
message, never another exception. Text nodes become Whoosh queries in
:mod:`reader.search.whoosh_query`; filters are applied by the engine, outside
Whoosh (see :mod:`reader.search.engine` and ``docs/search.md``). The words
are analysed by :mod:`reader.search.analysis` (re-exported here).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from reader.ids import arxiv_id, is_arxiv_id
from reader.search.analysis import (
    FIELD_BOOSTS,
    FIELD_SPANS,
    INDEX_FIELD,
    MIN_PREFIX,
    SPAN_WIDTH,
    STOP_WORDS,
    TEXT_FIELDS,
    analyze,
    fold,
    searchable,
    stem,
)

if TYPE_CHECKING:
    from whoosh.query import Query

QUERY_HELP = """\
words            all must match (title, authors, abstract, tags)
a OR b           either;  NOT a  or  -a  excludes;  ( ) groups
"exact phrase"   words in this order;  prefix*  starts with;  word~  typo-tolerant
title: author: abstract: tag:   one field (tag: = your tags and the source's)
id:2401.10000    one paper (an arXiv id alone also finds it)
is:starred  is:read  is:unread  has:code  has:note
upvotes:>20  upvotes:>=5  upvotes:10..50
date:2025-08-21  date:2025-08  date:>2025-08-01  date:2025-08-01..2025-08-21
date:today  date:yesterday  date:7d (last 7 days)  date:4w
sort:relevance  sort:newest  sort:oldest  sort:upvotes
empty query: everything, newest first"""

MAX_QUERY_CHARS = 2000
MAX_DEPTH = 40
MAX_TERMS = 64
SORTS = ("relevance", "newest", "oldest", "upvotes")

_FIELD_ALIASES = {
    "title": "title",
    "ti": "title",
    "author": "authors",
    "authors": "authors",
    "au": "authors",
    "abstract": "abstract",
    "abs": "abstract",
    "tag": "tag",
    "tags": "tag",
    "id": "id",
    "arxiv": "id",
    "is": "is",
    "has": "has",
    "date": "date",
    "day": "date",
    "upvotes": "upvotes",
    "votes": "upvotes",
    "sort": "sort",
}


#: Every name of a text field (``ti:`` as well as ``title:``).
TEXT_FIELD_NAMES = frozenset(
    name for name, f in _FIELD_ALIASES.items() if f in ("title", "authors", "abstract", "tag")
)


class QueryError(ValueError):
    """A query that cannot be run; ``str()`` is a short message for the user."""


# --------------------------------------------------------------------------
# The tree


@dataclass(frozen=True)
class Text:
    """Words in one field (``field`` None: every text field).

    ``kind``: ``term`` (one analysed word), ``phrase`` (several, in order),
    ``prefix`` (a stem prefix), ``fuzzy`` (within ``distance`` edits)."""

    field: str | None
    kind: str
    terms: tuple[str, ...]
    distance: int = 0


@dataclass(frozen=True)
class Tag:
    """``tag:``: the user's tags (from the state) or the source's tags."""

    tag: str
    prefix: bool = False


@dataclass(frozen=True)
class IdIs:
    pid: str


@dataclass(frozen=True)
class StateIs:
    """``is:starred`` / ``is:read`` / ``is:unread`` / ``has:note``."""

    what: str


@dataclass(frozen=True)
class HasCode:
    pass


@dataclass(frozen=True)
class Upvotes:
    lo: int | None
    hi: int | None


@dataclass(frozen=True)
class DateIn:
    """Any of the paper's days in ``lo..hi`` (ISO strings, inclusive)."""

    lo: str
    hi: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Everything:
    pass


Node = Union[Text, Tag, IdIs, StateIs, HasCode, Upvotes, DateIn, And, Or, Not, Everything]  # noqa: UP007
FILTER_TYPES = (Tag, IdIs, StateIs, HasCode, Upvotes, DateIn)


@dataclass
class ParsedQuery:
    """A parsed query.

    ``node`` is the tree (None: everything); ``sort`` the order asked for with
    ``sort:`` (None: relevance when there are positive words, else newest);
    ``terms`` the words to highlight (``prefix*`` kept with its star)."""

    text: str
    node: Node | None
    sort: str | None = None
    terms: list[str] = field(default_factory=list)

    @property
    def has_words(self) -> bool:
        """True when some positive word can rank the results."""
        return bool(self.terms)

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if self.has_words else "newest"

    @property
    def is_text_only(self) -> bool:
        """True when the whole tree can run inside Whoosh."""
        return self.node is not None and is_text(self.node)

    def whoosh_query(self) -> Query | None:
        """The Whoosh query for a text-only tree, else None."""
        if self.node is None or not is_text(self.node):
            return None
        from reader.search.whoosh_query import to_whoosh

        return to_whoosh(self.node)


def is_text(node: Node) -> bool:
    """True when ``node`` and everything under it is text (runs in Whoosh)."""
    if isinstance(node, Text):
        return True
    if isinstance(node, (And, Or)):
        return all(is_text(c) for c in node.children)
    if isinstance(node, Not):
        return is_text(node.child)
    return False


# --------------------------------------------------------------------------
# Tokenizer

# kinds: "(" ")" "OR" "NOT" "AND" "-" "word" "phrase" "field" (field: value follows)
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lp>\()
  | (?P<rp>\))
  | (?P<phrase>"[^"]*"(?:~\d?)?)
  | (?P<quote>")
  | (?P<field>[A-Za-z]+:)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    value: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:  # pragma: no cover - the pattern matches any character
            raise QueryError(f"cannot read the query at {i + 1}")
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "quote":
            raise QueryError(f"unterminated quote at {i + 1}")
        if kind == "field":
            name = value[:-1].lower()
            if name not in _FIELD_ALIASES:
                # "BERT:" or "http:" is not a field: read it as a word.
                m2 = re.compile(r"[^\s()\"]+").match(text, i)
                assert m2 is not None
                toks.append(_Tok("word", m2.group(), i))
                i = m2.end()
                continue
            toks.append(_Tok("field", _FIELD_ALIASES[name], i))
        elif kind == "lp":
            toks.append(_Tok("(", value, i))
        elif kind == "rp":
            toks.append(_Tok(")", value, i))
        elif kind == "phrase":
            toks.append(_Tok("phrase", value, i))
        elif kind == "word":
            if value in ("OR", "||", "|"):
                toks.append(_Tok("OR", value, i))
            elif value == "AND" or value == "&&":
                toks.append(_Tok("AND", value, i))
            elif value == "NOT":
                toks.append(_Tok("NOT", value, i))
            elif value.startswith("-") and len(value) > 1 and not _is_number_like(value):
                toks.append(_Tok("-", "-", i))
                rest = value[1:]
                m3 = _TOKEN.match(rest)
                if m3 is not None and m3.lastgroup == "field":
                    # -is:read, -tag:x
                    name = m3.group()[:-1].lower()
                    if name in _FIELD_ALIASES:
                        toks.append(_Tok("field", _FIELD_ALIASES[name], i + 1))
                        i = i + 1 + m3.end()
                        continue
                toks.append(_Tok("word", rest, i + 1))
            elif value == "-":
                toks.append(_Tok("-", "-", i))
            else:
                toks.append(_Tok("word", value, i))
        i = m.end()
    return toks


def _unknown(name: str, value: str, valid: Sequence[str]) -> QueryError:
    """``unknown sort:up: did you mean sort:upvotes? (relevance, newest,
    oldest, upvotes)``: the one a prefix (or a near spelling) names first."""
    v = value.lower()
    near = [w for w in valid if v and w.startswith(v)]
    if not near:
        import difflib

        near = difflib.get_close_matches(v, valid, n=1)
    if len(near) == 1:  # the hint first: a narrow bar cuts the end
        return QueryError(
            f"unknown {name}:{value}: did you mean {name}:{near[0]}? ({', '.join(valid)})"
        )
    return QueryError(f"unknown {name}:{value} (use {', '.join(valid)})")


def _is_number_like(value: str) -> bool:
    return bool(re.fullmatch(r"-\d+(?:[.,]\d+)?", value))


# --------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, text: str, today: dt.date) -> None:
        self.text = text
        self.today = today
        self.toks = _tokenize(text)
        self.i = 0
        self.sort: str | None = None
        self.terms: list[str] = []
        self.count = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        node = self.parse_and(0, top=True)
        tok = self.peek()
        if tok is not None:
            if tok.kind == ")":
                raise QueryError(f'unbalanced ")" at {tok.pos + 1}')
            raise QueryError(f"unexpected {tok.value!r} at {tok.pos + 1}")  # pragma: no cover
        return node

    def parse_and(self, depth: int, top: bool = False) -> Node | None:
        if depth > MAX_DEPTH:
            raise QueryError("query nested too deeply")
        items: list[Node] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind == ")":
                break
            if tok.kind == "AND":
                self.take()
                continue
            if tok.kind == "OR":
                raise QueryError(f'"OR" needs something before it (at {tok.pos + 1})')
            node = self.parse_or(depth)
            if node is not None:
                items.append(node)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_or(self, depth: int) -> Node | None:
        first = self.parse_unary(depth, negated=False)
        nodes = [first]
        while True:
            tok = self.peek()
            if tok is None or tok.kind != "OR":
                break
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR", "AND"):
                raise QueryError(f'"OR" needs something after it (at {tok.pos + 1})')
            nodes.append(self.parse_unary(depth, negated=False))
        kept = [n for n in nodes if n is not None]
        if len(kept) < len(nodes):
            # "the OR x": a side with nothing searchable matches everything.
            return None
        if len(kept) == 1:
            return kept[0]
        return Or(tuple(kept))

    def parse_unary(self, depth: int, negated: bool) -> Node | None:
        if depth > MAX_DEPTH:
            raise QueryError("query nested too deeply")
        tok = self.peek()
        if tok is None:  # pragma: no cover - callers check
            raise QueryError("the query ends too early")
        if tok.kind in ("NOT", "-"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR", "AND"):
                raise QueryError(f'"{tok.value}" needs something after it (at {tok.pos + 1})')
            if nxt.kind in ("NOT", "-"):
                # Almost always a slip; saying so beats silently flipping the meaning.
                raise QueryError(
                    f'"{tok.value} {nxt.value}" is a double negation (at {tok.pos + 1})'
                )
            child = self.parse_unary(depth + 1, negated=not negated)
            if child is None:
                return None
            if isinstance(child, Not):
                return child.child
            return Not(child)
        return self.parse_atom(depth, negated)

    def parse_atom(self, depth: int, negated: bool) -> Node | None:
        tok = self.take()
        if tok.kind == "(":
            start = self.i
            inner = self.parse_and(depth + 1)
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(f'unbalanced "(" at {tok.pos + 1}')
            self.take()
            if self.i == start + 1:
                raise QueryError(f'empty "( )" at {tok.pos + 1}')
            return inner
        if tok.kind == ")":  # pragma: no cover - parse_and stops before ")"
            raise QueryError(f'unbalanced ")" at {tok.pos + 1}')
        if tok.kind == "field":
            return self.parse_field(tok, depth, negated)
        if tok.kind == "phrase":
            return self.text_node(None, tok.value, tok.pos, negated)
        if tok.kind == "word":
            if is_arxiv_id(tok.value):
                found = arxiv_id(tok.value)
                if found:
                    return IdIs(found)
            return self.text_node(None, tok.value, tok.pos, negated)
        raise QueryError(f"unexpected {tok.value!r} at {tok.pos + 1}")

    def parse_field(self, tok: _Tok, depth: int, negated: bool) -> Node | None:
        name = tok.value
        nxt = self.peek()
        value_pos = nxt.pos if nxt is not None else len(self.text)
        glued = nxt is not None and nxt.pos == tok.pos + len(_field_text(self.text, tok))
        if (
            nxt is None
            or not glued
            or nxt.kind not in ("word", "phrase", "(", "-", "NOT", "OR", "AND")
        ):
            raise QueryError(f'"{_field_text(self.text, tok)}" needs a value after it')
        if nxt.kind == "(":
            if name not in ("title", "authors", "abstract"):
                raise QueryError(f'"{name}:" takes one value, not a group')
            self.take()
            inner = self._group_in_field(name, depth + 1, negated, nxt.pos)
            return inner
        value_tok = self.take()
        value = value_tok.value
        after = self.peek()
        if value_tok.kind == "-" and after is not None and after.kind == "word":
            # "title:-x" : read "-x" as the literal value
            value = "-" + self.take().value
        if name in ("title", "authors", "abstract"):
            return self.text_node(name, value, value_pos, negated)
        if value_tok.kind == "phrase":
            value = value.strip("~0123456789").strip('"')
        if name == "sort":
            if negated:
                raise QueryError('"sort:" cannot be negated')
            v = value.lower()
            if v not in SORTS:
                raise _unknown("sort", value, SORTS)
            self.sort = v
            return None
        if name == "tag":
            t = searchable(value.strip())
            if not t:
                raise QueryError('"tag:" needs a value after it')
            if t.endswith("*"):
                t = t.rstrip("*")
                if not t:
                    raise QueryError('"tag:*" needs a few letters before the star')
                return Tag(t, prefix=True)
            return Tag(t)
        if name == "id":
            found = arxiv_id(value)
            return IdIs(found or value.strip())
        if name == "is":
            v = value.lower()
            if v in ("starred", "star", "read", "unread"):
                return StateIs("starred" if v == "star" else v)
            if v in ("unstarred",):
                return Not(StateIs("starred"))
            raise _unknown("is", value, ("starred", "read", "unread"))
        if name == "has":
            v = value.lower()
            if v == "code":
                return HasCode()
            if v in ("note", "notes"):
                return StateIs("note")
            if v in ("tag", "tags"):
                return StateIs("tagged")
            raise _unknown("has", value, ("code", "note", "tags"))
        if name == "upvotes":
            lo, hi = _parse_number_range(value)
            return Upvotes(lo, hi)
        if name == "date":
            lo_s, hi_s = _parse_date_range(value, self.today)
            return DateIn(lo_s, hi_s)
        raise QueryError(f'unknown field "{name}:"')  # pragma: no cover

    def _group_in_field(self, name: str, depth: int, negated: bool, pos: int) -> Node | None:
        start = self.i
        inner = self.parse_and(depth)
        close = self.peek()
        if close is None or close.kind != ")":
            raise QueryError(f'unbalanced "(" at {pos + 1}')
        self.take()
        if self.i == start + 1:
            raise QueryError(f'empty "( )" at {pos + 1}')
        return None if inner is None else _restrict(inner, name)

    def text_node(self, fieldname: str | None, raw: str, pos: int, negated: bool) -> Node | None:
        self.count += 1
        if self.count > MAX_TERMS:
            raise QueryError(f"too many words (at most {MAX_TERMS})")
        if raw.startswith('"'):
            body = raw[1:]
            slop = 0
            m = re.search(r'"(?:~(\d?))?$', body)
            if m is not None:
                slop = int(m.group(1) or 1) if m.group(0).startswith('"~') else 0
                body = body[: m.start()]
            words = analyze(body)
            if not words:
                return None
            if not negated:
                self.terms.extend(words)
            if len(words) == 1:
                return Text(fieldname, "term", (words[0],))
            return Text(fieldname, "phrase", tuple(words), distance=slop)
        if raw.endswith("*"):
            base = raw.rstrip("*")
            if "*" in base or "?" in base:
                raise QueryError(f"'*' works only at the end of a word (at {pos + 1})")
            plain = _PLAIN_WORD.findall(searchable(base))
            # A stop word before the star ("a*", "an*") is a prefix like any
            # other: its letters, not nothing.
            words = analyze(base) or [stem(w) for w in plain]
            if len(words) != 1 or len(plain) != 1:
                if not words:
                    raise QueryError(f"'*' needs a letter before it (at {pos + 1})")
                raise QueryError(f"'*' needs one plain word before it (at {pos + 1})")
            w = words[0]
            if not negated:
                self.terms.append(w + "*")
            return Text(fieldname, "prefix", (w,))
        fuzzy = re.fullmatch(r"(.+?)~([12]?)", raw)
        if fuzzy is not None:
            words = analyze(fuzzy.group(1))
            if len(words) == 1:
                dist = int(fuzzy.group(2) or 1)
                if not negated:
                    self.terms.append(words[0] + ("~" if dist == 1 else f"~{dist}"))
                return Text(fieldname, "fuzzy", (words[0],), distance=dist)
        if "*" in raw:
            raise QueryError(f"'*' works only at the end of a word (at {pos + 1})")
        words = analyze(raw)
        if not words:
            return None
        if not negated:
            self.terms.extend(words)
        if len(words) == 1:
            return Text(fieldname, "term", (words[0],))
        return Text(fieldname, "phrase", tuple(words))


def _field_text(text: str, tok: _Tok) -> str:
    end = text.find(":", tok.pos)
    return text[tok.pos : end + 1] if end >= 0 else tok.value + ":"


def _restrict(node: Node, name: str) -> Node:
    """Put the text nodes of ``node`` (from ``title:( ... )``) in field ``name``."""
    if isinstance(node, Text):
        return Text(name, node.kind, node.terms, node.distance)
    if isinstance(node, And):
        return And(tuple(_restrict(c, name) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(_restrict(c, name) for c in node.children))
    if isinstance(node, Not):
        return Not(_restrict(node.child, name))
    raise QueryError(f'only words go inside "{name}:( )"')


#: The words of a folded text (stop words kept), as :func:`analyze` finds them.
_PLAIN_WORD = re.compile(r"\w+")
_NUM_RANGE = re.compile(r"^(\d{1,9})?\.\.(\d{1,9})?$")
_NUM_CMP = re.compile(r"^(>=|<=|>|<|=)?(\d{1,9})$")


def _parse_number_range(value: str) -> tuple[int | None, int | None]:
    v = value.strip()
    m = _NUM_RANGE.match(v)
    if m is not None and (m.group(1) or m.group(2)):
        lo = int(m.group(1)) if m.group(1) else None
        hi = int(m.group(2)) if m.group(2) else None
        if lo is not None and hi is not None and lo > hi:
            raise QueryError(f"empty range upvotes:{value}")
        return lo, hi
    m = _NUM_CMP.match(v)
    if m is None:
        raise QueryError(f"upvotes:{value} is not a number (try upvotes:>20 or 10..50)")
    op, n = m.group(1) or "=", int(m.group(2))
    if op == "=":
        return n, n
    if op == ">":
        return n + 1, None
    if op == ">=":
        return n, None
    if op == "<":
        return None, n - 1
    return None, n


_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_AGO = re.compile(r"^(\d{1,4})([dwmy])$")
MIN_DATE = "0000-00-00"
MAX_DATE = "9999-99-99"


def _span(value: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day a date value stands for."""
    v = value.strip().lower()
    try:
        if v == "today":
            return today, today
        if v == "yesterday":
            y = today - dt.timedelta(days=1)
            return y, y
        m = _DAY.match(v)
        if m is not None:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d, d
        m = _MONTH.match(v)
        if m is not None:
            year, month = int(m.group(1)), int(m.group(2))
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, 1), dt.date(year, month, last)
        m = _YEAR.match(v)
        if m is not None:
            year = int(m.group(1))
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except (ValueError, calendar.IllegalMonthError, OverflowError):
        raise QueryError(f"no such date: {value}") from None
    raise QueryError(f"not a date: {value!r} (try 2025-08-21, 2025-08, today or 7d)")


def _parse_date_range(value: str, today: dt.date) -> tuple[str, str]:
    v = value.strip().lower()
    m = _AGO.match(v)
    if m is not None:
        n = int(m.group(1))
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[m.group(2)] * n
        if days < 1:
            raise QueryError(f"date:{value} is an empty period")
        try:
            start = today - dt.timedelta(days=days - 1)
        except OverflowError:
            start = dt.date.min
        return start.isoformat(), today.isoformat()
    if ".." in v:
        a, _, b = v.partition("..")
        lo = _span(a, today)[0].isoformat() if a else MIN_DATE
        hi = _span(b, today)[1].isoformat() if b else MAX_DATE
        if lo > hi:
            raise QueryError(f"empty range date:{value}")
        return lo, hi
    for op in (">=", "<=", ">", "<"):
        if v.startswith(op):
            first, last = _span(v[len(op) :], today)
            try:
                if op == ">=":
                    return first.isoformat(), MAX_DATE
                if op == ">":
                    return (last + dt.timedelta(days=1)).isoformat(), MAX_DATE
                if op == "<=":
                    return MIN_DATE, last.isoformat()
                return MIN_DATE, (first - dt.timedelta(days=1)).isoformat()
            except OverflowError:
                raise QueryError(f"no such date: {value}") from None
    if v.startswith("="):
        v = v[1:]
    first, last = _span(v, today)
    return first.isoformat(), last.isoformat()


def parse_query(text: str, today: dt.date | None = None) -> ParsedQuery:
    """Parse ``text``; raises :class:`QueryError` (only) for a bad query."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long (at most {MAX_QUERY_CHARS} characters)")
    parser = _Parser(text, today or dt.date.today())
    try:
        node = parser.parse()
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise QueryError("query nested too deeply") from None
    node = _simplify(node) if node is not None else None
    terms = list(dict.fromkeys(parser.terms))
    return ParsedQuery(text=text, node=node, sort=parser.sort, terms=terms)


def _simplify(node: Node) -> Node:
    """Flatten nested And/Or."""
    if isinstance(node, (And, Or)):
        kids: list[Node] = []
        for c in node.children:
            c = _simplify(c)
            if type(c) is type(node):
                kids.extend(c.children)
            else:
                kids.append(c)
        if len(kids) == 1:
            return kids[0]
        return type(node)(tuple(kids))
    if isinstance(node, Not):
        child = _simplify(node.child)
        if isinstance(child, Not):
            return child.child
        return Not(child)
    return node


__all__ = [
    "FIELD_BOOSTS",
    "FIELD_SPANS",
    "INDEX_FIELD",
    "MIN_PREFIX",
    "SPAN_WIDTH",
    "STOP_WORDS",
    "TEXT_FIELDS",
    "analyze",
    "fold",
    "searchable",
    "stem",
]
