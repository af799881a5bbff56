"""Stable paper ids.

The id of a paper is, in order of preference:

1. its arXiv id without version (``2510.02252``, ``cond-mat/0412498``);
2. ``doi:`` + its lower-cased DOI;
3. ``t:`` + the first 16 hex digits of the SHA-1 of its normalised title.
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


def normalise_title(title: str) -> str:
    """Lower-case letters and digits only, single-spaced: the key for title ids."""
    t = unicodedata.normalize("NFKD", title).lower()
    t = "".join(ch if ch.isalnum() else " " for ch in t if not unicodedata.combining(ch))
    return " ".join(t.split())


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
