"""The house rules of issues 12 and 13 that a reader of the code would check:
the app's seams are typed (no ``getattr`` probes in the UI), the app never
reaches into its screen (it publishes, the screen follows), and the search
engine does not share its name with Whoosh's ``Searcher``."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

import reader.search.engine as engine
from reader.catalog import Catalog, CatalogPapers
from reader.config import Config
from reader.library import open_library
from reader.model import Paper
from reader.papers_source import InMemoryPapers, source_of
from reader.paths import Paths
from reader.tui.app import DigestApp, IndexProgress
from reader.tui.fetching import FetchStep
from tests.test_tui import FIXTURE, make_app, screen_text, until

READER = Path(__file__).resolve().parent.parent / "reader"
TUI = READER / "tui"
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


def _probed_names(path: Path) -> list[str]:
    """The names ``getattr(obj, "name", ...)`` looks up in ``path``, with the line."""
    return [
        f"{path.name}:{node.lineno} {node.args[1].value}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ]


def test_the_engine_asks_its_papers_source_by_typed_calls() -> None:
    """The search engine (and the catalog's ``present``) call the papers'
    columns, days, tags and id table through the typed
    :class:`~reader.papers_source.PapersSource`, never by looking a member
    of the catalog's mapping up by name: a renamed member would otherwise
    turn the catalog's path off silently (every query walking the papers)."""
    members = {
        name
        for name, value in vars(CatalogPapers).items()
        if callable(value) and not name.startswith("_")
    }
    probed = _probed_names(READER / "search" / "engine.py") + _probed_names(READER / "catalog.py")
    assert [p for p in probed if p.rsplit(" ", 1)[1] in members] == []


def test_a_papers_source_is_the_catalogs_mapping_or_the_papers_in_memory(
    tmp_path: Path,
) -> None:
    """The catalog's mapping answers as columns; a dict answers nothing
    (the engine walks it), so both take the engine's one typed path."""
    papers = {"2501.00001": Paper(id="2501.00001", title="Zebra", dates=["2025-01-02"])}
    memory = source_of(papers)
    assert isinstance(memory, InMemoryPapers)
    assert memory.columns() is None
    assert memory.dates_of(papers) is None
    assert memory.id_table(list(papers)) is None
    catalog = Catalog(tmp_path / "catalog.sqlite", "test")
    held = CatalogPapers(catalog, 0, dict)
    assert source_of(held) is held


def test_the_search_engine_is_not_named_like_whooshs_searcher() -> None:
    assert hasattr(engine, "SearchEngine")
    assert not hasattr(engine, "Searcher")


def test_no_ui_module_reaches_the_screen_through_the_app() -> None:
    """``app.main`` / ``self.main.`` nowhere in ``reader/tui``: what the
    screen shows of the app's work comes by the app's signals."""
    offenders = []
    for path in _tui_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "main":
                offenders.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert offenders == []


async def test_the_screen_follows_the_app_without_the_app_calling_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every piece of the app's work the screen shows (a library taken in,
    the index's progress and end, a fetch's step, a palette command, a saved
    search, the new papers, a forgotten source) reaches it with the app's
    way into the screen closed."""

    def closed(self: DigestApp) -> None:
        raise AssertionError("the app reached into its screen")

    monkeypatch.setattr(DigestApp, "main", property(closed))
    config = Config(saved_searches={"bracket": "bracket"})
    app = make_app(config, build_index=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await until(pilot, lambda: "Bracket" in screen_text(app), "the list")

        app.post_message(FetchStep("fetch 1/3: huggingface"))
        await until(pilot, lambda: "fetch 1/3" in screen_text(app), "the fetch's step shown")

        app.post_message(IndexProgress(3, 10))
        await until(pilot, lambda: _indexing(app), "the index's progress bar")
        app.post_message(IndexProgress(10, 10))
        await until(pilot, lambda: not _indexing(app), "the progress bar gone")

        app.run_main_action("toggle_sidebar")
        await until(pilot, lambda: app.screen.query_one("#sidebar").display, "the sidebar")

        app.open_saved_search("bracket")
        await until(pilot, lambda: "Saved: bracket" in screen_text(app), "the saved search")

        app.new_paper_ids = {"2508.10001"}
        await pilot.press("w")
        await until(pilot, lambda: "New: 1 paper" in screen_text(app), "the new papers")

        await pilot.press("a")
        more = tmp_path / "more.yaml"
        more.write_text(
            "date: 2025-09-01\npapers:\n  - id: '2509.00001'\n    title: Zebra Signals\n",
            encoding="utf-8",
        )
        again = open_library(Paths.from_env(), config, extra=[FIXTURE, more], use_cache=False)
        app.take_library(again, top=True)
        await until(pilot, lambda: "Zebra Signals" in screen_text(app), "the new library listed")


def _indexing(app: DigestApp) -> bool:
    return app.screen.query_one("#status").has_class("-indexing")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _whooshs_private_names() -> set[str]:
    """Every private name Whoosh's own source defines or uses."""
    import whoosh

    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # its old escapes in strings
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and _private(node.name):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                names.add(node.attr)
    return names


def test_only_whoosh_private_reaches_a_private_name_of_whoosh() -> None:
    """A module that works with Whoosh (other than ``reader/search/whoosh_private.py``,
    whose header names the pinned release and the tests that guard it) uses
    no private name of Whoosh it does not define itself: not imported, not
    reached as an attribute (inherited ones included)."""
    whooshs = _whooshs_private_names()
    offenders = []
    for path in sorted(READER.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if path.name == "whoosh_private.py" or "whoosh" not in source:
            continue
        tree = ast.parse(source)
        own: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
        for node in ast.walk(tree):
            where = f"{path.relative_to(READER)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr in whooshs and node.attr not in own:
                offenders.append(f"{where} {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                offenders += [f"{where} import {a.name}" for a in node.names if _private(a.name)]
    assert offenders == []
