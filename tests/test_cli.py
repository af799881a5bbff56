"""The command line, as a script would use it: output, exit status, what is kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reader.cli import main
from reader.paths import Paths

DIGEST = """\
title: CLI test digest
date: 2025-08-21
papers:
  - id: "2508.10001"
    title: Sparse Attention for Long Documents
    authors: [Grace Hopper]
    abstract: We make attention sparse so long documents fit.
    links: {abs: https://arxiv.org/abs/2508.10001}
    upvotes: 12
  - id: "2508.10002"
    title: Diffusion Models for Protein Design
    authors: [Rosalind Franklin]
    abstract: A diffusion model designs proteins.
    links: {abs: https://arxiv.org/abs/2508.10002, code: https://github.com/x/protein}
    upvotes: 40
"""

OLDER = """\
title: CLI test digest
date: 2025-08-20
papers:
  - id: "2508.09001"
    title: An Older Paper on Retrieval
    abstract: Retrieval, the day before.
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
    (folder / "2025-08-20.yaml").write_text(OLDER, encoding="utf-8")
    return folder


def test_search_json_has_the_promised_fields(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    code, out, _ = run(capsys, "search", "diffusion", str(digests), "--json")
    assert code == 0
    hits = json.loads(out)
    assert [h["id"] for h in hits] == ["2508.10002"]
    assert {"id", "title", "date", "score", "starred", "tags", "url"} <= set(hits[0])
    assert hits[0]["url"] == "https://arxiv.org/abs/2508.10002"


def test_empty_query_lists_everything_newest_first(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    code, out, _ = run(capsys, "search", "", str(digests), "--json")
    assert code == 0
    dates = [h["date"] for h in json.loads(out)]
    assert len(dates) == 3 and dates == sorted(dates, reverse=True)


def test_star_then_show_and_search_report_it(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    assert run(capsys, "star", "2508.10001v2", "--path", str(digests))[0] == 0
    code, out, _ = run(capsys, "show", "2508.10001", str(digests), "--json")
    assert code == 0 and json.loads(out)["starred"] is True
    _, out, _ = run(capsys, "search", "is:starred", str(digests), "--json")
    assert [h["id"] for h in json.loads(out)] == ["2508.10001"]
    assert run(capsys, "unstar", "2508.10001", "--path", str(digests))[0] == 0
    _, out, _ = run(capsys, "show", "2508.10001", str(digests), "--json")
    assert json.loads(out)["starred"] is False


def test_tags_and_notes_are_kept(capsys: pytest.CaptureFixture[str], digests: Path) -> None:
    assert run(capsys, "tag", "2508.10002", "bio", "to-read", "--path", str(digests))[0] == 0
    assert run(capsys, "untag", "2508.10002", "to-read", "--path", str(digests))[0] == 0
    assert (
        run(capsys, "note", "2508.10002", "Check the *ablation*.", "--path", str(digests))[0] == 0
    )
    _, out, _ = run(capsys, "show", "2508.10002", str(digests), "--json")
    shown = json.loads(out)
    assert shown["tags"] == ["bio"]
    assert shown["note"] == "Check the *ablation*."
    _, out, _ = run(capsys, "search", "tag:bio", str(digests), "--json")
    assert [h["id"] for h in json.loads(out)] == ["2508.10002"]


def test_unknown_id_fails_with_a_message(capsys: pytest.CaptureFixture[str], digests: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["star", "9999.99999", "--path", str(digests)])
    assert exc.value.code == 1
    assert "no paper with id '9999.99999'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "query", ["NOT NOT NOT a", '"unterminated', "title:", "(((" * 3000, "date:2025-13-45"]
)
def test_bad_queries_exit_2_with_a_short_message(
    capsys: pytest.CaptureFixture[str], digests: Path, query: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["search", query, str(digests), "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("digest-reader: invalid query:")
    assert "Traceback" not in err and len(err) < 300


def test_check_names_file_and_line_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, digests: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\npapers:\n  - id: '1'\n    title: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", str(bad))
    assert code == 1
    assert f"{bad}:" in out and "problem" in out
    assert any(
        line.startswith(f"{bad}:") and line.split(":")[1].strip().isdigit()
        for line in out.splitlines()
    )
    code, out, _ = run(capsys, "check", str(digests))
    assert code == 0
    assert "yaml, 2 papers, ok" in out


def test_add_copies_into_the_library(capsys: pytest.CaptureFixture[str], digests: Path) -> None:
    code, out, _ = run(capsys, "add", str(digests / "2025-08-21.yaml"))
    assert code == 0 and "2 papers added" in out
    assert (Paths.from_env().library_dir / "2025-08-21.yaml").is_file()
    _, out, _ = run(capsys, "search", "sparse attention", "--json")
    assert [h["id"] for h in json.loads(out)] == ["2508.10001"]
    code, out, _ = run(capsys, "add", str(digests / "2025-08-21.yaml"))
    assert "already in the library" in out


def test_export_bibtex_to_a_file(
    capsys: pytest.CaptureFixture[str], digests: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.bib"
    code, _, err = run(
        capsys,
        "export",
        "has:code",
        "--format",
        "bibtex",
        "-o",
        str(target),
        "--path",
        str(digests),
    )
    assert code == 0 and "wrote 1 papers" in err
    text = target.read_text(encoding="utf-8")
    assert "eprint = {2508.10002}" in text.replace("  ", " ")
    assert text.count("@") == 1


def test_saved_search_from_the_config(capsys: pytest.CaptureFixture[str], digests: Path) -> None:
    cfg = Paths.from_env().config_file
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("saved_searches:\n  popular: 'upvotes:>20'\n", encoding="utf-8")
    _, out, _ = run(capsys, "search", "--saved", "popular", str(digests), "--json")
    assert [h["id"] for h in json.loads(out)] == ["2508.10002"]
    with pytest.raises(SystemExit) as exc:
        main(["search", "--saved", "nope", str(digests)])
    assert exc.value.code == 2


def test_seed_page_influence_functions_rank_first(
    capsys: pytest.CaptureFixture[str], seed: Path
) -> None:
    code, out, _ = run(capsys, "search", "influence functions", str(seed), "--json")
    assert code == 0
    titles = [h["title"] for h in json.loads(out)][:2]
    assert sorted(titles) == [
        "InfFeed: Influence Functions as a Feedback to Improve the Performance of Subjective Tasks",
        "Studying Large Language Model Generalization with Influence Functions",
    ]


def test_seed_page_titles_come_back_exactly(capsys: pytest.CaptureFixture[str], seed: Path) -> None:
    lines = [ln for ln in seed.read_text(encoding="utf-8").splitlines() if ln.strip()]
    start = lines.index("Aug 21") + 1
    expected = lines[start::2]
    assert len(expected) == 54
    _, out, _ = run(capsys, "search", "", str(seed), "--json", "--limit", "100")
    assert sorted(h["title"] for h in json.loads(out)) == sorted(expected)


def test_python_dash_m_reader_runs_the_same_cli(digests: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reader", "search", "protein", str(digests), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert [h["id"] for h in json.loads(out.stdout)] == ["2508.10002"]


def test_a_missing_path_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nope.yaml")])
    assert exc.value.code == 2
    assert "nope.yaml: no such file or folder" in capsys.readouterr().err


def test_file_names_with_escapes_reach_the_terminal_inert(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "x\x1b]0;PWNED\x07.yaml"
    hostile.write_text("papers: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", str(hostile))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    # the complete OSC sequence is removed; the rest of the name still shows
    assert "PWNED" not in out and "/x.yaml: yaml, 0 papers, 1 problem" in out
    code, out, _ = run(capsys, "add", str(hostile))
    assert "\x1b" not in out and "\x07" not in out


def test_search_count_on_a_terminal_is_exact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "N of M papers" counts every match, also past --limit, for every query
    shape (Whoosh's own count with a limit is an estimate: 2 x for a OR a*)."""
    rows = "\n".join(
        f'  - id: "2508.2{i:04d}"\n    title: Graph{"s" if i % 2 else ""} study {i}\n'
        f"    abstract: Lanterns {'graph' if i % 3 else 'tree'}."
        for i in range(1, 1201)
    )
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "2025-08-21.yaml").write_text(
        f"title: many\ndate: 2025-08-21\npapers:\n{rows}\n", encoding="utf-8"
    )
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    for query, total in (
        ("graph OR graph*", "1,200 papers"),
        ("title:graph", "1,200 papers"),
        ("title:gra*", "1,200 papers"),
        ('"study 1"', "1 paper"),
        ("abstract:tree", "400 papers"),
        ("graph -abstract:tree", "800 papers"),
    ):
        code, out, err = run(capsys, "search", query, str(folder), "--limit", "3")
        assert code == 0 and len(out.splitlines()) == min(3, int(total.split()[0].replace(",", "")))
        assert err.splitlines()[-1].endswith(f" of {total}"), (query, err)


def test_search_finds_tex_accents_as_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "tex"
    folder.mkdir()
    (folder / "2025-08-21.yaml").write_text(
        "title: tex\ndate: 2025-08-21\npapers:\n"
        '  - id: "2508.30001"\n'
        "    title: Poincar\\'e maps for diffusion\n"
        "    authors: ['J. M\\\"uller', 'K. Schr{\\\"o}dinger']\n"
        "    abstract: Plain.\n",
        encoding="utf-8",
    )
    for query in ("poincare", "poincaré", "author:muller", "author:müller", "schrödinger"):
        code, out, _ = run(capsys, "search", query, str(folder), "--json")
        assert code == 0 and [p["id"] for p in json.loads(out)] == ["2508.30001"], query
