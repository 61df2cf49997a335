"""One LANBoard server process for a browser or HTTP benchmark: `python -m lanboard` from a
source tree, headless, no mDNS, on a free loopback port, its output drained so it never
blocks on a full pipe. Stopped by its PID."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

READY = re.compile(r"is running at http://127\.0\.0\.1:(\d+)/")


def start(src: Path, data_dir: Path | str,
          env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], int]:
    """The server of the checkout `src` (its own code, by PYTHONPATH) on `data_dir`, and its
    port. `env` adds variables (a benchmark's rate limits, for example)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(data_dir)],
        cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(src), **(env or {})})
    assert proc.stdout is not None
    for _ in range(200):
        line = proc.stdout.readline()
        m = READY.search(line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep it drained
            return proc, int(m.group(1))
        if not line:
            break
    proc.kill()
    proc.wait(5)
    raise SystemExit(f"the server in {src} did not start")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    if proc.stdout is not None:
        proc.stdout.close()
