"""Which file names the library reads when it walks a folder: the one rule
that :mod:`reader.library` (every start stats the library's files) and
``digest-reader add`` ask. Apart from :mod:`reader.formats`, whose package
brings every parser and archive module: a command over an unchanged library
parses no digest, and imports none of them."""

from __future__ import annotations

from pathlib import Path

DIGEST_SUFFIXES = (
    ".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".xml", ".atom", ".rss",
    ".md", ".markdown", ".csv", ".tsv", ".txt", ".gz", ".tgz", ".zip", ".tar",
)  # fmt: skip


#: Files a folder holds beside its digests, skipped when a folder is read.
FOLDER_NOTES = frozenset({"readme.md", "readme.txt", "sources.md", "license.md"})


def not_a_digest_name(path: Path) -> str | None:
    """Why the library skips a file of this name when it reads a folder (a
    hidden file, a folder's README or SOURCES note, a name without a digest
    suffix), or None when it reads it. The one rule: :func:`looks_like_digest`
    and ``digest-reader add`` both ask it."""
    name = path.name.lower()
    if name.startswith("."):
        return "a hidden file (its name starts with a dot): the library skips it"
    if name in FOLDER_NOTES:
        return "a folder's README, SOURCES or LICENSE note: the library skips it"
    if not name.endswith(DIGEST_SUFFIXES):
        shown = ", ".join(DIGEST_SUFFIXES)
        return f"the library reads only files whose names end in {shown}"
    return None


def looks_like_digest(path: Path) -> bool:
    """Whether a file found while walking a folder is worth reading. A folder's
    README or SOURCES note is skipped; named on the command line it is read."""
    return not_a_digest_name(path) is None
