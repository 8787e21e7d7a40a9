"""Finding an audit and reading it, and the rules every change to one follows.

Shared by the audit use cases (:mod:`qadesk.services.audits`,
:mod:`qadesk.services.audit_actions`, :mod:`qadesk.services.moderation`):
an audit is found by its id or its reference; only a draft is edited; every
change bumps the revision and the time it was last updated.

No change is lost to another made at the same moment: the use cases run in a
write transaction (``Store.transaction``), which holds the store's write lock
from its first read, so what they read is what they change; and the audit's
revision is its row's version counter, so the UPDATE that bumps it is
``... WHERE id = ? AND revision = <the revision read>`` and fails
(:class:`~qadesk.core.errors.WriteConflict`) rather than overwrite a change it
did not see (docs/architecture.md, "Concurrent writes").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from qadesk.core.audit import SUMMARY_KEYS, AuditState
from qadesk.core.dates import as_utc
from qadesk.core.errors import NotDraft, NotFound
from qadesk.core.ids import lookup_id
from qadesk.core.scoring import choice_score, final_grade
from qadesk.core.template import Template
from qadesk.services import permissions
from qadesk.services.templates import template_of
from qadesk.store.models import Audit, HistoryEntry, TemplateVersion


def now_utc() -> datetime:
    """The time now, in UTC (every timestamp qadesk stores is UTC)."""
    return datetime.now(timezone.utc)


@dataclass
class Actor:
    """Who does something: a name, and a role or organisation where it matters."""

    name: str
    role: str | None = None
    organisation: str | None = None


def get_audit(session: Session, audit_id: str, *, for_answers: bool = False) -> Audit:
    """The audit with this id or reference (e.g. AUD-2026-0042); :class:`NotFound` if there is none."""
    # Autosave runs on every pause in typing: it reads the answer it changes and what the rules make of
    # the audit (qadesk.services.evaluations), not every answer, judgement, action and moderation, nor
    # the template's stored JSON (its model is kept by fingerprint), so those load only if touched.
    opts = [lazyload(Audit.actions), lazyload(Audit.moderations), lazyload(Audit.answers),
            lazyload(Audit.section_judgements),
            joinedload(Audit.template).defer(TemplateVersion.content)] if for_answers else []
    audit = session.get(Audit, lookup_id(audit_id), options=opts)  # ids are kept in lower case (core/ids.py)
    if audit is None:
        audit = session.execute(select(Audit).where(Audit.reference == audit_id).options(*opts)).scalar_one_or_none()
    if audit is None or not permissions.can_see(session, audit):  # a practitioner's: only their own work
        raise NotFound(f"no audit '{audit_id}' (give its id or reference, e.g. AUD-2026-0042)")
    return audit


def template_for(audit: Audit) -> Template:
    """The template version the audit was started on."""
    return template_of(audit.template)


def state_of(audit: Audit) -> AuditState:
    """The audit's answers, evidence, judgements and summary as the core rules read them."""
    return AuditState(
        answers={a.question_id: json.loads(a.value) for a in audit.answers if a.value is not None},
        evidence={a.question_id: a.evidence for a in audit.answers if a.evidence},
        section_grades={j.section_id: j.grade for j in audit.section_judgements},
        overall_grade=audit.overall_grade,
        overall_rationale=audit.overall_rationale,
        summary={k: getattr(audit, k) for k in SUMMARY_KEYS if getattr(audit, k)},
    )


def editable(audit: Audit) -> None:
    """Refuse (:class:`NotDraft`, a :class:`StateError`) unless the audit is a draft.

    Checked inside the write transaction, which holds the store's write lock from its first read
    (``Store.transaction``): a submit made elsewhere is either already seen here, or waits until
    this change is committed; an answer never lands in a submitted audit."""
    if audit.status != "draft":
        raise NotDraft(f"{audit.reference} is {audit.status}; reopen it (with a reason) to change it")


def refresh_final_grade(audit: Audit, template: Template) -> None:
    """Keep the audit's final grade and its score (:func:`qadesk.core.scoring.final_grade`) up to date."""
    # A stored moderation's time comes back naive (UTC), a new one's is aware: compare them as UTC.
    audit.final_grade = final_grade(audit.overall_grade, ((as_utc(m.at), m.grade) for m in audit.moderations))
    audit.final_score = choice_score(template.overall_choices(), audit.final_grade)


def touch(audit: Audit, at: datetime) -> None:
    """Count one more change to the audit, made at ``at``.

    The revision is the row's version counter: the UPDATE that stores this one is
    ``... WHERE id = ? AND revision = <the revision read>``, so it fails (``WriteConflict``) rather
    than write over a change this one did not see."""
    audit.revision += 1
    audit.updated_at = at


def revision_of(session: Session, audit_id: str) -> int | None:
    """The audit's revision (how many changes it has had), from its row alone; None if there is no such audit."""
    return session.execute(select(Audit.revision).where(Audit.id == audit_id)).scalar()


def latest_change(session: Session, audit_id: str) -> tuple[str, datetime] | None:
    """Who made the audit's newest change, and when (its newest history entry); None when it has none.

    One audit's entries, through the index on the history's audit id."""
    row = session.execute(select(HistoryEntry.actor, HistoryEntry.at).where(HistoryEntry.audit_id == audit_id)
                          .order_by(HistoryEntry.seq.desc()).limit(1)).first()
    return None if row is None else (row.actor, as_utc(row.at))
