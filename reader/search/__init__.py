"""Search: the query language (:mod:`.query`), the Whoosh index (:mod:`.index`),
the engine combining text search with state filters (:mod:`.engine`) and
highlighting (:mod:`.highlight`). See ``docs/search.md``.

Nothing is imported here: the app draws its first screen before it needs
Whoosh or numpy, and importing this package must not load them.

One stand-in is put in place (:func:`_cached_property_without_asyncio`):
Whoosh (``whoosh-reloaded==2.7.5``) takes one decorator from the
``cached_property`` package, whose module imports :mod:`asyncio` (for
coroutine properties Whoosh has none of): 0.03-0.2 s of every command
that searches, depending on the load. ``tests/test_index.py`` checks that
Whoosh still imports only that name from it.
"""

from __future__ import annotations

import functools
import sys
import types


def _cached_property_without_asyncio() -> None:
    """Whoosh's ``from cached_property import cached_property`` gets the
    standard library's (the same for a plain method: the value computed
    once, kept in the instance's ``__dict__``), unless the package was
    imported already."""
    if "cached_property" in sys.modules:
        return
    stand_in = types.ModuleType("cached_property", "functools.cached_property for Whoosh")
    setattr(stand_in, "cached_property", functools.cached_property)  # noqa: B010
    sys.modules["cached_property"] = stand_in


_cached_property_without_asyncio()
