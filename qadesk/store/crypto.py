"""Encryption at rest: SQLCipher 4 with a raw 256-bit key derived from the passphrase by Argon2id.

The passphrase is never stored.  Beside the database lies ``qadesk.keyinfo.json``
with the Argon2id salt and cost parameters only: without the passphrase they
give nothing away, and without them the passphrase cannot be turned back into
the key.  The key is derived once per unlock and handed to every new connection
as a raw key (``PRAGMA key = "x'…'"``), so SQLCipher's own PBKDF2 never runs
and opening a connection stays cheap.

Converting a store (encrypt, decrypt) writes a new file with ``sqlcipher_export``,
checks it, then swaps it in with ``os.replace``: at every moment the store's
path holds either the old store or the new one, complete.  Changing the
passphrase rekeys in place; the keyinfo file records the new salt as *pending*
first, so a crash half-way still leaves a store that one of the two
passphrases opens (see :func:`unlock`).
"""

from __future__ import annotations

import hmac
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qadesk.core.errors import LimitError, StateError, StoreLocked, ValidationError, WrongPassphrase
from qadesk.store import single_writer
from qadesk.store.examine import SQLITE_MAGIC, examine  # noqa: F401 - SQLITE_MAGIC known here too
from qadesk.store.paths import DB_FILENAME, private_file

KEYINFO_FILENAME = "qadesk.keyinfo.json"
KEYINFO_FORMAT = "qadesk-keyinfo/1"
KEY_BYTES = 32
SALT_BYTES = 16
MIN_PASSPHRASE_CHARS = 8

# Argon2id costs for a council laptop: about a tenth of a second to a third of a second
# per unlock, 64 MiB of memory so that guessing on graphics cards stays expensive.
TIME_COST = 3
MEMORY_KIB = 64 * 1024
PARALLELISM = 2

# The keyinfo file is read before anything is unlocked, so it is untrusted input: costs beyond
# these would let a doctored file hang or exhaust the laptop (at the old limits of 20 passes and
# 1 GiB, one unlock took 19 s and 1 GB).  The highest accepted are just above what qadesk writes
# (twice each cost): room for a later qadesk to raise them a little, none for a doctored file.
_LIMITS = {"time_cost": (1, 2 * TIME_COST), "memory_kib": (8 * 1024, 2 * MEMORY_KIB),
           "parallelism": (1, 2 * PARALLELISM)}
_UNITS = {"time_cost": "passes", "memory_kib": "KiB of memory", "parallelism": "lanes"}
_WRITTEN = {"time_cost": TIME_COST, "memory_kib": MEMORY_KIB, "parallelism": PARALLELISM}
_HEX_SALT = re.compile(r"^[0-9a-f]{32,128}$")


@dataclass(frozen=True)
class KdfParams:
    """How one key is derived: the Argon2id salt and costs (never the passphrase or the key)."""

    salt: bytes
    time_cost: int = TIME_COST
    memory_kib: int = MEMORY_KIB
    parallelism: int = PARALLELISM

    @classmethod
    def fresh(cls) -> KdfParams:
        """New parameters with a random salt (for a new passphrase)."""
        return cls(salt=os.urandom(SALT_BYTES))

    def to_dict(self) -> dict[str, Any]:
        return {"kdf": "argon2id", "salt": self.salt.hex(), "time_cost": self.time_cost,
                "memory_kib": self.memory_kib, "parallelism": self.parallelism, "key_bytes": KEY_BYTES}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> KdfParams:
        if not isinstance(data, dict) or data.get("kdf") != "argon2id" or data.get("key_bytes") != KEY_BYTES:
            raise ValidationError(f"{where}: not Argon2id parameters for a {KEY_BYTES * 8}-bit key")
        salt = data.get("salt")
        if not isinstance(salt, str) or not _HEX_SALT.match(salt):
            raise ValidationError(f"{where}: the salt must be 16 to 64 bytes written in lower-case hex")
        values = {}
        for name, (low, high) in _LIMITS.items():
            value = data.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise LimitError(f"{where}: {name} must be a whole number from {low} to {high}")
            if value > high:
                raise LimitError(f"{where}: {name} is {value:,}, above the most QA Desk accepts ({high:,} "
                                 f"{_UNITS[name]}; it writes {_WRITTEN[name]:,}). The file was not written by "
                                 "QA Desk or has been altered; nothing was derived from it. Put back the key "
                                 "information file from your backup.")
            if value < low:
                raise LimitError(f"{where}: {name} is {value:,}, below the least QA Desk accepts ({low:,} "
                                 f"{_UNITS[name]}). The file was not written by QA Desk or has been altered.")
            values[name] = value
        return cls(salt=bytes.fromhex(salt), **values)


@dataclass(frozen=True)
class KeyInfo:
    """The contents of ``qadesk.keyinfo.json``: the current parameters and, during a change, the next."""

    current: KdfParams
    pending: KdfParams | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {"format": KEYINFO_FORMAT, "cipher": "sqlcipher4", **self.current.to_dict()}
        if self.pending is not None:
            data["pending"] = self.pending.to_dict()
        return json.dumps(data, indent=2) + "\n"


@dataclass(frozen=True, repr=False)
class Unlocked:
    """A derived key and the parameters it came from; what an open encrypted store keeps."""

    key: bytes
    params: KdfParams

    def __repr__(self) -> str:  # never print the key, not even in a traceback
        return "Unlocked(key=<hidden>)"

    def matches(self, passphrase: str) -> bool:
        """True when ``passphrase`` derives this key (constant-time comparison)."""
        return hmac.compare_digest(derive_key(passphrase, self.params), self.key)


# --- keys -----------------------------------------------------------------------------------------


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """The raw 256-bit key for ``passphrase`` (Argon2id; Unicode-normalised so any keyboard agrees)."""
    from argon2.low_level import Type, hash_secret_raw

    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return hash_secret_raw(secret, params.salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
                           parallelism=params.parallelism, hash_len=KEY_BYTES, type=Type.ID)


def raw_key_literal(key: bytes) -> str:
    """SQLCipher's raw-key form ``x'…'`` (64 hex digits): used as given, no PBKDF2."""
    if len(key) != KEY_BYTES:
        raise ValueError("a raw key has 32 bytes")
    return f"x'{key.hex()}'"


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to be worth encrypting with."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(f"A passphrase needs at least {MIN_PASSPHRASE_CHARS} characters.")


# --- files ----------------------------------------------------------------------------------------


def db_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / DB_FILENAME


def keyinfo_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / KEYINFO_FILENAME


def keyinfo_beside(database: Path) -> Path:
    """Where the keyinfo of a backup (or a kept copy) lives: ``<file>.keyinfo.json``."""
    return database.with_name(database.name + ".keyinfo.json")


def is_encrypted_file(path: Path) -> bool:
    """True when ``path`` looks like an SQLCipher store: random-looking bytes, a whole number of pages.

    A PDF, a workbook or a file of zeros is not "encrypted" (:func:`qadesk.store.examine.examine`
    says what it is), so nobody is asked for a passphrase to open one."""
    return examine(path).kind == "encrypted"


def is_encrypted(data_dir: Path | str) -> bool:
    """True when the store in ``data_dir`` exists and is encrypted (judged by the file, not the keyinfo)."""
    return is_encrypted_file(db_path(data_dir))


def read_keyinfo(path: Path) -> KeyInfo:
    """Read a keyinfo file; a missing or damaged one is a clear error, never a crash."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StateError(f"The store is encrypted but its key information file {path} is missing: "
                         "without it no passphrase can open the store. Put the file back from where "
                         "you keep your backups.") from None
    if len(raw) > 16_384:
        raise ValidationError(f"{path}: larger than 16 KB, not a keyinfo file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != KEYINFO_FORMAT:
        raise ValidationError(f"{path}: not a {KEYINFO_FORMAT} file")
    current = KdfParams.from_dict(data, str(path))
    pending = KdfParams.from_dict(data["pending"], f"{path} (pending)") if "pending" in data else None
    return KeyInfo(current=current, pending=pending)


def write_keyinfo(path: Path, info: KeyInfo) -> None:
    """Write the keyinfo durably and atomically (temporary file, fsync, replace)."""
    tmp = path.with_name(path.name + ".part")
    with single_writer.making(tmp):  # listed while it is half-made; wiped if this fails or the process dies
        tmp.unlink(missing_ok=True)
        private_file(tmp)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(info.to_json())
            f.flush()
            os.fsync(f.fileno())
        single_writer.pause_for_tests("keyinfo")
        os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- SQLCipher connections ------------------------------------------------------------------------


def connect(path: Path, key: bytes | None) -> Any:
    """A bare sqlcipher3 connection (autocommit) on ``path``, keyed when ``key`` is given."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    if key is not None:
        conn.execute(f'PRAGMA key = "{raw_key_literal(key)}"')
    return conn


@contextmanager
def _quiet_cipher_log() -> Iterator[None]:
    """SQLCipher logs every failed page decryption to stderr; a wrong passphrase is not worth that."""
    import sqlcipher3

    with closing(sqlcipher3.connect(":memory:")) as c:
        level = c.execute("PRAGMA cipher_log_level").fetchone()[0]
        c.execute("PRAGMA cipher_log_level = NONE")
    try:
        yield
    finally:
        with closing(sqlcipher3.connect(":memory:")) as c:
            c.execute(f"PRAGMA cipher_log_level = {level}")


def key_opens(path: Path, key: bytes) -> bool:
    """True when ``key`` decrypts the database at ``path``."""
    import sqlcipher3

    with _quiet_cipher_log(), closing(connect(path, key)) as conn:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError:
            return False
    return True


def unlock_file(database: Path, keyinfo_file: Path, passphrase: str) -> Unlocked:
    """Derive the key for ``database`` from ``passphrase`` and prove it opens the file.

    If a passphrase change was interrupted, the keyinfo carries a *pending* salt:
    whichever of the two the passphrase opens wins, and the keyinfo is settled.
    """
    info = read_keyinfo(keyinfo_file)
    key = derive_key(passphrase, info.current)
    if key_opens(database, key):
        if info.pending is not None:  # the rekey never happened: forget the new salt
            write_keyinfo(keyinfo_file, KeyInfo(current=info.current))
        return Unlocked(key, info.current)
    if info.pending is not None:
        key = derive_key(passphrase, info.pending)
        if key_opens(database, key):  # the rekey happened but the keyinfo was not settled
            write_keyinfo(keyinfo_file, KeyInfo(current=info.pending))
            return Unlocked(key, info.pending)
    raise WrongPassphrase("That passphrase does not open the store.")


def unlock(data_dir: Path | str, passphrase: str) -> Unlocked:
    """The key of the encrypted store in ``data_dir``; :class:`WrongPassphrase` if it does not open."""
    return unlock_file(db_path(data_dir), keyinfo_path(data_dir), passphrase)


def key_for_new_store(data_dir: Path | str, passphrase: str) -> Unlocked:
    """Fresh keyinfo for a store about to be created encrypted, and its key."""
    check_new_passphrase(passphrase)
    params = KdfParams.fresh()
    write_keyinfo(keyinfo_path(data_dir), KeyInfo(current=params))
    return Unlocked(derive_key(passphrase, params), params)


# --- converting a store ---------------------------------------------------------------------------


def _tables(conn: Any, schema: str = "main") -> list[str]:
    rows = conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _counts(conn: Any, schema: str = "main") -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0] for t in _tables(conn, schema)}


def export_copy(source: Any, target: Path, key: bytes | None) -> None:
    """Write a checked copy of the open connection ``source`` to ``target`` (encrypted when ``key``).

    ``sqlcipher_export`` inside one read transaction, so the copy is one
    consistent moment of the source; then the copy is opened on its own and its
    integrity and row counts compared.  ``target`` must be missing or empty.
    """
    literal = raw_key_literal(key) if key is not None else ""
    source.execute("ATTACH DATABASE ? AS qadesk_export KEY ?", (str(target), literal))
    try:
        source.execute("BEGIN")
        try:
            counts = _counts(source)
            version = source.execute("PRAGMA main.user_version").fetchone()[0]
            source.execute("SELECT sqlcipher_export('qadesk_export')")
            source.execute(f"PRAGMA qadesk_export.user_version = {int(version)}")
            source.execute("COMMIT")
        except BaseException:
            source.execute("ROLLBACK")
            raise
    finally:
        source.execute("DETACH DATABASE qadesk_export")
    with closing(connect(target, key)) as check:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok" or _counts(check) != counts:
            raise StateError(f"The converted copy {target} did not match the store ({ok}); nothing was changed.")
        check.execute("PRAGMA journal_mode = DELETE")  # the store sets WAL again on open
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


def _checkpoint(conn: Any) -> None:
    """Fold the WAL into the database and empty it; refuse if another copy of qadesk is reading."""
    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        raise StoreLocked("Another copy of qadesk is using the store; close it first.")


def _swap_in(new: Path, database: Path) -> None:
    """Replace ``database`` with ``new``; the old WAL and shared-memory files go first (both empty)."""
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    os.replace(new, database)
    _fsync_dir(database.parent)


def _convert(database: Path, source_key: bytes | None, target_key: bytes | None) -> None:
    work = database.with_name(database.name + ".converting")
    single_writer.wipe(work)  # left by a conversion that was killed (open_store wipes them too)
    private_file(work)  # the converted copy is its owner's alone from its first byte
    try:
        with closing(connect(database, source_key)) as conn:
            conn.execute("PRAGMA busy_timeout = 5000")
            _checkpoint(conn)
            export_copy(conn, work, target_key)
            single_writer.pause_for_tests("converting")
            _checkpoint(conn)
        _swap_in(work, database)
    except BaseException:
        single_writer.wipe(work)  # never leave a half-made copy, plaintext or not
        raise


@contextmanager
def _alone(data_dir: Path | str, whole: single_writer.WholeStore | None, what: str) -> Iterator[None]:
    """The store to this process alone for a conversion (``whole`` when the caller holds it already)."""
    if whole is not None:
        yield
        return
    with single_writer.claim_whole_store(Path(data_dir), what=what):
        yield


def encrypt_store(data_dir: Path | str, passphrase: str, whole: single_writer.WholeStore | None = None) -> Unlocked:
    """Encrypt the plain store in ``data_dir`` with a new passphrase; nothing plaintext stays behind.

    The store must not be in use by anyone else (:class:`single_writer.StoreInUse` names who
    uses it); ``whole`` is the caller's claim on it when it has one.  A plaintext safety copy
    left by an earlier restore (``qadesk.sqlite.before-restore``) is encrypted with the same key,
    with its own keyinfo beside it.
    """
    check_new_passphrase(passphrase)
    with _alone(data_dir, whole, "encrypted"):
        database = db_path(data_dir)
        if not database.exists():
            raise StateError(f"There is no store in {data_dir} to encrypt.")
        if is_encrypted_file(database):
            raise StateError("The store is already encrypted; change its passphrase instead.")
        params = KdfParams.fresh()
        unlocked = Unlocked(derive_key(passphrase, params), params)
        # The keyinfo goes first: until the swap the file is still plain, and a plain file
        # is opened as plain whatever keyinfo lies beside it.
        # The kept copy first: once the store itself is swapped nothing may fail any more.
        kept = database.with_name(database.name + ".before-restore")
        if kept.exists() and not is_encrypted_file(kept):
            write_keyinfo(keyinfo_beside(kept), KeyInfo(current=params))
            _convert(kept, None, unlocked.key)
        write_keyinfo(keyinfo_path(data_dir), KeyInfo(current=params))
        _convert(database, None, unlocked.key)
        return unlocked


def decrypt_store(data_dir: Path | str, passphrase: str, whole: single_writer.WholeStore | None = None) -> None:
    """Turn encryption off: the store in ``data_dir`` becomes a plain SQLite file again."""
    with _alone(data_dir, whole, "decrypted"):
        database = db_path(data_dir)
        if not is_encrypted_file(database):
            raise StateError("The store is not encrypted.")
        unlocked = unlock(data_dir, passphrase)
        _convert(database, unlocked.key, None)
        keyinfo_path(data_dir).unlink(missing_ok=True)


def change_passphrase(data_dir: Path | str, old: str, new: str,
                      whole: single_writer.WholeStore | None = None) -> Unlocked:
    """Rekey the encrypted store with a key from ``new`` and a new salt; returns the new key.

    The keyinfo names the new salt as pending before the rekey and as current
    after it, so an interruption at any point leaves a store that ``old`` or
    ``new`` opens.
    """
    check_new_passphrase(new)
    with _alone(data_dir, whole, "changed"):
        database = db_path(data_dir)
        if not is_encrypted_file(database):
            raise StateError("The store is not encrypted; encrypt it first.")
        current = unlock(data_dir, old)
        params = KdfParams.fresh()
        fresh = Unlocked(derive_key(new, params), params)
        info_file = keyinfo_path(data_dir)
        write_keyinfo(info_file, KeyInfo(current=current.params, pending=params))
        with closing(connect(database, current.key)) as conn:
            conn.execute("PRAGMA busy_timeout = 5000")
            _checkpoint(conn)
            single_writer.pause_for_tests("rekeying")
            conn.execute(f'PRAGMA rekey = "{raw_key_literal(fresh.key)}"')
            _checkpoint(conn)
        write_keyinfo(info_file, KeyInfo(current=params))
        return fresh
