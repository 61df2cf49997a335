"""One LANBoard per data directory: the lock, the instance file, and the hand-off to a running
server. Real files, real OS locks, real server processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from testkit import ServerProcess, attach, browser_script, start_server

from lanboard import cli, instance

pytestmark = pytest.mark.timeout(60)


def launch(data_dir: Path, *args: str, env: dict[str, str] | None = None,
           timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """A second `lanboard` launch on data_dir, as a person double-clicking it would (but with
    mDNS off, on loopback)."""
    cmd = [sys.executable, "-m", "lanboard", "--no-mdns", "--host", "127.0.0.1",
           "--data-dir", str(data_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def health(server: ServerProcess) -> dict[str, object]:
    with urllib.request.urlopen(server.url + "/api/health", timeout=5) as resp:
        body: dict[str, object] = json.loads(resp.read())
        return body


# ---- the lock -------------------------------------------------------------------------------


def test_the_lock_is_exclusive_until_released(tmp_path):
    first = instance.acquire(tmp_path)
    assert first is not None
    assert instance.acquire(tmp_path) is None
    first.release()
    again = instance.acquire(tmp_path)
    assert again is not None
    again.release()


def test_publish_writes_a_private_file_and_release_removes_only_our_own(tmp_path):
    lock = instance.acquire(tmp_path)
    assert lock is not None
    lock.publish("0.0.0.0", 8123)
    info = instance.read_info(tmp_path)
    assert info is not None
    assert (info["port"], info["url"], info["instance"]) == (
        8123, "http://localhost:8123/", instance.INSTANCE_ID)
    assert stat.S_IMODE((tmp_path / instance.INFO_FILE).stat().st_mode) == 0o600
    # Another process's file (a later instance took over) is left alone.
    (tmp_path / instance.INFO_FILE).write_text(json.dumps({**info, "instance": "someone-else"}))
    lock.release()
    assert (tmp_path / instance.INFO_FILE).exists()


def test_a_lock_left_by_a_killed_process_does_not_block_a_start(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from lanboard import instance
        lock = instance.acquire(Path({str(tmp_path)!r}))
        lock.publish("127.0.0.1", 9)
        print("held", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert instance.acquire(tmp_path) is None
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout:
            holder.stdout.close()
    assert (tmp_path / instance.INFO_FILE).exists()  # the crash left its file behind
    assert instance.find_running(tmp_path, wait=0) is None
    lock = instance.acquire(tmp_path)
    assert lock is not None
    lock.release()


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"app": "other", "port": 1}',
                                     '{"app": "lanboard", "port": "8080", "instance": "x"}'])
def test_a_damaged_instance_file_is_ignored(tmp_path, content):
    (tmp_path / instance.INFO_FILE).write_text(content)
    assert instance.read_info(tmp_path) is None
    assert instance.find_running(tmp_path, wait=0) is None


def test_a_live_lanboard_with_another_id_is_not_taken_for_ours(tmp_path):
    """A stale file whose port is now served by a different LANBoard (another data dir)."""
    other = start_server(tmp_path / "other")
    try:
        (tmp_path / "mine").mkdir()
        stale = {"app": "lanboard", "instance": "0123456789abcdef", "pid": 1,
                 "host": "127.0.0.1", "port": other.port, "url": other.url + "/"}
        (tmp_path / "mine" / instance.INFO_FILE).write_text(json.dumps(stale))
        assert instance.find_running(tmp_path / "mine", wait=0) is None
        # The server's own file, with its real id, is found.
        assert instance.find_running(tmp_path / "other", wait=0) == other.url + "/"
    finally:
        other.stop()


def test_open_browser_in_a_bundle_restores_the_system_library_path(monkeypatch, tmp_path):
    script, record = browser_script(tmp_path)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/tmp/_MEI_bundle")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/usr/lib/system")
    monkeypatch.setenv("BROWSER", str(script))
    assert instance.open_browser("http://localhost:1/")
    assert os.environ["LD_LIBRARY_PATH"] == "/usr/lib/system"
    assert record.read_text().split() == ["http://localhost:1/"]


# ---- the CLI: second launch, stale files, clean stop ----------------------------------------


def test_second_launch_opens_the_browser_on_the_running_board_and_exits_0(tmp_path):
    data = tmp_path / "data"
    first = start_server(data)
    try:
        before = instance.read_info(data)
        script, record = browser_script(tmp_path)
        second = launch(data, "--port", "0", env={"BROWSER": str(script)})
        assert second.returncode == 0, second.stderr
        assert f"already running at {first.url}/" in second.stdout
        assert record.read_text().split() == [first.url + "/"]
        # The first is untouched and still serving.
        assert instance.read_info(data) == before
        assert health(first)["instance"] == before["instance"]  # type: ignore[index]
    finally:
        assert first.stop() == 0


def test_second_launch_on_the_first_ones_busy_port_does_not_fail(tmp_path):
    data = tmp_path / "data"
    first = start_server(data)
    try:
        script, record = browser_script(tmp_path)
        second = launch(data, "--port", str(first.port), env={"BROWSER": str(script)})
        assert second.returncode == 0, second.stderr
        assert "busy" not in second.stdout + second.stderr
        assert record.read_text().split() == [first.url + "/"]
    finally:
        first.stop()


def test_second_headless_launch_says_where_and_opens_no_browser(tmp_path):
    data = tmp_path / "data"
    first = start_server(data)
    try:
        script, record = browser_script(tmp_path)
        second = launch(data, "--headless", env={"BROWSER": str(script)})
        assert second.returncode == 0, second.stderr
        assert f"already running at {first.url}/" in second.stdout
        assert not record.exists()
    finally:
        first.stop()


@pytest.mark.parametrize("how", ["other port", "same port", "any port", "variable"])
def test_second_headless_launch_asked_for_a_port_fails_with_2(tmp_path, how):
    """A script that asked for a server on a port must not be told it started one."""
    data = tmp_path / "data"
    first = start_server(data)
    try:
        args, env = {
            "other port": (["--port", str(first.port + 1)], {}),
            "same port": (["--port", str(first.port)], {}),
            "any port": (["--port", "0"], {}),
            "variable": ([], {"LANBOARD_PORT": "8123"}),
        }[how]
        second = launch(data, "--headless", *args, env=env)
        assert second.returncode == 2, second.stdout + second.stderr
        assert second.stdout == ""
        err = second.stderr
        assert err.count("\n") == 1 and err.startswith("lanboard: error: not started on port")
        assert f"already serves {data} at {first.url}/" in err
        assert health(first)["app"] == "lanboard"  # the first is untouched
    finally:
        assert first.stop() == 0


def no_browser_env(tmp_path: Path) -> dict[str, str]:
    """No display and a BROWSER that fails: webbrowser finds nothing it can start."""
    failing = tmp_path / "no-browser.sh"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return {**env, "BROWSER": str(failing), "PYTHONUNBUFFERED": "1"}


def test_a_start_that_cannot_open_a_browser_says_so_with_the_url(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanboard", "--no-mdns", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(tmp_path / "data")], env=no_browser_env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    server = attach(proc, output)
    assert server is not None, output
    try:
        assert server.saw(f"No web browser could be opened here: open {server.url}/ in one")
    finally:
        assert server.stop() == 0


def test_a_hand_off_that_cannot_open_a_browser_says_so(tmp_path):
    data = tmp_path / "data"
    first = start_server(data)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "lanboard", "--no-mdns", "--data-dir", str(data)],
            env=no_browser_env(tmp_path), capture_output=True, text=True, timeout=30)
        assert second.returncode == 0, second.stderr
        assert f"already running at {first.url}/" in second.stdout
        assert f"No web browser could be opened here: open {first.url}/" in second.stdout
    finally:
        first.stop()


def test_clean_stop_removes_the_instance_file(tmp_path):
    data = tmp_path / "data"
    server = start_server(data)
    assert instance.read_info(data) is not None
    assert server.stop(signal.SIGTERM) == 0
    assert not (data / instance.INFO_FILE).exists()


def test_sighup_from_a_closed_terminal_stops_cleanly(tmp_path):
    server = start_server(tmp_path / "data")
    assert server.stop(signal.SIGHUP) == 0
    deadline = time.monotonic() + 5  # the reader thread may still be catching up
    while not any("Stopping" in text for text in server.output):
        assert time.monotonic() < deadline, server.output
        time.sleep(0.05)


def test_a_start_after_a_crash_takes_over_the_stale_files(tmp_path):
    data = tmp_path / "data"
    crashed = start_server(data)
    old = instance.read_info(data)
    crashed.stop(signal.SIGKILL)
    assert instance.read_info(data) == old  # left behind
    fresh = start_server(data)
    try:
        new = instance.read_info(data)
        assert new is not None and old is not None
        assert new["instance"] != old["instance"] and new["port"] == fresh.port
        assert health(fresh)["instance"] == new["instance"]
    finally:
        assert fresh.stop() == 0


def test_a_lock_holder_that_never_answers_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(instance, "HANDOFF_WAIT_SECONDS", 0.5)
    held = instance.acquire(tmp_path)
    assert held is not None
    try:
        code = cli.main(["--headless", "--no-mdns", "--data-dir", str(tmp_path)])
    finally:
        held.release()
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not answer" in err


def test_claim_says_once_what_it_waits_for(tmp_path, monkeypatch):
    monkeypatch.setattr(instance, "WAIT_NOTICE_SECONDS", 0.3)
    held = instance.acquire(tmp_path)
    assert held is not None
    held.publish("127.0.0.1", 9)  # a port nothing answers on: the holder looks frozen
    notices: list[dict[str, object] | None] = []
    try:
        assert instance.claim(tmp_path, wait=1.5, on_wait=notices.append) is None
    finally:
        held.release()
    assert len(notices) == 1
    assert notices[0] is not None and notices[0]["pid"] == os.getpid()


def waiting_launch(tmp_path: Path) -> tuple[instance.Instance, ServerProcess]:
    """A headless launch on a data directory whose holder does not answer, read up to the
    line that says it is waiting."""
    held = instance.acquire(tmp_path)
    assert held is not None
    held.publish("127.0.0.1", 9)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
         "--port", "0", "--data-dir", str(tmp_path)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    waiting = re.compile(r"Another LANBoard \(process (\d+), port 9\) holds .* but does not "
                         r"answer yet; waiting up to 15 s")
    output: list[str] = []
    server = attach(proc, output, pattern=waiting)
    if server is None:
        held.release()
        proc.kill()
        proc.communicate()
        raise AssertionError("no waiting line:\n" + "".join(output))
    assert server.port == os.getpid()  # the pattern's group: the holder's process id
    return held, server


def test_a_launch_waiting_on_a_silent_holder_says_so_and_starts_when_it_lets_go(tmp_path):
    held, server = waiting_launch(tmp_path)
    try:
        held.release()
        assert server.saw("is running at http://127.0.0.1:", timeout=20), server.output
    finally:
        held.release()
        assert server.stop() == 0
        assert server.proc.stderr is not None
        server.proc.stderr.close()


def test_ctrl_c_while_waiting_stops_without_a_traceback(tmp_path):
    held, server = waiting_launch(tmp_path)
    try:
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(10) == 0
        assert server.proc.stderr is not None
        err = server.proc.stderr.read()
        server.proc.stderr.close()
    finally:
        held.release()
        server.release()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err == "lanboard: stopped before the server started\n"


def test_a_launch_while_the_last_one_is_still_stopping_takes_over(tmp_path):
    """Closing the window and double-clicking again at once: the old process still holds the
    lock for a moment and no longer answers. The new launch waits for it, then starts."""
    held = instance.acquire(tmp_path)
    assert held is not None
    timer = threading.Timer(1.0, held.release)
    timer.start()
    try:
        server = start_server(tmp_path)
    finally:
        timer.join()
    try:
        assert not any("already running" in text for text in server.output)
        info = instance.read_info(tmp_path)
        assert info is not None and info["port"] == server.port
    finally:
        assert server.stop() == 0
