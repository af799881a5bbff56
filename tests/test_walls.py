"""The walls of the design: the core never imports Textual, and never prints."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "reader"


def _core_files() -> list[Path]:
    return [p for p in CORE.rglob("*.py") if "tui" not in p.relative_to(CORE).parts]


def test_no_core_module_imports_textual() -> None:
    offenders = []
    for path in _core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(str(path.relative_to(CORE)))
    assert offenders == []


def test_no_core_module_prints() -> None:
    offenders = []
    for path in _core_files():
        if path.name in {"cli.py", "__main__.py"}:
            continue  # the CLI's job is output
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{path.relative_to(CORE)}:{node.lineno}")
    assert offenders == []


def test_importing_the_core_does_not_load_textual() -> None:
    code = (
        "import sys, reader.cli, reader.library, reader.formats, reader.state, reader.search.engine\n"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
