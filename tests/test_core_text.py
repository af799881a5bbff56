"""Ids, the sanitiser, text normalisation and the safe loaders."""

from __future__ import annotations

import time

import pytest

from reader.ids import arxiv_id, doi, is_arxiv_id, paper_id
from reader.safeload import LoadError, load_json, load_yaml
from reader.sanitize import clean, clean_line, is_control_free
from reader.text import html_to_text, split_authors, tex_to_unicode, unwrap


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2510.02252v1", "2510.02252"),
        ("2510.02252", "2510.02252"),
        ("arXiv:2401.10000v3", "2401.10000"),
        ("http://arxiv.org/abs/cond-mat/0412498v1", "cond-mat/0412498"),
        ("https://arxiv.org/pdf/2401.10000v2.pdf", "2401.10000"),
        ("oai:arXiv.org:oai:arXiv.org:2505.17037v1", "2505.17037"),
        ("astro-ph/0601001", "astro-ph/0601001"),
        ("https://huggingface.co/papers/2508.01234", None),
        ("hello world", None),
        ("", None),
    ],
)
def test_arxiv_ids_lose_their_version(given: str, expected: str | None) -> None:
    assert arxiv_id(given) == expected


def test_paper_ids_prefer_arxiv_then_doi_then_title() -> None:
    assert paper_id("2510.02252v2", "10.1/x", "T") == "2510.02252"
    assert paper_id(None, "https://doi.org/10.1145/ABC.1", "T") == "doi:10.1145/abc.1"
    same = paper_id(title="Attention Is All You Need")
    assert same == paper_id(title="  attention is all   you need! ")
    assert same.startswith("t:")
    assert is_arxiv_id("2401.10000v2") and not is_arxiv_id("2401.1")
    assert doi("see doi:10.5555/12345.") == "10.5555/12345"


@pytest.mark.parametrize(
    "hostile",
    [
        "A\x1b]0;PWNED\x1b\\B",
        "\x1b]52;c;ZWNobyBwd25lZA==\x07",
        "\x1b[2J\x1b[H",
        "\x9b31m",
        "\x1b[6n",
        "\x1bP+q544e\x1b\\",
        "\x1b]8;;http://x",
        "\x9d0;title\x9c",
    ],
)
def test_sanitiser_leaves_no_escape_or_control(hostile: str) -> None:
    out = clean(hostile + " after")
    assert "\x1b" not in out and "\x9b" not in out and "\x9d" not in out
    assert out.endswith(" after")
    assert is_control_free(out.replace("\n", ""))


def test_sanitiser_shows_controls_and_neutralises_bidi() -> None:
    assert clean("a\x00b\x7fc") == "a\u2400b\u2421c"
    assert clean("abc\u202etxt") == "abctxt"
    assert clean("line1\r\nline2\tx") == "line1\nline2\tx"
    assert clean_line("one\ntwo\tthree") == "one two three"
    assert clean("plain [b]markup[/b] stays") == "plain [b]markup[/b] stays"


def test_sanitiser_is_fast_on_combining_floods() -> None:
    zalgo = "a" + "\u0301" * 50_000
    out = clean(zalgo)
    assert len(out) <= 10


def test_unwrap_keeps_paragraphs() -> None:
    text = "  A hard-wrapped\n  abstract line.\n\n  Second paragraph\n  here."
    assert unwrap(text) == "A hard-wrapped abstract line.\n\nSecond paragraph here."
    assert unwrap("first para.\n  Second para.", indent_paragraphs=True) == (
        "first para.\n\nSecond para."
    )


def test_html_and_tex_become_text() -> None:
    assert html_to_text("We <i>prove</i> that x &lt; y &amp; z.") == "We prove that x < y & z."
    assert tex_to_unicode(r"Bal\'azs") == "Balázs"
    assert split_authors(r"C. Bal\'azs, E. L. Berger and C.-P. Yuan") == [
        "C. Balázs",
        "E. L. Berger",
        "C.-P. Yuan",
    ]


def test_yaml_scalars_stay_the_strings_written() -> None:
    data = load_yaml("id: 2401.10000\ntitle: NO\nn: 012\nwhen: 2024-01-11 00:00\n").data
    assert data == {"id": "2401.10000", "title": "NO", "n": "012", "when": "2024-01-11 00:00"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x [1, *x]", "aliases"),
        ("!!python/object/apply:os.system ['id']", "not allowed"),
        ("[" * 1100 + "]" * 1100, "nesting"),
        ("x: !custom 3", "not allowed"),
        ("a: [unclosed", "not valid YAML"),
    ],
)
def test_hostile_yaml_is_refused_fast(text: str, words: str) -> None:
    started = time.monotonic()
    with pytest.raises(LoadError, match=words):
        load_yaml(text)
    assert time.monotonic() - started < 5  # generous: "fast" means no blow-up


def test_billion_laughs_is_refused() -> None:
    lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for name, prev in zip("bcdefgh", "abcdefg", strict=True):
        lol += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    with pytest.raises(LoadError, match="aliases"):
        load_yaml(lol)


def test_duplicate_keys_are_reported_with_their_line() -> None:
    parsed = load_yaml("title: one\nid: x\ntitle: two\n")
    assert parsed.data["title"] == "two"
    assert parsed.warnings == [(3, "duplicate key 'title' (the last one is kept)")]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000, "nested"),
        ('{"a": NaN}', "NaN"),
        ('{"a": 1,', "not valid JSON"),
    ],
)
def test_hostile_json_is_refused(text: str, words: str) -> None:
    with pytest.raises(LoadError, match=words):
        load_json(text)


def test_json_duplicate_keys_are_reported() -> None:
    parsed = load_json('{"a": 1, "a": 2}')
    assert parsed.data == {"a": 2}
    assert "duplicate key 'a'" in parsed.warnings[0][1]
