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


def summary(results: list[DayResult]) -> str:
    """One line for a status bar or a notification: ``"12 new papers; nlp failed"``."""
    new = sum(r.new for r in results)
    failed = sorted({r.source for r in results if not r.ok})
    parts = [f"{counted(new, 'new paper')}" if new else "nothing new"]
    if failed:
        parts.append(f"{', '.join(failed)} failed")
    return "; ".join(parts)
