"""The Whoosh index: a rebuildable cache in the cache folder.

Layout of ``folder`` (``Paths.index_dir``)::

    CURRENT                 name of the live generation ("ix-<token>")
    ix-<token>/             a Whoosh index we wrote, with
        digest-reader-index.json   our stamp (format, version, token)
        hashes.json                sidecar: same token, the hash pieces in order,
                                   every other file's size and CRC32 (sealed)
        hashes-<token>.bin         a piece of the papers' content hashes (:mod:`.hashes`)
        fast-<segment>.bin         fast postings of a segment of the full build
        verified.json              files that matched their checksums, by stat
    tmp-<token>/            a build in progress (holds "owner" = pid)
    write.lock              our flock: one writer (sync/rebuild) at a time

* A full build goes into ``tmp-<token>`` and is renamed to ``ix-<token>``, then
  ``CURRENT`` is replaced atomically: searches use the old generation (or none)
  until the swap.
* :meth:`SearchIndex.sync` compares content hashes with the sidecar and
  re-indexes only what differs, committing in batches of :data:`BATCH` papers
  (each batch is visible to searches once committed). The sidecar also keeps
  the library version synced to (:class:`Synced`): given the library's
  version, a sync over the same files does nothing, and one after an update
  of the library hashes only the papers the update touched.
* A folder is opened only when its stamp matches (Whoosh stores its schema with
  pickle: a folder we did not write is never opened), and its files only when
  each has the size and checksum its sidecar lists (:mod:`.integrity`). A
  mismatch, or any exception while opening or reading, marks the index
  damaged (:attr:`SearchIndex.detail` says which file); the next :meth:`sync`
  rebuilds.
* Under our lock, leftovers of a killed process are cleaned: Whoosh's
  ``MAIN_WRITELOCK``, its ``*.tmp`` pools, ``tmp-*`` builds whose owner died,
  fast postings of segments Whoosh merged away.
* One indexed field, ``text`` (title, authors, tags, abstract in separate
  position ranges, field boosts folded into the posting weights); a full build
  writes segments directly through Whoosh's codec (:func:`write_segment`), in
  2 forked processes for big libraries; queries of words and ``prefix*`` are
  scored with numpy from the fast postings (:func:`reader.search.index.scorer.fast_search`).
  See ``docs/search.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from whoosh import index as windex
from whoosh import query as wq

from reader.fileio import FileLock, atomic_write, atomic_write_text, is_temp
from reader.model import Paper
from reader.search import whoosh_private
from reader.search.analysis import INDEX_FIELD, analyze
from reader.search.idtable import IdTable
from reader.search.index.fast import FastPostings, fast_name, open_fast
from reader.search.index.generations import (
    _FAST_RE,
    _GEN_RE,
    _TMP_RE,
    SIDECAR_NAME,
    STALE_BUILD_SECONDS,
    STAMP_NAME,
    _pid_alive,
    _read_json,
    _stamp,
    _stamp_ok,
)
from reader.search.index.hashes import (
    PieceHashes,
    as_dict,
    pieces_of,
    written,
)
from reader.search.index.integrity import (
    Listing,
    files_of,
    listing,
    read_sealed,
    seal,
    verify,
)
from reader.search.index.schema import content_hash, doc_fields, make_codec, make_schema
from reader.search.index.scorer import (
    TIE_EPSILON,
    ScorerState,
    _count_matches,
    tree_search,
    warm_heap,
)
from reader.search.query import Node
from reader.search.whoosh_query import to_whoosh
from reader.wording import number

if TYPE_CHECKING:  # the full build's writer is imported by a build only
    from reader.search.index.bulk import Cancelled, Progress

#: Papers per commit during :meth:`SearchIndex.sync`.
BATCH = 5000
#: Above this many changed papers (and half the index), sync rebuilds instead.
REBUILD_OVER = 20000
#: A full build of more papers than this uses 2 processes (when there are 2 cores).
PARALLEL_OVER = 20000
#: Seconds a sync waits for another thread of this process to finish writing.
OWN_WAIT = 10.0


class LibraryVersion(Protocol):
    """What :class:`reader.library.Version` offers (the core of the index
    does not import the library)."""

    @property
    def key(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def touched(self) -> Collection[str]: ...


@dataclass(frozen=True)
class Synced:
    """The library version the committed index holds exactly ("" key: not
    known; every paper is hashed at the next sync). Kept in the sidecar."""

    key: str = ""
    base: str = ""
    touched: frozenset[str] = frozenset()

    @staticmethod
    def of(version: LibraryVersion | None) -> Synced:
        if version is None or not version.key:
            return Synced()
        return Synced(version.key, version.base, frozenset(version.touched))

    def to_json(self) -> dict[str, Any] | None:
        if not self.key:
            return None
        return {"key": self.key, "base": self.base, "touched": sorted(self.touched)}

    @staticmethod
    def from_json(data: object) -> Synced:
        if not isinstance(data, dict):
            return Synced()
        key, base, touched = data.get("key"), data.get("base"), data.get("touched")
        if not isinstance(key, str) or not isinstance(base, str) or not isinstance(touched, list):
            return Synced()
        return Synced(key, base, frozenset(str(t) for t in touched))

    def suspects(self, version: LibraryVersion) -> set[str] | None:
        """The ids of every paper that may differ between what the index holds
        and ``version`` of the library; None when not known (hash them all)."""
        if not self.key or not version.key:
            return None
        if version.key == self.key:
            return set()
        if not version.base:
            return None
        if version.base == self.key:  # the library was updated from what we hold
            return set(version.touched)
        if version.base == self.base:  # both updated from the same snapshot
            return set(version.touched) | self.touched
        return None


def _after(
    folder: Path, old: Mapping[str, str], new: Mapping[str, str], removed: Collection[str]
) -> PieceHashes:
    """The hashes ``old`` with those of ``new`` and without ``removed``,
    written into generation ``folder``: one more piece of only these
    changes (:meth:`~.hashes.PieceHashes.after`: no dict of every hash, no
    other hash written again), or, when ``old`` is not that generation's
    pieces, one piece of them all."""
    if isinstance(old, PieceHashes) and old.folder == folder:
        return old.after(new, removed)
    out = as_dict(old)
    for pid in removed:
        out.pop(pid, None)
    out.update(new)
    return written(folder, out)


def _names_pieces(side: Mapping[str, Any], files: Listing) -> bool:
    """Whether sidecar ``side`` names its hash pieces, each among the
    ``files`` it vouches for (so checked before it is read)."""
    got = pieces_of(side)
    return got is not None and all(p.name in files for p in got[0])


class IndexUnavailable(Exception):
    """The index cannot answer (missing, damaged, or being built)."""


class _NotYet(Exception):
    """Another process committed and has not yet written the sidecar that
    vouches for its files: look again in a moment."""


@dataclass(frozen=True)
class _Checked:
    """What :meth:`SearchIndex._check` found in a generation folder."""

    #: The sidecar's body when the folder is sound (None otherwise).
    side: dict[str, Any] | None
    #: "damaged", or "updating" (another process is between its commit and
    #: its sidecar: not damage), "" when sound.
    problem: str = ""
    #: Which file is wrong and how ("" when sound).
    detail: str = ""


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
    #: With reason "damaged": which file was wrong and how.
    detail: str = ""
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
        why = f" ({self.reason}: {self.detail})" if self.detail else ""
        why = why or (f" ({self.reason})" if self.reason else "")
        done = "cancelled" if self.cancelled else f"{what}{why}"
        return (
            f"index {done}: {number(self.added)} added, {number(self.updated)} changed,"
            f" {number(self.removed)} removed, {number(self.total)} indexed"
        )


def _layout(searcher: Any) -> list[tuple[str, int, int]]:
    """``searcher``'s segments: (segment id, first docnum, documents)."""
    out = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        seg = reader.segment()
        out.append((seg.segment_id() if seg is not None else "", offset, reader.doc_count_all()))
    return out


class DocIds:
    """The ids of a searcher's documents by docnum (a numpy array of UTF-8
    bytes, :meth:`IdTable.by_number`) as a tie key function is handed them
    (``search_counted``'s ``tiekey``): made when first read (``np.asarray``),
    not by ``len`` alone. The engine's map of the index's documents kept on
    disk gives their tie keys without them: a million ids at 1M papers,
    0.35 s of a CLI command's ``la*``."""

    def __init__(self, n: int, make: Callable[[], Any]) -> None:
        self._n = n
        self._make = make
        self._ids: Any = None

    def __len__(self) -> int:
        return self._n

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        import numpy as np

        if self._ids is None:
            self._ids = self._make()
        return self._ids if dtype is None else np.asarray(self._ids, dtype)


class SearchIndex:
    """The full-text index over title, authors, abstract and tags.

    Thread use: one thread may :meth:`sync` while others :meth:`search`; a
    search uses the last committed state. Across processes, one writer at a
    time (``write.lock``); a busy sync returns ``SyncReport(busy=True)``.
    """

    def __init__(self, folder: Path, procs: int | None = None, *, sync_apart: bool = False) -> None:
        self.folder = Path(folder)
        #: Processes for a full build (None: 2 when the machine has 2+ cores).
        self.procs = procs
        #: A sync's writing (analysis, commit, sidecar) runs in a spawned child
        #: process (:mod:`.apart`): the app's threads keep the GIL meanwhile.
        #: Both that child and a full build's processes run niced then (the
        #: app's index: its own threads come first).
        self.sync_apart = sync_apart
        #: The write lock's descriptor while this process holds it (handed to
        #: the child of :attr:`sync_apart`).
        self._lock_fd: int | None = None
        #: The process id of the last :attr:`sync_apart` child (None: none yet).
        self.last_writer_pid: int | None = None
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._ix: Any = None
        self._gen: str | None = None
        self._searcher: Any = None
        #: How many searchers were opened: the key of what the engine derives
        #: from one (never its id(), which the next searcher may reuse).
        self._searchers = 0
        #: The committed papers' hashes (see :attr:`_hashes`): the
        #: generation's hash pieces, mapped (:class:`~.hashes.PieceHashes`),
        #: and how many there are.
        self._hashes_held: Mapping[str, str] = {}
        self._hash_n = 0
        #: The library version the committed index holds (from the sidecar).
        self._synced = Synced()
        #: The last :meth:`docnums`: (its ids array, the searcher, the result).
        self._docnums_of: tuple[Any, Any, Any] | None = None
        #: (searcher, its ids by docnum as an IdTable): the one map between
        #: ids and document numbers both ways (:meth:`_doc_table`).
        self._ids_table: tuple[Any, IdTable] | None = None
        #: The table of the searcher before the last one, with that
        #: searcher's segments (id, first docnum, documents): the next
        #: table is made from it when those segments are still there.
        self._ids_before: tuple[list[tuple[str, int, int]], IdTable] | None = None
        self._opened = False
        self._checked_at = 0.0
        self._current_stat: tuple[int, int] | None = None
        #: Why the index cannot be used ("" when it can): missing, damaged,
        #: version, updating (another process is committing: not damage)...
        self.problem = ""
        #: With problem "damaged": which file is wrong and how ("" when not known).
        self.detail = ""
        #: The files the open generation's sidecar vouches for, and the
        #: generation of its table of contents.
        self._files: Listing = {}
        self._toc_gen = -1
        #: The thread that holds the write lock (None: none of ours). In that
        #: thread a sidecar that does not vouch for the files on disk is
        #: damage; in any other it may be a commit in progress.
        self._holder: int | None = None
        self._papers: Mapping[str, Paper] | None = None
        #: paper id -> (the Paper object hashed, its text lengths, the hash)
        self._hash_cache: dict[str, tuple[Paper, tuple[int, int, int, int], str]] = {}
        #: Fast postings by segment id (None: numpy missing or index closed).
        self._fast: dict[str, FastPostings] | None = None
        #: True after our own commit: the next search opens a new searcher.
        self._stale = False
        #: What the scorer keeps between queries on the current searcher.
        self._scorer: ScorerState | None = None
        #: (searcher, rank function, the tie keys it gave) of :meth:`_tie_keys`.
        self._tiekeys: tuple[Any, Any, Any] | None = None

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
        self._files = {}
        self._toc_gen = -1
        self._synced = Synced()
        self._opened = True
        self.detail = ""
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
        for _ in range(3):
            got = self._check(path, token)
            if got.side is None:
                self.problem, self.detail = got.problem, got.detail
                return
            side = got.side
            try:
                held = self._open_hashes(path, side)
            except (OSError, ValueError) as exc:
                self.problem = "damaged"
                self.detail = str(exc)
                return
            try:
                self._ix = windex.open_dir(str(path), schema=None)
                self._new_searcher(expected=side["generation"])
            except _NotYet:
                # committed meanwhile: check the new sidecar and files
                self._close_searcher()
                self._ix = None
                continue
            except Exception as exc:
                self._close_searcher()
                self._ix = None
                self.problem = "damaged"
                self.detail = f"Whoosh could not read it ({type(exc).__name__})"
                return
            break
        else:
            self.problem = "damaged" if self._holding else "updating"
            return
        self._gen = name
        self._hashes = held
        self._files = files_of(side) or {}
        self._toc_gen = side["generation"]
        self._synced = Synced.from_json(side.get("library"))
        self.problem = ""

    @property
    def _hashes(self) -> Mapping[str, str]:
        """Paper id -> content hash of what is committed: the pieces mapped
        when the generation was opened, read on demand (a search over the
        library the index holds needs only their number:
        :meth:`indexed_count`)."""
        return self._hashes_held

    @_hashes.setter
    def _hashes(self, value: Mapping[str, str]) -> None:
        self._hashes_held = value
        self._hash_n = len(value)

    @staticmethod
    def _open_hashes(path: Path, side: Mapping[str, Any]) -> PieceHashes:
        """The hash pieces sidecar ``side`` names in generation ``path``,
        mapped now (files :meth:`_check` found sound: a writer deletes a
        piece only once a new sidecar no longer names it). Raises
        ``OSError`` or ``ValueError``."""
        got = pieces_of(side)
        if got is None:
            raise ValueError(f"{SIDECAR_NAME} does not hold what was written")
        return PieceHashes(path, *got)

    @property
    def _holding(self) -> bool:
        """True in the thread that holds the write lock (:meth:`_writing`)."""
        return self._holder == threading.get_ident()

    def _check(self, path: Path, token: str) -> _Checked:
        """Whether the generation at ``path`` is sound: its sidecar unchanged
        since written, and every file it lists of the size and checksum
        written (:mod:`.integrity`), before anything reads them. A sidecar
        replaced meanwhile is read again; one that does not vouch for the
        table of contents on disk while another process may be committing is
        "updating", not damage (that process writes it next)."""
        for _ in range(3):
            side, raw = read_sealed(path / SIDECAR_NAME)
            files = files_of(side) if side is not None else None
            gen = side.get("generation") if side is not None else None
            if (
                side is None
                or files is None
                or side.get("token") != token
                or not _names_pieces(side, files)
                or not isinstance(gen, int)
            ):
                return _Checked(None, "damaged", f"{SIDECAR_NAME} does not hold what was written")
            bad = verify(path, files)
            try:
                on_disk = whoosh_private.latest_generation(str(path))
            except OSError as exc:
                return _Checked(None, "damaged", f"{path.name}: {exc.strerror or exc}")
            if not bad and on_disk == gen:
                return _Checked(side)
            why = bad or f"its table of contents is number {on_disk}, not the {gen} written"
            if self._holding:
                return _Checked(None, "damaged", why)
            if read_sealed(path / SIDECAR_NAME)[1] != raw:
                continue  # a writer replaced the sidecar meanwhile
            if on_disk > gen:
                return _Checked(None, "updating")
            return _Checked(None, "damaged", why)
        return _Checked(None, "updating")

    def _ensure_open(self) -> None:
        if not self._opened:
            self._open()
            return
        if self._stale and self._searcher is not None:
            # We committed: open the new state now, without re-reading the sidecar.
            self._stale = False
            try:
                self._new_searcher(expected=self._toc_gen)
            except Exception as exc:
                self._mark_damaged(f"Whoosh could not read it ({type(exc).__name__})")
            return
        if self._holder is not None and not self._holding:
            # A thread of ours is writing (its child, with sync_apart): the
            # commits on disk are its own, taken over when it is done. Not
            # followed here as another process's: that reads the sidecar of
            # every paper's hash (50-300 ms of the GIL at 100k papers).
            return
        now = time.monotonic()
        if now - self._checked_at < 1.0:
            return
        self._checked_at = now
        if self.problem == "updating" or self._stat_current() != self._current_stat:
            self._open()  # another process swapped in a new generation (or was committing)
            return
        if self._searcher is not None:
            try:
                self._refresh_searcher()
            except Exception as exc:
                self._mark_damaged(f"Whoosh could not read it ({type(exc).__name__})")

    def _refresh_searcher(self) -> None:
        """Follow another process's commits (checking the files its sidecar
        vouches for first)."""
        if self._searcher.up_to_date():
            return
        assert self._gen is not None
        got = self._check(self.folder / self._gen, self._gen[3:])
        if got.problem == "updating":
            return  # keep searching the last commit; look again in a second
        if got.side is None:
            self._mark_damaged(got.detail)
            return
        side = got.side
        try:
            held = self._open_hashes(self.folder / self._gen, side)
        except (OSError, ValueError) as exc:
            self._mark_damaged(str(exc))
            return
        try:
            self._new_searcher(expected=side["generation"])
        except _NotYet:
            return
        self._hashes = held
        self._files = files_of(side) or {}
        self._toc_gen = side["generation"]
        self._synced = Synced.from_json(side.get("library"))

    def _new_searcher(self, expected: int | None = None) -> None:
        """A searcher on the last commit, reusing the open readers of segments
        that did not change. Not Searcher.refresh(): whoosh-reloaded 2.7.5
        reuses readers there with their old deletions (updated papers show
        twice) and can bring back merged segments. ``expected``: the
        generation of the table of contents whose files were checked
        (:class:`_NotYet` when the one on disk is another)."""
        from whoosh.reading import EmptyReader, MultiReader, SegmentReader
        from whoosh.searching import Searcher as WSearcher

        old = self._searcher
        info = whoosh_private.read_toc(self._ix)
        if expected is not None and info.generation != expected:
            raise _NotYet
        reusable: dict[str, Any] = {}
        if old is not None:
            for r, _ in old.ixreader.leaf_readers():
                seg = r.segment()
                if seg is not None:
                    reusable[seg.segment_id()] = r
        kept: set[int] = set()
        readers: list[Any] = []
        for seg in info.segments:
            r = reusable.get(seg.segment_id())
            if (
                r is not None
                and len(info.segments) > 1
                and r.segment().deleted_count() == seg.deleted_count()
            ):
                kept.add(id(r))
            else:
                r = SegmentReader(self._ix.storage, info.schema, seg, generation=info.generation)
            readers.append(r)
        if not readers:
            reader: Any = EmptyReader(info.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=info.generation)
        searcher = WSearcher(reader, fromindex=self._ix)
        self._load_fast(searcher)
        self._searcher = searcher
        self._searchers += 1
        self._scorer = None
        table = self._ids_table
        self._ids_before = (_layout(old), table[1]) if table and table[0] is old else None
        self._ids_table = None
        if old is not None:
            for r, _ in old.ixreader.leaf_readers():
                if id(r) not in kept:
                    with contextlib.suppress(Exception):
                        r.close()

    def _load_fast(self, searcher: Any) -> None:
        """Map the fast postings files of ``searcher``'s segments (when numpy
        is there; without it every query runs in Whoosh)."""
        try:
            import numpy  # noqa: F401
        except ImportError:
            self._fast = None
            return
        folder = Path(self._ix.storage.folder)
        old = self._fast or {}
        fast: dict[str, FastPostings] = {}
        for sub, _ in searcher.leaf_searchers():
            seg = sub.reader().segment()
            if seg is None:
                continue
            sid = seg.segment_id()
            got = old.get(sid)
            if got is None:
                path = folder / fast_name(sid)
                if path.exists():
                    got = open_fast(path)
            if got is not None:
                fast[sid] = got
        self._fast = fast

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._scorer = None
        self._fast = None
        self._stale = False
        self._ids_table = None
        self._ids_before = None

    def _mark_damaged(self, detail: str = "") -> None:
        self._close_searcher()
        self._ix = None
        self.problem = "damaged"
        self.detail = detail or self.detail

    @property
    def usable(self) -> bool:
        """True when searches can use the index now."""
        with self._lock:
            self._ensure_open()
            return self._searcher is not None

    def indexed_count(self) -> int:
        """How many papers the committed index holds (0 when unusable),
        without decoding their hashes."""
        with self._lock:
            self._ensure_open()
            return self._hash_n if self._searcher is not None else 0

    def indexed_hashes(self) -> Mapping[str, str]:
        """Paper id -> content hash of what is committed (empty when unusable)."""
        with self._lock:
            self._ensure_open()
            return self._hashes if self._searcher is not None else {}

    def stale_ids(
        self, papers: Mapping[str, Paper], version: LibraryVersion | None = None
    ) -> set[str]:
        """The ids of ``papers`` that the index holds with other content (an
        index synced to another library, or to these digests before they
        changed): until a sync, searches must not take its word for them.
        Given the library's ``version``, only the papers it says may differ
        from what the index holds are hashed (none when it is the version
        synced); without one, every paper (cached per paper object)."""
        with self._lock:
            self._ensure_open()
            if self._searcher is None:
                return set()
            hashes, synced = self._hashes, self._synced
        suspects = synced.suspects(version) if version is not None else None
        ids: Collection[str] = papers.keys() if suspects is None else suspects
        if suspects is None:
            hashes = as_dict(hashes)  # every paper looked up: not a search each
        out: set[str] = set()
        get, held_get, cache = papers.get, hashes.get, self._hash_cache
        for pid in ids:
            held = held_get(pid)
            p = get(pid)
            if held is None or p is None:
                continue
            c = cache.get(pid)
            if (
                c is not None
                and c[0] is p
                and c[2] == held
                and c[1] == (len(p.title), len(p.abstract), len(p.authors), len(p.tags))
            ):
                continue  # the paper object hashed before, to what the index holds
            if self._hash(pid, p, self._keeps(papers)) != held:
                out.add(pid)
        return out

    def holds(self, key: str) -> bool:
        """True when the committed index holds exactly the library of
        version ``key`` (:attr:`reader.library.Version.key`): then every
        paper of that library is indexed, and no other."""
        with self._lock:
            self._ensure_open()
            return bool(key) and self._searcher is not None and self._synced.key == key

    @property
    def stamp(self) -> str:
        """Names the commit searches see, the same in every process (its
        generation's folder, the number of its table of contents and how
        many documents it has): what the columns' map to the index's
        documents is kept under on disk (:mod:`reader.search.stored_columns`).
        "" when the index is unusable."""
        with self._lock:
            self._ensure_open()
            s = self._searcher
            if s is None or self._gen is None:
                return ""
            return f"{self._gen}/{self._toc_gen}/{s.doc_count_all()}"

    @property
    def generation(self) -> tuple[str | None, int]:
        """Changes whenever what searches see changes (a new searcher: a
        counter, not its id(), which a freed one's may be)."""
        return (self._gen, self._searchers if self._searcher is not None else 0)

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

    def _doc_table(self, searcher: Any) -> IdTable:
        """The ids by docnum of ``searcher`` (a deleted document's: none) as
        one :class:`IdTable`: an id's docnum and a docnum's id, no list,
        dict or object array of every id (at a million documents those were
        60 MB of strings, a 40 MB dict and an 8 MB array)."""
        got = self._ids_table
        if got is None or got[0] is not searcher:
            table = self._carried_table(searcher)
            if table is None:
                ids: list[str | None] = [None] * searcher.doc_count_all()
                for sub, offset in searcher.leaf_searchers():
                    self._segment_ids(sub.reader(), offset, ids)
                table = IdTable(ids)
            got = self._ids_table = (searcher, table)
        return got[1]

    def _segment_ids(self, reader: Any, offset: int, ids: list[str | None]) -> None:
        """Put the ids of one segment (``reader``) at ``ids[offset:]``, None
        for its deleted documents."""
        seg = reader.segment()
        fp = (self._fast or {}).get(seg.segment_id()) if seg is not None else None
        part = fp.ids() if fp is not None else None
        if part is not None and len(part) == reader.doc_count_all():
            ids[offset : offset + len(part)] = part
            del part
            if seg.has_deletions():
                for d in seg.deleted_docs():
                    ids[offset + d] = None
        else:
            for docnum, fields in reader.iter_docs():
                ids[offset + docnum] = fields.get("id")

    def _carried_table(self, searcher: Any) -> IdTable | None:
        """The doc table of ``searcher`` made from the one before it, when
        its segments begin with the same segments at the same docnums (a
        sync that added a segment, or deleted documents, and merged none
        away): the documents deleted since are taken out and the new
        segments' ids put in (:meth:`IdTable.renumbered`), so the ids of a
        100k index are not encoded and sorted again after a fetch's 500
        papers (20-40 ms of the GIL in one numpy call, the app's cursor
        held meanwhile). None when it cannot be carried."""
        import numpy as np

        before, self._ids_before = self._ids_before, None
        if before is None:
            return None
        layout, table = before
        leaves = list(searcher.leaf_searchers())
        if len(leaves) < len(layout) or _layout(searcher)[: len(layout)] != layout:
            return None
        old_size = sum(n for _, _, n in layout)
        old_to_new = np.arange(old_size, dtype=np.int64)
        # A table numbers every docnum (a deleted document's id is ""): the
        # documents deleted in the old segments are put in again as "".
        deleted = [np.zeros(0, np.int64)]
        for sub, offset in leaves[: len(layout)]:
            seg = sub.reader().segment()
            if seg is not None and seg.has_deletions():
                deleted.append(offset + np.fromiter(seg.deleted_docs(), np.int64))
        gone = np.concatenate(deleted)
        old_to_new[gone] = -1
        added: list[str | None] = [None] * (searcher.doc_count_all() - old_size)
        for sub, offset in leaves[len(layout) :]:
            self._segment_ids(sub.reader(), offset - old_size, added)
        ids = [pid or "" for pid in added] + [""] * len(gone)
        nums = np.concatenate([np.arange(old_size, old_size + len(added)), gone])
        return table.renumbered(old_to_new, ids, nums)

    def _docs_of(self, searcher: Any, ids: Collection[str]) -> list[int]:
        """The docnums of those of ``ids`` the index holds."""
        nums = self._doc_table(searcher).numbers(list(ids))
        out: list[int] = nums[nums >= 0].tolist()
        return out

    def search(
        self, q: Node | wq.Query, limit: int | None = 50, only: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Ranked ``(id, score)``; ``only`` restricts to those ids. Raises
        :class:`IndexUnavailable` when the index cannot answer."""
        return self.search_counted(q, limit, only)[0]

    def search_counted(
        self,
        q: Node | wq.Query,
        limit: int | None = 50,
        only: Collection[str] | None = None,
        exclude: Collection[str] = (),
        only_docs: Any = None,
        tiekey: Any = None,
    ) -> tuple[list[tuple[str, float]], int]:
        """:meth:`search`, plus the exact number of matches. ``exclude``: ids
        left out of both (papers still indexed that the library no longer has).
        ``only_docs``: instead of ``only``, a sorted numpy array of document
        numbers from :meth:`docnums` (a filter's papers without a Python loop
        over them). ``tiekey``: how to order equal scores at the cut, a
        function of the ids by document number (a numpy object array) giving
        each one's place (see :func:`~reader.search.index.scorer.tree_search`);
        asked only when more than a few documents tie there.

        ``q`` is a text tree (:mod:`reader.search.query`): scored with numpy
        over the postings by :func:`~reader.search.index.scorer.tree_search`
        (without numpy: by Whoosh's matchers, through
        :func:`~reader.search.whoosh_query.to_whoosh`). A ``whoosh.query``
        object runs in Whoosh's matchers: with a ``limit`` they skip what
        cannot rank, so they do not know how many documents match; the
        matches are then counted in a second pass over the matching ids."""
        with self._lock:
            searcher = self._get_searcher()
            try:
                flt: Any = None
                mask: set[int] | None = None
                if only_docs is not None:
                    import numpy as np

                    flt = only_docs
                    if exclude:
                        gone = self._docs_of(searcher, exclude)
                        flt = flt[~np.isin(flt, np.array(gone, np.int64))]
                    if not len(flt):
                        return [], 0
                elif only is not None or exclude:
                    if only is not None:
                        flt = set(self._docs_of(searcher, only))
                        if not flt:
                            return [], 0
                    mask = set(self._docs_of(searcher, exclude)) or None
                    if flt is not None and mask:
                        flt -= mask
                        mask = None
                if not isinstance(q, wq.Query) and self._fast is not None:
                    state = self._state_of(searcher)
                    keys = None
                    if tiekey is not None:
                        rank = tiekey

                        def keys() -> Any:
                            return self._tie_keys(searcher, rank)

                    found, scores, total = tree_search(
                        searcher, self._fast, q, limit, flt, mask, keys, state
                    )
                    return self._hits(searcher, found, scores), total
                else:
                    wquery = q if isinstance(q, wq.Query) else to_whoosh(q)
                    if only_docs is not None:
                        flt = set(flt.tolist())
                    docs, total = self._whoosh_search(searcher, wquery, limit, flt, mask)
                if len(docs) > 200 or self._ids_table is not None:
                    pids = self._doc_table(searcher).ids_at([d for _, d in docs])
                    hits = [(p, float(s)) for (s, _), p in zip(docs, pids, strict=True) if p]
                else:
                    stored = searcher.stored_fields
                    hits = [(stored(d)["id"], float(s)) for s, d in docs]
                return hits, total
            except IndexUnavailable:
                raise
            except Exception as exc:
                self._mark_damaged(f"a search could not read it ({type(exc).__name__})")
                raise IndexUnavailable("damaged") from exc

    def _tie_keys(self, searcher: Any, rank: Any) -> Any:
        """``rank`` of the ids by document number of ``searcher``, kept for
        it and that function."""
        got = self._tiekeys
        if got is None or got[0] is not searcher or got[1] != rank:
            ids = DocIds(searcher.doc_count_all(), lambda: self._doc_table(searcher).by_number())
            got = self._tiekeys = (searcher, rank, rank(ids))
        return got[2]

    def warm_ties(self, rank: Any) -> None:
        """Make the order of the documents by their tie keys (``rank`` as
        :meth:`search_counted`'s ``tiekey`` takes it), which a broad
        prefix's million ties are read in (:meth:`ScorerState.tie_order`)."""

        def ties(searcher: Any, state: ScorerState) -> None:
            keys = self._tie_keys(searcher, rank)
            if len(keys) == state.ndocs:
                state.tie_order(keys)

        self._warm(ties)

    def warm_heap(self) -> None:
        """Grow the scorer's threads' heaps for the first ranked prefix
        typed (:func:`~reader.search.index.scorer.warm_heap`)."""
        self._warm(lambda searcher, state: warm_heap(state))

    def _warm(self, step: Callable[[Any, ScorerState], None]) -> None:
        """``step`` of the scorer's warm-up, on the searcher and what the
        scorer keeps of it; nothing without fast postings or when the index
        cannot answer."""
        with self._lock:
            try:
                searcher = self._get_searcher()
            except IndexUnavailable:
                return
            if self._fast is not None:
                step(searcher, self._state_of(searcher))

    def _state_of(self, searcher: Any) -> ScorerState:
        """What the scorer keeps between queries on ``searcher``."""
        got = self._scorer
        if got is None or got.searcher is not searcher:
            got = self._scorer = ScorerState(searcher, self._fast)
        return got

    def doc_count(self) -> int:
        """How many document numbers the index's searcher has (deleted ones
        too; 0 when the index is unusable)."""
        with self._lock:
            self._ensure_open()
            s = self._searcher
            return int(s.doc_count_all()) if s is not None else 0

    def search_docs(
        self,
        q: Node,
        limit: int | None = 50,
        only_mask: Any = None,
        exclude: Collection[str] = (),
        tiekey: Any = None,
    ) -> tuple[Any, Any, int, tuple[str | None, int]]:
        """:meth:`search_counted` in document numbers, for the engine:
        (docnums, scores, the exact number of matches, the :attr:`generation`
        the numbers belong to). ``only_mask``: a boolean numpy mask over the
        document numbers (:meth:`docnums`); ``tiekey``: each document's place
        among equal scores (see
        :func:`~reader.search.index.scorer.tree_search`). Raises
        :class:`IndexUnavailable`."""
        import numpy as np

        with self._lock:
            searcher = self._get_searcher()
            generation = self.generation
            try:
                flt = only_mask
                mask: set[int] | None = None
                if flt is not None and len(flt) < searcher.doc_count_all():
                    flt = np.concatenate([flt, np.zeros(searcher.doc_count_all() - len(flt), bool)])
                if exclude:
                    gone = self._docs_of(searcher, exclude)
                    if gone and flt is None:
                        mask = set(gone)
                    elif gone:
                        flt = flt.copy()
                        flt[np.array(gone, np.int64)] = False
                if self._fast is not None:
                    docs, scores, total = tree_search(
                        searcher, self._fast, q, limit, flt, mask, tiekey, self._state_of(searcher)
                    )
                    return docs, scores, total, generation
                wflt = None if flt is None else set(np.flatnonzero(flt).tolist())
                found, total = self._whoosh_search(searcher, to_whoosh(q), limit, wflt, mask)
                docs = np.array([d for _, d in found], np.int64)
                scores = np.array([float(sc) for sc, _ in found], np.float64)
                return docs, scores, total, generation
            except IndexUnavailable:
                raise
            except Exception as exc:
                self._mark_damaged()
                raise IndexUnavailable("damaged") from exc

    def docnums(self, ids: Any) -> Any:
        """The document numbers of ``ids`` (a numpy object array of paper
        ids), -1 for a paper not indexed, as a numpy int64 array. Kept for
        the last ``ids`` object and searcher: a caller that keeps its array
        (the engine's columns) converts once per library and index version.
        Raises :class:`IndexUnavailable`."""
        import numpy as np

        with self._lock:
            searcher = self._get_searcher()
            got = self._docnums_of
            if got is None or got[0] is not ids or got[1] is not searcher:
                # one binary search of them all (the engine's columns)
                arr = self._doc_table(searcher).numbers(ids)
                got = self._docnums_of = (ids, searcher, np.asarray(arr, np.int64))
            return got[2]

    def _hits(self, searcher: Any, docs: Any, scores: Any) -> list[tuple[str, float]]:
        """``(id, score)`` of numpy docnums and scores, in their order."""
        if len(docs) <= 200 and self._ids_table is None:
            stored = searcher.stored_fields
            return [
                (stored(d)["id"], s) for d, s in zip(docs.tolist(), scores.tolist(), strict=True)
            ]
        pids = self._doc_table(searcher).ids_at(docs)
        return [(p, s) for p, s in zip(pids, scores.tolist(), strict=True) if p]

    def _whoosh_search(
        self, searcher: Any, q: wq.Query, limit: int | None, flt: Any, mask: Any
    ) -> tuple[list[Any], int]:
        results = searcher.search(q, limit=limit, terms=False, filter=flt, mask=mask)
        docs = results.top_n
        full = limit is not None and len(docs) >= limit
        if full and limit:
            docs = self._with_ties(searcher, q, docs, limit, flt, mask)
        # Not len(results) when full: even when Whoosh says that count is exact,
        # its collector has replaced matchers by leaner ones that drop documents
        # which cannot rank (``title:graph*`` at limit 25: 333 of 564).
        total = _count_matches(searcher, q, flt, mask) if full else len(docs)
        return docs, total

    @staticmethod
    def _with_ties(
        searcher: Any, q: wq.Query, docs: list[Any], limit: int, flt: Any, mask: Any
    ) -> list[Any]:
        """``docs`` (Whoosh's best ``limit``) plus every document tied with the
        last of them: Whoosh breaks ties by document number, which differs from
        build to build; the engine orders them (newer first, then id)."""
        cut = min(float(s) for s, _ in docs)
        eps = TIE_EPSILON * max(1.0, abs(cut))
        grow = limit
        while len(docs) >= grow:
            grow *= 2
            docs = searcher.search(q, limit=grow, terms=False, filter=flt, mask=mask).top_n
            if float(docs[-1][0]) < cut - eps:
                break
        return [(s, d) for s, d in docs if float(s) >= cut - eps]

    def matching(self, q: wq.Query) -> set[str]:
        """Every id matching ``q`` (unscored)."""
        with self._lock:
            searcher = self._get_searcher()
            try:
                table = self._doc_table(searcher)
                matcher = q.matcher(searcher)
                docs = [d for d in matcher.all_ids() if d < table.size]
                return {pid for pid in table.ids_at(docs) if pid}
            except Exception as exc:
                self._mark_damaged(f"a search could not read it ({type(exc).__name__})")
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
                self._mark_damaged(f"a search could not read it ({type(exc).__name__})")
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
            df = searcher.doc_frequency(INDEX_FIELD, w)
            if df <= 1:
                continue  # only this paper has it
            scored.append((tf * searcher.idf(INDEX_FIELD, w), w))
        scored.sort(reverse=True)
        top = scored[:numterms]
        if not top:
            return None
        best = top[0][0] or 1.0
        parts: list[wq.Query] = [wq.Term(INDEX_FIELD, w, boost=weight / best) for weight, w in top]
        return wq.Or(parts)

    # ---------------------------------------------------------------- writing

    @contextlib.contextmanager
    def _writing(self) -> Iterator[bool]:
        """Hold our in-process and on-disk write locks (yields False when busy).
        Another thread of this process holding them is waited for a while: it
        is a sync being cancelled for this one (the app's index worker is
        exclusive), whose changes this one must not skip as "busy"."""
        if not self._write_lock.acquire(timeout=OWN_WAIT):
            yield False
            return
        lock: FileLock | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / "write.lock")
            if not lock.acquire():
                yield False
                return
            self._clean_leftovers()
            self._holder = threading.get_ident()
            self._lock_fd = lock.fd
            yield True
        finally:
            self._holder = None
            self._lock_fd = None
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
            elif is_temp(entry.name) or (
                entry.name.startswith(".CURRENT.") and entry.name.endswith(".tmp")
            ):
                with contextlib.suppress(OSError):
                    path.unlink()
        if current is not None:
            self._clean_generation(self.folder / current)

    def _clean_generation(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            (path / "MAIN_WRITELOCK").unlink()
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        live: set[str] | None = None
        if self._ix is not None and self._gen == path.name:
            with contextlib.suppress(Exception):
                live = {fast_name(seg.segment_id()) for seg in whoosh_private.segments(self._ix)}
        for entry in entries:
            if live is not None and _FAST_RE.match(entry.name) and entry.name not in live:
                # the fast postings of a segment Whoosh merged away
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            elif entry.name.endswith(".tmp") or is_temp(entry.name):
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
        version: LibraryVersion | None = None,
    ) -> SyncReport:
        """Bring the index in line with ``papers``: add, update and remove only
        what differs (by content hash). With the library's ``version``
        (:attr:`reader.library.Library.version`), only the papers that may
        differ from what the index holds are hashed: none when the files are
        the same as at the last sync. A missing, damaged or foreign index is
        rebuilt. Never raises for index trouble (see ``SyncReport.error``)."""
        start = time.monotonic()
        self._papers = papers
        synced = Synced.of(version)
        with self._writing() as ok:
            if not ok:
                return SyncReport(busy=True, total=self._hash_n)
            with self._lock:
                if not self._opened or self._searcher is None:
                    self._open()
                else:
                    # Look for another process's commits now, also after our own
                    # (the sidecar and the version it holds are then read again).
                    self._checked_at = 0.0
                    self._stale = False
                    self._ensure_open()
                problem = self.problem
                detail = self.detail if problem == "damaged" else ""
                old_n = self._hash_n
                suspects = None if problem or version is None else self._synced.suspects(version)
            if problem:
                report = self._build(papers, progress, cancelled, synced)
                report.reason = problem
                report.detail = detail
                report.seconds = time.monotonic() - start
                return report
            if suspects is not None and not suspects and old_n == len(papers):
                # The same files as at the last sync: nothing per paper (nor
                # the papers' hashes read).
                return SyncReport(total=old_n, seconds=time.monotonic() - start)
            with self._lock:
                held = self._hashes
            # The papers an update touched are looked up in the packed hashes
            # as they are: a dict of every hash (0.16 s at a million papers)
            # only when every paper is compared.
            got = None if suspects is None else self._changes_of(papers, held, suspects)
            old = held if got is not None else as_dict(held)
            new, changed, removed = got if got is not None else self._changes(papers, old)
            if len(changed) + len(removed) > max(REBUILD_OVER, len(old) // 2):
                report = self._build(papers, progress, cancelled, synced)
                report.reason = "many changes"
                report.seconds = time.monotonic() - start
                return report
            if changed or removed:
                # Whoosh's writer reads the segments it merges: they are checked
                # again first (stat only, unless a file changed since it was opened).
                bad = self._recheck()
                if bad:
                    with self._lock:
                        self._mark_damaged(bad)
                    report = self._build(papers, progress, cancelled, synced)
                    report.reason, report.detail = "damaged", bad
                    report.seconds = time.monotonic() - start
                    return report
            if self.sync_apart and (changed or removed or synced != self._synced):
                report = self._update_apart(
                    papers, new, old, changed, removed, progress, cancelled, synced
                )
            else:
                report = self._update(
                    papers, new, old, changed, removed, progress, cancelled, synced
                )
            report.seconds = time.monotonic() - start
            return report

    def _update_apart(
        self,
        papers: Mapping[str, Paper],
        new: dict[str, str],
        old: Mapping[str, str],
        changed: list[str],
        removed: list[str],
        progress: Progress | None,
        cancelled: Cancelled | None,
        synced: Synced,
    ) -> SyncReport:
        """:meth:`_update` in a spawned child (:mod:`.apart`), then this
        object follows its commit: ``old`` becomes the committed hashes
        without reading the sidecar back."""
        from reader.search.index.apart import Job, write_apart

        assert self._gen is not None
        job = Job(
            self._gen,
            self._toc_gen,
            {pid: papers[pid] for pid in changed},
            new,
            changed,
            removed,
            synced,
        )
        got = write_apart(self.folder, job, self._lock_fd, progress, cancelled)
        self.last_writer_pid = got.pid
        report = got.report
        if got.files is None or got.toc_gen is None or got.hashes is None:
            # Stopped or died: what is on disk decides (the last generation,
            # or a commit without its sidecar: damaged for the next sync).
            with self._lock:
                self._close_searcher()
                self._opened = False
            if got.failure and not report.cancelled:
                report.error = got.failure
            return report
        if report.error:
            with self._lock:
                self._mark_damaged()
            return report
        try:
            # the pieces the child wrote (and its sidecar names)
            after = PieceHashes(self.folder / self._gen, *got.hashes)
        except (OSError, ValueError) as exc:
            with self._lock:
                self._mark_damaged(str(exc))
            report.error = f"{type(exc).__name__}: {exc}"
            return report
        with self._lock:
            self._hashes = after
            self._files = got.files
            self._toc_gen = got.toc_gen
            self._synced = synced
            self._stale = True  # the next search opens a new searcher
        return report

    def _recheck(self) -> str:
        """Under the write lock: "" when the open generation's files still
        have the sizes and checksums its sidecar lists, else what is wrong."""
        assert self._gen is not None
        path = self.folder / self._gen
        bad = verify(path, self._files)
        if bad:
            return bad
        on_disk = whoosh_private.latest_generation(str(path))
        if on_disk != self._toc_gen:
            return f"its table of contents is number {on_disk}, not the {self._toc_gen} written"
        return ""

    @staticmethod
    def _keeps(papers: Mapping[str, Paper]) -> bool:
        """Whether hashes are cached by paper object (:attr:`_hash_cache`):
        only for papers held in memory anyway (a dict). Over the catalog each
        read makes a new object (the cache never hits) and the cache alone
        would keep every paper read (every paper, after a full build)."""
        return isinstance(papers, dict)

    def _hash(self, pid: str, p: Paper, keep: bool = True) -> str:
        c = self._hash_cache.get(pid)
        key = (len(p.title), len(p.abstract), len(p.authors), len(p.tags))
        if c is None or c[0] is not p or c[1] != key:
            h = content_hash(p)
            if keep:
                self._hash_cache[pid] = (p, key, h)
            return h
        return c[2]

    def _changes_of(
        self, papers: Mapping[str, Paper], old: Mapping[str, str], suspects: set[str]
    ) -> tuple[dict[str, str], list[str], list[str]] | None:
        """:meth:`_changes` looking only at ``suspects`` (the papers a library
        update touched); None when the counts do not add up (then every paper
        is compared)."""
        new: dict[str, str] = {}
        removed: list[str] = []
        added = 0
        # which are held, in one pass (the new ones then answered without a
        # table of every id; a removed one needs no hash)
        held = old.held(suspects) if isinstance(old, PieceHashes) else None
        for pid in suspects:
            p = papers.get(pid)
            if p is None:
                if (pid in held) if held is not None else (pid in old):
                    removed.append(pid)
                continue
            h = self._hash(pid, p, self._keeps(papers))
            if old.get(pid) != h:
                new[pid] = h
                added += pid not in old
        if len(old) + added - len(removed) != len(papers):
            return None
        return new, list(new), removed

    def _changes(
        self, papers: Mapping[str, Paper], old: Mapping[str, str]
    ) -> tuple[dict[str, str], list[str], list[str]]:
        """(new hashes of the changed papers, changed ids, removed ids). A hash
        is re-computed only for a paper object not seen at the last sync or
        whose text lengths changed (hashing 100k abstracts takes ~0.5 s; this
        loop ~0.1 s)."""
        keep = self._keeps(papers)
        if not keep:
            self._hash_cache = {}
        cache = self._hash_cache
        get = cache.get
        old_get = old.get
        new: dict[str, str] = {}
        for pid, p in papers.items():
            c = get(pid)
            key = (len(p.title), len(p.abstract), len(p.authors), len(p.tags))
            if c is None or c[0] is not p or c[1] != key:
                h = content_hash(p)
                if keep:
                    cache[pid] = (p, key, h)
            else:
                h = c[2]
            if old_get(pid) != h:
                new[pid] = h
        from reader.catalog import present

        held = list(old)
        removed = [pid for pid, ok in zip(held, present(papers, held), strict=True) if not ok]
        if len(cache) > len(papers) + 1000:
            self._hash_cache = {pid: c for pid, c in cache.items() if pid in papers}
        return new, list(new), removed

    def rebuild(
        self,
        papers: Mapping[str, Paper],
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        version: LibraryVersion | None = None,
    ) -> SyncReport:
        """Build a new index of ``papers`` from scratch and swap it in."""
        start = time.monotonic()
        self._papers = papers
        with self._writing() as ok:
            if not ok:
                return SyncReport(busy=True, total=self._hash_n)
            report = self._build(papers, progress, cancelled, Synced.of(version))
            report.reason = report.reason or "asked"
            report.seconds = time.monotonic() - start
            return report

    def _update(
        self,
        papers: Mapping[str, Paper],
        new: dict[str, str],
        old: Mapping[str, str],
        changed: list[str],
        removed: list[str],
        progress: Progress | None,
        cancelled: Cancelled | None,
        synced: Synced,
    ) -> SyncReport:
        report = SyncReport(total=len(old))
        work: list[tuple[str, bool]] = [(pid, True) for pid in removed]
        work += [(pid, False) for pid in changed]
        # A paper the committed hashes do not hold is in no committed
        # document (the sidecar lists every one, and a commit without its
        # sidecar is damage): its delete by id is skipped (it made Whoosh
        # sort every segment's ids: ~0.4-1 s at a million papers).
        if isinstance(old, PieceHashes):
            fresh = set(changed) - old.held(changed)
        else:
            fresh = {pid for pid in changed if pid not in old}
        assert self._gen is not None
        gen_path = self.folder / self._gen
        token = self._gen[3:]
        # The committed hashes as pieces of this generation (``old`` may be
        # a dict of them, to compare every paper): each batch adds a piece.
        held = self._hashes
        hashes: Mapping[str, str] = (
            held if isinstance(held, PieceHashes) and held.folder == gen_path else old
        )
        if not work:
            if synced != self._synced:
                # Nothing to index, but the next sync need not look again.
                try:
                    kept = _after(gen_path, hashes, {}, [])
                    files = self._files if kept is hashes else listing(gen_path, self._files)
                    self._write_sidecar(gen_path, token, kept, synced, files, self._toc_gen)
                except OSError as exc:
                    report.error = f"{type(exc).__name__}: {exc}"
                    return report
                with self._lock:
                    self._hashes = kept
                    self._files = files
                    self._synced = synced
            return report
        done = 0
        total = len(work)
        try:
            for first in range(0, total, BATCH):
                batch = work[first : first + BATCH]
                writer = self._ix.writer(limitmb=128, codec=make_codec(), compound=False)
                # Deletions look ids up with our open searcher when it shows the
                # generation this writer starts from (the writer's own searcher
                # would open every segment again: ~0.1 s at 100k papers).
                with self._lock:
                    known = self._searcher
                    if known is not None and (
                        self._stale or known.ixreader.generation() != writer.generation - 1
                    ):
                        known = None
                batch_new: dict[str, str] = {}
                batch_gone: list[str] = []
                try:
                    for pid, is_removal in batch:
                        if cancelled is not None and cancelled():
                            writer.cancel()
                            report.cancelled = True
                            return report
                        if is_removal:
                            writer.delete_by_term("id", pid, searcher=known)
                            batch_gone.append(pid)
                            report.removed += 1
                        else:
                            if pid not in fresh:
                                writer.delete_by_term("id", pid, searcher=known)
                            writer.add_document(**doc_fields(papers[pid]))
                            if pid in old:
                                report.updated += 1
                            else:
                                report.added += 1
                            batch_new[pid] = new[pid]
                        done += 1
                        if progress is not None and done % 500 == 0:
                            progress(done, total)
                except BaseException:
                    with contextlib.suppress(Exception):
                        writer.cancel()
                    raise
                small = len(batch) < 1000 and self._segment_count() < 12
                writer.commit(merge=not small)
                # From the commit to the sidecar a killed writer leaves a
                # generation the next sync finds damaged (its table of
                # contents is not the sidecar's): the batch's hashes are
                # written in that window, and the pieces they replace (past
                # MAX_PIECES) deleted in it, like the fast postings of the
                # segments merged away, before the files are listed; the
                # files of this commit are hashed, the others keep the
                # checksums they were opened with.
                before = hashes
                hashes = _after(gen_path, before, batch_new, batch_gone)
                if isinstance(before, PieceHashes):
                    for name in hashes.dropped(before):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(gen_path / name)
                self._clean_generation(gen_path)
                files = listing(gen_path, self._files)
                toc_gen = whoosh_private.latest_generation(str(gen_path))
                # The version only with the last batch: before, the index holds
                # no version of the library.
                last = first + BATCH >= total
                now = synced if last else Synced()
                self._write_sidecar(gen_path, token, hashes, now, files, toc_gen)
                with self._lock:
                    self._hashes = hashes
                    self._files = files
                    self._toc_gen = toc_gen
                    self._synced = now
                    self._stale = True  # the next search opens a new searcher
                if progress is not None:
                    progress(done, total)
        except Exception as exc:
            report.error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._mark_damaged()
            return report
        report.total = len(hashes)
        return report

    @staticmethod
    def _write_sidecar(
        folder: Path,
        token: str,
        hashes: PieceHashes,
        synced: Synced,
        files: Listing,
        toc_gen: int,
    ) -> None:
        """The sidecar: the papers' hash pieces (written before, and among
        ``files``), the library version, and the size and checksum of every
        other file of the generation with the number of the table of
        contents they make (sealed: it checks itself)."""
        side: dict[str, Any] = {"token": token, **hashes.to_json()}
        if synced.key:
            side["library"] = synced.to_json()
        side["generation"] = toc_gen
        side["files"] = {name: list(entry) for name, entry in files.items()}
        atomic_write(folder / SIDECAR_NAME, seal(side))

    def _segment_count(self) -> int:
        try:
            return len(whoosh_private.segments(self._ix))
        except Exception:
            return 0

    def _build(
        self,
        papers: Mapping[str, Paper],
        progress: Progress | None,
        cancelled: Cancelled | None,
        synced: Synced = Synced(),
    ) -> SyncReport:
        report = SyncReport(rebuilt=True)
        token = os.urandom(8).hex()
        tmp = self.folder / f"tmp-{token}"
        final = self.folder / f"ix-{token}"
        total = len(papers)
        try:
            tmp.mkdir(parents=True)
            (tmp / "owner").write_text(str(os.getpid()), encoding="utf-8")
            ix = windex.create_in(str(tmp), make_schema())
            procs = self.procs
            if procs is None:
                procs = 2 if (os.cpu_count() or 1) >= 2 and total >= PARALLEL_OVER else 1
            items = _gathered(papers.values(), cancelled)
            if items is None:
                report.cancelled = True
                ix.close()
                shutil.rmtree(tmp, ignore_errors=True)
                return report
            from reader.search.index.bulk import (
                BUILD_NICENESS,
                _build_segments,
                _commit_segments,
            )

            # The app's index (it syncs apart) builds niced, yielding the
            # cores to the app's own threads.
            nice = BUILD_NICENESS if self.sync_apart else 0
            segments = _build_segments(ix, items, max(1, procs), progress, cancelled, nice)
            if segments is None:
                report.cancelled = True
                ix.close()
                shutil.rmtree(tmp, ignore_errors=True)
                return report
            hashes: dict[str, str] = {}
            keep = self._keeps(papers)
            if not keep:
                self._hash_cache = {}
            for paper in items:  # (the ids are the papers' own)
                pid = paper.id
                h = content_hash(paper)
                hashes[pid] = h
                if keep:
                    key = (
                        len(paper.title),
                        len(paper.abstract),
                        len(paper.authors),
                        len(paper.tags),
                    )
                    self._hash_cache[pid] = (paper, key, h)
            _commit_segments(ix, segments)
            ix.close()
            atomic_write_text(tmp / STAMP_NAME, json.dumps(_stamp(token)))
            with contextlib.suppress(OSError):
                (tmp / "MAIN_WRITELOCK").unlink()
            pieces = written(tmp, hashes)
            files = listing(tmp)
            toc_gen = whoosh_private.latest_generation(str(tmp))
            self._write_sidecar(tmp, token, pieces, synced, files, toc_gen)
            del pieces  # mapped in tmp: the generation is opened again once renamed
            with contextlib.suppress(OSError):
                (tmp / "owner").unlink()
            previous = self._current_name()
            os.rename(tmp, final)
            atomic_write_text(self.folder / "CURRENT", final.name)
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


#: The first build asks ``cancelled()`` once every this many papers it reads.
GATHER_STEP = 256


def _gathered(papers: Iterable[Paper], cancelled: Cancelled | None) -> list[Paper] | None:
    """Every paper of ``papers`` in a list (read from the catalog: seconds
    of this thread's Python), asking ``cancelled()`` between steps (the app's
    also makes way there for a query being typed); None when cancelled."""
    items: list[Paper] = []
    for count, paper in enumerate(papers):
        if count % GATHER_STEP == 0 and cancelled is not None and cancelled():
            return None
        items.append(paper)
    return items
