"""The reader's own themes, and the choice of theme at start.

``digest-dark`` and ``digest-light`` are ours; Textual 8.2 ships ``ansi-dark``
and ``ansi-light`` (native terminal colours, for terminals with few colours)
and the usual built-ins. ``NO_COLOR`` is honoured by Textual itself (a
monochrome filter over every frame); we also start on an ANSI theme then, so
what is left is the terminal's own default colours.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from textual.theme import Theme

DIGEST_DARK = Theme(
    name="digest-dark",
    primary="#5FA8D3",
    secondary="#8C7AE6",
    accent="#F0B429",
    warning="#F0B429",
    error="#E5534B",
    success="#57AB5A",
    foreground="#D8DEE4",
    background="#161B22",
    surface="#1C232C",
    panel="#243040",
    dark=True,
    variables={
        "block-cursor-text-style": "none",
        "footer-key-foreground": "#5FA8D3",
    },
)

DIGEST_LIGHT = Theme(
    name="digest-light",
    primary="#1F6FB2",
    secondary="#6E56CF",
    accent="#B7791F",
    warning="#B7791F",
    error="#C62828",
    success="#2E7D32",
    foreground="#1F2328",
    background="#FBFAF7",
    surface="#F2F0EA",
    panel="#E4E8EE",
    dark=False,
    variables={
        "block-cursor-text-style": "none",
        "footer-key-foreground": "#1F6FB2",
    },
)

OUR_THEMES = (DIGEST_DARK, DIGEST_LIGHT)
#: What ``ctrl+t`` cycles through (every other theme is in the palette).
CYCLE = ("digest-dark", "digest-light", "ansi-dark", "ansi-light", "textual-dark", "textual-light")
DEFAULT = "digest-dark"


def few_colours(environ: Mapping[str, str] | None = None) -> bool:
    """True for terminals that should get native ANSI colours: ``NO_COLOR``
    set, the Linux console, or a ``TERM`` that says 8/16 colours."""
    env = os.environ if environ is None else environ
    if "NO_COLOR" in env:
        return True
    term = env.get("TERM", "")
    if env.get("COLORTERM"):
        return False
    return term in ("linux", "vt100", "vt220", "ansi", "dumb") or term.endswith(
        ("-16color", "-8color", "-color")
    )


def initial_theme(
    remembered: str | None,
    configured: str | None,
    available: set[str],
    environ: Mapping[str, str] | None = None,
) -> str:
    """The theme to start on: the one last chosen in the app, else the config's,
    else an ANSI theme for few-colour terminals, else ``digest-dark``."""
    for name in (remembered, configured):
        if name and name in available:
            return name
    return "ansi-dark" if few_colours(environ) else DEFAULT
