"""One frozen settings object: defaults, overridden by LANBOARD_* variables, then by flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lanboard import limits


@dataclass(frozen=True, slots=True)
class Settings:
    #: Address to listen on; 0.0.0.0 serves every interface.
    host: str = "0.0.0.0"
    #: Port to listen on; if busy, the next free one is taken. 0 picks any free port.
    port: int = 8080
    #: Do not open a browser; log to stdout (for an always-on board server).
    headless: bool = False
    #: Where boards are stored; None means the platform's user data directory.
    data_dir: Path | None = None
    #: The name other LANBoards see on the network; None means "<hostname> LANBoard".
    name: str | None = None
    #: Advertise and browse over mDNS.
    mdns: bool = True
    #: "sqlite" keeps boards durably in the data directory; "memory" keeps them only while
    #: the process runs (benchmarks). Set with LANBOARD_STORE.
    store: str = "sqlite"
    #: Extra Host header names to accept, besides IPs, localhost, *.local and this host's name.
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    #: Per-client rate limits, messages a second (LANBOARD_RATE_CHANGES, _CURSORS, _CLEARS).
    rate_changes: float = limits.RATE_CHANGES
    rate_cursors: float = limits.RATE_CURSORS
    rate_clears: float = limits.RATE_CLEARS
    #: People one network address may bring (LANBOARD_PER_ADDRESS): its WebSockets, and its
    #: shared share of the rates. A school whose devices reach the server through one NAT
    #: address (a district server) raises it to the devices behind that address.
    per_address: int = limits.MAX_CONNECTIONS_PER_IP
    #: Days every change is kept, so the board at any moment can be rebuilt
    #: (LANBOARD_KEEP_DAYS; fractions allowed).
    keep_days: float = limits.KEEP_DAYS
    #: Keep boards in this Redis (redis://HOST:PORT/DB) instead of SQLite, shared with every
    #: other LANBoard process given the same URL (--redis, LANBOARD_REDIS_URL).
    redis_url: str | None = None
    #: Processes serving the port together (--workers, LANBOARD_WORKERS); more than 1 needs
    #: redis_url.
    workers: int = 1
