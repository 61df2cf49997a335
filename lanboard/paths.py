"""Where LANBoard's bundled files are, resolved in one place for every way it can run."""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The folder `name` (static or icons) for this install.

    - A PyInstaller bundle unpacks it under sys._MEIPASS.
    - An installed wheel carries it inside the package (lanboard/static).
    - A source checkout keeps it at the top level, beside the package.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen) / name] if frozen else []
    candidates += [_PACKAGE / name, _PACKAGE.parent / name]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"LANBoard's {name}/ folder is missing from this install")


def static_dir() -> Path:
    return bundled("static")
