"""A board's origin (issue 17): every `sync` and `resume` names the storage life of the board,
and `?since=SEQ&origin=O` resumes only onto that same life. Real server processes on real
SQLite files, real sockets: the right origin resumes, another gets a full sync, none keeps the
old behaviour, a malformed one is 400 `bad_board_origin`; a restart keeps the origin, a wiped data
dir makes a new one, and a client holding seq N of the old board gets a full sync even once
the new board is past N. A schema-4 file gains origins on open; two processes sharing Redis
tell the same origin."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rawws import HandshakeRefused, RawWS, http_request
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture
from test_deflate import DeflateWS
from testkit import Client, ServerProcess, start_server

from lanboard.sqlite_store import DB_NAME, SqliteStore

HEX = re.compile(r"[0-9a-f]{16}")


def stroke(eid: str) -> dict[str, Any]:
    return {"id": eid, "elementType": "path", "points": [[i * 1.5, i * 2.5] for i in range(4)],
            "strokeColor": "#1e1e1e", "strokeWidth": 2}


def join(port: int, room: str, user: str, query: str = "", squeeze: bool = False
         ) -> tuple[RawWS, list[dict[str, Any]]]:
    """A v2 socket and its catch-up: the sync or resume, the changes after it, the userlist."""
    path = f"/ws/{room}?userId={user}&v=2{query}"
    ws: RawWS = DeflateWS(port, path) if squeeze else RawWS(port, path)
    read = ws.messages if isinstance(ws, DeflateWS) else ws.recv
    msgs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while not any(m["type"] == "userlist" for m in msgs) and time.monotonic() < deadline:
        msgs += read(max(0.1, deadline - time.monotonic()))
    return ws, msgs[:next(i for i, m in enumerate(msgs) if m["type"] == "userlist")]


def draw(port: int, room: str, ids: list[str]) -> int:
    """Draw strokes as a v2 client; the seq of the last, once it is back (committed)."""
    ws, _ = join(port, room, "drawer")
    for eid in ids:
        ws.send("draw", stroke(eid))
    seq = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and seq == 0:
        for m in ws.recv(1):
            if m["type"] == "draw" and m["data"]["id"] == ids[-1]:
                seq = m["seq"]
    ws.close()
    assert seq, "the last draw never came back"
    return seq


def post(port: int, path: str, body: Any) -> dict[str, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return dict(json.load(res))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("origin") / "data")
    yield proc
    proc.kill()


def test_resume_needs_the_boards_own_origin(server: ServerProcess) -> None:
    room = "origin-a"
    ws, first = join(server.port, room, "ann")
    origin = first[0]["data"]["origin"]
    assert first[0]["type"] == "sync" and HEX.fullmatch(origin), first[0]
    ws.close()
    held = draw(server.port, room, ["a1", "a2"])
    draw(server.port, room, ["a3"])

    ws, got = join(server.port, room, "ann", f"&since={held}&origin={origin}")
    assert got[0]["type"] == "resume" and got[0]["data"]["origin"] == origin, got[0]
    assert [m["data"]["id"] for m in got[1:]] == ["a3"]
    ws.close()

    # Another origin (another board that happens to have the same id): a full sync.
    other = "0123456789abcdef" if origin != "0123456789abcdef" else "fedcba9876543210"
    ws, got = join(server.port, room, "ann", f"&since={held}&origin={other}")
    assert got[0]["type"] == "sync" and got[0]["data"]["origin"] == origin
    assert [e["id"] for e in got[0]["data"]["elements"]] == ["a1", "a2", "a3"]
    ws.close()

    # No origin: today's behaviour (seed and older clients).
    ws, got = join(server.port, room, "ann", f"&since={held}")
    assert got[0]["type"] == "resume" and [m["data"]["id"] for m in got[1:]] == ["a3"]
    ws.close()


def test_a_malformed_origin_is_refused_before_the_upgrade(server: ServerProcess) -> None:
    for bad in ["", "ABC", "12g4", "0" * 33, "%20ab", "ab%20", "ab%00", "-1", "x", "0x1f"]:
        status, _, body = http_request(server.port, f"/ws/origin-bad?userId=x&since=1"
                                       f"&origin={bad}")
        assert status == 400 and json.loads(body)["error"] == "bad_board_origin", (bad, body)
    with pytest.raises(HandshakeRefused) as refused:  # an upgrade is refused the same way
        RawWS(server.port, "/ws/origin-bad?userId=x&origin=XYZ")
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["error"] == "bad_board_origin"
    status, _, body = http_request(server.port, "/api/rooms")
    assert status == 200 and b"origin-bad" not in body  # nothing was loaded or made


def test_every_sync_encoding_and_the_seed_sync_carry_the_origin(server: ServerProcess) -> None:
    room = "origin-enc"
    draw(server.port, room, [f"e{i}" for i in range(30)])
    ws, plain = join(server.port, room, "p")
    origin = plain[0]["data"]["origin"]
    ws.close()
    for query, squeeze in (("", True), ("&pack=1", True), ("&pack=1", False)):
        ws, got = join(server.port, room, "q", query, squeeze)
        assert got[0]["type"] == "sync" and got[0]["data"]["origin"] == origin, (query, squeeze)
        assert len(got[0]["data"]["elements"]) == 30
        ws.close()
    # A seed (v1) client: one message per frame; it ignores a field it does not know.
    seed = RawWS(server.port, f"/ws/{room}?userId=s")
    sync = seed.recv()[0]
    assert sync["type"] == "sync" and sync["data"]["origin"] == origin
    seed.close()


def test_delete_and_import_keep_the_origin(server: ServerProcess) -> None:
    room = "origin-del"
    draw(server.port, room, ["d1"])
    ws, first = join(server.port, room, "ann")
    origin, held = first[0]["data"]["origin"], first[0]["data"]["seq"]
    ws.close()
    post(server.port, f"/api/rooms/{room}/delete", {})
    post(server.port, f"/api/rooms/{room}/import", {"elements": [stroke("i1")]})
    ws, got = join(server.port, room, "ann", f"&since={held}&origin={origin}")
    assert got[0]["type"] == "resume" and got[0]["data"]["origin"] == origin
    assert [m["type"] for m in got[1:]] == ["clear", "clear", "draw"]
    ws.close()


def test_a_restart_keeps_the_origin_and_a_wiped_data_dir_makes_a_new_one(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    room = "math"
    srv = start_server(data)
    try:
        held = draw(srv.port, room, ["old1", "old2", "old3"])
        ws, first = join(srv.port, room, "ann")
        origin = first[0]["data"]["origin"]
        ws.close()
    finally:
        srv.stop()
    srv = start_server(data)
    try:
        draw(srv.port, room, ["old4"])
        ws, got = join(srv.port, room, "ann", f"&since={held}&origin={origin}")
        assert got[0]["type"] == "resume" and got[0]["data"]["origin"] == origin
        assert [m["data"]["id"] for m in got[1:]] == ["old4"]
        ws.close()
    finally:
        srv.stop()

    shutil.rmtree(data)  # the server's data is gone; a board of the same id starts again
    srv = start_server(data)
    try:
        seq = draw(srv.port, room, [f"new{i}" for i in range(held + 3)])
        assert seq > held
        ws, got = join(srv.port, room, "ann", f"&since={held}&origin={origin}")
        assert got[0]["type"] == "sync", got[0]
        fresh = got[0]["data"]["origin"]
        assert HEX.fullmatch(fresh) and fresh != origin
        assert [e["id"] for e in got[0]["data"]["elements"]] == [
            f"new{i}" for i in range(held + 3)]
        assert got[1:] == []  # nothing of the old board, nothing after the sync
        ws.close()
        # Without its origin the old client would have resumed onto the new board: the
        # defect this closes.
        ws, got = join(srv.port, room, "ann", f"&since={held}")
        assert got[0]["type"] == "resume"
        ws.close()
    finally:
        srv.stop()


def test_a_schema_4_file_gains_an_origin_for_every_board(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path)
    store.commit([("r1", 1, b"m"), ("r2", 1, b"m")], [])
    store.snapshot("r3", 4, [("a", b'{"id":"a"}')])
    store.close()
    # Make it the file schema 4 left: no origins table, schema number 4.
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("DROP TABLE origins")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    db.commit()
    db.close()

    store = SqliteStore.open(tmp_path)
    rows = dict(store.db.execute("SELECT board, origin FROM origins").fetchall())
    assert sorted(rows) == ["r1", "r2", "r3"] and all(HEX.fullmatch(o) for o in rows.values())
    assert len(set(rows.values())) == 3
    assert store.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("5",)
    assert {b: store.origin(b) for b in rows} == rows
    store.close()
    store = SqliteStore.open(tmp_path)  # opened again: upgraded once, origins kept
    assert dict(store.db.execute("SELECT board, origin FROM origins").fetchall()) == rows
    # A board loaded but never drawn on has an origin in memory, stored with its first change.
    made = store.origin("new")
    assert store.origin("new") == made and store.db.execute(
        "SELECT count(*) FROM origins WHERE board = 'new'").fetchone() == (0,)
    store.commit([("new", 1, b"m")], [])
    store.close()
    store = SqliteStore.open(tmp_path)
    assert store.origin("new") == made
    store.close()


async def test_two_processes_sharing_redis_tell_the_same_origin(
        redis_server: RedisServer) -> None:  # noqa: F811
    from tornado.websocket import websocket_connect

    from lanboard.server import Server
    from lanboard.settings import Settings

    redis_server.flush()
    settings = Settings(host="127.0.0.1", port=0, mdns=False, redis_url=redis_server.url)
    servers = [Server(settings), Server(settings)]
    clients: list[Client] = []

    async def joined(n: int, query: str = "") -> tuple[Client, dict[str, Any]]:
        url = f"ws://127.0.0.1:{servers[n].port}/ws/shared?userId=u{len(clients)}&v=2{query}"
        client = Client(await websocket_connect(url))
        clients.append(client)
        return client, await client.recv()

    try:
        for s in servers:
            await s.start()
        # Both processes load the board before anyone draws: HSETNX makes one origin.
        (_, a), (_, b) = await joined(0), await joined(1)
        origin = a["data"]["origin"]
        assert a["type"] == b["type"] == "sync" and HEX.fullmatch(origin)
        assert b["data"]["origin"] == origin
        drawer, _ = await joined(0)
        drawer.send("draw", stroke("r1"))
        assert (await drawer.recv_type("draw"))["seq"] == 1
        _, got = await joined(1, f"&since=0&origin={origin}")
        assert got["type"] == "resume" and got["data"]["origin"] == origin
        _, got = await joined(1, "&since=0&origin=abc")
        assert got["type"] == "sync" and got["data"]["origin"] == origin
    finally:
        for c in clients:
            c.close()
        for s in servers:
            await s.stop()
