"""Archives of digests (``.zip``, ``.tar``, ``.tar.gz``/``.tgz``; a tar
compressed with gzip, bzip2 or xz is recognised by its content), read within
fixed limits whatever they hold.

An archive is untrusted input that can cost far more than its size: a zip
whose entries overlap one member, a tar member that declares 1,000 GiB in a
785 KB file (skipping it means expanding it), millions of folder entries.
So every archive is read as a stream that counts what it expands and stops at
the first limit of :class:`ArchiveLimits` reached, with a message naming the
archive and the limit:

* **expanded bytes** in all (``total_bytes``), counted as they are decompressed,
  skipped members included, never learnt by reading a member whole;
* **ratio** of expanded bytes to the archive's size on disk (``ratio``, once
  ``ratio_after`` bytes have been expanded);
* **entries** of every kind (files, folders, links; ``entries``): a zip's count
  is taken from its end record and its central directory before any entry is
  built, a tar is iterated without keeping its entries;
* **nesting**: an archive inside an archive is not opened; a member is
  decompressed once (``x.json.gz``), never twice;
* **member size**: a member over the file cap (``member_bytes``) is refused,
  and no single read of a header may be larger.

A zip whose entries overlap in the file (the "overlapping zip bomb") is
refused before any member is read. A damaged member (a bad CRC, a bad tar
header) is reported and the members after it are still read.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from reader.formats.base import Source
from reader.model import Digest

DEFAULT_MAX_BYTES = 40 * 1024 * 1024
#: The archive names read as archives (a member with one of these names is an
#: archive inside an archive, and is not opened).
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
#: How much is read or decompressed at a time.
CHUNK = 64 * 1024

_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class ArchiveLimits:
    """What reading one archive may cost (the defaults are in docs/security.md)."""

    #: The largest member accepted (the library's file cap, ``max_file_mb``).
    member_bytes: int = DEFAULT_MAX_BYTES
    #: Bytes expanded in all, skipped members and headers included.
    total_bytes: int = 1024 * 1024 * 1024
    #: Expanded bytes per byte on disk, checked once ``ratio_after`` are expanded.
    ratio: int = 100
    ratio_after: int = 32 * 1024 * 1024
    #: Entries of every kind: files, folders, links, headers.
    entries: int = 100_000


class LimitReached(Exception):
    """A limit of :class:`ArchiveLimits` was reached: the message says which.
    ``fixed`` when the limit does not depend on the config (so the outcome is
    the same for the same file, and the library may cache it)."""

    def __init__(self, message: str, fixed: bool = True) -> None:
        super().__init__(message)
        self.fixed = fixed


#: The format of a Digest standing for an archive refused at a fixed limit:
#: unlike "unreadable" (tried again at every start), the same file always
#: gives the same refusal, so the library caches it.
REFUSED = "refused"


@dataclass
class Meter:
    """What reading one archive has cost so far."""

    name: str
    limits: ArchiveLimits
    #: The archive's size on disk.
    size: int
    #: Bytes decompressed (or read, for a plain tar) so far.
    expanded: int = 0
    #: Entries met so far.
    entries: int = 0

    def add(self, n: int) -> None:
        """Count ``n`` more bytes expanded; LimitReached past a limit."""
        self.expanded += n
        lim = self.limits
        if self.expanded > lim.total_bytes:
            raise LimitReached(
                f"stopped after {size_text(self.expanded)} expanded: over the limit of"
                f" {size_text(lim.total_bytes)} for one archive (the rest not read)"
            )
        if self.expanded > lim.ratio_after and self.expanded > lim.ratio * max(self.size, 1):
            raise LimitReached(
                f"stopped: expands more than {lim.ratio} times its {size_text(self.size)}"
                f" ({size_text(self.expanded)} so far), the limit for one archive;"
                " a compression bomb? (the rest not read)"
            )

    def entry(self) -> None:
        """Count one more entry; LimitReached past the limit."""
        self.entries += 1
        if self.entries > self.limits.entries:
            raise LimitReached(
                f"more than {self.limits.entries:,} entries (files, folders and links"
                " alike), the limit for one archive: the rest not read"
            )

    def remaining(self) -> int:
        return self.limits.total_bytes - self.expanded


def size_text(n: int) -> str:
    """``41943040`` -> ``"40.0 MB"``; ``2**30`` -> ``"1.0 GB"``; whole GB past 10 GB."""
    if n >= 10 * 2**30:
        return f"{n / 2**30:,.0f} GB"
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GB"
    if n >= 2**20:
        return f"{n / 2**20:,.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:,.1f} KB"
    return f"{n:,} bytes"


def is_archive(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(ARCHIVE_SUFFIXES)


def failed(name: str, message: str) -> Digest:
    """A file or member that could not be read: a Digest holding the problem."""
    digest = Digest(path=name, format="unreadable")
    digest.problem(message)
    return digest


#: What damaged data raises, from the containers and the decompressors.
_DAMAGE = (
    OSError,
    EOFError,
    ValueError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)


def archive_sources(
    path: Path, limits: ArchiveLimits, meter: Meter | None = None
) -> Iterator[Source | Digest]:
    """The members of an archive as sources, and a Digest holding one problem
    for each member (or limit) that stopped reading. ``meter``, when given,
    is the one counting (tests read it afterwards)."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            m = meter or Meter(name, limits, size)
            m.size = size
            if name.lower().endswith(".zip"):
                yield from _zip_sources(name, fh, m)
            else:
                yield from _tar_sources(name, fh, m)
    except LimitReached as exc:
        digest = failed(name, str(exc))
        if exc.fixed:
            digest.format = REFUSED
        yield digest
    except _DAMAGE as exc:
        yield failed(name, f"damaged archive: {exc}")


def expand(
    name: str, data: bytes, limits: ArchiveLimits, mtime: float | None, meter: Meter | None = None
) -> Iterator[Source | Digest]:
    """One file's bytes as a source: gzip data decompressed once (within the
    member cap, counted by ``meter`` inside an archive); data compressed twice,
    or an archive inside an archive, is refused."""
    cap = limits.member_bytes
    if data[:2] == _GZIP:
        out = bytearray()
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                while len(out) <= cap:
                    chunk = gz.read(CHUNK)
                    if not chunk:
                        break
                    if meter is not None:
                        meter.add(len(chunk))
                    out += chunk
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            yield failed(name, f"damaged gzip data: {exc}")
            return
        if out[:2] == _GZIP:
            yield failed(name, "compressed twice: not read (one layer of gzip is unpacked)")
            return
        data = bytes(out)
    if len(data) > cap:
        yield failed(name, f"is over the {cap / 2**20:.0f} MB cap")
        return
    if meter is not None and (data[:4] == b"PK\x03\x04" or data[257:262] == b"ustar"):
        yield failed(name, "an archive inside an archive is not opened (one level is read)")
        return
    yield Source(name=name, data=data, mtime=mtime)


def _skipped(member: str) -> bool:
    base = os.path.basename(member.rstrip("/"))
    # macOS resource forks and their folder: not digests
    return base.startswith("._") or member.startswith("__MACOSX/")


# --------------------------------------------------------------------------- zip

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # one central directory header (46 bytes)


def _zip_directory(fh: BinaryIO, size: int) -> tuple[int, int, int]:
    """(entries, start, size) of a zip's central directory, read from its end
    records, before zipfile builds anything. ValueError when none is found."""
    tail_size = min(size, _EOCD.size + 65535)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise ValueError("no zip end record")
    _, _, _, _, entries, cd_size, _, _ = _EOCD.unpack_from(tail, at)
    end_at = size - tail_size + at
    if at >= _ZIP64_LOCATOR.size:
        loc = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
        record_at = end_at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
        if loc[0] == b"PK\x06\x07" and record_at >= 0:
            fh.seek(record_at)
            rec = fh.read(_ZIP64_EOCD.size)
            if len(rec) == _ZIP64_EOCD.size and rec[:4] == b"PK\x06\x06":
                fields = _ZIP64_EOCD.unpack(rec)
                entries, cd_size = fields[7], fields[8]
                end_at = record_at
    return entries, max(0, end_at - cd_size), cd_size


def _count_central(fh: BinaryIO, start: int, cd_size: int, limit: int) -> int:
    """The entries the central directory really holds (its end record may lie),
    counted header by header without building them; stops past ``limit``."""
    fh.seek(start)
    data = fh.read(min(cd_size, 64 * 2**20))
    count = at = 0
    while at + _CENTRAL.size <= len(data) and count <= limit:
        if data[at : at + 4] != b"PK\x01\x02":
            break
        fields = _CENTRAL.unpack_from(data, at)
        n, m, k = fields[10], fields[11], fields[12]
        at += _CENTRAL.size + n + m + k
        count += 1
    if cd_size > len(data) and count <= limit:
        # a directory over 64 MB is at least this many minimal headers
        count = max(count, cd_size // _CENTRAL.size)
    return count


def _zip_sources(name: str, fh: BinaryIO, meter: Meter) -> Iterator[Source | Digest]:
    limits = meter.limits
    declared, start, cd_size = _zip_directory(fh, meter.size)
    real = (
        declared
        if declared > limits.entries
        else _count_central(fh, start, cd_size, limits.entries)
    )
    count = max(declared, real)
    if count > limits.entries:
        raise LimitReached(
            f"holds {count:,} entries, over the limit of {limits.entries:,} for one archive:"
            " not read"
        )
    fh.seek(0)
    with zipfile.ZipFile(fh) as zf:
        infos = zf.infolist()
        meter.entries = len(infos)
        overlap = _overlapping(infos, zf.start_dir)
        if overlap:
            raise LimitReached(
                f"entries {overlap[0]!r} and {overlap[1]!r} overlap in the file"
                " (a zip bomb?): not read"
            )
        for zinfo in sorted(infos, key=lambda i: i.filename):
            if zinfo.is_dir() or _skipped(zinfo.filename):
                continue
            member = f"{name}!{zinfo.filename}"
            if is_archive(zinfo.filename):
                yield failed(
                    member, "an archive inside an archive is not opened (one level is read)"
                )
                continue
            if zinfo.file_size > limits.member_bytes:
                yield failed(
                    member,
                    f"is {size_text(zinfo.file_size)}, over the"
                    f" {limits.member_bytes / 2**20:.0f} MB cap",
                )
                continue
            try:
                data = _read_zip_member(zf, zinfo, meter)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
                yield failed(member, f"damaged member, skipped: {exc}")
                continue
            except (NotImplementedError, RuntimeError) as exc:  # method, encryption
                yield failed(member, f"cannot be read, skipped: {exc}")
                continue
            if data is None:
                yield failed(member, f"is over the {limits.member_bytes / 2**20:.0f} MB cap")
                continue
            yield from expand(member, data, limits, _zip_mtime(zinfo), meter)


def _read_zip_member(zf: zipfile.ZipFile, zinfo: zipfile.ZipInfo, meter: Meter) -> bytes | None:
    """A member's bytes, counted as they are expanded; None past the member cap."""
    cap = meter.limits.member_bytes
    out = bytearray()
    with zf.open(zinfo) as zfh:
        while True:
            chunk = zfh.read(CHUNK)
            if not chunk:
                return bytes(out)
            meter.add(len(chunk))
            out += chunk
            if len(out) > cap:
                return None


def _overlapping(infos: list[zipfile.ZipInfo], directory_at: int) -> tuple[str, str] | None:
    """Two entries whose data overlap in the file (or one running into the
    central directory), or None. An entry takes at least its 30-byte local
    header and its compressed size from its offset."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.header_offset < a.header_offset + 30 + a.compress_size:
            return a.filename, b.filename
    if ordered:
        last = ordered[-1]
        if last.header_offset + 30 + last.compress_size > directory_at:
            return last.filename, "the central directory"
    return None


def _zip_mtime(zinfo: zipfile.ZipInfo) -> float | None:
    try:
        return time.mktime((*zinfo.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


# --------------------------------------------------------------------------- tar


class _Raw(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class _MeteredStream:
    """A forward-only stream over an archive's (decompressed) bytes that counts
    every byte it takes from the data, skipped ones included: for a compressed
    tar, seeking forward is decompressing. No read may be larger than the
    member cap (a pax or long-name header declaring gigabytes is refused).
    One block can be put back (:meth:`unread`) to be read again uncounted."""

    def __init__(self, raw: _Raw, meter: Meter, compressed: bool) -> None:
        self._raw = raw
        self._meter = meter
        self._compressed = compressed
        self._pos = 0  # in the data, after what was taken
        self._pending = b""

    def tell(self) -> int:
        return self._pos - len(self._pending)

    def unread(self, block: bytes) -> None:
        self._pending = block + self._pending

    def read(self, n: int = -1) -> bytes:
        cap = self._meter.limits.member_bytes
        if n is None or n < 0 or n > cap + tarfile.BLOCKSIZE:
            raise LimitReached(
                f"an entry of more than {size_text(cap)}, the cap for one file,"
                " in its header: the rest not read",
                fixed=False,
            )
        head, self._pending = self._pending[:n], self._pending[n:]
        if len(head) == n:
            return head
        return head + self._take(n - len(head))

    def _take(self, n: int) -> bytes:
        data = self._raw.read(n)
        self._pos += len(data)
        self._meter.add(len(data))
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self.tell()
        elif whence != 0:
            raise OSError("cannot seek from the end of an archive stream")
        skip = pos - self.tell()
        if skip < 0:
            raise OSError("cannot go back in an archive stream")
        dropped = min(skip, len(self._pending))
        self._pending = self._pending[dropped:]
        skip -= dropped
        if not skip:
            return self.tell()
        if not self._compressed:
            self._raw.seek(pos)
            self._pos = pos
            return pos
        while skip > 0:
            got = len(self._take(min(CHUNK, skip)))
            if not got:
                break
            skip -= got
        return self.tell()


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes: ...


_INPUT_CHUNK = 8192


class _Inflating:
    """A forward-only reader of a gzip, bzip2 or xz stream (streams one after
    the other too, as ``cat a.gz b.gz`` makes) that hands out every byte it
    could decompress before it meets damage: the library's own loop, so no
    read-ahead buffer loses the member just before a damaged block."""

    def __init__(self, fh: BinaryIO, kind: str) -> None:
        self._fh = fh
        self._kind = kind
        self._d = self._new()
        self._input = b""  # read from the file, not yet taken by the decompressor
        self._started = False  # the current stream has taken input
        self._done = False

    def _new(self) -> _Decompressor:
        if self._kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._kind == "bzip2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor()

    def read(self, n: int = -1) -> bytes:
        out = bytearray()
        while len(out) < n and not self._done:
            out += self._more(n - len(out))
        return bytes(out)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        raise OSError("cannot seek in a compressed stream")

    def _more(self, want: int) -> bytes:
        d = self._d
        pending = not self._input and getattr(d, "needs_input", True)
        if pending:
            # small pieces: zlib copies what it has not taken at every call
            self._input = self._fh.read(_INPUT_CHUNK)
            if not self._input:
                self._done = True
                if self._started:
                    raise EOFError("the compressed data ends early")
                return b""
        self._started = True
        data = d.decompress(self._input, want)
        # zlib hands back what it did not take; bz2 and lzma keep it
        self._input = getattr(d, "unconsumed_tail", b"")
        if d.eof:
            rest = d.unused_data  # (zlib's unconsumed_tail is the same bytes then)
            self._d = self._new()
            self._started = False
            # streams may follow; zero padding after the last one is allowed
            self._input = rest if rest.strip(b"\0") else b""
        return data


def _decompressed(fh: BinaryIO) -> tuple[_Raw, bool]:
    """The tar stream inside ``fh`` (gzip, bzip2, xz or none, by content)."""
    magic = fh.read(6)
    fh.seek(0)
    if magic[:2] == _GZIP:
        return _Inflating(fh, "gzip"), True
    if magic[:3] == b"BZh":
        return _Inflating(fh, "bzip2"), True
    if magic == b"\xfd7zXZ\x00":
        return _Inflating(fh, "xz"), True
    return fh, False


def _tar_sources(name: str, fh: BinaryIO, meter: Meter) -> Iterator[Source | Digest]:
    raw, compressed = _decompressed(fh)
    stream = _MeteredStream(raw, meter, compressed)
    # tarfile reads a first header as it opens, and refuses the whole archive
    # when that one is damaged: it is given a blank one (not counted, dropped),
    # and every real header is read by _tar_entries, damaged or not.
    stream.unread(_BLANK_HEADER)
    with tarfile.open(fileobj=stream, mode="r:") as tf:  # type: ignore[call-overload]
        tf.next()
        yield from _tar_entries(name, tf, stream, meter, compressed)


_BLANK_HEADER = tarfile.TarInfo("blank").tobuf(format=tarfile.USTAR_FORMAT)


def _tar_entries(
    name: str, tf: tarfile.TarFile, stream: _MeteredStream, meter: Meter, compressed: bool
) -> Iterator[Source | Digest]:
    """Each entry in turn, counted; a damaged header reported and skipped."""
    # read here one by one, so none is kept (TarFile.next keeps every entry)
    info: tarfile.TarInfo | None = None
    bad_at: int | None = None  # where a run of damaged headers began
    while True:
        if info is None:
            pos = tf.offset
            stream.seek(pos)
            block = stream.read(tarfile.BLOCKSIZE)
            if len(block) < tarfile.BLOCKSIZE or not block.strip(b"\0"):
                if bad_at is not None:
                    yield failed(name, f"damaged entry header at byte {bad_at:,}: skipped")
                if block.strip(b"\0") and len(block) < tarfile.BLOCKSIZE:
                    yield failed(name, "ends in the middle of an entry header")
                if pos == 0 and not block:
                    yield failed(name, "damaged archive: empty file")
                return  # the end: a zero block, or the end of the data
            stream.unread(block)  # tarfile reads it again, whole (long names, pax)
            try:
                info = tarfile.TarInfo.fromtarfile(tf)
            except tarfile.HeaderError:
                # a bad checksum: look for the next good header, block by block
                if bad_at is None:
                    bad_at = pos
                after = -(-stream.tell() // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
                tf.offset = max(pos + tarfile.BLOCKSIZE, after)
                continue
            if bad_at is not None:
                yield failed(name, f"damaged entry header at byte {bad_at:,}: skipped")
                bad_at = None
        meter.entry()
        yield from _tar_member(name, tf, info, meter, compressed)
        info = None


def _tar_member(
    name: str, tf: tarfile.TarFile, info: tarfile.TarInfo, meter: Meter, compressed: bool
) -> Iterator[Source | Digest]:
    limits = meter.limits
    if not info.isfile() or _skipped(info.name):
        return
    member = f"{name}!{info.name}"
    if info.size > limits.member_bytes:
        if compressed and info.size > meter.remaining():
            raise LimitReached(
                f"member {info.name!r} declares {size_text(info.size)}: skipping it would"
                f" expand more than the {size_text(limits.total_bytes)} limit for one archive"
                " (the rest not read)"
            )
        yield failed(
            member, f"is {size_text(info.size)}, over the {limits.member_bytes / 2**20:.0f} MB cap"
        )
        return
    if info.issparse():
        yield failed(member, "is a sparse file: not read")
        return
    if is_archive(info.name):
        yield failed(member, "an archive inside an archive is not opened (one level is read)")
        return
    tfh = tf.extractfile(info)
    if tfh is None:
        return
    out = bytearray()
    while chunk := tfh.read(CHUNK):
        out += chunk
    mtime = float(info.mtime) or None
    yield from expand(member, bytes(out), limits, mtime, meter)
