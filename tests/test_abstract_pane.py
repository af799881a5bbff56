"""The abstract pane, as a user sees it at 80x24: the AI summary beside the
abstract, the keywords kept to two lines, a mark for a note, arXiv's comments
and each newsletter's own words under its name."""

from __future__ import annotations

from pathlib import Path

import yaml

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.session import Session
from reader.state import StateStore
from reader.tui.app import DigestApp

FROZEN = 1755604800.0
KEYWORDS = [f"keyword number {n} about diffusion" for n in range(1, 16)]

DIGEST = {
    "title": "Hugging Face Daily Papers",
    "date": "2025-06-25",
    "papers": [
        {
            "id": "2506.19851",
            "title": "AnimaX: Animating the Inanimate",
            "authors": ["Zehuan Huang"],
            "abstract": "We present AnimaX, a feed-forward 3D animation framework.",
            "ai_summary": "AnimaX animates any skeleton with video diffusion priors.",
            "tags": KEYWORDS,
            "comment": "SCIA 2025",
            "journal_ref": "Proc. SCIA 2025, pp. 1-12",
        }
    ],
}

NEWSLETTER = """\
# ML Papers of The Week

## Top ML Papers of the Week (June 23 - June 29) - 2025

| **Paper** | **Links** |
| ------------- | ------------- |
| 1) **AnimaX** - The newsletter retells it: skeletons dance. | [Paper](http://arxiv.org/abs/2506.19851) |
| 2) **Only Here** - Known from the newsletter alone. | [Paper](https://arxiv.org/abs/2506.00002) |
"""


def _app(tmp_path: Path, note: str = "") -> DigestApp:
    """The app over a day of HF-like papers and a newsletter, at 80x24."""
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-06-25.yaml").write_text(yaml.safe_dump(DIGEST), encoding="utf-8")
    (folder / "potw.md").write_text(NEWSLETTER, encoding="utf-8")
    paths = Paths.from_env()
    library = open_library(paths, Config(), extra=[folder], use_cache=False)
    state = StateStore(paths.state_file, clock=lambda: FROZEN)
    state.load()
    if note:
        state.set_note("2506.19851", note)
    return DigestApp(Session(paths, Config(), library=library, state=state), clock=lambda: FROZEN)


def _pane_lines(app: DigestApp) -> list[str]:
    pane = app.main.abstract
    pane.show(pane.paper, app.state.get(pane.paper.id) if pane.paper else None)
    height = pane.virtual_size.height
    return [pane._strips[y].text.rstrip() for y in range(height)]


async def _show(app: DigestApp, pid: str) -> list[str]:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(10):
            if app.main.papers.current is not None and app.main.papers.current.id == pid:
                break
            await pilot.press("j")
            await pilot.pause()
        assert app.main.abstract.paper is not None and app.main.abstract.paper.id == pid
        return _pane_lines(app)


async def test_the_ai_summary_shows_beside_the_abstract(tmp_path: Path) -> None:
    lines = await _show(_app(tmp_path), "2506.19851")
    text = "\n".join(lines)
    assert "AI summary: AnimaX animates any skeleton with video diffusion priors." in text
    assert "We present AnimaX, a feed-forward 3D animation framework." in text
    assert text.index("AI summary:") < text.index("We present AnimaX")


async def test_keywords_take_at_most_two_lines_at_80_columns(tmp_path: Path) -> None:
    lines = await _show(_app(tmp_path), "2506.19851")
    tag_lines = [ln for ln in lines if "keyword number" in ln]
    assert len(tag_lines) == 2
    assert tag_lines[-1].endswith("…")
    assert "keyword number 1 about diffusion" in tag_lines[0]


async def test_a_paper_with_a_note_is_marked_in_the_pane_header(tmp_path: Path) -> None:
    lines = await _show(_app(tmp_path, note="read the appendix"), "2506.19851")
    header = lines[: lines.index("") if "" in lines else 6]
    assert any("✎ note" in ln for ln in header)
    # a paper without a note has no mark
    folder = tmp_path / "digests"
    library = open_library(Paths.from_env(), Config(), extra=[folder], use_cache=False)
    state = StateStore(Paths.from_env().state_file)
    state.load()
    other = DigestApp(Session(Paths.from_env(), Config(), library=library, state=state))
    assert not any("✎ note" in ln for ln in await _show(other, "2506.00002"))


async def test_comments_and_newsletter_words_are_shown_apart(tmp_path: Path) -> None:
    lines = await _show(_app(tmp_path), "2506.19851")
    assert "Comments: SCIA 2025" in lines
    assert "Journal ref: Proc. SCIA 2025, pp. 1-12" in lines
    at = lines.index("Summary · ML Papers of The Week")
    assert "The newsletter retells it: skeletons dance." in lines[at + 1]
    assert not any("Comments:" in ln for ln in lines[: lines.index("Comments: SCIA 2025")])


async def test_a_paper_known_only_from_a_newsletter_says_whose_words_it_shows(
    tmp_path: Path,
) -> None:
    lines = await _show(_app(tmp_path), "2506.00002")
    at = lines.index("Summary · ML Papers of The Week")
    assert lines[at + 1] == "Known from the newsletter alone."
    assert lines.count("Known from the newsletter alone.") == 1
