"""The lesson timeline: the board at a seq of a 100,000-change log (snapshot plus replay,
target 300 ms or less) beside replaying from the start, the baseline, in the same run; and
what keeping the whole lesson costs on disk.

    python benchmarks/timeline.py [--changes 100000] [--students 25] [--probes 40]

The lesson is made by the real Hub on a real SQLite store in a temporary directory, so the
snapshots are the ones a live server writes (every max(5,000, board size) changes). Its mix
is a busy class as the page sends it: each stroke is one `draw` and an `append` of 2-3
points every 33 ms for 1.5 s (45 appends); 2 % of changes are an erase, an update or an
order of recent strokes, and the teacher clears the board every 15 minutes. Its clock is
simulated: 25 students, each drawing a fifth of the time (one 1.5 s stroke every 7.5 s),
send 12,000 strokes an hour, about 550,000 changes.

No network: everything runs in this process. Bounded by --changes.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lanboard import kinds, timeline
from lanboard.hub import Hub
from lanboard.peer import NullTransport, Peer
from lanboard.room import Room
from lanboard.sqlite_store import DB_NAME, SqliteStore, zip_history

APPENDS_PER_STROKE = 45
STROKE_SECONDS = 1.5
#: A student draws a fifth of the time.
STROKE_EVERY_SECONDS = 7.5
CLEAR_EVERY_SECONDS = 15 * 60.0


def lesson(hub: Hub, changes: int, students: int, rng: random.Random) -> float:
    """Feed `changes` stored changes into room 'lesson'; the simulated seconds they span."""
    room = hub.room("lesson")
    peers = [Peer(f"s{i}", NullTransport(), batched=True) for i in range(students)]
    for p in peers:
        hub.join(room, p)
    hub.flush()
    strokes_per_second = students / STROKE_EVERY_SECONDS
    changes_per_second = strokes_per_second * (1 + APPENDS_PER_STROKE)
    n = 0
    live: list[tuple[Peer, str, float, float]] = []  # open strokes: who, id, x, y
    done: list[str] = []
    last_clear = 0.0
    while room.seq < changes:
        clock = room.seq / changes_per_second
        if clock - last_clear >= CLEAR_EVERY_SECONDS:
            last_clear = clock
            hub.submit(room, peers[0], json.dumps({"type": "clear", "data": {}}), 0.0)
            done.clear()
        elif len(live) < STROKE_SECONDS * strokes_per_second or not live:
            who = rng.choice(peers)
            n += 1
            x, y = rng.uniform(0, 1600), rng.uniform(0, 900)
            el = {"id": f"k{n}", "elementType": rng.choice(("path", "path", "highlighter")),
                  "points": [[round(x, 1), round(y, 1)]],
                  "strokeColor": rng.choice(("#1e88e5", "#e53935", "#000000", "#43a047")),
                  "strokeWidth": rng.choice((2, 3, 4, 8))}
            hub.submit(room, who, json.dumps({"type": "draw", "data": el}), 0.0)
            live.append((who, el["id"], x, y))
        else:
            r = rng.random()
            if r < 0.02 and done:
                pick = done[-rng.randint(1, min(20, len(done)))]
                kind, data = rng.choice((
                    ("erase", {"ids": [pick]}),
                    ("update", {"ids": [pick], "move": [rng.uniform(-20, 20), 5]}),
                    ("order", {"ids": [pick], "to": rng.choice(("front", "back"))})))
                hub.submit(room, peers[0], json.dumps({"type": kind, "data": data}), 0.0)
                if kind == "erase":
                    done.remove(pick)
            else:
                i = rng.randrange(len(live))
                who, eid, x, y = live[i]
                pts = []
                for _ in range(rng.choice((2, 3))):
                    x, y = x + rng.uniform(-4, 6), y + rng.uniform(-4, 6)
                    pts.append([round(x, 1), round(y, 1)])
                live[i] = (who, eid, x, y)
                hub.submit(room, who, json.dumps({"type": "append",
                                                  "data": {"id": eid, "points": pts}}), 0.0)
                if rng.random() < 1 / APPENDS_PER_STROKE:
                    live.pop(i)
                    done.append(eid)
        hub.flush()
    return room.seq / changes_per_second


def replay_from_start(store: SqliteStore, seq: int) -> list[tuple[str, bytes]]:
    """The baseline: every change from 1 to `seq` through the same kinds.replay."""
    room = Room("lesson")
    for _, frame in store.changes("lesson", 0, upto=seq):
        kinds.replay(room, frame)
    return room.encoded_elements()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=100_000)
    ap.add_argument("--students", type=int, default=25)
    ap.add_argument("--probes", type=int, default=40)
    args = ap.parse_args()
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore.open(Path(tmp))
        hub = Hub(store, lambda cb: None)
        began = time.perf_counter()
        seconds = lesson(hub, args.changes, args.students, rng)
        made = time.perf_counter() - began
        hub.close()
        # What the checkpoint thread does as snapshots become history, finished here so the
        # figures do not depend on how far it got.
        while zip_history(store.db, most=100):
            pass
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        kept = store.kept("lesson")
        assert kept is not None
        snaps = [r[0] for r in store.db.execute(
            "SELECT seq FROM snapshots WHERE board = 'lesson' ORDER BY seq")]
        change_bytes = store.db.execute(
            "SELECT sum(length(message)) FROM changes WHERE board = 'lesson'").fetchone()[0]
        snap_bytes = store.db.execute(
            "SELECT sum(length(elements)) FROM snapshots WHERE board = 'lesson'").fetchone()[0]
        unzipped = sum(len(zlib.decompress(b) if z else b) for z, b in store.db.execute(
            "SELECT zipped, elements FROM snapshots WHERE board = 'lesson'"))
        file_bytes = (Path(tmp) / DB_NAME).stat().st_size
        # Pages the zipping freed are reused by the next writes: count the pages in use.
        pages, free, page = (store.db.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
        used_bytes = (pages - free) * page
        print(f"lesson: {kept.seq:,} changes in {made:.1f} s, {seconds / 60:.1f} simulated "
              f"minutes of {args.students} students; {len(snaps)} snapshots "
              f"(largest board {max(len(store.base('lesson', s)[1]) for s in snaps):,} "
              "elements)")
        per_hour = 3600 / seconds
        print(f"disk: {used_bytes / 2**20:.1f} MiB in use ({file_bytes / 2**20:.1f} MiB file) "
              f"= changes {change_bytes / 2**20:.1f} MiB ({change_bytes / kept.seq:.0f} B "
              f"each) + snapshots {snap_bytes / 2**20:.1f} MiB (zipped; "
              f"{unzipped / 2**20:.1f} MiB as written); per hour of this class "
              f"{used_bytes * per_hour / 2**20:.0f} MiB, "
              f"{used_bytes * per_hour * 6 * 5 * 4.3 / 2**30:.1f} GiB for 30 days of 6 such "
              "hours a school day")

        # The worst seqs sit just before a snapshot (the longest replay); the rest at random.
        probes = sorted({s - 1 for s in snaps if s > 1}
                        | {rng.randint(1, kept.seq) for _ in range(args.probes)})
        ours, base = [], []
        for seq in probes:
            t = time.perf_counter()
            board = timeline.board_at(store, "lesson", seq)
            ours.append(time.perf_counter() - t)
            if len(base) < 8 and seq > kept.seq // 2:  # the baseline is slow: a few far seqs
                t = time.perf_counter()
                assert replay_from_start(store, seq) == board
                base.append(time.perf_counter() - t)
        ms = sorted(1000 * v for v in ours)
        slowest = sorted(zip(ours, probes, strict=True))[-3:]
        print("slowest: " + ", ".join(f"seq {s:,} {1000 * t:.0f} ms" for t, s in slowest))
        print(f"board at seq (snapshot + replay), {len(ms)} seqs: median "
              f"{statistics.median(ms):.0f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f} ms, "
              f"worst {ms[-1]:.0f} ms (target 300 ms)")
        bms = sorted(1000 * v for v in base)
        print(f"baseline, replay from seq 0, {len(bms)} seqs past the middle: median "
              f"{statistics.median(bms):.0f} ms, worst {bms[-1]:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()
