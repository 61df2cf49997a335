"""The peer cap across processes (`--redis`): a board's seats, taken in Redis.

A board's seats are one hash, `lb:{ID}:seats`, with one field per process: the connections
that process holds on the board, `count:deadline:version`. A process takes a seat with one
script call before it accepts a connection (SEATS: the other processes' live counts plus its
own count after the take must stay within the cap), and writes its count again when a
connection ends and at every presence heartbeat.

- Each write carries the process's whole count, never an increment, so a retried call or a
  lost reply cannot make the count drift: the next write (at the latest the next heartbeat)
  says the truth.
- The deadline is Redis's own clock (TIME) plus the presence staleness (presence.STALE,
  handed in as `lifetime`), so the machines' clocks do not matter and a killed process's
  seats stop counting within that many seconds.
- The version (a counter per process) lets the script drop a heartbeat that reaches Redis
  after a newer take or release (they travel on different connections).

A hash of counts rather than a sorted set of seats (one member per connection, scored by
heartbeat): a take reads one field per process (a handful) instead of up to a cap's worth of
members, a heartbeat writes one field per board instead of one member per connection, and
rewriting a process's whole count at once is what corrects a lost reply.

Redis unreachable at a join: the connection is admitted on this process's own count (still
held to the cap), as the other reads at a join (names, bans, keys) fall back on what this
process knows; the heartbeat writes the count once Redis answers again. Without `--redis`
none of this runs: the hub counts its own peers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis

from lanboard import limits
from lanboard.redis_store import RedisStore, key

log = logging.getLogger(__name__)

#: KEYS: the board's seats. ARGV: process, its count, version, lifetime (ms), cap (-1: only
#: read; 0: write without a cap). Returns every process's live seats after the write, or -1
#: when the count would pass the cap (then nothing is written). Expired fields are removed.
SEATS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local others, mine, known = 0, 0, -1
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local n, deadline, version = string.match(all[i + 1], '^(%d+):(%d+):(%d+)$')
  if n == nil or tonumber(deadline) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] == ARGV[1] then
    mine, known = tonumber(n), tonumber(version)
  else
    others = others + tonumber(n)
  end
end
local cap = tonumber(ARGV[5])
if cap < 0 or tonumber(ARGV[3]) <= known then
  return others + mine
end
local want = tonumber(ARGV[2])
if cap > 0 and others + want > cap then
  return -1
end
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], want .. ':' .. (now + ttl) .. ':' .. ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return others + want
"""

READ, NO_CAP = -1, 0


def full() -> tuple[int, str, str]:
    return 503, "room_full", f"this board has {limits.MAX_PEERS_PER_ROOM} people on it"


class Seats:
    """This process's seats on every board, and their copy in Redis."""

    def __init__(self, store: RedisStore, name: str, lifetime: Callable[[], float]) -> None:
        self.client: Any = store.client
        self.name = name
        #: Seconds a process's seats count without a heartbeat (read at each write: tests
        #: shorten it).
        self.lifetime = lifetime
        #: Room id -> connections this process counts there, from the seat's take (before
        #: the upgrade) to the connection's end.
        self.held: dict[str, int] = {}
        self._version = 0
        self._script = self.client.register_script(SEATS)
        #: Set at shutdown, once the seats are deleted: connections closing afterwards must
        #: not write them back.
        self.stopped = False

    def _args(self, count: int, cap: int) -> list[Any]:
        self._version += 1
        return [self.name, count, self._version, int(self.lifetime() * 1000), cap]

    def count(self, room_id: str, local: int, loaded: bool) -> int:
        """What `Hub.refusal` holds against the cap before anything is loaded: on a board
        loaded here, this process's own seats (the take decides, exactly); on one that is
        not, every process's live seats, so a full board is refused without loading it."""
        mine = max(local, self.held.get(room_id, 0))
        if loaded:
            return mine
        try:
            return max(mine, int(self._script(keys=[key(room_id, "seats")],
                                              args=[self.name, 0, 0, 0, READ])))
        except redis.RedisError:
            return mine

    def use(self, room_id: str, take: bool) -> tuple[int, str, str] | None:
        """Take a seat (None when taken, else the refusal) or give one back."""
        if not take:
            self._give_back(room_id)
            return None
        want = self.held.get(room_id, 0) + 1
        if want > limits.MAX_PEERS_PER_ROOM:
            return full()
        if self.stopped:
            return 503, "server_busy", "this server is shutting down"
        try:
            got = int(self._script(keys=[key(room_id, "seats")],
                                   args=self._args(want, limits.MAX_PEERS_PER_ROOM)))
        except redis.RedisError as exc:
            log.warning("no seat from Redis room=%s (%s): admitted on this process's count",
                        room_id, exc)
            got = want
        if got < 0:
            return full()
        self.held[room_id] = want
        return None

    def _give_back(self, room_id: str) -> None:
        left = max(0, self.held.get(room_id, 0) - 1)
        # Kept at 0 until a write of it succeeds (here or at the heartbeat).
        self.held[room_id] = left
        if self.stopped:
            return
        try:
            self._script(keys=[key(room_id, "seats")], args=self._args(left, NO_CAP))
        except redis.RedisError as exc:
            log.warning("seat not given back in Redis room=%s (%s); the heartbeat will",
                        room_id, exc)
            return
        if left == 0 and self.held.get(room_id) == 0:
            del self.held[room_id]

    def beat(self, pipe: Any) -> list[str]:
        """Queue every board's count on the heartbeat's pipeline (EVAL: the script may be
        gone from a restarted Redis); the boards whose count was 0, to forget once sent."""
        done = []
        for room_id, n in self.held.items():
            pipe.eval(SEATS, 1, key(room_id, "seats"), *self._args(n, NO_CAP))
            if n == 0:
                done.append(room_id)
        return done

    def forget(self, done: list[str]) -> None:
        for room_id in done:
            if self.held.get(room_id) == 0:
                del self.held[room_id]

    def leave_all(self, pipe: Any) -> None:
        """At shutdown: this process's seats stop counting at once."""
        self.stopped = True
        for room_id in self.held:
            pipe.hdel(key(room_id, "seats"), self.name)
