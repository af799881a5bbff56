"""LaTeX in titles and abstracts, made readable for the screen.

:func:`readable` turns the bits of LaTeX that digests carry in titles and
abstracts into Unicode, for display only (the stored text, the index and the
exports keep the original):

* math between ``$...$``, ``$$...$$``, ``\\(...\\)`` and ``\\[...\\]``:
  ``$\\mathcal{O}(d^k)$`` -> ``𝒪(dᵏ)``, ``$\\nabla^2$DFT`` -> ``∇²DFT``,
  ``$L_2$`` -> ``L₂``, ``$\\alpha$-stable`` -> ``α-stable``. Super- and
  subscripts become Unicode scripts when every character has one, else they
  stay readable as ``x^(a+b)`` / ``π_θ``;
* backslash commands outside math that pylatexenc knows (``\\emph{x}`` -> ``x``,
  ``\\'e`` -> ``é``, ``\\&`` -> ``&``); unknown commands (``C:\\Users``) are
  left as they are.

Everything else is left exactly as it was: a price (``$5 and $6``), braces,
``%``, ``~``, ``--``. A dollar only opens math when a non-space follows it and
only closes it when a non-space precedes it and no digit follows (the Pandoc
rule). pylatexenc does the heavy lifting; this module adds what it lacks
(scripts, a few macros). It never raises (any failure gives the input back),
leaves inputs over :data:`MAX_CHARS` alone, and caches results, since the list
calls it for every visible row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

MAX_CHARS = 20_000
_MAX_MATH = 2_000

SUPERSCRIPTS: dict[str, str] = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεϵθιφϕχ⊤*∗'′†∘",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᵋᶿᶥᵠᵠᵡᵀ**′′†°",
        strict=True,
    )
)
SUBSCRIPTS: dict[str, str] = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφϕχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵩᵪ",
        strict=True,
    )
)

#: Macros pylatexenc lacks or renders badly: name -> (argument spec, replacement).
#: ``%(1)s`` is the first argument's text.
_EXTRA_MACROS: dict[str, tuple[str, str]] = {
    "texttt": ("{", "%(1)s"),
    "textsuperscript": ("{", "%(1)s"),
    "operatorname": ("*{", "%(2)s"),
    "boldsymbol": ("{", "%(1)s"),
    "bm": ("{", "%(1)s"),
    "mathds": ("{", "%(1)s"),
    "mathbbm": ("{", "%(1)s"),
    "widetilde": ("{", "%(1)s\u0303"),
    "widehat": ("{", "%(1)s\u0302"),
    "overline": ("{", "%(1)s\u0305"),
    "url": ("{", "%(1)s"),
    "href": ("{{", "%(2)s"),
    "checkmark": ("", "✓"),
    "|": ("", "‖"),
    "Vert": ("", "‖"),
    "lVert": ("", "‖"),
    "rVert": ("", "‖"),
    "lvert": ("", "|"),
    "rvert": ("", "|"),
    "LaTeX": ("", "LaTeX"),
    "TeX": ("", "TeX"),
    "Bbbk": ("", "𝕜"),
    "eg": ("", "e.g."),
    "ie": ("", "i.e."),
    "etal": ("", "et al."),
}
_DOUBLE_STRUCK_DIGITS = dict(zip("0123456789", "𝟘𝟙𝟚𝟛𝟜𝟝𝟞𝟟𝟠𝟡", strict=True))

# One scan over the text; the first alternative that matches at a position wins.
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_TOKEN = re.compile(
    r"(?P<escdollar>\\\$)"
    rf"|\$\$(?P<display>[^$]{{1,{_MAX_MATH}}}?)\$\$"
    rf"|\$(?=[^\s$])(?P<inline>(?:[^$\\]|\\.){{1,{_MAX_MATH}}}?)(?<=[^\s\\])\$"
    rf"|\\\((?P<paren>.{{1,{_MAX_MATH}}}?)\\\)"
    rf"|\\\[(?P<bracket>.{{1,{_MAX_MATH}}}?)\\\]"
    rf"|(?P<command>\\(?P<name>[a-zA-Z]+)\*?(?:\[[^\[\]{{}}]*\])?(?:{_BRACED})*)"
    r"|(?P<braced>\{\\(?:[`'^\"~=.Hcuvk]\s*(?:\{[a-zA-Z]?\}|[a-zA-Z])|[a-zA-Z]{1,2})\})"
    r"|(?P<accent>\\[`'^\"~=.]\s*(?:\{[a-zA-Z]?\}|[a-zA-Z]))"
    r"|(?P<escape>\\[&%#_{}])",
    re.DOTALL,
)
_SCRIPT = re.compile(rf"(?<!\\)([\^_])\s*({_BRACED}|\\[a-zA-Z]+|\\.|[^\s{{}}\\])")
_PRIVATE = re.compile("[\ue000-\uf8ff]")
_SPACES = re.compile(r"\s+")


class _Converter:
    """pylatexenc, set up once with the extra macros."""

    def __init__(self) -> None:
        from pylatexenc import latexwalker, macrospec
        from pylatexenc.latex2text import (
            LatexNodes2Text,
            MacroTextSpec,
            get_default_latex_context_db,
        )

        wdb = latexwalker.get_default_latex_context_db()
        wdb.add_context_category(
            "digest-reader",
            macros=[macrospec.std_macro(name, spec) for name, (spec, _) in _EXTRA_MACROS.items()],
            prepend=True,
        )
        tdb = get_default_latex_context_db()
        tdb.add_context_category(
            "digest-reader",
            macros=[
                MacroTextSpec(name, simplify_repl=self._repl(name, repl))
                for name, (_, repl) in _EXTRA_MACROS.items()
            ],
            prepend=True,
        )
        # Unknown macros stay visible (``\Bbbk``) instead of vanishing.
        self._unknown = MacroTextSpec(
            "", simplify_repl=lambda node, **_: "\\" + str(node.macroname)
        )
        tdb.set_unknown_macro_spec(self._unknown)
        self._walker_db = wdb
        self._text_db = tdb
        self._walker_cls = latexwalker.LatexWalker
        self._l2t = LatexNodes2Text(latex_context=tdb, math_mode="text", strict_latex_spaces=False)

    @staticmethod
    def _repl(name: str, repl: str) -> str | Callable[..., str]:
        if name in ("mathds", "mathbbm"):

            def double_struck(node: Any, l2tobj: Any = None, **_: Any) -> str:
                args = node.nodeargd.argnlist if node.nodeargd else []
                inner = str(l2tobj.nodelist_to_text([args[0]])) if args and args[0] else ""
                return "".join(_DOUBLE_STRUCK_DIGITS.get(c, c) for c in inner)

            return double_struck
        return repl

    def knows(self, name: str) -> bool:
        return self._text_db.get_macro_spec(name) is not None

    def defines(self, name: str) -> bool:
        """A macro LaTeX itself (or a common package) defines, not one only
        shown back as typed (``C:\\Users``)."""
        return self._text_db.get_macro_spec(name) is not self._unknown

    def convert(self, source: str) -> str:
        walker = self._walker_cls(source, latex_context=self._walker_db, tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        return str(self._l2t.nodelist_to_text(nodes))


_converter: _Converter | None = None


def _get_converter() -> _Converter:
    global _converter
    if _converter is None:
        _converter = _Converter()
    return _converter


def _scripts(text: str, table: dict[str, str]) -> str | None:
    """``text`` in Unicode scripts, or None when some character has none."""
    out = []
    for c in text:
        if c in table:
            out.append(table[c])
        elif not c.isspace():
            return None
    return "".join(out)


@lru_cache(maxsize=16384)
def _math(source: str) -> str:
    """Readable Unicode for the inside of a math span (cached: the same
    spans, ``$k$``, ``$\\mathcal{O}(n)$``, recur across abstracts, and
    pylatexenc is most of the cost of reading LaTeX)."""
    conv = _get_converter()
    if _PRIVATE.search(source):
        return _one_line(conv.convert(source))
    held: list[str] = []

    def script(m: re.Match[str]) -> str:
        arg = m.group(2)
        if arg.startswith("{"):
            arg = arg[1:-1]
        inner = _math(arg).strip() if arg.strip() else ""
        table = SUPERSCRIPTS if m.group(1) == "^" else SUBSCRIPTS
        mapped = _scripts(inner, table)
        if mapped is None:
            simple = len(inner) == 1 or inner.isalnum()
            mapped = m.group(1) + (inner if simple else f"({inner})")
        held.append(mapped)
        return chr(0xE000 + len(held) - 1)

    prepared = _SCRIPT.sub(script, source)
    out = conv.convert(prepared)
    out = _PRIVATE.sub(lambda m: held[ord(m.group()) - 0xE000], out)
    return _one_line(out)


@lru_cache(maxsize=16384)
def _converted(source: str) -> str:
    """pylatexenc's text of ``source`` (cached, as :func:`_math`)."""
    return _get_converter().convert(source)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _token(m: re.Match[str]) -> str:
    original = m.group()
    try:
        if m.group("escdollar"):
            return "$"
        for group in ("display", "inline", "paren", "bracket"):
            inner = m.group(group)
            if inner is not None:
                after = m.string[m.end() : m.end() + 1]
                if group == "inline" and after.isdigit() and "\\" not in inner:
                    return original  # "$5-$10": prices, not math
                out = _math(inner)
                return out if out else original
        conv = _get_converter()
        if m.group("braced"):
            # {\"o}, {\ss}, {\AA}: BibTeX's way to keep a letter whole; the
            # braces are not shown (Schr{\"o}dinger is "Schrödinger")
            out = _converted(original[1:-1]).strip()
            return out if out and "\\" not in out and len(out) <= 2 else original
        if m.group("command"):
            if not conv.knows(m.group("name")):
                return original
            out = _converted(original)
            return _one_line(out) if out.strip() else original
        # accents and escapes
        out = _converted(original)
        return out.strip() or original
    except Exception:  # pylatexenc raises assorted errors on odd TeX
        return original


def _is_latex(m: re.Match[str]) -> bool:
    """Whether :func:`_token` renders this match (the same decisions, without
    converting): math that is not a price, a command pylatexenc knows, an
    accent or an escape."""
    if m.group("escdollar"):
        return True
    inline = m.group("inline")
    if inline is not None:
        after = m.string[m.end() : m.end() + 1]
        return not (after.isdigit() and "\\" not in inline)
    if any(m.group(g) is not None for g in ("display", "paren", "bracket")):
        return True
    if m.group("command"):
        try:
            return _get_converter().defines(m.group("name"))
        except Exception:  # pylatexenc missing or broken: nothing is LaTeX
            return False
    return True


def latex_spans(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into consecutive pieces, each with True when it is LaTeX
    that :func:`readable` renders (math, a known command, an accent, an
    escape) and False for plain text. Joined, the pieces are ``text``.

    Exports use it to pass LaTeX through and escape only the plain text, so a
    title reads the same in a BibTeX entry as on the screen."""
    if ("$" not in text and "\\" not in text) or len(text) > MAX_CHARS:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if not _is_latex(m):
            continue
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def render(text: str) -> str:
    """``text`` with its LaTeX math and commands turned into Unicode (see module docs).

    Never raises; returns ``text`` itself when there is nothing to do, when it
    is longer than :data:`MAX_CHARS`, or when anything goes wrong. Not cached:
    the search index renders every text once (:func:`readable` is cached).
    """
    if "$" not in text and "\\" not in text:
        return text
    if len(text) > MAX_CHARS:
        return text
    try:
        return _TOKEN.sub(_token, text)
    except Exception:
        return text


@lru_cache(maxsize=8192)
def readable(text: str) -> str:
    """:func:`render`, cached: the list calls it for every visible row."""
    return render(text)
