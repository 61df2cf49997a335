"""HTTP routes of a board's keys: its three links (asked by the host machine), the landing
page's claim that makes a board's creator its teacher, rotating the keys, and what role a key
gives (so a page opened on a link that no longer works can say so: a browser's WebSocket never
shows it the upgrade's 403 `bad_key`)."""

from __future__ import annotations

from typing import Any

from lanboard.boardapi import BoardHandler, _loopback
from lanboard.guard import Guard
from lanboard.hub import Hub
from lanboard.room import Room
from lanboard.store import StoreError


class KeysHandler(BoardHandler):
    """The board's three links: `/room/{id}` (student), `?key=VIEWER` and `?key=TEACHER`."""

    def links(self, room: Room, rotate: bool = False) -> dict[str, str] | None:
        try:
            teacher, viewer = self.hub.ensure_keys(room, rotate)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return None
        page = f"{self.request.protocol}://{self.request.host}/room/{room.id}"
        return {"teacher": f"{page}?key={teacher}", "student": page,
                "viewer": f"{page}?key={viewer}"}


class LinksHandler(KeysHandler):
    """GET: only the machine LANBoard runs on may ask (it opens the teacher link)."""

    def get(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        if not _loopback(self.request.remote_ip):
            self.fail(403, "forbidden", "only the machine LANBoard runs on gets a board's links")
            return
        room = self.load(room_id)
        if room is None:
            return
        found = self.links(room)
        if found is not None:
            self.finish(found)


class ClaimHandler(KeysHandler):
    """POST: whoever creates a board from the landing page becomes its teacher, once."""

    def post(self, room_id: str) -> None:
        if not self.good_id(room_id) or not self.same_origin_json():
            return
        try:
            taken = self.hub.access(room_id).teacher_key is not None
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if taken:
            self.fail(409, "taken", "this board already has a teacher")
            return
        room = self.load(room_id)
        if room is None:
            return
        if room.keys is not None:  # claimed while it was loading
            self.fail(409, "taken", "this board already has a teacher")
            return
        found = self.links(room)
        if found is not None:
            self.set_status(201)
            self.finish(found)


class RotateHandler(KeysHandler):
    """POST with the teacher key: new keys. The old links stop working, and the connections
    they opened are ended (keys.end_old_keys, through Hub.ensure_keys)."""

    def post(self, room_id: str) -> None:
        if not self.good_id(room_id) or not self.same_origin_json():
            return
        role = self.role(room_id)
        if role is None:
            return
        if role != "teacher":
            self.fail(403, "forbidden", "only the teacher may rotate the keys")
            return
        room = self.load(room_id)
        if room is None:
            return
        found = self.links(room, rotate=True)
        if found is not None:
            self.finish(found)


class RoleHandler(BoardHandler):
    """GET with `X-LANBoard-Key` (or none): `{"role"}` that key gives on the board, or 403
    `bad_key`. Loads no board."""

    def get(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        role = self.role(room_id)
        if role is not None:
            self.set_header("Cache-Control", "no-store")
            self.finish({"role": role})


def routes(hub: Hub, guard: Guard) -> list[Any]:
    args = {"hub": hub, "guard": guard}
    return [
        (r"/api/rooms/([^/]+)/links", LinksHandler, args),
        (r"/api/rooms/([^/]+)/claim", ClaimHandler, args),
        (r"/api/rooms/([^/]+)/keys/rotate", RotateHandler, args),
        (r"/api/rooms/([^/]+)/role", RoleHandler, args),
    ]
