"""The Session: one place that makes the library, the state and search for
the CLI and the app, each when first needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.search.engine import Hit
from reader.session import Session

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tui"
REPO = Path(__file__).resolve().parent.parent


def session(**kw: object) -> Session:
    return Session(Paths.from_env(), Config(), extra=[FIXTURE], **kw)  # type: ignore[arg-type]


def test_the_library_is_read_once_when_first_asked() -> None:
    s = session()
    assert not s.has_library
    seen: list[tuple[int, int]] = []
    lib = s.read_library(progress=lambda done, total, _f: seen.append((done, total)))
    assert seen and seen[-1] == (3, 3)  # three digest files
    assert s.library is lib and s.has_library
    assert s.read_library(progress=lambda *_: seen.append((-1, -1))) is lib  # not read again
    assert len(lib.papers) == 8


def test_papers_for_keeps_the_hits_order_and_skips_papers_that_left() -> None:
    s = session()
    hits = [Hit("2508.10001", 2.0), Hit("gone", 1.5), Hit("2508.08001", 1.0)]
    assert [p.id for p in s.papers_for(hits)] == ["2508.10001", "2508.08001"]
    assert s.paper("2508.09003") is not None and s.paper("nope") is None


def test_search_count_and_similar_answer_over_the_library_without_an_index() -> None:
    s = session()
    assert s.index is None and not s.wants_index
    result = s.search("diffusion")
    assert {h.id for h in result.hits} == {"2508.09003", "2508.10001"}
    assert s.count("diffusion").n == 2
    assert s.search("diffusion", limit=1).total == 2
    similar = [h.id for h in s.similar("2508.10001", 5)]
    assert "2508.10001" not in similar and similar


def test_the_state_is_the_users_and_search_sees_a_star_at_once() -> None:
    s = session()
    s.state.set_starred(["2508.08002"], True)
    assert [h.id for h in s.search("is:starred").hits] == ["2508.08002"]
    # a new session over the same files reads the star back
    assert session().state.get("2508.08002").starred


def test_a_library_read_again_gets_a_new_searcher_a_given_one_stays() -> None:
    s = session()
    first = s.searcher
    paths = Paths.from_env()
    s.replace_library(open_library(paths, Config(), extra=[FIXTURE / "2025-08-18.yaml"]))
    assert s.searcher is not first
    assert s.count("").n == 2  # the searcher is over the new library

    given = session(searcher=first)
    given.replace_library(open_library(paths, Config(), extra=[FIXTURE / "2025-08-18.yaml"]))
    assert given.searcher is first  # a test's or a benchmark's own engine is kept


def test_the_index_is_synced_then_searched_and_can_be_dropped(tmp_path: Path) -> None:
    s = session(index_folder=tmp_path / "index")
    assert s.wants_index
    report = s.sync_index()
    assert report is not None and not report.error and report.total == 8
    assert s.index is not None
    assert s.count("transformers").n == s.search("transformers").total
    s.drop_index()
    assert s.index is None and not s.wants_index
    assert s.count("diffusion").n == 2  # still answers, by scanning


def test_export_writes_the_users_tags() -> None:
    s = session()
    s.state.add_tags(["2508.09001"], ["to-read"])
    paper = s.paper("2508.09001")
    assert paper is not None
    text = s.export([paper], "json")
    assert '"to-read"' in text and "Sparse Attention" in text
    assert "@misc{" in s.bibtex(paper)
    with pytest.raises(ValueError):
        s.export([paper], "docx")


def test_reading_a_paper_loads_neither_the_index_nor_textual() -> None:
    """What ``digest-reader show`` pays for: config, library, state."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from reader.session import Session\n"
        f"s = Session(extra=[Path({str(FIXTURE)!r})], lazy_state=True)\n"
        "p = s.paper('2508.09001')\n"
        "print(p is not None, s.state.get(p.id).starred)\n"
        "print(sorted(m for m in ('whoosh', 'numpy', 'textual') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split("\n")
    assert out[:2] == ["True False", "[]"]


def test_export_file_into_a_folder_or_a_named_file(tmp_path: Path) -> None:
    s = session()
    papers = s.papers_for([Hit("2508.09001", 1.0), Hit("2508.10001", 1.0)])
    written = s.export_file(papers, "bibtex", tmp_path)
    assert written == tmp_path / "digest-export.bib"
    assert written.read_text(encoding="utf-8").count("@misc{") == 2
    named = s.export_file(papers, "md", tmp_path / "new" / "week.md")
    assert named == tmp_path / "new" / "week.md" and "Sparse Attention" in named.read_text()
    with pytest.raises(ValueError):
        s.export_file(papers, "docx", tmp_path / "x.docx")
    assert not (tmp_path / "x.docx").exists()
