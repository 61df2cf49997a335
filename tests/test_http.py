"""HTTP routes: pages, static files, the JSON API and room id validation."""

from __future__ import annotations

import json

import pytest
from testkit import line
from tornado.httpclient import HTTPClientError


async def fetch(client, path, **kw):
    try:
        return await client.fetch(path, raise_error=False, **kw)
    except HTTPClientError as exc:  # pragma: no cover - raise_error=False returns instead
        return exc.response


async def test_landing_and_board_pages_are_served_with_security_headers(http_server_client):
    for path in ("/", "/room/abc_DEF-123"):
        resp = await fetch(http_server_client, path)
        assert resp.code == 200
        assert b"<html" in resp.body.lower()
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("room", ["has%20space", "x" * 65, "semi;colon", "%C3%A9t%C3%A9"])
async def test_bad_room_ids_get_400_on_room_and_ws(http_server_client, room):
    for prefix in ("/room/", "/ws/"):
        resp = await fetch(http_server_client, prefix + room)
        assert resp.code == 400, prefix + room
        body = json.loads(resp.body)
        assert body["error"] == "bad_room" and "1-64" in body["message"]


async def test_bad_since_gets_400(http_server_client):
    resp = await fetch(http_server_client, "/ws/ok?since=-1")
    assert resp.code == 400 and json.loads(resp.body)["error"] == "bad_since"


async def test_static_files_and_no_escape_from_static(http_server_client):
    assert (await fetch(http_server_client, "/static/index.html")).code == 200
    for path in ("/static/../pyproject.toml", "/static/..%2fpyproject.toml",
                 "/static/%2e%2e/%2e%2e/etc/passwd"):
        resp = await fetch(http_server_client, path)
        assert resp.code in (403, 404), path
        assert b"lanboard" not in resp.body.lower() or resp.code != 200


async def test_health(http_server_client):
    body = json.loads((await fetch(http_server_client, "/api/health")).body)
    assert body["app"] == "lanboard" and body["version"] and body["uptime"] >= 0


async def test_rooms_lists_users_and_element_counts(http_server_client, connect):
    ann = await connect("math", userId="ann")
    await ann.recv_type("sync")
    ann.send("draw", line("a"))
    await ann.recv_type("ack")
    body = json.loads((await fetch(http_server_client, "/api/rooms")).body)
    (room,) = body["rooms"]
    assert room["id"] == "math" and room["elements"] == 1
    assert [u["userId"] for u in room["users"]] == ["ann"] and room["userCount"] == 1


async def test_unknown_route_is_404(http_server_client):
    assert (await fetch(http_server_client, "/nope")).code == 404
