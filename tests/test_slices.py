"""The big conversions the app's threads make over a whole library (an id
table, the engine's columns, the index's hashes as a dict) are made a slice
at a time: one C call over every paper holds the GIL for its whole length,
and the event loop's frame with it (the cursor stalls while a fetch's new
library is taken in). Each slice hands at most ``SLICE`` objects to numpy
or to a dict, and what comes out is what one call would have made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reader import slices
from reader.library import Library
from reader.model import Paper
from reader.search.engine import SearchEngine
from reader.search.idtable import IdTable
from reader.search.index import hashes as hashes_mod

#: More papers than a slice holds, so a whole-library call is seen.
N = 3 * 4096 + 17


@pytest.fixture
def one_call_sizes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of Python strings or bytes handed to one ``np.array``
    or one ``dict`` call, wherever the reader makes them."""
    sizes: list[int] = []
    real_array = np.array

    def array(obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, list) and obj and isinstance(obj[0], (str, bytes)):
            sizes.append(len(obj))
        return real_array(obj, *args, **kwargs)

    monkeypatch.setattr(np, "array", array)
    real_dict = dict

    class CountedDict(real_dict):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            sizes.append(len(self))

    monkeypatch.setattr(hashes_mod, "dict", CountedDict, raising=False)
    yield sizes


def ids(n: int) -> list[str]:
    return [f"2501.{i:05d}" for i in range(n)]


def test_an_id_table_of_a_big_library_is_made_a_slice_at_a_time(
    one_call_sizes: list[int],
) -> None:
    table = IdTable(ids(N))
    assert one_call_sizes and max(one_call_sizes) <= slices.SLICE
    # and it numbers every id as before
    assert table.numbers(["2501.00000", f"2501.{N - 1:05d}", "nope"]).tolist() == [0, N - 1, -1]


def test_a_whole_librarys_ids_are_numbered_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine's map to a new index generation numbers every id of the
    library (``IdTable.numbers``): its binary search, one numpy call over
    100k ids, held the GIL 20 ms while the app's cursor waited."""
    table = IdTable(ids(N))
    looked: list[int] = []
    real = np.searchsorted

    def searchsorted(a: Any, v: Any, *args: Any, **kwargs: Any) -> Any:
        looked.append(np.size(v))
        return real(a, v, *args, **kwargs)

    monkeypatch.setattr(np, "searchsorted", searchsorted)
    want = [*reversed(ids(N)), "nope"]
    got = table.numbers(want)
    assert max(looked) <= slices.SLICE
    assert got.tolist() == [*range(N - 1, -1, -1), -1]


def test_the_indexs_hashes_as_a_dict_a_slice_at_a_time(
    tmp_path: Path, one_call_sizes: list[int]
) -> None:
    listed = ids(N)
    raw = bytes(range(256)) * (8 * N // 256 + 1)
    want = {pid: raw[8 * n : 8 * n + 8].hex() for n, pid in enumerate(listed)}
    first = hashes_mod.write_piece(tmp_path, want)
    later = hashes_mod.write_piece(tmp_path, {listed[0]: "00" * 8}, [listed[1]])
    pieces = hashes_mod.PieceHashes(tmp_path, [first, later], N - 1)
    one_call_sizes.clear()
    got = hashes_mod.as_dict(pieces)
    assert max(one_call_sizes, default=0) <= slices.SLICE
    assert len(got) == N - 1 and got[listed[-1]] == raw[8 * (N - 1) : 8 * N].hex()
    assert got[listed[0]] == "00" * 8 and listed[1] not in got


def test_the_engines_columns_of_a_big_library_a_slice_at_a_time(
    one_call_sizes: list[int],
) -> None:
    papers = {
        pid: Paper(
            id=pid, title=f"Paper {i}", abstract="graphs", dates=[f"2025-08-{1 + i % 28:02d}"]
        )
        for i, pid in enumerate(ids(N))
    }
    engine = SearchEngine(Library(papers=papers), None, None)
    found = engine.search("date:2025-08-03", limit=None)
    assert max(one_call_sizes) <= slices.SLICE
    assert found.total == len([i for i in range(N) if i % 28 == 2])


def test_array_of_is_what_one_numpy_call_makes() -> None:
    short_then_long = ["a"] * slices.SLICE + ["a much longer value"] + ["bb"] * 5
    for values, dtype in [
        (short_then_long, "S"),
        ([v.encode() for v in short_then_long], None),
        ([v + "é" for v in short_then_long], None),
        (["", *short_then_long], "S"),
        (short_then_long, object),
    ]:
        got, one = slices.array_of(values, dtype), np.array(values, dtype)
        assert got.dtype == one.dtype
        assert got.tolist() == one.tolist()
    with pytest.raises(UnicodeEncodeError):
        slices.array_of(["é"] * (slices.SLICE + 1), "S")


def test_dict_of_is_dict_of_zip() -> None:
    keys = ids(N) + ["2501.00001"]  # a key twice: the last value wins, as dict(zip) does
    assert slices.dict_of(keys, range(len(keys))) == dict(zip(keys, range(len(keys)), strict=True))
    with pytest.raises(ValueError):
        slices.dict_of(["a", "b"], [1])
