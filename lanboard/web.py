"""HTTP handlers: pages, static files and the JSON API. Every route is listed in app.py."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from tornado import httputil

from lanboard import PROTOCOL_VERSION, __version__, instance, limits

#: Pages run only their own scripts and styles, and connect only back to this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def security_headers(handler: tornado.web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", CSP)
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("X-Frame-Options", "DENY")


def json_error(handler: tornado.web.RequestHandler, status_code: int, **kwargs: Any) -> None:
    """Every HTTP error as JSON `{error, message}`, never Tornado's HTML page, and never the
    text of an exception behind a 500."""
    reason = http.client.responses.get(status_code, "Error")
    message = reason
    exc = kwargs.get("exc_info", (None, None, None))[1]
    if status_code < 500 and isinstance(exc, tornado.web.HTTPError) and exc.log_message:
        try:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        except (TypeError, ValueError):
            message = exc.log_message
    handler.set_header("Content-Type", "application/json; charset=utf-8")
    handler.finish({"error": reason.lower().replace(" ", "_").replace("-", "_"),
                    "message": message[:200], "status": status_code})


def same_origin(origin: str, request: httputil.HTTPServerRequest) -> bool:
    """Whether an Origin header names this very server as the request reached it: the same
    scheme, host and port (a browser leaves out the default port, in both headers)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    if (parts.scheme != request.protocol or not parts.hostname or parts.path or parts.query
            or parts.username is not None):
        return False
    default = 443 if parts.scheme == "https" else 80
    ours = urlsplit(f"{request.protocol}://{request.host}")
    try:
        our_port = ours.port
    except ValueError:
        return False
    return (parts.hostname == (ours.hostname or "") and
            (port or default) == (our_port or default))


class BaseHandler(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        security_headers(self)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        json_error(self, status_code, **kwargs)

    def fail(self, status: int, code: str, message: str) -> None:
        """Finish with a JSON error a person can read."""
        self.set_status(status)
        self.finish({"error": code, "message": message})


class StaticHandler(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        security_headers(self)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        json_error(self, status_code, **kwargs)

    def set_extra_headers(self, path: str) -> None:
        # Assets change with every release and are small: always revalidate.
        self.set_header("Cache-Control", "no-cache")

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # The OS refuses paths holding NUL with a ValueError, which would be a 500.
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "bad path")
        return super().validate_absolute_path(root, absolute_path)


class PageHandler(BaseHandler):
    """Serves one HTML file from static/; board pages check their room id first."""

    def initialize(self, static_path: str, page: str) -> None:
        self.static_path = static_path
        self.page = page

    def get(self, room_id: str | None = None) -> None:
        if room_id is not None and not limits.ROOM_ID_PATTERN.fullmatch(room_id):
            self.fail(400, "bad_room", "a room id is 1-64 characters of letters, digits, "
                      "'_' and '-'")
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        with open(f"{self.static_path}/{self.page}", "rb") as f:
            self.finish(f.read())


class HealthHandler(BaseHandler):
    def initialize(self, started: float) -> None:
        self.started = started

    def get(self) -> None:
        # `instance` lets a second launch tell that this is the server its data directory's
        # instance.json names, and not some other program on that port (see instance.py).
        self.finish({"app": "lanboard", "version": __version__, "protocol": PROTOCOL_VERSION,
                     "uptime": round(time.monotonic() - self.started, 3),
                     "instance": instance.INSTANCE_ID})


class FaviconHandler(StaticHandler):
    """/favicon.ico from icons/: browsers ask for it at the root whatever a page links."""

    async def get(self, path: str = "", include_body: bool = True) -> None:
        await super().get("lanboard.ico", include_body)

    async def head(self, path: str = "") -> None:
        await super().get("lanboard.ico", include_body=False)


#: The web app manifest: lets a phone or desktop browser install the board with its icon.
MANIFEST = {
    "name": "LANBoard",
    "short_name": "LANBoard",
    "description": "A collaborative whiteboard for your own network.",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#ffffff",
    "theme_color": "#1d4ed8",
    "icons": [
        {"src": "/icons/lanboard-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "/icons/lanboard-512.png", "sizes": "512x512", "type": "image/png"},
        {"src": "/icons/lanboard.svg", "sizes": "any", "type": "image/svg+xml"},
    ],
}


class ManifestHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/manifest+json")
        self.set_header("Cache-Control", "no-cache")
        self.finish(json.dumps(MANIFEST))


class NotFound(BaseHandler):
    """Every path no route matches, whatever the method."""

    def prepare(self) -> None:
        self.fail(404, "not_found", "there is nothing at this address")


class HostRefused(BaseHandler):
    """Answers every request whose Host header is not one of this server's names."""

    def prepare(self) -> None:
        self.fail(421, "bad_host", f"LANBoard does not answer to the host name "
                  f"{self.request.host[:80]!r}; open it by its IP address, localhost or its "
                  ".local name (or add the name to LANBOARD_ALLOWED_HOSTS)")
