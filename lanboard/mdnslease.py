"""One mDNS advertisement per machine with `--redis` (issue 18).

Every LANBoard process sharing a Redis serves every board, so one advertisement per machine
is enough, and several (systemd units or compose services on one host, each started on its
own) would show the same boards several times under `lanboard-2.local`, `-3`... names. The
processes of one machine share a lease in Redis, `lb:mdns:{HOSTNAME}`, taken and renewed
with the boards' compare-and-set lease script (`redis_store.LEASE`: set with PX when free,
renewed when this process holds it, refused otherwise). Only its holder runs zeroconf
(advertising and browsing, as one process does) and renews every LEASE_SECONDS / 3. The
others try again every RETRY_SECONDS, so when the holder dies (no renewal) or stops (it
deletes the lease, compare-and-delete), one of them takes over within LEASE_SECONDS plus one
try. A holder that cannot reach Redis keeps advertising until its lease would have run out
by its own clock, then stops, so two processes never advertise for long. Without `--redis`
none of this runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from lanboard.discovery import Discovery
from lanboard.redis_store import LEASE

log = logging.getLogger(__name__)

#: How long a lease lasts without renewal, and how often a waiting process tries to take it.
LEASE_SECONDS = 15.0
RETRY_SECONDS = 1.0

#: KEYS: the lease. ARGV: holder. Deletes it if `holder` has it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def lease_key(machine: str | None = None) -> str:
    return f"lb:mdns:{{{machine or socket.gethostname()}}}"


class LeasedDiscovery:
    """A `Discovery` that runs the real one (made by `make`) only while this process holds
    its machine's lease."""

    def __init__(self, make: Callable[[], Discovery], url: str, holder: str,
                 machine: str | None = None) -> None:
        self._make = make
        self._url = url
        self.holder = holder
        self.key = lease_key(machine)
        self._inner: Discovery | None = None
        self._idle = make()  # for its name until this process holds the lease
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        #: When the lease runs out by this process's clock (monotonic), while it holds it.
        self._until = 0.0

    @property
    def holding(self) -> bool:
        return self._inner is not None

    @property
    def registered(self) -> bool:
        return self._inner is not None and self._inner.registered

    @property
    def name(self) -> str:
        return (self._inner or self._idle).name

    @property
    def local_name(self) -> str | None:
        return self._inner.local_name if self._inner is not None else None

    @property
    def elsewhere(self) -> bool:
        """Another process on this machine advertises (this one is waiting for the lease)."""
        return self._inner is None and self._task is not None

    async def start(self) -> None:
        """Try the lease once at once (so `wait_registered` knows), then keep at it."""
        self._client = aioredis.Redis.from_url(self._url, socket_timeout=2,
                                               socket_connect_timeout=2)
        await self._turn()
        self._task = asyncio.ensure_future(self._hold())

    async def wait_registered(self, timeout: float) -> bool:
        if self._inner is None:
            return False
        return await self._inner.wait_registered(timeout)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._drop()
        if self._client is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                await self._client.eval(RELEASE, 1, self.key, self.holder)
            with contextlib.suppress(redis.RedisError, OSError):
                await self._client.aclose()
            self._client = None

    def peers(self) -> list[dict[str, Any]]:
        return self._inner.peers() if self._inner is not None else []

    async def _hold(self) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3 if self._inner is not None
                                else RETRY_SECONDS)
            await self._turn()

    async def _turn(self) -> None:
        """Take or renew the lease, and start or stop advertising to match."""
        ms = int(LEASE_SECONDS * 1000)
        asked = time.monotonic()
        try:  # the boards' lease script: take it when free, renew it when ours
            held = bool(await self._client.eval(LEASE, 1, self.key, self.holder, ms))
        except (redis.RedisError, OSError) as exc:
            if self._inner is not None and time.monotonic() >= self._until:
                log.warning("mdns lease not renewed (%s): stopping the advertisement", exc)
                await self._drop()
            return
        if held:
            self._until = asked + LEASE_SECONDS
            if self._inner is None:
                log.info("mdns lease taken key=%s: this process advertises", self.key)
                self._inner = self._make()
                await self._inner.start()
        elif self._inner is not None:
            log.warning("mdns lease lost key=%s: another process advertises", self.key)
            await self._drop()

    async def _drop(self) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            await inner.stop()
