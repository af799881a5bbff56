"""The Textual reader, driven like a user: keys in, then what the screen shows
and what a fresh state store reads back from disk."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp
from reader.tui.textual_private import screen_strips
from reader.tui.widgets.paper_list import PaperList

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
#: 2025-08-19 12:00 UTC: "the last session" in tests that need one.
FROZEN = 1755604800.0

HOSTILE = "[/] Bracket [@click=app.quit]Titles[/] Must Show Literally [b][/i] cost [$5]"
FIRST = "2508.10003"  # the hostile title sorts first on the newest day
DIFFUSION = "2508.10001"


def make_app(
    config: Config | None = None, *, state: StateStore | None = None, **kw: Any
) -> DigestApp:
    paths = Paths.from_env()
    # No paper is marked read by the clock: on a loaded machine the seconds
    # between a move and the next key can pass the default wait, and a paper
    # read by the timer turns the test's "r" into "unread" (the tests of the
    # timer give their own wait).
    config = config or Config(read_after_seconds=0)
    library = open_library(paths, config, extra=[FIXTURE], use_cache=False)
    if state is None:
        state = StateStore(paths.state_file, clock=lambda: FROZEN)
        state.load()
    kw.setdefault("clock", lambda: FROZEN)
    session = Session(paths, config, library=library, state=state, index=kw.pop("index", None))
    return DigestApp(session, **kw)


async def until(pilot: Any, done: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Let the app run until ``done()`` holds: a wait on what the user would
    see, never on a fixed time (a loaded machine is slow, not wrong)."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await pilot.pause(0.05)


async def followed(pilot: Any, app: DigestApp) -> None:
    """The abstract pane follows a move in the frame after the cursor's: wait
    for it before reading the pane (a loaded machine draws that frame late)."""
    main = app.main
    await until(pilot, lambda: main.abstract.paper is main.papers.current, "the pane followed")


async def searched(pilot: Any, app: DigestApp) -> None:
    """Wait until the search typed so far has run and its results are shown."""
    from textual.worker import WorkerState

    def idle() -> bool:
        return not any(
            w.group == "search" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in app.workers
        )

    await until(pilot, idle, "the search finished")
    await pilot.pause()


def fresh_state() -> StateStore:
    store = StateStore(Paths.from_env().state_file)
    store.load()
    return store


def screen_text(app: DigestApp) -> str:
    """The whole screen as plain text, toasts included."""
    return "\n".join(strip.text for strip in screen_strips(app.screen))


def rows(app: DigestApp) -> list[str]:
    """The visible rows of the paper list, as drawn."""
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


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record what the app copies (instead of touching a real clipboard)."""
    from reader import clipboard

    seen: list[str] = []

    def fake(text: str, *, write_terminal: Callable[[str], None] | None = None, **_: Any) -> Any:
        seen.append(text)
        return clipboard.CopyResult(True, "tmux", "copied with tmux (load-buffer)", text)

    monkeypatch.setattr(clipboard, "copy", fake)
    return seen


SIZE = (120, 40)


# -- the first screen ---------------------------------------------------------


async def test_first_screen_lists_papers_and_shows_markup_literally() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "All papers · 8 papers" in text
        assert "8 papers · 3 days" in text
        assert "[/] Bracket [@click=app.quit]Titles[/]" in row_of(app, "Bracket")
        assert "[b][/i] cost [$5]" in text  # the rest of it, in the abstract pane
        assert "[red]Mallory[/red]" in text
        assert "[link=file:///etc/passwd]y[/link]" in text
        assert "\x1b" not in text and "PWNED" not in text  # the OSC was dropped, not run
        assert app.is_running  # [@click=app.quit] did not quit


async def test_unread_rows_have_a_dot_and_upvotes() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        row = row_of(app, "Sparse Attention")
        assert "●" in row and "▲120" in row and "2025-08-19" in row


# -- moving -------------------------------------------------------------------


async def test_j_k_g_G_pages_move_the_cursor_and_the_abstract_follows() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j")
        assert current_id(app) == DIFFUSION
        await followed(pilot, app)
        assert "Ada Lovelace, Alan Turing, Grace Hopper" in screen_text(app)
        await pilot.press("down", "down")
        await followed(pilot, app)
        assert "A Survey of Diffusion Models in Robotics" in app.main.abstract.paper.title
        await pilot.press("k")
        assert current_id(app) == "2508.10002"
        await pilot.press("G")
        assert current_id(app) == "2508.08001"
        await pilot.press("g")
        assert current_id(app) == FIRST
        await pilot.press("pagedown")
        assert current_id(app) == "2508.08001"  # the whole list fits on a page
        await pilot.press("pageup")
        assert current_id(app) == FIRST


async def test_a_move_draws_the_cursor_first_and_the_pane_in_the_next_frame() -> None:
    """The cursor's move reaches the screen on its own (two rows: a few ms),
    and the abstract pane, most of a move's cost, follows in the next frame:
    a busy or slow pane no longer holds the cursor back."""
    app = make_app()
    frames: list[tuple[str, str]] = []  # (the cursor's paper, the pane's paper) as drawn
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        compositor = app.main.compositor

        def drawn() -> None:
            pane = app.main.abstract.paper
            frames.append((current_id(app), pane.id if pane else ""))
            compositor.after_paint(drawn)

        compositor.after_paint(drawn)
        await pilot.press("j")
        await until(pilot, lambda: frames[-1] == (DIFFUSION, DIFFUSION), "the pane followed")
        moved = [frame for frame in frames if frame[0] == DIFFUSION]
        assert moved[0] == (DIFFUSION, FIRST)  # the cursor drawn, the pane as it was
        assert moved[-1] == (DIFFUSION, DIFFUSION)
        assert "Ada Lovelace, Alan Turing, Grace Hopper" in screen_text(app)


async def test_brackets_move_between_digest_days() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("left_square_bracket")
        assert app.main.papers.current.date == "2025-08-19"
        await pilot.press("left_square_bracket")
        assert app.main.papers.current.date == "2025-08-18"
        await pilot.press("right_square_bracket")
        assert app.main.papers.current.date == "2025-08-19"
        # In a day view the keys change the day shown.
        app.main.show_day("2025-08-19")
        await pilot.press("left_square_bracket")
        assert "Day 2025-08-18 · 2 papers" in screen_text(app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert "Day 2025-08-20 · 3 papers" in screen_text(app)


# -- stars, tags, read marks, notes ---------------------------------------------


async def test_s_stars_the_row_and_saves_it() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "s")
        assert "★" in row_of(app, "Diffusion Transformers")
        assert "★ starred" in screen_text(app)
        assert fresh_state().get(DIFFUSION).starred is True
        await pilot.press("s")
        assert "★" not in row_of(app, "Diffusion Transformers")
        assert fresh_state().get(DIFFUSION).starred is False


async def test_t_tags_with_completion_and_minus_removes() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "t")
        await pilot.press(*"rl, video")
        await pilot.press("enter")
        await pilot.pause()
        assert fresh_state().get(DIFFUSION).tags == frozenset({"rl", "video"})
        assert "#rl #video" in row_of(app, "Diffusion Transformers")
        assert "Tags saved" in screen_text(app)
        # The dialog completes known tags: "vi" + right arrow -> "video".
        await pilot.press("j", "t", "v", "i")
        await pilot.pause()
        await pilot.press("right", "enter")
        await pilot.pause()
        assert fresh_state().get("2508.10002").tags == frozenset({"video"})
        # "-tag" removes.
        await pilot.press("k", "t", *"-rl", "enter")
        await pilot.pause()
        assert fresh_state().get(DIFFUSION).tags == frozenset({"video"})


async def test_tag_dialog_escape_changes_nothing() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("t", *"abc", "escape")
        await pilot.pause()
        assert fresh_state().get(FIRST).tags == frozenset()
        assert app.screen is app.main


async def test_dot_repeats_the_last_star_or_tag() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s", "j", "full_stop")
        assert fresh_state().starred_ids() == {FIRST, DIFFUSION}
        await pilot.press("t", *"later", "enter")
        await pilot.pause()
        await pilot.press("j", "full_stop")
        assert fresh_state().ids_with_tag("later") == {DIFFUSION, "2508.10002"}


async def test_r_toggles_read_and_R_marks_the_day() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        assert "●" not in row_of(app, "Bracket")
        assert fresh_state().get(FIRST).read is True
        await pilot.press("r")
        assert fresh_state().get(FIRST).read is False
        await pilot.press("G", "R")
        await pilot.pause()
        assert fresh_state().read_ids() == {"2508.08001", "2508.08002"}
        assert "Marked 2 papers of 2025-08-18 read" in screen_text(app)


async def test_a_paper_shown_long_enough_is_marked_read() -> None:
    app = make_app(Config(read_after_seconds=0.05))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await until(pilot, lambda: fresh_state().get(FIRST).read, "the shown paper marked read")
        assert "●" not in row_of(app, "Bracket")


async def test_auto_read_off_with_zero() -> None:
    app = make_app(Config(read_after_seconds=0))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert fresh_state().read_ids() == set()


async def test_n_edits_the_note_in_a_dialog() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"read the appendix", "enter", *"[/] ok")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert fresh_state().get(FIRST).note == "read the appendix\n[/] ok"
        text = screen_text(app)
        assert "Note" in text and "read the appendix" in text and "[/] ok" in text


async def test_n_uses_editor_when_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The headless test driver cannot suspend: the app falls back to its dialog.
    monkeypatch.setenv("EDITOR", "true")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"hi", "ctrl+s")
        await pilot.pause()
        assert fresh_state().get(FIRST).note == "hi"


# -- search -------------------------------------------------------------------


async def test_slash_search_narrows_enter_selects_escape_restores() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion")
        await searched(pilot, app)
        titles = [p.title for p in app.main.papers.papers]
        assert len(titles) == 2 and all("Diffusion" in t for t in titles)
        assert "Search: diffusion · 2 papers" in screen_text(app)
        await pilot.press("enter")
        assert app.main.papers.has_focus and app.main.papers.cursor == 0
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.main.papers.papers) == 8
        assert app.main.search_bar.value == ""


async def test_enter_runs_the_query_at_once() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"tokenizer", "enter")
        await pilot.pause()
        assert [p.id for p in app.main.papers.papers] == ["2508.08001"]
        assert current_id(app) == "2508.08001"


async def test_a_half_typed_word_already_finds_papers() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"tokeni")
        await searched(pilot, app)
        assert [p.title for p in app.main.papers.papers] == ["Tokenizer-Free Language Models"]


async def test_keys_right_after_enter_act_on_the_results() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        # typed in one go, as a fast typist (or tmux send-keys) does
        await pilot.press("slash", *"tokenizer", "enter", "s")
        await pilot.pause()
        assert app.main.search_bar.value == "tokenizer"
        assert fresh_state().get("2508.08001").starred


async def test_bad_query_shows_a_message_and_keeps_the_last_results() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"diffusion")
        await searched(pilot, app)
        await pilot.press(*" )stray")
        await searched(pilot, app)
        text = screen_text(app)
        assert "Invalid query" in text
        assert len(app.main.papers.papers) == 2
        for _ in range(len(" )stray")):
            await pilot.press("backspace")
        await searched(pilot, app)
        assert "Invalid query" not in screen_text(app)


async def test_the_end_being_typed_flashes_no_error_and_enter_names_the_valid_sorts() -> None:
    """A ``sort:`` value, an open bracket or an open quote half typed is
    not "Invalid query" while it is typed: the rest is searched, an open
    phrase with its last word as a prefix, as any word being typed. Enter
    on an unknown sort says which sorts there are."""
    app = make_app()
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *'"sparse att')
        await searched(pilot, app)
        assert "Invalid query" not in screen_text(app)
        assert [p.id for p in app.main.papers.papers] == ["2508.09001"]
        await pilot.press("escape", "slash", *"(sparse OR graph")
        await searched(pilot, app)
        assert "Invalid query" not in screen_text(app)
        assert {p.id for p in app.main.papers.papers} == {"2508.09001", "2508.09002"}
        await pilot.press("escape", "slash")
        for key in "attention sort:up":
            await pilot.press(key)
            await searched(pilot, app)
            assert "Invalid query" not in screen_text(app), app.main.search_bar.value
        assert [p.id for p in app.main.papers.papers] == ["2508.09001"]
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "Invalid query: unknown sort:up" in text
        assert "relevance, newest, oldest, upvotes" in text and "sort:upvotes?" in text


async def test_search_highlights_matches_in_the_abstract() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"retrieval", "enter")
        await pilot.pause()
        assert app.main.abstract.paper.id == "2508.08002"
        assert app.main.view.terms  # the engine's terms drive the highlight


# -- views --------------------------------------------------------------------


async def test_sidebar_lists_days_tags_saved_searches_and_filters() -> None:
    config = Config(saved_searches={"diffusion": "diffusion"})
    app = make_app(config)
    app.state.add_tags([DIFFUSION], ["rl"])
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        # The saved search's count comes from the search thread.
        await until(pilot, lambda: "diffusion 2" in screen_text(app), "the saved search's count")
        text = screen_text(app)
        assert "Saved searches" in text
        assert "#rl 1" in text
        assert "2025-08-19 3" in text
        # Choose the day 2025-08-18 (last entry).
        await pilot.press("end", "enter")
        await pilot.pause()
        assert "Day 2025-08-18 · 2 papers" in screen_text(app)
        assert app.main.papers.has_focus
        # Choose the tag.
        sidebar = app.main.sidebar
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("tag:rl")
        await pilot.press("enter")
        await pilot.pause()
        assert [p.id for p in app.main.papers.papers] == [DIFFUSION]
        await pilot.press("backslash")
        assert not sidebar.display


async def test_catch_up_lists_unread_since_last_session_with_progress() -> None:
    app = make_app()
    app.last_session = FROZEN  # 2025-08-19: the days 19 and 20 are new
    app.state.set_read(["2508.09001"], True)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        ids = [p.id for p in app.main.papers.papers]
        assert len(ids) == 5 and "2508.09001" not in ids
        assert ids[0].startswith("2508.09")  # the older day first
        assert "0 of 5 read" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        assert "1 of 5 read" in screen_text(app)


async def test_session_time_is_remembered(xdg: dict[str, Path]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
    again = make_app()
    assert again.last_session == FROZEN


async def test_m_lists_similar_papers() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "m")
        await pilot.pause()
        assert "Similar to: Diffusion Transformers" in screen_text(app)
        assert DIFFUSION not in [p.id for p in app.main.papers.papers]
        await pilot.press("escape")
        assert len(app.main.papers.papers) == 8


async def test_enter_shows_the_abstract_full_screen_escape_back() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not app.main.papers.display or app.main.papers.size.height == 0
        assert "Markup like" in screen_text(app)
        await pilot.press("j")  # still moves between papers
        assert current_id(app) == DIFFUSION
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.papers.size.height > 0


async def test_help_lists_keys_after_the_keymap_and_the_query_help() -> None:
    app = make_app(Config(keymap={"star": "f"}))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Star or unstar the paper" in text
        assert "Previous paper" in text
        await pilot.press("escape")
        await pilot.press("f")  # the remapped key stars
        assert fresh_state().get(FIRST).starred is True


# -- copy and open ----------------------------------------------------------------


async def test_y_copies_the_link_and_says_how(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "y")
        await pilot.pause()
        assert copies == ["https://arxiv.org/abs/2508.10001"]
        text = screen_text(app)
        assert "copied with tmux" in text and "https://arxiv.org/abs/2508.10001" in text


async def test_l_then_a_number_copies_that_numbered_link(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await followed(pilot, app)
        assert "[3] code" in screen_text(app)
        await pilot.press("l", "3", "l", "4", "l", "9")
        await pilot.pause()
        assert copies == ["https://github.com/example/vidiff", "https://example.org/demo"]
        assert "There is no link 9" in screen_text(app)


async def test_a_link_number_typed_before_the_pane_follows_copies_the_cursors_paper(
    copies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``j l 3`` in one burst (a paste, a slow link) copies link 3 of the
    paper the cursor moved to, not of the paper the pane showed before: a
    key that acts on the pane has it show the cursor's paper first."""
    monkeypatch.setattr("reader.tui.screens.main.FOLLOW_REPEAT", 0.0)  # no held-key wait
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        held: list[Callable[[], object]] = []
        app.main.compositor.after_paint = held.append  # type: ignore[method-assign]
        await pilot.press("j", "l", "3")  # no frame drawn: the pane has not followed
        await pilot.pause()
        assert held, "the pane waited for a frame"
        assert copies == ["https://github.com/example/vidiff"]
        assert app.main.abstract.paper is app.main.papers.current


async def test_copy_menu_copies_each_form(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "Y")
        await pilot.pause()
        text = screen_text(app)
        assert "Markdown link" in text and "BibTeX entry" in text
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("Y", "p")
        await pilot.pause()
        await pilot.press("Y", "a")
        await pilot.pause()
        assert copies == [
            "[Diffusion Transformers for Video Generation at Scale](https://arxiv.org/abs/2508.10001)",
            "https://arxiv.org/pdf/2508.10001",
            "2508.10001",
        ]


async def test_copy_title_with_markup_notifies_literally(copies: list[str]) -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(200, 40)) as pilot:
        await pilot.pause()
        await pilot.press("Y", "t")
        await pilot.pause()
        assert copies == [HOSTILE]
        assert app.is_running
        assert "[@click=app.quit]Titles[/]" in screen_text(app)


async def test_open_over_ssh_copies_and_shows_the_link(
    copies: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22")
    app = make_app()
    async with app.run_test(notifications=True, size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await app.workers.wait_for_complete()  # the opener answers from a thread
        await pilot.pause()
        assert copies == ["https://arxiv.org/abs/2508.10003"]
        text = screen_text(app)
        assert "SSH" in text and "https://arxiv.org/abs/2508.10003" in text


# -- state problems ----------------------------------------------------------------


async def test_read_only_state_shows_a_banner_and_keys_do_not_crash(xdg: dict[str, Path]) -> None:
    paths = Paths.from_env()
    paths.state_file.parent.mkdir(parents=True, exist_ok=True)
    paths.state_file.write_text("papers: [not, a, mapping\n", encoding="utf-8")
    store = StateStore(paths.state_file)
    store.load()
    assert store.read_only
    app = make_app(state=store)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "cannot be saved" in text
        await pilot.press("s", "r")
        await pilot.pause()
        assert "Not saved" in screen_text(app)
        assert app.is_running
    assert paths.state_file.read_text(encoding="utf-8") == "papers: [not, a, mapping\n"


# -- look and size -------------------------------------------------------------------


async def test_resize_small_and_back_never_crashes() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.main.has_class("-narrow")
        for size in ((40, 10), (20, 5), (200, 50), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.press("j", "b")
            await pilot.press("b")
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert app.main.has_class("-wide")
        assert "Diffusion Transformers for Video Generation at Scale" in screen_text(app)


async def test_ctrl_t_switches_theme_and_it_is_remembered() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "digest-dark"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "digest-light"
    again = make_app()
    async with again.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "digest-light"


async def test_no_color_starts_on_an_ansi_theme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"
        assert app.no_color


async def test_palette_exports_the_current_list(tmp_path: Path) -> None:
    pytest.importorskip("reader.export")
    app = make_app()
    target = tmp_path / "out.bib"
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export")
        await until(pilot, lambda: "Export" in screen_text(app), "the palette lists Export")
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        from textual.widgets import Input, OptionList

        formats = dialog.query_one(OptionList)
        names = [str(formats.get_option_at_index(i).id) for i in range(formats.option_count)]
        formats.highlighted = names.index("bibtex")
        path = dialog.query_one(Input)
        path.value = str(target)
        path.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert target.is_file() and "2508.10001" in target.read_text(encoding="utf-8")
        assert "out.bib" in screen_text(app) and "Exported 8 papers" in screen_text(app)


async def test_index_builds_in_the_background(xdg: dict[str, Path]) -> None:
    from reader.search.index import SearchIndex

    paths = Paths.from_env()
    app = make_app(index=SearchIndex(paths.index_dir))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        assert len(app.main.papers.papers) == 8  # the list shows before the index is ready
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("slash", *"sparse", "enter")
        await pilot.pause()
        assert [p.id for p in app.main.papers.papers] == ["2508.09001"]


async def test_list_is_a_line_api_view() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        plist = app.main.papers
        assert isinstance(plist, PaperList)
        assert plist.virtual_size.height == 8 + 3  # 8 papers, a row above each of 3 days
        assert len(plist.children) == 0


def test_docs_keys_lists_every_command() -> None:
    from reader.tui.commands import COMMANDS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "keys.md").read_text(encoding="utf-8")
    missing = [c.id for c in COMMANDS if f"`{c.id}`" not in doc]
    assert missing == []


async def test_palette_titles_are_plain_text() -> None:
    config = Config(saved_searches={"[/]odd [b]name": "diffusion"})
    app = make_app(config)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"odd")
        await until(pilot, lambda: "Saved search: [/]odd" in screen_text(app), "the palette match")
        assert "Saved search: [/]odd [b]name" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "Saved: [/]odd [b]name · 2 papers" in screen_text(app)


async def test_a_large_library_paints_its_newest_papers_first_then_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reader.library as library

    monkeypatch.setattr(library, "SNAPSHOT_HEAD", 2)
    paths = Paths.from_env()
    open_library(paths, Config(), extra=[FIXTURE])  # a warm start has a snapshot
    partial = open_library(paths, Config(), extra=[FIXTURE], partial=True)
    assert len(partial.papers) == 2
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    app = DigestApp(Session(paths, Config(), library=partial, state=state), clock=lambda: FROZEN)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        first = current_id(app)
        await pilot.pause(1.0)  # the rest is read after the first paint
        assert len(app.main.papers.papers) == 8
        assert current_id(app) == first
        assert "8 papers" in screen_text(app)
        await pilot.press("slash", *"diffusion")
        await searched(pilot, app)
        assert len(app.main.papers.papers) == 2  # search covers the whole library


async def test_counts_that_are_estimates_say_about() -> None:
    """Without an index the scan answers; its counts are exact except for a
    typo-tolerant word~, which the status line and the sidebar call "about"."""
    config = Config(saved_searches={"typo": "difusion~", "plain": "diffusion"})
    app = make_app(config)
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"difusion~")
        await searched(pilot, app)
        assert "Search: difusion~ · about 2 papers" in screen_text(app)
        await pilot.press("escape", "escape", "b")
        await until(pilot, lambda: "typo about 2" in screen_text(app), "the sidebar's saved counts")
        assert "plain 2" in screen_text(app)


async def test_help_and_palette_show_the_keys_an_action_lost_to_the_keymap() -> None:
    app = make_app(Config(keymap={"star": "j,g"}))
    async with app.run_test(notifications=True, size=(100, 80)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        lines = screen_text(app).splitlines()

        def row(words: str) -> str:
            return next(line for line in lines if words in line).split(words)[0]

        assert row("Next paper").split()[-1] == "↓"  # j went to Star
        assert row("The first paper").split()[-1] == "Home"  # g too
        assert row("Star or unstar").split()[-2:] == ["j,", "g"]
        assert row("Export the current list").strip().endswith("Ctrl+P → Export")
        assert row("Switch to the next theme").strip().endswith("Ctrl+T")
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"First")
        await pilot.pause()
        await pilot.pause()
        text = screen_text(app)
        assert "(key: Home)" in text and "(key: g, Home)" not in text


async def test_query_help_wraps_under_its_own_column_at_80_columns() -> None:
    app = make_app()
    async with app.run_test(notifications=True, size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        at = next(i for i, line in enumerate(lines) if '"exact phrase"' in line)
        column = lines[at].index("words in this order")
        follow = lines[at + 1]
        assert follow[:column].strip(" │") == ""  # the wrapped part starts under its column
        assert follow[column:].startswith("word~  typo-tolerant")  # an item is kept whole
