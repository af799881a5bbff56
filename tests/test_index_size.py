"""The index's size on disk: the fast postings' encoding reads back exactly
what was written, and a full build takes few bytes a posting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.model import Paper
from reader.search.analysis import SPAN_WIDTH, analyze
from reader.search.index import SearchIndex
from reader.search.index.fast import ESCAPE, FastPostings, write_fast


@st.composite
def _segments(draw: st.DrawFn) -> tuple[list[list[int]], list[list[float]], list[list[int]], int]:
    """Terms' postings: docnums (ascending), weights (half units, or any
    float32), frequencies; sometimes more distinct pairs than codes."""
    ndocs = draw(st.integers(1, 400))
    nterms = draw(st.integers(1, 6))
    many = draw(st.booleans())  # weights of every kind: pairs escape the table
    docs, weights, freqs = [], [], []
    for _ in range(nterms):
        d = sorted(draw(st.sets(st.integers(0, ndocs - 1), min_size=1, max_size=80)))
        if many:
            w = draw(st.lists(st.floats(0.5, 900, width=32), min_size=len(d), max_size=len(d)))
        else:
            w = [
                h * 0.5
                for h in draw(st.lists(st.integers(1, 12), min_size=len(d), max_size=len(d)))
            ]
        f = draw(st.lists(st.integers(1, 300 if many else 4), min_size=len(d), max_size=len(d)))
        docs.append(d)
        weights.append(w)
        freqs.append(f)
    return docs, weights, freqs, ndocs


@settings(derandomize=True, max_examples=60, deadline=None)
@given(_segments())
def test_fast_postings_read_back_every_weight_and_frequency(
    tmp_path_factory: object, seg: tuple[list[list[int]], list[list[float]], list[list[int]], int]
) -> None:
    """Whatever the pairs (weight, frequency) of a segment, as one code byte
    with the rare ones escaped: each term's docnums, weights, frequencies
    (its position starts) and positions read back as written, one term at a
    time, as a run of terms, or posting by posting."""
    import tempfile

    docs, weights, freqs, ndocs = seg
    terms = [f"t{i:02d}" for i in range(len(docs))]
    starts = np.cumsum([0, *map(len, docs)])
    flat_f = np.concatenate([np.array(f, np.int64) for f in freqs])
    rng = np.random.default_rng(len(flat_f))
    positions = np.concatenate(
        [np.sort(rng.choice(SPAN_WIDTH // 2, k, replace=False)) for k in flat_f]
    )
    flat_w = np.concatenate([np.array(w, np.float32) for w in weights])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fast-x.bin"
        write_fast(path, terms, starts, np.concatenate(docs), flat_w, flat_f, positions,
                   np.zeros(ndocs, np.uint8), [f"id{i}" for i in range(ndocs)])  # fmt: skip
        fp = FastPostings(path)
        at = 0
        for i in range(len(terms)):
            d, w, ps, pos = fp.postings_at(i)
            assert d.tolist() == docs[i]
            assert w.tolist() == np.array(weights[i], np.float32).tolist()
            assert np.diff(ps).tolist() == freqs[i]
            assert pos.tolist() == positions[at : at + sum(freqs[i])].tolist()
            at += sum(freqs[i])
        every = np.arange(len(flat_w))[::-1]
        assert fp.weights_of(every).tolist() == flat_w[::-1].tolist()
        _, w, word, ps, pos = fp.slice_at(0, len(terms))
        assert w.tolist() == flat_w.tolist() and np.diff(ps).tolist() == flat_f.tolist()
        assert pos.tolist() == positions.tolist() and len(word) == len(flat_w)
        del fp


def _papers(n: int) -> dict[str, Paper]:
    import random

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)]

    def text(k: int) -> str:
        return " ".join(rng.choice(vocab[: rng.choice((50, 3000))]) for _ in range(k))

    return {
        f"2503.{i:05d}": Paper(id=f"2503.{i:05d}", title=text(9), abstract=text(150),
                               authors=["Ann Lee", f"Bo {rng.choice(vocab)}"],
                               tags=["cs.LG"], dates=["2025-08-01"])
        for i in range(n)
    }  # fmt: skip


def test_a_full_build_takes_few_bytes_a_posting(tmp_path: Path) -> None:
    """The whole index folder of a full build over 1,500 generated papers, per
    posting (a word in a paper): each posting's document number (a gap from
    the one before, mostly a byte: it took 2), its weight and frequency (one
    code byte: they took 2 bytes as two arrays) and its positions (2 bytes
    each), plus the ids once (they were in Whoosh's term dictionary and
    stored fields too). This fixture took 8.3 bytes a posting before, 7.3
    with the codes, 6.2 with the ids once, 5.2 with the gaps."""
    papers = _papers(1500)
    index = SearchIndex(tmp_path / "ix", procs=1)
    index.rebuild(papers)
    index.close()
    postings = 0
    for p in papers.values():
        words: set[str] = set()
        for t in (p.title, " ; ".join(p.authors), " ; ".join(p.tags), p.abstract):
            words.update(analyze(t))
        postings += len(words)
    size = sum(f.stat().st_size for f in (tmp_path / "ix").rglob("*") if f.is_file())
    assert size / postings < 5.6, f"{size / postings:.2f} bytes a posting"


def test_the_code_table_holds_the_most_common_pairs() -> None:
    """The 255 most common (weight, frequency) pairs get a code; the rest
    escape (the real digests: ~150 postings of 5 million)."""
    from reader.search.index.fast import pair_codes

    weights = np.array([1.0] * 500 + [float(k) for k in range(2, 400)], np.float32)
    freqs = np.ones(len(weights), np.int64)
    codes, wtable, ftable, escaped, splits = pair_codes(weights, freqs)
    assert len(wtable) == ESCAPE and codes[0] == 0 and wtable[0] == 1.0
    assert len(escaped) == len(weights) - 500 - (ESCAPE - 1)
    assert (codes[escaped] == ESCAPE).all() and ftable.tolist() == [1] * ESCAPE
    assert splits is None


def test_a_code_tells_a_postings_split_over_the_fields(tmp_path: Path) -> None:
    """Two postings of the same weight and frequency split differently over
    the fields (a title word and an abstract word; two author words) get
    codes of their own, and each code says how many of its positions each
    field holds; a split above a byte, or a weight its code does not give,
    escapes (its positions tell)."""
    from reader.search.analysis import FIELD_SPANS, SPAN_WIDTH
    from reader.search.index.fast import FastPostings, field_splits, pair_codes, write_fast

    def at(field: str, k: int) -> int:
        return FIELD_SPANS[field][0] + k

    # each posting's positions: title + abstract; authors twice; abstract twice;
    # 300 in the title; the first again with another weight
    postings = [
        [at("title", 0), at("abstract", 3)],
        [at("authors", 0), at("authors", 2)],
        [at("abstract", 1), at("abstract", 5)],
        [at("title", k) for k in range(300)],
        [at("title", 1), at("abstract", 0)],
    ]
    weights = np.array([5.0, 5.0, 2.0, 1200.0, 6.0], np.float32)
    freqs = np.array([len(p) for p in postings], np.int64)
    positions = np.concatenate([np.array(p, np.int64) for p in postings])
    split = field_splits(freqs, positions >> (SPAN_WIDTH.bit_length() - 1))
    assert split.tolist() == [1, 2 << 8, 0, -1, 1]
    codes, wtable, _, escaped, table = pair_codes(weights, freqs, split)
    assert codes[0] != codes[1] and codes[4] == ESCAPE
    assert escaped.tolist() == [3, 4]  # too many for a byte; a weight not its code's
    assert table[codes[0]].tolist() == [1, 0, 0] and table[codes[1]].tolist() == [0, 2, 0]

    path = tmp_path / "fast.bin"
    write_fast(path, ["w"], np.array([0, 5]), np.arange(5), weights, freqs, positions,
               np.full(5, 10, np.uint8), [f"p{i}" for i in range(5)])  # fmt: skip
    fp = FastPostings(path)
    codes = fp.codes_at(0, 5)[0]
    got = {f: fp.field_table(f)[codes].tolist() for f in FIELD_SPANS}
    assert got == {
        "title": [1, 0, 0, -1, -1],
        "authors": [0, 2, 0, -1, -1],
        "tags": [0, 0, 0, -1, -1],
        "abstract": [1, 0, 2, -1, -1],
    }


def test_whoosh_reads_a_full_builds_ids_from_the_fast_file(tmp_path: Path) -> None:
    """A full build keeps its ids once, in the fast postings file: Whoosh's
    term dictionary and stored fields hold none (they took ~100 and ~44
    bytes an id), yet Whoosh sees the same ``id`` field as in a segment its
    own writer wrote (word list, term infos, postings, stored ids), and a
    sync that changes and removes papers deletes them by id."""
    from tests.test_index import ours_and_whooshs

    papers = _papers(300)
    ours, gen, a, b = ours_and_whooshs(tmp_path, papers, procs=1)
    assert sum(f.stat().st_size for f in gen.glob("*.trm")) < 4096  # its empty tables
    assert sum(f.stat().st_size for f in gen.glob("*_stored.col")) < 4096
    assert list(a.lexicon("id")) == list(b.lexicon("id")) == sorted(p.encode() for p in papers)
    assert list(a.expand_prefix("id", "2503.001")) == list(b.expand_prefix("id", "2503.001"))
    assert [f for _, f in a.iter_docs()] == [f for _, f in b.iter_docs()]
    assert ("id", b"2503.00007") in a and ("id", b"2503.99999") not in a
    for pid in ("2503.00000", "2503.00123", "2503.00299"):
        ta, tb = a.term_info("id", pid), b.term_info("id", pid)
        assert (ta.doc_frequency(), ta.min_id(), ta.max_id()) == (
            tb.doc_frequency(), tb.min_id(), tb.max_id())  # fmt: skip
        assert list(a.postings("id", pid).all_ids()) == list(b.postings("id", pid).all_ids())
    assert [k for k, _ in a.iter_field("id")] == [k for k, _ in b.iter_field("id")]
    a.close()
    b.close()
    changed = dict(papers)
    changed["2503.00005"] = Paper(id="2503.00005", title="zebra quagga", dates=["2025-08-02"])
    del changed["2503.00006"]
    report = ours.sync(changed)
    assert (report.updated, report.removed) == (1, 1)
    from reader.search.query import parse_query

    def found(text: str) -> list[str]:
        node = parse_query(text).node
        assert node is not None
        return [pid for pid, _ in ours.search(node, limit=None)]

    assert found("zebra") == ["2503.00005"]
    word = papers["2503.00006"].title.split()[0]
    assert "2503.00006" not in found(word) and len(found(word)) > 0
    assert "2503.00005" not in found(papers["2503.00005"].title.split()[0])
    ours.close()
