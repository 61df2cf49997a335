"""One LANBoard per data directory: a second launch hands over to the one already running.

Two small files in the data directory do this:

- `instance.lock` is held with an OS file lock (flock, or msvcrt on Windows) for as long as the
  server runs. The OS drops the lock when the process dies, however it dies, so a crash never
  leaves a lock that blocks the next start.
- `instance.json` says where the holder serves (port, URL) and carries a random id that the
  holder also reports in `GET /api/health`. A launch that finds the lock taken reads the file
  and asks that URL's health; only an answer with the same id counts, so a stale file, or some
  other program now on that port, is never mistaken for the running board.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

LOCK_FILE = "instance.lock"
INFO_FILE = "instance.json"

#: This process's id, reported by /api/health and written to instance.json.
INSTANCE_ID = secrets.token_hex(8)

#: How long a second launch waits for the holder of the lock to answer (it may be starting).
HANDOFF_WAIT_SECONDS = 15.0

#: After this long a waiting launch says what it waits for. A launch right after the last one
#: closed usually gets the lock well within it, and then says nothing.
WAIT_NOTICE_SECONDS = 1.0

_WILDCARDS = ("0.0.0.0", "", "::")


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine should open for a server on host:port."""
    if host in _WILDCARDS or host == "localhost":
        return f"http://localhost:{port}/"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _health_url(host: str, port: int) -> str:
    # Ask over loopback when serving on every interface: it needs no name lookup.
    if host in _WILDCARDS or host == "localhost":
        return f"http://127.0.0.1:{port}/api/health"
    return local_url(host, port) + "api/health"


def _try_lock(f: IO[bytes]) -> bool:
    """Lock the open file without waiting. False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        f.seek(0)
        try:
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _unlock(f: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        # Windows asks for locks to be undone before the file is closed.
        f.seek(0)
        with contextlib.suppress(OSError):
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
    # flock locks go with the close.


class Instance:
    """The lock this process holds on a data directory while it serves."""

    def __init__(self, data_dir: Path, lock: IO[bytes] | None) -> None:
        self.data_dir = data_dir
        self._lock = lock

    @property
    def info_path(self) -> Path:
        return self.data_dir / INFO_FILE

    def publish(self, host: str, port: int) -> None:
        """Tell later launches where this server is (written atomically, mode 0600)."""
        info = {"app": "lanboard", "instance": INSTANCE_ID, "pid": os.getpid(),
                "host": host, "port": port, "url": local_url(host, port),
                "started": time.time()}
        tmp = self.info_path.with_name(f".{INFO_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(info, f)
        for attempt in range(10):
            try:
                os.replace(tmp, self.info_path)
                return
            except PermissionError:
                # Windows refuses while a launch is reading the old file; it is brief.
                if attempt == 9:
                    raise
                time.sleep(0.05)

    def release(self) -> None:
        """Remove instance.json if it is still ours, then drop the lock."""
        info = read_info(self.data_dir)
        if info is not None and info.get("instance") == INSTANCE_ID:
            with contextlib.suppress(OSError):
                self.info_path.unlink()
        if self._lock is not None:
            _unlock(self._lock)
            self._lock.close()
            self._lock = None


def acquire(data_dir: Path) -> Instance | None:
    """Take the data directory's instance lock, or None when a running LANBoard holds it."""
    f = open(data_dir / LOCK_FILE, "a+b")  # noqa: SIM115 (held open while serving)
    try:
        locked = _try_lock(f)
    except OSError as exc:
        # Some network file systems refuse locks; the health check still finds a live server.
        log.warning("instance lock unavailable path=%s error=%s", f.name, exc)
        if find_running(data_dir, wait=0) is not None:
            f.close()
            return None
        return Instance(data_dir, f)
    if not locked:
        f.close()
        return None
    return Instance(data_dir, f)


def claim(data_dir: Path, wait: float | None = None,
          on_wait: Callable[[dict[str, Any] | None], None] | None = None,
          ) -> Instance | str | None:
    """Take the data directory for this process, or find the LANBoard that has it.

    Returns the Instance once the lock is ours, which includes a holder that was stopping
    and has now gone; the running board's URL when the holder answers; None when the holder
    neither answers nor lets go within `wait` seconds (default HANDOFF_WAIT_SECONDS).
    `on_wait` is called once, with the holder's instance.json (or None), when the wait has
    lasted WAIT_NOTICE_SECONDS.
    """
    started = time.monotonic()
    deadline = started + (HANDOFF_WAIT_SECONDS if wait is None else wait)
    notice_at = started + WAIT_NOTICE_SECONDS
    while True:
        lock = acquire(data_dir)
        if lock is not None:
            return lock
        url = find_running(data_dir, wait=0)
        if url is not None:
            return url
        now = time.monotonic()
        if now >= deadline:
            return None
        if on_wait is not None and now >= notice_at:
            on_wait(read_info(data_dir))
            on_wait = None
        time.sleep(0.2)


def read_info(data_dir: Path) -> dict[str, Any] | None:
    """instance.json, or None when it is missing or not a LANBoard instance file."""
    try:
        info = json.loads((data_dir / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("app") != "lanboard":
        return None
    if not isinstance(info.get("port"), int) or not isinstance(info.get("instance"), str):
        return None
    return info


def health(url: str, timeout: float = 1.0) -> dict[str, Any] | None:
    """The JSON of a LANBoard health answer at url, or None."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.loads(resp.read(64 * 1024))
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("app") == "lanboard" else None


def find_running(data_dir: Path, wait: float | None = None) -> str | None:
    """The browser URL of the LANBoard serving data_dir, polling up to `wait` seconds
    (default HANDOFF_WAIT_SECONDS) while it starts; None when none answers."""
    deadline = time.monotonic() + (HANDOFF_WAIT_SECONDS if wait is None else wait)
    while True:
        info = read_info(data_dir)
        if info is not None:
            host = str(info.get("host", ""))
            answer = health(_health_url(host, info["port"]))
            if answer is not None and answer.get("instance") == info["instance"]:
                return str(info.get("url") or local_url(host, info["port"]))
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def open_browser(url: str) -> bool:
    """Open the default browser on url. Never raises; False when no browser could be started."""
    if getattr(sys, "frozen", False):
        # A PyInstaller bundle points LD_LIBRARY_PATH at its own libraries; a browser started
        # with that may load them instead of the system's and fail. Restore the original.
        for var in ("LD_LIBRARY_PATH", "LIBPATH"):
            orig = os.environ.get(f"{var}_ORIG")
            if orig is not None:
                os.environ[var] = orig
            else:
                os.environ.pop(var, None)
    try:
        return webbrowser.open(url)
    except Exception as exc:  # a broken BROWSER setting must not stop the server
        log.warning("could not open a browser url=%s error=%s", url, exc)
        return False
