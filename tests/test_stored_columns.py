"""A CLI search with a filter or a sort over an unchanged library reads the
engine's columns from the cache folder (issue 13: nothing per paper when
nothing changed), not from a query over every paper of the catalog; with
the same answers as columns made afresh, also when the library changed,
the index was rebuilt, or a columns file was damaged."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from reader.catalog import Catalog
from reader.cli import main
from reader.paths import Paths
from reader.search.index import SearchIndex
from reader.search.stored_columns import COLUMNS_NAME, MAP_NAME
from reader.session import Session
from tests.threads import threads_calling

#: Papers known only by a DOI or a title: ids longer than the arXiv ids
#: beside them (the columns keep them apart).
LONG = "doi:10.5555/long.identifier.2025.0001"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out, err = capsys.readouterr()
    return code, out, err


def _paper(i: int, extra: str = "") -> str:
    votes = f"    upvotes: {i % 5}\n" if i % 3 else ""
    code = f"    links:\n      code: https://github.com/a/r{i}\n" if i % 4 == 0 else ""
    word = "agents" if i % 2 else "planners"
    return (
        f"  - id: '2508.{i:05d}'\n    title: {word.title()} study {i % 7}\n"
        f"    abstract: {word} plan and act.\n    tags: [cs.{'LG' if i % 3 else 'AI'}]\n"
        + votes
        + code
        + extra
    )


def _day(folder: Path, day: str | None, ids: Iterable[int], more: str = "") -> None:
    head = f"date: '{day}'\n" if day else ""
    name = day or "undated"
    (folder / f"{name}.yaml").write_text(
        head + "papers:\n" + "".join(_paper(i) for i in ids) + more, encoding="utf-8"
    )


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    """Three days of 100 papers (one of them on two days), papers with no
    day, and two with ids longer than the others (a DOI's, a title's)."""
    folder = tmp_path / "digests"
    folder.mkdir()
    _day(folder, "2025-08-19", range(0, 100))
    _day(folder, "2025-08-20", [*range(100, 200), 7])
    longs = (
        "  - title: Agents with a DOI only\n    doi: '10.5555/long.identifier.2025.0001'\n"
        "    abstract: agents plan.\n    upvotes: 9\n"
        "  - title: Agents known by their title alone\n    abstract: agents act.\n"
    )
    _day(folder, "2025-08-21", range(200, 300), longs)
    _day(folder, None, range(300, 305))
    return folder


QUERIES = [
    "",
    "sort:oldest",
    "sort:upvotes",
    "date:2025-08-19",
    "date:2025-08-19..2025-08-20 sort:oldest",
    "agents date:2025-08-20 sort:newest",
    "agents date:2025-08-19",
    "agents sort:oldest",
    "planners sort:upvotes",
    "agents upvotes:>3",
    "upvotes:>=2 sort:upvotes",
    "has:code",
    "-has:code sort:oldest",
    "is:starred",
    "is:starred sort:oldest",
    "-is:read agents",
    f"id:{LONG}",
    "tag:cs.ai sort:upvotes",
    "agents -is:starred",
]


def _answers(paths: Paths, folder: Path, keep: bool) -> dict[str, list[str]]:
    """Every query's ids, best first, from a session as a command makes it,
    with the columns kept on disk or (``keep`` False) made afresh."""
    session = Session(
        paths,
        extra=[folder],
        index_folder=paths.index_dir,
        lazy_state=True,
        lazy_library=True,
        keep_columns=keep,
    )
    return {q: session.search(q, limit=None).ids for q in QUERIES}


def _marks(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    assert run(capsys, "index", str(folder))[0] == 0
    for pid in ("2508.00001", "2508.00150", LONG):
        assert run(capsys, "star", pid, "--path", str(folder))[0] == 0
    assert run(capsys, "read", "2508.00003", "2508.00201", "--path", str(folder))[0] == 0


def test_a_filtered_sorted_search_over_an_unchanged_library_reads_no_column_of_every_paper(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """The first such command makes the columns and keeps them; the next
    ones read them: no catalog query over every paper (its columns, its
    day index, its days in a range), no id of every indexed document."""
    _marks(capsys, digests)
    args = ("search", "agents date:2025-08-20 sort:newest", str(digests), "--limit", "5")
    code, first, _ = run(capsys, *args)
    assert code == 0 and len(first.splitlines()) == 5
    counts = [
        threads_calling(monkeypatch, Catalog, "columns"),
        threads_calling(monkeypatch, Catalog, "day_columns"),
        threads_calling(monkeypatch, Catalog, "on_days"),
        threads_calling(monkeypatch, SearchIndex, "docnums"),
    ]
    for query in ("agents date:2025-08-20 sort:newest", "upvotes:>3 sort:upvotes", "is:starred"):
        code, out, err = run(capsys, "search", query, str(digests), "--limit", "5")
        assert code == 0 and err == ""
        if query.startswith("agents"):
            assert out == first
    assert counts == [[], [], [], []]
    starred = run(capsys, "search", "is:starred", str(digests))[1].splitlines()
    assert sorted(line.split("\t")[0] for line in starred) == sorted(
        ["2508.00001", "2508.00150", LONG]
    )


def test_the_kept_columns_answer_as_columns_made_afresh(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    """Filters, sorts, days of papers met on two days, papers with no day,
    long ids, the user's marks: the same papers in the same order."""
    _marks(capsys, digests)
    paths = Paths.from_env()
    fresh = _answers(paths, digests, keep=False)
    assert not (paths.library_cache / COLUMNS_NAME).exists()
    made = _answers(paths, digests, keep=True)  # made, and written
    assert (paths.library_cache / COLUMNS_NAME).exists()
    assert (paths.library_cache / MAP_NAME).exists()
    kept = _answers(paths, digests, keep=True)  # read from the files
    assert made == fresh and kept == fresh
    assert "2508.00007" in fresh["date:2025-08-19"]  # its earlier day
    assert fresh[f"id:{LONG}"] == [LONG]
    undated = {f"2508.{i:05d}" for i in range(300, 305)}
    assert set(fresh["sort:oldest"][-5:]) == undated


def test_a_day_added_makes_the_kept_columns_stale_and_the_answer_right(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """The command that reads the new day makes the columns again and
    keeps them: the next one reads them."""
    _marks(capsys, digests)
    query = "agents date:2025-08-22 sort:upvotes"
    assert run(capsys, "search", query, str(digests))[1] == ""
    _day(digests, "2025-08-22", range(400, 406))
    code, out, _ = run(capsys, "search", query, str(digests))
    assert code == 0
    # the odd ones are agents; upvotes i % 5, none when i % 3 == 0 (last)
    ids = [line.split("\t")[0] for line in out.splitlines()]
    assert ids == ["2508.00403", "2508.00401", "2508.00405"]
    columns = threads_calling(monkeypatch, Catalog, "columns")
    assert run(capsys, "search", query, str(digests))[1] == out
    assert columns == []
    paths = Paths.from_env()
    assert _answers(paths, digests, keep=True) == _answers(paths, digests, keep=False)


def test_a_rebuilt_index_makes_the_kept_map_stale_and_the_answer_right(
    capsys: pytest.CaptureFixture[str], digests: Path
) -> None:
    _marks(capsys, digests)
    paths = Paths.from_env()
    before = _answers(paths, digests, keep=True)
    assert run(capsys, "index", str(digests), "--rebuild")[0] == 0
    assert _answers(paths, digests, keep=True) == before == _answers(paths, digests, keep=False)


@pytest.mark.parametrize("name", [COLUMNS_NAME, MAP_NAME])
@pytest.mark.parametrize("damage", ["flipped", "cut", "garbage"])
def test_a_damaged_columns_file_is_made_again_with_the_same_answer(
    capsys: pytest.CaptureFixture[str], digests: Path, name: str, damage: str
) -> None:
    """Nothing said: the file is a cache, made again from the catalog."""
    _marks(capsys, digests)
    args = ("search", "agents date:2025-08-19 sort:oldest", str(digests))
    code, first, _ = run(capsys, *args)
    assert code == 0 and first
    path = Paths.from_env().library_cache / name
    data = bytearray(path.read_bytes())
    if damage == "flipped":
        data[-3] ^= 0x40  # a byte of the last array
    elif damage == "cut":
        del data[len(data) // 2 :]
    else:
        data[:] = b"not columns at all"
    path.write_bytes(bytes(data))
    code, out, err = run(capsys, *args)
    assert (code, out, err) == (0, first, "")
    assert run(capsys, *args)[1] == first  # from the file made again
    assert path.read_bytes() != bytes(data)


def test_the_stored_arrays_answer_as_the_engines_columns_on_a_mixed_library() -> None:
    """Seeded papers of every shape (ids of many lengths, several days,
    a published day only, none, upvotes or none): the orders, the tie
    ranks, the days' masks and the ids looked up are the engine's own."""
    import random

    import numpy as np

    from reader.library import Library
    from reader.model import Paper
    from reader.search.engine import _Columns
    from reader.search.stored_columns import StoredColumns, _arrays_of

    rng = random.Random(13)
    days = [f"2025-0{m}-{d:02d}" for m in (7, 8) for d in (1, 2, 15, 30)]
    papers: dict[str, Paper] = {}
    for i in range(400):
        pid = f"25{i % 100:02d}.{i:05d}" if i % 150 else f"doi:10.1/{'x' * rng.randint(1, 30)}{i}"
        shape = i % 5
        dates = sorted(rng.sample(days, rng.randint(1, 3))) if shape < 3 else []
        published = f"{rng.choice(days)}T10:00:00Z" if shape == 3 else None
        papers[pid] = Paper(
            id=pid,
            title=rng.choice(["Same", "Other", f"Paper {i % 9}"]),
            dates=dates,
            published=published,
            upvotes=None if i % 3 == 0 else rng.randint(0, 300),
        )
    ordered = Library(papers=papers).ordered()
    rows = (
        [p.id for p in ordered],
        [p.date.encode() for p in ordered],
        [p.upvotes if p.upvotes is not None else -1 for p in ordered],
        [int(p.upvotes is not None) for p in ordered],
        [int(p.has_code) for p in ordered],
    )
    pairs = sorted(
        (d, p.id)
        for p in ordered
        for d in dict.fromkeys(p.dates or [p.published[:10]] if p.published or p.dates else [])
    )
    day_cols = ([d for d, _ in pairs], np.array([i.encode() for _, i in pairs], "S"))
    stored = StoredColumns(_arrays_of(rows, day_cols))
    assert len(stored.ids._long_ids) == 3  # the three long ids kept apart
    cols = _Columns.build(1, papers)
    assert stored.ids_at(np.arange(len(papers))) == cols.ids
    assert stored.oldest().tolist() == cols.oldest.tolist()
    assert stored.by_votes().tolist() == cols.by_votes.tolist()
    assert stored.tie_rank.tolist() == cols.tie_rank.tolist()
    assert stored.votes.tolist() == cols.votes.tolist()
    for lo, hi in [
        ("2025", "2025"),
        ("2025-07-02", "2025-08-01"),
        ("2025-08-30", "2025-08-30"),
        ("2026", "2026"),
    ]:
        assert stored.on_days(lo, hi).tolist() == cols.on_days(lo, hi).tolist()
    asked = [*cols.ids[::7], "2501.99999", "doi:10.1/none", ""]
    assert stored.ids.numbers(asked).tolist() == cols.numbers(asked).tolist()


def test_a_broad_prefix_from_a_command_orders_its_ties_by_the_kept_map(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, digests: Path
) -> None:
    """``ag*`` (every match scores the same: ordered newest first, then by
    id) from a command over an unchanged library takes each indexed
    document's tie rank from the map kept on disk: no id of every document
    made nor looked up among the columns' (at 1M papers 0.9 s of a 1.06 s
    command); the same papers as with those ids, when no map is kept."""
    from reader.search.index import scorer

    _marks(capsys, digests)
    assert run(capsys, "search", "agents date:2025-08-20", str(digests))[0] == 0  # map kept
    monkeypatch.setattr(scorer, "TIE_SPILL", 0)  # (a few hundred ties: ordered as a million)
    args = ("search", "ag*", str(digests), "--limit", "7")
    tables = threads_calling(monkeypatch, SearchIndex, "_doc_table")
    code, kept, _ = run(capsys, *args)
    assert code == 0 and len(kept.splitlines()) == 7
    assert tables == []
    (Paths.from_env().library_cache / MAP_NAME).unlink()
    code, made, _ = run(capsys, *args)
    assert code == 0 and made == kept
    assert tables != []  # the way without the map: every id
    # the newest day's agents (the odd ids), by id
    ids = [line.split("\t")[0] for line in kept.splitlines()]
    assert ids == [f"2508.{i:05d}" for i in range(201, 215, 2)]
