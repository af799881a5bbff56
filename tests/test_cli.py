"""The command line, as a script would use it: output, exit status, what is kept."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reader.cli import COMMANDS, PLAIN_COLUMNS, build_parser, main
from reader.library import remember_sources
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
    assert code == 0 and "wrote 1 paper to" in err
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


# --------------------------------------------------------------------------- mistakes


def _exit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in process: any exception but SystemExit fails the test."""
    try:
        code = main([*args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _mistakes(tmp: Path, digests: Path) -> list[tuple[list[str], int]]:
    empty = tmp / "empty"
    empty.mkdir(exist_ok=True)
    gone = str(tmp / "nonexistent" / "dir")
    d = str(digests)
    return [
        (["search", "x", "--limit", "0"], 2),
        (["search", "x", "--limit", "-3"], 2),
        (["search", "x", "--limit", "many"], 2),
        (["search", "x", gone], 2),
        (["search", "x", "--path", gone], 2),
        (["search", "date:2025-13-45", d], 2),
        (["search", "--saved", "nope", d], 2),
        (["show"], 2),
        (["show", "2508.10001", "--path", gone], 2),
        (["show", "t:nothing", "--path", d], 1),
        (["similar", "2508.10001", "--limit", "0", d], 2),
        (["star"], 2),
        (["star", "t:nothing", "--path", d], 1),
        (["unstar", "2508.10001", "--path", gone], 2),
        (["read", "t:nothing", "--path", d], 1),
        (["unread", "--path", d], 2),
        (["tag", "2508.10001", " ", "--path", d], 2),
        (["untag", "2508.10001"], 2),
        (["note", "2508.10001", "text", "--clear", "--path", d], 2),
        (["note", "t:nothing", "--path", d], 1),
        (["export", "x", "-f", "json", "-o", f"{gone}/x.json", "--path", d], 2),
        (["export", "x", "-f", "json", "-o", str(tmp), "--path", d], 2),
        (["export", "-f", "docx", "--path", d], 2),
        (["export", "title:", "--path", d], 2),
        (["check", gone], 2),
        (["check"], 2),
        (["check", str(empty)], 2),
        (["add", d], 2),
        (["add", gone], 2),
        (["index", gone], 2),
        (["state", "merge"], 2),
        (["state", "merge", d], 2),
        (["state", "merge", gone], 2),
        (["state", "frob"], 2),
        (["state", "path", "extra"], 2),
        (["sources", "--forget", d], 2),
        (["sources", "--bogus"], 2),
        (["fetch", "--date", "2025-13-45"], 2),
        (["fetch", "--week", "2025-W60"], 2),
        (["fetch", "nosuchsource"], 2),
        (["fetch", "--date", "2025-08-01", "--month", "2025-08"], 2),
        (["doctor", "--bogus"], 2),
        (["completion"], 2),
        (["completion", "tcsh"], 2),
    ]


def test_no_command_prints_a_traceback_for_a_mistake(
    capsys: pytest.CaptureFixture[str], digests: Path, tmp_path: Path
) -> None:
    cases = _mistakes(tmp_path, digests)
    assert {c[0][0] for c in cases} == set(COMMANDS), "every command has a bad-arguments case"
    for argv, status in cases:
        code, out, err = _exit(capsys, *argv)
        assert (code, "Traceback" in err) == (status, False), (argv, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
        assert err.startswith("digest-reader"), (argv, err)


def test_a_note_on_stdin_that_is_not_utf8_is_a_message(
    capsys: pytest.CaptureFixture[str], digests: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9\n"), "utf-8"))
    code, _, err = _exit(capsys, "note", "2508.10001", "-", "--path", str(digests))
    assert code == 2 and "not UTF-8" in err


def test_a_broken_config_or_state_is_one_line(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    paths = Paths.from_env()
    paths.config_file.mkdir(parents=True)  # a folder where the file should be
    code, _, err = _exit(capsys, "search", "x", str(digests))
    assert code == 1 and "Traceback" not in err and len(err.splitlines()) == 1
    paths.config_file.rmdir()
    paths.state_file.mkdir(parents=True)
    code, _, err = _exit(capsys, "star", "2508.10001", "--path", str(digests))
    assert code == 1 and "Traceback" not in err and len(err.splitlines()) == 1


def test_export_into_a_folder_says_so_from_a_real_process(tmp_path: Path, digests: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reader", "export", "x", "-f", "json", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        f"digest-reader: {tmp_path}: is a folder; give a file name, such as {tmp_path}/papers.json\n"
    )


# --------------------------------------------------------------------------- --path


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "sparse"],
        ["show", "2508.10001"],
        ["similar", "2508.10001"],
        ["star", "2508.10001"],
        ["unstar", "2508.10001"],
        ["read", "2508.10001"],
        ["unread", "2508.10001"],
        ["tag", "2508.10001", "x"],
        ["untag", "2508.10001", "x"],
        ["note", "2508.10001", "hello"],
        ["export", "sparse", "-f", "json"],
        ["index"],
    ],
)
def test_every_command_that_reads_the_library_takes_path(
    capsys: pytest.CaptureFixture[str], digests: Path, argv: list[str]
) -> None:
    code, out, err = _exit(capsys, *argv, "--path", str(digests / "2025-08-21.yaml"), "--path",
                           str(digests / "2025-08-20.yaml"))  # fmt: skip
    # a change says what it did on stderr; nothing is a warning or an error
    assert code == 0 and "digest-reader:" not in err
    if argv[0] in ("search", "show", "export"):
        assert "Sparse Attention" in out


def test_an_unknown_id_names_where_it_looked_and_suggests_path(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    code, _, err = _exit(capsys, "star", "t:abc", "--path", str(digests))
    assert code == 1
    assert str(digests) in err and str(Paths.from_env().library_dir) not in err
    assert "3 papers" in err and "--path PATH" in err
    code, _, err = _exit(capsys, "show", "t:abc")
    assert "the bundled sample digests" in err and "--path PATH" in err


# --------------------------------------------------------------------------- help and output


def test_every_argument_has_help_and_every_command_an_example() -> None:
    parser, commands = build_parser()
    assert parser.format_usage().startswith("usage: digest-reader [PATH ...]")
    assert set(commands) == set(COMMANDS)
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, action.dest
    for name, p in commands.items():
        for action in p._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
        text = p.format_help()
        assert any(
            f"{before}digest-reader {name}" in text for before in ("example:\n  ", "| ", "&& ")
        ), name


def test_plain_output_is_one_tab_separated_line_per_paper(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    run(capsys, "star", "2508.10002", "--path", str(digests))
    run(capsys, "read", "2508.10002", "--path", str(digests))
    run(capsys, "tag", "2508.10002", "bio", "cite", "--path", str(digests))
    code, out, _ = run(capsys, "search", "", "--path", str(digests))
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and len(rows) == 3 and {len(r) for r in rows} == {len(PLAIN_COLUMNS)}
    assert PLAIN_COLUMNS[:3] == ("id", "date", "title")
    by_id = {r[0]: r for r in rows}
    assert by_id["2508.10002"] == [
        "2508.10002",
        "2025-08-21",
        "Diffusion Models for Protein Design",
        "starred,read",
        "bio,cite",
        "https://arxiv.org/abs/2508.10002",
    ]
    assert by_id["2508.09001"][3:5] == ["", ""]


LATEX = """\
title: LaTeX digest
date: 2024-06-21
papers:
  - id: "2406.14347"
    title: '$\\nabla^2$DFT: A Universal Quantum Chemistry Dataset'
    authors: [Kuzma Khrabrov]
    abstract: |
      Errors of $\\mathcal{O}(n^2)$ in Poincar\\'e maps.
"""


def test_latex_is_shown_rendered_and_raw_on_request(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "latex.yaml"
    f.write_text(LATEX, encoding="utf-8")
    _, out, _ = run(capsys, "search", "", str(f))
    assert out.split("\t")[2] == "∇²DFT: A Universal Quantum Chemistry Dataset"
    _, out, _ = run(capsys, "search", "", str(f), "--raw")
    assert out.split("\t")[2] == "$\\nabla^2$DFT: A Universal Quantum Chemistry Dataset"
    _, out, _ = run(capsys, "show", "2406.14347", str(f))
    assert out.startswith("∇²DFT") and "𝒪(n²) in Poincaré maps." in out
    _, out, _ = run(capsys, "show", "2406.14347", str(f), "--raw")
    assert "$\\mathcal{O}(n^2)$" in out
    _, out, _ = run(capsys, "show", "2406.14347", str(f), "--json")
    assert json.loads(out)["title"].startswith("$\\nabla^2$DFT")  # JSON: the stored text


def test_counts_agree_with_their_number(
    capsys: pytest.CaptureFixture[str], digests: Path, tmp_path: Path
) -> None:
    _, out, _ = run(capsys, "check", str(digests / "2025-08-20.yaml"))
    assert "yaml, 1 paper, ok" in out and "1 file, 1 paper read, 0 problems" in out
    _, out, _ = run(capsys, "add", str(digests / "2025-08-20.yaml"))
    assert "1 paper added" in out
    _, _, err = run(capsys, "export", "retrieval", "-o", str(tmp_path / "x.bib"))
    assert "wrote 1 paper to" in err
    _, out, _ = run(capsys, "index")
    assert out.startswith("1 paper from 1 file;")


def test_export_leaves_notes_out_unless_asked(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    run(capsys, "note", "2508.10001", "my private thought", "--path", str(digests))
    for fmt in ("bibtex", "json", "markdown"):
        _, out, _ = run(capsys, "export", "sparse", "-f", fmt, "--path", str(digests))
        assert "Sparse Attention" in out and "private thought" not in out
        _, out, _ = run(
            capsys, "export", "sparse", "-f", fmt, "--with-notes", "--path", str(digests)
        )
        assert "private thought" in out


# --------------------------------------------------------------------------- check


def test_check_sums_up_a_folder_and_quiet_prints_only_problems(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    (digests / "bad.yaml").write_text("papers: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, "check", str(digests))
    assert code == 1
    assert (
        out.splitlines()[-1]
        == "3 files, 3 papers read (a paper in two files counts twice), 1 problem"
    )
    code, out, _ = run(capsys, "check", str(digests), "--quiet")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{digests / 'bad.yaml'}:")
    (digests / "bad.yaml").unlink()
    code, out, _ = run(capsys, "check", "-q", str(digests))
    assert (code, out) == (0, "")


# --------------------------------------------------------------------------- sources


def test_sources_lists_where_papers_come_from_and_forgets_one(
    capsys: pytest.CaptureFixture[str], digests: Path, tmp_path: Path
) -> None:
    paths = Paths.from_env()
    other = tmp_path / "other"
    other.mkdir()
    remember_sources(paths, [digests, other])
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(f"library: [{tmp_path / 'configured'}]\n", encoding="utf-8")
    code, out, _ = run(capsys, "sources")
    assert code == 0
    assert out.splitlines() == [
        f"{paths.library_dir}\tadded\tnot created yet",
        f"{tmp_path / 'configured'}\tconfig\tmissing",
        f"{digests.resolve()}\tremembered\tok",
        f"{other.resolve()}\tremembered\tok",
    ]
    _, out, _ = run(capsys, "search", "", "--json")
    assert len(json.loads(out)) == 3  # a remembered folder is read with the library
    other.rmdir()  # a folder gone from the disk can still be forgotten
    assert run(capsys, "sources", "--forget", str(other))[0] == 0
    code, out, _ = run(capsys, "sources", "--forget", str(digests))
    assert code == 0 and out.startswith(f"forgot {digests.resolve()}")
    _, out, _ = run(capsys, "sources")
    assert "remembered" not in out
    code, _, err = _exit(capsys, "sources", "--forget", str(tmp_path / "configured"))
    assert code == 2 and "config" in err


def test_state_merge_says_what_it_did_in_agreeing_words(
    capsys: pytest.CaptureFixture[str], digests: Path, tmp_path: Path
) -> None:
    from reader.state import StateStore

    other = StateStore(tmp_path / "other.yaml")
    other.load()
    other.set_starred(["2508.10001"], True)
    code, out, _ = run(capsys, "state", "merge", str(tmp_path / "other.yaml"))
    assert code == 0 and out.startswith("1 paper changed (1 new), 1 field")
    code, out, _ = run(capsys, "state", "merge", str(tmp_path / "other.yaml"))
    assert out == "nothing to merge (1 paper already up to date)\n"


def test_a_query_of_several_words_without_quotes_gets_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _exit(capsys, "search", "sparse", "attention")
    assert code == 2
    assert "attention: no such file or folder (quote a query of several words)" in err


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
