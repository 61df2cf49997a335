"""Issue 14, the server half: teacher, student and viewer keys, the lock, view-only students,
the teacher's clear/import/restore, kick, follow, laser and names. Real server, real sockets
(raw ones for refused upgrades and close codes), real HTTP."""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from rawws import RawWS
from testkit import line

from lanboard.hub import Hub

JSON = {"Content-Type": "application/json"}


def port_of(http_server_client: Any) -> int:
    return int(http_server_client.get_url("/").split(":")[2].split("/")[0])


async def fetch(client: Any, path: str, **kw: Any) -> Any:
    return await client.fetch(path, raise_error=False, **kw)


async def links(client: Any, room: str) -> dict[str, str]:
    resp = await fetch(client, f"/api/rooms/{room}/links")
    assert resp.code == 200, resp.body
    return json.loads(resp.body)


async def refused(client: Any, path: str) -> tuple[int, str]:
    """An upgrade the server must refuse: its status and error code."""
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    resp = await fetch(client, path, headers=headers)
    return resp.code, json.loads(resp.body)["error"] if resp.body else ""


def key_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["key"][0]


async def keys(client: Any, room: str) -> tuple[str, str]:
    found = await links(client, room)
    return key_of(found["teacher"]), key_of(found["viewer"])


async def joined(connect: Any, room: str, name: str, key: str | None = None, **q: Any) -> Any:
    query = {"userId": name, "v": 2, **q}
    if key is not None:
        query["key"] = key
    client = await connect(room, **query)
    await client.recv_type("sync")
    return client


async def error_of(client: Any) -> str:
    return str((await client.recv_type("error"))["data"]["code"])


def board_file(*eids: str) -> bytes:
    return json.dumps({"lanboard": 1, "elements": [line(e) for e in eids]}).encode()


# ---- links and keys -----------------------------------------------------------------------

async def test_links_give_three_urls_and_the_keys_give_the_roles(http_server_client, connect):
    found = await links(http_server_client, "r1")
    host = urlparse(http_server_client.get_url("/")).netloc
    assert found["student"] == f"http://{host}/room/r1"
    assert found["teacher"].startswith(f"http://{host}/room/r1?key=")
    assert found["viewer"].startswith(f"http://{host}/room/r1?key=")
    teacher, viewer = key_of(found["teacher"]), key_of(found["viewer"])
    assert teacher != viewer and len(teacher) >= 32  # 24 bytes: 192 bits
    assert await links(http_server_client, "r1") == found  # made once, then kept
    for key, role in ((teacher, "teacher"), (viewer, "viewer"), (None, "student")):
        query = {"userId": f"u-{role}", "v": 2}
        if key:
            query["key"] = key
        c = await connect("r1", **query)
        sync = await c.recv_type("sync")
        assert sync["data"]["role"] == role
        assert sync["data"]["settings"]["locked"] is False
    users = (await c.recv_type("userlist"))["data"]["users"]
    assert {u["userId"]: u["role"] for u in users} == {
        "u-teacher": "teacher", "u-viewer": "viewer", "u-student": "student"}


@pytest.mark.parametrize("edit", [
    lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # one character off
    lambda k: k.upper(), lambda k: k + "x", lambda k: "", lambda k: "teacher",
    lambda k: k[:10],
])
async def test_a_guessed_or_edited_key_is_refused_before_the_upgrade(http_server_client, edit):
    teacher, _ = await keys(http_server_client, "r2")
    assert await refused(http_server_client, f"/ws/r2?userId=eve&key={edit(teacher)}") == (
        403, "bad_key")


async def test_a_key_of_another_board_is_refused(http_server_client, hub: Hub):
    teacher, _ = await keys(http_server_client, "ra")
    await keys(http_server_client, "rb")
    assert await refused(http_server_client, f"/ws/rb?userId=eve&key={teacher}") == (
        403, "bad_key")
    assert await refused(http_server_client, "/ws/never?userId=eve&key=guess") == (
        403, "bad_key")
    assert "never" not in hub.rooms  # a refused upgrade loads and creates no board
    assert hub.store.load("never") is None


async def test_rotating_keys_stops_old_links(http_server_client, connect):
    teacher, viewer = await keys(http_server_client, "r3")
    resp = await fetch(http_server_client, "/api/rooms/r3/keys/rotate", method="POST",
                       body="{}", headers={**JSON, "X-LANBoard-Key": viewer})
    assert resp.code == 403 and json.loads(resp.body)["error"] == "forbidden"
    resp = await fetch(http_server_client, "/api/rooms/r3/keys/rotate", method="POST",
                       body="{}", headers={**JSON, "X-LANBoard-Key": teacher})
    assert resp.code == 200
    fresh = json.loads(resp.body)
    assert key_of(fresh["teacher"]) != teacher
    assert await refused(http_server_client, f"/ws/r3?userId=t&key={teacher}") == (
        403, "bad_key")
    c = await joined(connect, "r3", "t", key_of(fresh["teacher"]))
    assert c is not None


async def rotate(client: Any, room: str, teacher_key: str) -> dict[str, str]:
    resp = await fetch(client, f"/api/rooms/{room}/keys/rotate", method="POST", body="{}",
                       headers={**JSON, "X-LANBoard-Key": teacher_key})
    assert resp.code == 200, resp.body
    return dict(json.loads(resp.body))


async def ended(client: Any) -> tuple[str, int | None]:
    """What ended a connection the server closes: the code of the error frame just before
    its close, and the close code."""
    code = ""
    with pytest.raises(ConnectionError):
        while True:
            msg = await client.recv()
            if msg["type"] == "error":
                code = msg["data"]["code"]
    return code, client.conn.close_code


async def test_rotating_keys_ends_what_the_old_links_opened_and_students_stay(
        http_server_client, connect, hub: Hub):
    teacher_key, viewer_key = await keys(http_server_client, "rr")
    teacher = await joined(connect, "rr", "leak", teacher_key)  # a leaked teacher link
    projector = await joined(connect, "rr", "proj", viewer_key)
    student = await joined(connect, "rr", "stu")
    fresh = await rotate(http_server_client, "rr", teacher_key)
    for c in (teacher, projector):
        assert await ended(c) == ("keys_changed", 4001)
        assert "new links" in c.conn.close_reason
    left = {(await student.recv_type("leave"))["data"]["userId"] for _ in range(2)}
    assert left == {"leak", "proj"}
    student.send("draw", line("s1"))  # the keyless student goes on drawing
    assert (await student.recv_type("draw"))["data"]["id"] == "s1"
    assert [p.user_id for p in hub.rooms["rr"].peers] == ["stu"]
    for old in (teacher_key, viewer_key):
        assert await refused(http_server_client, f"/ws/rr?userId=x&key={old}") == (
            403, "bad_key")
    back = await joined(connect, "rr", "tea", key_of(fresh["teacher"]))
    again = await joined(connect, "rr", "proj", key_of(fresh["viewer"]))
    assert [p.role for p in hub.rooms["rr"].peers] == ["student", "teacher", "viewer"]
    # A second rotation ends the new-key ones; the student still stays.
    await rotate(http_server_client, "rr", key_of(fresh["teacher"]))
    for c in (back, again):
        assert await ended(c) == ("keys_changed", 4001)
    student.send("draw", line("s2"))
    assert (await student.recv_type("draw"))["data"]["id"] == "s2"


async def test_claim_makes_keys_once(http_server_client):
    resp = await fetch(http_server_client, "/api/rooms/r4/claim", method="POST", body="{}",
                       headers=JSON)
    assert resp.code == 201
    assert set(json.loads(resp.body)) == {"teacher", "student", "viewer"}
    again = await fetch(http_server_client, "/api/rooms/r4/claim", method="POST", body="{}",
                        headers=JSON)
    assert again.code == 409 and json.loads(again.body)["error"] == "taken"
    other = await fetch(http_server_client, "/api/rooms/r5/claim", method="POST", body="{}",
                        headers={**JSON, "Origin": "http://evil.example"})
    assert other.code == 403


# ---- settings, the lock, viewers -----------------------------------------------------------

async def test_the_lock_refuses_every_student_change_and_viewers_always(
        http_server_client, connect):
    teacher_key, viewer_key = await keys(http_server_client, "r6")
    teacher = await joined(connect, "r6", "tea", teacher_key)
    student = await joined(connect, "r6", "stu")
    viewer = await joined(connect, "r6", "vic", viewer_key)
    seed = await connect("r6", userId="old")
    await seed.recv_type("sync")
    student.send("draw", line("s1"))
    await student.recv_type("draw")
    for kind, data in (("draw", line("v1")), ("erase", {"ids": ["s1"]}), ("clear", {}),
                       ("select", {"ids": ["s1"]}),
                       ("transform", {"dx": 1, "dy": 1, "sx": 1, "sy": 1, "ox": 0, "oy": 0})):
        viewer.send(kind, data)
        assert await error_of(viewer) == "read_only", kind
    viewer.send("cursor", {"x": 1, "y": 2})
    viewer.send("ping", {})
    await viewer.recv_type("pong")
    teacher.send("settings", {"locked": True})
    relayed = await student.recv_type("settings")
    assert relayed["userId"] == "tea" and relayed["data"]["locked"] is True
    assert isinstance(relayed["seq"], int)
    for kind, data in (("draw", line("s2")), ("append", {"id": "s1", "points": [[1, 1]]}),
                       ("erase", {"ids": ["s1"]}), ("clear", {}),
                       ("update", {"ids": ["s1"], "move": [1, 1]}),
                       ("order", {"ids": ["s1"], "to": "front"})):
        student.send(kind, data)
        assert await error_of(student) == "read_only", kind
    teacher.send("draw", line("t1"))  # the teacher still draws
    assert (await student.recv_type("draw"))["data"]["id"] == "t1"
    await seed.nothing({"settings"})
    teacher.send("settings", {"locked": False})
    await student.recv_type("settings")
    student.send("draw", line("s3"))
    assert (await student.recv_type("draw"))["data"]["id"] == "s3"


async def test_students_cannot_send_the_teachers_kinds(http_server_client, connect):
    await keys(http_server_client, "r7")
    student = await joined(connect, "r7", "stu")
    for kind, data in (("settings", {"locked": True}), ("kick", {"userId": "x"}),
                       ("view", {"x": 0, "y": 0, "zoom": 1}), ("laser", {"x": 1, "y": 1})):
        student.send(kind, data)
        assert await error_of(student) == "forbidden", kind


async def test_a_view_only_student_is_read_only_and_others_are_not(http_server_client, connect):
    teacher_key, _ = await keys(http_server_client, "r8")
    teacher = await joined(connect, "r8", "tea", teacher_key)
    ann = await joined(connect, "r8", "ann")
    bob = await joined(connect, "r8", "bob")
    teacher.send("settings", {"viewOnly": ["ann"]})
    await ann.recv_type("settings")
    ann.send("draw", line("a1"))
    assert await error_of(ann) == "read_only"
    bob.send("draw", line("b1"))
    assert (await bob.recv_type("draw"))["data"]["id"] == "b1"


async def test_bad_settings_get_a_clear_error(http_server_client, connect):
    teacher_key, _ = await keys(http_server_client, "r9")
    teacher = await joined(connect, "r9", "tea", teacher_key)
    for data in (None, {}, {"locked": "yes"}, {"viewOnly": "ann"}, {"viewOnly": [1]},
                 {"nope": True}, [1]):
        teacher.send("settings", data)
        err = (await teacher.recv_type("error"))["data"]
        assert err["code"] == "bad_message" and err["message"]
    teacher.send("settings", {"follow": True})
    assert (await teacher.recv_type("settings"))["data"]["follow"] is True


# ---- clear, import, restore after a teacher joined -----------------------------------------

async def test_after_the_teacher_joined_only_the_teacher_clears_imports_restores(
        http_server_client, connect, hub: Hub):
    teacher_key, viewer_key = await keys(http_server_client, "rc")
    student = await joined(connect, "rc", "stu")
    student.send("draw", line("s1"))
    await student.recv_type("draw")
    student.send("clear", {})  # no teacher yet: the seed protocol's rights
    notice = await student.recv_type("clear")
    assert notice["data"] == {"by": "stu", "reason": "clear"}
    teacher = await joined(connect, "rc", "tea", teacher_key)
    student.send("clear", {})
    assert await error_of(student) == "forbidden"

    def post(path: str, key: str | None = None, body: bytes = b"{}") -> Any:
        headers = {**JSON, "X-LANBoard-User": "Tea%E2%80%AEcher"}
        if key is not None:
            headers["X-LANBoard-Key"] = key
        return fetch(http_server_client, path, method="POST", body=body, headers=headers)

    for key, code in ((None, "forbidden"), (viewer_key, "read_only"), ("guess", "bad_key")):
        resp = await post("/api/rooms/rc/import", key, board_file("i1"))
        assert resp.code == 403 and json.loads(resp.body)["error"] == code, (key, resp.body)
    resp = await post("/api/rooms/rc/import", teacher_key, board_file("i1"))
    assert resp.code == 200, resp.body
    notice = await student.recv_type("clear")
    assert notice["data"] == {"by": "Teacher", "reason": "import"}
    versions = json.loads((await fetch(http_server_client, "/api/rooms/rc/versions")).body)
    vid = versions["versions"][0]["id"]
    for path in (f"/api/rooms/rc/versions/{vid}/restore", "/api/rooms/rc/versions/at/1/restore"):
        resp = await post(path)
        assert resp.code == 403 and json.loads(resp.body)["error"] == "forbidden", path
        resp = await post(path, "wrong-key")
        assert resp.code == 403 and json.loads(resp.body)["error"] == "bad_key", path
    teacher.send("settings", {"allowReplace": True})
    await student.recv_type("settings")
    student.send("clear", {})
    assert (await student.recv_type("clear"))["data"]["by"] == "stu"


# ---- kick, names ---------------------------------------------------------------------------

async def test_kick_closes_with_4003_and_bans_the_name_from_that_address(
        http_server_client, connect):
    teacher_key, _ = await keys(http_server_client, "rk")
    teacher = await joined(connect, "rk", "tea", teacher_key)
    mallory = await joined(connect, "rk", "mallory")
    tab = await joined(connect, "rk", "mallory")
    teacher.send("kick", {"userId": "mallory"})
    for c in (mallory, tab):
        with pytest.raises(ConnectionError):
            while True:
                await c.recv()
        assert c.conn.close_code == 4003
        assert c.conn.close_reason == "removed by the teacher"
    assert await refused(http_server_client, "/ws/rk?userId=mallory") == (403, "kicked")
    await joined(connect, "rk", "alice")  # another name may join
    teacher.send("kick", {"userId": "nobody"})
    assert await error_of(teacher) == "not_found"


async def test_kick_bans_for_ten_minutes(http_server_client, connect, hub: Hub):
    teacher_key, _ = await keys(http_server_client, "rt")
    teacher = await joined(connect, "rt", "tea", teacher_key)
    await joined(connect, "rt", "mal")
    teacher.send("kick", {"userId": "mal"})
    await teacher.recv_type("leave")
    (key, until), = [(k, t) for k, t in hub.bans.items() if k[0] == "rt"]
    assert key[1] == "mal" and until - hub._clock() == pytest.approx(600, abs=5)
    hub.bans[key] = hub._clock() - 1  # the ten minutes are over
    await joined(connect, "rt", "mal")


async def test_same_name_other_client_is_another_person(http_server_client, connect):
    a = await joined(connect, "rn", "Alex", clientId="c1")
    b = await connect("rn", userId="Alex", clientId="c2", v=2)
    assert (await b.recv_type("sync"))["data"]["userId"] == "Alex (2)"
    tab = await connect("rn", userId="Alex", clientId="c1", v=2)
    assert (await tab.recv_type("sync"))["data"]["userId"] == "Alex"
    seed = await connect("rn", userId="Alex")
    assert (await seed.recv_type("sync"))["data"]["userId"] == "Alex"
    c = await connect("rn", userId="Alex", clientId="c3", v=2)
    sync = await c.recv_type("sync")
    assert sync["data"]["userId"] == "Alex (3)"
    users = {u["userId"]: u["color"] for u in sync["data"]["users"]}
    assert set(users) == {"Alex", "Alex (2)", "Alex (3)"} and len(set(users.values())) == 3
    assert a is not None


async def test_bidi_and_zero_width_characters_leave_names(connect):
    c = await connect("rz", userId="%E2%80%AEnimda%E2%80%8B%EF%BB%BFx%E2%81%A6", v=2)
    assert (await c.recv_type("sync"))["data"]["userId"] == "nimdax"


# ---- view and laser ------------------------------------------------------------------------

async def test_view_and_laser_are_relayed_never_stored(http_server_client, connect, hub: Hub):
    teacher_key, viewer_key = await keys(http_server_client, "rv")
    teacher = await joined(connect, "rv", "tea", teacher_key)
    student = await joined(connect, "rv", "stu")
    viewer = await joined(connect, "rv", "vic", viewer_key)
    seq = hub.rooms["rv"].seq
    teacher.send("view", {"x": 10, "y": -5, "zoom": 2, "all": True})
    got = await viewer.recv_type("view")
    assert got["userId"] == "tea" and got["data"] == {"x": 10, "y": -5, "zoom": 2, "all": True}
    teacher.send("laser", {"x": 3, "y": 4})
    laser = await student.recv_type("laser")
    assert laser["data"]["x"] == 3 and laser["data"]["color"].startswith("#")
    student.send("laser", {"x": 1, "y": 1})
    assert await error_of(student) == "forbidden"
    teacher.send("settings", {"allowLaser": True})
    await student.recv_type("settings")
    student.send("laser", {"x": 1, "y": 1})
    assert (await viewer.recv_type("laser"))["userId"] == "tea"  # the teacher's, earlier
    assert (await viewer.recv_type("laser"))["userId"] == "stu"
    viewer.send("laser", {"x": 1, "y": 1})
    assert await error_of(viewer) == "forbidden"
    teacher.send("view", {"x": 0, "y": 0, "zoom": -1})
    assert await error_of(teacher) == "bad_message"
    assert hub.rooms["rv"].seq == seq + 1  # only the settings change was stored


# ---- the access log, and links from other machines -----------------------------------------

def test_the_access_log_never_writes_a_key():
    from lanboard.app import _KEY

    assert _KEY.sub(r"\1key=-", "/room/r?key=SECRET&x=1") == "/room/r?key=-&x=1"
    assert _KEY.sub(r"\1key=-", "/ws/r?userId=a&key=SECRET") == "/ws/r?userId=a&key=-"


# ---- a lock survives a restart -------------------------------------------------------------

def test_a_lock_and_the_keys_survive_a_restart(server_factory, tmp_path):
    data = tmp_path / "data"
    server = server_factory(data_dir=data)
    found = json.loads(urllib.request.urlopen(f"{server.url}/api/rooms/lk/links").read())
    teacher = key_of(found["teacher"])
    ws = RawWS(server.port, f"/ws/lk?userId=tea&v=2&key={teacher}")
    ws.recv()
    ws.send("settings", {"locked": True, "viewOnly": ["ann"]})
    while not any(m["type"] == "settings" for m in ws.recv()):
        pass
    ws.close()
    server.stop()
    server = server_factory(data_dir=data)
    again = json.loads(urllib.request.urlopen(f"{server.url}/api/rooms/lk/links").read())
    assert key_of(again["teacher"]) == teacher
    student = RawWS(server.port, "/ws/lk?userId=stu&v=2")
    sync = next(m for m in student.recv() if m["type"] == "sync")
    assert sync["data"]["role"] == "student"
    assert sync["data"]["settings"]["locked"] is True
    student.send("draw", line("s1"))
    errors = []
    while not errors:
        errors = [m for m in student.recv() if m["type"] == "error"]
    assert errors[0]["data"]["code"] == "read_only"
    student.close()


def test_a_schema_2_database_gains_the_access_table(tmp_path):
    from lanboard.sqlite_store import SqliteStore
    from lanboard.store import Access

    store = SqliteStore.open(tmp_path)
    store.db.execute("DROP TABLE access")
    store.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    store.db.commit()
    store.close()
    store = SqliteStore.open(tmp_path)
    assert store.access("b") is None
    store.save_access("b", Access("t" * 32, "v" * 32, True, {"locked": True}))
    store.close()
    store = SqliteStore.open(tmp_path)
    assert store.access("b") == Access("t" * 32, "v" * 32, True, {"locked": True})
    store.close()


async def test_settings_outlive_the_change_log(http_server_client, connect, hub: Hub):
    """A snapshot compacts the changes away; the settings are kept with the board itself."""
    from testkit import schedule

    teacher_key, _ = await keys(http_server_client, "rs")
    teacher = await joined(connect, "rs", "tea", teacher_key)
    teacher.send("settings", {"locked": True, "allowLaser": True})
    await teacher.recv_type("settings")
    room = hub.rooms["rs"]
    hub.save_snapshot(room)
    assert room.snapshot_seq == room.seq  # nothing left to replay at the next load
    fresh = Hub(hub.store, schedule)
    again = fresh.room("rs")
    assert again.settings["locked"] is True and again.settings["allowLaser"] is True
    assert again.teacher_joined is True
    assert fresh.role_for("rs", teacher_key) == "teacher"


async def test_the_role_a_key_gives_is_told_over_http(http_server_client):
    teacher, viewer = await keys(http_server_client, "who")
    for key, role in ((None, "student"), (teacher, "teacher"), (viewer, "viewer")):
        headers = {"X-LANBoard-Key": key} if key else {}
        resp = await fetch(http_server_client, "/api/rooms/who/role", headers=headers)
        assert resp.code == 200 and json.loads(resp.body) == {"role": role}, resp.body
        assert resp.headers["Cache-Control"] == "no-store"
    resp = await fetch(http_server_client, "/api/rooms/who/role",
                       headers={"X-LANBoard-Key": teacher[:-1] + "x"})
    assert resp.code == 403 and json.loads(resp.body)["error"] == "bad_key"
    resp = await fetch(http_server_client, "/api/rooms/%00bad/role")
    assert resp.code == 400, resp.body
