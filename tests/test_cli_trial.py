"""The CLI as a new user meets it in the first hour (issue 10's trial): what
each command says when nothing changed, when an argument is missing, when a
file cannot be read; every number grouped, every count said for what it counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.cli import build_parser, main

DIGEST = """\
title: Trial digest
date: 2025-08-21
papers:
  - id: "2508.10001"
    title: Sparse Attention for Long Documents
    authors: [Grace Hopper]
    abstract: We make attention sparse so long documents fit.
    tags: [SFM, NeRF, cs.CV]
"""


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main([*args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("command", ["show", "similar"])
def test_a_missing_id_is_named_alone_not_the_optional_paths(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, _, err = run(capsys, command)
    assert code == 2
    assert "the following arguments are required: id (" in err
    assert "PATH" not in err


def test_no_optional_positional_is_reported_as_required() -> None:
    _, commands = build_parser()
    for name, p in commands.items():
        for action in p._actions:
            if not action.option_strings and action.nargs in ("*", "?"):
                assert not action.required, f"{name} {action.dest}"


def test_every_limit_has_the_same_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, commands = build_parser()
    helps = {
        name: a.help
        for name, p in commands.items()
        for a in p._actions
        if "--limit" in a.option_strings
    }
    assert set(helps) >= {"search", "similar"}
    assert all(
        h is not None and h.startswith("at most N papers (1 or more") for h in helps.values()
    )


# --------------------------------------------------------------------------- show, export, sources


def test_show_labels_the_source_keywords_as_keywords(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    code, out, _ = run(capsys, "show", "2508.10001", str(digests))
    assert code == 0
    assert "Keywords: SFM, NeRF, cs.CV" in out.splitlines()
    assert "Source:" not in out


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("bibtex", "papers.bib"), ("bib", "papers.bib"), ("markdown", "papers.md"),
     ("csv", "papers.csv"), ("yaml", "papers.yaml")],
)  # fmt: skip
def test_export_into_a_folder_suggests_the_formats_extension(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str, name: str
) -> None:
    code, _, err = run(capsys, "export", "-f", fmt, "-o", str(tmp_path))
    assert code == 2
    assert err.strip().endswith(f"such as {tmp_path / name}")


def test_sources_says_the_library_folder_is_empty_not_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reader.paths import Paths

    library = Paths.from_env().library_dir
    code, out, _ = run(capsys, "sources")
    assert code == 0 and out == f"{library}\tadded\tnot created yet\n"
    library.mkdir(parents=True)
    assert run(capsys, "sources")[1] == f"{library}\tadded\tempty\n"
    (library / "2025-08-21.yaml").write_text(DIGEST, encoding="utf-8")
    assert run(capsys, "sources")[1] == f"{library}\tadded\tok\n"


# --------------------------------------------------------------------------- saved searches


def test_a_saved_search_that_does_not_parse_is_said_to_exist(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    from reader.paths import Paths

    config = Paths.from_env().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        'saved_searches:\n  good: "sparse"\n  broken: "title:(sparse"\n', encoding="utf-8"
    )
    code, out, err = run(capsys, "search", "--saved", "broken", str(digests))
    assert code == 2 and out == ""
    last = err.splitlines()[-1]
    assert "'broken' does not parse" in last and "invalid query 'title:(sparse'" in last
    assert "no saved search" not in err
    code, out, err = run(capsys, "search", "--saved", "nosuch", str(digests))
    assert code == 2 and "no saved search named 'nosuch' (saved: good)" in err


# --------------------------------------------------------------------------- what changed


def test_marks_say_what_changed_on_stderr(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    more = ("--path", str(digests))
    assert run(capsys, "star", "2508.10001", *more) == (0, "", "starred 2508.10001\n")
    assert run(capsys, "star", "2508.10001", *more) == (
        0,
        "",
        "nothing changed: 2508.10001 was already starred\n",
    )
    assert run(capsys, "unstar", "2508.10001", *more)[2] == "unstarred 2508.10001\n"
    assert run(capsys, "read", "2508.10001", *more)[2] == "marked 2508.10001 read\n"
    assert run(capsys, "unread", "2508.10001", *more)[2] == "marked 2508.10001 unread\n"
    assert run(capsys, "unread", "2508.10001", *more)[2] == (
        "nothing changed: 2508.10001 was not read\n"
    )


def test_tags_say_what_changed_and_how_a_tag_was_stored(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    more = ("--path", str(digests))
    code, out, err = run(capsys, "tag", "2508.10001", "a b", "", *more)
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "tag 'a b' is stored as 'a-b' (a tag is one word)",
        "'' is not a tag (nothing left once trimmed); left out",
        "tagged 2508.10001: a-b",
    ]
    assert run(capsys, "tag", "2508.10001", "a-b", *more)[2] == (
        "nothing changed: 2508.10001 already has a-b\n"
    )
    assert run(capsys, "untag", "2508.10001", "never", *more)[2] == (
        "nothing changed: 2508.10001 has no tag never\n"
    )
    assert run(capsys, "untag", "2508.10001", "a-b", "never", *more)[2] == (
        "untagged 2508.10001: a-b (2508.10001 has no tag never)\n"
    )


def test_notes_say_what_changed(capsys: pytest.CaptureFixture[str], digests: Path) -> None:
    more = ("--path", str(digests))
    assert run(capsys, "note", "2508.10001", "see section 3", *more)[2] == (
        "saved the note of 2508.10001\n"
    )
    assert run(capsys, "note", "2508.10001", "see section 3", *more)[2] == (
        "nothing changed: the note of 2508.10001 is already that text\n"
    )
    assert run(capsys, "note", "2508.10001", *more)[1] == "see section 3\n"
    assert run(capsys, "note", "2508.10001", "--clear", *more)[2] == (
        "removed the note of 2508.10001\n"
    )
    assert run(capsys, "note", "2508.10001", "--clear", *more)[2] == (
        "nothing changed: 2508.10001 has no note\n"
    )


# --------------------------------------------------------------------------- a broken state


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "sparse"],
        ["show", "2508.10001"],
        ["similar", "2508.10001"],
        ["note", "2508.10001"],
        ["export", "sparse", "-f", "json"],
    ],
)
def test_a_command_that_reads_an_unreadable_state_warns_once_and_goes_on(
    capsys: pytest.CaptureFixture[str], digests: Path, argv: list[str]
) -> None:
    from reader.paths import Paths

    state = Paths.from_env().state_file
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text("papers: [\n", encoding="utf-8")
    code, out, err = run(capsys, *argv, "--path", str(digests))
    assert code == 0
    if argv[0] in ("search", "show", "export"):
        assert "Sparse Attention" in out
    [line] = err.splitlines()
    assert line.startswith(f"digest-reader: warning: {state} cannot be read")
    assert "without your stars" in line
    # a change stops with the one error, not a warning as well
    code, _, err = run(capsys, "star", "2508.10001", "--path", str(digests))
    assert code == 1 and len(err.splitlines()) == 1 and "warning" not in err


# --------------------------------------------------------------------------- numbers


def test_index_groups_every_number(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = "".join(
        f'  - id: "2508.{10000 + i}"\n    title: Paper number {i} on sparse attention\n'
        for i in range(1001)
    )
    big = tmp_path / "2025-08-22.yaml"
    big.write_text(f"title: Big\ndate: 2025-08-22\npapers:\n{rows}", encoding="utf-8")
    code, out, _ = run(capsys, "index", str(big))
    assert code == 0
    head, report, _took = out.strip().split("; ")
    assert head == "1,001 papers from 1 file"
    assert report.endswith(": 1,001 added, 0 changed, 0 removed, 1,001 indexed")


def test_check_of_a_folder_says_papers_are_counted_per_file(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    (digests / "2025-08-22.yaml").write_text(DIGEST.replace("2025-08-21", "2025-08-22"))
    code, out, _ = run(capsys, "check", str(digests))
    assert code == 0
    assert out.splitlines()[-1] == (
        "2 files, 2 papers read (a paper in two files counts twice), 0 problems"
    )
