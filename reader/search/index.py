"""The Whoosh index: a rebuildable cache in the cache folder.

Layout of ``folder`` (``Paths.index_dir``)::

    CURRENT                 name of the live generation ("ix-<token>")
    ix-<token>/             a Whoosh index we wrote, with
        digest-reader-index.json   our stamp (format, version, token)
        hashes.json                sidecar: paper id -> content hash, same token
        fast-<segment>.bin         fast postings of a segment of the full build
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
  ``MAIN_WRITELOCK``, its ``*.tmp`` pools, ``tmp-*`` builds whose owner died,
  fast postings of segments Whoosh merged away.
* One indexed field, ``text`` (title, authors, tags, abstract in separate
  position ranges, field boosts folded into the posting weights); a full build
  writes segments directly through Whoosh's codec (:func:`write_segment`), in
  2 forked processes for big libraries; queries of words and ``prefix*`` are
  scored with numpy from the fast postings (:meth:`SearchIndex._fast_search`).
  See ``docs/search.md``.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import math
import mmap
import os
import re
import secrets
import shutil
import struct
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

from reader.fileio import FileLock, atomic_write_text, is_temp
from reader.model import Paper
from reader.search.query import FIELD_BOOSTS, FIELD_SPANS, INDEX_FIELD, SPAN_WIDTH, analyze

#: Bump when the schema, the analyzer or the sidecar changes: older indexes are rebuilt.
#: 5: text indexed as shown (LaTeX rendered), Greek letters and scripts as words.
INDEX_VERSION = 5
STAMP_NAME = "digest-reader-index.json"
SIDECAR_NAME = "hashes.json"
STAMP_FORMAT = "digest-reader-index"
#: Papers per commit during :meth:`SearchIndex.sync`.
BATCH = 5000
#: Above this many changed papers (and half the index), sync rebuilds instead.
REBUILD_OVER = 20000
#: A full build of more papers than this uses 2 processes (when there are 2 cores).
PARALLEL_OVER = 20000
#: BM25F parameters (Whoosh's defaults, used by the fast path too).
BM25_K1 = 1.2
BM25_B = 0.75
#: tmp-* builds older than this are removed even if their owner seems alive.
STALE_BUILD_SECONDS = 6 * 3600
_GEN_RE = re.compile(r"^ix-[0-9a-f]{16}$")
_TMP_RE = re.compile(r"^tmp-[0-9a-f]{16}$")
_FAST_RE = re.compile(r"^fast-\w+\.bin$")

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
# Analysis for Whoosh: one field, weights folded into the postings


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


#: One posting of a paper: (term, frequency, weight, encoded positions).
Posting = tuple[str, int, float, bytes]
_COUNT_1: bytes = pack_uint(1)


def _encode_positions(poslist: list[int]) -> bytes:
    """Positions as a count and an array of deltas (Whoosh pickles them)."""
    if len(poslist) == 1:
        return _COUNT_1 + array("I", poslist).tobytes()
    deltas = array("I", poslist)
    for i in range(len(deltas) - 1, 0, -1):
        deltas[i] -= deltas[i - 1]
    count: bytes = pack_uint(len(deltas))
    return count + deltas.tobytes()


def paper_postings(paper: Paper) -> tuple[list[Posting], int]:
    """The postings of ``paper`` in the one indexed field, and its length.

    Each field's words sit at positions in its range (:data:`FIELD_SPANS`);
    a word's weight is its frequency in each field times the field's boost
    (BM25F: weighted frequencies summed before saturation)."""
    poses: dict[str, list[int]] = {}
    weights: dict[str, float] = {}
    length = 0
    for name, text in (
        ("title", paper.title),
        ("authors", " ; ".join(paper.authors)),
        ("tags", " ; ".join(paper.tags)),
        ("abstract", paper.abstract),
    ):
        if not text:
            continue
        words = analyze(text)
        if len(words) >= SPAN_WIDTH:
            words = words[: SPAN_WIDTH - 1]
        length += len(words)
        base = FIELD_SPANS[name][0]
        boost = FIELD_BOOSTS[name]
        for i, w in enumerate(words, base):
            got = poses.get(w)
            if got is None:
                poses[w] = [i]
                weights[w] = boost
            else:
                got.append(i)
                weights[w] += boost
    out = [(w, len(p), weights[w], _encode_positions(p)) for w, p in poses.items()]
    return out, length


class PaperPositions(Positions):  # type: ignore[misc]
    """Positions stored as a packed array; the value indexed is the list of
    :func:`paper_postings` (a plain string is analysed as one field)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        if isinstance(value, str):
            value = paper_postings(Paper(id="", title=value))[0]
        yield from value

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[_INT_SIZE:])
        return list(itertools.accumulate(deltas))

    def decode_frequency(self, valuestring: bytes) -> int:
        return int(unpack_uint(valuestring[:_INT_SIZE])[0])

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring))

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]


def make_schema() -> Schema:
    """``id`` (stored, the only stored field) and ``text`` (every field)."""
    text = TEXT(analyzer=DigestAnalyzer(), phrase=True)
    text.format = PaperPositions(field_boost=1.0)
    return Schema(id=ID(stored=True, unique=True), **{INDEX_FIELD: text})


def make_codec() -> W3Codec:
    """Whoosh's codec without zlib on posting blocks (about 15% faster builds,
    a little faster reads, a slightly bigger index)."""
    return W3Codec(compression=0)


def doc_fields(paper: Paper) -> dict[str, Any]:
    """The fields indexed for ``paper`` (for a Whoosh writer)."""
    return {"id": paper.id, INDEX_FIELD: paper_postings(paper)[0]}


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
# Bulk build: one segment written straight through Whoosh's codec


class _TermPostings:
    """The postings of one term in a segment being built (compact arrays)."""

    __slots__ = ("docs", "weights", "ends", "values")

    def __init__(self) -> None:
        self.docs = array("I")
        self.weights = array("f")
        self.ends = array("I")
        self.values = bytearray()


def write_segment(ix: Any, papers: list[Paper], tick: Callable[[int], None] | None = None) -> Any:
    """Write ``papers`` as one new segment of ``ix`` (not yet in its TOC) and
    return the segment. Skips Whoosh's posting pool (a sort of every posting
    through temporary files) and its per-posting checks: postings are grouped
    by term in memory and written block by block."""
    from whoosh.util.numeric import byte_to_length, length_to_byte
    from whoosh.writing import SegmentWriter

    w = SegmentWriter(ix, _lk=False, codec=make_codec(), compound=False)
    try:
        schema = w.schema
        id_field = schema["id"]
        text_field = schema[INDEX_FIELD]
        pdw = w.perdocwriter
        terms: dict[str, _TermPostings] = {}
        lengths = array("I")
        for docnum, paper in enumerate(papers):
            posts, length = paper_postings(paper)
            pdw.start_doc(docnum)
            pdw.add_field("id", id_field, paper.id, 0)
            pdw.add_field(INDEX_FIELD, text_field, None, length)
            pdw.finish_doc()
            lengths.append(length)
            for term, _freq, weight, value in posts:
                tp = terms.get(term)
                if tp is None:
                    tp = terms[term] = _TermPostings()
                tp.docs.append(docnum)
                tp.weights.append(weight)
                tp.values += value
                tp.ends.append(len(tp.values))
            if tick is not None and docnum % 500 == 499:
                tick(500)
        w.docnum = len(papers)
        pdw.close()

        fw = w.fieldwriter
        # id: one posting per paper, no values
        fw.start_field("id", id_field)
        for docnum, paper in sorted(enumerate(papers), key=lambda dp: dp[1].id.encode("utf-8")):
            fw.start_term(paper.id.encode("utf-8"))
            fw.add(docnum, 1.0, b"", None)
            fw.finish_term()
        fw.finish_field()
        fw.start_field(INDEX_FIELD, text_field)
        fast_terms: list[str] = []
        fast_starts = array("Q", [0])
        fast_docs = array("I")
        fast_weights = array("f")
        for btext, tp in sorted((t.encode("utf-8"), tp) for t, tp in terms.items()):
            fast_terms.append(btext.decode("utf-8"))
            fast_docs += tp.docs
            fast_weights += tp.weights
            fast_starts.append(len(fast_docs))
            fw.start_term(btext)
            pw = fw._postwriter
            limit = pw._blocklimit
            docs, weights, ends, values = tp.docs, tp.weights, tp.ends, tp.values
            n = len(docs)
            for first in range(0, n, limit):
                last = min(n, first + limit)
                if pw._ids:
                    pw._write_block()
                block_docs = docs[first:last]
                block_lens = [lengths[d] for d in block_docs]
                start = ends[first - 1] if first else 0
                vals = []
                for e in ends[first:last]:
                    vals.append(bytes(values[start:e]))
                    start = e
                pw._ids = block_docs
                pw._weights = weights[first:last]
                pw._values = vals
                pw._minlength = min(block_lens)
                pw._maxlength = max(block_lens)
                pw._maxweight = max(pw._weights)
            fw.finish_term()
            del tp
        fw.finish_field()
        terms.clear()
        fw.close()
        w._close_segment()
        w._assemble_segment()
        segment = w.get_segment()
        quantized = array("f", (byte_to_length(length_to_byte(n)) for n in lengths))
        _write_fast(
            Path(ix.storage.folder) / fast_name(segment.segment_id()),
            fast_terms,
            fast_starts,
            fast_docs,
            fast_weights,
            quantized,
            [p.id for p in papers],
        )
        return segment
    except BaseException:
        with contextlib.suppress(Exception):
            w._close_segment()
        raise


# --------------------------------------------------------------------------
# Fast postings: a plain copy of a bulk segment's (docnum, weight) postings,
# read with numpy for the common query (words only); see docs/search.md.

FAST_MAGIC = b"DRFAST02"
_FAST_HEADER = struct.Struct("<8sQQQQQ")


def fast_name(segment_id: str) -> str:
    """The fast postings file of a segment (Whoosh ignores it; we clean it)."""
    return f"fast-{segment_id}.bin"


def _write_fast(
    path: Path,
    terms: list[str],
    starts: array[int],
    docs: array[int],
    weights: array[float],
    lengths: array[float],
    ids: list[str],
) -> None:
    blob = "\n".join(terms).encode("utf-8")
    idblob = "\n".join(ids).encode("utf-8", "surrogatepass")
    header = _FAST_HEADER.pack(
        FAST_MAGIC, len(terms), len(docs), len(lengths), len(blob), len(idblob)
    )
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(starts.tobytes())
        fh.write(docs.tobytes())
        fh.write(weights.tobytes())
        fh.write(lengths.tobytes())
        fh.write(blob)
        fh.write(idblob)


class FastPostings:
    """A fast postings file, memory-mapped: ``postings(term)`` gives numpy
    views of the segment's docnums and weights; ``lengths`` the field lengths
    (quantised like Whoosh's, so scores are the same as Whoosh's BM25F)."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as fh:
            self._mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        magic, nterms, nposts, ndocs, nblob, nids = _FAST_HEADER.unpack_from(self._mm, 0)
        off = _FAST_HEADER.size
        need = off + 8 * (nterms + 1) + 8 * nposts + 4 * ndocs + nblob + nids
        if magic != FAST_MAGIC or len(self._mm) != need:
            raise ValueError(f"bad fast postings file {path.name}")
        self.starts = np.frombuffer(self._mm, np.uint64, nterms + 1, off)
        off += 8 * (nterms + 1)
        self.docs = np.frombuffer(self._mm, np.uint32, nposts, off)
        off += 4 * nposts
        self.weights = np.frombuffer(self._mm, np.float32, nposts, off)
        off += 4 * nposts
        self.lengths = np.frombuffer(self._mm, np.float32, ndocs, off)
        off += 4 * ndocs
        self.terms = self._mm[off : off + nblob].decode("utf-8").split("\n") if nterms else []
        self._ids_at = (off + nblob, nids, ndocs)
        if len(self.terms) != nterms:
            raise ValueError(f"bad fast postings file {path.name}")

    def ids(self) -> list[str] | None:
        """Paper ids by docnum (None: an id with a line break; use stored fields)."""
        at, n, ndocs = self._ids_at
        got = self._mm[at : at + n].decode("utf-8", "surrogatepass").split("\n")
        return got if len(got) == ndocs else None

    def prefix_range(self, prefix: str) -> range:
        """Indexes in :attr:`terms` of the words starting with ``prefix``."""
        terms = self.terms
        lo = bisect.bisect_left(terms, prefix)
        hi = lo
        while hi < len(terms) and terms[hi].startswith(prefix):
            hi += 1
        return range(lo, hi)

    def postings(self, term: str) -> tuple[Any, Any] | None:
        terms = self.terms
        i = bisect.bisect_left(terms, term)
        if i >= len(terms) or terms[i] != term:
            return None
        a, b = int(self.starts[i]), int(self.starts[i + 1])
        return self.docs[a:b], self.weights[a:b]


def _plain_terms(q: wq.Query) -> list[list[tuple[str, str]]] | None:
    """The parts of a words-only query, else None: an And (or a single part)
    whose parts are words, ``prefix*`` or an Or of those (what search as you
    type sends: ``language (mod OR mod*)``), on the indexed field, no boosts,
    as ``[[("term" | "prefix", text), ...], ...]`` (the inner lists are Ors)."""
    parts = q.subqueries if type(q) is wq.And and q.boost == 1.0 else [q]
    out: list[list[tuple[str, str]]] = []
    for part in parts:
        alts = part.subqueries if type(part) is wq.Or else [part]
        if type(part) is wq.Or and (part.boost != 1.0 or part.scale is not None or not alts):
            return None
        got: list[tuple[str, str]] = []
        for t in alts:
            kind = {wq.Term: "term", wq.Prefix: "prefix"}.get(type(t))
            if kind is None or t.fieldname != INDEX_FIELD or t.boost != 1.0:
                return None
            got.append((kind, str(t.text)))
        out.append(got)
    return out or None


def _part_scores(
    reader: Any, fp: FastPostings | None, words: list[str], idf: dict[str, float], avgfl: float
) -> tuple[Any, Any] | None:
    """Sorted docnums of a segment having any of ``words``, and the sum of
    their BM25F scores (None: none has any)."""
    import numpy as np

    k1, b = BM25_K1, BM25_B
    docs_l: list[Any] = []
    weights_l: list[Any] = []
    idfs_l: list[Any] = []
    for w in words:
        got = fp.postings(w) if fp is not None else _whoosh_postings(reader, w)
        if got is None:
            continue
        docs_l.append(got[0])
        weights_l.append(got[1])
        idfs_l.append(np.full(len(got[0]), idf[w]))
    if not docs_l:
        return None
    docs = np.concatenate(docs_l) if len(docs_l) > 1 else docs_l[0]
    tf = (np.concatenate(weights_l) if len(weights_l) > 1 else weights_l[0]).astype(np.float64)
    idfs = np.concatenate(idfs_l) if len(idfs_l) > 1 else idfs_l[0]
    if fp is not None:
        lengths = fp.lengths[docs].astype(np.float64)
    else:
        lengths = np.array(
            [reader.doc_field_length(int(d), INDEX_FIELD, 1) for d in docs], np.float64
        )
    scores = idfs * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * lengths / avgfl)))
    if len(docs_l) > 1:
        docs, inverse = np.unique(docs, return_inverse=True)
        scores = np.bincount(inverse, weights=scores, minlength=len(docs))
    return docs, scores


def _whoosh_postings(reader: Any, word: str) -> tuple[Any, Any] | None:
    """(docnums, weights) of ``word`` in a segment without fast postings
    (one written by an incremental sync: small), as numpy arrays."""
    import numpy as np

    if (INDEX_FIELD, word) not in reader:
        return None
    m = reader.postings(INDEX_FIELD, word)
    ids: list[int] = []
    weights: list[float] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    if not ids:
        return None
    return np.array(ids, np.uint32), np.array(weights, np.float32)


def _count_matches(
    searcher: Any, q: wq.Query, flt: Collection[int] | None, mask: Collection[int] | None
) -> int:
    """How many documents match ``q`` (``flt``: only these; ``mask``: not
    these): the matchers' ids alone, no scoring (deleted documents are already
    left out by Whoosh's segment readers)."""
    n = 0
    for d in searcher.docs_for_query(q):
        if (flt is None or d in flt) and (mask is None or d not in mask):
            n += 1
    return n


def _commit_segments(ix: Any, segments: list[Any]) -> None:
    """Make ``segments`` (from :func:`write_segment`) the content of ``ix``."""
    from whoosh.writing import SegmentWriter

    w = SegmentWriter(ix, codec=make_codec())
    w._close_segment()
    w._commit_toc(segments)
    w._finish()


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Block every signal in this (the forking) thread while a worker is
    forked: the child starts with them blocked, so none can reach the
    handlers it inherits before :func:`_detach_signals` has replaced them.
    Signals to the parent meanwhile go to its other threads as usual."""
    import signal

    old = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _detach_signals() -> None:
    """First thing in a forked worker: forget the parent's signal handling.

    A fork copies the parent's Python signal handlers and its wake-up fd
    (``signal.set_wakeup_fd``; asyncio's loop and so the app set one). A
    signal to the child would then be written into the *parent's* wake-up
    socket, and the parent's event loop would run its own handler for it: a
    SIGTERM meant for a build worker ended the app. So the wake-up fd goes,
    every Python-level handler goes back to the default (SIGINT is ignored:
    the parent decides when a build stops), and only then are signals
    unblocked (they were blocked across the fork: :func:`_signals_blocked`);
    one that came meanwhile is delivered now, to the default action."""
    import signal

    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        try:
            handler = signal.getsignal(sig)
        except (ValueError, OSError):
            continue
        if callable(handler):
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, signal.SIG_IGN if sig == signal.SIGINT else signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())


def _segment_worker(ix_dir: str, papers: list[Paper], done: Any, conn: Any) -> None:
    """In a forked process: write one segment, send it back (or the error)."""
    _detach_signals()
    try:
        ix = windex.open_dir(ix_dir, schema=None)

        def tick(n: int) -> None:
            with done.get_lock():
                done.value += n

        conn.send(("ok", write_segment(ix, papers, tick)))
    except BaseException as exc:  # reported to the parent, which raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _build_segments(
    ix: Any,
    papers: list[Paper],
    procs: int,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> list[Any] | None:
    """Write ``papers`` as segments of ``ix``: in this process, or split over
    ``procs`` forked processes (one segment each). None when cancelled."""
    total = len(papers)
    if procs <= 1 or total < 2:
        count = 0

        def tick(n: int) -> None:
            nonlocal count
            count += n
            if cancelled is not None and cancelled():
                raise _Cancelled
            if progress is not None:
                progress(count, total)

        try:
            return [write_segment(ix, papers, tick)] if papers else []
        except _Cancelled:
            return None
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    done = ctx.Value("q", 0)
    step = -(-total // procs)
    workers: list[tuple[Any, Any]] = []
    finished = False
    try:
        for first in range(0, total, step):
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_segment_worker,
                args=(ix.storage.folder, papers[first : first + step], done, send),
                daemon=True,
            )
            with _signals_blocked():
                proc.start()
            send.close()
            workers.append((proc, recv))
        segments: list[Any] = []
        for proc, recv in workers:
            while True:
                if cancelled is not None and cancelled():
                    return None
                if recv.poll(0.2):
                    break
                if progress is not None:
                    progress(min(total, int(done.value)), total)
                if not proc.is_alive() and not recv.poll(0):
                    raise RuntimeError(_died(proc))
            try:
                status, got = recv.recv()
            except (EOFError, OSError):  # it died: its end of the pipe closed
                proc.join(WORKER_GRACE)
                raise RuntimeError(_died(proc)) from None
            if status != "ok":
                raise RuntimeError(got)
            segments.append(got)
        finished = True
        return segments
    finally:
        _end_workers(workers, finished=finished)


#: A worker that has sent its segment ends on its own; it gets this long first.
WORKER_GRACE = 5.0


def _died(proc: Any) -> str:
    """What became of a build process that sent no segment."""
    code = proc.exitcode
    if code is not None and code < 0:
        import signal

        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    elif code is None:
        how = "stopped answering"
    else:
        how = f"exit status {code}"
    return f"an index build process died ({how})"


def _end_workers(workers: list[tuple[Any, Any]], *, finished: bool) -> None:
    """End the build processes. After a finished build each has sent its
    segment and is exiting: it is waited for, and terminated only if it is
    somehow still there after :data:`WORKER_GRACE`. After a cancelled or
    failed build the ones still running are terminated at once. Either way
    a terminated worker has no handler of the parent's left to run (see
    :func:`_detach_signals`), so the signal ends it and reaches nobody else."""
    for _proc, recv in workers:
        recv.close()
    for proc, _recv in workers:
        if finished:
            proc.join(WORKER_GRACE)
        if proc.is_alive():
            proc.terminate()
            proc.join(WORKER_GRACE)
        if proc.is_alive():
            proc.kill()
            proc.join()


class _Cancelled(Exception):
    pass


# --------------------------------------------------------------------------
# Small file helpers


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
        #: paper id -> (the Paper object hashed, its text lengths, the hash)
        self._hash_cache: dict[str, tuple[Paper, tuple[int, int, int, int], str]] = {}
        #: Fast postings by segment id (None: numpy missing or index closed).
        self._fast: dict[str, FastPostings] | None = None
        #: True after our own commit: the next search opens a new searcher.
        self._stale = False

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
            self._ix = ix
            searcher = ix.searcher()
            searcher.doc_count_all()
            self._load_fast(searcher)
        except Exception:
            self._ix = None
            self.problem = "damaged"
            return
        self._ix = ix
        self._searcher = searcher
        self._gen = name
        self._hashes = side["hashes"]  # str -> str: json gives strings, hashes compare
        self.problem = ""

    def _ensure_open(self) -> None:
        if not self._opened:
            self._open()
            return
        if self._stale and self._searcher is not None:
            # We committed: open the new state now, without re-reading the sidecar.
            self._stale = False
            try:
                self._new_searcher()
            except Exception:
                self._mark_damaged()
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
        """Follow another process's commits (and re-read its sidecar)."""
        if self._searcher.up_to_date():
            return
        self._new_searcher()
        side = _read_json(self.folder / (self._gen or "") / SIDECAR_NAME)
        if isinstance(side, dict) and isinstance(side.get("hashes"), dict):
            self._hashes = {str(k): str(v) for k, v in side["hashes"].items()}

    def _new_searcher(self) -> None:
        """A searcher on the last commit, reusing the open readers of segments
        that did not change. Not Searcher.refresh(): whoosh-reloaded 2.7.5
        reuses readers there with their old deletions (updated papers show
        twice) and can bring back merged segments."""
        from whoosh.reading import EmptyReader, MultiReader, SegmentReader
        from whoosh.searching import Searcher as WSearcher

        old = self._searcher
        info = self._ix._read_toc()
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
        self._ids_by_docnum = None
        self._docnum_by_id = None
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
                    got = FastPostings(path)
            if got is not None:
                fast[sid] = got
        self._fast = fast

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._fast = None
        self._stale = False
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
            fast = self._fast or {}
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                seg = reader.segment()
                fp = fast.get(seg.segment_id()) if seg is not None else None
                got = fp.ids() if fp is not None else None
                if got is not None and len(got) == reader.doc_count_all():
                    ids[offset : offset + len(got)] = got
                    if seg.has_deletions():
                        for d in seg.deleted_docs():
                            ids[offset + d] = None
                else:
                    for docnum, fields in reader.iter_docs():
                        ids[offset + docnum] = fields.get("id")
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
        self,
        q: wq.Query,
        limit: int | None = 50,
        only: Collection[str] | None = None,
        exclude: Collection[str] = (),
    ) -> tuple[list[tuple[str, float]], int]:
        """:meth:`search`, plus the exact number of matches. ``exclude``: ids
        left out of both (papers still indexed that the library no longer has).

        With a ``limit``, Whoosh's matchers skip what cannot rank, so they do
        not know how many documents match (``len()`` of their results is an
        upper estimate, ``a OR a*`` counts ``a`` twice, or too low); the
        matches are then counted in a second pass over the matching ids."""
        with self._lock:
            searcher = self._get_searcher()
            try:
                flt = None
                mask: set[int] | None = None
                if only is not None or exclude:
                    _, by_id = self._id_maps(searcher)
                    if only is not None:
                        flt = {by_id[p] for p in only if p in by_id}
                        if not flt:
                            return [], 0
                    mask = {by_id[p] for p in exclude if p in by_id} or None
                    if flt is not None and mask:
                        flt -= mask
                        mask = None
                words = _plain_terms(q) if self._fast is not None else None
                if words is not None:
                    docs, total = self._fast_search(searcher, words, limit, flt, mask)
                else:
                    results = searcher.search(q, limit=limit, terms=False, filter=flt, mask=mask)
                    docs = results.top_n
                    if limit is None or len(docs) < limit:
                        total = len(docs)
                    else:
                        # Not len(results): even when Whoosh says that count is
                        # exact, its collector has replaced matchers by leaner
                        # ones that drop documents which cannot rank
                        # (``title:graph*`` at limit 25: 333 of 564).
                        total = _count_matches(searcher, q, flt, mask)
                if len(docs) > 200 or self._ids_by_docnum is not None:
                    ids, _ = self._id_maps(searcher)
                    hits = [(ids[d] or "", float(s)) for s, d in docs if ids[d]]
                else:
                    stored = searcher.stored_fields
                    hits = [(stored(d)["id"], float(s)) for s, d in docs]
                return hits, total
            except IndexUnavailable:
                raise
            except Exception as exc:
                self._mark_damaged()
                raise IndexUnavailable("damaged") from exc

    def _fast_search(
        self,
        searcher: Any,
        parts: list[list[tuple[str, str]]],
        limit: int | None,
        flt: set[int] | None,
        mask: set[int] | None = None,
    ) -> tuple[list[tuple[float, int]], int]:
        """Top ``(score, docnum)`` of an And of words, prefixes and Ors of
        those (see :func:`_plain_terms`), and exactly how many match
        (``flt``: only these docnums; ``mask``: not these): Whoosh's BM25F (same formula, statistics and quantised lengths)
        computed with numpy over whole posting lists, which beats Whoosh's
        matchers (a Python call per posting) when words are common. A prefix
        scores as the sum over the words it expands to (an Or)."""
        import numpy as np

        avgfl = searcher.avg_field_length(INDEX_FIELD) or 1
        ndocs = searcher.doc_count_all()
        fast = self._fast or {}
        leaves = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            seg = reader.segment()
            fp = fast.get(seg.segment_id()) if seg is not None else None
            leaves.append((reader, seg, fp, offset))
        # idf of every word, over all segments (as Whoosh: log(N / (df + 1)) + 1)
        idf: dict[str, float] = {}
        expansions: list[list[str]] = []
        for alts in parts:
            words: list[str] = []
            for kind, text in alts:
                if kind == "term":
                    if searcher.doc_frequency(INDEX_FIELD, text):
                        idf[text] = float(searcher.idf(INDEX_FIELD, text))
                        words.append(text)
                    continue
                df: dict[str, int] = {}
                for reader, _seg, fp, _ in leaves:
                    if fp is not None:
                        for i in fp.prefix_range(text):
                            w = fp.terms[i]
                            df[w] = df.get(w, 0) + int(fp.starts[i + 1] - fp.starts[i])
                    else:
                        for bw in reader.expand_prefix(INDEX_FIELD, text):
                            w = bw.decode("utf-8") if isinstance(bw, bytes) else str(bw)
                            df[w] = df.get(w, 0) + reader.doc_frequency(INDEX_FIELD, w)
                for w, n in df.items():
                    idf[w] = math.log(ndocs / (n + 1)) + 1
                words.extend(sorted(df))
            if not words:
                return [], 0
            # An Or sums its parts' scores: a word met twice (``mod OR mod*``
            # both give ``mod``) counts twice, as in Whoosh's Or.
            expansions.append(words)
        only = np.fromiter(sorted(flt), np.int64, len(flt)) if flt is not None else None
        masked = np.fromiter(sorted(mask), np.int64, len(mask)) if mask else None
        found_docs: list[Any] = []
        found_scores: list[Any] = []
        k1, b = BM25_K1, BM25_B
        for reader, seg, fp, offset in leaves:
            # Intersect first, score the survivors: [docs, values, idf or None]
            # (values: weights of a word to score, or scores of a prefix).
            cur: list[list[Any]] = []
            docs: Any = None
            for words in expansions:
                if len(words) == 1:
                    got = fp.postings(words[0]) if fp is not None else None
                    if fp is None:
                        got = _whoosh_postings(reader, words[0])
                    part: list[Any] | None = None if got is None else [*got, idf[words[0]]]
                else:
                    summed = _part_scores(reader, fp, words, idf, avgfl)
                    part = None if summed is None else [*summed, None]
                if part is None:
                    docs = None
                    break
                if docs is None:
                    docs = part[0]
                    cur = [part]
                    continue
                d2 = part[0]
                if len(d2) < len(docs):  # probe the longer list with the shorter
                    idx = np.searchsorted(docs, d2)
                    idx[idx >= len(docs)] = 0
                    hit = docs[idx] == d2
                    keep, newkeep = idx[hit], hit
                    docs = d2[hit]
                else:
                    idx = np.searchsorted(d2, docs)
                    idx[idx >= len(d2)] = 0
                    hit = d2[idx] == docs
                    keep, newkeep = hit, idx[hit]
                    docs = docs[hit]
                for c in cur:
                    c[1] = c[1][keep]
                cur.append([docs, part[1][newkeep], part[2]])
                if not len(docs):
                    break
            if docs is None or not len(docs):
                continue
            if fp is not None:
                lengths = fp.lengths[docs].astype(np.float64)
            else:
                lengths = np.array(
                    [reader.doc_field_length(int(d), INDEX_FIELD, 1) for d in docs], np.float64
                )
            norm = k1 * ((1 - b) + b * lengths / avgfl)
            scores = np.zeros(len(docs), np.float64)
            for _, values, part_idf in cur:
                if part_idf is None:
                    scores += values
                else:
                    tf = values.astype(np.float64)
                    scores += part_idf * ((tf * (k1 + 1)) / (tf + norm))
            if seg is not None and seg.has_deletions():
                keep = ~np.isin(docs, np.fromiter(seg.deleted_docs(), np.int64))
                docs, scores = docs[keep], scores[keep]
            docs = docs.astype(np.int64) + offset
            if only is not None:
                keep = np.isin(docs, only)
                docs, scores = docs[keep], scores[keep]
            if masked is not None:
                keep = ~np.isin(docs, masked)
                docs, scores = docs[keep], scores[keep]
            found_docs.append(docs)
            found_scores.append(scores)
        if not found_docs:
            return [], 0
        all_docs = np.concatenate(found_docs)
        all_scores = np.concatenate(found_scores)
        total = len(all_docs)
        if limit is not None:
            if limit <= 0:
                return [], total
            if total > limit:
                top = np.argpartition(-all_scores, limit - 1)[:limit]
                all_docs, all_scores = all_docs[top], all_scores[top]
        order = np.lexsort((all_docs, -all_scores))
        return [(float(all_scores[i]), int(all_docs[i])) for i in order], total

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
        """Hold our in-process and on-disk write locks (yields False when busy)."""
        if not self._write_lock.acquire(blocking=False):
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
                live = {fast_name(seg.segment_id()) for seg in self._ix._segments()}
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
            new, changed, removed = self._changes(papers, old)
            if len(changed) + len(removed) > max(REBUILD_OVER, len(old) // 2):
                report = self._build(papers, progress, cancelled)
                report.reason = "many changes"
                report.seconds = time.monotonic() - start
                return report
            report = self._update(papers, new, old, changed, removed, progress, cancelled)
            report.seconds = time.monotonic() - start
            return report

    def _changes(
        self, papers: Mapping[str, Paper], old: Mapping[str, str]
    ) -> tuple[dict[str, str], list[str], list[str]]:
        """(new hashes of the changed papers, changed ids, removed ids). A hash
        is re-computed only for a paper object not seen at the last sync or
        whose text lengths changed (hashing 100k abstracts takes ~0.5 s; this
        loop ~0.1 s)."""
        cache = self._hash_cache
        get = cache.get
        old_get = old.get
        new: dict[str, str] = {}
        for pid, p in papers.items():
            c = get(pid)
            key = (len(p.title), len(p.abstract), len(p.authors), len(p.tags))
            if c is None or c[0] is not p or c[1] != key:
                h = content_hash(p)
                cache[pid] = (p, key, h)
            else:
                h = c[2]
            if old_get(pid) != h:
                new[pid] = h
        removed = [pid for pid in old if pid not in papers]
        if len(cache) > len(papers) + 1000:
            self._hash_cache = {pid: c for pid, c in cache.items() if pid in papers}
        return new, list(new), removed

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
                try:
                    for pid, is_removal in batch:
                        if cancelled is not None and cancelled():
                            writer.cancel()
                            report.cancelled = True
                            return report
                        if is_removal:
                            writer.delete_by_term("id", pid, searcher=known)
                            hashes.pop(pid, None)
                            report.removed += 1
                        else:
                            # delete first even for new ids: a crash between a commit
                            # and the sidecar write must not duplicate papers.
                            writer.delete_by_term("id", pid, searcher=known)
                            writer.add_document(**doc_fields(papers[pid]))
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
                atomic_write_text(
                    gen_path / SIDECAR_NAME,
                    json.dumps({"token": token, "hashes": hashes}, separators=(",", ":")),
                )
                with self._lock:
                    self._hashes = dict(hashes)
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
                procs = 2 if (os.cpu_count() or 1) >= 2 and total >= PARALLEL_OVER else 1
            items = list(papers.values())
            segments = _build_segments(ix, items, max(1, procs), progress, cancelled)
            if segments is None:
                report.cancelled = True
                ix.close()
                shutil.rmtree(tmp, ignore_errors=True)
                return report
            hashes: dict[str, str] = {}
            for pid, paper in papers.items():
                h = content_hash(paper)
                hashes[pid] = h
                key = (len(paper.title), len(paper.abstract), len(paper.authors), len(paper.tags))
                self._hash_cache[pid] = (paper, key, h)
            _commit_segments(ix, segments)
            ix.close()
            atomic_write_text(
                tmp / SIDECAR_NAME,
                json.dumps({"token": token, "hashes": hashes}, separators=(",", ":")),
            )
            atomic_write_text(tmp / STAMP_NAME, json.dumps(_stamp(token)))
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
