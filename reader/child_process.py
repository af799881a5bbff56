"""Ending a child process of ours: the index's sync child
(:mod:`reader.search.index.apart`) and the large file's parse child
(:mod:`reader.parse_apart`) end the same way."""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any


def end_child(proc: subprocess.Popen[Any], *, finished: bool, grace: float) -> None:
    """End child ``proc``: one that ``finished`` (sent its answer and is
    exiting) is waited for ``grace`` seconds; then it is asked to stop
    (SIGTERM), and killed after ``grace`` more."""
    if finished:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
