"""Issue 20, the server half of joining: board display names, the landing list (most
recently used first, deleted boards apart) and deleting a board with History as the way back.
A real Tornado server, real sockets and HTTP; the SQLite store on a real file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import tornado.httpserver

from lanboard.boardnames import MAX_BOARD_NAME_CHARS, clean_board_name, hidden, restore_version
from lanboard.sqlite_store import SqliteStore
from lanboard.store import BoardName, VersionInfo

JSON = {"Content-Type": "application/json"}
#: The tests' requests reach the server from loopback; X-Real-Ip (xheaders) stands in for a
#: student's laptop on the LAN, which must not delete boards.
LAN = {**JSON, "X-Real-Ip": "10.0.0.5"}


@pytest.fixture
def http_server(request: Any, io_loop: Any, http_server_port: Any) -> Any:
    """tornasync's server with xheaders on, so a test can speak from a LAN address."""
    server = tornado.httpserver.HTTPServer(request.getfixturevalue("app"), xheaders=True)
    server.add_socket(http_server_port[0])
    yield server
    server.stop()


async def call(client: Any, path: str, body: Any = None, headers: dict[str, str] | None = None,
               raw: bytes | None = None) -> tuple[int, Any]:
    kw: dict[str, Any] = {"raise_error": False}
    if body is not None or raw is not None:
        kw.update(method="POST", headers=headers if headers is not None else JSON,
                  body=raw if raw is not None else json.dumps(body))
    resp = await client.fetch(path, **kw)
    return resp.code, json.loads(resp.body) if resp.body else None


async def drawn(connect: Any, room: str, *ids: str) -> Any:
    ann = await connect(room, userId="ann", v=2)
    await ann.recv_type("sync")
    for eid in ids:
        ann.send("draw", {"id": eid, "elementType": "line", "x1": 1, "y1": 2, "x2": 3,
                          "y2": 4, "strokeColor": "#e74c3c", "strokeWidth": 4})
        await ann.recv_type("draw")
    return ann


def test_a_name_is_cleaned_like_a_user_id_and_cut() -> None:
    assert clean_board_name("  Math 7B \u2013 Fractions ") == "Math 7B \u2013 Fractions"
    assert clean_board_name("a\u202eb\u200bc\x00d\n\te") == "abcd e"
    assert clean_board_name("x" * 500) == "x" * MAX_BOARD_NAME_CHARS
    assert clean_board_name("\u200b \u2066") == ""


def test_a_deleted_board_and_the_version_that_brings_it_back() -> None:
    entry = BoardName("", deleted_seq=10, deleted_at=1.0, deleted_elements=3)
    assert hidden(entry, 10, 0) and not hidden(entry, 11, 0) and not hidden(entry, 10, 2)
    assert not hidden(BoardName("x"), 10, 0)
    newest_first = [VersionInfo(7, 0, 9, 3, "deleted"), VersionInfo(6, 0, 5, 3, "periodic")]
    assert restore_version(newest_first, entry) == 7
    # History keeps one copy of a board: an older one with as many elements stands in.
    assert restore_version(newest_first[1:], entry) == 6
    assert restore_version([VersionInfo(6, 0, 5, 2, "periodic")], entry) is None
    assert restore_version(newest_first, BoardName("", 10, 1.0, 0)) is None  # it was empty


async def test_a_board_keeps_its_display_name_beside_its_id(http_server_client, connect):
    await drawn(connect, "Math-7B-Fractions", "a1")
    code, body = await call(http_server_client, "/api/rooms/Math-7B-Fractions/name",
                            {"name": "Math 7B \u2013 Fractions\u202e"})
    assert (code, body["name"]) == (200, "Math 7B \u2013 Fractions")
    code, body = await call(http_server_client, "/api/rooms/Math-7B-Fractions/name")
    assert body == {"id": "Math-7B-Fractions", "name": "Math 7B \u2013 Fractions"}
    _, listing = await call(http_server_client, "/api/rooms")
    assert [(r["id"], r["name"]) for r in listing["rooms"]] == [
        ("Math-7B-Fractions", "Math 7B \u2013 Fractions")]
    # A board never named answers "", and asking loads nothing.
    assert (await call(http_server_client, "/api/rooms/other/name"))[1]["name"] == ""


async def test_bad_name_writes_get_clear_errors(http_server_client, connect):
    await drawn(connect, "nb", "a1")
    path = "/api/rooms/nb/name"
    cases = [
        ((path, None, JSON, b"not json"), 400, "bad_message"),
        ((path, {"name": 5}, None, None), 400, "bad_message"),
        ((path, ["name"], None, None), 400, "bad_message"),
        ((path, {"name": "x"}, {"Content-Type": "text/plain"}, None), 415,
         "bad_content_type"),
        ((path, {"name": "x"}, {**JSON, "Origin": "http://evil.example"}, None), 403,
         "bad_origin"),
        ((path, None, JSON, b'{"name":"' + b"x" * 5000 + b'"}'), 413, "too_large"),
        (("/api/rooms/bad%20id/name", {"name": "x"}, None, None), 400, "bad_room"),
        (("/api/rooms/never-used/name", {"name": "x"}, None, None), 404, "no_board"),
    ]
    for (p, body, headers, raw), status, error in cases:
        code, answer = await call(http_server_client, p, body, headers, raw)
        assert (code, answer["error"]) == (status, error), (p, body, answer)
    assert (await call(http_server_client, path))[1]["name"] == ""


async def test_once_a_board_has_a_teacher_only_the_teacher_names_it(http_server_client, connect):
    await drawn(connect, "tb", "a1")
    code, found = await call(http_server_client, "/api/rooms/tb/claim", {})
    assert code == 201
    key = parse_qs(urlparse(found["teacher"]).query)["key"][0]
    code, body = await call(http_server_client, "/api/rooms/tb/name", {"name": "Prank"})
    assert (code, body["error"]) == (403, "forbidden")
    code, body = await call(http_server_client, "/api/rooms/tb/name", {"name": "Prank"},
                            {**JSON, "X-LANBoard-Key": "guessed"})
    assert (code, body["error"]) == (403, "bad_key")
    code, body = await call(http_server_client, "/api/rooms/tb/name", {"name": "Algebra"},
                            {**JSON, "X-LANBoard-Key": key})
    assert (code, body["name"]) == (200, "Algebra")


async def test_the_list_puts_the_most_recently_used_first(http_server_client, connect):
    # Alphabetical order would put alpha first; alpha was used before zeta.
    await drawn(connect, "alpha", "a1")
    await drawn(connect, "zeta", "z1")
    _, listing = await call(http_server_client, "/api/rooms")
    assert [r["id"] for r in listing["rooms"]][:2] == ["zeta", "alpha"]
    assert listing["rooms"][0]["updated"] >= listing["rooms"][1]["updated"]


async def test_deleting_hides_a_board_and_history_brings_it_back(http_server_client, connect):
    ann = await drawn(connect, "lesson", "a1", "a2")
    _, before = await call(http_server_client, "/api/rooms")
    seq0 = next(r["seq"] for r in before["rooms"] if r["id"] == "lesson")
    # A student on the LAN may not; the host machine may.
    code, body = await call(http_server_client, "/api/rooms/lesson/delete", {}, LAN)
    assert (code, body["error"]) == (403, "forbidden")
    code, body = await call(http_server_client, "/api/rooms/lesson/delete", {})
    assert code == 200 and body["seq"] == seq0 + 1  # seq goes on: never reset
    clear = await ann.recv_type("clear")
    assert clear["data"]["reason"] == "delete"
    _, listing = await call(http_server_client, "/api/rooms")
    assert "lesson" not in [r["id"] for r in listing["rooms"]]
    (gone,) = listing["deleted"]
    assert (gone["id"], gone["elements"]) == ("lesson", 2) and gone["version"] is not None
    _, versions = await call(http_server_client, "/api/rooms/lesson/versions")
    saved = next(v for v in versions["versions"] if v["id"] == gone["version"])
    assert (saved["reason"], saved["elements"]) == ("deleted", 2)
    # Deleting it again saves nothing more.
    code, body = await call(http_server_client, "/api/rooms/lesson/delete", {})
    assert (code, body["seq"]) == (200, seq0 + 1)
    code, _ = await call(http_server_client,
                         f"/api/rooms/lesson/versions/{gone['version']}/restore", {})
    assert code == 200
    _, listing = await call(http_server_client, "/api/rooms")
    back = next(r for r in listing["rooms"] if r["id"] == "lesson")
    assert back["elements"] == 2 and back["seq"] > seq0 + 1 and listing["deleted"] == []


async def test_the_teacher_key_deletes_from_the_lan_and_unknown_boards_are_404(
        http_server_client, connect):
    await drawn(connect, "kb", "a1")
    _, found = await call(http_server_client, "/api/rooms/kb/claim", {})
    key = parse_qs(urlparse(found["teacher"]).query)["key"][0]
    viewer = parse_qs(urlparse(found["viewer"]).query)["key"][0]
    code, body = await call(http_server_client, "/api/rooms/kb/delete", {},
                            {**LAN, "X-LANBoard-Key": viewer})
    assert (code, body["error"]) == (403, "forbidden")
    code, _ = await call(http_server_client, "/api/rooms/kb/delete", {},
                         {**LAN, "X-LANBoard-Key": key})
    assert code == 200
    code, body = await call(http_server_client, "/api/rooms/nothing-here/delete", {})
    assert (code, body["error"]) == (404, "no_board")
    code, body = await call(http_server_client, "/api/rooms/kb/delete", {},
                            {"Content-Type": "text/plain"})
    assert (code, body["error"]) == (415, "bad_content_type")


def test_sqlite_keeps_names_and_deletions_across_a_restart(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path)
    store.save_name("b", BoardName("Math 7B \u2013 Fractions", 7, 1000.5, 3))
    store.save_name("c", BoardName("Art"))
    store.close()
    again = SqliteStore.open(tmp_path)
    try:
        names = again.names()
        assert names["b"] == BoardName("Math 7B \u2013 Fractions", 7, 1000.5, 3)
        assert names["c"] == BoardName("Art", None, None, 0)
    finally:
        again.close()
