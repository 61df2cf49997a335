"""A connected client as the room sees it: identity, color, and where its frames go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lanboard.guard import ClientGuard


class Transport(Protocol):
    """The room's only view of a socket. The WebSocket handler implements it."""

    def write_frame(self, frame: bytes) -> None:
        """Queue one text frame; never blocks and never raises for a closed peer."""

    def write_parts(self, parts: list[bytes]) -> None:
        """Queue one text frame made of these pieces, in order, without joining them."""

    def backlog(self) -> int:
        """Bytes queued for this peer that the network has not taken yet."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection with a WebSocket close code and reason."""


class NullTransport:
    """A transport that sends nothing: for peers in benchmarks that measure the store or the
    room, not sockets."""

    def write_frame(self, frame: bytes) -> None:
        pass

    def write_parts(self, parts: list[bytes]) -> None:
        pass

    def backlog(self) -> int:
        return 0

    def close(self, code: int, reason: str) -> None:
        pass


@dataclass(slots=True, eq=False)
class Peer:
    """One connection in a room. Several peers may share a user id (two tabs, a reconnect)."""

    user_id: str
    transport: Transport
    #: Protocol v2 clients get every frame as a JSON array and their own changes echoed.
    batched: bool = False
    #: A v2 client that asked for packed stroke points in its sync (`pack=1`, packing.py).
    packed: bool = False
    color: str = "#000000"
    #: For a resuming client: the last seq it has; None means it needs a full sync.
    since: int | None = None
    #: Monotonic time at which its backlog passed the limit; None while it keeps up.
    stalled_since: float | None = None
    closed: bool = field(default=False)
    #: What this peer may send (see kinds.ROLES).
    role: str = "student"
    #: Its rate limits; None for peers made inside the server (tests, benchmarks).
    guard: ClientGuard | None = None
    #: The random id a page keeps in localStorage: another clientId with the same name is
    #: another person ("NAME (2)"). None for seed clients.
    client_id: str | None = None
    #: The address it connected from, for a kick's ban.
    ip: str = "?"
    #: The name it asked for (user_id may be "NAME (2)").
    asked: str = ""
    #: The key it joined with (teacher or viewer link); None without one. A rotation of the
    #: board's keys ends the connections whose key is no longer the board's (keys.py).
    key: str | None = None

    def send(self, frame: bytes) -> None:
        """Write a frame exactly as given (batched frames are already arrays)."""
        if not self.closed:
            self.transport.write_frame(frame)

    def send_parts(self, parts: list[bytes]) -> None:
        """Write one frame given in pieces (a big sync shares its element bytes)."""
        if self.closed:
            return
        if len(parts) == 1:
            self.transport.write_frame(parts[0])
        else:
            self.transport.write_parts(parts)

    def send_message(self, message: bytes) -> None:
        """Write one message, wrapped in an array for batched clients."""
        self.send(b"[" + message + b"]" if self.batched else message)
