"""This machine's addresses as other devices on the LAN can reach them."""

from __future__ import annotations

import ipaddress

import ifaddr


def lan_addresses(host: str = "0.0.0.0") -> list[str]:
    """IPv4 addresses a classmate could type: every LAN interface when serving on all of
    them, or just `host` when it names one."""
    if host not in ("0.0.0.0", "", "::"):
        return [host]
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue
            addr = ipaddress.IPv4Address(ip.ip)
            if addr.is_loopback or addr.is_link_local or addr.is_unspecified:
                continue
            if ip.ip not in found:
                found.append(ip.ip)
    return found


def urls(host: str, port: int) -> list[str]:
    """URLs for this server: the LAN ones first, then the local one."""
    lan = [f"http://{a}:{port}/" for a in lan_addresses(host) if not a.startswith("127.")]
    local = f"http://127.0.0.1:{port}/" if host in ("0.0.0.0", "", "::", "127.0.0.1") else None
    return lan + ([local] if local else [])
