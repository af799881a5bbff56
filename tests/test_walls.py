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


def test_a_command_line_search_loads_only_what_searching_needs(tmp_path: Path) -> None:
    """``digest-reader search`` in a new process, over a library indexed
    before: the app, the export writers, the digest parsers (the catalog
    answers), the index's full-build writer and its worker processes, and
    the LaTeX converter (no LaTeX is printed) are never imported. A new
    process per run: imports are most of what a user waits for."""
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "2025-08-21.yaml").write_text(
        "date: 2025-08-21\npapers:\n"
        + "".join(
            f"  - id: '2508.{i:05d}'\n    title: Agents number {i}\n    abstract: Words.\n"
            for i in range(30)
        ),
        encoding="utf-8",
    )
    code = (
        "import sys, io, contextlib\n"
        "from reader.cli import main\n"
        f"assert main(['index', {str(folder)!r}]) == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    code = (
        "import sys, io, contextlib\n"
        "from reader.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert main(['search', 'agents', {str(folder)!r}, '--limit', '5']) == 0\n"
        "assert out.getvalue().count('\\n') == 5, out.getvalue()\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = set(done.stdout.split())
    unwanted = {
        "textual", "markdown_it", "reader.tui", "reader.export", "reader.clipboard",
        "reader.opener", "multiprocessing", "pylatexenc", "reader.formats.native_yaml",
        "reader.search.index.bulk",
    }  # fmt: skip
    assert "reader.search.engine" in loaded
    assert sorted(unwanted & loaded) == []
