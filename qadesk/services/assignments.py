"""Assignments: who audits what in a programme and by when; handing one over; progress and what is overdue.

An audit is *assigned* when it has an assignment; *started* once anything has been written in it since it
was assigned (its revision moved on) or it is past draft; *completed* once completed, moderated or
closed; *moderated* once it has a moderation.  The four counts are cumulative (assigned >= started >=
completed >= moderated); *overdue* counts the drafts past their due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from qadesk.core.allocation import Auditor, refusal, same_person
from qadesk.core.cases import CaseRow
from qadesk.core.errors import NotFound, StateError, ValidationError
from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.audit_access import now_utc, touch
from qadesk.services.sampling import programme_row
from qadesk.store import history
from qadesk.store.models import Assignment, Audit, Moderation, Programme, TemplateVersion

DONE = ("completed", "moderated", "closed")


@dataclass(frozen=True)
class AssignedAudit:
    audit_id: str
    reference: str
    case_ref: str | None
    team: str | None
    auditor: str
    due_on: date | None
    status: str
    started: bool
    moderated: bool
    programme: str
    template_title: str
    reason: str | None
    assigned_at: datetime
    assigned_by: str

    def overdue(self, today: date | None = None) -> bool:
        return self.status == "draft" and self.due_on is not None and self.due_on < (today or date.today())

    @property
    def stage(self) -> str:
        if self.moderated:
            return "moderated"
        if self.status in DONE:
            return "completed"
        return "started" if self.started else "not started"


def _query():  # type: ignore[no-untyped-def]
    moderated = exists().where(Moderation.audit_id == Audit.id)
    return (select(Assignment, Audit.reference, Audit.case_ref, Audit.status, Audit.revision, moderated,
                   Programme.name, TemplateVersion.title)
            .join(Audit, Audit.id == Assignment.audit_id)
            .join(Programme, Programme.pk == Assignment.programme_pk)
            .join(TemplateVersion, TemplateVersion.pk == Audit.template_pk))


def _row(a: Assignment, reference: str, case_ref: str | None, status: str, revision: int, moderated: bool,
         programme: str, title: str) -> AssignedAudit:
    return AssignedAudit(a.audit_id, reference, case_ref, a.team, a.auditor_name, a.due_on, status,
                         status != "draft" or revision > a.revision_assigned, bool(moderated), programme, title,
                         a.reason, a.assigned_at, a.assigned_by)


def assignments(session: Session, programme: str) -> list[AssignedAudit]:
    """Every assignment of the programme, soonest due first."""
    prog = programme_row(session, programme)
    rows = session.execute(_query().where(Assignment.programme_pk == prog.pk)
                           .order_by(Assignment.due_on, Audit.reference)).all()
    return [_row(*r) for r in rows]


def assigned_to(session: Session, me: str, *, limit: int = 50) -> list[AssignedAudit]:
    """The drafts assigned to ``me`` (the profile's person), soonest due first (no due date last)."""
    rows = session.execute(_query().where(Assignment.auditor_name == me, Audit.status == "draft")
                           .order_by(Assignment.due_on.is_(None), Assignment.due_on, Audit.reference)
                           .limit(limit)).all()
    return [_row(*r) for r in rows]


@dataclass(frozen=True)
class Progress:
    """One team's or one auditor's assignments, counted."""

    by: str  # team | auditor
    name: str | None
    assigned: int = 0
    started: int = 0
    completed: int = 0
    moderated: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"by": self.by, "team": self.name if self.by == "team" else None,
                "auditor": self.name if self.by == "auditor" else None, "assigned": self.assigned,
                "started": self.started, "completed": self.completed, "moderated": self.moderated,
                "overdue": self.overdue, "not_started": self.assigned - self.started}


@dataclass(frozen=True)
class ProgrammeStatus:
    name: str
    by_team: list[Progress]
    by_auditor: list[Progress]
    overdue: list[AssignedAudit]
    assigned: list[AssignedAudit]
    unassigned: int  # audits in the programme started without an assignment
    total: Progress


def _count(by: str, name: str | None, items: list[AssignedAudit], today: date) -> Progress:
    return Progress(by, name, len(items), sum(a.started for a in items), sum(a.status in DONE for a in items),
                    sum(a.moderated for a in items), sum(a.overdue(today) for a in items))


def programme_status(session: Session, programme: str, *, today: date | None = None) -> ProgrammeStatus:
    """Assigned / started / completed / moderated per team and per auditor, and what is overdue."""
    today = today or date.today()
    items = assignments(session, programme)
    prog = programme_row(session, programme)
    teams = sorted({a.team for a in items}, key=lambda t: (t is None, (t or "").casefold()))
    auditors = sorted({a.auditor for a in items}, key=str.casefold)
    assigned_ids = {a.audit_id for a in items}
    in_prog = session.execute(select(Audit.id).where(Audit.programme_pk == prog.pk)).scalars().all()
    status = ProgrammeStatus(
        prog.name, [_count("team", t, [a for a in items if a.team == t], today) for t in teams],
        [_count("auditor", n, [a for a in items if a.auditor == n], today) for n in auditors],
        [a for a in items if a.overdue(today)], items, sum(1 for i in in_prog if i not in assigned_ids),
        _count("programme", prog.name, items, today))
    return status


def hand_over(session: Session, audit_id: str, to: Auditor, *, actor: str, due_on: date | None | object = ...,
              not_own_team: bool = False) -> AssignedAudit:
    """Hand an assigned draft to another auditor (and, if given, a new due date); recorded in the history.

    Refused when the audit is not assigned, no longer a draft, or ``to`` is the case's own worker (or, with
    ``not_own_team``, in the case's team).
    """
    permissions.require(session, Do.PLAN_PROGRAMMES)
    audit = session.get(Audit, audit_id) or session.execute(
        select(Audit).where(Audit.reference == audit_id)).scalar_one_or_none()
    row = session.get(Assignment, audit.id) if audit is not None else None
    if row is None or audit is None:
        raise NotFound(f"no assigned audit '{audit_id}' (give its id or reference, e.g. AUD-2026-0042)")
    if audit.status != "draft":
        raise StateError(f"{audit.reference} is {audit.status}: only a draft can be handed over")
    name = (to.name or "").strip()
    if not name:
        raise ValidationError("say who the audit goes to")
    if same_person(name, row.auditor_name) and due_on is ...:
        raise ValidationError(f"{audit.reference} is already assigned to {row.auditor_name}")
    subject = CaseRow(case_ref=audit.case_ref or "", case_type=audit.case_type, team=audit.team,
                      worker=audit.practitioner, fields={})  # the audit's subject, as the allocation rules read it
    why = refusal(subject, Auditor(name, to.role, to.team), not_own_team=not_own_team)
    if why:
        raise ValidationError(f"{audit.reference}: {why}")
    before = {"auditor": row.auditor_name, "role": row.auditor_role,
              "due": row.due_on.isoformat() if row.due_on else None}
    at = now_utc()
    row.auditor_name, row.auditor_role = name, to.role
    if due_on is not ...:
        row.due_on = due_on  # type: ignore[assignment]
    started = audit.revision > row.revision_assigned
    audit.auditor_name, audit.auditor_role = name, to.role
    touch(audit, at)
    # The hand-over itself is no work on the audit: an audit not yet begun stays "not started".
    row.revision_assigned = audit.revision if not started else row.revision_assigned + 1
    history.record(session, actor=actor, entity="assignment", entity_id=audit.id, audit_id=audit.id,
                   action="hand_over", before=before,
                   after={"auditor": name, "role": to.role, "due": row.due_on.isoformat() if row.due_on else None},
                   at=at)
    session.flush()
    prog = session.get(Programme, row.programme_pk)
    title = audit.template.title
    return _row(row, audit.reference, audit.case_ref, audit.status, audit.revision,
                bool(session.execute(select(exists().where(Moderation.audit_id == audit.id))).scalar()),
                prog.name if prog else "", title)
