"""Generations on disk: the stamp that says a folder is ours, names of
generations and builds, and small file helpers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

#: Bump when the schema, the analyzer or the sidecar changes: older indexes are rebuilt.
#: 5: text indexed as shown (LaTeX rendered), Greek letters and scripts as words.
#: 6: fast postings hold positions (phrases and fields answered with numpy).
#: 7: the sidecar is sealed and lists every file's size and CRC32 (:mod:`.integrity`).
#: 8: text postings stored once, compactly, in the fast postings (Whoosh reads
#:    them there): no positions in a bulk segment's .pst.
#: 9: a posting's weight and frequency one byte (a code of the segment's pairs);
#:    a full build's ids only in its fast postings (not in .trm and stored fields).
#: 10: the papers' hashes in binary pieces beside the sidecar (:mod:`.hashes`),
#:    not base64 inside it.
#: 11: a segment's broad prefixes (one or two letters) keep their documents'
#:    bitmaps in its fast postings (``a*`` a filter, answered without its postings).
#: 12: a posting's code is its frequency and its split over the fields (a
#:    field's count of each posting known from its code, not its positions).
#: 13: a broad run's bitmaps are a field's each (``abs:co*`` from its bitmap,
#:    not from its 4 million postings a segment at 1M papers).
INDEX_VERSION = 13
STAMP_NAME = "digest-reader-index.json"
SIDECAR_NAME = "hashes.json"
STAMP_FORMAT = "digest-reader-index"
#: tmp-* builds older than this are removed even if their owner seems alive.
STALE_BUILD_SECONDS = 6 * 3600
_GEN_RE = re.compile(r"^ix-[0-9a-f]{16}$")
_TMP_RE = re.compile(r"^tmp-[0-9a-f]{16}$")
_FAST_RE = re.compile(r"^fast-\w+\.bin$")


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None


def _stamp(token: str) -> dict[str, Any]:
    import whoosh

    return {
        "format": STAMP_FORMAT,
        "version": INDEX_VERSION,
        "token": token,
        "whoosh": whoosh.versionstring(),
    }


def _stamp_ok(folder: Path, token: str) -> bool:
    data = _read_json(folder / STAMP_NAME)
    return isinstance(data, dict) and data == _stamp(token)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# --------------------------------------------------------------------------
