"""``python -m reader`` runs the same entry point as ``digest-reader``."""

from __future__ import annotations

from reader.entry import main

raise SystemExit(main())
