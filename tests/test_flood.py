"""A flood from one client is limited, and an honest pair in the same room carries on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rawws import Closed, RawWS, http_request
from testkit import CursorProbe, ws_client

FLOOD_DRAWS = 20_000
ROOM = "flood"


def flood(port: int, result: dict[str, Any]) -> None:
    """Send FLOOD_DRAWS draws as fast as the socket takes them, reading on another thread."""
    ws = RawWS(port, f"/ws/{ROOM}?userId=flooder")
    frames = [json.dumps({"type": "draw", "data": {
        "id": f"f{i}", "elementType": "line", "x1": i % 1000, "y1": 0, "x2": 1, "y2": 1,
        "strokeColor": "#f00", "strokeWidth": 1}}).encode() for i in range(FLOOD_DRAWS)]
    errors: list[dict[str, Any]] = []
    acks = 0

    def reader() -> None:
        nonlocal acks
        try:
            for _ in range(10 * FLOOD_DRAWS):
                for m in ws.recv(10.0):
                    if m["type"] == "error":
                        errors.append(m["data"])
                    elif m["type"] == "ack":
                        acks += 1
        except (Closed, TimeoutError, OSError):
            pass

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    started = time.monotonic()
    sent = 0
    try:
        for f in frames:
            ws.send_text(f)
            sent += 1
    except OSError:
        pass  # the server hung up on the flood
    result["send_seconds"] = time.monotonic() - started
    t.join(15)
    result.update(sent=sent, errors=errors, acks=acks, close_code=ws.close_code,
                  close_reason=ws.close_reason)
    ws.sock.close()


@pytest.mark.slow
async def test_a_flood_is_limited_and_an_honest_cursor_still_arrives_quickly(server_factory):
    srv = server_factory()
    ann = await ws_client(srv.url + f"/ws/{ROOM}", userId="ann", v=2)
    bob = await ws_client(srv.url + f"/ws/{ROOM}", userId="bob", v=2)
    await ann.recv_type("sync")
    await bob.recv_type("sync")

    result: dict[str, Any] = {}
    flooder = threading.Thread(target=flood, args=(srv.port, result), daemon=True)
    probe = CursorProbe(ann, bob, patience=2.0)
    flooder.start()
    await probe.move_while(flooder.is_alive, at_least=2.0, limit=60)
    flooder.join(20)
    await probe.finish()

    latencies, p95 = probe.latencies, probe.p95
    lost = len(probe.sent_at)
    fresh = await ws_client(srv.url + f"/ws/{ROOM}", userId="auditor")
    stored = len((await fresh.recv_type("sync"))["data"]["elements"])
    codes = [e["code"] for e in result["errors"]]
    print(f"\nflood: sent {result['sent']} draws in {result['send_seconds']:.2f} s; stored "
          f"{stored}; acks {result['acks']}; error frames {len(codes)} "
          f"({sorted(set(codes))}); closed {result['close_code']} {result['close_reason']!r}; "
          f"honest cursor p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms over "
          f"{len(latencies)} cursors ({lost} never seen)")

    # The flood is limited: told so, and/or disconnected with a reason, and mostly not stored.
    assert "rate_limited" in codes or result["close_code"] == 1008, result["close_code"]
    if result["close_code"] is not None:
        assert result["close_code"] == 1008 and result["close_reason"]
    assert stored < FLOOD_DRAWS // 4, stored
    assert all(c == "rate_limited" for c in codes), codes
    # The honest pair carried on: their cursors arrived (sanity bound, not a speed claim).
    assert lost == 0
    assert p95 < 2.0
    ann.send("draw", {"id": "after-flood", "elementType": "line", "x1": 0, "y1": 0, "x2": 1,
                      "y2": 1, "strokeColor": "#000", "strokeWidth": 1})
    while (await bob.recv_type("draw", 5))["data"]["id"] != "after-flood":
        pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
def test_a_disconnected_flooder_costs_the_server_no_more_work(server_factory):
    """Once the server has closed a flooder with 1008 it must stop reading its frames. Tornado
    keeps reading and dispatching a closed socket's frames until the client's close frame
    arrives (or 5 s pass), so without an abort every frame the flooder already pushed into the
    kernel buffers is still decoded and refused, one by one, while the honest clients wait."""
    srv = server_factory()
    ws = RawWS(srv.port, f"/ws/{ROOM}?userId=flooder")
    ws.recv()
    frames = [json.dumps({"type": "draw", "data": {
        "id": f"f{i}", "elementType": "line", "x1": 1, "y1": 0, "x2": 1, "y2": 1,
        "strokeColor": "#f00", "strokeWidth": 1}}).encode() for i in range(FLOOD_DRAWS)]
    at_close: list[float] = []

    def reader() -> None:
        with contextlib.suppress(Closed, TimeoutError, OSError):
            for _ in range(10 * FLOOD_DRAWS):
                ws.recv(10.0)
        at_close.append(cpu_seconds(srv.proc.pid))

    t = threading.Thread(target=reader, daemon=True)
    start = cpu_seconds(srv.proc.pid)
    t.start()
    with contextlib.suppress(OSError):
        for f in frames:
            ws.send_text(f)
    t.join(15)
    assert ws.close_code == 1008 and at_close
    time.sleep(2.5)  # let the server finish whatever it still does for this client
    before, after = at_close[0] - start, cpu_seconds(srv.proc.pid) - at_close[0]
    ws.sock.close()
    print(f"\nflooder: server CPU {before:.2f} s until the 1008 close, {after:.2f} s after it")
    assert after < before + 0.1, "the server kept working on a client it had disconnected"


@pytest.mark.slow
def test_connection_churn_does_not_flood_the_log(server_factory):
    """A prankster reconnecting in a loop (no rate limit covers connection churn, only the
    number open at once) must not grow the log by lines per connection: today every join and
    leave is an INFO line, about 40 KB/s, 3 GB a day, from one client."""
    srv = server_factory()
    start = len(srv.output)
    for i in range(300):
        RawWS(srv.port, f"/ws/{ROOM}?userId=churn{i}").close()
    time.sleep(0.5)
    lines = srv.output[start:]
    print(f"\n300 connections: {len(lines)} log lines, {sum(map(len, lines))} bytes")
    assert len(lines) < 100, lines[:6]


def post_json(port: int, path: str, body: Any) -> int:
    """A raw POST with a JSON body; returns the status."""
    raw = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n"
                     "Connection: close\r\n\r\n".encode() + raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split()[1])


@pytest.mark.slow
def test_an_import_flood_over_http_cannot_wipe_a_board_and_its_history(server_factory):
    """Over the socket a prankster may clear at most about once a second, and every clear
    saves a version. Over HTTP, import (a clear plus draws) has no limit, and each one saves a
    `before-import` version; 100 versions are kept per board, so a burst of imports in under a
    second pushes the board people drew out of History for good."""
    srv = server_factory()
    honest = RawWS(srv.port, f"/ws/{ROOM}?userId=ann")
    honest.recv()
    ids = [f"work{i}" for i in range(5)]
    for eid in ids:
        honest.send("draw", {"id": eid, "elementType": "line", "x1": 0, "y1": 0, "x2": 1,
                             "y2": 1, "strokeColor": "#000", "strokeWidth": 1})
    acks = 0
    while acks < len(ids):
        acks += sum(m["type"] == "ack" for m in honest.recv())
    honest.close()
    junk = {"id": "junk", "elementType": "text", "x": 0, "y": 0, "text": "pwned", "fontSize": 40,
            "strokeColor": "#f00", "strokeWidth": 1}
    codes = [post_json(srv.port, f"/api/rooms/{ROOM}/import", {"lanboard": 1, "elements": [junk]})
             for _ in range(120)]
    _, _, body = http_request(srv.port, f"/api/rooms/{ROOM}/versions")
    versions = json.loads(body)["versions"]
    print(f"\nimport flood: {codes.count(200)} of {len(codes)} imports accepted; History holds "
          f"{len(versions)} versions, {sum(v['elements'] == 5 for v in versions)} with the "
          "board as drawn")
    # Nothing is lost: the board as people drew it can still be restored.
    assert any(v["elements"] == len(ids) for v in versions), "the drawn board left History"


async def test_a_clear_and_a_cursor_flood_from_loopback_are_limited_too(connect, hub):
    """Loopback is exempt from per-IP limits, never from per-client ones: a prankster on the
    host's own machine still cannot wipe the board in a loop or spray cursors."""
    ann = await connect("pr", userId="ann")
    await ann.recv_type("sync")
    bob = await connect("pr", userId="bob", v=2)
    await bob.recv_type("sync")
    for i in range(20):
        ann.send("draw", {"id": f"d{i}", "elementType": "line", "x1": 0, "y1": 0, "x2": 1,
                          "y2": 1, "strokeColor": "#000", "strokeWidth": 1})
        ann.send("clear", {})
    for i in range(800):  # over the burst, under the strikes that would disconnect
        ann.send("cursor", {"x": i, "y": 0})
    ann.send("draw", {"id": "marker", "elementType": "line", "x1": 0, "y1": 0, "x2": 1,
                      "y2": 1, "strokeColor": "#000", "strokeWidth": 1})
    seen = {"clear": 0, "cursor": 0}
    while True:
        m = await bob.recv(5)
        if m["type"] in seen:
            seen[m["type"]] += 1
        if m["type"] == "draw" and m["data"]["id"] == "marker":
            break
    with contextlib.suppress(asyncio.TimeoutError):
        while True:  # cursors of the last turn may follow the marker
            m = await bob.recv(0.3)
            seen[m["type"]] = seen.get(m["type"], 0) + 1
    errors = []
    with contextlib.suppress(asyncio.TimeoutError):
        while True:
            m = await ann.recv(0.3)
            if m["type"] == "error":
                errors.append(m["data"]["code"])
    assert errors and set(errors) == {"rate_limited"}
    assert ann.conn.close_code is None
    # A burst of three clears, then about one a second; cursors at most their burst.
    assert 1 <= seen["clear"] <= 4, seen
    assert seen["cursor"] <= 600, seen
    assert hub.rooms["pr"].seq < 20 + 20
