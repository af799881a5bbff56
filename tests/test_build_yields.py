"""A first build makes way for what the user types.

Found by typing into the app while its first index of the real digests was
built (`typing_bench.py --cold`, 91,713 papers, two cores): two building
processes took both cores, and in the app's own process three threads (the
build reading every paper, the scan's folding, the queries) shared one GIL
with the event loop: a key's results took 0.3-2 s to show. Now the build's
processes yield the cores (a higher niceness), and the build's reading and
the folding stop between steps while a query runs or is coming."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import reader.search.index.bulk as bulk
import reader.search.index.store as store
from reader.model import Paper
from reader.search.index import SearchIndex
from reader.tui.search_thread import SearchThread
from tests.test_index import paper


def papers(n: int) -> dict[str, Paper]:
    return {f"p{i}": paper(f"p{i}", f"Paper {i} on graphs") for i in range(n)}


@pytest.mark.parametrize("in_the_app", [True, False])
def test_the_apps_build_processes_run_at_a_lower_priority_than_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_the_app: bool
) -> None:
    """The app's index (it syncs apart) builds niced; the CLI's
    (``digest-reader index``) does not: on a shared machine it would yield to
    every other job there."""

    def report_niceness(*_args: object, **_kw: object) -> None:
        raise OSError(f"niceness {os.nice(0)}")  # sent back as the build's error

    monkeypatch.setattr(bulk, "write_segment", report_niceness)
    index = SearchIndex(tmp_path / "index", procs=2, sync_apart=in_the_app)
    report = index.rebuild(papers(600))
    index.close()
    want = min(19, os.nice(0) + bulk.BUILD_NICENESS) if in_the_app else os.nice(0)
    assert report.error is not None and f"niceness {want})" in f"{report.error})"


class Counting(Mapping[str, Paper]):
    """Papers that count how many were read (as the catalog streams them)."""

    def __init__(self, inner: dict[str, Paper]) -> None:
        self.inner = inner
        self.read = 0

    def __getitem__(self, pid: str) -> Paper:
        self.read += 1
        return self.inner[pid]

    def __iter__(self) -> Iterator[str]:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)


def test_a_build_asks_between_the_papers_it_reads_and_stops_there(tmp_path: Path) -> None:
    """The build reads its papers (from the catalog: seconds at 90k) asking
    ``cancelled()`` between steps, where the app makes way for a query; a
    build cancelled there reads no further."""
    many = Counting(papers(3000))
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(many.read)
        return len(asked) == 3

    index = SearchIndex(tmp_path / "index", procs=1)
    report = index.rebuild(many, cancelled=cancelled)
    index.close()
    assert report.cancelled
    step = store.GATHER_STEP
    assert asked == [1, 1 + step, 1 + 2 * step]  # (each step's first paper in hand)
    assert many.read == asked[-1] < len(many)


def test_make_way_waits_for_the_query_running_then_a_moment_more() -> None:
    thread = SearchThread()
    started, go = threading.Event(), threading.Event()
    made_way = threading.Event()

    ended: list[float] = []
    returned: list[float] = []

    def query() -> None:
        started.set()
        assert go.wait(10)
        ended.append(time.monotonic())  # (before the thread notes its end)

    def background() -> None:
        thread.make_way(linger=0.2, at_most=30)
        returned.append(time.monotonic())
        made_way.set()

    try:
        job = thread.submit(query)
        assert started.wait(10)
        threading.Thread(target=background, daemon=True).start()
        assert not made_way.wait(0.3)  # the query still runs
        go.set()
        job.result(10)
        assert made_way.wait(10)
        assert returned[0] - ended[0] >= 0.2  # the next key may be coming
    finally:
        go.set()
        thread.shutdown()


def test_make_way_gives_up_after_at_most() -> None:
    """Background work is slowed by queries, never stopped for good."""
    thread = SearchThread()
    go = threading.Event()
    try:
        thread.submit(lambda: go.wait(10))
        start = time.monotonic()
        thread.make_way(linger=0.0, at_most=0.2)
        assert time.monotonic() - start >= 0.2
        assert not go.is_set()  # it returned with the query still running
    finally:
        go.set()
        thread.shutdown()
