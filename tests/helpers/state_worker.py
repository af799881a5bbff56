"""A second process changing the state: ``state_worker.py STATE NAME COUNT [lazy]``
(``lazy``: reading the file as the CLI does).

Makes COUNT changes (a tag on a paper shared with other workers, a star on its
own paper, a note on its own paper, in turn), each one a separate locked save,
and prints ``ack N`` after each save returned.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reader.state import StateStore


def main() -> int:
    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = StateStore(path, lazy=sys.argv[4:] == ["lazy"])
    store.load()
    if store.read_only:
        print(store.problem, flush=True)
        return 1
    for i in range(count):
        kind = i % 3
        if kind == 0:
            store.add_tags([f"2401.{10000 + i % 7}"], [f"{name}-{i}"])
        elif kind == 1:
            store.set_starred([f"{name}.{i}"], True)
        else:
            store.set_note(f"{name}.{i}", f"note {i} from {name}")
        print(f"ack {i}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
