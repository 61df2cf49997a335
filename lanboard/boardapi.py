"""HTTP API for one board: History (versions, restore), export and import, and the lesson's
timeline (the board at any kept seq, the kept changes, restore a moment)."""

from __future__ import annotations

import ipaddress
import time
import urllib.parse
from typing import Any

from lanboard import elements, exports, kinds, limits, svg, timeline
from lanboard.exports import exports_full, handout, off_loop
from lanboard.guard import Guard
from lanboard.hub import Hub
from lanboard.protocol import ProtocolError, clean_user_id, dumps
from lanboard.room import Room
from lanboard.store import Asset, Element, StoreError
from lanboard.web import BaseHandler, same_origin

#: The `lanboard` field of an exported board file.
FILE_FORMAT = 1

# Re-exported: the board file's parser lives with the other board-file code.
parse_board_file = exports.parse_board_file


class BoardHandler(BaseHandler):
    """Shared by the board routes: checks a request in full before any board is loaded (a
    refused request loads and creates nothing), and checks writes come from our pages."""

    def initialize(self, hub: Hub, guard: Guard) -> None:
        self.hub = hub
        self.guard = guard

    def good_id(self, room_id: str) -> bool:
        if limits.ROOM_ID_PATTERN.fullmatch(room_id):
            return True
        self.fail(400, "bad_room", "a room id is 1-64 characters of letters, digits, '_' and "
                  "'-'")
        return False

    def exists(self, room_id: str, hint: str = "") -> bool:
        """Whether the board is loaded or stored (loading none); if not, after a 404
        `no_board` (its message ending in `hint`), or a 503 when the store fails."""
        try:
            if room_id in self.hub.rooms or self.hub.store.load(room_id) is not None:
                return True
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return False
        self.fail(404, "no_board", f"there is no board {room_id!r}{hint}")
        return False

    def load(self, room_id: str) -> Room | None:
        """The room, loaded (or created) through the hub, whose cap holds here too; None
        after a 503."""
        try:
            return self.hub.room(room_id)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
        except ProtocolError as err:
            self.fail(503, err.code, err.message)
        return None

    def find_room(self, room_id: str) -> Room | None:
        """An existing board, loaded; None after a 4xx or 5xx."""
        if not self.good_id(room_id):
            return None
        return self.load(room_id) if self.exists(room_id) else None

    def may_replace(self, room_id: str) -> bool:
        """Whether the board may be replaced now (see Guard.allow_replace); a 429 if not."""
        if self.guard.allow_replace(room_id):
            return True
        self.fail(429, "rate_limited", f"this board was just replaced; wait "
                  f"{limits.REPLACE_EVERY_SECONDS:g} s between imports and restores")
        return False

    def role(self, room_id: str) -> str | None:
        """The role the request's `X-LANBoard-Key` gives (none: a student); None after a
        403 `bad_key` or a 503."""
        try:
            role = self.hub.role_for(room_id, self.request.headers.get("X-LANBoard-Key"))
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return None
        if role is None:
            self.fail(403, "bad_key", "X-LANBoard-Key is not this board's key")
        return role

    def may_write(self, room_id: str) -> bool:
        """Whether this request may replace the board (import, restore), by the same rule
        as a live clear (kinds.refusal); a 403 if not. Loads no board."""
        role = self.role(room_id)
        if role is None:
            return False
        try:
            refused = kinds.refusal(self.hub.standing(room_id), role, self.by(),
                                    kinds.KINDS["clear"])
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return False
        if refused is not None:
            self.fail(403, refused.code, refused.message)
            return False
        return True

    def by(self) -> str:
        """Who the notice names: `X-LANBoard-User` (percent-encoded UTF-8: a header holds
        only Latin-1), cleaned like a userId."""
        raw = urllib.parse.unquote(self.request.headers.get("X-LANBoard-User", ""))
        return clean_user_id(raw) or "someone"

    def replace(self, room: Room, elements: list[Element], reason: str) -> None:
        """Make the board `elements` for everyone (the old board saved as a version first).
        Anyone but the teacher keeps the locked elements, as a student's clear does."""
        dropped = 0
        if self.role(room.id) != "teacher":
            elements, dropped = keep_locked(room.elements, elements)
        self.hub.replace(room, elements, reason, self.by())
        answer: dict[str, Any] = {"seq": room.seq, "elements": len(elements)}
        if dropped:
            answer["lockedDropped"] = dropped
        self.finish(answer)

    async def past(self, room_id: str, seq: int) -> list[Element] | None:
        """The board right after change `seq`, from the store (loading no room); None after
        a 4xx (`no_board`, `no_seq`, `gone`) or a 503. The store is read on the loop (its
        connection is the loop's); the replay runs on the export thread."""
        try:
            found = timeline.past(self.hub.store, room_id, seq)
        except ProtocolError as err:
            self.fail(timeline.STATUS[err.code], err.code, err.message)
            return None
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return None
        return await off_loop(found.build)

    def seq_argument(self, name: str) -> int | None:
        """The whole-number query argument `name`: -1 when absent, None after a 400."""
        raw = self.get_argument(name, None)
        if raw is None:
            return -1
        try:
            return timeline.parse_seq(raw, name)
        except ProtocolError as err:
            self.fail(400, err.code, err.message)
            return None

    def same_origin_json(self) -> bool:
        """Writes must be JSON from a page of this server: a form on another site can send
        neither, so this stops cross-site requests."""
        media = self.request.headers.get("Content-Type", "").split(";", 1)[0]
        if media.strip().lower() != "application/json":
            self.fail(415, "bad_content_type", "send the board file as application/json")
            return False
        origin = self.request.headers.get("Origin")
        if origin is not None and not same_origin(origin, self.request):
            self.fail(403, "bad_origin", "requests from other sites are refused")
            return False
        return True


class VersionsHandler(BoardHandler):
    def get(self, room_id: str) -> None:
        # History is read from the store: listing it loads no board.
        if not self.good_id(room_id):
            return
        try:
            versions = self.hub.store.versions(room_id)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if not versions and not self.exists(room_id):
            return
        self.finish({"versions": [
            {"id": v.id, "time": v.time, "seq": v.seq, "elements": v.elements,
             "reason": v.reason} for v in versions]})


class RestoreHandler(BoardHandler):
    def post(self, room_id: str, version_id: str) -> None:
        if not self.good_id(room_id) or not self.same_origin_json():
            return
        if not self.may_write(room_id):
            return
        try:
            elements = self.hub.store.version(room_id, int(version_id))
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if elements is None:
            self.fail(404, "no_version", f"board {room_id!r} has no version {version_id}")
            return
        if not self.may_replace(room_id):
            return
        room = self.load(room_id)
        if room is not None:
            self.replace(room, elements, "before-restore")


class RestoreAtHandler(BoardHandler):
    """"Restore this moment": the board as it was right after change `seq`, made the board
    through the same path as a version restore (a `before-restore` version first)."""

    async def post(self, room_id: str, raw_seq: str) -> None:
        if not self.good_id(room_id) or not self.same_origin_json():
            return
        if not self.may_write(room_id):
            return
        try:
            seq = timeline.parse_seq(raw_seq)
        except ProtocolError as err:
            self.fail(400, err.code, err.message)
            return
        elements = await self.past(room_id, seq)
        if elements is None or not self.may_replace(room_id):
            return
        room = self.load(room_id)
        if room is not None:
            self.replace(room, elements, "before-restore")


#: Paper sizes of the PDF handout (`&paper=`).
PAPERS = ("a4", "letter")


class ExportHandler(BoardHandler):
    async def get(self, room_id: str) -> None:
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "svg", "pdf"):
            self.fail(400, "bad_format", "format must be json, svg or pdf")
            return
        paper = self.get_argument("paper", "a4").lower()
        if paper not in PAPERS:
            self.fail(400, "bad_paper", "paper must be a4 or letter")
            return
        seq = self.seq_argument("seq")
        if seq is None or not self.good_id(room_id):
            return
        try:
            page = exports.page_argument(self.get_argument("page", None), fmt)
        except ProtocolError as err:
            self.fail(400, err.code, err.message)
            return
        if (seq >= 0 or fmt != "json") and exports_full():
            self.set_header("Retry-After", "2")
            self.fail(503, "server_busy", "handouts and past boards are being made for others "
                      "just now; try again in a few seconds")
            return
        if seq >= 0:
            # A past board is rebuilt from the store: asking for one loads no room.
            found = await self.past(room_id, seq)
            if found is None:
                return
            elements, body, pages = found, None, 1
        else:
            room = self.find_room(room_id)
            if room is None:
                return
            elements, seq, body = room.encoded_elements(), room.seq, room.elements_json()
            pages = room.settings.get("pages", 1)
        try:
            pictures = exports.asset_map(self.hub.store, room_id, elements)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        count = exports.page_count(elements, pages)
        chosen = [exports.on_page(elements, p) for p in (
            range(1, count + 1) if page == "all" else [int(page)])]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.set_header("Content-Disposition",
                        f'attachment; filename="{room_id}-{stamp}.{fmt}"')
        if fmt == "svg":
            picture = await off_loop(lambda: svg.render(chosen[0], pictures))
            self.set_header("Content-Type", "image/svg+xml; charset=utf-8")
            self.finish(picture)
            return
        if fmt == "pdf":
            title = f"{room_id} at seq {seq}"
            doc = await off_loop(lambda: handout(elements, paper, title, pictures, chosen))
            self.set_header("Content-Type", "application/pdf")
            self.finish(doc)
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        head = dumps({"lanboard": FILE_FORMAT, "room": room_id, "seq": seq,
                      "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        if body is None:
            body = b"[" + b",".join(e for _, e in elements) + b"]"
        carried = exports.embedded(self.hub.store, room_id, elements) if pictures else b"[]"
        self.finish(head[:-1] + b',"elements":' + body + b',"assets":' + carried + b"}")


class ChangesHandler(BoardHandler):
    """The kept change messages after `after`, oldest first, exactly as peers received them:
    the timeline plays them onto the board at `oldest` (or at `after`)."""

    def get(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        after = self.seq_argument("after")
        limit = self.seq_argument("limit")
        if after is None or limit is None:
            return
        if limit == -1:
            limit = limits.MAX_CHANGES_PAGE
        if not 1 <= limit <= limits.MAX_CHANGES_PAGE:
            self.fail(400, "bad_limit", f"limit must be 1-{limits.MAX_CHANGES_PAGE}")
            return
        try:
            if after == -1:  # from the oldest kept
                kept = self.hub.store.kept(room_id)
                after = kept.oldest if kept is not None else 0
            oldest, current, frames = timeline.changes_after(self.hub.store, room_id, after,
                                                             limit)
        except ProtocolError as err:
            self.fail(timeline.STATUS[err.code], err.code, err.message)
            return
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        head = dumps({"oldest": oldest, "seq": current})
        self.finish(head[:-1] + b',"changes":[' + b",".join(frames) + b"]}")


class ImportHandler(BoardHandler):
    """Replace the board with a board file. The board as it was is saved in History first.
    The request is checked in full (id, size, type, origin, the file, the rate) before the
    board is loaded or created."""

    def post(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        if len(self.request.body) > limits.MAX_IMPORT_BYTES:
            self.fail(413, "too_large", f"a board file is at most "
                      f"{limits.MAX_IMPORT_BYTES // 2**20} MiB")
            return
        if not self.same_origin_json() or not self.may_write(room_id):
            return
        carried: list[Asset] = []
        try:
            held = self.hub.store.asset_ids(room_id)
            elements = parse_board_file(self.request.body, held, carried)
            exports.fit_assets(self.hub.store, room_id, carried)
        except ProtocolError as err:
            self.fail(413 if err.code == "too_large" else 400, err.code, err.message)
            return
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if not self.may_replace(room_id):
            return
        room = self.load(room_id)
        if room is not None:
            try:
                for asset in carried:  # stored before any element names them
                    self.hub.add_asset(room_id, asset)
            except StoreError as exc:
                self.fail(503, "storage_error", str(exc))
                return
            self.replace(room, elements, "before-import")


def _loopback(ip: str | None) -> bool:
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def routes(hub: Hub, guard: Guard) -> list[Any]:
    args = {"hub": hub, "guard": guard}
    return [
        (r"/api/rooms/([^/]+)/versions", VersionsHandler, args),
        (r"/api/rooms/([^/]+)/versions/(\d{1,12})/restore", RestoreHandler, args),
        (r"/api/rooms/([^/]+)/versions/at/([^/]+)/restore", RestoreAtHandler, args),
        (r"/api/rooms/([^/]+)/export", ExportHandler, args),
        (r"/api/rooms/([^/]+)/changes", ChangesHandler, args),
        (r"/api/rooms/([^/]+)/import", ImportHandler, args),
    ]


def keep_locked(board: dict[str, bytes], new: list[Element]) -> tuple[list[Element], int]:
    """What a replace by anyone but the teacher makes of `new` on a board holding `board`
    (id -> encoded, in board order): the board's locked elements stay as they are, under
    everything else (where backgrounds sit), and locked elements of `new` are left out, since
    only the teacher may lock. Returns the elements and how many were left out."""
    kept = [(eid, enc) for eid, enc in board.items() if elements.is_locked(enc)]
    held = {eid for eid, _ in kept}
    rest = [(eid, enc) for eid, enc in new if eid not in held and not elements.is_locked(enc)]
    dropped = sum(1 for eid, enc in new if eid not in held and elements.is_locked(enc))
    return kept + rest, dropped

