"""HTTP routes for a board's images (issue 15): upload and download an asset, and import a PDF
worksheet as one locked background image a page. Kept out of boardapi.py, which holds the
board's history, export and import routes.

Uploads follow the other writes' rules: the same Origin check, `X-LANBoard-Key` for the role,
and the one permission rule (kinds.refusal) read as for a `draw`, so a viewer, a view-only
student and every student while the board is locked are refused (the teacher's lock covers
uploads).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from lanboard import assets, elements, kinds, limits, pdfimport
from lanboard.boardapi import BoardHandler
from lanboard.exports import exports_full, off_loop
from lanboard.guard import Guard, TokenBucket, is_loopback
from lanboard.hub import Hub
from lanboard.peer import Peer
from lanboard.protocol import ProtocolError, dumps
from lanboard.room import Room
from lanboard.store import StoreError
from lanboard.web import same_origin

#: Request Content-Types an upload may carry: the image's own type, or bytes without one.
UPLOAD_TYPES = (*assets.TYPES, "application/octet-stream")
PDF_TYPES = ("application/pdf", "application/octet-stream")

#: What an error frame's code from the hub means as an HTTP status (a PDF import's pages go
#: through Hub.submit like any change).
_STATUS = {"storage_error": 503, "forbidden": 403, "read_only": 403, "board_full": 400,
           "bad_element": 400, "rate_limited": 429}


class _Capture:
    """The transport of the PDF importer's own peer: it keeps the error frames the hub sends
    it (it is in no room's peer list, so it gets only its own direct messages)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def write_parts(self, parts: list[bytes]) -> None:
        self.frames.append(b"".join(parts))

    def backlog(self) -> int:
        return 0

    def close(self, code: int, reason: str) -> None:
        pass


def page_count(room: Room) -> int:
    """The board's page count: max(settings.pages, the highest page an element is on)."""
    highest = 1
    for encoded in room.elements.values():
        if elements.PAGE_KEY in encoded:
            highest = max(highest, elements.page_of(json.loads(encoded)))
    return max(int(room.settings.get("pages", 1)), highest)


class UploadBudget:
    """Bytes each address may still upload (limits.UPLOAD_BURST_BYTES, refilled at
    UPLOAD_BYTES_PER_SECOND); one per application."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, ip: str, size: int, cluster: Any = None) -> bool:
        if is_loopback(ip):
            return True
        shared = None if cluster is None else cluster.uploads.take(ip, size)
        if shared is not None:  # --redis: one budget on every process (addressbudget.py)
            return bool(shared)
        if len(self.buckets) > 10_000:  # a bound, not a policy
            self.buckets.clear()
        bucket = self.buckets.setdefault(ip, TokenBucket(limits.UPLOAD_BYTES_PER_SECOND,
                                                         limits.UPLOAD_BURST_BYTES))
        return bucket.take(self.clock(), float(size))


class AssetWriteHandler(BoardHandler):
    """Shared checks of an upload and a PDF import, before anything is read or loaded."""

    def initialize(self, hub: Hub, guard: Guard, budget: UploadBudget | None = None) -> None:
        super().initialize(hub, guard)
        self.budget = budget or UploadBudget()

    def write_allowed(self, room_id: str, types: tuple[str, ...], most: int) -> str | None:
        """The sender's role when the request may go on; None after a 4xx or 5xx."""
        if not self.good_id(room_id):
            return None
        media = self.request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media not in types:
            self.fail(415, "bad_content_type", f"send the bytes as one of {', '.join(types)}")
            return None
        origin = self.request.headers.get("Origin")
        if origin is not None and not same_origin(origin, self.request):
            self.fail(403, "bad_origin", "requests from other sites are refused")
            return None
        if len(self.request.body) > most:
            self.fail(413, "too_large", f"at most {most // 2**20} MiB")
            return None
        if not self.budget.take(self.request.remote_ip or "?", len(self.request.body),
                                self.hub.cluster):
            self.fail(429, "rate_limited", "this device uploaded a lot just now; wait a "
                      "minute and try again")
            return None
        role = self.role(room_id)
        if role is None:
            return None
        try:
            refused = kinds.refusal(self.hub.standing(room_id), role, self.by(),
                                    kinds.KINDS["draw"])
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return None
        if refused is not None:
            self.fail(403, refused.code, refused.message)
            return None
        return role if self.exists(room_id, "; open it first") else None


class AssetsHandler(AssetWriteHandler):
    """POST: store an image with the board; 201 the first time, 200 for the same bytes
    again (stored once: the id is their SHA-256)."""

    def post(self, room_id: str) -> None:
        if self.write_allowed(room_id, UPLOAD_TYPES, limits.MAX_ASSET_BYTES) is None:
            return
        try:
            asset = assets.check(self.request.body)
            store = self.hub.store
            if asset.id not in store.asset_ids(room_id):
                assets.fits(store.asset_bytes(room_id), asset)
            added = self.hub.add_asset(room_id, asset)
        except ProtocolError as err:
            self.fail(413 if err.code == assets.TOO_LARGE else 400, err.code, err.message)
            return
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        self.set_status(201 if added else 200)
        self.finish(asset.info())


class AssetHandler(BoardHandler):
    """GET: the asset's exact bytes, cached for good (its id is its content)."""

    def compute_etag(self) -> str | None:
        # The id is the SHA-256 of the bytes: Tornado answers If-None-Match with 304.
        return f'"{self.asset_id}"'

    def get(self, room_id: str, asset_id: str) -> None:
        self.asset_id = asset_id
        if not self.good_id(room_id):
            return
        if not assets.ASSET_ID.fullmatch(asset_id):
            self.fail(400, "bad_asset", "an asset id is 64 lowercase hex digits")
            return
        try:
            found = self.hub.store.asset(room_id, asset_id)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if found is None:
            self.fail(404, "no_asset", f"board {room_id!r} has no asset {asset_id[:12]}...")
            return
        self.set_header("Content-Type", found.type)
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.finish(found.data)


class PdfHandler(AssetWriteHandler):
    """POST a PDF: each page rendered into an image asset (on the export thread) and added as
    one background image element on its own board page, through Hub.submit like any draw;
    answered once the elements are committed."""

    async def post(self, room_id: str) -> None:
        role = self.write_allowed(room_id, PDF_TYPES, limits.MAX_PDF_BYTES)
        if role is None:
            return
        first = self.get_argument("page", None)
        if first is not None and not (first.isdigit() and 1 <= int(first) <= limits.MAX_PAGES):
            self.fail(400, "bad_page", f"page is a whole number 1-{limits.MAX_PAGES}")
            return
        if exports_full():
            self.set_header("Retry-After", "2")
            self.fail(503, "server_busy", "handouts and imports are being made for others "
                      "just now; try again in a few seconds")
            return
        body = self.request.body
        try:
            pages = await off_loop(lambda: pdfimport.render(body))
        except ProtocolError as err:
            self.fail(413 if err.code == assets.TOO_LARGE else 400, err.code, err.message)
            return
        room = self.load(room_id)
        if room is None:
            return
        start = int(first) if first is not None else (
            page_count(room) + 1 if room.elements else 1)
        if start + len(pages) - 1 > limits.MAX_PAGES:
            self.fail(400, "bad_page", f"pages {start}-{start + len(pages) - 1} pass the "
                      f"board's {limits.MAX_PAGES}")
            return
        try:
            self.store_assets(room_id, pages)
        except ProtocolError as err:
            self.fail(413, err.code, err.message)
            return
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        error = self.draw(room, role, start, pages)
        if error is not None:
            self.fail(_STATUS.get(error["code"], 400), error["code"], error["message"])
            return
        self.set_status(201)
        self.finish({"first": start, "count": len(pages), "pages": [
            {"page": start + i, "asset": p.asset.id, "width": p.asset.width,
             "height": p.asset.height} for i, p in enumerate(pages)]})

    def store_assets(self, room_id: str, pages: list[pdfimport.PageImage]) -> None:
        store = self.hub.store
        held = store.asset_ids(room_id)
        fresh = {p.asset.id: p.asset for p in pages if p.asset.id not in held}
        used = store.asset_bytes(room_id)
        for asset in fresh.values():
            assets.fits(used, asset)
            used += len(asset.data)
        for asset in fresh.values():
            self.hub.add_asset(room_id, asset)

    def draw(self, room: Room, role: str, start: int,
             pages: list[pdfimport.PageImage]) -> dict[str, Any] | None:
        """Each page's element as a draw from the importer, through the hub like a live one;
        the first error the hub answered, or None once every draw is committed."""
        capture = _Capture()
        peer = Peer(self.by(), capture, batched=True, role=role)
        tag = secrets.token_hex(4)
        now = time.monotonic()
        for i, p in enumerate(pages):
            element: dict[str, Any] = {
                "id": f"pdf-{tag}-{start + i}", "elementType": "image", "asset": p.asset.id,
                "x": 0, "y": 0, "width": round(p.width, 2), "height": round(p.height, 2),
                "page": start + i}
            if role == "teacher":  # only the teacher may lock (kinds.locked_refusal)
                element["locked"] = True
            self.hub.submit(room, peer, dumps({"type": "draw", "data": element}).decode(), now)
        last = start + len(pages) - 1
        if role == "teacher" and last > room.settings.get("pages", 1):
            # The teacher's pages setting covers them (a student may not change settings:
            # the count still follows the highest page an element is on).
            self.hub.submit(room, peer, dumps({"type": "settings",
                                               "data": {"pages": last}}).decode(), now)
        self.hub.flush()  # committed, then relayed to everyone on the board, before we answer
        for frame in capture.frames:
            for message in _messages(frame):
                if message.get("type") == "error":
                    data: dict[str, Any] = message["data"]
                    return data
        return None


def _messages(frame: bytes) -> list[dict[str, Any]]:
    parsed = json.loads(frame)
    return parsed if isinstance(parsed, list) else [parsed]


def routes(hub: Hub, guard: Guard, budget: UploadBudget | None = None) -> list[Any]:
    args = {"hub": hub, "guard": guard}
    writes = {**args, "budget": budget or UploadBudget()}  # one budget for both routes
    return [
        (r"/api/rooms/([^/]+)/assets", AssetsHandler, writes),
        (r"/api/rooms/([^/]+)/assets/([^/]+)", AssetHandler, args),
        (r"/api/rooms/([^/]+)/pdf", PdfHandler, writes),
    ]
