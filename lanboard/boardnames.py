"""HTTP routes for what the landing page shows of boards: their list (most recently used
first, with display names, deleted ones apart), a board's display name, and deleting a board.

A display name ("Math 7B: Fractions") is kept beside the id, which stays the slug in the
board's address. Deleting empties the board through the Hub like a restore (a version with
reason `deleted` is saved first, and `seq` goes on increasing: pages cache boards by it), then
hides it from the list until it changes again; History's restore brings it back.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from lanboard.boardapi import BoardHandler, _loopback
from lanboard.hub import Hub
from lanboard.store import BoardName, StoreError, VersionInfo
from lanboard.web import BaseHandler

#: Longest display name, in characters, after cleaning.
MAX_BOARD_NAME_CHARS = 80

#: Largest body of a name write: a name and some JSON around it.
MAX_NAME_BODY_BYTES = 4096

#: The characters a userId loses (protocol.clean_user_id): control, bidi overrides and
#: zero-width ones, which could make two names look alike or reorder the landing list's text.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def clean_board_name(raw: str) -> str:
    """A display name as stored: runs of white space (newlines too) become one space, the
    characters a userId loses go, and it is cut to MAX_BOARD_NAME_CHARS. "" means none."""
    return _INVISIBLE.sub("", _SPACES.sub(" ", raw)).strip()[:MAX_BOARD_NAME_CHARS].strip()


def hidden(entry: BoardName | None, seq: int, elements: int) -> bool:
    """Whether a board is deleted: still at the seq its delete left it at, and empty (a
    failed commit that rolled the delete back leaves a board that is neither)."""
    return (entry is not None and entry.deleted_seq is not None
            and seq == entry.deleted_seq and elements == 0)


def restore_version(versions: list[VersionInfo], entry: BoardName) -> int | None:
    """The version that brings a deleted board back: the `deleted` one saved just before the
    delete's clear; or, when History kept an older copy of the same board instead (it keeps
    each board once), the newest before the delete with as many elements. None for a board
    that was empty."""
    if entry.deleted_seq is None or not entry.deleted_elements:
        return None
    before = [v for v in versions if v.seq < entry.deleted_seq]
    for v in before:
        if v.reason == "deleted" and v.seq == entry.deleted_seq - 1:
            return v.id
    for v in before:
        if v.elements == entry.deleted_elements:
            return v.id
    return None


class RoomsHandler(BaseHandler):
    """GET /api/rooms: every board, loaded ones with their people; boards with people on
    them first, then each most recently changed first (`updated`); deleted ones apart."""

    def initialize(self, hub: Hub) -> None:
        self.hub = hub

    def get(self) -> None:
        try:
            summaries = self.hub.store.boards()
            names = self.hub.store.names()
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        rooms: dict[str, dict[str, Any]] = {}
        for s in summaries:
            rooms[s.id] = {"id": s.id, "users": [], "userCount": 0, "elements": s.elements,
                           "seq": s.seq, "loaded": False, "updated": s.updated}
        for room in self.hub.rooms.values():
            users = room.users()
            stored = rooms.get(room.id, {}).get("updated")
            rooms[room.id] = {"id": room.id, "users": users, "userCount": len(users),
                              "elements": len(room.elements), "seq": room.seq, "loaded": True,
                              "updated": time.time() if stored is None else stored}
        listed: list[dict[str, Any]] = []
        deleted: list[dict[str, Any]] = []
        for r in rooms.values():
            entry = names.get(r["id"])
            r["name"] = entry.name if entry is not None else ""
            # A stored board's element count is its last snapshot's, which a crash right
            # after a delete leaves stale: its seq alone says it was not used since.
            if entry is not None and hidden(entry, r["seq"], r["elements"] if r["loaded"] else 0):
                try:
                    version = restore_version(self.hub.store.versions(r["id"]), entry)
                except StoreError:
                    version = None
                deleted.append({"id": r["id"], "name": r["name"], "deleted": entry.deleted_at,
                                "elements": entry.deleted_elements, "version": version})
            else:
                listed.append(r)
        listed.sort(key=lambda r: (r["userCount"] == 0, -r["updated"], r["id"]))
        deleted.sort(key=lambda r: (-(r["deleted"] or 0), r["id"]))
        self.finish({"rooms": listed, "deleted": deleted})


class NameHandler(BoardHandler):
    """GET /api/rooms/{id}/name: `{id, name}` ("" for none; loads no board).
    POST `{"name": "..."}`: sets it (cleaned; "" removes it)."""

    def get(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        try:
            entry = self.hub.store.names().get(room_id)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        self.finish({"id": room_id, "name": entry.name if entry is not None else ""})

    def post(self, room_id: str) -> None:
        if not self.good_id(room_id):
            return
        if len(self.request.body) > MAX_NAME_BODY_BYTES:
            self.fail(413, "too_large", f"a name write is at most {MAX_NAME_BODY_BYTES} bytes")
            return
        if not self.same_origin_json() or not self.may_name(room_id):
            return
        try:
            doc = json.loads(self.request.body)
        except (ValueError, RecursionError):
            doc = None
        raw = doc.get("name") if isinstance(doc, dict) else None
        if not isinstance(raw, str):
            self.fail(400, "bad_message", 'send {"name": "..."} as JSON')
            return
        if not self.exists(room_id):
            return
        name = clean_board_name(raw)
        try:
            entry = self.hub.store.names().get(room_id) or BoardName()
            entry.name = name
            self.hub.store.save_name(room_id, entry)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        self.finish({"id": room_id, "name": name})

    def may_name(self, room_id: str) -> bool:
        """A board with a teacher is named by its teacher (403 `forbidden` for anyone else);
        one without, by the rule for replacing it (kinds.refusal, as import and restore)."""
        try:
            has_teacher = self.hub.access(room_id).teacher_key is not None
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return False
        if not has_teacher:
            return self.may_write(room_id)
        role = self.role(room_id)
        if role is None:
            return False
        if role != "teacher":
            self.fail(403, "forbidden", "only the board's teacher may rename it")
            return False
        return True


class DeleteHandler(BoardHandler):
    """POST /api/rooms/{id}/delete, body `{}`: the host deletes a board. Allowed with the
    teacher key, or from the machine LANBoard runs on (loopback, as for the links): the host
    is the one trusted for every board there, and a student must not make a class's board
    vanish from the list. Answers `{seq, version}`."""

    def post(self, room_id: str) -> None:
        if not self.good_id(room_id) or not self.same_origin_json():
            return
        if not _loopback(self.request.remote_ip):
            role = self.role(room_id)
            if role is None:
                return
            if role != "teacher":
                self.fail(403, "forbidden", "only the host machine or the board's teacher may "
                          "delete it")
                return
        room = self.find_room(room_id)
        if room is None:
            return
        try:
            entry = self.hub.store.names().get(room_id) or BoardName()
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        if hidden(entry, room.seq, len(room.elements)):
            self.finish({"seq": room.seq})  # deleted already: nothing to save again
            return
        if not self.may_replace(room_id):
            return
        count = len(room.elements)
        self.hub.replace(room, [], "deleted", self.by())
        entry.deleted_seq, entry.deleted_at, entry.deleted_elements = room.seq, time.time(), count
        try:
            self.hub.store.save_name(room_id, entry)
        except StoreError as exc:
            self.fail(503, "storage_error", str(exc))
            return
        self.finish({"seq": room.seq})


def routes(hub: Hub, guard: Any) -> list[Any]:
    args = {"hub": hub, "guard": guard}
    return [
        (r"/api/rooms", RoomsHandler, {"hub": hub}),
        (r"/api/rooms/([^/]+)/name", NameHandler, args),
        (r"/api/rooms/([^/]+)/delete", DeleteHandler, args),
    ]
