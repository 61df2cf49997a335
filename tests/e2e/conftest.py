"""Browser fixtures: one real LANBoard server subprocess and one headless Chromium per module.

Chromium is Debian's /usr/bin/chromium driven through Playwright's Python API (never
`playwright install`, which needs the internet). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from board_page import DESKTOP

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("LANBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
READY = re.compile(r"is running at http://127\.0\.0\.1:(\d+)/")


class BoardServer:
    """`python -m lanboard` on a free loopback port, with its output collected."""

    def __init__(self, data_dir: Path) -> None:
        cmd = [sys.executable, "-m", "lanboard", "--headless", "--no-mdns", "--host",
               "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.output: list[str] = []
        self.port = 0
        assert self.proc.stdout is not None
        for _ in range(200):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            m = READY.search(line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port:
            self.stop()
            raise AssertionError("server did not start:\n" + "".join(self.output))
        self.pump = threading.Thread(target=self._drain, daemon=True)
        self.pump.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "pump", None) is not None:
            self.pump.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture(scope="module")
def board_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoardServer]:
    server = BoardServer(tmp_path_factory.mktemp("boards"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """`new_context(**options)`: a fresh browser context (DESKTOP unless a viewport is
    given), closed when the test ends, however it ends."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", DESKTOP)
        made.append(browser.new_context(**options))
        return made[-1]

    yield make
    for context in made:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
