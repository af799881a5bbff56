"""Shell completion for bash, zsh and fish, through argcomplete.

``eval "$(digest-reader completion bash)"`` (or ``zsh``; fish:
``digest-reader completion fish | source``) installs it for the shell. At
each Tab the shell runs ``digest-reader`` with ``_ARGCOMPLETE`` set;
:func:`complete` then answers from the same parser the commands use
(subcommands and options), plus names read from the config at that moment:
source names for ``fetch``, saved-search names for ``--saved``.

argcomplete rather than shtab: shtab writes a static script (no fish, and
source and saved-search names frozen when it was written); argcomplete asks
the program, so names added to the config complete at once, in all three
shells. Only :mod:`reader.cli` and the config are imported for a Tab (no
Textual, no httpx).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def args_completion(p: argparse.ArgumentParser) -> None:
    """The arguments of ``digest-reader completion``."""
    p.add_argument("shell", choices=SHELLS, help="the shell: bash, zsh or fish")


def cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["digest-reader"], shell=args.shell))
    return 0


def _config_names(what: str) -> list[str]:
    from reader.config import ConfigError, load_config
    from reader.paths import Paths

    try:
        config = load_config(Paths.from_env().config_file)
    except ConfigError:
        return []
    if what == "sources":
        return list(config.fetch.sources)
    return list(config.saved_searches)


def source_names(**_: Any) -> list[str]:
    return _config_names("sources")


def saved_search_names(**_: Any) -> list[str]:
    return _config_names("saved")


def attach(parser: argparse.ArgumentParser) -> None:
    """Give the arguments that name config entries their completers."""
    for action in parser._actions:  # argparse has no public walk of its actions
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for a in sub._actions:
                    if name == "fetch" and a.dest == "names":
                        a.completer = source_names  # argcomplete reads this attribute
                    elif a.dest == "saved":
                        a.completer = saved_search_names


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's Tab (``_ARGCOMPLETE`` is set) and exit."""
    import argcomplete

    attach(parser)
    argcomplete.autocomplete(parser)
