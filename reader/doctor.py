"""``digest-reader doctor``: what a user needs to know when something is off.

Each :class:`Check` is ``ok``, ``warning`` or ``problem``, with the fix when
there is one: the config (unknown keys, keymap ids, saved searches), the
folders, the state and its backup, the search index, every configured source
(one small request each, skipped when offline), the last successful fetch of
each source, and the terminal: ``TERM``, colours, tmux and its
``set-clipboard``/``allow-passthrough``, SSH, the way ``y`` will copy and
whether ``o`` can open a browser.

Nothing here prints or changes the user's data; the only writes are a probe
file in each folder, removed at once.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reader.clipboard import has_local_display, remote_session
from reader.config import Config, ConfigError, load_config
from reader.opener import LAUNCHERS
from reader.paths import Paths
from reader.wording import counted

OK, WARNING, PROBLEM = "ok", "warning", "problem"
#: A source not fetched successfully for this long gets a warning.
STALE_DAYS = 2


@dataclass
class Check:
    name: str
    level: str
    message: str
    fix: str = ""

    def line(self) -> str:
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{self.level:<8} {self.name}: {self.message}{fix}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "level": self.level, "message": self.message, "fix": self.fix}


def run_checks(
    paths: Paths,
    *,
    offline: bool = False,
    env: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
    reach: Callable[[Config], list[Check]] | None = None,
) -> list[Check]:
    """Every check, in the order shown; ``reach`` replaces the network check
    (tests)."""
    environ = os.environ if env is None else env
    checks: list[Check] = []
    config = _config(paths, checks)
    _folders(paths, checks)
    _state(paths, checks)
    _index(paths, checks)
    if config is not None:
        if offline:
            checks.append(Check("sources", OK, "not tried (--offline)"))
        else:
            checks.extend((reach or reach_sources)(config))
        _last_fetch(paths, config, checks, now or dt.datetime.now(dt.timezone.utc))
    _terminal(environ, checks)
    return checks


# --------------------------------------------------------------------------- config


def _config(paths: Paths, checks: list[Check]) -> Config | None:
    """The config's own checks (:func:`reader.config.load_config` lists every
    mistake, naming the key): a refused ``fetch:`` section is a problem, the
    rest are warnings (the reader runs with the bad value ignored)."""
    file = paths.config_file
    try:
        config = load_config(file)
    except ConfigError as exc:
        checks.append(Check("config", PROBLEM, str(exc), f"edit {file}"))
        return None
    if not file.exists():
        checks.append(Check("config", OK, f"no {file} (the defaults are used)"))
        return config
    prefix = f"{file}: "
    for warning in config.warnings:
        level = PROBLEM if warning == config.fetch_error else WARNING
        checks.append(Check("config", level, warning.removeprefix(prefix), f"edit {file}"))
    if not config.warnings:
        n = len(config.fetch.sources)
        checks.append(Check("config", OK, f"{file} is valid ({counted(n, 'source')} to fetch)"))
    return config


# --------------------------------------------------------------------------- folders, state, index


def _writable(folder: Path) -> str | None:
    """None when ``folder`` can be made and written to, else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".doctor-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _folders(paths: Paths, checks: list[Check]) -> None:
    for label, folder in (
        ("data folder", paths.data_dir),
        ("library folder", paths.library_dir),
        ("cache folder", paths.cache_dir),
    ):
        why = _writable(folder)
        if why is None:
            checks.append(Check(label, OK, f"{folder} is writable"))
        else:
            checks.append(
                Check(
                    label,
                    PROBLEM,
                    f"{folder} cannot be written: {why}",
                    f"check {folder}'s owner and permissions",
                )
            )


def _state(paths: Paths, checks: list[Check]) -> None:
    from reader.state import StateStore

    if not paths.state_file.exists():
        checks.append(Check("state", OK, f"no {paths.state_file} yet (nothing starred or tagged)"))
        return
    store = StateStore(paths.state_file)
    store.load()
    if store.read_only:
        checks.append(Check("state", PROBLEM, store.problem or "cannot be changed", ""))
        return
    checks.append(Check("state", OK, f"{paths.state_file} is readable"))
    if store.backup_path.exists():
        checks.append(Check("state backup", OK, f"{store.backup_path} is there"))
    else:
        checks.append(
            Check(
                "state backup",
                WARNING,
                f"no {store.backup_path} yet",
                "it is made at the next change (star, tag, read mark)",
            )
        )


def _index(paths: Paths, checks: list[Check]) -> None:
    folder = paths.index_dir
    if not folder.exists():
        checks.append(Check("index", WARNING, "not built yet", "digest-reader index"))
        return
    from reader.search.index import SearchIndex

    index = SearchIndex(folder)
    try:
        usable = index.usable
        problem = index.problem
        if index.detail:
            problem = f"{problem}: {index.detail}"
    except Exception as exc:  # a damaged index must not break the doctor
        usable, problem = False, type(exc).__name__
    finally:
        index.close()
    if usable:
        checks.append(Check("index", OK, f"{folder} opens"))
    else:
        checks.append(
            Check(
                "index",
                WARNING,
                f"{folder} cannot be used ({problem or 'unreadable'}); searches scan instead",
                "digest-reader index --rebuild",
            )
        )


# --------------------------------------------------------------------------- sources


def reach_sources(config: Config) -> list[Check]:
    """One small request per configured source (arXiv's spacing respected)."""
    from reader.fetch.http import FetchError, Http

    paths = Paths.from_env()
    out: list[Check] = []
    fc = config.fetch
    with Http(fc, paths.cache_dir / "fetch", retries=0) as http:
        for name, spec in fc.sources.items():
            params: dict[str, str | int]
            if spec.kind == "hf-daily":
                url, params, arxiv = f"{fc.endpoint('hf')}/api/daily_papers", {"limit": 1}, False
            elif spec.kind == "arxiv-rss":
                url, params, arxiv = (
                    f"{fc.endpoint('arxiv_rss')}/rss/{'+'.join(spec.categories)}",
                    {},
                    True,
                )
            else:
                url = f"{fc.endpoint('arxiv_api')}/api/query"
                params, arxiv = {"search_query": spec.query, "max_results": 1}, True
            try:
                answer = http.get(url, params, arxiv=arxiv)
            except FetchError as exc:
                out.append(
                    Check(
                        f"source {name}",
                        PROBLEM,
                        f"not reachable: {exc}",
                        "check the network, or fetch.endpoints in the config",
                    )
                )
                continue
            out.append(
                Check(
                    f"source {name}", OK, f"{answer.url} answered in {answer.elapsed * 1000:.0f} ms"
                )
            )
    return out


def _last_fetch(paths: Paths, config: Config, checks: list[Check], now: dt.datetime) -> None:
    from reader.fetch.run import last_success

    seen = last_success(paths)
    for name in config.fetch.sources:
        when = seen.get(name)
        if not when:
            checks.append(
                Check(f"last fetch {name}", WARNING, "never fetched", f"digest-reader fetch {name}")
            )
            continue
        try:
            at = dt.datetime.fromisoformat(when)
        except ValueError:
            at = None
        age = (now - at).days if at is not None and at.tzinfo is not None else None
        if age is not None and age >= STALE_DAYS:
            checks.append(
                Check(
                    f"last fetch {name}",
                    WARNING,
                    f"{when} ({counted(age, 'day')} ago)",
                    f"digest-reader fetch {name}",
                )
            )
        else:
            checks.append(Check(f"last fetch {name}", OK, when))


# --------------------------------------------------------------------------- terminal


def _tmux_option(name: str, env: Mapping[str, str]) -> str | None:
    """A global tmux option's value, or None when tmux does not answer."""
    tmux = shutil.which("tmux", path=env.get("PATH") or os.defpath)
    if tmux is None:
        return None
    try:
        done = subprocess.run(
            [tmux, "show-options", "-gv", name],
            capture_output=True,
            text=True,
            timeout=5,
            env={**os.environ, **env},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _terminal(env: Mapping[str, str], checks: list[Check]) -> None:
    term = env.get("TERM", "")
    if not term or term == "dumb":
        checks.append(
            Check(
                "terminal",
                WARNING,
                f"TERM is {term or 'not set'}: the app may not draw",
                "run it in a terminal emulator (TERM=xterm-256color)",
            )
        )
    else:
        checks.append(Check("terminal", OK, f"TERM={term}"))
    colorterm = env.get("COLORTERM", "").lower()
    if "NO_COLOR" in env:
        colours = "NO_COLOR is set: no colours"
    elif colorterm in ("truecolor", "24bit"):
        colours = "24-bit colour (COLORTERM)"
    elif "256color" in term:
        colours = "256 colours"
    else:
        colours = "8 or 16 colours (set COLORTERM=truecolor if your terminal has more)"
    checks.append(Check("colours", OK, colours))
    in_tmux = bool(env.get("TMUX"))
    if in_tmux:
        clip = _tmux_option("set-clipboard", env)
        passthrough = _tmux_option("allow-passthrough", env)
        if clip is None:
            checks.append(
                Check(
                    "tmux",
                    WARNING,
                    "inside tmux, but tmux did not answer",
                    "is the tmux command on PATH?",
                )
            )
        elif clip == "off":
            checks.append(
                Check(
                    "tmux",
                    WARNING,
                    "set-clipboard is off: a copy stays in tmux's buffer and does not reach your terminal",
                    "add 'set -g set-clipboard on' to ~/.tmux.conf",
                )
            )
        else:
            checks.append(
                Check(
                    "tmux",
                    OK,
                    f"set-clipboard {clip}: a copy reaches your terminal's clipboard (OSC 52)",
                )
            )
        if passthrough is not None:
            note = (
                "on"
                if passthrough in ("on", "all")
                else f"{passthrough} (not needed for copies, which go through set-clipboard)"
            )
            checks.append(Check("tmux passthrough", OK, f"allow-passthrough {note}"))
    elif env.get("STY"):
        checks.append(Check("screen", OK, "inside GNU screen: copies use OSC 52 through screen"))
    remote = remote_session(env)
    checks.append(
        Check("ssh", OK, "over SSH: links are copied, not opened" if remote else "a local session")
    )
    # Which way `y` copies (the order of reader.clipboard.copy).
    if has_local_display(env):
        how = "the system clipboard (pyperclip)" + (", and tmux's buffer" if in_tmux else "")
    elif in_tmux:
        how = "tmux's buffer, passed on to your terminal (tmux load-buffer -w)"
    elif env.get("STY"):
        how = "OSC 52 through screen (your terminal must allow it)"
    else:
        how = "OSC 52 written to the terminal (your terminal must allow it)"
    checks.append(Check("copy (y)", OK, how))
    # Whether `o` can open a browser (the rules of reader.opener.open_url).
    if remote:
        checks.append(
            Check("open (o)", OK, "over SSH a browser here would not reach you: o copies the link")
        )
    elif sys.platform == "darwin":
        checks.append(Check("open (o)", OK, "opens with 'open'"))
    elif not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        checks.append(Check("open (o)", OK, "no display here: o copies the link instead"))
    else:
        path = env.get("PATH") or os.defpath
        found = next((c for c in LAUNCHERS if shutil.which(c[0], path=path)), None)
        if found is None:
            checks.append(
                Check(
                    "open (o)", WARNING, "no browser launcher found", "install xdg-utils (xdg-open)"
                )
            )
        else:
            checks.append(Check("open (o)", OK, f"opens with {' '.join(found)}"))
