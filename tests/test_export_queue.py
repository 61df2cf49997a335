"""Exports queue on one thread: past a few waiting, one more is told to come back, so one
client cannot pile up seconds of handout work that every live board shares the GIL with."""

from __future__ import annotations

import asyncio
import json

from test_room_unit import Recorder
from testkit import line

from lanboard import exports, limits
from lanboard.peer import Peer


async def test_past_the_waiting_exports_one_more_gets_503_and_the_rest_finish(
        http_server_client, hub, monkeypatch):
    monkeypatch.setattr(limits, "MAX_EXPORTS_WAITING", 2)
    room = hub.room("big")
    ann = Peer("ann", Recorder(), batched=True)
    for i in range(4000):  # an SVG of this takes tens of milliseconds
        room.handle(ann, "draw", line(f"l{i}"))
    hub.flush()
    asks = [http_server_client.fetch("/api/rooms/big/export?format=svg", raise_error=False)
            for _ in range(6)]
    answers = await asyncio.gather(*asks)
    codes = sorted(a.code for a in answers)
    assert codes.count(200) >= 2 and 503 in codes, codes
    busy = next(a for a in answers if a.code == 503)
    assert json.loads(busy.body)["error"] == "server_busy"
    assert busy.headers["Retry-After"] == "2"
    # Once they are done, the thread takes work again.
    assert exports._exports == 0
    again = await http_server_client.fetch("/api/rooms/big/export?format=svg")
    assert again.code == 200 and again.body.startswith(b"<svg")


async def test_a_live_json_export_never_waits_for_the_thread(http_server_client, hub,
                                                             monkeypatch):
    monkeypatch.setattr(limits, "MAX_EXPORTS_WAITING", 0)
    hub.room("small")
    resp = await http_server_client.fetch("/api/rooms/small/export?format=json",
                                          raise_error=False)
    assert resp.code == 200
    resp = await http_server_client.fetch("/api/rooms/small/export?format=svg",
                                          raise_error=False)
    assert resp.code == 503
