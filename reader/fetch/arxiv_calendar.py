"""arXiv's announcement calendar, to say why a feed is empty.

arXiv announces Sunday to Thursday at 20:00 US Eastern; the RSS feed dated the
next day (Monday to Friday) carries it. Nothing is announced on Friday and
Saturday nights, so the feeds of Saturday and Sunday are empty, and none on
its holidays. The holidays are those arXiv published for 2026; another year
is judged by the weekday only. An empty feed is never an error: this only
words the line.
"""

from __future__ import annotations

import datetime as dt

#: 2026 days without an announcement, as arXiv lists them.
HOLIDAYS = frozenset(
    dt.date(2026, m, d)
    for m, d in ((1, 1), (1, 19), (6, 19), (7, 3), (9, 7), (11, 26), (12, 25), (12, 29), (12, 31))
)


def why_empty(day: dt.date) -> str:
    """Why the feed of ``day`` may be empty, in a few words."""
    if day.weekday() >= 5:
        return f"arXiv does not announce on {day.strftime('%A')}s"
    if day in HOLIDAYS:
        return "an arXiv holiday"
    return "the feed is empty; arXiv usually announces that day, try again later"
