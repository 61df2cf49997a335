"""A board's keys and settings as the hub keeps them (the `Access` the store holds), and what
a rotation of the keys ends (issue 14). Pure domain code.

The teacher makes new links because an old one leaked, so a rotation must end what the old
keys opened, not only refuse them at the next upgrade: every connection that joined with a
key the board no longer has gets a `keys_changed` error and is closed with
CLOSE_KEYS_CHANGED. Students who joined without a key are untouched. Each peer keeps the key
it joined with (`Peer.key`), so with several processes (lanboard/presence.py carries the
rotation) a connection that already joined with the new key is never ended by a late word of
the rotation.
"""

from __future__ import annotations

import hmac

from lanboard import kinds
from lanboard.errors import KEYS_CHANGED, ProtocolError
from lanboard.protocol import error_frame
from lanboard.room import Room
from lanboard.store import Access

#: WebSocket close code for a connection whose link the teacher replaced (docs/PROTOCOL.md).
CLOSE_KEYS_CHANGED = 4001
KEYS_CHANGED_MESSAGE = "the teacher made new links for this board; ask for the new one"


def access_of(room: Room) -> Access:
    teacher, viewer = room.keys if room.keys is not None else (None, None)
    return Access(teacher, viewer, room.teacher_joined, dict(room.settings))


def use_access(room: Room, access: Access) -> None:
    if access.teacher_key and access.viewer_key:
        room.keys = (access.teacher_key, access.viewer_key)
    room.teacher_joined = access.teacher_joined
    settings = {k: v for k, v in access.settings.items() if k in kinds.DEFAULT_SETTINGS}
    room.settings = {**kinds.DEFAULT_SETTINGS, **settings}
    room.view_only = frozenset(room.settings["viewOnly"])


class Standing:
    """A board's settings as kinds.refusal reads them, for a board that is not loaded."""

    def __init__(self, access: Access) -> None:
        self.settings = {**kinds.DEFAULT_SETTINGS, **{
            k: v for k, v in access.settings.items() if k in kinds.DEFAULT_SETTINGS}}
        self.view_only = frozenset(self.settings["viewOnly"])
        self.teacher_joined = access.teacher_joined


def _current(key: str, keys: tuple[str, str] | None) -> bool:
    given = key.encode()
    return keys is not None and any(hmac.compare_digest(given, k.encode()) for k in keys)


def end_old_keys(room: Room) -> int:
    """Close every connection on the board that joined with a key it no longer has; how many.
    The error frame goes straight out before the close (nothing reaches a closing socket
    afterwards, the flush included); the close's `on_close` makes each leave as usual."""
    ended = 0
    frame = error_frame(ProtocolError(KEYS_CHANGED, KEYS_CHANGED_MESSAGE))
    for peer in list(room.peers + room.joining):
        if peer.key is None or peer.closed or _current(peer.key, room.keys):
            continue
        # Frames it sent before its close frame came back change nothing (as for a kick).
        peer.role = "viewer"
        peer.send_message(frame)
        peer.transport.close(CLOSE_KEYS_CHANGED, "the teacher made new links")
        ended += 1
    return ended
