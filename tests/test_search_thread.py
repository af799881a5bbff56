"""The app's search thread: the engine's warm-up runs in the gaps between
queries, so a query waits for one step of it at most, not for all of it.

Found on the real digests: right after the first build the warm-up (the
columns, days, tags and the map to the index: seconds on a loaded machine)
ran as one job in the search thread, and a key typed then waited for all of
it before its results showed (`typing_bench.py --cold`: 0.8-2.8 s)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from reader.tui.search_thread import SearchThread


def test_a_query_submitted_during_the_warm_up_runs_after_one_step_not_all() -> None:
    thread = SearchThread()
    order: list[str] = []
    first_started, let_first_go = threading.Event(), threading.Event()

    def first() -> None:
        order.append("step 1")
        first_started.set()
        assert let_first_go.wait(10)

    try:
        thread.in_gaps([first, lambda: order.append("step 2"), lambda: order.append("step 3")])
        assert first_started.wait(10)
        query = thread.submit(lambda: order.append("query"))
        let_first_go.set()
        query.result(10)
        thread.submit(lambda: None).result(10)  # the steps left, run meanwhile or now
        done = threading.Event()
        thread.in_gaps([done.set])
        assert done.wait(10)
    finally:
        thread.shutdown()
    assert order == ["step 1", "query", "step 2", "step 3"]


def test_a_step_that_fails_does_not_stop_the_steps_after_it() -> None:
    thread = SearchThread()
    done = threading.Event()

    def broken() -> None:
        raise RuntimeError("no tags today")

    try:
        thread.in_gaps([broken, done.set])
        assert done.wait(10)
    finally:
        thread.shutdown()


def test_queries_waiting_are_counted_until_they_start() -> None:
    thread = SearchThread()
    started, go = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        assert go.wait(10)

    try:
        thread.submit(hold)
        assert started.wait(10)
        waiting = [thread.submit(lambda: None) for _ in range(3)]
        assert thread.waiting == 3
        go.set()
        for job in waiting:
            job.result(10)
        assert thread.waiting == 0
    finally:
        thread.shutdown()


def test_two_warm_ups_at_once_both_end() -> None:
    """After two syncs in a row, two warm-ups are under way: each goes on
    (one gave way to the other's steps for ever, as to a query)."""
    thread = SearchThread()
    done: list[str] = []
    both = threading.Event()

    def last(name: str) -> None:
        done.append(name)
        if len(done) == 2:
            both.set()

    try:
        thread.in_gaps([lambda: None, lambda: None, lambda: last("first")])
        thread.in_gaps([lambda: None, lambda: last("second")])
        assert both.wait(10)
        assert thread.waiting == 0
    finally:
        thread.shutdown()
    assert sorted(done) == ["first", "second"]


def test_the_steps_are_made_in_the_search_thread_and_their_error_ends_them() -> None:
    """A generator of steps runs its own work (the app's: making the engine
    over a new library, 20-35 ms the event loop would not draw) in the search
    thread, when its first step is asked for; an error there ends the steps
    (the query that needs the engine makes it)."""
    thread = SearchThread(name="search")
    made_in: list[str] = []
    ran: list[str] = []

    def steps() -> Iterator[Callable[[], object]]:
        made_in.append(threading.current_thread().name)
        yield lambda: ran.append("one")
        raise RuntimeError("the engine could not be made")

    try:
        thread.in_gaps(steps())
        thread.submit(lambda: None).result(10)
        done = threading.Event()
        thread.in_gaps([done.set])
        assert done.wait(10)
    finally:
        thread.shutdown()
    assert ran == ["one"]
    assert made_in and made_in[0].startswith("search")
