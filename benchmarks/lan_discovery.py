"""How fast LANBoards find each other and notice one leave, on a two-host LAN made of network
namespaces (needs root, like tests/test_lan_netns.py, which it runs).

    python -m benchmarks.lan_discovery --runs 5

Each run starts LANBoard A in one namespace while a zeroconf browser and LANBoard B wait in the
other, then stops A (SIGTERM: goodbye) and, restarted, kills it (SIGKILL: no goodbye). Printed:
median and worst of
- discovered: from starting A's process to B's browser seeing it (the target is 3 s; Python's
  own startup is part of it, and on a busy machine the larger part),
- after listening: from A logging that it listens to B's browser seeing it (mDNS alone),
- listed: from starting A to B's /api/peers listing it,
- goodbye / dropped: from SIGTERM to B's browser and B's /api/peers losing A (target 3 s),
- killed: from SIGKILL to B's /api/peers losing A (health checks; target "a few seconds").
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LINE = re.compile(
    r"discovered (?P<discovered>[\d.]+) s after start \((?P<listening>-?[\d.]+) s after it "
    r"listened.*listed by the other LANBoard after (?P<listed>[\d.]+) s; goodbye seen "
    r"(?P<goodbye>[\d.]+) s after stop, dropped from /api/peers after (?P<dropped>[\d.]+) s; "
    r"killed \(no goodbye\), dropped after (?P<killed>[\d.]+) s")


def one_run() -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "tests/test_lan_netns.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    m = LINE.search(out.stdout)
    if out.returncode != 0 or m is None:
        raise SystemExit("the LAN test did not pass or was skipped:\n" + out.stdout[-3000:])
    return {k: float(v) for k, v in m.groupdict().items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root to create network namespaces")
    runs = []
    for i in range(args.runs):
        runs.append(one_run())
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()),
              flush=True)
    print(f"\n| measure (s) | median | worst |  ({args.runs} runs, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f})\n|---|---|---|")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"| {key} | {statistics.median(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
