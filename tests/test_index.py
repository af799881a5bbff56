"""The Whoosh index: build, incremental sync, damage and foreign folders, stale locks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.model import Paper
from reader.paths import Paths
from reader.search.index import STAMP_NAME, IndexUnavailable, SearchIndex, content_hash
from reader.search.query import parse_query


def paper(pid: str, title: str, abstract: str = "", authors: list[str] | None = None,
          tags: list[str] | None = None) -> Paper:  # fmt: skip
    return Paper(id=pid, title=title, abstract=abstract, authors=authors or ["Ann Lee"],
                 tags=tags or [], dates=["2025-08-01"])  # fmt: skip


def library() -> dict[str, Paper]:
    return {
        "2501.00001": paper("2501.00001", "Diffusion models for robots", "We train robots."),
        "2501.00002": paper("2501.00002", "Graph neural networks", "Message passing on graphs."),
        "2501.00003": paper(
            "2501.00003", "Influence functions", "Data attribution.", tags=["cs.LG"]
        ),  # fmt: skip
    }


def ids(index: SearchIndex, text: str) -> list[str]:
    node = parse_query(text).node
    assert node is not None
    return [pid for pid, _ in index.search(node, limit=None)]


@pytest.fixture
def folder() -> Path:
    return Paths.from_env().index_dir


def test_build_then_search(folder: Path) -> None:
    index = SearchIndex(folder)
    report = index.sync(library())
    assert report.rebuilt and report.added == 3 and report.reason == "missing"
    assert ids(index, "diffusion") == ["2501.00001"]
    assert ids(index, "robot") == ["2501.00001"]  # "robots" stemmed
    assert ids(index, '"neural networks"') == ["2501.00002"]
    assert ids(index, "lg") == ["2501.00003"]  # source tags are indexed
    assert ids(index, "attrib*") == ["2501.00003"]
    assert ids(index, "atribution~") == ["2501.00003"]
    assert ids(index, "lee") == sorted(library()) or len(ids(index, "lee")) == 3
    index.close()


def test_the_generation_moves_with_each_new_searcher_even_at_the_same_address(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine keys its map of document numbers by ``generation``: a sync
    that opens a new searcher must change it, even when the new searcher
    sits where the old one was freed (an id() reused). Every object has one
    id here, as if each new searcher took the last one's address."""
    import reader.search.index.store as store

    monkeypatch.setattr(store, "id", lambda _obj: 7, raising=False)
    papers = library()
    index = SearchIndex(folder)
    index.sync(papers)
    ids(index, "graph")
    before = index.generation
    papers["2501.00004"] = paper("2501.00004", "Quantum error correction")
    index.sync(papers)
    assert ids(index, "quantum") == ["2501.00004"]
    assert index.generation != before
    index.close()


def test_incremental_add_change_remove(folder: Path) -> None:
    papers = library()
    index = SearchIndex(folder)
    index.sync(papers)
    gen = index.generation[0]
    papers["2501.00004"] = paper("2501.00004", "Quantum error correction")
    papers["2501.00002"] = paper("2501.00002", "Graph transformers", "Attention on graphs.")
    del papers["2501.00001"]
    report = index.sync(papers)
    assert not report.rebuilt
    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert index.generation[0] == gen  # same folder, updated in place
    assert ids(index, "quantum") == ["2501.00004"]
    assert ids(index, "transformer") == ["2501.00002"]
    assert ids(index, "message") == []
    assert ids(index, "diffusion") == []
    # nothing changed: nothing done
    again = index.sync(papers)
    assert again.changed == 0 and not again.rebuilt
    index.close()
    # a new process (a new SearchIndex) sees the same index without rebuilding
    other = SearchIndex(folder)
    assert ids(other, "quantum") == ["2501.00004"]
    assert other.sync(papers).changed == 0
    other.close()


def test_the_papers_hashes_are_a_binary_piece_read_back_as_written(folder: Path) -> None:
    """The papers' content hashes are a binary file beside the sidecar (8
    bytes and the id a paper), not in it: the sidecar stays small (it was
    25 MB of base64 at a million papers, decoded and written again at every
    sync), and a new process reads them back: nothing to sync."""
    from reader.search.index.generations import SIDECAR_NAME
    from reader.search.index.hashes import PieceHashes, pieces_of
    from reader.search.index.integrity import read_sealed

    papers = {f"2501.{n:05d}": paper(f"2501.{n:05d}", f"Paper {n}") for n in range(2000)}
    index = SearchIndex(folder)
    index.sync(papers)
    gen = folder / index.generation[0]
    index.close()
    side, raw = read_sealed(gen / SIDECAR_NAME)
    assert side is not None and "hashes" not in side
    assert len(raw) < 2000  # no hash in it: the list of files, the pieces
    got = pieces_of(side)
    assert got is not None and len(got[0]) == 1 and got[1] == len(papers)
    piece = gen / got[0][0].name
    # 8 bytes, the id and its line break, its offset, a mark: 24 bytes a paper
    assert piece.stat().st_size <= 24 * len(papers) + 64
    assert piece.name in side["files"]  # checked like every file before it is read
    hashes = PieceHashes(gen, *got)
    assert dict(hashes) == {pid: content_hash(p) for pid, p in papers.items()}
    again = SearchIndex(folder)
    report = again.sync(papers)
    assert report.changed == 0 and not report.rebuilt
    assert ids(again, "paper") and len(again.indexed_hashes()) == len(papers)
    again.close()


def test_a_crash_between_commit_and_sidecar_rebuilds(folder: Path) -> None:
    papers = library()
    index = SearchIndex(folder)
    index.sync(papers)
    gen_dir = folder / index.generation[0]  # type: ignore[operator]
    sidecar = gen_dir / "hashes.json"
    before = sidecar.read_bytes()
    papers["2501.00004"] = paper("2501.00004", "Quantum error correction")
    index.sync(papers)
    index.close()
    sidecar.write_bytes(before)  # as if killed after the commit, before the sidecar
    # The sidecar does not vouch for the files of that commit: never read;
    # a reader (no write lock) takes it for a commit under way and scans.
    index = SearchIndex(folder)
    assert not index.usable and index.problem == "updating"
    index.close()
    index = SearchIndex(folder)
    report = index.sync(papers)  # under the write lock: no one is committing
    assert report.rebuilt and report.reason == "damaged"
    assert "table of contents" in report.detail or "missing" in report.detail
    assert ids(index, "quantum") == ["2501.00004"]  # once, not twice
    index.close()


@pytest.mark.parametrize(
    "damage", ["truncate", "zero", "delete_toc", "delete_seg", "sidecar", "fast"]
)
def test_damaged_index_is_rebuilt(folder: Path, damage: str) -> None:
    papers = library()
    index = SearchIndex(folder)
    index.sync(papers)
    gen_dir = folder / index.generation[0]  # type: ignore[operator]
    index.close()
    files = sorted(gen_dir.iterdir())
    # segment files (not compound: one file per part, see index.write_segment)
    segs = [f for f in files if f.name.startswith("MAIN_") and f.suffix in (".seg", ".pst", ".trm")]
    tocs = [f for f in files if f.suffix == ".toc"]
    if damage == "truncate":
        for f in segs + tocs:
            f.write_bytes(f.read_bytes()[:20])
    elif damage == "zero":
        for f in segs + tocs:
            f.write_bytes(b"\0" * f.stat().st_size)
    elif damage == "delete_toc":
        for f in tocs:
            f.unlink()
    elif damage == "delete_seg":
        for f in segs:
            f.unlink()
    elif damage == "fast":
        for f in gen_dir.glob("fast-*.bin"):
            f.write_bytes(f.read_bytes()[:-3])
    else:
        (gen_dir / "hashes.json").write_text("{not json")
    index = SearchIndex(folder)
    if index.usable:  # some damage only shows when reading
        with pytest.raises(IndexUnavailable):
            for word in ("diffusion", "graph", "influence"):
                ids(index, word)
    report = index.sync(papers)
    assert report.rebuilt and report.reason in ("damaged", "missing")
    assert ids(index, "diffusion") == ["2501.00001"]
    index.close()


def test_version_mismatch_rebuilds(folder: Path) -> None:
    index = SearchIndex(folder)
    index.sync(library())
    gen_dir = folder / index.generation[0]  # type: ignore[operator]
    index.close()
    stamp = json.loads((gen_dir / STAMP_NAME).read_text())
    stamp["version"] = -1
    (gen_dir / STAMP_NAME).write_text(json.dumps(stamp))
    index = SearchIndex(folder)
    assert not index.usable
    report = index.sync(library())
    assert report.rebuilt and report.reason == "version"
    assert ids(index, "graph") == ["2501.00002"]
    assert not gen_dir.exists()  # the old generation was removed
    index.close()


def test_foreign_folder_is_never_opened(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Whoosh index we did not write, named like ours and pointed at by CURRENT.
    from whoosh import index as windex
    from whoosh.fields import ID, Schema

    foreign = folder / "ix-0123456789abcdef"
    foreign.mkdir(parents=True)
    windex.create_in(str(foreign), Schema(id=ID(stored=True)))
    (folder / "CURRENT").write_text(foreign.name)
    opened: list[str] = []
    real_open = windex.open_dir

    def spy(path: str, *a: object, **k: object) -> object:
        opened.append(str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(windex, "open_dir", spy)
    index = SearchIndex(folder)
    assert not index.usable
    report = index.sync(library())
    assert report.rebuilt and report.reason == "version"
    assert str(foreign) not in opened
    assert ids(index, "influence") == ["2501.00003"]
    assert index.generation[0] != foreign.name
    index.close()


def test_stale_lock_and_leftovers_after_kill(folder: Path) -> None:
    """A writer killed with SIGKILL mid-build and mid-update: the next start works."""
    index = SearchIndex(folder)
    index.sync(library())
    gen_dir = folder / index.generation[0]  # type: ignore[operator]
    index.close()
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from reader.model import Paper
        from reader.search.index import SearchIndex
        from whoosh import index as windex
        folder = Path({str(folder)!r})
        # an update left mid-way: the Whoosh write lock taken, documents added
        ix = windex.open_dir({str(gen_dir)!r})
        w = ix.writer()
        w.add_document(id="zz", text="half written")
        # and a full build left mid-way in a tmp folder
        tmp = folder / "tmp-00000000000000aa"
        tmp.mkdir()
        (tmp / "owner").write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9
    assert (gen_dir / "MAIN_WRITELOCK").exists()
    assert (folder / "tmp-00000000000000aa").exists()
    papers = library()
    papers["2501.00009"] = paper("2501.00009", "Sparse autoencoders")
    index = SearchIndex(folder)
    report = index.sync(papers)
    assert not report.error and not report.busy
    assert report.added == 1
    assert ids(index, "sparse") == ["2501.00009"]
    assert ids(index, "half") == []
    assert not (folder / "tmp-00000000000000aa").exists()
    assert not any(p.name.endswith(".tmp") for p in gen_dir.iterdir())
    index.close()


#: Where a sync that adds a day is killed: before Whoosh's commit, after it
#: (no hash piece yet), with its piece written, with the pieces it replaces
#: deleted (past MAX_PIECES), with its sidecar written.
KILL_POINTS = ["before-commit", "after-commit", "after-piece", "after-drop", "after-sidecar"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_sync_killed_anywhere_leaves_the_old_index_the_new_or_a_rebuild(
    folder: Path, tmp_path: Path, point: str
) -> None:
    """A day's sync killed with SIGKILL at each step of its write (the
    hash pieces beside Whoosh's commit and the sidecar): a process opening
    the index then searches the old papers, the new ones, or (between the
    commit and the sidecar) none of it: it is damaged, not read. The next
    sync rebuilds a damaged one (saying so) and nothing is lost: its
    answers and hashes are a fresh build's."""
    papers = {f"2501.{n:05d}": paper(f"2501.{n:05d}", f"Paper {n} on graphs") for n in range(40)}
    index = SearchIndex(folder)
    index.sync(papers)
    index.close()
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from reader.model import Paper
        from reader.search.index import SearchIndex, hashes, store
        point = {point!r}

        def die():
            os.kill(os.getpid(), signal.SIGKILL)

        def hook(owner, name, when):
            real = getattr(owner, name)
            def wrapped(*args, **kwargs):
                if when == "before":
                    die()
                got = real(*args, **kwargs)
                die()
                return got
            setattr(owner, name, staticmethod(wrapped) if owner is store.SearchIndex and name == "_write_sidecar" else wrapped)

        papers = {{f"2501.{{n:05d}}": Paper(id=f"2501.{{n:05d}}", title=f"Paper {{n}} on graphs",
                  authors=["Ann Lee"], dates=["2025-08-01"]) for n in range(40)}}
        if point == "after-drop":
            # a first sync's piece, then the killed one's: past MAX_PIECES the
            # syncs' pieces are written as one and the first one's deleted
            hashes.MAX_PIECES = 2
            first = dict(papers, x=Paper(id="x", title="Kept a moment", dates=["2025-08-03"]))
            SearchIndex(Path({str(folder)!r})).sync(first)
            real_unlink = os.unlink

            def unlink(path, *args, **kwargs):
                real_unlink(path, *args, **kwargs)
                if Path(path).name.startswith("hashes-"):
                    die()

            os.unlink = unlink
        elif point == "before-commit":
            import whoosh.writing as ww
            hook(ww.SegmentWriter, "commit", "before")
        elif point == "after-commit":
            hook(store, "_after", "before")
        elif point == "after-piece":
            hook(hashes, "write_piece", "after")
        else:
            hook(store.SearchIndex, "_write_sidecar", "after")
        papers["2508.00001"] = Paper(id="2508.00001", title="Zebra finches sing", authors=["Bo"],
                                     dates=["2025-08-02"])
        SearchIndex(Path({str(folder)!r})).sync(papers)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    new = {**papers, "2508.00001": paper("2508.00001", "Zebra finches sing", authors=["Bo"])}
    new["2508.00001"].dates = ["2025-08-02"]
    reader = SearchIndex(folder)  # a search before any sync: old, new, or not read
    if point in ("before-commit", "after-sidecar"):
        assert reader.usable, (reader.problem, reader.detail)
        want = [] if point == "before-commit" else ["2508.00001"]
        assert ids(reader, "zebra") == want
        assert len(ids(reader, "graphs")) == 40
    else:
        assert not reader.usable and reader.problem in ("updating", "damaged")
    reader.close()
    index = SearchIndex(folder)
    report = index.sync(new)
    assert not report.error and not report.busy
    assert report.rebuilt == (point not in ("before-commit", "after-sidecar"))
    if report.rebuilt:
        assert report.reason == "damaged" and report.detail
    assert ids(index, "zebra") == ["2508.00001"]
    fresh = SearchIndex(tmp_path / "fresh")
    fresh.rebuild(new)
    assert _answers(index) == _answers(fresh)
    assert dict(SearchIndex(folder).indexed_hashes()) == dict(fresh.indexed_hashes())
    gen = folder / str(index.generation[0])
    named = {p[0] for p in json.loads((gen / "hashes.json").read_bytes())["hash_pieces"]}
    assert {p.name for p in gen.glob("hashes-*.bin")} == named  # no piece left over
    index.close()
    fresh.close()


def test_second_writer_is_busy_not_broken(folder: Path) -> None:
    from reader.fileio import FileLock

    index = SearchIndex(folder)
    index.sync(library())
    lock = FileLock(folder / "write.lock")
    assert lock.acquire()
    try:
        report = SearchIndex(folder).sync({**library(), "x": paper("x", "New")})
        assert report.busy
    finally:
        lock.release()
    index.close()


def test_cancelled_build_leaves_nothing(folder: Path) -> None:
    papers = {f"p{i}": paper(f"p{i}", f"Paper {i}") for i in range(600)}
    index = SearchIndex(folder)
    report = index.rebuild(papers, cancelled=lambda: True)
    assert report.cancelled
    assert not index.usable
    assert not [p for p in folder.iterdir() if p.name.startswith(("tmp-", "ix-"))]
    seen: list[tuple[int, int]] = []
    report = index.rebuild(papers, progress=lambda a, b: seen.append((a, b)))
    assert report.added == 600 and seen[-1] == (600, 600)
    index.close()


def test_more_like(folder: Path) -> None:
    papers = {
        "a": paper("a", "Influence functions for data attribution", "Influence estimates data."),
        "b": paper("b", "Scaling influence functions", "Influence functions at scale data."),
        "c": paper("c", "Robot grasping", "A robot arm grasps objects."),
        "d": paper("d", "Robot walking", "Legged robot locomotion."),
    }
    index = SearchIndex(folder)
    index.sync(papers)
    like = [pid for pid, _ in index.more_like("a", 3)]
    assert like[0] == "b" and "a" not in like
    index.close()


def test_index_dir_is_under_cache(xdg: dict[str, Path]) -> None:
    assert str(Paths.from_env().index_dir).startswith(str(xdg["cache"]))
    assert os.environ["XDG_CACHE_HOME"] == str(xdg["cache"])


def test_field_queries_run_in_the_index(folder: Path) -> None:
    """``title:``, ``author:``, ``abstract:`` are position ranges of the one
    indexed field: answered by the index itself, phrases never cross fields."""
    index = SearchIndex(folder)
    index.sync(library())
    assert sorted(ids(index, "title:(diffusion OR influence)")) == ["2501.00001", "2501.00003"]
    assert ids(index, "title:robot") == ["2501.00001"]
    assert ids(index, "abstract:robot*") == ["2501.00001"]
    assert ids(index, "title:attribution") == []  # in the abstract only
    assert ids(index, 'abstract:"message passing"') == ["2501.00002"]
    assert ids(index, 'title:"networks message"') == []  # across two fields
    assert len(ids(index, "author:lee")) == 3
    assert ids(index, "author:le~") == [] or len(ids(index, "author:le~")) == 3
    assert ids(index, "-title:graph") == [] or "2501.00002" not in ids(index, "-title:graph")
    assert index.problem == ""
    index.close()


def test_two_process_build_and_cancel(folder: Path) -> None:
    papers = {
        f"p{i}": paper(f"p{i}", f"Paper {i} on graphs" if i % 2 else f"Paper {i}")
        for i in range(1200)
    }
    index = SearchIndex(folder, procs=2)
    assert index.rebuild(papers, cancelled=lambda: True).cancelled
    assert not [p for p in folder.iterdir() if p.name.startswith(("tmp-", "ix-"))]
    report = index.rebuild(papers)
    assert report.added == 1200 and not report.error
    assert len(ids(index, "graph")) == 600
    assert len(ids(index, '"paper 7"')) == 1
    index.close()


def test_fast_path_ranks_like_whoosh(folder: Path) -> None:
    """Words-only queries are scored with numpy from the fast postings (bulk
    segments) and Whoosh's postings (segments of later syncs, deletions): the
    same scores as Whoosh's own BM25F."""
    papers = library()
    papers.update(
        {f"x{i}": paper(f"x{i}", f"Graph paper {i}", "graphs " * (i % 4)) for i in range(30)}
    )
    index = SearchIndex(folder)
    index.sync(papers)
    papers["2501.00002"] = paper("2501.00002", "Graph transformers", "Attention on graphs.")
    papers["2501.00005"] = paper("2501.00005", "Neural graph models", "Graph graph.")
    index.sync(papers)
    for text in ("graph", "graph paper", "neural graph", "attention", "lee", "nothing"):
        node = parse_query(text).node
        q = parse_query(text).whoosh_query()
        assert q is not None and node is not None
        fast = index.search_counted(node, limit=10), index.search_counted(node, limit=None)
        slow = index.search_counted(q, limit=10), index.search_counted(q, limit=None)
        for f, s in zip(fast, slow, strict=True):
            assert [x for _, x in f[0]] == pytest.approx([x for _, x in s[0]])
        assert dict(fast[1][0]) == pytest.approx(dict(slow[1][0]))
        assert fast[0][1] == fast[1][1] == slow[0][1] == len(slow[1][0])
    # What search as you type sends: the same papers, counted exactly either way
    # (Whoosh scores a prefix as a constant: only the matches compare).
    for text in ("(graph OR graph*)", "neural (gra OR gra*)", "(pap OR pap*) graph*"):
        node = parse_query(text).node
        q = parse_query(text).whoosh_query()
        assert q is not None and node is not None
        fast = index.search_counted(node, limit=3), index.search_counted(node, limit=None)
        slow = index.search_counted(q, limit=3), index.search_counted(q, limit=None)
        assert {i for i, _ in fast[1][0]} == {i for i, _ in slow[1][0]}
        assert fast[0][1] == fast[1][1] == slow[0][1] == slow[1][1] == len(slow[1][0]) >= 1
        assert text == "neural (gra OR gra*)" or len(slow[1][0]) > 3  # beyond the limit
    assert ids(index, "graph").count("2501.00002") == 1  # updated: once
    index.close()


def test_whoosh_private_names_exist() -> None:
    """Every private Whoosh name the index relies on is still there (an upgrade
    of the pinned whoosh-reloaded that drops one fails here, not in a build)."""
    import importlib

    from reader.search.whoosh_private import USED

    for owner, names in USED.items():
        obj: object = None
        parts = owner.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr)
            break
        assert obj is not None, owner
        for name in names:
            assert hasattr(obj, name), f"{owner}.{name} is gone"


def test_whoosh_takes_only_cached_property_from_its_package_and_no_asyncio_comes() -> None:
    """Whoosh imports one decorator from the ``cached_property`` package,
    whose module imports asyncio (0.03-0.2 s of a command): the search
    package puts the standard library's in its place. An upgrade of Whoosh
    that takes more from that package fails here."""
    import whoosh

    root = Path(whoosh.__file__).parent
    uses = sorted(
        (str(p.relative_to(root)), line.strip())
        for p in root.rglob("*.py")
        for line in p.read_text(encoding="utf-8").splitlines()
        if "cached_property" in line and "import" in line
    )
    assert uses == [("reading.py", "from cached_property import cached_property")]
    code = (
        "import sys, functools\n"
        "import reader.search.index, whoosh.reading\n"
        "assert whoosh.reading.cached_property is functools.cached_property\n"
        "print('asyncio' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_every_shape_is_answered_by_one_scorer_as_whoosh_would(tmp_path: Path) -> None:
    """The numpy tree scorer (fast postings with positions) finds exactly the
    papers Whoosh's own matchers find, for every text shape, also over a
    segment added by a sync (read through Whoosh), and ranks plain words as
    Whoosh's BM25F does."""
    import random

    from reader.search.query import parse_query
    from reader.search.whoosh_query import to_whoosh

    rng = random.Random(12)
    vocab = ["graph", "graphs", "model", "models", "language", "large", "robot", "policy",
             "diffusion", "agent", "agents", "planning", "survey", "learning", "sparse",
             "modal", "modular", "lang", "grape", "transformer", "attention", "vision"]  # fmt: skip

    def text(n: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(n))

    papers = {
        f"2501.{i:05d}": Paper(id=f"2501.{i:05d}", title=text(5), abstract=text(40),
                               authors=[rng.choice(["Ann Lee", "Bo Wang", "Model Smith"])],
                               tags=[rng.choice(["cs.LG", "graph learning", "robots"])])
        for i in range(400)
    }  # fmt: skip
    index = SearchIndex(tmp_path / "ix")
    index.sync(dict(list(papers.items())[:300]))
    index.sync(papers)  # a second segment, without fast postings
    queries = [
        "graph", "large language", '"large language models"', '"graph model"~3',
        "graph OR robot", "agent -survey", "NOT graph", "agent (planning OR policy) -survey",
        "title:graph", "ti:(graph OR robot)", "au:wang", "abs:mod*",
        'title:"language model"', "la*", "mod*", "grpah~", "modle~2", "ti:modle~",
        "diffusion (lang OR lang*)", "(ti:mod OR ti:mod*)", "-agent*",
    ]  # fmt: skip
    for text_ in queries:
        node = parse_query(text_).node
        assert node is not None
        q = to_whoosh(node)
        new, n_new = index.search_counted(node, None)
        old, n_old = index.search_counted(q, None)
        assert n_new == n_old and {i for i, _ in new} == {i for i, _ in old}, text_
        if text_ in ("graph", "large language", "graph OR robot"):
            want = dict(old)
            assert all(abs(s - want[i]) < 1e-4 * max(1.0, s) for i, s in new), text_


# ------------------------------------------------ the library's version (no per-paper work)

QUERIES = [
    "robot",
    "graph*",
    "quantum",
    "lee",
    "attention",
    "new",
    "zebra",
    "atention~",
    "old",
    '"error correction"',
]


def _write_day(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    path = folder / name
    with open(path, "w", encoding="utf-8") as fh:
        for pid, title, abstract in rows:
            rec = {"id": pid, "title": title, "summary": abstract, "authors": ["Ann Lee"]}
            fh.write(json.dumps(rec) + "\n")
    return path


def _open(folder: Path) -> object:
    from reader.config import Config
    from reader.library import open_library

    return open_library(Paths.from_env(), Config(), extra=[folder])


def _answers(index: SearchIndex) -> dict[str, list[list[str]]]:
    """Every query's hits in rank order, papers tied on score as one sorted
    group (the index breaks exact ties by document number, which an update
    moves; the engine orders them newest first). Not the scores themselves:
    Whoosh counts a deleted document in its statistics until a merge, so
    an updated index scores a little differently from a rebuilt one."""
    out = {}
    for q in QUERIES:
        node = parse_query(q).node
        assert node is not None
        groups: list[list[str]] = []
        last = None
        for pid, score in index.search(node, limit=None):
            if last is None or abs(score - last) > 1e-6 * max(1.0, abs(score)):
                groups.append([])
            groups[-1].append(pid)
            last = score
        out[q] = [sorted(g) for g in groups]
    return out


def _hashes_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the papers the index hashes from now on."""
    from reader.search.index import store

    seen: list[str] = []
    real = store.content_hash

    def counting(p: Paper) -> str:
        seen.append(p.id)
        return real(p)

    monkeypatch.setattr(store, "content_hash", counting)
    return seen


def test_sync_by_library_version_answers_as_a_rebuild(folder: Path, tmp_path: Path) -> None:
    days = tmp_path / "digests"
    days.mkdir()
    _write_day(days, "2025-08-01.jsonl", [
        ("2501.00001", "Diffusion models for robots", "We train robots."),
        ("2501.00002", "Graph neural networks", "Message passing on graphs."),
    ])  # fmt: skip
    _write_day(days, "2025-08-02.jsonl", [
        ("2501.00003", "Influence functions", "Data attribution."),
        ("2501.00002", "Graph neural networks", "Message passing on graphs, again."),
    ])  # fmt: skip
    for n in range(40):  # papers no step touches: never hashed again
        _write_day(days, f"2025-07-{n % 28 + 1:02d}-{n}.jsonl", [
            (f"2407.{n:05d}", f"Old paper {n} on graphs", "Nothing new."),
        ])  # fmt: skip
    lib: Any = _open(days)
    SearchIndex(folder).sync(lib.papers, version=lib.version)

    def mtime_later(path: Path) -> None:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

    steps = [
        # a fetch adds a day
        lambda: _write_day(days, "2025-08-03.jsonl", [
            ("2501.00004", "Quantum error correction", "New codes."),
            ("2501.00001", "Diffusion models for robots", "We train robots. New version."),
        ]),
        # that day gone, another added, the snapshot still the first one: the
        # library's update from it does not name the first day's papers
        lambda: ((days / "2025-08-03.jsonl").unlink(), _write_day(days, "2025-08-04.jsonl", [
            ("2501.00005", "Zebra finches", "Songs."),
        ])),
        # a day answered again, shorter and changed
        lambda: (_write_day(days, "2025-08-02.jsonl", [
            ("2501.00003", "Influence functions and attention", "Data attribution."),
        ]), mtime_later(days / "2025-08-02.jsonl")),
        # a day removed
        lambda: (days / "2025-08-01.jsonl").unlink(),
    ]  # fmt: skip
    for n, step in enumerate(steps):
        step()
        lib = _open(days)
        assert lib.version is not None and lib.version.base, "updated, not read again"
        with pytest.MonkeyPatch.context() as mp:
            seen = _hashes_counted(mp)
            index = SearchIndex(folder)  # a new process, as the CLI is
            report = index.sync(lib.papers, version=lib.version)
        assert not report.rebuilt and not report.error
        assert not any(pid.startswith("2407.") for pid in seen), (n, seen)
        fresh = SearchIndex(tmp_path / f"fresh-{n}")
        fresh.rebuild(lib.papers)
        assert _answers(index) == _answers(fresh), n
        index.close()
        fresh.close()
    assert ids(SearchIndex(folder), "zebra") == ["2501.00005"]


def test_a_day_added_writes_only_its_hashes_and_equals_a_rebuild(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that adds a day writes one more hash piece of only the day's
    papers, and a removal one of only the ids removed (marked gone): no
    dict of every paper's hash, no table of every id, no other hash written
    again (at a million papers the sidecar's 25 MB of base64 were 0.6 s of
    the 1.4 s a day took to be found). Each step answers as an index built
    from scratch, and a new process reads the pieces back; past
    ``MAX_PIECES`` pieces the syncs' pieces are written again as one (the
    full build's stays: no paper's hash but theirs written again)."""
    from reader.search import idtable
    from reader.search.index import hashes as hashes_mod
    from reader.search.index import store
    from reader.search.index.generations import SIDECAR_NAME

    days = tmp_path / "digests"
    days.mkdir()
    for n in range(30):
        _write_day(days, f"2025-07-{n % 28 + 1:02d}-{n}.jsonl", [
            (f"2407.{n:05d}", f"Old paper {n} on graphs", "Nothing new."),
        ])  # fmt: skip
    lib: Any = _open(days)
    SearchIndex(folder).sync(lib.papers, version=lib.version)
    monkeypatch.setattr(hashes_mod, "MAX_PIECES", 3)
    real_bytes = hashes_mod.piece_bytes

    def no_dict(hashes: object) -> dict[str, str]:
        raise AssertionError("a dict of every paper's hash")

    def pieces_now() -> list[str]:
        gen = folder / (folder / "CURRENT").read_text().strip()
        side = json.loads((gen / SIDECAR_NAME).read_bytes())
        return [p[0] for p in side["hash_pieces"]]

    for n in range(4):
        _write_day(days, f"2025-08-{n + 1:02d}.jsonl", [
            (f"2508.{n:05d}", f"Zebra finches {n}", "Songs on graphs."),
            (f"2508.{n + 100:05d}", f"Quantum codes {n}", "New codes."),
        ])  # fmt: skip
        lib = _open(days)
        written: list[int] = []

        def counted(hashes: Any, gone: Any = (), written: list[int] = written) -> bytes:
            written.append(len(hashes) + len(list(gone)))
            return real_bytes(hashes, gone)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(hashes_mod, "piece_bytes", counted)
            mp.setattr(store, "as_dict", no_dict)
            mp.setattr(hashes_mod, "as_dict", no_dict)
            # nor a table of every id to look the new ones up
            mp.setattr(idtable, "IdTable", no_dict)
            index = SearchIndex(folder)  # a new process, as the CLI is
            report = index.sync(lib.papers, version=lib.version)
        assert report.added == 2 and not report.rebuilt and not report.error
        # the day's two hashes only; past MAX_PIECES the three days' (the
        # third makes 4 pieces: the days' written again as one, beside the build's)
        assert written == ([6] if n == 2 else [2]), n
        assert len(pieces_now()) == [2, 3, 2, 3][n]
        gen = folder / str(index.generation[0])
        assert sorted(p.name for p in gen.glob("hashes-*.bin")) == sorted(pieces_now())
        fresh = SearchIndex(tmp_path / f"fresh-{n}")
        fresh.rebuild(lib.papers)
        assert _answers(index) == _answers(fresh), n
        assert ids(index, f"finches {n}") == [f"2508.{n:05d}"]
        again = SearchIndex(folder)  # the pieces read back by the next process
        assert dict(again.indexed_hashes()) == dict(fresh.indexed_hashes())
        assert again.sync(lib.papers, version=lib.version).changed == 0
        for each in (index, fresh, again):
            each.close()
    (days / "2025-08-04.jsonl").unlink()
    lib = _open(days)
    written = []
    monkeypatch.setattr(hashes_mod, "MAX_PIECES", 32)

    def counted_gone(hashes: Any, gone: Any = ()) -> bytes:
        gone = list(gone)
        written.append(len(hashes) + len(gone))
        return real_bytes(hashes, gone)

    with pytest.MonkeyPatch.context() as mp:  # a removal: no dict of every hash either
        mp.setattr(hashes_mod, "piece_bytes", counted_gone)
        mp.setattr(store, "as_dict", no_dict)
        mp.setattr(hashes_mod, "as_dict", no_dict)
        index = SearchIndex(folder)
        assert index.sync(lib.papers, version=lib.version).removed == 2
    assert written == [2]  # the two ids gone, nothing else
    fresh = SearchIndex(tmp_path / "fresh-removed")
    fresh.rebuild(lib.papers)
    assert dict(SearchIndex(folder).indexed_hashes()) == dict(fresh.indexed_hashes())
    assert len(SearchIndex(folder).indexed_hashes()) == 30 + 2 * 3
    assert _answers(index) == _answers(fresh)
    assert ids(index, "finches 3") == [] and ids(index, "finches 2") == ["2508.00002"]


def test_a_day_removed_looks_its_ids_up_without_a_list_of_every_id(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting a paper by id (a day removed, a paper changed) looks the id
    up in the fast postings' bytes by a binary search: no sorted list of
    every id of the segment (0.5 s a segment at a million papers, 0.9 of
    the 2.5 s a removed day took). The ranks found are those of the list."""
    from reader.search.index.fast import FastPostings, open_fast

    papers = {f"2501.{n:05d}": paper(f"2501.{n:05d}", f"Paper {n} on graphs") for n in range(300)}
    papers["10.1000/é-long"] = paper("10.1000/é-long", "Graphs too")
    index = SearchIndex(folder)
    index.rebuild(papers)
    gen = folder / str(index.generation[0])
    index.close()
    fast = [open_fast(p) for p in sorted(gen.glob("fast-*.bin"))]
    assert fast and all(f.has_ids for f in fast)

    def no_list(self: FastPostings) -> list[bytes]:
        raise AssertionError("a sorted list of every id")

    gone = ["2501.00007", "2501.00123", "10.1000/é-long"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FastPostings, "sorted_ids", no_list)
        index = SearchIndex(folder)
        report = index.sync({k: v for k, v in papers.items() if k not in gone})
    assert report.removed == 3 and not report.rebuilt and not report.error
    assert "2501.00007" not in {pid for pid, _ in index.search(parse_query("graphs").node, None)}
    for f in fast:  # the same ranks as the list's, and None for an id it lacks
        listed = FastPostings.sorted_ids(f)
        probe = [*listed, b"2501.0000", b"2501.99999", b"", b"\xff"]
        f._sorted_ids = None
        got = [f.id_rank(b) for b in probe]
        assert got == [*range(len(listed)), None, None, None, None]


def test_sync_over_the_same_files_hashes_nothing(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = tmp_path / "digests"
    days.mkdir()
    _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion models", "Robots.")])
    lib: Any = _open(days)
    SearchIndex(folder).sync(lib.papers, version=lib.version)
    seen = _hashes_counted(monkeypatch)
    again: Any = _open(days)
    index = SearchIndex(folder)
    report = index.sync(again.papers, version=again.version)
    assert seen == [] and report.changed == 0 and report.total == 1
    assert ids(index, "diffusion") == ["2501.00001"]
    # without a version (or an unknown one) every paper is compared, as before
    assert index.sync(again.papers).changed == 0 and seen == ["2501.00001"]


def test_a_file_rewritten_with_the_same_size_and_time_is_seen_by_both(
    folder: Path, tmp_path: Path
) -> None:
    """The library notices a changed file by its size, its modification time
    and a fingerprint of its content (a file restored from a backup, or
    ``touch -r``, keeps the first two); the index follows the library."""
    days = tmp_path / "digests"
    days.mkdir()
    path = _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion models", "Robots.")])
    lib: Any = _open(days)
    SearchIndex(folder).sync(lib.papers, version=lib.version)
    st = path.stat()
    _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion mod3ls", "Robots.")])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    lib = _open(days)
    assert lib.papers["2501.00001"].title == "Diffusion mod3ls"  # the library's view
    index = SearchIndex(folder)
    report = index.sync(lib.papers, version=lib.version)
    assert report.updated == 1 and ids(index, "mod3ls") == ["2501.00001"]


def test_a_cancelled_sync_keeps_no_version(folder: Path, tmp_path: Path) -> None:
    days = tmp_path / "digests"
    days.mkdir()
    _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion models", "Robots.")])
    lib: Any = _open(days)
    SearchIndex(folder).sync(lib.papers, version=lib.version)
    _write_day(days, "2025-08-02.jsonl", [("2501.00002", "Quantum codes", "Qubits.")])
    lib = _open(days)
    index = SearchIndex(folder)
    assert index.sync(lib.papers, version=lib.version, cancelled=lambda: True).cancelled
    report = SearchIndex(folder).sync(lib.papers, version=lib.version)
    assert report.added == 1 and ids(SearchIndex(folder), "quantum") == ["2501.00002"]


def test_an_updated_library_leaves_the_collector_nothing_to_scan(tmp_path: Path) -> None:
    """Made with the collector paused, the papers of an updated library are
    frozen after it: else the first collection that follows (in the index
    sync of a CLI ``search`` after a fetch) scans every one of them."""
    import gc

    days = tmp_path / "digests"
    days.mkdir()
    for n in range(30):
        _write_day(days, f"2025-07-{n + 1:02d}.jsonl", [(f"2407.{n:05d}", f"Paper {n}", "Text.")])
    _open(days)
    _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion models", "Robots.")])
    gc.unfreeze()
    try:
        lib: Any = _open(days)
        assert lib.version is not None and lib.version.base  # updated in place
        assert gc.get_freeze_count() >= len(lib.papers) == 31
    finally:
        gc.unfreeze()


def test_another_process_s_sync_is_seen_before_trusting_the_version(
    folder: Path, tmp_path: Path
) -> None:
    """The app (one SearchIndex) updated the index itself, then a CLI command
    (another) synced a newer library: the app's next sync must start from
    what is on disk, not from its own last commit."""
    days = tmp_path / "digests"
    days.mkdir()
    _write_day(days, "2025-08-01.jsonl", [("2501.00001", "Diffusion models", "Robots.")])
    lib: Any = _open(days)
    app = SearchIndex(folder)
    app.sync(lib.papers, version=lib.version)
    _write_day(days, "2025-08-02.jsonl", [("2501.00002", "Quantum codes", "Qubits.")])
    lib = _open(days)
    assert app.sync(lib.papers, version=lib.version).added == 1  # the app's own commit
    _write_day(days, "2025-08-03.jsonl", [("2501.00003", "Zebra finches", "Songs.")])
    newer: Any = _open(days)
    cli = SearchIndex(folder)
    assert cli.sync(newer.papers, version=newer.version).added == 1
    cli.close()
    # the app syncs its library (without the third day) again: the index follows it
    report = app.sync(lib.papers, version=lib.version)
    assert report.removed == 1
    fresh = SearchIndex(tmp_path / "fresh")
    fresh.rebuild(lib.papers)
    assert _answers(app) == _answers(fresh)


# ------------------------------------------------ each posting stored once, compactly


def _vocab_papers(n: int, seed: int = 5) -> dict[str, Paper]:
    import random

    rng = random.Random(seed)
    vocab = ["graph", "model", "language", "large", "robot", "policy", "diffusion", "agent",
             "planning", "survey", "learning", "sparse", "vision", "attention"]  # fmt: skip
    vocab += [f"term{i}" for i in range(40)]

    def text(k: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(k))

    return {
        f"2502.{i:05d}": Paper(id=f"2502.{i:05d}", title=text(6), abstract=text(80),
                               authors=["Ann Lee", rng.choice(["Bo Wang", "Cy Graph"])],
                               tags=[rng.choice(["cs.LG", "robots"])], dates=["2025-08-01"])
        for i in range(n)
    }  # fmt: skip


def test_a_full_build_stores_each_posting_once(tmp_path: Path) -> None:
    """The postings and positions of a full build are written once, to the
    fast postings file: Whoosh's postings file of the segment is empty (it was
    twice the fast file's size, positions and all), and the index folder is
    small next to the text it indexes."""
    papers = _vocab_papers(600)
    index = SearchIndex(tmp_path / "ix")
    assert index.rebuild(papers).added == 600
    gen = next(p for p in (tmp_path / "ix").iterdir() if p.name.startswith("ix-"))
    pst = sum(f.stat().st_size for f in gen.glob("*.pst"))
    fast = sum(f.stat().st_size for f in gen.glob("fast-*.bin"))
    assert fast > 0 and pst == 0
    # about 8 bytes a posting in the fast file (it was 17, and 40 more in .pst)
    postings = sum(len(set(analyze_paper(p))) for p in papers.values())
    assert fast < 10 * postings
    # every shape still answered, by the numpy scorer and by Whoosh's matchers alike
    assert len(ids(index, '"large language"')) == len(_phrase_brute(papers, "large", "language"))
    index.close()


def analyze_paper(p: Paper) -> list[str]:
    from reader.search.analysis import analyze

    return [w for t in (p.title, " ; ".join(p.authors), " ; ".join(p.tags), p.abstract)
            for w in analyze(t)]  # fmt: skip


def _phrase_brute(papers: dict[str, Paper], a: str, b: str) -> set[str]:
    from reader.search.analysis import analyze

    out = set()
    for pid, p in papers.items():
        for t in (p.title, " ; ".join(p.authors), " ; ".join(p.tags), p.abstract):
            words = analyze(t)
            if any(x == a and y == b for x, y in zip(words, words[1:], strict=False)):
                out.add(pid)
    return out


def test_segments_merged_by_whoosh_keep_every_position(tmp_path: Path) -> None:
    """Whoosh reads a full build's postings from the fast file (through its
    codec) when it merges that segment with one a sync wrote: the merged
    segment (Whoosh's own format) answers every shape as before."""
    from whoosh import index as windex

    from reader.search.index.schema import make_codec

    papers = _vocab_papers(300)
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(dict(list(papers.items())[:200]))
    index.sync(papers)  # a second segment, written by Whoosh's writer
    queries = ['"large language"', '"graph model"~3', "title:graph", "ti:(graph OR robot)",
               "au:wang", "abs:mod*", 'title:"language model"', "la*", "grapj~", "agent -survey",
               "robots", "cy graph"]  # fmt: skip
    before = {q: sorted(ids(index, q)) for q in queries}
    assert [q for q, v in before.items() if not v] == []
    gen = next(p for p in (tmp_path / "ix").iterdir() if p.name.startswith("ix-"))
    ix = windex.open_dir(str(gen), schema=None)
    w = ix.writer(codec=make_codec(), compound=False)
    w.commit(optimize=True)  # one segment, in Whoosh's format, positions in .pst
    ix.close()
    # vouch for what that commit wrote, as our own sync does after a merge
    from reader.search import whoosh_private
    from reader.search.index import integrity
    from reader.search.index.generations import SIDECAR_NAME

    body, _ = integrity.read_sealed(gen / SIDECAR_NAME)
    assert body is not None
    body["files"] = {name: list(entry) for name, entry in integrity.listing(gen).items()}
    body["generation"] = whoosh_private.latest_generation(str(gen))
    (gen / SIDECAR_NAME).write_bytes(integrity.seal(body))
    assert len(list(gen.glob("*.pst"))) == 1 and next(gen.glob("*.pst")).stat().st_size > 0
    reopened = SearchIndex(tmp_path / "ix")
    assert {q: sorted(ids(reopened, q)) for q in queries} == before
    assert reopened.problem == ""
    reopened.close()
    index.close()


def test_fast_postings_round_trip_every_item_type(tmp_path: Path) -> None:
    """The fast postings file picks the narrowest item type for each array and
    reads back what was written: document numbers past 65,535, weights that
    are not half units or past 8 bits, positions past 16,384 words in a field."""
    import numpy as np
    from whoosh.util.numeric import byte_to_length

    from reader.search.analysis import SPAN_WIDTH
    from reader.search.index.fast import FastPostings, write_fast

    rng = np.random.default_rng(3)
    cases = [
        (100, lambda n: rng.integers(1, 9, n) * 0.5, 300),  # narrow everything
        (70_000, lambda n: rng.integers(1, 9, n) * 0.5, 300),  # docs need 32 bits
        (100, lambda n: rng.integers(200, 900, n) * 0.5, 300),  # weights: 16 bits
        (100, lambda n: rng.random(n) * 3, 300),  # weights: float
        (100, lambda n: rng.integers(1, 9, n) * 0.5, 20_000),  # positions: 32 bits
    ]
    for ndocs, weights_of, field_len in cases:
        terms = ["alpha", "beta", "gamma"]
        docs_l, w_l, f_l, pos_l, starts = [], [], [], [], [0]
        for _t in terms:
            d = np.sort(rng.choice(ndocs, 40, replace=False))
            docs_l.append(d)
            w_l.append(weights_of(40))
            f = rng.integers(1, 4, 40)
            f_l.append(f)
            for k in f:
                field = int(rng.integers(0, 4))
                pos_l.append(np.sort(rng.choice(field_len, k, replace=False)) + field * SPAN_WIDTH)
            starts.append(starts[-1] + 40)
        lb = rng.integers(0, 256, ndocs).astype(np.uint8)
        path = tmp_path / f"fast-{ndocs}-{field_len}.bin"
        weights = np.concatenate(w_l).astype(np.float32)
        positions = np.concatenate(pos_l)
        write_fast(path, terms, np.array(starts), np.concatenate(docs_l), weights,
                   np.concatenate(f_l), positions, lb, [f"id{i}" for i in range(ndocs)])  # fmt: skip
        fp = FastPostings(path)
        assert fp.terms == terms and fp.ids() == [f"id{i}" for i in range(ndocs)]
        assert fp.lengths[7] == np.float32(byte_to_length(int(lb[7])))
        at = 0
        for i in range(3):
            d, w, ps, pos = fp.postings_at(i)
            assert d.tolist() == docs_l[i].tolist()
            assert w.tolist() == pytest.approx(w_l[i].astype(np.float32).tolist())
            want = positions[at : at + int(f_l[i].sum())]
            assert ps.tolist() == [0, *np.cumsum(f_l[i]).tolist()]
            assert pos.tolist() == want.tolist()
            at += int(f_l[i].sum())
        d, w, word, ps, pos = fp.slice_at(1, 3)
        assert d.tolist() == np.concatenate(docs_l[1:]).tolist() and word.tolist()[39:41] == [0, 1]
        assert pos.tolist() == positions[int(f_l[0].sum()) :].tolist()


def test_a_run_of_many_terms_is_decoded_into_one_array_of_its_docnums(tmp_path: Path) -> None:
    """A run of terms (``a*``: 12,000 words and 5 million postings a segment
    at 1M papers) read as document numbers, whole or from and to the middle
    of a term, with empty terms and gaps too long for a byte: the numbers as
    written, holding one array of them while decoding (each term's start
    was once corrected by a second array as long, a third of the time)."""
    import tracemalloc

    import numpy as np

    from reader.search.index.fast import FastPostings, write_fast

    rng = np.random.default_rng(11)
    ndocs, nterms = 20_000, 600
    sizes = rng.integers(0, 400, nterms)
    sizes[::7] = 0  # empty terms
    docs_l = [np.sort(rng.choice(ndocs, int(k), replace=False)) for k in sizes]
    starts = np.concatenate(([0], np.cumsum(sizes)))
    docs = np.concatenate(docs_l)
    n = len(docs)
    path = tmp_path / "fast-run.bin"
    write_fast(path, [f"w{i:04d}" for i in range(nterms)], starts, docs,
               np.ones(n, np.float32), np.ones(n, np.int64), np.arange(n) % 1000,
               np.zeros(ndocs, np.uint8), [f"id{i}" for i in range(ndocs)])  # fmt: skip
    fp = FastPostings(path)
    assert fp.docs_at(0, n).tolist() == docs.tolist()
    for a, b in [(5, 7), (int(starts[3]) + 2, int(starts[40]) - 1), (n - 300, n), (1, n - 1)]:
        assert fp.docs_at(a, b).tolist() == docs[a:b].tolist(), (a, b)
    fp.docs_at(0, n)
    tracemalloc.start()
    fp.docs_at(0, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 11 * n, (peak, n)  # 8 bytes a docnum, a byte a gap compared


def ours_and_whooshs(
    tmp_path: Path, papers: dict[str, Paper], procs: int | None = None
) -> tuple[SearchIndex, Path, Any, Any]:
    """A full build of ``papers`` (the index, its generation's folder) and
    Whoosh's readers of it and of a segment of the same papers written by
    Whoosh's own writer."""
    from whoosh import index as windex

    from reader.search.index.schema import doc_fields, make_codec, make_schema

    ours = SearchIndex(tmp_path / "ours", procs=procs)
    ours.rebuild(papers)
    gen = next(p for p in (tmp_path / "ours").iterdir() if p.name.startswith("ix-"))
    theirs_dir = tmp_path / "theirs"
    theirs_dir.mkdir()
    wix = windex.create_in(str(theirs_dir), make_schema())
    w = wix.writer(codec=make_codec())
    for p in papers.values():
        w.add_document(**doc_fields(p))
    w.commit()
    return ours, gen, windex.open_dir(str(gen), schema=None).reader(), wix.reader()


def test_whoosh_reads_a_full_build_as_it_reads_its_own_segments(tmp_path: Path) -> None:
    """A full build's segment, read by Whoosh through our codec (its words,
    statistics and postings from the fast file), shows Whoosh what a segment
    of the same papers written by Whoosh's own writer shows: the same word
    list, document frequencies, term infos, postings with their positions,
    ``prefix*`` and ``word~`` expansions."""
    from reader.search.analysis import INDEX_FIELD

    papers = _vocab_papers(150, seed=9)
    papers["2502.99999"] = paper("2502.99999", "Graph graph graph", "graph " * 300)
    ours, _, a, b = ours_and_whooshs(tmp_path, papers)
    words = list(a.lexicon(INDEX_FIELD))
    assert words == list(b.lexicon(INDEX_FIELD)) and len(words) > 50
    assert list(a.expand_prefix(INDEX_FIELD, "gra")) == list(b.expand_prefix(INDEX_FIELD, "gra"))
    for text in ("graph", "modle", "term1"):
        assert sorted(a.terms_within(INDEX_FIELD, text, 1, prefix=1)) == sorted(
            b.terms_within(INDEX_FIELD, text, 1, prefix=1)
        )
    assert ("text", b"nothing") not in a and ("text", b"graph") in a
    assert a.doc_frequency(INDEX_FIELD, "nothing") == 0
    for word in words:
        ta, tb = a.term_info(INDEX_FIELD, word), b.term_info(INDEX_FIELD, word)
        assert (ta.doc_frequency(), ta.max_weight(), ta.min_length(), ta.max_length(),
                ta.min_id(), ta.max_id()) == (tb.doc_frequency(), tb.max_weight(),
                tb.min_length(), tb.max_length(), tb.min_id(), tb.max_id()), word  # fmt: skip
        assert a.frequency(INDEX_FIELD, word) == pytest.approx(b.frequency(INDEX_FIELD, word))
        ma, mb = a.postings(INDEX_FIELD, word), b.postings(INDEX_FIELD, word)
        got_a, got_b = [], []
        while ma.is_active():
            got_a.append((ma.id(), ma.weight(), ma.value()))
            ma.next()
        while mb.is_active():
            got_b.append((mb.id(), mb.weight(), mb.value()))
            mb.next()
        assert got_a == got_b, word
    # Whoosh's collector (block quality, skipping) and its phrase matcher alike
    from whoosh import query as wq
    from whoosh.searching import Searcher as WSearcher

    for q in (wq.Or([wq.Term(INDEX_FIELD, "graph"), wq.Term(INDEX_FIELD, "model")]),
              wq.And([wq.Term(INDEX_FIELD, "agent"), wq.Term(INDEX_FIELD, "term3")]),
              wq.Phrase(INDEX_FIELD, ["large", "language"]), wq.Prefix(INDEX_FIELD, "term")):  # fmt: skip
        for limit in (3, None):
            ra = [(d, round(s, 5)) for s, d in WSearcher(a).search(q, limit=limit).top_n]
            rb = [(d, round(s, 5)) for s, d in WSearcher(b).search(q, limit=limit).top_n]
            assert ra == rb and ra, q
    a.close()
    b.close()
    ours.close()


def test_words_and_prefixes_are_found_in_the_fast_file_without_decoding_its_terms(
    folder: Path,
) -> None:
    """A word or a prefix is looked up in the term blob's bytes (a search of
    plain words decodes none of the terms), at the index the decoded, sorted
    terms give: first, last, missing, accented and one-letter ones too."""
    from reader.search.index.fast import FastPostings, open_fast

    papers = {
        f"2401.{i:05d}": Paper(
            id=f"2401.{i:05d}",
            title=f"Théorie {w} model{i % 3} zeta{i}",
            abstract=f"aaron {w}s über ångström {i}",
        )
        for i, w in enumerate(["alpha", "beta", "modèle", "mode", "modern", "zz", "a"] * 6)
    }
    index = SearchIndex(folder, procs=1)
    index.rebuild(papers)
    (path,) = folder.glob("ix-*/fast-*.bin")
    decoded = open_fast(path).terms
    probes = [*decoded, "", "0", "mod", "modele", "zzz", "über", "ü", "\U0010ffff", "aaron x"]
    for word in probes:
        lazy = FastPostings(path)
        want = decoded.index(word) if word in decoded else None
        assert lazy.term_index(word) == want, word
        for k in {1, 2, 3, len(word)}:
            prefix = word[:k]
            got = [decoded[i] for i in FastPostings(path).prefix_range(prefix)]
            assert got == [t for t in decoded if t.startswith(prefix)], prefix
        if word:
            assert lazy._terms is None  # nothing decoded
    index.close()


def test_a_prefix_decodes_only_its_own_words_in_each_segment(folder: Path) -> None:
    """``la*``, ``(la OR la*)``, ``title:la*`` over two segments with fast
    postings: the words of each segment the prefix expands to, and their
    idfs over the other, read from the bytes of that run of words alone,
    never the segment's whole list (250,000 words at 1M papers, ~20 ms a
    segment a process: every CLI search of a prefix paid it); the same
    papers and count as the words' ``OR``."""
    from reader.search.index.fast import open_fast
    from reader.search.query import Or, Text

    words = ["language", "latent", "lattice", "laser", "vision", "model", "graph"]
    papers = {
        f"2501.{i:05d}": paper(
            f"2501.{i:05d}", f"{words[i % 7]} {words[(i * 3) % 7]}", f"z{i} la{i % 50}"
        )
        for i in range(400)
    }
    index = SearchIndex(folder, procs=2)
    index.rebuild(papers)
    fasts = [open_fast(p) for p in folder.glob("ix-*/fast-*.bin")]
    assert len(fasts) == 2
    for text in ("la*", "(la OR la*)", "title:la*"):
        node = parse_query(text).node
        assert node is not None
        got, total = index.search_counted(node, None)
        assert total == len(got) > 250, text
    expanded = sorted({w for p in papers.values() for w in analyze_paper(p) if w.startswith("la")})
    want, n_want = index.search_counted(Or(tuple(Text(None, "term", (w,)) for w in expanded)), None)
    assert {p for p, _ in index.search_counted(Text(None, "prefix", ("la",)), None)[0]} == {
        p for p, _ in want
    }
    assert all(fp._terms is None for fp in fasts)
    index.close()


@pytest.mark.parametrize("chunk", [1 << 18, 1, 50])
def test_a_prefix_over_escaped_postings_scores_as_the_or_of_its_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """``zet*`` over fast postings (scored by one lookup a posting, see
    ``TreeScorer._factors``) gives every paper exactly the score of the
    ``OR`` of the index's words it expands to (each scored by BM25's
    arithmetic), also for postings whose (weight, frequency) escapes the
    segment's table of 255 codes: the same papers, count and ranking; and
    the same when the run is read a few postings at a time (``chunk``); in
    the abstract (a chunk at a time) and in the title (its postings there)
    too."""
    from reader.search.index import scorer
    from reader.search.query import Or, Text

    monkeypatch.setattr(scorer, "_RUN_CHUNK", chunk)

    papers: dict[str, Paper] = {}
    for i in range(460):
        t, a = i % 10, (i // 10) % 46  # 460 (title, abstract) counts: > 255 pairs
        title = " ".join(["zeta"] * t + ["graph", "model"])
        abstract = " ".join(["zeta"] * a + ["zetnith"] * (i % 3) + ["zetbra"] * (i % 7 == 0))
        pid = f"2503.{i:05d}"
        papers[pid] = Paper(
            id=pid, title=title, abstract=abstract + " learning", dates=["2025-08-01"]
        )
    index = SearchIndex(tmp_path / "ix")
    index.sync(papers)
    words = sorted(w for w in {"zeta", "zetnith", "zetbra"})
    for field in (None, "abstract", "title"):  # in a field: the split of each code
        got, n_got = index.search_counted(Text(field, "prefix", ("zet",)), None)
        node = Or(tuple(Text(field, "term", (w,)) for w in words))
        want, n_want = index.search_counted(node, None)
        assert n_got == n_want == len(got) > (400 if field != "title" else 360), field
        assert got == want, field


def test_the_best_of_many_matches_are_cut_from_their_scores_rounded_once(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``la*`` matching every paper, its best 5 asked: the same papers,
    scores and count as the whole answer's first 5 in the engine's order,
    and the scores rounded once to find them (twice before, each time
    every match: a million scores for ``a*`` at 1M papers)."""
    import numpy as np

    papers = {
        f"2501.{i:05d}": paper(f"2501.{i:05d}", f"Big {w} models", f"label {w} lattice {w}")
        for i, w in enumerate(["language", "latent", "vision", "laser", "lab", "lamp"] * 10)
    }
    index = SearchIndex(folder, procs=1)
    index.sync(papers)
    node = parse_query("la*").node
    assert node is not None
    whole, n_whole = index.search_counted(node, None)
    rounds: list[int] = []
    real = np.round

    def counted(a: Any, *args: Any, **kwargs: Any) -> Any:
        rounds.append(len(np.atleast_1d(a)))
        return real(a, *args, **kwargs)

    monkeypatch.setattr(np, "round", counted)
    best, n_best = index.search_counted(node, 5, tiekey=lambda ids: np.zeros(len(ids), np.int64))
    assert n_best == n_whole == 60
    assert best == whole[: len(best)] and len(best) >= 5
    assert sum(1 for k in rounds if k == 60) == 1, rounds
    # its 60 ties ordered by the index (as a million are): still rounded
    # once; after the warm-up's order by key, every score the same, none
    # rounded (the first 5 in the keys' order)
    from reader.search.index import scorer

    def zeros(ids: Any) -> Any:
        return np.zeros(len(ids), np.int64)

    monkeypatch.setattr(scorer, "TIE_SPILL", 0)
    for warm, times in ((False, 1), (True, 0)):
        if warm:
            index.warm_ties(zeros)
        rounds.clear()
        best, n_best = index.search_counted(node, 5, tiekey=zeros)
        assert n_best == 60 and best == whole[:5]
        assert sum(1 for k in rounds if k == 60) == times, (warm, rounds)
    index.close()


@pytest.mark.parametrize("text", ["la*", "(la OR la*)"])
@pytest.mark.parametrize("limit", [1, 7, 40, 59])
def test_papers_that_all_tie_come_in_the_order_of_their_keys(
    folder: Path, monkeypatch: pytest.MonkeyPatch, limit: int, text: str
) -> None:
    """A broad prefix (``la*``: every match scores the same; typed, ``(la
    OR la*)``: the few with the word ``la`` above them) asked for its best
    few: those above, then the first of the ties in the order of their keys
    (the engine's newer first), as the whole partition of every key gave
    them, read from the warm-up's order of the documents by key (a million
    ties at 1M papers: the first 1,000 of the order, not every key); the
    same count. Without the warm-up (a CLI command) no order is made: its
    sort would cost more than the one query. (Every match of the segment
    comes to the cut here: its best alone, :func:`scorer._best_here`, are
    tested on their own.)"""
    import numpy as np

    from reader.search.index import scorer

    monkeypatch.setattr(scorer, "_best_here", lambda scores, limit: None)

    papers = {
        f"2501.{i:05d}": paper(
            f"2501.{i:05d}", f"Big {w} models", f"{w} lattice" + (" la" * (i % 3) if i < 9 else "")
        )
        for i, w in enumerate(["language", "latent", "vision", "laser", "lab", "lamp"] * 10)
    }
    index = SearchIndex(folder, procs=1)
    index.sync(papers)
    node = parse_query(text).node
    assert node is not None
    shuffled = np.random.default_rng(7).permutation(len(papers))

    def tiekey(ids: Any) -> Any:
        return shuffled[: len(ids)].astype(np.int64)

    monkeypatch.setattr(scorer, "TIE_SPILL", 0)
    gathered: list[int] = []
    real_keys_of = scorer.keys_of

    def keys_of(keys: Any, docs: Any) -> Any:
        gathered.append(len(docs))
        return real_keys_of(keys, docs)

    monkeypatch.setattr(scorer, "keys_of", keys_of)
    index.warm_ties(tiekey)  # as the engine's warm-up does
    got, n_got = index.search_counted(node, limit, tiekey=tiekey)
    above = 6 if text.startswith("(") else 0  # (those with a ``la``)
    assert gathered == [above] or (limit <= above and gathered == [n_got])
    cold = SearchIndex(folder, procs=1)  # no warm-up: no order made, the same answer
    assert cold.search_counted(node, limit, tiekey=tiekey) == (got, n_got)
    state = cold._scorer
    assert state is not None and state._tie_order is None
    cold.close()
    gathered.clear()
    monkeypatch.setattr(scorer, "_floor", lambda scores, limit: None, raising=False)
    want, n_want = index.search_counted(node, limit, tiekey=tiekey)
    assert gathered == [n_want]  # the way before: every match's key
    assert n_got == n_want == 60
    assert got == want and len(got) == limit
    index.close()


def test_a_short_prefix_typed_again_is_scored_once_and_never_stale(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``la`` runs as ``(lat OR lat*)``, then ``la*``, then Enter runs it again:
    a prefix with many postings is scored once per index generation (its
    postings read once), with the same answer; once a paper is added, the
    next search finds it (nothing kept of the generation before)."""
    from reader.search.index import scorer
    from reader.search.index.fast import FastPostings

    monkeypatch.setattr(scorer, "_KEEP_PREFIX_POSTINGS", 1, raising=False)
    reads: list[tuple[int, int]] = []
    real = FastPostings.slice_at

    def counted_slice(self: FastPostings, lo: int, hi: int, positions: bool = True) -> Any:
        reads.append((lo, hi))
        return real(self, lo, hi, positions)

    real_docs = FastPostings.docs_at

    def counted_docs(self: FastPostings, lo: int, hi: int) -> Any:
        reads.append((lo, hi))
        return real_docs(self, lo, hi)

    monkeypatch.setattr(FastPostings, "slice_at", counted_slice)
    monkeypatch.setattr(FastPostings, "docs_at", counted_docs)
    papers = {
        f"2501.{i:05d}": paper(f"2501.{i:05d}", f"Big {w} models", f"label {w} lattice")
        for i, w in enumerate(["latency", "latent", "vision", "lateral"] * 5)
    }
    index = SearchIndex(folder, procs=1)
    index.sync(papers)

    def ranked(text: str) -> list[tuple[str, float]]:
        node = parse_query(text).node
        assert node is not None
        return index.search(node, limit=None)

    first = ranked("(lat OR lat*)")
    assert reads and len(first) == 20
    reads.clear()
    assert ranked("(lat OR lat*)") == first
    again = ranked("lat*")
    assert reads == []  # the prefix's scores kept, no postings read
    assert [pid for pid, _ in again] == [pid for pid, _ in ranked("lat*")]
    assert len(ranked("title:lat*")) == 15 and reads  # a field: its own scores

    papers["2501.09999"] = paper("2501.09999", "Lateral paths", "lambda")
    index.sync(papers)
    assert "2501.09999" in [pid for pid, _ in ranked("lat*")]
    index.close()


class _CountedBytes:
    """A fast file's mapping that counts the bytes read from it (slices taken,
    bytes scanned by ``find``/``rfind``/``count``)."""

    def __init__(self, mm: Any) -> None:
        self.mm = mm
        self.read = 0

    def __len__(self) -> int:
        return len(self.mm)

    def __getitem__(self, key: Any) -> Any:
        got = self.mm[key]
        self.read += len(got) if isinstance(got, bytes) else 1
        return got

    def find(self, sub: bytes, start: int, end: int) -> int:
        hit: int = self.mm.find(sub, start, end)
        self.read += (hit if hit >= 0 else end) - start
        return hit

    def rfind(self, sub: bytes, start: int, end: int) -> int:
        hit: int = self.mm.rfind(sub, start, end)
        self.read += end - (hit if hit >= 0 else start)
        return hit


def test_a_word_is_found_in_a_big_term_list_by_reading_a_few_of_its_lines(
    tmp_path: Path,
) -> None:
    """Looking a word or a prefix up in a segment of 6,000 words (at 1M
    papers: 200,000) reads a few of its lines, not the term list up to it
    (that was ~2 ms a word and a segment at 1M papers, the most of a typed
    query's time): the same index as the decoded list gives, at any place."""
    from reader.search.index.fast import FastPostings

    words = sorted({f"w{i:05d}x" for i in range(6000)} | {"über", "a", "zz"})
    papers = {
        f"2401.{i:05d}": Paper(id=f"2401.{i:05d}", title="graph " + " ".join(words[i::40]))
        for i in range(40)
    }
    folder = tmp_path / "ix"
    index = SearchIndex(folder, procs=1)
    index.rebuild(papers)
    (path,) = folder.glob("ix-*/fast-*.bin")
    decoded = FastPostings(path).terms
    blob = sum(len(t) + 1 for t in decoded)
    assert len(decoded) > 6000 and blob > 40_000
    for word in [decoded[-1], decoded[len(decoded) // 2], "w05999x", "w0599", "zzz", "über"]:
        fp = FastPostings(path)
        fp._mm = counted = _CountedBytes(fp._mm)  # type: ignore[assignment]
        want = decoded.index(word) if word in decoded else None
        assert fp.term_index(word) == want, word
        prefix = word[:-1] or word
        got = [decoded[i] for i in fp.prefix_range(prefix)]
        assert got == [t for t in decoded if t.startswith(prefix)], prefix
        assert fp._terms is None
        assert counted.read < 2_000, (word, counted.read)
    index.close()


def test_an_and_scores_only_the_postings_of_papers_that_can_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rare common``, ``rare (common OR com*) -other`` and the same with a
    filter: the part with the fewest postings runs first and the others are
    scored only among the papers it found (at 1M papers a common word is
    500,000 postings a segment, scored and intersected for the few papers of
    the rare one): the same papers, scores and count as each part scored over
    every paper, and a few postings scored instead of every paper's."""
    import numpy as np

    from reader.search.index import scorer
    from reader.search.query import And, Not, Or, Text

    papers = _vocab_papers(600)
    for i in range(0, 600, 100):  # "zyx" in 6 papers, "model" in nearly all
        papers[f"2502.{i:05d}"].abstract += " zyx model" + " qwv" * (i < 200)
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    scored: list[int] = []
    real_bm25, real_sums = scorer.TreeScorer._bm25, scorer._sums_of

    def bm25(self: Any, leaf: Any, docs: Any, tf: Any, idf: Any) -> Any:
        scored.append(len(docs))
        return real_bm25(self, leaf, docs, tf, idf)

    def sums_of(docs: Any, values: Any, n: int) -> Any:
        scored.append(len(docs))
        return real_sums(docs, values, n)

    def every(node: Any) -> dict[str, float]:
        return dict(index.search_counted(node, None)[0])

    def term(w: str) -> Text:
        return Text(None, "term", (w,))

    common = Or((term("model"), Text(None, "prefix", ("mod",))))
    rare, other = every(term("zyx")), every(term("qwv"))
    whole = every(common)  # each part over every paper, summed here
    want = {p: rare[p] + whole[p] for p in rare if p in whole and p not in other}
    assert 0 < len(want) < 6 and len(whole) > 400
    monkeypatch.setattr(scorer.TreeScorer, "_bm25", bm25)
    monkeypatch.setattr(scorer, "_sums_of", sums_of)
    for node in (And((term("zyx"), term("model"))), And((term("zyx"), common, Not(term("qwv"))))):
        scored.clear()
        got, total = index.search_counted(node, None)
        assert sum(scored) < 40, scored  # 600 and more before
        if len(node.children) == 3:
            assert total == len(got) == len(want)
            assert [p for p, _ in got] == sorted(want, key=lambda p: (-round(want[p], 6), p))
            assert np.allclose([s for _, s in got], [want[p] for p, _ in got], rtol=0, atol=1e-12)
    # a filter's papers are the candidates of the whole tree
    only = sorted(papers)[::50]
    scored.clear()
    got, total = index.search_counted(common, None, only=only)
    assert sum(scored) < 40 and total == len(got) == len([p for p in only if p in whole])
    assert all(whole[p] == s for p, s in got)
    index.close()


def test_an_and_of_common_words_sums_its_parts_without_a_binary_search_of_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``model (graph OR vision) -survey``, each part matching most papers:
    the same papers, count and scores (to the bit) as each part scored over
    every paper and summed, each part's scores found among the papers of
    the whole by a mask, not by a binary search of every one of them in the
    part's (200,000 of them a segment for ``language (x OR model)`` at 1M)."""
    import numpy as np

    from reader.search.query import And, Not, Or, Text

    papers = _vocab_papers(600)
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)

    def term(w: str) -> Text:
        return Text(None, "term", (w,))

    def every(node: Any) -> dict[str, float]:
        return dict(index.search_counted(node, None)[0])

    first, either, other = (
        every(term("model")),
        every(Or((term("graph"), term("vision")))),
        every(term("survey")),
    )
    want = {p: first[p] + either[p] for p in first if p in either and p not in other}
    assert 50 < len(want) < len(first) < 600
    searched: list[int] = []
    real = np.searchsorted

    def counted(a: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        searched.append(int(np.size(v)))
        return real(a, v, *args, **kwargs)

    monkeypatch.setattr(np, "searchsorted", counted)
    node = And((term("model"), Or((term("graph"), term("vision"))), Not(term("survey"))))
    got, total = index.search_counted(node, None)
    assert total == len(got) == len(want)
    assert {p: s for p, s in got} == want
    assert max(searched, default=0) < 50, searched
    index.close()


def test_a_field_s_words_are_counted_from_their_weights_where_these_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``title:w``, ``au:w*``, ``abs:w*``, ``tags:w``: how often a word is in
    the field comes from its posting's code, which is its frequency and its
    split over the fields (a posting's weight alone does not tell: two author
    words weigh as a title word and an abstract word): the papers of each
    field as its text says, and no position read (every one before: millions
    for ``abs:com*`` at 1M papers)."""
    import random

    from reader.search.analysis import FIELD_BOOSTS, analyze
    from reader.search.index.fast import FastPostings
    from reader.search.query import Text

    fields = list(FIELD_BOOSTS)
    rng = random.Random(3)
    vocab = ["graph", "model", "modal", "moral", "lang", "agent"]
    papers = {
        f"2501.{i:05d}": Paper(
            id=f"2501.{i:05d}",
            title=" ".join(rng.choices(vocab, k=rng.randint(0, 3))) + " study",
            authors=[f"{rng.choice(vocab).title()} {rng.choice(vocab).title()}", "Ann Lee"],
            abstract=" ".join(rng.choices(vocab, k=rng.randint(0, 12))) + " result",
            tags=[rng.choice(["graph", "model theory", "cs.LG"])],
        )
        for i in range(300)
    }
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    read: list[int] = []
    real_range, real_of = FastPostings.positions_at, FastPostings.positions_of

    def positions_at(self: FastPostings, p0: int, p1: int) -> Any:
        read.append(p1 - p0)
        return real_range(self, p0, p1)

    def positions_of(self: FastPostings, p0: int, offs: Any) -> Any:
        read.append(len(offs))
        return real_of(self, p0, offs)

    monkeypatch.setattr(FastPostings, "positions_at", positions_at)
    monkeypatch.setattr(FastPostings, "positions_of", positions_of)

    def words_in(p: Paper, field: str) -> list[str]:
        text = {"title": p.title, "authors": " ; ".join(p.authors),
                "tags": " ; ".join(p.tags), "abstract": p.abstract}[field]  # fmt: skip
        return analyze(text)

    for field in fields:
        for kind, word in [("term", w) for w in analyze(" ".join(vocab))] + [("prefix", "mod")]:
            read.clear()
            got, total = index.search_counted(Text(field, kind, (word,)), None)
            want = {
                pid
                for pid, p in papers.items()
                if any(w == word or (kind == "prefix" and w.startswith(word))
                       for w in words_in(p, field))
            }  # fmt: skip
            assert {pid for pid, _ in got} == want and total == len(want), (field, word)
            assert sum(read) == 0, (field, word)
    index.close()


def test_a_field_s_prefix_finds_its_ambiguous_postings_without_a_sum_over_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``title:mox*``, ``au:mox*`` over a run where some postings weigh what two
    splits over the fields weigh (an author word twice = a title word and an
    abstract word): the papers of each field as its text says, and what is
    held meanwhile a few arrays of the run's postings, not also a running
    sum of every posting's positions (8 bytes a posting: 1.4 million for
    ``ti:pro*`` at 1M papers) to find the positions of those few."""
    import tracemalloc

    from reader.search.analysis import analyze
    from reader.search.index import scorer
    from reader.search.query import Text

    monkeypatch.setattr(scorer, "_KEEP_PREFIX_POSTINGS", 1 << 40)  # scored each time
    words = [f"mox{c}{d}" for c in "abcdefgh" for d in "abcdefgh"]
    papers = {}
    for i in range(3000):
        w = words[i % len(words)]
        title = f"{w} study" if i % 3 == 0 else "study"
        authors = [f"{w.title()} {w.title()}"] if i % 5 == 0 else ["Ann Lee"]
        abstract = " ".join(words[(i * 7 + k) % len(words)] for k in range(12)) + (
            f" {w}" if i % 3 == 0 else ""
        )
        pid = f"2501.{i:05d}"
        papers[pid] = Paper(id=pid, title=title, authors=authors, abstract=abstract)
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    postings = sum(
        len({w for w in analyze_paper(p) if w.startswith("mox")}) for p in papers.values()
    )
    for field, text_of in (("title", lambda p: p.title), ("authors", lambda p: p.authors[0])):
        node = Text(field, "prefix", ("mox",))
        index.search_counted(node, None)
        tracemalloc.start()
        got, total = index.search_counted(node, None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        want = {
            pid
            for pid, p in papers.items()
            if any(w.startswith("mox") for w in analyze(text_of(p)))
        }
        assert {pid for pid, _ in got} == want and total == len(want) > 500, field
        assert peak < 24 * postings, (field, peak / postings)  # 28 before
    index.close()


def test_a_word_s_postings_are_found_without_converting_the_term_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every binary search of a fast file's arrays (memory-mapped, in their
    narrowest type) is made with a value of the array's type: with a Python
    int numpy first converted the whole array to int64 (0.6 ms for the
    200,000 term starts of a segment at 1M papers, each word's postings and
    each chunk of a prefix's run, ~4 ms a word there)."""
    import numpy as np

    papers = _vocab_papers(300)
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    real = np.searchsorted
    widened: list[str] = []

    def searchsorted(a: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        arr = np.asarray(a)
        if arr.dtype.kind == "u" and not isinstance(v, np.ndarray | np.generic):
            widened.append(f"{arr.dtype} searched with {type(v).__name__}")
        return real(a, v, *args, **kwargs)

    monkeypatch.setattr(np, "searchsorted", searchsorted)
    for text in ("graph", "graph model", "la*", "mo* -robot", "ti:graph", "plannig~"):
        node = parse_query(text).node
        assert node is not None
        assert index.search_counted(node, 20)[1] > 0, text
    assert widened == []
    index.close()


def test_after_a_sync_the_ids_by_docnum_are_carried_from_the_table_before(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync that adds papers, changes one and removes one leaves the old
    segments where they were: the map between ids and docnums of the new
    generation is the old one with the removed taken out and the new put in
    (not every id encoded and sorted again, 20-40 ms of the GIL at 100k
    while the app's cursor waits), and it answers as one made from scratch."""
    import numpy as np

    import reader.search.index.store as store

    papers = {f"2501.{i:05d}": paper(f"2501.{i:05d}", f"Paper {i} on graphs") for i in range(40)}
    index = SearchIndex(folder)
    index.sync(papers)
    every = np.array(sorted(papers) + ["2601.00001", "2601.00002"], dtype=object)
    index.docnums(every)  # the table of this generation
    papers = dict(papers)
    del papers["2501.00007"]
    papers["2501.00003"] = paper("2501.00003", "Paper 3 retitled on trees")
    papers["2601.00001"] = paper("2601.00001", "A new paper on graphs")
    papers["2601.00002"] = paper("2601.00002", "Another new paper")
    index.sync(papers)

    made: list[int] = []
    real_init = store.IdTable.__init__

    def counted_init(self: Any, ids: Any) -> None:
        made.append(len(ids))
        real_init(self, ids)

    monkeypatch.setattr(store.IdTable, "__init__", counted_init)
    carried = index.docnums(every.copy())
    assert made == []  # carried, not made again from every id
    monkeypatch.undo()
    fresh = SearchIndex(folder)
    assert carried.tolist() == fresh.docnums(every.copy()).tolist()
    by_id = dict(zip(every.tolist(), carried.tolist(), strict=True))
    assert by_id["2501.00007"] == -1  # removed
    assert all(by_id[pid] >= 0 for pid in papers)
    assert ids(index, "trees") == ["2501.00003"]
    for text in ("graphs", "paper", "new OR retitled", "pap*"):
        assert ids(index, text) == ids(fresh, text)
    index.close()
    fresh.close()


_VOCAB = ["graph", "model", "modal", "language", "large", "latent", "robot", "vision",
          "transformer", "training", "transfer", "compute", "complex"]  # fmt: skip


def _random_papers(
    rng: Any, n: int, title_words: Callable[[], int], abstract_words: Callable[[], int]
) -> dict[str, Paper]:
    """``n`` papers of words drawn by ``rng`` from a small vocabulary."""
    return {
        f"2501.{i:05d}": paper(
            f"2501.{i:05d}",
            " ".join(rng.choices(_VOCAB, k=title_words())),
            " ".join(rng.choices(_VOCAB, k=abstract_words())),
            [f"{rng.choice(_VOCAB).title()} Lee"],
        )
        for i in range(n)
    }


def test_segments_scored_in_threads_answer_as_one_after_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large segments are scored each in a thread (``PARALLEL_DOCS``): every
    shape gives the same papers, scores, order and count as the segments
    scored one after another, also when its prefixes' scores are kept."""
    import random
    import threading

    from reader.search.index import scorer

    rng = random.Random(5)
    papers = _random_papers(rng, 600, lambda: 4, lambda: 30)
    index = SearchIndex(tmp_path / "ix", procs=2)
    index.rebuild(papers)
    queries = ["graph", "la*", "tra*", "abs:com*", "ti:mod*", "au:lee", '"large language"',
               "graph -vision", "(tra OR tra*) robot", "modle~"]  # fmt: skip

    def answers() -> list[Any]:
        out = []
        for text in queries:
            node = parse_query(text).node
            assert node is not None
            out.append(index.search_counted(node, 20))
        return out

    alone = answers()
    threads: set[str] = set()
    real = scorer.TreeScorer.run

    def run(self: Any, leaf: Any, node: Any, cand: Any = None) -> Any:
        threads.add(threading.current_thread().name)
        return real(self, leaf, node, cand)

    monkeypatch.setattr(scorer.TreeScorer, "run", run)
    monkeypatch.setattr(scorer, "PARALLEL_DOCS", 1)
    assert answers() == alone
    assert answers() == alone  # the kept prefixes' scores
    assert any(name.startswith("segments") for name in threads)
    index.close()


def test_each_segment_gives_only_its_best_and_the_answer_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segment's matches come to the cut as its best ``limit`` and every
    one tied with its last (``(abs:con OR abs:con*)`` at 1M papers: ~1,000
    of 460,000 a segment): the same papers, scores, order and count as every
    match brought there, at every limit, with ties ordered by key or by
    docnum, with deleted papers, a filter and papers left out; and the cut
    then ranks the few kept, not every match."""
    import random

    import numpy as np

    from reader.search.index import scorer

    rng = random.Random(11)
    papers = _random_papers(rng, 3000, lambda: 3, lambda: rng.randint(1, 12))  # many ties
    index = SearchIndex(tmp_path / "ix", procs=2)
    index.rebuild(papers)
    for pid in list(papers)[::7]:  # deleted from the segments they were in
        papers[pid] = paper(pid, "graph graph", "complex " * rng.randint(1, 4))
    index.sync(papers)
    keys = np.random.default_rng(3).permutation(len(papers) * 2).astype(np.int64)
    queries = ["graph", "tra*", "(abs:com OR abs:com*)", "ti:mod*", "(la OR la*)", "la*",
               "graph -vision", "au:lee"]  # fmt: skip
    only = set(list(papers)[::2])
    left_out = list(papers)[1::5]

    def answers() -> list[Any]:
        out = []
        for text in queries:
            node = parse_query(text).node
            assert node is not None
            for limit in (1, 3, 20, 100, 2999, None):
                for tiekey in (None, lambda ids: keys[: len(ids)]):
                    out.append(index.search_counted(node, limit, tiekey=tiekey))
                out.append(index.search_counted(node, limit, only=only, exclude=left_out))
        return out

    ranked: list[int] = []  # how many the searcher's cut ranks (the segments' together)
    real_top, real_best_first = scorer._top, scorer.best_first

    def top(docs: Any, scores: Any, limit: int | None, cut: Any = None) -> Any:
        if limit is not None and limit <= 20:
            ranked.append(len(scores))
        return real_top(docs, scores, limit, cut)

    def best_first(scores: Any, keys: Any, limit: int | None, cut: Any = None) -> Any:
        if limit is not None and limit <= 20:
            ranked.append(len(scores))
        return real_best_first(scores, keys, limit, cut)

    monkeypatch.setattr(scorer, "_top", top)
    monkeypatch.setattr(scorer, "best_first", best_first)
    monkeypatch.setattr(scorer, "TIE_SPILL", 2)
    best_alone = answers()
    few = list(ranked)
    ranked.clear()
    monkeypatch.setattr(scorer, "_best_here", lambda scores, limit: None)
    every_match = answers()
    assert best_alone == every_match
    assert sum(few) < sum(ranked) / 2, (sum(few), sum(ranked))  # limits of 1-20
    index.close()


def test_a_segment_without_fast_postings_is_read_by_one_thread_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Segments scored in threads (``PARALLEL_DOCS``) ask every other segment
    for their words' idfs and expansions: a segment a sync wrote (read
    through Whoosh's reader, which is not made for two threads at once) is
    read by one thread at a time, and the answers are those of one thread."""
    import random
    import threading
    import time

    from reader.search.index import scorer

    rng = random.Random(9)
    vocab = ["graph", "model", "modal", "language", "large", "latent", "robot", "vision",
             "transformer", "training", "transfer", "compute", "complex"]  # fmt: skip

    def made(i: int) -> Paper:
        pid = f"2501.{i:05d}"
        return paper(pid, " ".join(rng.choices(vocab, k=4)), " ".join(rng.choices(vocab, k=30)))

    papers = {p.id: p for p in map(made, range(400))}
    index = SearchIndex(tmp_path / "ix", procs=2)
    index.rebuild(papers)
    papers.update((p.id, p) for p in map(made, range(400, 460)))
    index.sync(papers)  # a segment of Whoosh's own
    queries = ["graph", "tra*", "abs:com*", "ti:mod*", "modle~", "(lan OR lan*) robot"]

    def answers() -> list[Any]:
        out = []
        for text in queries:
            node = parse_query(text).node
            assert node is not None
            out.append(index.search_counted(node, 20))
        return out

    alone = answers()
    index.close()
    inside: list[str] = []
    overlaps: list[str] = []

    class Watched:
        def __init__(self, reader: Any) -> None:
            self._reader = reader

        def __getattr__(self, name: str) -> Any:
            got = getattr(self._reader, name)
            if not callable(got):
                return got

            def call(*args: Any, **kwargs: Any) -> Any:
                if inside:
                    overlaps.append(f"{name} beside {inside[-1]}")
                inside.append(name)
                try:
                    time.sleep(0.002)
                    return got(*args, **kwargs)
                finally:
                    inside.pop()

            return call

        def __contains__(self, key: object) -> bool:
            return key in self._reader

    real_init = scorer._Leaf.__init__

    def init(self: Any, reader: Any, fp: Any, offset: int) -> None:
        real_init(self, reader, fp, offset)
        if fp is None:
            self.reader = Watched(reader)

    monkeypatch.setattr(scorer._Leaf, "__init__", init)
    monkeypatch.setattr(scorer, "PARALLEL_DOCS", 1)
    index = SearchIndex(tmp_path / "ix", procs=2)
    seen: set[str] = set()
    real_run = scorer.TreeScorer.run

    def run(self: Any, leaf: Any, node: Any, cand: Any = None) -> Any:
        seen.add(threading.current_thread().name)
        return real_run(self, leaf, node, cand)

    monkeypatch.setattr(scorer.TreeScorer, "run", run)
    assert answers() == alone
    assert any(name.startswith("segments") for name in seen)
    assert overlaps == []
    index.close()


def test_a_word_or_its_prefix_as_typed_scores_each_paper_as_its_parts_summed(
    tmp_path: Path,
) -> None:
    """``(zeta OR zeta*)`` (the box's last word half typed): the word's few
    papers are among the prefix's many; each paper scores its two parts'
    sum to the bit, a paper of the prefix alone its prefix score, and the
    count is the prefix's papers."""
    from reader.search.query import Or, Text

    papers = _vocab_papers(400)
    for i, p in enumerate(papers.values()):
        p.abstract += " zetabyte" + (" zeta zeta" if i % 20 == 0 else "")
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    word = dict(index.search_counted(Text(None, "term", ("zeta",)), None)[0])
    prefix = dict(index.search_counted(Text(None, "prefix", ("zeta",)), None)[0])
    assert 8 * len(word) <= len(prefix) == 400 and set(word) < set(prefix)
    got, total = index.search_counted(
        Or((Text(None, "term", ("zeta",)), Text(None, "prefix", ("zeta",)))), None
    )
    assert total == len(got) == 400
    assert dict(got) == {p: s + word.get(p, 0.0) for p, s in prefix.items()}
    assert [p for p, _ in got[: len(word)]] == sorted(word, key=lambda p: (-dict(got)[p], p))
    index.close()
