"""Which threads call a function: for tests that some work runs off the
event loop (in a worker, the search thread) and not on it."""

from __future__ import annotations

import threading
from typing import Any

import pytest


def threads_calling(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[str]:
    """The names of the threads that call ``owner.name`` from now on (a
    function of a module or a method of a class, wrapped: it still does what
    it did); the list grows as they call."""
    names: list[str] = []
    real = getattr(owner, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, watched)
    return names
