"""mDNS: advertise this LANBoard, and find the other LANBoards on the network.

`MdnsDiscovery` registers `_lanboard._tcp.local.` (and `_http._tcp.local.`, so generic
Bonjour browsers list the board) with a host name such as `lanboard.local`, keeps the TXT
record's board list current, and browses for other LANBoards. `NoDiscovery` is its twin for
`--no-mdns`: nothing is sent and nobody is found.

Everything here runs on the asyncio loop. zeroconf's `AsyncZeroconf` must be created inside
the running loop, so it is made in `start()`, never in `__init__`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import tornado.httpclient
from zeroconf import (  # type: ignore[attr-defined]  # AddressResolverIPv4: not in __all__
    AddressResolverIPv4,
    DNSQuestionType,
    IPVersion,
    ServiceStateChange,
    Zeroconf,
)
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from lanboard import PROTOCOL_VERSION, __version__, limits, netinfo

log = logging.getLogger(__name__)

SERVICE_TYPE = "_lanboard._tcp.local."
HTTP_TYPE = "_http._tcp.local."

#: The host name people type; a second LANBoard on the network takes `lanboard-2`.
HOST_LABEL = "lanboard"
#: How many host names to try (`lanboard`, `lanboard-2`, ...) before giving up on one.
HOST_TRIES = 9
#: How long to listen for another device already answering to a host name, in ms. An
#: answer comes within tens of ms, unless the owner multicast that record less than a second
#: ago: then its once-a-second rate limit holds the answer back for up to 1 s.
HOST_PROBE_MS = 1200

#: Instance names are DNS labels (at most 63 bytes); leave room for zeroconf's "-2" suffix.
NAME_MAX_BYTES = 58
#: One TXT string is at most 255 bytes; the board list goes in one string.
TXT_STRING_MAX = 255

#: How often the board list is compared with what was advertised (the TXT debounce).
POLL_SECONDS = 2.0
#: How often each peer's /api/health is asked whether it is still there.
PROBE_SECONDS = 1.5
#: How long one health check may take.
PROBE_TIMEOUT_SECONDS = 1.0
#: A peer that misses this many health checks in a row is no longer listed.
PROBE_MISSES = 2
#: At most this many peers are tracked; more would be a flood, not a classroom.
MAX_PEERS = 64
#: What a peer's TXT `path` may be.
SAFE_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~/-]{0,200}")
#: How long zeroconf may take to resolve a peer's addresses, in ms.
RESOLVE_MS = 3000

#: Ask for multicast answers. Unicast ("QU") answers go to port 5353 on the asking host, and
#: when two mDNS stacks share that port on one machine (two LANBoards, or LANBoard beside
#: Avahi or Bonjour) only one of them gets the answer. The browser's multicast answers also
#: fill the cache that zeroconf's name-conflict check reads before registering.
QM = DNSQuestionType.QM


class Discovery(Protocol):
    """What the server and the HTTP API need from mDNS."""

    @property
    def registered(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def local_name(self) -> str | None: ...
    async def start(self) -> None: ...
    async def wait_registered(self, timeout: float) -> bool: ...
    async def stop(self) -> None: ...
    def peers(self) -> list[dict[str, Any]]: ...


def instance_name(name: str | None, hostname: str | None = None) -> str:
    """The instance name others see: `--name`, or "<hostname> LANBoard", cut to fit a label."""
    if not name or not name.strip():
        host = (hostname if hostname is not None else socket.gethostname()).split(".")[0]
        name = f"{host} LANBoard" if host else "LANBoard"
    clean = "".join(ch for ch in name.strip() if ch.isprintable())
    raw = clean.encode()[:NAME_MAX_BYTES]
    return raw.decode(errors="ignore").strip() or "LANBoard"


def txt_properties(boards: list[str], rev: int = 0) -> dict[str, str]:
    """TXT for `_lanboard._tcp`: versions, the path, the number of active boards and as many
    of their ids (busiest first) as fit in one TXT string.

    `rev` counts the updates. zeroconf's browser reports no change when a TXT record comes
    back to a value it still holds in its cache (say, "no boards" again a few seconds
    later), so every update must differ from all before it."""
    active: list[str] = []
    size = len("active=")
    for board in boards:
        extra = len(board.encode()) + (1 if active else 0)
        if size + extra > TXT_STRING_MAX:
            break
        active.append(board)
        size += extra
    return {"protocol": str(PROTOCOL_VERSION), "version": __version__, "path": "/",
            "boards": str(len(boards)), "active": ",".join(active), "rev": str(rev)}


def _text(props: dict[bytes, bytes | None], key: str) -> str:
    value = props.get(key.encode())
    return value.decode(errors="replace") if value else ""


@dataclass(slots=True)
class PeerRecord:
    """Another LANBoard, as mDNS described it and as its health checks found it."""

    service: str
    name: str
    addresses: list[str]
    port: int
    path: str
    boards: list[str]
    url: str
    last_seen: float
    #: The host name its addresses are published under (`lanboard.local.`).
    server: str = ""
    misses: int = 0

    @classmethod
    def from_info(cls, info: AsyncServiceInfo, now: float) -> PeerRecord | None:
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses or not info.port:
            return None
        props = info.properties
        path = _text(props, "path") or "/"
        if not SAFE_PATH.fullmatch(path):
            path = "/"  # it goes into links on the landing page: nothing but a plain path
        boards = [b for b in _text(props, "active").split(",")
                  if limits.ROOM_ID_PATTERN.fullmatch(b)]
        return cls(info.name, _instance(info.name, SERVICE_TYPE), addresses, info.port, path,
                   boards, _peer_url(addresses[0], info.port, path), now,
                   (info.server or "").lower())

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "boards": self.boards,
                "lastSeen": int(self.last_seen * 1000)}


def _instance(service_name: str, type_: str) -> str:
    return service_name.removesuffix("." + type_)


def _peer_url(address: str, port: int, path: str) -> str:
    return f"http://{address}:{port}{path}"


@dataclass
class MdnsDiscovery:
    """Advertises this server and browses for others, on the given IPv4 addresses only."""

    #: The instance name wanted (it may become "<name>-2" on a conflict).
    wanted_name: str
    port: int
    #: The addresses to advertise and to multicast on (never the host's other interfaces).
    addresses: list[str]
    #: The ids of boards with people on them, busiest first.
    boards: Callable[[], list[str]]
    host_label: str = HOST_LABEL
    poll_seconds: float = POLL_SECONDS
    probe_seconds: float = PROBE_SECONDS

    _zc: AsyncZeroconf | None = field(default=None, init=False)
    _browser: AsyncServiceBrowser | None = field(default=None, init=False)
    _info: AsyncServiceInfo | None = field(default=None, init=False)
    _local: str | None = field(default=None, init=False)
    _advertised: list[str] = field(default_factory=list, init=False)
    _rev: int = field(default=0, init=False)
    #: The probed instance names of the `_lanboard` and `_http` services.
    _names: tuple[str, str] = field(default=("", ""), init=False)
    _moving: bool = field(default=False, init=False)
    _peers: dict[str, PeerRecord] = field(default_factory=dict, init=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, init=False)
    _register_task: asyncio.Task[None] | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)

    @property
    def registered(self) -> bool:
        return self._info is not None

    @property
    def name(self) -> str:
        """The registered instance name, or the wanted one until registration is done."""
        return self.wanted_name if self._info is None else _instance(self._info.name, SERVICE_TYPE)

    @property
    def local_name(self) -> str | None:
        """The `.local` host name people can type, once it is registered."""
        return self._local.rstrip(".") if self._local and self.registered else None

    async def start(self) -> None:
        """Start browsing at once; registration (about 1.3 s of probing) goes on behind."""
        if not self.addresses:
            log.warning("mdns not started: no LAN interface to advertise on")
            return
        missing = set(self.addresses) - {c.address for c in netinfo.candidates()}
        if missing:
            # zeroconf would fail too, but only after opening (and leaking) a socket.
            log.warning("mdns not started: %s is not an address of this machine",
                        ",".join(sorted(missing)))
            return
        try:
            self._zc = AsyncZeroconf(interfaces=list(self.addresses),
                                     ip_version=IPVersion.V4Only)
            self._browser = AsyncServiceBrowser(self._zc.zeroconf, [SERVICE_TYPE],
                                                handlers=[self._on_change], question_type=QM)
        except Exception as exc:  # mDNS is a convenience: never let it stop the server
            log.warning("mdns not started on %s: %s: %s", ",".join(self.addresses),
                        type(exc).__name__, exc)
            await self._close_zc()
            return
        self._register_task = asyncio.ensure_future(self._register())
        self._spawn(self._poll_boards())
        self._spawn(self._probe_peers())

    async def wait_registered(self, timeout: float) -> bool:
        if self._register_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._register_task), timeout)
        return self.registered

    async def stop(self) -> None:
        """Say goodbye (so peers drop this server at once) and stop browsing."""
        self._stopped = True
        tasks = [*self._tasks, *([self._register_task] if self._register_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.async_cancel()
            self._browser = None
        await self._close_zc()
        self._info = None
        self._peers.clear()

    def peers(self) -> list[dict[str, Any]]:
        """Other LANBoards that answered lately, by name; never this one."""
        live = [p for p in self._peers.values() if p.misses < PROBE_MISSES]
        return [p.as_json() for p in sorted(live, key=lambda p: (p.name.lower(), p.url))]

    # -- advertising --------------------------------------------------------------------

    async def _close_zc(self) -> None:
        if self._zc is None:
            return
        zc, self._zc = self._zc, None
        try:
            # Closing unregisters every service first, which sends the goodbyes.
            await asyncio.wait_for(zc.async_close(), timeout=3)
        except (asyncio.TimeoutError, OSError) as exc:
            log.warning("mdns did not close cleanly: %s", exc or "timeout")

    async def _pick_host_name(self, zc: Zeroconf, skip: str | None = None) -> str:
        """The first of `lanboard.local.`, `lanboard-2.local.`, ... that nobody answers to."""
        for n in range(1, HOST_TRIES + 1):
            candidate = f"{self.host_label}.local." if n == 1 else f"{self.host_label}-{n}.local."
            if candidate == skip:
                continue
            resolver = AddressResolverIPv4(candidate)
            if not await resolver.async_request(zc, HOST_PROBE_MS, question_type=QM):
                return candidate
            log.info("mdns host name taken name=%s", candidate.rstrip("."))
        raise RuntimeError(f"{self.host_label}.local to -{HOST_TRIES}.local are all taken")

    async def _claim(self, zc: Zeroconf, type_: str) -> str:
        """A free instance name of `type_`: the wanted one, or "<wanted>-2", "-3", ...

        Two checks run side by side. zeroconf's own probes ask for unicast answers, which
        come at once on a LAN but can be lost when two mDNS stacks share one machine; our
        multicast query for the exact name is answered there too, though a responder may
        hold that answer back for up to a second (it multicasts a record once a second)."""
        name = self.wanted_name
        for n in range(2, HOST_TRIES + 2):
            info = self._service_info(type_, name, {}, f"{self.host_label}.local.")
            probe = AsyncServiceInfo(type_, f"{name}.{type_}")
            taken, _ = await asyncio.gather(
                probe.async_request(zc, HOST_PROBE_MS, question_type=QM),
                zc.async_check_service(info, allow_name_change=True))
            if _instance(info.name, type_) != name:
                return _instance(info.name, type_)  # zeroconf heard a defence and renamed
            if not taken:
                return name
            log.info("mdns name taken name=%r type=%s", name, type_)
            name = f"{self.wanted_name}-{n}"
        raise RuntimeError(f"{self.wanted_name!r} to -{HOST_TRIES} are all taken")

    def _service_info(self, type_: str, name: str, props: dict[str, str],
                      server: str) -> AsyncServiceInfo:
        return AsyncServiceInfo(
            type_, f"{name}.{type_}", port=self.port, properties=props, server=server,
            addresses=[socket.inet_aton(a) for a in self.addresses])

    async def _register(self) -> None:
        """Probe the host name and both instance names at once (about 1.3 s, not 4), then
        register and announce."""
        zc = self._zc
        assert zc is not None
        try:
            host, lan, http = await asyncio.gather(
                self._pick_host_name(zc.zeroconf),
                self._claim(zc.zeroconf, SERVICE_TYPE), self._claim(zc.zeroconf, HTTP_TYPE))
            self._names = (lan, http)
            await self._announce(host)
        except Exception as exc:
            # zeroconf's own errors (NonUniqueNameException and kin) derive from Exception;
            # none of them may take the server down with it.
            log.warning("mdns registration failed: %s: %s", type(exc).__name__, exc)
            return
        log.info("mdns registered name=%r host=%s addresses=%s port=%d", self.name,
                 (self._local or "").rstrip("."), ",".join(self.addresses), self.port)
        self._check_host_clash()

    async def _announce(self, host: str) -> None:
        """Register both services (their names already probed) on `host`; only announces."""
        assert self._zc is not None
        self._local = host
        self._advertised = self.boards()
        self._rev += 1
        lan = self._service_info(SERVICE_TYPE, self._names[0],
                                 txt_properties(self._advertised, self._rev), host)
        http = self._service_info(HTTP_TYPE, self._names[1], {"path": "/"}, host)
        tasks = await asyncio.gather(
            self._zc.async_register_service(lan, cooperating_responders=True),
            self._zc.async_register_service(http, cooperating_responders=True))
        self._info = lan
        await asyncio.gather(*tasks)

    def _check_host_clash(self) -> None:
        """Two LANBoards that probe at the same moment can both take `lanboard.local`; the
        browser shows it afterwards, in the peer's SRV record."""
        if self._info is None or self._local is None or self._moving:
            return
        ours = self._local.lower()
        if any(p.server == ours and p.name < self.name for p in self._peers.values()):
            self._moving = True
            self._spawn(self._move_host())

    async def _move_host(self) -> None:
        """Another LANBoard claimed the same host name at the same moment. The one whose
        instance name sorts first keeps it; this one moves on to the next free name."""
        zc, old = self._zc, self._local
        if zc is None or self._info is None:
            return
        try:
            await zc.async_unregister_all_services()
            self._info = None
            await self._announce(await self._pick_host_name(zc.zeroconf, skip=old))
        except Exception as exc:
            log.warning("mdns host name change failed: %s: %s", type(exc).__name__, exc)
            return
        finally:
            self._moving = False
        log.info("mdns host name moved from=%s to=%s", (old or "").rstrip("."),
                 self.local_name)

    async def _poll_boards(self) -> None:
        """Re-advertise the board list when it changes, at most once per poll."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            boards = self.boards()
            if boards == self._advertised or self._info is None or self._zc is None:
                continue
            self._advertised = boards
            self._rev += 1
            assert self._local is not None
            info = self._service_info(SERVICE_TYPE, self.name,
                                      txt_properties(boards, self._rev), self._local)
            try:
                await self._zc.async_update_service(info)
            except Exception as exc:
                log.warning("mdns TXT update failed: %s", exc)
                continue
            self._info = info
            log.info("mdns boards updated boards=%d", len(boards))

    # -- browsing -----------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str,
                   state_change: ServiceStateChange) -> None:
        """zeroconf calls this with exactly these keyword names."""
        if self._stopped:
            return
        if state_change is ServiceStateChange.Removed:
            if self._peers.pop(name, None) is not None:
                log.info("peer left name=%r", name)
            return
        self._spawn(self._resolve(zeroconf, name))

    def _is_self(self, record: PeerRecord) -> bool:
        if self._info is not None and record.service == self._info.name:
            return True
        # Before registration ends the final name is not known; the address and port are.
        return record.port == self.port and bool(set(record.addresses) & set(self.addresses))

    async def _resolve(self, zeroconf: Zeroconf, name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(zeroconf, RESOLVE_MS, question_type=QM):
            return
        record = PeerRecord.from_info(info, time.time())
        if record is None or self._is_self(record):
            return
        old = self._peers.get(name)
        if old is None and len(self._peers) >= MAX_PEERS:
            return
        if old is not None and old.addresses == record.addresses and old.port == record.port:
            record.url = old.url  # keep the address that answered health checks
        self._peers[name] = record
        self._check_host_clash()
        if old is None:
            log.info("peer found name=%r url=%s boards=%d", record.name, record.url,
                     len(record.boards))

    async def _probe_peers(self) -> None:
        """Ask each peer's /api/health now and then: one that crashed sends no goodbye."""
        client = tornado.httpclient.AsyncHTTPClient()
        while True:
            await asyncio.sleep(self.probe_seconds)
            records = list(self._peers.values())
            await asyncio.gather(*(self._probe(client, r) for r in records))

    async def _probe(self, client: tornado.httpclient.AsyncHTTPClient,
                     record: PeerRecord) -> None:
        for address in record.addresses:
            url = _peer_url(address, record.port, "/api/health")
            try:
                resp = await client.fetch(url, connect_timeout=PROBE_TIMEOUT_SECONDS,
                                          request_timeout=PROBE_TIMEOUT_SECONDS,
                                          follow_redirects=False, raise_error=False)
                ok = resp.code == 200 and json.loads(resp.body).get("app") == "lanboard"
            except (OSError, ValueError, AttributeError, tornado.httpclient.HTTPError):
                ok = False
            if ok:
                if record.misses >= PROBE_MISSES:
                    log.info("peer back name=%r", record.name)
                record.url = _peer_url(address, record.port, record.path)
                record.last_seen = time.time()
                record.misses = 0
                return
        record.misses += 1
        if record.misses == PROBE_MISSES:
            log.info("peer not answering name=%r", record.name)


class NoDiscovery:
    """mDNS switched off (`--no-mdns`): nothing registered, nobody found."""

    def __init__(self, name: str) -> None:
        self._name = name

    registered = False
    local_name = None

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        return None

    async def wait_registered(self, timeout: float) -> bool:
        return False

    async def stop(self) -> None:
        return None

    def peers(self) -> list[dict[str, Any]]:
        return []
