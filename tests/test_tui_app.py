"""The app as a whole: it never ends by itself (signals, forked index
builds), undo, the opener, the problems list and remembered sources."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reader.paths import Paths
from tests.test_tui import SIZE, make_app, screen_text

HELPERS = Path(__file__).resolve().parent / "helpers"


async def until(pilot: Any, ready: Callable[[], bool], tries: int = 100) -> None:
    """Let the app run until ``ready()`` (a worker has reported back)."""
    for _ in range(tries):
        if ready():
            return
        await pilot.pause(0.05)
    assert ready()


def run_fork_build(mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HELPERS / "fork_build.py"), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_cancelled_forked_build_does_not_end_the_app() -> None:
    """The parent terminates its busy build workers: the SIGTERM must end the
    workers, not the process that has the app's signal handling (before the
    fix it arrived through the shared wake-up fd and ran the app's exit)."""
    got = run_fork_build("cancel")
    assert got == {"ended": False, "result": "cancelled"}


def test_a_killed_build_worker_is_an_error_not_an_exit() -> None:
    got = run_fork_build("kill")
    assert got == {
        "ended": False,
        "result": "error: an index build process died (killed by SIGKILL)",
    }


def test_a_finished_forked_build_ends_its_workers_quietly() -> None:
    assert run_fork_build("done") == {"ended": False, "result": "segments: 2"}


async def test_a_failed_index_build_notifies_and_search_scans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reader.search import index as ix_mod
    from reader.search.index import SearchIndex

    def dies(*_: Any, **__: Any) -> Any:
        raise RuntimeError("an index build process died (killed by SIGKILL)")

    monkeypatch.setattr(ix_mod, "_build_segments", dies)
    app = make_app(index=SearchIndex(Paths.from_env().index_dir))
    async with app.run_test(notifications=True, size=SIZE) as pilot:
        await until(pilot, lambda: "Search index not built" in screen_text(app))
        assert "process died (killed by" in screen_text(app)
        assert "Search still works" in screen_text(app)
        assert app.is_running
        await pilot.press("slash", *"sparse", "enter")
        await pilot.pause()
        assert [p.id for p in app.main.papers.papers] == ["2508.09001"]


def test_the_ui_imports_the_core_plainly() -> None:
    """No 'module may not exist' fallbacks in the UI: a typo in an import
    must fail loudly, not swap in a stand-in class or an empty string."""
    tui = Path(__file__).resolve().parent.parent / "reader" / "tui"
    guarded = [
        str(p.relative_to(tui))
        for p in sorted(tui.rglob("*.py"))
        if "except ImportError" in p.read_text(encoding="utf-8")
    ]
    assert guarded == []
