"""Safe parsing of YAML and JSON from digests and from the user's own files.

YAML: every scalar stays the string that was written (``2401.10000`` is not a
float, ``NO`` is not False), aliases are refused (no "billion laughs"), nesting
is bounded, tags such as ``!!python/object`` are refused, and duplicate keys are
reported. JSON: nesting bounded, ``NaN``/``Infinity`` (and numbers that
overflow to them, ``1e999``) refused, integers longer than
:data:`MAX_NUMBER_DIGITS` digits refused, lone surrogates (``"\\ud800"``)
replaced with U+FFFD, duplicate keys reported. Both raise :class:`LoadError`
with a message (and line when known); nothing else escapes. At most
:data:`MAX_WARNINGS` duplicate-key warnings are kept per document (then one
that counts the rest).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_DEPTH = 64
#: Duplicate-key warnings kept per document (a hostile file can hold millions).
MAX_WARNINGS = 20
#: Longest integer accepted in JSON (Python refuses > 4300 digits with a
#: ValueError of its own; no digest field needs more than a few).
MAX_NUMBER_DIGITS = 100


class LoadError(ValueError):
    """A file that could not be parsed: ``message`` and, when known, ``line``."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Parsed:
    """A parsed document and the warnings met (duplicate keys, with lines)."""

    data: Any
    warnings: list[tuple[int | None, str]] = field(default_factory=list)
    #: The composed YAML node tree (``load_yaml`` only), for :func:`item_lines`.
    root: Any = None


try:  # the C parser is ~10x faster; fall back to pure Python where it is missing
    _Loader: type = yaml.CBaseLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.BaseLoader


def _check_nodes(root: yaml.Node, warnings: list[tuple[int | None, str]]) -> None:
    """Refuse aliases and deep nesting; report duplicate keys. Iterative, so a
    hostile document cannot exhaust the Python stack."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 1 if node.start_mark else None
        if id(node) in seen:
            raise LoadError("YAML aliases (&anchor / *alias) are not allowed", line)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", line)
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys:
                        kline = k.start_mark.line + 1 if k.start_mark else None
                        _warn(warnings, kline, f"duplicate key {k.value!r} (the last one is kept)")
                    keys.add(k.value)
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif node.tag.startswith("tag:yaml.org,2002:python") or node.tag.startswith("!"):
            raise LoadError(f"YAML tag {node.tag} is not allowed", line)


def _warn(warnings: list[tuple[int | None, str]], line: int | None, message: str) -> None:
    """Add a warning, keeping at most :data:`MAX_WARNINGS` (the last one counts
    the rest)."""
    if len(warnings) < MAX_WARNINGS:
        warnings.append((line, message))
        return
    extra = 1
    if len(warnings) > MAX_WARNINGS:
        extra += int(warnings[-1][1].split()[0])
        warnings.pop()
    warnings.append((None, f"{extra} more duplicate key{'s' * (extra != 1)} not listed"))


def _check_tags(node: yaml.Node) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        tag = n.tag or ""
        if not tag.startswith("tag:yaml.org,2002:") or "python" in tag:
            line = n.start_mark.line + 1 if n.start_mark else None
            raise LoadError(f"YAML tag {tag} is not allowed", line)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def load_yaml(text: str) -> Parsed:
    """Parse one YAML document safely (see module docs); an empty one is None."""
    warnings: list[tuple[int | None, str]] = []
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return Parsed(None, warnings)
            _check_nodes(node, warnings)
            _check_tags(node)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except LoadError:
        raise
    except yaml.reader.ReaderError as exc:
        at = text[: max(0, exc.position)].count("\n") + 1
        what = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise LoadError(
            f"not valid YAML: character {what} is not allowed ({exc.reason})", at
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise LoadError(f"not valid YAML: {_one_line(msg)}", line) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"not valid YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except UnicodeError:
        raise LoadError("not valid YAML: text that cannot be encoded as UTF-8") from None
    except (ValueError, TypeError, OverflowError) as exc:  # the parser's own limits
        raise LoadError(f"not valid YAML: {_one_line(str(exc))}") from None
    return Parsed(data, warnings, root=node)


def _one_line(text: str) -> str:
    """Parser messages are shown on one line (they may quote the document)."""
    return " ".join(text.split())[:300]


def item_lines(parsed: Parsed, key: str) -> list[dict[str, int]]:
    """Line numbers (1-based) for the items of the sequence under the top-level
    mapping key ``key`` of a YAML document: one dict per item, ``""`` giving the
    item's first line and each scalar key of a mapping item the line of its
    value. Empty when the document has no such sequence (or is not YAML)."""
    root = parsed.root
    if not isinstance(root, yaml.MappingNode):
        return []
    seq = None
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            seq = v
    if not isinstance(seq, yaml.SequenceNode):
        return []
    out: list[dict[str, int]] = []
    for item in seq.value:
        lines = {"": item.start_mark.line + 1}
        if isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if isinstance(k, yaml.ScalarNode):
                    lines[k.value] = v.start_mark.line + 1
        out.append(lines)
    return out


def _reject_constant(name: str) -> Any:
    raise LoadError(f"JSON constant {name} is not allowed")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LoadError(f"JSON number {text[:40]} is out of range")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise LoadError(f"JSON number of {len(text)} digits is too long")
    return int(text)


#: A ``\uD800``-``\uDFFF`` escape: only then can a lone surrogate appear.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def load_json(text: str) -> Parsed:
    """Parse JSON safely (see module docs)."""
    warnings: list[tuple[int | None, str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for k, v in items:
            if k in d:
                _warn(warnings, None, f"duplicate key {k!r} (the last one is kept)")
            d[k] = v
        return d

    try:
        data = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except LoadError:
        raise
    except json.JSONDecodeError as exc:
        raise LoadError(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise LoadError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. Python's own number limits
        raise LoadError(f"not valid JSON: {_one_line(str(exc))}") from None
    if depth_exceeds(data, MAX_DEPTH):
        raise LoadError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text):
        data = _replace_surrogates(data)
    return Parsed(data, warnings)


def _fix(s: str) -> str:
    return _SURROGATE.sub("\ufffd", s)


def _replace_surrogates(data: Any) -> Any:
    """``data`` with every lone surrogate in keys and strings made U+FFFD
    (depth is already bounded, so recursion is safe)."""
    if isinstance(data, str):
        return _fix(data)
    if isinstance(data, list):
        return [_replace_surrogates(v) for v in data]
    if isinstance(data, dict):
        return {_fix(k): _replace_surrogates(v) for k, v in data.items()}
    return data


def depth_exceeds(data: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``data`` nests deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values() if isinstance(x, (dict, list)))
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v if isinstance(x, (dict, list)))
    return False
