"""The database file behind SqliteStore: its schema and upgrades, opening it (setting aside a
corrupt one), how a board is packed into a blob, and the checkpoint thread that copies the
write-ahead log into the file and compresses history snapshots off the event loop."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import threading
import time
import zlib
from pathlib import Path

from lanboard import limits
from lanboard.store import Element, StoreError, new_origin

log = logging.getLogger(__name__)

#: 2: every snapshot is kept (one row per board and seq, with its time) for the timeline.
#: 3: each board's keys and teacher settings (`access`); older files gain the table on open.
#: 4: each board's images (`assets`, issue 15) and its display name (`names`, added by the
#: board-names work); older files gain both tables on open.
#: 5: each board's origin (`origins`, issue 17): a random name of this storage life of the
#: board, so a client's kept seq is never resumed onto another board; on open, an older file
#: gains the table and an origin for every board it holds, in the transaction that bumps the
#: schema number (a crash before it commits leaves a file that upgrades again).
SCHEMA_VERSION = 5

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
CREATE TABLE IF NOT EXISTS names (
    board TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    deleted_seq INTEGER,
    deleted_at REAL,
    deleted_elements INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access (
    board TEXT PRIMARY KEY,
    teacher_key TEXT,
    viewer_key TEXT,
    teacher_joined INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS origins (
    board TEXT PRIMARY KEY,
    origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assets (
    board TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (board, id)
);
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


def blob_of(zipped: int, blob: bytes) -> bytes:
    return zlib.decompress(blob) if zipped else bytes(blob)


def unpack(blob: bytes) -> list[Element]:
    if not blob:
        return []
    head, _, rest = blob.partition(b"\n")
    ids = json.loads(head.decode("utf-8", "surrogatepass"))
    return list(zip(ids, rest.split(b"\n") if rest else [], strict=True))


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


def connect(path: Path) -> sqlite3.Connection:
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
    schema = SCHEMA_VERSION
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
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            schema = int(row[0]) if row and str(row[0]).isdigit() else 1
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
            if schema < 5:
                _give_origins(db)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('app', 'lanboard')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                       (str(SCHEMA_VERSION),))
    except BaseException:
        db.close()
        raise
    return db


def _give_origins(db: sqlite3.Connection) -> None:
    """Schema 5: every board the file holds gets an origin. Runs in the open's transaction,
    before the schema number is written: an interrupted upgrade is done again, and boards that
    have one keep it."""
    boards = [r[0] for r in db.execute("SELECT id FROM boards UNION SELECT DISTINCT board "
                                       "FROM snapshots")]
    db.executemany("INSERT OR IGNORE INTO origins (board, origin) VALUES (?, ?)",
                   [(b, new_origin()) for b in boards])
    if boards:
        log.info("database upgraded to schema 5: origins for %d boards", len(boards))


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
