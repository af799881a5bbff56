"""The app's memory at a million papers (issue 13, point 3): what the search
engine, the index and the catalog keep once the app is warm holds no Python
set or dict of every paper id (at 1M papers each was 32-170 MB), and the
compact forms that replace them give the same answers."""

from __future__ import annotations

import gc
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from reader.config import Config
from reader.paths import Paths
from reader.search.idtable import IdTable
from reader.search.index import SearchIndex
from reader.search.index.hashes import PieceHashes, as_dict, write_piece
from reader.session import Session
from tests.test_app_catalog import libraries, write_days

_OPAQUE = (type, types.ModuleType, types.FunctionType, types.CodeType, types.FrameType)


def big_id_containers(roots: Iterable[Any], ids: set[str]) -> list[str]:
    """Every set or dict reachable from ``roots`` (not through modules,
    classes or functions) that holds most of ``ids``: what it is."""
    seen: set[int] = set()
    todo = list(roots)
    found: list[str] = []
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        if isinstance(obj, (set, frozenset, dict)) and len(obj) >= len(ids) // 2:
            keys = obj if not isinstance(obj, dict) else obj.keys()
            if sum(1 for k in keys if k in ids) >= len(ids) // 2:
                found.append(f"{type(obj).__name__} of {len(obj)}")
        todo.extend(gc.get_referents(obj))
    return found


def warm_app_like(tmp_path: Path) -> tuple[Session, SearchIndex, set[str]]:
    """Over the catalog with its index current, warm and searched, as the app."""
    _, lazy = libraries(write_days(tmp_path / "lib", per_day=300))
    index = SearchIndex(Paths.from_env().index_dir)
    index.sync(lazy.papers, version=lazy.version)
    session = Session(Paths.from_env(), Config(), library=lazy, index=index)
    engine = session.searcher
    engine.warm()
    for q in [
        "topic",
        "topic method",
        "words sort:newest",
        "topic date:2025-06-03",
        "id:2506.00003",
    ]:
        assert engine.search(q, limit=1000).hits, q
    ids = set(lazy.papers)
    assert all(pid in lazy.papers for pid in list(ids)[:50]) and "2999.99999" not in lazy.papers
    return session, index, ids


def test_a_warm_searched_engine_holds_no_set_or_dict_of_every_id(tmp_path: Path) -> None:
    """The engine's columns numbered ids with a dict of every id, the
    catalog answered ``in`` with a set of them, the index kept a dict of its
    ids by docnum and a dict of every paper's hash: now one compact
    :class:`IdTable` each (and none of them a Python object per id)."""
    session, index, ids = warm_app_like(tmp_path)
    assert len(ids) >= 1500
    roots = [session.searcher, index, session.library.papers]
    assert big_id_containers(roots, ids) == []
    assert not isinstance(index.indexed_hashes(), dict)
    assert len(index.indexed_hashes()) == len(ids)


def test_hash_pieces_answer_as_the_dict_they_were(tmp_path: Path) -> None:
    hashes = {f"2501.{n:05d}": f"{n * 7919:016x}" for n in range(3000)}
    hashes["10.1000/é" + "x" * 40] = "00ff" * 4  # long, not ASCII
    hashes["line\nbreak"] = "ab" * 8  # an id no separator can hold
    first = write_piece(tmp_path, hashes)
    got = PieceHashes(tmp_path, [first], len(hashes))
    assert len(got) == len(hashes) and sorted(got) == sorted(hashes)
    assert all(got.get(k) == v and k in got for k, v in hashes.items())
    assert got.get("2501.99999") is None and "2501.99999" not in got and got.get("") is None
    assert as_dict(got) == hashes and dict(got) == hashes
    # a later piece: a hash changed, a paper removed, one added
    later = write_piece(tmp_path, {"2501.00007": "11" * 8, "2601.00001": "22" * 8}, ["2501.00009"])
    more = PieceHashes(tmp_path, [first, later], len(hashes))
    want = {**hashes, "2501.00007": "11" * 8, "2601.00001": "22" * 8}
    del want["2501.00009"]
    assert as_dict(more) == want and dict(more) == want
    assert "2501.00009" not in more and more.get("2501.00007") == "11" * 8


def test_hash_pieces_after_syncs_answer_as_a_dict_and_stay_few(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Syncs' pieces (changes, additions, removals) answer as a dict that
    took the same changes; past MAX_PIECES the pieces after the build's
    are written again as one, and once those hold half as many records as
    the build's, every piece is."""
    from reader.search.index import hashes as hashes_mod

    monkeypatch.setattr(hashes_mod, "MAX_PIECES", 3)
    want = {f"2501.{n:05d}": f"{n:016x}" for n in range(40)}
    got = PieceHashes(tmp_path, [write_piece(tmp_path, want)], len(want))
    shapes = []
    for step in range(9):
        new = {f"2601.{step:05d}": f"{step + 100:016x}", f"2501.{step:05d}": "ff" * 8}
        removed = [f"2501.{step + 3:05d}", "2999.00000"]  # one held, one never was
        got = got.after(new, removed)
        for pid in removed:
            want.pop(pid, None)
        want.update(new)
        assert as_dict(got) == want and len(got) == len(want), step
        assert all(got.get(k) == v for k, v in want.items())
        assert all(pid not in got for pid in removed)
        shapes.append([p.records for p in got.pieces])
    assert max(len(s) for s in shapes) == 3
    assert shapes[2] == [40, 9]  # the build's piece kept, the days' as one
    assert any(len(s) == 1 for s in shapes)  # every piece written again once big
    names = {p.name for p in got.pieces}
    assert names <= {p.name for p in tmp_path.iterdir()}


def test_the_id_table_numbers_and_names_ids_as_a_dict_would() -> None:
    ids: list[str | None] = [f"2501.{n:05d}" for n in range(500)]
    ids[7] = None  # a deleted document
    ids += ["é-paper", "10.1000/" + "y" * 60, "a"]
    table = IdTable(ids)
    by_id = {pid: n for n, pid in enumerate(ids) if pid is not None}
    ask = [*by_id, "nope", "", None, "2501.0000", "2501.000001"]
    assert table.numbers(ask).tolist() == [by_id.get(p, -1) if p else -1 for p in ask]
    assert [table.number(p) for p in ask if p is not None] == [
        by_id.get(p, -1) if p else -1 for p in ask if p is not None
    ]
    assert [p in table for p in ask] == [p in by_id for p in ask]
    assert table.ids_at(range(len(ids))) == [p or "" for p in ids]
    assert table.numbers(table.by_number()).tolist() == [
        -1 if p is None else n for n, p in enumerate(ids)
    ]


def test_the_catalogs_day_columns_are_its_days_and_date_filters_answer_alike(
    tmp_path: Path,
) -> None:
    """The engine's days come from the catalog as two columns (no tuple or
    string per paper): the same pairs as :meth:`Catalog.days`, and ``date:``
    answers as over the papers held in memory."""
    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=60))
    catalog = lazy.papers.catalog  # type: ignore[attr-defined]
    days, ids = catalog.day_columns()
    assert list(zip(days, [i.decode() for i in ids.tolist()], strict=True)) == catalog.days()
    over_catalog = Session(Paths.from_env(), Config(), library=lazy).searcher
    over_catalog.warm()  # the days made from the catalog's columns, as in the app
    in_memory = Session(Paths.from_env(), Config(), library=whole).searcher
    for q in [
        "date:2025-06-03",
        "topic date:2025-06-02..2025-06-04 sort:oldest",
        "-date:2025-06-05",
    ]:
        got, want = over_catalog.search(q), in_memory.search(q)
        assert (got.ids, got.total) == (want.ids, want.total) and want.total, q


def test_tag_filters_from_the_catalogs_tag_columns_answer_as_over_papers(tmp_path: Path) -> None:
    """The engine's source tags come from the catalog as columns (no tuple,
    list or string per paper): ``tag:`` and ``tag:x*`` answer as over the
    papers held in memory."""
    whole, lazy = libraries(write_days(tmp_path / "lib", per_day=20))
    tags = sorted({t for p in whole.papers.values() for t in p.tags})
    assert len(tags) >= 2
    over_catalog = Session(Paths.from_env(), Config(), library=lazy).searcher
    over_catalog.warm()
    in_memory = Session(Paths.from_env(), Config(), library=whole).searcher
    for q in [f"tag:{tags[0]}", f"tag:{tags[-1][:2]}*", f"-tag:{tags[1]} sort:oldest"]:
        got, want = over_catalog.search(q), in_memory.search(q)
        assert (got.ids, got.total) == (want.ids, want.total) and want.total, q
