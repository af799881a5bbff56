"""Shell completion for bash, zsh and fish.

``digest-reader completion SHELL`` prints a script generated from the CLI's own
argparse parser (:mod:`reader.completion.spec` reads it; one renderer per
shell). Subcommands, options and fixed option values are written into the
script, so most Tabs start no process at all. The names that live in the
user's config (saved searches, fetch sources) are asked for at Tab time with
the hidden ``digest-reader __complete KIND [PREFIX]``, answered by
:mod:`reader.completion.names` without importing the CLI, the library, Textual
or Whoosh (see :mod:`reader.entry`).

Nothing here is imported at module level: the ``__complete`` fast path imports
this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

#: The shells a script can be generated for.
SHELLS = ("bash", "zsh", "fish")

#: Values that are file or folder names (the shell's own file completion).
FILES = "files"
#: Saved-search names from the config, asked for at Tab time.
SAVED_SEARCHES = "saved-searches"
#: Fetch source names from the config (``fetch: sources:``), asked for at Tab time.
FETCH_SOURCES = "fetch-sources"
#: The kinds answered by ``digest-reader __complete KIND``.
DYNAMIC = (SAVED_SEARCHES, FETCH_SOURCES)


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`)."""
    import importlib

    from reader.completion.spec import read_parser

    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r} (one of: {', '.join(SHELLS)})")
    renderer = importlib.import_module(f"reader.completion.{shell}")
    text: str = renderer.render(read_parser(parser))
    return text
