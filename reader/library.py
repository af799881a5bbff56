"""The library: every digest the user reads, merged into one set of papers.

Digest files come from the library folder (``digest-reader add`` copies there),
the folders named in the config, and paths given on the command line (files,
folders or archives). With none of these, the bundled sample digests open.

Parsing is the slow part, so the whole merged library is kept in the catalog
(:mod:`reader.catalog`, one SQLite file, keyed by every file's path, size,
time and fingerprint and the reader's version); when files are added,
changed or removed it is brought up to date in place
(:func:`_update_snapshot`): only the new and changed files are parsed, only
the papers they touch are merged again, from all their records (the other
files' as the catalog keeps them beside each paper: :data:`_Part`), and only
their rows are written. No parse of a digest file is kept apart: that took
more room than the digests themselves. Over an unchanged library a command
(``lazy``) reads the catalog's header and then only the rows it asks for.
The cache, like the index, can be deleted at any time.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import functools
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
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_from_bytes, unquote_to_bytes

from reader import __version__
from reader.catalog import FILE_NAME, Catalog, CatalogDamaged, CatalogPapers, Part, present
from reader.catalog import paper_from_row as _paper_from_row
from reader.catalog import paper_row as _paper_row
from reader.config import Config
from reader.digest_names import looks_like_digest
from reader.fileio import atomic_write_text, read_regular
from reader.ids import normalise_title, title_key
from reader.model import Digest, Paper, Problem, merge_papers
from reader.paper_rows import PaperRows
from reader.paths import Paths, resource_dir
from reader.safeload import LoadError, load_yaml
from reader.wording import counted
from reader.yamlwrite import dump_yaml

if TYPE_CHECKING:  # a child's parse: only for a first read's large file
    from reader.parse_apart import Apart

#: Bump when what a format produces changes, so cached digests are read again.
#: 4: abstract ranks, newsletter summaries, arXiv comments and journal refs as
#: fields, canonical https arXiv links, table rows on their own publish dates.
#: 5: each paper's place in its digest per day (``Paper.ranks``).
CACHE_VERSION = 5

#: ``progress(done, total, label)``
Progress = Callable[[int, int, str], None]
#: ``sink(file, digest)``: each digest of a first read as soon as it is read
#: (see :func:`open_library`); what it raises stops the read, nothing written.
Sink = Callable[[Path, Digest], None]
#: ``parsed(library)``: a first read's whole library, every file read and
#: merged, before the catalog is written (see :func:`open_library`).
Parsed = Callable[["Library"], None]


class ReadStopped(Exception):
    """Raised by a sink (or a progress callback) to stop a read: the app is
    quitting. Nothing is written to the cache then."""


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
    #: Files parsed by a child process (a first read's largest), by the
    #: child's process id (see :mod:`reader.parse_apart`).
    apart: dict[str, int] = field(default_factory=dict)


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
    #: :meth:`days`, with the papers mapping, its size and ``changes`` it was made for.
    _days: tuple[Mapping[str, Paper], int, int, list[str]] | None = field(default=None, repr=False)
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
    _digest_rows: Callable[[], bytes] | None = field(default=None, repr=False)
    #: Every record of each paper that an update cannot take as one record
    #: of one file (see :data:`_Part` and :func:`_kept_parts`), when known for
    #: the whole library (read from the digests); None: the catalog keeps
    #: them (a library read from it, or updated).
    _parts: dict[str, list[_Part]] | None = field(default=None, repr=False)
    #: While parts are gathered: the file each paper's first record came from.
    _first: dict[str, str] | None = field(default=None, repr=False)
    #: ``t:`` id -> the id of the paper it was folded into (merge_title_ids).
    _folded: dict[str, str] = field(default_factory=dict, repr=False)
    #: After an update: the parts of the touched papers, to be written.
    _new_parts: dict[str, list[_Part]] | None = field(default=None, repr=False)
    #: After an update: the ids each new or changed file gave (absolute path
    #: -> ids), to be written (:meth:`~reader.catalog.Catalog.file_ids`).
    _new_files: dict[str, list[str]] | None = field(default=None, repr=False)
    #: While a first read goes on (the papers read so far, see
    #: :mod:`reader.reading`): (files read, files in all, the large file
    #: being read or ""). None for a library read whole or in part as usual.
    reading: tuple[int, int, str] | None = None
    #: :meth:`ids_from`'s answers, by source.
    _from_source: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only for an attribute not set: ``digests`` of a lazy library.
        rows = self.__dict__.get("_digest_rows")
        if name == "digests" and rows is not None:
            try:
                self.digests = _digest_infos(rows())
            except (CatalogDamaged, ValueError, EOFError, TypeError):
                self.digests = []  # damaged: the papers (checked apart) still stand
            self._digest_rows = None
            return self.digests
        raise AttributeError(name)

    @property
    def version(self) -> Version | None:
        """What this library's papers were read from (see :class:`Version`);
        None while they are not all there (a first read so far, the newest
        papers of a partial library held in memory) or when not known. A
        partial library over the catalog holds every paper (read as asked;
        only its list of every paper waits for :meth:`load_rest`): its
        version is known, so the search index is found current by its
        files, not by hashing every paper (78 s at 90k papers, a block
        decompressed for each)."""
        if self.reading is not None:
            return None
        if self._rest is not None and not isinstance(self.papers, CatalogPapers):
            return None
        return self._version

    @property
    def complete(self) -> bool:
        """False for a library opened with ``partial=True`` whose older papers
        are still to be read (:meth:`load_rest`), and for the papers of a
        first read so far (:attr:`reading`)."""
        return self._rest is None and self.reading is None

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
        """Every digest day, newest first (kept until the papers change: the
        app's status line asks on the event loop; over the catalog it is a
        query, in memory an O(n) walk, 50 ms at 100k papers; the worker that
        read the library asks first)."""
        papers, size, changes = self.papers, len(self.papers), self.changes
        got = self._days
        if got is None or got[0] is not papers or got[1:3] != (size, changes):
            over_catalog = isinstance(papers, CatalogPapers)
            found = sorted(self.day_sizes(), reverse=True) if over_catalog else days_of(papers)
            got = self._days = (papers, size, changes, found)
        return list(got[3])

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

    def add_digest(self, digest: Digest, origin: str = "") -> None:
        """Merge one digest's papers into the library (``origin``: the
        absolute path of the file it came from, while parts are gathered)."""
        self.problems.extend(digest.problems)
        self.digests.append(_digest_info(digest))
        self.add_papers(digest, origin)

    def _dict(self) -> dict[str, Paper]:
        """The papers as a dict, to change them (a lazy library is read whole)."""
        if not isinstance(self.papers, dict):
            self.papers = dict(self.papers.items())
        return self.papers

    def add_papers(self, digest: Digest, origin: str = "") -> None:
        """Merge one digest's papers (only) into the library."""
        self.add_records(_as_read(digest), origin)

    def add_records(self, records: Iterable[Paper], origin: str = "") -> None:
        """Merge papers as read (:func:`_as_read`) from the file ``origin``;
        while parts are gathered (``_first`` set), every record of a paper
        met more than once is kept apart, before any merge changes it."""
        self._ordered = None
        self.changes += 1
        papers = self._dict()
        first = self._first
        grown: set[str] = set()
        for paper in records:
            if paper.id.startswith("t:"):
                self._titled = True
            have = papers.get(paper.id)
            if have is None:
                papers[paper.id] = paper
                if first is not None:
                    first[paper.id] = origin
            else:
                if first is not None:
                    self._records(have).append((origin, paper))
                    grown.add(paper.id)
                merge_papers(have, paper)
        if grown and self._parts is not None:
            # Records of one file under one title: the merged paper stands for
            # them (a copy of it is taken should another file bring the paper),
            # so they are not held while the rest is read.
            for pid in grown:
                recs = self._parts[pid]
                if all(ap == origin for ap, _ in recs) and not _kept_parts({pid: recs}):
                    del self._parts[pid]

    def _records(self, paper: Paper) -> list[_Part]:
        """The records of ``paper`` gathered so far: a copy of it as it is
        (its first record, not yet merged into) when it has no other yet."""
        assert self._first is not None
        if self._parts is None:
            self._parts = {}
        got = self._parts.get(paper.id)
        if got is None:
            got = self._parts[paper.id] = [(self._first[paper.id], _copy_paper(paper))]
        return got

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
        # By id, not in the order the papers came: an update merges a few
        # papers again without the order of every file, and must fold alike.
        hosts = sorted(
            (pid, paper)
            for pid, paper in self.papers.items()
            if not pid.startswith("t:") and title_key(paper.title) in by_key
        )
        for pid, paper in hosts:
            candidates = by_key[title_key(paper.title)]
            norm = normalise_title(paper.title)
            for other in candidates:
                if other.id in self.papers and normalise_title(other.title) == norm:
                    if self._first is not None:
                        theirs = (self._parts or {}).pop(other.id, None)
                        mine = self._records(paper)
                        mine.extend(theirs or [(self._first[other.id], other)])
                        self._folded[other.id] = pid
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


def days_of(papers: Mapping[str, Paper]) -> list[str]:
    """Every day of ``papers``, newest first (O(n): :meth:`Library.days` keeps it)."""
    found: set[str] = set()
    for p in papers.values():
        found.update(p.dates)
    return sorted(found, reverse=True)


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

#: One record of a paper, as read (before any merge), and the absolute path
#: of the file it came from: what an update merges again when another file
#: brings the same paper. Kept (in the catalog, beside the merged paper) only
#: for a paper that is not one file's records under one title
#: (:func:`_kept_parts`): for any other, the merged paper stands for them.
_Part = Part


def _kept_parts(parts: Mapping[str, list[_Part]]) -> dict[str, list[_Part]]:
    """The parts an update needs: those of papers read from several files,
    or under several titles (the title rule alone is not associative, so one
    file's records merged first could give another title than merged one by
    one with a new file's), or that took in a paper known by its title."""
    return {
        pid: recs
        for pid, recs in parts.items()
        if len({ap for ap, _ in recs}) > 1
        or len({p.title for _, p in recs}) > 1
        or any(p.id != pid for _, p in recs)
    }


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


#: New or changed digest files of at least this many bytes, and more than
#: the files the catalog holds, make a start a first read (see
#: :func:`needs_first_read`).
FIRST_READ_BYTES = 8 * 1024 * 1024


def needs_first_read(
    paths: Paths, config: Config | None = None, extra: Sequence[Path] = ()
) -> bool:
    """True when the cache holds no library to start from (no catalog, one
    of another version, or damaged): opening then parses every digest file,
    which the app shows as it goes (a ``sink`` to :func:`open_library`).
    Costs a look at the catalog's header. Given the ``config`` (and the
    ``extra`` paths), also when most of what is to be read is not in the
    catalog (:data:`FIRST_READ_BYTES`, a big folder added to a small cached
    library: the samples): updating it before the app's first screen took
    ~100 s of "reading digests 1/40" for the real digests; read as a first
    open, the app is up at once and the papers come in behind it."""
    catalog = _Cache(paths.library_cache).catalog
    try:
        header = catalog.header()
        if header is None:
            return True
        return config is not None and _mostly_new(header, paths, config, extra)
    except (CatalogDamaged, sqlite3.Error, OSError, KeyError, TypeError, ValueError):
        return True  # opening removes it and says so
    finally:
        catalog.close()


def _mostly_new(
    header: dict[str, Any], paths: Paths, config: Config, extra: Sequence[Path]
) -> bool:
    """Whether the digest files not in the catalog as they are now (new, or
    another size or time) hold at least :data:`FIRST_READ_BYTES` and more
    bytes than the files it holds (each file's size and time: no file read)."""
    held = {str(a): s for a, s, _d, _p in header["files"]}
    fresh = kept = 0
    for f in find_files([*_roots(paths, config, []), *extra]):
        try:
            st = os.stat(f)
        except OSError:
            continue
        was = held.get(os.path.abspath(f))
        if was and list(was[:2]) == [st.st_size, st.st_mtime_ns]:
            kept += st.st_size
        else:
            fresh += st.st_size
    return fresh >= FIRST_READ_BYTES and fresh > kept


def open_library(
    paths: Paths,
    config: Config,
    extra: Sequence[Path] = (),
    progress: Progress | None = None,
    use_cache: bool = True,
    partial: bool = False,
    current: Library | None = None,
    lazy: bool = False,
    sink: Sink | None = None,
    parsed: Parsed | None = None,
) -> Library:
    """Load every digest (see module docs); never raises on bad digests.

    With ``partial`` and nothing changed since the last start, only the newest
    papers are read and :meth:`Library.load_rest` reads the others: a 100k
    library paints in a fraction of a second. ``current``: a library of these
    folders already in memory (the app's, read again after a fetch), updated
    by the changed files instead of the last snapshot read from disk (0.6 s
    at 100k papers); it is read, never changed. With ``lazy`` (a CLI command)
    and nothing changed, no paper is read: ``papers`` reads the catalog's rows
    as they are asked for (:class:`~reader.catalog.CatalogPapers`). When
    every file is parsed (a first open), ``sink`` gets each digest as soon as
    it is read, the smallest files first (the daily files before a big
    archive), and may stop the read by raising; the library is merged in
    file order all the same."""
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
        # Not a first read (``sink``): every file is parsed and given to it,
        # and the catalog written whole (see ``needs_first_read``).
        old = (
            None
            if sink is not None
            else current
            if current is not None and _updatable(current) and _records_at_hand(current, cache)
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
                    _carry_columns(old, current, lib)
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
                    _carry_columns(old, current, lib)
                return _with_faults(lib, faults, cache)
    lib = Library(files=files, is_sample=is_sample, _meta=[], _parts={}, _first={})
    total = len(files)
    order = list(range(total))
    if sink is not None:
        order.sort(key=lambda i: _size_of(stamps[i]))
    read: dict[int, list[Digest]] = {}
    # A first read's largest file is parsed by a child meanwhile (the second core).
    apart = _start_apart(files, stamps, order, config) if sink is not None else None
    merged = 0  # files merged so far: always in file order, as each can be
    try:
        for n, i in enumerate(order):
            f = files[i]
            if progress is not None:
                progress(n, total, str(f))
            each = None if sink is None else functools.partial(sink, f)
            if apart is not None and i == apart.at:
                read[i] = apart.take(each)
                lib.stats.parsed += 1
                lib.stats.apart[str(f)] = apart.pid
            else:
                read[i] = _load_file(f, config, lib.stats, each)
            while merged in read:
                digests = read.pop(merged)
                origin = os.path.abspath(files[merged])
                for digest in digests:
                    lib.add_digest(digest, origin)
                assert lib._meta is not None
                lib._meta.append(_file_meta(files[merged], stamps[merged], digests))
                merged += 1
    finally:
        if apart is not None:
            apart.stop()  # the read stopped before its file: the child goes
    if progress is not None:
        progress(total, total, "")
    lib.merge_title_ids()
    lib._parts = _kept_parts(lib._parts or {})
    lib._first = None
    lib.stats.files = total
    lib.expected = len(lib.papers)
    if cache is not None:
        lib._version = Version(key)
    if parsed is not None:
        parsed(lib)
    if cache is not None and cache.put_snapshot(key, lib) and lazy:
        _read_on_demand(lib, cache, lambda: open_library(paths, config, extra, use_cache=False))
    lib._parts = None  # the catalog keeps them (tens of MB in memory)
    return _with_faults(lib, faults, cache)


def _start_apart(
    files: list[Path], stamps: list[list[object] | None], order: list[int], config: Config
) -> Apart | None:
    """The child parsing the last file of ``order`` (the largest, in a first
    read), when it is big enough to be worth one and others are parsed
    meanwhile (see :mod:`reader.parse_apart`); None else."""
    from reader import parse_apart

    if len(order) < 2 or _size_of(stamps[order[-1]]) < parse_apart.APART_BYTES:
        return None
    apart = parse_apart.Apart(files[order[-1]], config.max_file_bytes)
    apart.at = order[-1]
    return apart


def _carry_columns(old: Library, current: Library | None, lib: Library) -> None:
    """``lib``, updated from ``current`` (the app's library, read again
    after a fetch) and read from the catalog on demand: its list columns
    are ``current``'s with the touched papers put in
    (:meth:`CatalogPapers.carry`), not every row read again."""
    version = lib._version
    if (
        old is current
        and version is not None
        and isinstance(lib.papers, CatalogPapers)
        and isinstance(old.papers, CatalogPapers)
    ):
        lib.papers.carry(old.papers, version.touched)


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


def _records_at_hand(lib: Library, cache: _Cache) -> bool:
    """Whether an update of ``lib`` can have its papers' records: the catalog
    holds that very library (another process may have moved it on)."""
    if lib._parts is not None:
        return True
    try:
        header = cache.catalog.header()
    except CatalogDamaged:
        return False
    return header is not None and lib._version is not None and header["key"] == lib._version.key


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
    before, are merged again from all their records (the new files', and the
    others' as the catalog keeps them: :data:`_Part`), in file order, exactly
    as a whole read would; every other paper is taken from ``old`` as it is.
    None when ``old`` cannot be updated (a snapshot from before this existed,
    or records the catalog cannot give): read everything then."""
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
    for n, (f, ap, _) in enumerate(changed):
        if progress is not None:
            progress(n, len(changed), str(f))
        fresh[ap] = _load_file(f, config, stats)
    if progress is not None:
        progress(len(changed), len(changed), "")
    # The papers to merge again: those of the changed files, now and before.
    left = [ap for ap in [*fresh, *gone] if ap in before]
    dirty = {info.path for ap in left for info in before[ap][1]}
    new_files = {ap: [p.id for d in ds for p in d.papers] for ap, ds in fresh.items()}
    group = {pid for ids in new_files.values() for pid in ids}
    titled = old._titled or any(pid.startswith("t:") for pid in group)
    owner = {info.path: ap for ap, (_, infos, _) in before.items() for info in infos}
    fresh_rows = {ap: [_digest_row(d) for d in ds] for ap, ds in fresh.items()}
    records = _Records(old, owner, cache)
    if dirty:
        try:
            group.update(records.of_files(left, dirty, titled))
        except _NoRecords:
            return None
    if not titled and not gone and not any(ap in before for ap in fresh):
        added = _added_at_an_end(old.papers, now, fresh_rows, owner)
        if added is not None:
            try:
                parts = records.parts_after(added, now, fresh_rows)
            except _NoRecords:
                return None
        if added is not None and isinstance(old.papers, CatalogPapers):
            # Read on demand: only the added papers, to be written in place;
            # the caller reads the updated catalog as asked (``_count``).
            known = sum(1 for pid in added if pid in old.papers)
            lib = _updated(dict(added), now, fresh, before, stats, titled)
            lib._count = len(old.papers) + len(added) - known
            lib.expected = lib._count
            lib._touched = set(added)
            lib._new_parts = parts
            lib._new_files = new_files
            lib._folded = dict(old._folded)
            return lib
        if added is not None:
            papers = {pid: p for pid, p in old.papers.items() if pid not in added}
            papers.update(added)
            lib = _updated(papers, now, fresh, before, stats, titled)
            _reorder(lib, old, set(added))
            lib._touched = set(added)
            lib._new_parts = parts
            lib._new_files = new_files
            lib._folded = dict(old._folded)
            return lib
    titles: set[str] = set()
    place = {ap: i for i, (_, ap, _) in enumerate(now)}
    kept = {ap for ap in place if ap not in fresh}  # files whose records stand

    while True:
        if titled:
            # A paper known by its title folds into one with the same title
            # (merge_title_ids): papers of a touched title are touched too,
            # and the papers such a one was folded into.
            found = {
                normalise_title(p.title) for ds in fresh.values() for d in ds for p in d.papers
            }
            found.update(
                normalise_title(old.papers[pid].title) for pid in group if pid in old.papers
            )
            titles.update(found)
            group.update(_same_titles(old.papers, titles))
            group.update(old._folded[tid] for tid in map(_title_id, titles) if tid in old._folded)
        try:
            feed = [
                (place[ap], ap, p)
                for recs in records.of(group).values()
                for ap, p in recs
                if ap in kept
            ]
        except _NoRecords:
            return None
        for ap, rows in fresh_rows.items():
            feed.extend((place[ap], ap, p) for r in rows for p in _as_read(_digest_from_row(r)))
        feed.sort(key=lambda rec: rec[0])  # stable: each file's records in their order
        merged = Library(_parts={}, _first={})
        for _, ap, p in feed:
            merged.add_records((p,), ap)
        merged.merge_title_ids()
        if not titled:
            break
        after = {normalise_title(p.title) for p in merged.papers.values()}
        if after <= titles:
            break
        titles.update(after)  # a title changed in the merge: look again, wider
    on_demand = isinstance(old.papers, CatalogPapers)
    if on_demand:
        # Read on demand: only the touched papers, written in place (no
        # other paper read: a file removed from a million papers read them
        # all, 56 s and 6 GB; a day fetched into the real digests, whose
        # ``t:`` ids kept this for libraries without them, read every block
        # three times, 84-150 s); the caller reads the catalog as asked.
        known = sum(present(old.papers, sorted(group)))
        papers = dict(merged.papers)
    else:
        papers = {pid: p for pid, p in old.papers.items() if pid not in group}
        papers.update(merged.papers)
    lib = _updated(papers, now, fresh, before, stats, titled or merged._titled)
    lib._touched = group | set(merged.papers)
    touched = lib._touched
    lib._new_parts = _kept_parts({k: v for k, v in (merged._parts or {}).items() if k in touched})
    lib._folded = {t: h for t, h in old._folded.items() if t not in touched and h not in touched}
    lib._folded.update(merged._folded)
    lib._new_files = new_files
    if on_demand:
        lib._count = len(old.papers) - known + len(merged.papers)
        lib.expected = lib._count
    else:
        _reorder(lib, old, lib._touched)
    return lib


def _title_id(normalised: str) -> str:
    """The ``t:`` id of a paper known only by this (normalised) title."""
    return "t:" + hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]


class _NoRecords(Exception):
    """The records an update needs cannot be had (the catalog holds another
    library than the one updated, or is damaged): read every file then."""


class _Records:
    """The records (:data:`_Part`) of the papers of ``old``: from the library
    itself when it holds them all (read from the digests), else from the
    catalog, which must then hold that same library. A paper with no parts
    kept is one file's records: the merged paper stands for them."""

    def __init__(self, old: Library, owner: Mapping[str, str], cache: _Cache) -> None:
        self.old, self.owner, self.cache = old, owner, cache

    def _kept(self, ids: Sequence[str]) -> Mapping[str, list[_Part]]:
        if self.old._parts is not None:
            return self.old._parts
        cat = self.cache.catalog
        want = self.old._version.key if self.old._version is not None else None
        try:
            header = cat.header()
            if header is None or want is None or header.get("key") != want:
                raise _NoRecords("the catalog holds another library")
            return cat.parts(ids)
        except CatalogDamaged as exc:
            self.cache._catalog_damaged()  # rebuilt from the digests, and said
            raise _NoRecords(str(exc)) from exc

    def of_files(self, aps: Sequence[str], dirty: set[str], titled: bool) -> set[str]:
        """The ids of the papers of ``old`` that some digest of ``dirty``
        gave (the digests of the files ``aps``, removed or changed): those
        the catalog says the files gave (:meth:`Catalog.file_ids`), read and
        checked, when it holds ``old`` and knows every one of them (with
        ``titled``, also the papers their ``t:`` ids folded into); else
        every paper is looked at."""
        papers = self.old.papers
        ids = self._file_ids(aps)
        if ids is not None and titled:
            # A file's ``t:`` ids may have folded into papers of the same
            # title (and the first read's rows name the papers they made).
            folded = self.old._folded
            ids += [folded[pid] for pid in ids if pid in folded]
        if ids is None:
            return {pid for pid, p in papers.items() if not dirty.isdisjoint(p.sources)}
        if isinstance(papers, CatalogPapers):
            have: Mapping[str, Paper] = papers.take(ids)
        else:
            have = {pid: papers[pid] for pid in ids if pid in papers}
        return {pid for pid, p in have.items() if not dirty.isdisjoint(p.sources)}

    def _file_ids(self, aps: Sequence[str]) -> list[str] | None:
        cat = self.cache.catalog
        want = self.old._version.key if self.old._version is not None else None
        try:
            header = cat.header()
            if header is None or want is None or header.get("key") != want:
                return None
            got = cat.file_ids(aps)
        except CatalogDamaged as exc:
            self.cache._catalog_damaged()
            raise _NoRecords(str(exc)) from exc
        if any(ap not in got for ap in aps):
            return None
        return [pid for ap in aps for pid in got[ap]]

    def of(self, ids: Iterable[str]) -> dict[str, list[_Part]]:
        """Copies of the records of each of ``ids`` that ``old`` holds."""
        papers = self.old.papers
        have = [pid for pid in ids if pid in papers]
        kept = self._kept(have)
        out: dict[str, list[_Part]] = {}
        for pid in have:
            recs = kept.get(pid)
            if recs is None:
                paper = papers[pid]
                ap = next((self.owner[s] for s in paper.sources if s in self.owner), None)
                if ap is None:
                    raise _NoRecords(f"no file gave {pid}")
                recs = [(ap, paper)]
            out[pid] = [(ap, _copy_paper(p)) for ap, p in recs]
        return out

    def parts_after(
        self,
        added: Mapping[str, Paper],
        now: list[tuple[Path, str, list[object] | None]],
        fresh_rows: dict[str, list[tuple[Any, ...]]],
    ) -> dict[str, list[_Part]]:
        """The parts to keep of the papers files only added gave (merged by
        :func:`_added_at_an_end`): their records before, and the new ones."""
        place = {ap: i for i, (_, ap, _) in enumerate(now)}
        feed = [(place[ap], ap, p) for recs in self.of(added).values() for ap, p in recs]
        for ap, rows in fresh_rows.items():
            feed.extend(
                (place[ap], ap, p)
                for r in rows
                for p in _as_read(_digest_from_row(r))
                if p.id in added
            )
        feed.sort(key=lambda rec: rec[0])
        by_id: dict[str, list[_Part]] = {}
        for _, ap, p in feed:
            by_id.setdefault(p.id, []).append((ap, p))
        return _kept_parts({pid: recs for pid, recs in by_id.items() if len(recs) > 1})


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
    sorted again. Only over papers held in memory: ``old``'s order read
    from the catalog would be every paper read (a block each few), so
    ``lib`` (a dict) is then sorted when asked."""
    order = old.ordered()
    if isinstance(order, PaperRows):
        lib._ordered = None
        return
    new = Library(papers={pid: lib.papers[pid] for pid in touched if pid in lib.papers})
    incoming = new.ordered()
    out: list[Paper] = []
    i = 0
    for p in order:
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
    """The ids of ``papers`` whose normalised title is one of ``titles``
    (over the catalog: from its key rows, no paper read)."""
    if isinstance(papers, CatalogPapers):
        got = papers.title_ids(titles)
        if got is not None:
            return got
    keys = {title_key(t) for t in titles}
    return [
        pid
        for pid, p in papers.items()
        if title_key(p.title) in keys and normalise_title(p.title) in titles
    ]


def _size_of(stamp: list[object] | None) -> int:
    size = stamp[0] if stamp else 0
    return size if isinstance(size, int) else 0


def load_path(
    path: Path, max_bytes: int | None = None, each: Callable[[Digest], None] | None = None
) -> list[Digest]:
    """:func:`reader.formats.load_path`, imported when a file is first
    parsed: the parsers and archive readers are not imported by a command
    over an unchanged library (the catalog answers it)."""
    from reader.formats import load_path as load

    if max_bytes is None:
        return load(path, each=each)
    return load(path, max_bytes=max_bytes, each=each)


def _load_file(
    path: Path,
    config: Config,
    stats: LoadStats,
    each: Callable[[Digest], None] | None = None,
) -> list[Digest]:
    """One file's digests; ``each`` gets every digest as soon as it is read."""
    digests = load_path(path, max_bytes=config.max_file_bytes, each=each)
    stats.parsed += 1
    return digests


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
# The merged library is kept in the catalog (:mod:`reader.catalog`); the
# digests' own parse is not kept (it took more room than the digests): an
# update parses only the files that changed, and takes every other file's
# records of the papers it merges again from the catalog (``_Part``).

#: The warning a library carries when a cache file it found was damaged.
DAMAGED = "was damaged: rebuilt"
#: The catalog's first rows: what a partial open reads before the first paint.
SNAPSHOT_HEAD = 300
#: What the readers before this one kept beside the catalog: one parse cache
#: per digest file (``<sha1>.bin``) and the snapshot before the catalog.
_OLD_CACHES = ("*.bin", "library.snapshot")


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


def _digest_from_row(r: tuple[Any, ...]) -> Digest:
    """A digest from its :func:`_digest_row` (fresh papers, to merge)."""
    path, fmt, title, date, source, rows, abstracts, problems = r
    digest = Digest(path=path, format=fmt, title=title, date=date, source=source)
    digest.papers = [_paper_from_row(row, ab) for row, ab in zip(rows, abstracts, strict=True)]
    digest.problems = [Problem(path, m, ln, rec, sev) for m, ln, rec, sev in problems]
    return digest


class _Cache:
    """The library cache folder: the catalog of the whole merged library."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: The cache files found damaged (not missing, not merely stale).
        self.damaged: set[Path] = set()
        self._catalog: Catalog | None = None

    def warning(self) -> list[Problem]:
        """The one line that says the cache was damaged, if it was."""
        if not self.damaged:
            return []
        if len(self.damaged) == 1:
            where, what = str(next(iter(self.damaged))), "cache file"
        else:
            where, what = str(self.folder), f"cache ({counted(len(self.damaged), 'file')})"
        return [Problem(where, f"{what} {DAMAGED}", severity="warning")]

    def remove_old(self) -> None:
        """Remove what readers before this one kept here (see :data:`_OLD_CACHES`)."""
        for pattern in _OLD_CACHES:
            for path in self.folder.glob(pattern):
                with contextlib.suppress(OSError):
                    path.unlink()

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
            lib._folded = {str(t): str(h) for t, h in header.get("folded", {}).items()}
            if lazy and fallback is not None:
                whole = fallback
                lib.papers = CatalogPapers(cat, lib.expected, lambda: whole().papers)
                # 10,076 archive members in the real digests: 30-50 ms a command
                # would spend on them for nothing; read when asked for.
                del lib.digests
                lib._digest_rows = cat.digest_rows
                if partial and lib.expected > SNAPSHOT_HEAD:
                    # The app: the first screen lists the newest ids; the
                    # list of every id (0.2 s at 100k papers, 2 s at 1M) is
                    # read after it (``load_rest``).
                    ids, dates = cat.head(SNAPSHOT_HEAD)
                    lib._ordered = PaperRows(ids, lib.papers, dates)
                    lib._rest = partial_rest(lib)
                return lib
            lib.digests = _digest_infos(cat.digest_rows())
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
            full._version, full._folded = lib._version, lib._folded
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
            "folded": lib._folded,
        }
        papers = lib.papers
        # Every row again needs every paper's parts: only a library read
        # from the digests knows them all.
        whole = None if strict or lib._parts is None else lib.ordered
        parts = lib._parts if touched is None else lib._new_parts
        files = _file_ids(lib) if touched is None else lib._new_files
        self.remove_old()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return self.catalog.write(
                header,
                whole,
                None if touched is None else [papers[pid] for pid in touched if pid in papers],
                touched,
                base,
                parts or {},
                files or {},
            )
        except (sqlite3.OperationalError, OSError, ValueError):
            return False  # a cache that cannot be written is only slower
        except sqlite3.DatabaseError:
            self.catalog.remove()  # damaged: written again next time
            return False


def _file_ids(lib: Library) -> dict[str, list[str]]:
    """The ids each file of ``lib`` (absolute path) gave, from its papers'
    sources (a full write: every file); empty when some source is not a
    digest of its files (then an update reads every paper, as without)."""
    if lib._meta is None:
        return {}
    owner: dict[str, str] = {}
    at = 0
    for m in lib._meta:
        for info in lib.digests[at : at + m[2]]:
            owner[info.path] = m[0]
        at += m[2]
    out: dict[str, list[str]] = {m[0]: [] for m in lib._meta}
    # The ``t:`` ids folded into a paper too, with each file of its: should
    # the fold come undone (another file changes the title), the file's
    # paper is found by the id it gave (see ``_Records.of_files``).
    folded: dict[str, list[str]] = {}
    for tid, host in lib._folded.items():
        folded.setdefault(host, []).append(tid)
    for pid, p in lib.papers.items():
        for source in p.sources:
            ap = owner.get(source)
            if ap is None:
                return {}
            out[ap].append(pid)
            out[ap].extend(folded.get(pid, ()))
    return out


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
