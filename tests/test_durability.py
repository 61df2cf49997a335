"""Boards are never lost: real subprocess servers, real SQLite files, kill -9, restarts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from testkit import line, ws_client


def http(url: str, body: bytes | None = None, ctype: str = "application/json",
         origin: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", ctype)
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


async def drain_until(client, kind: str, count: int) -> list[dict]:
    seen = []
    while len(seen) < count:
        msg = await client.recv_type(kind, timeout=10)
        seen.append(msg)
    return seen


@pytest.mark.slow
async def test_kill_9_loses_no_change_that_a_peer_saw(server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    writers = [await ws_client(f"{server.url}/ws/class", userId=f"w{i}") for i in range(3)]
    watcher = await ws_client(f"{server.url}/ws/class", userId="watch")
    for c in (*writers, watcher):
        await c.recv_type("sync")
    for n in range(100):
        for i, w in enumerate(writers):
            w.send("draw", line(f"w{i}-{n}", x1=n))
    seen = await drain_until(watcher, "draw", 300)
    server.kill()  # SIGKILL: no shutdown, no snapshot
    assert len({m["data"]["id"] for m in seen}) == 300

    again = server_factory(data_dir=tmp_path / "d")
    late = await ws_client(f"{again.url}/ws/class", userId="late")
    sync = await late.recv_type("sync")
    ids = [e["id"] for e in sync["data"]["elements"]]
    assert sorted(ids) == sorted(m["data"]["id"] for m in seen)
    assert len(ids) == len(set(ids)) == 300
    assert ids == [m["data"]["id"] for m in seen]  # same order the peer saw
    assert sync["data"]["seq"] == seen[-1]["seq"] == 300


@pytest.mark.slow
async def test_seq_continues_and_resume_works_across_a_restart(server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{server.url}/ws/r", userId="ann")
    await ann.recv_type("sync")
    for i in range(5):
        ann.send("draw", line(f"a{i}"))
    acks = await drain_until(ann, "ack", 5)
    assert server.stop() == 0  # a clean stop writes a snapshot
    again = server_factory(data_dir=tmp_path / "d")
    back = await ws_client(f"{again.url}/ws/r", userId="ann", since=3)
    resume = await back.recv()
    assert resume["type"] == "resume" and resume["data"]["seq"] == 5
    replay = [await back.recv() for _ in range(2)]
    assert [m["seq"] for m in replay] == [4, 5]
    back.send("draw", line("after"))
    ack = await back.recv_type("ack")
    assert ack["data"]["seq"] == acks[-1]["data"]["seq"] + 1 == 6


@pytest.mark.slow
async def test_history_restores_a_cleared_board_as_an_ordinary_undoable_change(
        server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{server.url}/ws/h", userId="ann")
    await ann.recv_type("sync")
    bob = await ws_client(f"{server.url}/ws/h", userId="bob")
    await bob.recv_type("sync")
    for i in range(3):
        ann.send("draw", line(f"e{i}"))
    await drain_until(bob, "draw", 3)
    ann.send("clear")
    await bob.recv_type("clear")
    code, body = http(f"{server.url}/api/rooms/h/versions")
    versions = json.loads(body)["versions"]
    assert code == 200 and versions[0]["reason"] == "before-clear"
    assert versions[0]["elements"] == 3
    vid = versions[0]["id"]
    code, body = http(f"{server.url}/api/rooms/h/versions/{vid}/restore", b"{}")
    assert code == 200, body
    await bob.recv_type("clear")
    restored = await drain_until(bob, "draw", 3)
    assert [m["data"]["id"] for m in restored] == ["e0", "e1", "e2"]
    # The restore saved the (empty) board first only if it had elements; restoring again
    # from History is how it is undone.
    code, body = http(f"{server.url}/api/rooms/h/versions")
    assert code == 200
    late = await ws_client(f"{server.url}/ws/h", userId="late")
    assert len((await late.recv_type("sync"))["data"]["elements"]) == 3
    assert http(f"{server.url}/api/rooms/h/versions/99999/restore", b"{}")[0] == 404
    assert http(f"{server.url}/api/rooms/nope/versions")[0] == 404


@pytest.mark.slow
async def test_export_and_import_round_trip(server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{server.url}/ws/src", userId="ann")
    await ann.recv_type("sync")
    ann.send("draw", line("l1"))
    ann.send("draw", {"id": "t1", "elementType": "text", "x": 5, "y": 5, "text": "<hi & bye>",
                      "fontSize": 20, "strokeColor": "#000", "strokeWidth": 1})
    ann.send("draw", {"id": "p1", "elementType": "path", "points": [[0, 0], [10, 5]],
                      "strokeColor": "#00f", "strokeWidth": 2})
    await drain_until(ann, "ack", 3)
    code, exported = http(f"{server.url}/api/rooms/src/export?format=json")
    assert code == 200
    doc = json.loads(exported)
    assert doc["lanboard"] == 1 and [e["id"] for e in doc["elements"]] == ["l1", "t1", "p1"]
    code, svg = http(f"{server.url}/api/rooms/src/export?format=svg")
    assert code == 200 and svg.startswith(b"<svg") and b"&lt;hi &amp; bye&gt;" in svg
    code, body = http(f"{server.url}/api/rooms/dst/import", exported)
    assert code == 200, body
    code, again = http(f"{server.url}/api/rooms/dst/export?format=json")
    assert json.loads(again)["elements"] == doc["elements"]


@pytest.mark.parametrize("body, code, needle", [
    (b"not json", 400, "not valid JSON"),
    (b"[]", 400, "'elements' list"),
    (json.dumps({"elements": [line("ok"), line("bad", x1="x")]}).encode(), 400, "element 2"),
    (json.dumps({"elements": [line("d"), line("d")]}).encode(), 400, "twice"),
    (json.dumps({"elements": [{**line("p"), "evil": 1}]}).encode(), 400, "unknown fields"),
])
@pytest.mark.slow
async def test_bad_import_files_get_a_clear_error_and_change_nothing(
        server_factory, tmp_path, body, code, needle):
    server = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{server.url}/ws/keep", userId="ann")
    await ann.recv_type("sync")
    ann.send("draw", line("precious"))
    await ann.recv_type("ack")
    status, reply = http(f"{server.url}/api/rooms/keep/import", body)
    assert status == code and needle in json.loads(reply)["message"]
    _, exported = http(f"{server.url}/api/rooms/keep/export")
    assert [e["id"] for e in json.loads(exported)["elements"]] == ["precious"]


async def test_cross_site_writes_are_refused(server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    doc = json.dumps({"elements": [line("x")]}).encode()
    assert http(f"{server.url}/api/rooms/r/import", doc, origin="http://evil.example")[0] == 403
    assert http(f"{server.url}/api/rooms/r/import", doc, ctype="text/plain")[0] == 415
    assert http(f"{server.url}/api/rooms/r/import", doc, origin=server.url)[0] == 200


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lanboard", "--headless", "--no-mdns",
                           "--host", "127.0.0.1", "--port", "0", *args],
                          capture_output=True, text=True, timeout=30)


def test_a_data_dir_that_cannot_be_created_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = run_cli("--data-dir", str(blocker / "boards"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "cannot create data directory" in out.stderr


def test_a_foreign_database_is_one_line_exit_2(tmp_path):
    db = sqlite3.connect(tmp_path / "boards.sqlite3")
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()
    out = run_cli("--data-dir", str(tmp_path))
    assert out.returncode == 2 and "not a LANBoard database" in out.stderr


def test_a_corrupt_database_is_set_aside_and_the_server_starts(server_factory, tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "boards.sqlite3").write_bytes(b"garbage" * 1000)
    server = server_factory(data_dir=data)
    assert http(server.url + "/api/health")[0] == 200
    assert any(".corrupt-" in p.name for p in data.iterdir())
    assert server.saw("kept as")


def test_data_dir_is_created_0700_and_printed(server_factory, tmp_path):
    data = tmp_path / "new" / "boards"
    server = server_factory(data_dir=data)
    assert data.stat().st_mode & 0o777 == 0o700
    assert server.saw(f"Boards are stored in {data}")


def _can_mount() -> bool:
    return (os.geteuid() == 0 and shutil.which("unshare") is not None
            and subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0)


MOUNT_SKIP = "needs root and unshare -m to mount a small tmpfs"


@pytest.mark.skipif(not _can_mount(), reason=MOUNT_SKIP)
def test_a_read_only_data_dir_is_one_line_exit_2(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    cmd = (f"mount -t tmpfs -o ro,size=1m tmpfs {target} && exec {sys.executable} -m lanboard "
           f"--headless --no-mdns --host 127.0.0.1 --port 0 --data-dir {target}")
    out = subprocess.run(["unshare", "-m", "sh", "-c", cmd], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.count("\n") == 1 and "not writable" in out.stderr


@pytest.mark.slow
@pytest.mark.skipif(not _can_mount(), reason=MOUNT_SKIP)
async def test_a_full_disk_gives_storage_errors_and_keeps_what_was_saved(tmp_path):
    target = tmp_path / "small"
    target.mkdir()
    # 256k: the empty database, its log and index pages (schema 2 has two snapshot indexes;
    # schema 4 two more tables, assets and names, which 192k no longer held)
    # fit with room for a few changes, and the disk fills within a few dozen draws.
    script = (f"mount -t tmpfs -o size=256k tmpfs {target} && exec {sys.executable} -m "
              f"lanboard --headless --no-mdns --host 127.0.0.1 --port 0 --data-dir {target}")
    from testkit import READY, ServerProcess, _drain

    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    output = [proc.stdout.readline() for _ in range(1)]
    while not READY.search(output[-1]):
        output.append(proc.stdout.readline())
        assert output[-1], "".join(output)
    server = ServerProcess(proc, int(READY.search(output[-1]).group(1)), output)
    server.pump = _drain(proc, output)
    try:
        ann = await ws_client(f"{server.url}/ws/full", userId="ann")
        await ann.recv_type("sync")
        acked: list[str] = []
        error = None
        big = "x" * 3000
        while error is None:
            assert len(acked) < 2000, "the disk never filled"
            ann.send("draw", {"id": f"t{len(acked)}", "elementType": "text", "x": 0, "y": 0,
                              "text": big, "fontSize": 12, "strokeColor": "#000",
                              "strokeWidth": 1})
            msg = await ann.recv(timeout=10)
            while msg["type"] not in ("ack", "error"):
                msg = await ann.recv(timeout=10)
            if msg["type"] == "error":
                error = msg
            else:
                acked.append(msg["data"]["id"])
        assert error["data"]["code"] == "storage_error"
        late = await ws_client(f"{server.url}/ws/full", userId="late")
        ids = [e["id"] for e in (await late.recv_type("sync"))["data"]["elements"]]
        assert ids == acked  # everything saved is there, nothing unsaved is
        assert http(server.url + "/api/health")[0] == 200
    finally:
        server.stop(signal.SIGKILL)


@pytest.mark.slow
async def test_the_whole_lesson_survives_a_restart_and_kill_9(server_factory, tmp_path):
    server = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{server.url}/ws/lesson", userId="ann", v=2)
    await ann.recv_type("sync")
    for i in range(6):
        ann.send("draw", line(f"a{i}"))
        await ann.recv_type("draw")
    assert server.stop() == 0  # a clean stop writes a snapshot at seq 6
    again = server_factory(data_dir=tmp_path / "d")
    ann = await ws_client(f"{again.url}/ws/lesson", userId="ann", v=2)
    await ann.recv_type("sync")
    for i in range(6, 10):
        ann.send("draw", line(f"a{i}"))
        await ann.recv_type("draw")
    again.kill()  # no snapshot: seqs 7-10 live in the change log alone
    third = server_factory(data_dir=tmp_path / "d")
    code, body = http(f"{third.url}/api/rooms/lesson/changes?after=0")
    assert code == 200, body
    doc = json.loads(body)
    assert (doc["oldest"], doc["seq"]) == (0, 10)
    assert [m["seq"] for m in doc["changes"]] == list(range(1, 11))
    for seq in (0, 3, 6, 8, 10):
        code, body = http(f"{third.url}/api/rooms/lesson/export?format=json&seq={seq}")
        assert code == 200, body
        assert [e["id"] for e in json.loads(body)["elements"]] == [f"a{i}" for i in range(seq)]
    code, body = http(f"{third.url}/api/rooms/lesson/export?format=json&seq=11")
    assert (code, json.loads(body)["error"]) == (404, "no_seq")


def test_a_bad_keep_days_is_one_line_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lanboard", "--headless", "--no-mdns",
                          "--port", "0", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=30,
                         env={**os.environ, "LANBOARD_KEEP_DAYS": "0"})
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "LANBOARD_KEEP_DAYS" in out.stderr
