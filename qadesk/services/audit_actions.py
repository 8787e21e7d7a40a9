"""An audit's actions: what must happen for the child or the practice, with an owner and a due date.

Actions are added while the audit is open and tracked after it is completed
(done or cancelled, with a closing note) until the audit is closed.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from qadesk.core.errors import NotFound, StateError, ValidationError
from qadesk.services.audit_access import editable, get_audit, now_utc, touch
from qadesk.services.audit_document import action_dict
from qadesk.store import history
from qadesk.store.models import ActionItem

ACTION_STATUSES = ("open", "done", "cancelled")


def add_action(session: Session, audit_id: str, text: str, *, actor: str, owner: str | None = None,
               due: date | None = None, urgent: bool = False, action_id: str | None = None) -> ActionItem:
    """Add an open action to an audit that is not closed."""
    audit = get_audit(session, audit_id)
    if audit.status == "closed":
        raise StateError(f"{audit.reference} is closed")
    if not text or not text.strip():
        raise ValidationError("an action needs a description of what must happen")
    at = now_utc()
    item = ActionItem(id=action_id or str(uuid.uuid4()), audit_id=audit.id, text=text.strip(), owner=owner,
                      due=due, status="open", urgent=urgent, created_at=at)
    audit.actions.append(item)
    session.flush()
    touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=item.id, audit_id=audit.id,
                   action="add", after=action_dict(item), at=at)
    return item


def update_action(session: Session, action_id: str, *, actor: str, **changes: Any) -> ActionItem:
    """Change an action's text, owner, due, urgent or status (open, done, cancelled)."""
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action '{action_id}'")
    allowed = {"text", "owner", "due", "urgent", "status", "closing_note"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"an action has no field {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in ACTION_STATUSES:
        raise ValidationError(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    if "text" in changes and not (changes["text"] or "").strip():
        raise ValidationError("an action needs a description of what must happen")
    before = action_dict(item)
    at = now_utc()
    for key, value in changes.items():
        setattr(item, key, value)
    if "status" in changes:
        item.closed_at = at if changes["status"] != "open" else None
    after = action_dict(item)
    if before != after:
        audit = get_audit(session, item.audit_id)
        touch(audit, at)
        history.record(session, actor=actor, entity="action", entity_id=item.id, audit_id=item.audit_id,
                       action="update", before=before, after=after, at=at)
    return item


def remove_action(session: Session, action_id: str, *, actor: str) -> None:
    """Remove an action from a draft audit (the history keeps it)."""
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action '{action_id}'")
    audit = get_audit(session, item.audit_id)
    editable(audit)
    before = action_dict(item)
    audit.actions.remove(item)
    at = now_utc()
    touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=action_id, audit_id=audit.id,
                   action="remove", before=before, at=at)
