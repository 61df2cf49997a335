"""The shared BoardStore: every board in one Redis, so any number of LANBoard processes serve it.

Each board's change log is a Redis stream whose entry ids are the board's seqs (`7-0` is
seq 7), so `since` resume reads the same numbers whichever process a client reaches. Seqs
are assigned in Redis by one Lua script per board and flush (`APPEND`), which also hands back
the changes other processes appended since the caller last looked, in order. Snapshots,
versions, keys and settings live beside the stream under the board's hash tag `{id}`, so a
Redis Cluster (or a client-side split by board id) keeps one board on one node.

Calls are synchronous, like SqliteStore's: the hub's flush commits before it relays, and a
loopback round trip costs less than handing the flush to another task. A failed round trip
is tried once more (a connection Redis closed when it restarted fails on first use): each
batch carries a token, so a retry of an append that did run returns its first answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lanboard import limits
from lanboard.sqlite_file import pack, unpack
from lanboard.store import (
    KEEP_SECONDS,
    Access,
    Asset,
    BoardName,
    BoardSummary,
    Element,
    Kept,
    StoredBoard,
    StoreError,
    Version,
    VersionInfo,
    kept_range,
    new_origin,
    redundant,
)

log = logging.getLogger(__name__)

#: Every board id, scored by the time of its last change.
BOARDS = "lb:boards"
#: Board id -> its display name and deletion (JSON), for the landing page's list.
NAMES = "lb:names"

#: KEYS: seq, stream, last batch. ARGV: the batch's token, after, then each change's
#: message without its `,"seq":N}` tail. Numbers the changes after the board's current seq,
#: appends them, and returns {first seq given, entries after `after` that came before them}.
#: The same token again (a retry after a lost reply) returns the first answer, appending
#: nothing, so a retried round trip can never number a batch twice.
APPEND = """
local after = tonumber(ARGV[2])
local last = redis.call('GET', KEYS[3])
if last then
  local token, done = string.match(last, '^(.*) (%d+)$')
  if token == ARGV[1] then
    local first = tonumber(done)
    local missed = {}
    if first > after + 1 then
      missed = redis.call('XRANGE', KEYS[2], tostring(after + 1) .. '-0',
                          tostring(first - 1) .. '-0')
    end
    return {first, missed}
  end
end
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local missed = {}
if cur > after then
  missed = redis.call('XRANGE', KEYS[2], tostring(after + 1) .. '-0', tostring(cur) .. '-0')
end
local first = cur + 1
for i = 3, #ARGV do
  cur = cur + 1
  redis.call('XADD', KEYS[2], tostring(cur) .. '-0', 'f', ARGV[i] .. ',"seq":' .. cur .. '}')
end
redis.call('SET', KEYS[1], cur)
redis.call('SET', KEYS[3], ARGV[1] .. ' ' .. first)
return {first, missed}
"""

#: KEYS: asset index, asset bytes, total size. ARGV: id, info, data. Stores an asset once;
#: 1 when it was new.
PUT_ASSET = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('INCRBY', KEYS[3], string.len(ARGV[3]))
return 1
"""

#: KEYS: lease. ARGV: holder, milliseconds. Takes or renews the lease; 1 when held.
LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def key(room_id: str, part: str) -> str:
    """A board's key; the `{id}` hash tag keeps all of one board on one Cluster node."""
    return f"lb:{{{room_id}}}:{part}"


def body(frame: bytes) -> bytes:
    """A change message without its `,"seq":N}` tail, for APPEND to number."""
    return frame[:frame.rindex(b',"seq":')]


def entries(raw: list[Any]) -> list[tuple[int, bytes]]:
    """Stream entries as (seq, message); from a script, an entry's fields are a flat list."""
    return [(int(eid.split(b"-")[0]), fields[b"f"] if isinstance(fields, dict) else fields[1])
            for eid, fields in raw]


@dataclass(slots=True)
class Appended:
    """What APPEND made of one board's batch."""

    first: int
    #: Changes other processes appended after the caller's seq, before this batch.
    missed: list[tuple[int, bytes]]


def connect(url: str, timeout: float = 2.0) -> redis.Redis:
    """A client for `url` that tries a failed call once more (see the module doc). Raises
    StoreError with one
    line when Redis does not answer."""
    try:
        client = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), socket_timeout=timeout,
                                      socket_connect_timeout=timeout)
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise StoreError(f"cannot reach Redis at {safe_url(url)}: {exc}") from None
    return client


def safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


class RedisStore:
    """A BoardStore in Redis (see the module doc). `holder` names this process in leases."""

    def __init__(self, url: str, keep_seconds: float = KEEP_SECONDS,
                 holder: str | None = None) -> None:
        self.url = url
        # Typed Any: redis-py's own types call every reply a union of everything.
        self.client: Any = connect(url)
        self.keep_seconds = keep_seconds
        self.holder = holder or f"{os.uname().nodename}:{os.getpid()}:{time.time():.3f}"
        self._append = self.client.register_script(APPEND)
        self._call("load", self.client.script_load, APPEND)
        self._lease = self.client.register_script(LEASE)
        self._put_asset = self.client.register_script(PUT_ASSET)
        self._batches = 0
        self._versions_made = 0

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            raise StoreError(f"Redis failed ({what}): {exc}") from None

    # ---- the change log ------------------------------------------------------------------

    def append(self, batches: list[tuple[str, int, list[bytes]]],
               versions: list[Version]) -> list[Appended]:
        """Number and append each (room_id, seq the caller has, message bodies) batch, and
        save the versions, in one round trip. Durable under Redis's fsync policy when it
        returns."""
        def run() -> list[Any]:
            # EVALSHA straight into the pipeline: redis-py's script objects would first ask
            # SCRIPT EXISTS, a second round trip per flush.
            pipe = self.client.pipeline(transaction=False)
            now = time.time()
            for room_id, after, bodies in batches:
                self._batches += 1
                pipe.evalsha(self._append.sha, 3, key(room_id, "seq"), key(room_id, "log"),
                             key(room_id, "batch"), f"{self.holder}/{self._batches}", after,
                             *bodies)
                pipe.zadd(BOARDS, {room_id: now})
            for v in versions:
                self._queue_version(pipe, v, now)
            # A retry (see connect) sends the same commands, tokens included.
            got: list[Any] = pipe.execute()
            return got

        def run_loaded() -> list[Any]:
            try:
                return run()
            except redis.exceptions.NoScriptError:
                # A restarted Redis forgot the script; no batch ran (each needs it).
                self.client.script_load(APPEND)
                return run()
        replies = self._call("append", run_loaded)
        out = []
        for i in range(len(batches)):
            first, missed = replies[2 * i]
            out.append(Appended(int(first), entries(missed)))
        return out

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        """BoardStore.commit: the changes as given, under the seqs they carry, in one MULTI
        (for one writer per board, as with SQLite; the processes of a group use `append`,
        which numbers them in Redis)."""
        def run() -> None:
            pipe = self.client.pipeline(transaction=True)
            now = time.time()
            last: dict[str, int] = {}
            for room_id, seq, frame in changes:
                pipe.xadd(key(room_id, "log"), {"f": frame}, id=f"{seq}-0")
                last[room_id] = max(seq, last.get(room_id, 0))
            for room_id, seq in last.items():
                pipe.set(key(room_id, "seq"), seq)
                pipe.zadd(BOARDS, {room_id: now})
            for v in versions:
                self._queue_version(pipe, v, now)
            pipe.execute()
        self._call("commit", run)

    def tail(self, room_id: str, after: int, limit: int | None = None) -> list[tuple[int, bytes]]:
        return self.changes(room_id, after, None, limit)

    def changes(self, room_id: str, after: int, upto: int | None = None,
                limit: int | None = None) -> list[tuple[int, bytes]]:
        end = f"{upto}-0" if upto is not None else "+"
        raw = self._call("read", self.client.xrange, key(room_id, "log"), f"{after + 1}-0",
                         end, limit)
        return entries(raw)

    def seq(self, room_id: str) -> int:
        return int(self._call("read", self.client.get, key(room_id, "seq")) or 0)

    # ---- snapshots -----------------------------------------------------------------------

    def load(self, room_id: str) -> StoredBoard | None:
        seq_now = self.seq(room_id)
        snaps = self._snap_seqs(room_id)
        if seq_now == 0 and not snaps:
            return None
        seq, elements = self.base(room_id, seq_now)
        floor = max(0, seq - limits.RESUME_LOG_CHANGES)
        return StoredBoard(elements, seq, self.changes(room_id, floor))

    def _snap_seqs(self, room_id: str) -> list[int]:
        raw = self._call("read", self.client.zrange, key(room_id, "snaps"), 0, -1)
        return sorted(int(s) for s in raw)

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        """Write the board at seq, and prune what the retention no longer covers, when this
        process holds the board's lease (one writer of snapshots and trims per board; the
        others' copies would be the same board)."""
        if not self._call("lease", self._lease, [key(room_id, "lease")],
                          [self.holder, 60_000]):
            return
        now = time.time()

        def run() -> None:
            raw = self.client.zrange(key(room_id, "snaps"), 0, -1, withscores=True)
            snaps = sorted((int(s), t) for s, t in raw if int(s) != seq)
            older = [s for s, _ in snaps if s < seq][-2:][::-1]
            gone = redundant(older, seq, len(elements))
            pipe = self.client.pipeline(transaction=True)
            if gone is not None:
                pipe.zrem(key(room_id, "snaps"), gone)
                pipe.delete(key(room_id, f"snap:{gone}"))
                snaps = [s for s in snaps if s[0] != gone]
            pipe.set(key(room_id, f"snap:{seq}"), pack(elements))
            pipe.zadd(key(room_id, "snaps"), {str(seq): now})
            pipe.hset(key(room_id, "meta"), mapping={"elements": len(elements)})
            # The same retention as the other stores: the newest snapshot older than the
            # cutoff is the oldest board kept; older snapshots and changes go, never the
            # RESUME_LOG_CHANGES before the new snapshot.
            every = sorted([*snaps, (seq, now)])
            old = [s for s, t in every if t <= now - self.keep_seconds]
            if old:
                floor = min(old[-1], seq - limits.RESUME_LOG_CHANGES)
                for s, _ in every:
                    if s < old[-1]:
                        pipe.zrem(key(room_id, "snaps"), s)
                        pipe.delete(key(room_id, f"snap:{s}"))
                if floor > 0:
                    pipe.xtrim(key(room_id, "log"), minid=f"{floor + 1}-0", approximate=False)
            pipe.execute()
        self._call("snapshot", run)

    def base(self, room_id: str, seq: int) -> tuple[int, list[Element]]:
        raw = self._call("read", self.client.zrange, key(room_id, "snaps"), 0, -1)
        seqs = [int(s) for s in raw if int(s) <= seq]
        if not seqs:
            return 0, []
        best = max(seqs)
        blob = self._call("read", self.client.get, key(room_id, f"snap:{best}"))
        return best, unpack(blob or b"")

    def kept(self, room_id: str) -> Kept | None:
        first = self._call("read", self.client.xrange, key(room_id, "log"), "-", "+", 1)
        last = self._call("read", self.client.xrevrange, key(room_id, "log"), "+", "-", 1)
        snaps = self._snap_seqs(room_id)
        if not first and not snaps:
            return None
        return kept_range(entries(first)[0][0] if first else None,
                          entries(last)[0][0] if last else None, snaps)

    def boards(self) -> list[BoardSummary]:
        raw = self._call("read", self.client.zrevrange, BOARDS, 0, -1, withscores=True)
        out = []
        for rid_b, updated in raw:
            rid = rid_b.decode()
            meta = self._call("read", self.client.hget, key(rid, "meta"), "elements")
            out.append(BoardSummary(rid, int(meta or 0), self.seq(rid), updated))
        return out

    # ---- versions ------------------------------------------------------------------------

    def _queue_version(self, pipe: Any, v: Version, now: float) -> None:
        blob = pack(v.elements)
        digest = hashlib.sha256(blob).hexdigest()
        # The same board is kept once (as the other stores do): the digest names it.
        self._versions_made += 1
        vid = str(int(now * 1000) * 1000 + (os.getpid() * 7 + self._versions_made) % 1000)
        info = json.dumps({"time": now, "seq": v.seq, "elements": len(v.elements),
                           "reason": v.reason, "digest": digest})
        pipe.hsetnx(key(v.room_id, "digests"), digest, vid)
        pipe.hset(key(v.room_id, "versions"), vid, info)
        pipe.set(key(v.room_id, f"version:{vid}"), blob)

    def versions(self, room_id: str) -> list[VersionInfo]:
        raw = self._call("read", self.client.hgetall, key(room_id, "versions"))
        keep = self._call("read", self.client.hgetall, key(room_id, "digests"))
        wanted = {v for v in keep.values()}
        out = []
        for vid, info in raw.items():
            if vid not in wanted:
                continue  # a second copy of a board already kept
            d = json.loads(info)
            out.append(VersionInfo(int(vid), d["time"], d["seq"], d["elements"], d["reason"]))
        return sorted(out, key=lambda v: v.id, reverse=True)

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        blob = self._call("read", self.client.get, key(room_id, f"version:{version_id}"))
        return None if blob is None else unpack(blob)

    # ---- keys and settings ---------------------------------------------------------------

    def access(self, room_id: str) -> Access | None:
        raw = self._call("read", self.client.get, key(room_id, "access"))
        if raw is None:
            return None
        d = json.loads(raw)
        return Access(d.get("teacher"), d.get("viewer"), bool(d.get("joined")),
                      d.get("settings") or {})

    def origin(self, room_id: str) -> str:
        """The board's origin, in its meta hash: HSETNX, so whichever process loads the board
        first makes it and every other one reads the same (a flushed Redis is a new life of
        every board, and gives each a new one)."""
        meta = key(room_id, "meta")

        def run() -> Any:
            pipe = self.client.pipeline(transaction=True)
            pipe.hsetnx(meta, "origin", new_origin())
            pipe.hget(meta, "origin")
            return pipe.execute()[1]
        found = self._call("origin", run)
        return found.decode() if isinstance(found, bytes) else str(found)

    def save_access(self, room_id: str, access: Access) -> None:
        raw = json.dumps({"teacher": access.teacher_key, "viewer": access.viewer_key,
                          "joined": access.teacher_joined, "settings": access.settings})
        self._call("save access", self.client.set, key(room_id, "access"), raw)

    # ---- display names ------------------------------------------------------------------

    def names(self) -> dict[str, BoardName]:
        raw = self._call("read", self.client.hgetall, NAMES)
        out = {}
        for rid, value in raw.items():
            d = json.loads(value)
            out[rid.decode()] = BoardName(d["name"], d["deleted_seq"], d["deleted_at"],
                                          d["deleted_elements"])
        return out

    def save_name(self, room_id: str, name: BoardName) -> None:
        value = json.dumps({"name": name.name, "deleted_seq": name.deleted_seq,
                            "deleted_at": name.deleted_at,
                            "deleted_elements": name.deleted_elements})
        self._call("save name", self.client.hset, NAMES, room_id, value)

    # ---- assets (images), kept with the board, never deleted --------------------------------

    def put_asset(self, room_id: str, asset: Asset) -> bool:
        info = json.dumps({"type": asset.type, "width": asset.width, "height": asset.height})
        added = self._call("put asset", self._put_asset,
                           [key(room_id, "assets"), key(room_id, f"asset:{asset.id}"),
                            key(room_id, "asset_bytes")], [asset.id, info, asset.data])
        return bool(added)

    def asset(self, room_id: str, asset_id: str) -> Asset | None:
        info = self._call("read", self.client.hget, key(room_id, "assets"), asset_id)
        if info is None:
            return None
        data = self._call("read", self.client.get, key(room_id, f"asset:{asset_id}"))
        d = json.loads(info)
        return Asset(asset_id, d["type"], d["width"], d["height"], data or b"")

    def asset_ids(self, room_id: str) -> set[str]:
        raw = self._call("read", self.client.hkeys, key(room_id, "assets"))
        return SharedAssetIds(self.client, key(room_id, "assets"), {a.decode() for a in raw})

    def asset_bytes(self, room_id: str) -> int:
        return int(self._call("read", self.client.get, key(room_id, "asset_bytes")) or 0)

    def retain(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds  # applied at each board's next snapshot

    def close(self) -> None:
        self.client.close()


class SharedAssetIds(set[str]):
    """A loaded board's asset ids that asks Redis about an id it does not know: another
    process (another worker behind the same port) may have taken the upload a moment ago,
    and the image drawn next must not be refused for it."""

    def __init__(self, client: Any, index: str, ids: set[str]) -> None:
        super().__init__(ids)
        self._client = client
        self._index = index

    def __contains__(self, asset_id: object) -> bool:
        if super().__contains__(asset_id):
            return True
        if not isinstance(asset_id, str):
            return False
        try:
            found = bool(self._client.hexists(self._index, asset_id))
        except redis.RedisError:
            return False
        if found:
            self.add(asset_id)
        return found
