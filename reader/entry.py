"""The ``digest-reader`` entry point, and ``python -m reader``.

A Tab that needs names from the config runs ``digest-reader __complete ...``:
that is answered here before :mod:`reader.cli` (and with it the library and
the formats) is imported, so it costs a Python start and a YAML read. Every
other command goes to :func:`reader.cli.main`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["__complete"]:
        return complete(args[1:])
    from reader.cli import main as cli_main

    return cli_main(args)


def complete(argv: Sequence[str]) -> int:
    """``digest-reader __complete KIND [PREFIX]``: the names, one a line."""
    from reader.completion import DYNAMIC
    from reader.completion.names import names

    if len(argv) not in (1, 2) or argv[0] not in DYNAMIC:
        sys.stderr.write(f"usage: digest-reader __complete {{{','.join(DYNAMIC)}}} [PREFIX]\n")
        return 2
    for name in names(*argv):
        sys.stdout.write(name + "\n")
    return 0
