"""Writing YAML that reads back as it was written: the one emitter for every
YAML file the reader writes (the state, ``sources.yaml``, UI preferences,
exports). Reading is :mod:`reader.safeload`.

PyYAML's safe emitter (the C one when present) writes any text so that it
parses back, when the document is written whole: a text ending in two or more
line breaks becomes a ``|+`` block, which leaves the document "open ended",
and the emitter closes it with a ``...`` line. Whoever cuts a dump into pieces
(the state writes one piece per paper) must drop that marker:
:func:`strip_end_marker`.
"""

from __future__ import annotations

from typing import Any

import yaml


class Block(str):
    """Text preferably written as a literal ``|`` block (notes, with their
    lines as typed); the emitter picks a quoted style when a block cannot hold
    it (tabs, control characters, trailing spaces)."""


def _represent_block(dumper: yaml.SafeDumper, s: Block) -> yaml.Node:
    style = "|" if "\n" in s else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(s), style=style)


class _PyDumper(yaml.SafeDumper):
    """The pure-Python safe dumper: it escapes what the C one cannot encode
    (a lone surrogate, as in a file name that is not UTF-8)."""


_PyDumper.add_representer(Block, _represent_block)
_CDumper: type | None = None
if hasattr(yaml, "CSafeDumper"):  # ~10x faster; absent where libyaml is missing

    class _CDumperClass(yaml.CSafeDumper):
        pass

    _CDumperClass.add_representer(Block, _represent_block)  # type: ignore[arg-type]
    _CDumper = _CDumperClass


#: The line the emitter adds after an open-ended (``|+``) scalar at the end.
END_MARKER = "...\n"


def dump_yaml(data: Any, *, check: bool = False) -> str:
    """``data`` (dicts, lists, strings, numbers, booleans, None) as one YAML
    document: block style, keys in the given order, Unicode as is, lines of
    about 100 columns. ``check=True`` parses the text back (typed, as
    ``yaml.safe_load`` would) and raises :class:`ValueError` unless it equals
    ``data``; worth it for small files (the cost grows with the size)."""
    options: dict[str, Any] = {
        "allow_unicode": True,
        "sort_keys": False,
        "default_flow_style": False,
        "width": 100,
    }
    try:
        if _CDumper is None:
            raise UnicodeEncodeError("utf-8", "", 0, 0, "no C emitter")
        text = str(yaml.dump(data, Dumper=_CDumper, **options))
    except UnicodeEncodeError:
        text = str(yaml.dump(data, Dumper=_PyDumper, **options))
    if check:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            back = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            raise ValueError(f"the YAML written does not parse back: {exc}") from None
        if back != data:
            raise ValueError("the YAML written does not read back as the data given")
    return text


def strip_end_marker(text: str) -> str:
    """``text`` without the document end marker the emitter may put last."""
    if text.endswith("\n" + END_MARKER):
        return text[: -len(END_MARKER)]
    return text
