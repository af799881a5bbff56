"""``digest-reader doctor``: each line as a user reads it, and the exit status."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.cli import main
from reader.doctor import OK, PROBLEM, WARNING, run_checks
from reader.paths import Paths
from tests.fetch_server import ReplayServer, Reply


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer().start()
    yield s
    s.stop()


def write_config(xdg: dict[str, Path], text: str) -> Path:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    return folder / "config.yaml"


def by_name(checks):
    out: dict[str, list] = {}
    for c in checks:
        out.setdefault(c.name, []).append(c)
    return out


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


BASE_ENV = {"TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}


def test_a_fresh_install_offline_has_warnings_but_no_problem(xdg, capsys):
    code, out = run(capsys, "doctor", "--offline")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("ok       sources: not tried (--offline)") for line in lines)
    assert "warning  last fetch hf: never fetched (fix: digest-reader fetch hf)" in lines
    assert "warning  index: not built yet (fix: digest-reader index)" in lines
    assert not any(line.startswith("problem") for line in lines)


def test_config_mistakes_are_named(xdg):
    write_config(
        xdg,
        'colour: blue\nkeymap:\n  starr: "f"\n  star: "s"\nsaved_searches:\n  broken: "tag:"\n',
    )
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=BASE_ENV))
    config = [(c.level, c.message) for c in checks["config"]]
    assert any(level == WARNING and m.startswith("colour: unknown setting") for level, m in config)
    assert any(level == WARNING and m.startswith("keymap.starr:") for level, m in config), config
    assert any(level == WARNING and "saved_searches.broken" in m for level, m in config)


def test_a_bad_config_is_a_problem_and_exit_1(xdg, capsys):
    write_config(xdg, "fetch:\n  sources:\n    x: {kind: nope}\n")
    code, out = run(capsys, "doctor", "--offline")
    assert code == 1
    assert "problem  config:" in out and "fetch.sources.x.kind" in out


def test_an_unwritable_data_folder_is_a_problem(xdg):
    (xdg["data"] / "digest-reader").write_text("a file where the folder should be")
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=BASE_ENV))
    assert checks["data folder"][0].level == PROBLEM
    assert "cannot be written" in checks["data folder"][0].message


def test_an_unreadable_state_is_a_problem_and_a_missing_backup_a_warning(xdg):
    state = xdg["data"] / "digest-reader" / "state.yaml"
    state.parent.mkdir(parents=True)
    state.write_text("version: 1\npapers: {}\n")
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=BASE_ENV))
    assert checks["state"][0].level == OK
    assert checks["state backup"][0].level == WARNING
    state.write_text("papers: [unclosed\n")
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=BASE_ENV))
    assert checks["state"][0].level == PROBLEM


def test_sources_are_tried_and_the_last_fetch_is_shown(xdg, server, capsys):
    server.routes["/api/daily_papers"] = [Reply("[]")]
    write_config(
        xdg,
        f"fetch:\n  sources:\n    hf: {{kind: hf-daily}}\n    nlp: {{kind: arxiv-rss, categories: [cs.CL]}}\n"
        f"  endpoints: {{hf: {server.url}, arxiv_rss: {server.url}}}\n  arxiv_delay_seconds: 0\n",
    )
    last = xdg["cache"] / "digest-reader" / "fetch" / "last.json"
    last.parent.mkdir(parents=True)
    last.write_text(json.dumps({"hf": "2026-11-20T06:00:00+00:00"}))
    checks = by_name(
        run_checks(
            Paths.from_env(), env=BASE_ENV, now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
        )
    )
    assert checks["source hf"][0].level == OK
    assert checks["source nlp"][0].level == PROBLEM
    assert "HTTP 404" in checks["source nlp"][0].message
    assert server.requests("/api/daily_papers")[0].query == {"limit": "1"}
    assert checks["last fetch hf"][0].level == WARNING
    assert "10 days ago" in checks["last fetch hf"][0].message
    assert checks["last fetch nlp"][0].message == "never fetched"
    code, _ = run(capsys, "doctor", "--json")
    assert code == 1


def fake_tmux(tmp_path: Path, clipboard: str, passthrough: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "tmux"
    script.write_text(
        "#!/bin/sh\n"
        f'case "$3" in set-clipboard) echo {clipboard};; allow-passthrough) echo {passthrough};; esac\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(bin_dir)


def test_tmux_with_set_clipboard_off_says_how_to_fix_it(xdg, tmp_path):
    env = {**BASE_ENV, "TMUX": "/tmp/tmux-0/default,1,0", "PATH": fake_tmux(tmp_path, "off", "off")}
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=env))
    tmux = checks["tmux"][0]
    assert tmux.level == WARNING and "set-clipboard is off" in tmux.message
    assert tmux.fix == "add 'set -g set-clipboard on' to ~/.tmux.conf"
    assert "tmux's buffer" in checks["copy (y)"][0].message


def test_tmux_with_set_clipboard_on_is_ok(xdg, tmp_path):
    env = {**BASE_ENV, "TMUX": "/tmp/tmux-0/default,1,0", "PATH": fake_tmux(tmp_path, "on", "on")}
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=env))
    assert checks["tmux"][0].level == OK
    assert checks["tmux passthrough"][0].message == "allow-passthrough on"


def test_over_ssh_links_are_copied_and_copies_use_osc52(xdg):
    env = {**BASE_ENV, "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "DISPLAY": ":0"}
    checks = by_name(run_checks(Paths.from_env(), offline=True, env=env))
    assert checks["ssh"][0].message.startswith("over SSH")
    assert "o copies the link" in checks["open (o)"][0].message
    assert checks["copy (y)"][0].message.startswith("OSC 52")


def test_a_dumb_terminal_is_a_warning(xdg):
    checks = by_name(run_checks(Paths.from_env(), offline=True, env={"TERM": "dumb"}))
    assert checks["terminal"][0].level == WARNING
