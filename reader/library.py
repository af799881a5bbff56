"""The library: every digest the user reads, merged into one set of papers.

Digest files come from the library folder (``digest-reader add`` copies there),
the folders named in the config, and paths given on the command line (files,
folders or archives). With none of these, the bundled sample digests open.

Parsing is the slow part, so each file's digests are cached (in the cache
folder, keyed by the file's path, size and mtime and the reader's version):
a second start reads only the files that changed. On top of that, the whole
merged library is kept in the catalog (:mod:`reader.catalog`, one SQLite
file); when files are added, changed or removed it is brought up to date in
place (:func:`_update_snapshot`): only the new and changed files are parsed,
only the papers they touch are merged again, from their own sources, and only
their rows are written. Over an unchanged library a command (``lazy``) reads
the catalog's header and then only the rows it asks for. The cache, like the
index, can be deleted at any time.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import gc
import hashlib
import marshal
import os
import sqlite3
import stat
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from reader import __version__
from reader.catalog import FILE_NAME, Catalog, CatalogDamaged, CatalogPapers
from reader.catalog import paper_from_row as _paper_from_row
from reader.catalog import paper_row as _paper_row
from reader.config import Config
from reader.fileio import atomic_write, atomic_write_text, read_regular
from reader.formats import load_path, looks_like_digest
from reader.ids import normalise_title, title_key
from reader.model import Digest, Paper, Problem, merge_papers
from reader.paper_rows import PaperRows
from reader.paths import Paths, resource_dir
from reader.safeload import LoadError, load_yaml
from reader.wording import counted
from reader.yamlwrite import dump_yaml

#: Bump when what a format produces changes, so cached digests are read again.
#: 4: abstract ranks, newsletter summaries, arXiv comments and journal refs as
#: fields, canonical https arXiv links, table rows on their own publish dates.
#: 5: each paper's place in its digest per day (``Paper.ranks``).
CACHE_VERSION = 5

#: ``progress(done, total, label)``
Progress = Callable[[int, int, str], None]


@dataclass
class DigestInfo:
    """What the library knows of one digest (one file, or one archive member)."""

    path: str
    format: str
    title: str
    date: str
    count: int
    problems: int


@dataclass
class LoadStats:
    files: int = 0
    parsed: int = 0
    cached: int = 0


@dataclass(frozen=True)
class Version:
    """Which digest files (and stamps) a library was read from, for the
    index to tell cheaply whether it is current: ``key`` names the files and
    their stamps ("" when unknown: read without the caches); ``base``, when
    the library was updated from an earlier snapshot, is that snapshot's key,
    and ``touched`` the ids of every paper that may differ from it (added,
    changed or removed). A file changed without a new size or modification
    time is not noticed: not by the library, so not by the index either."""

    key: str
    base: str = ""
    touched: frozenset[str] = frozenset()


@dataclass
class Library:
    """Papers merged by id, with the digests they came from."""

    #: A dict, or (a library opened ``lazy`` from the catalog) a
    #: :class:`~reader.catalog.CatalogPapers` that reads rows as asked.
    papers: Mapping[str, Paper] = field(default_factory=dict)
    digests: list[DigestInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    stats: LoadStats = field(default_factory=LoadStats)
    #: True when nothing was configured and the bundled samples were opened.
    is_sample: bool = False
    #: The library's own folders (or ``sources.yaml``) that could not be read,
    #: as opposed to a bad digest: the CLI says each once on stderr. They are
    #: also in :attr:`problems`, so the app counts them.
    faults: list[Problem] = field(default_factory=list)
    #: How many papers the library holds in all (more than ``papers`` until
    #: :meth:`load_rest` has run on a partial library).
    expected: int = 0
    #: Moves whenever papers are added or changed in place (:func:`merge_papers`):
    #: what the search engine keys its columns by (same mapping, same size,
    #: other upvotes or days). Not :attr:`version`, which names the files read.
    changes: int = 0
    _ordered: Sequence[Paper] | None = field(default=None, repr=False)
    _rest: Callable[[], Library] | None = field(default=None, repr=False)
    #: Per file, in order: (absolute path, stamp, how many of ``digests`` and of
    #: ``problems`` it gave); what the snapshot needs to be updated in place.
    _meta: list[_FileMeta] | None = field(default=None, repr=False)
    #: True when some digest gave a paper known only by its title (``t:`` id):
    #: then an update must also look for papers of the same title.
    _titled: bool = field(default=False, repr=False)
    _version: Version | None = field(default=None, repr=False)
    #: After an update: the ids of the papers that may differ from the snapshot's.
    _touched: set[str] | None = field(default=None, repr=False)
    #: After an update of a library read on demand: how many papers it holds
    #: (``papers`` holds only the touched ones, to be written to the catalog).
    _count: int | None = field(default=None, repr=False)
    #: The catalog's marshalled digests of a library opened lazy: ``digests``
    #: is made from them when first asked for.
    _digest_rows: bytes | None = field(default=None, repr=False)
    #: :meth:`ids_from`'s answers, by source.
    _from_source: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only for an attribute not set: ``digests`` of a lazy library.
        rows = self.__dict__.get("_digest_rows")
        if name == "digests" and rows is not None:
            try:
                self.digests = _digest_infos(rows)
            except (ValueError, EOFError, TypeError):
                self.digests = []  # damaged: the papers (checked apart) still stand
            self._digest_rows = None
            return self.digests
        raise AttributeError(name)

    @property
    def version(self) -> Version | None:
        """What this library was read from (see :class:`Version`); None while
        it is partial or when not known."""
        return None if self._rest is not None else self._version

    @property
    def complete(self) -> bool:
        """False for a library opened with ``partial=True`` whose older papers
        are still to be read (:meth:`load_rest`)."""
        return self._rest is None

    def load_rest(self) -> Library:
        """The whole library: the same Paper objects for what is loaded, plus
        the rest. A complete library returns itself."""
        return self if self._rest is None else self._rest()

    def ordered(self) -> Sequence[Paper]:
        """Every paper, newest digest day first, then by title. Over the
        catalog, a :class:`~reader.paper_rows.PaperRows` of the ids in the
        catalog's order: rows are read as they are asked for."""
        if self._ordered is None and isinstance(self.papers, CatalogPapers):
            got = self.papers.columns()
            dates = self.papers.dates()
            if got is not None and dates is not None:
                self._ordered = PaperRows(got[0], self.papers, dates, self._sorter(None))
        if self._ordered is None:
            # The id breaks ties, so the order does not depend on how the
            # library was put together (from scratch or by an update).
            by_id = sorted(self.papers.values(), key=attrgetter("id"))
            by_title = sorted(by_id, key=lambda p: p.title.casefold())
            self._ordered = sorted(by_title, key=lambda p: p.date, reverse=True)
        return self._ordered

    def day_sizes(self) -> dict[str, int]:
        """For every digest day: how many papers appeared on it (the
        catalog's days table, or one pass over the papers)."""
        if isinstance(self.papers, CatalogPapers):
            got = self.papers.day_sizes()
            if got is not None:
                return dict(got)
        sizes: dict[str, int] = {}
        for p in self.papers.values():
            for day in p.dates:
                sizes[day] = sizes.get(day, 0) + 1
        return sizes

    def day_sizes_of(self, ids: Collection[str]) -> dict[str, int]:
        """For every digest day: how many of ``ids`` appeared on it (the
        sidebar's read papers per day: no paper read over the catalog)."""
        if isinstance(self.papers, CatalogPapers):
            got = self.papers.day_sizes_of(ids)
            if got is not None:
                return got
        sizes: dict[str, int] = {}
        papers = self.papers
        for pid in ids:
            p = papers.get(pid)
            for day in p.dates if p is not None else ():
                sizes[day] = sizes.get(day, 0) + 1
        return sizes

    def ids_from(self, source: Path, wait: bool = True) -> set[str] | None:
        """:func:`papers_from` ``source``, kept for this library. Over the
        catalog it reads every row once (seconds at 100k papers): with
        ``wait`` False, None until it has been asked with ``wait``."""
        key = str(source)
        got = self._from_source.get(key)
        if got is None:
            if not wait and isinstance(self.papers, CatalogPapers):
                return None
            got = self._from_source[key] = papers_from(self, source)
        return got

    def days(self) -> list[str]:
        """Every digest day, newest first."""
        return sorted(self.day_sizes(), reverse=True)

    def on_day(self, day: str) -> Sequence[Paper]:
        """The papers that appeared on ``day``, in list order."""
        if isinstance(self.papers, CatalogPapers):
            ids = self.papers.day_ids(day)
            if ids is not None:
                return PaperRows(ids, self.papers, sorter=self._sorter(day))
        return [p for p in self.ordered() if day in p.dates]

    def _sorter(self, day: str | None) -> Callable[[str], PaperRows | None]:
        """How rows in the catalog's order (every paper, or ``day``'s) are put
        in another order by the catalog (:meth:`Catalog.sorted_ids`)."""
        papers = self.papers

        def sort(how: str) -> PaperRows | None:
            if how not in ("upvotes", "title") or not isinstance(papers, CatalogPapers):
                return None
            got = papers.sorted_ids(how, day)
            return None if got is None else PaperRows(got[0], papers, got[1])

        return sort

    def add_digest(self, digest: Digest) -> None:
        """Merge one digest's papers into the library."""
        self.problems.extend(digest.problems)
        self.digests.append(_digest_info(digest))
        self.add_papers(digest)

    def _dict(self) -> dict[str, Paper]:
        """The papers as a dict, to change them (a lazy library is read whole)."""
        if not isinstance(self.papers, dict):
            self.papers = dict(self.papers.items())
        return self.papers

    def add_papers(self, digest: Digest) -> None:
        """Merge one digest's papers (only) into the library."""
        self._ordered = None
        self.changes += 1
        papers = self._dict()
        for paper in _as_read(digest):
            if paper.id.startswith("t:"):
                self._titled = True
            have = papers.get(paper.id)
            if have is None:
                papers[paper.id] = paper
            else:
                merge_papers(have, paper)

    def merge_title_ids(self) -> int:
        """Fold each paper known only by its title (``t:`` id: the source gave
        no arXiv id or DOI) into the paper with an arXiv id or DOI and the same
        normalised title, when there is one. Returns how many were folded."""
        by_key: dict[str, list[Paper]] = {}
        for pid, paper in self.papers.items():
            if pid.startswith("t:"):
                by_key.setdefault(title_key(paper.title), []).append(paper)
        if not by_key:
            return 0
        folded = 0
        for pid, paper in list(self.papers.items()):
            if pid.startswith("t:"):
                continue
            candidates = by_key.get(title_key(paper.title))
            if not candidates:
                continue
            norm = normalise_title(paper.title)
            for other in candidates:
                if other.id in self.papers and normalise_title(other.title) == norm:
                    merge_papers(paper, other)
                    del self._dict()[other.id]
                    folded += 1
        if folded:
            self._ordered = None
            self.changes += 1
        return folded


#: Largest ``sources.yaml`` read (thousands of paths fit in far less).
MAX_SOURCES_BYTES = 4 * 1024 * 1024


class SourcesError(Exception):
    """``sources.yaml`` exists but could not be read or understood: it is then
    never overwritten (the user may mend it), and the message names it."""


def _as_read(digest: Digest) -> list[Paper]:
    """The digest's papers, each with its day, its place in the digest on
    that day (the source's order) and its source."""
    for place, paper in enumerate(digest.papers):
        if digest.date and not paper.dates:
            paper.dates = [digest.date]
        for day in paper.dates:
            paper.ranks.setdefault(day, place)
        if digest.path not in paper.sources:
            paper.sources.append(digest.path)
    return digest.papers


def _digest_infos(rows: bytes) -> list[DigestInfo]:
    return [DigestInfo(*d) for d in marshal.loads(rows)]


def _digest_info(digest: Digest) -> DigestInfo:
    return DigestInfo(
        path=digest.path,
        format=digest.format,
        title=digest.title,
        date=digest.date,
        count=len(digest.papers),
        problems=sum(1 for p in digest.problems if p.severity == "error"),
    )


#: (absolute path, stamp, digests, problems): see ``Library._meta``.
_FileMeta = tuple[str, tuple[object, ...] | None, int, int]


def library_roots(paths: Paths, config: Config) -> list[Path]:
    """The library folder, the configured folders and the files or folders once
    opened in the app (those that still exist)."""
    return _roots(paths, config, [])


def _roots(paths: Paths, config: Config, faults: list[Problem]) -> list[Path]:
    """:func:`library_roots`, each root that cannot be looked at (or a
    ``sources.yaml`` that cannot be read) added to ``faults``."""
    try:
        remembered = read_sources(paths)
    except SourcesError as exc:
        faults.append(Problem(str(paths.sources_file), str(exc)))
        remembered = []
    out: list[Path] = []
    for root in [paths.library_dir, *config.library, *remembered]:
        try:
            root.stat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
                faults.append(Problem(str(root), f"cannot be read: {exc.strerror or exc}"))
            continue
        out.append(root)
    return out


# sources.yaml holds one entry per path. A name that is valid UTF-8 is written
# as itself; any other (a file system may hold any bytes but "/" and NUL) as
# ``- bytes: ...``: the name's bytes with every byte outside printable ASCII,
# and "%", written as %XX (``/tmp/dir%FF``). Every name reads back as it was.


def _source_entry(path: Path) -> str | dict[str, str]:
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return {"bytes": quote_from_bytes(os.fsencode(path), safe=_SAFE_BYTES)}
    return name


def _source_path(entry: object) -> Path:
    if isinstance(entry, str):
        return Path(entry)
    if isinstance(entry, dict) and set(entry) == {"bytes"} and isinstance(entry["bytes"], str):
        try:
            return Path(os.fsdecode(unquote_to_bytes(entry["bytes"].encode("ascii"))))
        except UnicodeError:
            pass
    raise ValueError(f"not a path: {entry!r}"[:200])


#: Printable ASCII but "%": kept as written in a ``bytes:`` entry.
_SAFE_BYTES = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def dump_sources(sources: Sequence[Path]) -> str:
    """The text of ``sources.yaml`` for ``sources`` (read by :func:`parse_sources`)."""
    return dump_yaml({"sources": [_source_entry(p) for p in sources]}, check=True)


def parse_sources(text: str) -> list[Path]:
    """The paths in the text of ``sources.yaml``; ValueError saying what is wrong."""
    try:
        data = load_yaml(text).data
    except LoadError as exc:
        raise ValueError(f"line {exc.line}: {exc.message}" if exc.line else exc.message) from None
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("sources", []), list):
        raise ValueError("expected 'sources:' and a list of paths")
    return [_source_path(e) for e in data.get("sources") or []]


def read_sources(paths: Paths) -> list[Path]:
    """The remembered sources (none when there is no ``sources.yaml``);
    :class:`SourcesError` when the file exists but cannot be used."""
    where = paths.sources_file
    try:
        data = read_regular(where, MAX_SOURCES_BYTES)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SourcesError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_SOURCES_BYTES:
        raise SourcesError(f"cannot be read: over {MAX_SOURCES_BYTES // 2**20} MB")
    try:
        return parse_sources(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourcesError(f"cannot be read: not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:
        raise SourcesError(f"cannot be read: {exc}") from None


def remembered_sources(paths: Paths) -> list[Path]:
    """Paths given to the app on the command line in earlier sessions: what the
    user has seen stays searchable (``sources.yaml`` in the data folder). None
    when the file cannot be read (:func:`read_sources` says why)."""
    try:
        return read_sources(paths)
    except SourcesError:
        return []


def remember_sources(paths: Paths, extra: Sequence[Path]) -> None:
    """Add ``extra`` (made absolute) to the remembered sources; best effort. A
    ``sources.yaml`` that cannot be read is left as it is (the library says so)."""
    try:
        known = read_sources(paths)
    except SourcesError:
        return
    new = [p.resolve() for p in extra if p.exists() and p.resolve() not in known]
    if not new:
        return
    with contextlib.suppress(OSError):  # forgetting a source loses no user data
        atomic_write_text(paths.sources_file, dump_sources([*known, *new]))


def forget_source(paths: Paths, source: Path) -> Path | None:
    """Remove ``source`` from the remembered sources (the user names it as they
    like: relative, through a link, or gone from the disk); the path forgotten,
    or None when it was not remembered. OSError when the list cannot be saved,
    :class:`SourcesError` when it cannot be read."""
    known = read_sources(paths)
    names = {Path(os.path.abspath(source)), source.resolve()}
    gone = [p for p in known if p in names]
    if not gone:
        return None
    atomic_write_text(paths.sources_file, dump_sources([p for p in known if p not in names]))
    return gone[0]


def papers_from(lib: Library, source: Path) -> set[str]:
    """Ids of the papers read from files under ``source`` (a file or folder)."""
    root = str(source)
    under = root.rstrip(os.sep) + os.sep
    return {
        pid
        for pid, paper in lib.papers.items()
        if any(s == root or s.startswith(under) for s in paper.sources)
    }


def find_files(roots: Iterable[Path], faults: list[Problem] | None = None) -> list[Path]:
    """Digest files under the given files/folders, in a stable order, each once.
    A folder that cannot be listed is added to ``faults`` (when given)."""
    out: list[Path] = []
    seen: set[str] = set()

    def unlistable(exc: OSError) -> None:
        if faults is not None:
            where = exc.filename if exc.filename is not None else "?"
            faults.append(Problem(os.fsdecode(where), f"cannot be read: {exc.strerror or exc}"))

    for root in roots:
        if root.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(Path(dirpath) / f for f in filenames)
            candidates = sorted(f for f in found if looks_like_digest(f))
        else:
            candidates = [root]
        for f in candidates:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def open_library(
    paths: Paths,
    config: Config,
    extra: Sequence[Path] = (),
    progress: Progress | None = None,
    use_cache: bool = True,
    partial: bool = False,
    current: Library | None = None,
    lazy: bool = False,
) -> Library:
    """Load every digest (see module docs); never raises on bad digests.

    With ``partial`` and nothing changed since the last start, only the newest
    papers are read and :meth:`Library.load_rest` reads the others: a 100k
    library paints in a fraction of a second. ``current``: a library of these
    folders already in memory (the app's, read again after a fetch), updated
    by the changed files instead of the last snapshot read from disk (0.6 s
    at 100k papers); it is read, never changed. With ``lazy`` (a CLI command)
    and nothing changed, no paper is read: ``papers`` reads the catalog's rows
    as they are asked for (:class:`~reader.catalog.CatalogPapers`)."""
    faults: list[Problem] = []
    roots = [*_roots(paths, config, faults), *extra]
    files = find_files(roots, faults)
    is_sample = False
    if not files and not extra and not faults:
        # Nothing configured: the samples. Never when a folder could not be
        # read: they would pass for the user's library.
        files = find_files([resource_dir("sample_digests")])
        is_sample = True
    stamps = [_stamp(f) for f in files]
    cache = _Cache(paths.library_cache) if use_cache else None
    key = _snapshot_key(files, stamps)
    if cache is not None:

        def fallback() -> Library:
            return open_library(paths, config, extra, progress, use_cache)

        lib = cache.get_snapshot(key, partial, fallback, lazy)
        if lib is not None:
            lib.files, lib.is_sample = files, is_sample
            lib.stats = LoadStats(files=len(files), cached=len(files))
            lib._version = Version(key)
            return _with_faults(lib, faults, cache)
        # A command starts an update from the catalog's rows as asked: files
        # only added (a fetch) then read no other paper (see _update_snapshot).
        old = (
            current
            if _updatable(current)
            else cache.get_snapshot(None, fallback=fallback, lazy=lazy)
        )
        if old is not None:
            with gc_paused():
                lib = _update_snapshot(old, files, stamps, config, cache, progress)
            if lib is not None and lib._count is not None:
                base = old._version.key if old._version is not None else ""
                if cache.put_snapshot(key, lib, base, lib._touched, strict=True):
                    lib.papers = CatalogPapers(cache.catalog, lib._count, lambda: fallback().papers)
                    lib.files, lib.is_sample = files, is_sample
                    lib._version = Version(key, base, frozenset(lib._touched or ()))
                    lib._count = None
                    return _with_faults(lib, faults, cache)
                old = cache.get_snapshot(None)  # not written: every paper, then
                lib = None
                if old is not None:
                    with gc_paused():
                        lib = _update_snapshot(old, files, stamps, config, cache, progress)
            if lib is not None and old is not None:
                lib.files, lib.is_sample = files, is_sample
                base = old._version.key if old._version is not None else ""
                lib._version = Version(key, base, frozenset(lib._touched or ()))
                # Only the touched papers' rows are written again.
                if cache.put_snapshot(key, lib, base, lib._touched) and lazy:
                    _read_on_demand(lib, cache, fallback)
                return _with_faults(lib, faults, cache)
    lib = Library(files=files, is_sample=is_sample, _meta=[])
    total = len(files)
    for n, (f, stamp) in enumerate(zip(files, stamps, strict=True)):
        if progress is not None:
            progress(n, total, str(f))
        digests = _load_file(f, stamp, config, cache, lib.stats)
        for digest in digests:
            lib.add_digest(digest)
        assert lib._meta is not None
        lib._meta.append(_file_meta(f, stamp, digests))
    if progress is not None:
        progress(total, total, "")
    lib.merge_title_ids()
    lib.stats.files = total
    lib.expected = len(lib.papers)
    if cache is not None:
        lib._version = Version(key)
        if lib.stats.parsed + lib.stats.cached == total and cache.put_snapshot(key, lib) and lazy:
            _read_on_demand(lib, cache, lambda: open_library(paths, config, extra, use_cache=False))
    return _with_faults(lib, faults, cache)


def _read_on_demand(lib: Library, cache: _Cache, fallback: Callable[[], Library]) -> None:
    """``lib`` just written to the catalog, read from it as asked from now
    on (``lazy``): the papers read to write it are let go."""
    lib.papers = CatalogPapers(cache.catalog, len(lib.papers), lambda: fallback().papers)
    lib._ordered = None
    lib.changes += 1


def _updatable(lib: Library | None) -> bool:
    """Whether ``lib`` can stand for the last snapshot in an update: read
    whole, its file table known, and its problems those of its files only
    (no fault or cache damage added in front when it was opened)."""
    if lib is None or not lib.complete or lib._meta is None or lib.faults:
        return False
    return len(lib.problems) == sum(m[3] for m in lib._meta) and len(lib.digests) == sum(
        m[2] for m in lib._meta
    )


def _with_faults(lib: Library, faults: list[Problem], cache: _Cache | None = None) -> Library:
    # After the catalog is written: a folder unreadable today, or a cache
    # file found damaged (said once, then rebuilt), is not a problem of the
    # digests to remember.
    if cache is not None and not isinstance(lib.papers, CatalogPapers):
        cache.catalog.close()  # opened again should the rest be read (``partial``)
    lib.faults = faults
    damage = [] if cache is None else cache.warning()
    lib.problems = [*faults, *damage, *lib.problems]
    return lib


def _file_meta(path: Path, stamp: list[object] | None, digests: list[Digest]) -> _FileMeta:
    return (
        os.path.abspath(path),
        None if stamp is None else tuple(stamp),
        len(digests),
        sum(len(d.problems) for d in digests),
    )


def _update_snapshot(
    old: Library,
    files: list[Path],
    stamps: list[list[object] | None],
    config: Config,
    cache: _Cache,
    progress: Progress | None = None,
) -> Library | None:
    """The library for ``files``, made from ``old`` (the last snapshot, for
    other stamps) rather than from every file: only new and changed files are
    parsed; the papers they give, and those the changed or removed files gave
    before, are merged again from all their sources (read from the parse cache,
    only those papers), in file order, exactly as a whole read would; every
    other paper is taken from ``old`` as it is. None when ``old`` cannot be
    updated (a snapshot from before this existed): read everything then."""
    if old._meta is None or len(old._meta) != len({m[0] for m in old._meta}):
        return None
    # What each file of the snapshot gave: its digests and problems, in order.
    before: dict[str, tuple[_FileMeta, list[DigestInfo], list[Problem]]] = {}
    di = pi = 0
    for m in old._meta:
        before[m[0]] = (m, old.digests[di : di + m[2]], old.problems[pi : pi + m[3]])
        di, pi = di + m[2], pi + m[3]
    if di != len(old.digests) or pi != len(old.problems):
        return None
    now = [(f, os.path.abspath(f), st) for f, st in zip(files, stamps, strict=True)]
    changed = [
        (f, ap, st)
        for f, ap, st in now
        if st is None or ap not in before or before[ap][0][1] != tuple(st)
    ]
    gone = set(before) - {ap for _, ap, _ in now}
    stats = LoadStats(files=len(files))
    fresh: dict[str, list[Digest]] = {}
    for n, (f, ap, st) in enumerate(changed):
        if progress is not None:
            progress(n, len(changed), str(f))
        fresh[ap] = _load_file(f, st, config, cache, stats)
    if progress is not None:
        progress(len(changed), len(changed), "")
    # The papers to merge again: those of the changed files, now and before.
    dirty = {info.path for ap in [*fresh, *gone] if ap in before for info in before[ap][1]}
    group = {p.id for ds in fresh.values() for d in ds for p in d.papers}
    if dirty:
        group.update(pid for pid, p in old.papers.items() if not dirty.isdisjoint(p.sources))
    titled = old._titled or any(pid.startswith("t:") for pid in group)
    owner = {info.path: ap for ap, (_, infos, _) in before.items() for info in infos}
    fresh_rows = {ap: [_digest_row(d) for d in ds] for ap, ds in fresh.items()}
    if not titled and not gone and not any(ap in before for ap in fresh):
        added = _added_at_an_end(old.papers, now, fresh_rows, owner)
        if added is not None and isinstance(old.papers, CatalogPapers):
            # Read on demand: only the added papers, to be written in place;
            # the caller reads the updated catalog as asked (``_count``).
            known = sum(1 for pid in added if pid in old.papers)
            lib = _updated(dict(added), now, fresh, before, stats, titled)
            lib._count = len(old.papers) + len(added) - known
            lib.expected = lib._count
            lib._touched = set(added)
            return lib
        if added is not None:
            papers = {pid: p for pid, p in old.papers.items() if pid not in added}
            papers.update(added)
            lib = _updated(papers, now, fresh, before, stats, titled)
            _reorder(lib, old, set(added))
            lib._touched = set(added)
            return lib
    titles: set[str] = set()
    reparsed: set[str] = set()

    def keep(pid: str, title: str) -> bool:
        return pid in group or (
            titled and pid.startswith("t:") and normalise_title(title) in titles
        )

    while True:
        if titled:
            # A paper known by its title folds into one with the same title
            # (merge_title_ids): papers of a touched title are touched too.
            found = {
                normalise_title(p.title) for ds in fresh.values() for d in ds for p in d.papers
            }
            found.update(
                normalise_title(old.papers[pid].title) for pid in group if pid in old.papers
            )
            titles.update(found)
            group.update(_same_titles(old.papers, titles))
        needed = set(fresh)
        for pid in group:
            have = old.papers.get(pid)
            if have is not None:
                needed.update(owner[s] for s in have.sources if s in owner)
        needed -= gone

        merged = Library()
        for f, ap, st in now:
            if ap not in needed:
                continue
            if ap in fresh_rows:
                digests = [_digest_from_row(r) for r in fresh_rows[ap]]
            else:
                hit = cache.get(f, st, keep) if st is not None else None
                if hit is None:  # no parse cache: the file itself, then
                    hit = _load_file(f, st, config, cache, LoadStats())
                    reparsed.add(ap)
                digests = hit
            for d in digests:
                d.papers = [p for p in d.papers if keep(p.id, p.title)]
                merged.add_papers(d)
        merged.merge_title_ids()
        if not titled:
            break
        after = {normalise_title(p.title) for p in merged.papers.values()}
        if after <= titles:
            break
        titles.update(after)  # a title changed in the merge: look again, wider
    papers = {pid: p for pid, p in old.papers.items() if pid not in group}
    papers.update(merged.papers)
    stats.parsed += len(reparsed)
    lib = _updated(papers, now, fresh, before, stats, titled or merged._titled)
    lib._touched = group | set(merged.papers)
    _reorder(lib, old, lib._touched)
    return lib


def _added_at_an_end(
    papers: Mapping[str, Paper],
    now: list[tuple[Path, str, list[object] | None]],
    fresh_rows: dict[str, list[tuple[Any, ...]]],
    owner: dict[str, str],
) -> dict[str, Paper] | None:
    """The papers of files only added (no ``t:`` ids anywhere), merged with
    what ``papers`` holds of them without reading any other file: a new file
    that comes after every other source of a paper merges last, as a whole
    read would; one that comes before all of them merges first, which gives
    the same paper because :func:`merge_papers` is associative, but for its
    title rule (a title ending in "..." gives way to a longer one), so a
    paper whose new title could give way is left to the whole merge. None
    when some paper is not at either end (or its title could give way)."""
    place = {ap: i for i, (_, ap, _) in enumerate(now)}
    records: dict[str, list[tuple[int, Paper]]] = {}
    for _, ap, _ in now:
        for row in fresh_rows.get(ap, ()):
            for p in _as_read(_digest_from_row(row)):
                records.setdefault(p.id, []).append((place[ap], p))
    out: dict[str, Paper] = {}
    for pid, found in records.items():
        have = papers.get(pid)
        first = min(at for at, _ in found)
        if have is not None:
            theirs = [place.get(owner.get(s, ""), -1) for s in have.sources]
            if not theirs or min(theirs) < 0:
                return None
            if first > max(theirs):  # after every other source: merged last
                found = [(0, _copy_paper(have)), *found]
            elif max(at for at, _ in found) > min(theirs):
                return None  # some source on each side of it
        merged = found[0][1]
        for _, p in found[1:]:
            merge_papers(merged, p)
        if have is not None and first < min(theirs):  # before every other source
            if not merged.title or merged.title.endswith("..."):
                return None
            merge_papers(merged, have)
        out[pid] = merged
    return out


def _copy_paper(p: Paper) -> Paper:
    return _paper_from_row(_paper_row(p), p.abstract)


def _updated(
    papers: Mapping[str, Paper],
    now: list[tuple[Path, str, list[object] | None]],
    fresh: dict[str, list[Digest]],
    before: dict[str, tuple[_FileMeta, list[DigestInfo], list[Problem]]],
    stats: LoadStats,
    titled: bool,
) -> Library:
    """The updated library: ``papers``, and the digests and problems of every
    file in order (the new ones', the others' as they were)."""
    meta: list[_FileMeta] = []
    lib = Library(papers=papers, _meta=meta, _titled=titled)
    for f, ap, st in now:
        if ap in fresh:
            ds = fresh[ap]
            lib.digests.extend(_digest_info(d) for d in ds)
            lib.problems.extend(pr for d in ds for pr in d.problems)
            meta.append(_file_meta(f, st, ds))
        else:
            m, infos, problems = before[ap]
            lib.digests.extend(infos)
            lib.problems.extend(problems)
            meta.append(m)
    lib.expected = len(lib.papers)
    stats.parsed = min(stats.parsed, stats.files)
    stats.cached = stats.files - stats.parsed
    lib.stats = stats
    return lib


def _reorder(lib: Library, old: Library, touched: set[str]) -> None:
    """``lib``'s list order from ``old``'s: the untouched papers keep their
    place, the touched ones are sorted and merged in, so 100k papers are not
    sorted again."""
    new = Library(papers={pid: lib.papers[pid] for pid in touched if pid in lib.papers})
    incoming = new.ordered()
    out: list[Paper] = []
    i = 0
    for p in old.ordered():
        if p.id in touched:
            continue
        while i < len(incoming) and _before(incoming[i], p):
            out.append(incoming[i])
            i += 1
        out.append(p)
    out.extend(incoming[i:])
    lib._ordered = out


def _before(a: Paper, b: Paper) -> bool:
    """``a`` comes before ``b`` in :meth:`Library.ordered`."""
    if a.date != b.date:
        return a.date > b.date
    return (a.title.casefold(), a.id) < (b.title.casefold(), b.id)


def _same_titles(papers: Mapping[str, Paper], titles: set[str]) -> list[str]:
    """The ids of ``papers`` whose normalised title is one of ``titles``."""
    keys = {title_key(t) for t in titles}
    return [
        pid
        for pid, p in papers.items()
        if title_key(p.title) in keys and normalise_title(p.title) in titles
    ]


def _load_file(
    path: Path, stamp: list[object] | None, config: Config, cache: _Cache | None, stats: LoadStats
) -> list[Digest]:
    if cache is not None and stamp is not None:
        hit = cache.get(path, stamp)
        if hit is not None:
            stats.cached += 1
            return hit
    digests = load_path(path, max_bytes=config.max_file_bytes)
    stats.parsed += 1
    if cache is not None and stamp is not None and not _unreadable(digests):
        cache.put(path, stamp, digests)
    return digests


def _unreadable(digests: list[Digest]) -> bool:
    # A file that could not be read at all is tried again next time.
    return any(d.format == "unreadable" for d in digests)


#: How much of each end of a digest file its fingerprint reads (all of a
#: file up to twice this).
FINGERPRINT_BYTES = 64 * 1024


def _stamp(path: Path) -> list[object] | None:
    """Size, time and a fingerprint of the content (a CRC32 of the first and
    last 64 KB): a file restored from a backup, or after ``touch -r``, keeps
    its size and time but not its fingerprint. None when it cannot be read."""
    try:
        # Never blocks on a FIFO; only a regular file is read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return [st.st_size, st.st_mtime_ns, None]
        with open(fd, "rb", buffering=0, closefd=False) as fh:
            crc = zlib.crc32(fh.read(FINGERPRINT_BYTES))
            if st.st_size > FINGERPRINT_BYTES:
                fh.seek(max(FINGERPRINT_BYTES, st.st_size - FINGERPRINT_BYTES))
                crc = zlib.crc32(fh.read(FINGERPRINT_BYTES), crc)
    except OSError:
        return None
    finally:
        os.close(fd)
    return [st.st_size, st.st_mtime_ns, crc]


def _snapshot_key(files: list[Path], stamps: list[list[object] | None]) -> str:
    h = hashlib.sha1(f"{CACHE_VERSION} {__version__}".encode())
    for f, stamp in zip(files, stamps, strict=True):
        h.update(f"\0{os.path.abspath(f)}\0{stamp}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


# --------------------------------------------------------------------------- cache
#
# marshal, not JSON: a 100k-paper library loads in well under a second (JSON
# took 3 s to parse and 1.5 s to rebuild the objects). marshal is not meant
# for untrusted data, so every file carries a magic, its own size, and per
# object a length and a CRC32, each checked before the object is used; it
# holds the versions that wrote it and lives only in the user's own cache
# folder. A file that does not check out is rebuilt from the digests, and the
# library says so once (:data:`DAMAGED`).

_MAGIC = b"DRCACHE3"
#: The magic and the file's size: what every cache file starts with.
_HEAD = len(_MAGIC) + 8
#: The warning a library carries when a cache file it found was damaged.
DAMAGED = "was damaged: rebuilt"
#: The catalog's first rows: what a partial open reads before the first paint.
SNAPSHOT_HEAD = 300


def _digest_row(d: Digest) -> tuple[Any, ...]:
    return (
        d.path,
        d.format,
        d.title,
        d.date,
        d.source,
        [_paper_row(p) for p in d.papers],
        [p.abstract for p in d.papers],
        [(p.message, p.line, p.record, p.severity) for p in d.problems],
    )


def _digest_from_row(r: tuple[Any, ...], keep: Callable[[str, str], bool] | None = None) -> Digest:
    """A digest from its cache row; with ``keep(id, title)``, only the papers
    it keeps are built (an update wants a few papers of a big file)."""
    path, fmt, title, date, source, rows, abstracts, problems = r
    digest = Digest(path=path, format=fmt, title=title, date=date, source=source)
    digest.papers = [
        _paper_from_row(row, ab)
        for row, ab in zip(rows, abstracts, strict=True)
        if keep is None or keep(row[0], row[1])
    ]
    digest.problems = [Problem(path, m, ln, rec, sev) for m, ln, rec, sev in problems]
    return digest


def _pack(*objs: object) -> bytes:
    """A cache file: the magic, the file's size, then per object its length,
    CRC32 and marshal."""
    parts: list[bytes] = []
    for obj in objs:
        payload = marshal.dumps(obj)  # type: ignore[arg-type]
        parts.append(len(payload).to_bytes(8, "big") + zlib.crc32(payload).to_bytes(4, "big"))
        parts.append(payload)
    size = _HEAD + sum(len(part) for part in parts)
    return b"".join([_MAGIC, size.to_bytes(8, "big"), *parts])


class _Stale(ValueError):
    """A cache file of another format (an older reader's): not damage."""


def _check_head(head: bytes, size: int) -> None:
    """``head`` (the first :data:`_HEAD` bytes of a file of ``size`` bytes) is
    ours and says that size: a truncated or lengthened file is refused before
    any of it is read."""
    if len(head) == _HEAD and head[:7] == _MAGIC[:7] and not head.startswith(_MAGIC):
        raise _Stale("an older reader's cache file")
    if len(head) != _HEAD or not head.startswith(_MAGIC):
        raise ValueError("not a digest-reader cache file")
    if int.from_bytes(head[len(_MAGIC) :], "big") != size:
        raise ValueError("damaged cache file")


def _chunks(data: bytes) -> list[memoryview]:
    """The marshal payload of each object in a cache file, every length and
    CRC checked first (0.05 s for 100 MB), so a damaged file is refused whole."""
    _check_head(data[:_HEAD], len(data))
    view = memoryview(data)
    out: list[memoryview] = []
    at = _HEAD
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError("damaged cache file")
        size = int.from_bytes(view[at : at + 8], "big")
        crc = int.from_bytes(view[at + 8 : at + 12], "big")
        at += 12
        if at + size > len(data):
            raise ValueError("damaged cache file")
        payload = view[at : at + size]
        if zlib.crc32(payload) != crc:
            raise ValueError("damaged cache file")
        out.append(payload)
        at += size
    return out


def _load(chunk: memoryview) -> Any:
    return marshal.loads(chunk)


def _unpack(data: bytes) -> Any:
    return _load(_chunks(data)[0])


class _Cache:
    """One file per digest file (named by the hash of its absolute path), and a
    snapshot of the whole merged library keyed by every file's stamp."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: The cache files found damaged (not missing, not merely stale).
        self.damaged: set[Path] = set()
        self._catalog: Catalog | None = None

    def _damaged(self, path: Path) -> None:
        self.damaged.add(path)
        with contextlib.suppress(OSError):
            path.unlink()

    def warning(self) -> list[Problem]:
        """The one line that says the cache was damaged, if it was."""
        if not self.damaged:
            return []
        if len(self.damaged) == 1:
            where, what = str(next(iter(self.damaged))), "cache file"
        else:
            where, what = str(self.folder), f"cache ({counted(len(self.damaged), 'file')})"
        return [Problem(where, f"{what} {DAMAGED}", severity="warning")]

    def _file(self, key: str) -> Path:
        return self.folder / (
            hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest() + ".bin"
        )

    def _read(self, path: Path) -> Any:
        try:
            data = path.read_bytes()
        except OSError:
            return None  # missing (or unreadable): rebuilt from the digests
        try:
            return _unpack(data)
        except _Stale:
            return None  # an older reader's: rebuilt, nothing to say
        except (ValueError, EOFError, TypeError):
            self._damaged(path)  # rebuilt from the digests, and said
            return None

    def _write(self, path: Path, obj: object) -> None:
        try:
            data = _pack(obj)
        except ValueError:
            return
        self._write_bytes(path, data)

    def _write_bytes(self, path: Path, data: bytes) -> None:
        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
            atomic_write(path, data, durable=False)

    def get(
        self, path: Path, stamp: list[object], keep: Callable[[str, str], bool] | None = None
    ) -> list[Digest] | None:
        key = os.path.abspath(path)
        file = self._file(key)
        data = self._read(file)
        if data is None:
            return None
        try:
            if (
                not isinstance(data, dict)
                or data.get("path") != key  # another file's (or library's) entry
                or data.get("stamp") != (*stamp, CACHE_VERSION, __version__)
            ):
                return None  # stale: rebuilt, nothing to say
            return [_digest_from_row(r, keep) for r in data["digests"]]
        except (KeyError, TypeError, ValueError, IndexError):
            self._damaged(file)
            return None

    def put(self, path: Path, stamp: list[object], digests: list[Digest]) -> None:
        key = os.path.abspath(path)
        data = {
            "path": key,
            "stamp": (*stamp, CACHE_VERSION, __version__),
            "digests": [_digest_row(d) for d in digests],
        }
        self._write(self._file(key), data)

    @property
    def catalog(self) -> Catalog:
        """The catalog file (:mod:`reader.catalog`), made when first needed."""
        if self._catalog is None:
            self._catalog = Catalog(self.folder / FILE_NAME, f"{CACHE_VERSION} {__version__}")
        return self._catalog

    def _catalog_damaged(self) -> None:
        self.damaged.add(self.catalog.path)
        self.catalog.remove()

    def get_snapshot(
        self,
        key: str | None,
        partial: bool = False,
        fallback: Callable[[], Library] | None = None,
        lazy: bool = False,
    ) -> Library | None:
        """The whole library as last merged, from the catalog, when ``key``
        still matches (any key when None: the starting point of an update).
        With ``partial``, only the newest papers are read (the first
        :data:`SNAPSHOT_HEAD` rows) and ``load_rest`` reads the others; with
        ``lazy``, none (rows are read as asked). Should rows prove damaged
        then, ``fallback`` rebuilds the library from the digests, so it is
        never half-read."""
        cat = self.catalog
        try:
            header = cat.header()
            if header is None or key not in (None, header.get("key")):
                return None
            lib = Library(expected=header["count"], _titled=bool(header.get("titled")))
            lib._version = Version(str(header["key"]))
            lib._meta = [(str(a), None if s is None else tuple(s), int(d), int(p))
                         for a, s, d, p in header["files"]]  # fmt: skip
            lib.problems = [Problem(*p) for p in header["problems"]]
            digests = header["digests"]
            if not isinstance(digests, bytes):
                raise TypeError("damaged catalog header")
            if lazy and fallback is not None:
                whole = fallback
                lib.papers = CatalogPapers(cat, lib.expected, lambda: whole().papers)
                # 10,076 archive members in the real digests: 30-50 ms a command
                # would spend on them for nothing; read when asked for.
                del lib.digests
                lib._digest_rows = digests
                if partial and lib.expected > SNAPSHOT_HEAD:
                    # The app: the first screen lists the newest ids; the
                    # list of every id (0.2 s at 100k papers, 2 s at 1M) is
                    # read after it (``load_rest``).
                    ids, dates = cat.head(SNAPSHOT_HEAD)
                    lib._ordered = PaperRows(ids, lib.papers, dates)
                    lib._rest = partial_rest(lib)
                return lib
            lib.digests = _digest_infos(digests)
            with gc_paused():
                head = cat.papers(SNAPSHOT_HEAD if partial else -1)
            if len(head) > lib.expected or (not partial and len(head) != lib.expected):
                raise CatalogDamaged("rows missing")
        except (CatalogDamaged, KeyError, TypeError, ValueError):
            self._catalog_damaged()  # rebuilt from the digests, and said
            return None

        def whole_library(tail: list[Paper]) -> Library:
            full = Library(
                digests=lib.digests, problems=lib.problems, files=lib.files, stats=lib.stats
            )
            full.is_sample, full.expected, full.faults = lib.is_sample, lib.expected, lib.faults
            full._meta, full._titled = lib._meta, lib._titled
            full._version = lib._version
            ordered = head + tail
            full.papers = {p.id: p for p in ordered}
            full._ordered = ordered
            return full

        def rest() -> Library:
            try:
                with gc_paused():
                    tail = cat.papers(offset=len(head))
                if len(head) + len(tail) != lib.expected:
                    raise CatalogDamaged("rows missing")
                return whole_library(tail)
            except CatalogDamaged:
                self._catalog_damaged()
                if fallback is None:
                    raise
                again = fallback()
                again.problems = [*self.warning(), *again.problems]
                return again

        if not partial or len(head) == lib.expected:
            return whole_library([])
        lib.papers = {p.id: p for p in head}
        lib._ordered = list(head)
        lib._rest = rest
        return lib

    def put_snapshot(
        self,
        key: str,
        lib: Library,
        base: str | None = None,
        touched: set[str] | None = None,
        strict: bool = False,
    ) -> bool:
        """Write ``lib`` to the catalog: with ``touched`` (and the catalog
        still at ``base``), only those papers' rows; else every row. With
        ``strict``, only the touched rows or nothing (``lib`` holds only
        them: see ``Library._count``). True when written."""
        header = {
            "key": key,
            "count": len(lib.papers) if lib._count is None else lib._count,
            "digests": marshal.dumps(
                [(d.path, d.format, d.title, d.date, d.count, d.problems) for d in lib.digests]
            ),
            "problems": [(p.path, p.message, p.line, p.record, p.severity) for p in lib.problems],
            "files": lib._meta,
            "titled": lib._titled,
        }
        papers = lib.papers
        with contextlib.suppress(OSError):  # the snapshot file that the catalog replaced
            (self.folder / "library.snapshot").unlink(missing_ok=True)
        try:
            return self.catalog.write(
                header,
                None if strict else lib.ordered,
                None if touched is None else [papers[pid] for pid in touched if pid in papers],
                touched,
                base,
            )
        except (sqlite3.OperationalError, OSError, ValueError):
            return False  # a cache that cannot be written is only slower
        except sqlite3.DatabaseError:
            self.catalog.remove()  # damaged: written again next time
            return False


def partial_rest(lib: Library) -> Callable[[], Library]:
    """``load_rest`` of a library read on demand and opened ``partial``:
    the same library (its papers, files and problems as they are by then),
    listing every paper rather than the newest."""

    def rest() -> Library:
        full = copy.copy(lib)
        full._ordered = None
        full._rest = None
        return full

    return rest


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Building or sorting ~100k papers triggers the cyclic collector dozens
    of times for nothing (papers form no cycles), and a full collection over
    them took 0.5-2 s in an update: pause it meanwhile. Then freeze what
    was made: left young, the first collection after it scanned them all
    (0.5-1.5 s, measured in the index sync a CLI ``search`` runs after a
    fetch at 100k papers). Frozen, they are still freed by reference
    counting when the library goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
