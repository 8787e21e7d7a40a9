"""An audit's actions: what must happen for the child or the practice, with an owner and a due date.

Actions are added while the audit is open and tracked after it is completed
(done or cancelled, with a closing note) until the audit is closed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from qadesk.core.audit import ActionFacts
from qadesk.core.errors import NotFound, StateError, ValidationError
from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.audit_access import editable, get_audit, now_utc, touch
from qadesk.services.audit_document import action_dict, aware
from qadesk.store import history
from qadesk.store.models import ActionItem, Audit

ACTION_STATUSES = ("open", "done", "cancelled")
MAX_TOLD_WHOM = 500
# A clock a little ahead of the laptop's (another machine, a phone) is no reason to refuse "just now".
TOLD_AT_SLACK = timedelta(minutes=5)


def clean_told(told_whom: str | None, told_at: datetime | None, now: datetime) -> tuple[str | None, datetime | None]:
    """Who was told of an urgent concern (text) and when (a time, stored in UTC; never in the future).

    A time without a zone is read as UTC, as qadesk stores every time.
    """
    if told_whom is not None and not isinstance(told_whom, str):
        raise ValidationError("who was told must be text")
    whom = (told_whom or "").strip() or None
    if whom is not None and len(whom) > MAX_TOLD_WHOM:
        raise ValidationError(f"who was told is longer than {MAX_TOLD_WHOM} characters")
    if told_at is not None:
        if not isinstance(told_at, datetime):
            raise ValidationError("when they were told must be a date and time")
        told_at = aware(told_at).astimezone(timezone.utc)
        if told_at > now + TOLD_AT_SLACK:
            raise ValidationError("when they were told cannot be in the future")
    return whom, told_at


def action_facts(audit: Audit) -> list[ActionFacts]:
    """The audit's actions as the submit rules read them."""
    return [ActionFacts(a.id, a.text, bool(a.urgent), a.status, a.told_whom, aware(a.told_at)) for a in audit.actions]


def add_action(session: Session, audit_id: str, text: str, *, actor: str, owner: str | None = None,
               due: date | None = None, urgent: bool = False, told_whom: str | None = None,
               told_at: datetime | None = None, action_id: str | None = None) -> ActionItem:
    """Add an open action to an audit that is not closed.

    An urgent action records who was told of the concern (``told_whom``) and when (``told_at``); both may
    come later, but submit needs them (:func:`qadesk.core.audit.urgent_missing`).
    """
    audit = get_audit(session, audit_id)
    permissions.require_change(session, audit, Do.SET_ACTIONS)
    if audit.status == "closed":
        raise StateError(f"{audit.reference} is closed")
    if not text or not text.strip():
        raise ValidationError("an action needs a description of what must happen")
    at = now_utc()
    told_whom, told_at = clean_told(told_whom, told_at, at)
    if not urgent and (told_whom or told_at):
        raise ValidationError("who was told and when belong to an urgent action: mark the action urgent")
    item = ActionItem(id=action_id or str(uuid.uuid4()), audit_id=audit.id, text=text.strip(), owner=owner,
                      due=due, status="open", urgent=urgent, created_at=at, told_whom=told_whom, told_at=told_at)
    audit.actions.append(item)
    session.flush()
    touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=item.id, audit_id=audit.id,
                   action="add", after=action_dict(item), at=at)
    return item


def update_action(session: Session, action_id: str, *, actor: str, **changes: Any) -> ActionItem:
    """Change an action's text, owner, due, urgent, who was told and when, or status (open, done, cancelled).

    An action that is no longer urgent keeps no "who was told" (the history keeps what it said).
    """
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action '{action_id}'")
    permissions.require_change(session, get_audit(session, item.audit_id), Do.SET_ACTIONS)
    allowed = {"text", "owner", "due", "urgent", "status", "closing_note", "told_whom", "told_at"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"an action has no field {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in ACTION_STATUSES:
        raise ValidationError(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    if "text" in changes and not (changes["text"] or "").strip():
        raise ValidationError("an action needs a description of what must happen")
    # The history keeps the closing note too (the audit document does not carry it).
    before = {**action_dict(item), "closing_note": item.closing_note}
    at = now_utc()
    if "told_whom" in changes or "told_at" in changes:
        changes["told_whom"], changes["told_at"] = clean_told(changes.get("told_whom", item.told_whom),
                                                              changes.get("told_at", item.told_at), at)
    for key, value in changes.items():
        setattr(item, key, value)
    if not item.urgent:
        item.told_whom = item.told_at = None
    if "status" in changes:
        item.closed_at = at if changes["status"] != "open" else None
    after = {**action_dict(item), "closing_note": item.closing_note}
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
    permissions.require_change(session, audit, Do.SET_ACTIONS)
    editable(audit)
    before = action_dict(item)
    audit.actions.remove(item)
    at = now_utc()
    touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=action_id, audit_id=audit.id,
                   action="remove", before=before, at=at)
