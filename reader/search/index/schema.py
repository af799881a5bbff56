"""The schema of the index: one field ``text`` whose postings carry positions in
each field's range and the field-weighted frequency (BM25F), and the hash of
what is indexed for a paper."""

from __future__ import annotations

import hashlib
import itertools
from array import array
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable, Token
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint, unpack_uint

from reader.model import Paper
from reader.search.analysis import FIELD_BOOSTS, FIELD_SPANS, INDEX_FIELD, SPAN_WIDTH, analyze
from reader.search.whoosh_private import INT_SIZE


class DigestAnalyzer(Composable):  # type: ignore[misc]
    """Whoosh analyzer wrapping :func:`reader.search.query.analyze`."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, word in enumerate(analyze(value)):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + i
            yield t

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DigestAnalyzer)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


#: One posting of a paper: (term, frequency, weight, encoded positions).
Posting = tuple[str, int, float, bytes]
_COUNT_1: bytes = pack_uint(1)


def _encode_positions(poslist: list[int]) -> bytes:
    """Positions as a count and an array of deltas (Whoosh pickles them)."""
    if len(poslist) == 1:
        return _COUNT_1 + array("I", poslist).tobytes()
    deltas = array("I", poslist)
    for i in range(len(deltas) - 1, 0, -1):
        deltas[i] -= deltas[i - 1]
    count: bytes = pack_uint(len(deltas))
    return count + deltas.tobytes()


def paper_fields(paper: Paper) -> Iterator[tuple[str, list[str]]]:
    """Each non-empty field of ``paper`` and its index terms, in order (at
    most what fits the field's position range, :data:`FIELD_SPANS`)."""
    for name, text in (
        ("title", paper.title),
        ("authors", " ; ".join(paper.authors)),
        ("tags", " ; ".join(paper.tags)),
        ("abstract", paper.abstract),
    ):
        if not text:
            continue
        words = analyze(text)
        if len(words) >= SPAN_WIDTH:
            words = words[: SPAN_WIDTH - 1]
        yield name, words


def paper_terms(paper: Paper) -> tuple[dict[str, list[int]], dict[str, float], int]:
    """The words of ``paper`` in the one indexed field: each word's positions,
    its weight, and the field's length.

    Each field's words sit at positions in its range (:data:`FIELD_SPANS`);
    a word's weight is its frequency in each field times the field's boost
    (BM25F: weighted frequencies summed before saturation)."""
    poses: dict[str, list[int]] = {}
    weights: dict[str, float] = {}
    length = 0
    for name, words in paper_fields(paper):
        length += len(words)
        base = FIELD_SPANS[name][0]
        boost = FIELD_BOOSTS[name]
        for i, w in enumerate(words, base):
            got = poses.get(w)
            if got is None:
                poses[w] = [i]
                weights[w] = boost
            else:
                got.append(i)
                weights[w] += boost
    return poses, weights, length


def paper_postings(paper: Paper) -> tuple[list[Posting], int]:
    """The postings of ``paper`` in the one indexed field (as Whoosh's writer
    takes them: :class:`PaperPositions`), and its length."""
    poses, weights, length = paper_terms(paper)
    out = [(w, len(p), weights[w], _encode_positions(p)) for w, p in poses.items()]
    return out, length


class PaperPositions(Positions):  # type: ignore[misc]
    """Positions stored as a packed array; the value indexed is the list of
    :func:`paper_postings` (a plain string is analysed as one field)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        if isinstance(value, str):
            value = paper_postings(Paper(id="", title=value))[0]
        yield from value

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[INT_SIZE:])
        return list(itertools.accumulate(deltas))

    def decode_frequency(self, valuestring: bytes) -> int:
        return int(unpack_uint(valuestring[:INT_SIZE])[0])

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring))

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(pos, 1.0) for pos in self.decode_positions(valuestring)]


def make_schema() -> Schema:
    """``id`` (stored, the only stored field) and ``text`` (every field)."""
    text = TEXT(analyzer=DigestAnalyzer(), phrase=True)
    text.format = PaperPositions(field_boost=1.0)
    return Schema(id=ID(stored=True, unique=True), **{INDEX_FIELD: text})


def make_codec() -> W3Codec:
    """Whoosh's codec for segments written by Whoosh's writer (``sync``), with
    their positions in ``.pst``: without zlib on posting blocks (about 15%
    faster builds, a little faster reads, a slightly bigger index)."""
    return W3Codec(compression=0)


def make_bulk_codec() -> W3Codec:
    """The codec of a full build's segments: the text postings live only in
    the segment's fast postings file (:mod:`reader.search.index.codec`)."""
    from reader.search.index.codec import FastCodec

    codec: W3Codec = FastCodec(compression=0)
    return codec


def doc_fields(paper: Paper) -> dict[str, Any]:
    """The fields indexed for ``paper`` (for a Whoosh writer)."""
    return {"id": paper.id, INDEX_FIELD: paper_postings(paper)[0]}


def content_hash(paper: Paper) -> str:
    """A short hash of what is indexed for ``paper``."""
    h = hashlib.blake2b(digest_size=8)
    h.update(paper.title.encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update("\x1f".join(paper.authors).encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update(paper.abstract.encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    h.update("\x1f".join(paper.tags).encode("utf-8", "surrogatepass"))
    return h.hexdigest()
