"""LANBoard: a real-time collaborative whiteboard for one room and one network."""

__version__ = "0.1.0"

#: Version of the WebSocket protocol spoken by this server (see docs/PROTOCOL.md).
PROTOCOL_VERSION = 2
