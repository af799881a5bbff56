"""What the CLI prints is as safe as what the app shows (issue 14, item 6).

Standard output may be a terminal, now or when the file is shown later: no
escape sequence, C1 control or bidi override from a note, a digest or a file
name reaches it raw. Machine formats keep the data exact, as escapes (JSON
``\\u001b``, YAML double-quoted); a file written with ``-o`` keeps the text as
it is. CSV is safe to open in a spreadsheet whatever the note holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from helpers.hostile_payloads import FORBIDDEN_BYTES, SEQUENCES

from reader.cli import main

PAPER_ID = "2509.70001"
DIGEST = f"""\
title: Output test digest
date: 2025-09-01
papers:
  - id: "{PAPER_ID}"
    title: Plain Title For Output Tests
    authors: [Ada Lovelace]
"""

#: Every payload sequence, then the characters a terminal or a reader could be
#: fooled by, then a formula behind a bare CR and behind newlines.
NOTE = (
    "".join(payload for _, payload in SEQUENCES)
    + " bidi \u202eevil\u202c iso \u2066x\u2069 nel \x85 c1 \x9d0;PWNED-C1\x9c del \x7f"
    + " sep \u2028 end\r=1+1\n@SUM(A1)\n+2\n-3 fine"
)
#: Characters that must never reach standard output raw.
RAW = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args])
    return code, capsys.readouterr().out


@pytest.fixture
def digest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "2025-09-01.yaml"
    path.write_text(DIGEST, encoding="utf-8")
    assert run(capsys, "note", PAPER_ID, NOTE, "--path", str(path))[0] == 0
    return path


def _assert_inert(out: str) -> None:
    assert not RAW.findall(out), RAW.findall(out)[:5]
    assert "\r" not in out.replace("\r\n", "\n")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_json_and_yaml_on_stdout_escape_what_a_terminal_acts_on_and_keep_the_note(
    capsys: pytest.CaptureFixture[str], digest: Path, fmt: str
) -> None:
    code, out = run(capsys, "export", "", "-f", fmt, "--with-notes", "--path", str(digest))
    assert code == 0
    _assert_inert(out)
    (record,) = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert record["note"] == NOTE  # escaped, not dropped


@pytest.mark.parametrize("fmt", ["csv", "bibtex", "markdown"])
def test_text_formats_on_stdout_go_through_the_sanitiser(
    capsys: pytest.CaptureFixture[str], digest: Path, fmt: str
) -> None:
    code, out = run(capsys, "export", "", "-f", fmt, "--with-notes", "--path", str(digest))
    assert code == 0
    _assert_inert(out)
    assert "\x1b" not in out
    assert not [b for b in FORBIDDEN_BYTES if b in out.encode()]
    assert "fine" in out  # the note is there, made inert


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_file_written_with_o_keeps_the_text_exact(
    capsys: pytest.CaptureFixture[str], digest: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"out.{fmt}"
    args = ["export", "", "-f", fmt, "--with-notes", "--path", str(digest), "-o", str(target)]
    assert run(capsys, *args)[0] == 0
    text = target.read_text(encoding="utf-8")
    if fmt == "json":
        assert "\u202e" in text and "\x9d" in text  # as written, not escaped
    (record,) = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    assert record["note"] == NOTE


def test_csv_keeps_rows_whole_and_no_line_of_a_cell_starts_a_formula(
    capsys: pytest.CaptureFixture[str], digest: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    args = ["export", "", "-f", "csv", "--with-notes", "--path", str(digest), "-o", str(target)]
    assert run(capsys, *args)[0] == 0
    text = target.read_bytes().decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 and len(rows[0]) == len(header)
    note = rows[0][header.index("note")]
    # a spreadsheet that ends a line at a bare CR, or at any line break, meets
    # no cell or line that starts a formula
    for line in re.split(r"\r\n|\r|\n", note):
        assert line[:1] not in ("=", "+", "-", "@", "\t"), line
    assert "\r'=1+1\n'@SUM(A1)\n'+2\n'-3 fine" in note
    assert note.replace("'", "").endswith("end\r=1+1\n@SUM(A1)\n+2\n-3 fine")
    # every field holding a CR or LF is quoted, so no row splits
    for line in re.split(r"\r\n|\r|\n", text):
        assert not line.startswith(("=", "+", "-", "@"))


def test_check_json_escapes_bidi_and_c1_in_file_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    name = tmp_path / "day\u202eevil\u202c\x9b31m.yaml"
    name.write_text("papers: [unclosed\n", encoding="utf-8")
    code, out = run(capsys, "check", "--json", str(name))
    assert code == 1
    _assert_inert(out)
    assert "\\u202e" in out and "\\u009b" in out
    (report,) = json.loads(out)
    assert report["path"] == str(name)


@pytest.mark.parametrize("command", [["show", PAPER_ID, "--json"], ["search", "", "--json"]])
def test_json_commands_escape_notes_and_titles(
    capsys: pytest.CaptureFixture[str], digest: Path, command: list[str]
) -> None:
    code, out = run(capsys, *command, "--path", str(digest))
    assert code == 0
    _assert_inert(out)
    data = json.loads(out)
    if command[0] == "show":
        assert data["note"] == NOTE
