"""Text normalisation shared by the formats: unwrapping, HTML to text, TeX accents.

Every function here returns sanitised text (see :mod:`reader.sanitize`).
"""

from __future__ import annotations

import datetime
import html
import re
from email.utils import parsedate_to_datetime

from reader.sanitize import clean, clean_line

_PARA_SPLIT = re.compile(r"\n[ \t]*\n+")
_INDENT_PARA = re.compile(r"\n(?=[ \t]{2,}\S)")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "blockquote",
}


def one_line(text: str | None) -> str:
    """Collapse all white space (including hard wraps) into single spaces."""
    if not text:
        return ""
    return " ".join(clean_line(text).split())


def unwrap(text: str | None, *, indent_paragraphs: bool = False) -> str:
    """Join hard-wrapped lines, keeping paragraphs (blank-line separated).

    With ``indent_paragraphs`` a line that starts with two or more spaces after
    a newline also starts a paragraph (arXiv writes paragraph breaks as
    ``"\\n  "``); the leading spaces of the whole text are ignored.
    """
    if not text:
        return ""
    s = clean(text).strip()
    if indent_paragraphs:
        s = _INDENT_PARA.sub("\n\n", s)
    paras = [" ".join(p.split()) for p in _PARA_SPLIT.split(s)]
    return "\n\n".join(p for p in paras if p)


def html_to_text(text: str | None) -> str:
    """Turn an HTML fragment into plain text: tags dropped (block tags become
    paragraph breaks), entities decoded, then :func:`unwrap`."""
    if not text:
        return ""
    if "<" not in text and "&" not in text:
        return unwrap(text)

    def _tag(m: re.Match[str]) -> str:
        return "\n\n" if m.group(2).lower() in _BLOCK_TAGS else ""

    s = _TAG.sub(_tag, text)
    s = html.unescape(s)
    return unwrap(s)


_ACCENT_HINT = re.compile(r"\\[`'^\"~=.uvHcdbrkt]|\\[a-zA-Z]+|[{}]")


def tex_to_unicode(text: str | None) -> str:
    """TeX accents and escapes in names to Unicode (``Bal\\'azs`` -> ``Balázs``)."""
    if not text:
        return ""
    s = text
    if "\\" in s or "{" in s:
        s = _latex_to_text(s)
    return one_line(s)


def _latex_to_text(s: str) -> str:
    try:
        from pylatexenc.latex2text import LatexNodes2Text
    except ImportError:  # pragma: no cover - pylatexenc is a dependency
        return s
    try:
        return str(LatexNodes2Text(math_mode="verbatim").latex_to_text(s))
    except Exception:  # pylatexenc raises assorted errors on broken TeX
        return s


def split_authors(text: str | None) -> list[str]:
    """Split an author string (``A, B and C``; ``A; B``) into names, TeX accents
    decoded, affiliations in parentheses dropped."""
    if not text:
        return []
    s = tex_to_unicode(text)
    s = re.sub(r"\([^()]*\)", "", s)
    s = re.sub(r"\s+(?:and|&)\s+", ", ", s)
    parts = re.split(r"\s*[;,]\s*", s)
    return [p.strip() for p in parts if p.strip() and p.strip().lower() not in {"et al", "et al."}]


# --- small field helpers shared by the formats (URLs, dates) -------------------

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")


def http_url(value: object) -> str | None:
    """``value`` as a clean one-line http(s) URL, or None (not a string, other
    schemes, control characters). A space inside the URL is encoded as
    ``%20``; hard wraps are joined. arXiv links are made canonical
    (``https://arxiv.org/abs/...``: not ``http``, ``www.`` or ``export.``), so
    the same link from two digests is one link."""
    if not isinstance(value, str) or not value:
        return None
    url = one_line(value).replace(" ", "%20")
    low = url.lower()
    if not (low.startswith("http://") or low.startswith("https://")):
        return None
    if len(url) < 10 or _BAD_URL_CHAR.search(url):
        return None
    if "arxiv.org" in low:
        url = _ARXIV_HOST.sub("https://arxiv.org/", url, count=1)
    return url


#: An arXiv paper page (abs, pdf, html) on any of arXiv's hosts.
_ARXIV_HOST = re.compile(
    r"^https?://(?:www\.|export\.)?arxiv\.org(?::\d+)?/(?=(?:abs|pdf|html)/)", re.IGNORECASE
)


#: White space, control pictures (left by the sanitiser) and U+FFFD.
_BAD_URL_CHAR = re.compile("[\\s\u2400-\u2421\ufffd]")
_SLASH_DATE = re.compile(r"^\s*(\d{4})[./](\d{1,2})[./](\d{1,2})(?!\d)")


def date_part(value: object) -> str | None:
    """``YYYY-MM-DD`` from ``2025-08-21``, ``2024-01-11 00:00``, an ISO
    timestamp, ``2025.08.21`` or an RFC 822 date (feeds), checked to be a real
    day; None otherwise."""
    if not isinstance(value, str) or not value.strip():
        return None
    m = _ISO_DATE.match(value) or _SLASH_DATE.match(value)
    if m is None:
        try:
            stamp = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        return stamp.date().isoformat() if 1900 <= stamp.year <= 2100 else None
    y, mo, d = (int(x) for x in m.groups())
    try:
        day = datetime.date(y, mo, d)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= y <= 2100 else None


def link_label(url: str) -> str:
    """The usual label for a paper link: abs, pdf, hf, code, doi or other."""
    low = url.lower()
    if "arxiv.org/abs/" in low:
        return "abs"
    if "arxiv.org/pdf/" in low or low.split("?")[0].endswith(".pdf"):
        return "pdf"
    if "huggingface.co/papers/" in low:
        return "hf"
    if "github.com/" in low or "gitlab.com/" in low:
        return "code"
    if "doi.org/" in low:
        return "doi"
    return "other"
