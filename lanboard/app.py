"""Build the Tornado application: every route in one place."""

from __future__ import annotations

import time
from typing import Any

import tornado.web

from lanboard import boardapi, limits
from lanboard.hub import Hub
from lanboard.netapi import LanPresence
from lanboard.netapi import routes as net_routes
from lanboard.paths import bundled, static_dir
from lanboard.settings import Settings
from lanboard.socket import BoardSocket
from lanboard.web import (
    FaviconHandler,
    HealthHandler,
    ManifestHandler,
    PageHandler,
    RoomsHandler,
    StaticHandler,
)


def make_app(hub: Hub, lan: LanPresence | None = None, **extra: Any) -> tornado.web.Application:
    """`lan` answers /api/info, /api/qr and /api/peers; without one they describe a server
    with mDNS off."""
    if lan is None:
        lan = LanPresence(Settings(mdns=False), hub)
    static = str(static_dir())
    icons = str(bundled("icons"))
    routes: list[Any] = [
        (r"/", PageHandler, {"static_path": static, "page": "index.html"}),
        (r"/room/([^/]*)", PageHandler, {"static_path": static, "page": "board.html"}),
        (r"/static/(.*)", StaticHandler, {"path": static}),
        (r"/icons/(.*)", StaticHandler, {"path": icons}),
        (r"/favicon\.ico", FaviconHandler, {"path": icons}),
        (r"/manifest\.webmanifest", ManifestHandler),
        (r"/ws/([^/]*)", BoardSocket, {"hub": hub}),
        (r"/api/health", HealthHandler, {"started": time.monotonic()}),
        (r"/api/rooms", RoomsHandler, {"hub": hub}),
        *net_routes(lan),
        *boardapi.routes(hub),
    ]
    return tornado.web.Application(
        routes,
        websocket_max_message_size=limits.MAX_FRAME_BYTES,
        websocket_ping_interval=limits.PING_INTERVAL_SECONDS,
        websocket_ping_timeout=limits.PING_TIMEOUT_SECONDS,
        **extra,
    )
