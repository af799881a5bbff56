"""The user's own state: stars, tags, read marks and notes, keyed by paper id.

This is the only precious data the reader holds (see ``docs/state.md``). The
package has four parts, each with one job:

* :mod:`reader.state.records`: the model (per-paper records with the time of
  every change) and the merge of two states;
* :mod:`reader.state.yaml_format`: the file format, records to YAML and back,
  with a check that what is written reads back the same;
* :mod:`reader.state.regular`: the format's regular layout written and read
  line by line (the fast path of a large state; the YAML reader behind it);
* :mod:`reader.state.store`: :class:`StateStore`, the file shared by every
  process: locking, atomic saves, backups, read-only on a bad file.

Everything a caller needs is importable from here (``from reader.state import
StateStore, StateError``).
"""

from __future__ import annotations

from reader.state.records import (
    EPOCH,
    FUTURE_SKEW,
    LAST_TIME,
    MAX_ID,
    MAX_REPLACED,
    MAX_TAG,
    VERSION,
    MergeReport,
    Note,
    NoteVersion,
    PaperRecord,
    PaperState,
    Stamp,
    State,
    format_time,
    make_note,
    merge_notes,
    merge_records,
    merge_states,
    normalise_tag,
    parse_time,
    split_future,
)
from reader.state.store import (
    BACKUP_EVERY,
    LOCK_TIMEOUT,
    MAX_STATE_BYTES,
    StateError,
    StateStore,
    open_state,
)
from reader.state.yaml_format import dump_state, parse_state, record_to_yaml

__all__ = [
    "BACKUP_EVERY",
    "EPOCH",
    "FUTURE_SKEW",
    "LAST_TIME",
    "LOCK_TIMEOUT",
    "MAX_ID",
    "MAX_REPLACED",
    "MAX_STATE_BYTES",
    "MAX_TAG",
    "VERSION",
    "MergeReport",
    "Note",
    "NoteVersion",
    "PaperRecord",
    "PaperState",
    "Stamp",
    "State",
    "StateError",
    "StateStore",
    "dump_state",
    "format_time",
    "make_note",
    "merge_notes",
    "merge_records",
    "merge_states",
    "normalise_tag",
    "open_state",
    "parse_state",
    "parse_time",
    "split_future",
    "record_to_yaml",
]
