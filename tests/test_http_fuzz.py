"""Fuzz the HTTP routes of a live server, as tests/test_fuzz.py does its socket: random
methods, paths (every route, with hostile segments), headers and bodies, over raw sockets.
The answer is never a 500, an error is always JSON `{error, message}`, the server never logs a
traceback or a line longer than its bounds, and it still answers afterwards."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawws import http_request
from testkit import ServerProcess, start_server

#: Longest line the server may log (the access log cuts a path at 200 characters).
MAX_LOG_LINE = 1000

ROUTES = ["/", "/room/{s}", "/ws/{s}", "/static/{s}", "/static/app/{s}", "/icons/{s}",
          "/favicon.ico", "/manifest.webmanifest", "/api/health", "/api/rooms", "/api/info",
          "/api/qr?url={s}", "/api/peers", "/api/rooms/{s}/versions",
          "/api/rooms/{s}/versions/{n}/restore", "/api/rooms/{s}/export?format={s}",
          "/api/rooms/{s}/import", "/{s}", "/{s}/{s}"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "get"]
CONTENT_TYPES = ["application/json", "application/jsonx", "text/plain", "multipart/form-data",
                 "application/x-www-form-urlencoded", "application/json; charset=utf-8",
                 "multipart/form-data; boundary=x", "", "\x7f"]
ORIGINS = ["http://evil.example", "null", "https://127.0.0.1:{port}", "http://127.0.0.1:{port}",
           "http://[::1", "http://127.0.0.1:99999", "x" * 300]

segment = st.one_of(
    st.text(min_size=0, max_size=80).map(lambda t: quote(t, safe="")),
    st.text(alphabet="abcXYZ019_-.%/~:@!$&'()*+,;=", max_size=80),
    st.sampled_from(["..", "%2e%2e", "%00", "%ff", "%", "%zz", "a" * 3000, "main.js",
                     "index.html", "%C3%A9", "..%2f..%2fetc%2fpasswd", "~", "%0d%0aX: y"]),
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                             blacklist_characters="\x7f"), max_size=200)


@st.composite
def requests(draw: Any) -> tuple[str, str, dict[str, str], bytes]:
    route = draw(st.sampled_from(ROUTES))
    while "{s}" in route:
        route = route.replace("{s}", draw(segment), 1)
    path = route.replace("{n}", str(draw(st.integers(0, 10**13))))
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["Content-Type"] = draw(st.one_of(st.sampled_from(CONTENT_TYPES), header_text))
    if draw(st.booleans()):
        headers["Origin"] = draw(st.one_of(st.sampled_from(ORIGINS), header_text))
    if draw(st.booleans()):
        headers.update({"Upgrade": draw(st.sampled_from(["websocket", "WebSocket", "h2c", ""])),
                        "Connection": draw(st.sampled_from(["Upgrade", "keep-alive, Upgrade",
                                                            "close"])),
                        "Sec-WebSocket-Version": draw(st.sampled_from(["13", "8", "", "x"])),
                        "Sec-WebSocket-Key": draw(header_text)})
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-XYZ", min_size=1, max_size=30))
        headers[name] = draw(header_text)
    body = draw(st.one_of(
        st.binary(max_size=2000),
        st.sampled_from([b"", b"{}", b"[]", b'{"elements": []}', b'{"lanboard": 1}',
                         b'{"elements": [{"id": "a"}]}', b"null", b"NaN", b"[" * 5000]),
        st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                        c, max_size=4),
                     max_leaves=20).map(lambda v: json.dumps({"elements": v}).encode()),
    ))
    return draw(st.sampled_from(METHODS)), path, headers, body


def send(port: int, method: str, path: str, headers: dict[str, str],
         body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw request; (status, headers, body). Status 0: closed with no answer."""
    hdrs = {"Host": f"127.0.0.1:{port}", "Connection": "close", **headers}
    if body or method in ("POST", "PUT", "PATCH"):
        hdrs["Content-Length"] = str(len(body))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        deadline = time.monotonic() + 10
        # Read one answer: an upgrade's `Connection: Upgrade` keeps the connection open.
        while time.monotonic() < deadline and not _complete(method, data):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    if not data:
        return 0, {}, b""
    return _parse(data)


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    raw_head, _, rest = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    parsed = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        parsed[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), parsed, rest


def _complete(method: str, data: bytes) -> bool:
    if b"\r\n\r\n" not in data:
        return False
    status, headers, rest = _parse(data)
    if method == "HEAD" or status in (101, 204, 304):
        return True
    length = headers.get("content-length")
    return length is not None and len(rest) >= int(length)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("httpfuzz"), env={"LANBOARD_STORE": "memory"})
    yield srv
    srv.kill()


seen: dict[int, int] = {}


@pytest.mark.timeout(300)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(req=requests())
def test_random_requests_get_no_500_and_json_errors(server, req):
    method, path, headers, body = req
    headers = {k: v.replace("{port}", str(server.port)) for k, v in headers.items()}
    status, resp_headers, resp_body = send(server.port, method, path, headers, body)
    seen[status] = seen.get(status, 0) + 1
    assert status != 500 and status < 600, (status, resp_body[:300])
    assert status != 101, "a fuzzed request was upgraded"
    if status >= 400 and resp_body and method != "HEAD":
        assert resp_headers.get("content-type", "").startswith("application/json"), \
            (status, resp_headers, resp_body[:200])
        doc = json.loads(resp_body)
        assert isinstance(doc.get("error"), str) and isinstance(doc.get("message"), str), doc


def test_after_the_fuzz_the_log_is_clean_and_bounded_and_the_server_answers(server):
    status, _, _ = http_request(server.port, "/api/health")
    assert status == 200
    time.sleep(0.3)  # let the output pump catch up
    text = "".join(server.output)
    assert "Traceback" not in text and "Uncaught exception" not in text, text[-3000:]
    longest = max((len(line) for line in server.output), default=0)
    assert longest <= MAX_LOG_LINE, longest
    print(f"\nstatuses seen: {dict(sorted(seen.items()))}; log {len(text)} bytes in "
          f"{len(server.output)} lines")
