"""Moderation and closing: after an audit is completed a second person checks its judgement; then it is closed.

A moderator agrees with the auditor's overall grade, or gives a different
moderated grade with a rationale; an audit may be moderated more than once
(internally, then externally).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from qadesk.core.errors import StateError, ValidationError
from qadesk.services.audit_access import Actor, get_audit, now_utc, refresh_final_grade, template_for, touch
from qadesk.services.audit_document import moderation_dict
from qadesk.store import history
from qadesk.store.models import Audit, Moderation


def moderate(session: Session, audit_id: str, *, moderator: Actor, agreed: bool, grade: str | None = None,
             rationale: str | None = None, kind: str = "internal", moderation_id: str | None = None,
             at: datetime | None = None) -> Moderation:
    """Record a moderator's view: agreed, or a different moderated grade with a rationale."""
    audit = get_audit(session, audit_id)
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed audits are moderated")
    if kind not in ("internal", "external"):
        raise ValidationError("moderation is internal or external")
    t = template_for(audit)
    if agreed:
        grade = audit.overall_grade
    else:
        if not grade or grade not in {c.value for c in t.overall_choices()}:
            raise ValidationError("a moderator who disagrees gives the moderated grade from the overall scale")
        if not rationale or not rationale.strip():
            raise ValidationError("a moderator who disagrees gives a rationale")
    at = (at or now_utc()).astimezone(timezone.utc)
    m = Moderation(id=moderation_id or str(uuid.uuid4()), audit_id=audit.id, moderator_name=moderator.name,
                   moderator_organisation=moderator.organisation, kind=kind, grade=grade, agreed=agreed,
                   rationale=rationale, at=at)
    audit.moderations.append(m)
    refresh_final_grade(audit, t)
    before = audit.status
    audit.status = "moderated"
    touch(audit, at)
    history.record(session, actor=moderator.name, entity="moderation", entity_id=m.id, audit_id=audit.id,
                   action="moderate", before={"status": before}, after=moderation_dict(m), at=at)
    return m


def close(session: Session, audit_id: str, *, actor: str) -> Audit:
    """Close a completed or moderated audit: nothing more happens to it."""
    audit = get_audit(session, audit_id)
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed or moderated audits are closed")
    before = audit.status
    at = now_utc()
    audit.status = "closed"
    touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="close", before={"status": before}, after={"status": "closed"}, at=at)
    return audit
