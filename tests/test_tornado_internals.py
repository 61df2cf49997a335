"""Tornado's private internals stay in lanboard/tornado_internals.py, are checked at start,
and fall back to Tornado's stock reader with a warning; the protocol, flood and fuzz tests run
against the oldest and the newest Tornado supported (`tornado>=6.4,<7`)."""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.iostream
from testkit import line, pair, still_works
from tornado.websocket import WebSocketProtocol13

from lanboard import tornado_internals

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_MODULE = "tornado_internals.py"


def underscored_uses(path: Path) -> list[str]:
    """Underscored names this module takes from elsewhere: `from x import _y`, and `a._y`
    where `_y` is not defined (assigned, def'd or a slot) in this module itself."""
    tree = ast.parse(path.read_text())
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            own.add(node.value)  # __slots__ entries
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tornado"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if name.startswith("_") and not name.startswith("__") and name not in own:
                found.append(f"line {node.lineno}: .{name}")
    return found


def test_no_module_but_tornado_internals_touches_a_private_tornado_name():
    offenders = {}
    for path in sorted((ROOT / "lanboard").glob("*.py")):
        if path.name == PRIVATE_MODULE or "tornado" not in path.read_text():
            continue
        uses = underscored_uses(path)
        if uses:
            offenders[path.name] = uses
    assert offenders == {}


def test_every_needed_name_exists_in_this_tornado():
    assert tornado_internals.missing() == []
    assert tornado_internals.check() is True


@pytest.fixture
def without_add_io_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Tornado that renamed one internal the fast reader needs."""
    monkeypatch.delattr(tornado.iostream.BaseIOStream, "_add_io_state")
    yield
    monkeypatch.undo()
    tornado_internals.check()


def test_a_missing_internal_is_named_in_a_warning(without_add_io_state, caplog):
    tornado_internals._checked = False
    with caplog.at_level(logging.WARNING, logger="lanboard.tornado_internals"):
        assert tornado_internals.check() is False
    (record,) = [r for r in caplog.records if r.name == "lanboard.tornado_internals"]
    assert "IOStream._add_io_state" in record.getMessage()
    assert "stock" in record.getMessage()


async def test_boards_work_on_tornados_stock_reader(connect, hub, monkeypatch):
    monkeypatch.setattr(tornado_internals, "missing", lambda: ["IOStream._connecting"])
    assert tornado_internals.check() is False
    try:
        ann, bob = await pair(connect, "stock", v=2)
        ws = hub.rooms["stock"].peers[0].transport.ws_connection
        assert type(ws) is WebSocketProtocol13  # Tornado's own, not the fast reader
        ann.send("draw", line("x"))
        assert (await bob.recv_type("draw"))["data"]["id"] == "x"
        await still_works(ann, bob)
        assert hub.rooms["stock"].peers[0].transport.backlog() == 0
    finally:
        monkeypatch.undo()
        tornado_internals.check()


def test_the_fast_reader_is_used_when_everything_is_there(hub):
    assert tornado_internals.check() is True
    assert tornado_internals.FAST


# ---- the oldest and newest Tornado in the pin ----------------------------------------------

#: The protocol, flood and fuzz tests (the fuzz tests' hypothesis runs are capped by their
#: own settings).
SUITE = ["tests/test_wsreader.py", "tests/test_close_frames.py", "tests/test_bad_input.py",
         "tests/test_flood.py", "tests/test_http_fuzz.py", "tests/test_tornado_internals.py"]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("spec", ["tornado==6.4.*", "tornado>=6.4,<7"],
                         ids=["oldest", "newest"])
def test_the_protocol_flood_and_fuzz_tests_pass_on(spec, tmp_path_factory):
    target = tmp_path_factory.mktemp("tornado")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--disable-pip-version-check", "--target", str(target), spec],
                         capture_output=True, text=True, timeout=180)
    if pip.returncode != 0:
        pytest.skip(f"cannot install {spec} (offline?): {pip.stderr[-300:]}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    version = subprocess.run([sys.executable, "-c", "import tornado; print(tornado.version)"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "-k", "not test_the_protocol_flood_and_fuzz_tests_pass_on", *SUITE],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    print(f"\ntornado {version}: {run.stdout.strip().splitlines()[-1]}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
