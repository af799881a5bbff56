"""First paint from outside: the time from typing ``digest-reader PATH`` to the
paper list on screen, in a real terminal (tmux), with a warm cache and index.

    python benchmarks/paint_bench.py [PATH] [--runs N] [--size WxH]

PATH defaults to ../shared/real_digests (91,714 papers). The script first
runs ``digest-reader index PATH`` in a temporary XDG home (so the cache and
the index are warm, as on any start after the first), then starts the app in
a fresh tmux server N times and polls the screen every 20 ms until the status
line shows the list. tmux's own start is included in each figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO.parent / "shared" / "real_digests"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="160x48")
    args = ap.parse_args()
    command = Path(sys.executable).parent / "digest-reader"
    if not shutil.which("tmux") or not command.exists() or not args.path.exists():
        print(f"needs tmux, {command} and {args.path}")
        return 1
    home = Path(tempfile.mkdtemp(prefix="dr-paint-"))
    env = {
        var: str(home / var.lower())
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
    }
    started = time.monotonic()
    subprocess.run([str(command), "index", str(args.path)], env={**os.environ, **env}, check=True,
                   capture_output=True)  # fmt: skip
    print(f"warm-up (read digests, build index): {time.monotonic() - started:.1f} s")
    w, h = args.size.split("x")
    sock = f"paint{os.getpid()}"
    flags = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
    times = []
    for _ in range(args.runs):
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
        time.sleep(0.5)
        t0 = time.monotonic()
        subprocess.run(
            ["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-x", w, "-y", h, *flags,
             f"TERM=xterm-256color {command} {args.path}; sleep 5"],
            check=True,
        )  # fmt: skip
        while time.monotonic() - t0 < 30:
            screen = subprocess.run(
                ["tmux", "-L", sock, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
            if "papers" in screen.splitlines()[0] if screen else False:
                break
            time.sleep(0.02)
        times.append(time.monotonic() - t0)
    subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"first paint (s): {' '.join(f'{t:.2f}' for t in times)}")
    print(f"median {statistics.median(times):.2f} s, load average {load:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
