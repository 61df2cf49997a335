"""`lanboard`: parse flags, start the server, open the browser, stop cleanly on a signal.

Every startup problem ends here as one line on stderr and exit code 2.

The server's modules (Tornado, zeroconf, the store) take about 0.3 s to import. They are
imported inside main(), under its Ctrl+C guard, so that a Ctrl+C while LANBoard is starting is
a quiet stop like any other rather than a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from lanboard import __version__, limits
from lanboard.settings import Settings

if TYPE_CHECKING:
    import asyncio

    from lanboard.instance import Instance
    from lanboard.server import Server

log = logging.getLogger("lanboard")

EXIT_OK = 0
EXIT_USAGE = 2

#: The values LANBOARD_LOG_LEVEL takes (any case); anything else is a usage error.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Signals that stop the server cleanly. SIGHUP: the terminal window was closed (a double-click
#: on macOS or Linux opens one). SIGBREAK: Ctrl+Break in a Windows console.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
                     if hasattr(signal, name))

#: Each flag's environment twin; the flag wins when both are given.
ENV = {
    "host": "LANBOARD_HOST",
    "port": "LANBOARD_PORT",
    "headless": "LANBOARD_HEADLESS",
    "data_dir": "LANBOARD_DATA_DIR",
    "name": "LANBOARD_NAME",
    "no_mdns": "LANBOARD_NO_MDNS",
    "redis_url": "LANBOARD_REDIS_URL",
    "workers": "LANBOARD_WORKERS",
}


class UsageError(Exception):
    """A bad flag or value: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be a number from 0 to 65535, not {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"workers must be a number from 1 to 64, not {text!r}")
    return int(text)


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected 1/0, true/false, yes/no, not {text!r}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="lanboard", description="A collaborative whiteboard for your own network.")
    p.add_argument("--host", help="address to listen on (default 0.0.0.0: every interface)")
    p.add_argument("--port", type=_port, help="port (default 8080; the next free one if busy)")
    p.add_argument("--headless", action="store_true", default=None,
                   help="run as an always-on board server: no browser, logs on stdout")
    p.add_argument("--data-dir", type=Path, help="where boards are stored "
                   "(default: the user data directory)")
    p.add_argument("--name", help="the name other LANBoards see (default '<hostname> LANBoard')")
    p.add_argument("--no-mdns", action="store_true", default=None,
                   help="do not advertise or browse on the network")
    p.add_argument("--redis", dest="redis_url", metavar="URL",
                   help="keep boards in this Redis (redis://HOST:PORT/DB), shared by every "
                   "LANBoard process given it")
    p.add_argument("--workers", type=_workers, help="processes serving the port together "
                   "(needs --redis; default 1)")
    p.add_argument("--version", action="version", version=f"lanboard {__version__}")
    return p


def parse_settings(argv: Sequence[str] | None, environ: Mapping[str, str]) -> Settings:
    """Defaults, then LANBOARD_* variables, then flags."""
    return _parse(argv, environ)[0]


def _parse(argv: Sequence[str] | None,
           environ: Mapping[str, str]) -> tuple[Settings, frozenset[str]]:
    """The settings, and the keys of ENV that a flag or a variable set on purpose."""
    args = build_parser().parse_args(argv)
    values: dict[str, object] = {}
    given: set[str] = set()
    for key, var in ENV.items():
        flag = getattr(args, key)
        if flag is not None:
            values[key] = flag
            given.add(key)
        elif var in environ:
            given.add(key)
            raw = environ[var]
            try:
                if key == "port":
                    values[key] = _port(raw)
                elif key == "workers":
                    values[key] = _workers(raw)
                elif key in ("headless", "no_mdns"):
                    values[key] = _flag(raw)
                elif key == "data_dir":
                    values[key] = Path(raw) if raw else None
                else:
                    values[key] = raw
            except argparse.ArgumentTypeError as exc:
                raise UsageError(f"{var}: {exc}") from None
    values.update(_env_extras(environ))
    if environ.get("LANBOARD_STORE"):
        values["store"] = environ["LANBOARD_STORE"]
    if "no_mdns" in values:
        values["mdns"] = not values.pop("no_mdns")
    name = values.get("name")
    if isinstance(name, str) and not 0 < len(name.strip()) <= 63:
        raise UsageError("--name must be 1-63 characters")
    if values.get("redis_url") == "":
        values["redis_url"] = None
    if int(values.get("workers", 1)) > 1:  # type: ignore[call-overload]
        if not values.get("redis_url"):
            raise UsageError("--workers needs --redis: the processes share boards through it")
        if sys.platform == "win32":
            raise UsageError("--workers needs SO_REUSEPORT (Linux, macOS); run one process "
                             "per port on Windows")
    log_level(environ)
    return Settings(**values), frozenset(given)  # type: ignore[arg-type]


def log_level(environ: Mapping[str, str]) -> int:
    """LANBOARD_LOG_LEVEL as a logging level; unset or empty is INFO."""
    raw = environ.get("LANBOARD_LOG_LEVEL", "").strip()
    if not raw:
        return logging.INFO
    if raw.upper() not in LOG_LEVELS:
        raise UsageError(f"LANBOARD_LOG_LEVEL must be one of "
                         f"{', '.join(LOG_LEVELS).lower()}, not {raw!r}")
    level: int = getattr(logging, raw.upper())
    return level


def _env_extras(environ: Mapping[str, str]) -> dict[str, object]:
    """Settings that only have an environment variable: host names, rate limits and how long
    changes are kept."""
    out: dict[str, object] = {}
    hosts = environ.get("LANBOARD_ALLOWED_HOSTS", "")
    if hosts.strip():
        out["allowed_hosts"] = tuple(h.strip() for h in hosts.split(",") if h.strip())
    for key in ("changes", "cursors", "clears"):
        var = f"LANBOARD_RATE_{key.upper()}"
        if var in environ:
            try:
                rate = float(environ[var])
            except ValueError:
                rate = -1.0
            if not 0 < rate <= 1e6:
                raise UsageError(f"{var} must be a number of messages a second above 0")
            out[f"rate_{key}"] = rate
    if "LANBOARD_PER_ADDRESS" in environ:
        raw = environ["LANBOARD_PER_ADDRESS"].strip()
        if not raw.isdigit() or not 1 <= int(raw) <= limits.MAX_CONNECTIONS:
            raise UsageError(f"LANBOARD_PER_ADDRESS must be a whole number of people from 1 "
                             f"to {limits.MAX_CONNECTIONS}")
        out["per_address"] = int(raw)
    if "LANBOARD_KEEP_DAYS" in environ:
        try:
            days = float(environ["LANBOARD_KEEP_DAYS"])
        except ValueError:
            days = -1.0
        if not 0 < days <= 36_500:  # math.isfinite too: nan fails both comparisons
            raise UsageError("LANBOARD_KEEP_DAYS must be a number of days above 0 (at most "
                             "36500)")
        out["keep_days"] = days
    return out


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=log_level(os.environ),
        stream=sys.stdout if settings.headless else sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Tornado logs every request at INFO; a busy board would drown the useful lines.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)


async def serve(settings: Settings, ready: asyncio.Event | None = None,
                lock: Instance | None = None) -> None:
    """Run until SIGINT or SIGTERM, then shut down within a few seconds."""
    import asyncio
    import gc

    from lanboard import instance, netinfo
    from lanboard.server import Server

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    server = Server(settings)
    # The retention reaches the store here, before the first board loads: a store opened
    # with the default would otherwise prune at startup what a longer setting keeps.
    server.store.retain(settings.keep_days * 86400.0)
    await server.start()
    if lock is not None:
        lock.publish(settings.host, server.port)
    urls = netinfo.urls(settings.host, server.port)
    if settings.port not in (0, server.port):
        print(f"Port {settings.port} is busy; using {server.port} instead.", flush=True)
    print(f"LANBoard {__version__} is running at {urls[-1] if urls else server.port}",
          flush=True)
    for url in urls[:-1]:
        print(f"  Open from other devices: {url}", flush=True)
    print(f"  Boards are stored in {server.boards_at}", flush=True)
    print(_share_text(server), end="", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    local_line = asyncio.ensure_future(_print_local_name(server))
    if not settings.headless:
        local = _teacher_url(server, instance.local_url(settings.host, server.port))
        # Not awaited: a browser command may run until the browser is closed.
        opening = loop.run_in_executor(None, instance.open_browser, local)
        opening.add_done_callback(lambda done: _say_if_no_browser(done, local))
    # Everything made while starting lives as long as the server; the cyclic collector need
    # not walk it again. Its full passes were the longest pauses in a busy room's loop.
    gc.collect()
    gc.freeze()
    if ready is not None:
        ready.set()
    await stop.wait()
    local_line.cancel()
    print("Stopping LANBoard...", flush=True)
    await server.stop()


def _teacher_url(server: Server, local: str) -> str:
    """The page the browser opens at launch: the teacher link of the board used last (the
    host is its teacher), or the landing page, where whoever creates a board becomes its
    teacher."""
    try:
        boards = server.store.boards()
        if not boards:
            return local
        room = server.hub.room(boards[0].id)
        teacher, _ = server.hub.ensure_keys(room)
    except Exception as exc:  # the landing page always works
        print(f"  Could not make the teacher link ({exc}); opening the landing page.",
              flush=True)
        return local
    return f"{local}room/{room.id}?key={teacher}"


def _say_if_no_browser(done: asyncio.Future[bool], url: str) -> None:
    if not done.cancelled() and done.exception() is None and not done.result():
        print(no_browser_text(url), flush=True)


def no_browser_text(url: str) -> str:
    return f"  No web browser could be opened here: open {url} in one yourself."


def _share_text(server: Server) -> str:
    """The QR code (or why there is none), in what this terminal can show."""
    from lanboard import netapi

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2588\u2580\u2584".encode(encoding)
        unicode = True
    except (UnicodeEncodeError, LookupError):
        unicode = False
    # Colours only on a real terminal: a log file or the journal would show escape codes.
    ansi = sys.stdout.isatty() and os.name != "nt" and os.environ.get("TERM") != "dumb"
    return netapi.share_text(server.lan, unicode=unicode, ansi=ansi)


async def _print_local_name(server: Server) -> None:
    from lanboard import netapi

    line = await netapi.local_name_text(server.lan)
    if line:
        print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:
        # Ctrl+C before the server's own signal handlers are in place: while importing,
        # preparing the data directory or waiting for another LANBoard. Nothing has started,
        # so there is nothing to save.
        print("lanboard: stopped before the server started", file=sys.stderr, flush=True)
        return EXIT_OK


def _run(argv: Sequence[str] | None) -> int:
    try:
        settings, given = _parse(argv, os.environ)
    except UsageError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _configure_logging(settings)
    import asyncio

    from lanboard import datadir, instance
    from lanboard.server import StartupError

    try:
        data_dir = datadir.prepare(datadir.resolve(settings))
    except datadir.DataDirError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        _pause_if_double_clicked()
        return EXIT_USAGE
    if settings.workers > 1 and not os.environ.get("LANBOARD_WORKER"):
        from lanboard import workers
        return workers.supervise(settings, list(argv if argv is not None else sys.argv[1:]))
    if settings.redis_url:
        # Boards are in Redis, shared: many processes may serve them, so none claims the
        # data directory.
        return _serve_shared(settings)
    lock = instance.claim(data_dir, on_wait=lambda info: _say_waiting(data_dir, info))
    if not isinstance(lock, instance.Instance):
        return _hand_off(settings, data_dir, lock, port_given="port" in given)
    try:
        asyncio.run(serve(settings, lock=lock))
    except StartupError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        _pause_if_double_clicked()
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    finally:
        lock.release()
    return EXIT_OK


def _serve_shared(settings: Settings) -> int:
    import asyncio

    from lanboard.server import StartupError

    try:
        asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"lanboard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _say_waiting(data_dir: Path, info: Mapping[str, Any] | None) -> None:
    """The hand-off has waited a while: say for what, rather than sit silent for 15 s."""
    from lanboard import instance

    who = "Another LANBoard"
    if info is not None:
        who += f" (process {info.get('pid')}, port {info.get('port')})"
    print(f"{who} holds {data_dir} but does not answer yet; waiting up to "
          f"{instance.HANDOFF_WAIT_SECONDS:.0f} s for it to answer or stop (Ctrl+C gives up).",
          flush=True)


def _hand_off(settings: Settings, data_dir: Path, url: str | None, port_given: bool) -> int:
    """A LANBoard already serves this data directory: show it rather than start a second."""
    from lanboard import instance

    if url is None:
        print(f"lanboard: error: another LANBoard holds {data_dir} but does not answer; "
              "stop it or pick another --data-dir", file=sys.stderr)
        _pause_if_double_clicked()
        return EXIT_USAGE
    if settings.headless and port_given:
        # A script or a service asked for a server on that port. Saying "running" with
        # exit 0 would make it think its own server started.
        print(f"lanboard: error: not started on port {settings.port}: another LANBoard "
              f"already serves {data_dir} at {url}; stop it, or pick another --data-dir",
              file=sys.stderr)
        return EXIT_USAGE
    print(f"LANBoard is already running at {url}", flush=True)
    if not settings.headless and not instance.open_browser(url):
        print(no_browser_text(url), flush=True)
    return EXIT_OK


def _pause_if_double_clicked() -> None:
    """Windows closes a double-clicked console the moment LANBoard exits: keep a startup
    error on screen until it has been read."""
    if sys.platform != "win32" or not getattr(sys, "frozen", False):
        return
    import ctypes

    pids = (ctypes.c_uint32 * 4)()
    # Only the one-file bootloader and LANBoard share the console: no shell started us.
    if ctypes.windll.kernel32.GetConsoleProcessList(pids, 4) <= 2:
        with contextlib.suppress(EOFError, OSError):
            input("Press Enter to close this window.")
