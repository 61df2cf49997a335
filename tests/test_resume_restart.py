"""Rejoin with `?since=` across a server restart, on a real SQLite file: a v2 client that was
away while others drew gets `resume` and exactly the changes it missed (draws and the appends
of a stroke), after a clean stop or a kill -9; a `since` past the board's seq (a board replaced,
a cache from another server) gets a full sync, never a wrong resume; a client offering
permessage-deflate gets the same."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from rawws import RawWS, http_request
from test_deflate import DeflateWS
from testkit import ServerProcess, start_server

ROOM = "rejoin"


def stroke(eid: str, n: int = 3) -> dict[str, Any]:
    return {"id": eid, "elementType": "path", "points": [[i * 1.5, i * 2.25] for i in range(n)],
            "strokeColor": "#1e1e1e", "strokeWidth": 2}


def joined(port: int, user: str, **query: Any) -> tuple[RawWS, list[dict[str, Any]]]:
    squeeze = query.pop("deflate", False)
    qs = "".join(f"&{k}={v}" for k, v in query.items())
    path = f"/ws/{ROOM}?userId={user}&v=2{qs}"
    if squeeze:
        squeezed = DeflateWS(port, path)
        squeezed.recv = squeezed.messages  # type: ignore[method-assign]
        return squeezed, squeezed.recv()
    ws = RawWS(port, path)
    return ws, ws.recv()


def drawn_until(ws: RawWS, seq: int, timeout: float = 10) -> list[dict[str, Any]]:
    """Everything stored that arrives until the change numbered `seq` is back."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in ws.recv(max(0.1, deadline - time.monotonic())):
            if "seq" in msg and msg["type"] in ("draw", "append", "erase"):
                got.append(msg)
                if msg["seq"] >= seq:
                    return got
    raise AssertionError(f"seq {seq} never came back; got {[m['seq'] for m in got]}")


def catch_up(ws: RawWS, first: list[dict[str, Any]], timeout: float = 5) -> list[dict[str, Any]]:
    """The join's frame: resume or sync, then the changes, until the userlist."""
    msgs = list(first)
    deadline = time.monotonic() + timeout
    while not any(m["type"] == "userlist" for m in msgs) and time.monotonic() < deadline:
        msgs += ws.recv(max(0.1, deadline - time.monotonic()))
    return msgs[:next(i for i, m in enumerate(msgs) if m["type"] == "userlist")]


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_client_resumes_exactly_the_missed_changes_after_a_restart(tmp_path: Path,
                                                                      how: str) -> None:
    data = tmp_path / "data"
    server: ServerProcess = start_server(data)
    try:
        ann, first = joined(server.port, "ann")
        assert first[0]["type"] == "sync"
        for i in range(6):
            ann.send("draw", stroke(f"kept{i}"))
        held = drawn_until(ann, 6)[-1]["seq"]  # what ann's page holds when its Wi-Fi drops
        ann.close()
        bob, _ = joined(server.port, "bob")
        bob.send("draw", stroke("missed1"))
        bob.send("append", {"id": "missed1", "points": [[9, 9], [10, 10]]})
        bob.send("erase", {"ids": ["kept0"]})
        bob.send("draw", stroke("missed2"))
        missed = drawn_until(bob, held + 4)
        bob.close()
        if how == "kill":
            server.kill()  # no snapshot at shutdown: the change log alone covers the gap
        else:
            assert server.stop(signal.SIGTERM) == 0
        server = start_server(data)
        back, first = joined(server.port, "ann", since=held)
        got = catch_up(back, first)
        assert got[0]["type"] == "resume", got[0]
        assert got[0]["data"]["since"] == held and got[0]["data"]["seq"] == held + 4
        assert [(m["type"], m["seq"], m["data"]) for m in got[1:]] == \
            [(m["type"], m["seq"], m["data"]) for m in missed]
        back.close()
        # The same with permessage-deflate offered: the same resume.
        squeezed, first = joined(server.port, "ann", since=held, deflate=True)
        assert [m["seq"] for m in catch_up(squeezed, first)[1:]] == [m["seq"] for m in missed]
        squeezed.close()
        # Up to date: a resume with nothing after it.
        current, first = joined(server.port, "ann", since=held + 4)
        got = catch_up(current, first)
        assert [m["type"] for m in got] == ["resume"]
        current.close()
    finally:
        server.kill()


def test_since_past_the_boards_seq_gets_a_full_sync(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"LANBOARD_STORE": "memory"})
    try:
        ann, _ = joined(server.port, "ann")
        ann.send("draw", stroke("only"))
        seq = drawn_until(ann, 1)[-1]["seq"]
        ann.close()
        for since in (seq + 1, 10**12):  # a board replaced, a cache from another server
            ws, first = joined(server.port, "ann", since=since)
            got = catch_up(ws, first)
            assert got[0]["type"] == "sync", got[0]
            assert [e["id"] for e in got[0]["data"]["elements"]] == ["only"]
            assert got[0]["data"]["seq"] == seq
            ws.close()
        # Not a whole number: refused before any upgrade.
        for bad in ("-1", "abc", "1e5", "9" * 30):
            status, _, body = http_request(server.port, f"/ws/{ROOM}?userId=x&since={bad}")
            assert status == 400 and json.loads(body)["error"] == "bad_since", (bad, body)
    finally:
        server.kill()
