"""A sync written by a child process (``SearchIndex.sync_apart``, the app's
way): the writing runs in another process, leaves the index an in-process
sync leaves, and a stopped or killed child leaves an index that answers
right after the next sync."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reader.model import Paper
from reader.search.index import SearchIndex, apart
from reader.search.index.generations import _pid_alive
from reader.search.query import parse_query
from tests.threads import threads_calling

QUERIES = ["pangolin", "robots", "graphs", "title:pangolin", "lee", "quokka OR wombat", "burrow*"]


def paper(pid: str, title: str, abstract: str) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, authors=["Ann Lee"], dates=["2025-08-01"])


def base() -> dict[str, Paper]:
    words = ["robots", "graphs", "diffusion", "attention", "retrieval"]
    return {
        f"2501.{i:05d}": paper(
            f"2501.{i:05d}",
            f"Paper {i} on {words[i % 5]}",
            f"We study {words[i % 5]} and {words[(i + 2) % 5]} at length.",
        )
        for i in range(40)
    }


def changed() -> dict[str, Paper]:
    """Three papers added, two changed, two removed."""
    papers = base()
    del papers["2501.00003"], papers["2501.00004"]
    papers["2501.00001"] = paper("2501.00001", "Pangolin robots", "Scales and graphs.")
    papers["2501.00002"] = paper("2501.00002", "Quokka graphs", "Burrowing models.")
    for i, title in enumerate(["Pangolin scales", "Wombat gradients", "Marmot burrows"]):
        pid = f"2612.{i:05d}"
        papers[pid] = paper(pid, title, "Written for the test of a sync in a child.")
    return papers


@dataclass(frozen=True)
class Version:
    """A library version, as :class:`reader.library.Version` gives one."""

    key: str
    base: str = ""
    touched: frozenset[str] = field(default_factory=frozenset)


V1 = Version("v1")
V2 = Version("v2", "v1", frozenset(set(base()) ^ set(changed()) | {"2501.00001", "2501.00002"}))


def answers(index: SearchIndex) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for text in QUERIES:
        node = parse_query(text).node
        assert node is not None
        out[text] = [(pid, round(score, 6)) for pid, score in index.search(node, limit=None)]
    return out


def built(folder: Path, *, sync_apart: bool) -> SearchIndex:
    index = SearchIndex(folder, sync_apart=sync_apart)
    report = index.sync(base(), version=V1)
    assert report.rebuilt and not report.error
    return index


def test_a_sync_apart_writes_in_another_process_the_index_an_in_process_sync_writes(
    tmp_path: Path,
) -> None:
    ours = built(tmp_path / "apart", sync_apart=True)
    theirs = built(tmp_path / "here", sync_apart=False)
    got = ours.sync(changed(), version=V2)
    want = theirs.sync(changed(), version=V2)
    # the analysis and the commit ran in a child process, not this one
    assert ours.last_writer_pid is not None and ours.last_writer_pid != os.getpid()
    assert theirs.last_writer_pid is None
    assert not got.error and not got.rebuilt
    assert (got.added, got.updated, got.removed, got.total) == (3, 2, 2, 41)
    assert (got.added, got.updated, got.removed, got.total) == (
        want.added,
        want.updated,
        want.removed,
        want.total,
    )
    # the same answers, ranked and scored alike, from the process that asked
    assert answers(ours) == answers(theirs)
    assert answers(ours)["pangolin"][0][0] in {"2501.00001", "2612.00000"}
    assert dict(ours.indexed_hashes()) == dict(theirs.indexed_hashes())
    # and on disk: another process finds the library version synced, nothing to do
    again = SearchIndex(tmp_path / "apart")
    assert again.holds("v2")
    assert answers(again) == answers(theirs)
    assert again.sync(changed(), version=V2).changed == 0


def test_a_cancelled_sync_stops_its_child_and_the_next_one_writes_it(tmp_path: Path) -> None:
    index = built(tmp_path / "ix", sync_apart=True)
    before = answers(index)
    report = index.sync(changed(), cancelled=lambda: True, version=V2)
    assert report.cancelled and not report.error
    pid = index.last_writer_pid
    assert pid is not None and pid != os.getpid()
    assert not _pid_alive(pid) and not apart._RUNNING  # stopped and reaped
    # the index answers as it did before the sync began
    assert index.usable and answers(index) == before
    report = index.sync(changed(), version=V2)
    assert (report.added, report.updated, report.removed) == (3, 2, 2)
    here = built(tmp_path / "here", sync_apart=False)
    here.sync(changed(), version=V2)
    assert answers(index) == answers(here)


def test_a_killed_child_is_an_error_and_the_index_is_right_after_the_next_sync(
    tmp_path: Path,
) -> None:
    index = built(tmp_path / "ix", sync_apart=True)
    killed: list[int] = []

    def kill_the_child() -> bool:
        # Asked first right after the job is handed over: the child is
        # still reading it or opening the index.
        if not killed:
            proc = next(iter(apart._RUNNING))
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(proc.pid)
        return False

    report = index.sync(changed(), cancelled=kill_the_child, version=V2)
    assert killed == [index.last_writer_pid]
    assert "the index sync process died (killed by SIGKILL)" in report.error
    assert not apart._RUNNING
    # the next sync brings the index in line (rebuilt if the kill had cut a
    # commit from its sidecar), and its answers are an in-process sync's
    report = index.sync(changed(), version=V2)
    assert not report.error and index.holds("v2")
    here = built(tmp_path / "here", sync_apart=False)
    here.sync(changed(), version=V2)
    assert answers(index) == answers(here)


def test_a_sync_waits_for_the_cancelled_one_it_replaces_instead_of_being_busy(
    tmp_path: Path,
) -> None:
    """The app's index worker is exclusive: a new library cancels the sync
    running and starts another. That one waits for the first to stop (its
    child ended) and writes the changes, rather than giving up as "busy" and
    leaving them unindexed until some later sync."""
    import threading
    import time

    index = built(tmp_path / "ix", sync_apart=True)
    stop = threading.Event()
    first: list[object] = []
    worker = threading.Thread(
        target=lambda: first.append(index.sync(changed(), cancelled=stop.is_set, version=V2))
    )
    worker.start()
    deadline = time.monotonic() + 60
    while not apart._RUNNING and time.monotonic() < deadline:
        time.sleep(0.005)
    assert apart._RUNNING  # the first sync's child is writing
    stop.set()
    report = index.sync(changed(), version=V2)
    worker.join()
    assert not report.busy and not report.error
    assert (report.added, report.updated, report.removed) == (3, 2, 2)
    assert index.holds("v2")


def test_searches_while_the_child_writes_keep_the_last_commit_and_read_no_sidecar(
    tmp_path: Path, monkeypatch: object
) -> None:
    """Between the child's commit and the parent taking it over, a search of
    another thread answers from the last commit (the new papers are the
    scan's) and does not follow the commit as another process's, which
    reads the sidecar of every paper's hash (50-300 ms of the GIL at 100k)."""
    import threading

    import pytest

    from reader.search.index import store

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    index = built(tmp_path / "ix", sync_apart=True)
    before = answers(index)
    reads = threads_calling(monkeypatch, store, "read_sealed")
    real = apart.write_apart
    seen: list[dict[str, list[tuple[str, float]]]] = []

    def then_search(*args: object, **kwargs: object) -> apart.Written:
        got = real(*args, **kwargs)  # type: ignore[arg-type]
        assert got.files is not None  # committed on disk, not yet taken over
        index._checked_at = 0.0  # as if a second had passed
        t = threading.Thread(target=lambda: seen.append(answers(index)), name="search")
        t.start()
        t.join()
        return got

    monkeypatch.setattr(apart, "write_apart", then_search)
    index.sync(changed(), version=V2)
    assert seen == [before]
    assert "search" not in reads
    assert answers(index) != before and index.holds("v2")


def _papers_in(message: object) -> int:
    """How many papers one message to the child carries."""
    if isinstance(message, dict):
        return sum(isinstance(v, Paper) for v in message.values())
    if isinstance(message, tuple):
        return sum(len(m.papers) for m in message if isinstance(m, apart.Job))
    return 0


def test_the_changed_papers_go_to_the_child_a_few_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pickling a message is one C call that holds the GIL: a fetch's 500
    papers in one message held it 16-27 ms (load 5.5), a stalled frame for
    the app's cursor. They go a few at a time, and the child writes the
    index an in-process sync writes."""
    from multiprocessing.connection import Connection

    papers = changed()
    for i in range(100):
        pid = f"2612.{100 + i:05d}"
        papers[pid] = paper(pid, f"Numbat {i}", "Fetched papers, many of them.")
    touched = frozenset(set(base()) ^ set(papers) | {"2501.00001", "2501.00002"})
    version = Version("v2", "v1", touched)
    sent: list[int] = []
    real_send = Connection.send

    def send(self: Connection, obj: object) -> None:
        sent.append(_papers_in(obj))
        real_send(self, obj)

    ours = built(tmp_path / "apart", sync_apart=True)
    with monkeypatch.context() as m:
        m.setattr(Connection, "send", send)
        got = ours.sync(papers, version=version)
    assert ours.last_writer_pid is not None and ours.last_writer_pid != os.getpid()
    assert (got.added, got.updated, got.removed) == (103, 2, 2)
    assert sum(sent) == 105  # every changed paper sent, once
    assert max(sent) <= 50  # a few at a time (apart.PAPERS_A_MESSAGE), not all 105
    theirs = built(tmp_path / "here", sync_apart=False)
    theirs.sync(papers, version=version)
    assert answers(ours) == answers(theirs)
