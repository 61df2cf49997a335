"""The Redis BoardStore against a real redis-server: the same contract as the SQLite store
(tests/test_store_sqlite.py): load, resume window, retention, snapshots collapsed, versions,
keys, assets; and the cluster's numbering script."""

from __future__ import annotations

import pytest
from redis_kit import RedisServer, redis_server  # noqa: F401 - a fixture

from lanboard import limits
from lanboard.store import Access, Asset, BoardName, StoreError, Version


def el(eid: str) -> tuple[str, bytes]:
    return (eid, b'{"id":"%s"}' % eid.encode())


@pytest.fixture
def store(redis_server: RedisServer):  # noqa: F811
    from lanboard.redis_store import RedisStore

    redis_server.flush()
    s = RedisStore(redis_server.url)
    yield s
    s.close()


def test_commit_then_load_replays_changes_after_the_snapshot(store):
    assert store.load("r") is None and store.kept("r") is None
    store.commit([("r", s, f"m{s}".encode()) for s in range(1, 6)], [])
    store.snapshot("r", 3, [el("a")])
    board = store.load("r")
    assert board is not None and board.seq == 3 and board.elements == [el("a")]
    assert [s for s, _ in board.changes] == [1, 2, 3, 4, 5]
    assert [b.id for b in store.boards()] == ["r"] and store.boards()[0].seq == 5


def test_it_keeps_and_prunes_the_lesson_as_the_other_stores_do(store, monkeypatch):
    monkeypatch.setattr(limits, "RESUME_LOG_CHANGES", 2)
    store.commit([("r", s, f"m{s}".encode()) for s in range(1, 13)], [])
    store.snapshot("r", 4, [el("a")])
    store.snapshot("r", 8, [el("b")])
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (0, 12)
    assert store.base("r", 9) == (8, [el("b")])
    assert store.changes("r", 9, upto=11, limit=1) == [(10, b"m10")]
    store.retain(0)
    store.snapshot("r", 10, [el("c")])
    kept = store.kept("r")
    assert kept is not None and (kept.oldest, kept.seq) == (10, 12)
    assert [s for s, _ in store.changes("r", 0)] == [9, 10, 11, 12]
    board = store.load("r")
    assert board is not None and board.seq == 10


def test_snapshots_closer_than_one_spacing_are_collapsed(store, monkeypatch):
    monkeypatch.setattr(limits, "SNAPSHOT_EVERY_CHANGES", 10)
    store.commit([("r", s, b"m") for s in range(1, 41)], [])
    for seq in (10, 20, 25, 27, 29, 31):
        store.snapshot("r", seq, [el(f"at{seq}")])
    kept = [s for s in range(0, 41) if store.base("r", s)[0] == s and s]
    assert kept == [10, 20, 29, 31]


def test_versions_keys_and_assets(store):
    store.commit([("r", 1, b"m")], [Version("r", 1, "before-clear", [el("a")]),
                                     Version("r", 1, "periodic", [el("a")]),
                                     Version("r", 1, "periodic", [el("b")])])
    versions = store.versions("r")
    assert [v.elements for v in versions] == [1, 1]  # the same board is kept once
    assert {tuple(store.version("r", v.id) or []) for v in versions} == {(el("a"),), (el("b"),)}
    assert store.access("r") is None
    store.save_access("r", Access("t", "v", True, {"locked": True}))
    assert store.access("r") == Access("t", "v", True, {"locked": True})
    png = Asset("ab" * 32, "image/png", 3, 4, b"\x89PNG....")
    assert store.put_asset("r", png) and not store.put_asset("r", png)
    assert store.asset("r", png.id) == png and store.asset("r", "cd" * 32) is None
    assert store.asset_bytes("r") == len(png.data)
    ids = store.asset_ids("r")
    assert png.id in ids
    other = Asset("ef" * 32, "image/png", 1, 1, b"x")
    store.put_asset("r", other)  # as another process would, after this one loaded the set
    assert other.id in ids and "00" * 32 not in ids


def test_names_are_kept_for_every_board(store):
    assert store.names() == {}
    store.save_name("r", BoardName("Math 7B: Fractions"))
    store.save_name("s", BoardName("", 12, 1700000000.5, 40))
    store.save_name("r", BoardName("Math 7B"))
    assert store.names() == {"r": BoardName("Math 7B"),
                             "s": BoardName("", 12, 1700000000.5, 40)}


def test_append_numbers_in_redis_and_hands_back_what_came_between(store):
    a = store.append([("r", 0, [b'{"type":"draw","data":{"id":"a"}'])], [])
    assert (a[0].first, a[0].missed) == (1, [])
    # A second process still at seq 0 appends: it is numbered after, and told of seq 1.
    b = store.append([("r", 0, [b'{"type":"draw","data":{"id":"b"}',
                                b'{"type":"erase","data":{"ids":["a"]}'])], [])
    assert b[0].first == 2
    assert b[0].missed == [(1, b'{"type":"draw","data":{"id":"a"},"seq":1}')]
    assert [s for s, _ in store.changes("r", 0)] == [1, 2, 3]
    assert store.changes("r", 2) == [(3, b'{"type":"erase","data":{"ids":["a"]},"seq":3}')]


def test_a_retried_append_is_answered_once_and_numbered_once(store):
    from lanboard.redis_store import key

    store.append([("r", 0, [b'{"type":"draw","data":{}'])], [])
    token = store.client.get(key("r", "batch")).decode().rsplit(" ", 1)[0]
    # The same batch again, as redis-py's one retry sends it after a lost reply.
    again = store._append(keys=[key("r", "seq"), key("r", "log"), key("r", "batch")],
                          args=[token, 0, b'{"type":"draw","data":{}'])
    assert again == [1, []] and [s for s, _ in store.changes("r", 0)] == [1]


def test_redis_gone_is_a_store_error_with_one_line(redis_server):  # noqa: F811
    from lanboard.redis_store import RedisStore

    with pytest.raises(StoreError, match="cannot reach Redis"):
        RedisStore("redis://127.0.0.1:1/0")
    with pytest.raises(StoreError) as failed:
        RedisStore("redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(failed.value) and "***@127.0.0.1:1" in str(failed.value)
    store = RedisStore(redis_server.url)
    redis_server.stop()
    try:
        with pytest.raises(StoreError, match="Redis failed"):
            store.append([("r", 0, [b'{"type":"draw","data":{}'])], [])
    finally:
        redis_server.start()
        store.close()
