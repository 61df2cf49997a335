"""The durable BoardStore: one SQLite database in WAL mode in the data directory.

A commit is one transaction per loop turn for every room. With WAL and synchronous=NORMAL a
committed transaction survives the process being killed (not a power cut, which would need
synchronous=FULL and an fsync per turn). Boards are stored as a snapshot plus the change
messages after it; versions are full snapshots kept for History.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lanboard import limits
from lanboard.sqlite_file import Checkpointer, blob_of, connect
from lanboard.sqlite_file import pack as pack
from lanboard.sqlite_file import unpack as unpack
from lanboard.sqlite_file import zip_history as zip_history
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

DB_NAME = "boards.sqlite3"
LOCK_NAME = "boards.lock"
#: Origins of loaded, never-committed boards held in memory at most (see SqliteStore._fresh).
FRESH_ORIGINS_MAX = 20_000


class StoreLock:
    """An OS lock on a file in the data directory, held while the server runs. The OS drops
    it when the process dies, so a crash never leaves a stale lock behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        f = open(self.path, "a+")  # noqa: SIM115 - held open for the server's lifetime
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "?"
            f.close()
            raise StoreError(f"another LANBoard (pid {holder}) is already using "
                             f"{self.path.parent}; stop it or pick another --data-dir") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class SqliteStore:
    """BoardStore on SQLite. Open it with `SqliteStore.open(data_dir)`."""

    def __init__(self, db: sqlite3.Connection, lock: StoreLock,
                 checkpointer: Checkpointer | None = None,
                 keep_seconds: float = KEEP_SECONDS) -> None:
        self.db = db
        self.lock = lock
        self.checkpointer = checkpointer
        #: How long every change is kept (LANBOARD_KEEP_DAYS); older ones go at the next
        #: snapshot of their board, and at startup.
        self.keep_seconds = keep_seconds
        #: Origins made for boards loaded but never committed: written with a board's first
        #: commit (so a board nobody drew on leaves no row), and told to clients meanwhile
        #: from here. A restart forgets them: such a board was empty at seq 0, which the full
        #: sync a new origin brings rebuilds as well as a resume would.
        self._fresh: dict[str, str] = {}

    @classmethod
    def open(cls, data_dir: Path, keep_seconds: float = KEEP_SECONDS) -> SqliteStore:
        lock = StoreLock(data_dir / LOCK_NAME)
        lock.acquire()
        try:
            db = connect(data_dir / DB_NAME)
            # Checkpoints copy the log into the database and fsync it: milliseconds to tens
            # of milliseconds that would stall every board. A thread of their own does them.
            db.execute("PRAGMA wal_autocheckpoint=0")
            checkpointer = Checkpointer(data_dir / DB_NAME)
        except BaseException:
            lock.release()
            raise
        return cls(db, lock, checkpointer, keep_seconds)

    # ---- BoardStore --------------------------------------------------------------------

    def load(self, room_id: str) -> StoredBoard | None:
        with self._errors("read"):
            row = self.db.execute("SELECT seq, zipped, elements FROM snapshots WHERE "
                                  "board = ? ORDER BY seq DESC LIMIT 1", (room_id,)).fetchone()
            seq, blob = (row[0], blob_of(row[1], row[2])) if row else (0, b"")
            # The whole lesson is kept, but a load reads only what it replays plus the
            # resume window before it.
            changes = self.db.execute("SELECT seq, message FROM changes WHERE board = ? "
                                      "AND seq > ? ORDER BY seq",
                                      (room_id, seq - limits.RESUME_LOG_CHANGES)).fetchall()
        if row is None and not changes:
            return None
        return StoredBoard(unpack(blob), seq, [(s, bytes(m)) for s, m in changes])

    def access(self, room_id: str) -> Access | None:
        with self._errors("read"):
            row = self.db.execute("SELECT teacher_key, viewer_key, teacher_joined, settings "
                                  "FROM access WHERE board = ?", (room_id,)).fetchone()
        if row is None:
            return None
        try:
            settings = json.loads(row[3])
        except ValueError:
            settings = {}
        return Access(row[0], row[1], bool(row[2]),
                      settings if isinstance(settings, dict) else {})

    def origin(self, room_id: str) -> str:
        found = self._fresh.get(room_id)
        if found is not None:
            return found
        with self._errors("read"):
            row = self.db.execute("SELECT origin FROM origins WHERE board = ?",
                                  (room_id,)).fetchone()
        if row is not None:
            return str(row[0])
        if len(self._fresh) >= FRESH_ORIGINS_MAX:
            # Bounded memory: the oldest goes to the table (a loaded board may still be
            # drawn on, and must keep the origin its clients were told).
            board = next(iter(self._fresh))
            with self._errors("save"), self.db:
                self.db.execute("INSERT OR IGNORE INTO origins (board, origin) VALUES (?, ?)",
                                (board, self._fresh[board]))
            del self._fresh[board]
        made = self._fresh[room_id] = new_origin()
        return made

    def save_access(self, room_id: str, access: Access) -> None:
        with self._errors("save"), self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO access (board, teacher_key, viewer_key, "
                "teacher_joined, settings) VALUES (?, ?, ?, ?, ?)",
                (room_id, access.teacher_key, access.viewer_key, int(access.teacher_joined),
                 json.dumps(access.settings)))

    def names(self) -> dict[str, BoardName]:
        with self._errors("read"):
            rows = self.db.execute("SELECT board, name, deleted_seq, deleted_at, "
                                   "deleted_elements FROM names").fetchall()
        return {r[0]: BoardName(r[1], r[2], r[3], r[4]) for r in rows}

    def save_name(self, room_id: str, name: BoardName) -> None:
        with self._errors("save"), self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO names (board, name, deleted_seq, deleted_at, "
                "deleted_elements) VALUES (?, ?, ?, ?, ?)",
                (room_id, name.name, name.deleted_seq, name.deleted_at, name.deleted_elements))

    def commit(self, changes: list[tuple[str, int, bytes]], versions: list[Version]) -> None:
        with self._errors("save"), self.db:
            self.db.executemany("INSERT INTO changes (board, seq, message) VALUES (?, ?, ?)",
                                changes)
            last: dict[str, int] = {}
            for room_id, seq, _ in changes:
                last[room_id] = seq
            now = time.time()
            self.db.executemany(
                "INSERT INTO boards (id, seq, element_count, updated) VALUES (?, ?, 0, ?) "
                "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, updated = excluded.updated",
                [(r, s, now) for r, s in last.items()])
            fresh = [(r, self._fresh[r]) for r in last if r in self._fresh]
            if fresh:  # durable with the board's first change, before any client sees it
                self.db.executemany("INSERT OR IGNORE INTO origins (board, origin) "
                                    "VALUES (?, ?)", fresh)
            for v in versions:
                self._insert_version(v, now)
        for r, _ in fresh:
            self._fresh.pop(r, None)

    def _insert_version(self, v: Version, now: float) -> None:
        blob = pack(v.elements)
        digest = hashlib.blake2b(blob, digest_size=16).digest()
        # The same board saved twice (a prankster importing one file over and over) is kept
        # once, so repeats cannot push real work out of History.
        if self.db.execute("SELECT 1 FROM versions WHERE board = ? AND digest = ?",
                           (v.room_id, digest)).fetchone():
            return
        self.db.execute("INSERT INTO versions (board, seq, time, reason, element_count, digest,"
                        " elements) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (v.room_id, v.seq, now, v.reason, len(v.elements), digest, blob))
        count = self.db.execute("SELECT count(*) FROM versions WHERE board = ?",
                                (v.room_id,)).fetchone()[0]
        if count > limits.MAX_VERSIONS_PER_BOARD:
            # Periodic versions go first, oldest first; versions taken before a clear, a
            # restore or an import are what bring a board back, so they are kept longer. The
            # version with the most elements, most likely the class's real work, is never
            # pruned.
            self.db.execute(
                "DELETE FROM versions WHERE id IN (SELECT id FROM versions WHERE board = ?1 "
                "AND id != (SELECT id FROM versions WHERE board = ?1 "
                "ORDER BY element_count DESC, id DESC LIMIT 1) "
                "ORDER BY reason = 'periodic' DESC, id LIMIT ?2)",
                (v.room_id, count - limits.MAX_VERSIONS_PER_BOARD))

    def snapshot(self, room_id: str, seq: int, elements: list[Element]) -> None:
        blob = pack(elements)
        now = time.time()
        with self._errors("snapshot"), self.db:
            newest = [r[0] for r in self.db.execute(
                "SELECT seq FROM snapshots WHERE board = ? AND seq < ? ORDER BY seq DESC "
                "LIMIT 2", (room_id, seq))]
            gone = redundant(newest, seq, len(elements))
            if gone is not None:
                self.db.execute("DELETE FROM snapshots WHERE board = ? AND seq = ?",
                                (room_id, gone))
            self.db.execute("INSERT OR REPLACE INTO snapshots (board, seq, time, elements) "
                            "VALUES (?, ?, ?, ?)", (room_id, seq, now, blob))
            self.db.execute(
                "INSERT INTO boards (id, seq, element_count, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET seq = max(boards.seq, excluded.seq), "
                "element_count = excluded.element_count",
                (room_id, seq, len(elements), now))
            pruned = self._prune(room_id, now)
        if pruned:
            with self._errors("snapshot"):
                # executescript steps the pragma to the end; execute() frees one page a call.
                self.db.executescript("PRAGMA incremental_vacuum;")

    def _prune(self, room_id: str, now: float) -> bool:
        """Drop what the retention no longer covers: the newest snapshot at least
        keep_seconds old is the oldest board still needed, so older snapshots and the changes
        up to it go (but never the last RESUME_LOG_CHANGES, which let clients resume across
        a restart). Whether anything went."""
        row = self.db.execute("SELECT seq FROM snapshots WHERE board = ? AND time <= ? "
                              "ORDER BY seq DESC LIMIT 1",
                              (room_id, now - self.keep_seconds)).fetchone()
        if row is None:
            return False
        latest = self.db.execute("SELECT max(seq) FROM snapshots WHERE board = ?",
                                 (room_id,)).fetchone()[0]
        floor = min(row[0], latest - limits.RESUME_LOG_CHANGES)
        gone = self.db.execute("DELETE FROM snapshots WHERE board = ? AND seq < ?",
                               (room_id, row[0])).rowcount
        gone += self.db.execute("DELETE FROM changes WHERE board = ? AND seq <= ?",
                                (room_id, floor)).rowcount
        return gone > 0

    def retain(self, keep_seconds: float) -> None:
        """Keep changes `keep_seconds` from now on, and apply that to every board now (the CLI
        calls it at startup: a board left idle takes no snapshots). A failure is logged: what
        is kept stays readable, and the next snapshot prunes again."""
        self.keep_seconds = keep_seconds
        try:
            self.prune_all()
        except StoreError as exc:
            log.warning("pruning old changes failed: %s", exc)

    def prune_all(self) -> None:
        """Apply the retention to every board."""
        with self._errors("prune"), self.db:
            boards = [r[0] for r in self.db.execute("SELECT DISTINCT board FROM snapshots")]
            pruned = [self._prune(b, time.time()) for b in boards]
        if any(pruned):
            with self._errors("prune"):
                self.db.executescript("PRAGMA incremental_vacuum;")

    def kept(self, room_id: str) -> Kept | None:
        with self._errors("read"):
            first, last = self.db.execute("SELECT min(seq), max(seq) FROM changes WHERE "
                                          "board = ?", (room_id,)).fetchone()
            # Only the oldest usable snapshot and the newest matter.
            floor = (first or 1) - 1
            usable = self.db.execute("SELECT min(seq), max(seq) FROM snapshots WHERE "
                                     "board = ? AND seq >= ?", (room_id, floor)).fetchone()
            newest = self.db.execute("SELECT max(seq) FROM snapshots WHERE board = ?",
                                     (room_id,)).fetchone()[0]
        if first is None and newest is None:
            return None
        seqs = sorted({s for s in (*usable, newest) if s is not None})
        return kept_range(first, last, seqs)

    def base(self, room_id: str, seq: int) -> tuple[int, list[Element]]:
        with self._errors("read"):
            row = self.db.execute("SELECT seq, zipped, elements FROM snapshots WHERE "
                                  "board = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                                  (room_id, seq)).fetchone()
        return (row[0], unpack(blob_of(row[1], row[2]))) if row else (0, [])

    def changes(self, room_id: str, after: int, upto: int | None = None,
                limit: int | None = None) -> list[tuple[int, bytes]]:
        with self._errors("read"):
            rows = self.db.execute(
                "SELECT seq, message FROM changes WHERE board = ? AND seq > ? AND seq <= ? "
                "ORDER BY seq LIMIT ?",
                (room_id, after, upto if upto is not None else 2**62,
                 limit if limit is not None else -1)).fetchall()
        return [(s, bytes(m)) for s, m in rows]

    def boards(self) -> list[BoardSummary]:
        with self._errors("read"):
            rows = self.db.execute("SELECT id, element_count, seq, updated FROM boards "
                                   "ORDER BY updated DESC").fetchall()
        return [BoardSummary(*row) for row in rows]

    def versions(self, room_id: str) -> list[VersionInfo]:
        with self._errors("read"):
            rows = self.db.execute("SELECT id, time, seq, element_count, reason FROM versions "
                                   "WHERE board = ? ORDER BY id DESC", (room_id,)).fetchall()
        return [VersionInfo(*row) for row in rows]

    def version(self, room_id: str, version_id: int) -> list[Element] | None:
        with self._errors("read"):
            row = self.db.execute("SELECT elements FROM versions WHERE board = ? AND id = ?",
                                  (room_id, version_id)).fetchone()
        return unpack(row[0]) if row else None

    # ---- assets: one row per (board, id); `size` comes before the blob, so the cap's sum
    # and the id list never read an image's overflow pages.

    def put_asset(self, room_id: str, asset: Asset) -> bool:
        with self._errors("save"), self.db:
            return self.db.execute(
                "INSERT OR IGNORE INTO assets (board, id, type, width, height, size, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (room_id, asset.id, asset.type, asset.width,
                                                 asset.height, len(asset.data), asset.data),
            ).rowcount == 1

    def asset(self, room_id: str, asset_id: str) -> Asset | None:
        with self._errors("read"):
            row = self.db.execute("SELECT type, width, height, data FROM assets WHERE "
                                  "board = ? AND id = ?", (room_id, asset_id)).fetchone()
        return Asset(asset_id, row[0], row[1], row[2], bytes(row[3])) if row else None

    def asset_ids(self, room_id: str) -> set[str]:
        with self._errors("read"):
            rows = self.db.execute("SELECT id FROM assets WHERE board = ?",
                                   (room_id,)).fetchall()
        return {r[0] for r in rows}

    def asset_bytes(self, room_id: str) -> int:
        with self._errors("read"):
            row = self.db.execute("SELECT COALESCE(SUM(size), 0) FROM assets WHERE board = ?",
                                  (room_id,)).fetchone()
        total: int = row[0]
        return total

    def close(self) -> None:
        try:
            if self.checkpointer is not None:
                self.checkpointer.stop()
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.close()
        finally:
            self.lock.release()

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn sqlite3 errors into StoreError with one readable line."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"could not {action} boards: {exc}") from exc
