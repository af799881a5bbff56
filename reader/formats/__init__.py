"""Digest formats and the registry that picks one by content.

:func:`load_path` is the entry point: a file, a ``.gz`` file, or a
``.tar.gz``/``.tgz``/``.zip`` archive of digests becomes a list of
:class:`~reader.model.Digest`; it never raises on bad input.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path

from reader.digest_names import DIGEST_SUFFIXES as DIGEST_SUFFIXES
from reader.digest_names import FOLDER_NOTES as FOLDER_NOTES
from reader.digest_names import looks_like_digest as looks_like_digest
from reader.digest_names import not_a_digest_name as not_a_digest_name
from reader.fileio import NotRegularFile, read_regular
from reader.formats.archive import (
    ARCHIVE_SUFFIXES as ARCHIVE_SUFFIXES,
)
from reader.formats.archive import (
    DEFAULT_MAX_BYTES,
    ArchiveLimits,
    archive_sources,
    expand,
    failed,
)
from reader.formats.archive import (
    is_archive as is_archive,
)
from reader.formats.base import Format, Source
from reader.model import Digest

#: Modules holding one ``FORMAT`` each, in the order ties are broken.
FORMAT_MODULES = (
    "native_yaml",
    "paper_yaml",
    "hf_json",
    "arxiv_atom",
    "rss",
    "arxiv_jsonl",
    "arxiv_daily",
    "markdown_news",
    "csv_table",
    "text_page",
)


def formats() -> list[Format]:
    """Every registered format. A name in :data:`FORMAT_MODULES` with no module
    behind it is an ImportError, never a format silently dropped."""
    return [import_module(f"reader.formats.{mod}").FORMAT for mod in FORMAT_MODULES]


def detect(source: Source) -> Format | None:
    """The format whose ``detect`` is most confident, or None."""
    best: tuple[int, Format] | None = None
    for fmt in formats():
        try:
            score = fmt.detect(source)
        except Exception:  # a detector must never stop the others
            score = 0
        if score > 0 and (best is None or score > best[0]):
            best = (score, fmt)
    return best[1] if best else None


def load_source(source: Source, fmt: Format | None = None) -> Digest:
    """Parse one source; unknown content or a loader bug becomes a Problem."""
    fmt = fmt or detect(source)
    if fmt is None:
        digest = Digest(path=source.name, format="unknown")
        if not source.data.strip():
            digest.problem("empty file", severity="warning")
        else:
            digest.problem("not a digest format the reader knows (see docs/digest-format.md)")
        return digest
    try:
        return fmt.load(source)
    except RecursionError:
        digest = Digest(path=source.name, format=fmt.name)
        digest.problem("nested too deeply to read")
        return digest
    except Exception as exc:  # keep the library loading; say what went wrong
        digest = Digest(path=source.name, format=fmt.name)
        digest.problem(f"could not be read as {fmt.name}: {type(exc).__name__}: {exc}")
        return digest


def read_sources(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ArchiveLimits | None = None,
) -> Iterator[Source | Digest]:
    """The sources in ``path`` (one, or one per archive member). A file that
    cannot be read at all is yielded as a Digest holding one problem. An
    archive is read within ``limits`` (by default :class:`ArchiveLimits` with
    ``max_bytes`` as its member cap)."""
    name = str(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        yield _failed(name, f"cannot read: {exc.strerror or exc}")
        return
    if stat.S_ISDIR(st.st_mode):
        yield _failed(name, "is a folder, not a digest file")
        return
    if not stat.S_ISREG(st.st_mode):
        yield _failed(name, "is not a regular file (FIFO, device or socket): not read")
        return
    if st.st_size > max_bytes and not is_archive(name):
        yield _failed(
            name, f"is {st.st_size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB cap"
        )
        return
    if is_archive(name):
        yield from archive_sources(Path(path), limits or ArchiveLimits(member_bytes=max_bytes))
        return
    try:
        # checked again after opening: the file may have been swapped for a FIFO
        data = read_regular(path, max_bytes)
    except NotRegularFile as exc:
        yield _failed(name, str(exc))
        return
    except OSError as exc:
        yield _failed(name, f"cannot read: {exc.strerror or exc}")
        return
    yield from expand(name, data, ArchiveLimits(member_bytes=max_bytes), st.st_mtime)


def _failed(name: str, message: str) -> Digest:
    return failed(name, message)


def load_path(
    path: str | os.PathLike[str],
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ArchiveLimits | None = None,
    each: Callable[[Digest], None] | None = None,
) -> list[Digest]:
    """Every digest in a file or archive; never raises on bad input.
    ``each`` is given every digest as soon as it is read (an archive's
    members one by one: a first open shows them as they come); what it
    raises stops the reading."""
    out: list[Digest] = []
    for item in read_sources(path, max_bytes, limits):
        digest = item if isinstance(item, Digest) else load_source(item)
        out.append(digest)
        if each is not None:
            each(digest)
    return out
