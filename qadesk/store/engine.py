"""Opening the store: where it lives, the engine, SQLite pragmas, migrations, backup.

Durability comes first: WAL, ``synchronous=FULL``, foreign keys, a busy
timeout and in-memory temp storage on *every* connection.  Migrations
(Alembic) run on open, so a store written by an older qadesk opens in a newer
one with every record intact.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from qadesk import APP_ID, ORGANISATION

DB_FILENAME = "qadesk.sqlite"
BUSY_TIMEOUT_MS = 5000


def default_data_dir() -> Path:
    """The user's data folder (platformdirs), unless QADESK_DATA_DIR says otherwise."""
    env = os.environ.get("QADESK_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_ID, ORGANISATION))


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA temp_store=MEMORY")
    finally:
        cur.close()


@dataclass
class Store:
    """An open store: the engine and a session factory."""

    engine: Engine
    url: str
    data_dir: Path | None

    def __post_init__(self) -> None:
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        if self.is_sqlite and self.engine.url.database not in (None, "", ":memory:"):
            return Path(str(self.engine.url.database))
        return None

    def session(self) -> Session:
        return self._factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error."""
        with self._factory() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def backup_to(self, target: Path) -> Path:
        """A consistent copy through SQLite's online backup API (never a file copy)."""
        if not self.is_sqlite:
            raise RuntimeError("backup is for the SQLite store; use the database server's own tools")
        target = Path(target)
        tmp = target.with_name(target.name + ".part")
        tmp.unlink(missing_ok=True)
        raw = self.engine.raw_connection()
        try:
            source = raw.driver_connection
            dest = sqlite3.connect(str(tmp))
            try:
                source.backup(dest)  # type: ignore[union-attr]
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
        finally:
            raw.close()
        os.replace(tmp, target)
        return target


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(data_dir: Path | str | None = None, url: str | None = None, *, migrate: bool = True) -> Store:
    """Open (and create or upgrade) the store.

    ``url`` (or QADESK_DATABASE_URL) points at another database, e.g. PostgreSQL;
    otherwise the SQLite file in ``data_dir`` (or the user's data folder).
    """
    url = url or os.environ.get("QADESK_DATABASE_URL") or None
    folder: Path | None = None
    if url is None:
        folder = Path(data_dir) if data_dir is not None else default_data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / DB_FILENAME}"
    engine = make_engine(url)
    store = Store(engine=engine, url=url, data_dir=folder)
    if migrate:
        from qadesk.store.migrate import upgrade

        upgrade(engine)
    return store


def restore_from(backup: Path, data_dir: Path) -> Path:
    """Replace the store in ``data_dir`` with a backup (the old one kept beside it)."""
    backup = Path(backup)
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        check.execute("SELECT count(*) FROM audits").fetchone()
    finally:
        check.close()
    if ok != "ok":
        raise ValueError(f"{backup} is damaged: {ok}")
    target = Path(data_dir) / DB_FILENAME
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    if target.exists():
        os.replace(target, target.with_name(target.name + ".before-restore"))
    dest = sqlite3.connect(str(target))
    src = sqlite3.connect(str(backup))
    try:
        src.backup(dest)
    finally:
        src.close()
        dest.close()
    return target


def integrity_check(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("PRAGMA integrity_check")).scalar())
