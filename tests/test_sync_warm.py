"""A quiet board's packed, compressed sync is built ahead of joiners (socket.SyncWarmer): a
real in-process server, a board drawn, quiet for the (shortened) delay; then a pack=1 joiner
offering permessage-deflate gets the cached sync, and it decodes to the board."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from tornado.websocket import websocket_connect

from benchmarks.wifi_clients import unpack
from lanboard import deflate, socket
from lanboard.hub import Hub

ROOM = "warm-board"


def stroke(i: int, rng: random.Random) -> dict[str, Any]:
    """A pen stroke at the page's precision (tenths), so it packs."""
    x, y = rng.uniform(0, 800), rng.uniform(0, 800)
    pts = []
    for _ in range(60):
        x += rng.uniform(-3, 4)
        y += rng.uniform(-3, 4)
        pts.append([round(x, 1), round(y, 1)])
    return {"id": f"w{i}", "elementType": "path", "points": pts, "strokeColor": "#1e1e1e",
            "strokeWidth": 2}


async def until(check: Any, limit: float = 5.0) -> None:
    """Wait (bounded) for `check()` to hold; the bound is a hang guard, not a figure."""
    for _ in range(int(limit / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_a_quiet_board_is_warmed_and_its_joiner_is_served_from_the_cache(
        connect: Any, hub: Hub, http_server_client: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "WARM_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(socket, "WARM_MIN_ELEMENTS", 5)
    rng = random.Random(3)
    strokes = [stroke(i, rng) for i in range(120)]  # over 64 KB, as a cached sync is looked up
    drawer = await connect(ROOM, userId="drawer", v="2")
    await drawer.recv_type("sync")
    for s in strokes:
        drawer.send("draw", s)
    room = hub.rooms[ROOM]
    await until(lambda: len(room.elements) == len(strokes))
    assert hub.on_flushed is not None
    warmer = hub.on_flushed.__self__  # type: ignore[attr-defined]
    assert isinstance(warmer, socket.SyncWarmer)
    chunks = deflate.chunks_for(room, packed=True)
    assert chunks.ready(room.elements_json()) is None  # nobody has joined with pack=1 yet
    await until(lambda: warmer.warmed == 1)
    assert chunks.ready(room.elements_json()) is not None and chunks.running is None
    hits = chunks.hits

    url = http_server_client.get_url(f"/ws/{ROOM}?userId=late&v=2&pack=1")
    conn = await websocket_connect(url.replace("http", "ws", 1), compression_options={})
    try:
        sync = None
        while sync is None:
            raw = await asyncio.wait_for(conn.read_message(), 5)
            assert raw is not None
            msgs = json.loads(raw)
            for msg in msgs if isinstance(msgs, list) else [msgs]:
                if msg["type"] == "sync":
                    sync = msg["data"]
    finally:
        conn.close()
    assert chunks.hits == hits + 1  # served from the warm segments, not compressed again
    got = sync["elements"]
    assert all("pk" in el and "points" not in el for el in got)  # really the packed form
    assert [el["points"] for el in unpack(got)] == [s["points"] for s in strokes]
    assert warmer.warmed == 1  # the join (no change) does not warm it again
