"""Where the store lives: the data folder and the database file's name in it.

Apart from :mod:`qadesk.store.engine` so that :mod:`qadesk.store.crypto` (which the engine opens an
encrypted store with) can find the file without importing the engine back.
"""

from __future__ import annotations

import contextlib
import os
import stat
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
    """Make ``folder`` (and any missing parents) and let only its owner in.

    A folder that exists already loses what others could do in it, and gains nothing: one its owner
    made read-only stays read-only (and qadesk says it cannot write there)."""
    existed = folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _chmod(folder, PRIVATE_DIR, only_remove=existed)
    return folder


def private_file(path: Path) -> Path:
    """Create ``path`` empty if it is missing, and let only its owner read or write it either way.

    Made before SQLite (or anything else) opens it, so the file is never readable by others, even for
    the moment between its creation and a chmod.  An existing file loses what others could do with
    it and gains nothing."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        created = True
    except FileExistsError:
        fd = os.open(path, os.O_WRONLY)
        created = False
    os.close(fd)
    _chmod(path, PRIVATE_FILE, only_remove=not created)
    return path


def keep_private(path: Path) -> None:
    """An existing file (made by an older copy of qadesk, or by a library) is made its owner's alone."""
    if path.exists():
        _chmod(path, PRIVATE_FILE, only_remove=True)


def _chmod(path: Path, mode: int, *, only_remove: bool = False) -> None:
    if os.name == "nt":  # Windows has no such bits; the user's profile folders are private already
        return
    with contextlib.suppress(OSError):  # a folder on a share that refuses it: nothing better can be done
        if only_remove:
            current = stat.S_IMODE(os.stat(path).st_mode)
            if current & ~mode:
                os.chmod(path, current & mode)
            return
        os.chmod(path, mode)
