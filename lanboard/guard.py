"""Defences against a hostile network: the Host allowlist, rate limits, connection caps and
a log that records rejections without flooding the disk. Pure code: no Tornado."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lanboard import limits

log = logging.getLogger(__name__)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """The name part of a Host header: `[::1]:8080` -> `::1`, `Box.local.:80` -> `box.local`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


class HostAllowlist:
    """Host headers LANBoard answers. Refusing other names stops DNS rebinding: a page on
    evil.example whose name is re-pointed at this machine still sends `Host: evil.example`."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        names = {"localhost"}
        hostname = socket.gethostname().lower().rstrip(".")
        if hostname:
            names |= {hostname, hostname.split(".")[0], f"{hostname.split('.')[0]}.local"}
        names |= {n.strip().lower().rstrip(".") for n in extra if n.strip()}
        self.names = frozenset(names)

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        name = host_name(header)
        return (_is_ip(name) or name in self.names or name.endswith(".local")
                or name.endswith(".localhost"))


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


@dataclass(slots=True)
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float, cost: float = 1.0) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Per-client rates a second; bursts are twice the rate. A fast human with a stylus
    sends about 120 pointer events a second, far below these."""

    changes: float = limits.RATE_CHANGES
    cursors: float = limits.RATE_CURSORS
    clears: float = limits.RATE_CLEARS

    def buckets(self, scale: float = 1.0) -> dict[str, TokenBucket]:
        return {"changes": TokenBucket(self.changes * scale, self.changes * scale * 2),
                "cursors": TokenBucket(self.cursors * scale, self.cursors * scale * 2),
                "clears": TokenBucket(self.clears * scale, max(3.0, self.clears * scale * 2))}


@dataclass(slots=True)
class ClientGuard:
    """One connection's buckets, its IP's shared buckets, and its strikes."""

    own: dict[str, TokenBucket]
    shared: dict[str, TokenBucket] | None
    strikes: float = 0.0
    strike_stamp: float = 0.0
    last_error: float = field(default=-1e9)

    def admit(self, bucket: str, now: float, size: int = 0) -> bool:
        """Whether a message from this bucket (its kind's, in kinds.KINDS) and of this size in
        bytes may pass now. A big message costs one token per RATE_COST_BYTES."""
        cost = 1.0 + size // limits.RATE_COST_BYTES
        if not self.own[bucket].take(now, cost):
            return False
        return self.shared is None or self.shared[bucket].take(now, cost)

    def strike(self, now: float) -> bool:
        """Count a rejected message; True when the client has been flooding and must go.
        Strikes drain at FLOOD_STRIKE_DECAY a second."""
        self.strikes = max(0.0, self.strikes - (now - self.strike_stamp) * limits.FLOOD_DECAY)
        self.strike_stamp = now
        self.strikes += 1
        return self.strikes > limits.FLOOD_STRIKES

    def should_report(self, now: float) -> bool:
        """At most one rate_limited error frame a second, so refusals are not an amplifier."""
        if now - self.last_error >= 1.0:
            self.last_error = now
            return True
        return False


class Guard:
    """Connection caps and rate limits for the whole server."""

    def __init__(self, rates: RateLimits | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rates = rates or RateLimits()
        self.clock = clock
        self.connections: dict[str, int] = {}
        self.total = 0
        self._ip_buckets: dict[str, dict[str, TokenBucket]] = {}
        self._replacements: dict[str, TokenBucket] = {}

    def allow_replace(self, room_id: str) -> bool:
        """Whether a board may be replaced (import, restore) now: a few at once, then one
        every REPLACE_EVERY_SECONDS, whoever asks. Each replacement saves a History
        version, so an unlimited stream of them could push real work out of History."""
        bucket = self._replacements.get(room_id)
        if bucket is None:
            if len(self._replacements) >= limits.MAX_LOADED_ROOMS:
                self._replacements.clear()
            bucket = self._replacements[room_id] = TokenBucket(
                1 / limits.REPLACE_EVERY_SECONDS, limits.REPLACE_BURST)
        return bucket.take(self.clock())

    def connect(self, ip: str) -> str | None:
        """Count a new connection, or say why it is refused."""
        if self.total >= limits.MAX_CONNECTIONS:
            return f"this server is full ({limits.MAX_CONNECTIONS} connections)"
        if not is_loopback(ip) and self.connections.get(ip, 0) >= limits.MAX_CONNECTIONS_PER_IP:
            return f"too many connections from {ip} (at most {limits.MAX_CONNECTIONS_PER_IP})"
        self.connections[ip] = self.connections.get(ip, 0) + 1
        self.total += 1
        return None

    def disconnect(self, ip: str) -> None:
        left = self.connections.get(ip, 0) - 1
        if left > 0:
            self.connections[ip] = left
        else:
            self.connections.pop(ip, None)
            self._ip_buckets.pop(ip, None)
        self.total = max(0, self.total - 1)

    def client(self, ip: str) -> ClientGuard:
        """Buckets for one new connection. The host's own machine (loopback) shares no
        per-IP budget: it is trusted, and benchmarks run a thousand clients from it."""
        shared = None
        if not is_loopback(ip):
            shared = self._ip_buckets.setdefault(ip, self.rates.buckets(limits.IP_RATE_SCALE))
        return ClientGuard(self.rates.buckets(), shared)


class RejectionLog:
    """Logs rejections at most once per key per interval, with a count of those skipped."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 1024) -> None:
        self.interval = interval
        self.clock = clock
        self.max_keys = max_keys
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def note(self, ip: str, code: str, detail: str) -> bool:
        now = self.clock()
        key = (ip, code)
        last, skipped = self._seen.get(key, (-1e9, 0))
        if now - last < self.interval:
            self._seen[key] = (last, skipped + 1)
            return False
        if len(self._seen) >= self.max_keys:
            self._seen.clear()
        self._seen[key] = (now, 0)
        extra = f" (+{skipped} more since last logged)" if skipped else ""
        log.warning("rejected ip=%s code=%s %s%s", ip, code, detail, extra)
        return True
