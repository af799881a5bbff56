"""A damaged index never answers wrong, and does not stay damaged.

A small index (a full build, then a sync that adds a second segment with
deletions) is copied, one file of it damaged (truncated, a range zeroed,
random bytes in the middle; its modification time put back, as ``touch -r``
would), and a fixed set of queries run through the engine as the app runs
them before its sync: every answer equals the clean one (the same papers in
the same order from the index, or the same papers and count from the scan
when the index refused itself). Then a sync, as the CLI runs before each
search, rebuilds, and the next process answers from a sound index again.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reader.model import Paper
from reader.search.engine import SearchEngine
from reader.search.index import SIDECAR_NAME, SearchIndex, integrity

WORDS = [
    "diffusion",
    "transformer",
    "graph",
    "neural",
    "network",
    "attention",
    "robot",
    "policy",
    "reward",
    "language",
    "model",
    "vision",
    "token",
    "sparse",
    "quantum",
    "error",
    "correction",
    "protein",
    "fold",
    "retrieval",
    "agent",
    "memory",
    "planning",
    "latent",
    "video",
    "audio",
    "speech",
    "benchmark",
    "data",
]

QUERIES = [
    "diffusion",
    "graph network",
    "transform*",
    "atention~",
    '"language model"',
    "title:robot",
    "abstract:quantum",
    "policy OR reward",
    "agent -memory",
    "protein fold video",
    "lee",
    "benchmark*",
]


@dataclass
class Lib:
    papers: dict[str, Paper]


def _papers(seed: int, n: int, first: int = 0) -> dict[str, Paper]:
    rng = random.Random(seed)
    out: dict[str, Paper] = {}
    for i in range(first, first + n):
        pid = f"2501.{i:05d}"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).capitalize()
        abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40))) + "."
        authors = [rng.choice(["Ann Lee", "Bo Chen", "Cy Diaz", "Di Evans"])]
        day = f"2025-08-{1 + i % 28:02d}"
        out[pid] = Paper(id=pid, title=title, abstract=abstract, authors=authors, dates=[day])
    return out


def _library() -> dict[str, Paper]:
    papers = _papers(7, 120)
    papers.update(_papers(8, 15, first=500))  # a second segment, by a sync
    for pid in ("2501.00003", "2501.00040"):
        del papers[pid]  # deletions recorded in the table of contents
    papers["2501.00010"] = _papers(9, 1, first=10)["2501.00010"]  # changed
    return papers


def _answers(engine: SearchEngine) -> dict[str, tuple[list[str], int, int]]:
    out = {}
    for q in QUERIES:
        r = engine.search(q)
        out[q] = (r.ids, r.total, r.scanned)
    return out


def _same(got: tuple[list[str], int, int], clean: tuple[list[str], int, int]) -> bool:
    ids, total, scanned = got
    if scanned:  # found by the scan: the same papers (the scan's scores are approximate)
        return sorted(ids) == sorted(clean[0]) and total == clean[1]
    return ids == clean[0] and total == clean[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("clean") / "index"
    index = SearchIndex(folder, procs=1)
    index.sync(_papers(7, 120))
    papers = _library()
    report = index.sync(papers)
    assert not report.rebuilt and report.changed
    clean = _answers(SearchEngine(Lib(papers), None, index))
    assert all(not scanned and ids for ids, _, scanned in clean.values())
    index.close()
    # what a full build of the same papers answers (statistics without the
    # deleted papers: scores, so ties and orders, may differ a little)
    fresh_index = SearchIndex(tmp_path_factory.mktemp("fresh") / "index", procs=1)
    fresh_index.sync(papers)
    fresh = _answers(SearchEngine(Lib(papers), None, fresh_index))
    fresh_index.close()
    yield folder, {"clean": clean, "fresh": fresh}


def _generation(folder: Path) -> Path:
    return folder / (folder / "CURRENT").read_text().strip()


def _damage(path: Path, how: str, rng: random.Random) -> None:
    st = path.stat()
    data = bytearray(path.read_bytes())
    n = len(data)
    if how == "truncate":
        data = data[: n // 2]
    elif how == "zero":
        lo, hi = n // 3, max(n // 3 + 1, 2 * n // 3)
        data[lo:hi] = bytes(hi - lo)
    else:  # random bytes in the middle, never the same as before
        lo = n // 2
        size = max(1, min(64, n - lo))
        old = bytes(data[lo : lo + size])
        new = old
        while new == old:
            new = bytes(rng.randrange(256) for _ in range(size))
        data[lo : lo + size] = new
    with open(path, "r+b") as fh:  # in place: the same inode, as a bad write would
        fh.write(data)
        fh.truncate(len(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the time put back


def _roles(gen: Path) -> dict[str, str]:
    """Each file of a generation by its role: segment ids (random per build)
    replaced by ``built`` (the full build's segment: the bigger) or
    ``synced`` (the segment the sync added)."""
    names = sorted(p.name for p in gen.iterdir())
    sizes: dict[str, int] = {}
    for n in names:
        if n.startswith("MAIN_") and "." in n:
            sizes.setdefault(n.split(".")[0], 0)
    for n in names:  # a segment's own files and the fast postings named after it
        for seg in sizes:
            if seg in n:
                sizes[seg] += (gen / n).stat().st_size
    ranked = sorted(sizes, key=lambda seg: -sizes[seg])
    # the hash pieces (random names) by their place in the sidecar's list
    side = json.loads((gen / SIDECAR_NAME).read_bytes())
    pieces = {
        p[0]: f"hashes-{label}.bin"
        for p, label in zip(side["hash_pieces"], ("built", "synced"), strict=False)
    }
    out = {}
    for n in names:
        role = pieces.get(n, n)
        for seg, label in zip(ranked, ("built", "synced"), strict=False):
            role = role.replace(seg, label)
        out[role] = n
    return out


def _trials() -> list[tuple[str, str]]:
    """Every file of the generation (whatever the build wrote), and CURRENT."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "index"
        index = SearchIndex(folder, procs=1)
        index.sync(_papers(7, 120))
        index.sync(_library())
        index.close()
        gen = _generation(folder)
        roles = _roles(gen)
        # an empty file (a full build's .pst: its postings live in the fast
        # file) cannot be cut or zeroed, only written into; a file whose
        # middle is zeros already (a full build's stored fields: its ids
        # live in the fast file) is not changed by zeroing it
        empty = {name for name, real in roles.items() if (gen / real).stat().st_size == 0}
        zeros = {name for name, real in roles.items() if not _zeroed_part(gen / real).strip(b"\0")}
    return [
        (name, how)
        for name in [*sorted(roles), "CURRENT"]
        for how in ("truncate", "zero", "random")
        if (name not in empty or how == "random") and (name not in zeros or how != "zero")
    ]


def _zeroed_part(path: Path) -> bytes:
    """The bytes of ``path`` that :func:`_damage` zeroes."""
    data = path.read_bytes()
    n = len(data)
    return data[n // 3 : max(n // 3 + 1, 2 * n // 3)]


def test_the_probe_covers_every_kind_of_file() -> None:
    # whatever else a build writes is found by listing the folder
    names = {name for name, _ in _trials()}
    assert {"built.pst", "synced.pst", "built.trm", "synced.trm"} <= names
    assert {"hashes-built.bin", "hashes-synced.bin"} <= names
    assert sum(n.endswith(".toc") for n in names) == 1
    assert {SIDECAR_NAME, "digest-reader-index.json", integrity.VERIFIED_NAME} <= names


@pytest.mark.parametrize(("name", "how"), _trials())
def test_a_damaged_file_never_gives_a_wrong_answer(
    built: tuple[Path, dict[str, Any]], tmp_path: Path, name: str, how: str
) -> None:
    clean_folder, answers = built
    clean = answers["clean"]
    folder = tmp_path / "index"
    shutil.copytree(clean_folder, folder, copy_function=shutil.copy2)
    gen = _generation(folder)
    target = folder / "CURRENT" if name == "CURRENT" else gen / _roles(gen)[name]
    assert (gen / integrity.VERIFIED_NAME).exists()
    _damage(target, how, random.Random(f"{name} {how}"))
    papers = _library()

    # A process that opens the damaged index searches before any sync.
    index = SearchIndex(folder)
    engine = SearchEngine(Lib(papers), None, index)
    for q, want in clean.items():
        got = engine.search(q)
        assert _same((got.ids, got.total, got.scanned), want), (q, index.problem, index.detail)
    marker_only = name == integrity.VERIFIED_NAME
    assert index.usable == marker_only, index.problem
    if not marker_only:
        assert index.problem in ("damaged", "missing", "version"), index.problem
        assert index.detail or index.problem in ("missing", "version")

    # The next sync (the CLI's before a search; the app's in the background) mends it.
    report = index.sync(papers)
    assert report.rebuilt != marker_only
    if not marker_only:
        assert report.reason in ("damaged", "missing", "version")
        assert str(report).startswith("index rebuilt")
    index.close()

    # and the run after that answers from the index, as the clean one did
    again = SearchIndex(folder)
    assert again.usable
    engine = SearchEngine(Lib(papers), None, again)
    assert _answers(engine) == (clean if marker_only else answers["fresh"])
    assert again.sync(papers).changed == 0
    again.close()


def test_a_file_checked_once_is_not_hashed_again(
    built: tuple[Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    shutil.copytree(built[0], folder, copy_function=shutil.copy2)
    hashed: list[str] = []
    real = integrity.crc_file

    def counting(path: Path) -> tuple[int, os.stat_result]:
        hashed.append(path.name)
        return real(path)

    monkeypatch.setattr(integrity, "crc_file", counting)
    monkeypatch.setattr(integrity, "RACY_NS", 0)  # the copy is seconds old at most
    gen = _generation(folder)
    listed = {p.name for p in gen.iterdir() if integrity.listed(p.name)}
    assert _usable(folder)
    assert set(hashed) == listed  # copied: other inodes, so every file once
    hashed.clear()
    assert _usable(folder)
    assert hashed == []  # then only stat-ed
    # Bytes changed in place, the size and modification time put back (as
    # ``touch -r`` does): its change time moved, so it is hashed and caught.
    time.sleep(0.05)  # past the file system's clock tick, so the change time moves
    pst = max(gen.iterdir(), key=lambda p: p.stat().st_size)  # the postings
    _damage(pst, "random", random.Random(1))
    index = SearchIndex(folder)
    assert not index.usable and index.problem == "damaged"
    assert pst.name in index.detail and "checksum" in index.detail
    index.close()
    assert hashed == [pst.name]


def _usable(folder: Path) -> bool:
    index = SearchIndex(folder)
    try:
        return index.usable
    finally:
        index.close()


# ------------------------------------------------------- the CLI and the app


def _write_digests(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["title: Damage probe\ndate: 2025-08-21\npapers:"]
    for pid, p in sorted(_papers(7, 40).items()):
        lines.append(f'  - id: "{pid}"\n    title: "{p.title}"\n    abstract: "{p.abstract}"')
    (folder / "day.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _damage_postings(folder: Path) -> None:
    gen = _generation(folder)
    # the full build's postings: its fast file (its .pst is empty)
    fast = max(
        (p for p in gen.iterdir() if p.name.startswith("fast-")), key=lambda p: p.stat().st_size
    )
    _damage(fast, "zero", random.Random(0))


def test_the_cli_says_once_that_it_rebuilt_a_damaged_index(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from reader.cli import main
    from reader.paths import Paths

    digests = str(_write_digests(tmp_path / "digests"))
    assert main(["index", digests]) == 0
    capsys.readouterr()
    assert main(["search", "graph network", digests]) == 0
    clean = capsys.readouterr().out
    _damage_postings(Paths.from_env().index_dir)
    main(["doctor", "--offline"])
    out = capsys.readouterr().out
    assert "cannot be used (damaged: fast-MAIN_" in out and ".bin does not hold the bytes" in out
    assert main(["search", "graph network", digests]) == 0
    out, err = capsys.readouterr()
    assert out == clean
    assert err.count("the search index was damaged") == 1
    assert ".bin does not hold the bytes written" in err and "rebuilt it" in err
    assert main(["search", "graph network", digests]) == 0
    out, err = capsys.readouterr()
    assert out == clean and "damaged" not in err  # mended: said once


async def test_the_app_rebuilds_a_damaged_index_in_the_background(tmp_path: Path) -> None:
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths
    from reader.session import Session
    from reader.state import StateStore
    from reader.tui.app import DigestApp
    from tests.test_tui import screen_text, until

    paths = Paths.from_env()
    digests = _write_digests(tmp_path / "digests")
    library = open_library(paths, Config(), extra=[digests], use_cache=False)
    index = SearchIndex(paths.index_dir)
    index.sync(library.papers)
    clean = [h.id for h in SearchEngine(library, None, index).search("graph network").hits]
    index.close()
    _damage_postings(paths.index_dir)
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(
        Session(paths, Config(), library=library, state=state, index_folder=paths.index_dir)
    )
    async with app.run_test(notifications=True, size=(120, 40)) as pilot:
        await until(pilot, lambda: "Search index damaged" in screen_text(app), "the notice")
        # the toast: the right of each line, after its border
        toast = " ".join(
            line.rsplit("▌", 1)[1].strip() for line in screen_text(app).splitlines() if "▌" in line
        )
        assert "rebuilding it in the background" in toast and ".bin does not hold" in toast
        # while it is rebuilt, and after, searches answer right
        hits = [h.id for h in app.searcher.search("graph network").hits]
        assert sorted(hits) == sorted(clean)
        await until(
            pilot,
            lambda: app.session.index is not None and app.session.index.usable,
            "the index was rebuilt",
        )
        assert [h.id for h in app.searcher.search("graph network").hits] == clean
    shown = [n.message for n in app._notifications]
    assert sum("Search index damaged" in n or "index is damaged" in n for n in shown) == 1


# ------------------------------------- another library's or version's index


def test_an_index_of_another_library_is_never_taken_at_its_word(tmp_path: Path) -> None:
    """The same ids with other text (another library's index in the same
    cache folder, or digests edited since the last sync): before any sync,
    searches answer from these papers, not from what the index holds."""
    folder = tmp_path / "index"
    theirs = _papers(7, 30)
    index = SearchIndex(folder)
    index.sync(theirs)
    index.close()
    ours = dict(theirs)
    for pid in list(ours)[:10]:
        ours[pid] = Paper(id=pid, title=f"Zebra crossing {pid}", abstract="Striped.",
                          authors=["Q Z"], dates=["2025-08-02"])  # fmt: skip
    scan = _answers(SearchEngine(Lib(ours), None, None))
    index = SearchIndex(folder)
    engine = SearchEngine(Lib(ours), None, index)
    for q in [*QUERIES, "zebra", "striped"]:
        got = engine.search(q)
        want = scan.get(q) or (SearchEngine(Lib(ours), None, None).search(q).ids, 0, 0)
        assert sorted(got.ids) == sorted(want[0]), q
        if q in scan:
            assert got.total == want[1], q
    assert engine.search("zebra").total == 10
    # the sync then brings the index in line: 10 changed, not a rebuild
    report = index.sync(ours)
    assert (report.updated, report.rebuilt) == (10, False)
    assert engine.search("zebra").scanned == 0 and engine.search("zebra").total == 10
    index.close()


def test_an_index_of_another_version_is_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.search.index import generations

    folder = tmp_path / "index"
    papers = _papers(7, 30)
    index = SearchIndex(folder)
    index.sync(papers)
    index.close()
    monkeypatch.setattr(generations, "INDEX_VERSION", generations.INDEX_VERSION + 1)
    index = SearchIndex(folder)
    assert not index.usable and index.problem == "version"
    scan = _answers(SearchEngine(Lib(papers), None, None))
    got = _answers(SearchEngine(Lib(papers), None, index))
    assert {q: (sorted(a[0]), a[1]) for q, a in got.items()} == {
        q: (sorted(a[0]), a[1]) for q, a in scan.items()
    }
    assert index.sync(papers).reason == "version"
    index.close()


def test_a_search_during_our_own_commit_is_not_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app searches in one thread while its sync commits in another:
    between a commit and its sidecar the files on disk are not yet vouched
    for, which is not damage (the search keeps the last commit)."""
    import threading

    from reader.search.index import store

    papers = _papers(7, 60)
    index = SearchIndex(tmp_path / "index")
    index.sync(papers)
    engine = SearchEngine(Lib(papers), None, index)
    before = engine.search("graph").ids
    seen: list[list[str]] = []
    real = store.listing

    def search_meanwhile(*a: Any, **k: Any) -> Any:
        def search() -> None:
            index._checked_at = 0.0  # as a second later: look for new commits
            seen.append(engine.search("graph").ids)

        t = threading.Thread(target=search)
        t.start()
        t.join()
        return real(*a, **k)

    monkeypatch.setattr(store, "listing", search_meanwhile)
    changed = dict(papers)
    changed["2501.00900"] = Paper(id="2501.00900", title="Graph zebra", dates=["2025-08-01"])
    report = index.sync(changed)
    assert report.added == 1 and not report.rebuilt and not report.error
    assert seen == [before]
    monkeypatch.setattr(store, "listing", real)
    assert index.usable, (index.problem, index.detail)
    assert "2501.00900" in SearchEngine(Lib(changed), None, index).search("zebra").ids
    assert not index.sync(changed).rebuilt
    index.close()


def test_a_file_damaged_while_the_index_is_open_is_caught_before_a_sync_writes(
    tmp_path: Path,
) -> None:
    """The app keeps its index open for hours: a segment damaged meanwhile is
    not merged into a new, freshly vouched-for one by the next sync."""
    papers = _papers(7, 60)
    folder = tmp_path / "index"
    index = SearchIndex(folder)
    index.sync(papers)
    assert index.usable
    time.sleep(0.05)  # past the file system's clock tick, so the change time moves
    gen = _generation(folder)
    _damage(next(p for p in gen.iterdir() if p.suffix == ".trm"), "random", random.Random(2))
    changed = dict(papers)
    changed["2501.00900"] = Paper(id="2501.00900", title="Graph zebra", dates=["2025-08-01"])
    report = index.sync(changed)
    assert report.rebuilt and report.reason == "damaged" and ".trm" in report.detail
    again = SearchIndex(folder)
    assert again.usable
    scan = _answers(SearchEngine(Lib(changed), None, None))
    got = _answers(SearchEngine(Lib(changed), None, again))
    assert {q: (sorted(a[0]), a[1]) for q, a in got.items()} == {
        q: (sorted(a[0]), a[1]) for q, a in scan.items()
    }
    assert all(scanned == 0 for _, _, scanned in got.values())  # from the index
    again.close()
    index.close()


def test_an_index_of_the_version_before_the_checks_is_rebuilt_quietly(tmp_path: Path) -> None:
    """An upgrade finds a sidecar without checksums: another version, not damage."""
    import json

    from reader.search.index import STAMP_NAME

    folder = tmp_path / "index"
    papers = _papers(7, 20)
    index = SearchIndex(folder)
    index.sync(papers)
    index.close()
    gen = _generation(folder)
    stamp = json.loads((gen / STAMP_NAME).read_text())
    stamp["version"] = 6
    (gen / STAMP_NAME).write_text(json.dumps(stamp))
    (gen / SIDECAR_NAME).write_text(json.dumps({"token": gen.name[3:], "hashes": {}}))
    index = SearchIndex(folder)
    report = index.sync(papers)
    assert report.rebuilt and report.reason == "version" and "damaged" not in str(report)
    index.close()
