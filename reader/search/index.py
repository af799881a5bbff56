"""The Whoosh index: a rebuildable cache in the cache folder.

Layout of ``folder`` (``Paths.index_dir``)::

    CURRENT                 name of the live generation ("ix-<token>")
    ix-<token>/             a Whoosh index we wrote, with
        digest-reader-index.json   our stamp (format, version, token)
        hashes.json                sidecar: paper id -> content hash, same token
    tmp-<token>/            a build in progress (holds "owner" = pid)
    write.lock              our flock: one writer (sync/rebuild) at a time

* A full build goes into ``tmp-<token>`` and is renamed to ``ix-<token>``, then
  ``CURRENT`` is replaced atomically: searches use the old generation (or none)
  until the swap.
* :meth:`SearchIndex.sync` compares content hashes with the sidecar and
  re-indexes only what differs, committing in batches of :data:`BATCH` papers
  (each batch is visible to searches once committed).
* A folder is opened only when its stamp matches (Whoosh stores its schema with
  pickle: a folder we did not write is never opened). Any exception while
  opening or reading marks the index damaged; the next :meth:`sync` rebuilds.
* Under our lock, leftovers of a killed process are cleaned: Whoosh's
  ``MAIN_WRITELOCK``, its ``*.tmp`` pools, ``tmp-*`` builds whose owner died.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from array import array
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Composable, Token
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, pack_uint, unpack_uint

from reader.model import Paper
from reader.search.query import analyze

#: Bump when the schema, the analyzer or the sidecar changes: older indexes are rebuilt.
INDEX_VERSION = 3
STAMP_NAME = "digest-reader-index.json"
SIDECAR_NAME = "hashes.json"
STAMP_FORMAT = "digest-reader-index"
#: Papers per commit during :meth:`SearchIndex.sync`.
BATCH = 5000
#: Above this many changed papers (and half the index), sync rebuilds instead.
REBUILD_OVER = 20000
#: tmp-* builds older than this are removed even if their owner seems alive.
STALE_BUILD_SECONDS = 6 * 3600
_GEN_RE = re.compile(r"^ix-[0-9a-f]{16}$")
_TMP_RE = re.compile(r"^tmp-[0-9a-f]{16}$")

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class IndexUnavailable(Exception):
    """The index cannot answer (missing, damaged, or being built)."""


@dataclass
class SyncReport:
    """What :meth:`SearchIndex.sync` or :meth:`SearchIndex.rebuild` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    total: int = 0
    rebuilt: bool = False
    cancelled: bool = False
    busy: bool = False
    seconds: float = 0.0
    #: Why a rebuild happened ("" when none): "missing", "damaged", "version", ...
    reason: str = ""
    error: str = ""

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed

    def __str__(self) -> str:
        if self.busy:
            return "another process is updating the index; searched what is indexed"
        if self.error:
            return f"index not updated: {self.error}"
        what = "rebuilt" if self.rebuilt else "updated"
        why = f" ({self.reason})" if self.reason else ""
        done = "cancelled" if self.cancelled else f"{what}{why}"
        return (
            f"index {done}: {self.added} added, {self.updated} changed, "
            f"{self.removed} removed, {self.total} indexed"
        )


# --------------------------------------------------------------------------
# Analysis for Whoosh: one pass, no per-token generator chain


class DigestAnalyzer(Composable):  # type: ignore[misc]
    """Whoosh analyzer wrapping :func:`reader.search.query.analyze`."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, word in enumerate(analyze(value)):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + i
            yield t

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DigestAnalyzer)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class FastPositions(Positions):  # type: ignore[misc]
    """Positions stored as a packed array (Whoosh pickles them), computed in one
    pass over :func:`analyze`."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        fb = self.field_boost
        poses: dict[str, list[int]] = {}
        for i, word in enumerate(analyze(value) if isinstance(value, str) else value):
            got = poses.get(word)
            if got is None:
                poses[word] = [i]
            else:
                got.append(i)
        for w, poslist in poses.items():
            n = len(poslist)
            yield (w, n, n * fb, self.encode(poslist))

    def encode(self, poslist: list[int]) -> bytes:
        deltas = array("I")
        base = 0
        for pos in poslist:
            deltas.append(pos - base)
            base = pos
        return bytes(pack_uint(len(deltas))) + deltas.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[_INT_SIZE:])
        position = 0
        out: list[int] = []
        for d in deltas:
            position += d
            out.append(position)
        return out

    def decode_frequency(self, valuestring: bytes) -> int:
        return int(unpack_uint(valuestring[:_INT_SIZE])[0])

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring) * self.field_boost)

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]


def _text_field() -> TEXT:
    f = TEXT(analyzer=DigestAnalyzer(), phrase=True)
    f.format = FastPositions(field_boost=1.0)
    return f


def make_schema() -> Schema:
    """id (stored, the only stored field), title, authors, abstract, tags."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=_text_field(),
        authors=_text_field(),
        abstract=_text_field(),
        tags=_text_field(),
    )


def make_codec() -> W3Codec:
    """Whoosh's codec without zlib on posting blocks (about 15% faster builds,
    a little faster reads, a slightly bigger index)."""
    return W3Codec(compression=0)


def doc_fields(paper: Paper) -> dict[str, str]:
    """The fields indexed for ``paper``."""
    return {
        "id": paper.id,
        "title": paper.title,
        "authors": " ; ".join(paper.authors),
        "abstract": paper.abstract,
        "tags": " ; ".join(paper.tags),
    }


def content_hash(paper: Paper) -> str:
    """A short hash of what is indexed for ``paper``."""
    h = hashlib.blake2b(digest_size=8)
    h.update(paper.title.encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update("\x1f".join(paper.authors).encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update(paper.abstract.encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update("\x1f".join(paper.tags).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# --------------------------------------------------------------------------
# Small file helpers


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None


def _stamp(token: str) -> dict[str, Any]:
    import whoosh

    return {
        "format": STAMP_FORMAT,
        "version": INDEX_VERSION,
        "token": token,
        "whoosh": whoosh.versionstring(),
    }


def _stamp_ok(folder: Path, token: str) -> bool:
    data = _read_json(folder / STAMP_NAME)
    return isinstance(data, dict) and data == _stamp(token)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class _FileLock:
    """A non-blocking flock on ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# --------------------------------------------------------------------------


class SearchIndex:
    """The full-text index over title, authors, abstract and tags.

    Thread use: one thread may :meth:`sync` while others :meth:`search`; a
    search uses the last committed state. Across processes, one writer at a
    time (``write.lock``); a busy sync returns ``SyncReport(busy=True)``.
    """

    def __init__(self, folder: Path, procs: int | None = None) -> None:
        self.folder = Path(folder)
        #: Processes for a full build (None: 2 when the machine has 2+ cores).
        self.procs = procs
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._ix: Any = None
        self._gen: str | None = None
        self._searcher: Any = None
        self._hashes: dict[str, str] = {}
        self._ids_by_docnum: list[str | None] | None = None
        self._docnum_by_id: dict[str, int] | None = None
        self._opened = False
        self._checked_at = 0.0
        self._current_stat: tuple[int, int] | None = None
        #: Why the index cannot be used ("" when it can): missing, damaged, version...
        self.problem = ""
        self._papers: Mapping[str, Paper] | None = None
        self._hash_cache: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}

    # ---------------------------------------------------------------- opening

    def _current_name(self) -> str | None:
        try:
            name = (self.folder / "CURRENT").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return name if _GEN_RE.match(name) else None

    def _stat_current(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.folder / "CURRENT")
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _open(self) -> None:
        """Open the live generation if it is ours and sound; else set ``problem``."""
        self._close_searcher()
        self._ix = None
        self._gen = None
        self._hashes = {}
        self._opened = True
        self._current_stat = self._stat_current()
        name = self._current_name()
        if name is None:
            self.problem = "missing"
            return
        path = self.folder / name
        token = name[3:]
        if not _stamp_ok(path, token):
            # Not stamped by us (or another version): never handed to Whoosh.
            self.problem = "version"
            return
        side = _read_json(path / SIDECAR_NAME)
        if (
            not isinstance(side, dict)
            or side.get("token") != token
            or not isinstance(side.get("hashes"), dict)
        ):
            self.problem = "damaged"
            return
        try:
            ix = windex.open_dir(str(path), schema=None)
            searcher = ix.searcher()
            searcher.doc_count_all()
        except Exception:
            self.problem = "damaged"
            return
        self._ix = ix
        self._searcher = searcher
        self._gen = name
        self._hashes = {str(k): str(v) for k, v in side["hashes"].items()}
        self.problem = ""

    def _ensure_open(self) -> None:
        if not self._opened:
            self._open()
            return
        now = time.monotonic()
        if now - self._checked_at < 1.0:
            return
        self._checked_at = now
        if self._stat_current() != self._current_stat:
            self._open()  # another process swapped in a new generation
            return
        if self._searcher is not None:
            try:
                self._refresh_searcher()
            except Exception:
                self._mark_damaged()

    def _refresh_searcher(self) -> None:
        # Not Searcher.refresh(): whoosh-reloaded 2.7.5 reuses the old segment
        # readers there, with their old deletions (updated papers show twice).
        old = self._searcher
        if old.up_to_date():
            return
        self._searcher = self._ix.searcher()
        with contextlib.suppress(Exception):
            old.close()
        if True:
            self._ids_by_docnum = None
            self._docnum_by_id = None
            side = _read_json(self.folder / (self._gen or "") / SIDECAR_NAME)
            if isinstance(side, dict) and isinstance(side.get("hashes"), dict):
                self._hashes = {str(k): str(v) for k, v in side["hashes"].items()}

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._ids_by_docnum = None
        self._docnum_by_id = None

    def _mark_damaged(self) -> None:
        self._close_searcher()
        self._ix = None
        self.problem = "damaged"

    @property
    def usable(self) -> bool:
        """True when searches can use the index now."""
        with self._lock:
            self._ensure_open()
            return self._searcher is not None

    def indexed_hashes(self) -> Mapping[str, str]:
        """Paper id -> content hash of what is committed (empty when unusable)."""
        with self._lock:
            self._ensure_open()
            return self._hashes if self._searcher is not None else {}

    @property
    def generation(self) -> tuple[str | None, int]:
        """Changes whenever what searches see changes."""
        s = self._searcher
        return (self._gen, id(s) if s is not None else 0)

    def close(self) -> None:
        with self._lock:
            self._close_searcher()
            self._ix = None
            self._opened = False

    # -------------------------------------------------------------- searching

    def _get_searcher(self) -> Any:
        self._ensure_open()
        if self._searcher is None:
            raise IndexUnavailable(self.problem or "missing")
        return self._searcher

    def _id_maps(self, searcher: Any) -> tuple[list[str | None], dict[str, int]]:
        if self._ids_by_docnum is None or self._docnum_by_id is None:
            ids: list[str | None] = [None] * searcher.doc_count_all()
            for docnum, fields in searcher.reader().iter_docs():
                ids[docnum] = fields.get("id")
            self._ids_by_docnum = ids
            self._docnum_by_id = {pid: n for n, pid in enumerate(ids) if pid is not None}
        return self._ids_by_docnum, self._docnum_by_id

    def search(
        self, q: wq.Query, limit: int | None = 50, only: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Ranked ``(id, score)``; ``only`` restricts to those ids. Raises
        :class:`IndexUnavailable` when the index cannot answer."""
        return self.search_counted(q, limit, only)[0]

    def search_counted(
        self, q: wq.Query, limit: int | None = 50, only: Collection[str] | None = None
    ) -> tuple[list[tuple[str, float]], int, bool]:
        """:meth:`search`, plus the number of matches and whether it is exact
        (with a ``limit`` Whoosh may skip documents that cannot rank: then the
        number is an upper estimate)."""
        with self._lock:
            searcher = self._get_searcher()
            try:
                flt = None
                if only is not None:
                    _, by_id = self._id_maps(searcher)
                    flt = {by_id[p] for p in only if p in by_id}
                    if not flt:
                        return [], 0, True
                results = searcher.search(q, limit=limit, terms=False, filter=flt)
                docs = results.top_n
                if results.has_exact_length():
                    total, exact = len(results), True
                elif limit is not None and len(docs) < limit:
                    total, exact = len(docs), True
                else:
                    total, exact = results.estimated_length(), False
                if len(docs) > 200 or self._ids_by_docnum is not None:
                    ids, _ = self._id_maps(searcher)
                    hits = [(ids[d] or "", float(s)) for s, d in docs if ids[d]]
                else:
                    stored = searcher.stored_fields
                    hits = [(stored(d)["id"], float(s)) for s, d in docs]
                return hits, total, exact
            except IndexUnavailable:
                raise
            except Exception as exc:
                self._mark_damaged()
                raise IndexUnavailable("damaged") from exc

    def matching(self, q: wq.Query) -> set[str]:
        """Every id matching ``q`` (unscored)."""
        with self._lock:
            searcher = self._get_searcher()
            try:
                ids, _ = self._id_maps(searcher)
                matcher = q.matcher(searcher)
                out: set[str] = set()
                for d in matcher.all_ids():
                    pid = ids[d] if d < len(ids) else None
                    if pid:
                        out.add(pid)
                return out
            except Exception as exc:
                self._mark_damaged()
                raise IndexUnavailable("damaged") from exc

    def more_like(
        self, pid: str, limit: int = 20, paper: Paper | None = None
    ) -> list[tuple[str, float]]:
        """Papers like ``pid``: its key terms (title and abstract, re-analysed
        from ``paper`` or the last synced papers, weighted by idf) as an Or query."""
        if paper is None and self._papers is not None:
            paper = self._papers.get(pid)
        if paper is None:
            return []
        with self._lock:
            searcher = self._get_searcher()
            try:
                q = self._like_query(searcher, paper)
                if q is None:
                    return []
                results = searcher.search(q, limit=limit + 1, terms=False, mask=wq.Term("id", pid))
                stored = searcher.stored_fields
                out = [(stored(d)["id"], float(s)) for s, d in results.top_n]
                return [(i, s) for i, s in out if i != pid][:limit]
            except Exception as exc:
                self._mark_damaged()
                raise IndexUnavailable("damaged") from exc

    @staticmethod
    def _like_query(searcher: Any, paper: Paper, numterms: int = 14) -> wq.Query | None:
        counts: dict[str, float] = {}
        for w in analyze(paper.title):
            counts[w] = counts.get(w, 0.0) + 2.0
        for w in analyze(paper.abstract):
            counts[w] = counts.get(w, 0.0) + 1.0
        scored: list[tuple[float, str]] = []
        for w, tf in counts.items():
            if len(w) < 3 or w.isdigit():
                continue
            df = searcher.doc_frequency("abstract", w) + searcher.doc_frequency("title", w)
            if df <= 1:
                continue  # only this paper has it
            scored.append((tf * searcher.idf("abstract", w), w))
        scored.sort(reverse=True)
        top = scored[:numterms]
        if not top:
            return None
        best = top[0][0] or 1.0
        parts: list[wq.Query] = []
        for weight, w in top:
            b = weight / best
            parts.append(wq.Term("title", w, boost=2.0 * b))
            parts.append(wq.Term("abstract", w, boost=b))
        return wq.Or(parts)

    # ---------------------------------------------------------------- writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[bool]:
        """Hold our in-process and on-disk write locks (yields False when busy)."""
        if not self._write_lock.acquire(blocking=False):
            yield False
            return
        lock: _FileLock | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = _FileLock(self.folder / "write.lock")
            if not lock.acquire():
                yield False
                return
            self._clean_leftovers()
            yield True
        finally:
            if lock is not None:
                lock.release()
            self._write_lock.release()

    def _clean_leftovers(self) -> None:
        """Under the write lock: remove what a killed writer left behind."""
        current = self._current_name()
        now = time.time()
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            if _TMP_RE.match(entry.name):
                owner = _read_json(path / "owner")
                alive = isinstance(owner, int) and owner != os.getpid() and _pid_alive(owner)
                try:
                    age = now - entry.stat().st_mtime
                except OSError:
                    age = 0
                if not alive or age > STALE_BUILD_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            elif _GEN_RE.match(entry.name) and entry.name != current:
                shutil.rmtree(path, ignore_errors=True)
            elif entry.name.startswith(".CURRENT.") and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    path.unlink()
        if current is not None:
            self._clean_generation(self.folder / current)

    @staticmethod
    def _clean_generation(path: Path) -> None:
        with contextlib.suppress(OSError):
            (path / "MAIN_WRITELOCK").unlink()
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            if entry.name.endswith(".tmp"):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def sync(
        self,
        papers: Mapping[str, Paper],
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SyncReport:
        """Bring the index in line with ``papers``: add, update and remove only
        what differs (by content hash). A missing, damaged or foreign index is
        rebuilt. Never raises for index trouble (see ``SyncReport.error``)."""
        start = time.monotonic()
        self._papers = papers
        with self._writing() as ok:
            if not ok:
                return SyncReport(busy=True, total=len(self._hashes))
            with self._lock:
                if not self._opened or self._searcher is None:
                    self._open()
                else:
                    self._checked_at = 0.0  # look for another process's commits now
                    self._ensure_open()
                problem = self.problem
                old = dict(self._hashes)
            if problem:
                report = self._build(papers, progress, cancelled)
                report.reason = problem
                report.seconds = time.monotonic() - start
                return report
            new = self._hash_all(papers)
            changed = [pid for pid, h in new.items() if old.get(pid) != h]
            removed = [pid for pid in old if pid not in new]
            if len(changed) + len(removed) > max(REBUILD_OVER, len(old) // 2):
                report = self._build(papers, progress, cancelled)
                report.reason = "many changes"
                report.seconds = time.monotonic() - start
                return report
            report = self._update(papers, new, old, changed, removed, progress, cancelled)
            report.seconds = time.monotonic() - start
            return report

    def _hash_all(self, papers: Mapping[str, Paper]) -> dict[str, str]:
        """Content hashes, re-computed only for papers whose object or text
        lengths changed since the last sync (hashing 100k abstracts takes ~0.5 s)."""
        cache = self._hash_cache
        fresh: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}
        out: dict[str, str] = {}
        for pid, p in papers.items():
            key = (id(p), len(p.title), len(p.abstract), len(p.authors), len(p.tags))
            got = cache.get(pid)
            h = got[1] if got is not None and got[0] == key else content_hash(p)
            fresh[pid] = (key, h)
            out[pid] = h
        self._hash_cache = fresh
        return out

    def rebuild(
        self,
        papers: Mapping[str, Paper],
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> SyncReport:
        """Build a new index of ``papers`` from scratch and swap it in."""
        start = time.monotonic()
        self._papers = papers
        with self._writing() as ok:
            if not ok:
                return SyncReport(busy=True, total=len(self._hashes))
            report = self._build(papers, progress, cancelled)
            report.reason = report.reason or "asked"
            report.seconds = time.monotonic() - start
            return report

    def _update(
        self,
        papers: Mapping[str, Paper],
        new: dict[str, str],
        old: dict[str, str],
        changed: list[str],
        removed: list[str],
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> SyncReport:
        report = SyncReport(total=len(old))
        work: list[tuple[str, bool]] = [(pid, True) for pid in removed]
        work += [(pid, False) for pid in changed]
        if not work:
            return report
        assert self._gen is not None
        gen_path = self.folder / self._gen
        token = self._gen[3:]
        hashes = dict(old)
        done = 0
        total = len(work)
        try:
            for first in range(0, total, BATCH):
                batch = work[first : first + BATCH]
                writer = self._ix.writer(limitmb=128, codec=make_codec())
                try:
                    for pid, is_removal in batch:
                        if cancelled is not None and cancelled():
                            writer.cancel()
                            report.cancelled = True
                            return report
                        if is_removal:
                            writer.delete_by_term("id", pid)
                            hashes.pop(pid, None)
                            report.removed += 1
                        else:
                            # update_document even for new ids: a crash between a
                            # commit and the sidecar write must not duplicate.
                            writer.update_document(**doc_fields(papers[pid]))
                            if pid in old:
                                report.updated += 1
                            else:
                                report.added += 1
                            hashes[pid] = new[pid]
                        done += 1
                        if progress is not None and done % 500 == 0:
                            progress(done, total)
                except BaseException:
                    with contextlib.suppress(Exception):
                        writer.cancel()
                    raise
                small = len(batch) < 1000 and self._segment_count() < 12
                writer.commit(merge=not small)
                _write_atomic(
                    gen_path / SIDECAR_NAME,
                    json.dumps({"token": token, "hashes": hashes}, separators=(",", ":")),
                )
                with self._lock:
                    self._hashes = dict(hashes)
                    if self._searcher is not None:
                        self._refresh_searcher()
                if progress is not None:
                    progress(done, total)
        except Exception as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._mark_damaged()
            return report
        report.total = len(hashes)
        return report

    def _segment_count(self) -> int:
        try:
            return len(self._ix._segments())
        except Exception:
            return 0

    def _build(
        self,
        papers: Mapping[str, Paper],
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> SyncReport:
        report = SyncReport(rebuilt=True)
        token = secrets.token_hex(8)
        tmp = self.folder / f"tmp-{token}"
        final = self.folder / f"ix-{token}"
        total = len(papers)
        try:
            tmp.mkdir(parents=True)
            (tmp / "owner").write_text(str(os.getpid()), encoding="utf-8")
            ix = windex.create_in(str(tmp), make_schema())
            procs = self.procs
            if procs is None:
                procs = 2 if (os.cpu_count() or 1) >= 2 and total >= 20000 else 1
            if procs > 1:
                writer = ix.writer(procs=procs, limitmb=256, multisegment=True, codec=make_codec())
            else:
                writer = ix.writer(limitmb=256, codec=make_codec())
            hashes: dict[str, str] = {}
            try:
                for n, (pid, paper) in enumerate(papers.items(), 1):
                    if cancelled is not None and n % 200 == 0 and cancelled():
                        writer.cancel()
                        report.cancelled = True
                        shutil.rmtree(tmp, ignore_errors=True)
                        return report
                    writer.add_document(**doc_fields(paper))
                    h = content_hash(paper)
                    hashes[pid] = h
                    key = (id(paper), len(paper.title), len(paper.abstract))
                    self._hash_cache[pid] = ((*key, len(paper.authors), len(paper.tags)), h)
                    if progress is not None and n % 1000 == 0:
                        progress(n, total)
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.cancel()
                raise
            writer.commit()
            ix.close()
            _write_atomic(
                tmp / SIDECAR_NAME,
                json.dumps({"token": token, "hashes": hashes}, separators=(",", ":")),
            )
            _write_atomic(tmp / STAMP_NAME, json.dumps(_stamp(token)))
            with contextlib.suppress(OSError):
                (tmp / "owner").unlink()
            previous = self._current_name()
            os.rename(tmp, final)
            _write_atomic(self.folder / "CURRENT", final.name)
        except Exception as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            report.error = f"{type(exc).__name__}: {exc}"
            return report
        with self._lock:
            self._open()
        if previous and previous != final.name:
            # Searchers still open on it keep working (open files survive unlink).
            shutil.rmtree(self.folder / previous, ignore_errors=True)
        if progress is not None:
            progress(total, total)
        report.added = total
        report.total = total
        return report
