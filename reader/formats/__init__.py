"""Digest formats and the registry that picks one by content.

:func:`load_path` is the entry point: a file, a ``.gz`` file, or a
``.tar.gz``/``.tgz``/``.zip`` archive of digests becomes a list of
:class:`~reader.model.Digest`; it never raises on bad input.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import time
import zipfile
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

from reader.fileio import NotRegularFile, read_regular
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

DEFAULT_MAX_BYTES = 40 * 1024 * 1024
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
MAX_ARCHIVE_MEMBERS = 100_000


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


def is_archive(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def read_sources(
    path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Source | Digest]:
    """The sources in ``path`` (one, or one per archive member). A file that
    cannot be read at all is yielded as a Digest holding one problem."""
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
        yield from _archive_sources(Path(path), max_bytes)
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
    yield from _maybe_gunzip(name, data, max_bytes, st.st_mtime)


def _maybe_gunzip(
    name: str, data: bytes, max_bytes: int, mtime: float | None
) -> Iterator[Source | Digest]:
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(max_bytes + 1)
        except (OSError, EOFError, ValueError) as exc:
            yield _failed(name, f"damaged gzip data: {exc}")
            return
    if len(data) > max_bytes:
        yield _failed(name, f"is over the {max_bytes / 2**20:.0f} MB cap")
        return
    yield Source(name=name, data=data, mtime=mtime)


def _archive_sources(path: Path, max_bytes: int) -> Iterator[Source | Digest]:
    name = str(path)
    try:
        if name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()][:MAX_ARCHIVE_MEMBERS]
                for zinfo in sorted(infos, key=lambda i: i.filename):
                    member = f"{name}!{zinfo.filename}"
                    if zinfo.file_size > max_bytes:
                        yield _failed(member, "is over the size cap")
                        continue
                    with zf.open(zinfo) as zfh:
                        data = zfh.read(max_bytes + 1)
                    yield from _maybe_gunzip(member, data, max_bytes, _zip_mtime(zinfo))
            return
        with tarfile.open(path, "r:*") as tf:
            count = 0
            for info in tf:
                if not info.isfile():
                    continue
                count += 1
                if count > MAX_ARCHIVE_MEMBERS:
                    yield _failed(
                        name, f"more than {MAX_ARCHIVE_MEMBERS} members: the rest skipped"
                    )
                    return
                member = f"{name}!{info.name}"
                if os.path.basename(info.name).startswith("._"):
                    continue  # macOS resource forks
                if info.size > max_bytes:
                    yield _failed(member, "is over the size cap")
                    continue
                tfh = tf.extractfile(info)
                if tfh is None:
                    continue
                data = tfh.read(max_bytes + 1)
                yield from _maybe_gunzip(member, data, max_bytes, float(info.mtime) or None)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, ValueError) as exc:
        yield _failed(name, f"damaged archive: {exc}")


def _zip_mtime(zinfo: zipfile.ZipInfo) -> float | None:
    try:
        return time.mktime((*zinfo.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _failed(name: str, message: str) -> Digest:
    digest = Digest(path=name, format="unreadable")
    digest.problem(message)
    return digest


def load_path(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Digest]:
    """Every digest in a file or archive; never raises on bad input."""
    out: list[Digest] = []
    for item in read_sources(path, max_bytes):
        out.append(item if isinstance(item, Digest) else load_source(item))
    return out


DIGEST_SUFFIXES = (
    ".yaml", ".yml", ".json", ".jsonl", ".ndjson", ".xml", ".atom", ".rss",
    ".md", ".markdown", ".csv", ".tsv", ".txt", ".gz", ".tgz", ".zip", ".tar",
)  # fmt: skip


def looks_like_digest(path: Path) -> bool:
    """Whether a file found while walking a folder is worth reading. A folder's
    README or SOURCES note is skipped; named on the command line it is read."""
    name = path.name.lower()
    if name.startswith(".") or name in {"readme.md", "readme.txt", "sources.md", "license.md"}:
        return False
    return name.endswith(DIGEST_SUFFIXES)
