"""The house rules of issues 12 and 13 that a reader of the code would check:
the app's seams are typed (no ``getattr`` probes in the UI), and the search
engine does not share its name with Whoosh's ``Searcher``."""

from __future__ import annotations

import ast
from pathlib import Path

import reader.search.engine as engine

TUI = Path(__file__).resolve().parent.parent / "reader" / "tui"
#: The one module allowed to reach into Textual's internals (it probes them).
PRIVATE = {"textual_private.py"}


def _tui_modules() -> list[Path]:
    return sorted(p for p in TUI.rglob("*.py") if p.name not in PRIVATE)


def _calls_named(tree: ast.AST, name: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def test_no_ui_module_probes_an_object_with_getattr() -> None:
    """The app's objects (the state, the engine) and the app itself are
    typed: a member is called, not looked up by name and skipped when absent
    (a rename would then silently turn a feature off)."""
    offenders = [
        f"{path.relative_to(TUI)}:{line}"
        for path in _tui_modules()
        for line in _calls_named(ast.parse(path.read_text(encoding="utf-8")), "getattr")
    ]
    assert offenders == []


def test_the_search_engine_is_not_named_like_whooshs_searcher() -> None:
    assert hasattr(engine, "SearchEngine")
    assert not hasattr(engine, "Searcher")
