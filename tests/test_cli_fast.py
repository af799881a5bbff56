"""A command over an unchanged library does only what its answer needs
(issue 13: a CLI command in 300 ms at 100k papers, process start included):
no paper's index hash decoded, no column of every paper read for a search
by relevance, and none of the modules other commands need imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reader.catalog import Catalog
from reader.cli import main
from reader.search.index import hashes
from tests.threads import threads_calling


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


def _day(folder: Path, day: str, ids: range, title: str = "Agents number") -> None:
    (folder / f"{day}.yaml").write_text(
        f"date: {day}\npapers:\n"
        + "".join(
            f"  - id: '2508.{i:05d}'\n    title: {title} {i}\n    abstract: Agents plan.\n"
            for i in ids
        ),
        encoding="utf-8",
    )


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    """Three days of papers that all score alike for ``agents``: their order
    is the tie rule's (newer day first, then id)."""
    folder = tmp_path / "digests"
    folder.mkdir()
    _day(folder, "2025-08-19", range(0, 20))
    _day(folder, "2025-08-21", range(20, 40))
    _day(folder, "2025-08-20", range(40, 60))
    return folder


def test_a_search_over_the_library_the_index_holds_decodes_no_paper_hash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """The index's paper hashes (one per paper) are compared only when the
    library changed; over the library the index holds, a search needs only
    how many there are: no id of the hash pieces is read."""
    assert run(capsys, "index", str(digests))[0] == 0
    found = threads_calling(monkeypatch, hashes._Mapped, "find")
    listed = threads_calling(monkeypatch, hashes._Mapped, "ids")
    code, out, _ = run(capsys, "search", "agents", str(digests), "--limit", "5")
    assert code == 0 and len(out.splitlines()) == 5
    assert found == listed == []
    # The seam counts: a changed library compares the hashes (and finds the new paper).
    _day(digests, "2025-08-22", range(60, 61), title="Planners")
    code, out, _ = run(capsys, "search", "planners", str(digests))
    assert code == 0 and out.startswith("2508.00060\t2025-08-22\tPlanners 60")
    assert found + listed != []


def test_a_search_by_relevance_reads_no_column_of_every_paper(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """Every match of a word, or its best 20, ranked by the index: equal
    scores newer day first, then id, from the hits' own keys in the
    catalog, not from a query over every paper's columns."""
    assert run(capsys, "index", str(digests))[0] == 0
    columns = threads_calling(monkeypatch, Catalog, "columns")
    code, out, _ = run(capsys, "search", "agents", str(digests))
    assert code == 0
    ids = [line.split("\t")[0] for line in out.splitlines()]
    newest_first = [*range(20, 40), *range(40, 60), *range(0, 20)]
    assert ids == [f"2508.{i:05d}" for i in newest_first]
    code, out, _ = run(capsys, "search", "agents", str(digests), "--limit", "3")
    assert [line.split("\t")[0] for line in out.splitlines()] == ids[:3]
    assert columns == []


def _modules_of(args: list[str], folder: Path) -> set[str]:
    """The modules a command loads, in a new process (imports are most of
    what a user waits for), after ``index`` made the catalog and the index."""
    code = (
        "import sys, io, contextlib\n"
        "from reader.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main({args!r}) == 0\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(done.stdout.split())


def test_show_star_and_search_import_only_what_they_use(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    """Over an unchanged library no digest is parsed (the parsers, the
    archive readers), no config part is checked that is not there (saved
    searches, a keymap), the file helpers make temporary names without
    ``secrets``; ``show`` and ``star`` need neither numpy nor Whoosh."""
    assert run(capsys, "index", str(digests))[0] == 0
    never = {
        "reader.formats", "reader.formats.archive", "tarfile", "zipfile",
        "difflib", "secrets", "reader.keymap",
    }  # fmt: skip
    for args in (["show", "2508.00001"], ["star", "2508.00001"]):
        loaded = _modules_of([*args, "--path", str(digests)], digests)
        assert "reader.catalog" in loaded
        assert sorted((never | {"numpy", "whoosh", "reader.search.query"}) & loaded) == []
    loaded = _modules_of(["search", "agents", str(digests), "--limit", "5"], digests)
    assert "reader.search.engine" in loaded and "whoosh.reading" in loaded
    assert sorted((never | {"asyncio"}) & loaded) == []  # asyncio: Whoosh's cached_property


def test_a_search_after_a_day_was_added_imports_no_markdown_parser(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    """A day added (JSON Lines, as a fetch or ``add`` writes it) is parsed
    by its format: every format is imported to detect it, but the Markdown
    parser only by the formats that parse Markdown, when they do (0.1-0.2 s
    of a 50-paper day found at a million papers)."""
    assert run(capsys, "index", str(digests))[0] == 0
    (digests / "2025-08-23.jsonl").write_text(
        json.dumps(
            {"id": "2508.00090", "title": "Planners 90", "summary": "Plans.", "authors": ["A"]}
        )
        + "\n",
        encoding="utf-8",
    )
    loaded = _modules_of(["search", "planners", str(digests)], digests)
    assert "reader.formats.arxiv_jsonl" in loaded and "reader.formats.markdown_news" in loaded
    assert sorted(m for m in loaded if m.startswith("markdown_it")) == []


def test_ascii_text_is_made_safe_without_compiling_the_class_of_marks() -> None:
    """``clean`` caps runs of combining marks with a class of every mark
    (~4 ms to compile, at each process start before): ASCII text has none,
    so a command printing it never compiles it; other text still has its
    runs capped."""
    from reader import sanitize

    sanitize._combining_run.cache_clear()
    assert sanitize.clean("A title\n\nAn abstract,\twith a tab.") == (
        "A title\n\nAn abstract,\twith a tab."
    )
    assert sanitize._combining_run.cache_info().currsize == 0
    capped = sanitize.clean("Zalgo e" + "\u0301" * 40)
    assert capped == "Zalgo e" + "\u0301" * sanitize._MAX_COMBINING


def test_a_search_of_words_decodes_no_term_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """The idf of a query's words is their document frequency in each
    segment, looked up in the fast postings' bytes: the list of every term
    (hundreds of thousands at 100k papers, ~30 ms to decode) is not made."""
    from reader.search.index.fast import FastPostings

    assert run(capsys, "index", str(digests))[0] == 0
    decoded: list[int] = []
    real = FastPostings.terms.fget
    assert real is not None

    def counted(fp: FastPostings) -> list[str]:
        decoded.append(1)
        return real(fp)  # type: ignore[no-any-return]

    monkeypatch.setattr(FastPostings, "terms", property(counted))
    code, out, _ = run(capsys, "search", "agents plan", str(digests), "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 3
    assert decoded == []
