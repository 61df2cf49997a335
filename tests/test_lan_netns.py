"""Two hosts on a real (virtual) LAN: LANBoard in network namespace A, a zeroconf browser and a
second LANBoard in namespace B, joined by a veth pair. Nothing here touches the machine's
own interfaces; the namespaces are made for this run and deleted after it, pass or fail.

Figures (discovery and drop times) are printed, not asserted: run with -s to see them.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.netns]

SUBNET = "10.77.0"
HOST_A, HOST_B = f"{SUBNET}.1", f"{SUBNET}.2"
PORT = 8080
BOARD = "netns-board"

#: Runs in namespace B: browse for A, resolve it, load `/`, join a board over WebSocket and
#: stay on it, then watch B's own LANBoard list A (with the board) and drop it. Every event
#: is one JSON line with a time.monotonic() stamp (one clock for all processes here).
HELPER = r"""
import asyncio, json, sys, time
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect
from zeroconf import AddressResolverIPv4, IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

bind, want, board, peers_url, deadline_s, rounds = sys.argv[1:7]
deadline = time.monotonic() + float(deadline_s)
TYPE = "_lanboard._tcp.local."

def emit(**kw):
    print(json.dumps({"t": time.monotonic(), **kw}), flush=True)

async def get_json(url, **kw):
    resp = await AsyncHTTPClient().fetch(HTTPRequest(url, request_timeout=5, **kw))
    return json.loads(resp.body)

async def main():
    zc = AsyncZeroconf(interfaces=[bind], ip_version=IPVersion.V4Only)
    added = asyncio.Event()
    names = []

    def on_change(zeroconf, service_type, name, state_change):
        if name == f"{want}.{TYPE}":
            emit(event=state_change.name.lower(), name=name)
            if state_change is ServiceStateChange.Added:
                names.append(name)
                added.set()

    browser = AsyncServiceBrowser(zc.zeroconf, [TYPE], handlers=[on_change])
    emit(event="browsing")
    await asyncio.wait_for(added.wait(), deadline - time.monotonic())
    info = AsyncServiceInfo(TYPE, names[0])
    assert await info.async_request(zc.zeroconf, 5000), "could not resolve"
    props = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    addr = info.parsed_addresses(IPVersion.V4Only)[0]
    emit(event="resolved", address=addr, port=info.port, props=props, server=info.server)
    base = f"http://{addr}:{info.port}{props['path']}"
    page = await AsyncHTTPClient().fetch(base, request_timeout=5)
    emit(event="page", code=page.code, html=b"<html" in page.body.lower())
    host = AddressResolverIPv4(info.server)
    await host.async_request(zc.zeroconf, 3000)
    emit(event="hostname", name=info.server, addresses=host.parsed_addresses())
    # A browser that typed http://lanboard.local:PORT/ sends that Host header.
    local = await get_json(f"http://{addr}:{info.port}/api/info",
                           headers={"Host": f"{info.server.rstrip('.')}:{info.port}"})
    emit(event="info", info=local)
    ws = await websocket_connect(f"ws://{addr}:{info.port}/ws/{board}?userId=netns-b&v=2")
    first = json.loads(await ws.read_message())
    emit(event="joined", first=first if isinstance(first, dict) else first[0])

    # Each round: A appears in B's /api/peers, then leaves it (A is stopped, then restarted).
    listed = with_board = False
    gone = 0
    while time.monotonic() < deadline and gone < int(rounds):
        try:
            peers = (await get_json(peers_url))["peers"]
        except Exception as exc:
            emit(event="peers-error", error=str(exc))
            peers = []
        mine = [p for p in peers if p["name"] == want]
        if mine and not listed:
            listed = True
            emit(event="peer-listed", peer=mine[0], all=peers)
        if mine and board in mine[0]["boards"] and not with_board:
            with_board = True
            emit(event="peer-board", peer=mine[0])
        if listed and not mine:
            listed = False
            gone += 1
            emit(event="peer-gone")
        await asyncio.sleep(0.05)
    ws.close()
    await browser.async_cancel()
    await zc.async_close()
    emit(event="done")

asyncio.run(main())
"""


#: Runs in namespace B: the addresses a `.local` name resolves to, as a JSON list.
RESOLVE = r"""
import asyncio, json, sys
from zeroconf import AddressResolverIPv4, IPVersion
from zeroconf.asyncio import AsyncZeroconf

async def main():
    zc = AsyncZeroconf(interfaces=[sys.argv[1]], ip_version=IPVersion.V4Only)
    resolver = AddressResolverIPv4(sys.argv[2])
    found = await resolver.async_request(zc.zeroconf, 3000)
    print(json.dumps(sorted(resolver.parsed_addresses()) if found else []), flush=True)
    await zc.async_close()

asyncio.run(main())
"""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20,
                          check=check)


@dataclass
class Hosts:
    a: str
    b: str
    veth_a: str = ""


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    """Namespaces A and B on one /24, each with its own end of a veth pair."""
    if shutil.which("ip") is None:
        pytest.skip("the `ip` command is missing (Debian: apt-get install iproute2)")
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces (CI runs as root)")
    sfx = uuid.uuid4().hex[:6]
    veth_a, veth_b = f"va{sfx}", f"vb{sfx}"  # interface names: at most 15 characters
    ns = Hosts(f"lbA-{sfx}", f"lbB-{sfx}", veth_a)
    made: list[str] = []
    try:
        for name in (ns.a, ns.b):
            result = ip("netns", "add", name, check=False)
            if result.returncode != 0:
                pytest.skip(f"cannot create a network namespace here: {result.stderr.strip()}")
            made.append(name)
        ip("link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
        ip("link", "set", veth_a, "netns", ns.a)
        ip("link", "set", veth_b, "netns", ns.b)
        for name, veth, addr in ((ns.a, veth_a, HOST_A), (ns.b, veth_b, HOST_B)):
            ip("-n", name, "addr", "add", f"{addr}/24", "dev", veth)
            ip("-n", name, "link", "set", "lo", "up")
            ip("-n", name, "link", "set", veth, "multicast", "on", "up")
        yield ns
    finally:
        for name in made:
            ip("netns", "del", name, check=False)  # also removes the veth pair
        left = ip("netns", "list", check=False).stdout
        assert ns.a not in left and ns.b not in left, f"namespaces left behind: {left}"


class Proc:
    """A process in a namespace whose output lines are read by a thread into a queue."""

    def __init__(self, namespace: str, args: list[str], tag: str) -> None:
        self.tag = tag
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        #: When each line was read (time.monotonic()), for timing what a server logs.
        self.stamps: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", namespace, *args], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            self.stamps.append((time.monotonic(), text))
            self.output.append(text)
            self.lines.put(text)

    def wait_for(self, check: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            result = check(text)
            if result:
                return result
        raise AssertionError(f"{self.tag}: no {what} within {timeout} s; output:\n"
                             + "".join(self.output))

    def stop(self, timeout: float = 10) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def resolve_from(namespace: str, bind: str, host_name: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", RESOLVE,
                          bind, host_name], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def lanboard(namespace: str, host: str, name: str, data: Path) -> Proc:
    return Proc(namespace, [sys.executable, "-m", "lanboard", "--headless", "--host", host,
                            "--port", str(PORT), "--data-dir", str(data), "--name", name],
                f"lanboard {name}")


def event(kind: str) -> Any:
    def check(text: str) -> dict[str, Any] | None:
        try:
            msg = json.loads(text)
        except ValueError:
            return None
        return msg if isinstance(msg, dict) and msg.get("event") == kind else None
    return check


def test_two_hosts_discover_join_and_drop_each_other(hosts: Hosts, tmp_path: Path) -> None:
    sfx = hosts.a.rsplit("-", 1)[1]
    # A asks for B's name: B has it already, so A must be renamed to "<name>-2".
    name_b = f"Board {sfx}"
    name_a, asked_a = f"{name_b}-2", name_b
    started: list[Proc] = []
    try:
        b = lanboard(hosts.b, HOST_B, name_b, tmp_path / "b")
        started.append(b)
        b.wait_for(lambda t: "is running at" in t, 20, "startup line")
        helper = Proc(hosts.b, [sys.executable, "-c", HELPER, HOST_B, name_a, BOARD,
                                f"http://{HOST_B}:{PORT}/api/peers", "90", "2"],
                      "browser in B")
        started.append(helper)
        helper.wait_for(event("browsing"), 20, "browsing")

        t_start = time.monotonic()
        a = lanboard(hosts.a, HOST_A, asked_a, tmp_path / "a")
        started.append(a)
        added = helper.wait_for(event("added"), 20, "discovery of A")
        resolved = helper.wait_for(event("resolved"), 10, "resolution of A")
        assert (resolved["address"], resolved["port"]) == (HOST_A, PORT)
        assert resolved["props"]["path"] == "/" and resolved["props"]["protocol"]
        page = helper.wait_for(event("page"), 10, "GET /")
        assert page["code"] == 200 and page["html"]
        hostname = helper.wait_for(event("hostname"), 10, "the .local name")
        # B's LANBoard started first and holds lanboard.local, so A took the next name.
        assert hostname["name"] == "lanboard-2.local." and hostname["addresses"] == [HOST_A]
        info = helper.wait_for(event("info"), 10, "/api/info")["info"]
        assert info["mdns"] is True and info["name"] == name_a
        assert info["urls"] == [f"http://{HOST_A}:{PORT}/"] and info["loopbackOnly"] is False
        assert info["localUrl"] == f"http://lanboard-2.local:{PORT}/"
        joined = helper.wait_for(event("joined"), 10, "WebSocket join")
        assert joined["first"]["type"] == "sync"
        listed = helper.wait_for(event("peer-listed"), 15, "A in B's /api/peers")
        assert listed["peer"]["url"] == f"http://{HOST_A}:{PORT}/"
        assert all(p["name"] != name_b for p in listed["all"]), "B lists itself"
        helper.wait_for(event("peer-board"), 15, "A's board in B's /api/peers")

        a_out = "".join(a.output)
        assert "Scan to join from a phone" in a_out and "\u2588" in a_out, a_out
        if "lanboard-2.local" not in a_out:
            a.wait_for(lambda t: "lanboard-2.local" in t, 10, ".local line")

        t_stop = time.monotonic()
        assert a.stop() == 0
        removed = helper.wait_for(event("removed"), 20, "goodbye from A")
        gone = helper.wait_for(event("peer-gone"), 20, "A dropped from B's /api/peers")

        # A crash sends no goodbye, and A's mDNS records stay in B's cache for minutes:
        # B's health checks must drop it.
        again = lanboard(hosts.a, HOST_A, asked_a, tmp_path / "a")
        started.append(again)
        helper.wait_for(event("peer-listed"), 20, "A listed again after a restart")
        t_kill = time.monotonic()
        again.proc.kill()
        silent = helper.wait_for(event("peer-gone"), 20, "a killed A dropped")
    finally:
        for proc in reversed(started):
            proc.stop()
    listening = next(t for t, text in a.stamps if "server listening" in text)
    print(f"\nLAN test (2 namespaces): discovered {added['t'] - t_start:.2f} s after start "
          f"({added['t'] - listening:.2f} s after it listened; Python startup is the rest), "
          f"listed by the other LANBoard after {listed['t'] - t_start:.2f} s; "
          f"goodbye seen {removed['t'] - t_stop:.2f} s after stop, dropped from /api/peers "
          f"after {gone['t'] - t_stop:.2f} s; killed (no goodbye), dropped after "
          f"{silent['t'] - t_kill:.2f} s")


def test_serving_everywhere_advertises_only_the_lan_and_follows_a_new_address(
        hosts: Hosts, tmp_path: Path) -> None:
    """In A, beside its LAN veth, sit a tunnel and a container bridge (a veth pair named like
    them). LANBoard on 0.0.0.0 must advertise the LAN address alone, and add a second LAN
    address that appears while it runs."""
    sfx = hosts.a.rsplit("-", 1)[1]
    tun, bridge = f"tun{sfx}", f"docker{sfx}"
    ip("-n", hosts.a, "link", "add", tun, "type", "veth", "peer", "name", bridge)
    ip("-n", hosts.a, "addr", "add", "10.99.0.1/24", "dev", tun)
    ip("-n", hosts.a, "addr", "add", "172.17.0.1/16", "dev", bridge)
    for dev in (tun, bridge):
        ip("-n", hosts.a, "link", "set", dev, "multicast", "on", "up")
    a = lanboard(hosts.a, "0.0.0.0", f"Everywhere {sfx}", tmp_path / "a")
    try:
        a.wait_for(lambda t: "Or type on any device here: http://lanboard.local" in t, 20,
                   "mDNS registration")
        assert f"Open from other devices: http://{HOST_A}:{PORT}/" in "".join(a.output)
        assert resolve_from(hosts.b, HOST_B, "lanboard.local.") == [HOST_A]

        ip("-n", hosts.a, "addr", "add", f"{SUBNET}.11/24", "dev", hosts.veth_a)
        deadline = time.monotonic() + 25
        found: list[str] = []
        while time.monotonic() < deadline and len(found) < 2:
            found = resolve_from(hosts.b, HOST_B, "lanboard.local.")
        assert found == [HOST_A, f"{SUBNET}.11"], "".join(a.output)
    finally:
        assert a.stop() == 0, "".join(a.output)


LINKS_FROM = """
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
    e.close()
"""


def ask_from(namespace: str, url: str) -> tuple[int, dict[str, Any]]:
    out = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", LINKS_FROM,
                          url], capture_output=True, text=True, timeout=30)
    status, _, body = out.stdout.strip().partition(" ")
    assert status.isdigit(), out
    return int(status), json.loads(body)


def test_a_boards_links_go_to_the_host_machine_only(hosts: Hosts, tmp_path: Path) -> None:
    """The teacher's link holds the key: host B on the LAN gets 403 for it, while the machine
    LANBoard runs on (its loopback) gets all three links."""
    server = Proc(hosts.a, [sys.executable, "-m", "lanboard", "--headless", "--no-mdns",
                            "--host", "0.0.0.0", "--port", str(PORT), "--data-dir",
                            str(tmp_path / "a")], "lanboard a")
    try:
        server.wait_for(lambda t: "listening" in t, 20, "server start")
        status, body = ask_from(hosts.b, f"http://{HOST_A}:{PORT}/api/rooms/nsb/links")
        assert status == 403 and body["error"] == "forbidden"
        status, body = ask_from(hosts.a, f"http://127.0.0.1:{PORT}/api/rooms/nsb/links")
        assert status == 200 and set(body) == {"teacher", "student", "viewer"}
        assert "key=" in body["teacher"] and "key=" not in body["student"]
    finally:
        server.stop()
