"""Plain abstracts drawn plain: an abstract without Markdown syntax is drawn
without parsing it, and what reaches the screen is exactly what rich's
Markdown drew (same lines, same text, same styles), at every width."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console, RenderableType
from rich.style import Style

from reader.config import Config
from reader.library import open_library
from reader.paths import Paths
from reader.tui import text as tx
from reader.tui.widgets.abstract import (
    DISPLAY_MAX_CHARS,
    PlainAbstract,
    collect_links,
    is_plain,
    markdown_abstract,
    number_links,
    render_abstract,
    too_big_for_markdown,
)

WIDTHS = (40, 79, 120)
MATCH = Style(bold=True, underline=True, color="yellow")
PANE = Style(color="white", bgcolor="grey11")  # the pane's own style, under the text

PLAIN = {
    "ascii": "We present AnimaX, a feed-forward 3D animation framework. It works.",
    "arxiv lines": (
        "We study the problem of learning from few examples, and show that\n"
        "a simple baseline beats every method of the last five years on the\n"
        "benchmarks we know of."
    ),
    "one trailing space": "a soft break after this line \nand the next line follows",
    "two trailing spaces": "a hard break after this line  \nthe next line starts anew",
    "many trailing spaces": "hard   \nbreak    \n\nparagraph end   \n\nlast line   ",
    "paragraphs": "First paragraph.\n\nSecond one,\nover two lines.\n\n\n\nThird, after three blanks.",
    "blank lines around": "\n\n\nText between blank lines.\n\n\n",
    "accents": "Réseaux de neurones profonds pour l'étude des données: ça marche très bien, "
    "même à Zürich, São Paulo et Kraków (naïve façade, cœur, Ærøskøbing).",
    "cjk": "我们提出了一种新的方法，用于大规模语言模型的高效推理。实验表明，该方法在多个基准上"
    "显著提升了速度，同时保持了准确率。\n\n第二段：日本語のテキストと한국어 텍스트도 함께 있습니다。",
    "mixed widths": "Latin then 漢字 then emoji 🚀🙂 then ｆｕｌｌｗｉｄｔｈ and back, "
    "over and over: 中文 text 中文 text 中文 text 中文 text 中文 text 中文 text.",
    "long words": "Supercalifragilistic" * 9 + " and https://example.org/a/very/long/path/"
    "that/keeps/going/without/any/break/at/all/for/ever/and/ever short words.",
    "tabs inside": "columns\tseparated\tby tabs\tinside lines\nand a second\tline",
    "digits": "2024 was the year:\n3D shapes, 10 percent, 1/2 the cost,\n42 ways.",
    "no-break spaces": "10\u00a0ms per step and 5\u00a0GB, a line\nthat ends here",
    "punctuation": "Colons: semicolons; \"quotes\", 'apostrophes', (parens), {braces}, "
    "dollar $5, 50% off, @handles, ^carets, +plus mid-line, - dash mid-line, ok!",
    "link numbers": "Code at https://github.com/a/b [1]. Data: https://x.org/d [2], and more.",
    "one word": "Hello",
}
TERMS = {
    "none": (),
    "words": ("learning", "method", "line"),
    "stems": ("paragraph", "break", "text", "中文", "données"),
}
NOT_PLAIN = [
    "some *emphasis* here",
    "a_b",
    "code `x`",
    "> quote",
    "# heading",
    "a | table",
    "<b>html</b>",
    "back\\slash",
    "AT&amp;T",
    "~~strike~~",
    "Title\n=====",
    "Title\n-----",
    "- item",
    "+ item",
    "1. item",
    "1) item",
    "    indented code",
    " one leading space",
    "a line\n\tindented by a tab",
    "trailing tab\t",
    "trailing no-break space\u00a0\nnext",
    "a carriage\rreturn",
    "a [link](https://x.org)",
    "[1] at a line's start",
    "![1] an image mark",
    "a [1](paren)",
    "a [1][2] pair",
    "[foo]: https://example.org",
]


def drawn(renderable: RenderableType, width: int) -> list[list[tuple[str, Style | None]]]:
    """Each line as the abstract pane draws it (``_layout_lines``): its
    segments' text and style."""
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    options = console.options.update(width=width, highlight=False, height=None)
    lines = console.render_lines(renderable, options, style=PANE, pad=True)
    return [[(seg.text, seg.style) for seg in line] for line in lines]


def assert_same(text: str, terms: Sequence[str] = ()) -> None:
    assert is_plain(text), text
    for width in WIDTHS:
        plain = drawn(PlainAbstract(text, terms, MATCH), width)
        markdown = drawn(markdown_abstract(text, terms, MATCH), width)
        assert plain == markdown, f"at {width} columns: {text!r}"


@pytest.mark.parametrize("terms", sorted(TERMS))
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_plain_abstract_is_drawn_as_markdown_draws_it(name: str, terms: str) -> None:
    assert_same(PLAIN[name], TERMS[terms])


def test_a_plain_abstract_takes_the_plain_path() -> None:
    assert isinstance(render_abstract(PLAIN["paragraphs"], (), MATCH), PlainAbstract)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_text_with_any_markdown_syntax_goes_through_markdown(text: str) -> None:
    assert not is_plain(text)
    assert not isinstance(render_abstract(text, (), MATCH), PlainAbstract)


#: Text made of what plain abstracts are made of: words (Latin, accented,
#: CJK), digits, punctuation Markdown leaves alone, spaces, tabs and newlines.
PIECES = [*"abcxyz ABC éüç 中文字 0129 .,;:!?'\"()/%$@+- \t\n\n ", "  \n", "line", "text", "[7]"]
PLAIN_TEXT = st.lists(st.sampled_from(PIECES), max_size=200).map("".join)


@settings(max_examples=300)
@given(PLAIN_TEXT, st.sampled_from(sorted(TERMS)))
def test_any_plain_text_is_drawn_as_markdown_draws_it(text: str, terms: str) -> None:
    if text.strip() and is_plain(text):
        assert_same(text, TERMS[terms])


def test_real_plain_abstracts_are_drawn_as_markdown_draws_them(real: Path) -> None:
    files = [
        "hf_daily_json/2024-12-11.json",
        "hf_daily_json/2025-10-03.json",
        "hf_daily_json/hf-daily-paper-newsletter-chinese_2025-01-23_HF_deepseek_clean.json",
        "atom/arxiv_api_2026_q_testing_s0_m100_body.xml",
        "rss/qhduan_cn-chat-arxiv_cs.CL.xml",
        "arxiv_daily_json/shiyibihua_2025-12-18_arxiv.json",
    ]
    library = open_library(
        Paths.from_env(), Config(), extra=[real / f for f in files], use_cache=False
    )
    compared = 0
    for paper in library.papers.values():
        # as the pane prepares it (AbstractPane._build)
        text = number_links(tx.block(paper.abstract[:DISPLAY_MAX_CHARS]), collect_links(paper))
        if not text.strip() or too_big_for_markdown(text) or not is_plain(text):
            continue
        words = tx.line(paper.title).lower().split()[:2]
        assert_same(text, words if compared % 2 else ())
        compared += 1
    assert compared >= 250, f"only {compared} plain abstracts among {len(library.papers)}"
