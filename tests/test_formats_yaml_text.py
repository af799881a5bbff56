"""Formats group 1: the native YAML digest, one-paper YAML files, the plain-text
Daily Papers page."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from reader.formats import detect, load_path, load_source
from reader.formats.base import Source
from reader.formats.text_page import parse_date
from reader.model import Digest, Link

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = Path(__file__).resolve().parent.parent / "sample_digests"


def _load(tmp_path: Path, name: str, text: str | bytes) -> Digest:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    digests = load_path(path)
    assert len(digests) == 1
    return digests[0]


def _messages(d: Digest) -> list[str]:
    return [str(p) for p in d.problems]


# --- native YAML --------------------------------------------------------------


def test_native_good_digest_keeps_every_field() -> None:
    d = load_path(FIXTURES / "native_day.yaml")[0]
    assert d.format == "yaml"
    assert (d.title, d.date) == ("Hugging Face Daily Papers", "2025-08-21")
    assert d.source == "https://huggingface.co/papers?date=2025-08-21"
    by_id = {p.id: p for p in d.papers}
    assert list(by_id) == ["2401.10000", "doi:10.1000/example.42", "2508.12345"]
    p = by_id["2401.10000"]
    assert p.title == "NO"  # not False
    assert p.authors == ["Ada Lovelace", "Balázs Szegedy"]
    assert p.abstract.startswith("A made-up paper")
    assert "\n\nA second paragraph with **Markdown**." in p.abstract
    assert p.link("abs") == "https://arxiv.org/abs/2401.10000"
    assert p.link("pdf") == "https://arxiv.org/pdf/2401.10000"
    assert p.github_repo == "https://github.com/example/no"
    assert p.link("project") is None  # javascript: is never a link
    assert p.tags == ["cs.CL", "agents"]
    assert (p.upvotes, p.comments, p.github_stars) == (None, 3, 120)
    assert p.ai_summary == "A one-line summary."
    assert p.published == "2025-08-20"
    assert p.dates == ["2025-08-21"]
    assert p.sources == [str(FIXTURES / "native_day.yaml")]
    doi_paper = by_id["doi:10.1000/example.42"]
    assert doi_paper.authors == ["Grace Hopper", "Alan Turing", "Emmy Noether"]
    assert doi_paper.upvotes == 7
    hf = by_id["2508.12345"]
    assert hf.link("hf") == "https://huggingface.co/papers/2508.12345"
    assert all(lk.url.startswith("https://") for lk in hf.links)


def test_native_bad_entries_are_problems_with_lines_and_the_rest_loads() -> None:
    d = load_path(FIXTURES / "native_day.yaml")[0]
    name = str(FIXTURES / "native_day.yaml")
    msgs = _messages(d)
    assert f"{name}:20: paper 2 is not a mapping of fields" in msgs
    assert f"{name}:25: paper 4 has no title: skipped" in msgs
    assert f"{name}:15: upvotes 'lots' is not a whole number: ignored" in msgs
    assert any(m.startswith(f"{name}:13: link 'javascript:alert(1)'") for m in msgs)
    errors = [p for p in d.problems if p.severity == "error"]
    assert len(errors) == 2
    assert len(d.papers) == 3


def test_native_scalars_stay_the_strings_written(tmp_path: Path) -> None:
    d = _load(
        tmp_path,
        "d.yaml",
        "date: 2025-01-02\npapers:\n  - id: 2401.10000\n    title: 012\n"
        "  - id: '2310.1000'\n    title: yes\n",
    )
    assert [(p.id, p.title) for p in d.papers] == [("2401.10000", "012"), ("2310.1000", "yes")]
    assert d.problems == []


def test_native_duplicate_keys_are_warnings_with_lines(tmp_path: Path) -> None:
    d = _load(tmp_path, "d.yaml", "papers:\n  - title: A\n    title: B\n")
    assert [p.title for p in d.papers] == ["B"]
    assert _messages(d) == [
        f"{tmp_path / 'd.yaml'}:3: duplicate key 'title' (the last one is kept)"
    ]
    assert d.problems[0].severity == "warning"


def test_native_day_from_file_name_when_missing(tmp_path: Path) -> None:
    d = _load(tmp_path, "hf-2025-03-04.yaml", "papers:\n  - title: Only A Title\n")
    assert d.date == "2025-03-04"
    assert d.papers[0].dates == ["2025-03-04"]
    assert d.papers[0].id.startswith("t:")


def test_native_bad_date_is_a_warning(tmp_path: Path) -> None:
    d = _load(tmp_path, "x.yaml", "date: someday\npapers:\n  - title: A Title\n")
    assert d.date == ""
    assert "date 'someday' is not a YYYY-MM-DD day" in _messages(d)[0]


def test_native_hostile_yaml_is_refused_cleanly(tmp_path: Path) -> None:
    d = _load(tmp_path, "evil.yaml", "papers: !!python/object/apply:os.system ['id']\n")
    assert d.papers == []
    assert "not allowed" in _messages(d)[0]
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\npapers: [*b, *b]\n"
    d = _load(tmp_path, "bomb.yaml", bomb)
    assert d.papers == [] and "aliases" in _messages(d)[0]


def test_native_empty_and_wrong_shape(tmp_path: Path) -> None:
    d = _load(tmp_path, "empty.yaml", "papers:\n")
    assert (d.format, d.papers, d.problems) == ("yaml", [], [])
    src = Source("shape.yaml", b"papers: 3\n")
    d = load_source(src)
    assert d.papers == []
    assert "expected a mapping with a 'papers' list" in str(d.problems[0])
    d = _load(tmp_path, "broken.yaml", "papers:\n  - title: [unclosed\n")
    assert d.papers == [] and d.problems[0].line is not None


def test_native_control_characters_are_made_inert(tmp_path: Path) -> None:
    d = _load(
        tmp_path,
        "x.yaml",
        'papers:\n  - title: "A\\e]0;PWNED\\e\\\\B"\n    abstract: "x\\e[2Jy"\n',
    )
    p = d.papers[0]
    assert "\x1b" not in p.title and "\x1b" not in p.abstract
    assert p.title.startswith("A") and p.title.endswith("B")


# --- one-paper YAML (deep-diver) ------------------------------------------------

PAPER_YAML = """\
date: 2024-01-11 00:00
author: Jane Example
title: 'Gradient Gardens: Growing Networks One Layer at a Time'
thumbnail: ""
link: https://huggingface.co/papers/2401.05566
summary: We grow a network by adding layers only when the loss stalls, and it ends up smaller than....
opinion: placeholder
tags:
    - ML
    - growth
"""


def test_paper_yaml_good(tmp_path: Path) -> None:
    d = _load(tmp_path, "2024-01-11+Gradient+Gardens%3A+Growing.yaml", PAPER_YAML)
    assert d.format == "paper-yaml"
    assert d.problems == []
    [p] = d.papers
    assert p.id == "2401.05566"
    assert p.title == "Gradient Gardens: Growing Networks One Layer at a Time"
    assert p.authors == ["Jane Example"]
    assert p.abstract.endswith("smaller than....")  # kept as written
    assert p.dates == ["2024-01-11"] and d.date == "2024-01-11"
    assert p.tags == ["ML", "growth"]
    assert p.link("hf") == "https://huggingface.co/papers/2401.05566"
    assert p.link("abs") == "https://arxiv.org/abs/2401.05566"


def test_paper_yaml_summary_is_the_newsletters_and_yields_to_the_real_abstract(
    tmp_path: Path,
) -> None:
    from reader.config import Config
    from reader.library import open_library
    from reader.paths import Paths

    archive = tmp_path / "hf-newsletter_archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        data = PAPER_YAML.encode()
        info = tarfile.TarInfo("archive/1/2024-01-11+Gradient+Gardens.yaml")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    [d] = load_path(archive)
    [p] = d.papers
    assert [(s.source, s.text[:9]) for s in p.summaries] == [("hf-newsletter_archive", "We grow a")]
    hf = tmp_path / "2024-01-11.json"
    hf.write_text(
        '[{"paper": {"id": "2401.05566", "summary": "The authors\' own abstract."},'
        ' "title": "Gradient Gardens: Growing Networks One Layer at a Time"}]',
        encoding="utf-8",
    )
    lib = open_library(Paths.from_env(), Config(), [archive, hf])
    paper = lib.papers["2401.05566"]
    assert paper.abstract == "The authors' own abstract."  # HF outranks a paraphrase
    assert paper.summaries[0].text.startswith("We grow a network")


def test_paper_yaml_sample_and_bad_inputs(tmp_path: Path) -> None:
    [d] = load_path(SAMPLES / "formats" / "2025-08-21+Chain-of-Thought+Prompting.yaml")
    assert d.format == "paper-yaml" and d.papers[0].id == "2201.11903"
    d = load_source(Source("x.yaml", b"title: ''\nlink: https://example.org/p\nsummary: s\n"))
    assert d.papers == [] and "has no title" in str(d.problems[0])
    d = load_source(Source("x.yaml", b"title: A Title\nlink: ftp://x/y\nsummary: s\n"))
    assert d.papers[0].links == [] and "not an http(s) URL" in str(d.problems[0])
    d = load_source(Source("x.yaml", b"title: A Title\nsummary: s\n"), fmt=None)
    assert d.format == "paper-yaml" and d.papers[0].id.startswith("t:")


def test_paper_yaml_not_stolen_from_native(tmp_path: Path) -> None:
    src = Source("d.yaml", b"title: T\nsummary: s\npapers:\n  - title: A\n")
    fmt = detect(src)
    assert fmt is not None and fmt.name == "yaml"


def test_paper_yaml_real_files(real: Path) -> None:
    folder = real / "hf_daily_yaml"
    titles = {}
    for path in sorted(folder.glob("*.yaml")):
        [d] = load_path(path)
        assert d.format == "paper-yaml" and d.problems == []
        titles[d.papers[0].id] = d.papers[0].title
    assert titles["2406.14347"].startswith("$\\nabla^2$DFT: A Universal Quantum Chemistry")
    assert titles["2406.11430"] == (
        "A Simple and Effective $L_2$ Norm-Based Strategy for KV Cache Compression"
    )
    assert titles["2512.22234"].startswith("DiRL:")


@pytest.mark.slow
def test_paper_yaml_real_archive(real: Path) -> None:
    digests = load_path(real / "hf_daily_yaml" / "deep-diver_archive_9049_papers.tar.gz")
    papers = [p for d in digests for p in d.papers]
    assert len(digests) == 9049 and len(papers) == 9049  # SOURCES.md
    assert {d.format for d in digests} == {"paper-yaml"}
    assert len({p.id for p in papers}) == 9029  # 20 papers appear twice
    assert not [p for d in digests for p in d.problems]
    days = sorted(p.dates[0] for p in papers)
    assert (days[0], days[-1]) == ("2024-01-11", "2025-12-24")


# --- the plain-text Daily Papers page -----------------------------------------


def test_text_page_seed_has_54_papers_titles_exact(seed: Path) -> None:
    [d] = load_path(seed)
    assert d.format == "text"
    assert len(d.papers) == 54
    [warning] = d.problems  # "Aug 21" has no year: the file's time gave it
    assert warning.severity == "warning" and "have no year ('Aug 21'" in warning.message
    written = [ln for ln in seed.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert [p.title for p in d.papers] == written[6::2]
    assert [p.abstract for p in d.papers] == written[7::2]
    assert all(p.id.startswith("t:") for p in d.papers)
    mtime = datetime.date.fromtimestamp(seed.stat().st_mtime)
    assert d.date.endswith("-08-21") and d.date <= mtime.isoformat()
    assert all(p.dates == [d.date] for p in d.papers)


def test_text_page_fixture_with_missing_blanks_and_noise(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    shutil.copy(FIXTURES / "text_page_day.txt", path)
    stamp = datetime.datetime(2025, 6, 1, 12).timestamp()
    os.utime(path, (stamp, stamp))
    [d] = load_path(path)
    assert d.format == "text"
    assert d.date == "2025-03-03"
    assert [p.title for p in d.papers] == [
        "Sparse Mixtures of Tiny Experts for Edge Devices",
        "What Can a Tokenizer Forget? Measuring Vocabulary Drift",
        "Benchmarks for Long-Horizon Household Robots",
    ]
    assert d.papers[1].abstract.startswith("Tokenizers are trained once")
    assert d.papers[1].abstract.endswith("from scratch.")
    third = d.papers[2]
    assert third.id == "2503.01234"
    assert third.link("abs") == "https://arxiv.org/abs/2503.01234"
    assert "Load more" not in [p.title for p in d.papers]
    assert [p.message for p in d.problems] == [
        "the page's dates have no year ('Mar 3' read as 2025-03-03): the file was last"
        " modified on 2025-06-01; put the day in the file name (YYYY-MM-DD) to set it"
    ]


def test_a_yearless_page_says_which_year_it_took_and_why(tmp_path: Path) -> None:
    text = (FIXTURES / "text_page_day.txt").read_text(encoding="utf-8")
    path = tmp_path / "pasted.txt"
    path.write_text(text, encoding="utf-8")
    stamp = datetime.datetime(2024, 1, 15, 12).timestamp()
    os.utime(path, (stamp, stamp))
    [d] = load_path(path)
    assert d.date == "2023-03-03"  # March is after January 15: the year before
    [warning] = d.problems
    assert str(warning).startswith(f"{path}:11: the page's dates have no year ('Mar 3'")
    assert "last modified on 2024-01-15" in warning.message
    # inside an archive the member's own time counts, not the archive's
    archive = tmp_path / "pages.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        info = tarfile.TarInfo("pages/pasted.txt")
        data = text.encode()
        info.size, info.mtime = len(data), datetime.datetime(2022, 6, 1, 12).timestamp()
        tf.addfile(info, io.BytesIO(data))
    [member] = load_path(archive)
    assert member.date == "2022-03-03" and "modified on 2022-06-01" in member.problems[0].message
    # a day in the file name settles the year: nothing to say
    named = tmp_path / "2025-03-04.txt"
    named.write_text(text, encoding="utf-8")
    [d2] = load_path(named)
    assert d2.date == "2025-03-03" and d2.problems == []


def test_text_page_crlf_gives_the_same_papers(tmp_path: Path) -> None:
    text = (FIXTURES / "text_page_day.txt").read_text(encoding="utf-8")
    a = _load(tmp_path, "lf.txt", text)
    b = _load(tmp_path, "crlf.txt", text.replace("\n", "\r\n").encode())
    assert [(p.title, p.abstract) for p in a.papers] == [(p.title, p.abstract) for p in b.papers]


def test_text_page_year_is_inferred_from_mtime(tmp_path: Path) -> None:
    ref = datetime.date(2026, 2, 10)
    assert parse_date("Aug 21", ref) == "2025-08-21"
    assert parse_date("Feb 10", ref) == "2026-02-10"
    assert parse_date("August 21, 2024", ref) == "2024-08-21"
    assert parse_date("21 Aug 2023", ref) == "2023-08-21"
    assert parse_date("Feb 29", ref) == "2024-02-29"
    assert parse_date("Aug 32", ref) is None
    assert parse_date("Augmented reality", ref) is None


def test_text_page_sample(tmp_path: Path) -> None:
    [d] = load_path(SAMPLES / "formats" / "daily-papers-page.txt")
    assert d.format == "text" and d.date == "2025-08-21" and len(d.papers) == 3
    assert d.papers[0].title == "Language Models are Few-Shot Learners"


def test_text_page_problems_name_lines(tmp_path: Path) -> None:
    long_para = "This paragraph has no title before it. " * 12
    text = (
        "Daily Papers\nbyAK and the research community\n\n"
        f"{long_para}\n\nA Real Title Here\n\n{'Its abstract. ' * 20}\n\nDangling Title Without Text\n"
    )
    d = _load(tmp_path, "p.txt", text)
    assert [p.title for p in d.papers] == ["A Real Title Here", "Dangling Title Without Text"]
    msgs = _messages(d)
    assert msgs[0].endswith("p.txt:4: a paragraph with no title before it: skipped")
    assert msgs[1].endswith("p.txt:10: title 'Dangling Title Without Text' has no abstract")


def test_text_page_empty_file_and_detection_is_conservative(tmp_path: Path) -> None:
    d = _load(tmp_path, "empty.txt", "")
    assert d.papers == []
    for text in (
        "just a note\nto myself\n",
        "title,abstract,url\nA,B,https://x.org/a\n",
        "# Heading\n\nSome markdown paragraph.\n",
        "key: value\nother: thing\n",
        '{"a": 1}\n',
    ):
        fmt = detect(Source("n.txt", text.encode()))
        assert fmt is None or fmt.name != "text", text


def test_text_page_structure_detected_without_header(tmp_path: Path) -> None:
    body = "".join(
        f"Title Number {i} About Things\n\n{'Sentence about it. ' * 15}\n\n" for i in range(4)
    )
    d = _load(tmp_path, "notes.txt", body)
    assert d.format == "text" and len(d.papers) == 4


def test_links_keep_only_http(tmp_path: Path) -> None:
    text = "Daily Papers\nbyAK and the research community\n\nA Title\n\nAbstract text.\n\nssh://h/cmd\n"
    d = _load(tmp_path, "p.txt", text)
    assert all(
        isinstance(lk, Link) and lk.url.startswith("http") for p in d.papers for lk in p.links
    )


def test_text_page_skips_counters_and_submitter_lines(tmp_path: Path) -> None:
    text = (
        "Daily Papers\nbyAK and the research community\nAug 21, 2025\n\n"
        "Submitted by someone\n\n42\n\nA Counted Paper Title\n\n"
        f"{'A sentence of the abstract. ' * 10}\n\n1.2k\n"
    )
    d = _load(tmp_path, "p.txt", text)
    assert [p.title for p in d.papers] == ["A Counted Paper Title"]
    assert d.problems == []


# --- every documented example loads as documented ------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "digest-format.md"


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("yaml", "day.yaml"),
        ("text", "2025-08-22-page.txt"),  # the day in the name gives "Aug 21" its year
        ("hf-json", "2025-08-21.json"),
        ("paper-yaml", "paper.yaml"),
        ("csv", "table.csv"),
    ],
)
def test_documented_examples_load(fmt: str, name: str) -> None:
    import re

    sections = DOC.read_text(encoding="utf-8").split("\n## ")
    [section] = [s for s in sections if s.splitlines()[0].endswith(f"(`{fmt}`)")]
    example = re.search(r"```\w+\n(.*?)```", section, re.DOTALL)
    assert example is not None
    d = load_source(Source(name, example.group(1).encode()))
    assert d.format == fmt and d.problems == []
    assert d.papers and d.papers[0].title == "Small Models Plan Better With a Scratchpad"


# --- no input makes a loader raise -----------------------------------------------


def test_loaders_never_raise_on_junk() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from reader.formats import native_yaml, paper_yaml, text_page

    alphabet = st.sampled_from(list("ab :-\n\r\t\"'[]{}|>#,.&*!%") + ["papers:", "title: ", "\x1b"])
    texts = st.lists(alphabet, max_size=80).map("".join)

    @settings(max_examples=150, deadline=None, database=None)
    @given(texts)
    def check(text: str) -> None:
        for module in (native_yaml, paper_yaml, text_page):
            d = module.FORMAT.load(Source("junk.yaml", text.encode()))
            assert isinstance(d, Digest)
            module.FORMAT.detect(Source("junk.yaml", text.encode()))

    check()


def test_text_page_year_comes_from_the_file_name_first(tmp_path: Path) -> None:
    text = "Daily Papers\nbyAK and the research community\nAug 21\n\nA Title Here\n\nAbstract.\n"
    d = _load(tmp_path, "2024-08-22-page.txt", text)
    assert d.date == "2024-08-21" and d.papers[0].dates == ["2024-08-21"]


def test_check_and_add_say_where_a_yearless_page_took_its_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reader.cli import main
    from reader.paths import Paths

    path = tmp_path / "pasted.txt"
    shutil.copy(FIXTURES / "text_page_day.txt", path)
    stamp = datetime.datetime(2024, 1, 15, 12).timestamp()
    os.utime(path, (stamp, stamp))
    said = f"{path}:11: warning: the page's dates have no year ('Mar 3' read as 2023-03-03)"
    assert main(["check", str(path)]) == 0  # a warning, not an error
    assert said in capsys.readouterr().out
    assert main(["add", str(path)]) == 0
    assert said in capsys.readouterr().out
    # the copy in the library keeps the file's time, so it reads the same year
    [copy] = Paths.from_env().library_dir.iterdir()
    [d] = load_path(copy)
    assert d.date == "2023-03-03"


def test_a_misspelt_format_module_is_an_error_not_a_format_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reader.formats as registry

    names = [f.name for f in registry.formats()]
    assert len(names) == len(registry.FORMAT_MODULES) == len(set(names))
    monkeypatch.setattr(registry, "FORMAT_MODULES", (*registry.FORMAT_MODULES, "arxiv_jsnol"))
    with pytest.raises(ImportError):
        registry.formats()
