"""One store, one writer at a time: which processes use a store, and who may replace its file.

Every process that opens the SQLite store in a data folder (the window, every command of the
command line) holds a *use* of it for as long as it has it open; a conversion (encrypt, decrypt,
change of passphrase, restore: anything that replaces the file) needs the store *alone* and is
refused while anyone else uses it.  Uses share the store with each other: their writes go through
SQLite's own locking (WAL, busy timeout) and the services' revision checks, and none of them ever
replaces the file.  While a conversion runs nobody else can start using the store.  Only one window
at a time may have a store open (:func:`claim_window`); command-line commands run beside it.

The locks are the operating system's advisory locks on small files in ``qadesk.locks/`` in the data
folder (``flock`` on Linux and macOS, ``msvcrt.locking`` on Windows), never a file's mere
existence: a process that is killed lets go of its locks with its last breath, so a stale lock
never blocks anyone.  Only exclusive locks are used, on either system:

- ``window``: the one window;
- ``gate``: passed through by every process that starts using the store (for the milliseconds it
  takes to pick a slot), held by a conversion throughout, so nobody starts while one runs;
- ``use-00`` … ``use-63``: each process using the store holds one of these slots (made as they are
  needed); a conversion holds all of them.  Each lock file says who holds it (process id,
  computer, program), for the message the others get;
- ``use-NN.making``: the half-made files (a backup's ``.part``, a key file's ``.part``) its holder
  is writing.  Whoever takes a slot next, once that holder has gone, securely wipes what it left.

The half-made copies of a conversion (``qadesk.sqlite.converting``, ``.restoring``) are only ever
made by a holder of the whole store, so anyone who can use the store knows that such a file is a
leftover of a conversion that was killed, and wipes it (:func:`sweep_leftovers`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from qadesk import APP_NAME
from qadesk.core.errors import StoreLocked
from qadesk.store.paths import DB_FILENAME, private_dir, private_file

LOCK_DIR = "qadesk.locks"
WINDOW_LOCK = "window"
GATE = "gate"
GATE_WAIT_S = 5.0  # a use holds the gate for milliseconds; longer means a conversion (or a stuck process)
SLOTS = 64
MAKING = ".making"
# Windows locks byte ranges, and a locked range cannot be read by anyone else: the lock is taken on
# one byte far past the holder's description, which stays readable.
_WIN_LOCK_OFFSET = 1 << 30


class StoreInUse(StoreLocked):
    """The store is used by another process (or converted by one): ``holder`` says who, if known."""

    def __init__(self, message: str, holder: Holder | None = None) -> None:
        super().__init__(message)
        self.holder = holder


# ---------------------------------------------------------------------------- who holds a lock


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: written into the lock's file for the message another process gets."""

    pid: int
    host: str
    program: str  # "QA Desk", "qadesk audit answer", ...
    role: str  # "window", "command", "conversion"
    since: str = ""

    def to_json(self) -> bytes:
        return json.dumps({"pid": self.pid, "host": self.host, "program": self.program, "role": self.role,
                           "since": self.since}).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Holder | None:
        try:
            data = json.loads(raw.decode("utf-8"))
            return cls(pid=int(data["pid"]), host=str(data["host"]), program=str(data["program"]),
                       role=str(data["role"]), since=str(data.get("since", "")))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None  # being written this very moment, or from another version: say less

    def where(self) -> str:
        here = self.host in ("", socket.gethostname())
        return f"process {self.pid} on {'this computer' if here else self.host}"

    def who(self) -> str:
        """"QA Desk (process 1234 on this computer)" or "the command qadesk audit answer (process …)"."""
        if self.role == "window":
            return f"{self.program} ({self.where()})"
        return f"the command '{self.program}' ({self.where()})"


_identity_lock = threading.Lock()
_identity: tuple[str, str] | None = None


def identify_process(program: str, role: str) -> None:
    """Say once who this process is ("QA Desk", "window"; "qadesk audit answer", "command")."""
    global _identity
    with _identity_lock:
        _identity = (program, role)


def this_process(role: str | None = None) -> Holder:
    program, own_role = _identity or (_default_program(), "command")
    return Holder(pid=os.getpid(), host=socket.gethostname(), program=program, role=role or own_role,
                  since=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _default_program() -> str:
    args = [a for a in sys.argv[1:3] if not a.startswith("-")]
    return " ".join(["qadesk", *args]) if args else "qadesk"


# ---------------------------------------------------------------------------- one lock file


class _LockFile:
    """An exclusive, non-blocking lock on one file, held through one open file description."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_lock(self) -> bool:
        private_file(self.path)
        fd = os.open(self.path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        if not _lock(fd):
            os.close(fd)
            return False
        self.fd = fd
        return True

    def describe(self, holder: Holder) -> None:
        assert self.fd is not None
        data = holder.to_json()
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.write(self.fd, data)

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # nobody holds it: nobody to name
        _unlock(fd)
        os.close(fd)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> bool:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
else:
    import fcntl

    def _lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(path: Path) -> Holder | None:
    try:
        with open(path, "rb") as f:
            return Holder.from_json(f.read(4096))
    except OSError:
        return None


# ---------------------------------------------------------------------------- the locks of one folder


def lock_dir(folder: Path) -> Path:
    """The folder of the locks, in the data folder (both made if missing, both private)."""
    return private_dir(private_dir(Path(folder)) / LOCK_DIR)


def _slot(folder: Path, n: int) -> Path:
    return folder / LOCK_DIR / f"use-{n:02d}"


class _Keeper:
    """What holds a slot can list the half-made files it writes in the slot's ``.making`` list.

    If the process dies while one is listed, whoever takes that slot next wipes the file; if the
    body writing it fails, it is wiped at once; when the holder lets go normally, whatever is
    still listed is wiped."""

    def __init__(self, slot_file: _LockFile | None) -> None:
        self._slot_file = slot_file
        self._making: list[Path] = []

    @property
    def _list_file(self) -> Path | None:
        if self._slot_file is None or self._slot_file.fd is None:
            return None
        return Path(str(self._slot_file.path) + MAKING)

    @contextlib.contextmanager
    def making(self, path: Path) -> Iterator[Path]:
        """While the body writes the half-made file ``path``: listed, so it is wiped if this process dies.

        If the body fails, the file is wiped (zeros, then removed) before the error goes on.
        """
        path = Path(path).absolute()
        self._making.append(path)
        self._write_list()
        try:
            yield path
        except BaseException:
            wipe(path)
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._making.remove(path)
            self._write_list()

    def _write_list(self) -> None:
        list_file = self._list_file
        if list_file is None:
            return
        with contextlib.suppress(OSError):  # a full disk: the list is a safety net, the write itself will say
            private_file(list_file)
            with open(list_file, "r+b") as f:
                f.truncate(0)
                f.write("".join(f"{p}\n" for p in self._making).encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())

    def _let_go_of_half_made(self) -> None:
        for path in self._making:  # still listed when its maker lets go: it will never be finished
            wipe(path)
        self._making.clear()
        self._write_list()


class StoreUse(_Keeper):
    """This process's use of the store in ``folder`` (one slot); :meth:`release` lets it go.

    ``swept`` names the leftovers of killed processes that were wiped when it was taken.
    """

    def __init__(self, folder: Path, slot: int, file: _LockFile) -> None:
        super().__init__(file)
        self.folder = folder
        self.slot = slot
        self._file = file
        self.swept: list[Path] = []

    def __repr__(self) -> str:
        return f"StoreUse({self.folder}, slot {self.slot}{'' if self.held else ', released'})"

    @property
    def held(self) -> bool:
        return self._file.fd is not None

    def release(self) -> None:
        if not self.held:
            return
        _forget(self)
        self._let_go_of_half_made()
        self._file.release()


class WholeStore(_Keeper):
    """The store in ``folder`` to this process alone: the gate and every slot but its own use's."""

    def __init__(self, folder: Path, files: list[_LockFile]) -> None:
        slots = [f for f in files if f.path.name.startswith("use-")]
        super().__init__(slots[0] if slots else None)
        self.folder = folder
        self._files = files

    def release(self) -> None:
        _forget(self)
        self._let_go_of_half_made()
        for f in reversed(self._files):  # the gate, first taken, last let go
            f.release()
        self._files.clear()

    def __enter__(self) -> WholeStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


# Every use and whole store this process holds, so a part of qadesk that writes a half-made file
# (a key file's .part) can list it under its folder's without being handed it.
_keepers: list[StoreUse | WholeStore] = []
_keepers_lock = threading.Lock()


def _remember(keeper: StoreUse | WholeStore) -> None:
    with _keepers_lock:
        _keepers.append(keeper)


def _forget(keeper: StoreUse | WholeStore) -> None:
    with _keepers_lock, contextlib.suppress(ValueError):
        _keepers.remove(keeper)


@contextlib.contextmanager
def making(path: Path, folder: Path | None = None) -> Iterator[Path]:
    """A half-made file ``path`` listed under this process's use (or whole store) of ``folder``.

    ``folder`` is the file's own folder unless given; failing a keeper there, any this process holds
    (a backup's keyinfo is written beside the backup, far from the store).  Without any, the file is
    still wiped if the body fails."""
    here = Path(folder if folder is not None else Path(path).parent).absolute()
    with _keepers_lock:
        keepers = [k for k in _keepers if k._list_file is not None]
    keeper = next((k for k in reversed(keepers) if k.folder == here), keepers[-1] if keepers else None)
    if keeper is not None:
        with keeper.making(path) as p:
            yield p
        return
    try:
        yield Path(path)
    except BaseException:
        wipe(Path(path))
        raise


@contextlib.contextmanager
def _gate(folder: Path, me: Holder, what: str) -> Iterator[_LockFile]:
    """The gate, through which every use and every conversion passes: held by a use only while it
    picks its slot (a few milliseconds), by a conversion throughout.  So no slot can be taken, or
    made, while a conversion runs, and a conversion needs to lock only the slots that exist."""
    gate = _LockFile(folder / LOCK_DIR / GATE)
    waited = 0.0
    while not gate.try_lock():
        holder = _read_holder(gate.path)
        if holder is not None and holder.role == "conversion":
            raise _in_use(folder, holder, what)
        if waited >= GATE_WAIT_S:
            raise _in_use(folder, holder, what)
        time.sleep(0.005)
        waited += 0.005
    try:
        gate.describe(me)
        yield gate
    except BaseException:
        gate.release()
        raise


def use_store(folder: Path | str) -> StoreUse:
    """Take a use of the store in ``folder`` (made if missing); :class:`StoreInUse` while it is converted.

    Wipes whatever killed processes left half-made (see :func:`sweep_leftovers`)."""
    folder = Path(folder).absolute()
    lock_dir(folder)
    me = this_process()
    with _gate(folder, me, "opened") as gate:
        try:
            mine = _take_slot(folder, me)
        finally:
            gate.release()
    _remember(mine)
    return mine


def _take_slot(folder: Path, me: Holder) -> StoreUse:
    mine: StoreUse | None = None
    swept: list[Path] = []
    for n in range(SLOTS):
        path = _slot(folder, n)
        exists = path.exists()
        if mine is not None and not (exists and _making_of(path)):
            if exists:
                continue
            break  # slots are made in order, under the gate: none past this one was ever used
        f = _LockFile(path)
        if not f.try_lock():
            continue
        swept += _wipe_listed(path)  # a holder that went without finishing what it was writing
        if mine is None:
            f.describe(me)
            mine = StoreUse(folder, n, f)
        else:
            f.release()
    if mine is None:
        raise StoreInUse(f"The store in {folder} is in use by {SLOTS} programs at once; "
                         "try again when some have finished.")
    mine.swept = swept + sweep_leftovers(folder)
    return mine


def claim_whole_store(folder: Path | str, held: StoreUse | None = None, what: str = "converted") -> WholeStore:
    """The store to this process alone, to replace its file: :class:`StoreInUse` naming who else uses it.

    ``held`` is this process's own use of the store (the window converting its own store), which
    does not count against it.  The message is in the words the person will act on::

        The store is open in QA Desk (process 1234 on this computer). Close it and try again.
    """
    folder = Path(folder).absolute()
    lock_dir(folder)
    me = this_process(role="conversion")
    with _gate(folder, me, what) as gate:
        taken: list[_LockFile] = [gate]
        try:
            for n in range(SLOTS):
                path = _slot(folder, n)
                if n > 0 and not path.exists():
                    break  # slots are made in order, under the gate, which this process now holds
                if held is not None and held.held and held.folder == folder and held.slot == n:
                    continue
                f = _LockFile(path)
                if not f.try_lock():
                    raise _in_use(folder, _read_holder(path), what)
                f.describe(me)
                taken.append(f)
                _wipe_listed(path)  # what a killed user of this slot left half-made
            sweep_leftovers(folder)
        except BaseException:
            for t in reversed(taken):
                t.release()
            raise
    whole = WholeStore(folder, taken)
    _remember(whole)
    return whole


def _in_use(folder: Path, holder: Holder | None, what: str) -> StoreInUse:
    if holder is None:
        return StoreInUse(f"The store in {folder} is in use by another copy of {APP_NAME}. "
                          f"Close it and try again; nothing was {what}.")
    if holder.role == "window":
        return StoreInUse(f"The store is open in {holder.who()}. Close it and try again. "
                          f"(Nothing was {what}: {folder})", holder)
    if holder.role == "conversion":
        return StoreInUse(f"The store in {folder} is being converted by {holder.who()}. "
                          f"Try again when it has finished; nothing was {what}.", holder)
    return StoreInUse(f"The store in {folder} is in use by {holder.who()}. "
                      f"Try again when it has finished; nothing was {what}.", holder)


@dataclass
class WindowClaim:
    """The one window on the store in ``folder``."""

    folder: Path
    _file: _LockFile = field(repr=False)

    def release(self) -> None:
        self._file.release()

    @property
    def held(self) -> bool:
        return self._file.fd is not None


def claim_window(folder: Path | str) -> WindowClaim:
    """The store's one window: :class:`StoreInUse` naming the window (or conversion) that has it."""
    folder = Path(folder).absolute()
    lock_dir(folder)
    f = _LockFile(folder / LOCK_DIR / WINDOW_LOCK)
    if not f.try_lock():
        holder = _read_holder(f.path)
        who = holder.who() if holder is not None else f"Another copy of {APP_NAME}"
        raise StoreInUse(f"{who[:1].upper()}{who[1:]} is using the data in {folder}.", holder)
    f.describe(this_process(role="window"))
    return WindowClaim(folder=folder, _file=f)


def refuse_while_converted(folder: Path | str) -> None:
    """:class:`StoreInUse` if a conversion of the store in ``folder`` is running now (asked before a
    passphrase is asked for, so nobody types one only to be told to wait)."""
    folder = Path(folder).absolute()
    path = folder / LOCK_DIR / GATE
    if not path.exists():
        return
    f = _LockFile(path)
    if f.try_lock():
        f.release()
        return
    holder = _read_holder(path)
    if holder is not None and holder.role == "conversion":
        raise _in_use(folder, holder, "opened")


def window_holder(folder: Path | str) -> Holder | None:
    """Who has the store open in a window, or None (a free lock means nobody, whatever its file says)."""
    path = Path(folder) / LOCK_DIR / WINDOW_LOCK
    if not path.exists():
        return None
    f = _LockFile(path)
    if f.try_lock():
        f.release()
        return None
    return _read_holder(path)


# ---------------------------------------------------------------------------- leftovers

PAUSE_ENV = "QADESK_TEST_PAUSE_AT"  # tests only: stop at a named point of a conversion or backup, to be killed


def pause_for_tests(point: str) -> None:
    """With ``QADESK_TEST_PAUSE_AT=<point>``, say so on stderr and wait at ``point`` until killed.

    The tests kill a real ``qadesk store decrypt`` (or backup) there, with its half-made file
    complete on disk, and check that the next open leaves nothing of it readable."""
    if os.environ.get(PAUSE_ENV) == point:
        print(f"paused at {point}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)



def _making_of(slot: Path) -> bool:
    try:
        return os.stat(str(slot) + MAKING).st_size > 0
    except OSError:
        return False


def _wipe_listed(slot: Path) -> list[Path]:
    """Wipe the half-made files a (gone) holder of ``slot`` listed; the list is emptied. Needs the slot."""
    list_file = Path(str(slot) + MAKING)
    try:
        raw = list_file.read_bytes()
    except OSError:
        return []
    wiped = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        p = Path(line.strip())
        if line.strip() and p.is_absolute() and (p.exists() or _companions(p)):
            wipe(p)
            wiped.append(p)
    if raw:
        list_file.write_bytes(b"")
    return wiped


CONVERSION_SUFFIXES = (".converting", ".restoring")


def leftovers(folder: Path) -> list[Path]:
    """The half-made copies of a conversion or restore in ``folder`` (and their SQLite companions)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if name.startswith(DB_FILENAME) and any(s in name for s in CONVERSION_SUFFIXES):
                found.append(Path(entry.path))
    return sorted(found)


def sweep_leftovers(folder: Path) -> list[Path]:
    """Wipe what a killed conversion or restore left in ``folder``. Needs a use (or the whole store).

    These files are only made by a holder of the whole store, so one that lies here while this
    process uses the store is left by a process that is no more."""
    found = leftovers(folder)
    for path in found:
        wipe(path)
    return found


def _companions(path: Path) -> list[Path]:
    return [p for p in (Path(str(path) + s) for s in ("-journal", "-wal", "-shm")) if p.exists()]


def wipe(path: Path) -> None:
    """Overwrite ``path`` with zeros, make that durable, then remove it (and SQLite's companions of it).

    On a disk that writes in place (most hard disks, ext4 and NTFS in their usual modes) the case
    data it held is then gone from the disk too; on SSDs and copy-on-write file systems the old
    blocks may survive (docs/security.md says so)."""
    for p in [Path(path), *_companions(Path(path))]:
        _zero(p)
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    _fsync_dir(Path(path).parent)


def _zero(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return
    try:
        size = os.fstat(fd).st_size
        chunk = b"\0" * (1 << 20)
        done = 0
        while done < size:
            n = os.write(fd, chunk[:min(len(chunk), size - done)])
            if n <= 0:
                break
            done += n
        os.fsync(fd)
    except OSError:
        pass  # a full disk cannot refuse zeros over what it holds, but a failing one may: remove anyway
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
