"""The full build: segments written straight through Whoosh's codec, in forked
processes for big libraries, then committed together."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as windex

from reader.model import Paper
from reader.search import whoosh_private
from reader.search.analysis import FIELD_BOOSTS, FIELD_SPANS, INDEX_FIELD, SPAN_WIDTH
from reader.search.index.fast import fast_name, ids_here, write_fast
from reader.search.index.schema import make_bulk_codec, make_codec, paper_fields

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def write_segment(ix: Any, papers: list[Paper], tick: Callable[[int], None] | None = None) -> Any:
    """Write ``papers`` as one new segment of ``ix`` (not yet in its TOC) and
    return the segment. Skips Whoosh's posting pool (a sort of every posting
    through temporary files) and its per-posting checks: every posting of the
    segment goes into flat arrays, grouped by term with numpy. The text
    postings and their positions are written once, to the fast postings file
    (Whoosh reads them there through :class:`~reader.search.index.codec.FastCodec`);
    Whoosh's files get the term dictionary, the ids and the field lengths."""
    import numpy as np
    from whoosh.util.numeric import length_to_byte
    from whoosh.writing import SegmentWriter

    w = SegmentWriter(ix, _lk=False, codec=make_bulk_codec(), compound=False)
    try:
        schema = w.schema
        id_field = schema["id"]
        text_field = schema[INDEX_FIELD]
        pdw = w.perdocwriter
        # The ids live in the fast postings file alone (Whoosh reads them
        # there), unless one cannot (a line break, a lone surrogate).
        ids = [p.id for p in papers]
        ids_in_fast = ids_here(ids)
        # Every word occurrence of the segment, in document then position
        # order: its term (the number of the term's first occurrence) and its
        # position. Filled by C loops (map, range), no Python per word.
        term_of: dict[str, int] = {}
        numbering = term_of.setdefault
        first_seen = itertools.count()
        occ_term = array("I")
        occ_pos = array("I")
        lengths = array("I")
        for docnum, paper in enumerate(papers):
            length = 0
            for name, words in paper_fields(paper):
                occ_term.extend(map(numbering, words, first_seen))
                base = FIELD_SPANS[name][0]
                occ_pos.extend(range(base, base + len(words)))
                length += len(words)
            pdw.start_doc(docnum)
            pdw.add_field("id", id_field, None if ids_in_fast else paper.id, 0)
            pdw.add_field(INDEX_FIELD, text_field, None, length)
            pdw.finish_doc()
            lengths.append(length)
            if tick is not None and docnum % 500 == 499:
                tick(500)
        w.docnum = len(papers)
        pdw.close()

        fw = w.fieldwriter
        # id: one posting per paper, no values (in the fast file, in id
        # order; else inlined in the term dictionary)
        fw.start_field("id", id_field)
        id_order = None
        if ids_in_fast:
            keys = [pid.encode("utf-8") for pid in ids]
            id_order = sorted(range(len(keys)), key=keys.__getitem__)
            del keys
        else:
            by_id = sorted((p.id.encode("utf-8"), d) for d, p in enumerate(papers))
            whoosh_private.write_inlined_ids(fw, [b for b, _ in by_id], [d for _, d in by_id])
            del by_id
        fw.finish_field()

        # text: the occurrences sorted by term (terms in Whoosh's byte order,
        # which is code point order; a stable sort keeps documents and
        # positions ascending), then one posting per (term, document)
        terms = sorted(term_of)
        nocc = len(occ_term)
        rank = np.zeros(max(1, nocc), np.int32)
        rank[np.fromiter((term_of[t] for t in terms), np.int64, len(terms))] = np.arange(
            len(terms), dtype=np.int32
        )
        del term_of
        key = rank[np.frombuffer(occ_term, np.uint32)] if nocc else np.zeros(0, np.int32)
        del rank, occ_term
        order = np.argsort(key, kind="stable")
        key = key[order]
        occ_doc = np.repeat(np.arange(len(papers), dtype=np.int32), _per_doc(lengths))[order]
        pos_a = np.frombuffer(occ_pos, np.uint32)[order]
        del order, occ_pos
        change = np.ones(nocc, bool)
        if nocc:
            change[1:] = (key[1:] != key[:-1]) | (occ_doc[1:] != occ_doc[:-1])
        firsts_occ = np.flatnonzero(change)
        del change
        freqs = np.diff(np.append(firsts_occ, nocc))
        docs = occ_doc[firsts_occ]
        boosts = np.array([FIELD_BOOSTS[f] for f in _SPAN_ORDER], np.float64)
        field_of = np.minimum(pos_a >> _FIELD_SHIFT, len(boosts) - 1).astype(np.uint8)
        weights_a = (
            np.add.reduceat(boosts[field_of], firsts_occ).astype(np.float32)
            if nocc
            else np.zeros(0, np.float32)
        )
        del field_of, occ_doc
        starts = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(np.bincount(key[firsts_occ], minlength=len(terms)), out=starts[1:])
        del key, firsts_occ

        # the text field's words and postings are in the fast file only
        fw.start_field(INDEX_FIELD, text_field)
        fw.finish_field()
        fw.close()
        whoosh_private.finish_segment(w)
        segment = w.get_segment()
        length_bytes = np.array([length_to_byte(n) for n in lengths], np.uint8)
        write_fast(
            Path(ix.storage.folder) / fast_name(segment.segment_id()),
            terms,
            starts,
            docs,
            weights_a,
            freqs,
            pos_a,
            length_bytes,
            ids,
            id_order,
        )
        return segment
    except BaseException:
        with contextlib.suppress(Exception):
            whoosh_private.abandon_segment(w)
        raise


#: The fields in the order of their position ranges, and the shift that gives
#: the field of a position.
_SPAN_ORDER = sorted(FIELD_SPANS, key=lambda f: FIELD_SPANS[f][0])
_FIELD_SHIFT = SPAN_WIDTH.bit_length() - 1


def _per_doc(lengths: array[int]) -> Any:
    import numpy as np

    return np.frombuffer(lengths, np.uint32).astype(np.int64)


def _commit_segments(ix: Any, segments: list[Any]) -> None:
    """Make ``segments`` (from :func:`write_segment`) the content of ``ix``."""
    from whoosh.writing import SegmentWriter

    w = SegmentWriter(ix, codec=make_codec())
    whoosh_private.commit_segments(w, segments)


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


#: The niceness the app's build processes add (``nice`` of
#: :func:`_build_segments`): they yield the cores to the app's own threads
#: (the event loop, the search thread). A query typed during a first build
#: shared two cores with two busy builders (every key's results p95 2.0 s
#: over the real digests). Alone, they use the cores as before. A build of
#: the CLI's (``digest-reader index``) is not niced: on a shared machine it
#: would yield to every other job there.
BUILD_NICENESS = 10


def _segment_worker(ix_dir: str, papers: list[Paper], done: Any, conn: Any, nice: int) -> None:
    """In a forked process: write one segment, send it back (or the error)."""
    _detach_signals()
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    # Everything inherited from the parent (its papers: hundreds of thousands
    # of objects) is left out of this process's garbage collections: each
    # full one would walk them all (0.2 s at 100k papers, several times a
    # segment) and write to every page that holds one, copying it.
    gc.freeze()
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
    nice: int = 0,
) -> list[Any] | None:
    """Write ``papers`` as segments of ``ix``: in this process, or split over
    ``procs`` forked processes (one segment each), ``nice`` added to their
    niceness. None when cancelled."""
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
                args=(ix.storage.folder, papers[first : first + step], done, send, nice),
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


def how_it_ended(code: int | None) -> str:
    """A child process's end in words, from its exit code (negative: the
    signal that killed it; None: still running, so it stopped answering)."""
    if code is not None and code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code is None:
        return "stopped answering"
    return f"exit status {code}"


def _died(proc: Any) -> str:
    """What became of a build process that sent no segment."""
    return f"an index build process died ({how_it_ended(proc.exitcode)})"


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
