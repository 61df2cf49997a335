"""Figures for the one-file executable: size, start to first HTTP 200, and RSS at idle.

    python benchmarks/binary_startup.py                 # builds into a temp dir first
    python benchmarks/binary_startup.py --binary dist/lanboard --runs 10

Each run starts the binary headless on 127.0.0.1 with mDNS off and a fresh data directory,
then polls GET / until it answers 200. "Start" is the moment before the process is spawned,
so the figure includes the one-file bootloader unpacking the bundle to a temp folder. RSS is
read from /proc (Linux only) after the server has sat idle, for the bootloader and for the
LANBoard process under it.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmRSS:"):
            return int(text.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def one_run(binary: Path, idle: float) -> tuple[float, float, int, int]:
    """Seconds to the first 200, the CPU seconds spent by then (bootloader and LANBoard: a
    figure other load on the machine does not inflate), and the RSS (KiB) of each at idle."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(binary), "--headless", "--no-mdns", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = started + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError):
                    pass
                if time.perf_counter() > deadline or proc.poll() is not None:
                    raise RuntimeError("the binary did not answer within 30 s")
                time.sleep(0.005)
            first_200 = time.perf_counter() - started
            linux = sys.platform.startswith("linux")
            kids = children(proc.pid) if linux else []
            cpu = cpu_seconds(proc.pid) + sum(cpu_seconds(k) for k in kids) if linux else 0.0
            time.sleep(idle)
            boot = rss_kib(proc.pid) if linux else 0
            app = sum(rss_kib(k) for k in kids)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    return first_200, cpu, boot, app


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", type=Path, help="an existing build (default: build one now)")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--idle", type=float, default=3.0, help="seconds idle before reading RSS")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        binary = args.binary
        if binary is None:
            t = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"),
                            "--dist", f"{tmp}/dist", "--work", f"{tmp}/work"],
                           check=True, stdout=subprocess.DEVNULL)
            print(f"build time:           {time.perf_counter() - t:.1f} s")
            binary = Path(tmp) / "dist" / ("lanboard.exe" if os.name == "nt" else "lanboard")
        size = binary.stat().st_size
        runs = [one_run(binary, args.idle) for _ in range(max(1, args.runs))]
    starts = [r[0] for r in runs]
    print(f"binary size:          {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB)")
    print(f"start to first 200:   first {starts[0]:.2f} s, median {statistics.median(starts):.2f}"
          f" s, max {max(starts):.2f} s over {len(starts)} runs")
    cpus = [r[1] for r in runs]
    print(f"CPU time to first 200: median {statistics.median(cpus):.2f} s "
          f"(bootloader + LANBoard; unaffected by other load)")
    boot, app = runs[-1][2], runs[-1][3]
    print(f"RSS at idle:          LANBoard {app / 1024:.1f} MiB + bootloader {boot / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
