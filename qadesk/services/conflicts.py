"""Conflicts to resolve: a field of an audit that this store's copy and another copy changed differently.

A sync with the team server (:mod:`qadesk.services.sync`) or a pack import finds them with
:func:`qadesk.core.merge.merge` and keeps each here (:func:`record`) rather than overwrite either
copy: this store keeps *mine* in the audit, and the other side keeps *theirs*, until a person
chooses (:func:`resolve`): keep mine, take theirs, keep both (for text) or write their own.  The
choice is written into the audit with a history entry ``resolve`` (its document, so the replay of
``history verify`` follows it), and the next sync takes it to the server.

A field with an open conflict is held back from a sync (:func:`open_paths`): mine does not go up
and theirs does not come down until it is resolved.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import NotFound, ValidationError
from qadesk.core.merge import MISSING, FieldConflict, both_texts, is_text_path, set_field
from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.audit_access import get_audit, now_utc, template_for
from qadesk.services.audit_document import audit_document
from qadesk.store import history
from qadesk.store.models import Conflict

CHOICES = ("mine", "theirs", "both", "edited")


def _dump(value: Any) -> str | None:
    return None if value is MISSING or value is None else json.dumps({"v": value}, ensure_ascii=False)


def _load(text: str | None) -> Any:
    return MISSING if text is None else json.loads(text)["v"]


@dataclass(frozen=True)
class OpenConflict:
    """A conflict as the window and the CLI show it."""

    id: str
    audit_id: str
    reference: str
    source: str  # sync | pack
    source_ref: str | None
    path: str
    base: Any  # MISSING where there was none
    mine: Any
    theirs: Any
    theirs_by: str | None
    opened_at: datetime
    resolved_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None

    @property
    def is_text(self) -> bool:
        return is_text_path(self.path) and (isinstance(self.mine, str) or isinstance(self.theirs, str))


def record(session: Session, audit_id: str, conflict: FieldConflict, *, source: str, source_ref: str | None,
           theirs_revision: int | None = None, theirs_by: str | None = None) -> Conflict:
    """Keep a conflict found on ``audit_id``; an open one on the same field is brought up to date, not doubled."""
    if source not in ("sync", "pack"):
        raise ValueError(f"unknown conflict source {source!r}")
    row = session.execute(select(Conflict).where(Conflict.audit_id == audit_id, Conflict.path == conflict.path,
                                                 Conflict.resolved_at.is_(None))).scalar_one_or_none()
    if row is None:
        row = Conflict(id=str(uuid.uuid4()), audit_id=audit_id, path=conflict.path, base=_dump(conflict.base),
                       opened_at=now_utc())
        session.add(row)
    row.source, row.source_ref = source, source_ref
    row.mine, row.theirs = _dump(conflict.mine), _dump(conflict.theirs)
    row.theirs_revision, row.theirs_by = theirs_revision, theirs_by
    session.flush()
    return row


def was_resolved(session: Session, audit_id: str, path: str, theirs: Any, *, source_ref: str | None) -> bool:
    """Whether a conflict on this field, with this value from the same other copy, was resolved already."""
    rows = session.execute(select(Conflict.theirs).where(
        Conflict.audit_id == audit_id, Conflict.path == path, Conflict.source_ref == source_ref,
        Conflict.resolved_at.is_not(None))).scalars()
    return any(_load(t) == theirs for t in rows)


def _open(session: Session, row: Conflict, reference: str) -> OpenConflict:
    return OpenConflict(row.id, row.audit_id, reference, row.source, row.source_ref, row.path, _load(row.base),
                        _load(row.mine), _load(row.theirs), row.theirs_by, row.opened_at, row.resolved_at,
                        row.resolution, row.resolved_by)


def open_paths(session: Session, audit_id: str) -> dict[str, Any]:
    """The fields of an audit with an open conflict, each with the other side's value (MISSING: none)."""
    rows = session.execute(select(Conflict).where(Conflict.audit_id == audit_id,
                                                  Conflict.resolved_at.is_(None))).scalars()
    return {r.path: _load(r.theirs) for r in rows}


def list_conflicts(session: Session, *, audit_id: str | None = None, resolved: bool = False) -> list[OpenConflict]:
    """The open conflicts (or, with ``resolved``, every one), by audit then field."""
    from qadesk.store.models import Audit

    q = select(Conflict, Audit.reference).join(Audit, Audit.id == Conflict.audit_id)
    if audit_id is not None:
        q = q.where(Conflict.audit_id == get_audit(session, audit_id).id)
    if not resolved:
        q = q.where(Conflict.resolved_at.is_(None))
    q = q.order_by(Audit.reference, Conflict.opened_at, Conflict.path)
    return [_open(session, row, ref) for row, ref in session.execute(q)]


def count_open(session: Session) -> int:
    """How many conflicts wait for a person."""
    from sqlalchemy import func

    return int(session.execute(select(func.count()).select_from(Conflict)
                               .where(Conflict.resolved_at.is_(None))).scalar_one())


def resolve(session: Session, conflict_id: str, choice: str, *, actor: str, value: Any = MISSING) -> OpenConflict:
    """Resolve one conflict: ``mine`` (keep this copy's value), ``theirs`` (take the other's), ``both``
    (text only: mine, then theirs) or ``edited`` (``value``, what the person wrote). The audit takes the
    chosen value (a draft or not: a resolution is not an edit of the form) with a history entry."""
    row = session.get(Conflict, conflict_id)
    if row is None:
        matches = session.execute(select(Conflict).where(Conflict.id.like(f"{conflict_id.lower()}%"))).scalars().all()
        if len(matches) != 1:
            raise NotFound(f"no conflict '{conflict_id}' here" if not matches
                           else f"'{conflict_id}' could be any of {len(matches)} conflicts; give more of its id")
        row = matches[0]
    if row.resolved_at is not None:
        raise ValidationError(f"this conflict was resolved already ({row.resolution}, by {row.resolved_by})")
    if choice not in CHOICES:
        raise ValidationError(f"choose one of {', '.join(CHOICES)}, not '{choice}'")
    mine, theirs = _load(row.mine), _load(row.theirs)
    if choice == "mine":
        chosen = mine
    elif choice == "theirs":
        chosen = theirs
    elif choice == "both":
        if not (is_text_path(row.path) and isinstance(mine, str) and isinstance(theirs, str)):
            raise ValidationError("both can be kept only where both copies hold text")
        chosen = both_texts(mine, theirs)
    else:
        if value is MISSING:
            raise ValidationError("say what the field should hold")
        chosen = value
    audit = get_audit(session, row.audit_id)
    # Resolving writes the audit: whoever may change it (its auditor, a QA lead, the PSW); a moderation's
    # field, whoever moderates.
    if row.path.startswith("moderations."):
        permissions.require(session, Do.MODERATE)
    else:
        permissions.require_change(session, audit)
    before = audit_document(audit)
    doc = set_field(before, row.path, chosen)
    from qadesk.services import transfer

    at = now_utc()
    transfer.write_document(session, audit, doc, template_for(audit), at)
    audit.revision += 1
    audit.updated_at = at
    session.flush()
    row.resolved_at, row.resolved_by, row.resolution = at, actor, choice
    row.resolved_value = _dump(chosen)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id, action="resolve",
                   before={"field": row.path, "value": None if mine is MISSING else mine},
                   after={"field": row.path, "resolution": choice, "source": row.source,
                          "before": None if mine is MISSING else mine,
                          "value": None if chosen is MISSING else chosen,
                          "theirs": None if theirs is MISSING else theirs,
                          "origin": audit.origin, "document": audit_document(audit)}, at=at)
    session.flush()
    return _open(session, row, audit.reference)
