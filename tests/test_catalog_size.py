"""The catalog's size on disk: its blocks of rows share one preset
dictionary, and an update's rows are compressed with the same one."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import zlib
from pathlib import Path

import reader.catalog as catalog
from reader.model import Link, Paper


def _papers(n: int, first: int = 0) -> list[Paper]:
    rng = random.Random(first)
    words = [f"word{i}" for i in range(400)] + ["the", "of", "model", "language", "we"]
    return [
        Paper(
            id=f"2504.{i:05d}",
            title=" ".join(rng.choice(words) for _ in range(9)),
            authors=[f"Author {rng.randrange(5000)}" for _ in range(rng.randrange(2, 8))],
            abstract=" ".join(rng.choice(words) for _ in range(140)),
            links=[
                Link("arXiv", f"https://arxiv.org/abs/2504.{i:05d}"),
                Link("PDF", f"https://arxiv.org/pdf/2504.{i:05d}"),
            ],  # fmt: skip
            tags=["cs.CL", rng.choice(["cs.LG", "cs.AI", "cs.CV"])],
            dates=[f"2025-{1 + i // 280 % 12:02d}-{1 + i // 10 % 28:02d}"],  # newer ids, newer days
            sources=[f"/home/reader/digests/hf_daily_json/2025-04-{1 + i % 28:02d}.json"],
            arxiv_id=f"2504.{i:05d}",
            upvotes=rng.randrange(100),
        )
        for i in range(first, first + n)
    ]


def _blocks(path: Path) -> tuple[list[bytes], bytes]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        blocks = [bytes(d) for (d,) in db.execute("SELECT data FROM blocks ORDER BY n")]
        (zdict,) = db.execute("SELECT v FROM meta WHERE k = 'zdict'").fetchone()
    return blocks, bytes(zdict)


def test_blocks_share_a_dictionary_and_an_update_uses_it(tmp_path: Path) -> None:
    """The blocks of 1,200 papers take 5% less than the same blocks
    compressed alone (the real digests: 64 MB without the dictionary, 57
    with), and a later update's rows, compressed with the dictionary kept,
    read back with the others."""
    cat = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    papers = _papers(1200)
    assert cat.write({"key": "a", "count": 1200}, lambda: papers)
    blocks, zdict = _blocks(cat.path)
    assert 0 < len(zdict) <= 32768
    alone = 0
    for data in blocks:
        z = zlib.decompressobj(15, zdict)
        alone += len(zlib.compress(z.decompress(data) + z.flush(), catalog._LEVEL))
    assert sum(map(len, blocks)) < 0.95 * alone  # 0.92 here
    more = _papers(30, first=5000)
    assert cat.write({"key": "b", "count": 1230}, None, more, [p.id for p in more], base="a")
    assert _blocks(cat.path)[1] == zdict  # kept, not trained again
    cat.close()
    again = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    got = again.get([papers[0].id, papers[-1].id, more[0].id, more[-1].id])
    assert [got[p.id] for p in (papers[0], papers[-1], more[0], more[-1])] == [
        papers[0], papers[-1], more[0], more[-1]]  # fmt: skip
    assert len(list(again.stream())) == 1230
    again.close()


def test_a_missing_dictionary_is_damage(tmp_path: Path) -> None:
    """Without its dictionary no block can be read: the catalog is damaged
    (rebuilt from the digests), not read wrong."""
    cat = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    papers = _papers(40)
    assert cat.write({"key": "a", "count": 40}, lambda: papers)
    cat.close()
    with contextlib.closing(sqlite3.connect(cat.path)) as db:
        db.execute("DELETE FROM meta WHERE k = 'zdict'")
        db.commit()
    cat._seal()  # the change passes the seal: only the dictionary is missing
    again = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    try:
        again.get([papers[3].id])
    except catalog.CatalogDamaged:
        pass
    else:
        raise AssertionError("read without the dictionary")
    again.close()


def test_a_full_write_leaves_the_order_index_packed(tmp_path: Path) -> None:
    """The list order's index is made after a full write's rows are in: its
    pages full. Made as the rows went in (in id order: newer ids, newer days,
    as arXiv's, so each went in at the index's start) half of this one was
    empty, and 4.4 MB of the real digests' 14.7. A full write over an older
    catalog makes it again."""
    cat = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    papers = _papers(3000)
    for key in ("a", "b"):
        assert cat.write({"key": key, "count": 3000}, lambda: papers)
        with contextlib.closing(sqlite3.connect(cat.path)) as db:
            size, unused = db.execute(
                "SELECT sum(pgsize), sum(unused) FROM dbstat WHERE name = 'papers_order'"
            ).fetchone()
        assert unused < 0.1 * size, (unused, size)
    assert len(cat.papers()) == 3000
    cat.close()


def test_a_full_write_leaves_the_key_rows_packed(tmp_path: Path) -> None:
    """A full write's key rows and days go in with full pages (row by row,
    even in key order, an eighth of each page stayed empty: 2.2 MB of the
    real digests' 19), and updates after it still find and replace them."""
    cat = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    papers = _papers(3000)
    assert cat.write({"key": "a", "count": 3000}, lambda: papers)
    with contextlib.closing(sqlite3.connect(cat.path)) as db:
        for name in ("papers", "days"):
            size, unused = db.execute(
                "SELECT sum(pgsize), sum(unused) FROM dbstat WHERE name = ?", (name,)
            ).fetchone()
            assert unused < 0.05 * size + 8192, (name, unused, size)  # + the last page
    changed = [papers[5]]
    assert cat.write({"key": "b", "count": 3000}, None, changed, [papers[5].id], base="a")
    assert cat.get([papers[5].id, papers[6].id]) == {p.id: p for p in papers[5:7]}
    assert cat.has(papers[2999].id) and len(cat.ids()) == 3000
    cat.close()


_TITLES = [
    "Attention Is All You Need",
    "GPT-4o: A 1000X Faster LLM?",
    "straße und Maß",  # ß folds to ss: kept as it is
    "İstanbul NLP",  # İ folds to two letters
    "ǅ Dž digraphs",  # a title-case letter that is neither upper nor lower
    "a" * 200 + "B" + "c" * 300 + "D",  # gaps of more than one byte
    "ΣΑΣ and σας",
    "",
    "bad \udcff surrogate Title",
]


def test_a_key_row_keeps_a_title_as_its_capitals_and_gives_it_back(tmp_path: Path) -> None:
    """The list order needs each title folded (``tkey``); the title itself is
    kept as the places of its capitals in it, not a second time (on the real
    digests the titles were 7.5 MB of the key rows). Every title comes back
    as it was: in the list's rows, in a paper read whole, in the stream."""
    papers = _papers(len(_TITLES) + 600)
    for p, title in zip(papers, _TITLES, strict=False):
        p.title = title
    cat = catalog.Catalog(tmp_path / "catalog.sqlite", "v1")
    assert cat.write({"key": "a", "count": len(papers)}, lambda: papers)
    ids = [p.id for p in papers]
    rows = cat.list_rows(ids)
    assert [rows[p.id][0] for p in papers] == [p.title for p in papers]
    got = cat.get(ids)
    assert [got[p.id].title for p in papers] == [p.title for p in papers]
    assert sorted(p.title for p in cat.stream()) == sorted(p.title for p in papers)
    with contextlib.closing(sqlite3.connect(cat.path)) as db:
        kept, folded = db.execute(
            "SELECT sum(length(title)), sum(length(tkey)) FROM papers"
        ).fetchone()
    assert kept < 0.2 * folded, (kept, folded)  # 9 words, a capital or none: ~2 bytes a title
    cat.close()
