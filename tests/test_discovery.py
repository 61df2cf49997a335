"""mDNS advertising and browsing with real zeroconf, pinned to 127.0.0.1 so nothing is ever
multicast on this machine's real interfaces. Every server here listens on 127.0.0.1, which
makes LanPresence advertise and browse on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect
from zeroconf.asyncio import AsyncServiceInfo

from lanboard import PROTOCOL_VERSION, __version__
from lanboard.discovery import (
    SERVICE_TYPE,
    TXT_STRING_MAX,
    MdnsDiscovery,
    NoDiscovery,
    PeerRecord,
    instance_name,
    txt_properties,
)
from lanboard.server import Server
from lanboard.settings import Settings
from lanboard.store import MemoryStore

LOOPBACK = ["127.0.0.1"]


def unique(prefix: str) -> str:
    """Names no other LANBoard on this machine's loopback could be using."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def get_json(url: str) -> Any:
    resp = await AsyncHTTPClient().fetch(url, request_timeout=5)
    return json.loads(resp.body)


def free_port() -> int:
    """A port that nothing listens on (it is closed again at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- pure parts -----------------------------------------------------------------------


def test_txt_carries_versions_path_and_the_busiest_boards_that_fit() -> None:
    txt = txt_properties(["maths", "art"])
    assert txt == {"protocol": str(PROTOCOL_VERSION), "version": __version__, "path": "/",
                   "boards": "2", "active": "maths,art", "rev": "0"}
    assert txt_properties([], 7)["rev"] == "7"
    many = [f"{i:02d}" + "b" * 62 for i in range(10)]  # 64 characters each
    txt = txt_properties(many)
    assert txt["boards"] == "10"
    assert len(("active=" + txt["active"]).encode()) <= TXT_STRING_MAX
    assert txt["active"].split(",") == many[:3]  # whole ids only, in the order given
    assert txt_properties([])["active"] == ""


def test_instance_name_defaults_to_the_host_and_fits_a_dns_label() -> None:
    assert instance_name(None, "studio.example.lan") == "studio LANBoard"
    assert instance_name("  ", "pc") == "pc LANBoard"
    assert instance_name("Room 12 \x07board") == "Room 12 board"
    long = instance_name("é" * 40)
    assert len(long.encode()) <= 58 and long == "é" * 29


def peer_info(props: dict[str, str], addresses: list[str] | None = None) -> AsyncServiceInfo:
    return AsyncServiceInfo(
        SERVICE_TYPE, f"Lab 3 LANBoard.{SERVICE_TYPE}", port=8080, properties=props,
        server="lanboard.local.",
        addresses=[socket.inet_aton(a) for a in (["10.0.0.5"] if addresses is None else addresses)])


def test_a_peer_record_takes_only_what_is_safe_to_link_to_from_txt() -> None:
    rec = PeerRecord.from_info(peer_info({"path": "/", "active": "maths,bad id,<b>,art"}), 1.5)
    assert rec is not None
    assert rec.as_json() == {"name": "Lab 3 LANBoard", "url": "http://10.0.0.5:8080/",
                             "boards": ["maths", "art"], "lastSeen": 1500}
    assert rec.server == "lanboard.local."
    for path in ('/"><script>', "javascript:x", "//evil.example/", "/" + "a" * 240):
        odd = PeerRecord.from_info(peer_info({"path": path}), 0)
        assert odd is not None and odd.url == "http://10.0.0.5:8080/", path
    sub = PeerRecord.from_info(peer_info({"path": "/lanboard/"}), 0)
    assert sub is not None and sub.url == "http://10.0.0.5:8080/lanboard/"
    assert PeerRecord.from_info(peer_info({}, addresses=[]), 0) is None


async def test_no_discovery_registers_and_finds_nothing() -> None:
    off = NoDiscovery("x")
    await off.start()
    assert (off.registered, off.local_name, off.peers()) == (False, None, [])
    assert await off.wait_registered(0.1) is False
    await off.stop()


# ---- real zeroconf on 127.0.0.1 -----------------------------------------------------------


@pytest.mark.slow
async def test_a_second_board_with_the_same_names_is_renumbered() -> None:
    """Instance name and host name conflicts: the second one gets "-2" for both."""
    name, label = unique("Clash"), unique("lbtest")
    first = MdnsDiscovery(name, free_port(), LOOPBACK, list, host_label=label)
    second = MdnsDiscovery(name, free_port(), LOOPBACK, list, host_label=label)
    try:
        await first.start()
        assert await first.wait_registered(10)
        # A responder multicasts a record at most once a second (RFC 6762 section 6), and on
        # one machine the unicast answers to zeroconf's probes may reach the wrong socket
        # (both stacks share port 5353). Starting right after the announcement, the second
        # could hear no answer at all; a second later it hears the first defend its names.
        await asyncio.sleep(1.1)
        await second.start()
        assert await second.wait_registered(10)
        assert (first.name, first.local_name) == (name, f"{label}.local")
        assert (second.name, second.local_name) == (f"{name}-2", f"{label}-2.local")
    finally:
        await second.stop()
        await first.stop()
    assert not first.registered and first.local_name is None


@pytest.fixture
def servers(io_loop: Any) -> Any:
    started: list[Server] = []

    async def start(name: str, mdns: bool = True) -> Server:
        server = Server(Settings(host="127.0.0.1", port=0, name=name, mdns=mdns),
                        store=MemoryStore())
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:  # also after a failed test: unregister, close sockets
        io_loop.run_sync(server.stop, timeout=15)


def url_of(server: Server, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def entry(peers: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in peers["peers"] if p["name"] == name), None)


@pytest.mark.slow
async def test_two_servers_find_each_other_follow_boards_and_see_the_goodbye(
        servers: Any) -> None:
    name_a, name_b = unique("Alpha"), unique("Beta")
    a, b = await asyncio.gather(servers(name_a), servers(name_b))

    async def a_as_b_sees_it() -> dict[str, Any] | None:
        return entry(await get_json(url_of(b, "/api/peers")), name_a)

    seen = await until(a_as_b_sees_it, 10, "B to list A")
    assert seen["url"] == f"http://127.0.0.1:{a.port}/"
    assert seen["boards"] == []
    assert abs(seen["lastSeen"] / 1000 - time.time()) < 30
    await until(lambda: entry_sync(a, name_b), 10, "A to list B")
    for server, own in ((a, name_a), (b, name_b)):
        peers = (await get_json(url_of(server, "/api/peers")))["peers"]
        assert all(p["name"] != own and f":{server.port}/" not in p["url"] for p in peers)

    assert await a.lan.discovery.wait_registered(10)
    info = await get_json(url_of(a, "/api/info"))
    assert info["mdns"] is True and info["name"] == name_a and info["port"] == a.port
    assert info["localName"].endswith(".local")
    assert info["localUrl"] == f"http://{info['localName']}:{a.port}/"
    assert info["loopbackOnly"] is True and info["urls"] == []
    assert info["interfaces"] == [{"name": "lo", "address": "127.0.0.1"}]
    # Started at the same moment, both may have claimed the same .local name; the one whose
    # name sorts last moves on once it sees the other's SRV record.
    await until(lambda: distinct_local_names(a, b), 10, "distinct .local names")
    qr = await AsyncHTTPClient().fetch(
        url_of(a, "/api/qr?url=" + info["localUrl"] + "room/x"), raise_error=False)
    assert qr.code == 200  # its .local name counts as its own once registered

    # Someone joins a board on A: B's view of A follows within a TXT poll or two.
    ws = await websocket_connect(f"ws://127.0.0.1:{a.port}/ws/algebra?userId=ann")
    try:
        await ws.read_message()
        await until(lambda: entry_sync(b, name_a, boards=["algebra"]), 10,
                    "A's TXT to list the board")
    finally:
        ws.close()
    await until(lambda: entry_sync(b, name_a, boards=[]), 10, "the board to go from A's TXT")

    stopped = time.monotonic()
    await a.stop()
    await until(lambda: entry_sync(b, name_a) is None, 10, "B to drop A after its goodbye")
    print(f"peer dropped {time.monotonic() - stopped:.2f} s after stop (loopback)")


def distinct_local_names(*servers: Server) -> tuple[str, ...] | None:
    names = tuple(s.lan.discovery.local_name or "" for s in servers)
    return names if all(names) and len(set(names)) == len(names) else None


def entry_sync(server: Server, name: str, boards: list[str] | None = None) -> Any:
    """What `server` lists for `name`, read straight from its discovery (no HTTP), and
    optionally only when its boards equal `boards`."""
    found = entry({"peers": server.lan.discovery.peers()}, name)
    if boards is None or found is None:
        return found
    return found if found["boards"] == boards else None


@pytest.mark.slow
async def test_a_peer_that_stops_answering_leaves_without_a_goodbye(servers: Any) -> None:
    """A crashed LANBoard sends no goodbye and its mDNS records linger; the health checks
    drop it. Here a registration whose port has no server stands in for it."""
    name = unique("Ghost")
    observer = await servers(unique("Observer"))
    ghost = MdnsDiscovery(name, free_port(), LOOPBACK, list, host_label=unique("lbghost"))
    try:
        await ghost.start()
        assert await ghost.wait_registered(10)
        await until(lambda: entry_sync(observer, name), 10, "the ghost to be found")
        found = time.monotonic()
        await until(lambda: entry_sync(observer, name) is None, 10, "the ghost to be dropped")
        print(f"silent peer dropped {time.monotonic() - found:.2f} s after it was found")
        assert ghost.registered  # its mDNS records are still there: only health checks tell
    finally:
        await ghost.stop()


async def test_no_mdns_registers_nothing_and_says_so(servers: Any) -> None:
    server = await servers(unique("Quiet"), mdns=False)
    info = await get_json(url_of(server, "/api/info"))
    assert (info["mdns"], info["localName"], info["localUrl"]) == (False, None, None)
    assert info["version"] == __version__ and info["port"] == server.port
    assert (await get_json(url_of(server, "/api/peers"))) == {"peers": []}
    assert isinstance(server.lan.discovery, NoDiscovery)


async def test_mdns_that_cannot_start_leaves_the_server_running() -> None:
    """An address this machine does not have (TEST-NET-3, say an interface that went away):
    nothing is opened or sent, and discovery reports itself off instead of raising."""
    broken = MdnsDiscovery(unique("Nowhere"), free_port(), ["203.0.113.77"], list)
    await broken.start()
    assert await broken.wait_registered(1) is False
    assert (broken.registered, broken.local_name, broken.peers()) == (False, None, [])
    await broken.stop()
