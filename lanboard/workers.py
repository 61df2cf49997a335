"""`--workers N`: N LANBoard processes serving one port, sharing boards through Redis.

The parent picks the port and holds it (bound with SO_REUSEPORT, never listening, so the
kernel hands no connection to it), then starts N copies of itself with LANBOARD_WORKER set:
each binds the same port with SO_REUSEPORT and the kernel spreads new connections over them.
Only worker 0 advertises over mDNS (one advertisement per machine; processes started on
their own share a lease in Redis for the same, lanboard/mdnslease.py). The parent restarts a
worker that dies, at most once a second each, and stops them all on SIGINT/SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

from lanboard.settings import Settings

#: Seconds a worker must have run before its death restarts it at once.
RESTART_SPACING = 1.0


def reserve(host: str, port: int) -> tuple[socket.socket, int]:
    """Hold `host:port` (or the next free port, as the server does) for the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last = port if port == 0 else port + 9
    for candidate in range(port, last + 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((host, candidate))
        except OSError:
            sock.close()
            continue
        return sock, sock.getsockname()[1]
    raise OSError(f"ports {port}-{last} are all busy; pick another with --port")


def _worker_args(argv: list[str], port: int, index: int) -> list[str]:
    """The parent's own flags, with the chosen port; mDNS and the browser are worker 0's."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--port", "--workers"):
            skip = True
            continue
        if arg.startswith(("--port=", "--workers=")):
            continue
        out.append(arg)
    out += ["--port", str(port)]
    if index > 0:  # one advertisement and one browser window per machine: worker 0's
        out += [flag for flag in ("--no-mdns", "--headless") if flag not in out]
    return out


def supervise(settings: Settings, argv: list[str]) -> int:
    if not hasattr(socket, "SO_REUSEPORT"):
        print("lanboard: error: --workers needs SO_REUSEPORT (Linux, macOS)", file=sys.stderr)
        return 2
    try:
        from lanboard.redis_store import connect
    except ImportError:
        print("lanboard: error: --redis needs redis-py: pip install 'lanboard[redis]'",
              file=sys.stderr)
        return 2
    from lanboard.store import StoreError

    assert settings.redis_url is not None
    try:  # one line and exit 2 here, rather than one per worker
        connect(settings.redis_url).close()
    except StoreError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        return 2
    try:
        held, port = reserve(settings.host, settings.port)
    except OSError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        return 2
    settings = replace(settings, port=port)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)

    def start(index: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, "LANBOARD_WORKER": str(index)}
        cmd = [sys.executable, "-m", "lanboard", *_worker_args(argv, port, index)]
        return subprocess.Popen(cmd, env=env)

    print(f"LANBoard: {settings.workers} workers on port {port}", flush=True)
    def start_said(index: int) -> subprocess.Popen[bytes]:
        proc = start(index)
        print(f"LANBoard: worker pid {proc.pid} ({index})", flush=True)
        return proc

    workers = {i: (start_said(i), time.monotonic()) for i in range(settings.workers)}
    code = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (proc, began) in list(workers.items()):
                rc = proc.poll()
                if rc is None or stopping:
                    continue
                if rc == 2 and time.monotonic() - began < RESTART_SPACING:
                    # A startup error (Redis unreachable, a bad flag): restarting repeats it.
                    print(f"lanboard: worker {i} could not start; stopping", file=sys.stderr)
                    stopping, code = True, 2
                    break
                print(f"LANBoard: worker {i} (pid {proc.pid}) ended with {rc}; restarting",
                      flush=True)
                workers[i] = (start_said(i), time.monotonic())
    finally:
        for proc, _ in workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in workers.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        held.close()
    return code
