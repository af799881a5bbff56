"""Make docs/screenshot.svg: the app at 120x32 over the bundled sample digests.

python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


async def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="dr-shot-"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(home / var.lower())
    from reader.tui.app import build_app

    app = build_app([])
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.pause(0.5)
        await pilot.press(*"jjjjjjjjjjjjjj", "s", "t", *"agents", "enter")
        await pilot.pause(0.5)
        app.save_screenshot(filename="screenshot.svg", path=str(REPO / "docs"))


if __name__ == "__main__":
    asyncio.run(main())
