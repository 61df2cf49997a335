"""How people on the network reach this server: /api/info, /api/qr and /api/peers.

`LanPresence` ties the network facts together (the interfaces served on, the port, the mDNS
registration) and the handlers below only read from it.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from lanboard import __version__, netinfo, qr
from lanboard.discovery import Discovery, MdnsDiscovery, NoDiscovery, instance_name
from lanboard.hub import Hub
from lanboard.settings import Settings
from lanboard.web import BaseHandler

log = logging.getLogger(__name__)

#: How often the interfaces are read again, to follow this machine onto another network.
NETWORK_CHECK_SECONDS = 3.0

#: Longest URL /api/qr encodes; a board URL is far shorter, and a QR code past this is unreadable.
QR_URL_MAX = 512


def active_board_ids(hub: Hub) -> list[str]:
    """Ids of the boards people are on, busiest first."""
    counts = hub.occupancy()
    return sorted((r for r, n in counts.items() if n), key=lambda r: (-counts[r], r))


def _is_ipv4(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address)
    except ValueError:
        return False


class LanPresence:
    """This server as the network sees it: its addresses, its port and its mDNS name."""

    def __init__(self, settings: Settings, hub: Hub) -> None:
        self.settings = settings
        self.hub = hub
        self.port = 0
        self.discovery: Discovery = NoDiscovery(instance_name(settings.name))
        self._advertised: list[str] = []
        self._watch: asyncio.Task[None] | None = None

    async def start(self, port: int) -> None:
        """Note the bound port and, unless --no-mdns, start advertising and browsing."""
        self.port = port
        if not self.settings.mdns:
            return
        await self._start_mdns()
        if self.settings.host in netinfo.ANY_HOSTS:
            self._watch = asyncio.ensure_future(self._follow_network())

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        await self.discovery.stop()

    def _mdns_addresses(self) -> list[str]:
        return [i.address for i in self.interfaces() if _is_ipv4(i.address)]

    async def _start_mdns(self) -> None:
        self._advertised = self._mdns_addresses()
        make = functools.partial(MdnsDiscovery, instance_name(self.settings.name), self.port,
                                 self._advertised, lambda: active_board_ids(self.hub))
        cluster = self.hub.cluster  # with --redis, one advertisement per machine
        self.discovery = make() if cluster is None else cluster.leased(make)
        await self.discovery.start()

    async def _follow_network(self) -> None:
        """Serving on every interface, re-advertise when the LAN addresses change: a laptop
        started before it joined the Wi-Fi, or moved to another network."""
        while True:
            await asyncio.sleep(NETWORK_CHECK_SECONDS)
            if self._mdns_addresses() == self._advertised:
                continue
            log.info("network changed addresses=%s (were %s)",
                     ",".join(self._mdns_addresses()) or "none",
                     ",".join(self._advertised) or "none")
            await self.discovery.stop()
            await self._start_mdns()

    def interfaces(self) -> list[netinfo.Interface]:
        # Read afresh on each call: a laptop may have joined another network since startup.
        return netinfo.lan_interfaces(self.settings.host)

    @property
    def loopback_only(self) -> bool:
        return netinfo.is_loopback(self.settings.host)

    def lan_urls(self) -> list[str]:
        return [u for u in netinfo.urls(self.settings.host, self.port, self.interfaces())
                if not netinfo.is_loopback(urlsplit(u).hostname or "")]

    def local_url(self) -> str | None:
        name = self.discovery.local_name
        return f"http://{name}:{self.port}/" if name else None

    def info(self) -> dict[str, Any]:
        return {
            "name": self.discovery.name,
            "version": __version__,
            "urls": self.lan_urls(),
            "localName": self.discovery.local_name,
            "localUrl": self.local_url(),
            "mdns": self.discovery.registered,
            "port": self.port,
            "loopbackOnly": self.loopback_only,
            "interfaces": [{"name": i.name, "address": i.address} for i in self.interfaces()],
        }

    def owns(self, url: str) -> bool:
        """True for an http URL, with any path, on one of this server's own names."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != "http" or parts.username is not None or parts.password is not None:
            return False
        hosts = {"127.0.0.1", "localhost", *(i.address for i in self.interfaces())}
        if self.discovery.local_name:
            hosts.add(self.discovery.local_name)
        return (parts.hostname or "").lower() in hosts and port == self.port


class InfoHandler(BaseHandler):
    def initialize(self, lan: LanPresence) -> None:
        self.lan = lan

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(self.lan.info())


class QrHandler(BaseHandler):
    """An SVG QR code, only of this server's own URLs: never a code that sends a phone
    somewhere else under this server's name."""

    def initialize(self, lan: LanPresence) -> None:
        self.lan = lan

    def get(self) -> None:
        url = self.get_query_argument("url", None)
        if not url:
            self.fail(400, "missing_url", "give the URL to encode as ?url=...")
            return
        if len(url) > QR_URL_MAX or not self.lan.owns(url):
            self.fail(400, "bad_url", "only this server's own http URLs get a QR code")
            return
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "no-cache")
        self.finish(qr.svg(url))


class PeersHandler(BaseHandler):
    def initialize(self, lan: LanPresence) -> None:
        self.lan = lan

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish({"peers": self.lan.discovery.peers()})


def routes(lan: LanPresence) -> list[tuple[str, type[BaseHandler], dict[str, Any]]]:
    """The routes app.py adds for this module."""
    return [
        (r"/api/info", InfoHandler, {"lan": lan}),
        (r"/api/qr", QrHandler, {"lan": lan}),
        (r"/api/peers", PeersHandler, {"lan": lan}),
    ]


# -- the terminal's share hints (printed by cli.py) ----------------------------------------

#: How long the terminal waits for mDNS before giving up on printing the `.local` URL.
LOCAL_NAME_WAIT_SECONDS = 8.0


def share_text(lan: LanPresence, *, unicode: bool, ansi: bool) -> str:
    """What the terminal prints so a phone can join: a QR code of the main LAN URL, or why
    there is none."""
    urls = lan.lan_urls()
    if lan.loopback_only:
        return ("Only this computer can open it: LANBoard listens on a loopback address.\n"
                "To let other devices join, start it with --host 0.0.0.0.\n")
    if not urls:
        return ("No network found that other devices could use (only loopback, VPN or "
                "container interfaces). Join a Wi-Fi or wired network and restart LANBoard.\n")
    return f"Scan to join from a phone ({urls[0]}):\n" + qr.text(urls[0], ansi=ansi,
                                                                   unicode=unicode)


async def local_name_text(lan: LanPresence) -> str | None:
    """The `.local` line, once mDNS has registered it; None with --no-mdns or on failure."""
    if not lan.settings.mdns or lan.loopback_only or not lan.lan_urls():
        return None  # the share text has said why nobody else can join
    if await lan.discovery.wait_registered(LOCAL_NAME_WAIT_SECONDS) and lan.local_url():
        return f"  Or type on any device here: {lan.local_url()}"
    if getattr(lan.discovery, "elsewhere", False):  # --redis: mdnslease.py
        return "  mDNS: another LANBoard process on this machine advertises the boards."
    return ("  mDNS could not start, so the .local name and the list of boards on this "
            "network are off; use the address above.")
