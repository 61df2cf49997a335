"""The error codes of `error` frames, and the exception that carries one. docs/PROTOCOL.md
lists each code; a test checks that every code used here is documented there."""

from __future__ import annotations

BAD_JSON = "bad_json"
BAD_MESSAGE = "bad_message"
UNKNOWN_TYPE = "unknown_type"
BAD_ELEMENT = "bad_element"
NOT_FOUND = "not_found"
BOARD_FULL = "board_full"
RATE_LIMITED = "rate_limited"
STORAGE_ERROR = "storage_error"
FORBIDDEN = "forbidden"
INTERNAL = "internal"
#: The board is view only for this peer (a viewer, a view-only student, or locked).
READ_ONLY = "read_only"
#: HTTP: a key that is not this board's teacher or viewer key.
BAD_KEY = "bad_key"
#: HTTP: this name was removed from the board from this address a short while ago.
KICKED = "kicked"
#: HTTP: the board already has keys (claim).
TAKEN = "taken"
#: The teacher rotated the keys: this connection's link is dead, and it is closed (4001).
KEYS_CHANGED = "keys_changed"


class ProtocolError(Exception):
    """A client input that is rejected with an `error` frame; the connection stays open."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
