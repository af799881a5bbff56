"""After the index is synced (a fetch's, a reload's), the engine over the new
library is made in the search thread, not on the event loop: making it (its
module imported the first time, its state read) held the loop 20-35 ms,
a cursor move not drawn meanwhile (``app_fetch_bench.py --trace``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reader.config import Config
from reader.paths import Paths
from reader.search.engine import SearchEngine
from tests.test_first_open import SIZE, until


async def test_the_engine_over_a_new_library_is_made_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.tui.app import IndexDone, build_app
    from tests.test_tui import FIXTURE

    made_in: list[str] = []
    real = SearchEngine.__init__

    def init(self: SearchEngine, *args: Any, **kwargs: Any) -> None:
        made_in.append(threading.current_thread().name)
        real(self, *args, **kwargs)

    monkeypatch.setattr(SearchEngine, "__init__", init)
    app = build_app(paths=Paths.from_env(), config=Config(library=[FIXTURE]), build_index=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.session.replace_library(app.library)  # as a reload does: no engine yet
        made_in.clear()
        loop_thread = threading.current_thread().name
        app.on_index_done(IndexDone())
        await until(pilot, lambda: bool(made_in), 30)
        assert made_in == ["search_0"] and loop_thread != "search_0"
