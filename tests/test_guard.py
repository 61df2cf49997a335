"""Rate limits, connection caps, the Host allowlist and the rejection log."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from testkit import line

from lanboard import limits
from lanboard.guard import Guard, HostAllowlist, RateLimits, RejectionLog, TokenBucket, host_name


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_the_burst_then_the_rate():
    bucket = TokenBucket(rate=10, burst=20)
    assert sum(bucket.take(0.0) for _ in range(50)) == 20
    assert sum(bucket.take(1.0) for _ in range(50)) == 10


def test_a_stylus_at_120_events_a_second_is_never_limited():
    guard = Guard().client("10.0.0.5")
    now, refused = 0.0, 0
    for _ in range(120 * 30):  # 30 s of appends plus a cursor every fourth event
        now += 1 / 120
        refused += not guard.admit("changes", now)
        refused += not guard.admit("cursors", now) if int(now * 120) % 4 == 0 else 0
    assert refused == 0


def test_one_ip_shares_a_budget_but_loopback_does_not():
    guard = Guard(RateLimits(changes=10, cursors=10, clears=1))
    tabs = [guard.client("10.0.0.7") for _ in range(20)]
    admitted = sum(t.admit("changes", 0.0) for t in tabs for _ in range(20))
    assert admitted == 10 * limits.IP_RATE_SCALE * 2  # the IP's burst, not 20 clients' worth
    local = [guard.client("127.0.0.1") for _ in range(20)]
    assert sum(t.admit("changes", 0.0) for t in local for _ in range(20)) == 20 * 20


def test_connection_caps_per_ip_and_in_total(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CONNECTIONS", 50)
    guard = Guard()
    for _ in range(limits.MAX_CONNECTIONS_PER_IP):
        assert guard.connect("10.0.0.9") is None
    assert "too many connections" in (guard.connect("10.0.0.9") or "")
    guard.disconnect("10.0.0.9")
    assert guard.connect("10.0.0.9") is None
    for _ in range(50 - limits.MAX_CONNECTIONS_PER_IP):
        assert guard.connect("127.0.0.1") is None
    assert "full" in (guard.connect("127.0.0.1") or "")


def test_a_school_behind_one_address_gets_the_people_it_is_set_for():
    """LANBOARD_PER_ADDRESS: a district server reached through a school's NAT address."""
    guard = Guard(RateLimits(changes=10, cursors=10, clears=1), per_address=320)
    for _ in range(320):
        assert guard.connect("203.0.113.4") is None
    why = guard.connect("203.0.113.4") or ""
    assert "at most 320" in why and "LANBOARD_PER_ADDRESS" in why
    # The address's shared share of the rates grows with it: ten times the default's.
    tabs = [guard.client("203.0.113.4") for _ in range(200)]
    admitted = sum(t.admit("changes", 0.0) for t in tabs for _ in range(20))
    assert admitted == 10 * limits.IP_RATE_SCALE * 10 * 2


def test_strikes_disconnect_a_flooder_but_decay_for_a_burst():
    client = Guard().client("10.0.0.1")
    assert not any(client.strike(0.0) for _ in range(limits.FLOOD_STRIKES))
    assert client.strike(0.0)
    calm = Guard().client("10.0.0.2")
    t = 0.0
    for _ in range(3000):  # 40 rejections a second for 75 s drain as fast as they come
        t += 1 / 40
        calm.strike(t)
    assert calm.strikes < limits.FLOOD_STRIKES


@pytest.mark.parametrize("header, ok", [
    ("127.0.0.1:8080", True), ("192.168.1.20:8080", True), ("[::1]:8080", True),
    ("[fe80::1]", True), ("localhost:8080", True), ("lanboard.local:8080", True),
    ("Room-12.LOCAL.", True), ("evil.example", False), ("evil.example:8080", False),
    ("127.0.0.1.evil.example", False), ("", False), ("lanboard.local.evil.com", False),
])
def test_host_allowlist(header, ok):
    assert HostAllowlist().allows(header) is ok


def test_configured_host_names_are_allowed():
    assert HostAllowlist(["Board.School.Lan"]).allows("board.school.lan:8080")
    assert host_name("[::1]:80") == "::1" and host_name("A.Local.:1") == "a.local"


def test_rejection_log_records_once_per_interval_with_a_count(caplog):
    clock = Clock()
    rejections = RejectionLog(interval=10, clock=clock)
    with caplog.at_level(logging.WARNING, logger="lanboard.guard"):
        assert rejections.note("10.0.0.1", "rate_limited", "x")
        assert not any(rejections.note("10.0.0.1", "rate_limited", "x") for _ in range(500))
        clock.now = 11
        assert rejections.note("10.0.0.1", "rate_limited", "x")
    assert len(caplog.records) == 2 and "+500 more" in caplog.records[1].getMessage()


async def test_an_evil_host_header_is_refused_on_http_and_ws(http_server_client):
    for path in ("/", "/api/rooms", "/ws/r"):
        resp = await http_server_client.fetch(path, raise_error=False,
                                              headers={"Host": "evil.example"})
        assert resp.code == 421, path
        assert json.loads(resp.body)["error"] == "bad_host"


async def test_rate_limited_client_gets_an_error_and_a_flooder_is_disconnected(connect):
    ann = await connect("rl", userId="ann")
    await ann.recv_type("sync")
    sent = 0
    while ann.conn.close_code is None and sent < 20_000:  # bounded: 20,000 frames at most
        for _ in range(500):
            ann.send("draw", line(f"f{sent}"))
            sent += 1
        await asyncio.sleep(0.01)
    codes = set()
    while (msg := await asyncio.wait_for(ann.conn.read_message(), 10)) is not None:
        for m in json.loads(msg) if msg.startswith("[") else [json.loads(msg)]:
            if m["type"] == "error":
                codes.add(m["data"]["code"])
    assert codes == {"rate_limited"}
    assert ann.conn.close_code == 1008 and "flooding" in (ann.conn.close_reason or "")


async def test_a_board_at_its_peer_cap_refuses_with_503(http_server_client, connect,
                                                        monkeypatch):
    monkeypatch.setattr(limits, "MAX_PEERS_PER_ROOM", 2)
    for name in ("a", "b"):
        c = await connect("capped", userId=name)
        await c.recv_type("sync")
    resp = await http_server_client.fetch("/ws/capped", raise_error=False, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert resp.code == 503 and json.loads(resp.body)["error"] == "room_full"


def test_big_frames_cost_more_of_the_budget():
    client = Guard(RateLimits(changes=100, cursors=10, clears=1)).client("10.0.0.3")
    big = 1024 * 1024  # a maximum-size path
    admitted = sum(client.admit("changes", 0.0, big) for _ in range(10))
    assert admitted == 0  # 257 tokens each against a burst of 200
    small = Guard(RateLimits(changes=100, cursors=10, clears=1)).client("10.0.0.4")
    assert sum(small.admit("changes", 0.0, 200) for _ in range(300)) == 200
