"""Build the one-file LANBoard executable with PyInstaller.

    pip install '.[build]'
    python packaging/build.py            # -> dist/lanboard (dist/lanboard.exe on Windows)
    python packaging/build.py --dist DIR --work DIR

Every PyInstaller option lives here, so a build by hand, the tests and the release workflow all
make the same binary. Build each operating system on itself: PyInstaller does not cross-build,
and a Linux binary needs a glibc at least as new as the build machine's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "lanboard"

#: Standard-library and build-time packages LANBoard never imports at run time. PyInstaller
#: would otherwise follow optional imports into them and grow the binary.
EXCLUDES = (
    # Not unittest: fpdf2 (the PDF handout) imports unittest.mock at import time.
    "tkinter", "pydoc", "pydoc_data", "doctest", "lib2to3", "idlelib",
    "PyInstaller", "pytest", "_pytest", "hypothesis", "playwright", "mypy",
    "tornado.test", "tornado.testing", "sqlite3.test", "setuptools", "pkg_resources", "pip",
    # Optional imports (tornado.log's colours, shutil's archive formats) whose shared
    # libraries the one-file bootloader would otherwise unpack on every start.
    "curses", "_curses", "readline", "lzma", "_lzma", "bz2", "_bz2",
)


def icon_args() -> list[str]:
    """The executable's icon. Only a Windows .exe shows it; macOS uses the .icns for a .app
    bundle only, and Linux executables have none."""
    if sys.platform == "win32":
        return ["--icon", str(ROOT / "icons" / "lanboard.ico")]
    if sys.platform == "darwin":
        return ["--icon", str(ROOT / "icons" / "lanboard.icns")]
    return []


def pyinstaller_args(dist: Path, work: Path) -> list[str]:
    sep = os.pathsep  # PyInstaller's SOURCE<sep>DEST separator
    args = [
        str(ROOT / "packaging" / "entry.py"),
        "--name", NAME,
        "--onefile",
        "--console",  # the window that shows the URL and stops the board when closed
        "--noconfirm",
        "--clean",
        "--log-level", "WARN",
        "--distpath", str(dist),
        "--workpath", str(work),
        "--specpath", str(work),
        "--paths", str(ROOT),
        "--add-data", f"{ROOT / 'static'}{sep}static",
        # The favicon, PNGs and source SVG; the .icns is only the macOS executable's icon.
        "--add-data", f"{ROOT / 'icons' / '*.png'}{sep}icons",
        "--add-data", f"{ROOT / 'icons' / 'lanboard.ico'}{sep}icons",
        "--add-data", f"{ROOT / 'icons' / 'lanboard.svg'}{sep}icons",
        # zeroconf ships most modules compiled (Cython); PyInstaller cannot read the imports
        # inside a compiled module, so collect the whole package rather than trust analysis.
        "--collect-submodules", "zeroconf",
        # fpdf2 (the PDF handout) reads its colour profile as package data.
        "--collect-data", "fpdf",
        # PDF worksheets: pypdfium2 loads PDFium (libpdfium, a shared library in its wheel)
        # and reads its version files at import; Pillow encodes the pages and lets fpdf2
        # embed images in the handout.
        "--collect-binaries", "pypdfium2_raw",
        "--collect-data", "pypdfium2_raw",
        "--collect-data", "pypdfium2",
        *icon_args(),
    ]
    if sys.platform.startswith("linux"):
        args.append("--strip")  # drop debug symbols from bundled shared libraries
    for name in EXCLUDES:
        args += ["--exclude-module", name]
    return args


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the one-file LANBoard executable.")
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (dist/)")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                   help="PyInstaller's scratch folder (build/pyinstaller/)")
    args = p.parse_args(argv)

    if not (ROOT / "icons" / "lanboard.ico").exists():
        subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py")], check=True)
    cmd = [sys.executable, "-m", "PyInstaller", *pyinstaller_args(args.dist.resolve(),
                                                                  args.work.resolve())]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        print("build.py: PyInstaller failed", file=sys.stderr)
        return result.returncode
    exe = args.dist.resolve() / (NAME + (".exe" if sys.platform == "win32" else ""))
    print(f"built {exe} ({exe.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
