"""The SQLite store against real files: round trips, snapshots, versions, locks, faults."""

from __future__ import annotations

import sqlite3
import time

import pytest

from lanboard import limits
from lanboard.sqlite_store import DB_NAME, SqliteStore, pack, unpack
from lanboard.store import StoreError, Version


def el(eid: str) -> tuple[str, bytes]:
    return eid, b'{"id":' + f'"{eid}"'.encode() + b',"elementType":"line"}'


def test_pack_round_trips_ids_holding_tabs_newlines_and_quotes():
    elements = [el("plain"), ("tab\there", b"{}"), ("new\nline", b'{"a":"x\\ny"}'),
                ('quo"te', b"{}")]
    assert unpack(pack(elements)) == elements
    assert unpack(pack([])) == []


def test_commit_then_load_replays_changes_after_the_snapshot(tmp_path):
    store = SqliteStore.open(tmp_path)
    store.commit([("r", 1, b"m1"), ("r", 2, b"m2")], [])
    store.snapshot("r", 2, [el("a")])
    store.commit([("r", 3, b"m3")], [])
    store.close()
    again = SqliteStore.open(tmp_path)
    board = again.load("r")
    assert board is not None
    assert board.elements == [el("a")] and board.seq == 2
    assert board.changes == [(1, b"m1"), (2, b"m2"), (3, b"m3")]
    assert again.load("other") is None
    assert [(b.id, b.seq) for b in again.boards()] == [("r", 3)]
    again.close()


def test_a_load_reads_only_the_resume_window_before_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    store = SqliteStore.open(tmp_path)
    store.commit([("r", s, b"m") for s in range(1, 6)], [])
    store.snapshot("r", 5, [])
    board = store.load("r")
    assert board is not None and [s for s, _ in board.changes] == [4, 5]
    # ...while the whole log stays kept for the timeline.
    assert [s for s, _ in store.changes("r", 0)] == [1, 2, 3, 4, 5]
    store.close()


def test_every_change_is_kept_within_the_retention_and_snapshots_pile_up(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    store = SqliteStore.open(tmp_path)
    store.commit([("r", s, f"m{s}".encode()) for s in range(1, 11)], [])
    store.snapshot("r", 4, [el("a")])
    store.snapshot("r", 8, [el("a"), el("b")])
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (0, 10)
    assert store.base("r", 3) == (0, [])
    assert store.base("r", 7) == (4, [el("a")])
    assert store.base("r", 10) == (8, [el("a"), el("b")])
    assert store.changes("r", 4, upto=6) == [(5, b"m5"), (6, b"m6")]
    assert [s for s, _ in store.changes("r", 2, limit=3)] == [3, 4, 5]
    assert store.kept("never") is None
    store.close()


def test_past_the_retention_old_changes_and_snapshots_go(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    monkeypatch.setattr(limits, "SNAPSHOT_EVERY_CHANGES", 4)  # none of them is redundant
    store = SqliteStore.open(tmp_path, keep_seconds=3600)
    store.commit([("r", s, b"m") for s in range(1, 21)], [])
    store.snapshot("r", 5, [el("a")])
    store.snapshot("r", 10, [el("b")])
    # Age the first two snapshots past the hour; the one written next is new.
    store.db.execute("UPDATE snapshots SET time = time - 7200")
    store.db.commit()
    store.snapshot("r", 15, [el("c")])
    kept = store.kept("r")
    # The newest snapshot older than the retention (10) is the oldest board kept.
    assert kept is not None and (kept.oldest, kept.seq) == (10, 20)
    assert [s for s, _ in store.changes("r", 0)] == list(range(11, 21))
    assert store.base("r", 12) == (10, [el("b")])
    assert store.base("r", 7) == (0, [])  # gone: the caller answers 410 below `oldest`
    store.close()


def test_the_retention_applies_at_startup_to_boards_left_idle(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    store = SqliteStore.open(tmp_path)
    store.commit([("r", s, b"m") for s in range(1, 11)], [])
    store.snapshot("r", 10, [el("a")])
    store.db.execute("UPDATE snapshots SET time = time - 7200")
    store.db.commit()
    store.close()
    again = SqliteStore.open(tmp_path)
    kept = again.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (0, 10)  # the default: 30 days
    again.retain(3600)  # as the CLI does at startup, with LANBOARD_KEEP_DAYS
    kept = again.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (10, 10)
    assert [s for s, _ in again.changes("r", 0)] == [9, 10]  # the resume window stays
    board = again.load("r")
    assert board is not None and board.seq == 10 and board.elements == [el("a")]
    again.close()


def test_a_schema_1_database_is_upgraded_with_its_snapshot_kept(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('app', 'lanboard'), ('schema', '1');
        CREATE TABLE boards (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
            element_count INTEGER NOT NULL, updated REAL NOT NULL);
        CREATE TABLE snapshots (board TEXT PRIMARY KEY, seq INTEGER NOT NULL,
            elements BLOB NOT NULL);
        CREATE TABLE changes (board TEXT NOT NULL, seq INTEGER NOT NULL,
            message BLOB NOT NULL, PRIMARY KEY (board, seq)) WITHOUT ROWID;
    """)
    db.execute("INSERT INTO snapshots VALUES ('r', 7, ?)", (pack([el("old")]),))
    db.executemany("INSERT INTO changes VALUES ('r', ?, ?)", [(s, b"m") for s in range(3, 10)])
    db.commit()
    db.close()
    store = SqliteStore.open(tmp_path)
    board = store.load("r")
    assert board is not None and board.seq == 7 and board.elements == [el("old")]
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (7, 9)
    assert store.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("5",)
    store.snapshot("r", 9, [el("new")])
    assert store.base("r", 8) == (7, [el("old")])
    store.close()


def test_versions_are_kept_listed_newest_first_and_pruned_periodic_first(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_VERSIONS_PER_BOARD", 3)
    store = SqliteStore.open(tmp_path)
    store.commit([], [Version("r", 1, "before-clear", [el("cleared")])])
    for seq in range(2, 5):
        store.commit([], [Version("r", seq, "periodic", [el(f"p{seq}")])])
    listed = store.versions("r")
    assert [v.reason for v in listed] == ["periodic", "periodic", "before-clear"]
    assert [v.seq for v in listed] == [4, 3, 1]
    clear_id = listed[-1].id
    assert store.version("r", clear_id) == [el("cleared")]
    assert store.version("r", 999) is None
    store.close()


def test_a_second_process_on_the_same_data_dir_is_refused(tmp_path):
    first = SqliteStore.open(tmp_path)
    with pytest.raises(StoreError, match="another LANBoard"):
        SqliteStore.open(tmp_path)
    first.close()
    SqliteStore.open(tmp_path).close()  # released on close


def test_a_corrupt_database_is_set_aside_never_overwritten(tmp_path, capsys):
    garbage = b"this is not sqlite" * 100
    (tmp_path / DB_NAME).write_bytes(garbage)
    store = SqliteStore.open(tmp_path)
    store.commit([("r", 1, b"m")], [])
    store.close()
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert "kept as" in capsys.readouterr().err


def test_a_foreign_database_is_refused_and_left_alone(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute("CREATE TABLE recipes (name TEXT)")
    db.commit()
    db.close()
    before = (tmp_path / DB_NAME).read_bytes()
    with pytest.raises(StoreError, match="not a LANBoard database"):
        SqliteStore.open(tmp_path)
    assert (tmp_path / DB_NAME).read_bytes() == before


def test_a_failed_commit_leaves_nothing_half_written(tmp_path):
    store = SqliteStore.open(tmp_path)
    store.commit([("r", 1, b"m1")], [])
    with pytest.raises(StoreError):
        store.commit([("r", 2, b"m2"), ("r", 1, b"dup")], [])  # the duplicate key fails it
    board = store.load("r")
    assert board is not None and board.changes == [(1, b"m1")]
    store.close()


def test_a_snapshot_gives_pruned_pages_back_to_the_file_system(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 10)
    store = SqliteStore.open(tmp_path, keep_seconds=0)
    store.commit([("r", s, b"x" * 500) for s in range(1, 5001)], [])
    store.snapshot("r", 5000, [el("a")])
    assert store.db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    store.close()
    assert (tmp_path / DB_NAME).stat().st_size < 200_000


def test_the_log_is_checkpointed_by_a_thread_while_the_store_stays_open(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(limits, "CHECKPOINT_POLL_SECONDS", 0.02)
    store = SqliteStore.open(tmp_path)
    try:
        db_file = tmp_path / DB_NAME
        before = db_file.stat().st_size
        body = b'{"type":"draw","data":' + b"x" * 900 + b"}"
        for turn in range(20):
            store.commit([("r", turn * 10 + i + 1, body) for i in range(10)], [])
        # The event loop's connection never checkpoints (wal_autocheckpoint=0), so only the
        # thread can have copied the changes into the database file.
        deadline = time.monotonic() + 10
        while db_file.stat().st_size < before + 150_000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert db_file.stat().st_size >= before + 150_000
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        store.commit([("r", 201, body)], [])
    finally:
        store.close()
    again = SqliteStore.open(tmp_path)
    try:
        board = again.load("r")
        assert board is not None and [s for s, _ in board.changes] == list(range(1, 202))
    finally:
        again.close()


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_the_memory_twin_keeps_and_prunes_the_lesson_as_sqlite_does(tmp_path, monkeypatch,
                                                                    kind):
    from lanboard.store import MemoryStore

    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    store = SqliteStore.open(tmp_path) if kind == "sqlite" else MemoryStore()
    store.commit([("r", s, f"m{s}".encode()) for s in range(1, 13)], [])
    store.snapshot("r", 4, [el("a")])
    store.snapshot("r", 8, [el("b")])
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (0, 12)
    assert store.base("r", 9) == (8, [el("b")])
    assert store.changes("r", 9, upto=11, limit=1) == [(10, b"m10")]
    store.retain(0)  # from now on nothing older than now is needed past the newest snapshot
    store.snapshot("r", 10, [el("c")])
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (10, 12)
    assert [s for s, _ in store.changes("r", 0)] == [9, 10, 11, 12]  # resume window: 2
    assert store.base("r", 11) == (10, [el("c")])
    board = store.load("r")
    assert board is not None and board.seq == 10 and [s for s, _ in board.changes] == [
        9, 10, 11, 12]
    assert store.kept("none") is None
    store.close()


def test_history_snapshots_are_zipped_by_the_thread_and_read_back_the_same(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(limits, "CHECKPOINT_POLL_SECONDS", 0.02)
    monkeypatch.setattr(limits, "SNAPSHOT_EVERY_CHANGES", 1)  # spaced by the board's size
    boards = {s: [el(f"e{i}-{s}") for i in range(300)] for s in (2, 400, 800)}
    store = SqliteStore.open(tmp_path)
    try:
        store.commit([("r", s, b"m") for s in range(1, 802)], [])
        for seq, elements in boards.items():
            store.snapshot("r", seq, elements)
        deadline = time.monotonic() + 10
        zipped = []
        while time.monotonic() < deadline:
            zipped = [r[0] for r in store.db.execute(
                "SELECT seq FROM snapshots WHERE zipped = 1 ORDER BY seq")]
            if len(zipped) == 2:
                break
            time.sleep(0.02)
        assert zipped == [2, 400]  # the newest stays as it is: every load reads it
        for seq, elements in boards.items():
            assert store.base("r", seq + 1) == (seq, elements)
        board = store.load("r")
        assert board is not None and board.elements == boards[800]
        size = store.db.execute("SELECT length(elements) FROM snapshots WHERE seq = 2"
                                ).fetchone()[0]
        assert size < len(pack(boards[2])) / 3
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_snapshots_closer_than_one_spacing_are_collapsed(tmp_path, monkeypatch, kind):
    """A board used in bursts is snapshotted at every unload: only the snapshots that keep
    each seq within one spacing of replay stay."""
    from lanboard.store import MemoryStore

    monkeypatch.setattr(limits, "SNAPSHOT_EVERY_CHANGES", 10)
    store = SqliteStore.open(tmp_path) if kind == "sqlite" else MemoryStore()
    store.commit([("r", s, b"m") for s in range(1, 41)], [])
    for seq in (10, 20, 25, 27, 29, 31):
        store.snapshot("r", seq, [el(f"at{seq}")])
    kept = [s for s in range(0, 41) if store.base("r", s)[0] == s and s]
    assert kept == [10, 20, 29, 31]  # 25 and 27 went: 20 is within 10 changes of 29
    assert store.base("r", 28) == (20, [el("at20")])
    for seq in range(1, 41):
        assert seq - store.base("r", seq)[0] <= 10
    store.close()
