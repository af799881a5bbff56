"""The command line: the same core as the app, for scripts.

``digest-reader [PATH...]`` opens the app; ``digest-reader COMMAND ...`` runs a
command (``digest-reader --help`` lists them, ``digest-reader COMMAND --help``
shows each one's arguments and an example). Every command is one row of
:data:`SUBCOMMANDS`.

Every command that reads the library takes ``--path PATH`` (repeatable) for
extra digest files or folders; ``search``, ``show``, ``similar`` and ``index``
take them as positional ``PATH...`` too. Plain output is one line per paper,
tab-separated, in the order of :data:`PLAIN_COLUMNS`; ``--json`` gives the
stored text, plain output shows LaTeX rendered as the app does (``--raw`` for
the source text).

Exit status: 0 on success, 1 when something could not be done (a bad digest
for ``check``, an unknown id, a state that cannot be written), 2 for a bad
query or bad arguments (a missing file, a folder where a file is expected,
``--limit 0``). A user's mistake is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from reader import __version__, cli_fetch
from reader.completion import FILES, SAVED_SEARCHES, SHELLS
from reader.completion.spec import complete_with
from reader.config import Config, ConfigError, load_config
from reader.fileio import atomic_copy
from reader.ids import arxiv_id
from reader.library import (
    Library,
    SourcesError,
    find_files,
    forget_source,
    library_roots,
    read_sources,
)
from reader.limits import note_too_long
from reader.model import Paper
from reader.paths import PathError, Paths, user_path
from reader.sanitize import clean, clean_line, escape_unsafe
from reader.session import Session
from reader.wording import counted, number

if TYPE_CHECKING:
    from reader.search.engine import SearchEngine
    from reader.state import StateStore


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
        self.stream.write(f"\r{self.label} [{bar}] {number(done)}/{number(total)}")
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


def _err(text: str) -> None:
    sys.stderr.write(clean_line(text) + "\n")


def _json(data: object) -> None:
    """JSON on stdout: exact data, but every character a terminal would act on
    (C1 controls, bidi overrides, ...) written as a ``\\uXXXX`` escape."""
    sys.stdout.write(escape_unsafe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")


def _config(paths: Paths) -> Config:
    """The config, its warnings written to stderr (a bad value is ignored, not fatal)."""
    try:
        config = load_config(paths.config_file)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    for warning in config.warnings:
        _err(f"digest-reader: warning: {warning}")
    return config


# --------------------------------------------------------------------------- context


class Context:
    """What every command shares: a :class:`~reader.session.Session` (paths,
    config and the core objects, made lazily so a command pays only for what
    it uses), with what the command line adds: progress bars and warnings on
    stderr, and errors as :class:`CliError`."""

    def __init__(self, extra: Sequence[Path] = ()) -> None:
        paths = Paths.from_env()
        config = _config(paths)  # its warnings first, as every command says them
        extra = [Path(p) for p in extra]
        for p in extra:
            if not p.exists():
                raise CliError(f"{p}: no such file or folder", 2)
        # a command reads only the papers it shows or changes (docs/state.md)
        self.session = Session(
            paths,
            config,
            extra=extra,
            index_folder=paths.index_dir,
            lazy_state=True,
            # over an unchanged library, papers are read from the catalog as a
            # command asks for them (docs/scale.md)
            lazy_library=True,
            # and a filter or a sort reads the engine's columns from the
            # cache folder, not every paper's row of the catalog
            keep_columns=True,
        )
        self._writing = False

    @property
    def paths(self) -> Paths:
        return self.session.paths

    @property
    def config(self) -> Config:
        return self.session.config

    @property
    def extra(self) -> list[Path]:
        return self.session.extra

    @property
    def library(self) -> Library:
        if not self.session.has_library:
            bar = ProgressBar("reading digests")
            library = self.session.read_library(progress=bar)
            bar.close()
            for fault in library.faults:
                _err(f"digest-reader: warning: {fault} (its digests are left out)")
        return self.session.library

    @property
    def state(self) -> StateStore:
        if not self.session.has_state:
            state = self.session.state
            if state.problem and not self._writing:
                # a command that only reads goes on, without the user's marks,
                # and says so (a command that changes the state stops with it)
                _err(
                    f"digest-reader: warning: {state.problem} Papers are shown"
                    " without your stars, tags, read marks and notes."
                )
        return self.session.state

    def writable_state(self) -> StateStore:
        """The state, or a CliError saying why it cannot be changed."""
        self._writing = True
        state = self.state
        if state.read_only:
            raise CliError(state.problem or f"{self.paths.state_file}: cannot be changed")
        return state

    def searcher(self) -> SearchEngine:
        """The search engine, its index brought in line with the library
        first (a progress bar while it works; a warning when it cannot)."""
        session = self.session
        if session.wants_index:
            _ = self.library  # read first: it has its own progress bar and warnings
            bar = ProgressBar("indexing")
            try:
                report = session.sync_index(progress=bar)
            except OSError as exc:
                # The index is a cache: without a folder to keep it in, every
                # paper is searched by scanning its text (slower, same answers).
                where = exc.filename or self.paths.index_dir
                session.drop_index()
                _err(
                    f"digest-reader: warning: {where}: {exc.strerror or exc}: the search"
                    " index cannot be kept there; searching without it (slower)"
                )
            else:
                if report is None:
                    pass
                elif report.error:
                    _err(f"digest-reader: warning: {report}")
                elif report.rebuilt and report.reason == "damaged":
                    why = f" ({report.detail})" if report.detail else ""
                    _err(f"digest-reader: the search index was damaged{why}; rebuilt it")
            finally:
                bar.close()
        _ = self.state  # read here: its warning comes before the results
        return session.searcher

    def searched(self) -> str:
        """Where the library's papers came from, for a message: a few paths."""
        if self.library.is_sample:
            return "the bundled sample digests (the library is empty)"
        roots = [str(r) for r in [*library_roots(self.paths, self.config), *self.extra]]
        shown = ", ".join(roots[:3])
        if len(roots) > 3:
            shown += f" and {number(len(roots) - 3)} more"
        return shown

    def papers_of(self, ids: Iterable[str]) -> Mapping[str, Paper]:
        """The library's papers, those of ``ids`` read first (from the
        catalog, a few queries for them all rather than one per paper)."""
        _ = self.library  # read here: its progress bar and warnings are the CLI's
        return self.session.papers_of(ids)

    def paper(self, given: str) -> Paper:
        """The paper with id ``given`` (an arXiv id may carry a version)."""
        pid = resolve_id(given)
        paper = self.library.papers.get(pid)
        if paper is None:
            raise CliError(
                f"no paper with id {given!r} in {counted(len(self.library.papers), 'paper')}"
                f" from {self.searched()}; name the digest that has it with --path PATH"
            )
        return paper


def resolve_id(given: str) -> str:
    """``2401.10000v2`` and ``arXiv:2401.10000`` name paper ``2401.10000``."""
    return arxiv_id(given) or given.strip()


def _extra(args: argparse.Namespace) -> list[Path]:
    """The extra digests of a command: positional ``PATH...`` and ``--path``."""
    return [*getattr(args, "paths", []), *getattr(args, "more_paths", [])]


# --------------------------------------------------------------------------- paper views

#: The columns of plain output, one tab-separated line per paper: ``marks`` is
#: ``starred``, ``read``, both (``starred,read``) or empty; ``tags`` are the
#: user's, comma separated; an undated paper has an empty ``date``.
PLAIN_COLUMNS = ("id", "date", "title", "marks", "tags", "url")


def shown(text: str | None, raw: bool = False) -> str:
    """Text as the app shows it (LaTeX rendered), or as stored with ``raw``."""
    if raw or not text:
        return text or ""
    from reader.latex import readable

    return readable(text)


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


def paper_line(paper: Paper, state: StateStore, raw: bool = False) -> str:
    """One paper as a tab-separated line in the order of :data:`PLAIN_COLUMNS`."""
    ps = state.get(paper.id)
    marks = ",".join(m for m, on in (("starred", ps.starred), ("read", ps.read)) if on)
    cells = (
        paper.id,
        paper.date or "",
        shown(paper.title, raw),
        marks,
        ",".join(sorted(ps.tags)),
        paper.url or "",
    )
    return "\t".join(" ".join(clean_line(c).split()) for c in cells)


def paper_text(paper: Paper, state: StateStore, raw: bool = False) -> str:
    ps = state.get(paper.id)
    lines = [clean_line(shown(paper.title, raw)), ""]
    if paper.authors:
        lines.append("Authors: " + clean_line(", ".join(shown(a, raw) for a in paper.authors)))
    lines.append(f"Id:      {paper.id}")
    if paper.dates:
        lines.append("Dates:   " + ", ".join(paper.dates))
    if paper.upvotes is not None:
        lines.append(f"Upvotes: {number(paper.upvotes)}")
    marks = [m for m, on in (("starred", ps.starred), ("read", ps.read)) if on]
    if marks:
        lines.append("State:   " + ", ".join(marks))
    if ps.tags:
        lines.append("Tags:    " + clean_line(", ".join(sorted(ps.tags))))
    if paper.tags:
        lines.append("Keywords: " + clean_line(", ".join(paper.tags)))
    for n, link in enumerate(paper.links, 1):
        lines.append(f"[{n}] {link.label}: {clean_line(link.url)}")
    if paper.abstract:
        lines += ["", clean(shown(paper.abstract, raw))]
    for label, value in (("Comments", paper.arxiv_comments), ("Journal ref", paper.journal_ref)):
        if value:
            lines.append(f"{label}: {clean_line(value)}")
    if paper.ai_summary and paper.ai_summary != paper.abstract:
        lines += ["", "AI summary: " + clean(shown(paper.ai_summary, raw))]
    for summary in paper.summaries:
        if summary.text != paper.abstract:
            lines += [
                "",
                f"Summary ({clean_line(summary.source)}):",
                clean(shown(summary.text, raw)),
            ]
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
    ctx = Context(_extra(args))
    if args.saved:
        refused = ctx.config.refused_searches.get(args.saved)
        if refused is not None:
            raise CliError(
                f"the saved search {args.saved!r} does not parse ({refused});"
                f" mend it in {ctx.config.path}",
                2,
            )
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
    papers = ctx.papers_of(result.ids)
    if args.json:
        _json([paper_json(papers[h.id], ctx.state, h.score) for h in result.hits])
    else:
        for h in result.hits:
            _out(paper_line(papers[h.id], ctx.state, args.raw))
        if sys.stdout.isatty():
            shown, total = (
                number(len(result.hits)),
                counted(result.total, "paper", exact=result.exact),
            )
            sys.stderr.write(f"{shown} of {total}\n")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    ctx = Context(_extra(args))
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
        _out(paper_text(paper, ctx.state, args.raw))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    ctx = Context(_extra(args))
    paper = ctx.paper(args.id)
    hits = ctx.searcher().similar(paper.id, limit=args.limit)
    papers = ctx.papers_of(h.id for h in hits)
    if args.json:
        _json([paper_json(papers[h.id], ctx.state, h.score) for h in hits if h.id in papers])
    else:
        for h in hits:
            if h.id in papers:
                _out(paper_line(papers[h.id], ctx.state, args.raw))
    return 0


def _ids(ctx: Context, given: Sequence[str]) -> list[str]:
    return [ctx.paper(g).id for g in given]


def _dedup(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _papers_said(ids: Sequence[str]) -> str:
    """One id as itself, more as a count."""
    return ids[0] if len(ids) == 1 else counted(len(ids), "paper")


#: ``command`` -> (the mark, its value, what a change is called, what an
#: unchanged paper already was): the words of ``star`` ... ``unread``.
_MARKS = {
    "star": ("starred", True, "starred {}", "already starred"),
    "unstar": ("starred", False, "unstarred {}", "not starred"),
    "read": ("read", True, "marked {} read", "already read"),
    "unread": ("read", False, "marked {} unread", "not read"),
}


def _said_changed(done: str, changed: Sequence[str], unchanged: Sequence[str], was: str) -> str:
    """What a change did, in one line for stderr (stdout stays a script's):
    ``starred 2 papers (2508.10001 already starred)`` or ``nothing changed: ...``."""
    if not changed:
        verb = "was" if len(unchanged) == 1 else "were"
        return f"nothing changed: {_papers_said(unchanged)} {verb} {was}"
    line = done.format(_papers_said(changed))
    if unchanged:
        line += f" ({_papers_said(unchanged)} {was})"
    return line


def cmd_star(args: argparse.Namespace) -> int:
    """``star``, ``unstar``, ``read``, ``unread``: one line on stderr says what changed."""
    ctx = Context(_extra(args))
    ids = _dedup(_ids(ctx, args.ids))
    mark, on, done, was = _MARKS[args.command]
    state = ctx.writable_state()
    changed = [pid for pid in ids if getattr(state.get(pid), mark) != on]
    if mark == "starred":
        state.set_starred(ids, on)
    else:
        state.set_read(ids, on)
    _err(_said_changed(done, changed, [pid for pid in ids if pid not in changed], was))
    return 0


def _tags_given(given: Sequence[str]) -> tuple[list[str], list[str]]:
    """The tags as they will be stored, and what to say of a tag changed on the
    way (spaces made ``-``) or left out (nothing left once trimmed)."""
    from reader.state import normalise_tag

    tags: list[str] = []
    said: list[str] = []
    for t in given:
        stored = normalise_tag(t)
        if not stored:
            said.append(f"{t!r} is not a tag (nothing left once trimmed); left out")
        elif stored != t:
            said.append(f"tag {t!r} is stored as {stored!r} (a tag is one word)")
        if stored and stored not in tags:
            tags.append(stored)
    return tags, said


def cmd_tag(args: argparse.Namespace) -> int:
    """``tag`` and ``untag``: one line on stderr says what changed."""
    tags, said = _tags_given(args.tags)
    if not tags:
        empty = ", ".join(repr(t) for t in args.tags)
        raise CliError(f"give at least one tag ({empty}: nothing left once trimmed)", 2)
    for line in said:
        _err(line)
    ctx = Context(_extra(args))
    [pid] = _ids(ctx, [args.id])
    state = ctx.writable_state()
    had = state.get(pid).tags
    if args.command == "tag":
        state.add_tags([pid], tags)
        changed, unchanged = [t for t in tags if t not in had], [t for t in tags if t in had]
        done, was = f"tagged {pid}:", f"{pid} already has"
    else:
        state.remove_tags([pid], tags)
        changed, unchanged = [t for t in tags if t in had], [t for t in tags if t not in had]
        done, was = f"untagged {pid}:", f"{pid} has no tag"
    line = f"{done} {', '.join(changed)}" if changed else "nothing changed:"
    if unchanged:
        rest = f"{was} {', '.join(unchanged)}"
        line = f"{line} {rest}" if not changed else f"{line} ({rest})"
    _err(line)
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    if args.clear and args.text is not None:
        raise CliError("give TEXT or --clear, not both", 2)
    ctx = Context(_extra(args))
    paper = ctx.paper(args.id)
    if args.clear:
        _set_note(ctx, paper.id, "")
        return 0
    if args.text is None:
        note = ctx.state.get(paper.id).note
        if note:
            _out(note)
        return 0
    if args.text == "-":
        try:
            text = sys.stdin.read()
        except UnicodeDecodeError:
            raise CliError("the note on standard input is not UTF-8 text", 2) from None
    else:
        text = args.text
    why = note_too_long(text)
    if why is not None:
        raise CliError(f"{why}; nothing was changed", 2)
    _set_note(ctx, paper.id, text)
    return 0


def _set_note(ctx: Context, pid: str, text: str) -> None:
    """Set (or with "" remove) a note; one line on stderr says what changed."""
    state = ctx.writable_state()
    old = state.get(pid)
    state.set_note(pid, text)
    if not text:
        _err(f"removed the note of {pid}" if old.note else f"nothing changed: {pid} has no note")
    elif text == old.note and not old.note_conflicts:
        _err(f"nothing changed: the note of {pid} is already that text")
    else:
        _err(f"saved the note of {pid}")


#: The names ``export --format`` completes to (``reader.export.FORMATS``, which
#: is not imported for every command's parser; a test keeps the two equal).
EXPORT_FORMATS = ("bibtex", "markdown", "json", "csv", "yaml")


def _output_file(given: str, fmt: str) -> Path:
    """``-o FILE`` checked before any work: a file in a folder that exists."""
    try:
        out = user_path(given)
    except PathError as exc:
        raise CliError(str(exc), 2) from None
    if out.is_dir():
        from reader.export import EXTENSIONS

        suggested = out / f"papers.{EXTENSIONS.get(fmt, fmt)}"
        raise CliError(f"{given}: is a folder; give a file name, such as {suggested}", 2)
    if not out.parent.is_dir():
        raise CliError(f"{out.parent}: no such folder (for -o {given})", 2)
    return out


def cmd_export(args: argparse.Namespace) -> int:
    from reader.export import FORMATS, export
    from reader.fileio import atomic_write_text
    from reader.search.query import QueryError

    given = args.format.strip().lower()
    fmt = {"bib": "bibtex", "md": "markdown", "yml": "yaml"}.get(given, given)
    if fmt not in FORMATS:
        raise CliError(f"unknown format {args.format!r}; choose from {', '.join(FORMATS)}", 2)
    out = _output_file(args.output, fmt) if args.output and args.output != "-" else None
    ctx = Context(_extra(args))
    try:
        result = ctx.searcher().search(args.query or "", limit=None)
    except QueryError as exc:
        raise CliError(f"invalid query: {exc}", 2) from None
    found = ctx.papers_of(result.ids)
    papers = [found[h.id] for h in result.hits]
    # standard output may be a terminal (now, or when the file is shown):
    # made safe there; a file named with -o keeps the text exact
    text = export(papers, ctx.state, fmt, with_notes=args.with_notes, terminal=out is None)
    if out is not None:
        try:
            atomic_write_text(out, text)
        except OSError as exc:
            raise CliError(f"{args.output}: cannot write: {exc.strerror or exc}", 2) from None
        _err(f"wrote {counted(len(papers), 'paper')} to {args.output}")
    else:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from reader.formats import is_archive, load_path

    paths = Paths.from_env()
    try:
        config = _config(paths)
    except CliError:
        config = Config()  # check reads digests; a broken config must not stop it
    given = [*args.paths, *args.more_paths]
    if not given:
        raise CliError("give the digest files or folders to check", 2)
    files = find_files(given)
    if not files:
        raise CliError("no digest files found in " + ", ".join(str(p) for p in given), 2)
    quiet = args.quiet and not args.json
    n_files = n_papers = errors = warnings = 0
    report: list[dict[str, Any]] = []
    for f in files:
        digests = load_path(f, max_bytes=config.max_file_bytes)
        for digest in digests:
            bad = [p for p in digest.problems if p.severity == "error"]
            n_files += 1
            n_papers += len(digest.papers)
            errors += len(bad)
            warnings += len(digest.problems) - len(bad)
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
            status = "ok" if not bad else counted(len(bad), "problem")
            if not quiet:
                _out(
                    f"{digest.path}: {digest.format}, {counted(len(digest.papers), 'paper')},"
                    f" {status}"
                )
            for p in digest.problems:
                prefix = "warning: " if p.severity == "warning" else ""
                where, _, message = str(p).partition(": ")
                _out(f"{where}: {prefix}{message}")
        if is_archive(f) and not args.json and not quiet:
            n_bad = sum(1 for d in digests for p in d.problems if p.severity == "error")
            n_in = sum(len(d.papers) for d in digests)
            _out(
                f"{f}: archive of {counted(len(digests), 'file')}, {counted(n_in, 'paper')},"
                f" {counted(n_bad, 'problem')}"
            )
    if args.json:
        _json(report)
    elif not quiet:
        summary = (
            f"{counted(n_files, 'file')}, {counted(n_papers, 'paper')} read"
            f"{' (a paper in two files counts twice)' if n_files > 1 else ''},"
            f" {counted(errors, 'problem')}"
        )
        if warnings:
            summary += f", {counted(warnings, 'warning')}"
        _out(summary)
    return 1 if errors else 0


def cmd_add(args: argparse.Namespace) -> int:
    """Copy digest files into the library folder: only what the library will
    read (the name rule of :func:`reader.formats.not_a_digest_name`, at least
    one paper); the others are refused, each with its reason, and exit 1."""
    from reader.formats import load_path, not_a_digest_name

    ctx = Context()
    dest = ctx.paths.library_dir
    failed = 0
    for given in args.files:
        src = Path(given)
        if not src.is_file():
            _out(f"{src}: not a file, not added")
            failed += 1
            continue
        skipped = not_a_digest_name(src)
        if skipped is not None:
            _out(f"{src}: not added: {skipped}")
            failed += 1
            continue
        digests = load_path(src, max_bytes=ctx.config.max_file_bytes)
        papers = sum(len(d.papers) for d in digests)
        errors = [p for d in digests for p in d.problems if p.severity == "error"]
        for p in (p for d in digests for p in d.problems):
            where, _, message = str(p).partition(": ")
            _out(f"{where}: {'warning: ' if p.severity == 'warning' else ''}{message}")
        if papers == 0:
            _out(f"{src}: no papers could be read, not added")
            failed += 1
            continue
        dest.mkdir(parents=True, exist_ok=True)
        target = _free_name(dest / src.name, src)
        if target is None:
            _out(f"{src}: already in the library")
            continue
        atomic_copy(src, target)  # keeps the file's time: a yearless page's dates hang on it
        _out(f"{src}: {counted(papers, 'paper')} added as {target}")
        failed += bool(errors)
    return 1 if failed else 0


def _free_name(target: Path, src: Path) -> Path | None:
    """``target``, or ``name-2.ext`` ... when a different file has that name
    (every suffix kept: ``day-2.tar.gz`` is still read as an archive); None
    when the same content is already there."""
    from reader.formats import ARCHIVE_SUFFIXES, DIGEST_SUFFIXES

    stem, suffix = target.name, ""
    while True:
        ends = [s for s in (*ARCHIVE_SUFFIXES, *DIGEST_SUFFIXES) if stem.lower().endswith(s)]
        if not ends or len(max(ends, key=len)) >= len(stem):
            break
        cut = len(stem) - len(max(ends, key=len))
        stem, suffix = stem[:cut], stem[cut:] + suffix
    n = 1
    candidate = target
    while candidate.exists():
        if candidate.read_bytes() == src.read_bytes():
            return None
        n += 1
        candidate = target.with_name(f"{stem}-{n}{suffix}")
    return candidate


def cmd_index(args: argparse.Namespace) -> int:
    ctx = Context(_extra(args))
    started = time.monotonic()
    lib = ctx.library
    index = ctx.session.index
    assert index is not None  # a command's session keeps its index in the cache folder
    bar = ProgressBar("indexing")
    try:
        report = (
            index.rebuild(lib.papers, progress=bar, version=lib.version)
            if args.rebuild
            else index.sync(lib.papers, progress=bar, version=lib.version)
        )
    except OSError as exc:
        where = exc.filename or ctx.paths.index_dir
        raise CliError(
            f"{where}: {exc.strerror or exc}: the search index cannot be kept there"
            " (search still works, by scanning)"
        ) from None
    finally:
        bar.close()
    index.close()
    took = time.monotonic() - started
    _out(
        f"{counted(len(lib.papers), 'paper')} from {counted(lib.stats.files, 'file')};"
        f" {report}; {took:.1f} s"
    )
    for p in lib.problems:
        if p.severity == "error":
            _err(str(p))
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    if args.action == "merge":
        if not args.other:
            raise CliError("state merge needs the other machine's state file", 2)
        try:
            other = user_path(args.other)
        except PathError as exc:
            raise CliError(str(exc), 2) from None
        if not other.is_file():
            what = "is a folder, not a state file" if other.is_dir() else "no such file"
            raise CliError(f"{args.other}: {what}", 2)
    elif args.other:
        raise CliError(f"state {args.action} takes no file", 2)
    ctx = Context()
    if args.action == "merge":
        _out(str(ctx.writable_state().merge_file(other)))  # the report says what was left out
        return 0
    _out(str(ctx.paths.state_file))
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    from reader.completion import script

    parser, _ = build_parser()
    sys.stdout.write(script(args.shell, parser))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    paths = Paths.from_env()
    config = _config(paths)
    if args.forget is not None:
        try:
            given = user_path(args.forget)
        except PathError as exc:
            raise CliError(str(exc), 2) from None
        try:
            forgotten = forget_source(paths, given)
        except SourcesError as exc:
            raise CliError(f"{paths.sources_file}: {exc}; it is left as it is") from None
        except OSError as exc:
            raise CliError(f"{paths.sources_file}: cannot write: {exc.strerror or exc}") from None
        if forgotten is None:
            absolute = Path(os.path.abspath(given))
            if absolute in config.library or given in config.library:
                raise CliError(
                    f"{args.forget} is in the config's library: list ({config.path});"
                    " remove it there",
                    2,
                )
            raise CliError(
                f"{args.forget} is not a remembered source (digest-reader sources lists them)", 2
            )
        _out(f"forgot {forgotten}; its papers leave the library, your stars, tags and notes stay")
        return 0
    try:
        remembered = read_sources(paths)
        fault = ""
    except SourcesError as exc:
        remembered, fault = [], f"{paths.sources_file}: {exc}"
    rows = [(paths.library_dir, "added")]
    rows += [(p, "config") for p in config.library]
    rows += [(p, "remembered") for p in remembered]
    for path, kind in rows:
        where = _where(path)
        if kind == "added" and where in ("missing", "ok"):
            # the folder `add` copies into: not there yet, or empty, is no problem
            where = "not created yet" if where == "missing" else _empty_or_ok(path)
        _out("\t".join([clean_line(str(path)), kind, where]))
    if fault:
        raise CliError(f"{fault}; it is left as it is, mend or remove it")
    return 0


def _empty_or_ok(folder: Path) -> str:
    """``empty`` for a folder with nothing in it, else ``ok``."""
    try:
        with os.scandir(folder) as entries:
            return "ok" if next(entries, None) is not None else "empty"
    except OSError:
        return "unreadable"


def _where(path: Path) -> str:
    """``ok``, ``missing`` or ``unreadable`` (a folder above it cannot be searched)."""
    try:
        path.stat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return "missing" if exc.errno == errno.ENOTDIR else "unreadable"
    return "ok"


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse, with a user's mistake said in one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(clean_line(f"{self.prog}: {message} (see {self.prog} --help)") + "\n")
        raise SystemExit(2)


def existing_path(text: str) -> Path:
    """An argparse type: a file or folder that exists."""
    try:
        path = user_path(text)
    except PathError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        path.stat()
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder") from None
    except OSError as exc:  # argparse would let it out as a traceback
        raise argparse.ArgumentTypeError(f"{text}: {exc.strerror or exc}") from None
    return path


def existing_file(text: str) -> Path:
    """An argparse type: a file that exists (not a folder)."""
    path = existing_path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder, not a file")
    return path


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def _query_path(text: str) -> Path:
    """``existing_path`` after a query, where a missing path is most likely the
    second word of a query typed without quotes."""
    try:
        return existing_path(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (quote a query of several words)") from None


def _library_paths(
    p: argparse.ArgumentParser, positional: bool = False, after_query: bool = False
) -> None:
    """The extra digests of a command that reads the library: ``--path`` always,
    positional ``PATH...`` where the command has always taken them."""
    if positional:
        p.add_argument(
            "paths",
            nargs="*",
            default=[],  # without it argparse calls an empty PATH... "required"
            type=_query_path if after_query else existing_path,
            metavar="PATH",
            help="extra digest files or folders, read with the library (as --path)",
        )
    _path_option(p, "an extra digest file or folder, read with the library (repeatable)")


def _path_option(p: argparse.ArgumentParser, help_: str) -> None:
    """``--path PATH`` (repeatable), gathered in ``more_paths``."""
    p.add_argument(
        "--path",
        dest="more_paths",
        action="append",
        type=existing_path,
        default=[],
        metavar="PATH",
        help=help_,
    )


def _limit_option(p: argparse.ArgumentParser, default: int | None) -> None:
    """``--limit N``, the same words for every command that has it."""
    shown = f"; default {default}" if default is not None else "; default: all"
    p.add_argument(
        "--limit",
        type=positive_int,
        default=default,
        metavar="N",
        help=f"at most N papers (1 or more{shown})",
    )


def _json_flag(p: argparse.ArgumentParser, what: str = "a JSON list of papers") -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} (stored text, as is)")


def _raw_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--raw", action="store_true", help="print titles and abstracts as stored (LaTeX unrendered)"
    )


def _args_search(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", default="", help="what to find (docs/search.md); '' is all")
    _library_paths(p, positional=True, after_query=True)
    _json_flag(p)
    _raw_flag(p)
    _limit_option(p, None)
    complete_with(
        p.add_argument("--saved", metavar="NAME", help="run the saved search NAME from the config"),
        SAVED_SEARCHES,
    )


def _args_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="the paper's id (arXiv id, with or without version)")
    _library_paths(p, positional=True)
    _json_flag(p, "the paper and your state as JSON")
    _raw_flag(p)


def _args_similar(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="the paper's id")
    _library_paths(p, positional=True)
    _json_flag(p)
    _raw_flag(p)
    _limit_option(p, 20)


def _args_ids(p: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="+", metavar="ID", help="the papers' ids")
    _library_paths(p)


def _args_tag(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="the paper's id")
    p.add_argument("tags", nargs="+", metavar="TAG", help="the tags")
    _library_paths(p)


def _args_note(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="the paper's id")
    p.add_argument("text", nargs="?", help="the new note; - reads it from standard input")
    p.add_argument("--clear", action="store_true", help="remove the note")
    _library_paths(p)


def _args_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", default="", help="which papers (docs/search.md); '' is all")
    complete_with(
        p.add_argument(
            "--format", "-f", default="bibtex", help="bibtex, markdown, json, csv or yaml"
        ),
        EXPORT_FORMATS,
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: stdout)")
    p.add_argument(
        "--with-notes", action="store_true", help="include your private notes (left out otherwise)"
    )
    _library_paths(p)


def _args_check(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        default=[],
        type=existing_path,
        metavar="PATH",
        help="digest files or folders",
    )
    _path_option(p, "a digest file or folder (as PATH; repeatable)")
    _json_flag(p, "a JSON list of files with their problems")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="print only the problems (no summary)"
    )


def _args_add(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "files", nargs="+", type=existing_file, metavar="FILE", help="digest files or archives"
    )


def _args_index(p: argparse.ArgumentParser) -> None:
    _library_paths(p, positional=True)
    p.add_argument("--rebuild", action="store_true", help="build the index from scratch")


def _args_state(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action", choices=["merge", "path"], help="merge: fold OTHER in; path: print the file"
    )
    complete_with(
        p.add_argument("other", nargs="?", metavar="OTHER", help="the other machine's state.yaml"),
        FILES,
    )


def _args_completion(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS, help="the shell: bash, zsh or fish")


def _args_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("--forget", metavar="PATH", help="stop reading a remembered file or folder")


@dataclass(frozen=True)
class Subcommand:
    """One ``digest-reader COMMAND``: its function, one line of help, one
    example (shown by ``COMMAND --help``) and what adds its arguments."""

    name: str
    func: Callable[[argparse.Namespace], int]
    help: str
    example: str
    arguments: Callable[[argparse.ArgumentParser], None]


#: Every command, in the order ``--help`` lists them. A new command is a row.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "search",
        cmd_search,
        "search the library (see docs/search.md); an empty query lists all",
        "digest-reader search 'diffusion -is:read' --limit 20 --path ~/digests",
        _args_search,
    ),
    Subcommand(
        "show",
        cmd_show,
        "show one paper",
        "digest-reader show 2406.14347 --path ~/digests",
        _args_show,
    ),  # fmt: skip
    Subcommand(
        "similar",
        cmd_similar,
        "papers most like the given one",
        "digest-reader similar 2406.14347 --limit 5",
        _args_similar,
    ),  # fmt: skip
    Subcommand(
        "star", cmd_star, "star papers", "digest-reader star 2406.14347 2401.10000", _args_ids
    ),
    Subcommand("unstar", cmd_star, "remove stars", "digest-reader unstar 2406.14347", _args_ids),
    Subcommand("read", cmd_star, "mark papers read", "digest-reader read 2406.14347", _args_ids),
    Subcommand(
        "unread", cmd_star, "mark papers unread", "digest-reader unread 2406.14347", _args_ids
    ),
    Subcommand(
        "tag",
        cmd_tag,
        "add tags to a paper",
        "digest-reader tag 2406.14347 chemistry to-read",
        _args_tag,
    ),  # fmt: skip
    Subcommand(
        "untag",
        cmd_tag,
        "remove tags from a paper",
        "digest-reader untag 2406.14347 to-read",
        _args_tag,
    ),  # fmt: skip
    Subcommand(
        "note",
        cmd_note,
        "print a paper's note, or set it (TEXT, or - for stdin)",
        "echo 'see section 3' | digest-reader note 2406.14347 -",
        _args_note,
    ),  # fmt: skip
    Subcommand(
        "export",
        cmd_export,
        "export the papers a query finds",
        "digest-reader export is:starred -f bibtex -o starred.bib",
        _args_export,
    ),  # fmt: skip
    Subcommand(
        "check",
        cmd_check,
        "check digest files: format, papers read, problems",
        "digest-reader check ~/digests --quiet",
        _args_check,
    ),  # fmt: skip
    Subcommand(
        "add",
        cmd_add,
        "check digest files and copy them into the library folder",
        "digest-reader add ~/Downloads/2025-08-21.json",
        _args_add,
    ),  # fmt: skip
    Subcommand(
        "index",
        cmd_index,
        "bring the search index up to date",
        "digest-reader index --rebuild",
        _args_index,
    ),  # fmt: skip
    Subcommand(
        "state",
        cmd_state,
        "your state: 'merge OTHER_STATE.yaml' or 'path'",
        "digest-reader state merge ~/laptop-state.yaml",
        _args_state,
    ),  # fmt: skip
    Subcommand(
        "sources",
        cmd_sources,
        "list the folders the library reads; forget a remembered one",
        "digest-reader sources --forget ~/old-digests",
        _args_sources,
    ),  # fmt: skip
    Subcommand(
        "fetch",
        cli_fetch.cmd_fetch,
        "fetch the latest papers from the configured sources (docs/fetch.md)",
        "digest-reader fetch hf --since 2026-11-20 --quiet",
        cli_fetch.args_fetch,
    ),  # fmt: skip
    Subcommand(
        "doctor",
        cli_fetch.cmd_doctor,
        "check the config, folders, state, index, sources and terminal",
        "digest-reader doctor --offline",
        cli_fetch.args_doctor,
    ),  # fmt: skip
    Subcommand(
        "completion",
        cmd_completion,
        "print the shell completion script for bash, zsh or fish (docs/completion.md)",
        "mkdir -p ~/.local/share/bash-completion/completions && digest-reader completion bash"
        " > ~/.local/share/bash-completion/completions/digest-reader",
        _args_completion,
    ),
)

COMMANDS = tuple(c.name for c in SUBCOMMANDS)

USAGE = """\
digest-reader [PATH ...]            open the reader (on the library, and on PATH)
       digest-reader COMMAND [ARGS ...]    run a command (digest-reader COMMAND --help)"""


def build_parser(
    only: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each command's own parser (``only``: that
    command's alone, which is all a command typed needs: each parser made
    costs a few milliseconds of every command's start)."""
    parser = _Parser(
        prog="digest-reader",
        usage=USAGE,
        description="A keyboard-driven reader for daily research-paper digests. "
        "With no command, opens the reader on the library (and on PATH...).",
    )
    parser.add_argument("--version", action="version", version=f"digest-reader {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="what to do (without one, the reader opens)"
    )
    commands: dict[str, argparse.ArgumentParser] = {}
    for c in SUBCOMMANDS:
        if only is not None and c.name != only:
            continue
        p = sub.add_parser(
            c.name,
            prog=f"digest-reader {c.name}",
            help=c.help,
            description=c.help,
            epilog=f"example:\n  {c.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        c.arguments(p)
        p.set_defaults(func=c.func, command=c.name)
        commands[c.name] = p
    return parser, commands


def _fail(message: str, status: int) -> NoReturn:
    sys.stderr.write(f"digest-reader: {clean_line(message)}\n")
    raise SystemExit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``digest-reader`` entry point."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["__complete"]:  # a Tab (reader.entry answers it sooner)
        from reader.entry import complete

        return complete(args_list[1:])
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        return run_app(args_list)
    parser, commands = build_parser(args_list[0] if args_list[0] in COMMANDS else None)
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
    except PathError as exc:  # no home folder to find the reader's files in
        _fail(str(exc), 2)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        # a file the user named or a folder of theirs that cannot be used:
        # a line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", 1)


def run_app(argv: Sequence[str]) -> int:
    """Open the reader on the library, or on the given paths."""
    for a in argv:
        try:
            Path(a).stat()
        except FileNotFoundError:
            _fail(f"{a}: no such file or folder (commands: {', '.join(COMMANDS)})", 2)
        except OSError as exc:  # a folder above it that cannot be searched, a loop...
            _fail(f"{a}: {exc.strerror or exc}", 2)
    from reader.tui.app import run_app as run_tui

    bar = ProgressBar("reading digests")

    def progress(done: int, total: int, label: str) -> None:
        bar(done, total)
        if done >= total:
            bar.close()

    try:
        return int(run_tui([Path(a) for a in argv], progress=progress))
    except PathError as exc:
        _fail(str(exc), 2)
