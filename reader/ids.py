"""Stable paper ids.

The id of a paper is, in order of preference:

1. its arXiv id without version (``2510.02252``, ``cond-mat/0412498``);
2. ``doi:`` + its lower-cased DOI;
3. ``t:`` + the first 16 hex digits of the SHA-1 of its normalised title
   (:func:`normalise_title`: typographic quotes, dashes and spaces folded, so
   "Humanity’s Last Exam" and "Humanity's Last Exam" are one title).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_RE = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:|^|[\s(\[/])"
    rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?(?:\.pdf)?(?=$|[^\d])",
    re.IGNORECASE,
)
_BARE_RE = re.compile(rf"^(?:arxiv:)?(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?$", re.IGNORECASE)
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


def arxiv_id(text: str | None) -> str | None:
    """The arXiv id (without version) in an id, URL or ``oai:arXiv.org:`` string.

    >>> arxiv_id("2510.02252v1"), arxiv_id("http://arxiv.org/abs/cond-mat/0412498v1")
    ('2510.02252', 'cond-mat/0412498')
    """
    if not text:
        return None
    s = text.strip()
    if s.lower().startswith("oai:arxiv.org:"):
        s = s[len("oai:arxiv.org:") :]
        if s.lower().startswith("oai:arxiv.org:"):  # doubled guids seen in the wild
            s = s[len("oai:arxiv.org:") :]
    m = _BARE_RE.match(s)
    if m is None:
        if "arxiv" not in s.lower():
            return None
        m = _ARXIV_RE.search(s)
        if m is None:
            return None
    found = m.group("id")
    if "/" in found:
        archive, num = found.split("/", 1)
        return f"{archive.lower()}/{num}"
    return found


def is_arxiv_id(text: str) -> bool:
    """True when ``text`` is an arXiv id alone (with or without version)."""
    return _BARE_RE.match(text.strip()) is not None


def doi(text: str | None) -> str | None:
    """The DOI in a string or ``doi.org`` URL, lower-cased, or None."""
    if not text:
        return None
    m = _DOI_RE.search(text)
    if m is None:
        return None
    return m.group(1).rstrip(".,;)").lower()


#: Typographic variants folded to their plain form before a title is compared:
#: quotes and primes, dashes and the minus sign, and the spaces NFKD keeps.
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u0060\u00b4\uff07", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u00a0\u2007\u202f\u2060\u200b\ufeff", " "),
        "\u00ad": None,  # a soft hyphen is not there at all
    }
)


def fold_typography(text: str) -> str:
    """Curly quotes to straight ones, en/em dashes, minus and hyphen variants
    to ``-``, no-break and zero-width spaces to a space (soft hyphens dropped)."""
    return text.translate(_TYPOGRAPHIC)


def normalise_title(title: str) -> str:
    """Lower-case letters and digits only, single-spaced: the key for title ids.
    Typography is folded first (:func:`fold_typography`), accents dropped."""
    t = unicodedata.normalize("NFKD", fold_typography(title)).lower()
    t = "".join(ch if ch.isalnum() else " " for ch in t if not unicodedata.combining(ch))
    return " ".join(t.split())


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def title_key(title: str) -> str:
    """The first word of :func:`normalise_title` (a cheap filter before whole
    titles are compared): two titles that normalise alike share it."""
    head = title[:80]
    if head.isascii():
        m = _ASCII_WORD.search(head.lower())
        return m.group() if m else ""
    return normalise_title(head).partition(" ")[0]


def paper_id(arxiv: str | None = None, doi_: str | None = None, title: str = "") -> str:
    """The stable id for a paper from what is known of it (see module docs)."""
    a = arxiv_id(arxiv) if arxiv else None
    if a:
        return a
    d = doi(doi_) if doi_ else None
    if d:
        return f"doi:{d}"
    digest = hashlib.sha1(normalise_title(title).encode("utf-8")).hexdigest()[:16]
    return f"t:{digest}"
