"""The append-only change history, hash-chained, with its head anchored outside the store.

Each entry's hash covers its own fields and the previous entry's hash, so an
entry edited or removed after the fact breaks the chain from that point on;
:func:`verify` reports the first broken link.  A chain cut short still links
up, so every transaction that appends entries also writes the new head (how
many entries, the last one's hash) to the checkpoint file beside the store
before it commits (:mod:`qadesk.store.anchor`, :func:`_anchor_before_commit`).
Whether the entries also account for what the tables hold is
:mod:`qadesk.services.history`'s question (the replay).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from qadesk.store import anchor
from qadesk.store.models import HistoryEntry

GENESIS = "0" * 64
# The entity and action of the entries that start a replay: written by migration 0008 for every audit
# (and one for the store) when a store from before replayable entries is upgraded, or a new one made.
BASELINE_ENTITY, BASELINE_ACTION = "store", "baseline"
_BEFORE = "qadesk.history.head_before"  # session.info: the chain's head before this transaction wrote


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _entry_hash(prev: str, at: datetime, actor: str, audit_id: str | None, entity: str,
                entity_id: str | None, action: str, before: str | None, after: str | None) -> str:
    body = json.dumps(
        [prev, _iso(at), actor, audit_id, entity, entity_id, action, before, after],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they are stored in UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def record(session: Session, *, actor: str, entity: str, action: str, audit_id: str | None = None,
           entity_id: str | None = None, before: Any = None, after: Any = None,
           at: datetime | None = None) -> HistoryEntry:
    """Append one entry in the caller's transaction."""
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    prev = _head(session)
    b, a = _dump(before), _dump(after)
    entry = HistoryEntry(
        at=at, actor=actor, audit_id=audit_id, entity=entity, entity_id=entity_id, action=action,
        before=b, after=a, prev_hash=prev,
        hash=_entry_hash(prev, at, actor, audit_id, entity, entity_id, action, b, a),
    )
    session.add(entry)
    session.flush()
    return entry


def record_many(session: Session, entries: Iterable[Mapping[str, Any]]) -> int:
    """Append many entries in the caller's transaction with one executemany (bulk work, the demo data).

    Each mapping holds :func:`record`'s keyword arguments (``at`` included);
    the entries are chained exactly as that many calls of :func:`record` would
    chain them.  Returns how many were written.
    """
    prev = _head(session)
    rows = []
    for e in entries:
        at = (e.get("at") or datetime.now(timezone.utc)).astimezone(timezone.utc)
        b, a = _dump(e.get("before")), _dump(e.get("after"))
        audit_id, entity_id = e.get("audit_id"), e.get("entity_id")
        digest = _entry_hash(prev, at, e["actor"], audit_id, e["entity"], entity_id, e["action"], b, a)
        rows.append({"at": at, "actor": e["actor"], "audit_id": audit_id, "entity": e["entity"],
                     "entity_id": entity_id, "action": e["action"], "before": b, "after": a,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    if rows:
        session.execute(insert(HistoryEntry), rows)
    return len(rows)


def _head(session: Session) -> str:
    """The newest entry's hash (GENESIS for an empty chain); the first call in a transaction notes the head."""
    if _has_tip(session):  # a team server: the newest entry, even one this login may not read (row security)
        row = session.execute(text("SELECT seq, hash FROM qadesk_history_tip()")).first()
        row = row if row is not None and row.seq is not None else None
    else:
        row = session.execute(select(HistoryEntry.seq, HistoryEntry.hash).order_by(HistoryEntry.seq.desc())
                              .limit(1)).first()
    seq, digest = (row.seq, row.hash) if row is not None else (0, GENESIS)
    session.info.setdefault(_BEFORE, (seq, digest))
    return digest


def _has_tip(session: Session) -> bool:
    """Whether this is a team server whose roles are set up (store/server_roles.py made its chain-tip
    function); asked once a connection."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    info = session.connection().info
    if "qadesk.tip" not in info:
        info["qadesk.tip"] = bool(session.execute(text("SELECT to_regprocedure('qadesk_history_tip()') IS NOT NULL"))
                                  .scalar())
    return bool(info["qadesk.tip"])


def head(session: Session) -> tuple[int, int, str]:
    """The chain's head now: (entries, last seq, last hash); (0, 0, GENESIS) when empty."""
    row = session.execute(select(func.count(), func.max(HistoryEntry.seq))).first()
    count, seq = (int(row[0]), int(row[1] or 0)) if row is not None else (0, 0)
    digest = session.execute(select(HistoryEntry.hash).where(HistoryEntry.seq == seq)).scalar() if seq else None
    return count, seq, digest or GENESIS


@event.listens_for(Session, "before_commit")
def _anchor_before_commit(session: Session) -> None:
    """Write the new head to the checkpoint, while this transaction still holds the write lock.

    Only for a transaction that appended entries, on a store in a file.  The count comes from the
    checkpoint's own slot for the head this transaction started from, so no entry is counted twice
    and no full count is needed; when the checkpoint is missing or names another head, the entries
    are counted and the checkpoint says what it found (a note it keeps), so a cut chain is never
    quietly taken as whole.
    """
    before = session.info.pop(_BEFORE, None)
    if before is None:
        return
    database = anchor.database_of(session.get_bind())
    if database is None:
        return
    before_seq, before_hash = before
    row = session.execute(select(HistoryEntry.seq, HistoryEntry.hash).order_by(HistoryEntry.seq.desc()).limit(1)).first()
    if row is None or row.seq <= before_seq:
        return  # what it wrote was rolled back (a savepoint)
    added = int(session.execute(select(func.count()).where(HistoryEntry.seq > before_seq)).scalar() or 0)
    path = anchor.head_path(database)
    checkpoint = anchor.read(path)
    held = checkpoint.matching(before_hash) if before_seq else None
    notes = list(checkpoint.newest.notes) if checkpoint.newest is not None else []
    migrated = baselines_after(session, checkpoint.newest, before_seq) if checkpoint.newest is not None else None
    if held is not None:
        prev_count = held.entries
    elif migrated is not None and checkpoint.newest is not None:  # a migration appended baseline entries
        prev_count = checkpoint.newest.entries + migrated
    elif before_seq == 0 and checkpoint.newest is None:
        prev_count = 0
    else:
        prev_count = int(session.execute(select(func.count()).where(HistoryEntry.seq <= before_seq)).scalar() or 0)
        if checkpoint.newest is not None:
            notes.append({"kind": "mismatch", "at": anchor.now_iso(), "entries": prev_count, "seq": before_seq,
                          "checkpoint_entries": checkpoint.newest.entries, "checkpoint_seq": checkpoint.newest.seq})
        elif not _is_baseline(session, before_seq):
            notes.append({"kind": "damaged" if checkpoint.damaged else "missing", "at": anchor.now_iso(),
                          "entries": prev_count, "seq": before_seq})
    gen = max((h.gen for h in (checkpoint.newest, checkpoint.older) if h is not None), default=0) + 1
    anchor.write(path, anchor.Head(entries=prev_count + added, seq=row.seq, hash=row.hash, gen=gen,
                                   at=anchor.now_iso(), notes=tuple(notes[-anchor.MAX_NOTES:])),
                 keep=before_hash)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or rolled back)
        session.info.pop(_BEFORE, None)


def baselines_after(session: Session, head: anchor.Head, upto_seq: int) -> int | None:
    """How many entries follow the checkpoint's ``head`` up to ``upto_seq`` when they are all baseline entries
    (a migration writes them outside any session, so the checkpoint could not hear of them); else None."""
    if upto_seq <= head.seq:
        return None
    if head.seq and session.execute(select(HistoryEntry.hash).where(HistoryEntry.seq == head.seq)).scalar() != head.hash:
        return None
    rows = session.execute(select(HistoryEntry.action).where(HistoryEntry.seq > head.seq,
                                                             HistoryEntry.seq <= upto_seq)).scalars().all()
    if not rows or any(a != BASELINE_ACTION for a in rows):
        return None
    return len(rows)


def _is_baseline(session: Session, seq: int) -> bool:
    """Whether the entry ``seq`` is a baseline entry (migration 0008's), after which no checkpoint was due yet."""
    if not seq:
        return True
    row = session.execute(select(HistoryEntry.entity, HistoryEntry.action).where(HistoryEntry.seq == seq)).first()
    return row is not None and row.action == BASELINE_ACTION


@dataclass
class ChainReport:
    """What walking the chain found: how many entries, the last one (or the first broken link)."""

    entries: int
    broken_at: int | None = None
    reason: str | None = None
    last_seq: int = 0
    last_hash: str = GENESIS
    baseline_seq: int | None = None  # the newest baseline entry's seq (migration 0008), if any

    @property
    def ok(self) -> bool:
        return self.broken_at is None


_CHAIN_COLUMNS = (HistoryEntry.seq, HistoryEntry.at, HistoryEntry.actor, HistoryEntry.audit_id, HistoryEntry.entity,
                  HistoryEntry.entity_id, HistoryEntry.action, HistoryEntry.before, HistoryEntry.after,
                  HistoryEntry.prev_hash, HistoryEntry.hash)


def verify(session: Session, batch: int = 20000) -> ChainReport:
    """Walk the whole chain; report the first entry whose link or content does not match."""
    prev = GENESIS
    count = 0
    last_seq = 0
    baseline: int | None = None
    while True:
        rows = session.connection().execute(
            select(*_CHAIN_COLUMNS).where(HistoryEntry.seq > last_seq).order_by(HistoryEntry.seq).limit(batch)
        ).all()
        if not rows:
            return ChainReport(count, last_seq=last_seq, last_hash=prev, baseline_seq=baseline)
        for e in rows:
            count += 1
            if e.prev_hash != prev:
                return ChainReport(count, e.seq, "its link to the previous entry does not match (an entry before it "
                                   "was removed, inserted or changed, or the entries were put in another order)",
                                   last_seq=last_seq, last_hash=prev, baseline_seq=baseline)
            expected = _entry_hash(prev, e.at, e.actor, e.audit_id, e.entity, e.entity_id, e.action, e.before, e.after)
            if expected != e.hash:
                return ChainReport(count, e.seq, "its content does not match its hash (the entry was changed)",
                                   last_seq=last_seq, last_hash=prev, baseline_seq=baseline)
            if e.entity == BASELINE_ENTITY and e.action == BASELINE_ACTION:
                baseline = e.seq
            prev = e.hash
            last_seq = e.seq
