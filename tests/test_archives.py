"""Archives are bounded in time and memory whatever they hold (issue 14, item 1).

Each hostile archive is built here, small on disk; the tests count what the
reader expanded (its own meter, fed by every byte taken from the data), never
seconds.
"""

from __future__ import annotations

import bz2
import gzip
import io
import struct
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from reader.formats import load_path
from reader.formats.archive import CHUNK, ArchiveLimits, Meter, archive_sources
from reader.model import Digest


def _digest(n: int) -> bytes:
    """A small native digest holding one paper."""
    return (
        f"title: Day {n}\ndate: 2025-08-{n:02d}\npapers:\n"
        f"- id: 2508.{n:05d}\n  title: Paper number {n}\n"
    ).encode()


def _read(path: Path, limits: ArchiveLimits | None = None) -> tuple[list[Digest], Meter]:
    limits = limits or ArchiveLimits()
    meter = Meter(str(path), limits, path.stat().st_size)
    items = list(archive_sources(path, limits, meter))
    digests = [i for i in items if isinstance(i, Digest)]
    return digests, meter


def _problems(digests: list[Digest]) -> list[str]:
    return [str(p) for d in digests for p in d.problems]


def _titles(path: Path) -> list[str]:
    return sorted(p.title for d in load_path(path) for p in d.papers)


def _tar_block(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = kind
    return info.tobuf(format=tarfile.GNU_FORMAT)


# ---------------------------------------------------------------- overlapping zip


def _overlapping_zip(path: Path, entries: int, member_mb: int = 4) -> Path:
    """One deflated member of zeros, and a central directory of ``entries``
    entries all pointing at it (the "overlapping zip bomb" shape)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m00000.json", b"0" * (member_mb * 2**20))
    data = buf.getvalue()
    end = data.rfind(b"PK\x05\x06")
    cd_size, cd_at = struct.unpack_from("<LL", data, end + 12)
    central = data[cd_at : cd_at + cd_size]
    cds = b"".join(central.replace(b"m00000", f"m{i:05d}".encode()) for i in range(entries))
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(cds), cd_at, 0)
    path.write_bytes(data[:cd_at] + cds + eocd)
    return path


def test_a_zip_whose_entries_overlap_is_refused_before_anything_is_expanded(
    tmp_path: Path,
) -> None:
    bomb = _overlapping_zip(tmp_path / "bomb.zip", 2000)
    assert bomb.stat().st_size < 200_000  # 2,000 entries of 4 MB each: 8 GB if read
    digests, meter = _read(bomb)
    (problem,) = _problems(digests)
    assert problem.startswith(f"{bomb}: entries 'm00000.json' and 'm00001.json' overlap")
    assert "not read" in problem
    assert meter.expanded == 0
    assert not any(d.papers for d in digests)


# ---------------------------------------------------------------- expanded bytes, ratio


def test_a_tar_member_declaring_1000_gib_stops_at_its_header(tmp_path: Path) -> None:
    # A bzip2 tar named .tar.gz (the content decides): its one member says it
    # holds 1,000 GiB; skipping it would mean expanding it all.
    body = _tar_block("day.json", 1000 * 2**30) + b"\0" * 2**20
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(bz2.compress(body))
    digests, meter = _read(bomb)
    (problem,) = _problems(digests)
    assert problem.startswith(f"{bomb}: member 'day.json' declares 1,000 GB")
    assert "expand more than the 1.0 GB limit for one archive (the rest not read)" in problem
    assert meter.expanded <= 2 * CHUNK


def test_expansion_stops_at_the_total_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for n in range(1, 11):
            blob = b" " * (3 * 2**20) + _digest(n)  # 3 MB each, within the member cap
            info = tarfile.TarInfo(f"day{n:02d}.yaml")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    limits = ArchiveLimits(total_bytes=10 * 2**20, ratio=10**6)
    digests, meter = _read(path, limits)
    problems = _problems(digests)
    assert problems[-1].startswith(f"{path}: stopped after ")
    assert "over the limit of 10.0 MB for one archive (the rest not read)" in problems[-1]
    assert 10 * 2**20 < meter.expanded <= 10 * 2**20 + CHUNK


def test_expansion_stops_at_the_ratio_limit(tmp_path: Path) -> None:
    path = tmp_path / "zeros.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in range(20):
            zf.writestr(f"day{n:02d}.json", b"0" * (2 * 2**20))
    assert path.stat().st_size < 200_000
    limits = ArchiveLimits(ratio=100, ratio_after=2**20)
    digests, meter = _read(path, limits)
    problem = _problems(digests)[-1]
    assert problem.startswith(f"{path}: stopped: expands more than 100 times its ")
    assert meter.expanded <= 100 * path.stat().st_size + CHUNK


def test_the_default_limits_hold_a_gzip_tar_of_zeros(tmp_path: Path) -> None:
    # 30 members of 39 MB of zeros: 1.2 GB expanded, 1.2 MB on disk
    path = tmp_path / "zeros.tar.gz"
    # (gzip members, one after the other, read as one stream)
    one = gzip.compress(_tar_block("z.json", 39 * 2**20) + b"\0" * (39 * 2**20), 1)
    path.write_bytes(one * 30)
    digests, meter = _read(path)
    problem = _problems(digests)[-1]
    assert "stopped: expands more than 100 times" in problem
    assert meter.expanded <= 100 * path.stat().st_size + CHUNK


# ---------------------------------------------------------------- entries


def test_folder_entries_count_against_the_entry_limit_and_are_not_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "folders.tar.gz"
    block = _tar_block("d", 0, tarfile.DIRTYPE)
    path.write_bytes(gzip.compress(block * 12_000 + b"\0" * 1024, compresslevel=1))
    limits = ArchiveLimits(entries=10_000)
    tracemalloc.start()
    try:
        digests, meter = _read(path, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (problem,) = _problems(digests)
    assert problem == (
        f"{path}: more than 10,000 entries (files, folders and links alike),"
        " the limit for one archive: the rest not read"
    )
    assert meter.entries == 10_001
    assert meter.expanded <= 10_002 * 512 + CHUNK
    assert peak < 2 * 2**20  # 10,000 entries kept would be ~4 MB


def _zip_of_empties(path: Path, entries: int, declared: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for n in range(entries):
            zf.writestr(f"d{n:05d}/", b"")
    if declared is not None:  # an end record that lies about the count
        data = bytearray(path.read_bytes())
        end = data.rfind(b"PK\x05\x06")
        struct.pack_into("<HH", data, end + 8, declared, declared)
        path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("declared", [None, 10], ids=["honest", "lying end record"])
def test_a_zip_over_the_entry_limit_is_refused_before_its_entries_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: int | None
) -> None:
    path = _zip_of_empties(tmp_path / "folders.zip", 150, declared)

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the central directory was built")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    digests, meter = _read(path, ArchiveLimits(entries=100))
    (problem,) = _problems(digests)
    assert problem.startswith(f"{path}: holds ")
    assert problem.endswith("entries, over the limit of 100 for one archive: not read")
    assert meter.expanded == 0


# ---------------------------------------------------------------- damaged members


def test_a_zip_member_with_a_bad_crc_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "days.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for n in (1, 2, 3):
            zf.writestr(f"day{n}.yaml", _digest(n))
    data = bytearray(path.read_bytes())
    at = data.find(b"Paper number 2")
    data[at] = ord("Q")
    path.write_bytes(bytes(data))
    digests = load_path(path)
    problems = _problems(digests)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}!day2.yaml: damaged member, skipped: Bad CRC-32")
    assert _titles(path) == ["Paper number 1", "Paper number 3"]


@pytest.mark.parametrize("bad", [1, 0], ids=["second header", "first header"])
def test_a_tar_header_with_a_bad_checksum_is_reported_and_the_rest_read(
    tmp_path: Path, bad: int
) -> None:
    buf = io.BytesIO()
    offsets = []
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for n in (1, 2, 3):
            offsets.append(buf.tell())
            blob = _digest(n)
            info = tarfile.TarInfo(f"day{n}.yaml")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    data = bytearray(buf.getvalue())
    data[offsets[bad] + 148] ^= 0x07  # the header's checksum field
    path = tmp_path / "days.tar.gz"
    path.write_bytes(gzip.compress(bytes(data)))
    problems = _problems(load_path(path))
    assert problems == [f"{path}: damaged entry header at byte {offsets[bad]:,}: skipped"]
    kept = [n for n in (1, 2, 3) if n != bad + 1]
    assert _titles(path) == [f"Paper number {n}" for n in kept]


# ---------------------------------------------------------------- nesting


def test_archives_in_archives_and_double_compression_are_not_opened(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("day9.yaml", _digest(9))
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("disguised.yaml", inner.getvalue())
        zf.writestr("twice.yaml.gz", gzip.compress(gzip.compress(_digest(2))))
        zf.writestr("once.yaml.gz", gzip.compress(_digest(1)))
    problems = sorted(_problems(load_path(path)))
    assert problems == [
        f"{path}!disguised.yaml: an archive inside an archive is not opened (one level is read)",
        f"{path}!inner.zip: an archive inside an archive is not opened (one level is read)",
        f"{path}!twice.yaml.gz: compressed twice: not read (one layer of gzip is unpacked)",
    ]
    assert _titles(path) == ["Paper number 1"]


def test_check_names_the_archive_and_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.cli import main

    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var))
    bomb = _overlapping_zip(tmp_path / "bomb.zip", 300)
    assert main(["check", str(bomb)]) == 1
    out = capsys.readouterr().out
    assert f"{bomb}: entries 'm00000.json' and 'm00001.json' overlap in the file" in out


def test_a_refused_archive_is_cached_not_expanded_again_at_every_start(tmp_path: Path) -> None:
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-08-01.yaml").write_bytes(_digest(1))
    _overlapping_zip(folder / "bomb.zip", 50)
    paths = Paths.from_env()
    first = open_library(paths, Config(), [folder])
    assert [str(p) for p in first.problems] == [
        f"{folder / 'bomb.zip'}: entries 'm00000.json' and 'm00001.json' overlap in the file"
        " (a zip bomb?): not read"
    ]
    (folder / "2025-08-02.yaml").write_bytes(_digest(2))  # the snapshot no longer matches
    again = open_library(paths, Config(), [folder])
    assert again.stats.parsed == 1 and again.stats.cached == 2  # the bomb is not read again
    assert len(again.problems) == 1 and len(again.papers) == 2


def test_compressed_data_damaged_midway_keeps_the_members_before_it(tmp_path: Path) -> None:
    # a gzip stream whose first deflate block (stored) holds the first member
    # whole, and whose next block has an invalid type: zlib fails mid-archive
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        blob = _digest(1)
        info = tarfile.TarInfo("day1.yaml")
        info.size = len(blob)
        tf.addfile(info, io.BytesIO(blob))
    first = buf.getvalue()[:1024]  # the header and the data block
    stored = b"\x00" + struct.pack("<HH", len(first), 0xFFFF ^ len(first)) + first
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + stored + b"\x06" * 16)
    problems = _problems(load_path(path))
    assert len(problems) == 1 and problems[0].startswith(f"{path}: damaged archive: ")
    assert _titles(path) == ["Paper number 1"]


def _tar_of_days(days: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for n in range(1, days + 1):
            blob = _digest(n) + b"# " + b"x" * 20_000 + b"\n"
            info = tarfile.TarInfo(f"day{n:02d}.yaml")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz"])
def test_every_tar_compression_reads_one_stream_or_several(tmp_path: Path, kind: str) -> None:
    import lzma

    compress = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}[kind]
    raw = _tar_of_days(20)
    half = len(raw) // 2
    for data in (compress(raw), compress(raw[:half]) + compress(raw[half:])):
        path = tmp_path / "days.tar.gz"  # the content decides, not the name
        path.write_bytes(data)
        assert _titles(path) == sorted(f"Paper number {n}" for n in range(1, 21))
        assert _problems(load_path(path)) == []
    # cut short: the cut is said, and what came before it is read (bzip2
    # decodes whole 900 KB blocks only: this one is lost with its end)
    path.write_bytes(compress(raw)[: len(compress(raw)) * 2 // 3])
    problems = _problems(load_path(path))
    assert problems and problems[-1].startswith(f"{path}: damaged archive: ")
    assert len(_titles(path)) >= (0 if kind == "bzip2" else 5)
