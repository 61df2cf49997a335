"""The naive baseline: the seed's design ported to Tornado as directly as possible.

Per message: `json.loads`, then for every other client in the room one `json.dumps` and one
`write_message`. No batching, no encode-once, no flow control: what the issue calls the naive
port. It keeps the seed's semantics (sync on join, draw/cursor relayed to others, clear to
everyone, elements kept for late joiners) so the same load generator drives it. Benchmark use
only; loopback only.

    python -m benchmarks.naive_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

ROOMS: dict[str, set[NaiveSocket]] = {}
ELEMENTS: dict[str, dict[str, dict[str, Any]]] = {}


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class NaiveSocket(tornado.websocket.WebSocketHandler):
    def open(self, room: str) -> None:  # type: ignore[override]
        # The design it ports (Go's net package) sets TCP_NODELAY on every connection.
        self.set_nodelay(True)
        self.room = room
        self.user = self.get_argument("userId", "anon")
        peers = ROOMS.setdefault(room, set())
        peers.add(self)
        elements = list(ELEMENTS.setdefault(room, {}).values())
        self.write_message(dumps({"type": "sync", "userId": self.user,
                                  "data": {"elements": elements, "userId": self.user}}))

    def on_message(self, message: str | bytes) -> None:
        try:
            msg = json.loads(message)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        msg["userId"] = self.user
        kind = msg.get("type")
        data = msg.get("data")
        if kind == "draw" and isinstance(data, dict) and isinstance(data.get("id"), str):
            ELEMENTS[self.room][data["id"]] = data
        elif kind == "clear":
            ELEMENTS[self.room].clear()
        elif kind == "ping":
            self.write_message(dumps({"type": "pong", "data": {}}))
            return
        elif kind != "cursor":
            return
        for peer in list(ROOMS.get(self.room, ())):
            if peer is self and kind != "clear":
                continue
            try:
                peer.write_message(dumps(msg))
            except tornado.websocket.WebSocketClosedError:
                ROOMS[self.room].discard(peer)

    def on_close(self) -> None:
        ROOMS.get(self.room, set()).discard(self)

    def check_origin(self, origin: str) -> bool:
        return True


async def serve(host: str, port: int) -> None:
    app = tornado.web.Application([(r"/ws/([^/]*)", NaiveSocket)],
                                  websocket_max_message_size=1 << 20)
    sockets = tornado.netutil.bind_sockets(port, address=host)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"naive baseline listening on {host}:{port}", flush=True)
    await stop.wait()
    server.stop()


def main() -> None:
    p = argparse.ArgumentParser(description="the naive baseline server")
    p.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost"])
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
