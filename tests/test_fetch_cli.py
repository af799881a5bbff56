"""``digest-reader fetch`` as cron and a user would run it: lines, ``--json``,
``--quiet``, exit status, then ``search`` finding what was fetched; and two
processes sharing arXiv's budget."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.cli import main
from tests.conftest import FIXTURES, REPO
from tests.fetch_server import ReplayServer, Reply

FETCH = FIXTURES / "fetch"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer().start()
    yield s
    s.stop()


def configure(xdg: dict[str, Path], server: ReplayServer, sources: str, delay: float = 0) -> None:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(
        "fetch:\n  sources:\n"
        + textwrap.indent(sources, "    ")
        + f"  endpoints: {{hf: {server.url}, arxiv_rss: {server.url}, arxiv_api: {server.url}}}\n"
        + f"  arxiv_delay_seconds: {delay}\n  timeout_seconds: 2\n",
        encoding="utf-8",
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main([*args])
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


SOURCES = "hf: {kind: hf-daily}\nnlp: {kind: arxiv-rss, categories: [cs.CL, cs.LG]}\n"


def test_fetch_prints_a_line_per_source_and_day_then_search_finds_them(xdg, server, real, capsys):
    day = (real / "hf_daily_json" / "2026-08-21.json").read_text(encoding="utf-8")
    server.routes["/api/daily_papers"] = [Reply(day)]
    server.routes["/rss/cs.CL+cs.LG"] = [Reply((FETCH / "rss_2026-12-01.xml").read_text())]
    configure(xdg, server, SOURCES)
    code, out, err = run(capsys, "fetch", "--date", "2026-08-21")
    assert code == 0, err
    assert out.splitlines() == [
        "hf 2026-08-21: new, 17 papers, 17 new",
        "nlp 2026-12-01: new, 5 papers, 5 new",
    ]
    code, out, _ = run(capsys, "search", "whistled", "--json")
    assert [p["id"] for p in json.loads(out)] == ["2610.07702"]
    code, out, _ = run(capsys, "search", "tag:announce:new", "--json")
    assert {p["id"] for p in json.loads(out)} == {"2612.00101", "2612.00102"}
    code, out, _ = run(capsys, "search", "-tag:announce:replace* date:2026-12-01", "--json")
    assert {p["id"] for p in json.loads(out)} == {"2612.00101", "2612.00102", "2612.00103"}
    first = json.loads(day)[0]["paper"]
    code, out, _ = run(capsys, "show", first["id"], "--json")
    assert json.loads(out)["date"] == "2026-08-21"


def test_fetch_json_and_exit_1_when_a_source_fails(xdg, server, capsys):
    server.routes["/api/daily_papers"] = [Reply("[]")]
    server.routes["/rss/cs.CL+cs.LG"] = [
        Reply("<html><body>busy</body></html>", content_type="text/html")
    ]
    configure(xdg, server, SOURCES)
    code, out, _ = run(capsys, "fetch", "--date", "2026-11-30", "--json")
    assert code == 1
    rows = json.loads(out)
    assert [(r["source"], r["status"]) for r in rows] == [
        ("hf", "no announcement"),
        ("nlp", "error"),
    ]
    assert set(rows[0]) == {"source", "date", "status", "papers", "new", "error"}
    assert rows[0]["error"] is None and rows[0]["papers"] == 0
    assert "HTML page" in rows[1]["error"] and f"{server.url}/rss/cs.CL+cs.LG" in rows[1]["error"]


def test_quiet_prints_only_errors_on_stderr(xdg, server, capsys):
    server.routes["/api/daily_papers"] = [Reply("[]")]
    server.routes["/rss/cs.CL+cs.LG"] = [Reply("gone", status=404, content_type="text/plain")]
    configure(xdg, server, SOURCES)
    code, out, err = run(capsys, "fetch", "--date", "2026-11-30", "--quiet")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"nlp {err.split()[1]} error: {server.url}/rss/cs.CL+cs.LG: HTTP 404 Not Found"
    ]
    code, out, err = run(capsys, "fetch", "hf", "--date", "2026-11-30", "--quiet")
    assert (code, out, err) == (0, "", "")


@pytest.mark.parametrize(
    "args",
    [
        ("fetch", "nosuch"),
        ("fetch", "--date", "2026-13-01"),
        ("fetch", "--week", "2026-48"),
        ("fetch", "--month", "2026-11", "--date", "2026-11-30"),
    ],
)
def test_usage_errors_exit_2(xdg, server, capsys, args):
    configure(xdg, server, SOURCES)
    code, _, err = run(capsys, *args)
    assert code == 2 and err
    assert not server.seen


def _ahead(days: int) -> dt.date:
    """A day ``days`` after today, on both sides of the date line."""
    return max(dt.date.today(), dt.datetime.now(dt.timezone.utc).date()) + dt.timedelta(days)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--date", _ahead(3).isoformat()),
        ("--since", _ahead(3).isoformat()),
        ("--week", "{}-W{:02d}".format(*_ahead(14).isocalendar()[:2])),
        ("--month", f"{_ahead(40).year}-{_ahead(40).month:02d}"),
    ],
)
def test_a_day_in_the_future_is_a_usage_error_naming_it_and_today(
    xdg, server, capsys, option, value
):
    """Not "no announcement" and exit 0, as if arXiv had skipped the day."""
    configure(xdg, server, SOURCES)
    code, out, err = run(capsys, "fetch", option, value)
    assert code == 2 and out == ""
    assert f"{option} {value}" in err and "in the future" in err
    assert f"today is {_ahead(0)}" in err
    assert not server.seen


def test_a_bad_config_exits_2_naming_the_key(xdg, server, capsys):
    configure(xdg, server, "x: {kind: arxiv-rss, categories: []}\n")
    code, _, err = run(capsys, "fetch")
    assert code == 2 and "fetch.sources.x.categories" in err
    assert not server.seen


WORKER = """
import sys
from reader.config import load_config
from reader.fetch.run import fetch_sources
from reader.paths import Paths
paths = Paths.from_env()
results = fetch_sources(paths, load_config(paths.config_file).fetch)
sys.exit(0 if all(r.ok for r in results) else 1)
"""


def test_two_processes_share_the_arxiv_spacing(xdg, server):
    feed = (FETCH / "rss_2026-12-01.xml").read_text()
    for cat in ("cs.CL", "cs.CV", "cs.IR"):
        server.routes[f"/rss/{cat}"] = [Reply(feed, content_type="application/rss+xml")]
    delay = 0.4
    configure(
        xdg,
        server,
        "a: {kind: arxiv-rss, categories: [cs.CL]}\n"
        "b: {kind: arxiv-rss, categories: [cs.CV]}\n"
        "c: {kind: arxiv-rss, categories: [cs.IR]}\n",
        delay=delay,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER], env=env, cwd=REPO) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    times = sorted(s.at for s in server.seen)
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= delay, gaps


def _offline(xdg: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """hf configured on a port where nothing listens, the clock at 2026-12-01
    and the retry waits recorded, not slept."""
    import datetime as dt
    import functools

    import reader.fetch.run as run_module

    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(
        "fetch:\n  sources:\n    hf: {kind: hf-daily}\n"
        "  endpoints: {hf: 'http://127.0.0.1:9'}\n  timeout_seconds: 2\n",
        encoding="utf-8",
    )
    waits: list[float] = []
    monkeypatch.setattr(
        run_module,
        "fetch_sources",
        functools.partial(run_module.fetch_sources, today=dt.date(2026, 12, 1), sleep=waits.append),
    )
    return waits


def test_offline_every_day_failing_alike_is_one_line_and_tried_once(xdg, capsys, monkeypatch):
    waits = _offline(xdg, monkeypatch)
    code, out, err = run(capsys, "fetch", "hf", "--since", "2026-11-24")
    assert code == 1 and err == ""
    [line] = out.splitlines()
    assert line.startswith("hf: cannot connect to 127.0.0.1 (")
    assert line.endswith("(after 3 retries): 8 days not fetched, 2026-11-24 to 2026-12-01")
    # the retries (2 + 4 + 8 s) were waited for once, on the first day, not on each of the 8
    assert sum(waits) == 14
    code, out, _ = run(capsys, "fetch", "hf", "--since", "2026-11-24", "--quiet")
    assert code == 1 and out == ""
    code, out, _ = run(capsys, "fetch", "hf", "--since", "2026-11-24", "--json")
    days = json.loads(out)
    assert [d["date"] for d in days] == [f"2026-11-{d}" for d in range(24, 31)] + ["2026-12-01"]
    # every day still reads as offline to the app (reader/tui/fetching.py)
    assert all(d["status"] == "error" and ": cannot connect (" in d["error"] for d in days)
    assert "not tried again" in days[1]["error"] and "not tried again" not in days[0]["error"]


def test_one_unreachable_day_keeps_its_own_line(xdg, capsys, monkeypatch):
    _offline(xdg, monkeypatch)
    code, out, _ = run(capsys, "fetch", "hf", "--date", "2026-11-30")
    assert code == 1
    [line] = out.splitlines()
    assert line.startswith("hf 2026-11-30: error: http://127.0.0.1:9/api/daily_papers")


def test_a_servers_error_text_is_sanitised_before_it_is_said(xdg, server, capsys):
    """An API's error string is the server's own words: escape sequences and
    bidi overrides in it reach neither the terminal nor ``--json`` raw."""
    hostile = "bad date \u202egnp.exe\u202c \x1b]52;c;cGF5bG9hZA==\x07\x1b[2J now"
    server.routes["/api/daily_papers"] = [Reply(json.dumps({"error": hostile}), 400)] * 2
    configure(xdg, server, "hf: {kind: hf-daily}\n")
    code, out, _ = run(capsys, "fetch", "--date", "2026-11-30", "--json")
    assert code == 1
    [row] = json.loads(out)
    assert "bad date" in row["error"] and "now" in row["error"]
    for raw in ("\x1b", "\u202e", "\u202c", "\x07"):
        assert raw not in row["error"], raw
    code, out, err = run(capsys, "fetch", "--date", "2026-11-30")
    assert code == 1 and "bad date" in out + err
    assert not any(raw in out + err for raw in ("\x1b", "\u202e", "\x07"))


def test_json_of_a_failed_or_empty_day_counts_the_papers_it_still_holds(xdg, server, real, capsys):
    """``papers`` is what is stored for the day after the fetch: a day that
    failed or came back empty keeps what it had, and says so (a cron script
    reading ``papers: 0`` would think the day was lost)."""
    day = (real / "hf_daily_json" / "2026-08-21.json").read_text(encoding="utf-8")
    html = (FETCH / "html_error.html").read_text(encoding="utf-8")
    server.routes["/api/daily_papers"] = [
        Reply(day),
        Reply(html, content_type="text/html"),
        Reply("[]"),
    ]
    configure(xdg, server, "hf: {kind: hf-daily}\n")
    stored = xdg["data"] / "digest-reader" / "digests" / "hf" / "2026-08-21.json"
    code, out, _ = run(capsys, "fetch", "--date", "2026-08-21", "--json")
    assert code == 0 and json.loads(out)[0]["papers"] == 17
    kept = stored.read_bytes()
    code, out, _ = run(capsys, "fetch", "--date", "2026-08-21", "--json")
    [row] = json.loads(out)
    assert code == 1 and row["status"] == "error" and "HTML page" in row["error"]
    assert (row["papers"], row["new"]) == (17, 0)
    code, out, _ = run(capsys, "fetch", "--date", "2026-08-21", "--json")
    [row] = json.loads(out)
    assert code == 0 and row["status"] == "no announcement"
    assert (row["papers"], row["new"]) == (17, 0)
    assert stored.read_bytes() == kept
