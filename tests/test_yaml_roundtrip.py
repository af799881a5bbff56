"""Every YAML file we write reads back as written, whatever the text in it:
sources.yaml, the UI preferences and YAML exports (the state has its own
tests in test_state.py). One emitter for all: reader/yamlwrite.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from helpers.yaml_breakers import TEXTS

from reader.export import export
from reader.library import remember_sources, remembered_sources
from reader.model import Paper
from reader.paths import Paths
from reader.tui.prefs import UiPrefs
from reader.yamlwrite import Block, dump_yaml, strip_end_marker

IDS = [repr(t)[:30] for t in TEXTS]


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_the_emitter_round_trips_every_text(text: str) -> None:
    data = {"plain": text, "block": Block(text), "list": [text, {"k": text}], "n": 3}
    assert yaml.safe_load(dump_yaml(data, check=True)) == data
    # cut out of a bigger dump and put under another key, it still reads back
    piece = strip_end_marker(dump_yaml({"b": Block(text)}))
    assert "\n...\n" not in "\n" + piece  # no document end marker at column 0
    assert yaml.safe_load("a: 1\n" + piece + "c: 2\n") == {"a": 1, "b": text, "c": 2}


def test_a_check_that_fails_raises() -> None:
    with pytest.raises(ValueError, match="does not read back"):
        dump_yaml({"x": float("nan")}, check=True)  # nan != nan: it never reads back equal


def _folder_names() -> list[str]:
    names = []
    for t in TEXTS:
        usable = t and t not in (".", "..") and "/" not in t and "\x00" not in t
        if usable and len(t.encode("utf-8")) <= 200:
            names.append(t)
    return names


def test_remembered_sources_with_any_folder_name(tmp_path: Path) -> None:
    paths = Paths.from_env()
    base = tmp_path / "sources"
    base.mkdir()
    folders = []
    for i, name in enumerate(_folder_names()):
        folder = base / f"{i:02d}{name}"
        folder.mkdir()
        folders.append(folder.resolve())
    remember_sources(paths, folders)
    assert remembered_sources(paths) == folders


def test_a_folder_name_that_is_not_utf8_does_not_lose_the_others(tmp_path: Path) -> None:
    paths = Paths.from_env()
    good = tmp_path / "good"
    good.mkdir()
    remember_sources(paths, [good])
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")  # Latin-1 bytes, a lone surrogate
    os.mkdir(odd)
    remember_sources(paths, [Path(odd)])
    # the file is still readable, and the odd name is kept exactly (as its bytes)
    assert remembered_sources(paths) == [good.resolve(), Path(odd).resolve()]


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_ui_preferences_keep_any_theme_name(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ui.yaml"
    UiPrefs(theme=text, last_session=1_790_000_000.25).save(path)
    back = UiPrefs.load(path)
    assert back.theme == (text.strip() or None)
    assert back.last_session == 1_790_000_000.25


def test_a_yaml_export_reads_back_with_any_text() -> None:
    papers = [
        Paper(
            id=f"2401.{10000 + i}",
            title=text,
            abstract=text + "\n\n" + text,
            authors=[text, "A. Author"],
            tags=[text],
        )
        for i, text in enumerate(TEXTS)
    ]
    back = yaml.safe_load(export(papers, None, "yaml"))
    assert [r["title"] for r in back] == TEXTS
    assert [r["abstract"] for r in back] == [t + "\n\n" + t for t in TEXTS]
    assert [r["authors"][0] for r in back] == TEXTS
    assert [r["source_tags"] for r in back] == [[t] for t in TEXTS]
