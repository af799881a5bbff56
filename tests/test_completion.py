"""Shell completion: each generated script run in the real shell (bash, zsh in
tmux, fish), with names from a config in the test's own XDG folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tmux import Tmux, installed_command, terminal_env, tmux  # noqa: F401  (tmux: fixture)

from reader.cli import EXPORT_FORMATS, build_parser, main
from reader.completion import SHELLS, script
from reader.export import FORMATS

CONFIG = """\
saved_searches:
  diffusion: "diffusion -is:read"
  distill: distillation
  to cite: "tag:cite"
fetch:
  sources:
    hf: {kind: hf-daily}
    nlp: {kind: arxiv-rss, categories: [cs.CL, cs.LG]}
    retrieval: {kind: arxiv-query, query: "cat:cs.IR"}
"""


def write_config(xdg: dict[str, Path], text: str = CONFIG) -> None:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(text, encoding="utf-8")


def shell_env(xdg: dict[str, Path]) -> dict[str, str]:
    """The test's XDG folders and the installed ``digest-reader`` first on PATH:
    the scripts run the program itself for names from the config."""
    bin_dir = installed_command().parent
    return terminal_env(xdg, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}")


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.skip(f"{shell} is not installed (.ci/run installs it): its completion is untested")
    return found


def written(tmp_path: Path, shell: str, name: str | None = None) -> Path:
    path = tmp_path / (name or f"digest-reader.{shell}")
    path.write_text(script(shell, build_parser()[0]), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_prints_a_script_the_shell_accepts(
    shell: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    assert "digest-reader" in text and "__complete" in text
    path = tmp_path / "script"
    path.write_text(text)
    done = subprocess.run(
        [need(shell), "-n", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_export_formats_completed_are_the_formats_export_writes() -> None:
    assert EXPORT_FORMATS == FORMATS


# --------------------------------------------------------------------------- names at Tab time


def complete(xdg: dict[str, Path], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed_command()), "__complete", *args],
        env=shell_env(xdg),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_names_come_from_the_config_at_tab_time(xdg: dict[str, Path]) -> None:
    assert complete(xdg, "fetch-sources").stdout.split("\n") == ["hf", ""]  # no config yet
    assert complete(xdg, "saved-searches").stdout == ""
    write_config(xdg)
    assert complete(xdg, "saved-searches").stdout.splitlines() == [
        "diffusion",
        "distill",
        "to cite",
    ]
    assert complete(xdg, "saved-searches", "di").stdout.splitlines() == ["diffusion", "distill"]
    assert complete(xdg, "fetch-sources").stdout.splitlines() == ["hf", "nlp", "retrieval"]
    assert complete(xdg, "fetch-sources", "r").stdout.splitlines() == ["retrieval"]


@pytest.mark.parametrize(
    ("config", "sources"),
    [
        ("theme: x\n", ["hf"]),  # no fetch section: the embedded default
        ("fetch:\n  timeout_seconds: 5\n", ["hf"]),  # a fetch section without sources
        ("fetch: [oops]\n", ["hf"]),
        ("fetch:\n  sources: {arxiv: {kind: arxiv-rss}}\n", ["arxiv"]),
    ],
)
def test_source_names_read_any_fetch_section_defensively(
    xdg: dict[str, Path], config: str, sources: list[str]
) -> None:
    write_config(xdg, config)
    done = complete(xdg, "fetch-sources")
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (0, sources, "")


def test_a_broken_config_completes_quietly(xdg: dict[str, Path]) -> None:
    write_config(xdg, "saved_searches: [unclosed\n")
    for kind in ("saved-searches", "fetch-sources"):
        done = complete(xdg, kind)
        assert done.returncode == 0 and done.stderr == ""
    assert complete(xdg, "fetch-sources").stdout == "hf\n"


def test_a_tab_imports_neither_the_cli_nor_the_library_nor_textual(xdg: dict[str, Path]) -> None:
    write_config(xdg)
    code = (
        "import sys; from reader.entry import main; main(['__complete', 'saved-searches']);"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=shell_env(xdg), capture_output=True, text=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert lines[:3] == ["diffusion", "distill", "to cite"]
    loaded = set(lines[-1].split())
    heavy = {"reader.cli", "reader.library", "reader.formats", "reader.search", "textual", "whoosh"}
    assert not heavy & loaded, heavy & loaded


# --------------------------------------------------------------------------- bash

BASH_TAB = """
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_digest_reader
printf '%s\\n' "${COMPREPLY[@]}"
"""


def bash_tab(tmp_path: Path, xdg: dict[str, Path], *words: str) -> list[str]:
    """COMPREPLY for the last of ``words`` (what the user is typing), as bash's
    programmable completion would call the function (words split at ``=``)."""
    done = subprocess.run(
        [need("bash"), "--norc", "-c", BASH_TAB, "bash", str(written(tmp_path, "bash")),
         "digest-reader", *words],
        env=shell_env(xdg),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.stderr == ""
    return [w for w in done.stdout.split("\n") if w]


def test_bash_completes_commands_options_and_values(tmp_path: Path, xdg: dict[str, Path]) -> None:
    assert bash_tab(tmp_path, xdg, "sea") == ["search"]
    assert {"search", "export", "completion", "fetch"} <= set(bash_tab(tmp_path, xdg, ""))
    assert bash_tab(tmp_path, xdg, "--v") == ["--version"]
    assert bash_tab(tmp_path, xdg, "export", "--f") == ["--format"]
    assert bash_tab(tmp_path, xdg, "export", "--format", "") == list(FORMATS)
    assert bash_tab(tmp_path, xdg, "export", "-f", "m") == ["markdown"]
    assert bash_tab(tmp_path, xdg, "export", "--format", "=", "b") == ["bibtex"]
    assert bash_tab(tmp_path, xdg, "state", "") == ["merge", "path"]
    assert bash_tab(tmp_path, xdg, "completion", "") == ["bash", "zsh", "fish"]


def test_bash_completes_names_from_the_config(tmp_path: Path, xdg: dict[str, Path]) -> None:
    write_config(xdg)
    assert bash_tab(tmp_path, xdg, "search", "--saved", "di") == ["diffusion", "distill"]
    assert bash_tab(tmp_path, xdg, "search", "--saved", "to") == ["to\\ cite"]  # quoted for bash
    assert bash_tab(tmp_path, xdg, "fetch", "") == ["hf", "nlp", "retrieval"]
    assert bash_tab(tmp_path, xdg, "fetch", "--date", "2025-08-21", "hf", "n") == ["nlp"]


def test_bash_offers_files_only_where_a_file_goes(tmp_path: Path, xdg: dict[str, Path]) -> None:
    (tmp_path / "day.json").write_text("[]")
    assert bash_tab(tmp_path, xdg, "show", "da") == []  # the id: nothing to guess
    assert bash_tab(tmp_path, xdg, "show", "2406.14347", "da") == ["day.json"]  # PATH...
    assert bash_tab(tmp_path, xdg, "search", "--limit", "5", "da") == []  # the query
    assert bash_tab(tmp_path, xdg, "search", "--limit", "5", "q", "da") == ["day.json"]
    assert bash_tab(tmp_path, xdg, "export", "-o", "da") == ["day.json"]
    assert bash_tab(tmp_path, xdg, "da") == ["day.json"]  # the reader opens PATH
    assert bash_tab(tmp_path, xdg, "day.json", "da") == ["day.json"]


# --------------------------------------------------------------------------- fish


def fish_tab(tmp_path: Path, xdg: dict[str, Path], line: str) -> list[str]:
    """What fish offers for Tab at the end of ``line`` (``complete -C``), without
    the descriptions."""
    done = subprocess.run(
        [need("fish"), "--no-config", "-c", 'source $argv[1]; complete -C"$argv[2]"',
         str(written(tmp_path, "fish")), line],
        env=shell_env(xdg),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.stderr == ""
    return [w.split("\t")[0] for w in done.stdout.split("\n") if w]


def test_fish_completes_commands_options_values_and_names(
    tmp_path: Path, xdg: dict[str, Path]
) -> None:
    write_config(xdg)
    (tmp_path / "day.json").write_text("[]")
    assert fish_tab(tmp_path, xdg, "digest-reader sea") == ["search"]
    assert fish_tab(tmp_path, xdg, "digest-reader export --f") == ["--format"]
    assert fish_tab(tmp_path, xdg, "digest-reader export --format ") == sorted(FORMATS)
    assert fish_tab(tmp_path, xdg, "digest-reader state ") == ["merge", "path"]
    assert fish_tab(tmp_path, xdg, "digest-reader search --saved di") == ["diffusion", "distill"]
    assert fish_tab(tmp_path, xdg, "digest-reader search --saved to") == ["to cite"]
    assert fish_tab(tmp_path, xdg, "digest-reader fetch ") == ["hf", "nlp", "retrieval"]
    assert fish_tab(tmp_path, xdg, "digest-reader fetch --date 2025-08-21 n") == ["nlp"]
    assert fish_tab(tmp_path, xdg, "digest-reader show da") == []
    assert fish_tab(tmp_path, xdg, "digest-reader show 2406.14347 da") == ["day.json"]


# --------------------------------------------------------------------------- zsh (in tmux)


def test_zsh_completes_commands_values_and_names(
    tmp_path: Path,
    xdg: dict[str, Path],
    tmux,  # noqa: F811
) -> None:
    zsh = need("zsh")
    write_config(xdg)
    # installed as docs/completion.md says: a file _digest-reader in $fpath
    functions = tmp_path / "zfunc"
    functions.mkdir()
    written(functions, "zsh", "_digest-reader")
    home = tmp_path / "zhome"
    home.mkdir()
    (home / ".zshrc").write_text(
        f"fpath=({functions} $fpath)\nautoload -Uz compinit && compinit -u -D\nPS1='$ '\n"
    )
    t: Tmux = tmux(100, 30)
    t.start([zsh, "-i"], shell_env(xdg) | {"ZDOTDIR": str(home)}, cwd=tmp_path)
    t.wait_for(lambda s: s.strip() == "$")

    def tab(line: str, expect: str, then: str = "") -> str:
        """Type ``line``, press Tab (then type ``then``: a mark that shows where
        the cursor is, since the screen's trailing blanks are trimmed), wait for
        ``expect``, clear the line."""
        t.type(line)
        t.send_keys("Tab")
        if then:
            t.type(then)
        screen = t.wait_for(expect)
        t.send_keys("C-c")  # a fresh prompt below
        t.wait_for(lambda s: s.rstrip().splitlines()[-1:] == ["$"])
        t.send_keys("C-l")
        t.wait_for(lambda s: s.strip() == "$")
        return screen

    tab("digest-reader sea", "$ digest-reader search @", then="@")
    screen = tab("digest-reader export --format ", "markdown")
    assert all(f in screen for f in FORMATS)
    tab("digest-reader search --sav", "--saved=@", then="@")
    tab("digest-reader search --saved dif", "--saved diffusion @", then="@")
    screen = tab("digest-reader search --saved di", "distill")
    assert "diffusion" in screen
    tab("digest-reader fetch n", "$ digest-reader fetch nlp @", then="@")
    tab("digest-reader state m", "$ digest-reader state merge @", then="@")


# --------------------------------------------------------------------------- the install lines


def _install_lines(text: str) -> list[str]:
    """The shell lines of a document that write a completion script to a file."""
    return [
        line.strip()
        for line in text.splitlines()
        if "digest-reader completion" in line and ">" in line and not line.lstrip().startswith("`")
    ]


@pytest.mark.parametrize("doc", ["README.md", "docs/completion.md"])
def test_the_documented_install_lines_work_on_a_fresh_home(doc: str, xdg: dict[str, Path]) -> None:
    """Pasted as written into a shell on a new machine (no ~/.zfunc, no
    ~/.local/share/bash-completion, no ~/.config/fish yet), each line
    installs its script: none stops at 'No such file or directory'."""
    from tests.conftest import REPO

    env = shell_env(xdg)
    lines = _install_lines((REPO / doc).read_text(encoding="utf-8"))
    assert {s for s in SHELLS if any(f"completion {s} " in line for line in lines)} == set(SHELLS)
    for line in lines:
        done = subprocess.run(
            [need("bash"), "--norc", "--noprofile", "-c", line],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0 and done.stderr == "", (line, done.stderr)
        target = line.split(">")[-1].split("#")[0].strip().replace("~", env["HOME"], 1)
        assert "__complete" in Path(target).read_text(encoding="utf-8"), line
