"""What one fetch did for one source and day, and how that is said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reader.wording import counted

#: The statuses a day can end with.
NEW = "new"  # the day was not stored before
UPDATED = "updated"  # new papers, or changed signals (upvotes, comments, stars)
UNCHANGED = "unchanged"
NO_ANNOUNCEMENT = "no announcement"  # an empty answer: nothing stored, nothing hidden
ERROR = "error"
STATUSES = (NEW, UPDATED, UNCHANGED, NO_ANNOUNCEMENT, ERROR)


@dataclass
class DayResult:
    source: str
    #: ``YYYY-MM-DD``, or what was asked (``2026-W48``) when the answer never came.
    date: str
    status: str
    #: Papers stored for the day after the fetch.
    papers: int = 0
    #: Papers that were not stored before.
    new: int = 0
    #: Why it failed: names the URL and the reason.
    error: str = ""
    #: The stored file (None when nothing is stored).
    path: str | None = None
    #: Why a day is empty, for the line (not in ``to_json``).
    note: str = ""
    #: For an error because the host could not be connected to: that reason
    #: without the URL (``cannot connect to huggingface.co (...)``), the same
    #: for every day of it, so :func:`report_lines` says it once.
    unreachable: str = ""

    @property
    def ok(self) -> bool:
        return self.status != ERROR

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "date": self.date,
            "status": self.status,
            "papers": self.papers,
            "new": self.new,
            "error": self.error or None,
        }

    def line(self) -> str:
        """``hf 2026-11-30: updated, 52 papers, 3 new``."""
        head = f"{self.source} {self.date}: {self.status}"
        if self.status == ERROR:
            return f"{head}: {self.error}"
        if self.status == NO_ANNOUNCEMENT:
            return f"{head} ({self.note or 'nothing listed'}; stored days kept)"
        if self.status == UNCHANGED:
            return f"{head}, {counted(self.papers, 'paper')}"
        return f"{head}, {counted(self.papers, 'paper')}, {self.new:,} new"


def report_lines(results: list[DayResult]) -> list[tuple[bool, str]]:
    """The lines of a fetch, each with whether it is good news: one per day,
    but one for a source whose every day (two or more) failed because its host
    could not be connected to: ``hf: cannot connect to huggingface.co (...)
    (after 3 retries): 8 days not fetched, 2026-11-24 to 2026-12-01``."""
    by_source: dict[str, list[DayResult]] = {}
    for r in results:
        by_source.setdefault(r.source, []).append(r)
    lines: list[tuple[bool, str]] = []
    said: set[str] = set()
    for r in results:
        days = by_source[r.source]
        why = {d.unreachable for d in days}
        if len(days) < 2 or len(why) != 1 or not r.unreachable:
            lines.append((r.ok, r.line()))
            continue
        if r.source in said:
            continue
        said.add(r.source)
        dates = sorted(d.date for d in days)
        lines.append(
            (
                False,
                f"{r.source}: {r.unreachable}: {counted(len(days), 'day')} not fetched,"
                f" {dates[0]} to {dates[-1]}",
            )
        )
    return lines


def summary(results: list[DayResult]) -> str:
    """One line for a status bar or a notification: ``"12 new papers; nlp failed"``."""
    new = sum(r.new for r in results)
    failed = sorted({r.source for r in results if not r.ok})
    parts = [f"{counted(new, 'new paper')}" if new else "nothing new"]
    if failed:
        parts.append(f"{', '.join(failed)} failed")
    return "; ".join(parts)
