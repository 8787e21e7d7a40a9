"""Noticing commits made by anyone: another connection, another process, the command line.

:class:`StoreWatch` answers "has anything been committed since I last
asked?" cheaply enough to ask twice a second.  On SQLite it keeps one
connection of its own and reads ``PRAGMA data_version``, which changes when
any *other* connection commits (this process's included); with SQLCipher the
connection is keyed like every other.  Another database has no such pragma:
the watch then always says "maybe", and the caller's read of the newest
history entries (by their primary key) is the check.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine


class Watched(Protocol):
    """What the watch needs of a store (qadesk.store.engine.Store, which makes the watch)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def is_sqlite(self) -> bool: ...


class StoreWatch:
    """One store's commit detector; :meth:`close` it when done (the store closes it too)."""

    def __init__(self, store: Watched) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._conn: Any = None
        self._engine: Engine | None = None
        self._version: int | None = None

    def changed(self) -> bool:
        """True when something may have been committed since the last call (False on the first)."""
        if not self._store.is_sqlite:
            return True
        with self._lock:
            fresh = self._conn is None or self._engine is not self._store.engine
            if fresh:
                self._disconnect()
                raw = self._store.engine.raw_connection()
                self._conn = raw.driver_connection
                raw.detach()  # its own connection, out of the pool: data_version is counted per connection
                self._engine = self._store.engine
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            changed = self._version is not None and (fresh or version != self._version)
            self._version = version
            return changed

    def close(self) -> None:
        """Let go of the connection (before the file is rekeyed or the store closed)."""
        with self._lock:
            self._disconnect()

    def _disconnect(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()
