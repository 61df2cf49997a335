"""Runs the browser's pure JS modules' unit tests (scene, protocol, history, export) with
`node --test`, so CI runs them with the rest of the suite."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.timeout(60)
def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JS unit tests in tests/js need Node.js 18+")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout.strip()
    if int(version.lstrip("v").split(".")[0] or 0) < 18:
        pytest.skip(f"node {version} has no test runner: the JS unit tests need Node.js 18+")
    files = sorted(str(p) for p in HERE.glob("*.test.mjs"))
    assert files, "no JS test files found"
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True,
                            timeout=50, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
