"""This machine's addresses as other devices on the LAN can reach them.

Only real LAN interfaces count: loopback, link-local, container bridges and (where the name
gives it away) VPN tunnels are skipped, because a classmate's phone can reach none of them
and advertising them over mDNS would send people to dead addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import ifaddr

#: Hosts that mean "every interface".
ANY_HOSTS = ("0.0.0.0", "", "::")

#: Interface name prefixes of container and VM bridges (Docker, libvirt, LXD, Podman, CNI,
#: VirtualBox and VMware host-only networks). Nobody outside this machine is on them.
BRIDGE_PREFIXES = (
    "docker", "br-", "veth", "virbr", "lxcbr", "lxdbr", "podman", "cni", "flannel", "cali",
    "vboxnet", "vmnet", "vnet", "kube",
)

#: Interface name prefixes of VPN and tunnel devices (OpenVPN tun/tap, WireGuard, macOS utun,
#: PPP, IPsec, Tailscale, ZeroTier, GlobalProtect, Cisco AnyConnect, NordLynx).
VPN_PREFIXES = (
    "tun", "tap", "wg", "utun", "ppp", "ipsec", "tailscale", "zt", "gpd", "cscotun", "nordlynx",
)

#: Words in Windows adapter descriptions ("nice names") that give away a VPN or a virtual
#: switch; on Windows the short name is a GUID and says nothing.
NICE_NAME_HINTS = (
    "vpn", "tap-windows", "wireguard", "wintun", "tailscale", "zerotier", "openvpn",
    "anyconnect", "globalprotect", "fortinet", "hyper-v", "vethernet", "virtualbox",
    "vmware", "docker", "wsl",
)

#: Shared address space (RFC 6598): Tailscale hands these out; home and school LANs do not.
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


@dataclass(frozen=True, slots=True)
class Interface:
    """One address this server can be reached on, and the interface that carries it."""

    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One IPv4 address as the OS reports it, before any choice is made."""

    name: str
    address: str
    #: The OS's description of the adapter (Windows); equal to `name` elsewhere.
    nice_name: str = ""


def skip_reason(candidate: Candidate) -> str | None:
    """Why this address is no use to another device on the LAN, or None when it is."""
    addr = ipaddress.IPv4Address(candidate.address)
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_unspecified or addr.is_multicast:
        return "not a host address"
    name = candidate.name.lower()
    nice = candidate.nice_name.lower()
    if name.startswith(BRIDGE_PREFIXES):
        return "container or VM bridge"
    if name.startswith(VPN_PREFIXES):
        return "VPN or tunnel"
    if any(hint in nice for hint in NICE_NAME_HINTS):
        return "VPN or virtual adapter"
    if addr in CGNAT:
        return "VPN (shared address space)"
    return None


def candidates() -> list[Candidate]:
    """Every IPv4 address on this machine, as the OS lists them."""
    found: list[Candidate] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                found.append(Candidate(adapter.name, ip.ip, adapter.nice_name or adapter.name))
    return found


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def select(host: str, found: Iterable[Candidate]) -> list[Interface]:
    """The interfaces to serve and advertise on. Serving on every interface picks the real
    LAN ones; a --host naming one address is honoured as given, whatever it is."""
    found = list(found)
    if host not in ANY_HOSTS:
        address = "127.0.0.1" if host == "localhost" else host
        owner = next((c.name for c in found if c.address == address), "")
        return [Interface(owner, address)]
    chosen: list[Interface] = []
    for c in found:
        if skip_reason(c) is None and all(i.address != c.address for i in chosen):
            chosen.append(Interface(c.name, c.address))
    return chosen


def lan_interfaces(host: str = "0.0.0.0") -> list[Interface]:
    """The interfaces a classmate could reach this server on (loopback ones included only
    when --host names a loopback address)."""
    return select(host, candidates())


def lan_addresses(host: str = "0.0.0.0") -> list[str]:
    """Addresses a classmate could type: every LAN interface when serving on all of them, or
    just `host` when it names one."""
    return [i.address for i in lan_interfaces(host)]


def _url(address: str, port: int) -> str:
    shown = f"[{address}]" if ":" in address else address
    return f"http://{shown}:{port}/"


def urls(host: str, port: int, interfaces: list[Interface] | None = None) -> list[str]:
    """URLs for this server: the LAN ones first, then the local one."""
    chosen = lan_interfaces(host) if interfaces is None else interfaces
    lan = [_url(i.address, port) for i in chosen if not is_loopback(i.address)]
    local = None
    if host in ANY_HOSTS or host == "localhost":
        local = _url("127.0.0.1", port)
    elif is_loopback(host):
        local = _url(host, port)
    return lan + ([local] if local else [])
