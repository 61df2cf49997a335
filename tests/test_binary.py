"""The real one-file executable: built once per session with packaging/build.py, then run the
way people run it. mDNS stays off (--no-mdns) so nothing multicasts on this machine's
interfaces; everything else is the shipped binary, unchanged."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import ServerProcess, attach, browser_script, line, ws_client

ROOT = Path(__file__).resolve().parent.parent
EXE = "lanboard.exe" if sys.platform == "win32" else "lanboard"
READY = re.compile(r"is running at (http://[^\s]+:(\d+)/)")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build dist/lanboard once for this module, exactly as a release build does."""
    pytest.importorskip("PyInstaller", reason="the build extra is not installed "
                        "(pip install -e '.[build]')")
    out = tmp_path_factory.mktemp("binary")
    build = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"),
         "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True, text=True, timeout=280)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    exe = out / "dist" / EXE
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe


@pytest.fixture
def run_binary(binary: Path, tmp_path: Path) -> Iterator[object]:
    """`run_binary(*args, env=...)` starts the binary and waits for its "running at" line."""
    started: list[ServerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServerProcess:
        # A session of its own: the one-file bootloader runs LANBoard as its child, and
        # cleanup must reach both.
        proc = subprocess.Popen([str(binary), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True,
                                env={**os.environ, **(env or {})})
        output: list[str] = []
        server = attach(proc, output, pattern=READY, group=2, timeout=30)
        if server is not None:
            started.append(server)
            return server
        kill_group(proc)
        proc.stdout.close()
        raise AssertionError("the binary did not start:\n" + "".join(output))

    yield start
    for s in started:
        kill_group(s.proc)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the bootloader and LANBoard under it, as a crash or a power cut would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def headless(data_dir: Path) -> tuple[str, ...]:
    return ("--headless", "--no-mdns", "--host", "127.0.0.1", "--port", "0",
            "--data-dir", str(data_dir))


def wait_for_file(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def said(server: ServerProcess, text: str, timeout: float = 5) -> bool:
    """Whether the output has `text`, waiting for the reader thread to catch up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in chunk for chunk in list(server.output)):
            return True
        time.sleep(0.05)
    return False


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


async def test_headless_binary_serves_pages_icons_and_live_boards(run_binary, tmp_path):
    server = run_binary(*headless(tmp_path / "data"))
    status, ctype, body = get(server.url + "/")
    assert status == 200 and ctype.startswith("text/html") and b"<html" in body.lower()
    assert get(server.url + "/room/demo")[0] == 200
    # Icons and the manifest come from the bundle's icons/ folder.
    status, ctype, ico = get(server.url + "/favicon.ico")
    assert status == 200 and ico[:4] == b"\x00\x00\x01\x00"
    manifest = json.loads(get(server.url + "/manifest.webmanifest")[2])
    for icon in manifest["icons"]:
        assert get(server.url + icon["src"])[0] == 200

    ann = await ws_client(server.url + "/ws/demo", userId="ann")
    sync = await ann.recv_type("sync")
    assert sync["data"]["elements"] == []
    ann.send("draw", line("L1"))
    ack = await ann.recv_type("ack")
    assert ack["data"]["id"] == "L1"
    bob = await ws_client(server.url + "/ws/demo", userId="bob")
    late = await bob.recv_type("sync")
    assert [e["id"] for e in late["data"]["elements"]] == ["L1"]
    bob.send("draw", line("L2", x1=50))
    relayed = await ann.recv_type("draw")
    assert relayed["data"]["id"] == "L2" and relayed["userId"] == "bob"
    ann.close()
    bob.close()
    assert server.stop(signal.SIGTERM) == 0


async def test_sigterm_stops_the_binary_cleanly_and_the_board_is_kept(run_binary, tmp_path):
    data = tmp_path / "data"
    first = run_binary(*headless(data))
    ann = await ws_client(first.url + "/ws/kept", userId="ann")
    await ann.recv_type("sync")
    ann.send("draw", line("K1"))
    await ann.recv_type("ack")
    started = time.monotonic()
    assert first.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    assert said(first, "Stopping")
    assert not (data / "instance.json").exists()
    ann.close()

    again = run_binary(*headless(data))
    bob = await ws_client(again.url + "/ws/kept", userId="bob")
    sync = await bob.recv_type("sync")
    assert [e["id"] for e in sync["data"]["elements"]] == ["K1"]
    bob.close()
    assert again.stop(signal.SIGINT) == 0


def test_a_double_click_start_serves_on_8080_or_next_and_opens_the_browser(run_binary,
                                                                            tmp_path):
    """No flags but --no-mdns and a temp data dir: the double-click path."""
    script, record = browser_script(tmp_path)
    server = run_binary("--no-mdns", "--data-dir", str(tmp_path / "data"),
                        env={"BROWSER": str(script)})
    assert 8080 <= server.port < 8100
    opened = wait_for_file(record).split()
    assert opened == [f"http://localhost:{server.port}/"]
    assert get(opened[0])[0] == 200
    # Closing the terminal window a double-click opened sends SIGHUP: a clean stop too.
    assert server.stop(signal.SIGHUP) == 0
    assert said(server, "Stopping")
    assert not (tmp_path / "data" / "instance.json").exists()


def test_a_second_binary_launch_opens_the_running_board_and_exits_0(run_binary, binary,
                                                                    tmp_path):
    data = tmp_path / "data"
    first = run_binary(*headless(data))
    script, record = browser_script(tmp_path)
    second = subprocess.run([str(binary), "--no-mdns", "--host", "127.0.0.1",
                             "--data-dir", str(data)],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "BROWSER": str(script)})
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"already running at {first.url}/" in second.stdout
    assert record.read_text().split() == [first.url + "/"]
    assert get(first.url + "/api/health")[0] == 200
    assert first.stop() == 0


def test_a_killed_binary_leaves_nothing_that_blocks_the_next_start(run_binary, tmp_path):
    data = tmp_path / "data"
    crashed = run_binary(*headless(data))
    kill_group(crashed.proc)
    assert (data / "instance.json").exists()
    fresh = run_binary(*headless(data))
    assert get(fresh.url + "/api/health")[0] == 200
    assert fresh.stop() == 0
