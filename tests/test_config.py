"""The config as a user writes it: every mistake is a warning naming the key,
the rest of the file still applies, and the CLI says so on stderr."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from reader.cli import main
from reader.config import KNOWN_KEYS, Config, ConfigError, load_config
from reader.keymap import MAIN_KEYS, OTHER_IDS, PALETTE_ONLY, check_keymap, key_name
from reader.paths import Paths
from reader.session import Session


def _load(tmp_path: Path, text: str) -> Config:
    f = tmp_path / "config.yaml"
    f.write_text(text, encoding="utf-8")
    return load_config(f)


def _one(cfg: Config, key: str) -> str:
    hits = [w for w in cfg.warnings if f": {key}:" in w]
    assert len(hits) == 1, cfg.warnings
    return hits[0]


def test_a_good_config_has_no_warnings(tmp_path: Path) -> None:
    cfg = _load(
        tmp_path,
        "library: [~/papers]\ntheme: digest-dark\nread_after_seconds: 0\nmax_file_mb: 10\n"
        "saved_searches:\n  d: 'diffusion -is:read'\nkeymap:\n  star: 's, f'\n  repeat: '.'\n",
    )
    assert cfg.warnings == []
    assert cfg.library == [Path("~/papers").expanduser()]
    assert cfg.read_after_seconds == 0 and cfg.max_file_mb == 10
    assert cfg.saved_searches == {"d": "diffusion -is:read"}
    # keys in Textual's names, spaces gone: what the app hands to set_keymap
    assert cfg.keymap == {"star": "s,f", "repeat": "full_stop"}


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "libary: [~/papers]\nread_after_seconds: 5\n")
    w = _one(cfg, "libary")
    assert str(tmp_path / "config.yaml") in w and "did you mean 'library'" in w
    assert cfg.read_after_seconds == 5  # the rest of the file still applies


def test_a_section_that_joins_known_keys_is_not_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("reader.config.KNOWN_KEYS", KNOWN_KEYS | {"fetch"})
    assert _load(tmp_path, "fetch: {}\n").warnings == []


@pytest.mark.parametrize(
    ("text", "key", "attr", "default"),
    [
        ("read_after_seconds: -5\n", "read_after_seconds", "read_after_seconds", 3.0),
        ("read_after_seconds: soon\n", "read_after_seconds", "read_after_seconds", 3.0),
        ("read_after_seconds: .nan\n", "read_after_seconds", "read_after_seconds", 3.0),
        ("max_file_mb: 0\n", "max_file_mb", "max_file_mb", 40.0),
        ("library: {a: 1}\n", "library", "library", []),
        ("keymap: [star]\n", "keymap", "keymap", {}),
        ("saved_searches: diffusion\n", "saved_searches", "saved_searches", {}),
    ],
)
def test_a_bad_value_is_a_warning_and_the_default_stays(
    tmp_path: Path, text: str, key: str, attr: str, default: object
) -> None:
    cfg = _load(tmp_path, text)
    _one(cfg, key)
    assert getattr(cfg, attr) == default


def test_read_after_seconds_below_zero_says_what_it_needs(tmp_path: Path) -> None:
    w = _one(_load(tmp_path, "read_after_seconds: -5\n"), "read_after_seconds")
    assert "from 0 to 86400, not -5; using 3" in w


def test_a_saved_search_that_does_not_parse_is_named_and_left_out(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "saved_searches:\n  ok: 'tag:rl'\n  broken: '\"unterminated'\n")
    w = _one(cfg, "saved_searches.broken")
    assert "invalid query" in w
    assert cfg.saved_searches == {"ok": "tag:rl"}


def test_an_unknown_keymap_id_is_named(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "keymap:\n  stra: f\n  export: e\n")
    assert "did you mean 'star'" in _one(cfg, "keymap.stra")
    assert "palette only" in _one(cfg, "keymap.export")
    assert cfg.keymap == {}


def test_a_key_taken_from_another_action_says_which_lost_it(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "keymap:\n  star: j\n")
    w = _one(cfg, "keymap.star")
    assert "'j' was the key of cursor-down, which loses it and keeps 'down'" in w
    _, warnings = check_keymap({"theme": "q"})
    assert warnings == ["keymap.theme: 'q' was the key of quit, which loses it and keeps no key"]
    # taking the key of an action that is itself remapped takes nothing from it
    assert check_keymap({"star": "j", "cursor-down": "down,ctrl+n"})[1] == []
    # two actions given one key
    _, warnings = check_keymap({"star": "f", "tag": "f"})
    assert warnings == ["keymap.tag: 'f' is also given to star; give each key once"]
    # '.' is Textual's full_stop: taking it from repeat is seen
    assert "was the key of repeat" in check_keymap({"star": "."})[1][0]


def test_the_cli_writes_the_warnings_to_stderr_and_still_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = Paths.from_env().config_file
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text("read_after_seconds: -5\nkeymap:\n  star: j\n", encoding="utf-8")
    assert main(["search", "", "--limit", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("digest-reader: warning: ") for line in err)
    assert "read_after_seconds" in err[0] and "cursor-down" in err[1]


def test_an_unreadable_config_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.yaml:\d+: not valid YAML"):
        _load(tmp_path, "keymap:\n  star: [unclosed\n")
    with pytest.raises(ConfigError, match="mapping"):
        _load(tmp_path, "- a list\n")


def test_key_names_are_textuals() -> None:
    from textual.keys import _character_to_key

    for c in ".,;:/\\[]{}()?!@#$%^&*-_+=<>|~`'\"aZ5":
        assert key_name(c) == _character_to_key(c), c


def _binding_ids() -> dict[str, set[str]]:
    """Every binding id in reader/tui, by the module that defines it."""
    import reader.tui

    found: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(reader.tui.__path__, "reader.tui."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                for b in vars(obj).get("BINDINGS", []):
                    if getattr(b, "id", None):
                        found.setdefault(info.name, set()).add(b.id)
    return found


def test_the_cores_list_of_ids_matches_the_apps_bindings() -> None:
    from reader.tui.commands import COMMANDS, bindings

    assert {b.id: b.key for b in bindings()} == MAIN_KEYS
    assert {c.id for c in COMMANDS if not c.keys} == PALETTE_ONLY
    others = set().union(
        *(ids for name, ids in _binding_ids().items() if name != "reader.tui.screens.main")
    )
    assert others == OTHER_IDS


async def test_the_app_applies_a_keymap_that_takes_a_key(tmp_path: Path) -> None:
    from reader.library import open_library
    from reader.state import StateStore
    from reader.tui.app import DigestApp

    paths = Paths.from_env()
    cfg = _load(tmp_path, "keymap:\n  star: j\n")
    fixture = Path(__file__).resolve().parent / "fixtures" / "tui"
    library = open_library(paths, cfg, extra=[fixture], use_cache=False)
    state = StateStore(paths.state_file)
    state.load()
    app = DigestApp(Session(paths, cfg, library=library, state=state), clock=lambda: 1755604800.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = app.main.papers.current
        assert first is not None
        await pilot.press("j")  # star now; the cursor stays
        assert app.main.papers.current is first
        assert state.get(first.id).starred
        await pilot.press("down")  # cursor-down kept its other key
        assert app.main.papers.current is not first
