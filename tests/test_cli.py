"""The CLI as a function (settings, bad values) and as a real subprocess."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from testkit import start_server

from lanboard.cli import UsageError, log_level, main, parse_settings


def test_defaults():
    s = parse_settings([], {})
    assert (s.host, s.port, s.headless, s.mdns, s.data_dir, s.name) == (
        "0.0.0.0", 8080, False, True, None, None)


def test_environment_twins_and_flags_win():
    env = {"LANBOARD_HOST": "127.0.0.1", "LANBOARD_PORT": "9000", "LANBOARD_HEADLESS": "1",
           "LANBOARD_DATA_DIR": "/tmp/lb", "LANBOARD_NAME": "Room 12", "LANBOARD_NO_MDNS": "yes"}
    s = parse_settings([], env)
    assert (s.host, s.port, s.headless, s.mdns, s.data_dir, s.name) == (
        "127.0.0.1", 9000, True, False, Path("/tmp/lb"), "Room 12")
    s = parse_settings(["--port", "9001", "--name", "Lab"], env)
    assert (s.port, s.name) == (9001, "Lab")


@pytest.mark.parametrize("argv, env", [
    (["--port", "abc"], {}),
    (["--port", "70000"], {}),
    (["--bogus"], {}),
    ([], {"LANBOARD_PORT": "x"}),
    ([], {"LANBOARD_HEADLESS": "maybe"}),
    (["--name", ""], {}),
    ([], {"LANBOARD_LOG_LEVEL": "verbose"}),
    ([], {"LANBOARD_LOG_LEVEL": "20"}),
    ([], {"LANBOARD_PER_ADDRESS": "0"}),
    ([], {"LANBOARD_PER_ADDRESS": "many"}),
    ([], {"LANBOARD_PER_ADDRESS": "-3"}),
    ([], {"LANBOARD_PER_ADDRESS": "5001"}),
])
def test_bad_values_raise_usage_errors(argv, env):
    with pytest.raises(UsageError):
        parse_settings(argv, env)


def test_the_people_one_address_may_bring_is_a_setting():
    assert parse_settings([], {}).per_address == 32
    assert parse_settings([], {"LANBOARD_PER_ADDRESS": " 400 "}).per_address == 400


@pytest.mark.parametrize("value, level", [("", logging.INFO), ("debug", logging.DEBUG),
                                          ("WARNING", logging.WARNING), (" error ", logging.ERROR)])
def test_log_levels_in_any_case_are_accepted(value, level):
    parse_settings([], {"LANBOARD_LOG_LEVEL": value})
    assert log_level({"LANBOARD_LOG_LEVEL": value}) == level


def test_a_bad_log_level_is_one_line_exit_2_naming_the_variable():
    out = subprocess.run([sys.executable, "-m", "lanboard", "--headless"], capture_output=True,
                         text=True, timeout=30, env={**os.environ, "LANBOARD_LOG_LEVEL": "verbose"})
    assert out.returncode == 2
    assert out.stderr == ("lanboard: error: LANBOARD_LOG_LEVEL must be one of debug, info, "
                          "warning, error, critical, not 'verbose'\n")


def test_ctrl_c_while_the_server_modules_load_is_a_quiet_stop(tmp_path):
    """Ctrl+C in the first moments, while Tornado and the rest are imported: simulated by an
    import hook that raises KeyboardInterrupt when tornado is first imported."""
    script = textwrap.dedent("""
        import sys

        class CtrlC:
            def find_spec(self, name, path=None, target=None):
                if name == "tornado":
                    raise KeyboardInterrupt
                return None

        sys.meta_path.insert(0, CtrlC())
        from lanboard.cli import main
        raise SystemExit(main(sys.argv[1:]))
    """)
    out = subprocess.run([sys.executable, "-c", script, "--headless", "--no-mdns", "--port", "0",
                          "--data-dir", str(tmp_path)], capture_output=True, text=True,
                         timeout=30)
    assert "Traceback" not in out.stderr and "KeyboardInterrupt" not in out.stderr
    assert (out.returncode, out.stderr) == (0, "lanboard: stopped before the server started\n")


def test_importing_the_cli_loads_no_server_module():
    """What `lanboard` imports before main() runs is outside main's Ctrl+C guard: keep it to
    the settings."""
    out = subprocess.run([sys.executable, "-c", "import sys, lanboard.cli; print(sorted(m for m "
                          "in sys.modules if m.split('.')[0] in ('lanboard', 'tornado', "
                          "'zeroconf', 'asyncio', 'platformdirs')))"],
                         capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "['lanboard', 'lanboard.cli', 'lanboard.limits', " \
                                 "'lanboard.settings']"


def test_main_prints_one_line_and_exits_2_on_a_bad_flag(capsys):
    assert main(["--port", "-5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lanboard: error:")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lanboard", *args], capture_output=True,
                          text=True, timeout=30)


def test_help_and_version_as_a_subprocess():
    out = run("--help")
    assert out.returncode == 0
    for flag in ("--host", "--port", "--headless", "--data-dir", "--name", "--no-mdns"):
        assert flag in out.stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("lanboard ")


def test_bad_port_as_a_subprocess_is_one_line_exit_2():
    out = run("--port", "99999")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "port" in out.stderr


def test_unusable_host_is_one_line_exit_2(tmp_path):
    out = run("--headless", "--no-mdns", "--host", "203.0.113.77", "--port", "0",
              "--data-dir", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "cannot listen" in out.stderr


def test_scripted_start_serves_and_sigterm_stops_cleanly_within_5_s(tmp_path):
    server = start_server(tmp_path / "d")
    with urllib.request.urlopen(server.url + "/", timeout=5) as resp:
        assert resp.status == 200
    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    assert any("Stopping" in line for line in server.output)


def test_sigint_stops_cleanly(tmp_path):
    server = start_server(tmp_path / "d")
    assert server.stop(signal.SIGINT) == 0


def test_busy_port_takes_the_next_free_one_and_says_so(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        lines = []
        for _ in range(20):
            lines.append(proc.stdout.readline())
            if "is running at" in lines[-1]:
                break
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        proc.stdout.close()
    finally:
        busy.close()
    text = "".join(lines)
    assert f"Port {port} is busy" in text
    running = next(t for t in lines if "is running at" in t)
    assert f":{port}/" not in running and "http://127.0.0.1:" in running
