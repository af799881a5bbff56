"""The layers of the design, checked on the source: every module's imports
(top level and inside functions, absolute and relative) are read from its
AST and held against the contracts below. The flow runs one way: formats
know nothing of the library, the state or the index; the state knows
nothing of the index; only the UI package uses Textual."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reader"

#: (modules the contract is about, imports they may not make, why).
CONTRACTS = [
    (
        "reader.formats",
        ("reader.library", "reader.state", "reader.search", "reader.tui", "reader.cli"),
        "formats turn bytes into papers: they know nothing of the library, state or index",
    ),
    (
        "reader.state",
        ("reader.search", "reader.library", "reader.formats", "reader.tui", "reader.cli"),
        "the user's state is keyed by paper id: it needs no index, library or format",
    ),
    (
        "reader.session",
        ("reader.cli", "reader.tui"),
        "the session is the core the CLI and the app share: it knows neither of them",
    ),
    (
        "reader.views",
        ("reader.cli", "reader.tui", "reader.search", "reader.state"),
        "what a list means is plain rules over papers: no UI, no index, no state store",
    ),
    (
        "reader.model",
        ("reader.library", "reader.state", "reader.search", "reader.formats", "reader.tui"),
        "the model is the bottom layer",
    ),
    (
        "reader.ids",
        ("reader.library", "reader.state", "reader.search", "reader.formats", "reader.tui"),
        "ids are the bottom layer",
    ),
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str | None = None) -> list[tuple[int, str]]:
    """Every module ``path`` (the module ``name``) imports, with its line;
    relative imports resolved; ``from a import b`` counts as ``a`` and ``a.b``."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.append((node.lineno, base))
            # `from reader import state` imports reader.state
            found.extend((node.lineno, f"{base}.{a.name}") for a in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize(("layer", "forbidden", "why"), CONTRACTS, ids=[c[0] for c in CONTRACTS])
def test_layer_contract(layer: str, forbidden: tuple[str, ...], why: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
        for path in _modules()
        if _within(_module_name(path), layer)
        for line, imported in _imports(path)
        if any(_within(imported, f) for f in forbidden)
    ]
    assert offenders == [], why


def test_only_the_ui_package_imports_textual() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
        for path in _modules()
        if not _within(_module_name(path), "reader.tui")
        for line, imported in _imports(path)
        if _within(imported, "textual")
    ]
    assert offenders == []


def test_format_modules_import_no_other_format_module() -> None:
    """Shared helpers live in reader/formats/common.py (and base, xmlsafe):
    each format can change alone."""
    shared = ("reader.formats.base", "reader.formats.common", "reader.formats.xmlsafe")

    def allowed(imported: str) -> bool:
        return imported == "reader.formats" or any(_within(imported, m) for m in shared)

    offenders = []
    for path in _modules():
        name = _module_name(path)
        if not _within(name, "reader.formats") or name == "reader.formats" or name in shared:
            continue
        for line, imported in _imports(path):
            if _within(imported, "reader.formats") and not allowed(imported):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert offenders == []


def test_the_checker_sees_what_it_must(tmp_path: Path) -> None:
    """The AST walk finds imports inside functions, relative ones, ``from
    package import module`` and ``import_module``: a wall with a hole in the
    checker is no wall."""
    module = tmp_path / "sneaky.py"
    module.write_text(
        "from . import rss\n"
        "from ..state import StateStore\n"
        "from reader import search\n"
        "def later():\n"
        "    import textual.app\n"
        "    return import_module('reader.library')\n",
        encoding="utf-8",
    )
    found = {imported for _line, imported in _imports(module, "reader.formats.sneaky")}
    assert {
        "reader.formats.rss",
        "reader.state",
        "reader.search",
        "textual.app",
        "reader.library",
    } <= found
