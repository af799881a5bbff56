"""The library: every digest the user reads, merged into one set of papers.

Digest files come from the library folder (``digest-reader add`` copies there),
the folders named in the config, and paths given on the command line (files,
folders or archives). With none of these, the bundled sample digests open.

Parsing is the slow part, so each file's digests are cached (JSON in the cache
folder, keyed by the file's path, size and mtime and the reader's version):
a second start reads only the files that changed. The cache, like the index,
can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reader import __version__
from reader.config import Config
from reader.formats import load_path, looks_like_digest
from reader.model import Digest, Paper, Problem, merge_papers
from reader.paths import Paths, resource_dir

#: Bump when what a format produces changes, so cached digests are read again.
CACHE_VERSION = 1

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


@dataclass
class Library:
    """Papers merged by id, with the digests they came from."""

    papers: dict[str, Paper] = field(default_factory=dict)
    digests: list[DigestInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    stats: LoadStats = field(default_factory=LoadStats)
    #: True when nothing was configured and the bundled samples were opened.
    is_sample: bool = False
    _ordered: list[Paper] | None = field(default=None, repr=False)

    def ordered(self) -> list[Paper]:
        """Every paper, newest digest day first, then by title."""
        if self._ordered is None:
            by_title = sorted(self.papers.values(), key=lambda p: p.title.casefold())
            self._ordered = sorted(by_title, key=lambda p: p.date, reverse=True)
        return self._ordered

    def days(self) -> list[str]:
        """Every digest day, newest first."""
        found: set[str] = set()
        for p in self.papers.values():
            found.update(p.dates)
        return sorted(found, reverse=True)

    def on_day(self, day: str) -> list[Paper]:
        """The papers that appeared on ``day``, in list order."""
        return [p for p in self.ordered() if day in p.dates]

    def add_digest(self, digest: Digest) -> None:
        """Merge one digest's papers into the library."""
        self._ordered = None
        self.problems.extend(digest.problems)
        self.digests.append(
            DigestInfo(
                path=digest.path,
                format=digest.format,
                title=digest.title,
                date=digest.date,
                count=len(digest.papers),
                problems=sum(1 for p in digest.problems if p.severity == "error"),
            )
        )
        for paper in digest.papers:
            if digest.date and not paper.dates:
                paper.dates = [digest.date]
            if digest.path not in paper.sources:
                paper.sources.append(digest.path)
            have = self.papers.get(paper.id)
            if have is None:
                self.papers[paper.id] = paper
            else:
                merge_papers(have, paper)


def library_roots(paths: Paths, config: Config) -> list[Path]:
    """The library folder and the configured folders (those that exist)."""
    roots = [paths.library_dir, *config.library]
    return [r for r in roots if r.exists()]


def find_files(roots: Iterable[Path]) -> list[Path]:
    """Digest files under the given files/folders, in a stable order, each once."""
    out: list[Path] = []
    seen: set[str] = set()
    for root in roots:
        if root.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(root):
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
) -> Library:
    """Load every digest (see module docs); never raises on bad digests."""
    roots = [*library_roots(paths, config), *extra]
    files = find_files(roots)
    is_sample = False
    if not files and not extra:
        files = find_files([resource_dir("sample_digests")])
        is_sample = True
    lib = Library(files=files, is_sample=is_sample)
    cache = _Cache(paths.library_cache) if use_cache else None
    total = len(files)
    for n, f in enumerate(files):
        if progress is not None:
            progress(n, total, str(f))
        for digest in _load_file(f, config, cache, lib.stats):
            lib.add_digest(digest)
    if progress is not None:
        progress(total, total, "")
    lib.stats.files = total
    return lib


def _load_file(path: Path, config: Config, cache: _Cache | None, stats: LoadStats) -> list[Digest]:
    stamp = _stamp(path)
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


def _stamp(path: Path) -> list[object] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, CACHE_VERSION, __version__]


class _Cache:
    """One JSON file per digest file, named by the hash of its absolute path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, key: str) -> Path:
        return self.folder / (hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")

    def get(self, path: Path, stamp: list[object]) -> list[Digest] | None:
        try:
            with open(self._file(os.path.abspath(path)), encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("stamp") != stamp:
                return None
            return [_digest_from(d) for d in data["digests"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing or damaged: read the file again

    def put(self, path: Path, stamp: list[object], digests: list[Digest]) -> None:
        key = os.path.abspath(path)
        data = {"path": key, "stamp": stamp, "digests": [_digest_to(d) for d in digests]}
        target = self._file(key)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)  # a cache that cannot be written is only slower


def clear_cache(paths: Paths) -> int:
    """Delete every cached digest; returns how many files were removed."""
    n = 0
    if paths.library_cache.is_dir():
        for f in paths.library_cache.iterdir():
            if f.suffix == ".json" or ".tmp" in f.suffix:
                f.unlink(missing_ok=True)
                n += 1
    return n


def _digest_to(d: Digest) -> dict[str, object]:
    return {
        "path": d.path,
        "format": d.format,
        "title": d.title,
        "date": d.date,
        "source": d.source,
        "papers": [p.to_dict() for p in d.papers],
        "problems": [[p.message, p.line, p.record, p.severity] for p in d.problems],
    }


def _digest_from(d: dict[str, object]) -> Digest:
    digest = Digest(
        path=str(d["path"]),
        format=str(d["format"]),
        title=str(d.get("title") or ""),
        date=str(d.get("date") or ""),
        source=str(d.get("source") or ""),
        papers=[Paper.from_dict(p) for p in d["papers"]],  # type: ignore[attr-defined]
    )
    for msg, line, record, severity in d.get("problems") or []:  # type: ignore[attr-defined]
        digest.problems.append(Problem(digest.path, msg, line, record, severity))
    return digest
