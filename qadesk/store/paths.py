"""Where the store lives: the data folder and the database file's name in it.

Apart from :mod:`qadesk.store.engine` so that :mod:`qadesk.store.crypto` (which the engine opens an
encrypted store with) can find the file without importing the engine back.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from qadesk import APP_ID, ORGANISATION

DB_FILENAME = "qadesk.sqlite"


def default_data_dir() -> Path:
    """The user's data folder (platformdirs), unless QADESK_DATA_DIR says otherwise."""
    env = os.environ.get("QADESK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_ID, ORGANISATION))


# Everything qadesk keeps about children's cases (the store, its WAL, backups, key files, the log, the
# settings) is its owner's alone: files 0600, their folders 0700. SQLite gives the -wal and -shm files
# the database file's own permissions, so creating the database file private is enough for those.
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(folder: Path) -> Path:
    """Make ``folder`` (and any missing parents) and let only its owner in."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _chmod(folder, PRIVATE_DIR)
    return folder


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it is missing, and let only its owner read or write it either way.

    Made before SQLite (or anything else) opens it, so the file is never readable by others, even for
    the moment between its creation and a chmod."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
    os.close(fd)
    _chmod(path, PRIVATE_FILE)
    return path


def keep_private(path: Path) -> None:
    """An existing file (made by an older copy of qadesk, or by a library) is made its owner's alone."""
    if path.exists():
        _chmod(path, PRIVATE_FILE)


def _chmod(path: Path, mode: int) -> None:
    if os.name == "nt":  # Windows has no such bits; the user's profile folders are private already
        return
    with contextlib.suppress(OSError):  # a folder on a share that refuses it: nothing better can be done
        os.chmod(path, mode)
