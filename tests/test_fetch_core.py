"""Fetching against a local server that replays real recorded answers
(``../shared/real_digests``) and our own arXiv RSS fixtures: what a user keeps
in the data folder after good, shorter, broken and refused answers."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.config import load_config
from reader.fetch import hf as hf_mod
from reader.fetch.result import ERROR, NEW, NO_ANNOUNCEMENT, UNCHANGED, UPDATED
from reader.fetch.run import Span, catch_up, fetch_sources
from reader.fetch.sources import FetchConfig, arxiv_delay
from reader.library import open_library
from reader.paths import Paths
from tests.conftest import FIXTURES
from tests.fetch_server import ReplayServer, Reply, Seen

FETCH = FIXTURES / "fetch"
TODAY = dt.date(2026, 12, 1)
HF_PATH = "/api/daily_papers"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer().start()
    yield s
    s.stop()


class Sleeps:
    """The injected sleep: records the waits instead of taking them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def total(self) -> float:
        return round(sum(self.waits), 3)


def write_config(xdg: dict[str, Path], server: ReplayServer, body: str = "") -> FetchConfig:
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        "fetch:\n"
        + (body or "  sources:\n    hf: {kind: hf-daily}\n")
        + "  endpoints:\n"
        + f"    hf: {server.url}\n    arxiv_rss: {server.url}\n    arxiv_api: {server.url}\n"
        + "  arxiv_delay_seconds: 0\n  timeout_seconds: 2\n  catch_up_days: 0\n"
    )
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    return load_config(folder / "config.yaml").fetch


def run(config: FetchConfig, span: Span | None = None, sleeps: Sleeps | None = None):
    return fetch_sources(
        Paths.from_env(), config, (), span or Span(), today=TODAY, sleep=sleeps or Sleeps()
    )


def hf_day_server(records: list[dict], day: str = "") -> object:
    """A route that pages ``records`` by ``limit`` and ``p`` like the real API."""

    def route(seen: Seen) -> Reply:
        if day and seen.query.get("date") != day:
            return Reply("[]")
        limit, p = int(seen.query.get("limit", 50)), int(seen.query.get("p", 0))
        return Reply(json.dumps(records[p * limit : (p + 1) * limit]))

    return route


def real_day(real: Path, name: str) -> list[dict]:
    return json.loads((real / "hf_daily_json" / name).read_text(encoding="utf-8"))


def library_papers():
    paths = Paths.from_env()
    return open_library(paths, load_config(paths.config_file), use_cache=False).papers


# --------------------------------------------------------------------------- config


def test_no_fetch_section_means_the_one_hf_source(xdg):
    cfg = load_config(xdg["config"] / "digest-reader" / "config.yaml").fetch
    assert list(cfg.sources) == ["hf"] and cfg.sources["hf"].kind == "hf-daily"
    assert cfg.endpoint("hf") == "https://huggingface.co" and not cfg.configured


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("{kind: hf-weekly}", "fetch.sources.bad.kind"),
        ("{kind: arxiv-rss, categories: []}", "fetch.sources.bad.categories"),
        ("{kind: arxiv-rss}", "fetch.sources.bad.categories"),
        ("{kind: arxiv-rss, categories: [Computer Science]}", "fetch.sources.bad.categories"),
        ('{kind: arxiv-query, query: "cat:cs.IR AND"}', "fetch.sources.bad.query"),
        ('{kind: arxiv-query, query: "title:retrieval"}', "fetch.sources.bad.query"),
        ('{kind: arxiv-query, query: "(cat:cs.IR"}', "fetch.sources.bad.query"),
        (
            '{kind: arxiv-query, query: "cat:cs.IR", max_results: 50000}',
            "fetch.sources.bad.max_results",
        ),
        ("{kind: hf-daily, categories: [cs.CL]}", "fetch.sources.bad.categories"),
    ],
)
def test_a_bad_source_is_a_config_error_naming_the_key(xdg, source, key):
    folder = xdg["config"] / "digest-reader"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"fetch:\n  sources:\n    bad: {source}\n")
    config = load_config(folder / "config.yaml")
    # fetch refuses to run with it (exit 2); the rest of the reader reads on
    assert config.fetch_error is not None and config.fetch_error in config.warnings
    assert f"{key}:" in config.fetch_error and "config.yaml" in config.fetch_error
    assert list(config.fetch.sources) == ["hf"]  # the embedded default, not a half-read section


def test_reading_the_config_does_not_load_the_http_client():
    """The app reads the config at every start; httpx loads only to fetch."""
    code = "import sys, reader.config, reader.cli; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_arxiv_delay_is_never_below_3_seconds_for_arxiv_hosts():
    assert arxiv_delay(0.5, "https://export.arxiv.org/api/query") == 3.0
    assert arxiv_delay(0.5, "https://rss.arxiv.org/rss/cs.CL") == 3.0
    assert arxiv_delay(5, "https://arxiv.org/x") == 5
    assert arxiv_delay(0.5, "http://127.0.0.1:8000/rss/cs.CL") == 0.5
    assert arxiv_delay(0.5, "https://notarxiv.org.example/") == 0.5


def test_catch_up_from_the_day_after_the_last_stored_day_and_always_yesterday():
    days = catch_up(["2026-11-27"], TODAY, 7)
    assert [d.isoformat() for d in days] == ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]
    assert [d.isoformat() for d in catch_up(["2026-12-01"], TODAY, 7)] == [
        "2026-11-30",
        "2026-12-01",
    ]
    assert len(catch_up(["2025-01-01"], TODAY, 7)) == 8  # at most catch_up_days back
    assert len(catch_up([], TODAY, 3)) == 4


# --------------------------------------------------------------------------- Hugging Face


def test_hf_pages_until_a_short_page_and_stores_the_day(xdg, server, real, monkeypatch):
    records = real_day(real, "2025-10-03.json")  # 39 records of the real API
    monkeypatch.setattr(hf_mod, "PAGE", 10)
    server.routes[HF_PATH] = hf_day_server(records)
    cfg = write_config(xdg, server)
    results = run(cfg, Span.of(date="2025-10-03"))
    pages = server.requests(HF_PATH)
    assert [s.query["p"] for s in pages] == ["0", "1", "2", "3"]
    assert {s.query["limit"] for s in pages} == {"10"}
    assert [(r.date, r.status, r.papers, r.new) for r in results] == [("2025-10-03", NEW, 39, 39)]
    stored = xdg["data"] / "digest-reader" / "digests" / "hf" / "2025-10-03.json"
    assert json.loads(stored.read_text()) == records
    papers = library_papers()
    assert len(papers) == 39
    assert all(p.dates == ["2025-10-03"] for p in papers.values())


def test_a_shorter_second_answer_keeps_every_paper_and_updates_signals(xdg, server, real):
    records = real_day(real, "2026-08-21.json")  # 17 records, newest schema
    later = json.loads(json.dumps(records[:5]))
    later[0]["paper"]["upvotes"] = 999
    later[0]["numComments"] = 42
    later[1]["paper"]["withdrawnAt"] = "2026-08-22T10:00:00.000Z"
    server.routes[HF_PATH] = [Reply(json.dumps(records)), Reply(json.dumps(later))]
    cfg = write_config(xdg, server)
    first = run(cfg, Span.of(date="2026-08-21"))
    assert [(r.status, r.papers, r.new) for r in first] == [(NEW, 17, 17)]
    from reader.state import StateStore

    state = StateStore(Paths.from_env().state_file)
    state.load()
    withdrawn_id = records[1]["paper"]["id"]
    state.set_starred([withdrawn_id], True)
    state.add_tags([withdrawn_id], ["cite"])

    second = run(cfg, Span.of(date="2026-08-21"))
    assert [(r.status, r.papers, r.new) for r in second] == [(UPDATED, 17, 0)]
    papers = library_papers()
    assert len(papers) == 17
    top = papers[records[0]["paper"]["id"]]
    assert top.upvotes == 999 and top.comments == 42
    gone = papers[withdrawn_id]
    assert "withdrawn" in gone.tags
    again = StateStore(Paths.from_env().state_file)
    again.load()
    assert again.get(withdrawn_id).starred and "cite" in again.get(withdrawn_id).tags


def test_the_same_answer_again_is_unchanged_and_leaves_the_bytes(xdg, server, real):
    records = real_day(real, "2025-06-25.json")
    server.routes[HF_PATH] = [Reply(json.dumps(records))]
    cfg = write_config(xdg, server)
    run(cfg, Span.of(date="2025-06-25"))
    stored = xdg["data"] / "digest-reader" / "digests" / "hf" / "2025-06-25.json"
    before = stored.stat().st_mtime_ns, stored.read_bytes()
    again = run(cfg, Span.of(date="2025-06-25"))
    assert [(r.status, r.papers, r.new) for r in again] == [(UNCHANGED, 14, 0)]
    assert (stored.stat().st_mtime_ns, stored.read_bytes()) == before


def test_a_paper_is_filed_under_the_day_it_was_featured(xdg, server, real):
    records = real_day(real, "2026-08-21.json")[:3]
    records[2]["paper"]["submittedOnDailyAt"] = "2026-08-20T00:00:00.000Z"
    server.routes[HF_PATH] = [Reply(json.dumps(records))]
    cfg = write_config(xdg, server)
    results = run(cfg, Span.of(date="2026-08-21"))
    assert [(r.date, r.papers) for r in results] == [("2026-08-20", 1), ("2026-08-21", 2)]


def test_week_and_month_use_the_api_parameters(xdg, server, real):
    records = real_day(real, "2026-08-21.json")
    server.routes[HF_PATH] = [Reply(json.dumps(records))]
    cfg = write_config(xdg, server)
    run(cfg, Span.of(week="2026-W34"))
    run(cfg, Span.of(month="2026-08"))
    asked = [s.query for s in server.requests(HF_PATH)]
    assert asked[0]["week"] == "2026-W34" and "date" not in asked[0]
    assert asked[1]["month"] == "2026-08"


def test_with_no_date_it_catches_up_and_asks_again_for_yesterday(xdg, server, real):
    server.routes[HF_PATH] = [Reply("[]")]
    cfg = write_config(xdg, server)
    (xdg["data"] / "digest-reader" / "digests" / "hf").mkdir(parents=True)
    (xdg["data"] / "digest-reader" / "digests" / "hf" / "2026-11-28.json").write_text("[]")
    cfg.catch_up_days = 7
    results = run(cfg)
    assert [s.query["date"] for s in server.requests(HF_PATH)] == [
        "2026-11-29",
        "2026-11-30",
        "2026-12-01",
    ]
    assert {r.status for r in results} == {NO_ANNOUNCEMENT}


def test_every_request_names_digest_reader(xdg, server):
    server.routes[HF_PATH] = [Reply("[]")]
    run(write_config(xdg, server), Span.of(date="2026-11-30"))
    ua = server.requests(HF_PATH)[0].headers["user-agent"]
    assert ua.startswith("digest-reader/0.1.0 (+https://")


# --------------------------------------------------------------------------- failures


def stored_hf_day(xdg, real) -> Path:
    folder = xdg["data"] / "digest-reader" / "digests" / "hf"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2026-08-21.json"
    path.write_bytes((real / "hf_daily_json" / "2026-08-21.json").read_bytes())
    return path


@pytest.mark.parametrize(
    ("replies", "reason"),
    [
        ([Reply((FETCH / "html_error.html").read_text(), content_type="text/html")], "HTML page"),
        (
            [
                Reply(
                    "<!DOCTYPE html><html><body>Oops</body></html>", content_type="application/json"
                )
            ],
            "HTML page",
        ),
        ([Reply('[{"paper": {"id": "2608.1"')], "not JSON, or cut off"),
        ([Reply('{"error": "Invalid date"}', status=400)], "HTTP 400"),
        ([Reply('{"error": "Sorry"}')], "not a list of papers: Sorry"),
        ([Reply(json.dumps([{"paper": {"id": "2608.00001"}}] * 3), cut_at=20)], "cut off"),
        ([Reply("oops", status=500)], "HTTP 500"),
    ],
)
def test_a_broken_answer_leaves_the_stored_day_byte_identical(xdg, server, real, replies, reason):
    path = stored_hf_day(xdg, real)
    before = path.read_bytes()
    server.routes[HF_PATH] = replies
    results = run(write_config(xdg, server), Span.of(date="2026-08-21"))
    assert [r.status for r in results] == [ERROR]
    message = results[0].line()
    assert message.startswith("hf 2026-08-21: error: ") and reason in message
    assert f"{server.url}/api/daily_papers?date=2026-08-21" in message
    assert path.read_bytes() == before


def test_429_waits_as_retry_after_says_then_succeeds(xdg, server):
    server.routes[HF_PATH] = [
        Reply("slow down", 429, headers={"Retry-After": "7"}, content_type="text/plain"),
        Reply("[]"),
    ]
    sleeps = Sleeps()
    results = run(write_config(xdg, server), Span.of(date="2026-11-30"), sleeps)
    assert [r.status for r in results] == [NO_ANNOUNCEMENT]
    assert sleeps.total == 7.0 and len(server.requests(HF_PATH)) == 2


def test_retry_after_is_capped_at_a_minute(xdg, server):
    server.routes[HF_PATH] = [Reply("", 503, headers={"Retry-After": "3600"}), Reply("[]")]
    sleeps = Sleeps()
    run(write_config(xdg, server), Span.of(date="2026-11-30"), sleeps)
    assert sleeps.total == 60.0


def test_500_then_success_retries_with_a_wait(xdg, server, real):
    records = real_day(real, "2026-08-21.json")
    server.routes[HF_PATH] = [Reply("down", 500), Reply("down", 502), Reply(json.dumps(records))]
    sleeps = Sleeps()
    results = run(write_config(xdg, server), Span.of(date="2026-08-21"), sleeps)
    assert [(r.status, r.papers) for r in results] == [(NEW, 17)]
    assert sleeps.total == 2.0 + 4.0  # growing waits


def test_a_server_that_keeps_failing_gets_three_retries_then_an_error(xdg, server):
    server.routes[HF_PATH] = [Reply("down", 500)]
    sleeps = Sleeps()
    results = run(write_config(xdg, server), Span.of(date="2026-08-21"), sleeps)
    assert len(server.requests(HF_PATH)) == 4 and sleeps.total == 2.0 + 4.0 + 8.0
    assert "HTTP 500" in results[0].error and "after 3 retries" in results[0].error


def test_a_stalled_server_is_an_error_after_the_timeout_not_a_hang(xdg, server, real):
    path = stored_hf_day(xdg, real)
    before = path.read_bytes()
    server.routes[HF_PATH] = [Reply("[]", stall=3.0)]
    cfg = write_config(xdg, server)
    cfg.timeout_seconds = 0.3
    results = run(cfg, Span.of(date="2026-08-21"))
    assert [r.status for r in results] == [ERROR]
    assert "timed out" in results[0].error
    assert path.read_bytes() == before


def test_an_unreachable_server_is_an_error_naming_the_url(xdg, server):
    cfg = write_config(xdg, server)
    cfg.endpoints["hf"] = "http://127.0.0.1:9"  # discard port: nothing listens
    results = run(cfg, Span.of(date="2026-08-21"))
    assert results[0].status == ERROR and "cannot connect" in results[0].error
    assert "http://127.0.0.1:9/api/daily_papers?date=2026-08-21" in results[0].error


def test_etag_is_sent_back_and_a_304_is_unchanged(xdg, server, real):
    records = real_day(real, "2026-08-21.json")

    def route(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply("", 304, headers={"ETag": '"v1"'})
        return Reply(json.dumps(records), headers={"ETag": '"v1"'})

    server.routes[HF_PATH] = route
    cfg = write_config(xdg, server)
    run(cfg, Span.of(date="2026-08-21"))
    again = run(cfg, Span.of(date="2026-08-21"))
    assert server.requests(HF_PATH)[1].headers.get("if-none-match") == '"v1"'
    assert [(r.status, r.papers) for r in again] == [(UNCHANGED, 17)]


# --------------------------------------------------------------------------- arXiv RSS

RSS_SOURCES = "  sources:\n    nlp: {kind: arxiv-rss, categories: [cs.CL, cs.LG]}\n"
RSS_PATH = "/rss/cs.CL+cs.LG"


def rss(name: str) -> Reply:
    return Reply((FETCH / name).read_text(), content_type="application/rss+xml")


def test_rss_keeps_announce_types_apart_and_one_request_for_all_categories(xdg, server):
    server.routes[RSS_PATH] = [rss("rss_2026-12-01.xml")]
    results = run(write_config(xdg, server, RSS_SOURCES))
    assert [(r.source, r.date, r.status, r.papers) for r in results] == [
        ("nlp", "2026-12-01", NEW, 5)
    ]
    assert len(server.seen) == 1
    papers = library_papers()
    kinds = {pid: [t for t in p.tags if t.startswith("announce:")] for pid, p in papers.items()}
    assert kinds["2612.00101"] == ["announce:new"]
    assert kinds["2612.00103"] == ["announce:cross"]
    assert kinds["2611.09901"] == ["announce:replace"]
    assert kinds["2610.07702"] == ["announce:replace-cross"]
    assert all(p.dates == ["2026-12-01"] for p in papers.values())


def test_an_empty_weekend_feed_is_no_announcement_and_hides_nothing(xdg, server):
    server.routes[RSS_PATH] = [rss("rss_2026-12-01.xml"), rss("rss_empty_saturday.xml")]
    cfg = write_config(xdg, server, RSS_SOURCES)
    run(cfg)
    folder = xdg["data"] / "digest-reader" / "digests" / "nlp"
    before = {p.name: p.read_bytes() for p in folder.glob("*.xml")}
    results = run(cfg)
    assert [(r.date, r.status) for r in results] == [("2026-12-05", NO_ANNOUNCEMENT)]
    assert results[0].ok
    assert results[0].line() == (
        "nlp 2026-12-05: no announcement (arXiv does not announce on Saturdays; stored days kept)"
    )
    assert {p.name: p.read_bytes() for p in folder.glob("*.xml")} == before
    assert len(library_papers()) == 5


def test_the_same_batch_under_a_later_pubdate_is_filed_with_its_day(xdg, server):
    stale = (FETCH / "rss_2026-12-01.xml").read_text().replace("Tue, 01 Dec", "Wed, 02 Dec")
    server.routes[RSS_PATH] = [rss("rss_2026-12-01.xml"), Reply(stale)]
    cfg = write_config(xdg, server, RSS_SOURCES)
    run(cfg)
    results = run(cfg)
    assert [(r.date, r.status) for r in results] == [("2026-12-01", UNCHANGED)]


def test_the_next_announcement_is_a_new_day_and_the_old_one_stays(xdg, server):
    server.routes[RSS_PATH] = [rss("rss_2026-12-01.xml"), rss("rss_2026-12-02.xml")]
    cfg = write_config(xdg, server, RSS_SOURCES)
    run(cfg)
    results = run(cfg)
    assert [(r.date, r.status, r.papers, r.new) for r in results] == [("2026-12-02", NEW, 2, 2)]
    papers = library_papers()
    assert len(papers) == 6
    assert papers["2612.00101"].dates == ["2026-12-01", "2026-12-02"]


# --------------------------------------------------------------------------- arXiv API

QUERY_SOURCES = (
    '  sources:\n    testing: {kind: arxiv-query, query: "all:testing", max_results: 150}\n'
)
QUERY_PATH = "/api/query"


def test_query_pages_and_asks_again_for_a_short_page(xdg, server, real):
    full = (real / "atom" / "arxiv_api_2026_q_testing_s0_m100_body.xml").read_text()
    one = (real / "atom" / "arxiv_api_2026_id_astro-ph_0601001_body.xml").read_text()
    server.routes[QUERY_PATH] = [Reply(full), Reply(one), Reply(one)]
    results = run(write_config(xdg, server, QUERY_SOURCES))
    asked = [(s.query["start"], s.query["max_results"]) for s in server.requests(QUERY_PATH)]
    assert asked == [("0", "100"), ("100", "50"), ("100", "50")]  # the short page asked twice
    q = server.requests(QUERY_PATH)[0].query
    assert q["search_query"] == "all:testing" and q["sortBy"] == "submittedDate"
    assert q["sortOrder"] == "descending"
    assert sum(r.papers for r in results) == 101 and all(r.status == NEW for r in results)
    papers = library_papers()
    assert len(papers) == 101
    day = results[-1].date
    assert all(p.dates for p in papers.values())
    assert any(p.dates == [day] for p in papers.values())


def test_query_for_a_week_adds_the_submitted_date_range(xdg, server, real):
    one = (real / "atom" / "arxiv_api_2026_id_astro-ph_0601001_body.xml").read_text()
    server.routes[QUERY_PATH] = [Reply(one)]
    run(write_config(xdg, server, QUERY_SOURCES), Span.of(week="2026-W48"))
    q = server.requests(QUERY_PATH)[0].query["search_query"]
    assert q == "(all:testing) AND submittedDate:[202611230000 TO 202611292359]"


def test_the_arxiv_error_feed_is_a_clear_error(xdg, server):
    server.routes[QUERY_PATH] = [Reply((FETCH / "arxiv_api_error.xml").read_text())]
    results = run(write_config(xdg, server, QUERY_SOURCES))
    assert [r.status for r in results] == [ERROR]
    assert "the arXiv API refused the query: incorrect id format for 1234.12345" in results[0].error
    assert not (xdg["data"] / "digest-reader" / "digests" / "testing").exists()


def test_a_cut_off_feed_leaves_the_stored_day(xdg, server):
    server.routes[RSS_PATH] = [rss("rss_2026-12-01.xml")]
    cfg = write_config(xdg, server, RSS_SOURCES)
    run(cfg)
    stored = xdg["data"] / "digest-reader" / "digests" / "nlp" / "2026-12-01.xml"
    before = stored.read_bytes()
    text = (FETCH / "rss_2026-12-01.xml").read_text()
    server.routes[RSS_PATH] = [Reply(text[: len(text) // 2])]
    results = run(cfg)
    assert results[0].status == ERROR and "cut off" in results[0].error
    assert stored.read_bytes() == before


# --------------------------------------------------------------------------- for the app


def test_progress_is_reported_and_a_cancel_stops_between_requests(xdg, server):
    server.routes[HF_PATH] = [Reply("[]")]
    cfg = write_config(xdg, server)
    seen = []
    results = fetch_sources(
        Paths.from_env(),
        cfg,
        span=Span.of(since="2026-11-25"),
        today=TODAY,
        progress=seen.append,
        cancel=lambda: len(server.seen) >= 2,
        sleep=Sleeps(),
    )
    assert len(server.seen) == 2 and len(results) == 2
    assert seen[0].message == "fetching hf" and seen[-1].message == "cancelled"
    assert [p.result.date for p in seen if p.result] == ["2026-11-25", "2026-11-26"]


def test_a_server_dripping_its_answer_is_cut_short(xdg, server, real, monkeypatch):
    """The read timeout alone would never fire: every byte comes in time."""
    import reader.fetch.http as http_mod

    path = stored_hf_day(xdg, real)
    before = path.read_bytes()
    monkeypatch.setattr(http_mod, "TOTAL_TIMEOUTS", 1)

    def drip(seen: Seen) -> Reply:
        return Reply(b"[" + b" " * 200 + b"]", drip=0.02)

    server.routes[HF_PATH] = drip
    cfg = write_config(xdg, server)
    cfg.timeout_seconds = 0.5
    results = run(cfg, Span.of(date="2026-08-21"))
    assert results[0].status == ERROR and "timed out" in results[0].error
    assert path.read_bytes() == before


def test_a_gzip_answer_is_read_and_a_huge_one_refused(xdg, server, real, monkeypatch):
    import gzip

    import reader.fetch.http as http_mod

    records = real_day(real, "2026-08-21.json")
    packed = gzip.compress(json.dumps(records).encode())
    server.routes[HF_PATH] = [Reply(packed, headers={"Content-Encoding": "gzip"})]
    cfg = write_config(xdg, server)
    assert [(r.status, r.papers) for r in run(cfg, Span.of(date="2026-08-21"))] == [(NEW, 17)]
    assert server.requests(HF_PATH)[0].headers["accept-encoding"] == "gzip"
    monkeypatch.setattr(http_mod, "MAX_BODY", len(packed) + 100)  # a gzip bomb, small
    results = run(cfg, Span.of(date="2026-08-21"))
    assert results[0].status == ERROR and "unpacks to more than" in results[0].error
    monkeypatch.setattr(http_mod, "MAX_BODY", 1000)
    results = run(cfg, Span.of(date="2026-08-21"))
    assert "the answer is bigger than 1,000 bytes: not read" in results[0].error


def test_a_server_that_ignores_the_page_number_does_not_loop(xdg, server, real, monkeypatch):
    records = real_day(real, "2025-10-03.json")[:10]
    monkeypatch.setattr(hf_mod, "PAGE", 10)
    server.routes[HF_PATH] = [Reply(json.dumps(records))]  # the same 10 for every p
    results = run(write_config(xdg, server), Span.of(date="2025-10-03"))
    assert len(server.requests(HF_PATH)) == 2
    assert [(r.status, r.papers) for r in results] == [(NEW, 10)]


def test_the_summary_line_for_the_app():
    from reader.fetch.result import DayResult, summary

    assert summary([DayResult("hf", "2026-12-01", NEW, 1, 1)]) == "1 new paper"
    assert (
        summary(
            [DayResult("hf", "d", UPDATED, 1200, 1200), DayResult("nlp", "d", ERROR, error="x")]
        )
        == "1,200 new papers; nlp failed"
    )
    assert summary([DayResult("hf", "d", UNCHANGED, 5)]) == "nothing new"


def test_two_writers_merging_into_one_day_keep_every_paper(tmp_path):
    """The app and a cron fetch may store the same day at once."""
    import threading

    from reader.fetch.store import store_hf_day

    def rec(n: int) -> dict:
        return {
            "paper": {"id": f"2612.{n:05d}", "title": f"Paper {n}", "upvotes": n},
            "title": f"Paper {n}",
        }

    folder = tmp_path / "hf"
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for n in range(start, start + 40):
                store_hf_day(folder, "2026-12-01", [rec(n)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    stored = json.loads((folder / "2026-12-01.json").read_text())
    assert len(stored) == 120


def test_why_a_feed_is_empty():
    from reader.fetch.arxiv_calendar import why_empty

    assert why_empty(dt.date(2026, 12, 6)) == "arXiv does not announce on Sundays"
    assert why_empty(dt.date(2026, 12, 25)) == "an arXiv holiday"
    assert why_empty(dt.date(2026, 12, 2)).startswith("the feed is empty")


def test_a_real_republished_arxiv_feed_with_a_bare_ampersand(xdg, server, real):
    """dzdydx's feed.xml: arXiv's RSS items re-emitted, not well-formed (a bare &)."""
    feed = (real / "rss" / "dzdydx_arxiv-rss-filter_feed.xml").read_text(encoding="utf-8")
    server.routes[RSS_PATH] = [Reply(feed, content_type="application/rss+xml")]
    results = run(write_config(xdg, server, RSS_SOURCES))
    assert [(r.status, r.papers) for r in results] == [(NEW, 125)]
    papers = library_papers()
    assert len(papers) == 125
    stored = Path(results[0].path or "")
    from reader.formats.xmlsafe import parse_xml

    assert not parse_xml(stored.read_text(encoding="utf-8")).warnings  # stored well-formed


@settings(derandomize=True, max_examples=60, deadline=None, database=None)
@given(
    answers=st.lists(
        st.dictionaries(st.integers(0, 15), st.integers(0, 500), max_size=16),
        min_size=1,
        max_size=6,
    )
)
def test_no_sequence_of_answers_shrinks_a_day(tmp_path_factory, answers):
    """Whatever the answers (shorter, longer, overlapping), the day holds every
    paper ever answered, each with the upvotes of its latest answer."""
    from reader.fetch.store import store_hf_day

    folder = tmp_path_factory.mktemp("day")
    latest: dict[str, int] = {}
    for answer in answers:
        records = [
            {"paper": {"id": f"2612.{k:05d}", "upvotes": v}, "title": f"P{k}"}
            for k, v in answer.items()
        ]
        store_hf_day(folder, "2026-12-01", records)
        latest.update({f"2612.{k:05d}": v for k, v in answer.items()})
    path = folder / "2026-12-01.json"
    if not latest:
        assert not path.exists()  # no empty day file
        return
    stored = {r["paper"]["id"]: r["paper"]["upvotes"] for r in json.loads(path.read_text())}
    assert stored == latest


def test_each_retry_is_told_as_progress_with_its_reason_and_wait(xdg, server, real):
    """Offline a fetch tries for 20-30 s before it says so (a 10 s connect
    timeout, the retries): the app's status line showed "fetching hf" all
    along. Each retry is a progress message: the reason, the wait, which."""
    records = real_day(real, "2026-08-21.json")
    server.routes[HF_PATH] = [Reply("down", 500), Reply("down", 502), Reply(json.dumps(records))]
    said: list[str] = []
    results = fetch_sources(
        Paths.from_env(), write_config(xdg, server), (), Span.of(date="2026-08-21"),
        today=TODAY, sleep=Sleeps(), progress=lambda p: said.append(p.message),
    )  # fmt: skip
    assert [(r.status, r.papers) for r in results] == [(NEW, 17)]
    retries = [m for m in said if "trying again" in m]
    assert retries == [
        "hf: HTTP 500 Internal Server Error; trying again in 2 s (retry 1 of 3)",
        "hf: HTTP 502 Bad Gateway; trying again in 4 s (retry 2 of 3)",
    ]
