"""The append-only change history, hash-chained.

Each entry's hash covers its own fields and the previous entry's hash, so an
entry edited or removed after the fact breaks the chain from that point on;
:func:`verify` reports the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qadesk.store.models import HistoryEntry

GENESIS = "0" * 64


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
    last = session.execute(select(HistoryEntry.hash).order_by(HistoryEntry.seq.desc()).limit(1)).scalar()
    prev = last or GENESIS
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
    prev = session.execute(select(HistoryEntry.hash).order_by(HistoryEntry.seq.desc()).limit(1)).scalar() or GENESIS
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


@dataclass
class ChainReport:
    entries: int
    broken_at: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain; report the first entry whose link or content does not match."""
    prev = GENESIS
    count = 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(HistoryEntry).where(HistoryEntry.seq > last_seq).order_by(HistoryEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(count)
        for e in rows:
            count += 1
            if e.prev_hash != prev:
                return ChainReport(count, e.seq, "its link to the previous entry does not match (an entry was removed or changed)")
            expected = _entry_hash(prev, e.at, e.actor, e.audit_id, e.entity, e.entity_id, e.action, e.before, e.after)
            if expected != e.hash:
                return ChainReport(count, e.seq, "its content does not match its hash (the entry was changed)")
            prev = e.hash
            last_seq = e.seq
        session.expunge_all()
