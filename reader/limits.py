"""Caps on what the reader holds and lays out, so that no input, however
large, makes a key wait (each one stated in ``docs/security.md``).

A cap on what is *held* refuses with a message and keeps the old value; a cap
on what is *laid out* shows a part and says how much more there is.
"""

from __future__ import annotations

from reader.wording import counted

#: The most characters a note may hold (about 30 pages of text). The CLI and
#: the note dialog refuse a longer one. A longer note that came from a merge
#: or an older version is kept whole, shown cut and read-only in the dialog.
MAX_NOTE_CHARS = 100_000

#: A line longer than this is not soft-wrapped in the note dialog (it scrolls
#: sideways instead): wrapping a 100,000-character line took 0.5 s per key.
WRAP_MAX_LINE = 2_000


def note_too_long(text: str) -> str | None:
    """Why ``text`` cannot be a note, or None when it can."""
    if len(text) <= MAX_NOTE_CHARS:
        return None
    return (
        f"the note is {counted(len(text), 'character')}; a note holds at most"
        f" {counted(MAX_NOTE_CHARS, 'character')}"
    )


def longest_line(text: str) -> int:
    """The length of the longest line of ``text`` (linear, no copies of it)."""
    longest = start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return max(longest, len(text) - start)
        longest = max(longest, end - start)
        start = end + 1
