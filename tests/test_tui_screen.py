"""The main screen as a user meets it (issue 10 items 14, 15, 16, 19, 20):
counts that keep their room, keys without traps, words that agree with their
numbers, ways back, and days in the order their source gives them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp
from reader.tui.textual_private import screen_strips
from reader.tui.widgets.status import fit_status

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
FROZEN = 1755604800.0
DIFFUSION = "2508.10001"
HOSTILE = "2508.10003"


def make_app(*extra: Path, config: Config | None = None) -> DigestApp:
    paths = Paths.from_env()
    config = config or Config(read_after_seconds=0)
    library = open_library(paths, config, extra=[FIXTURE, *extra], use_cache=False)
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    return DigestApp(Session(paths, config, library=library, state=state), clock=lambda: FROZEN)


def write_days(folder: Path, days: int = 3, per_day: int = 15) -> Path:
    """A digest per day with ``per_day`` papers (more than a screen holds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(days):
        day = f"2025-07-{10 + d:02d}"
        lines = [f"title: Test digest {day}", f"date: {day}", "papers:"]
        for i in range(per_day):
            pid = f"2507.{d + 1}{i:04d}"
            lines += [
                f'  - id: "{pid}"',
                f'    title: "Paper {d}-{i:02d} on day {day}"',
                "    abstract: Words.",
                f"    upvotes: {per_day - i}",
            ]
        (folder / f"{day}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def screen_text(app: DigestApp) -> str:
    return "\n".join(strip.text for strip in screen_strips(app.screen))


def status_line(app: DigestApp) -> str:
    return screen_strips(app.screen)[0].text


def rows(app: DigestApp) -> list[str]:
    plist = app.main.papers
    return [plist.render_line(y).text for y in range(plist.scrollable_content_region.height)]


def row_of(app: DigestApp, needle: str) -> str:
    for r in rows(app):
        if needle in r:
            return r
    raise AssertionError(f"{needle!r} not in the list:\n" + "\n".join(rows(app)))


def current_id(app: DigestApp) -> str:
    paper = app.main.papers.current
    assert paper is not None
    return paper.id


def shown_ids(app: DigestApp) -> list[str]:
    return [p.id for p in app.main.papers.papers]


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from reader import clipboard

    seen: list[str] = []

    def fake(text: str, *, write_terminal: Callable[[str], None] | None = None, **_: Any) -> Any:
        seen.append(text)
        return clipboard.CopyResult(True, "tmux", "copied with tmux (load-buffer)", text)

    monkeypatch.setattr(clipboard, "copy", fake)
    return seen


# -- item 14: the count of what is shown wins the space ------------------------------


def test_fit_status_drops_static_figures_before_the_count() -> None:
    lib = [("papers", "91,714 papers"), ("days", "410 days"), ("problems", "1 problem")]
    label = "Search: large language models"
    wide = fit_status(200, label, "best 1,000 of 26,658 papers", "1,000/26,658", [], lib)
    assert wide.library == ["91,714 papers", "410 days", "1 problem"]
    at80 = fit_status(80, label, "best 1,000 of 26,658 papers", "1,000/26,658", [], lib)
    assert at80.label == label and at80.view == ["best 1,000 of 26,658 papers"]
    assert at80.library == ["1 problem"]  # what the user can act on stays longest
    tiny = fit_status(40, label, "best 1,000 of 26,658 papers", "1,000/26,658", [], lib)
    assert tiny.view == ["1,000/26,658"] and tiny.library == []
    assert tiny.label.endswith("…")


async def test_a_long_search_keeps_its_count_at_80_columns() -> None:
    app = make_app()
    query = "diffusion OR transformers OR sparse OR attention OR tokenizer"
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *query, "enter")
        await pilot.pause()
        line = status_line(app)
        assert line.rstrip().endswith("4 papers") or "· 4 papers" in line, line
        assert "3 days" not in line  # the static figure gave way


async def test_sorted_by_upvotes_the_upvotes_stay_with_the_sidebar_open() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert "▲120" not in row_of(app, "Sparse Attention")  # too narrow for every column
        await pilot.press("slash", *"sort:upvotes", "enter")
        await pilot.pause()
        assert "▲120" in row_of(app, "Sparse Attention")
        assert "Sparse Attention" in rows(app)[0]  # the most upvoted first


# -- item 15: counts move, links behind a prefix, scrolling both ways ---------------------


async def test_a_count_before_j_or_k_moves_that_many_and_copies_nothing(
    copies: list[str], tmp_path: Path
) -> None:
    app = make_app(write_days(tmp_path / "days"))
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("5", "j")
        assert app.main.papers.cursor == 5
        await pilot.press("1", "2", "j", "3", "k")
        assert app.main.papers.cursor == 14
        await pilot.press("j")
        assert app.main.papers.cursor == 15  # the count was used once
        await pilot.press("4", "escape", "j")
        assert app.main.papers.cursor == 16  # Esc dropped the count
        await pilot.press("1", "0", "G")
        assert app.main.papers.cursor == 9  # 10G: the tenth paper
        await pilot.pause()
        assert copies == []


async def test_l_shows_it_waits_for_a_number_and_another_key_cancels(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        assert "link 1-9?" in status_line(app)
        await pilot.press("j")  # not a number: the prefix is dropped and j moves
        assert current_id(app) == DIFFUSION
        assert "link 1-9?" not in status_line(app)
        await pilot.press("l", "1")
        await pilot.pause()
        assert copies == ["https://arxiv.org/abs/2508.10001"]


async def test_copy_menu_moves_with_j_and_k(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("j", "Y")
        await pilot.pause()
        await pilot.press("j", "j", "j", "k", "enter")
        await pilot.pause()
        assert copies == ["2508.10001"]  # link, PDF, arXiv id: the third choice


def long_abstract(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(f"Paragraph {i} of a long abstract." for i in range(60))
    text = (
        "title: Long\ndate: 2025-08-21\npapers:\n"
        '  - id: "2508.11111"\n    title: "A Paper With A Very Long Abstract"\n'
        "    comments: 1\n    upvotes: 1234\n    abstract: |\n"
        + "".join(f"      {line}\n" for line in body.splitlines())
    )
    (folder / "long.yaml").write_text(text, encoding="utf-8")
    return folder


async def test_the_abstract_scrolls_back_up_with_b_pgup_and_K(tmp_path: Path) -> None:
    app = make_app(long_abstract(tmp_path / "long"))
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        assert current_id(app) == "2508.11111"
        pane = app.main.abstract
        await pilot.press("J")  # from the list
        assert pane.scroll_y > 0 and app.main.papers.has_focus
        await pilot.press("K")
        assert pane.scroll_y == 0
        await pilot.press("enter", "space", "space")  # full screen, then down
        await pilot.pause()
        assert "Paragraph 0 " not in screen_text(app)
        await pilot.press("b", "pageup")
        await pilot.pause()
        assert pane.scroll_y == 0 and "Paragraph 0 " in screen_text(app)


# -- item 16: numbers agree with their nouns, and are grouped -------------------------------


async def test_one_paper_one_comment_and_grouped_numbers(tmp_path: Path) -> None:
    app = make_app(long_abstract(tmp_path / "long"))
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "1 comment" in text and "1 comments" not in text
        assert "▲ 1,234" in text
        await pilot.press("slash", *"tokenizer", "enter")
        await pilot.pause()
        line = status_line(app)
        assert "· 1 paper" in line and "1 papers" not in line
        await pilot.press("R")  # in a search: the papers it lists (branch app, item 7)
        await pilot.pause()
        assert "Marked 1 paper of this search read" in screen_text(app)


# -- item 19: ways back, honest tag messages, note marks ------------------------------------


async def test_escape_from_similar_papers_returns_to_the_search_and_the_paper() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion", "enter", "j")
        await pilot.pause()
        start = current_id(app)
        results = shown_ids(app)
        await pilot.press("m")
        await pilot.pause()
        assert "Similar to:" in status_line(app)
        await pilot.press("j", "escape")
        await pilot.pause()
        assert shown_ids(app) == results and current_id(app) == start
        assert app.main.search_bar.value == "diffusion"
        await pilot.press("escape")  # then Esc clears the search as usual
        await pilot.pause()
        assert len(shown_ids(app)) == 8 and current_id(app) == start


async def test_escape_from_similar_papers_in_a_day_view_returns_to_that_day() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        app.main.show_day("2025-08-19", first=True)
        await pilot.press("j")
        start = current_id(app)
        await pilot.press("m", "escape")
        await pilot.pause()
        assert "Day 2025-08-19" in status_line(app) and current_id(app) == start


async def test_the_tag_dialog_never_reports_removing_a_tag_the_paper_never_had() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("t", *"-rl", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "untagged rl" not in text
        assert "Was not tagged rl: nothing changed" in text
        await pilot.press("t", *"video, -rl", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "tagged video; was not tagged rl" in text and "untagged" not in text


async def test_a_paper_with_a_note_has_a_mark_in_the_list() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        assert "✎" not in row_of(app, "Diffusion Transformers")
        await pilot.press("j", "n", *"see appendix", "ctrl+s")
        await pilot.pause()
        assert "✎" in row_of(app, "Diffusion Transformers")
        assert "✎" not in row_of(app, "Reinforcement Learning")


# -- item 20: days in their source's order, separators, next unread ------------------------


async def test_a_day_is_sorted_as_its_source_ranks_it_and_S_changes_the_order() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("b", "end", "up", "up", "enter")  # the sidebar's 2025-08-20
        await pilot.pause()
        assert "Day 2025-08-20" in status_line(app) and "by upvotes" in status_line(app)
        assert shown_ids(app) == [DIFFUSION, "2508.10002", HOSTILE]  # 87, 42, 3 upvotes
        await pilot.press("S")
        assert "by title" in status_line(app)
        assert shown_ids(app) == [HOSTILE, DIFFUSION, "2508.10002"]
        await pilot.press("S")
        assert "newest first" in status_line(app)
        await pilot.press("S")
        assert shown_ids(app) == [DIFFUSION, "2508.10002", HOSTILE]


async def test_S_in_all_papers_and_back() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("S")
        assert shown_ids(app)[0] == "2508.09001" and "by upvotes" in status_line(app)
        assert not any(r.startswith("──") for r in rows(app))  # no days in upvote order
        await pilot.press("S", "S")
        assert "by title" not in status_line(app) and "by upvotes" not in status_line(app)
        assert rows(app)[0].startswith("── 2025-08-20 · 3 papers")


async def test_all_papers_has_a_row_between_days_and_the_cursor_skips_it() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        shown = rows(app)
        assert shown[0].startswith("── 2025-08-20 · 3 papers")
        assert shown[4].startswith("── 2025-08-19 · 3 papers")
        assert shown[8].startswith("── 2025-08-18 · 2 papers")
        await pilot.press("j", "j", "j")  # past the last paper of 2025-08-20
        assert app.main.papers.current.date == "2025-08-19"
        assert app.main.papers.cursor == 3
        await pilot.click("#papers", offset=(5, 4))  # a click on a separator selects nothing
        assert app.main.papers.cursor == 3


async def test_brackets_put_the_days_first_paper_at_the_top(tmp_path: Path) -> None:
    app = make_app(write_days(tmp_path / "days"))
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(4):  # 2025-08-19, 2025-08-18, 2025-07-12, 2025-07-11
            await pilot.press("left_square_bracket")
        top = rows(app)
        assert top[0].startswith("── 2025-07-11 · 15 papers"), top
        assert "Paper 1-00" in top[1]
        assert current_id(app) == "2507.20000"
        await pilot.press("right_square_bracket")
        assert rows(app)[0].startswith("── 2025-07-12 · 15 papers")
        assert current_id(app) == "2507.30000"


async def test_N_goes_to_the_next_unread_paper_then_says_all_caught_up() -> None:
    app = make_app()
    app.state.set_read([DIFFUSION, "2508.10002", "2508.09003"], True)
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        assert current_id(app) == HOSTILE
        await pilot.press("N")
        assert current_id(app) == "2508.09002"  # three read papers skipped
        app.state.set_read([p.id for p in app.library.papers.values()], True)
        await pilot.press("N")
        await pilot.pause()
        assert "All caught up" in screen_text(app)


async def test_N_in_a_read_day_goes_on_to_the_next_day_with_unread_papers() -> None:
    app = make_app()
    app.state.set_read([DIFFUSION, "2508.10002", HOSTILE, "2508.09001"], True)
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        app.main.show_day("2025-08-20", first=True)
        await pilot.press("N")
        await pilot.pause()
        assert "Day 2025-08-19" in status_line(app)
        assert current_id(app) == "2508.09002"  # the day's first unread (by upvotes)
        assert "Day 2025-08-20 is all read: on to 2025-08-19" in screen_text(app)


async def test_the_sidebar_shows_unread_counts_per_day() -> None:
    app = make_app()
    app.state.set_read(["2508.09001", "2508.08001", "2508.08002"], True)
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        text = screen_text(app)
        assert "2025-08-20 3 ●3" in text
        assert "2025-08-19 3 ●2" in text
        assert "2025-08-18 2 ✓" in text


async def test_catch_up_says_all_caught_up_when_everything_is_read() -> None:
    app = make_app()
    app.last_session = FROZEN
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert "0 of 6 read" in status_line(app) and "caught up" not in status_line(app)
        app.state.set_read(app.main.view.ids, True)
        app.main.state_changed()
        await pilot.pause()
        assert "6 of 6 read · all caught up" in status_line(app)


async def test_S_in_the_catch_up_comes_back_to_the_oldest_day_first() -> None:
    app = make_app()
    app.last_session = FROZEN
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.main.papers.current.date == "2025-08-19"
        assert rows(app)[0].startswith("── 2025-08-19 · 3 papers")
        await pilot.press("S")
        assert "newest first" in status_line(app)
        assert app.main.papers.papers[0].date == "2025-08-20"
        await pilot.press("S", "S", "S")
        assert app.main.papers.papers[0].date == "2025-08-19"
        assert "first" not in status_line(app) and "0 of 6 read" in status_line(app)


async def test_counts_and_link_numbers_typed_in_one_burst_go_to_their_own_keys(
    copies: list[str],
) -> None:
    from textual import events

    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        # As tmux send-keys or a fast typist delivers them: all queued before any runs.
        for key in ("l", "2", "5", "j", "3", "k"):
            app.post_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause()
        assert copies == ["https://arxiv.org/pdf/2508.10003"]
        assert app.main.papers.cursor == 2
        assert "link 1-9?" not in status_line(app)


async def test_l_and_digits_are_plain_characters_in_the_search_box() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"llm 2025")
        await pilot.pause()
        assert app.main.search_bar.value == "llm 2025"
        assert "link 1-9?" not in status_line(app)


@pytest.mark.parametrize(
    ("burst", "cursor"),
    [(("g", "5", "j"), 5), (("G", "3", "k"), -4), (("j", "j", "g", "2", "j"), 2)],
)
async def test_a_count_typed_right_after_a_plain_key_is_kept(
    tmp_path: Path, burst: tuple[str, ...], cursor: int
) -> None:
    """``g5j`` in one burst (tmux send-keys, a fast typist): g runs first, then 5j."""
    from textual import events

    app = make_app(write_days(tmp_path / "days"))  # 45 + 8 papers
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        expected = cursor if cursor >= 0 else len(app.main.papers.papers) + cursor
        for key in burst:
            app.post_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause()
        assert app.main.papers.cursor == expected


async def test_the_paper_shown_is_not_marked_read_while_a_dialog_asks(tmp_path: Path) -> None:
    """Under "Mark N papers read?" the auto-read waits: the answer marks those N."""
    import re

    config = Config(read_after_seconds=0.2)
    app = make_app(write_days(tmp_path / "days", days=1, per_day=60), config=config)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("G", "R")  # the last paper is on the 60-paper day
        await pilot.pause()
        asked = re.search(r"Mark ([\d,]+) papers", screen_text(app))
        assert asked, screen_text(app)
        first = current_id(app)
        await pilot.pause(0.6)  # three times the read delay, under the dialog
        assert first not in app.read_ids()
        await pilot.press("y")
        await pilot.pause()
        assert f"Marked {asked[1]} papers" in screen_text(app)


async def test_a_pasted_page_day_is_listed_in_the_pages_order(tmp_path: Path) -> None:
    page = tmp_path / "page"
    page.mkdir()
    sample = FIXTURE.parent.parent.parent / "sample_digests" / "2025-08-22-daily-papers.txt"
    (page / sample.name).write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    app = make_app(page)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        sidebar = app.main.sidebar
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("day:2025-08-22")
        await pilot.press("enter")
        await pilot.pause()
        assert "Day 2025-08-22" in status_line(app)
        assert "Deep Think with Confidence" in rows(app)[0]
        assert "Intern-S1" in rows(app)[1]


async def test_a_days_separator_agrees_with_the_sidebar_on_its_count(tmp_path: Path) -> None:
    """2508.09001 appeared on 2025-08-19 and again on 2025-08-21: every paper's
    list shows it under 2025-08-21, and the row of 2025-08-19 says where the
    third paper of that day went; the sidebar and the day view count 3."""
    again = tmp_path / "again"
    again.mkdir()
    (again / "2025-08-21.yaml").write_text(
        "title: Again\ndate: 2025-08-21\npapers:\n"
        '  - id: "2508.09001"\n    title: "Seen twice"\n    abstract: Words.\n',
        encoding="utf-8",
    )
    app = make_app(again)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        heads = [r for r in rows(app) if r.startswith("──")]
        assert heads[0].startswith("── 2025-08-21 · 1 paper ")
        assert heads[2].startswith("── 2025-08-19 · 2 of 3 papers (1 more under a later day) ─")
        assert heads[1].startswith("── 2025-08-20 · 3 papers ─")
        await pilot.press("b")
        await pilot.pause()
        assert "2025-08-19 3" in screen_text(app)


async def test_hints_name_the_keys_the_keymap_gave(tmp_path: Path) -> None:
    config = Config(read_after_seconds=0, keymap={"search": "f", "undo": "z"})
    app = make_app(write_days(tmp_path / "days", days=1, per_day=60), config=config)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        assert "f to search:" in screen_text(app) and "/ to search" not in screen_text(app)
        await pilot.press("G", "R")
        await pilot.pause()
        assert "z undoes it afterwards." in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert "(z undoes)." in screen_text(app)


async def test_a_big_unread_day_keeps_its_counts_on_one_sidebar_row_at_80_columns(
    tmp_path: Path,
) -> None:
    """At 80x24 the sidebar is narrow: a day of 108 papers, 107 unread
    ("2007-04-02 108 ●107", seen over the real digests) broke onto a second
    row, its unread count alone under it. Every day stays on one row, with
    both its counts."""
    lines = ["title: A big day", "date: 2007-04-02", "papers:"]
    for i in range(108):
        lines += [f"  - id: 0704.{i:04d}", f"    title: Paper {i:03d} of a big day"]
    big = tmp_path / "big.yaml"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for d in range(1, 29):  # more days than the screen holds: the sidebar scrolls
        day = f"2007-02-{d:02d}"
        (tmp_path / f"{day}.yaml").write_text(
            f"date: {day}\npapers:\n  - id: 0702.{d:04d}\n    title: Paper of {day}\n",
            encoding="utf-8",
        )
    app = make_app(tmp_path)
    app.state.set_read(["0704.0000"], True)
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        sidebar = app.main.query_one("#sidebar")
        shown = [strip.text.rstrip(" ▕") for strip in screen_strips(app.screen)]
        left = [line[: sidebar.region.width].strip() for line in shown[2:]]
        row = next(line for line in left if "2007-04-02" in line)
        assert "108" in row and "●107" in row, left
        assert not any(line.startswith("●") for line in left), left


async def sidebar_with_tag(tag: str) -> tuple[list[str], int]:
    """The screen's lines under the header at 80x24, the sidebar open, once
    one paper has ``tag``, and the sidebar's width."""
    app = make_app()
    app.state.add_tags(["2508.10001"], [tag])
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        width = app.main.query_one("#sidebar").region.width
        return [strip.text for strip in screen_strips(app.screen)[2:]], width


async def test_a_long_tag_is_cut_in_the_sidebar_and_keeps_its_count_on_its_row() -> None:
    lines, width = await sidebar_with_tag("a-very-long-tag-about-large-language-models")
    left = [line[:width].strip() for line in lines]
    row = next(line for line in left if line.startswith("#a-very"))
    assert row.rstrip(" ▕").endswith("… 1"), left
    assert "1" not in left[left.index(row) + 1], left


async def test_a_long_tag_of_wide_letters_is_cut_by_its_cells_and_keeps_its_count() -> None:
    """A tag in CJK letters (two columns each) is cut by the columns it
    takes, not by its letters: its count stays on its row."""
    lines, width = await sidebar_with_tag("大規模言語モデルの評価と推論についての研究ノート")
    left = [line.strip() for line in lines]
    row = next(line for line in left if line.startswith("#大規模"))
    assert "… 1" in row, left
    assert cell_len(row.split(" 1")[0]) < width, left
