"""House rules that a test can enforce: lint, types, and a domain free of I/O frameworks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ["protocol.py", "elements.py", "kinds.py", "errors.py", "room.py", "hub.py", "peer.py",
          "keys.py", "store.py", "limits.py", "guard.py", "svg.py", "drawing.py", "timeline.py",
          "fields.py"]
FRAMEWORKS = {"tornado", "zeroconf", "platformdirs", "sqlite3", "segno", "ifaddr"}


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_import_no_framework(module):
    tree = ast.parse((ROOT / "lanboard" / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FRAMEWORKS, f"{module} imports {imported & FRAMEWORKS}"


def test_ruff_passes():
    # Through this Python, so a venv that is not on PATH (tools/test.sh's) still runs it.
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "lanboard", "tests",
                          "benchmarks", "packaging"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_passes():
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
