"""The app's key binding ids and default keys, as plain data, and the check of
the config's ``keymap:`` against them.

The app defines its bindings in ``reader/tui/commands.py`` (Textual); the core
must not import Textual, so the ids and default keys are listed here too and
``tests/test_config.py`` checks that both lists agree: a command added there
is added here.

:func:`check_keymap` gives the keymap the app should apply (keys in Textual's
names: ``.`` is ``full_stop``) and one warning per problem, naming the key:
an unknown id, an id with no key binding, no keys, and a key taken from
another action of the main screen (Textual then drops it from that action).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping

#: The main screen's binding ids and their default keys (Textual key names).
MAIN_KEYS: dict[str, str] = {
    "cursor-down": "j,down",
    "cursor-up": "k,up",
    "page-down": "pagedown",
    "page-up": "pageup",
    "first": "g,home",
    "last": "G,end",
    "prev-day": "left_square_bracket",
    "next-day": "right_square_bracket",
    "abstract-down": "space,J",
    "abstract-up": "K,shift+space",
    "star": "s",
    "tag": "t",
    "repeat": "full_stop",
    "read": "r",
    "day-read": "R",
    "next-unread": "N",
    "undo": "u",
    "note": "n",
    "similar": "m",
    "copy-link": "y",
    "copy-menu": "Y",
    "copy-numbered": "l",
    "open": "o",
    "open-pdf": "P",
    "open-menu": "O",
    "search": "slash",
    "sidebar": "b,backslash",
    "catch-up": "c",
    "zoom": "enter,tab",
    "back": "escape",
    "all": "a",
    "sort": "S",
    "problems": "exclamation_mark",
    "new-papers": "w",
    "fetch": "F",
    "reload": "ctrl+r",
    "theme": "ctrl+t",
    "help": "question_mark",
    "quit": "q",
}

#: Binding ids of the other screens, dialogs and widgets (remappable too; their
#: keys do not meet the main screen's).
OTHER_IDS: frozenset[str] = frozenset(
    {
        "abstract-page-down",
        "abstract-page-up",
        "abstract-scroll-down",
        "abstract-scroll-up",
        "confirm-no",
        "confirm-yes",
        "copy-menu-cancel",
        "copy-menu-down",
        "copy-menu-up",
        "export-cancel",
        "help-close",
        "note-cancel",
        "note-save",
        "problems-close",
        "problems-down",
        "problems-up",
        "quit-ctrl-c",
        "sidebar-down",
        "sidebar-forget",
        "sidebar-up",
        "tag-cancel",
    }
)

#: Commands offered only in the command palette: they have no key to remap.
PALETTE_ONLY: frozenset[str] = frozenset({"export"})

# Textual's names for a few characters it names differently from Unicode.
_RENAMED = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def key_name(key: str) -> str:
    """A key as Textual names it: ``.`` -> ``full_stop``, ``j`` -> ``j``."""
    key = key.strip()
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return key
    return _RENAMED.get(name, name)


def _keys(value: str) -> list[str]:
    return [key_name(k) for k in value.split(",") if k.strip()]


def _shown(keys: list[str]) -> str:
    return ", ".join(repr(k) for k in keys) if keys else "no key"


def check_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The keymap to apply (unknown ids left out, keys normalised) and the
    warnings, each starting with ``keymap.<id>``."""
    warnings: list[str] = []
    out: dict[str, str] = {}
    for bid, value in keymap.items():
        where = f"keymap.{bid}"
        if bid in PALETTE_ONLY:
            warnings.append(f"{where}: {bid} is offered in the palette only; it has no key to set")
            continue
        if bid not in MAIN_KEYS and bid not in OTHER_IDS:
            close = difflib.get_close_matches(bid, [*MAIN_KEYS, *OTHER_IDS], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (docs/keys.md lists them)"
            warnings.append(f"{where}: no binding has this id{hint}; ignored")
            continue
        keys = _keys(value)
        if not keys:
            warnings.append(f"{where}: no keys given; ignored")
            continue
        out[bid] = ",".join(keys)
    taken: dict[str, str] = {}  # key -> the remapped main-screen id that has it
    for bid, value in out.items():
        if bid not in MAIN_KEYS:
            continue
        for key in value.split(","):
            if key in taken and taken[key] != bid:
                warnings.append(
                    f"keymap.{bid}: {key!r} is also given to {taken[key]}; give each key once"
                )
                continue
            taken[key] = bid
    for victim, default in MAIN_KEYS.items():
        if victim in out:
            continue  # remapped: it no longer has its default keys anyway
        keys = _keys(default)
        lost = [k for k in keys if k in taken]
        for key in lost:
            left = [k for k in keys if k not in taken]
            warnings.append(
                f"keymap.{taken[key]}: {key!r} was the key of {victim}, which loses it"
                f" and keeps {_shown(left)}"
            )
    return out, warnings
