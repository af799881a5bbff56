"""The rules behind the lists (reader/views.py): orders, day runs, next unread,
per-day counts, and what the status line says about the library."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reader import views
from reader.config import Config
from reader.library import open_library
from reader.model import Paper
from reader.paths import Paths

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"


def paper(pid: str, title: str, day: str = "", votes: int | None = None) -> Paper:
    return Paper(id=pid, title=title, dates=[day] if day else [], upvotes=votes)


A = paper("a", "Attention sinks", "2025-08-20", 3)
B = paper("b", "Bandits revisited", "2025-08-20", 87)
C = paper("c", "Contrastive decoding", "2025-08-19", None)
D = paper("d", "diffusion policies", "2025-08-19", 87)
U = paper("u", "Undated notes")


def ids(papers: list[Paper]) -> str:
    return "".join(p.id for p in papers)


def test_orders_are_total_and_end_on_the_title() -> None:
    papers = [U, D, C, B, A]
    assert ids(views.sort_papers(papers, "newest")) == "abcdu"
    assert ids(views.sort_papers(papers, "oldest")) == "cdabu"  # undated last here too
    # equal upvotes: the newer first; no upvotes: last
    assert ids(views.sort_papers(papers, "upvotes")) == "bdacu"
    assert ids(views.sort_papers(papers, "title")) == "abcdu"  # case-folded
    late = Paper(id="l", title="Zebra", dates=["2025-08-20"], published="2025-08-19")
    assert ids(views.sort_papers([A, B, late], "newest")) == "lab"  # published last first
    with pytest.raises(ValueError):
        views.sort_papers(papers, "random")


def test_a_day_is_ranked_as_its_source_ranks_it() -> None:
    assert views.day_ranking([A, B]) == "upvotes"  # Hugging Face days carry upvotes
    assert views.day_ranking([C, paper("e", "E", "2025-08-19")]) == "newest"


def test_the_sort_key_cycles_and_comes_back_to_a_searchs_own_order() -> None:
    assert [views.next_sort(s, "newest") for s in views.SORTS] == ["upvotes", "title", "newest"]
    seen, order = [], "relevance"
    for _ in range(4):
        order = views.next_sort(order, "relevance")
        seen.append(order)
    assert seen == ["newest", "upvotes", "title", "relevance"]
    assert views.next_sort("upvotes", "upvotes") == "title"  # a Hugging Face day


def test_day_runs_and_stepping_between_days() -> None:
    papers = [A, B, C, D, U]
    runs = views.day_runs(papers)
    assert [(r.day, r.start, r.count) for r in runs] == [
        ("2025-08-20", 0, 2),
        ("2025-08-19", 2, 2),
        ("", 4, 1),
    ]
    assert views.step_day(runs, 1, older=True) == 2
    assert views.step_day(runs, 3, older=True) == 4
    assert views.step_day(runs, 4, older=True) is None
    assert views.step_day(runs, 3, older=False) == 0  # the newer day's first paper
    assert views.step_day(runs, 1, older=False) == 0  # the top day: its own first paper
    assert views.step_day(runs, 0, older=False) is None
    # the catch-up lists the oldest day first: older is up
    oldest = views.day_runs([C, D, A, B])
    assert views.step_day(oldest, 2, older=True) == 0
    assert views.step_day(oldest, 0, older=False) == 2
    assert views.run_at(runs, 3) == 1 and views.step_day([], 0, older=True) is None


def test_next_unread_goes_round_and_says_none_when_all_are_read() -> None:
    papers = [A, B, C, D]
    assert views.next_unread(papers, 0, {"b"}) == 2
    assert views.next_unread(papers, 3, {"b"}) == 0  # round to the top
    assert views.next_unread(papers, 1, {"a", "b", "d"}) == 2
    assert views.next_unread(papers, 0, {"a", "b", "c", "d"}) is None
    assert views.next_unread([], 0, set()) is None


def test_day_counts_count_every_day_a_paper_appeared_on() -> None:
    twice = Paper(id="t", title="Twice", dates=["2025-08-19", "2025-08-20"])
    counts = views.day_counts([A, B, C, twice], read={"a", "t"})
    assert counts == {"2025-08-20": (3, 1), "2025-08-19": (2, 1)}


def test_library_parts_agree_in_number_and_group_digits() -> None:
    lib = open_library(Paths.from_env(), Config(), extra=[FIXTURE], use_cache=False)
    assert views.library_parts(lib) == [("papers", "8 papers"), ("days", "3 days")]
    one = open_library(Paths.from_env(), Config(), extra=[FIXTURE / "2025-08-18.yaml"])
    assert views.library_parts(one)[1] == ("days", "1 day")
    lib.papers.update({f"x{i}": paper(f"x{i}", "t", "2025-08-18") for i in range(91706)})
    assert views.library_parts(lib)[0] == ("papers", "91,714 papers")


SAMPLES = Path(__file__).resolve().parent.parent / "sample_digests"


@pytest.mark.parametrize("warm", [False, True])
def test_a_pasted_daily_papers_day_keeps_the_pages_order(tmp_path: Path, warm: bool) -> None:
    """The page lists "Deep Think with Confidence" first on Aug 22; sorted by
    title the day began with AgentFly. A warm start (the library cache) too."""
    page = tmp_path / "page"
    page.mkdir()
    text = (SAMPLES / "2025-08-22-daily-papers.txt").read_text(encoding="utf-8")
    (page / "2025-08-22-daily-papers.txt").write_text(text, encoding="utf-8")
    paths = Paths.from_env()
    if warm:
        open_library(paths, Config(), extra=[page])
    library = open_library(paths, Config(), extra=[page], use_cache=warm)
    day = library.on_day("2025-08-22")
    shown = views.sort_papers(day, views.day_ranking(day))
    assert [p.title for p in shown[:3]] == [
        "Deep Think with Confidence",
        "Intern-S1: A Scientific Multimodal Foundation Model",
        "Mobile-Agent-v3: Foundamental Agents for GUI Automation",
    ]
    assert views.sort_papers(day, "title")[0].title.startswith("AgentFly")


def test_a_paper_on_two_pages_keeps_its_place_on_each_day() -> None:
    a, b = paper("2508.00001", "Zebra", "2025-08-21"), paper("2508.00002", "Apple", "2025-08-21")
    a.ranks, b.ranks = {"2025-08-21": 0}, {"2025-08-21": 1}
    assert ids(views.sort_papers([b, a], "newest")) == ids([a, b])
    later = paper("2508.00001", "Zebra", "2025-08-22")
    later.ranks = {"2025-08-22": 5}
    from reader.model import merge_papers

    merge_papers(a, later)
    assert a.ranks == {"2025-08-21": 0, "2025-08-22": 5}


def test_a_day_heading_counts_the_rows_below_it_and_says_where_the_rest_are() -> None:
    assert views.day_heading("2025-08-21", 22) == "2025-08-21 · 22 papers"
    assert views.day_heading("2025-08-21", 22, 22) == "2025-08-21 · 22 papers"
    assert views.day_heading("2025-08-21", 21, 22) == (
        "2025-08-21 · 21 of 22 papers (1 more under a later day)"
    )
    assert views.day_heading("", 1, 1_204) == (
        "no date · 1 of 1,204 papers (1,203 more under later days)"
    )
    a = paper("a", "A", "2025-08-19")
    a.dates = ["2025-08-19", "2025-08-21"]
    assert views.day_sizes([a, paper("b", "B", "2025-08-19")]) == {
        "2025-08-19": 2,
        "2025-08-21": 1,
    }


# -- rules that used to live in the main screen ----------------------------------

DAYS = ["2025-08-20", "2025-08-19", "2025-08-18"]  # newest first, as Library.days()


def test_the_day_before_and_after() -> None:
    assert views.adjacent_day(DAYS, "2025-08-19", older=True) == "2025-08-18"
    assert views.adjacent_day(DAYS, "2025-08-19", older=False) == "2025-08-20"
    assert views.adjacent_day(DAYS, "2025-08-18", older=True) is None
    assert views.adjacent_day(DAYS, "2025-08-20", older=False) is None
    # an undated paper: [ goes to the newest day, ] to the oldest
    assert views.adjacent_day(DAYS, "", older=True) == "2025-08-20"
    assert views.adjacent_day(DAYS, "", older=False) == "2025-08-18"
    assert views.adjacent_day([], "", older=True) is None


def test_a_day_all_read_goes_on_to_an_older_day_then_a_newer_one() -> None:
    counts = {"2025-08-20": (3, 1), "2025-08-19": (2, 0), "2025-08-18": (2, 2)}
    assert views.next_day_with_unread(DAYS, "2025-08-19", counts) == "2025-08-18"
    counts["2025-08-18"] = (2, 0)
    assert views.next_day_with_unread(DAYS, "2025-08-19", counts) == "2025-08-20"
    counts["2025-08-20"] = (3, 0)
    assert views.next_day_with_unread(DAYS, "2025-08-19", counts) is None


def test_catch_up_lists_what_is_unread_since_the_last_session_oldest_day_first() -> None:
    papers = {
        "2025-08-20": [A, B],
        "2025-08-19": [C, D, B],  # B appeared on both days: listed once
        "2025-08-18": [U],
    }
    start_of_19th = 1755561600.0  # 2025-08-19 00:00 UTC
    found = views.catch_up(DAYS, papers.__getitem__, start_of_19th + 3600, read={"d"})
    assert found.start == "2025-08-19"
    assert ids(found.papers) == "cba"
    view = found.view()
    assert view.kind == "catchup" and view.label == "Catch-up since 2025-08-19"
    assert view.ids == ["c", "b", "a"] and view.natural == "oldest"
    # a first session starts on the newest day
    assert ids(views.catch_up(DAYS, papers.__getitem__, None, read=()).papers) == "ab"
    # a last session after the newest digest: the newest day still counts
    later = views.catch_up(DAYS, papers.__getitem__, start_of_19th + 10 * 86400, read=())
    assert later.start == "2025-08-20" and ids(later.papers) == "ab"
    assert views.catch_up([], papers.__getitem__, None, read=()).label == "Catch-up"


def test_the_sidebar_counts_each_day_with_its_unread_papers() -> None:
    rows = views.sidebar_days(["2025-08-21", *DAYS], [A, B, C, D, U], read={"a", "c"})
    assert rows == [
        ("2025-08-21", 0, 0),
        ("2025-08-20", 2, 1),
        ("2025-08-19", 2, 1),
        ("2025-08-18", 0, 0),
    ]


def test_a_view_sorted_and_back_to_its_own_order() -> None:
    view = views.View("search", "Search: x", [C, A, B], "x", natural="relevance")
    by_votes = view.sorted("upvotes")
    assert ids(by_votes.papers) == "bac" and by_votes.shown_order == "upvotes"
    back = by_votes.sorted("relevance")
    assert ids(back.papers) == "cab" and back.order == "" and back.shown_order == "relevance"
    assert views.all_papers([A, B, C]).day_sizes == {"2025-08-20": 2, "2025-08-19": 1}


def test_the_status_line_counts_each_kind_of_list() -> None:
    def no_reads() -> set[str]:
        raise AssertionError("only the catch-up asks what is read")

    plain = views.view_count(views.View("tag", "#x", [A, B]), no_reads)
    assert (plain.text, plain.short, plain.notes) == ("2 papers", "2", ())
    best = views.View("search", "Search: x", [A, B], "x", total=1204, exact=False)
    count = views.view_count(best, no_reads)
    assert (count.text, count.short) == ("best 2 of about 1,200 papers", "2/about 1,200")
    assert views.view_count(replace(best, searching=True), no_reads).text == "searching…"
    catch = views.catch_up(DAYS, {"2025-08-20": [A, B]}.get, None, read=()).view()
    half = views.view_count(catch, lambda: {"a"})
    assert (half.text, half.short, half.notes) == ("1 of 2 read", "1/2", ())
    assert views.view_count(catch, lambda: {"a", "b"}).notes == ("all caught up",)
    # an order is named when chosen, and for a day its source ranks by upvotes
    day = views.View("day", "Day 2025-08-20", [B, A], "2025-08-20", natural="upvotes")
    assert views.view_count(day, no_reads).notes == ("by upvotes",)
    assert views.view_count(day.sorted("title"), no_reads).notes == ("by title",)
    newest = views.View("day", "Day 2025-08-19", [C, D], "2025-08-19")
    assert views.view_count(newest, no_reads).notes == ()


def test_rows_read_on_demand_sort_select_and_step_as_a_list_does() -> None:
    """A list of ids over the papers (``PaperRows``, the app's lists over
    the catalog) gives the orders, the selection, the day runs and the next
    unread paper a list of the same papers gives."""
    from reader.paper_rows import PaperRows

    papers = [A, B, C, D, U]
    by_id = {p.id: p for p in papers}
    rows = PaperRows([p.id for p in papers], by_id, [p.date for p in papers])
    for how in ("newest", "oldest", "upvotes", "title"):
        got = views.sort_papers(rows, how)
        assert isinstance(got, PaperRows)
        assert ids(list(got)) == ids(list(views.sort_papers(papers, how)))
        assert views.day_runs(got) == views.day_runs(views.sort_papers(papers, how))
    assert ids(list(views.select(rows, {"d", "a"}))) == "ad"
    assert views.next_unread(rows, 0, {"b", "c"}) == views.next_unread(papers, 0, {"b", "c"}) == 3
    assert rows[1:3].ids == ["b", "c"] and rows[-1] is U


def test_the_sidebar_counts_of_a_library_come_from_its_day_sizes(tmp_path: Path) -> None:
    """The library's days and their unread papers, counted from its day sizes
    and the read papers' days (no walk of the papers over the catalog), are
    what a walk of every paper counts; read from the catalog as well."""
    lib = open_library(Paths.from_env(), Config(), extra=[FIXTURE], use_cache=False)
    open_library(Paths.from_env(), Config(), extra=[FIXTURE])  # the catalog written
    lazy = open_library(Paths.from_env(), Config(), extra=[FIXTURE], lazy=True)
    read = set(list(lib.papers)[::3])
    walked = views.sidebar_days(lib.days(), lib.papers.values(), read)
    assert views.library_sidebar_days(lib, read) == walked
    assert views.library_sidebar_days(lazy, read) == walked
    assert views.library_day_counts(lazy, read) == views.day_counts(lib.papers.values(), read)
    assert lazy.days() == lib.days()
    for day in lib.days():
        assert [p.id for p in lazy.on_day(day)] == [p.id for p in lib.on_day(day)]
