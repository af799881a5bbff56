"""``digest-reader fetch`` and ``digest-reader doctor``: the command-line side
of :mod:`reader.fetch` and :mod:`reader.doctor` (see docs/fetch.md).

Exit status of ``fetch``: 0 when every source answered (empty days included),
1 when some failed (what did answer is saved), 2 for a usage or config error.
``doctor``: 0 when nothing is a problem (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from reader.config import ConfigError, load_config
from reader.paths import Paths
from reader.sanitize import clean_line


class UsageError(Exception):
    """Bad arguments or a bad config: exit status 2."""


def args_fetch(p: argparse.ArgumentParser) -> None:
    """The arguments of ``digest-reader fetch``."""
    p.add_argument(
        "names",
        nargs="*",
        default=[],
        metavar="NAME",
        help="sources to fetch (default: all configured)",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--date", metavar="YYYY-MM-DD", help="fetch this one day")
    when.add_argument("--week", metavar="YYYY-Www", help="fetch this ISO week (2026-W48)")
    when.add_argument("--month", metavar="YYYY-MM", help="fetch this month")
    when.add_argument(
        "--since", metavar="YYYY-MM-DD", help="fetch every day from this one to today"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list: source, date, status, papers, new, error",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="print only errors (for cron)")


def args_doctor(p: argparse.ArgumentParser) -> None:
    """The arguments of ``digest-reader doctor``."""
    p.add_argument("--offline", action="store_true", help="do not try to reach the sources")
    p.add_argument("--json", action="store_true", help="print a JSON list of checks")


def _write(line: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(clean_line(line) + "\n")


def _fail(message: str, status: int) -> int:
    sys.stderr.write(f"digest-reader: {clean_line(message)}\n")
    return status


def cmd_fetch(args: argparse.Namespace) -> int:
    from reader.fetch.run import Span, SpanError, fetch_sources

    paths = Paths.from_env()
    try:
        config = load_config(paths.config_file)
        span = Span.of(args.date, args.week, args.month, args.since)
    except (ConfigError, SpanError) as exc:
        return _fail(str(exc), 2)
    if config.fetch_error:
        return _fail(config.fetch_error, 2)
    try:
        results = fetch_sources(paths, config.fetch, args.names, span)
    except KeyError as exc:
        return _fail(str(exc.args[0]), 2)
    if args.json:
        json.dump([r.to_json() for r in results], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from reader.fetch.result import report_lines

        for ok, line in report_lines(results):
            if ok and not args.quiet:
                _write(line)
            elif not ok:
                _write(line, sys.stderr if args.quiet else sys.stdout)
    return 0 if all(r.ok for r in results) else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    from reader.doctor import PROBLEM, run_checks

    checks = run_checks(Paths.from_env(), offline=args.offline)
    if args.json:
        json.dump([c.to_json() for c in checks], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for c in checks:
            _write(c.line())
    return 1 if any(c.level == PROBLEM for c in checks) else 0
