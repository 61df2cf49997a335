"""Convergence under churn: many clients draw, erase, undo, append and clear at once while
their connections drop at random and resume with `since`; at the end every client's board
equals the server's, element for element and in the same order.

Each simulated client rebuilds its board only from what the server tells it, by the rules in
docs/PROTOCOL.md: a `sync` replaces the board; a `resume` keeps it and the missed changes
follow; then every change is applied in `seq` order. A v2 client sees its own changes come
back with their seq; a seed (v1) client learns their seq from `ack`. Either way each client
must see every seq exactly once, with no gap and no duplicate, which the client checks.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from lanboard import limits

COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#000", "#abc"]


class Sim:
    """One simulated user: its socket, its board as the server has told it, and its own
    changes not yet confirmed (to re-send as full draws after a reconnect)."""

    def __init__(self, base: str, room: str, user: str, v2: bool, rng: random.Random) -> None:
        self.url = f"{base.replace('http', 'ws', 1)}/ws/{room}?userId={user}"
        self.user = user
        self.v2 = v2
        self.rng = rng
        self.conn: WebSocketClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.board: dict[str, dict[str, Any]] = {}
        self.seq: int | None = None
        #: Elements this user means to have on the board, as it last drew them.
        self.mine: dict[str, dict[str, Any]] = {}
        #: Changes sent per id and not yet seen confirmed (echo, ack or replay).
        self.unconfirmed: dict[str, int] = {}
        #: v1: contents of draws sent per id, oldest first, waiting for their ack.
        self.awaiting_ack: dict[str, list[dict[str, Any]]] = {}
        self.caught_up = asyncio.Event()
        #: Own elements erased, newest last, for undo.
        self.erased: list[dict[str, Any]] = []
        #: A reconnect in progress, so two never overlap.
        self.reconnecting: asyncio.Task[None] | None = None
        self.counter = 0
        self.stats = {"reconnects": 0, "syncs": 0, "resumes": 0, "resent": 0, "changes": 0}
        self.failure: BaseException | None = None

    @property
    def online(self) -> bool:
        return self.conn is not None and self.caught_up.is_set()

    # ---- connection ---------------------------------------------------------------------

    async def connect(self) -> None:
        url = self.url + ("&v=2" if self.v2 else "")
        if self.seq is not None:
            url += f"&since={self.seq}"
        self.caught_up.clear()
        self.awaiting_ack.clear()
        self.conn = await websocket_connect(url, max_message_size=64 * 1024 * 1024)
        self.reader = asyncio.ensure_future(self._read(self.conn))

    def drop(self) -> None:
        """Lose the connection: half the time a clean close, half an abrupt cut."""
        conn, self.conn = self.conn, None
        self.caught_up.clear()
        if conn is None:
            return
        if self.rng.random() < 0.5 and conn.protocol is not None:
            conn.protocol.stream.close()  # cut: no close frame reaches the server
        conn.close()

    def reconnect(self) -> asyncio.Task[None]:
        """Start (or join) a reconnect: drop, connect with since, catch up, re-send."""
        if self.reconnecting is None or self.reconnecting.done():
            self.reconnecting = asyncio.ensure_future(self._reconnect())
        return self.reconnecting

    async def _reconnect(self) -> None:
        self.drop()
        self.stats["reconnects"] += 1
        await self.connect()
        await asyncio.wait_for(self.caught_up.wait(), 20)
        self.resend()

    def resend(self) -> None:
        """After catching up, re-send every own element not seen confirmed, as a full draw."""
        for eid, n in list(self.unconfirmed.items()):
            if n > 0 and eid in self.mine:
                self.unconfirmed[eid] = 0
                self.stats["resent"] += 1
                self.draw(self.mine[eid])

    async def _read(self, conn: WebSocketClientConnection) -> None:
        try:
            while True:
                raw = await conn.read_message()
                if raw is None or conn is not self.conn:
                    return
                assert isinstance(raw, str)
                msg = json.loads(raw)
                for m in msg if isinstance(msg, list) else [msg]:
                    self.handle(m)
        except Exception as exc:  # surfaced by the test, with this client's name
            self.failure = exc

    # ---- the protocol, as a client applies it -------------------------------------------

    def handle(self, m: dict[str, Any]) -> None:
        kind, data = m["type"], m.get("data")
        if kind == "sync":
            self.board = {e["id"]: e for e in data["elements"]}
            self.seq = data["seq"]
            self.stats["syncs"] += 1
            # A sync says nothing about which own changes made it: re-send them all.
            for eid in self.mine:
                self.unconfirmed[eid] = max(1, self.unconfirmed.get(eid, 0))
        elif kind == "resume":
            assert data["since"] == self.seq, (self.user, data, self.seq)
            self.stats["resumes"] += 1
        elif kind == "userlist":
            self.caught_up.set()  # catch-up ends with the userlist
        elif kind == "ack":
            self.ack(data)
        elif kind == "error":
            self.error(data)
        elif kind in ("draw", "append", "erase", "clear"):
            self.apply(m["seq"], kind, data, m.get("userId"))

    def apply(self, seq: int, kind: str, data: Any, user: str | None) -> None:
        assert self.seq is not None
        assert seq == self.seq + 1, f"{self.user}: got seq {seq} after {self.seq}"
        self.seq = seq
        self.stats["changes"] += 1
        if kind == "draw":
            self.board[data["id"]] = data
        elif kind == "append":
            self.board[data["id"]] = {**self.board[data["id"]], "points": [
                *self.board[data["id"]]["points"], *data["points"]]}
        elif kind == "erase":
            for eid in data["ids"]:
                self.board.pop(eid, None)
        else:
            self.board.clear()
        if user == self.user and kind in ("draw", "append"):
            self.confirm(data["id"])

    def ack(self, data: dict[str, Any]) -> None:
        """v1: an own draw or erase was stored with this seq (v2 gets the change itself)."""
        if self.v2 or (not data.get("ids") and "id" not in data):
            return  # an erase of ids already gone: nothing changed
        if "id" in data:
            element = self.awaiting_ack[data["id"]].pop(0)
            self.apply(data["seq"], "draw", element, None)
            self.confirm(data["id"])
        else:
            self.apply(data["seq"], "erase", {"ids": data["ids"]}, None)

    def error(self, data: dict[str, Any]) -> None:
        # The only expected refusal: appending to an own path that someone else erased.
        assert data["code"] == "not_found", (self.user, data)
        eid = data["ref"]
        self.mine.pop(eid, None)
        self.unconfirmed.pop(eid, None)

    def confirm(self, eid: str) -> None:
        if self.unconfirmed.get(eid, 0) > 0:
            self.unconfirmed[eid] -= 1

    # ---- what a user does ---------------------------------------------------------------

    def send(self, kind: str, data: Any) -> None:
        assert self.conn is not None
        self.conn.write_message(json.dumps({"type": kind, "data": data}))

    def draw(self, element: dict[str, Any]) -> None:
        element = {**element, "userId": self.user}
        self.mine[element["id"]] = element
        self.unconfirmed[element["id"]] = self.unconfirmed.get(element["id"], 0) + 1
        if not self.v2:
            self.awaiting_ack.setdefault(element["id"], []).append(element)
        self.send("draw", element)

    def new_element(self) -> dict[str, Any]:
        self.counter += 1
        r = self.rng
        eid = f"{self.user}-{self.counter}"
        common = {"id": eid, "strokeColor": r.choice(COLORS), "strokeWidth": r.randint(1, 9)}
        kind = r.choice(["line", "arrow", "rect", "ellipse", "path", "text"] if self.v2
                        else ["line", "line", "rect", "text"])
        if kind in ("line", "arrow"):
            return {**common, "elementType": kind, "x1": r.randint(0, 999), "y1": 1,
                    "x2": r.random() * 500, "y2": -3}
        if kind in ("rect", "ellipse"):
            return {**common, "elementType": kind, "x": r.randint(0, 999), "y": 2,
                    "width": 30, "height": -4}
        if kind == "path":
            return {**common, "elementType": "path",
                    "points": [[r.randint(0, 99), r.randint(0, 99)] for _ in range(3)]}
        return {**common, "elementType": "text", "x": 1, "y": 2, "fontSize": 14,
                "text": f"note {self.counter}\nby {self.user}"}

    def act(self) -> None:
        """One random user action."""
        r = self.rng.random()
        own = [e for e in self.mine if e in self.board]
        if r < 0.40 or not own:
            self.draw(self.new_element())
        elif r < 0.55:  # edit: re-draw an own element under the same id (replaced in place)
            element = dict(self.mine[self.rng.choice(own)])
            if "x1" in element:
                element["x1"] = self.rng.randint(0, 999)
            elif "x" in element:
                element["x"] = self.rng.randint(0, 999)
            self.draw(element)
        elif r < 0.68:  # erase an own element ...
            eid = self.rng.choice(own)
            self.send("erase", {"ids": [eid]})
            self.erased.append(self.mine.pop(eid))
            self.unconfirmed.pop(eid, None)
        elif r < 0.75 and self.erased:  # ... and undo that: draw it again
            self.draw(self.erased.pop())
        elif r < 0.82 and self.board:  # erase anyone's element (ids already gone are skipped)
            self.send("erase", {"ids": self.rng.sample(list(self.board),
                                                        min(2, len(self.board)))})
        elif r < 0.995:
            paths = [e for e in own if self.mine[e]["elementType"] == "path"]
            if self.v2 and paths:  # extend an own path while drawing it
                eid = self.rng.choice(paths)
                pts = [[self.rng.randint(0, 99), self.rng.randint(0, 99)]]
                self.mine[eid] = {**self.mine[eid], "points": [*self.mine[eid]["points"], *pts]}
                self.unconfirmed[eid] = self.unconfirmed.get(eid, 0) + 1
                self.send("append", {"id": eid, "points": pts})
            else:
                self.draw(self.new_element())
        else:
            self.send("clear", {})


async def server_board(base: str, room: str) -> tuple[int, list[dict[str, Any]]]:
    url = f"{base.replace('http', 'ws', 1)}/ws/{room}?userId=auditor"
    conn = await websocket_connect(url, max_message_size=64 * 1024 * 1024)
    try:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), 10)
            assert raw is not None
            msg = json.loads(raw)
            if msg["type"] == "sync":
                return msg["data"]["seq"], msg["data"]["elements"]
    finally:
        conn.close()


async def settle(sims: list[Sim], base: str, room: str, timeout: float = 30) -> tuple[
        int, list[dict[str, Any]]]:
    """Reconnect anyone offline, let re-sends land, then wait until everyone has every seq."""
    deadline = time.monotonic() + timeout
    while True:
        for s in sims:
            if s.failure is not None:
                raise AssertionError(f"client {s.user} failed") from s.failure
        offline = [s for s in sims if not s.online]
        await asyncio.wait_for(asyncio.gather(*(s.reconnect() for s in offline)), 30)
        seq, elements = await server_board(base, room)
        pending = [s.user for s in sims if any(n > 0 and e in s.mine
                                               for e, n in s.unconfirmed.items())]
        behind = [s.user for s in sims if s.seq != seq]
        if not pending and not behind:
            return seq, elements
        assert time.monotonic() < deadline, f"no convergence: pending {pending}, behind {behind}"
        await asyncio.sleep(0.2)


def check_converged(sims: list[Sim], seq: int, elements: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in elements]
    assert len(ids) == len(set(ids)), "the server's board holds duplicate ids"
    for s in sims:
        assert s.seq == seq
        assert list(s.board) == ids, f"{s.user}: element order differs from the server's"
        assert list(s.board.values()) == elements, f"{s.user}: element contents differ"


@pytest.mark.slow
async def test_twenty_clients_with_random_drops_converge_on_the_servers_board(server_factory):
    rng = random.Random(20)  # fixed seed: a failure reproduces the same actions
    srv = server_factory()
    room = "converge"
    sims = [Sim(srv.url, room, f"u{i:02d}", v2=i % 5 != 0, rng=random.Random(rng.random()))
            for i in range(20)]  # every fifth one is a seed (v1) client
    try:
        await run_twenty(sims, srv.url, room, rng)
    finally:
        for s in sims:
            s.drop()


async def run_twenty(sims: list[Sim], base: str, room: str, rng: random.Random) -> None:
    await asyncio.gather(*(s.connect() for s in sims))
    await asyncio.gather(*(asyncio.wait_for(s.caught_up.wait(), 10) for s in sims))

    started = time.monotonic()
    rounds = 0
    drops = 0
    # About 20 actions a second per client, well under the rate limits; each round some
    # connections drop, and each dropped one comes back after a short while.
    while time.monotonic() - started < 8.0 and rounds < 400:
        rounds += 1
        for s in sims:
            if s.online and rng.random() < 0.5:
                s.act()
        for s in sims:
            if s.online and rng.random() < 0.01:
                s.drop()
                drops += 1
                asyncio.get_running_loop().call_later(rng.random() * 0.5, s.reconnect)
        await asyncio.sleep(0.025)
        for s in sims:
            if s.failure is not None:
                raise AssertionError(f"client {s.user} failed") from s.failure

    await asyncio.sleep(0.6)  # every reconnect scheduled above has started
    seq, elements = await settle(sims, base, room)
    check_converged(sims, seq, elements)
    total = {k: sum(s.stats[k] for s in sims) for k in sims[0].stats}
    print(f"\nconvergence: 20 clients, {rounds} rounds, {drops} drops, final seq {seq}, "
          f"{len(elements)} elements; {total}")
    assert drops >= 20 and seq > 500 and elements


@pytest.mark.slow
async def test_a_reconnect_storm_of_two_hundred_clients_converges(server_factory):
    rng = random.Random(200)
    srv = server_factory()
    room = "storm"
    sims = [Sim(srv.url, room, f"s{i:03d}", v2=i % 10 != 0, rng=random.Random(rng.random()))
            for i in range(200)]
    try:
        await run_storm(sims, srv.url, room)
    finally:
        for s in sims:
            s.drop()


async def run_storm(sims: list[Sim], base: str, room: str) -> None:
    for i in range(0, 200, 50):
        await asyncio.gather(*(s.connect() for s in sims[i:i + 50]))
    await asyncio.gather(*(asyncio.wait_for(s.caught_up.wait(), 20) for s in sims))
    drawers = sims[:6]
    for _ in range(50):
        for d in drawers:
            d.act()
        await asyncio.sleep(0.01)

    # Everyone drops at once; while they are away the drawers keep going; then all 200
    # reconnect at the same moment: most resume with since, some lost their state and join
    # fresh (a full sync), some resume from far back.
    for s in sims:
        s.drop()
    for s in sims[150:170]:
        s.seq, s.board, s.mine, s.unconfirmed = None, {}, {}, {}
    for s in sims[170:180]:
        s.seq, s.board = 0, {}
    for d in drawers:
        await d.reconnect()
    for _ in range(20):
        for d in drawers:
            d.act()
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await asyncio.gather(*(s.reconnect() for s in sims[6:]))
    storm_seconds = time.monotonic() - started
    for _ in range(20):
        for d in drawers:
            d.act()
        await asyncio.sleep(0.01)

    seq, elements = await settle(sims, base, room, timeout=40)
    check_converged(sims, seq, elements)
    total = {k: sum(s.stats[k] for s in sims) for k in sims[0].stats}
    print(f"\nreconnect storm: 200 clients back in {storm_seconds:.2f} s; final seq {seq}, "
          f"{len(elements)} elements; {total}")
    assert total["resumes"] >= 150 and total["syncs"] >= 200 + 20
    assert seq <= limits.RESUME_LOG_CHANGES
