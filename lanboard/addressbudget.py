"""An address's upload budget shared by every process (`--redis`).

Image and PDF bytes are kept with their board, in Redis with `--redis`, and boards are made
by opening them: the per-address budget (limits.UPLOAD_BURST_BYTES, then
UPLOAD_BYTES_PER_SECOND) is what stops one device filling the store board after board. Kept
per process, it would grow with the number of processes a device's requests are spread
over, so with `--redis` it is one token bucket per address in Redis (`lb:upload:{IP}`, one
script call per upload, on Redis's clock), which expires once full again. Redis unreachable:
the process's own bucket decides (the upload's store write fails anyway).
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from lanboard import limits

log = logging.getLogger(__name__)

#: KEYS: the address's bucket. ARGV: rate (bytes a second), burst, cost. 1 when taken.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local got = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(got[1]) or burst
local at = tonumber(got[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= cost then
  tokens = tokens - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return taken
"""


class SharedUploads:
    """Every process's upload budget per address, in Redis."""

    def __init__(self, client: Any) -> None:
        self._script = client.register_script(TAKE)

    def take(self, ip: str, size: int) -> bool | None:
        """Whether `ip` may upload `size` bytes now; None when Redis cannot say."""
        try:
            return bool(self._script(keys=[f"lb:upload:{{{ip}}}"], args=[
                limits.UPLOAD_BYTES_PER_SECOND, limits.UPLOAD_BURST_BYTES, size]))
        except redis.RedisError as exc:
            log.warning("upload budget not read from Redis ip=%s (%s): this process's own",
                        ip, exc)
            return None
