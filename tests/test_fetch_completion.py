"""Shell completion: what Tab offers, from the parser and from the config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.cli import main
from tests.conftest import REPO


def tab(monkeypatch: pytest.MonkeyPatch, line: str) -> list[str]:
    """What the shell gets for Tab at the end of ``line``: the program is run as
    the shell hooks run it (``_ARGCOMPLETE`` set, answers on fd 8)."""
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m reader 8>&1 9>/dev/null'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [w.strip() for w in done.stdout.split("\n") if w.strip()]


@pytest.fixture
def config(xdg: dict[str, Path]) -> None:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(
        "saved_searches:\n  diffusion: diffusion\n  distill: distillation\n  rl: tag:rl\n"
        "fetch:\n  sources:\n    hf: {kind: hf-daily}\n"
        "    nlp: {kind: arxiv-rss, categories: [cs.CL]}\n"
    )


def test_subcommands_and_options_complete(monkeypatch, config):
    assert tab(monkeypatch, "digest-reader fe") == ["fetch"]
    assert tab(monkeypatch, "digest-reader doc") == ["doctor"]
    assert tab(monkeypatch, "digest-reader fetch --w") == ["--week"]
    assert tab(monkeypatch, "digest-reader completion ") == ["-h", "--help", "bash", "zsh", "fish"]


def test_source_and_saved_search_names_come_from_the_config(monkeypatch, config):
    assert {"hf", "nlp"} <= set(tab(monkeypatch, "digest-reader fetch "))
    assert tab(monkeypatch, "digest-reader fetch n") == ["nlp"]
    assert tab(monkeypatch, "digest-reader search --saved di") == ["diffusion", "distill"]


@pytest.mark.parametrize(
    ("shell", "marker"), [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete ")]
)
def test_completion_prints_the_shell_code(capsys, shell, marker):
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert marker in out and "digest-reader" in out
