"""The packages a release publishes: the sdist, the wheel built from it as `python -m build`
does, their metadata and contents, and the wheel installed outside the checkout serving the
pages."""

from __future__ import annotations

import email
import email.message
import os
import re
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest
from testkit import READY

import lanboard

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): the sdist built from the checkout, the wheel from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=500)
    if build.returncode != 0 and "Could not find a version" in build.stdout + build.stderr:
        pytest.skip("the build backend (hatchling) cannot be fetched here")
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (sdist,) = out.glob("lanboard-*.tar.gz")
    (wheel,) = out.glob("lanboard-*.whl")
    return sdist, wheel


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(z.read(name))


def test_the_wheels_metadata_is_complete(dist):
    meta = wheel_metadata(dist[1])
    assert meta["Name"] == "lanboard"
    assert meta["Version"] == lanboard.__version__
    assert meta["Summary"].startswith("A real-time collaborative whiteboard")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.10"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    classifiers = meta.get_all("Classifier")
    for wanted in ("Programming Language :: Python :: 3.10",
                   "Programming Language :: Python :: 3.13", "Operating System :: POSIX :: Linux",
                   "Operating System :: MacOS", "Operating System :: Microsoft :: Windows"):
        assert wanted in classifiers
    # PEP 639: with a License-Expression, license classifiers are not allowed.
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert meta.get_payload().strip() == readme.strip()
    requires = meta.get_all("Requires-Dist")
    assert any(r.startswith("tornado") for r in requires)
    # `redis`: the shared store for many processes (`pip install 'lanboard[redis]'`).
    assert set(meta.get_all("Provides-Extra")) == {"test", "build", "redis"}
    assert any(r.startswith("redis") and "extra ==" in r
               and r.rstrip().endswith(("'redis'", '"redis"')) for r in requires)


def test_the_wheel_carries_the_app_its_pages_its_license_and_the_command(dist):
    with zipfile.ZipFile(dist[1]) as z:
        names = z.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = z.read(entry_points).decode()
    for wanted in ("lanboard/cli.py", "lanboard/__main__.py", "lanboard/static/index.html",
                   "lanboard/icons/lanboard.svg"):
        assert wanted in names, wanted
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "lanboard = lanboard.cli:main" in scripts
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", ".venv"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_sdist_holds_what_a_wheel_and_the_tests_are_built_from(dist):
    sdist = dist[0]
    with tarfile.open(sdist) as t:
        top = f"lanboard-{lanboard.__version__}/"
        names = {n.removeprefix(top) for n in t.getnames()}
        info = t.extractfile(top + "PKG-INFO")
        assert info is not None
        meta = email.message_from_bytes(info.read())
    for wanted in ("pyproject.toml", "README.md", "LICENSE", "ARCHITECTURE.md",
                   "lanboard/cli.py", "static/index.html", "icons/lanboard.svg",
                   "tests/test_cli.py", "docs/lanboard.service", "packaging/build.py"):
        assert wanted in names, wanted
    assert not [n for n in names if n.startswith((".venv", ".git/", "test-artifacts", "dist/"))]
    assert meta["License-Expression"] == "MIT" and meta["Version"] == lanboard.__version__


def test_the_readme_links_in_the_description_point_at_files_that_exist(dist):
    """PyPI shows the README: its relative links must name files the project has."""
    description = wheel_metadata(dist[1]).get_payload()
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", description)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link


def test_wheel_installed_elsewhere_serves_the_pages(dist, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(dist[1])], check=True, timeout=120)
    assert (target / "lanboard" / "static" / "index.html").is_file()
    assert (target / "lanboard" / "icons").is_dir()
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONUNBUFFERED": "1"}
    where = subprocess.run([sys.executable, "-c", "import lanboard.paths as p; "
                            "print(p.static_dir())"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)
    assert where.stdout.strip() == str(target / "lanboard" / "static")
    proc = subprocess.Popen([sys.executable, "-m", "lanboard", "--headless", "--no-mdns",
                             "--host", "127.0.0.1", "--port", "0", "--data-dir",
                             str(tmp_path / "data")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        port = None
        for _ in range(50):
            m = READY.search(proc.stdout.readline())
            if m:
                port = int(m.group(1))
                break
        assert port, "the installed server did not start"
        for path in ("/", "/room/abc", "/static/index.html"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
                assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
