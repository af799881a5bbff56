"""Text nodes of the query tree (:mod:`reader.search.query`) as ``whoosh.query``
objects on the one indexed field (:data:`~reader.search.analysis.INDEX_FIELD`).

Imports Whoosh only when called: the app draws its first screen first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reader.search.analysis import INDEX_FIELD
from reader.search.query import And, Node, Not, Or, Text

if TYPE_CHECKING:
    from whoosh.query import Query


def _text_query(node: Text) -> Query:
    from whoosh import query as wq

    f = INDEX_FIELD
    if node.kind == "term":
        q: Query = wq.Term(f, node.terms[0])
    elif node.kind == "prefix":
        q = wq.Prefix(f, node.terms[0])
    elif node.kind == "fuzzy":
        from reader.search.whoosh_private import fuzzy_term

        q = fuzzy_term(f, node.terms[0], node.distance or 1)
    else:
        q = wq.Phrase(f, list(node.terms), slop=max(1, node.distance))
    if node.field is not None:
        from reader.search.whoosh_private import span_within

        q = span_within()(q, node.field)
    return q


def to_whoosh(node: Node) -> Query:
    """The Whoosh query for a text-only tree (see :func:`is_text`).

    Every word is one query on :data:`INDEX_FIELD`, whose postings carry the
    field boosts in their weights (see :mod:`reader.search.index`); a field
    restriction keeps the matches at positions in that field's range."""
    from whoosh import query as wq

    if isinstance(node, Text):
        return _text_query(node)
    if isinstance(node, And):
        return wq.And([to_whoosh(c) for c in node.children])
    if isinstance(node, Or):
        return wq.Or([to_whoosh(c) for c in node.children])
    if isinstance(node, Not):
        return wq.Not(to_whoosh(node.child))
    raise TypeError(f"not a text node: {node!r}")
