"""Shared fixtures: every test gets its own empty XDG folders, so nothing a test
does touches the real home; real digests are read from ../shared when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis runs the same examples on every run (CI is never flaky): each
# property test is derandomized, with no example database carried between
# runs. Explicit @example()s pin the shapes that once failed. To look for new
# failures on purpose: HYPOTHESIS_PROFILE=explore pytest tests/test_x.py
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DIGEST_READER_SHARED", REPO.parent / "shared"))
REAL = SHARED / "real_digests"
SEED = SHARED / "seed" / "daily-papers-page.txt"
SAMPLES = REPO / "sample_digests"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Empty XDG config/data/cache folders for this test; returns them by name."""
    dirs = {}
    for var, name in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        d = tmp_path / "xdg" / name
        d.mkdir(parents=True)
        monkeypatch.setenv(var, str(d))
        dirs[name] = d
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("STY", raising=False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.delenv("NO_COLOR")
    return dirs


@pytest.fixture
def real() -> Path:
    """``../shared/real_digests``; the test is skipped with a reason when absent."""
    if not REAL.is_dir():
        pytest.skip(f"real digests not present at {REAL} (they live in ../shared, never here)")
    return REAL


@pytest.fixture
def seed() -> Path:
    """The real Daily Papers page from ``../shared/seed``; skipped when absent."""
    if not SEED.is_file():
        pytest.skip(f"seed page not present at {SEED}")
    return SEED
