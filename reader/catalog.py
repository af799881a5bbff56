"""The catalog: the merged library on disk, in one SQLite file, read on demand.

One key row per paper with the columns the list order and the search filters
need (latest day, folded title, upvotes, has code, source tags) and where its
fields are: a slot of a block, :data:`BLOCK_ROWS` papers' fields marshalled
and compressed together in list order (with, for a paper merged from several
files, its records as each file gave them: what an update merges again);
one row per (day, paper) with the paper's place in that day's digest; and a
header: which files (with their stamps) and problems the library was read
from, and apart, its digests. A command reads the
header and the rows it shows; the app reads every row (newest first, in
chunks). The catalog is a cache like the index: missing, damaged (SQLite's
own errors, a row that does not decompress or unmarshal) or of another
version, it is rebuilt from the digests (:mod:`reader.library` says so once).

Text key columns are stored as UTF-8 BLOBs (``surrogatepass``, so any string
Python holds fits), which SQLite compares byte by byte: the same order as
Python's ``str`` comparison, so ``ORDER BY`` gives :meth:`Library.ordered`.

marshal lives only in the user's own cache folder, and every row read is
checked: zlib's checksum of its block, the block's own row ends, marshal's
structure and the type of what it gives, and the paper it holds is the one
its key names.

SQLite keeps no checksums of its pages, so a byte changed in a key, in the
order index's columns, in the ``days`` table or in the header could give a
wrong answer (a paper said missing, another order, a filter that leaves
papers out) with no error at all. So every write ends with the file's seal
(:data:`SEAL_SUFFIX`, beside it): its size, modification time, change time,
inode and CRC32, taken after the write is checkpointed into the file. A
process that opens the catalog ``stat``s it: the same as the seal, the
file is used (the change time cannot be set back, so a file written to in
place, restored or copied is not the same); else it is hashed (about 0.1 s
for 100 MB) and used only when its CRC32 is the seal's. A catalog without a
seal (a reader's before seals, or a write cut short) is rebuilt without a
word; one that does not match is damaged (rebuilt, and said once). The seal
is written and checked under a lock (:data:`LOCK_SUFFIX`), so that a process
that opens the catalog while another writes it waits for the seal instead of
calling the new file damaged.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import json
import marshal
import os
import re
import sqlite3
import sys
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import (
    Callable,
    Collection,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reader.fileio import FileLock, atomic_write, open_regular
from reader.ids import normalise_title, title_key
from reader.model import Link, Paper, Summary

if TYPE_CHECKING:
    from reader.search.idtable import IdTable

#: Bump when the tables change: a catalog of another format is rebuilt.
#: 6: blocks of 16 rows (were 128).
#: 7: blocks compressed with a preset dictionary (:data:`DICT_ROWS`).
#: 8: the title in the key row (what the list draws needs no block), no
#: longer in the block. 9: that title said as the capitals of the folded
#: title beside it (:func:`_title_value`). 10: the ids each file gave
#: (:meth:`Catalog.file_ids`: a file removed or changed reads its papers only).
#: 11: a file's ids also name the title-only (``t:``) ids folded into its
#: papers (a 10 without them could miss a fold that comes undone).
FORMAT = 11
#: The file's name in the library cache folder.
FILE_NAME = "catalog.sqlite"
#: Papers per block: the rows are stored marshalled and compressed together,
#: this many in list order (zlib finds what neighbouring rows share). A
#: paper read alone costs its block: the rows of search results, scattered
#: over the library, are a block each. 128 rows a block took 58 MB for the
#: real digests' 91,713 papers (79 MB a row at a time with a preset
#: dictionary) but 0.5-1 ms a scattered row: the list's window of a search's
#: results (256 rows) cost ~100 ms of the event loop a typed key; 16 rows a
#: block cost a few MB more and an eighth of that.
BLOCK_ROWS = 16
_LEVEL = 6
#: The blocks are compressed with a preset dictionary (zlib's ``zdict``, kept
#: in the header table): what rows share that a block of 16 alone cannot
#: find in itself (the keys of marshal's tuples, the sources' paths, link
#: labels, common words). It is the last 32 KB of rows spread evenly over the
#: first this many rows of a full write, and kept for later updates: on the
#: real digests the blocks took 64 MB without one, 57 MB with it, and a
#: block costs the same to decompress.
DICT_ROWS = 512
_DICT_SIZE = 32768
#: How many decompressed blocks a read keeps at hand (the rows of a list in
#: order come from a few blocks at a time; a window of search results from
#: a block each).
_BLOCKS_KEPT = 256
#: Upvotes in the column are clamped to this (the row keeps the true value).
VOTES_CAP = 2**62
#: The seal beside the file (see the module's docstring), and the lock its
#: writers and checkers hold.
SEAL_SUFFIX = ".seal"
LOCK_SUFFIX = ".lock"
#: Beside the seal, the CRC32 of each :data:`SEAL_CHUNK` bytes of the file
#: (little-endian 32-bit numbers): the seal's CRC32 is theirs. A writer
#: hashes again only the chunks its write changed (the pages in the WAL
#: before the checkpoint): a day added to a million papers changed a few
#: MB of the 790 MB file, which was hashed whole after each write.
CRCS_SUFFIX = ".crcs"
SEAL_CHUNK = 1 << 16
#: How long to wait for another process writing the catalog.
LOCK_WAIT = 10.0
#: A file changed less than this long ago is not sealed anew by a reader that
#: found its CRC32 right (its times may not have moved yet for a write in the
#: same tick); the writer seals its own write at once.
RACY_NS = 2_000_000_000
#: Ids per ``IN (...)`` query (SQLite's default limit of variables is 32766).
_CHUNK = 900

_PaperRow = tuple[Any, ...]

#: The SQLite errors, and what a damaged row gives when it is decoded.
DAMAGE = (sqlite3.DatabaseError, zlib.error, ValueError, EOFError, TypeError, IndexError)


class CatalogDamaged(Exception):
    """The catalog file cannot be trusted: rebuild it from the digests."""


def paper_row(p: Paper) -> _PaperRow:
    """Every field of ``p`` but its abstract, as marshal-able tuples."""
    return (
        p.id,
        p.title,
        tuple(p.authors),
        tuple((lk.label, lk.url) for lk in p.links),
        tuple(p.tags),
        tuple(p.dates),
        tuple(p.sources),
        p.arxiv_id,
        p.doi,
        p.upvotes,
        p.comments,
        p.github_repo,
        p.github_stars,
        p.project_page,
        p.ai_summary,
        p.published,
        p.arxiv_comments,
        p.journal_ref,
        p.abstract_rank,
        tuple(tuple(sm) for sm in p.summaries),
        tuple(p.ranks.items()),
    )


def paper_from_row(r: _PaperRow, abstract: str) -> Paper:
    """The paper of :func:`paper_row` (positional: this runs once per paper)."""
    return Paper(
        r[0],
        r[1],
        list(r[2]),
        abstract,
        [Link(a, b) for a, b in r[3]] if r[3] else [],
        list(r[4]),
        list(r[5]),
        list(r[6]),
        r[7],
        r[8],
        r[9],
        r[10],
        r[11],
        r[12],
        r[13],
        r[14],
        r[15],
        r[16],
        r[17],
        r[18],
        [Summary(a, b) for a, b in r[19]] if r[19] else [],
        dict(r[20]) if r[20] else {},
    )


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _s(data: bytes) -> str:
    return bytes(data).decode("utf-8", "surrogatepass")


#: The first byte of a key row's ``title``: the title written out, or the
#: positions of its capitals in the folded title (``tkey``).
_TITLE_AS_IS, _TITLE_CAPITALS = b"\x01", b"\x00"


def _title_value(title: str, folded: str) -> bytes:
    """A key row's ``title``: the list order needs the folded title
    (``tkey``), and the title itself is nearly always that with some letters
    capital: then only the gaps between their positions are kept (a byte
    each, mostly), not the title a second time (7.5 MB of the real digests'
    catalog). A title that its folded form and capitals do not give back
    (``ß`` folds to ``ss``, a capital with no one-letter lower case, ...)
    is kept as it is."""
    if len(title) == len(folded):
        out = bytearray(_TITLE_CAPITALS)
        last = 0
        for i, (c, f) in enumerate(zip(title, folded, strict=True)):
            if c != f:
                if c != f.upper():
                    break
                gap = i - last
                while gap >= 0x80:
                    out.append(0x80 | (gap & 0x7F))
                    gap >>= 7
                out.append(gap)
                last = i
        else:
            if _title_of(bytes(out), _b(folded)) == title:
                return bytes(out)
    return _TITLE_AS_IS + _b(title)


#: :func:`reader.ids.title_key`'s word, over the UTF-8 of an ASCII folded title.
_ASCII_WORD = re.compile(rb"[a-z0-9]+")
#: Up to this many first words, :meth:`Catalog.title_ids` asks SQLite for the
#: rows that hold one (a term each: SQLite's expressions are 1,000 deep at most).
_TITLE_WORDS = 200


def _title_of(value: bytes, tkey: bytes) -> str:
    """The title a key row's ``title`` and ``tkey`` say (see :func:`_title_value`)."""
    value = bytes(value)
    if value[:1] != _TITLE_CAPITALS:
        if value[:1] != _TITLE_AS_IS:
            raise ValueError("damaged title in a key row")
        return _s(value[1:])
    chars = list(_s(tkey))
    at = gap = shift = 0
    for byte in value[1:]:
        gap |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        at += gap
        chars[at] = chars[at].upper()
        gap = shift = 0
    return "".join(chars)


#: A record of a paper (see ``reader.library._Part``): the absolute path of
#: the file it came from, and the paper as that file gave it.
Part = tuple[str, Paper]


def _parts_row(p: Paper, parts: Sequence[Part] | None) -> tuple[Any, ...] | None:
    """``parts`` as marshal-able tuples, each field equal to the merged
    paper's said as ``...`` (most are: the same abstract, authors, title)."""
    if not parts:
        return None
    base = (*paper_row(p), p.abstract)
    out = []
    for origin, q in parts:
        mine = (*paper_row(q), q.abstract)
        out.append((origin, tuple(... if a == b else a for a, b in zip(mine, base, strict=True))))
    return tuple(out)


def _parts_from_row(p: Paper, rows: tuple[Any, ...]) -> list[Part]:
    base = (*paper_row(p), p.abstract)
    out: list[Part] = []
    for origin, fields in rows:
        if not isinstance(origin, str) or len(fields) != len(base):
            raise TypeError("damaged catalog row")
        full = tuple(b if a is ... else a for a, b in zip(fields, base, strict=True))
        out.append((origin, paper_from_row(full[:-1], full[-1])))
    return out


def _raw(p: Paper, parts: Sequence[Part] | None = None) -> bytes:
    # The title is the key row's (see :meth:`Catalog.list_rows`): not stored twice.
    row = paper_row(p)
    return marshal.dumps(((row[0], None, *row[2:]), p.abstract, _parts_row(p, parts)))


def train_dict(raws: Sequence[bytes]) -> bytes:
    """The preset dictionary for blocks of rows like ``raws`` (see
    :data:`DICT_ROWS`): about 17 rows spread over them, the last 32 KB."""
    step = max(1, len(raws) * 2000 // _DICT_SIZE)
    return b"".join(raws[step // 2 :: step])[-_DICT_SIZE:]


def _pack_block(raws: Sequence[bytes], zdict: bytes) -> bytes:
    """One block: the rows' count and ends (32 bits each), then the rows,
    compressed whole with the catalog's preset dictionary (zlib's own
    checksum guards it)."""
    ends = array.array("I")
    at = 0
    for raw in raws:
        at += len(raw)
        ends.append(at)
    if sys.byteorder != "little":
        ends.byteswap()
    head = len(raws).to_bytes(4, "little") + ends.tobytes()
    z = zlib.compressobj(_LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    return z.compress(head + b"".join(raws)) + z.flush()


class _Block:
    """A decompressed block: its rows, unmarshalled one at a time as asked."""

    def __init__(self, data: bytes, zdict: bytes) -> None:
        z = zlib.decompressobj(15, zdict)
        body = z.decompress(data) + z.flush()
        if not z.eof or z.unused_data:
            raise ValueError("damaged catalog block")
        count = int.from_bytes(body[:4], "little")
        ends = array.array("I")
        ends.frombytes(body[4 : 4 + 4 * count])
        if sys.byteorder != "little":
            ends.byteswap()
        if len(ends) != count or (count and 4 + 4 * count + ends[-1] != len(body)):
            raise ValueError("damaged catalog block")
        self._body = memoryview(body)[4 + 4 * count :]
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def fields(self, slot: int) -> tuple[_PaperRow, str, tuple[Any, ...] | None]:
        """A row's stored fields: the paper's, its abstract, its parts (:func:`_parts_row`)."""
        if not 0 <= slot < len(self._ends):
            raise IndexError("damaged catalog row")
        start = self._ends[slot - 1] if slot else 0
        row, abstract, parts = marshal.loads(self._body[start : self._ends[slot]])
        if (
            not isinstance(row, tuple)
            or not isinstance(abstract, str)
            or not (parts is None or isinstance(parts, tuple))
        ):
            raise TypeError("damaged catalog row")
        return row, abstract, parts


def _votes(p: Paper) -> int | None:
    if p.upvotes is None:
        return None
    return max(-VOTES_CAP, min(VOTES_CAP, p.upvotes))


def _paper_values(p: Paper, block: int, slot: int) -> tuple[object, ...]:
    folded = p.title.casefold()
    return (
        _b(p.id),
        _b(p.date),
        _b(folded),
        _votes(p),
        int(p.has_code),
        _b("\x1f".join(p.tags)),
        _title_value(p.title, folded),
        block,
        slot,
    )


def _day_values(p: Paper) -> Iterator[tuple[object, ...]]:
    pid = _b(p.id)
    for day in _days_of(p.dates, p.published):
        yield (_b(day), pid, p.ranks.get(day))


def _days_of(dates: Sequence[str], published: str | None) -> Iterable[str]:
    """The days a paper has rows of in the ``days`` table."""
    return dict.fromkeys(dates or ([published[:10]] if published else []))


#: The key rows' and the days' tables (name -> columns, and how many).
_TABLES = {
    "papers": (
        """(
    id BLOB PRIMARY KEY, date BLOB, tkey BLOB, upvotes INTEGER, code INTEGER,
    tags BLOB, title BLOB, block INTEGER, slot INTEGER
) WITHOUT ROWID""",
        9,
    ),
    "days": ("(day BLOB, id BLOB, rank INTEGER, PRIMARY KEY (day, id)) WITHOUT ROWID", 3),
}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS papers {_TABLES["papers"][0]};
CREATE TABLE IF NOT EXISTS blocks (n INTEGER PRIMARY KEY, live INTEGER, data BLOB);
CREATE TABLE IF NOT EXISTS days {_TABLES["days"][0]};
CREATE TABLE IF NOT EXISTS files (path BLOB PRIMARY KEY, ids BLOB) WITHOUT ROWID;
"""

#: The list order's index (made after a full write's rows: see ``_write``).
_ORDER_INDEX = (
    "CREATE INDEX IF NOT EXISTS papers_order ON papers (date DESC, tkey, id, upvotes, code)"
)

_ORDER = "ORDER BY date DESC, tkey, id"
#: Rows fetched at a time by :meth:`Catalog._chunks` (a few ms under the lock).
_FETCH = 4096
#: The key columns :meth:`Catalog._fields` reads a paper by.
_KEY = "id, block, slot, title, tkey"
_Key = tuple[bytes, int, int, bytes, bytes]
#: What the paper list draws of a paper: its title, latest day and upvotes
#: (a plain tuple of strings and numbers: the collector never walks it).
ListFields = tuple[str, str, int | None]


class Catalog:
    """One catalog file, opened lazily; every SQLite or row error raises
    :class:`CatalogDamaged`."""

    def __init__(self, path: Path, versions: str) -> None:
        self.path = path
        #: What must match for the catalog to be used (the reader's versions).
        self.versions = versions
        self._db: sqlite3.Connection | None = None
        #: The blocks read last (number -> block), newest last.
        self._blocks: OrderedDict[int, _Block] = OrderedDict()
        #: The blocks' preset dictionary (read with the first block).
        self._zdict: bytes | None = None
        #: How many blocks were read and decompressed (tests: what a read costs).
        self.blocks_read = 0
        self._reading = threading.RLock()
        #: Blocks decompressed so far (tests: what a screen costs).
        self.blocks_read = 0

    # ------------------------------------------------------------ opening

    def _connect(self, create: bool, held: bool = False) -> sqlite3.Connection | None:
        """The connection; None (``create`` False) when there is no catalog
        to use. An existing file is used only when it checks out against its
        seal (:meth:`_check_seal`); ``held``: the caller holds the lock."""
        if self._db is not None:
            return self._db
        if self.path.exists() or _has_wal(self.path):
            state = self._check_seal(held)
            if state == "damaged" and not create:
                raise CatalogDamaged("the file does not match its seal")
            if state == "busy" and not create:
                return None  # being written: read from the digests this time
        elif not create:
            return None
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            uri = self.path.resolve().as_uri() + ("" if create else "?mode=rw")
            db = sqlite3.connect(
                uri, uri=True, timeout=10, isolation_level=None, check_same_thread=False
            )
        except sqlite3.OperationalError:
            if create:
                raise
            return None
        try:
            # Rows of ~1 KB fill 8 KB pages better than 4 KB ones (a new file only).
            db.execute("PRAGMA page_size=8192")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if create:
                db.executescript(_SCHEMA)
            self._check_size(db)
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _check_size(self, db: sqlite3.Connection) -> None:
        """A file shorter than its own header says (a cut-off copy) is
        damaged: SQLite would only find out on the missing pages."""
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        with contextlib.suppress(OSError):
            if self.path.stat().st_size < pages * size and not _has_wal(self.path):
                raise CatalogDamaged("cut off")

    # ------------------------------------------------------------ the seal

    @property
    def seal_path(self) -> Path:
        return Path(str(self.path) + SEAL_SUFFIX)

    def _lock(self) -> FileLock:
        return FileLock(Path(str(self.path) + LOCK_SUFFIX))

    def _read_seal(self) -> list[int] | None:
        """The seal's [size, mtime, ctime, inode, CRC32]; None when there is
        none; ValueError when it cannot be read as one."""
        try:
            raw = self.seal_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ValueError("unreadable seal") from exc
        try:
            got = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ValueError("damaged seal") from exc
        if not (isinstance(got, list) and len(got) == 5 and all(type(n) is int for n in got)):
            raise ValueError("damaged seal")
        return got

    def _write_seal(self, key: list[int]) -> None:
        # A cache of a cache: not durable (a seal lost with a crash only
        # means the catalog is rebuilt), and a folder we cannot write only
        # means the same.
        with contextlib.suppress(OSError):
            atomic_write(self.seal_path, json.dumps(key), durable=False)

    @property
    def crcs_path(self) -> Path:
        return Path(str(self.path) + CRCS_SUFFIX)

    def _prior(self) -> tuple[int, bytes] | None:
        """Under the lock, before a write: (the file's size, its chunks'
        CRCs) when the file is the one sealed (and no WAL is pending), so
        that the write's seal hashes only the chunks it changes."""
        try:
            seal = self._read_seal()
            if seal is None or not _matches(self.path, seal) or _has_wal(self.path):
                return None
            crcs = self.crcs_path.read_bytes()
        except (ValueError, OSError):
            return None
        return (seal[0], crcs) if zlib.crc32(crcs) == seal[4] else None

    def _wal_chunks(self) -> set[int] | None:
        """The chunks of the file the pages in the WAL fall in (read before
        the checkpoint copies them in); None when it cannot be read."""
        try:
            with open(str(self.path) + "-wal", "rb") as fh:
                fd = fh.fileno()
                head = os.pread(fd, 32, 0)
                page = int.from_bytes(head[8:12], "big") if len(head) == 32 else 0
                if page <= 0:
                    return None
                frame = 24 + page
                frames = (os.fstat(fd).st_size - 32) // frame
                out: set[int] = set()
                for n in range(frames):
                    pgno = int.from_bytes(os.pread(fd, 4, 32 + n * frame), "big")
                    at = (pgno - 1) * page
                    out.update(range(at // SEAL_CHUNK, (at + page - 1) // SEAL_CHUNK + 1))
                return out
        except OSError:
            return None

    def _seal(self, prior: tuple[int, bytes] | None = None, dirty: set[int] | None = None) -> None:
        """Record the file as it is now (right after our own write): with
        ``prior`` (what :meth:`_prior` gave before it) and the chunks it
        changed, only those (and any past the old end) are hashed again."""
        try:
            crcs, st = _crc_chunks(self.path, prior, dirty)
        except OSError:
            self.seal_path.unlink(missing_ok=True)
            return
        with contextlib.suppress(OSError):
            atomic_write(self.crcs_path, crcs, durable=False)
        self._write_seal(_seal_key(st, zlib.crc32(crcs)))

    def _check_seal(self, held: bool) -> str:
        """ "ok", "damaged" (the file removed), "gone" (no seal, or a write
        cut short: the file removed, rebuilt without a word) or "busy"
        (another process kept the lock: not used, not removed). The usual
        case, a file as the seal says, costs two ``stat`` calls and a small
        read; only another file is hashed, under the lock."""
        try:
            seal = self._read_seal()
            if seal is not None and _matches(self.path, seal):
                return "ok"
        except (ValueError, OSError):
            pass
        lock = self._lock()
        try:
            if not held and not lock.acquire(LOCK_WAIT):
                return "busy"
        except OSError:
            return "busy"  # a cache folder we cannot write: not ours to judge
        try:
            state = self._check_held()
            if state != "ok":
                self.remove()
            return state
        finally:
            lock.release()

    def _check_held(self) -> str:
        try:
            seal = self._read_seal()
        except ValueError:
            return "damaged"
        if seal is None:
            return "gone"
        if _matches(self.path, seal):
            return "ok"  # written meanwhile by another process
        try:
            crcs, st = _crc_chunks(self.path)
        except FileNotFoundError:
            return "gone"
        except OSError:
            return "damaged"
        crc = zlib.crc32(crcs)
        if crc == seal[4] and st.st_size == seal[0] and not _has_wal(self.path):
            if time.time_ns() - max(st.st_ctime_ns, st.st_mtime_ns) > RACY_NS:
                with contextlib.suppress(OSError):
                    atomic_write(self.crcs_path, crcs, durable=False)
                self._write_seal(_seal_key(st, crc))  # touched or copied: the same bytes
            return "ok"
        if _has_wal(self.path):
            return "gone"  # a write cut short before its seal: not damage
        return "damaged"

    def close(self) -> None:
        self._zdict = None
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def remove(self) -> None:
        """Delete the file (and its WAL and seal): rebuilt at the next write."""
        self.close()
        for suffix in ("", "-wal", "-shm", SEAL_SUFFIX, CRCS_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(str(self.path) + suffix)

    def header(self) -> dict[str, Any] | None:
        """The header (``key``, ``count``, ``titled``, ``files``,
        ``problems``, ``folded``), or None when there is no catalog or it is
        of another format or version (not damage: rebuilt without a word).
        The digests are apart (:meth:`digest_rows`): a command seldom needs them."""
        try:
            db = self._connect(create=False)
            if db is None:
                return None
            meta = dict(db.execute("SELECT k, v FROM meta WHERE k != 'digests'").fetchall())
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return None  # some other SQLite file: ours to replace
            raise CatalogDamaged(str(exc)) from exc
        if meta.get("format") != str(FORMAT) or meta.get("versions") != self.versions:
            self.remove()  # made again with this version's tables and page size
            return None
        try:
            head = marshal.loads(meta["header"])
            if not isinstance(head, dict):
                raise TypeError("damaged catalog header")
            head["count"] = int(head["count"])
            return head
        except (KeyError, *DAMAGE) as exc:
            raise CatalogDamaged(str(exc)) from exc

    # ------------------------------------------------------------ reading

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        # One query at a time on the connection: the app reads rows on the
        # event loop while its search thread asks for columns or days.
        with self._reading:
            try:
                db = self._connect(create=False)
                if db is None:
                    raise CatalogDamaged("gone")
                return db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CatalogDamaged(str(exc)) from exc

    def digest_rows(self) -> bytes:
        """The marshalled digests the header's files gave (see ``reader.library``)."""
        rows = self._query("SELECT v FROM meta WHERE k = 'digests'")
        try:
            return zlib.decompress(rows[0][0])
        except (IndexError, *DAMAGE) as exc:
            raise CatalogDamaged(str(exc)) from exc

    def _block(self, n: int) -> _Block:
        # Under the reading lock: the list (the event loop) and the search
        # thread share the kept blocks.
        with self._reading:
            got = self._blocks.get(n)
            if got is not None:
                self._blocks.move_to_end(n)
                return got
            rows = self._query("SELECT data FROM blocks WHERE n = ?", (n,))
            if not rows:
                raise CatalogDamaged(f"block {n} missing")
            got = self._blocks[n] = _Block(rows[0][0], self._dict())
            self.blocks_read += 1
            if len(self._blocks) > _BLOCKS_KEPT:
                self._blocks.popitem(last=False)
            return got

    def _dict(self) -> bytes:
        """The blocks' preset dictionary (:data:`DICT_ROWS`), read once."""
        if self._zdict is None:
            rows = self._query("SELECT v FROM meta WHERE k = 'zdict'")
            if not rows or not isinstance(rows[0][0], bytes):
                raise CatalogDamaged("the blocks' dictionary is missing")
            self._zdict = rows[0][0]
        return self._zdict

    def _fields(self, keys: Iterable[_Key]) -> Iterator[tuple[Any, ...]]:
        """The stored fields (:meth:`_Block.fields`) of each (id, block,
        slot, title), the title the key row's, each row checked to be the
        paper its key names: a damaged page of keys could lead an id to
        another paper's row."""
        try:
            for pid, n, slot, title, tkey in keys:
                row, abstract, parts = self._block(n).fields(slot)
                if row[0] != _s(pid):
                    raise CatalogDamaged(f"the row asked for holds paper {row[0]!r}")
                yield (row[0], _title_of(title, tkey), *row[2:]), abstract, parts
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc

    def _keys(self, ids: Iterable[str], columns: str = _KEY) -> list[Any]:
        """The key rows (``columns``: by default what :meth:`_fields` takes)
        of each of ``ids`` the catalog holds, by block (so that each block is
        read once)."""
        want = list(dict.fromkeys(ids))
        keys: list[Any] = []
        for at in range(0, len(want), _CHUNK):
            part = [_b(pid) for pid in want[at : at + _CHUNK]]
            marks = ",".join("?" * len(part))
            keys += self._query(f"SELECT {columns} FROM papers WHERE id IN ({marks})", part)
        if columns == _KEY:
            keys.sort(key=itemgetter(1, 2))
        return keys

    def list_rows(self, ids: Iterable[str]) -> dict[str, ListFields]:
        """What the list draws of each of ``ids`` the catalog holds (its
        :data:`ListFields`), from the key rows alone: no block is read (a
        search's results are scattered, a block each: 96 rows of the real
        digests took 25-30 ms that way, their key rows 0.6 ms). Upvotes
        beyond :data:`VOTES_CAP` (the column's clamp) come from the row."""
        rows = self._keys(ids, "CAST(id AS TEXT), title, tkey, date, upvotes")
        try:
            out = {
                pid: (_title_of(title, tkey), _s(date), votes)
                for pid, title, tkey, date, votes in rows
            }
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        clamped = [pid for pid, (_t, _d, v) in out.items() if v is not None and abs(v) >= VOTES_CAP]
        for pid, p in self.get(clamped).items():
            out[pid] = (p.title, p.date, p.upvotes)
        return out

    def papers(self, limit: int = -1, offset: int = 0) -> list[Paper]:
        """Papers in list order (newest day first, then title, then id)."""
        keys = self._query(f"SELECT {_KEY} FROM papers {_ORDER} LIMIT ? OFFSET ?", (limit, offset))
        return [paper_from_row(row, abstract) for row, abstract, _ in self._fields(keys)]

    def get(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The papers of ``ids`` that the catalog holds, by id."""
        out: dict[str, Paper] = {}
        for row, abstract, _ in self._fields(self._keys(ids)):
            out[row[0]] = paper_from_row(row, abstract)
        return out

    def parts(self, ids: Iterable[str]) -> dict[str, list[Part]]:
        """The records kept of each of ``ids`` merged from several (see
        ``reader.library._kept_parts``); an id the catalog keeps none of (a
        paper that is one file's records) is left out."""
        out: dict[str, list[Part]] = {}
        try:
            for row, abstract, kept in self._fields(self._keys(ids)):
                if kept:
                    out[row[0]] = _parts_from_row(paper_from_row(row, abstract), kept)
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        return out

    def has(self, pid: str) -> bool:
        return bool(self._query("SELECT 1 FROM papers WHERE id = ?", (_b(pid),)))

    def file_ids(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """The ids of the papers each of ``paths`` (a file of the header, by
        its absolute path) gave, as the last write knew them; a path the
        catalog has no row for is left out. What an update reads to find the
        papers of a file removed or changed, instead of every paper."""
        out: dict[str, list[str]] = {}
        for path in dict.fromkeys(paths):
            rows = self._query("SELECT ids FROM files WHERE path = ?", (_b(path),))
            if not rows:
                continue
            try:
                text = _s(zlib.decompress(rows[0][0]))
            except DAMAGE as exc:
                raise CatalogDamaged(str(exc)) from exc
            out[path] = text.split("\n") if text else []
        return out

    def title_ids(self, titles: Collection[str]) -> list[str]:
        """Ids of the papers whose normalised title
        (:func:`~reader.ids.normalise_title`) is one of ``titles``: what an
        update of a library with ``t:`` ids looks for (a paper known by its
        title folds into one of the same title). From the key rows alone, a
        chunk at a time: no block is read (every paper's block, to look at
        its title, took 25 s over the real digests). A row whose title is
        its folded title with some capitals, all ASCII (nearly every one),
        is told by the first word of the folded title alone; any other by
        its title, given back from the key row."""
        wanted = set(titles)
        keys = {title_key(t) for t in wanted}
        # An ASCII title's :func:`title_key` is the first ASCII word of its
        # first 80 characters, lower-cased: of ``tkey`` then, and its
        # normalised title ``tkey``'s ASCII words.
        ascii_keys = {k.encode() for k in keys if k.isascii()}
        ascii_wanted = {t.encode() for t in wanted if t.isascii()}
        sql = "SELECT id, title, tkey FROM papers"
        params: list[bytes] = []
        if len(ascii_keys) == len(keys) <= _TITLE_WORDS:
            # Only the rows that hold a key's word, or that are not plain
            # ASCII capitals (a superset of those that may match).
            params = sorted(ascii_keys)
            sql += (
                " WHERE substr(title, 1, 1) != x'00' OR CAST(tkey AS TEXT) GLOB '*[^ -~]*'"
                + " OR instr(tkey, ?) > 0" * len(params)
            )
        out: list[str] = []
        try:
            for rows in self._chunks(sql, params):
                for pid, value, tkey in rows:
                    if value[:1] == _TITLE_CAPITALS and tkey.isascii():
                        m = _ASCII_WORD.search(tkey, 0, 80)
                        if (m.group() if m else b"") not in ascii_keys:
                            continue
                        if b" ".join(_ASCII_WORD.findall(tkey)) in ascii_wanted:
                            out.append(_s(pid))
                        continue
                    title = _title_of(value, tkey)
                    if title_key(title) in keys and normalise_title(title) in wanted:
                        out.append(_s(pid))
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        return out

    def _texts(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """Rows of ``sql`` whose first column is ``CAST(id AS TEXT)``: decoded
        by SQLite (3x faster than bytes.decode per row); should some id hold
        a lone surrogate (never from a digest: the loaders refuse them), the
        same query with the BLOB decoded here."""
        try:
            return self._query(sql, params)
        except CatalogDamaged as exc:
            if not isinstance(exc.__cause__, sqlite3.OperationalError):
                raise
        rows = self._query(sql.replace("CAST(id AS TEXT)", "id", 1), params)
        try:
            return [(_s(r[0]), *r[1:]) for r in rows]
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc

    def ids(self) -> list[str]:
        """Every paper id (in no particular order: the id index, scanned)."""
        return [r[0] for r in self._texts("SELECT CAST(id AS TEXT) FROM papers")]

    def columns(self) -> tuple[list[str], list[bytes], list[int], list[int], list[int]]:
        """(ids, latest days as UTF-8, upvotes (-1: none), whether voted, has
        code) of every paper, in list order: one query over the order index,
        nothing unmarshalled."""
        sql = (
            "SELECT CAST(id AS TEXT), date, coalesce(upvotes, -1), upvotes IS NOT NULL, code"
            f" FROM papers {_ORDER}"
        )
        out: tuple[list[str], list[bytes], list[int], list[int], list[int]] = ([], [], [], [], [])
        # A few thousand days for 100k papers: one bytes object per day, not
        # per paper (8 MB less at 100k, held as long as the search engine).
        same: dict[bytes, bytes] = {}

        def take(rows: list[Any]) -> None:
            ids, dates, votes, voted, code = zip(*rows, strict=True)
            out[0].extend(ids)
            out[1].extend(same.setdefault(d, d) for d in dates)
            out[2].extend(votes)
            out[3].extend(voted)
            out[4].extend(code)

        # A chunk of rows at a time: all of them at once were five lists and
        # a tuple per paper more at the peak (150 MB at 1M papers).
        try:
            for rows in self._chunks(sql):
                take(rows)
            return out
        except CatalogDamaged as exc:
            if not isinstance(exc.__cause__, sqlite3.OperationalError):
                raise
        # an id with a lone surrogate: decoded here (see _texts)
        for part in out:
            part.clear()
        rows = self._texts(sql)
        if rows:
            take(rows)
        return out

    def placed(self, ids: Sequence[str]) -> list[tuple[str, int, bytes, int, int, int]]:
        """(id, place in list order, latest day as UTF-8, upvotes (-1:
        none), whether voted, has code) of those of ``ids`` the catalog
        holds. A place is counted by SQLite over the order index (in C,
        the GIL let go): the papers of a later day (one count per day of
        ``ids``: a fetch's papers are of a day or two), then those of the
        same day before it (that day's keys, bisected). What
        :meth:`CatalogPapers.carry` puts into the list's columns."""
        rows: list[Any] = []
        for at in range(0, len(ids), _CHUNK):
            part = ids[at : at + _CHUNK]
            marks = ",".join("?" * len(part))
            rows.extend(
                self._texts(
                    "SELECT CAST(id AS TEXT), date, coalesce(upvotes, -1), upvotes IS NOT NULL,"
                    f" code, tkey, id FROM papers WHERE id IN ({marks})",
                    [_b(pid) for pid in part],
                )
            )
        out: list[tuple[str, int, bytes, int, int, int]] = []
        by_day: dict[bytes, list[Any]] = {}
        for r in rows:
            by_day.setdefault(bytes(r[1]), []).append(r)
        for day, got in by_day.items():
            later = self._query("SELECT count(*) FROM papers WHERE date > ?", (day,))[0][0]
            keys = [
                (bytes(t), bytes(i))
                for t, i in self._query(
                    "SELECT tkey, id FROM papers WHERE date = ? ORDER BY tkey, id", (day,)
                )
            ]
            for pid, date, votes, voted, code, tkey, raw in got:
                place = later + bisect.bisect_left(keys, (bytes(tkey), bytes(raw)))
                out.append((pid, place, date, votes, voted, code))
        return out

    def head(self, limit: int) -> tuple[list[str], list[str]]:
        """(ids, latest days) of the first ``limit`` papers in list order:
        what the first screen shows before :meth:`columns` are read."""
        rows = self._texts(f"SELECT CAST(id AS TEXT), date FROM papers {_ORDER} LIMIT ?", (limit,))
        try:
            return [r[0] for r in rows], [_s(r[1]) for r in rows]
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc

    def _chunks(self, sql: str, params: Sequence[object] = ()) -> Iterator[list[Any]]:
        """The rows of ``sql`` a chunk at a time (one query): what is made
        of them need not wait beside every row at once. The lock is held for
        each chunk's fetch only, not while the caller works on it: the
        search thread's warm-up walks every paper this way, and the list's
        rows, read on the event loop, waited for the whole walk (a 78 ms
        stall at 100k papers, seconds at a million)."""
        try:
            with self._reading:
                db = self._connect(create=False)
                if db is None:
                    raise CatalogDamaged("gone")
                cursor = db.execute(sql, params)
                rows = cursor.fetchmany(_FETCH)
            while rows:
                yield rows
                with self._reading:
                    rows = cursor.fetchmany(_FETCH)
        except sqlite3.DatabaseError as exc:
            raise CatalogDamaged(str(exc)) from exc

    def tags(self) -> list[tuple[str, list[str]]]:
        """(id, source tags) of every paper that has some. Each distinct tag
        is one string (a million papers share a few thousand categories: 140
        MB of copies at 1M papers otherwise)."""
        out: list[tuple[str, list[str]]] = []
        same: dict[str, str] = {}
        try:
            for rows in self._chunks("SELECT id, tags FROM papers WHERE tags != x''"):
                out.extend(
                    (_s(i), [same.setdefault(t, t) for t in _s(t).split("\x1f")]) for i, t in rows
                )
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        return out

    def tag_columns(self) -> tuple[list[str], Any, Any]:
        """:meth:`tags` as columns: the distinct tags, and for each (paper,
        tag) pair the paper's id (one numpy array of UTF-8 bytes) and the
        tag's place among the distinct ones (int32). No tuple, list or id
        string per paper: at 1M papers those were 190 MB at the search
        engine's warm-up peak, for a moment."""
        import numpy as np

        names: list[str] = []
        code: dict[bytes, int] = {}
        id_parts: list[Any] = []
        code_parts: list[Any] = []
        try:
            for rows in self._chunks("SELECT id, tags FROM papers WHERE tags != x''"):
                ids: list[bytes] = []
                codes: list[int] = []
                for i, t in rows:
                    pid = bytes(i)
                    for tag in bytes(t).split(b"\x1f"):
                        c = code.get(tag)
                        if c is None:
                            c = code[tag] = len(names)
                            names.append(_s(tag))
                        ids.append(pid)
                        codes.append(c)
                id_parts.append(np.array(ids, "S") if ids else np.zeros(0, "S1"))
                code_parts.append(np.array(codes, np.int32))
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        width = max((p.dtype.itemsize for p in id_parts), default=1)
        if not id_parts:
            return names, np.zeros(0, "S1"), np.zeros(0, np.int32)
        ids_all = np.concatenate([p.astype(f"S{width}") for p in id_parts])
        return names, ids_all, np.concatenate(code_parts)

    def days(self) -> list[tuple[str, str]]:
        """Every (day, paper id), sorted by day; each day one string."""
        out: list[tuple[str, str]] = []
        text: dict[bytes, str] = {}
        try:
            for rows in self._chunks("SELECT day, id FROM days ORDER BY day"):
                for d, i in rows:
                    day = text.get(d)
                    if day is None:
                        day = text[d] = _s(d)
                    out.append((day, _s(i)))
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        return out

    def day_columns(self) -> tuple[list[str], Any]:
        """:meth:`days` as two columns: every day (one string per distinct
        day) and the ids as one numpy array of their UTF-8 bytes, sorted by
        day. No tuple or string per paper: at 1M papers those were 130 MB
        at the search engine's warm-up peak, for a moment."""
        import numpy as np

        days: list[str] = []
        parts: list[Any] = []
        text: dict[bytes, str] = {}
        try:
            for rows in self._chunks("SELECT day, id FROM days ORDER BY day"):
                for d, _ in rows:
                    day = text.get(d)
                    if day is None:
                        day = text[d] = _s(d)
                    days.append(day)
                parts.append(np.array([bytes(i) for _, i in rows], "S"))
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc
        width = max((p.dtype.itemsize for p in parts), default=1)
        ids = np.concatenate([p.astype(f"S{width}") for p in parts]) if parts else np.zeros(0, "S1")
        return days, ids

    def dates_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The latest day of each of ``ids`` the catalog holds, by id: from
        the key rows (``_CHUNK`` ids a query), no block read."""
        want = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        text: dict[bytes, str] = {}
        for at in range(0, len(want), _CHUNK):
            part = want[at : at + _CHUNK]
            marks = ",".join("?" * len(part))
            rows = self._texts(
                f"SELECT CAST(id AS TEXT), date FROM papers WHERE id IN ({marks})",
                [_b(pid) for pid in part],
            )
            try:
                for pid, d in rows:
                    day = text.get(d)
                    if day is None:
                        day = text[d] = _s(d)
                    out[pid] = day
            except DAMAGE as exc:
                raise CatalogDamaged(str(exc)) from exc
        return out

    def on_days(self, lo: str, hi: str) -> list[str]:
        """Ids of the papers with a day from ``lo`` to ``hi`` (inclusive; a
        day that starts with ``hi`` counts): a range of the days index."""
        rows = self._texts(
            "SELECT DISTINCT CAST(id AS TEXT) FROM days WHERE day >= ? AND day <= ?",
            (_b(lo), _b(hi + "\uffff")),
        )
        return [r[0] for r in rows]

    def day_sizes(self) -> dict[str, int]:
        """How many papers each day holds (a paper without a digest day counts
        on its published day, as :meth:`on_days` finds it): one pass over the
        days table's key, no row read."""
        rows = self._query("SELECT day, count(*) FROM days GROUP BY day")
        try:
            return {_s(d): n for d, n in rows}
        except DAMAGE as exc:
            raise CatalogDamaged(str(exc)) from exc

    def day_sizes_of(self, ids: Iterable[str]) -> dict[str, int]:
        """How many of ``ids`` each day holds (the sidebar's read papers per
        day): work in the number of ids, not of papers."""
        want = list(dict.fromkeys(ids))
        out: dict[str, int] = {}
        for at in range(0, len(want), _CHUNK):
            part = [_b(pid) for pid in want[at : at + _CHUNK]]
            marks = ",".join("?" * len(part))
            rows = self._query(
                f"SELECT day, count(*) FROM days WHERE id IN ({marks}) GROUP BY day", part
            )
            try:
                for d, n in rows:
                    day = _s(d)
                    out[day] = out.get(day, 0) + n
            except DAMAGE as exc:
                raise CatalogDamaged(str(exc)) from exc
        return out

    def day_ids(self, day: str) -> list[str]:
        """Ids of the papers of ``day``, in list order (a range of the days
        index, each looked up in the order index)."""
        rows = self._texts(
            "SELECT CAST(id AS TEXT) FROM papers WHERE id IN"
            f" (SELECT id FROM days WHERE day = ?) {_ORDER}",
            (_b(day),),
        )
        return [r[0] for r in rows]

    def sorted_ids(self, how: str, day: str | None = None) -> tuple[list[str], list[bytes]]:
        """(ids, latest days as UTF-8) of every paper, or of ``day``'s, in
        the order ``how`` (``upvotes`` or ``title``) that
        :func:`reader.views.sort_papers` gives a list in the catalog's own
        order: from the columns and the days table's ranks, no row read."""
        where = "WHERE p.id IN (SELECT id FROM days WHERE day = ?)" if day is not None else ""
        if how == "upvotes":
            # most upvoted, then the newest day, the digest's own place, the title
            order = "coalesce(p.upvotes, -1) DESC, p.date DESC, coalesce(r.rank, 1073741824), p.tkey, p.id"
        elif how == "title":
            order = "p.tkey, p.date DESC, p.id"
        else:
            raise ValueError(f"not an order of the catalog: {how!r}")
        rows = self._texts(
            "SELECT CAST(p.id AS TEXT), p.date FROM papers p"
            f" LEFT JOIN days r ON r.day = p.date AND r.id = p.id {where} ORDER BY {order}",
            () if day is None else (_b(day),),
        )
        same: dict[bytes, bytes] = {}
        return [r[0] for r in rows], [same.setdefault(r[1], r[1]) for r in rows]

    def stream(self, blocks: int = 16) -> Iterator[Paper]:
        """Every paper, in no particular order, ``blocks`` blocks at a time
        (each read once, in the order they were written, not kept), so that
        walking them holds a few blocks. A slot whose paper was written again
        elsewhere (an update) is left out: each block's ids are looked up."""
        last = -1
        while True:
            rows = self._query(
                "SELECT n, data FROM blocks WHERE n > ? ORDER BY n LIMIT ?", (last, blocks)
            )
            if not rows:
                return
            papers: list[Paper] = []
            try:
                for n, data in rows:
                    block = _Block(data, self._dict())
                    got = [block.fields(slot) for slot in range(len(block))]
                    live = {
                        (_s(pid), slot): _title_of(title, tkey)
                        for pid, b, slot, title, tkey in self._keys(row[0] for row, _, _ in got)
                        if b == n
                    }
                    papers.extend(
                        paper_from_row((row[0], live[row[0], slot], *row[2:]), abstract)
                        for slot, (row, abstract, _) in enumerate(got)
                        if (row[0], slot) in live
                    )
            except DAMAGE as exc:
                raise CatalogDamaged(str(exc)) from exc
            last = rows[-1][0]
            yield from papers

    def doi_ids(self, doi: str) -> list[str]:
        """Ids of the papers whose DOI is ``doi`` (any case): read from the
        rows, so only when a query names a DOI."""
        keys = self._query(f"SELECT {_KEY} FROM papers ORDER BY block, slot")
        return [row[0] for row, _, _ in self._fields(keys) if (row[8] or "").lower() == doi]

    # ------------------------------------------------------------ writing

    def write(
        self,
        header: dict[str, Any],
        everything: Callable[[], Iterable[Paper]] | None,
        papers: Iterable[Paper] | None = None,
        touched: Iterable[str] | None = None,
        base: str | None = None,
        parts: Mapping[str, Sequence[Part]] | None = None,
        files: Mapping[str, Iterable[str]] | None = None,
    ) -> bool:
        """Store ``header`` and the papers (each with its ``parts``, when it
        has some) in one transaction, and ``files``: the ids each file
        (absolute path) gave, for the files written (every file in a full
        write; the rows of files no longer in the header go). With
        ``touched``, only those ids' rows change (removed, then ``papers``,
        the touched papers still in the library, written), provided the
        catalog still holds the library of key ``base`` (another process may
        have written since); else every row of ``everything()`` again, or
        (``everything`` None) nothing: False. The file is sealed after."""
        lock = self._lock()
        try:
            if not lock.acquire(LOCK_WAIT):
                return False  # another process is writing it: only slower
        except OSError:
            return False
        try:
            prior = self._prior()
            written = self._write(
                header, everything, papers, touched, base, parts or {}, files or {}
            )
            dirty = self._wal_chunks() if written and prior is not None else None
            if written and self._checkpointed():
                self._seal(prior, dirty)
            return written
        finally:
            lock.release()

    def _write(
        self,
        header: dict[str, Any],
        everything: Callable[[], Iterable[Paper]] | None,
        papers: Iterable[Paper] | None,
        touched: Iterable[str] | None,
        base: str | None,
        parts: Mapping[str, Sequence[Part]],
        files: Mapping[str, Iterable[str]],
    ) -> bool:
        db = self._connect(create=True, held=True)
        assert db is not None
        header = dict(header)
        digests = zlib.compress(header.pop("digests", None) or marshal.dumps([]), _LEVEL)
        head = marshal.dumps(header)
        # An update's day rows go by their key (day, id), the days read
        # from the touched papers' rows as stored, before the write (the
        # blocks the update merged are still at hand). There is no index by
        # id (6 MB for the real digests), and a scan of every day row was
        # 50 ms at a million papers. A new day's papers have none.
        old_days: list[tuple[bytes, bytes]] = []
        if touched is not None and papers is not None:
            touched = list(touched)
            old_days = self._stored_days(touched)
        self._blocks.clear()
        self._zdict = None
        db.execute("BEGIN IMMEDIATE")
        try:
            # an update's rows go with the rows already there: the same dictionary
            zdict = self._stored_dict(db)
            full = False
            if touched is not None and papers is not None and zdict and self._key(db) == base:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS gone (id BLOB PRIMARY KEY)")
                db.execute("DELETE FROM temp.gone")
                db.executemany("INSERT OR IGNORE INTO temp.gone VALUES (?)",
                               [(_b(pid),) for pid in touched])  # fmt: skip
                emptied = db.execute(
                    "SELECT block, count(*) FROM papers WHERE id IN temp.gone GROUP BY block"
                ).fetchall()
                db.executemany("UPDATE blocks SET live = live - ? WHERE n = ?",
                               [(c, n) for n, c in emptied])  # fmt: skip
                # By number: ``live`` has no index, and a scan of it reads
                # every block's pages (0.3 s at a million papers).
                db.executemany("DELETE FROM blocks WHERE n = ? AND live <= 0",
                               [(n,) for n, _ in emptied])  # fmt: skip
                db.execute("DELETE FROM papers WHERE id IN temp.gone")
                db.executemany("DELETE FROM days WHERE day = ? AND id = ?", old_days)
                rows: Iterable[Paper] = papers
            elif everything is None:
                db.execute("ROLLBACK")
                return False
            else:
                db.execute("DELETE FROM papers")
                db.execute("DELETE FROM blocks")
                db.execute("DELETE FROM days")
                db.execute("DELETE FROM files")
                # made again once the rows are in, sorted at once: full
                # pages (filled a row at a time in id order, a third of the
                # real digests' 15 MB order index was empty)
                db.execute("DROP INDEX IF EXISTS papers_order")
                zdict = None
                full = True
                rows = everything()
            self.seal_path.unlink(missing_ok=True)  # cut short, the file is not used
            first = db.execute("SELECT coalesce(max(n), -1) + 1 FROM blocks").fetchone()[0]
            block = first
            keys: list[tuple[object, ...]] = []
            days: list[tuple[object, ...]] = []
            # Rows not yet in a block: the first DICT_ROWS of a full write
            # wait for the dictionary they train.
            raws: list[bytes] = []

            def flush(last: bool) -> None:
                nonlocal block, raws
                assert zdict is not None
                at = 0
                while len(raws) - at >= BLOCK_ROWS or (last and at < len(raws)):
                    part = raws[at : at + BLOCK_ROWS]
                    db.execute("INSERT INTO blocks VALUES (?, ?, ?)",
                               (block, len(part), _pack_block(part, zdict)))  # fmt: skip
                    block += 1
                    at += len(part)
                raws = raws[at:]

            for count, p in enumerate(rows):
                keys.append(_paper_values(p, first + count // BLOCK_ROWS, count % BLOCK_ROWS))
                raws.append(_raw(p, parts.get(p.id)))
                days.extend(_day_values(p))
                if zdict is None and len(raws) >= DICT_ROWS:
                    zdict = train_dict(raws)
                if zdict is not None and len(raws) >= BLOCK_ROWS:
                    flush(last=False)
            if zdict is None:
                zdict = train_dict(raws)
            flush(last=True)
            # In key order, so that SQLite fills its pages (in list order the
            # papers and days tables took 24 MB for the real digests, not 16).
            keys.sort(key=itemgetter(0))
            days.sort(key=itemgetter(0, 1))
            if full:
                self._insert_packed(db, keys, days)
            else:
                db.executemany("INSERT INTO papers VALUES (?,?,?,?,?,?,?,?,?)", keys)
                db.executemany("INSERT OR REPLACE INTO days VALUES (?,?,?)", days)
            db.execute(_ORDER_INDEX)
            self._write_files(db, header, files)
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("format", str(FORMAT)), ("versions", self.versions), ("header", head),
                 ("digests", digests), ("zdict", zdict)],
            )  # fmt: skip
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return True

    def _stored_days(self, ids: Iterable[str]) -> list[tuple[bytes, bytes]]:
        """The (day, id) keys of the day rows of those of ``ids`` the
        catalog holds, from their rows (:func:`_days_of`, as written)."""
        return [
            (_b(day), _b(row[0]))
            for row, _, _ in self._fields(self._keys(ids))
            for day in _days_of(row[5], row[15])
        ]

    @staticmethod
    def _write_files(
        db: sqlite3.Connection, header: Mapping[str, Any], files: Mapping[str, Iterable[str]]
    ) -> None:
        """The rows of :meth:`file_ids`: ``files``' written, those of files
        the header no longer lists removed."""
        db.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?)",
            [
                (_b(path), zlib.compress(_b("\n".join(sorted(set(ids)))), _LEVEL))
                for path, ids in files.items()
            ],
        )
        listed = {_b(str(m[0])) for m in header.get("files") or ()}
        stale = [(p,) for (p,) in db.execute("SELECT path FROM files") if p not in listed]
        db.executemany("DELETE FROM files WHERE path = ?", stale)

    def _checkpointed(self) -> bool:
        """Whether the last write is in the file itself (the WAL emptied), so
        that the seal covers what is read. A reader of another process still
        on an older snapshot keeps it in the WAL: the file is left unsealed
        then (rebuilt without a word by the next process)."""
        assert self._db is not None
        try:
            return not self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error:
            return False

    @staticmethod
    def _insert_packed(
        db: sqlite3.Connection, keys: list[tuple[object, ...]], days: list[tuple[object, ...]]
    ) -> None:
        """A full write's key rows and days, sorted, into the emptied tables
        with full pages: through temporary tables of the same shape, copied
        whole (SQLite's transfer of a table into an empty one of the same
        shape appends whole pages; row by row, even in key order, about an
        eighth of each page stays empty: 2.2 MB on the real digests)."""
        for table, (columns, count) in _TABLES.items():
            db.execute(f"DROP TABLE IF EXISTS temp.fresh_{table}")
            db.execute(f"CREATE TEMP TABLE fresh_{table} {columns}")
            marks = ",".join("?" * count)
            db.executemany(f"INSERT OR REPLACE INTO temp.fresh_{table} VALUES ({marks})",
                           keys if table == "papers" else days)  # fmt: skip
            db.execute(f"INSERT INTO {table} SELECT * FROM temp.fresh_{table}")
            db.execute(f"DROP TABLE temp.fresh_{table}")

    @staticmethod
    def _stored_dict(db: sqlite3.Connection) -> bytes | None:
        """The blocks' dictionary in the file (None: none, so no update)."""
        got = db.execute("SELECT v FROM meta WHERE k = 'zdict'").fetchone()
        return got[0] if got and isinstance(got[0], bytes) else None

    def _key(self, db: sqlite3.Connection) -> str | None:
        """The key of the library the catalog holds (None: not ours, or none)."""
        meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
        if meta.get("format") != str(FORMAT) or meta.get("versions") != self.versions:
            return None
        try:
            head = marshal.loads(meta["header"])
        except (KeyError, *DAMAGE):
            return None
        return str(head.get("key")) if isinstance(head, dict) else None


def _crc_chunks(
    path: Path, prior: tuple[int, bytes] | None = None, dirty: set[int] | None = None
) -> tuple[bytes, os.stat_result]:
    """The CRC32 of each :data:`SEAL_CHUNK` bytes of the file (packed, see
    :data:`CRCS_SUFFIX`) and its ``stat`` taken before reading; with
    ``prior`` (the size and chunk CRCs before a write) and ``dirty`` (the
    chunks it wrote), the others are taken from ``prior``."""
    fd, st = open_regular(path)
    try:
        chunks = -(-st.st_size // SEAL_CHUNK)
        old = array.array("I")
        if prior is not None and dirty is not None:
            old.frombytes(prior[1])
            if sys.byteorder != "little":
                old.byteswap()
            dirty = dirty | set(range(min(prior[0], st.st_size) // SEAL_CHUNK, chunks))
        out = array.array("I", bytes(4 * chunks))
        for n in range(chunks):
            if dirty is not None and n < len(old) and n not in dirty:
                out[n] = old[n]
            else:
                out[n] = zlib.crc32(os.pread(fd, SEAL_CHUNK, n * SEAL_CHUNK))
        if sys.byteorder != "little":
            out.byteswap()
        return out.tobytes(), st
    finally:
        os.close(fd)


def _seal_key(st: os.stat_result, crc: int) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, crc]


def _matches(path: Path, seal: list[int]) -> bool:
    """Whether the file's size, times and inode are the seal's."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return _seal_key(st, seal[4]) == seal


def _has_wal(path: Path) -> bool:
    try:
        return os.path.getsize(str(path) + "-wal") > 0
    except OSError:
        return False


class CatalogPapers(Mapping[str, Paper]):
    """The library's papers by id, read from the catalog as they are asked
    for: the last :data:`KEPT` papers read are kept (an LRU: the list's
    window and its neighbours), no more, so that holding the library costs
    its columns, not its papers. Iterating the ids is one query over an
    index; ``values`` and ``items`` stream every row a chunk at a time,
    keeping none. Should the catalog prove damaged midway, ``fallback``
    gives the papers read from the digests, and every answer comes from
    them from then on (a walk of ``values`` under way goes on with the
    papers it has not given yet)."""

    def __init__(
        self, catalog: Catalog, count: int, fallback: Callable[[], Mapping[str, Paper]]
    ) -> None:
        self.catalog = catalog
        self._count = count
        self._fallback = fallback
        self._whole: Mapping[str, Paper] | None = None
        self._got: OrderedDict[str, Paper] = OrderedDict()
        self._rows: OrderedDict[str, ListFields] = OrderedDict()
        self._ids: list[str] | None = None
        #: ``_ids`` as an :class:`~reader.search.idtable.IdTable` (made on the
        #: first ``in``), never a set: 32 MB at a million papers beside the
        #: ids, and the search engine numbers its columns with the same table.
        self._table: tuple[list[str], IdTable] | None = None
        self._columns: tuple[list[str], list[bytes], list[int], list[int], list[int]] | None = None
        self._dates: list[str] | None = None
        self._sizes: dict[str, int] | None = None
        #: The kept papers are read and changed by the event loop (the list)
        #: and the search thread (a search's papers) alike.
        self._lock = threading.RLock()
        #: How many rows were read from the catalog (tests: what a view costs).
        self.rows_read = 0
        #: How many list rows (:meth:`list_rows`) were read from the catalog.
        self.list_rows_read = 0

    def _rescued(self) -> Mapping[str, Paper]:
        if self._whole is None:
            self.catalog.remove()
            self._whole = self._fallback()
            self._got.clear()
        return self._whole

    def _keep(self, papers: Mapping[str, Paper]) -> None:
        got = self._got
        with self._lock:
            got.update(papers)
            for pid in papers:
                got.move_to_end(pid)
            while len(got) > KEPT:
                got.popitem(last=False)

    def load(self, ids: Iterable[str]) -> None:
        """Read the rows of ``ids`` in a few queries (not one per id); they
        are kept (the least recently read go beyond :data:`KEPT`)."""
        if self._whole is not None:
            return
        got = self._got
        want = []
        with self._lock:
            for pid in ids:
                if pid in got:
                    got.move_to_end(pid)
                else:
                    want.append(pid)
        if want:
            try:
                found = self.catalog.get(want)
            except CatalogDamaged:
                self._rescued()
                return
            self.rows_read += len(found)
            self._keep(found)

    def take(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The papers of ``ids`` that the library holds, by id, read in a few
        queries; however many, every one is in the answer (the kept papers
        are only those read last)."""
        want = list(dict.fromkeys(ids))
        if self._whole is not None:
            return {pid: self._whole[pid] for pid in want if pid in self._whole}
        with self._lock:
            kept = self._got
            out = {pid: kept[pid] for pid in want if pid in kept}
        missing = [pid for pid in want if pid not in out]
        if missing:
            try:
                found = self.catalog.get(missing)
            except CatalogDamaged:
                self._rescued()
                return self.take(want)
            self.rows_read += len(found)
            out.update(found)
            self._keep({pid: found[pid] for pid in missing[-KEPT:] if pid in found})
        return out

    def list_rows(self, ids: Iterable[str]) -> dict[str, ListFields]:
        """What the list draws of each of ``ids`` the library holds (see
        :meth:`Catalog.list_rows`): from a kept paper or row, else read (no
        block, no paper); the last :data:`ROWS_KEPT` rows read are kept."""
        want = list(dict.fromkeys(ids))
        if self._whole is not None:
            whole = self._whole
            return {pid: _list_row(whole[pid]) for pid in want if pid in whole}
        out: dict[str, ListFields] = {}
        missing = []
        with self._lock:
            rows, got = self._rows, self._got
            for pid in want:
                row = rows.get(pid)
                if row is not None:
                    rows.move_to_end(pid)
                    out[pid] = row
                elif pid in got:
                    out[pid] = _list_row(got[pid])
                else:
                    missing.append(pid)
        if missing:
            try:
                found = self.catalog.list_rows(missing)
            except CatalogDamaged:
                self._rescued()
                return self.list_rows(want)
            self.list_rows_read += len(found)
            out.update(found)
            with self._lock:
                rows.update(found)
                while len(rows) > ROWS_KEPT:
                    rows.popitem(last=False)
        return out

    def list_row_kept(self, pid: str) -> ListFields | None:
        """The list's row of ``pid`` when it is answered without a query."""
        if self._whole is not None:
            p = self._whole.get(pid)
            return None if p is None else _list_row(p)
        row = self._rows.get(pid)
        if row is None:
            p = self._got.get(pid)
            return None if p is None else _list_row(p)
        return row

    def kept(self, pid: str) -> bool:
        """Whether ``pid`` is answered without a query (kept, or rescued)."""
        return self._whole is not None or pid in self._got

    def __getitem__(self, pid: str) -> Paper:
        if self._whole is not None:
            return self._whole[pid]
        got = self._got.get(pid)
        if got is None:
            self.load((pid,))
            if self._whole is not None:
                return self._whole[pid]
            got = self._got.get(pid)
            if got is None:
                raise KeyError(pid)
        return got

    def __contains__(self, pid: object) -> bool:
        if self._whole is not None:
            return pid in self._whole
        if not isinstance(pid, str):
            return False
        if pid in self._got:
            return True
        if self._ids is not None:  # every id read once already: no query per id
            return pid in self._id_table()
        try:
            return self.catalog.has(pid)
        except CatalogDamaged:
            return pid in self._rescued()

    def _id_table(self) -> IdTable:
        """:attr:`_ids` as an IdTable (numbered in their order)."""
        from reader.search.idtable import IdTable

        with self._lock:
            ids = self._ids
            assert ids is not None
            table = self._table
            if table is None or table[0] is not ids:
                table = self._table = (ids, IdTable(ids))
            return table[1]

    def which(self, ids: Sequence[str]) -> list[bool] | None:
        """Whether each of ``ids`` is a paper here, in one search of them all
        once every id was read (None: not known so; ask ``in`` each)."""
        if self._whole is not None or self._ids is None:
            return None
        got: list[bool] = self._id_table().which(ids)
        return got

    def id_table(self, ids: Sequence[str]) -> IdTable | None:
        """The :class:`~reader.search.idtable.IdTable` of ``ids`` when they
        are the list this mapping holds (:meth:`columns`' ids: the search
        engine's numbering), shared with ``in``; None for another list."""
        if self._whole is not None or ids is not self._ids:
            return None
        return self._id_table()

    def __len__(self) -> int:
        return len(self._whole) if self._whole is not None else self._count

    def __iter__(self) -> Iterator[str]:
        if self._whole is not None:
            return iter(self._whole)
        if self._ids is None:
            if self._columns is not None:  # one list of every id, not two
                self._ids = self._columns[0]
            else:
                try:
                    self._ids = self.catalog.ids()
                except CatalogDamaged:
                    return iter(self._rescued())
        return iter(self._ids)

    @property
    def rescued(self) -> bool:
        """True once the papers come from the digests (the catalog failed)."""
        return self._whole is not None

    def stream(self) -> Iterator[Paper]:
        """Every paper once, in no particular order, a chunk at a time."""
        if self._whole is not None:
            yield from self._whole.values()
            return
        given: set[str] = set()
        try:
            for p in self.catalog.stream():
                given.add(p.id)
                yield p
        except CatalogDamaged:
            whole = self._rescued()
            for pid, p in whole.items():
                if pid not in given:
                    yield p
        else:
            self.rows_read += len(given)

    def values(self) -> ValuesView[Paper]:
        return _Streamed(self)

    def items(self) -> ItemsView[str, Paper]:
        return _StreamedItems(self)

    # ------------------------------------------------------------ columns

    def columns(self) -> tuple[list[str], list[bytes], list[int], list[int], list[int]] | None:
        """See :meth:`Catalog.columns` (read once, then kept: the list and
        the search engine share them); None once rescued (walk the papers)."""
        if self._whole is not None:
            return None
        if self._columns is None:
            try:
                got = self.catalog.columns()
            except CatalogDamaged:
                self._rescued()
                return None
            # so that "in" needs no query; one list of every id (an earlier
            # one, unordered, from iterating, is let go)
            self._ids = got[0]
            self._columns = got
        return self._columns

    def carry(self, old: CatalogPapers, touched: Collection[str]) -> bool:
        """Take ``old``'s columns (and their id table, and days as text), as
        read for the library this one was updated from, with the papers
        ``touched`` by the update taken out and put in at their places
        (:meth:`Catalog.placed`): the list's columns of a library read
        again after a fetch without 100k rows read and decoded in Python
        (0.2 s of the reload's worker at 100k papers, holding the GIL
        beside the app's cursor) nor an id table sorted again. False (and
        nothing changed) when ``old`` has no columns or the counts do not
        add up: :meth:`columns` reads them then."""
        import numpy as np

        from reader.search.renumber import Renumbering

        if self._whole is not None or self._columns is not None:
            return False
        cols = old._columns
        if cols is None or old._ids is not cols[0] or old._whole is not None:
            return False
        want = sorted(touched)
        try:
            rows = sorted(self.catalog.placed(want), key=lambda r: r[1])
        except CatalogDamaged:
            return False
        gone = old._id_table().numbers(want)
        removed = sorted(int(n) for n in gone.tolist() if n >= 0)
        at = [r[1] for r in rows]
        step = Renumbering.of(len(cols[0]), removed, at, self._count)
        if step is None or len(rows) != len(set(at)):
            return False
        parts: list[list[Any]] = [cols[0], cols[1], cols[2], cols[3], cols[4]]
        spliced = [
            _spliced(part, removed, at, [r[k] for r in rows])
            for part, k in zip(parts, (0, 2, 3, 4, 5), strict=True)
        ]
        ids: list[str] = spliced[0]
        probe = np.flatnonzero(step.kept)[:: max(1, len(cols[0]) // 64)].tolist()
        if [ids[step.old_to_new[i]] for i in probe] != [cols[0][i] for i in probe]:
            return False
        table = old._id_table().renumbered(step.old_to_new, [r[0] for r in rows], at)
        with self._lock:
            self._columns = (ids, spliced[1], spliced[2], spliced[3], spliced[4])
            self._ids = ids
            if table is not None:
                self._table = (ids, table)
            if old._dates is not None:
                self._dates = _spliced(old._dates, removed, at, [_s(r[2]) for r in rows])
        return True

    def dates(self) -> list[str] | None:
        """Each paper's latest day, in list order (see :meth:`columns`)."""
        if self._dates is None:
            got = self.columns()
            if got is None:
                return None
            text: dict[bytes, str] = {}
            self._dates = [text.get(d) or text.setdefault(d, _s(d)) for d in got[1]]
        return self._dates

    def _ask(self, ask: Callable[[], Any]) -> Any:
        if self._whole is not None:
            return None
        try:
            return ask()
        except CatalogDamaged:
            self._rescued()
            return None

    def on_days(self, lo: str, hi: str) -> list[str] | None:
        """See :meth:`Catalog.on_days`; None once rescued."""
        got: list[str] | None = self._ask(lambda: self.catalog.on_days(lo, hi))
        return got

    def dates_of(self, ids: Iterable[str]) -> dict[str, str] | None:
        """See :meth:`Catalog.dates_of`; None once rescued."""
        got: dict[str, str] | None = self._ask(lambda: self.catalog.dates_of(ids))
        return got

    def days(self) -> list[tuple[str, str]] | None:
        got: list[tuple[str, str]] | None = self._ask(self.catalog.days)
        return got

    def day_columns(self) -> tuple[list[str], Any] | None:
        """See :meth:`Catalog.day_columns`; None once rescued."""
        got: tuple[list[str], Any] | None = self._ask(self.catalog.day_columns)
        return got

    def tag_columns(self) -> tuple[list[str], Any, Any] | None:
        """See :meth:`Catalog.tag_columns`; None once rescued."""
        got: tuple[list[str], Any, Any] | None = self._ask(self.catalog.tag_columns)
        return got

    def source_tags(self) -> list[tuple[str, list[str]]] | None:
        got: list[tuple[str, list[str]]] | None = self._ask(self.catalog.tags)
        return got

    def day_sizes(self) -> dict[str, int] | None:
        """See :meth:`Catalog.day_sizes` (kept); None once rescued."""
        if self._sizes is None:
            self._sizes = self._ask(self.catalog.day_sizes)
        return self._sizes

    def day_sizes_of(self, ids: Iterable[str]) -> dict[str, int] | None:
        """See :meth:`Catalog.day_sizes_of`; None once rescued."""
        got: dict[str, int] | None = self._ask(lambda: self.catalog.day_sizes_of(ids))
        return got

    def sorted_ids(self, how: str, day: str | None = None) -> tuple[list[str], list[str]] | None:
        """See :meth:`Catalog.sorted_ids`, the days as text; None once rescued."""
        got: tuple[list[str], list[bytes]] | None = self._ask(
            lambda: self.catalog.sorted_ids(how, day)
        )
        if got is None:
            return None
        text: dict[bytes, str] = {}
        return got[0], [text.get(d) or text.setdefault(d, _s(d)) for d in got[1]]

    def title_ids(self, titles: Collection[str]) -> list[str] | None:
        """See :meth:`Catalog.title_ids`; None once rescued."""
        got: list[str] | None = self._ask(lambda: self.catalog.title_ids(titles))
        return got

    def day_ids(self, day: str) -> list[str] | None:
        """See :meth:`Catalog.day_ids`; None once rescued."""
        got: list[str] | None = self._ask(lambda: self.catalog.day_ids(day))
        return got


def _spliced(old: list[Any], removed: list[int], at: list[int], values: list[Any]) -> list[Any]:
    """``old`` without the items at ``removed`` (ascending), then with
    ``values`` put in so that they stand at ``at`` (ascending places in the
    list made): slices copied in C, no Python step per item."""
    kept: list[Any] = []
    last = 0
    for r in removed:
        kept += old[last:r]
        last = r + 1
    kept += old[last:]
    out: list[Any] = []
    last = 0
    for j, (place, value) in enumerate(zip(at, values, strict=True)):
        k = place - j
        out += kept[last:k]
        out.append(value)
        last = k
    out += kept[last:]
    return out


def present(papers: Mapping[str, Paper], ids: Sequence[str]) -> list[bool]:
    """Whether each of ``ids`` is in ``papers`` (a search's hits): one
    search of them all when ``papers`` can (:meth:`CatalogPapers.which`)."""
    got = papers.which(ids) if isinstance(papers, CatalogPapers) else None
    if got is not None:
        return list(got)
    return [pid in papers for pid in ids]


#: How many papers :class:`CatalogPapers` keeps once read: a screen's window
#: and its neighbours many times over, a search's best 1,000, a day or two.
KEPT = 2048
#: How many list rows it keeps (a few tuples each: ~0.2 KB a row).
ROWS_KEPT = 8192


def _list_row(p: Paper) -> ListFields:
    return (p.title, p.date, p.upvotes)


class _Streamed(ValuesView[Paper]):
    """``CatalogPapers.values()``: every paper, streamed."""

    _mapping: CatalogPapers

    def __iter__(self) -> Iterator[Paper]:
        return self._mapping.stream()


class _StreamedItems(ItemsView[str, Paper]):
    """``CatalogPapers.items()``: every (id, paper), streamed."""

    _mapping: CatalogPapers

    def __iter__(self) -> Iterator[tuple[str, Paper]]:
        for p in self._mapping.stream():
            yield p.id, p
