"""The full build: segments written straight through Whoosh's codec, in forked
processes for big libraries, then committed together."""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as windex

from reader.model import Paper
from reader.search import whoosh_private
from reader.search.analysis import INDEX_FIELD
from reader.search.index.fast import _write_fast, fast_name
from reader.search.index.schema import make_codec, paper_postings

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class _TermPostings:
    """The postings of one term in a segment being built (compact arrays)."""

    __slots__ = ("docs", "weights", "freqs", "ends", "values")

    def __init__(self) -> None:
        self.docs = array("I")
        self.freqs = array("I")
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
            for term, freq, weight, value in posts:
                tp = terms.get(term)
                if tp is None:
                    tp = terms[term] = _TermPostings()
                tp.docs.append(docnum)
                tp.weights.append(weight)
                tp.freqs.append(freq)
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
        fast_freqs = array("I")
        fast_values = bytearray()
        for btext, tp in sorted((t.encode("utf-8"), tp) for t, tp in terms.items()):
            fast_terms.append(btext.decode("utf-8"))
            fast_docs += tp.docs
            fast_weights += tp.weights
            fast_freqs += tp.freqs
            fast_values += tp.values
            fast_starts.append(len(fast_docs))
            whoosh_private.write_term_blocks(
                fw, btext, tp.docs, tp.weights, tp.ends, tp.values, lengths
            )
            del tp
        fw.finish_field()
        terms.clear()
        fw.close()
        whoosh_private.finish_segment(w)
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
            fast_freqs,
            fast_values,
        )
        return segment
    except BaseException:
        with contextlib.suppress(Exception):
            whoosh_private.abandon_segment(w)
        raise


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
