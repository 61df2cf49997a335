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
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lanboard import limits
from lanboard.store import (
    KEEP_SECONDS,
    BoardSummary,
    Element,
    Kept,
    StoredBoard,
    StoreError,
    Version,
    VersionInfo,
    kept_range,
    redundant,
)

log = logging.getLogger(__name__)

DB_NAME = "boards.sqlite3"
LOCK_NAME = "boards.lock"
#: 2: every snapshot is kept (one row per board and seq, with its time) for the timeline.
SCHEMA_VERSION = 2

#: Kept apart from `boards`, which every commit updates: SQLite rewrites a whole row on
#: update, and a snapshot row holds the whole board. Every snapshot within the retention is
#: kept: the board at any kept seq is the nearest one before it plus a short replay. (A rowid
#: table: its rows hold whole boards, too big for a WITHOUT ROWID tree.) `zipped`: the
#: checkpoint thread compressed the blob once a newer snapshot made it history; it comes before
#: `elements` so reading it never walks a board's overflow pages.
SNAPSHOTS_TABLE = """
CREATE TABLE IF NOT EXISTS snapshots (
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time REAL NOT NULL,
    zipped INTEGER NOT NULL DEFAULT 0,
    elements BLOB NOT NULL
);
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS boards (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    element_count INTEGER NOT NULL,
    updated REAL NOT NULL
);
""" + SNAPSHOTS_TABLE + """
CREATE TABLE IF NOT EXISTS changes (
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message BLOB NOT NULL,
    PRIMARY KEY (board, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    board TEXT NOT NULL,
    seq INTEGER NOT NULL,
    time REAL NOT NULL,
    reason TEXT NOT NULL,
    element_count INTEGER NOT NULL,
    digest BLOB NOT NULL,
    elements BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_board ON versions (board, id);
"""

#: Made after the migration from schema 1, whose snapshots table had no time column.
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_board_seq ON snapshots (board, seq);
CREATE INDEX IF NOT EXISTS snapshots_unzipped ON snapshots (board, seq) WHERE zipped = 0;
"""

#: zlib level for history snapshots: 3x smaller than the packed JSON (level 1: 2.6x), and
#: the checkpoint thread's time, not the loop's (zlib lets go of the GIL).
ZIP_LEVEL = 6


def pack(elements: list[Element]) -> bytes:
    """A board as one blob: a JSON array of the ids on the first line, then one encoded
    element a line (compact JSON escapes every newline inside a string). Loading it is two
    C-level calls rather than a Python loop per element."""
    ids = json.dumps([eid for eid, _ in elements], ensure_ascii=False)
    return ids.encode("utf-8", "surrogatepass") + b"\n" + b"\n".join(d for _, d in elements)


def _blob(zipped: int, blob: bytes) -> bytes:
    return zlib.decompress(blob) if zipped else bytes(blob)


def unpack(blob: bytes) -> list[Element]:
    if not blob:
        return []
    head, _, rest = blob.partition(b"\n")
    ids = json.loads(head.decode("utf-8", "surrogatepass"))
    return list(zip(ids, rest.split(b"\n") if rest else [], strict=True))


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

    @classmethod
    def open(cls, data_dir: Path, keep_seconds: float = KEEP_SECONDS) -> SqliteStore:
        lock = StoreLock(data_dir / LOCK_NAME)
        lock.acquire()
        try:
            db = _connect(data_dir / DB_NAME)
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
            seq, blob = (row[0], _blob(row[1], row[2])) if row else (0, b"")
            # The whole lesson is kept, but a load reads only what it replays plus the
            # resume window before it.
            changes = self.db.execute("SELECT seq, message FROM changes WHERE board = ? "
                                      "AND seq > ? ORDER BY seq",
                                      (room_id, seq - limits.RESUME_LOG_CHANGES)).fetchall()
        if row is None and not changes:
            return None
        return StoredBoard(unpack(blob), seq, [(s, bytes(m)) for s, m in changes])

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
            for v in versions:
                self._insert_version(v, now)

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
        return (row[0], unpack(_blob(row[1], row[2]))) if row else (0, [])

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


class Checkpointer:
    """Copies the write-ahead log into the database from its own thread and connection, once
    the log passes CHECKPOINT_BYTES. sqlite3 lets go of the GIL while it works, and a PASSIVE
    checkpoint never blocks the writer, so the event loop only ever appends to the log. The
    same thread compresses snapshots that have become history (`zip_history`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = Path(str(path) + "-wal")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lanboard-checkpoint",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        failing = False
        while not self._stop.wait(limits.CHECKPOINT_POLL_SECONDS):
            try:
                if db is None:
                    db = sqlite3.connect(self.path)  # made, used and closed in this thread
                    db.execute("PRAGMA busy_timeout=2000")
                    db.execute(f"PRAGMA cache_size=-{limits.SQLITE_CACHE_KIB}")
                    # Its writes (zipped snapshots) hold the write lock the loop's commits
                    # need: no fsync inside them, as on the loop's own connection.
                    db.execute("PRAGMA synchronous=NORMAL")
                zip_history(db)
                if self.wal.stat().st_size < limits.CHECKPOINT_BYTES:
                    continue
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                failing = False
            except (OSError, sqlite3.Error) as exc:
                # A full disk or a busy lock: the log keeps growing and every commit in it
                # is still durable; try again on the next round, and say so once.
                if not failing:
                    log.warning("checkpoint failed path=%s: %s", self.path, exc)
                failing = True
        if db is not None:
            db.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def zip_history(db: sqlite3.Connection, most: int = 4) -> int:
    """Compress up to `most` snapshots that a newer one of the same board has made history
    (the timeline reads them rarely; a load reads only the newest, never zipped). Each is one
    short write; a row pruned or zipped meanwhile is left alone. How many were zipped."""
    rows = db.execute(
        "SELECT rowid, elements FROM snapshots AS s WHERE zipped = 0 AND EXISTS (SELECT 1 "
        "FROM snapshots AS n WHERE n.board = s.board AND n.seq > s.seq) LIMIT ?",
        (most,)).fetchall()
    done = 0
    for rowid, blob in rows:
        packed = zlib.compress(blob, ZIP_LEVEL)
        with db:
            done += db.execute("UPDATE snapshots SET elements = ?, zipped = 1 "
                               "WHERE rowid = ? AND zipped = 0", (packed, rowid)).rowcount
    return done


def _connect(path: Path) -> sqlite3.Connection:
    """Open the database, setting aside a corrupt file and refusing someone else's."""
    try:
        return _open_checked(path)
    except sqlite3.OperationalError as exc:
        # Locked, read-only, unopenable or a full disk: the file may be fine, so leave it be.
        raise StoreError(f"cannot open {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(path) + suffix)
            if src.exists():
                src.rename(Path(str(aside) + suffix))
        log.error("corrupt database set aside path=%s aside=%s error=%s", path, aside, exc)
        print(f"LANBoard: {path.name} was unreadable ({exc}); it was kept as {aside.name} "
              "and a new one started.", file=sys.stderr, flush=True)
        return _open_checked(path)


def _open_checked(path: Path) -> sqlite3.Connection:
    fresh = not path.exists() or path.stat().st_size == 0
    db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
    try:
        if not fresh:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "meta" not in tables:
                raise StoreError(f"{path} is not a LANBoard database; move it away or pick "
                                 "another --data-dir")
            app = db.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
            if not app or app[0] != "lanboard":
                raise StoreError(f"{path} is not a LANBoard database; move it away or pick "
                                 "another --data-dir")
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        if fresh:
            # Lets a snapshot's pruning give pages back to the file system (set before any
            # table exists; it cannot be changed later without a VACUUM).
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=2000")
        # Writes only touch the ends of two B-trees and loads read a board once; the default
        # 2 MiB page cache held 20 bytes per element of a 100,000-element board for nothing.
        db.execute(f"PRAGMA cache_size=-{limits.SQLITE_CACHE_KIB}")
        with db:
            db.executescript(SCHEMA)
            _migrate(db)
            db.executescript(INDEXES)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('app', 'lanboard')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                       (str(SCHEMA_VERSION),))
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a schema-1 database up to date: its one snapshot per board becomes the first
    kept snapshot, dated now (so the retention counts from the upgrade)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(snapshots)")}
    if "time" in columns:
        return
    # One script, one transaction: a crash half-way leaves schema 1 as it was.
    db.executescript(f"""BEGIN;
ALTER TABLE snapshots RENAME TO snapshots_v1;
{SNAPSHOTS_TABLE}
INSERT INTO snapshots (board, seq, time, elements)
    SELECT board, seq, {time.time()!r}, elements FROM snapshots_v1;
DROP TABLE snapshots_v1;
COMMIT;""")
    log.info("database upgraded to schema %d", SCHEMA_VERSION)
