"""Hostile input and faults (issue 7): the sanitiser's contract, every format
fed poisoned digests, the input limits through ``load_path`` and ``digest-reader
check``, the library with broken files beside good ones, the CLI's output, the
clipboard that fails, and the app given pathological abstracts.

The case numbers refer to the checklist in ``docs/security.md``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from helpers.hostile_payloads import (
    CLIP_B64,
    FIXTURES,
    FORBIDDEN_BYTES,
    MARKUP_TITLE,
    SEQUENCES,
    fixture_files,
)

from reader.formats import load_path
from reader.model import Digest, Paper
from reader.sanitize import clean, clean_line, has_unsafe, is_control_free
from reader.session import Session
from reader.tui.textual_private import screen_strips

REPO = Path(__file__).resolve().parent.parent
FORMAT_SAMPLES = REPO / "sample_digests" / "formats"
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Generous "did not hang" bound for one operation on hostile input.
FAST = 2.0
#: The issue asks that showing any paper never blocks the UI over 1 s; the
#: bound here is generous for a slow, shared machine.
SHOW_WITHIN = 5.0


def inert(text: str, *, multiline: bool) -> bool:
    """What the sanitiser promises: no control character (but newline and tab
    in multi-line text), no surrogate, no bidi control."""
    allowed = "\n\t" if multiline else ""
    return not any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) or c in BIDI for c in text
    )


def paper_strings(paper: Paper) -> Iterable[tuple[str, str, bool]]:
    """(field, text, multiline) for every text field that came from the digest."""
    yield "title", paper.title, False
    for a in paper.authors:
        yield "author", a, False
    yield "abstract", paper.abstract, True
    for t in paper.tags:
        yield "tag", t, False
    for link in paper.links:
        yield "link label", link.label, False
        yield "link", link.url, False
    for name in ("arxiv_id", "doi", "github_repo", "project_page", "published"):
        value = getattr(paper, name)
        if value:
            yield name, value, False
    if paper.ai_summary:
        yield "ai_summary", paper.ai_summary, True


def assert_digest_inert(digest: Digest) -> None:
    bad = [
        (paper.id, name, text[:80])
        for paper in digest.papers
        for name, text, multi in paper_strings(paper)
        if not inert(text, multiline=multi) or "PWNED-T" in text
    ]
    for problem in digest.problems:
        if not inert(problem.message, multiline=False):
            bad.append(("problem", "message", problem.message[:80]))
    if not inert(digest.title, multiline=False):
        bad.append(("digest", "title", digest.title[:80]))
    assert not bad, f"{digest.path} ({digest.format}): text not sanitised: {bad}"


# --------------------------------------------------------------------------- fixtures


def test_the_hostile_fixtures_are_in_sync_with_their_generator() -> None:
    for name, text in fixture_files().items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, (
            f"run: python tests/helpers/hostile_payloads.py  ({name} is stale)"
        )


# --------------------------------------------------------------------- the sanitiser
# cases 1, 2, 3


@pytest.mark.parametrize(("name", "payload"), SEQUENCES, ids=[n for n, _ in SEQUENCES])
def test_every_escape_sequence_is_removed_or_shown_inert(name: str, payload: str) -> None:
    for out in (clean("before " + payload + " after"), clean_line("before " + payload + " after")):
        assert inert(out, multiline=False)
        assert out.startswith("before ") and out.endswith(" after")
        raw = out.encode()
        assert not [b for b in FORBIDDEN_BYTES if b in raw]
        assert CLIP_B64 not in out  # an OSC 52 goes whole, payload and all


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        # complete sequences go, 7-bit and 8-bit, whatever terminates them
        ("A\x1b]0;PWNED\x1b\\B", "AB"),
        ("A\x1b]0;PWNED\x07B", "AB"),
        ("A\x1b]0;PWNED\x9cB", "AB"),  # 8-bit ST ends a 7-bit OSC
        ("A\x9d0;PWNED\x1b\\B", "AB"),
        ("A\x90q\x9cB", "AB"),
        ("A\x9b2JB", "AB"),
        ("A\x1b[38;5;196mB\x1b[0m", "AB"),
        # ESC followed by one character (and tput sgr0's charset reset)
        ("A\x1bcB", "AB"),
        ("A\x1b7B\x1b8", "AB"),
        ("A\x1b(B\x1b[mB", "AB"),
        ("A\x1b\\B", "AB"),  # a stray ST
        # what is not a complete sequence shows its ESC as a placeholder
        ("\x1b]8;;http://x after", "\u241b]8;;http://x after"),
        ("A\x1b[", "A\u241b["),
        ("A\x1b", "A\u241b"),
        ("A\x1b]0;X\x1b]0;Y\x07B", "A\u241b]0;XB"),
        # a DCS that smuggles an OSC (tmux passthrough): nothing runs
        ("A\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\B", "A\u241bPtmux;\u241bB"),
        # removing one sequence must not assemble another
        ("A\x1b\x1b[0m[31mB", "A\u241b[31mB"),
        # controls, DEL and C1 become visible placeholders
        ("a\x00b\x07c\x7fd", "a\u2400b\u2407c\u2421d"),
        ("a\x85b\x8dc", "a\ufffdb\ufffdc"),
        ("a\rb", "a\u240db"),
        # bidi controls neutralised; lone surrogates replaced
        ("abc\u202etxt\u2066x\u2069", "abctxtx"),
        ("a\ud800b\udfffc", "a\ufffdb\ufffdc"),
        # ordinary text is untouched
        ("Café — 東京 \U0001f600 [b]x[/b] e\u0301", "Café — 東京 \U0001f600 [b]x[/b] e\u0301"),
    ],
)
def test_sanitiser_cases(given: str, shown: str) -> None:
    assert clean(given) == shown
    assert clean(clean(given)) == clean(given)
    assert has_unsafe(given) == (given != shown)


def test_line_separators_become_newlines_or_spaces() -> None:
    assert clean("a\u2028b\u2029c") == "a\nb\nc"
    assert clean_line("a\u2028b\nc\td") == "a b c d"


def test_cleaned_text_can_always_be_encoded_and_copied() -> None:
    out = clean_line("x\ud800\x1b]52;c;" + CLIP_B64 + "\x07\x1b[31m\x9by")
    out.encode("utf-8")  # no surrogate left: the terminal, cache, state and index can write it
    assert is_control_free(out)
    assert not is_control_free("a\ud800")


@pytest.mark.parametrize(
    "flood",
    [
        "\x9d" * 300_000,  # 8-bit OSC openers, never terminated
        "\x90a" * 150_000,
        "\x98\x9e\x9f" * 100_000,
        "\x1b]" * 150_000,
        "\x1bP" * 150_000,
        "\x1b[" + "1;" * 150_000,
        "\x9b" * 300_000,
        "\x1b(" * 150_000,
        "\x1b" + " " * 300_000,
        "a" + "\u0301" * 300_000,
        "\u0e49" * 300_000,  # Thai marks: Zalgo in another script
        "\u202e" * 300_000,
        "\ud800" * 300_000,
    ],
    ids=lambda f: repr(f[:4]),
)
def test_sanitiser_is_linear_on_floods(flood: str) -> None:
    started = time.monotonic()
    out = clean(flood + "\ntail")
    assert time.monotonic() - started < FAST
    assert out.endswith("\ntail") and inert(out, multiline=True)


def test_combining_runs_are_capped_in_any_script() -> None:
    for mark in ("\u0301", "\u0e49", "\u05b7", "\u0610", "\u20d0"):
        assert clean("x" + mark * 50 + "y") == "x" + mark * 4 + "y"
    assert clean("e\u0301\u0302\u0303") == "e\u0301\u0302\u0303"  # short runs are text


# ------------------------------------------------------------------ formats, fixtures
# cases 1-5 where text enters the core


def test_hostile_fixtures_load_and_every_string_is_inert() -> None:
    digests = load_path(FIXTURES / "2025-09-09-hostile.yaml") + load_path(
        FIXTURES / "2025-09-08.json"
    )
    assert [d.format for d in digests] == ["yaml", "hf-json"]
    papers = {p.id: p for d in digests for p in d.papers}
    assert set(papers) == {"2509.90001", "2509.90002", "2509.90003", "2509.90004"}
    for d in digests:
        assert_digest_inert(d)
    tapir, marmot, brackets, okapi = (papers[f"2509.9000{n}"] for n in (1, 2, 3, 4))
    assert tapir.title == "Tapir Title Attack"
    assert marmot.title == "Marmot \u2407Bell\u2400Nul\u2421Del \u241b]2;PWNED-SHOWN"
    assert brackets.title == MARKUP_TITLE  # markup is text, kept as written
    assert okapi.title == "Okapi From JSON"
    assert "PWNED-CLEAR" in tapir.abstract and "PWNED-RED" in tapir.abstract
    assert CLIP_B64 not in tapir.abstract + okapi.abstract
    assert "tagevil" in tapir.tags and "[/]" in brackets.tags
    assert "abctxt" in brackets.abstract
    # case 5: only http(s) links are kept
    urls = [lk.url for p in papers.values() for lk in p.links]
    assert urls and all(u.startswith(("https://", "http://")) for u in urls)
    assert not any(u.startswith(("ssh:", "file:", "javascript:")) for u in urls)


def _poison(text: str, title: str, payload: str) -> str:
    """``text`` with ``payload`` inserted after the first word of ``title``."""
    words = title.split()
    m = re.search(r"\s+".join(re.escape(w) for w in words[:3]), text)
    if m is None:
        return text
    at = m.start() + len(words[0])
    return text[:at] + payload + text[at:]


_RAW_PAYLOAD = "\x1b]0;PWNED-T\x07\x9b2J\u202e\x00\x1b[31m"
_XML_PAYLOAD = "\x9d0;PWNED-T\x9c\x9b2J\u202e"  # XML 1.0 has no ESC or NUL


@pytest.mark.parametrize(
    "sample",
    sorted(p.name for p in FORMAT_SAMPLES.iterdir()) if FORMAT_SAMPLES.is_dir() else [],
)
def test_every_format_sanitises_what_it_reads(sample: str, tmp_path: Path) -> None:
    """Each format's sample with a payload written into every title (escaped
    as the format allows): the papers still load, every string is inert."""
    path = FORMAT_SAMPLES / sample
    original = load_path(path)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        # SOH, not NUL: Hugging Face records may be Python reprs, and Python
        # refuses a NUL in source text (such a record is skipped with a problem)
        payload = json.dumps(_RAW_PAYLOAD.replace("\x00", "\x01"))[1:-1]
    elif suffix == ".xml":
        payload = _XML_PAYLOAD
    elif suffix in (".yaml", ".yml"):
        payload = "\u202e[/]"  # YAML refuses raw controls; escapes are tested above
    else:
        payload = _RAW_PAYLOAD
    for digest in original:
        for paper in digest.papers:
            text = _poison(text, paper.title, payload)
    poisoned = tmp_path / sample
    poisoned.write_text(text, encoding="utf-8")
    digests = load_path(poisoned)
    assert sum(len(d.papers) for d in digests) == sum(len(d.papers) for d in original), [
        str(p) for d in digests for p in d.problems
    ]
    for d in digests:
        assert_digest_inert(d)


# ------------------------------------------------------------------------ input limits
# cases 6-10 through load_path and ``digest-reader check``


def _write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _errors(path: Path, **kw: int) -> list[str]:
    return [str(p) for d in load_path(path, **kw) for p in d.problems if p.severity == "error"]


#: A Hugging Face record whose authors nest 100k deep.
DEEP_HF_JSON = (
    '[{"paper": {"id": "2401.00001", "title": "x", "summary": "y", "authors": '
    + "[" * 100_000
    + "]" * 100_000
    + "}}]"
)
BILLION_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        (
            "python-tag.yaml",
            "papers:\n- title: !!python/object/apply:os.system ['touch PWNED-RAN']\n",
            "not allowed",
        ),
        ("laughs.yaml", "papers: []\n" + BILLION_LAUGHS, "aliases"),
        ("alias.yaml", "papers:\n- &x {title: a, tags: [*x]}\n", "aliases"),
        ("deep.yaml", "papers:\n- title: " + "[" * 1100 + "]" * 1100 + "\n", "nest"),
        ("deep-block.yaml", "papers:\n" + "- " * 1100 + "x\n", "nest"),
        ("deep.json", DEEP_HF_JSON, "nested"),
        ("nan.json", '[{"paper": {"id": "2401.00001", "title": "x", "upvotes": NaN}}]', "NaN"),
        ("inf.json", '[{"paper": {"id": "2401.00001", "title": "x", "upvotes": 1e999}}]', "range"),
        (
            "bigint.json",
            '[{"paper": {"id": "2401.00001", "title": "x", "upvotes": ' + "9" * 5000 + "}}]",
            "digits",
        ),
    ],
)
def test_hostile_structures_are_refused_fast_naming_the_file(
    name: str, text: str, words: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, name, text)
    started = time.monotonic()
    errors = _errors(path)
    assert time.monotonic() - started < FAST
    assert errors and all(e.startswith(str(path)) for e in errors), errors
    assert any(words.lower() in e.lower() for e in errors), errors
    assert not (tmp_path / "PWNED-RAN").exists()
    assert not Path("PWNED-RAN").exists()


def test_yaml_scalars_stay_strings_and_duplicates_are_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "2025-09-01.yaml",
        "papers:\n"
        "- id: 2401.10000\n  title: NO\n"
        "- id: '012'\n  title: 012\n  title: Second title kept\n"
        "- id: 2401.20000\n  title: 1e3\n",
    )
    (digest,) = load_path(path)
    by_id = {p.id: p for p in digest.papers}
    assert by_id["2401.10000"].title == "NO"
    assert by_id["2401.20000"].title == "1e3"
    assert [p.title for p in digest.papers] == ["NO", "Second title kept", "1e3"]
    dup = [p for p in digest.problems if "duplicate" in p.message]
    assert dup and dup[0].line == 6 and dup[0].severity == "warning"


def test_a_million_duplicate_keys_are_a_short_report(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "dups.json",
        '[{"paper": {"id": "2401.00001", "title": "x"' + ', "t": 1' * 200_000 + "}}]",
    )
    started = time.monotonic()
    (digest,) = load_path(path)
    assert time.monotonic() - started < 10
    assert len(digest.problems) <= 25
    assert len(digest.papers) == 1


def test_json_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "2025-09-01.json",
        '[{"paper": {"id": "2401.00001", "title": "Lone \\ud800 surrogate \\ud83d\\ude00",'
        ' "summary": "x\\udc00y"}, "title": "Lone \\ud800 surrogate \\ud83d\\ude00"}]',
    )
    (digest,) = load_path(path)
    (paper,) = digest.papers
    assert paper.title == "Lone \ufffd surrogate \U0001f600"
    paper.title.encode("utf-8")
    paper.abstract.encode("utf-8")


def test_files_over_the_size_cap_are_refused_with_a_message(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:  # 50 MB, sparse: costs nothing to write
        fh.truncate(50 * 2**20)
    (err,) = _errors(big)
    assert err.startswith(str(big)) and "cap" in err and "50.0 MB" in err
    bomb = _write(tmp_path, "bomb.json.gz", gzip.compress(b"[" + b" " * (60 * 2**20) + b"]"))
    started = time.monotonic()
    (err,) = _errors(bomb)
    assert time.monotonic() - started < 10
    assert err.startswith(str(bomb)) and "cap" in err
    small_cap = _write(tmp_path, "2025-09-01.yaml", "papers:\n- title: " + "x" * 3000 + "\n")
    (err,) = _errors(small_cap, max_bytes=1000)
    assert err.startswith(str(small_cap)) and "cap" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_broken_files_beside_good_ones_each_get_a_message_and_the_rest_loads(
    tmp_path: Path,
) -> None:
    """Case 9: a library folder holding every kind of broken file."""
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    good = (FIXTURES / "2025-09-09-hostile.yaml").read_text(encoding="utf-8")
    _write(lib_dir, "good.yaml", good)
    _write(lib_dir, "empty.yaml", b"")
    _write(lib_dir, "bad-utf8.yaml", good.encode().replace(b"Tapir", b"Ta\xff\xfepir"))
    _write(lib_dir, "bom.json", b"\xef\xbb\xbf" + (FIXTURES / "2025-09-08.json").read_bytes())
    _write(lib_dir, "nul.yaml", b"papers:\n- title: a\x00b\n")
    (lib_dir / "folder.yaml").mkdir()
    os.mkfifo(lib_dir / "fifo.yaml")
    config = Config(library=[lib_dir])
    started = time.monotonic()
    library = open_library(Paths.from_env(), config, use_cache=False)
    assert time.monotonic() - started < 20  # the FIFO was not opened (it would block)
    assert {"2509.90001", "2509.90002", "2509.90003", "2509.90004"} <= set(library.papers)
    by_file: dict[str, list[str]] = {}
    for p in library.problems:
        by_file.setdefault(Path(p.path).name, []).append(p.message)
    assert "invalid UTF-8" in " ".join(by_file["bad-utf8.yaml"])
    assert "nul.yaml" in by_file
    assert any("not a regular file" in m for m in by_file["fifo.yaml"]), by_file
    assert all(inert(str(p), multiline=False) for p in library.problems)
    (err,) = _errors(lib_dir / "folder.yaml")  # a folder given where a file was expected
    assert err.startswith(str(lib_dir / "folder.yaml")) and "folder" in err


def test_check_names_each_bad_file_and_prints_nothing_hostile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reader.cli import main

    alias = _write(tmp_path, "alias.yaml", "papers:\n- &x {title: a, tags: [*x]}\n")
    deep = _write(tmp_path, "deep.json", DEEP_HF_JSON)
    hostile = FIXTURES / "2025-09-09-hostile.yaml"
    code = main(["check", str(alias), str(deep), str(hostile)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{alias}:" in out and "aliases" in out
    assert f"{deep}:" in out and "nested deeper" in out
    assert f"{hostile}: yaml, 3 papers" in out
    assert inert(out, multiline=True)


@pytest.mark.parametrize(
    "args",
    [
        ["show", "2509.90002"],
        ["show", "--json", "2509.90001"],
        ["search", "--json", ""],
        ["search", "marmot"],
    ],
)
def test_cli_output_of_hostile_papers_is_inert(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from reader.cli import main

    assert main([*args, str(FIXTURES)]) == 0
    out = capsys.readouterr().out
    assert out.strip()
    assert inert(out, multiline=True), out
    assert not [b for b in FORBIDDEN_BYTES if b in out.encode()]


# --------------------------------------------------------------------------- faults


def test_a_clipboard_that_fails_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 18: every way out failing; the link (cleaned) is still given back."""
    from reader import clipboard

    def broken(_: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 1 10.0.0.2 22")
    monkeypatch.setattr("shutil.which", lambda _name: None)
    result = clipboard.copy(
        "https://example.org/\x1b]52;c;" + CLIP_B64 + "\x07x\n", write_terminal=broken
    )
    assert not result.ok
    assert result.message
    assert is_control_free(result.text or "")
    assert CLIP_B64 not in (result.text or "")


def test_a_damaged_library_cache_is_rebuilt(tmp_path: Path) -> None:
    """Case 13 for the library cache (the index has tests/test_index.py)."""
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    paths = Paths.from_env()
    config = Config(library=[FIXTURES])
    first = open_library(paths, config)
    cached = [p for p in paths.library_cache.rglob("*") if p.is_file()]
    assert cached
    for n, f in enumerate(cached):
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2] if n % 2 else b"\0" * len(data))
    again = open_library(paths, config)
    assert set(again.papers) == set(first.papers)
    assert again.papers["2509.90002"].title == first.papers["2509.90002"].title


# ----------------------------------------------------------------------------- the app
# case 11: pathological abstracts are shown, as plain text, without blocking


def _big_digest(folder: Path) -> Path:
    table = "\n".join(
        ["| " + " | ".join(f"h{c}" for c in range(100)) + " |", "|" + "---|" * 100]
        + ["| " + " | ".join(f"r{r}c{c}" for c in range(100)) + " |" for r in range(300)]
    )
    papers = [
        {
            "id": "2509.80001",
            "title": "Brackets Pile",
            "abstract": "BRACKETS-START " + "[](" * 80_000,
        },
        {"id": "2509.80002", "title": "Wide Table", "abstract": "TABLE-START\n\n" + table},
        {
            "id": "2509.80003",
            "title": "Huge Abstract",
            "abstract": "HUGE-START " + "word " * 1_000_000,
        },
        {
            "id": "2509.80004",
            "title": "Zalgo " + "Z\u0301" * 10,
            "abstract": "Z" + "\u0301" * 50_000,
        },
    ]
    path = folder / "2025-09-10.yaml"
    path.write_text(
        yaml.dump(
            {"title": "big", "date": "2025-09-10", "papers": papers},
            Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
            width=200,
        ),
        encoding="utf-8",
    )
    return path


async def test_pathological_abstracts_show_as_text_without_blocking(tmp_path: Path) -> None:
    pytest.importorskip("reader.tui.app")
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths
    from reader.state import StateStore
    from reader.tui.app import DigestApp

    big = _big_digest(tmp_path)
    paths = Paths.from_env()
    library = open_library(paths, Config(), extra=[big], use_cache=False)
    problems = [str(p) for p in library.problems]
    assert len(library.papers) == 4, problems
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(Session(paths, Config(), library=library, state=state), build_index=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        seen = []
        for n in range(4):
            started = time.monotonic()
            if n:
                await pilot.press("j")
            await pilot.pause()
            paper = app.main.papers.current
            assert paper is not None
            text = "\n".join(s.text for s in screen_strips(app.screen))
            seen.append((paper.title, time.monotonic() - started, text))
        assert app.is_running
    slow = [(title, round(took, 1)) for title, took, _ in seen if took > SHOW_WITHIN]
    assert not slow, f"showing these papers blocked the UI (seconds): {slow}"
    assert not any("\x1b" in text for _, _, text in seen)
    starts = " ".join(text for _, _, text in seen)
    for marker in ("BRACKETS-START", "TABLE-START", "HUGE-START"):
        assert marker in starts, f"{marker} not shown"


_INDEX_WRITER = """
import sys
from pathlib import Path
from reader.model import Paper
from reader.search.index import SearchIndex
index = SearchIndex(Path(sys.argv[1]))
n = 0
while True:  # commit after commit until killed
    n += 1
    papers = {f"2509.{i:05d}": Paper(id=f"2509.{i:05d}", title=f"Round{n} capybara {i}",
              abstract="word " * 50) for i in range(300)}
    index.sync(papers)
    print(n, flush=True)
"""


def test_kill_9_during_index_commits_leaves_the_next_start_working(tmp_path: Path) -> None:
    """Case 14: a writer killed at random moments while committing; each time
    the next sync works (no LockError, not busy) and finds the right papers."""
    import random
    import signal
    import subprocess
    import sys

    from reader.model import Paper
    from reader.search.index import SearchIndex

    folder = tmp_path / "index"
    rng = random.Random(7)
    for _round in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", _INDEX_WRITER, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert child.stdout is not None
        child.stdout.readline()  # one commit done: the next is under way
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()  # type: ignore[union-attr]
        papers = {
            "2509.99999": Paper(
                id="2509.99999", title="Okapi survivors", abstract="after the crash"
            )
        }
        index = SearchIndex(folder)
        try:
            report = index.sync(papers)
            assert not report.error and not report.busy, report
            from reader.search.engine import SearchEngine

            searcher = SearchEngine(_Lib(papers), None, index)
            assert searcher.search("okapi").ids == ["2509.99999"]
            assert searcher.search("capybara").ids == []
        finally:
            index.close()


class _Lib:
    def __init__(self, papers: dict[str, Paper]) -> None:
        self.papers = papers
