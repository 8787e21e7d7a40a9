"""Where the store lives: the data folder and the database file's name in it.

Apart from :mod:`qadesk.store.engine` so that :mod:`qadesk.store.crypto` (which the engine opens an
encrypted store with) can find the file without importing the engine back.
"""

from __future__ import annotations

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
