"""Search: the query language (:mod:`.query`), the Whoosh index (:mod:`.index`),
the engine combining text search with state filters (:mod:`.engine`) and
highlighting (:mod:`.highlight`). See ``docs/search.md``."""

from __future__ import annotations

from reader.search.engine import Hit, Searcher, SearchResult
from reader.search.highlight import spans
from reader.search.index import IndexUnavailable, SearchIndex, SyncReport
from reader.search.query import QUERY_HELP, ParsedQuery, QueryError, parse_query

__all__ = [
    "QUERY_HELP",
    "Hit",
    "IndexUnavailable",
    "ParsedQuery",
    "QueryError",
    "SearchIndex",
    "SearchResult",
    "Searcher",
    "SyncReport",
    "parse_query",
    "spans",
]
