"""The command line: the same core as the app, for scripts.

``digest-reader [PATH...]`` opens the app; ``digest-reader COMMAND ...`` runs a
command (``digest-reader --help`` lists them). Exit status: 0 on success, 1
when something could not be done (a bad digest for ``check``, an unknown id, a
state that cannot be written), 2 for a bad query or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from reader import __version__
from reader.config import Config, ConfigError, load_config
from reader.ids import arxiv_id
from reader.library import Library, find_files, open_library
from reader.model import Paper
from reader.paths import Paths
from reader.sanitize import clean, clean_line
from reader.wording import counted, number

if TYPE_CHECKING:
    from reader.search.engine import Searcher
    from reader.state import StateStore

COMMANDS = (
    "search",
    "show",
    "similar",
    "star",
    "unstar",
    "tag",
    "untag",
    "read",
    "unread",
    "note",
    "export",
    "check",
    "add",
    "index",
    "state",
)


class CliError(Exception):
    """A message for stderr and an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- output


class ProgressBar:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int, *_: object) -> None:
        if not self.enabled or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _out(text: str = "") -> None:
    """One line (or block) of text output, sanitised here, at the boundary:
    paper text and file names alike may hold terminal escapes."""
    sys.stdout.write(clean(text) + "\n")


def _json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# --------------------------------------------------------------------------- context


class Context:
    """What every command shares: paths, config, and the core objects, made
    lazily so a command pays only for what it uses."""

    def __init__(self, extra: Sequence[Path] = ()) -> None:
        self.paths = Paths.from_env()
        try:
            self.config: Config = load_config(self.paths.config_file)
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        self.extra = [Path(p) for p in extra]
        for p in self.extra:
            if not p.exists():
                raise CliError(f"{p}: no such file or folder")
        self._library: Library | None = None
        self._state: StateStore | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            bar = ProgressBar("reading digests")
            self._library = open_library(self.paths, self.config, self.extra, progress=bar)
            bar.close()
        return self._library

    @property
    def state(self) -> StateStore:
        if self._state is None:
            from reader.state import StateStore

            self._state = StateStore(self.paths.state_file)
            self._state.load()
        return self._state

    def writable_state(self) -> StateStore:
        """The state, or a CliError saying why it cannot be changed."""
        state = self.state
        if state.read_only:
            raise CliError(state.problem or f"{self.paths.state_file}: cannot be changed")
        return state

    def searcher(self, with_index: bool = True) -> Searcher:
        from reader.search.engine import Searcher

        index = None
        if with_index:
            from reader.search.index import SearchIndex

            index = SearchIndex(self.paths.index_dir)
            bar = ProgressBar("indexing")
            index.sync(self.library.papers, progress=bar)
            bar.close()
        return Searcher(self.library, self.state, index)

    def paper(self, given: str) -> Paper:
        """The paper with id ``given`` (an arXiv id may carry a version)."""
        pid = resolve_id(given)
        paper = self.library.papers.get(pid)
        if paper is None:
            raise CliError(f"no paper with id {given!r} in the library")
        return paper


def resolve_id(given: str) -> str:
    """``2401.10000v2`` and ``arXiv:2401.10000`` name paper ``2401.10000``."""
    return arxiv_id(given) or given.strip()


# --------------------------------------------------------------------------- paper views


def paper_json(paper: Paper, state: StateStore, score: float | None = None) -> dict[str, Any]:
    ps = state.get(paper.id)
    data: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "date": paper.date,
        "dates": list(paper.dates),
        "authors": list(paper.authors),
        "url": paper.url,
        "starred": ps.starred,
        "read": ps.read,
        "tags": sorted(ps.tags),
        "source_tags": list(paper.tags),
        "upvotes": paper.upvotes,
    }
    if score is not None:
        data["score"] = round(score, 4)
    return data


def paper_line(paper: Paper, state: StateStore) -> str:
    ps = state.get(paper.id)
    star = "*" if ps.starred else " "
    tags = " ".join(f"#{t}" for t in sorted(ps.tags))
    title = clean_line(paper.title)
    return f"{star} {paper.date or '          '}  {paper.id:<18} {title}" + (
        f"  {clean_line(tags)}" if tags else ""
    )


def paper_text(paper: Paper, state: StateStore) -> str:
    ps = state.get(paper.id)
    lines = [clean_line(paper.title), ""]
    if paper.authors:
        lines.append("Authors: " + clean_line(", ".join(paper.authors)))
    lines.append(f"Id:      {paper.id}")
    if paper.dates:
        lines.append("Dates:   " + ", ".join(paper.dates))
    if paper.upvotes is not None:
        lines.append(f"Upvotes: {paper.upvotes}")
    marks = [m for m, on in (("starred", ps.starred), ("read", ps.read)) if on]
    if marks:
        lines.append("State:   " + ", ".join(marks))
    if ps.tags:
        lines.append("Tags:    " + clean_line(", ".join(sorted(ps.tags))))
    if paper.tags:
        lines.append("Source:  " + clean_line(", ".join(paper.tags)))
    for n, link in enumerate(paper.links, 1):
        lines.append(f"[{n}] {link.label}: {clean_line(link.url)}")
    if paper.abstract:
        lines += ["", clean(paper.abstract)]
    if ps.note:
        lines += ["", "Note:", clean(ps.note)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- commands


def cmd_search(args: argparse.Namespace) -> int:
    query = args.query or ""
    if args.saved and query and Path(query).exists():
        # `search --saved NAME PATH`: argparse hands PATH to the query slot.
        args.paths.insert(0, Path(query))
        query = ""
    ctx = Context(args.paths)
    if args.saved:
        if args.saved not in ctx.config.saved_searches:
            names = ", ".join(sorted(ctx.config.saved_searches)) or "none"
            raise CliError(f"no saved search named {args.saved!r} (saved: {names})", 2)
        query = ctx.config.saved_searches[args.saved] + (f" {query}" if query else "")
    from reader.search.query import QueryError

    searcher = ctx.searcher()
    try:
        result = searcher.search(query, limit=args.limit)
    except QueryError as exc:
        raise CliError(f"invalid query: {exc}", 2) from None
    papers = ctx.library.papers
    if args.json:
        _json([paper_json(papers[h.id], ctx.state, h.score) for h in result.hits])
    else:
        for h in result.hits:
            _out(paper_line(papers[h.id], ctx.state))
        if sys.stdout.isatty():
            shown, total = (
                number(len(result.hits)),
                counted(result.total, "paper", exact=result.exact),
            )
            sys.stderr.write(f"{shown} of {total}\n")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    paper = ctx.paper(args.id)
    if args.json:
        data = paper.to_dict()
        ps = ctx.state.get(paper.id)
        data.update(
            starred=ps.starred,
            read=ps.read,
            tags=sorted(ps.tags),
            source_tags=list(paper.tags),
            note=ps.note,
            date=paper.date,
            url=paper.url,
        )
        _json(data)
    else:
        _out(paper_text(paper, ctx.state))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    paper = ctx.paper(args.id)
    hits = ctx.searcher().similar(paper.id, limit=args.limit)
    papers = ctx.library.papers
    if args.json:
        _json([paper_json(papers[h.id], ctx.state, h.score) for h in hits if h.id in papers])
    else:
        for h in hits:
            if h.id in papers:
                _out(paper_line(papers[h.id], ctx.state))
    return 0


def _ids(ctx: Context, given: Sequence[str]) -> list[str]:
    return [ctx.paper(g).id for g in given]


def cmd_star(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    ids = _ids(ctx, args.ids)
    ctx.writable_state().set_starred(ids, args.command == "star")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    ids = _ids(ctx, args.ids)
    ctx.writable_state().set_read(ids, args.command == "read")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    ids = _ids(ctx, [args.id])
    tags = [t.strip() for t in args.tags if t.strip()]
    if not tags:
        raise CliError("give at least one tag", 2)
    state = ctx.writable_state()
    if args.command == "tag":
        state.add_tags(ids, tags)
    else:
        state.remove_tags(ids, tags)
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    ctx = Context(args.paths)
    paper = ctx.paper(args.id)
    if args.clear:
        ctx.writable_state().set_note(paper.id, "")
        return 0
    if args.text is None:
        note = ctx.state.get(paper.id).note
        if note:
            _out(note)
        return 0
    text = sys.stdin.read() if args.text == "-" else args.text
    ctx.writable_state().set_note(paper.id, text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from reader.export import FORMATS, export
    from reader.search.query import QueryError

    if args.format not in FORMATS:
        raise CliError(f"unknown format {args.format!r}; choose from {', '.join(FORMATS)}", 2)
    ctx = Context(args.paths)
    try:
        result = ctx.searcher().search(args.query or "", limit=None)
    except QueryError as exc:
        raise CliError(f"invalid query: {exc}", 2) from None
    papers = [ctx.library.papers[h.id] for h in result.hits]
    text = export(papers, ctx.state, args.format)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        sys.stderr.write(clean_line(f"wrote {len(papers)} papers to {args.output}") + "\n")
    else:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from reader.formats import is_archive, load_path

    paths = Paths.from_env()
    try:
        config = load_config(paths.config_file)
    except ConfigError:
        config = Config()
    files = find_files(Path(p) for p in args.paths)
    if not files:
        raise CliError("no digest files found in " + ", ".join(args.paths))
    errors = 0
    report: list[dict[str, Any]] = []
    for f in files:
        if not f.exists():
            _out(f"{f}: no such file")
            errors += 1
            continue
        digests = load_path(f, max_bytes=config.max_file_bytes)
        for digest in digests:
            bad = [p for p in digest.problems if p.severity == "error"]
            errors += len(bad)
            if args.json:
                report.append(
                    {
                        "path": digest.path,
                        "format": digest.format,
                        "papers": len(digest.papers),
                        "problems": [
                            {
                                "line": p.line,
                                "record": p.record,
                                "severity": p.severity,
                                "message": p.message,
                            }  # fmt: skip
                            for p in digest.problems
                        ],
                    }
                )
                continue
            status = "ok" if not bad else f"{len(bad)} problem{'s' * (len(bad) != 1)}"
            _out(f"{digest.path}: {digest.format}, {len(digest.papers)} papers, {status}")
            for p in digest.problems:
                prefix = "warning: " if p.severity == "warning" else ""
                text = str(p)
                where, _, message = text.partition(": ")
                _out(f"{where}: {prefix}{message}")
        if is_archive(f) and not args.json:
            n_bad = sum(1 for d in digests for p in d.problems if p.severity == "error")
            n_papers = sum(len(d.papers) for d in digests)
            _out(f"{f}: archive of {len(digests)} files, {n_papers} papers, {n_bad} problems")
    if args.json:
        _json(report)
    return 1 if errors else 0


def cmd_add(args: argparse.Namespace) -> int:
    from reader.formats import load_path

    ctx = Context()
    dest = ctx.paths.library_dir
    failed = 0
    for given in args.files:
        src = Path(given)
        if not src.is_file():
            _out(f"{src}: not a file, not added")
            failed += 1
            continue
        digests = load_path(src, max_bytes=ctx.config.max_file_bytes)
        papers = sum(len(d.papers) for d in digests)
        errors = [p for d in digests for p in d.problems if p.severity == "error"]
        for p in errors:
            _out(str(p))
        if papers == 0 and errors:
            _out(f"{src}: no papers could be read, not added")
            failed += 1
            continue
        dest.mkdir(parents=True, exist_ok=True)
        target = _free_name(dest / src.name, src)
        if target is None:
            _out(f"{src}: already in the library")
            continue
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        _out(f"{src}: {papers} papers added as {target}")
        failed += bool(errors)
    return 1 if failed else 0


def _free_name(target: Path, src: Path) -> Path | None:
    """``target``, or ``name-2.ext`` ... when a different file has that name;
    None when the same content is already there."""
    n = 1
    candidate = target
    while candidate.exists():
        if candidate.read_bytes() == src.read_bytes():
            return None
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


def cmd_index(args: argparse.Namespace) -> int:
    from reader.search.index import SearchIndex

    ctx = Context(args.paths)
    started = time.monotonic()
    lib = ctx.library
    index = SearchIndex(ctx.paths.index_dir)
    bar = ProgressBar("indexing")
    report = (
        index.rebuild(lib.papers, progress=bar)
        if args.rebuild
        else index.sync(lib.papers, progress=bar)
    )
    bar.close()
    index.close()
    took = time.monotonic() - started
    _out(f"{len(lib.papers)} papers from {lib.stats.files} files; {report}; {took:.1f} s")
    for p in lib.problems:
        if p.severity == "error":
            sys.stderr.write(clean_line(str(p)) + "\n")
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    ctx = Context()
    if args.action == "merge":
        if not args.other:
            raise CliError("state merge needs the other machine's state file", 2)
        report = ctx.writable_state().merge_file(Path(args.other))
        _out(str(report))
        return 0
    if args.action == "path":
        _out(str(ctx.paths.state_file))
        return 0
    raise CliError(f"unknown state action {args.action!r}", 2)


# --------------------------------------------------------------------------- parser


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each command's own parser."""
    parser = argparse.ArgumentParser(
        prog="digest-reader",
        description="A keyboard-driven reader for daily research-paper digests. "
        "With no command, opens the reader on the library (or on PATH...).",
    )
    parser.add_argument("--version", action="version", version=f"digest-reader {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: dict[str, argparse.ArgumentParser] = {}

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func, command=name)
        commands[name] = p
        return p

    p = add("search", cmd_search, "search the library (see docs/search.md); empty query lists all")
    p.add_argument("query", nargs="?", default="")
    p.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="extra digest files or folders"
    )
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--limit", type=int, default=None, metavar="N")
    p.add_argument("--saved", metavar="NAME", help="run the saved search NAME from the config")

    p = add("show", cmd_show, "show one paper")
    p.add_argument("id")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true")

    p = add("similar", cmd_similar, "papers most like the given one")
    p.add_argument("id")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20, metavar="N")

    for name, func, help_ in (
        ("star", cmd_star, "star papers"),
        ("unstar", cmd_star, "remove stars"),
        ("read", cmd_read, "mark papers read"),
        ("unread", cmd_read, "mark papers unread"),
    ):
        p = add(name, func, help_)
        p.add_argument("ids", nargs="+", metavar="ID")
        p.add_argument("--path", dest="paths", action="append", type=Path, default=[],
                       help="extra digest file or folder")  # fmt: skip

    for name, help_ in (("tag", "add tags to a paper"), ("untag", "remove tags from a paper")):
        p = add(name, cmd_tag, help_)
        p.add_argument("id")
        p.add_argument("tags", nargs="+", metavar="TAG")
        p.add_argument("--path", dest="paths", action="append", type=Path, default=[])

    p = add("note", cmd_note, "print a paper's note, or set it (TEXT, or - for stdin)")
    p.add_argument("id")
    p.add_argument("text", nargs="?")
    p.add_argument("--clear", action="store_true", help="remove the note")
    p.add_argument("--path", dest="paths", action="append", type=Path, default=[])

    p = add("export", cmd_export, "export the papers a query finds")
    p.add_argument("query", nargs="?", default="")
    p.add_argument("--format", "-f", default="bibtex", help="bibtex, markdown, json, csv or yaml")
    p.add_argument("--output", "-o", metavar="FILE")
    p.add_argument("--path", dest="paths", action="append", type=Path, default=[])

    p = add("check", cmd_check, "check digest files: format, papers read, problems")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true")

    p = add("add", cmd_add, "check digest files and copy them into the library folder")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = add("index", cmd_index, "bring the search index up to date")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    p.add_argument("--rebuild", action="store_true", help="build the index from scratch")

    p = add("state", cmd_state, "the user's state: 'merge OTHER_STATE.yaml' or 'path'")
    p.add_argument("action", choices=["merge", "path"])
    p.add_argument("other", nargs="?")
    return parser, commands


def _fail(message: str, status: int) -> NoReturn:
    sys.stderr.write(f"digest-reader: {clean_line(message)}\n")
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``digest-reader`` entry point."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        return run_app(args_list)
    parser, commands = build_parser()
    if args_list[0] in commands:
        # Each command parses its own words, so options may come between
        # positionals (`show ID --json PATH`).
        args = commands[args_list[0]].parse_intermixed_args(args_list[1:])
    else:
        args = parser.parse_args(args_list)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    from reader.state import StateError

    try:
        return int(args.func(args))
    except CliError as exc:
        _fail(str(exc), exc.status)
    except StateError as exc:
        _fail(str(exc), 1)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


def run_app(argv: Sequence[str]) -> int:
    """Open the reader on the library, or on the given paths."""
    missing = [a for a in argv if not Path(a).exists()]
    if missing:
        _fail(f"{missing[0]}: no such file or folder (commands: {', '.join(COMMANDS)})", 2)
    from reader.tui.app import run_app as run_tui

    bar = ProgressBar("reading digests")

    def progress(done: int, total: int, label: str) -> None:
        bar(done, total)
        if done >= total:
            bar.close()

    return int(run_tui([Path(a) for a in argv], progress=progress))
