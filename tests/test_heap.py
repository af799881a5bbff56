"""The scorer's arrays on pages already touched (``reader.search.index.heap``)."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="glibc's malloc thresholds (elsewhere nothing is changed)",
)

#: In a fresh process: a search, then a query's worth of large arrays made
#: and dropped five times over; the page faults of the last four.
_SCRIPT = """
import resource, sys
import numpy as np
from reader.model import Paper
from reader.search.index import SearchIndex
from reader.search.query import Text

index = SearchIndex(sys.argv[1], procs=1)
index.sync({"2501.00001": Paper(id="2501.00001", title="graph models", abstract="a graph")})
index.search_counted(Text(None, "term", ("graph",)), 10)
faults = []
for rep in range(5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(3 << 17) for _ in range(10)]  # 10 x 3 MB, each page written
    del arrays
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(sum(faults[1:]))
"""


def test_after_a_search_a_query_s_large_arrays_reuse_the_memory_freed(tmp_path: Path) -> None:
    """Once the index has answered a search, the large arrays a query makes
    and drops (docnums, scores: 10 x 3 MB here, a million postings a segment
    at 1M papers) come on memory the process already has: glibc's default
    gave them new pages each time, every page zeroed by the kernel at its
    first touch (7,700 faults a round here; half of ``abs:pre*``'s time at
    1M papers)."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SCRIPT), str(tmp_path / "ix")],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        check=True,
    )
    faults = int(out.stdout.split()[-1])
    assert faults < 400, f"{faults} page faults in 4 rounds of 30 MB made and dropped"


_WARM = """
import resource, sys
import numpy as np
from reader.model import Paper
from reader.search.index import SearchIndex, scorer
from reader.search.query import Text

scorer.HEAP_PER_DOC = 40 << 20  # one document here: 40 MB
index = SearchIndex(sys.argv[1], procs=1)
index.sync({"2501.00001": Paper(id="2501.00001", title="graph models", abstract="a graph")})
index.search_counted(Text(None, "term", ("graph",)), 10)
if sys.argv[2] == "warm":
    index.warm_heap()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
arrays = [np.ones(3 << 17) for _ in range(10)]  # the first query's 30 MB
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_the_warm_up_grows_the_heap_for_the_first_large_query(tmp_path: Path) -> None:
    """``SearchIndex.warm_heap`` (a step of the engine's warm-up, run by the
    app before the first query typed) grows the scorer's heap: the first
    large query's arrays then come on pages already touched. Without it
    they fault page by page (half of the first ``(pro OR pro*)``'s time at
    1M papers)."""
    root = Path(__file__).resolve().parents[1]

    def faults(mode: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_WARM), str(tmp_path / mode), mode],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=120,
            check=True,
        )
        return int(out.stdout.split()[-1])

    cold, warm = faults("cold"), faults("warm")
    assert warm < 300, (cold, warm)
    # (huge pages for every mapping make the heap's growth a few faults)
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    assert cold > 3000 or (thp.is_file() and "[always]" in thp.read_text()), (cold, warm)
