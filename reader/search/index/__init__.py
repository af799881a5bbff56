"""The Whoosh index: a rebuildable cache in the cache folder (see
:mod:`.store` for its layout and lifecycle, ``docs/search.md``).

* :mod:`.store`: :class:`SearchIndex`, the public face (open, search, sync, rebuild).
* :mod:`.schema`: the one indexed field and its postings (BM25F weights).
* :mod:`.bulk`: the full build, segments written through Whoosh's codec.
* :mod:`.fast`: the fast postings files: the one copy of a full build's
  text postings, read with numpy.
* :mod:`.codec`: Whoosh's codec for those segments (Whoosh reads the same files).
* :mod:`.scorer`: BM25F over those postings, exact counts.
* :mod:`.generations`: stamps and names of the generations on disk.
* :mod:`.apart`: a sync's writing in a child process (the app's way).

Private names of Whoosh are used only in :mod:`reader.search.whoosh_private`.
"""

from __future__ import annotations

from reader.search.index.generations import INDEX_VERSION, SIDECAR_NAME, STAMP_NAME
from reader.search.index.schema import content_hash, make_schema, paper_postings
from reader.search.index.scorer import BM25_B, BM25_K1
from reader.search.index.store import (
    BATCH,
    PARALLEL_OVER,
    REBUILD_OVER,
    IndexUnavailable,
    SearchIndex,
    SyncReport,
)

__all__ = [
    "BATCH",
    "BM25_B",
    "BM25_K1",
    "INDEX_VERSION",
    "PARALLEL_OVER",
    "REBUILD_OVER",
    "SIDECAR_NAME",
    "STAMP_NAME",
    "IndexUnavailable",
    "SearchIndex",
    "SyncReport",
    "content_hash",
    "make_schema",
    "paper_postings",
]
