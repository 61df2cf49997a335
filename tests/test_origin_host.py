"""Cross-site WebSocket hijacking and DNS rebinding: the Origin check and the Host allowlist,
on HTTP and on the board socket, against a live server."""

from __future__ import annotations

import json

import pytest
from rawws import HandshakeRefused, RawWS, http_request
from testkit import Client
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect


def port_of(http_server_client) -> int:
    return int(http_server_client.get_url("/").split(":")[2].split("/")[0])


def ws_url(http_server_client, path="/ws/oh?userId=ann&v=2"):
    return http_server_client.get_url(path).replace("http", "ws", 1)


async def open_ws(http_server_client, headers):
    conn = await websocket_connect(HTTPRequest(ws_url(http_server_client), headers=headers))
    client = Client(conn)
    sync = await client.recv_type("sync")
    client.close()
    return sync


async def refused(http_server_client, headers) -> HTTPClientError:
    with pytest.raises(HTTPClientError) as info:
        conn = await websocket_connect(HTTPRequest(ws_url(http_server_client), headers=headers))
        conn.close()
    return info.value


async def test_a_socket_from_another_origin_is_refused_with_403(http_server_client):
    err = await refused(http_server_client, {"Origin": "http://evil.example"})
    assert err.code == 403


async def test_a_socket_from_the_pages_own_origin_is_accepted(http_server_client):
    port = port_of(http_server_client)
    sync = await open_ws(http_server_client, {"Origin": f"http://127.0.0.1:{port}"})
    assert sync["data"]["userId"] == "ann"


async def test_a_socket_without_origin_is_accepted(http_server_client):
    # Non-browser clients (scripts, the benchmarks) send no Origin; a browser always does.
    assert (await open_ws(http_server_client, {}))["type"] == "sync"


def check_refusal(status: int, body: bytes) -> None:
    assert 400 <= status < 500, status
    doc = json.loads(body)
    assert doc["error"] == "bad_host"
    # The message tells a person what happened and what to do.
    assert "evil.example" in doc["message"] and "LANBOARD_ALLOWED_HOSTS" in doc["message"]


@pytest.mark.parametrize("path", ["/", "/room/abc", "/api/health", "/api/rooms",
                                  "/static/app/main.js", "/api/rooms/abc/export?format=json"])
async def test_http_with_a_foreign_host_header_is_refused_with_a_clear_message(
        http_server_client, path):
    resp = await http_server_client.fetch(path, headers={"Host": "evil.example"},
                                          raise_error=False)
    check_refusal(resp.code, resp.body)


async def test_a_socket_with_a_foreign_host_header_is_refused(http_server_client):
    err = await refused(http_server_client, {"Host": "evil.example"})
    assert err.response is not None
    check_refusal(err.code, err.response.body)


async def test_dns_rebinding_is_refused_even_when_origin_matches_host(http_server_client):
    """A rebound page on evil.example is same-origin with `Host: evil.example`; only the Host
    allowlist stops it."""
    port = port_of(http_server_client)
    headers = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    err = await refused(http_server_client, headers)
    check_refusal(err.code, err.response.body if err.response else b"{}")
    resp = await http_server_client.fetch("/api/rooms", headers=headers, raise_error=False)
    check_refusal(resp.code, resp.body)


ACCEPTED = ["127.0.0.1:{port}", "192.168.1.20:{port}", "10.0.0.5", "[::1]:{port}",
            "[fe80::1]", "something.local:{port}", "Board-Room.local", "localhost",
            "localhost:{port}"]


@pytest.mark.parametrize("host", ACCEPTED)
async def test_ip_local_and_localhost_hosts_are_accepted_on_http_and_ws(
        http_server_client, host):
    host = host.format(port=port_of(http_server_client))
    resp = await http_server_client.fetch("/api/health", headers={"Host": host},
                                          raise_error=False)
    assert resp.code == 200, (resp.code, resp.body)
    # A browser on that name sends its own origin too.
    origin = f"http://{host}"
    sync = await open_ws(http_server_client, {"Host": host, "Origin": origin})
    assert sync["type"] == "sync"


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "local",
                                  "127.0.0.1.evil.example", "evil.example.", "xn--lcal-7na",
                                  "192.168.1.20.nip.io"])
async def test_look_alike_hosts_are_refused(http_server_client, host):
    resp = await http_server_client.fetch("/api/health", headers={"Host": host},
                                          raise_error=False)
    assert 400 <= resp.code < 500, (host, resp.code)


# ---- a real subprocess server: raw requests, and names configured by the environment ----

@pytest.mark.slow
def test_subprocess_server_refuses_foreign_hosts_and_accepts_configured_ones(server_factory):
    srv = server_factory(env={"LANBOARD_ALLOWED_HOSTS": "board.school.example, wb.lan"})
    port = srv.port
    status, _, body = http_request(port, "/", {"Host": "evil.example"})
    check_refusal(status, body)
    with pytest.raises(HandshakeRefused) as info:
        RawWS(port, "/ws/oh?userId=x", {"Host": "evil.example"})
    check_refusal(info.value.status, info.value.body)
    with pytest.raises(HandshakeRefused) as info:
        RawWS(port, "/ws/oh?userId=x", {"Origin": "http://evil.example"})
    assert info.value.status == 403
    for host in (f"127.0.0.1:{port}", f"something.local:{port}", "localhost",
                 f"board.school.example:{port}", "WB.LAN"):
        status, _, body = http_request(port, "/api/health", {"Host": host})
        assert status == 200, (host, status, body)
        ws = RawWS(port, "/ws/oh?userId=x", {"Host": host, "Origin": f"http://{host}"})
        assert ws.recv()[0]["type"] == "sync"
        ws.close()
    # The refusals were logged, and rate-limited: not one line per request.
    for _ in range(50):
        http_request(port, "/", {"Host": "evil.example"})
    assert srv.saw("bad_host")
    assert sum("bad_host" in line for line in srv.output) <= 3


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:1", "http://localhost.evil.example"])
async def test_other_origins_including_null_and_another_port_are_refused(http_server_client,
                                                                        origin):
    err = await refused(http_server_client, {"Origin": origin})
    assert err.code == 403


BOARD_FILE = json.dumps({"lanboard": 1, "elements": [
    {"id": "a", "elementType": "line", "x1": 0, "y1": 0, "x2": 1, "y2": 1,
     "strokeColor": "#000", "strokeWidth": 1}]})


@pytest.mark.parametrize("path", ["/api/rooms/oh/import", "/api/rooms/oh/versions/1/restore"])
@pytest.mark.parametrize("headers, status", [
    ({"Origin": "http://evil.example", "Content-Type": "application/json"}, 403),
    ({"Origin": "null", "Content-Type": "application/json"}, 403),
    # What a cross-site <form> or a "simple" fetch can send without a preflight:
    ({"Content-Type": "text/plain"}, 415),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
    # (Tornado itself refuses a multipart body it cannot parse, with 400.)
    ({"Content-Type": "multipart/form-data; boundary=x"}, 400),
], ids=["evil-origin", "null-origin", "text-plain", "form", "multipart"])
async def test_cross_site_writes_are_refused(http_server_client, path, headers, status):
    # The board exists and has a version 1, so only the guard can refuse the write.
    made = await http_server_client.fetch("/api/rooms/oh/import", method="POST",
                                          body=BOARD_FILE,
                                          headers={"Content-Type": "application/json"})
    assert made.code == 200
    resp = await http_server_client.fetch(path, method="POST", body=BOARD_FILE,
                                          headers=headers, raise_error=False)
    assert resp.code == status, (resp.code, resp.body)
    doc = json.loads(resp.body)
    assert doc["error"] in ("bad_origin", "bad_content_type", "bad_request")
    # The board is untouched.
    export = await http_server_client.fetch("/api/rooms/oh/export?format=json")
    assert [e["id"] for e in json.loads(export.body)["elements"]] == ["a"]


async def test_a_write_from_the_pages_own_origin_is_accepted(http_server_client):
    origin = f"http://127.0.0.1:{port_of(http_server_client)}"
    resp = await http_server_client.fetch(
        "/api/rooms/oh/import", method="POST", body=BOARD_FILE, raise_error=False,
        headers={"Origin": origin, "Content-Type": "application/json"})
    assert resp.code == 200, resp.body
    assert json.loads(resp.body)["elements"] == 1
