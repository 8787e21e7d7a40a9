"""Opening the store: where it lives, the engine, SQLite pragmas, migrations, backup.

Durability comes first: WAL, ``synchronous=FULL``, foreign keys, a busy
timeout and in-memory temp storage on *every* connection.  Migrations
(Alembic) run on open, so a store written by an older qadesk opens in a newer
one with every record intact.

With a passphrase the SQLite file is encrypted with SQLCipher (see
:mod:`qadesk.store.crypto`): the raw key goes to each new connection first,
then the same pragmas as for a plain store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, object_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from qadesk.core.errors import StateError, WriteConflict, WrongPassphrase
from qadesk.store.models import Audit
from qadesk.store.paths import (  # DB_FILENAME, default_data_dir re-exported: callers know them here
    DB_FILENAME,
    default_data_dir,
    keep_private,
    private_dir,
    private_file,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import ExceptionContext

    from qadesk.store.crypto import Unlocked
    from qadesk.store.single_writer import StoreUse, WholeStore
    from qadesk.store.watch import StoreWatch

BUSY_TIMEOUT_MS = 5000


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
    cipher: Unlocked | None = field(default=None, repr=False)  # the key, while the store is open
    # This process's use of the store (qadesk.store.single_writer): held while it is open, so that
    # nobody replaces the file under it; None for a database server.
    use: StoreUse | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._watches: list[StoreWatch] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def path(self) -> Path | None:
        if self.is_sqlite and self.engine.url.database not in (None, "", ":memory:"):
            return Path(str(self.engine.url.database))
        return None

    @property
    def encrypted(self) -> bool:
        return self.cipher is not None

    def check_passphrase(self, passphrase: str) -> bool:
        """True when ``passphrase`` is this open store's passphrase (derives the key; no new connection)."""
        return self.cipher is not None and self.cipher.matches(passphrase)

    def session(self) -> Session:
        return self._factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error: a *write* transaction.

        One writer at a time, for every process: it takes the store's write lock before its first
        read (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction-level advisory lock), so what it
        reads is still what is stored when it writes, and two writers' read-then-write never
        interleave.  Readers (:meth:`session`) are never held up.  A change to an audit whose
        revision moved meanwhile anyway, or a store kept busy by another writer past the busy
        timeout, is a :class:`~qadesk.core.errors.WriteConflict` naming the audit: nothing was
        written, and trying again is safe.
        """
        with self._factory() as session, session.begin():
            _begin_writing(session)
            try:
                yield session
                session.flush()  # what the commit would flush, here, where a lost race is named
            except StaleDataError:
                raise WriteConflict(_stale_message(session)) from None

    def close(self) -> None:
        self._close_watches()
        self.engine.dispose()
        if self.use is not None:
            self.use.release()

    @property
    def swept(self) -> list[Path]:
        """The half-made files of killed processes (conversions, backups) wiped when this store was opened."""
        return list(self.use.swept) if self.use is not None else []

    def watch(self) -> StoreWatch:
        """A cheap detector of commits made by anyone (see :mod:`qadesk.store.watch`)."""
        from qadesk.store.watch import StoreWatch

        w = StoreWatch(self)
        self._watches.append(w)
        return w

    def _close_watches(self) -> None:
        # Their connections hold the file open: they go before it is rekeyed or the store closes,
        # and reconnect on their next look.
        for w in self._watches:
            w.close()

    def set_passphrase(self, passphrase: str) -> None:
        """Encrypt this open plain store; it stays open, now keyed."""
        from qadesk.store import crypto

        self._reopen_after(lambda folder, whole: crypto.encrypt_store(folder, passphrase, whole), "encrypted")

    def change_passphrase(self, old: str, new: str) -> None:
        """Rekey this open encrypted store with a new passphrase; it stays open."""
        from qadesk.store import crypto

        self._reopen_after(lambda folder, whole: crypto.change_passphrase(folder, old, new, whole), "changed")

    def remove_passphrase(self, passphrase: str) -> None:
        """Decrypt this open store (encryption turned off); it stays open, plain."""
        from qadesk.store import crypto

        def decrypt(folder: Path, whole: WholeStore) -> None:
            crypto.decrypt_store(folder, passphrase, whole)

        self._reopen_after(decrypt, "decrypted")

    def _reopen_after(self, change: Callable[[Path, WholeStore], Unlocked | None], what: str) -> None:
        # Every pooled connection holds the old key (or none): they are closed before the
        # file changes and the engine is built afresh on the result, so no connection ever
        # writes a page under the wrong key.  Sessions must be closed by the caller.
        if self.data_dir is None or self.path is None:
            raise StateError("Only the SQLite store in a data folder can be encrypted.")
        from qadesk.store.single_writer import claim_whole_store

        # Refused (the store untouched, still open) while any other process uses the store.
        whole = claim_whole_store(self.data_dir, held=self.use, what=what)
        self._close_watches()
        self.engine.dispose()
        cipher = self.cipher
        try:
            cipher = change(self.data_dir, whole)
        finally:
            whole.release()
            url = f"sqlite:///{self.data_dir / DB_FILENAME}"
            self.engine = make_engine(url, key=cipher.key if cipher else None)
            self.url = url.replace("sqlite:", "sqlite+pysqlcipher:", 1) if cipher else url
            self.cipher = cipher
            self._factory = sessionmaker(self.engine, expire_on_commit=False)

    def backup_to(self, target: Path) -> Path:
        """A consistent copy through SQLite's online backup API (never a file copy).

        The backup of an encrypted store is encrypted with the same key, and the
        keyinfo goes beside it (``<file>.keyinfo.json``): the store's passphrase
        opens it, and neither file is any use without the other.  A disk that is
        full or read-only is a :class:`StoreWriteFailed` naming the file, and the
        half-made copy (``<file>.part``) is wiped, never left behind.
        """
        if not self.is_sqlite:
            from qadesk.core.errors import StateError

            raise StateError("qadesk backs up the SQLite store on this computer; a database server is backed up "
                             "with its own tools (for PostgreSQL, pg_dump: docs/deployment.md)")
        from qadesk.store import single_writer
        from qadesk.store.examine import StoreWriteFailed, describe_disk_error, describe_os_error

        target = Path(target).absolute()
        tmp = target.with_name(target.name + ".part")
        use = self.use if self.use is not None and self.use.held else None
        keyinfo = target.with_name(target.name + ".keyinfo.json")
        keyinfo_was_there = keyinfo.exists()
        try:
            with (use.making(tmp) if use is not None else single_writer.making(tmp, self.data_dir),
                  _unless_done(keyinfo, keyinfo_was_there)):
                single_writer.wipe(tmp)  # one left by an earlier backup that failed
                private_file(tmp)  # an empty file is a new database to SQLite; the copy is never readable by others
                self._backup_into(tmp, target)
                single_writer.pause_for_tests("backing-up")
                os.replace(tmp, target)
        except OSError as exc:
            raise StoreWriteFailed(f"The backup {target} could not be written: {describe_os_error(exc)}. "
                                   "Nothing was written; choose another place.") from None
        except sqlite3.Error as exc:
            raise StoreWriteFailed(f"The backup {target} could not be written: "
                                   f"{describe_disk_error(str(exc), target.parent) or exc}. Nothing was written; "
                                   "choose another place.") from None
        except Exception as exc:  # sqlcipher3's errors are not sqlite3's
            words = (describe_disk_error(str(exc), target.parent) if type(exc).__module__.startswith("sqlcipher3")
                     else None)
            if words is None:
                raise
            raise StoreWriteFailed(f"The backup {target} could not be written: {words}. Nothing was written; "
                                   "choose another place.") from None
        return target

    def _backup_into(self, tmp: Path, target: Path) -> None:
        if self.cipher is not None:
            from qadesk.store import crypto

            crypto.write_keyinfo(crypto.keyinfo_beside(target), crypto.KeyInfo(current=self.cipher.params))
        raw = self.engine.raw_connection()
        try:
            source = raw.driver_connection
            if self.cipher is not None:
                dest = crypto.connect(tmp, self.cipher.key)
            else:
                dest = sqlite3.connect(str(tmp))
            try:
                source.backup(dest)  # type: ignore[union-attr]
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
        finally:
            raw.close()


@contextmanager
def _unless_done(keyinfo: Path, was_there: bool) -> Iterator[None]:
    """A backup's keyinfo, written first, goes again if the backup itself fails (unless it was there before)."""
    try:
        yield
    except BaseException:
        if not was_there:
            keyinfo.unlink(missing_ok=True)
        raise


def _plain_disk_errors(ctx: ExceptionContext) -> None:
    """A write the disk refused (full, read-only, failing) or a damaged file, in plain words naming the file.

    SQLite rolls the transaction back, so nothing of the change is kept; the caller (the command
    line, the window's autosave) gets a :class:`StoreWriteFailed` or :class:`StoreDamaged`, which
    it shows as the refusal it is, never as a traceback.  SQLite's own busy answer ("database is
    locked") is left as it is, for the callers that wait and retry.
    """
    from sqlalchemy.exc import DatabaseError

    from qadesk.store.examine import StoreDamaged, StoreWriteFailed, describe_disk_error

    if not isinstance(ctx.sqlalchemy_exception, DatabaseError):
        return
    said = str(ctx.original_exception).strip()
    where = ctx.engine.url.database if ctx.engine is not None else None
    shown = where or "the store"
    lowered = said.lower()
    if "malformed" in lowered or "not a database" in lowered:
        raise StoreDamaged(f"The store {shown} is damaged (SQLite: {said}). Nothing was changed. "
                           "Restore the store from a backup.") from None
    if "unable to open database file" in lowered:
        return  # opening, not writing: open_store (or the server store's open) says why, in its own words
    words = describe_disk_error(said, Path(where).parent if where else None)
    if words is not None:
        raise StoreWriteFailed(f"Could not write to the store {shown}: {words}. Nothing of this change was kept; "
                               "free some space or make the folder writable, then try again.") from None


# Any fixed number: the PostgreSQL advisory lock every qadesk write transaction holds until it ends.
WRITE_LOCK_KEY = 0x71_61_64_65_73_6B  # "qadesk"


def _begin_writing(session: Session) -> None:
    """Take the store's write lock at the start of a write transaction (see ``Store.transaction``)."""
    connection = session.connection()
    dialect = connection.dialect.name
    try:
        if dialect == "sqlite":
            # pysqlite opens its own (deferred) transaction only before the first INSERT/UPDATE/DELETE,
            # after the reads: taking the lock first makes the reads and the writes one unit.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
    except OperationalError as exc:
        reason = str(exc.orig or "").lower()
        if "locked" in reason or "busy" in reason:
            raise WriteConflict(f"the store stayed busy with another copy of qadesk's change for "
                                f"{BUSY_TIMEOUT_MS / 1000:g} seconds; nothing was saved: try again") from None
        raise


_WRITTEN = "qadesk.audits_written"  # session.info: the references of the audits whose row a flush writes


@event.listens_for(Audit, "before_update")
@event.listens_for(Audit, "before_delete")
def _note_audit_written(_mapper: object, _connection: object, target: Audit) -> None:
    # The flush that fails rolls back and forgets the objects' values: the reference is noted first.
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_WRITTEN, set()).add(target.reference)


@event.listens_for(Session, "after_flush")
def _forget_audits_written(session: Session, _context: object) -> None:
    session.info.pop(_WRITTEN, None)  # that flush matched every row: only a failing one is named


def _stale_message(session: Session) -> str:
    """What a lost race says: the audit (by its reference) that someone else changed first."""
    refs = sorted(session.info.get(_WRITTEN, ()))
    which = ", ".join(refs) if refs else "the audit"
    return (f"{which} was changed by someone else at the same moment (another window or the command "
            "line); nothing of this change was saved: try again on the audit as it is now")


def make_engine(url: str, *, key: bytes | None = None) -> Engine:
    """The engine; with ``key`` an SQLCipher one whose every connection is keyed before anything else."""
    if key is not None:
        from qadesk.store.crypto import raw_key_literal

        # The pysqlcipher dialect's own connect hook runs ``PRAGMA key = "<password>"`` before
        # every other connect listener, so the raw key literal travels as the URL's password
        # (URL renders hide it).  QueuePool as for plain SQLite: a raw key makes connecting cheap.
        keyed = make_url(url).set(drivername="sqlite+pysqlcipher", password=raw_key_literal(key))
        engine = create_engine(keyed, poolclass=QueuePool, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                               hide_parameters=True)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "handle_error", _plain_disk_errors)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "handle_error", _plain_disk_errors)
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _server_refusals)
    return engine


def _server_refusals(ctx: ExceptionContext) -> None:
    """The team server refusing a login what its grants or row-level security do not allow (SQLSTATE 42501):
    a :class:`~qadesk.core.errors.PermissionDenied` in words, not a traceback.  The services refuse first
    (qadesk.services.permissions); this is the database backing them, e.g. for a person whose roles changed
    while they worked, or another program using their login."""
    from qadesk.core.errors import PermissionDenied

    code = getattr(ctx.original_exception, "sqlstate", None) or getattr(ctx.original_exception, "pgcode", None)
    if code == "42501":
        said = str(ctx.original_exception).strip().splitlines()[0]
        raise PermissionDenied(f"the team server refused this for your login ({said}). Nothing was changed; "
                               "ask the server's administrator for the role this needs.") from None


def open_store(data_dir: Path | str | None = None, url: str | None = None, *,
               passphrase: str | None = None, migrate: bool = True) -> Store:
    """Open (and create or upgrade) the store.

    ``url`` (or QADESK_DATABASE_URL) points at another database, e.g. PostgreSQL;
    otherwise the SQLite file in ``data_dir`` (or the user's data folder).
    An encrypted store needs its ``passphrase`` (:class:`WrongPassphrase` if it is
    missing or wrong); a passphrase for a store not yet created makes it
    encrypted; a passphrase for an existing plain store is refused (encrypt it
    with :func:`qadesk.store.crypto.encrypt_store`).

    The SQLite store is opened under a use of it (:mod:`qadesk.store.single_writer`), held until
    :meth:`Store.close`: refused while another process converts it, and whatever a killed
    conversion or backup left half-made is wiped first.  A file that is not a store, a damaged
    one or one made by a newer QA Desk is refused saying so (:mod:`qadesk.store.examine`).
    """
    url = url or os.environ.get("QADESK_DATABASE_URL") or None
    if url is not None:
        if passphrase is not None:
            raise StateError("A passphrase encrypts only the SQLite store; protect a database server with its own means.")
        return _open_server_store(url, migrate)
    from qadesk.store.single_writer import use_store

    folder = _data_folder(Path(data_dir) if data_dir is not None else default_data_dir())
    try:
        use = use_store(folder)
    except OSError as exc:
        from qadesk.store.examine import StoreWriteFailed, describe_os_error

        raise StoreWriteFailed(f"The data folder {folder} cannot be written to: {describe_os_error(exc)}. "
                               "QA Desk writes there to open the store, even only to read it (its journal "
                               "and locks): make the folder writable, or copy the store somewhere that is."
                               ) from None
    engine: Engine | None = None
    try:
        database = folder / DB_FILENAME
        from qadesk.store.examine import refuse_unless_openable

        if refuse_unless_openable(database).kind == "plain" and migrate:
            _check_untouched(database)
        cipher = _unlock_for_open(folder, passphrase)
        private_file(database)
        for companion in ("-wal", "-shm"):  # made by an older copy of qadesk, before files were private
            keep_private(folder / (DB_FILENAME + companion))
        url = f"sqlite:///{database}"
        engine = make_engine(url, key=cipher.key if cipher else None)
        if cipher is not None:
            url = url.replace("sqlite:", "sqlite+pysqlcipher:", 1)
        store = Store(engine=engine, url=url, data_dir=folder, cipher=cipher, use=use)
        if migrate:
            _upgrade_sqlite(engine, database)
    except BaseException:
        if engine is not None:
            engine.dispose()
        use.release()
        raise
    return store


def _data_folder(folder: Path) -> Path:
    """The data folder, made private; a folder that cannot be made or written is a plain refusal."""
    from qadesk.store.examine import StoreWriteFailed, describe_os_error

    try:
        return private_dir(folder)
    except (FileExistsError, NotADirectoryError):
        raise StoreWriteFailed(f"The data folder {folder} is a file, not a folder: choose another folder.") from None
    except OSError as exc:
        raise StoreWriteFailed(f"The data folder {folder} cannot be made: {describe_os_error(exc)}. "
                               "Choose another folder.") from None


def _check_untouched(database: Path) -> None:
    from qadesk.store.examine import NotAStore, StoreTooNew
    from qadesk.store.migrate import check_file_untouched

    try:
        check_file_untouched(database)
    except NotAStore as exc:
        raise NotAStore(f"{database} is not a QA Desk store: {exc}. Nothing was changed; "
                        "move it out of the data folder, or choose another folder.") from None
    except StoreTooNew as exc:
        raise StoreTooNew(f"The store {database} cannot be opened: {exc}. Nothing was changed.") from None


def _upgrade_sqlite(engine: Engine, database: Path) -> None:
    """Migrations on open; a schema this qadesk does not know, or a file SQLite cannot read, said plainly."""
    from sqlalchemy.exc import DatabaseError

    from qadesk.store.examine import (
        NotAStore,
        StoreDamaged,
        StoreTooNew,
        StoreWriteFailed,
        describe_disk_error,
    )
    from qadesk.store.migrate import upgrade

    try:
        upgrade(engine)
    except NotAStore as exc:
        raise NotAStore(f"{database} is not a QA Desk store: {exc}. Nothing was changed; "
                        "move it out of the data folder, or choose another folder.") from None
    except StoreTooNew as exc:
        raise StoreTooNew(f"The store {database} cannot be opened: {exc}. Nothing was changed.") from None
    except DatabaseError as exc:
        reason = str(exc.orig).strip() if exc.orig is not None else str(exc)
        words = describe_disk_error(reason, database.parent)
        if words is not None:  # a folder SQLite cannot write its journal in, a disk that refuses
            raise StoreWriteFailed(f"The store {database} cannot be opened: {words}. Nothing was changed; "
                                   "make the folder writable, or free some space, then try again.") from None
        raise StoreDamaged(f"The store {database} is damaged (SQLite: {reason}). Nothing was changed. "
                           "Restore it from a backup.") from None


def _open_server_store(url: str, migrate: bool) -> Store:
    """The store at a database URL (QADESK_DATABASE_URL): a bad URL, a missing driver or a
    database that cannot be reached is a plain refusal naming the cause, not a traceback."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = url.split("@")[-1]  # never echo what may be a password
    try:
        engine = make_engine(url)
    except ArgumentError:
        raise StateError(f"QADESK_DATABASE_URL '{shown}' is not a database URL "
                         "(e.g. postgresql+psycopg://user@host/qadesk)") from None
    except ImportError as exc:
        raise StateError(f"the database driver for '{shown}' is not installed ({exc.name}): "
                         "for PostgreSQL, pip install 'qadesk[postgres]'") from None
    store = Store(engine=engine, url=url, data_dir=None, cipher=None)
    if migrate:
        from qadesk.store.migrate import upgrade

        try:
            upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no connection"
            raise StateError(f"cannot reach the database at '{shown}': {reason}") from None
    return store


def _unlock_for_open(folder: Path, passphrase: str | None) -> Unlocked | None:
    from qadesk.store import crypto

    database = folder / DB_FILENAME
    if crypto.is_encrypted_file(database):
        if passphrase is None:
            raise WrongPassphrase(f"The store in {folder} is encrypted: its passphrase is needed to open it.")
        return crypto.unlock(folder, passphrase)
    if passphrase is None:
        return None
    if database.exists() and database.stat().st_size > 0:
        raise StateError(f"The store in {folder} is not encrypted; encrypt it first (qadesk store encrypt).")
    return crypto.key_for_new_store(folder, passphrase)


def restore_from(backup: Path, data_dir: Path, passphrase: str | None = None) -> Path:
    """Replace the store in ``data_dir`` with a backup (the old one kept beside it).

    An encrypted backup needs the passphrase it was made under and its keyinfo
    beside it; the restored store is encrypted with the same key.  The store
    being replaced is kept as ``qadesk.sqlite.before-restore`` (with its WAL and,
    when encrypted, its keyinfo beside it).  Refused while any process uses the
    store in ``data_dir`` (:class:`qadesk.store.single_writer.StoreInUse`).
    """
    from qadesk.store import crypto
    from qadesk.store.examine import StoreDamaged, refuse_unless_openable
    from qadesk.store.single_writer import claim_whole_store, wipe

    backup = Path(backup)
    refuse_unless_openable(backup, ("Choose the backup file itself.", "Choose another backup."))
    with claim_whole_store(private_dir(Path(data_dir)), what="restored"):
        cipher: Unlocked | None = None
        if crypto.is_encrypted_file(backup):
            if passphrase is None:
                raise WrongPassphrase(f"The backup {backup} is encrypted: its passphrase is needed to restore it.")
            cipher = crypto.unlock_file(backup, crypto.keyinfo_beside(backup), passphrase)
            check = crypto.connect(backup, cipher.key)
        else:
            check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            check.execute("SELECT count(*) FROM audits").fetchone()
        except Exception as exc:  # sqlite3's or sqlcipher3's DatabaseError: the file is not a whole store
            raise StoreDamaged(f"{backup} is damaged or not a QA Desk backup (SQLite: {exc}). "
                               "Nothing was changed; choose another backup.") from None
        finally:
            check.close()
        if ok != "ok":
            raise StoreDamaged(f"{backup} is damaged (SQLite's integrity check: {ok}). Nothing was changed; "
                               "choose another backup.")
        target = Path(data_dir) / DB_FILENAME
        part = target.with_name(target.name + ".restoring")
        wipe(part)
        private_file(part)
        try:
            if cipher is not None:
                src = crypto.connect(backup, cipher.key)
                dest = crypto.connect(part, cipher.key)
            else:
                src, dest = sqlite3.connect(str(backup)), sqlite3.connect(str(part))
            try:
                src.backup(dest)
                restored_head = _history_head(dest)
            finally:
                src.close()
                dest.close()
        except BaseException:
            wipe(part)
            raise
        kept = target.with_name(target.name + ".before-restore")
        keyinfo = crypto.keyinfo_path(data_dir)
        for stale in (Path(str(kept) + "-wal"), Path(str(kept) + "-shm"), crypto.keyinfo_beside(kept),
                      Path(str(target) + "-shm")):
            stale.unlink(missing_ok=True)
        for suffix in ("", "-wal"):  # the WAL travels with its database, so the kept copy is whole
            if Path(str(target) + suffix).exists():
                os.replace(str(target) + suffix, str(kept) + suffix)
        if keyinfo.exists():
            os.replace(keyinfo, crypto.keyinfo_beside(kept))
        if cipher is not None:
            crypto.write_keyinfo(keyinfo, crypto.KeyInfo(current=cipher.params))
        os.replace(part, target)
        _anchor_restored(target, restored_head, backup)
    return target


def _history_head(conn: sqlite3.Connection) -> tuple[int, int, str] | None:
    """The history's head in a raw connection: (entries, last seq, last hash); None without a history table."""
    try:
        count, seq = conn.execute("SELECT count(*), max(seq) FROM history").fetchone()
    except sqlite3.DatabaseError:
        return None
    digest = conn.execute("SELECT hash FROM history WHERE seq = ?", (seq,)).fetchone() if seq else None
    return int(count), int(seq or 0), digest[0] if digest else "0" * 64


def _anchor_restored(target: Path, head: tuple[int, int, str] | None, backup: Path) -> None:
    """A restore takes the history back to the backup's: the checkpoint says so, and from where."""
    from qadesk.store import anchor

    if head is None:
        return
    path = anchor.head_path(target)
    before = anchor.read(path).newest
    note = {"kind": "restored", "at": anchor.now_iso(), "from": backup.name, "entries": head[0],
            "entries_before": before.entries if before is not None else 0}
    anchor.reset(path, anchor.Head(entries=head[0], seq=head[1], hash=head[2], gen=1, at=anchor.now_iso(),
                                   notes=(note,)))


def integrity_check(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("PRAGMA integrity_check")).scalar())
