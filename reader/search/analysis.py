"""Text analysis shared by the index, the queries, the engine's scan and the
highlighter: what a word is and when two words match.

``\\w+`` words of the text as shown (LaTeX rendered, :func:`searchable`),
lower-cased, accents folded, a small stop list, and a light plural stemmer
(``functions`` -> ``function``, ``studies`` -> ``study``) that keeps words
whole enough for ``prefix*`` to work on the stems. Also the layout of the one
indexed field (:data:`INDEX_FIELD`, :data:`FIELD_SPANS`), the field boosts,
and the one definition of "within N edits" (:func:`within_edits`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from reader.latex import SUBSCRIPTS, SUPERSCRIPTS, render

#: Letters a ``prefix*`` (and the word being typed) needs before its star.
MIN_PREFIX = 2

#: A ``prefix*`` shorter than this matches as a filter, as Lucene's and
#: Whoosh's prefix queries do by default: every paper holding a word of its
#: run scores the same (1), so the newest come first. ``la*`` expands to
#: 1,600 words (``language``, ``large``, ``latent``, ``layer``...) and ``a*``
#: to 12,000: a sum of their scores ranks the longest abstracts, not what one
#: means, and costs ~5 million postings a segment at 1M papers. From three
#: letters on (``lan*``), a prefix is ranked (BM25F over its words).
SCORED_PREFIX = 3


def broad_prefix(text: str) -> bool:
    """Whether ``text*`` matches as a filter (see :data:`SCORED_PREFIX`)."""
    return len(text) < SCORED_PREFIX


#: Field weights for BM25F (query-time boosts): title > authors > tags > abstract.
FIELD_BOOSTS: dict[str, float] = {"title": 4.0, "authors": 2.5, "tags": 1.5, "abstract": 1.0}
TEXT_FIELDS = ("title", "authors", "abstract", "tags")

#: The one indexed text field: title, authors, tags and abstract together.
INDEX_FIELD = "text"
#: Position range of each field's words inside :data:`INDEX_FIELD` (``title:x``
#: is ``x`` at a position in the title's range; phrases never cross fields).
SPAN_WIDTH = 1 << 20
FIELD_SPANS: dict[str, tuple[int, int]] = {
    "title": (0, SPAN_WIDTH),
    "authors": (SPAN_WIDTH, 2 * SPAN_WIDTH),
    "tags": (2 * SPAN_WIDTH, 3 * SPAN_WIDTH),
    "abstract": (3 * SPAN_WIDTH, 4 * SPAN_WIDTH),
}


#: English function words only (never a domain word): fewer postings, faster builds.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)
_WORD = re.compile(r"\w+")
_STEMS: dict[str, str] = {}
_MAX_STEMS = 500_000
#: Each word met -> its index term ("" for a stop word): :func:`analyze`
#: maps a text's words through it in C (``map``, ``filter``), with no
#: Python step per word once the words are known.
_TERMS: dict[str, str] = {}
#: ASCII text: every character that is not a ``\w`` character becomes a
#: space, so that ``str.split`` gives the words of ``\w+`` (faster than the
#: regular expression; the text is ASCII, so ``\w`` is ``[A-Za-z0-9_]``).
_ASCII_BREAKS = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)


def _stem_uncached(word: str) -> str:
    n = len(word)
    if n <= 3 or not word.endswith("s") or word[-1].isdigit():
        return word
    if word.endswith("ies") and n > 4 and word[-4] not in "ae":
        return word[:-3] + "y"
    if word.endswith("es") and word[-3] not in "aeo" and word[-3:] not in ("ses", "xes"):
        return word[:-1]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


def stem(word: str) -> str:
    """The light stem of a lower-case word: plurals to singular, nothing else."""
    got = _STEMS.get(word)
    if got is None:
        got = _stem_uncached(word)
        if len(_STEMS) < _MAX_STEMS:
            _STEMS[word] = got
    return got


#: Greek letters as words (what ``$\\alpha$`` gave before LaTeX was rendered):
#: ``α-stable`` is found by ``alpha`` and by ``α``; ``ΛCDM`` is ``lambda cdm``.
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi",
    "ϖ": "pi", "ρ": "rho", "ϱ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_BEFORE_NFKD = str.maketrans(
    # Super- and subscripts are words of their own (``∇²DFT``: ``2``, ``dft``),
    # as ``$\\nabla^2$DFT`` was before LaTeX was rendered.
    {c: f" {unicodedata.normalize('NFKD', c)} " for c in {*SUPERSCRIPTS.values(), *SUBSCRIPTS.values()}
     if unicodedata.normalize("NFKD", c).isalnum()}
    | {c: f" {name} " for c, name in _GREEK.items()}
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case, with accents removed (``Balázs`` -> ``balazs``), Greek
    letters spelled out (``α`` -> `` alpha ``) and super- and subscripts made
    words (``x²`` -> ``x 2 ``)."""
    s = text.lower()
    if s.isascii():
        return s
    s = unicodedata.normalize("NFKD", s.translate(_BEFORE_NFKD))
    # accents are never ASCII: only the runs of other letters are walked
    return _NON_ASCII.sub(_without_marks, s)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _without_marks(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


def searchable(text: str) -> str:
    """The text search matches for a digest's ``text``: what the reader shows
    (its LaTeX rendered by :func:`reader.latex.render`: ``Poincar\\'e`` is
    ``Poincaré``), folded (``poincare``)."""
    return fold(render(text))


def words(folded: str) -> list[str]:
    """The ``\\w+`` words of a folded text (:func:`searchable`), in order."""
    if folded.isascii():
        return folded.translate(_ASCII_BREAKS).split()
    return _WORD.findall(folded)


def _term(word: str) -> str:
    """The index term of a word ("" for a stop word)."""
    return "" if word in STOP_WORDS else _stem_uncached(word)


def analyze(text: str) -> list[str]:
    """The index terms of ``text``, in order (stop words dropped): the words
    of :func:`searchable`, stemmed."""
    found = words(searchable(text))
    try:
        return list(filter(None, map(_TERMS.__getitem__, found)))
    except KeyError:  # words not met before
        pass
    if len(_TERMS) < _MAX_STEMS:
        for w in set(found).difference(_TERMS):
            _TERMS[w] = _term(w)
        return list(filter(None, map(_TERMS.__getitem__, found)))
    return list(filter(None, map(_term, found)))


def within_edits(a: str, b: str, k: int) -> bool:
    """True when ``a`` becomes ``b`` in at most ``k`` single-letter insertions,
    deletions or substitutions (Levenshtein distance, as Whoosh's automaton in
    one segment). The one definition of ``word~`` used by the index (its
    automaton's words are checked with it), the scan and the highlighter."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > k:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > k:
            return False
        prev = cur
    return prev[-1] <= k


def words_within_edits(words: list[str], b: str, k: int) -> Any:
    """:func:`within_edits` of each of ``words`` and ``b`` at once, as a
    numpy boolean array: the same Levenshtein distance, one row of the
    dynamic programme per letter of ``b``, over every word together (a
    ``word~`` over a term dictionary's thousands of candidates in a
    millisecond or two)."""
    import numpy as np

    n = len(words)
    if not n:
        return np.zeros(0, np.bool_)
    lens = np.fromiter(map(len, words), np.int64, n)
    width = max(1, int(lens.max()))
    # Code points, one column per letter (0 past a word's end).
    chars = np.array(words, dtype=f"<U{width}").view(np.uint32).reshape(n, width).T
    target = np.array([ord(c) for c in b], np.uint32)
    m = len(target)
    # prev[j]: the distance between the word's first i letters and b[:j].
    prev = np.repeat(np.arange(m + 1, dtype=np.int64)[:, None], n, axis=1)
    best = np.where(lens == 0, m, k + 1)
    for i in range(width):
        c = chars[i]
        cur = np.empty_like(prev)
        cur[0] = i + 1
        for j in range(1, m + 1):
            cur[j] = np.minimum(
                np.minimum(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (c != target[j - 1])
            )
        prev = cur
        done = lens == i + 1
        best[done] = prev[m][done]
    out: Any = best <= k
    return out
