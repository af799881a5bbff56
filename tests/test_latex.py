"""LaTeX in titles and abstracts shown as readable Unicode; plain text untouched."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reader.latex import MAX_CHARS, readable


@pytest.mark.parametrize(
    ("tex", "shown"),
    [
        (r"$\mathcal{O}(d^k)$", "𝒪(dᵏ)"),
        (
            r"$\nabla^2$DFT: A Universal Quantum Chemistry Dataset",
            "∇²DFT: A Universal Quantum Chemistry Dataset",
        ),
        (
            r"A Simple and Effective $L_2$ Norm-Based Strategy",
            "A Simple and Effective L₂ Norm-Based Strategy",
        ),
        (r"\emph{x}", "x"),
        (r"$\alpha$-stable processes", "α-stable processes"),
        (r"\(x^2\)", "x²"),
        (r"$$E = mc^2$$", "E = mc²"),
        (r"$O(n^{1+\epsilon})$ time", "O(n¹⁺ᵋ) time"),
        (r"$W^{-1}$ and $A^\top$", "W⁻¹ and Aᵀ"),
        (r"1T-TiSe$_{2}$", "1T-TiSe₂"),
        (r"$x_{ij}$", "xᵢⱼ"),
        (r"$\pi_\theta$", "π_θ"),  # no subscript theta in Unicode: stays readable
        (r"$H^{p,q}$", "H^(p,q)"),
        (r"$\ell_1$-Multicalibration", "ℓ₁-Multicalibration"),
        (r"90$\times$ Compression", "90× Compression"),
        (r"$\sim$100B tokens", "∼100B tokens"),
        (r"\textsc{GUI-Spotlight}: Focus", "GUI-Spotlight: Focus"),
        (r"\texttt{Range-Arithmetic}: Inference", "Range-Arithmetic: Inference"),
        (r"$\mathbb{R}^n$ and $\mathds{1}$", "ℝⁿ and 𝟙"),
        (r"Kollár and Poincar\'e and Gr\"obner", "Kollár and Poincaré and Gröbner"),
        (r"100\% accurate \& fast", "100% accurate & fast"),
        (r"$\operatorname{softmax}(x)$", "softmax(x)"),
    ],
)
def test_latex_becomes_readable(tex: str, shown: str) -> None:
    assert readable(tex) == shown


@pytest.mark.parametrize(
    "plain",
    [
        "A title without any math",
        "It costs $5 and $6 per run",
        "Prices from $5-$10",
        "price $5",
        "A lone $ sign",
        "$ spaced out $",
        "50% off, {braces}, ~tilde, a--b, ``quotes''",
        r"C:\Users\someone",  # unknown commands are left alone
        "[/] [b]markup[/i] [$5]",
        "",
    ],
)
def test_plain_text_is_left_alone(plain: str) -> None:
    assert readable(plain) == plain


def test_broken_latex_never_raises() -> None:
    for tex in (r"$\frac{$", r"\href{x}", r"$\left($", r"\\\\", "$}{$", r"$^$", r"$\sqrt[$"):
        assert isinstance(readable(tex), str)


def test_unknown_macro_in_math_stays_visible() -> None:
    assert readable(r"over $\Q(\sqrt{5})$") == r"over \Q(√(5))"


def test_huge_input_is_returned_as_is() -> None:
    text = "$x^2$ " * (MAX_CHARS // 6 + 10)
    assert len(text) > MAX_CHARS
    assert readable(text) == text


def test_results_are_cached() -> None:
    text = r"$\alpha^2$ cached"
    first = readable(text)
    assert readable(text) is first


def test_an_abstract_keeps_its_paragraphs() -> None:
    abstract = "We bound $\\|x\\|_2$ by $\\epsilon$.\n\nA second paragraph, $5 each."
    assert readable(abstract) == "We bound ‖x‖₂ by ϵ.\n\nA second paragraph, $5 each."


def _real_titles(root: Path) -> list[str]:
    titles: set[str] = set()
    for path in sorted(root.glob("hf_daily_yaml/*.yaml")):
        for m in re.finditer(r"(?m)^title: '(.*)'$", path.read_text(encoding="utf-8")):
            titles.add(m.group(1).replace("''", "'"))
    for path in sorted(root.glob("hf_daily_json/*.json")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r'"title"\s*:\s*("(?:[^"\\]|\\.)*")', text):
            titles.add(json.loads(m.group(1)))
    return sorted(t for t in titles if "$" in t)


@pytest.mark.real
def test_real_titles_with_math_read_cleanly(real: Path) -> None:
    titles = _real_titles(real)
    if not titles:
        pytest.skip("no real titles with $ math found")
    for title in titles:
        shown = readable(title)
        assert "$" not in shown, (title, shown)
        assert "^" not in shown and "_" not in shown, (title, shown)
    by_start = {t[:20]: readable(t) for t in titles}
    nabla = [v for k, v in by_start.items() if k.startswith("$\\nabla^2$DFT")]
    assert not nabla or nabla[0].startswith("∇²DFT: A Universal Quantum Chemistry")


def test_braced_accents_lose_their_braces() -> None:
    assert readable('K. Schr{\\"o}dinger') == "K. Schrödinger"
    assert readable('{\\AA}ngstr{\\"o}m') == "Ångström"
    assert readable("Stra{\\ss}e, {\\o}ksendal, Erd\\H{o}s") == "Straße, øksendal, Erdős"
    assert readable("{\\em kept} {\\bf}") == "{\\em kept} {\\bf}"
