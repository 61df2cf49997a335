"""Closing by the book (RFC 6455 5.5.1, 7.1.7, 7.4) against a real server: a broken frame
gets a 1002 or 1007 close frame before the connection drops, a close code that must never be
sent is answered with 1002 instead of echoed, a bad close reason leaves no traceback in the
log, and a malformed Sec-WebSocket-Key is refused before the upgrade."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Iterator

import pytest
from rawws import CLOSE, PING, TEXT, Closed, HandshakeRefused, RawWS, http_request
from testkit import ServerProcess, start_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("closedata"), env={"LANBOARD_STORE": "memory"})
    yield server
    server.kill()


def joined(srv: ServerProcess) -> RawWS:
    ws = RawWS(srv.port, "/ws/closing?userId=x")
    assert ws.recv()[0]["type"] == "sync"
    return ws


def close_reply(ws: RawWS) -> int | None:
    """The code of the server's close frame; None when it hung up without one."""
    try:
        for _ in range(20):
            ws.recv(5.0)
    except Closed as closed:
        return closed.code
    finally:
        ws.sock.close()
    raise AssertionError("the server neither closed nor stopped talking")


def no_traceback_so_far(srv: ServerProcess) -> None:
    """Everything the server logged up to now: a request it will log after what came
    before it marks the point (its rejection log line)."""
    http_request(srv.port, "/", {"Host": f"marker-{os.urandom(4).hex()}.example"})
    assert srv.saw("bad_host")
    text = "".join(srv.output)
    assert "Traceback" not in text and "Uncaught exception" not in text, text[-3000:]


@pytest.mark.parametrize("name, send", [
    ("reserved-bits", lambda ws: ws.send_frame(TEXT, b"{}", rsv=0b100)),
    ("unmasked", lambda ws: ws.send_frame(TEXT, b"{}", mask=False)),
    ("unknown-opcode", lambda ws: ws.send_frame(0x3, b"x")),
    ("unknown-control", lambda ws: ws.send_frame(0xB, b"x")),
    ("fragmented-ping", lambda ws: ws.send_frame(PING, b"x", fin=False)),
    ("long-ping", lambda ws: ws.send_frame(PING, b"x" * 126)),
    ("stray-continuation", lambda ws: ws.send_frame(0x0, b"x")),
    ("interleaved-message", lambda ws: (ws.send_frame(TEXT, b"[", fin=False),
                                        ws.send_frame(TEXT, b"]"))),
])
def test_a_protocol_error_gets_1002_before_the_drop(srv, name, send):
    ws = joined(srv)
    send(ws)
    assert close_reply(ws) == 1002, name


@pytest.mark.parametrize("payload", [b"\xff\xfe", b'{"type":"ping"}\xc3', b"\xed\xa0\x80"])
def test_text_that_is_not_utf8_gets_1007(srv, payload):
    ws = joined(srv)
    ws.send_frame(TEXT, payload)
    assert close_reply(ws) == 1007


def test_a_close_reason_that_is_not_utf8_gets_1007_and_no_traceback(srv):
    for _ in range(3):
        ws = joined(srv)
        ws.send_frame(CLOSE, struct.pack("!H", 1000) + b"bye \xff\xfe")
        assert close_reply(ws) == 1007
    no_traceback_so_far(srv)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                                  5000, 65535])
def test_a_close_code_that_must_not_be_sent_is_answered_with_1002(srv, code):
    ws = joined(srv)
    ws.send_frame(CLOSE, struct.pack("!H", code) + b"x")
    assert close_reply(ws) == 1002


def test_a_one_byte_close_payload_is_answered_with_1002(srv):
    ws = joined(srv)
    ws.send_frame(CLOSE, b"\x03")
    assert close_reply(ws) == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1008, 1011, 1014, 3000, 4999])
def test_a_valid_close_code_is_echoed(srv, code):
    ws = joined(srv)
    ws.send_frame(CLOSE, struct.pack("!H", code) + "fin ✓".encode())
    assert close_reply(ws) == code


def test_an_empty_close_is_answered_and_the_board_carries_on(srv):
    ws = joined(srv)
    ws.send_frame(CLOSE, b"")
    close_reply(ws)
    other = joined(srv)
    other.send("ping", {})
    kinds: list[str] = []
    while "pong" not in kinds and len(kinds) < 20:
        kinds += [m["type"] for m in other.recv()]
    other.close()
    assert "pong" in kinds
    no_traceback_so_far(srv)


@pytest.mark.parametrize("key", [
    "not base64 at all!!!!!!!",
    # Fixed bytes, not random ones: the parameters name the tests, and parallel workers must
    # collect the same names.
    base64.b64encode(bytes(range(15))).decode(),  # decodes to 15 bytes, not 16
    base64.b64encode(bytes(range(17))).decode(),  # 17
    "",
    "A" * 24,
])
def test_a_malformed_websocket_key_is_refused(srv, key):
    with pytest.raises(HandshakeRefused) as info:
        RawWS(srv.port, "/ws/closing?userId=k", {"Sec-WebSocket-Key": key})
    assert info.value.status == 400
