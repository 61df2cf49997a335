"""Build the Tornado application: every route in one place."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import tornado.web
from tornado import httputil

from lanboard import assetapi, boardapi, keyapi, limits
from lanboard.boardnames import routes as name_routes
from lanboard.guard import AccessLog, Guard, HostAllowlist, RejectionLog
from lanboard.hub import Hub
from lanboard.netapi import LanPresence
from lanboard.netapi import routes as net_routes
from lanboard.paths import bundled, static_dir
from lanboard.settings import Settings
from lanboard.socket import BoardSocket, SyncWarmer
from lanboard.web import (
    FaviconHandler,
    HealthHandler,
    HostRefused,
    ManifestHandler,
    NotFound,
    PageHandler,
    StaticHandler,
)

if TYPE_CHECKING:
    from lanboard.tornado_internals import HandlerDelegate


class LanboardApp(tornado.web.Application):
    """The application, refusing requests for host names that are not this server's."""

    def __init__(self, routes: list[Any], hosts: HostAllowlist, rejections: RejectionLog,
                 **settings: Any) -> None:
        super().__init__(routes, **settings)
        self.hosts = hosts
        self.rejections = rejections

    def find_handler(self, request: httputil.HTTPServerRequest,
                     **kwargs: Any) -> HandlerDelegate:
        if not self.hosts.allows(request.host):
            self.rejections.note(request.remote_ip or "?", "bad_host", repr(request.host)[:80])
            return self.get_handler_delegate(request, HostRefused)
        return super().find_handler(request, **kwargs)


#: A board key in a query string: the access log writes `key=-` in its place.
_KEY = re.compile(r"([?&])key=[^&#]*")


def access_logger(log: AccessLog) -> Any:
    """Tornado's `log_function`: the access log, bounded and rate-limited per IP."""

    def log_request(handler: tornado.web.RequestHandler) -> None:
        req = handler.request
        log.note(handler.get_status(), req.method or "?", _KEY.sub(r"\1key=-", req.uri or ""),
                 req.remote_ip or "?", 1000.0 * req.request_time())

    return log_request


def make_app(hub: Hub, lan: LanPresence | None = None, guard: Guard | None = None,
             hosts: HostAllowlist | None = None, **extra: Any) -> tornado.web.Application:
    """`lan` answers /api/info, /api/qr and /api/peers; without one they describe a server
    with mDNS off."""
    if lan is None:
        lan = LanPresence(Settings(mdns=False), hub)
    rejections = RejectionLog()
    guard = guard or Guard()
    if hub.on_flushed is None:  # quiet boards get their sync built ahead of joiners
        hub.on_flushed = SyncWarmer(hub).flushed
    static = str(static_dir())
    icons = str(bundled("icons"))
    routes: list[Any] = [
        (r"/", PageHandler, {"static_path": static, "page": "index.html"}),
        (r"/room/([^/]*)", PageHandler, {"static_path": static, "page": "board.html"}),
        (r"/static/(.*)", StaticHandler, {"path": static}),
        (r"/icons/(.*)", StaticHandler, {"path": icons}),
        (r"/favicon\.ico", FaviconHandler, {"path": icons}),
        (r"/manifest\.webmanifest", ManifestHandler),
        (r"/ws/([^/]*)", BoardSocket, {"hub": hub, "guard": guard,
                                       "rejections": rejections}),
        (r"/api/health", HealthHandler, {"started": time.monotonic()}),
        *name_routes(hub, guard),
        *net_routes(lan),
        *boardapi.routes(hub, guard),
        *keyapi.routes(hub, guard),
        *assetapi.routes(hub, guard),
    ]
    return LanboardApp(
        routes,
        hosts or HostAllowlist(),
        rejections,
        websocket_max_message_size=limits.MAX_FRAME_BYTES,
        websocket_ping_interval=limits.PING_INTERVAL_SECONDS,
        websocket_ping_timeout=limits.PING_TIMEOUT_SECONDS,
        default_handler_class=NotFound,
        log_function=access_logger(AccessLog()),
        **extra,
    )
