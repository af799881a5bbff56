"""Search: the query language (:mod:`.query`), the Whoosh index (:mod:`.index`),
the engine combining text search with state filters (:mod:`.engine`) and
highlighting (:mod:`.highlight`). See ``docs/search.md``.

Nothing is imported here: the app draws its first screen before it needs
Whoosh or numpy, and importing this package must not load them.
"""
