"""Opening links: only http(s), only where a browser can reach the user, never
through a shell, never blocking."""

from __future__ import annotations

import shutil
import subprocess
import webbrowser
from pathlib import Path
from typing import Any

import pytest

from reader import opener
from reader.opener import open_url

URL = "https://arxiv.org/abs/2401.10000"


class Launches:
    """Records every process the opener starts (none is really started)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, args: Any, **kwargs: Any) -> object:
        self.calls.append((args, kwargs))
        return object()


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Launches:
    rec = Launches()
    monkeypatch.setattr(subprocess, "Popen", rec)
    monkeypatch.setattr(subprocess, "run", rec)
    monkeypatch.setattr(subprocess, "call", rec)

    def no_webbrowser(*args: object, **kwargs: object) -> bool:
        raise AssertionError("webbrowser must not be used on Linux")

    monkeypatch.setattr(webbrowser, "open", no_webbrowser)
    monkeypatch.setattr(webbrowser, "get", no_webbrowser)
    return rec


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH folder holding a fake xdg-open (never executed: Popen is recorded)."""
    d = tmp_path / "bin"
    d.mkdir()
    fake = d / "xdg-open"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    return d


def local(bin_dir: Path, **extra: str) -> dict[str, str]:
    return {"PATH": str(bin_dir), "DISPLAY": ":0", **extra}


def test_http_link_opens_detached_without_a_shell(launches: Launches, bin_dir: Path) -> None:
    result = open_url(URL, env=local(bin_dir), platform="linux")
    assert result.opened
    assert result.url == URL
    assert "browser" in result.message
    assert len(launches.calls) == 1
    args, kwargs = launches.calls[0]
    assert isinstance(args, list)  # an argument list, not a command line
    assert args == [str(bin_dir / "xdg-open"), URL]
    assert not kwargs.get("shell")
    assert kwargs["start_new_session"] is True
    for stream in ("stdin", "stdout", "stderr"):
        assert kwargs[stream] is subprocess.DEVNULL  # the browser never writes on our screen


def test_macos_uses_open(launches: Launches, tmp_path: Path) -> None:
    d = tmp_path / "macbin"
    d.mkdir()
    (d / "open").write_text("#!/bin/sh\n")
    (d / "open").chmod(0o755)
    result = open_url(URL, env={"PATH": str(d)}, platform="darwin")
    assert result.opened
    assert launches.calls[0][0] == [str(d / "open"), URL]


@pytest.mark.parametrize(
    "url",
    [
        "ssh://host/cmd",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>x</script>",
        "ftp://example.org/x",
        "//example.org/x",
        "http:///nohost",
        "https://arxiv.org/abs/1\nrm -rf ~",
        "https://arxiv.org/abs/1 --new-window",
        "https://arxiv.org/\x1b]52;c;eA==\x07",
        "https://arxiv.org/\u202eabs",
        "",
    ],
)
def test_only_plain_http_links_are_ever_opened(url: str, launches: Launches, bin_dir: Path) -> None:
    result = open_url(url, env=local(bin_dir), platform="linux")
    assert not result.opened
    assert result.message
    assert launches.calls == []
    assert "\x1b" not in result.url and "\n" not in result.url


def test_refusal_names_the_scheme(launches: Launches, bin_dir: Path) -> None:
    result = open_url("file:///etc/passwd", env=local(bin_dir), platform="linux")
    assert result.message == "Only http(s) links are opened, not file."


@pytest.mark.parametrize(
    "remote",
    [
        {"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"},
        {"SSH_TTY": "/dev/pts/3"},
        {"SSH_CLIENT": "10.0.0.1 50000 22"},
    ],
)
def test_remote_sessions_do_not_try(
    remote: dict[str, str], launches: Launches, bin_dir: Path
) -> None:
    # Even with X forwarding (DISPLAY set), the browser would not be the user's.
    result = open_url(URL, env=local(bin_dir, **remote), platform="linux")
    assert not result.opened
    assert "remote" in result.message
    assert result.url == URL  # the UI copies and shows it instead
    assert launches.calls == []


def test_no_display_on_linux_does_not_try(launches: Launches, bin_dir: Path) -> None:
    result = open_url(URL, env={"PATH": str(bin_dir)}, platform="linux")
    assert not result.opened
    assert "No display" in result.message and "remote" in result.message
    assert launches.calls == []


def test_wayland_counts_as_a_display(launches: Launches, bin_dir: Path) -> None:
    result = open_url(URL, env={"PATH": str(bin_dir), "WAYLAND_DISPLAY": "wayland-0"})
    assert result.opened


def test_no_launcher_found_is_a_message(launches: Launches, tmp_path: Path) -> None:
    result = open_url(URL, env={"PATH": str(tmp_path), "DISPLAY": ":0"}, platform="linux")
    assert not result.opened
    assert "xdg-open" in result.message
    assert result.url == URL


def test_text_browsers_are_never_chosen(launches: Launches, tmp_path: Path) -> None:
    d = tmp_path / "tty-only"
    d.mkdir()
    for name in ("lynx", "w3m", "links", "elinks", "www-browser", "sensible-browser"):
        (d / name).write_text("#!/bin/sh\n")
        (d / name).chmod(0o755)
    env = {"PATH": str(d), "DISPLAY": ":0", "BROWSER": "lynx"}
    result = open_url(URL, env=env, platform="linux")
    assert not result.opened
    assert launches.calls == []


def test_a_launcher_that_cannot_start_is_skipped(
    monkeypatch: pytest.MonkeyPatch, bin_dir: Path
) -> None:
    (bin_dir / "firefox").write_text("#!/bin/sh\n")
    (bin_dir / "firefox").chmod(0o755)
    started: list[list[str]] = []

    def popen(args: list[str], **kwargs: object) -> object:
        if args[0].endswith("xdg-open"):
            raise PermissionError("denied")
        started.append(args)
        return object()

    monkeypatch.setattr(subprocess, "Popen", popen)
    result = open_url(URL, env=local(bin_dir), platform="linux")
    assert result.opened
    assert started == [[str(bin_dir / "firefox"), URL]]
    assert "firefox" in result.message


def test_check_url_accepts_ordinary_links() -> None:
    for url in (URL, "http://example.org", "https://github.com/o/r?tab=readme#top"):
        assert opener.check_url(url) is None


# -- $BROWSER, the configured opener, and honest results ---------------------------


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_browser_variable_comes_first(launches: Launches, bin_dir: Path) -> None:
    script(bin_dir, "my-browser", "exit 0")
    env = local(bin_dir, BROWSER="my-browser --new-tab %s")
    result = open_url(URL, env=env, platform="linux")
    assert result.opened and "my-browser" in result.message
    assert launches.calls[0][0] == [str(bin_dir / "my-browser"), "--new-tab", URL]


def test_configured_opener_runs_even_over_ssh(launches: Launches, bin_dir: Path) -> None:
    script(bin_dir, "forward-link", "exit 0")
    env = local(bin_dir, SSH_CONNECTION="10.0.0.1 50000 10.0.0.2 22")
    result = open_url(URL, env=env, platform="linux", command="forward-link")
    assert result.opened
    assert launches.calls[0][0] == [str(bin_dir / "forward-link"), URL]
    assert not launches.calls[0][1].get("shell")


def test_a_missing_configured_opener_says_so(launches: Launches, bin_dir: Path) -> None:
    result = open_url(URL, env=local(bin_dir), platform="linux", command="nosuch %s")
    assert not result.opened and result.message == "The opener 'nosuch' was not found."
    assert launches.calls == []  # no quiet fall back to another browser


def test_a_failing_launcher_is_reported_and_the_next_one_tried(tmp_path: Path) -> None:
    d = tmp_path / "bin"
    d.mkdir()
    script(d, "xdg-open", "exit 3")  # what xdg-open does with no browser set up
    env = {"PATH": str(d), "DISPLAY": ":0"}
    result = open_url(URL, env=env, platform="linux", wait=10)
    assert not result.opened
    assert result.message == "xdg-open failed (exit status 3)."
    script(d, "firefox", "exit 0")
    result = open_url(URL, env=env, platform="linux", wait=10)
    assert result.opened and "firefox" in result.message


def test_a_failing_configured_opener_is_a_failure(tmp_path: Path) -> None:
    d = tmp_path / "bin"
    d.mkdir()
    script(d, "opener", "exit 1")
    result = open_url(URL, env={"PATH": str(d)}, command="opener %s", wait=10)
    assert not result.opened and result.message == "opener failed (exit status 1)."


def test_an_opener_still_running_counts_as_opened(tmp_path: Path) -> None:
    d = tmp_path / "bin"
    d.mkdir()
    script(d, "browser", f"exec {shutil.which('sleep')} 3")
    result = open_url(URL, env={"PATH": str(d)}, command="browser", wait=0.1)
    assert result.opened


def test_the_config_names_the_opener(tmp_path: Path) -> None:
    from reader.config import load_config

    path = tmp_path / "config.yaml"
    path.write_text('opener: "firefox --new-tab %s"\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.opener == "firefox --new-tab %s" and cfg.warnings == []
    path.write_text("opener: [firefox]\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.opener is None
    assert cfg.warnings == [
        f"{path}: opener: must be a command like \"firefox %s\", not ['firefox']; ignored"
    ]
