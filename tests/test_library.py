"""The library: where digests come from, merging by id, and the parse cache."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import marshal
import os
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from reader import catalog
from reader import library as library_module
from reader.config import Config
from reader.library import Library, open_library, remember_sources
from reader.paths import Paths

DAY1 = """\
title: Daily Papers
date: 2025-08-20
papers:
  - id: "2508.00001"
    title: Shared Paper About Agents
    authors: [Ada Lovelace]
    abstract: A short abstract.
    links: {abs: https://arxiv.org/abs/2508.00001}
    upvotes: 3
  - id: "2508.00002"
    title: Only On Day One
    abstract: Day one only.
"""

DAY2 = """\
title: Daily Papers
date: 2025-08-21
papers:
  - id: "2508.00001v2"
    title: Shared Paper About Agents
    authors: [Ada Lovelace, Alan Turing]
    abstract: A much longer abstract that says more about the shared paper.
    links: {abs: https://arxiv.org/abs/2508.00001, code: https://github.com/x/y}
    upvotes: 10
  - id: "2508.00003"
    title: Only On Day Two
    abstract: Day two only.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_same_paper_in_two_digests_is_one_paper_with_both_days(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    _write(folder, "2025-08-21.yaml", DAY2)
    lib = open_library(Paths.from_env(), Config(), [folder])
    assert sorted(lib.papers) == ["2508.00001", "2508.00002", "2508.00003"]
    shared = lib.papers["2508.00001"]
    assert shared.dates == ["2025-08-20", "2025-08-21"]
    assert shared.abstract.startswith("A much longer abstract")
    assert shared.upvotes == 10
    assert shared.has_code
    assert lib.days() == ["2025-08-21", "2025-08-20"]
    assert [p.title for p in lib.ordered()][:2] == ["Only On Day Two", "Shared Paper About Agents"]


def test_library_folder_config_folders_and_paths_all_count(tmp_path: Path) -> None:
    paths = Paths.from_env()
    _write(paths.library_dir, "a.yaml", DAY1)
    configured = tmp_path / "configured"
    _write(configured / "sub", "b.yaml", DAY2)
    lib = open_library(paths, Config(library=[configured]))
    assert len(lib.papers) == 3
    assert not lib.is_sample


def test_with_nothing_configured_the_sample_digests_open() -> None:
    lib = open_library(Paths.from_env(), Config())
    assert lib.is_sample
    assert len(lib.papers) >= 40
    assert len(lib.days()) >= 3
    assert len({d.format for d in lib.digests}) >= 2


def test_a_second_start_reads_only_changed_files(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    one = _write(folder, "2025-08-20.yaml", DAY1)
    _write(folder, "2025-08-21.yaml", DAY2)
    paths = Paths.from_env()
    first = open_library(paths, Config(), [folder])
    assert (first.stats.parsed, first.stats.cached) == (2, 0)
    second = open_library(paths, Config(), [folder])
    assert (second.stats.parsed, second.stats.cached) == (0, 2)
    assert second.papers["2508.00001"].dates == ["2025-08-20", "2025-08-21"]
    one.write_text(DAY1.replace("Only On Day One", "Renamed On Day One"), encoding="utf-8")
    os.utime(one, ns=(1, 1))  # a different mtime even on coarse clocks
    third = open_library(paths, Config(), [folder])
    assert (third.stats.parsed, third.stats.cached) == (1, 1)
    assert third.papers["2508.00002"].title == "Renamed On Day One"


def test_a_damaged_cache_is_read_again_and_nothing_is_lost(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    for f in paths.library_cache.iterdir():
        f.write_bytes(b"\x00garbage{")
    lib = open_library(paths, Config(), [folder])
    assert lib.stats.parsed == 1
    assert len(lib.papers) == 2


def test_a_bad_file_does_not_stop_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "good.yaml", DAY1)
    _write(folder, "bad.yaml", "papers: [unclosed\n")
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    lib = open_library(Paths.from_env(), Config(), [folder])
    assert len(lib.papers) == 2
    bad = [str(p) for p in lib.problems if p.severity == "error"]
    assert any("bad.yaml" in p for p in bad)
    assert any("binary.json" in p for p in bad)


def test_paths_opened_in_the_app_stay_in_the_library(tmp_path: Path) -> None:
    digest = _write(tmp_path / "elsewhere", "2025-08-20.yaml", DAY1)
    paths = Paths.from_env()
    remember_sources(paths, [digest])
    lib = open_library(paths, Config())
    assert not lib.is_sample
    assert sorted(lib.papers) == ["2508.00001", "2508.00002"]


def test_a_paper_known_only_by_title_joins_its_arxiv_entry(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    _write(
        folder,
        "newsletter.yaml",
        "title: A newsletter\ndate: 2025-08-22\npapers:\n"
        "  - title: 'Shared paper about AGENTS!'\n    abstract: No arXiv link here.\n"
        "  - title: A Paper Nobody Else Has\n",
    )
    lib = open_library(Paths.from_env(), Config(), [folder])
    shared = lib.papers["2508.00001"]
    assert shared.dates == ["2025-08-20", "2025-08-22"]
    assert not [
        p
        for p in lib.papers.values()
        if p.title.lower().startswith("shared paper") and p.id != "2508.00001"
    ]
    assert any(
        p.id.startswith("t:") and p.title == "A Paper Nobody Else Has" for p in lib.papers.values()
    )


def test_a_partial_open_paints_from_the_newest_papers_then_reads_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reader.library as library

    monkeypatch.setattr(library, "SNAPSHOT_HEAD", 2)
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    _write(folder, "2025-08-21.yaml", DAY2)
    paths = Paths.from_env()
    full = open_library(paths, Config(), [folder])  # writes the snapshot
    assert full.complete and full.expected == 3
    part = open_library(paths, Config(), [folder], partial=True)
    assert not part.complete
    assert [p.id for p in part.ordered()] == [p.id for p in full.ordered()][:2]
    assert part.expected == 3
    rest = part.load_rest()
    assert rest.complete and sorted(rest.papers) == sorted(full.papers)
    # the papers already shown are the same objects, so the cursor stays put
    assert rest.ordered()[0] is part.ordered()[0]
    assert rest.papers["2508.00001"].dates == ["2025-08-20", "2025-08-21"]


def _catalog_rows(paths: Paths) -> dict[str, tuple[tuple[int, int], bytes]]:
    """Paper id -> ((block, slot), its stored row) in the catalog."""
    with contextlib.closing(sqlite3.connect(paths.library_cache / "catalog.sqlite")) as db:
        keys = db.execute("SELECT id, block, slot FROM papers").fetchall()
        (zdict,) = db.execute("SELECT v FROM meta WHERE k = 'zdict'").fetchone()
        blocks = {n: catalog._Block(d, zdict) for n, d in db.execute("SELECT n, data FROM blocks")}
    return {
        bytes(i).decode(): ((n, slot), marshal.dumps(blocks[n].fields(slot))) for i, n, slot in keys
    }


def _damage_row(paths: Paths, pid: str) -> None:
    """A byte flipped in the middle of the block that holds ``pid``'s row."""
    with contextlib.closing(sqlite3.connect(paths.library_cache / "catalog.sqlite")) as db:
        (n,) = db.execute("SELECT block FROM papers WHERE id = ?", (pid.encode(),)).fetchone()
        (data,) = db.execute("SELECT data FROM blocks WHERE n = ?", (n,)).fetchone()
        bad = bytearray(data)
        bad[len(bad) // 2] ^= 0xFF
        db.execute("UPDATE blocks SET data = ? WHERE n = ?", (bytes(bad), n))
        db.commit()


@pytest.mark.parametrize("how", ["partial", "lazy"])
def test_a_damaged_catalog_row_is_rebuilt_never_half_read(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    good = _catalog_rows(paths)
    _damage_row(paths, "2508.00002")
    if how == "partial":
        lib = open_library(paths, Config(), [folder], partial=True).load_rest()
        assert lib.complete
        assert sorted(lib.papers) == ["2508.00001", "2508.00002"]
    else:
        lib = open_library(paths, Config(), [folder], lazy=True)
        assert lib.papers["2508.00001"].upvotes == 3
        # the damaged row: read from the digests instead, and so is every other
        assert lib.papers["2508.00002"].title == "Only On Day One"
        assert sorted(lib.papers) == ["2508.00001", "2508.00002"]
    # a good catalog is written again
    assert {pid: r for pid, (_, r) in _catalog_rows(paths).items()} == {
        pid: r for pid, (_, r) in good.items()
    }
    assert open_library(paths, Config(), [folder]).stats.parsed == 0


# --- one paper from several sources: the right abstract, links and ids ---------------

NEWSLETTER = """\
# ML Papers of The Week

## Top ML Papers of the Week (June 23 - June 29) - 2025

| **Paper** | **Links** |
| ------------- | ------------- |
| 1) **MEM1** - A newsletter's own long retelling of the paper, longer than the real abstract by far, with its findings as it read them. | [Paper](http://arxiv.org/abs/2506.15841), [Tweet](https://x.com/a/status/1) |
"""

ARXIV_LINE = (
    '{"id": "2506.15841", "title": "MEM1: Learning to Synergize Memory and Reasoning",'
    ' "authors": ["Zijian Zhou"], "summary": "The authors\' abstract.",'
    ' "comment": "SCIA 2025", "abs": "http://arxiv.org/abs/2506.15841",'
    ' "pdf": "https://arxiv.org/pdf/2506.15841v2", "categories": ["cs.CL"]}\n'
)


def test_the_arxiv_abstract_wins_over_a_longer_newsletter_paraphrase(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "papers-of-the-week.md", NEWSLETTER)
    _write(folder, "2025-06-23.jsonl", ARXIV_LINE)
    lib = open_library(Paths.from_env(), Config(), [folder])
    paper = lib.papers["2506.15841"]
    assert paper.abstract == "The authors' abstract."
    # the newsletter's words are kept apart, under its name
    [summary] = paper.summaries
    assert summary.source == "ML Papers of The Week"
    assert summary.text.startswith("A newsletter's own long retelling")
    # the comment is a field of its own
    assert paper.arxiv_comments == "SCIA 2025"
    # one https abs link (http and https were the same link), one pdf link
    labels = [(lk.label, lk.url) for lk in paper.links if lk.label in ("abs", "pdf")]
    assert labels == [
        ("abs", "https://arxiv.org/abs/2506.15841"),
        ("pdf", "https://arxiv.org/pdf/2506.15841v2"),  # one pdf link, any version
    ]
    assert paper.url == "https://arxiv.org/abs/2506.15841"


def test_the_ranked_abstract_survives_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "papers-of-the-week.md", NEWSLETTER)
    _write(folder, "2025-06-23.jsonl", ARXIV_LINE)
    open_library(Paths.from_env(), Config(), [folder])
    again = open_library(Paths.from_env(), Config(), [folder])
    assert again.stats.parsed == 0
    paper = again.papers["2506.15841"]
    assert paper.abstract == "The authors' abstract." and paper.arxiv_comments == "SCIA 2025"
    assert [s.source for s in paper.summaries] == ["ML Papers of The Week"]
    # a newsletter read on its own still shows its words, from the per-file cache too
    (folder / "2025-06-23.jsonl").unlink()
    alone = open_library(Paths.from_env(), Config(), [folder])
    assert alone.papers["2506.15841"].abstract.startswith("A newsletter's own long retelling")


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Humanity\u2019s Last Exam", "Humanity's Last Exam"),
        ("\u201cQuoted\u201d Titles Fold", '"Quoted" Titles Fold'),
        ("Self\u2011Supervised Depth \u2013 Revisited", "Self-Supervised Depth - Revisited"),
        ("Depth\u00a0Anything", "Depth Anything"),
    ],
)
def test_a_title_with_typographic_punctuation_is_the_same_paper(
    tmp_path: Path, typed: str, plain: str
) -> None:
    folder = tmp_path / "digests"
    _write(
        folder,
        "newsletter.yaml",
        f"date: 2025-01-25\npapers:\n  - title: {json.dumps(typed)}\n    abstract: No id here.\n",
    )
    _write(
        folder,
        "2025-01-24.yaml",
        f"date: 2025-01-24\npapers:\n  - id: '2501.14249'\n    title: {json.dumps(plain)}\n",
    )
    lib = open_library(Paths.from_env(), Config(), [folder])
    assert list(lib.papers) == ["2501.14249"]
    assert lib.papers["2501.14249"].dates == ["2025-01-24", "2025-01-25"]


# --- the snapshot brought up to date: new, changed and removed files ---------------------

SAMPLES = Path(__file__).resolve().parent.parent / "sample_digests"

TITLES = [
    "Agents That Plan",
    "Agents That Plan...",
    "Sparse Attention at Scale",
    "A Study of Retrieval",
    "a study of retrieval",
    "Diffusion for Text",
    "Small Models, Big Plans",
    "Small Models – Big Plans",
]


def _view(lib: Library) -> tuple[object, ...]:
    """Everything a user sees of a library: the list, every merged field, the
    digests and the problems."""
    papers = {
        pid: {**p.to_dict(), "abstract_rank": p.abstract_rank} for pid, p in lib.papers.items()
    }
    return (
        [p.id for p in lib.ordered()],
        papers,
        [dataclasses.astuple(d) for d in lib.digests],
        list(lib.problems),
    )


def _generated_day(rng: random.Random, day: str, titled: bool) -> str:
    """A digest whose papers overlap other days': shared ids, and (``titled``)
    papers known only by a title that another paper has with an id."""
    papers = []
    for _ in range(rng.randint(0, 7)):
        paper: dict[str, object] = {"title": rng.choice(TITLES)}
        if not titled or rng.random() < 0.7:
            paper["id"] = f"2508.{rng.randint(1, 12):05d}"
        if rng.random() < 0.6:
            paper["abstract"] = "Words " * rng.randint(1, 6)
        paper["authors"] = [f"Author {i}" for i in range(rng.randint(0, 3))]
        if rng.random() < 0.5:
            paper["upvotes"] = rng.randint(0, 50)
        if rng.random() < 0.5:
            paper["tags"] = rng.sample(["cs.CL", "cs.LG", "cs.AI", "agents"], rng.randint(1, 3))
        if rng.random() < 0.4:
            paper["links"] = {"code": f"https://github.com/x/{rng.randint(1, 3)}"}
        if rng.random() < 0.3:
            paper["ai_summary"] = "Sum " * rng.randint(1, 4)
        papers.append(paper)
    return yaml.safe_dump({"title": f"Day {day}", "date": day, "papers": papers})


def _check_update(
    paths: Paths, folder: Path, parsed: int, app: bool = True, lazy: bool = False
) -> None:
    """Opened from the catalog of the step before, the library is the one a
    read from scratch gives, and only the changed files were parsed (``lazy``:
    a command's update, which reads only the rows it needs); then the app
    opens it, and it reads back as the same library."""
    updated = open_library(paths, Config(), [folder], lazy=lazy)
    scratch = open_library(paths, Config(), [folder], use_cache=False)
    assert _view(updated) == _view(scratch)
    assert updated.stats.parsed == parsed
    if not app:
        return
    assert _view(open_library(paths, Config(), [folder], partial=True).load_rest()) == _view(
        scratch
    )
    again = open_library(paths, Config(), [folder])  # the snapshot the app wrote
    assert again.stats.parsed == 0
    assert _view(again) == _view(scratch)


@pytest.mark.parametrize("titled", [True, False], ids=["title-ids", "ids-only"])
@pytest.mark.parametrize("seed", range(10))
def test_an_updated_snapshot_is_the_library_read_from_scratch(
    tmp_path: Path, seed: int, titled: bool
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "digests"
    for sample in SAMPLES.iterdir() if titled else ():  # the samples have title ids
        if sample.is_file() and sample.name != "README.md":
            _write(folder, sample.name, sample.read_text(encoding="utf-8"))
    days = [f"2025-09-{d:02d}" for d in rng.sample(range(1, 29), 4 if titled else 8)]
    for day in days:
        _write(folder, f"{day}.yaml", _generated_day(rng, day, titled))
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    for step in range(8):
        existing = sorted(p for p in folder.iterdir() if p.suffix == ".yaml")
        what = rng.choice(["add", "add", "change", "remove"])
        if what == "add":
            day = f"2025-09-{rng.randint(1, 28):02d}"
            name = f"{day}-{step}.yaml"  # anywhere in the file order, not only at the end
            _write(folder, name, _generated_day(rng, day, titled))
        elif what == "change":
            victim = rng.choice(existing)
            victim.write_text(_generated_day(rng, victim.stem[:10], titled), encoding="utf-8")
            st = victim.stat()
            os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        else:
            rng.choice(existing).unlink()
        _check_update(
            paths,
            folder,
            parsed=0 if what == "remove" else 1,
            app=step % 3 == 2,
            lazy=step % 2 == 1,
        )


@pytest.mark.parametrize("titled", [True, False], ids=["title-ids", "ids-only"])
@pytest.mark.parametrize("seed", range(6))
def test_a_library_updated_from_the_one_in_memory_is_the_library_read_from_scratch(
    tmp_path: Path, seed: int, titled: bool
) -> None:
    """The app reads the library again after a fetch from the one it holds
    (``current``), not from the snapshot on disk: the same library as a read
    from scratch, and the one it held is left as it was."""
    rng = random.Random(100 + seed)
    folder = tmp_path / "digests"
    for sample in SAMPLES.iterdir() if titled else ():
        if sample.is_file() and sample.name != "README.md":
            _write(folder, sample.name, sample.read_text(encoding="utf-8"))
    for day in [f"2025-09-{d:02d}" for d in rng.sample(range(1, 29), 4 if titled else 8)]:
        _write(folder, f"{day}.yaml", _generated_day(rng, day, titled))
    paths = Paths.from_env()
    held = open_library(paths, Config(), [folder])
    for step in range(6):
        existing = sorted(p for p in folder.iterdir() if p.suffix == ".yaml")
        what = rng.choice(["add", "add", "change", "remove"])
        if what == "add":
            day = f"2025-09-{rng.randint(1, 28):02d}"
            _write(folder, f"{day}-{step}.yaml", _generated_day(rng, day, titled))
        elif what == "change":
            victim = rng.choice(existing)
            victim.write_text(_generated_day(rng, victim.stem[:10], titled), encoding="utf-8")
            st = victim.stat()
            os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        else:
            rng.choice(existing).unlink()
        if step % 2:  # the snapshot on disk is elsewhere: another process moved on
            open_library(paths, Config(), [folder], partial=True)
        before = _view(held)
        assert library_module._updatable(held)  # the one in memory is used
        updated = open_library(paths, Config(), [folder], current=held)
        assert _view(held) == before
        assert _view(updated) == _view(open_library(paths, Config(), [folder], use_cache=False))
        held = updated


def test_a_new_file_is_parsed_alone_and_a_removed_one_takes_only_its_papers(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    # The parse cache of the file already read is gone: were it read again it
    # would have to be parsed, and the count would say so.
    for f in paths.library_cache.glob("*.bin"):
        f.unlink()
    _write(folder, "2025-08-21.yaml", DAY2.replace("2508.00001v2", "2508.00009"))
    lib = open_library(paths, Config(), [folder])
    assert lib.stats.parsed == 1
    assert sorted(lib.papers) == ["2508.00001", "2508.00002", "2508.00003", "2508.00009"]
    # DAY2 as it is shares 2508.00001 with DAY1: both merge into one paper
    _write(folder, "2025-08-21.yaml", DAY2)
    lib = open_library(paths, Config(), [folder])
    shared = lib.papers["2508.00001"]
    assert shared.dates == ["2025-08-20", "2025-08-21"] and shared.upvotes == 10
    # removing DAY1 removes what only it gave, and its part of the shared paper
    (folder / "2025-08-20.yaml").unlink()
    lib = open_library(paths, Config(), [folder])
    assert sorted(lib.papers) == ["2508.00001", "2508.00003"]
    assert lib.papers["2508.00001"].dates == ["2025-08-21"]
    assert lib.stats.parsed == 0
    assert [d.path for d in lib.digests] == [str(folder / "2025-08-21.yaml")]


def test_updates_over_real_digests_equal_a_read_from_scratch(tmp_path: Path, real: Path) -> None:
    """Real files (linked, never copied) that share papers: the arXiv listing of
    a day and the same papers with Chinese summaries; HF days of several schema
    generations; YAML papers with LaTeX titles; a Markdown index."""
    folder = tmp_path / "digests"
    folder.mkdir()

    def link(name: str, target: str) -> Path:
        dst = folder / name
        dst.unlink(missing_ok=True)
        dst.symlink_to(real / target)
        return dst

    link("a-2024-05-27.json", "hf_daily_json/2024-05-27.json")
    link("b-2025-10-03.json", "hf_daily_json/2025-10-03.json")
    link("c-arxiv.json", "arxiv_daily_json/shiyibihua_2025-12-18_arxiv.json")
    link("d-nabla.yaml", "hf_daily_yaml/" + next(
        p.name for p in (real / "hf_daily_yaml").glob("2024-06-21+*.yaml")))  # fmt: skip
    link("e-index.md", "arxiv_daily_markdown/shiyibihua_cs-AI_2023-12-01_index.md")
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    # add: the same papers with summaries, early in the file order
    link("c-arxiv-summary.json", "arxiv_daily_json/shiyibihua_2025-12-18_ai_summary.json")
    _check_update(paths, folder, parsed=1)
    # change: a day becomes another day of another schema
    link("b-2025-10-03.json", "hf_daily_json/2026-08-21.json")
    _check_update(paths, folder, parsed=1)
    # remove: the listing goes, its papers stay through the summaries
    (folder / "c-arxiv.json").unlink()
    _check_update(paths, folder, parsed=0)
    # remove the last source of those papers, and add a YAML paper
    (folder / "c-arxiv-summary.json").unlink()
    link("f-l2.yaml", "hf_daily_yaml/" + next(
        p.name for p in (real / "hf_daily_yaml").glob("2024-06-18+*.yaml")))  # fmt: skip
    _check_update(paths, folder, parsed=1)


def test_updates_beside_a_big_archive_parse_only_the_changed_file(
    tmp_path: Path, real: Path
) -> None:
    """The Hugging Face archive (580 days, 9,881 records, papers on several
    days) stays; a day it also holds comes, changes and goes. Its papers are
    merged again with the archive's records as the catalog keeps them: no
    parse cache, and the archive is never parsed again."""
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "b-archive.tar.gz").symlink_to(
        real / "hf_daily_json/hf_daily_papers_2024-05-27_to_2026-08-21.tar.gz"
    )
    day = folder / "a-day.json"
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    assert list(paths.library_cache.glob("*.bin")) == []
    day.symlink_to(real / "hf_daily_json/2025-10-03.json")  # before the archive in file order
    _check_update(paths, folder, parsed=1, lazy=True)
    shared = open_library(paths, Config(), [folder], lazy=True).papers
    assert any(len(shared[p.id].sources) > 1 for p in _first_digest(day))
    day.unlink()
    day.symlink_to(real / "hf_daily_json/2026-08-21.json")
    _check_update(paths, folder, parsed=1)
    day.unlink()
    _check_update(paths, folder, parsed=0, app=False)


def _first_digest(path: Path) -> list[Any]:
    from reader.formats import load_path

    return load_path(path)[0].papers


def test_a_new_first_source_whose_title_may_give_way_is_merged_whole(tmp_path: Path) -> None:
    """The one rule that makes merging depend on grouping: a title ending in
    "..." gives way to a longer one, but not to a shorter one met first."""
    folder = tmp_path / "digests"

    def day(name: str, title: str) -> None:
        _write(
            folder, name, f'date: 2025-09-01\npapers:\n  - {{id: "2509.00001", title: "{title}"}}\n'
        )

    day("b.yaml", "Diffusion for Text")
    day("c.yaml", "Sparse Attention at Scale")
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    day("a.yaml", "Agents That Plan...")  # a new first source
    _check_update(paths, folder, parsed=1)
    assert open_library(paths, Config(), [folder]).papers["2509.00001"].title == (
        "Sparse Attention at Scale"
    )


def test_an_update_writes_only_the_rows_it_touched(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    before = _catalog_rows(paths)
    _write(folder, "2025-08-21.yaml", DAY2)
    lib = open_library(paths, Config(), [folder])
    assert lib.stats.parsed == 1
    after = _catalog_rows(paths)
    assert sorted(after) == ["2508.00001", "2508.00002", "2508.00003"]
    assert after["2508.00002"] == before["2508.00002"]  # untouched: the same row, not rewritten
    assert after["2508.00001"][0] != before["2508.00001"][0]  # merged again: in a new block
    assert after["2508.00001"][1] != before["2508.00001"][1]
    # the next command reads the catalog only, and only what it asks for
    again = open_library(paths, Config(), [folder], lazy=True)
    assert again.stats.parsed == 0
    assert again.papers["2508.00001"].upvotes == 10
    assert _view(again) == _view(open_library(paths, Config(), [folder], use_cache=False))


def test_an_update_that_read_other_files_is_written_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    _write(folder, "2025-08-20.yaml", DAY1)
    day2 = _write(folder, "2025-08-21.yaml", DAY2)
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    # DAY2 changes; its paper 2508.00001 is merged again with DAY1's, read
    # from DAY1's parse cache: the next command should not have to again
    day2.write_text(DAY2.replace("upvotes: 10", "upvotes: 12"), encoding="utf-8")
    lib = open_library(paths, Config(), [folder])
    assert lib.papers["2508.00001"].upvotes == 12
    assert lib.papers["2508.00001"].dates == ["2025-08-20", "2025-08-21"]
    for f in paths.library_cache.glob("*.bin"):
        f.unlink()  # were a parse cache read again, the file would be parsed
    again = open_library(paths, Config(), [folder], lazy=True)
    assert again.stats.parsed == 0
    assert again.papers["2508.00001"].upvotes == 12


def _titled_day(day: str, papers: list[tuple[str | None, str]]) -> str:
    """A digest of (id or None: known by its title only, title) papers."""
    rows = [{"title": t, **({"id": i} if i else {}), "abstract": f"On {t}."} for i, t in papers]
    return yaml.safe_dump({"title": f"Day {day}", "date": day, "papers": rows})


def test_an_update_of_a_titled_library_reads_only_the_blocks_of_the_papers_it_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library with papers known by their title only (the real digests
    have thousands): a day added, fetched again with other papers, then gone,
    each a command's update over the catalog. Each decompresses at most the
    blocks that held the papers it merges again (it read every block three
    times: 84-150 s over the real digests), and gives the library a read
    from scratch gives."""
    folder = tmp_path / "digests"
    for f in range(40):
        papers: list[tuple[str | None, str]] = [
            (None if k % 4 == 0 else f"2507.{f * 16 + k:05d}", f"Paper {f * 16 + k} on topic {f}")
            for k in range(16)
        ]
        _write(
            folder,
            f"2025-07-{f % 28 + 1:02d}-{f}.yaml",
            _titled_day(f"2025-07-{f % 28 + 1:02d}", papers),
        )
    paths = Paths.from_env()
    open_library(paths, Config(), [folder])
    decompressed = [0]

    class Counted(catalog._Block):
        def __init__(self, data: bytes, zdict: bytes) -> None:
            decompressed[0] += 1
            super().__init__(data, zdict)

    day = folder / "2025-08-30.yaml"
    steps = [
        [
            (None, "Paper 5 on topic 0"),  # folds into 2507.00005
            ("2507.00300", "Paper 300 on topic 18"),  # met before
            ("2508.00001", "Paper 64 on topic 4"),  # the title of a t: paper: it folds in
            ("2508.00002", "A new paper"),
            (None, "A new paper known by its title"),
        ],
        [(None, "Paper 5 on topic 0"), ("2508.00003", "Paper 129 on topic 8")],  # fetched again
        None,  # gone
    ]
    for papers_of_day in steps:
        with contextlib.closing(sqlite3.connect(paths.library_cache / "catalog.sqlite")) as db:
            block_of = {bytes(i).decode(): n for i, n in db.execute("SELECT id, block FROM papers")}
            blocks = db.execute("SELECT count(*) FROM blocks").fetchone()[0]
        if papers_of_day is None:
            day.unlink()
        else:
            day.write_text(_titled_day("2025-08-30", papers_of_day), encoding="utf-8")
            os.utime(day, ns=(1, 10**18 + len(papers_of_day)))
        monkeypatch.setattr(catalog, "_Block", Counted)
        decompressed[0] = 0
        updated = open_library(paths, Config(), [folder], lazy=True)
        read = decompressed[0]
        monkeypatch.setattr(catalog, "_Block", Counted.__mro__[1])
        assert updated.version is not None
        merged = {block_of[pid] for pid in updated.version.touched if pid in block_of}
        assert 0 < len(merged) < blocks // 4
        assert read <= len(merged)
        assert _view(updated) == _view(open_library(paths, Config(), [folder], use_cache=False))


def test_the_catalog_finds_papers_of_a_title_as_the_papers_themselves_do(tmp_path: Path) -> None:
    """The titles an update of a titled library looks for, found from the
    catalog's key rows, are those found by reading every paper: capitals,
    accents, typography, letters that fold to ASCII (ß, K), long titles."""
    from reader.ids import normalise_title

    titles = [
        "Agents That Plan",
        "agents that plan",
        "Agents — That “Plan”",
        "Ágents That Plan",
        "Straße Models",
        "STRASSE models",
        "\u212a-Means Again",  # the Kelvin sign folds to an ASCII k
        "k means again",
        "İstanbul Benchmarks",
        "",
        "2 Agents",
        " ".join(["Word"] * 30) + " Tail",
        "Tab\tIn A Title",
        "Émile and Friends",
    ]
    papers: list[tuple[str | None, str]] = []
    for n, title in enumerate(titles * 2):
        papers.append(
            (f"2509.{n:05d}" if n % 3 else None, title + ("" if n < len(titles) else " 2"))
        )
    folder = tmp_path / "digests"
    _write(folder, "a.yaml", _titled_day("2025-09-01", papers))
    paths = Paths.from_env()
    whole = open_library(paths, Config(), [folder])
    lazy = open_library(paths, Config(), [folder], lazy=True)
    assert isinstance(lazy.papers, catalog.CatalogPapers)
    normalised = {normalise_title(p.title) for p in whole.papers.values()} | {"agents", "k"}
    for wanted in [{t} for t in sorted(normalised)] + [normalised]:
        got = library_module._same_titles(lazy.papers, wanted)
        assert sorted(got) == sorted(library_module._same_titles(whole.papers, wanted))
    many = {f"word{n} title" for n in range(catalog._TITLE_WORDS + 1)} | normalised
    assert sorted(library_module._same_titles(lazy.papers, many)) == sorted(
        library_module._same_titles(whole.papers, many)
    )
