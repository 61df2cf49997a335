"""The running server: binds the port, starts the hub's sweep, and shuts down cleanly."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import time
from typing import TYPE_CHECKING

import tornado.httpserver
import tornado.ioloop
import tornado.iostream
import tornado.netutil

from lanboard import datadir, limits, tornado_internals
from lanboard.app import make_app
from lanboard.guard import Guard, HostAllowlist, RateLimits, SocketCap, bound_logs
from lanboard.hub import Hub
from lanboard.netapi import LanPresence
from lanboard.settings import Settings
from lanboard.sqlite_store import SqliteStore
from lanboard.store import BoardStore, MemoryStore, StoreError

if TYPE_CHECKING:
    from lanboard.cluster import Cluster

log = logging.getLogger(__name__)

#: How many ports past the asked-for one to try when it is busy.
PORT_TRIES = 20

#: Close code sent to every client when the server stops.
CLOSE_GOING_AWAY = 1001


#: How many connections one read event of a listening socket accepts at most.
ACCEPT_BATCH = 128

#: accept() errors that mean "out of something for now" (descriptors, buffers, memory): the
#: connection waits in the kernel's queue while accepting pauses.
ACCEPT_SHORTAGE = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class StartupError(Exception):
    """The server cannot start; the message is one line for the person who started it."""


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise the soft limit on open files to the hard one, where the OS allows it: a systemd
    service gets 1,024 by default, which a thousand idle sockets use up. Returns the limit
    before and after."""
    try:
        import resource
    except ImportError:  # not on Windows
        return 0, 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit from %d: %s", soft, exc)
            return soft, soft
        return soft, want
    return soft, soft


class Acceptor:
    """Accepts connections for the HTTP server itself, instead of Tornado's accept handler,
    which logs a traceback per failed accept and, out of descriptors, retries at once forever
    (32 MB of log in 10 s). Here a shortage pauses accepting for ACCEPT_PAUSE_SECONDS and is
    logged at most once per ACCEPT_ERROR_LOG_SECONDS, and each IP but loopback may hold at most
    MAX_TCP_PER_IP connections."""

    def __init__(self, http: tornado.httpserver.HTTPServer, cap: SocketCap) -> None:
        self.http = http
        self.cap = cap
        # Tornado's IOLoop, not asyncio's add_reader: on Windows the event loop is a proactor,
        # which has no add_reader, and Tornado serves readers there from a selector thread.
        self.loop = tornado.ioloop.IOLoop.current()
        self.sockets: list[socket.socket] = []
        self._paused: set[socket.socket] = set()
        self._logged_at = -1e9
        self._failures = 0
        self._refused = 0

    def add(self, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.setblocking(False)
            self.sockets.append(sock)
            self._watch(sock)

    def _watch(self, sock: socket.socket) -> None:
        self.loop.add_handler(sock.fileno(), lambda _fd, _events: self._accept(sock),
                              tornado.ioloop.IOLoop.READ)

    def close(self) -> None:
        for sock in self.sockets:
            if sock not in self._paused:
                self.loop.remove_handler(sock.fileno())
            sock.close()
        self.sockets = []

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, address = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                self._failed(sock, exc)
                return
            ip = address[0] if isinstance(address, tuple) else "?"
            if not self.cap.admit(ip):
                self._refused += 1
                conn.close()
                self._note(f"refused a connection from {ip}: it holds "
                           f"{limits.MAX_TCP_PER_IP} already")
                continue
            try:
                stream = tornado.iostream.IOStream(conn, max_buffer_size=self.http.max_buffer_size,
                                                   read_chunk_size=self.http.read_chunk_size)
            except OSError:
                conn.close()
                continue
            self.cap.add(ip, stream)
            self.http.handle_stream(stream, address)

    def _failed(self, sock: socket.socket, exc: OSError) -> None:
        self._failures += 1
        if exc.errno not in ACCEPT_SHORTAGE:
            self._note(f"accept failed: {exc}")
            return
        self._note(f"accept failed: {exc.strerror or exc} (out of descriptors?); pausing "
                   f"accepts for {limits.ACCEPT_PAUSE_SECONDS:g} s")
        # The queued connection keeps the socket readable: without the pause, the loop would
        # call back at once, forever.
        self.loop.remove_handler(sock.fileno())
        self._paused.add(sock)
        self.loop.call_later(limits.ACCEPT_PAUSE_SECONDS, self._resume, sock)

    def _resume(self, sock: socket.socket) -> None:
        if sock in self._paused and sock in self.sockets:
            self._paused.discard(sock)
            self._watch(sock)

    def _note(self, message: str) -> None:
        now = time.monotonic()
        if now - self._logged_at < limits.ACCEPT_ERROR_LOG_SECONDS:
            return
        self._logged_at = now
        log.warning("%s (failed accepts %d, refused connections %d so far)", message,
                    self._failures, self._refused)


def bind(host: str, port: int, shared: bool = False) -> tuple[list[socket.socket], int]:
    """Bind `port`, or the next free one when it is busy. Returns the sockets and the port.
    `shared`: exactly `port`, with SO_REUSEPORT, beside the other workers (lanboard/workers.py)."""
    last = port if port == 0 or shared else port + PORT_TRIES - 1
    for candidate in range(port, last + 1):
        try:
            sockets = tornado.netutil.bind_sockets(candidate, address=host, reuse_port=shared)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise StartupError(
                f"cannot listen on {host}:{candidate}: {exc.strerror or exc}") from None
        except socket.gaierror as exc:
            raise StartupError(f"cannot listen on {host!r}: {exc}") from None
        return sockets, sockets[0].getsockname()[1]
    raise StartupError(f"ports {port}-{last} are all busy; pick another with --port")


def open_store(settings: Settings) -> tuple[BoardStore, str]:
    """The store the settings ask for, and where it keeps boards, for the startup message."""
    if settings.redis_url:
        try:
            from lanboard.redis_store import RedisStore, safe_url
        except ImportError:
            raise StartupError("--redis needs redis-py: pip install 'lanboard[redis]'") from None
        try:
            return RedisStore(settings.redis_url), f"Redis at {safe_url(settings.redis_url)}"
        except StoreError as exc:
            raise StartupError(str(exc)) from None
    if settings.store == "memory":
        return MemoryStore(), "memory only (LANBOARD_STORE=memory): nothing survives a restart"
    if settings.store != "sqlite":
        raise StartupError(f"LANBOARD_STORE must be sqlite or memory, not {settings.store!r}")
    try:
        path = datadir.prepare(datadir.resolve(settings))
        return SqliteStore.open(path), str(path)
    except (datadir.DataDirError, StoreError) as exc:
        raise StartupError(str(exc)) from None


class Server:
    """One LANBoard server on the running asyncio loop."""

    def __init__(self, settings: Settings, store: BoardStore | None = None) -> None:
        self.settings = settings
        if store is None:
            store, self.boards_at = open_store(settings)
        else:
            self.boards_at = "the given store"
        self.store = store
        loop = asyncio.get_event_loop()
        self.hub = Hub(self.store, loop.call_soon, schedule_later=loop.call_later)
        #: Addresses, port and mDNS (see netapi.py); discovery starts in start().
        self.lan = LanPresence(settings, self.hub)
        rates = RateLimits(settings.rate_changes, settings.rate_cursors, settings.rate_clears)
        self.guard = Guard(rates, per_address=settings.per_address)
        self.app = make_app(self.hub, lan=self.lan, guard=self.guard,
                            hosts=HostAllowlist(settings.allowed_hosts))
        #: TCP connections per IP, counted at accept.
        self.sockets = SocketCap(max(limits.MAX_TCP_PER_IP, 2 * settings.per_address))
        self.port = 0
        self._http: tornado.httpserver.HTTPServer | None = None
        self._acceptor: Acceptor | None = None
        self._sweep: tornado.ioloop.PeriodicCallback | None = None
        self.cluster: Cluster | None = None
        if settings.redis_url:
            # Imported only here: redis-py is an optional extra.
            from lanboard.cluster import Cluster
            from lanboard.redis_store import RedisStore
            if isinstance(store, RedisStore):
                self.cluster = Cluster(self.hub, store)

    async def start(self) -> None:
        try:
            sockets, self.port = bind(self.settings.host, self.settings.port,
                                      shared=bool(os.environ.get("LANBOARD_WORKER")))
        except StartupError:
            self.store.close()
            raise
        before, after = raise_descriptor_limit()
        if after != before:
            log.info("open-file limit raised from %d to %d", before, after)
        bound_logs()
        tornado_internals.check()
        self._http = tornado.httpserver.HTTPServer(
            self.app, xheaders=False,
            # Tornado's one timeout for a request head and for an idle keep-alive connection.
            idle_connection_timeout=limits.HEADER_TIMEOUT_SECONDS,
            body_timeout=limits.BODY_TIMEOUT_SECONDS,
            # Bodies past the import limit are refused before they are read into memory.
            max_body_size=limits.MAX_IMPORT_BYTES + 1024 * 1024)
        self._acceptor = Acceptor(self._http, self.sockets)
        self._acceptor.add(sockets)
        self._sweep = tornado.ioloop.PeriodicCallback(self._every_second, 1000)
        self._sweep.start()
        if self.cluster is not None:
            await self.cluster.start()
        log.info("server listening host=%s port=%d", self.settings.host, self.port)
        await self.lan.start(self.port)

    def _every_second(self) -> None:
        self.hub.sweep()
        self.sockets.prune()

    async def stop(self) -> None:
        """Stop accepting, say goodbye to every client, save every board."""
        # mDNS goodbye first, so other LANBoards drop this one at once.
        await self.lan.stop()
        if self._sweep is not None:
            self._sweep.stop()
        if self._acceptor is not None:
            self._acceptor.close()
        for peer in self.hub.peers():
            peer.transport.close(CLOSE_GOING_AWAY, "server shutting down")
        self.hub.close()
        if self.cluster is not None:
            await self.cluster.stop()
        self.store.close()
        if self._http is not None:
            try:
                await asyncio.wait_for(self._http.close_all_connections(), timeout=2)
            except asyncio.TimeoutError:
                log.warning("some connections did not close within 2 s")
        log.info("server stopped")
