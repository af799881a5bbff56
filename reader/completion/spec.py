"""What the completion scripts know, read from the CLI's argparse parser.

:func:`read_parser` turns the parser into a :class:`Program`: each command with
its options (and whether each takes a value, and which values complete) and
its positional slots in order. The renderers (``bash``, ``zsh``, ``fish``) work
from this model only.

What a value completes to is, in this order: what the argument was marked with
(:func:`complete_with`), its argparse ``choices``, file names when its metavar
names a file or folder, else nothing (free text such as an id or a query).

argparse has no public way to walk a parser's arguments: the private
``_actions``, ``_SubParsersAction`` and ``_choices_actions`` are read here and
nowhere else (stable since Python 3.2; shtab and argcomplete read the same).
The tests generate every script from the real parser, so a change there fails
loudly.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from reader.completion import FETCH_SOURCES, FILES

_ATTRIBUTE = "complete"
#: Metavars whose values are file or folder names.
_FILE_METAVARS = {"PATH", "FILE", "FOLDER", "DIR"}


@dataclass(frozen=True)
class Values:
    """What completes as an argument's value: ``kind`` is ``text`` (nothing
    to offer), ``choices`` (then :attr:`choices`), :data:`~reader.completion.FILES`, or
    one of :data:`~reader.completion.DYNAMIC`."""

    kind: str = "text"
    choices: tuple[str, ...] = ()


TEXT = Values()


@dataclass(frozen=True)
class Option:
    """One option of a command: ``--json``, or ``-f/--format`` with a value."""

    names: tuple[str, ...]
    help: str
    values: Values | None
    """None for a flag (``--json``); what its value completes to otherwise."""
    repeatable: bool = False
    metavar: str = ""
    """The value's name in ``--help`` (``N``, ``FILE``); empty for a flag."""

    @property
    def long(self) -> list[str]:
        return [n for n in self.names if n.startswith("--")]

    @property
    def short(self) -> list[str]:
        return [n for n in self.names if not n.startswith("--")]


@dataclass(frozen=True)
class Positional:
    name: str
    help: str
    values: Values
    optional: bool = False


@dataclass(frozen=True)
class Command:
    """One command: its options and its positional slots. ``rest`` completes
    every positional word after the slots (``PATH...``), None when the
    command takes no more."""

    name: str
    help: str
    options: tuple[Option, ...]
    slots: tuple[Positional, ...]
    rest: Positional | None

    def value_options(self) -> list[str]:
        """Every option string that takes a value (``--limit``, ``-f``)."""
        return [n for o in self.options if o.values is not None for n in o.names]


@dataclass(frozen=True)
class Program:
    name: str
    version: str
    options: tuple[Option, ...]
    """The top-level options (``--help``, ``--version``)."""
    commands: tuple[Command, ...] = field(default_factory=tuple)


def complete_with(action: argparse.Action, values: str | Sequence[str]) -> argparse.Action:
    """Mark ``action`` (what ``add_argument`` returned): its value completes to
    ``values``, a kind (:data:`~reader.completion.FILES`, one of
    :data:`~reader.completion.DYNAMIC`) or a list of
    fixed words (such as export formats that argparse does not check itself)."""
    setattr(action, _ATTRIBUTE, values)
    return action


def _metavar(action: argparse.Action) -> str:
    if isinstance(action.metavar, str):
        return action.metavar
    return action.dest.upper() if action.option_strings else action.dest


def _values(action: argparse.Action, command: str) -> Values:
    marked = getattr(action, _ATTRIBUTE, None)
    if isinstance(marked, str):
        return Values(marked)
    if marked is not None:
        return Values("choices", tuple(str(c) for c in marked))
    if action.choices is not None:
        return Values("choices", tuple(str(c) for c in action.choices))
    if not action.option_strings and command == "fetch":
        # fetch's NAME... positional (built in another branch) names sources
        # whether or not it was marked.
        return Values(FETCH_SOURCES)
    if _metavar(action).upper() in _FILE_METAVARS:
        return Values(FILES)
    return TEXT


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if "%" in text:
        with contextlib.suppress(KeyError, TypeError, ValueError):  # as argparse shows it
            text = text % {**vars(action), "prog": ""}
    return " ".join(text.split())


def _shown(action: argparse.Action) -> bool:
    return action.help != argparse.SUPPRESS


def _options(actions: Sequence[argparse.Action], command: str) -> tuple[Option, ...]:
    found = []
    for a in actions:
        if not a.option_strings or not _shown(a):
            continue
        takes_value = a.nargs != 0
        found.append(
            Option(
                names=tuple(a.option_strings),
                help=_help(a),
                values=_values(a, command) if takes_value else None,
                repeatable=isinstance(a, (argparse._AppendAction, argparse._CountAction)),
                metavar=_metavar(a) if takes_value else "",
            )
        )
    return tuple(found)


def _command(name: str, help: str, parser: argparse.ArgumentParser) -> Command:
    slots: list[Positional] = []
    rest: Positional | None = None
    for a in parser._actions:
        if a.option_strings or not _shown(a) or rest is not None:
            continue
        positional = Positional(_metavar(a), _help(a), _values(a, name), a.nargs == "?")
        if a.nargs in ("*", "+", argparse.REMAINDER):
            rest = positional
        elif isinstance(a.nargs, int):
            slots += [positional] * a.nargs
        else:
            slots.append(positional)
    return Command(name, help, _options(parser._actions, name), tuple(slots), rest)


def read_parser(parser: argparse.ArgumentParser) -> Program:
    """The model of ``parser``: its top-level options and every command that
    ``--help`` shows (a hidden one is left out)."""
    from reader import __version__

    commands: list[Command] = []
    for a in parser._actions:
        if not isinstance(a, argparse._SubParsersAction):
            continue
        helps = {c.dest: c.help or "" for c in a._choices_actions}
        for name, sub in a.choices.items():
            if name in helps and helps[name] != argparse.SUPPRESS:
                commands.append(_command(name, " ".join(helps[name].split()), sub))
    return Program(
        name=parser.prog,
        version=__version__,
        options=_options(parser._actions, ""),
        commands=tuple(commands),
    )
