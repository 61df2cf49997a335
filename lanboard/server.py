"""The running server: binds the port, starts the hub's sweep, and shuts down cleanly."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

import tornado.httpserver
import tornado.ioloop
import tornado.netutil

from lanboard import datadir
from lanboard.app import make_app
from lanboard.guard import Guard, HostAllowlist, RateLimits
from lanboard.hub import Hub
from lanboard.netapi import LanPresence
from lanboard.settings import Settings
from lanboard.sqlite_store import SqliteStore
from lanboard.store import BoardStore, MemoryStore, StoreError

log = logging.getLogger(__name__)

#: How many ports past the asked-for one to try when it is busy.
PORT_TRIES = 20

#: Close code sent to every client when the server stops.
CLOSE_GOING_AWAY = 1001


class StartupError(Exception):
    """The server cannot start; the message is one line for the person who started it."""


def bind(host: str, port: int) -> tuple[list[socket.socket], int]:
    """Bind `port`, or the next free one when it is busy. Returns the sockets and the port."""
    last = port if port == 0 else port + PORT_TRIES - 1
    for candidate in range(port, last + 1):
        try:
            sockets = tornado.netutil.bind_sockets(candidate, address=host, reuse_port=False)
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
        self.app = make_app(self.hub, lan=self.lan, guard=Guard(rates),
                            hosts=HostAllowlist(settings.allowed_hosts))
        self.port = 0
        self._http: tornado.httpserver.HTTPServer | None = None
        self._sweep: tornado.ioloop.PeriodicCallback | None = None

    async def start(self) -> None:
        try:
            sockets, self.port = bind(self.settings.host, self.settings.port)
        except StartupError:
            self.store.close()
            raise
        self._http = tornado.httpserver.HTTPServer(self.app, xheaders=False)
        self._http.add_sockets(sockets)
        self._sweep = tornado.ioloop.PeriodicCallback(self.hub.sweep, 1000)
        self._sweep.start()
        log.info("server listening host=%s port=%d", self.settings.host, self.port)
        await self.lan.start(self.port)

    async def stop(self) -> None:
        """Stop accepting, say goodbye to every client, save every board."""
        # mDNS goodbye first, so other LANBoards drop this one at once.
        await self.lan.stop()
        if self._sweep is not None:
            self._sweep.stop()
        if self._http is not None:
            self._http.stop()
        for peer in self.hub.peers():
            peer.transport.close(CLOSE_GOING_AWAY, "server shutting down")
        self.hub.close()
        self.store.close()
        if self._http is not None:
            try:
                await asyncio.wait_for(self._http.close_all_connections(), timeout=2)
            except TimeoutError:
                log.warning("some connections did not close within 2 s")
        log.info("server stopped")
