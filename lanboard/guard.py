"""Defences against a hostile network: the Host allowlist, rate limits, connection caps and
a log that records rejections without flooding the disk. Pure code: no Tornado."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

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
                 clock: Callable[[], float] = time.monotonic,
                 per_address: int = limits.MAX_CONNECTIONS_PER_IP) -> None:
        self.rates = rates or RateLimits()
        self.clock = clock
        #: WebSockets one non-loopback address may hold (Settings.per_address); the share of
        #: the rates the address's connections split grows with it.
        self.per_address = per_address
        self._ip_scale = limits.IP_RATE_SCALE * max(1.0, per_address
                                                     / limits.MAX_CONNECTIONS_PER_IP)
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
        if not is_loopback(ip) and self.connections.get(ip, 0) >= self.per_address:
            return (f"too many connections from {ip} (at most {self.per_address}; "
                    "LANBOARD_PER_ADDRESS raises it)")
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
            shared = self._ip_buckets.setdefault(ip, self.rates.buckets(self._ip_scale))
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
        log.warning("rejected ip=%s code=%s %s%s", clip(ip, 64), clip(code, 40),
                    clip(detail, limits.LOG_URI_CHARS), extra)
        return True


def clip(text: str, limit: int) -> str:
    """`text` with control characters escaped, cut to `limit` characters with a count of the
    rest, for a log line a hostile request cannot lengthen."""
    if text.isprintable() and len(text) <= limit:
        return text
    safe = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    if len(safe) <= limit:
        return safe
    return f"{safe[:limit]}...(+{len(safe) - limit} chars)"


class AccessLog:
    """The access log: one line per request, of bounded length. Errors (4xx, 5xx) are logged
    at most once per IP and status every `interval` seconds with a count of those skipped,
    as RejectionLog does; other answers at most ACCESS_LOG_BURST at once per IP, then
    ACCESS_LOG_PER_SECOND a second."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 1024) -> None:
        self.interval = interval
        self.clock = clock
        self.max_keys = max_keys
        self.logger = logging.getLogger("tornado.access")
        self._errors: dict[tuple[str, int], tuple[float, int]] = {}
        self._ok: dict[str, tuple[TokenBucket, int]] = {}

    def note(self, status: int, method: str, uri: str, ip: str, ms: float) -> bool:
        """Log one answered request, unless this IP's budget is spent; True when logged."""
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 \
            else logging.ERROR
        if not self.logger.isEnabledFor(level):
            return False
        now = self.clock()
        if status >= 400:
            key = (ip, status)
            last, skipped = self._errors.get(key, (-1e9, 0))
            if now - last < self.interval:
                self._errors[key] = (last, skipped + 1)
                return False
            if len(self._errors) >= self.max_keys:
                self._errors.clear()
            self._errors[key] = (now, 0)
        else:
            if ip not in self._ok and len(self._ok) >= self.max_keys:
                self._ok.clear()
            bucket, skipped = self._ok.get(ip) or (
                TokenBucket(limits.ACCESS_LOG_PER_SECOND, limits.ACCESS_LOG_BURST), 0)
            if not bucket.take(now):
                self._ok[ip] = (bucket, skipped + 1)
                return False
            self._ok[ip] = (bucket, 0)
        extra = f" (+{skipped} more since last logged)" if skipped else ""
        self.logger.log(level, "%d %s %s (%s) %.2fms%s", status, clip(method, 16),
                        clip(uri, limits.LOG_URI_CHARS), clip(ip, 64), ms, extra)
        return True


class LineLimit(logging.Filter):
    """Bounds what a library logs about a request: each message cut to LOG_LINE_CHARS, and
    each message template at most LOG_TEMPLATE_BURST at once, then one a second, with a
    count of those skipped. Tornado and asyncio log one line per malformed request or failed
    accept, and put the request's own bytes in some of them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self._seen: dict[tuple[str, str], tuple[TokenBucket, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:100])
        if key not in self._seen and len(self._seen) >= 1024:
            self._seen.clear()
        bucket, skipped = self._seen.get(key) or (
            TokenBucket(1.0, limits.LOG_TEMPLATE_BURST), 0)
        if not bucket.take(self.clock()):
            self._seen[key] = (bucket, skipped + 1)
            return False
        self._seen[key] = (bucket, 0)
        message = record.getMessage()
        extra = f" (+{skipped} like it not logged)" if skipped else ""
        if len(message) > limits.LOG_LINE_CHARS or extra:
            record.msg = clip(message, limits.LOG_LINE_CHARS) + extra
            record.args = None
        return True


def bound_logs(names: Iterable[str] = ("tornado.general", "tornado.application",
                                       "asyncio")) -> None:
    """Put one LineLimit on each of these loggers (once, however many servers start)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, LineLimit) for f in logger.filters):
            logger.addFilter(LineLimit())


class SocketCap:
    """Open TCP connections per IP, capped at MAX_TCP_PER_IP, counted at accept, before
    Tornado reads a byte. The host's own machine (loopback) is not capped (`trust_loopback`),
    like the upgrade cap: benchmarks open a thousand clients from it. Entries are anything
    with a `closed()` method; closed ones are pruned when an IP reaches its cap."""

    def __init__(self, per_ip: int | None = None, trust_loopback: bool = True) -> None:
        self.per_ip = per_ip if per_ip is not None else limits.MAX_TCP_PER_IP
        self.trust_loopback = trust_loopback
        self._open: dict[str, list[Any]] = {}

    def admit(self, ip: str) -> bool:
        """Whether one more connection from `ip` may be taken now."""
        if self.trust_loopback and is_loopback(ip):
            return True
        held = self._open.get(ip)
        if held is None or len(held) < self.per_ip:
            return True
        held[:] = [s for s in held if not s.closed()]
        return len(held) < self.per_ip

    def add(self, ip: str, stream: Any) -> None:
        if self.trust_loopback and is_loopback(ip):
            return
        self._open.setdefault(ip, []).append(stream)

    def prune(self) -> None:
        """Forget closed connections (the sweep calls this once a second)."""
        for ip in list(self._open):
            held = [s for s in self._open[ip] if not s.closed()]
            if held:
                self._open[ip] = held
            else:
                del self._open[ip]

    def count(self, ip: str) -> int:
        return sum(1 for s in self._open.get(ip, ()) if not s.closed())
