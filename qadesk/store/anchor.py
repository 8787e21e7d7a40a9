"""The history's head, kept outside the store: the checkpoint file beside it (``qadesk.history-head``).

The hash chain proves each entry against the one before it, but not that the
chain is whole: deleting the last entries (or all of them) leaves a shorter
chain that still links up.  So every transaction that appends to the history
also writes, *before it commits* and while it holds SQLite's write lock, the
new head — how many entries, the last one's sequence number and hash — into
this file.  ``history verify`` compares the chain with it, so a truncated or
rolled-back chain is found and named.

The file has two slots of :data:`SLOT_BYTES` each, written in turn (the slot
that does not hold the committed head), each a JSON line with its own
checksum, overwritten in place and flushed with ``fdatasync``: a torn write
spoils at most the slot being written, and the other still holds the head
before it.  So the newest slot is the head of the last transaction that wrote
history, and the older one the head before it — which is what the chain
ends with when that last transaction did not commit (a crash, a refused
save).  The file holds no case data: a count, a sequence number, a hash, a
time, and notes of anything odd seen when it was written.  It is created
0600 like the store (:func:`qadesk.store.paths.private_file`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qadesk.store.paths import private_file

HEAD_SUFFIX = ".history-head"
HEAD_FORMAT = "qadesk-history-head/1"
SLOT_BYTES = 2048
MAX_NOTES = 6


def head_path(database: Path) -> Path:
    """The checkpoint of the store file ``database``: ``qadesk.sqlite`` → ``qadesk.history-head``."""
    return database.with_name(database.stem + HEAD_SUFFIX)


def database_of(bind: Any) -> Path | None:
    """The SQLite file behind an engine or connection, or None (in memory, a database server)."""
    engine = getattr(bind, "engine", bind)
    url = getattr(engine, "url", None)
    if url is None or not url.drivername.startswith("sqlite"):
        return None
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


@dataclass(frozen=True)
class Head:
    """One slot: the chain's length, its last entry's seq and hash, when written, and any notes."""

    entries: int
    seq: int
    hash: str
    gen: int = 0
    at: str | None = None
    notes: tuple[dict[str, Any], ...] = field(default=())

    def _body(self) -> dict[str, Any]:
        return {"format": HEAD_FORMAT, "gen": self.gen, "entries": self.entries, "seq": self.seq,
                "hash": self.hash, "at": self.at, "notes": list(self.notes)}

    def encode(self) -> bytes:
        body = self._body()
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        body["check"] = hashlib.sha256(text.encode("ascii")).hexdigest()
        line = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        if len(line) > SLOT_BYTES - 1:
            raise ValueError("a history head does not fit its slot")
        return line.ljust(SLOT_BYTES - 1) + b"\n"

    @classmethod
    def decode(cls, raw: bytes) -> Head | None:
        """The slot's head, or None when it is empty, torn or not a head at all."""
        try:
            data = json.loads(raw.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != HEAD_FORMAT:
            return None
        check = data.pop("check", None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        if check != hashlib.sha256(text.encode("ascii")).hexdigest():
            return None
        try:
            notes = tuple(n for n in data.get("notes") or [] if isinstance(n, dict))
            head = cls(entries=int(data["entries"]), seq=int(data["seq"]), hash=str(data["hash"]),
                       gen=int(data["gen"]), at=data.get("at"), notes=notes)
        except (KeyError, TypeError, ValueError):
            return None
        return head


@dataclass(frozen=True)
class Checkpoint:
    """What the checkpoint file says: its newest valid slot and the one before (either may be missing)."""

    path: Path
    exists: bool
    newest: Head | None = None
    older: Head | None = None
    damaged: bool = False  # the file is there but a slot (or the whole of it) does not read

    def matching(self, entry_hash: str) -> Head | None:
        """The slot whose head is the entry with this hash."""
        for head in (self.newest, self.older):
            if head is not None and head.hash == entry_hash:
                return head
        return None


def read(path: Path) -> Checkpoint:
    """Read the checkpoint; a missing, short or damaged file is described, never raised."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Checkpoint(path, exists=False)
    chunks = [raw[i * SLOT_BYTES:(i + 1) * SLOT_BYTES] for i in range(2)]
    slots = [Head.decode(c) for c in chunks]
    valid = sorted((h for h in slots if h is not None), key=lambda h: h.gen, reverse=True)
    spoilt = any(h is None and c.strip(b" \n\x00") for h, c in zip(slots, chunks, strict=True))
    damaged = spoilt or len(raw) != 2 * SLOT_BYTES
    return Checkpoint(path, exists=True, newest=valid[0] if valid else None,
                      older=valid[1] if len(valid) > 1 else None, damaged=damaged)


def write(path: Path, head: Head, *, keep: str | None) -> None:
    """Write ``head`` into the slot that does not hold the head with hash ``keep`` (the committed head).

    Overwrites the slot in place and flushes it to the disk before returning, so the head is
    durable before the transaction it describes commits.
    """
    current = read(path)
    slots = _slot_heads(path) if current.exists else [None, None]
    index = next((i for i, h in enumerate(slots) if h is None), None)
    if index is None:
        held = [i for i, h in enumerate(slots) if h is not None and h.hash == keep]
        if held:
            index = 1 - held[0]
        else:  # neither holds it: overwrite the older of the two
            index = min(range(2), key=lambda i: slots[i].gen)  # type: ignore[union-attr]
    if not current.exists:
        private_file(path)
    data = head.encode()
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        if size < 2 * SLOT_BYTES:  # a new (or damaged, short) file: both slots laid out first
            os.lseek(fd, size, os.SEEK_SET)
            os.write(fd, b" " * (2 * SLOT_BYTES - size))
        os.lseek(fd, index * SLOT_BYTES, os.SEEK_SET)
        os.write(fd, data)
        sync = getattr(os, "fdatasync", os.fsync)
        sync(fd)
    finally:
        os.close(fd)


def _slot_heads(path: Path) -> list[Head | None]:
    raw = path.read_bytes()
    return [Head.decode(raw[i * SLOT_BYTES:(i + 1) * SLOT_BYTES]) for i in range(2)]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def reset(path: Path, head: Head) -> None:
    """Lay the checkpoint out afresh with ``head`` in its first slot (a restored store, a new copy)."""
    path.unlink(missing_ok=True)
    write(path, head, keep=None)
