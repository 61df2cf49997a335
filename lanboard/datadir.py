"""The data directory: where boards, the instance lock and history live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from lanboard.settings import Settings


class DataDirError(Exception):
    """The data directory cannot be used; the message is one line for a person."""


def resolve(settings: Settings) -> Path:
    """--data-dir or LANBOARD_DATA_DIR when given, else the platform's user data directory."""
    if settings.data_dir is not None:
        return settings.data_dir.expanduser().resolve()
    return Path(platformdirs.user_data_dir("lanboard", appauthor=False))


def prepare(path: Path) -> Path:
    """Create the folder (mode 0700) if needed and check that it is writable."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DataDirError(f"cannot create data directory {path}: {exc.strerror}") from None
    if not path.is_dir():
        raise DataDirError(f"data directory {path} is not a folder")
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"data directory {path} is not writable")
    return path
